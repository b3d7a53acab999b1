//! Monte Carlo output files, shard partial results and merging.
//!
//! Files of a finished study (`write_outputs`), all CSV in long format with units in
//! column names:
//!
//! | file | one row per | contents |
//! |---|---|---|
//! | `runs.csv` | run (wide: one column per metric) | run, seed, stream, closure windows simulated, every scalar metric, revenue lost per country |
//! | `corridors.csv` | run x corridor | closure days, delivered and counterfactual t and USD |
//! | `crossings.csv` | run x crossing | trade value halted (all, and while closed), closed days, peak stranded trucks, truck-days |
//! | `trade.csv` | run x product / partner | delivered and counterfactual t and USD |
//! | `welfare.csv` | run x country x side (buyer, seller) | welfare loss and lost trade, USD |
//! | `closures.csv` | run x closure window | target, start, duration, factor, ramp, label |
//! | `price_runs.csv` | run x price point whose price changed | peak and mean change, day of the peak, the counterfactual's mean price |
//! | `prices.csv` | price point | the distribution over runs of the peak price change (0 in a run where it did not change) |
//! | `summary.csv` | metric x statistic | value, ci_low, ci_high (see [`super::stats`]) |
//! | `exceedance.csv` | distinct total loss | runs at or above, AEP, return period |
//! | `daily_bands.csv` | day x series | p5, p50, p95, mean of stranded trucks and delivered USD |
//! | `convergence.csv` | checkpoint | mean total loss, its standard error and relative error |
//! | `manifest.json` | | what defines the study, and every file's checksum ([`crate::output::Manifest`]), written last |
//!
//! Every file is written to a temporary name in the same folder, then renamed;
//! `docs/outputs.md` lists every column with its unit.
//!
//! A shard (`write_partial`) writes the raw per-run tables `runs.csv`,
//! `corridors.csv`, `crossings.csv`, `trade.csv`, `welfare.csv`, `closures.csv`,
//! `price_runs.csv` and `daily_runs.csv`
//! (run x day) for its runs only, then `shard.json` (its manifest). Floats are printed in Rust's shortest round-trip form,
//! so [`merge`] reads back the exact bits and computes exactly what one process would
//! have: the merged files are byte-identical to a single run's.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::stats::{self, Stats};
use super::{ClosureRow, DailyRecord, Outcome, RunRecord};
use crate::output::create_dir;
use crate::output::manifest::{FileRecord, Manifest, MonteCarlo, Shard};
use crate::sim::{CorridorMetrics, CrossingMetrics, Delivered, PriceMetrics, RunMetrics};
use crate::study::output::{csv_bytes, write_with_manifest};
use crate::Error;

/// The raw per-run tables a shard keeps (and a merge reads).
pub const PARTIAL_FILES: [&str; 8] = [
    "runs.csv",
    "corridors.csv",
    "crossings.csv",
    "trade.csv",
    "welfare.csv",
    "closures.csv",
    "price_runs.csv",
    "daily_runs.csv",
];

/// Shortest round-trip text of a float (reads back to the same bits).
fn f(x: f64) -> String {
    format!("{x:?}")
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Fixed scalar columns of `runs.csv`, after run, seed, stream, closures.
const SCALARS: [&str; 17] = [
    "total_loss_usd",
    "welfare_loss_usd",
    "trade_value_halted_usd",
    "reroute_cost_usd",
    "delay_cost_usd",
    "spoilage_usd",
    "lost_trade_usd",
    "revenue_lost_usd",
    "peak_stranded_trucks",
    "stranded_truck_days",
    "days_to_recover",
    "runout_days",
    "runout_capped",
    "runout_open_t",
    "runout_open_usd",
    "demand_forgone_t",
    "demand_forgone_usd",
];

fn scalar(m: &RunMetrics, name: &str, countries: &[String]) -> Option<f64> {
    Some(match name {
        "total_loss_usd" => m.total_loss_usd,
        "welfare_loss_usd" => m.welfare_loss_usd,
        "trade_value_halted_usd" => m.trade_value_halted_usd,
        "reroute_cost_usd" => m.reroute_cost_usd,
        "delay_cost_usd" => m.delay_cost_usd,
        "spoilage_usd" => m.spoilage_usd,
        "lost_trade_usd" => m.lost_trade_usd,
        "revenue_lost_usd" => countries
            .iter()
            .map(|c| m.revenue_lost_usd.get(c).copied().unwrap_or(0.0))
            .sum(),
        "peak_stranded_trucks" => m.peak_stranded_trucks,
        "stranded_truck_days" => m.stranded_truck_days,
        "days_to_recover" => return m.days_to_recover.map(f64::from),
        "runout_days" => f64::from(m.runout_days),
        "runout_open_t" => m.runout_open_t,
        "runout_open_usd" => m.runout_open_usd,
        "demand_forgone_t" => m.demand_forgone_t,
        "demand_forgone_usd" => m.demand_forgone_usd,
        "runout_capped" => {
            if m.runout_capped {
                1.0
            } else {
                0.0
            }
        }
        _ => return None,
    })
}

fn revenue_column(country: &str) -> String {
    format!("revenue_lost_{country}_usd")
}

/// The metric columns of `runs.csv` among `columns` (the scalars and the revenue lost
/// per country), with `m`'s values (`None`: empty, e.g. no recovery).
pub(super) fn scalar_columns<'a>(
    m: &RunMetrics,
    columns: impl Iterator<Item = &'a String>,
) -> Vec<(String, Option<f64>)> {
    let mut out = Vec::new();
    for c in columns {
        if SCALARS.contains(&c.as_str()) {
            let countries: Vec<String> = m.revenue_lost_usd.keys().cloned().collect();
            out.push((c.clone(), scalar(m, c, &countries)));
        } else if let Some(country) = c
            .strip_prefix("revenue_lost_")
            .and_then(|x| x.strip_suffix("_usd"))
        {
            out.push((
                c.clone(),
                Some(m.revenue_lost_usd.get(country).copied().unwrap_or(0.0)),
            ));
        }
    }
    out
}

/// Countries with revenue lost in any run, sorted.
fn countries(records: &[RunRecord]) -> Vec<String> {
    let set: BTreeSet<&String> = records
        .iter()
        .flat_map(|r| r.metrics.revenue_lost_usd.keys())
        .collect();
    set.into_iter().cloned().collect()
}

/// A table of the raw per-run tables: its file name and how it is made.
type RawTable<'a> = (&'static str, Box<dyn Fn() -> Vec<u8> + Send + Sync + 'a>);

/// The raw per-run tables, as (file name, bytes), made side by side.
fn raw_tables(o: &Outcome, with_daily: bool) -> Result<Vec<(&'static str, Vec<u8>)>, Error> {
    use rayon::prelude::*;
    let start = parse_start(&o.manifest.window.start)?;
    let mut tables: Vec<RawTable<'_>> = vec![
        ("runs.csv", Box::new(|| runs_table(o))),
        ("corridors.csv", Box::new(|| corridors_table(o))),
        ("crossings.csv", Box::new(|| crossings_table(o))),
        ("trade.csv", Box::new(|| trade_table(o))),
        ("welfare.csv", Box::new(|| welfare_table(o))),
        ("closures.csv", Box::new(move || closures_table(o, start))),
        ("price_runs.csv", Box::new(|| price_runs_table(o))),
    ];
    if with_daily {
        tables.push(("daily_runs.csv", Box::new(|| daily_table(o))));
    }
    Ok(tables
        .par_iter()
        .map(|(name, make)| (*name, make()))
        .collect())
}

/// `runs.csv`: one row per run.
fn runs_table(o: &Outcome) -> Vec<u8> {
    let seed = o
        .manifest
        .montecarlo
        .as_ref()
        .map_or(0, |m| m.seed)
        .to_string();
    let countries = countries(&o.records);
    let mut header = strings(&["run", "seed", "stream", "closure_windows"]);
    header.extend(SCALARS.iter().map(|s| s.to_string()));
    header.extend(countries.iter().map(|c| revenue_column(c)));
    let rows = o.records.iter().map(|r| {
        let mut row = vec![
            r.run.to_string(),
            seed.clone(),
            r.run.to_string(),
            r.closures.len().to_string(),
        ];
        for s in SCALARS {
            row.push(match s {
                "days_to_recover" => r
                    .metrics
                    .days_to_recover
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                "runout_days" => r.metrics.runout_days.to_string(),
                "runout_capped" => u8::from(r.metrics.runout_capped).to_string(),
                _ => scalar(&r.metrics, s, &countries).map(f).unwrap_or_default(),
            });
        }
        for c in &countries {
            row.push(f(r.metrics.revenue_lost_usd.get(c).copied().unwrap_or(0.0)));
        }
        row
    });
    csv_bytes(&header, rows)
}

/// `corridors.csv`: one row per run and corridor.
fn corridors_table(o: &Outcome) -> Vec<u8> {
    let header = strings(&[
        "run",
        "corridor",
        "closure_days",
        "delivered_t",
        "delivered_usd",
        "counterfactual_t",
        "counterfactual_usd",
    ]);
    let rows = o.records.iter().flat_map(|r| {
        r.metrics.corridors.iter().map(move |c| {
            vec![
                r.run.to_string(),
                c.corridor.clone(),
                c.closure_days.to_string(),
                f(c.delivered_t),
                f(c.delivered_usd),
                f(c.counterfactual_t),
                f(c.counterfactual_usd),
            ]
        })
    });
    csv_bytes(&header, rows)
}

/// `crossings.csv`: one row per run and crossing link.
fn crossings_table(o: &Outcome) -> Vec<u8> {
    let header = strings(&[
        "run",
        "link",
        "trade_value_halted_usd",
        "halted_while_closed_usd",
        "closed_days",
        "peak_stranded_trucks",
        "stranded_truck_days",
    ]);
    let rows = o.records.iter().flat_map(|r| {
        r.metrics.crossings.iter().map(move |c| {
            vec![
                r.run.to_string(),
                c.link.clone(),
                f(c.trade_value_halted_usd),
                f(c.halted_while_closed_usd),
                c.closed_days.to_string(),
                f(c.peak_stranded_trucks),
                f(c.stranded_truck_days),
            ]
        })
    });
    csv_bytes(&header, rows)
}

/// `trade.csv`: one row per run and product or partner.
fn trade_table(o: &Outcome) -> Vec<u8> {
    let header = strings(&[
        "run",
        "by",
        "id",
        "delivered_t",
        "delivered_usd",
        "counterfactual_t",
        "counterfactual_usd",
    ]);
    let rows = o.records.iter().flat_map(|r| {
        let p = r.metrics.by_product.iter().map(|x| ("product", x));
        let q = r.metrics.by_partner.iter().map(|x| ("partner", x));
        p.chain(q).map(move |(by, (id, d))| {
            vec![
                r.run.to_string(),
                by.to_string(),
                id.clone(),
                f(d.t),
                f(d.usd),
                f(d.counterfactual_t),
                f(d.counterfactual_usd),
            ]
        })
    });
    csv_bytes(&header, rows)
}

/// `welfare.csv`: one row per run, country and side (buyer, then seller).
fn welfare_table(o: &Outcome) -> Vec<u8> {
    let header = strings(&[
        "run",
        "country",
        "side",
        "welfare_loss_usd",
        "lost_trade_usd",
    ]);
    let rows = o.records.iter().flat_map(|r| {
        let b = r.metrics.welfare_by_buyer.iter().map(|x| ("buyer", x));
        let s = r.metrics.welfare_by_seller.iter().map(|x| ("seller", x));
        b.chain(s).map(move |(side, (c, w))| {
            vec![
                r.run.to_string(),
                c.clone(),
                side.to_string(),
                f(w.welfare_loss_usd),
                f(w.lost_trade_usd),
            ]
        })
    });
    csv_bytes(&header, rows)
}

/// The columns of `price_runs.csv`.
const PRICE_RUNS_HEADER: [&str; 8] = [
    "run",
    "product",
    "node",
    "side",
    "counterfactual_mean_usd_per_t",
    "mean_change_usd_per_t",
    "peak_change_usd_per_t",
    "peak_day",
];

/// `price_runs.csv`: one row per run and price point whose price changed in it (the
/// others changed by 0; leaving them out keeps the table small).
fn price_runs_table(o: &Outcome) -> Vec<u8> {
    let rows = o.records.iter().flat_map(|r| {
        r.metrics
            .prices
            .iter()
            .filter(|q| q.peak_change_usd_per_t != 0.0)
            .map(move |q| {
                vec![
                    r.run.to_string(),
                    q.product.clone(),
                    q.node.clone(),
                    q.side.clone(),
                    f(q.counterfactual_mean_usd_per_t),
                    f(q.mean_change_usd_per_t),
                    f(q.peak_change_usd_per_t),
                    q.peak_day.map(|d| d.to_string()).unwrap_or_default(),
                ]
            })
    });
    csv_bytes(&strings(&PRICE_RUNS_HEADER), rows)
}

/// `prices.csv`: per price point that changed in any run (by product, side, node), the
/// distribution over all runs of its peak change (0 in the runs where it did not
/// change) and of its mean change.
fn prices_csv(o: &Outcome) -> Vec<u8> {
    /// (product, side, node).
    type Key = (String, String, String);
    /// The counterfactual's mean price, and (run position, peak change, mean change) of
    /// the runs in which it changed.
    type Changes = (f64, Vec<(usize, f64, f64)>);
    let mut points: BTreeMap<Key, Changes> = BTreeMap::new();
    for (i, r) in o.records.iter().enumerate() {
        for q in r
            .metrics
            .prices
            .iter()
            .filter(|q| q.peak_change_usd_per_t != 0.0)
        {
            let key = (q.product.clone(), q.side.clone(), q.node.clone());
            let e = points
                .entry(key)
                .or_insert_with(|| (q.counterfactual_mean_usd_per_t, Vec::new()));
            e.1.push((i, q.peak_change_usd_per_t, q.mean_change_usd_per_t));
        }
    }
    let header = strings(&[
        "product",
        "node",
        "side",
        "counterfactual_mean_usd_per_t",
        "runs",
        "runs_changed",
        "peak_change_mean_usd_per_t",
        "peak_change_min_usd_per_t",
        "peak_change_p5_usd_per_t",
        "peak_change_p50_usd_per_t",
        "peak_change_p95_usd_per_t",
        "peak_change_max_usd_per_t",
        "mean_change_mean_usd_per_t",
    ]);
    let n = o.records.len();
    let rows = points
        .into_iter()
        .map(|((product, side, node), (cf, changed))| {
            let mut peak = vec![0.0; n];
            let mut mean = vec![0.0; n];
            for &(i, p, m) in &changed {
                peak[i] = p;
                mean[i] = m;
            }
            let st = Stats::of(&peak);
            let sm = Stats::of(&mean);
            let g = |x: Option<f64>| x.map(f).unwrap_or_default();
            vec![
                product,
                node,
                side,
                f(cf),
                n.to_string(),
                changed.len().to_string(),
                g(st.as_ref().map(|s| s.mean)),
                g(st.as_ref().map(|s| s.min)),
                g(st.as_ref().map(|s| s.p5)),
                g(st.as_ref().map(|s| s.p50)),
                g(st.as_ref().map(|s| s.p95)),
                g(st.as_ref().map(|s| s.max)),
                g(sm.as_ref().map(|s| s.mean)),
            ]
        });
    csv_bytes(&header, rows)
}

/// `closures.csv`: one row per run and closure window (dates from the window's `start`).
fn closures_table(o: &Outcome, start: NaiveDate) -> Vec<u8> {
    let header = strings(&[
        "run",
        "target",
        "start_day",
        "start_date",
        "duration_days",
        "reopen_date",
        "capacity_factor",
        "ramp_days",
        "label",
    ]);
    let date = |d: i64| (start + chrono::Duration::days(d)).to_string();
    let rows = o.records.iter().flat_map(|r| {
        r.closures.iter().map(move |c| {
            vec![
                r.run.to_string(),
                c.target.clone(),
                c.start_day.to_string(),
                date(c.start_day),
                c.duration_days.to_string(),
                date(c.start_day + i64::from(c.duration_days)),
                f(c.capacity_factor),
                c.ramp_days.to_string(),
                c.label.clone(),
            ]
        })
    });
    csv_bytes(&header, rows)
}

/// `daily_runs.csv` (partial results only): the two daily series of every run.
fn daily_table(o: &Outcome) -> Vec<u8> {
    let header = strings(&["run", "day", "stranded_trucks", "delivered_usd"]);
    let rows = o.records.iter().flat_map(|r| {
        let d = r.daily.as_ref();
        let n = d.map_or(0, |d| d.stranded_trucks.len().max(d.delivered_usd.len()));
        (0..n).map(move |i| {
            let d = d.map(|d| (d.stranded_trucks.get(i), d.delivered_usd.get(i)));
            let (a, b) = d.unwrap_or((None, None));
            vec![
                r.run.to_string(),
                i.to_string(),
                a.copied().map(f).unwrap_or_default(),
                b.copied().map(f).unwrap_or_default(),
            ]
        })
    });
    csv_bytes(&header, rows)
}

fn parse_start(s: &str) -> Result<NaiveDate, Error> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| Error::Invalid(format!("manifest start date {s:?}: {e}")))
}

/// The Monte Carlo settings of a manifest (an error for a manifest of another command).
fn settings(m: &Manifest) -> Result<&MonteCarlo, Error> {
    m.montecarlo.as_ref().ok_or_else(|| {
        Error::Invalid(format!(
            "a manifest of command {:?} has no Monte Carlo settings",
            m.command
        ))
    })
}

fn shard_of(m: &Manifest) -> Option<Shard> {
    m.montecarlo.as_ref().and_then(|m| m.shard)
}

/// Write the files of a finished study (see the module docs) into `dir` (created if
/// needed). Everything written is a function of `outcome` alone.
pub fn write_outputs(dir: &Path, outcome: &Outcome) -> Result<(), Error> {
    write_outputs_with(dir, outcome, Vec::new())
}

/// [`write_outputs`], with `extra` files of the study (e.g. the controlled estimates of
/// `montecarlo::controlled`) written beside the others and listed in the manifest.
pub fn write_outputs_with(
    dir: &Path,
    outcome: &Outcome,
    extra: Vec<(&'static str, Vec<u8>)>,
) -> Result<(), Error> {
    settings(&outcome.manifest)?;
    if shard_of(&outcome.manifest).is_some() {
        return Err(Error::Invalid(
            "a shard's result is partial: write it with write_partial and merge the shards".into(),
        ));
    }
    create_dir(dir)?;
    // The per-run tables and the statistics are independent: make them side by side.
    let (raw, stats) = rayon::join(
        || raw_tables(outcome, false),
        || -> Result<Vec<(&'static str, Vec<u8>)>, Error> {
            Ok(vec![
                ("summary.csv", summary_csv(outcome)),
                ("exceedance.csv", exceedance_csv(outcome)),
                ("daily_bands.csv", bands_csv(outcome)?),
                ("convergence.csv", convergence_csv(outcome)),
                ("prices.csv", prices_csv(outcome)),
            ])
        },
    );
    let mut files = raw?;
    files.extend(stats?);
    files.extend(extra);
    write_with_manifest(dir, files, &outcome.manifest, "manifest.json")
}

/// Write a shard's partial result into `dir`: `shard.json` and the raw tables.
pub fn write_partial(dir: &Path, outcome: &Outcome) -> Result<(), Error> {
    settings(&outcome.manifest)?;
    if shard_of(&outcome.manifest).is_none() {
        return Err(Error::Invalid(
            "write_partial is for a shard's result (Config::shard)".into(),
        ));
    }
    create_dir(dir)?;
    // The manifest last: its presence marks a complete shard.
    write_with_manifest(
        dir,
        raw_tables(outcome, true)?,
        &outcome.manifest,
        "shard.json",
    )
}

pub use crate::output::{write_timing, Timing};

/// One metric's values over runs, for the summary.
struct Series {
    name: String,
    values: Vec<f64>,
}

fn summary_series(o: &Outcome) -> Vec<Series> {
    let countries = countries(&o.records);
    let mut out = vec![Series {
        name: "closure_windows".into(),
        values: o.records.iter().map(|r| r.closures.len() as f64).collect(),
    }];
    for s in SCALARS {
        out.push(Series {
            name: s.to_string(),
            values: o
                .records
                .iter()
                .filter_map(|r| scalar(&r.metrics, s, &countries))
                .collect(),
        });
    }
    for c in &countries {
        out.push(Series {
            name: revenue_column(c),
            values: o
                .records
                .iter()
                .map(|r| r.metrics.revenue_lost_usd.get(c).copied().unwrap_or(0.0))
                .collect(),
        });
    }
    // Per corridor, crossing and product, in order of first appearance.
    let mut keyed: Vec<(String, Vec<f64>)> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut push = |name: String, v: f64| {
        let i = *index.entry(name.clone()).or_insert_with(|| {
            keyed.push((name, Vec::new()));
            keyed.len() - 1
        });
        keyed[i].1.push(v);
    };
    for r in &o.records {
        for c in &r.metrics.corridors {
            push(
                format!("corridor:{}:closure_days", c.corridor),
                f64::from(c.closure_days),
            );
            push(
                format!("corridor:{}:delivered_t", c.corridor),
                c.delivered_t,
            );
        }
        for c in &r.metrics.crossings {
            push(
                format!("crossing:{}:peak_stranded_trucks", c.link),
                c.peak_stranded_trucks,
            );
            push(
                format!("crossing:{}:stranded_truck_days", c.link),
                c.stranded_truck_days,
            );
        }
        for (p, d) in &r.metrics.by_product {
            push(format!("product:{p}:delivered_usd"), d.usd);
        }
        for (side, map) in [
            ("buyer", &r.metrics.welfare_by_buyer),
            ("seller", &r.metrics.welfare_by_seller),
        ] {
            for (c, w) in map {
                push(format!("{side}:{c}:welfare_loss_usd"), w.welfare_loss_usd);
            }
        }
        for (p, d) in &r.metrics.by_partner {
            push(format!("partner:{p}:delivered_usd"), d.usd);
        }
    }
    out.extend(
        keyed
            .into_iter()
            .map(|(name, values)| Series { name, values }),
    );
    out
}

fn summary_csv(o: &Outcome) -> Vec<u8> {
    let header = strings(&["metric", "statistic", "value", "ci_low", "ci_high"]);
    let mut rows = Vec::new();
    for s in summary_series(o) {
        let Some(st) = Stats::of(&s.values) else {
            rows.push(vec![
                s.name,
                "n".into(),
                "0".into(),
                String::new(),
                String::new(),
            ]);
            continue;
        };
        let m = &s.name;
        let row = |stat: &str, v: String| {
            vec![m.clone(), stat.to_string(), v, String::new(), String::new()]
        };
        rows.push(row("n", st.n.to_string()));
        rows.push(vec![
            m.clone(),
            "mean".into(),
            f(st.mean),
            f(st.ci_low),
            f(st.ci_high),
        ]);
        rows.push(row("se", f(st.se)));
        rows.push(row("relative_error", f(st.relative_error())));
        rows.push(row("sd", f(st.sd)));
        rows.push(row("min", f(st.min)));
        rows.push(row("p5", f(st.p5)));
        rows.push(row("p50", f(st.p50)));
        rows.push(row("p95", f(st.p95)));
        rows.push(row("p99", f(st.p99)));
        rows.push(row("max", f(st.max)));
        rows.push(row("var95", f(st.p95)));
        rows.push(row("tvar95", f(st.tvar95)));
        rows.push(row("var99", f(st.p99)));
        rows.push(row("tvar99", f(st.tvar99)));
    }
    csv_bytes(&header, rows)
}

fn total_losses(o: &Outcome) -> Vec<f64> {
    o.records.iter().map(|r| r.metrics.total_loss_usd).collect()
}

fn exceedance_csv(o: &Outcome) -> Vec<u8> {
    let header = strings(&[
        "total_loss_usd",
        "runs_at_or_above",
        "annual_exceedance_probability",
        "return_period_years",
    ]);
    let rows = stats::exceedance_curve(&total_losses(o))
        .into_iter()
        .map(|p| {
            vec![
                f(p.loss_usd),
                p.runs_at_or_above.to_string(),
                f(p.aep),
                f(p.return_period_years),
            ]
        });
    csv_bytes(&header, rows)
}

fn bands_csv(o: &Outcome) -> Result<Vec<u8>, Error> {
    let start = parse_start(&o.manifest.window.start)?;
    let header = strings(&["day", "date", "series", "p5", "p50", "p95", "mean"]);
    let daily: Vec<&DailyRecord> = o.records.iter().filter_map(|r| r.daily.as_ref()).collect();
    let mut rows = Vec::new();
    let trucks: Vec<&[f64]> = daily.iter().map(|d| d.stranded_trucks.as_slice()).collect();
    let usd: Vec<&[f64]> = daily.iter().map(|d| d.delivered_usd.as_slice()).collect();
    for (name, series) in [("stranded_trucks", trucks), ("delivered_usd", usd)] {
        for (day, b) in stats::daily_bands(&series).into_iter().enumerate() {
            rows.push(vec![
                day.to_string(),
                (start + chrono::Duration::days(day as i64)).to_string(),
                name.to_string(),
                f(b.p5),
                f(b.p50),
                f(b.p95),
                f(b.mean),
            ]);
        }
    }
    Ok(csv_bytes(&header, rows))
}

fn convergence_csv(o: &Outcome) -> Vec<u8> {
    let header = strings(&[
        "runs",
        "mean_total_loss_usd",
        "se_usd",
        "ci_low_usd",
        "ci_high_usd",
        "relative_error",
    ]);
    let rows = stats::convergence(&total_losses(o)).into_iter().map(|p| {
        vec![
            p.runs.to_string(),
            f(p.mean),
            f(p.se),
            f(p.mean - stats::Z95 * p.se),
            f(p.mean + stats::Z95 * p.se),
            f(p.relative_error),
        ]
    });
    csv_bytes(&header, rows)
}

// ---------------------------------------------------------------- reading and merging

/// A CSV file read as text: its header and rows, with the path for messages.
struct Table {
    path: PathBuf,
    header: Vec<String>,
    rows: Vec<(u64, Vec<String>)>, // (1-based line, cells)
}

impl Table {
    fn read(path: &Path) -> Result<Table, Error> {
        let bytes = fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut r = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
        let bad = |line: u64, e: String| Error::Invalid(format!("{}:{line}: {e}", path.display()));
        let header: Vec<String> = r
            .headers()
            .map_err(|e| bad(1, e.to_string()))?
            .iter()
            .map(String::from)
            .collect();
        let mut rows = Vec::new();
        for rec in r.records() {
            let rec = rec.map_err(|e| bad(0, e.to_string()))?;
            let line = rec.position().map_or(0, |p| p.line());
            rows.push((line, rec.iter().map(String::from).collect()));
        }
        Ok(Table {
            path: path.to_path_buf(),
            header,
            rows,
        })
    }

    fn col(&self, name: &str) -> Result<usize, Error> {
        self.header.iter().position(|h| h == name).ok_or_else(|| {
            Error::Invalid(format!(
                "{}: missing column {name:?} (is this a shard's partial result?)",
                self.path.display()
            ))
        })
    }

    fn err(&self, line: u64, what: String) -> Error {
        Error::Invalid(format!("{}:{line}: {what}", self.path.display()))
    }

    fn num<T: std::str::FromStr>(&self, line: u64, cells: &[String], i: usize) -> Result<T, Error> {
        let s = cells.get(i).map(String::as_str).unwrap_or("");
        s.parse().map_err(|_| {
            self.err(
                line,
                format!("column {:?}: {s:?} is not a valid number", self.header[i]),
            )
        })
    }

    fn opt_num<T: std::str::FromStr>(
        &self,
        line: u64,
        cells: &[String],
        i: usize,
    ) -> Result<Option<T>, Error> {
        match cells.get(i).map(String::as_str) {
            None | Some("") => Ok(None),
            Some(_) => self.num(line, cells, i).map(Some),
        }
    }
}

/// Read a shard's manifest (`shard.json`) and check that its files are those it lists.
fn read_shard_manifest(dir: &Path) -> Result<(Manifest, Shard), Error> {
    let mpath = dir.join("shard.json");
    if !mpath.is_file() {
        let hint = if dir.join("manifest.json").is_file() {
            "it holds a finished study, not a shard"
        } else {
            "no shard.json: not a shard's partial result, or an unfinished one"
        };
        return Err(Error::Invalid(format!(
            "{}: {hint}; merge takes the folders of shards 1/n..n/n",
            dir.display()
        )));
    }
    let manifest = Manifest::read(&mpath)?;
    let shard = shard_of(&manifest).ok_or_else(|| {
        Error::Invalid(format!("{}: the manifest names no shard", mpath.display()))
    })?;
    for f in &manifest.files {
        let now = FileRecord::of_file(dir, &f.name)?;
        if now.sha256 != f.sha256 {
            return Err(Error::Invalid(format!(
                "{}: its checksum is not the one {} records: the file changed after the \
                 shard was written",
                dir.join(&f.name).display(),
                mpath.display()
            )));
        }
    }
    Ok((manifest, shard))
}

/// Read one shard's partial result, whose manifest is `manifest`.
fn read_partial(dir: &Path, manifest: Manifest, shard: Shard) -> Result<Outcome, Error> {
    let total_runs = settings(&manifest)?.runs;

    let mut records: BTreeMap<u64, RunRecord> = BTreeMap::new();
    let runs = Table::read(&dir.join("runs.csv"))?;
    let run_col = runs.col("run")?;
    let ncl = runs.col("closure_windows")?;
    let mut scalar_cols = Vec::new();
    for s in SCALARS {
        scalar_cols.push((s, runs.col(s)?));
    }
    let rev_cols: Vec<(String, usize)> = runs
        .header
        .iter()
        .enumerate()
        .filter_map(|(i, h)| {
            h.strip_prefix("revenue_lost_")
                .and_then(|r| r.strip_suffix("_usd"))
                .filter(|c| !c.is_empty())
                .map(|c| (c.to_string(), i))
        })
        .collect();
    let mut expected_closures = BTreeMap::new();
    for (line, cells) in &runs.rows {
        let run: u64 = runs.num(*line, cells, run_col)?;
        if !shard.contains(run) || run >= total_runs {
            return Err(runs.err(*line, format!("run {run} does not belong to shard {shard}")));
        }
        let mut m = RunMetrics::default();
        for (s, i) in &scalar_cols {
            match *s {
                "days_to_recover" => m.days_to_recover = runs.opt_num(*line, cells, *i)?,
                "revenue_lost_usd" => {}
                _ => {
                    let v: f64 = runs.num(*line, cells, *i)?;
                    match *s {
                        "total_loss_usd" => m.total_loss_usd = v,
                        "welfare_loss_usd" => m.welfare_loss_usd = v,
                        "trade_value_halted_usd" => m.trade_value_halted_usd = v,
                        "reroute_cost_usd" => m.reroute_cost_usd = v,
                        "delay_cost_usd" => m.delay_cost_usd = v,
                        "spoilage_usd" => m.spoilage_usd = v,
                        "lost_trade_usd" => m.lost_trade_usd = v,
                        "peak_stranded_trucks" => m.peak_stranded_trucks = v,
                        "stranded_truck_days" => m.stranded_truck_days = v,
                        "runout_days" => m.runout_days = v as u32,
                        "runout_capped" => m.runout_capped = v != 0.0,
                        "runout_open_t" => m.runout_open_t = v,
                        "runout_open_usd" => m.runout_open_usd = v,
                        "demand_forgone_t" => m.demand_forgone_t = v,
                        "demand_forgone_usd" => m.demand_forgone_usd = v,
                        _ => {}
                    }
                }
            }
        }
        for (c, i) in &rev_cols {
            m.revenue_lost_usd
                .insert(c.clone(), runs.num(*line, cells, *i)?);
        }
        expected_closures.insert(run, runs.num::<usize>(*line, cells, ncl)?);
        let rec = RunRecord {
            run,
            closures: Vec::new(),
            metrics: m,
            daily: None,
        };
        if records.insert(run, rec).is_some() {
            return Err(runs.err(*line, format!("run {run} appears twice")));
        }
    }

    let t = Table::read(&dir.join("corridors.csv"))?;
    let c = [
        t.col("run")?,
        t.col("corridor")?,
        t.col("closure_days")?,
        t.col("delivered_t")?,
        t.col("delivered_usd")?,
        t.col("counterfactual_t")?,
        t.col("counterfactual_usd")?,
    ];
    for (line, cells) in &t.rows {
        let run: u64 = t.num(*line, cells, c[0])?;
        let m = CorridorMetrics {
            corridor: cells.get(c[1]).cloned().unwrap_or_default(),
            closure_days: t.num(*line, cells, c[2])?,
            delivered_t: t.num(*line, cells, c[3])?,
            delivered_usd: t.num(*line, cells, c[4])?,
            counterfactual_t: t.num(*line, cells, c[5])?,
            counterfactual_usd: t.num(*line, cells, c[6])?,
        };
        record(&t, *line, &mut records, run)?
            .metrics
            .corridors
            .push(m);
    }

    let t = Table::read(&dir.join("crossings.csv"))?;
    let c = [
        t.col("run")?,
        t.col("link")?,
        t.col("trade_value_halted_usd")?,
        t.col("halted_while_closed_usd")?,
        t.col("closed_days")?,
        t.col("peak_stranded_trucks")?,
        t.col("stranded_truck_days")?,
    ];
    for (line, cells) in &t.rows {
        let run: u64 = t.num(*line, cells, c[0])?;
        let m = CrossingMetrics {
            link: cells.get(c[1]).cloned().unwrap_or_default(),
            trade_value_halted_usd: t.num(*line, cells, c[2])?,
            halted_while_closed_usd: t.num(*line, cells, c[3])?,
            closed_days: t.num(*line, cells, c[4])?,
            peak_stranded_trucks: t.num(*line, cells, c[5])?,
            stranded_truck_days: t.num(*line, cells, c[6])?,
        };
        record(&t, *line, &mut records, run)?
            .metrics
            .crossings
            .push(m);
    }

    let t = Table::read(&dir.join("welfare.csv"))?;
    let c = [
        t.col("run")?,
        t.col("country")?,
        t.col("side")?,
        t.col("welfare_loss_usd")?,
        t.col("lost_trade_usd")?,
    ];
    for (line, cells) in &t.rows {
        let run: u64 = t.num(*line, cells, c[0])?;
        let w = crate::sim::CountryWelfare {
            welfare_loss_usd: t.num(*line, cells, c[3])?,
            lost_trade_usd: t.num(*line, cells, c[4])?,
        };
        let country = cells.get(c[1]).cloned().unwrap_or_default();
        let side = cells.get(c[2]).map(String::as_str).unwrap_or("");
        let m = &mut record(&t, *line, &mut records, run)?.metrics;
        match side {
            "buyer" => m.welfare_by_buyer.insert(country, w),
            "seller" => m.welfare_by_seller.insert(country, w),
            _ => {
                return Err(t.err(
                    *line,
                    format!("column \"side\": {side:?}, expected \"buyer\" or \"seller\""),
                ))
            }
        };
    }

    let t = Table::read(&dir.join("trade.csv"))?;
    let c = [
        t.col("run")?,
        t.col("by")?,
        t.col("id")?,
        t.col("delivered_t")?,
        t.col("delivered_usd")?,
        t.col("counterfactual_t")?,
        t.col("counterfactual_usd")?,
    ];
    for (line, cells) in &t.rows {
        let run: u64 = t.num(*line, cells, c[0])?;
        let d = Delivered {
            t: t.num(*line, cells, c[3])?,
            usd: t.num(*line, cells, c[4])?,
            counterfactual_t: t.num(*line, cells, c[5])?,
            counterfactual_usd: t.num(*line, cells, c[6])?,
        };
        let id = cells.get(c[2]).cloned().unwrap_or_default();
        let by = cells.get(c[1]).map(String::as_str).unwrap_or("");
        let m = &mut record(&t, *line, &mut records, run)?.metrics;
        match by {
            "product" => m.by_product.insert(id, d),
            "partner" => m.by_partner.insert(id, d),
            _ => {
                return Err(t.err(
                    *line,
                    format!("column \"by\": {by:?}, expected \"product\" or \"partner\""),
                ))
            }
        };
    }

    let t = Table::read(&dir.join("closures.csv"))?;
    let c = [
        t.col("run")?,
        t.col("target")?,
        t.col("start_day")?,
        t.col("duration_days")?,
        t.col("capacity_factor")?,
        t.col("ramp_days")?,
        t.col("label")?,
    ];
    for (line, cells) in &t.rows {
        let run: u64 = t.num(*line, cells, c[0])?;
        let row = ClosureRow {
            target: cells.get(c[1]).cloned().unwrap_or_default(),
            start_day: t.num(*line, cells, c[2])?,
            duration_days: t.num(*line, cells, c[3])?,
            capacity_factor: t.num(*line, cells, c[4])?,
            ramp_days: t.num(*line, cells, c[5])?,
            label: cells.get(c[6]).cloned().unwrap_or_default(),
        };
        record(&t, *line, &mut records, run)?.closures.push(row);
    }

    let t = Table::read(&dir.join("price_runs.csv"))?;
    let c = PRICE_RUNS_HEADER.map(|h| t.col(h));
    let [run_c, product, node, side, cf, mean, peak, day] = c;
    let (run_c, product, node, side) = (run_c?, product?, node?, side?);
    let (cf, mean, peak, day) = (cf?, mean?, peak?, day?);
    for (line, cells) in &t.rows {
        let run: u64 = t.num(*line, cells, run_c)?;
        let q = PriceMetrics {
            product: cells.get(product).cloned().unwrap_or_default(),
            node: cells.get(node).cloned().unwrap_or_default(),
            side: cells.get(side).cloned().unwrap_or_default(),
            counterfactual_mean_usd_per_t: t.num(*line, cells, cf)?,
            mean_change_usd_per_t: t.num(*line, cells, mean)?,
            peak_change_usd_per_t: t.num(*line, cells, peak)?,
            peak_day: t.opt_num(*line, cells, day)?,
        };
        record(&t, *line, &mut records, run)?.metrics.prices.push(q);
    }

    let t = Table::read(&dir.join("daily_runs.csv"))?;
    let c = [
        t.col("run")?,
        t.col("day")?,
        t.col("stranded_trucks")?,
        t.col("delivered_usd")?,
    ];
    for (line, cells) in &t.rows {
        let run: u64 = t.num(*line, cells, c[0])?;
        let day: usize = t.num(*line, cells, c[1])?;
        let a: Option<f64> = t.opt_num(*line, cells, c[2])?;
        let b: Option<f64> = t.opt_num(*line, cells, c[3])?;
        let d = record(&t, *line, &mut records, run)?
            .daily
            .get_or_insert_with(DailyRecord::default);
        if let Some(a) = a {
            if d.stranded_trucks.len() != day {
                return Err(t.err(*line, format!("day {day} out of order")));
            }
            d.stranded_trucks.push(a);
        }
        if let Some(b) = b {
            if d.delivered_usd.len() != day {
                return Err(t.err(*line, format!("day {day} out of order")));
            }
            d.delivered_usd.push(b);
        }
    }

    for (run, n) in expected_closures {
        let got = records.get(&run).map_or(0, |r| r.closures.len());
        if got != n {
            return Err(Error::Invalid(format!(
                "{}: run {run} has {got} closures in closures.csv but runs.csv says {n}",
                dir.display()
            )));
        }
    }
    Ok(Outcome {
        manifest,
        records: records.into_values().collect(),
    })
}

fn record<'a>(
    t: &Table,
    line: u64,
    records: &'a mut BTreeMap<u64, RunRecord>,
    run: u64,
) -> Result<&'a mut RunRecord, Error> {
    records
        .get_mut(&run)
        .ok_or_else(|| t.err(line, format!("run {run} is not in runs.csv")))
}

/// Merge the partial results of shards `1/n ..= n/n` (in any order) into the outcome one
/// process would have produced. The shards' manifests must agree in every field but the
/// shard and the files: an error names the first field that differs and the folders.
/// A missing or repeated shard is an error too.
pub fn merge(dirs: &[PathBuf]) -> Result<Outcome, Error> {
    let first_dir = dirs
        .first()
        .ok_or_else(|| Error::Invalid("merge needs the folders of shards 1/n..n/n".into()))?;
    // Every manifest first (cheap): refuse a mix before reading any table.
    let mut manifests = Vec::new();
    for d in dirs {
        manifests.push((d, read_shard_manifest(d)?));
    }
    let (first, first_shard) = manifests[0].1.clone();
    let n = first_shard.n();
    let mut seen: BTreeMap<u64, &PathBuf> = BTreeMap::new();
    for (d, (m, s)) in &manifests {
        if let Some(diff) = first.first_difference(m, &["montecarlo.shard", "files"]) {
            return Err(Error::Invalid(format!(
                "{} and {} are shards of different studies: their shard.json differ in {diff}; \
                 merge only the shards of one study",
                first_dir.display(),
                d.display()
            )));
        }
        if s.n() != n {
            return Err(Error::Invalid(format!(
                "{} is shard {s} but {} is shard {first_shard}: the shards of one study \
                 share their n",
                d.display(),
                first_dir.display()
            )));
        }
        if let Some(prev) = seen.insert(s.k(), d) {
            return Err(Error::Invalid(format!(
                "shard {s} appears twice: {} and {}",
                prev.display(),
                d.display()
            )));
        }
    }
    let missing: Vec<String> = (1..=n)
        .filter(|k| !seen.contains_key(k))
        .map(|k| format!("{k}/{n}"))
        .collect();
    if !missing.is_empty() {
        return Err(Error::Invalid(format!(
            "missing shard(s) {}: merge needs all {n} shards",
            missing.join(", ")
        )));
    }
    let mut records: Vec<RunRecord> = Vec::new();
    for (d, (m, s)) in manifests {
        records.extend(read_partial(d, m, s)?.records);
    }
    let mut manifest = first;
    manifest.files.clear();
    let runs = {
        let mc = manifest.montecarlo.as_mut().ok_or_else(|| {
            Error::Invalid("a shard manifest without Monte Carlo settings".into())
        })?;
        mc.shard = None;
        mc.runs
    };
    records.sort_by_key(|r| r.run);
    for (i, r) in records.iter().enumerate() {
        if r.run != i as u64 {
            return Err(Error::Invalid(format!(
                "the shards do not hold runs 0..{runs}: run {i} is missing"
            )));
        }
    }
    if records.len() as u64 != runs {
        return Err(Error::Invalid(format!(
            "the shards hold {} runs, the study has {runs}",
            records.len(),
        )));
    }
    Ok(Outcome { manifest, records })
}
