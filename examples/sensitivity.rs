//! Sensitivity of the backtests and the base year to the estimated (E) parameters of the
//! Afghanistan scenario (docs/validation.md §5): one parameter at a time at its low,
//! shipped and high value, every other parameter as shipped.
//!
//! `cargo run --example sensitivity`           three episodes and the 2024 base year (CI)
//! `cargo run --example sensitivity -- --full` all eight episodes and the base year
//!
//! Prints, per parameter and value, each episode's figures (as in `examples/backtests.rs`:
//! normal loaded trucks/day through the corridor, peak stranded trucks, backlog at
//! reopening, trade value halted per closed day) and the base-year totals (USD bn).
//! The regime chain and the `pakistan_crisis` shock are not swept: they only change random
//! closures (Monte Carlo), not the recorded closures replayed here.

#[allow(dead_code)]
#[path = "backtests.rs"]
mod backtests;

use backtests::{Episode, Simulated};
use chokepoint::closure::Target;
use chokepoint::sim::{Engine, Record};
use chokepoint::Scenario;

/// One swept parameter: how to read it and how to set it on a scenario.
struct Param {
    name: &'static str,
    /// (low, high); the shipped value is read from base.toml.
    range: (f64, f64),
    get: fn(&Scenario) -> Option<f64>,
    set: fn(&mut Scenario, f64),
}

fn product_perish<'a>(
    s: &'a mut Scenario,
    id: &str,
) -> Option<&'a mut chokepoint::network::Perishability> {
    s.products
        .iter_mut()
        .find(|p| p.id == id)
        .and_then(|p| p.perishability.as_mut())
}

fn link_mut<'a>(s: &'a mut Scenario, id: &str) -> Option<&'a mut chokepoint::network::Link> {
    s.links.iter_mut().find(|l| l.id == id)
}

/// The closures of a corridor whose capacity factor is near `cf` (identifies a sit-in).
fn closures_of<'a>(
    s: &'a mut Scenario,
    corridor: &str,
    pick: impl Fn(&chokepoint::closure::ClosureWindow, &Scenario) -> bool,
) -> Vec<&'a mut chokepoint::closure::ClosureWindow> {
    let Some(cid) = s.corridor(corridor) else {
        return Vec::new();
    };
    let snapshot = s.clone();
    s.closures
        .iter_mut()
        .filter(|w| w.target == Target::Corridor(cid) && pick(w, &snapshot))
        .collect()
}

fn is_sit_in(w: &chokepoint::closure::ClosureWindow) -> bool {
    (w.capacity_factor - 0.03).abs() < 1e-9
}

fn is_jamrud(w: &chokepoint::closure::ClosureWindow) -> bool {
    (w.capacity_factor - 0.17).abs() < 1e-9
}

fn is_chaman_2024(w: &chokepoint::closure::ClosureWindow, s: &Scenario) -> bool {
    s.date_of(w.start_day).to_string() == "2024-05-04"
}

fn params() -> Vec<Param> {
    vec![
        Param {
            name: "reaction_days",
            range: (2.0, 10.0),
            get: |s| Some(f64::from(s.settings.reaction_days)),
            set: |s, v| s.settings.reaction_days = v as u32,
        },
        Param {
            name: "queue_patience_days",
            range: (3.0, 14.0),
            get: |s| Some(f64::from(s.settings.queue_patience_days)),
            set: |s, v| s.settings.queue_patience_days = v as u32,
        },
        Param {
            name: "order_patience_days",
            range: (14.0, 60.0),
            get: |s| Some(f64::from(s.settings.order_patience_days)),
            set: |s, v| s.settings.order_patience_days = v as u32,
        },
        Param {
            name: "fresh_fruit loss_per_day",
            range: (0.03, 0.2),
            get: |s| {
                s.products
                    .iter()
                    .find(|p| p.id == "fresh_fruit")
                    .and_then(|p| p.perishability)
                    .map(|p| p.loss_per_day)
            },
            set: |s, v| {
                if let Some(p) = product_perish(s, "fresh_fruit") {
                    p.loss_per_day = v;
                }
            },
        },
        Param {
            name: "fresh_fruit grace_days",
            range: (1.0, 3.0),
            get: |s| {
                s.products
                    .iter()
                    .find(|p| p.id == "fresh_fruit")
                    .and_then(|p| p.perishability)
                    .map(|p| p.grace_days)
            },
            set: |s, v| {
                if let Some(p) = product_perish(s, "fresh_fruit") {
                    p.grace_days = v;
                }
            },
        },
        Param {
            // The driver of Chaman's normal flow: its freight (14 of the 24 USD/t is an
            // estimate for 240 km) against the other routes to Kandahar.
            name: "chaman_road cost_usd_per_t",
            range: (14.0, 50.0),
            get: |s| {
                s.links
                    .iter()
                    .find(|l| l.id == "chaman_road")
                    .map(|l| l.cost_usd_per_t)
            },
            set: |s, v| {
                if let Some(l) = link_mut(s, "chaman_road") {
                    l.cost_usd_per_t = v;
                }
            },
        },
        Param {
            // cal §1: 30-50 trucks/day under the document restrictions (S), i.e.
            // 1,250 t/day each way at 25 t, against the 1,200 trucks/day capacity shipped.
            name: "chaman_road capacity_t_per_day",
            range: (1250.0, 15000.0),
            get: |s| {
                s.links
                    .iter()
                    .find(|l| l.id == "chaman_road")
                    .map(|l| l.capacity_t_per_day)
            },
            set: |s, v| {
                if let Some(l) = link_mut(s, "chaman_road") {
                    l.capacity_t_per_day = v;
                }
            },
        },
        Param {
            name: "Chaman sit-in capacity factor",
            range: (0.0, 0.2),
            get: |_| Some(0.03),
            set: |s, v| {
                for w in closures_of(s, "chaman", |w, _| is_sit_in(w)) {
                    w.capacity_factor = v;
                }
            },
        },
        Param {
            name: "Chaman 2024 duration_days",
            range: (21.0, 60.0),
            get: |_| Some(21.0),
            set: |s, v| {
                for w in closures_of(s, "chaman", is_chaman_2024) {
                    w.duration_days = v as u32;
                }
            },
        },
        Param {
            name: "Jamrud sit-in capacity factor",
            range: (0.0, 0.3),
            get: |_| Some(0.17),
            set: |s, v| {
                for w in closures_of(s, "torkham", |w, _| is_jamrud(w)) {
                    w.capacity_factor = v;
                }
            },
        },
        Param {
            name: "Jamrud sit-in duration_days",
            range: (13.0, 30.0),
            get: |_| Some(13.0),
            set: |s, v| {
                for w in closures_of(s, "torkham", |w, _| is_jamrud(w)) {
                    w.duration_days = v as u32;
                }
            },
        },
    ]
}

/// Base-year totals, USD bn: exports, exports to PK, imports, imports from PK.
fn base_year(s: &Scenario) -> Result<[f64; 4], String> {
    let r = Engine::new(s)
        .and_then(|mut e| e.run(&s.closures, Record::Totals))
        .map_err(|e| format!("base.toml: {e}"))?;
    let by = &r.metrics.by_partner;
    let sum = |f: &dyn Fn(&str) -> bool| {
        by.iter()
            .filter(|(k, _)| f(k))
            .map(|(_, d)| d.usd)
            .sum::<f64>()
            / 1e9
    };
    Ok([
        sum(&|k| k.starts_with("AF->")),
        sum(&|k| k == "AF->PK"),
        sum(&|k| k.ends_with("->AF")),
        sum(&|k| k == "PK->AF"),
    ])
}

fn main() -> Result<(), String> {
    let quick = !std::env::args().any(|a| a == "--full");
    let all = backtests::episodes()?;
    let episodes: Vec<&Episode> = all
        .iter()
        .filter(|e| {
            !quick
                || ["chaman_2021_10", "torkham_2023_09", "torkham_2024_01"]
                    .contains(&e.stem().as_str())
        })
        .collect();
    let load =
        |p: std::path::PathBuf| Scenario::load(&p).map_err(|e| format!("{}: {e}", p.display()));
    let base = load(backtests::root().join("scenarios/afghanistan/base.toml"))?;
    let scenarios: Vec<Scenario> = episodes
        .iter()
        .map(|e| load(e.path.clone()))
        .collect::<Result<_, _>>()?;

    println!(
        "{:<32} {:>8}  {:<24} {:>8} {:>7} {:>8} {:>10}",
        "parameter", "value", "episode", "normal/d", "peak", "backlog", "halted/d $m"
    );
    for p in params() {
        let shipped = (p.get)(&base).ok_or_else(|| format!("{}: not in base.toml", p.name))?;
        for (tag, v) in [
            ("low", p.range.0),
            ("shipped", shipped),
            ("high", p.range.1),
        ] {
            if tag != "shipped" && (v - shipped).abs() < 1e-12 {
                continue;
            }
            let label = format!("{v} ({tag})");
            for (e, s0) in episodes.iter().zip(&scenarios) {
                let mut s = s0.clone();
                (p.set)(&mut s, v);
                let f: Simulated = backtests::simulate(&s, e)?;
                println!(
                    "{:<32} {:>8}  {:<24} {:>8.0} {:>7.0} {:>8.0} {:>10.2}",
                    p.name,
                    label,
                    e.name,
                    f.normal_trucks_per_day,
                    f.peak_trucks,
                    f.backlog_trucks,
                    f.halted_musd_per_day
                );
            }
            let mut s = base.clone();
            (p.set)(&mut s, v);
            let [x, xpk, m, mpk] = base_year(&s)?;
            println!(
                "{:<32} {:>8}  {:<24} exports {x:.3} (PK {xpk:.3}), imports {m:.3} (PK {mpk:.3}) bn",
                p.name, label, "base year 2024"
            );
        }
    }
    Ok(())
}
