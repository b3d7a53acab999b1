//! What does a closure of a given length cost? Close one corridor for 1 to 28 days and
//! print the losses; the example checks that longer closures never cost less and that
//! every run's losses add up.
//!
//! `cargo run --example closure_length [SCENARIO] [CORRIDOR]`
//! (defaults: scenarios/twoland.toml, north)

use chokepoint::scenario::parse_close_spec;
use chokepoint::sim::{Engine, Record};

fn main() -> Result<(), chokepoint::Error> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/twoland.toml").into());
    let corridor = args.next().unwrap_or_else(|| "north".into());
    let scenario = chokepoint::Scenario::load(&path)?;
    let mut engine = Engine::new(&scenario)?;
    let start = scenario.date_of(14);
    println!("closing {corridor} from {start} in {path}");
    println!(
        "{:>5} {:>16} {:>14} {:>14} {:>12} {:>9}",
        "days", "total loss USD", "reroute USD", "lost USD", "peak trucks", "recover"
    );
    let mut last = 0.0;
    for days in [1u32, 3, 7, 14, 21, 28] {
        let w = parse_close_spec(&scenario, &format!("{corridor}:{start}+{days}"))?;
        let m = engine.run(&[w], Record::Totals)?.metrics;
        let parts = m.reroute_cost_usd + m.delay_cost_usd + m.spoilage_usd + m.lost_trade_usd;
        assert!((parts - m.total_loss_usd).abs() <= 1e-6 * m.total_loss_usd.abs().max(1.0));
        assert!(
            m.total_loss_usd >= last - 1e-6,
            "a {days}-day closure cost less ({}) than a shorter one ({last})",
            m.total_loss_usd
        );
        last = m.total_loss_usd;
        println!(
            "{days:>5} {:>16.0} {:>14.0} {:>14.0} {:>12.0} {:>9}",
            m.total_loss_usd,
            m.reroute_cost_usd,
            m.lost_trade_usd,
            m.peak_stranded_trucks,
            m.days_to_recover.map_or("-".into(), |d| d.to_string())
        );
    }
    assert!(
        last > 0.0,
        "closing {corridor} for four weeks should cost something"
    );
    Ok(())
}
