//! Time one simulated year of a scenario with its fixed closures, many times
//! (for profiling the engine): `cargo run --release --example profile_year [SCENARIO] [N]`.
//! Checks that every repetition gives the same total loss. Every day is simulated (the
//! reference execution); `FAST=1` runs the fast path instead (which takes quiet days
//! from the counterfactual). `NOCLOSE=1` runs without the scenario's closures,
//! `RECORD=0` without the daily series.

use std::time::Instant;

fn main() -> Result<(), chokepoint::Error> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/afghanistan/base.toml"
        )
        .into()
    });
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(20);
    let scenario = chokepoint::Scenario::load(&path)?;
    use chokepoint::sim::{Engine, Execution, Record};
    let execution = if std::env::var("FAST").is_ok() {
        Execution::Fast
    } else {
        Execution::Reference
    };
    let mut engine = Engine::with_execution(&scenario, execution)?;
    let closures = if std::env::var("NOCLOSE").is_ok() {
        Vec::new()
    } else {
        scenario.closures.clone()
    };
    let record = if std::env::var("RECORD").map_or(true, |v| v != "0") {
        Record::Daily
    } else {
        Record::Totals
    };
    let every_day = |engine: &mut Engine| engine.run(&closures, record);
    let first = every_day(&mut engine)?.metrics.total_loss_usd;
    let t0 = Instant::now();
    for _ in 0..n {
        let m = every_day(&mut engine)?.metrics;
        assert_eq!(m.total_loss_usd, first, "runs must be deterministic");
    }
    let per = t0.elapsed().as_secs_f64() / n as f64;
    println!("{path}: {:.2} ms per simulated year ({n} runs)", per * 1e3);
    Ok(())
}
