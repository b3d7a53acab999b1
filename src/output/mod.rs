//! Outputs: CSV tables in long format, manifests, output folders, atomic file writes.
//!
//! Every file is written to a temporary name in its folder and renamed when complete, so
//! a run that fails or is stopped never leaves a partial file that looks complete; the
//! manifest ([`Manifest`]) is written last, so a folder without one is unfinished.
//! Output folders are checked before any work ([`folder::prepare`]). `docs/outputs.md`
//! lists every file with its columns and units.

pub mod folder;
pub(crate) mod html;
pub mod manifest;

pub use manifest::{FileRecord, Manifest, Shard};

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use crate::error::Error;
use crate::scenario::Scenario;
use crate::sim::{DailySeries, RunMetrics};

fn io_err(path: &Path, source: io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Write a file atomically: `fill` writes into a hidden temporary file beside `path`
/// (`.NAME.tmpPID`, so concurrent processes writing into one folder cannot collide),
/// which is renamed onto `path` only when `fill` succeeded. On failure the temporary
/// file is removed and `path` is left as it was.
pub fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Error> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let Some(name) = path.file_name() else {
        return Err(Error::Invalid(format!(
            "{}: not a file name to write to",
            path.display()
        )));
    };
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let file = fs::File::create(&tmp)?;
        let mut w = io::BufWriter::new(file);
        fill(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(path, e));
    }
    Ok(())
}

/// Write bytes to a file atomically (see [`write_atomic`]).
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_atomic(path, |w| w.write_all(bytes))
}

/// Create an output folder (and its parents).
pub fn create_dir(dir: &Path) -> Result<(), Error> {
    fs::create_dir_all(dir).map_err(|e| io_err(dir, e))
}

/// Write a CSV file atomically from a header and rows.
pub fn write_csv<I, R>(path: &Path, header: &[&str], rows: I) -> Result<(), Error>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    write_atomic(path, |w| {
        let mut csv = csv::Writer::from_writer(w);
        csv.write_record(header)?;
        for row in rows {
            csv.write_record(row)?;
        }
        csv.flush()?;
        Ok(())
    })
}

pub use crate::study::output::num;

/// The metrics of one run in long format: `scope,id,metric,value`, with units in the
/// metric names. Scopes: `total`, `country` (revenue lost), `crossing`, `corridor`,
/// `product`, `partner`, and the price points `market` and `farm_gate` (id
/// `PRODUCT@NODE`).
pub fn metrics_rows(m: &RunMetrics) -> Vec<[String; 4]> {
    let mut rows = Vec::new();
    let mut push = |scope: &str, id: &str, metric: &str, v: f64| {
        rows.push([
            scope.to_string(),
            id.to_string(),
            metric.to_string(),
            num(v),
        ]);
    };
    for x in crate::study::metrics::of(crate::study::metrics::Study::Run) {
        push("total", "", x.name, (x.value)(m).unwrap_or(f64::NAN));
    }
    for (c, v) in &m.revenue_lost_usd {
        push("country", c, "revenue_lost_usd", *v);
    }
    for c in &m.crossings {
        push(
            "crossing",
            &c.link,
            "trade_value_halted_usd",
            c.trade_value_halted_usd,
        );
        push(
            "crossing",
            &c.link,
            "halted_while_closed_usd",
            c.halted_while_closed_usd,
        );
        push("crossing", &c.link, "closed_days", f64::from(c.closed_days));
        push(
            "crossing",
            &c.link,
            "peak_stranded_trucks",
            c.peak_stranded_trucks,
        );
        push(
            "crossing",
            &c.link,
            "stranded_truck_days",
            c.stranded_truck_days,
        );
    }
    for c in &m.corridors {
        push(
            "corridor",
            &c.corridor,
            "closure_days",
            f64::from(c.closure_days),
        );
        push("corridor", &c.corridor, "delivered_t", c.delivered_t);
        push("corridor", &c.corridor, "delivered_usd", c.delivered_usd);
        push(
            "corridor",
            &c.corridor,
            "counterfactual_t",
            c.counterfactual_t,
        );
        push(
            "corridor",
            &c.corridor,
            "counterfactual_usd",
            c.counterfactual_usd,
        );
    }
    for (scope, map) in [("product", &m.by_product), ("partner", &m.by_partner)] {
        for (id, d) in map {
            push(scope, id, "delivered_t", d.t);
            push(scope, id, "delivered_usd", d.usd);
            push(scope, id, "counterfactual_t", d.counterfactual_t);
            push(scope, id, "counterfactual_usd", d.counterfactual_usd);
        }
    }
    for q in &m.prices {
        let id = format!("{}@{}", q.product, q.node);
        push(
            &q.side,
            &id,
            "counterfactual_mean_usd_per_t",
            q.counterfactual_mean_usd_per_t,
        );
        push(
            &q.side,
            &id,
            "mean_change_usd_per_t",
            q.mean_change_usd_per_t,
        );
        push(
            &q.side,
            &id,
            "peak_change_usd_per_t",
            q.peak_change_usd_per_t,
        );
        push(
            &q.side,
            &id,
            "peak_day",
            q.peak_day.map_or(f64::NAN, f64::from),
        );
    }
    rows
}

/// Day `day`'s date and phase (`window`, or `runout` after the window) in `d`.
fn day_stamp(scenario: &Scenario, d: &DailySeries, day: usize) -> (String, &'static str) {
    let date = scenario.date_of(day as i64).to_string();
    let phase = if day < d.window_days as usize {
        "window"
    } else {
        "runout"
    };
    (date, phase)
}

/// Daily prices in long format: `day,date,phase,product,node,side,price_usd_per_t,
/// counterfactual_usd_per_t,change_usd_per_t` (see [`PRICES_HEADER`]).
pub fn price_rows(scenario: &Scenario, d: &DailySeries) -> Vec<[String; 9]> {
    let mut rows = Vec::new();
    let days = d.stranded_trucks.len();
    for day in 0..days {
        let (date, phase) = day_stamp(scenario, d, day);
        for q in &d.prices {
            let (Some(&r), Some(&c)) = (
                q.price_usd_per_t.get(day),
                q.counterfactual_usd_per_t.get(day),
            ) else {
                continue;
            };
            rows.push([
                day.to_string(),
                date.clone(),
                phase.to_string(),
                q.product.clone(),
                q.node.clone(),
                q.side.clone(),
                num(r),
                num(c),
                num(r - c),
            ]);
        }
    }
    rows
}

/// The columns of `prices.csv`.
pub const PRICES_HEADER: [&str; 9] = [
    "day",
    "date",
    "phase",
    "product",
    "node",
    "side",
    "price_usd_per_t",
    "counterfactual_usd_per_t",
    "change_usd_per_t",
];

/// Daily series in long format: `day,date,scope,id,metric,value`.
pub fn daily_rows(scenario: &Scenario, d: &DailySeries) -> Vec<[String; 7]> {
    let mut rows = Vec::new();
    let days = d.stranded_trucks.len();
    for day in 0..days {
        let (date, phase) = day_stamp(scenario, d, day);
        let mut push = |scope: &str, id: &str, metric: &str, v: f64| {
            rows.push([
                day.to_string(),
                date.clone(),
                phase.to_string(),
                scope.to_string(),
                id.to_string(),
                metric.to_string(),
                num(v),
            ]);
        };
        push("total", "", "stranded_trucks", d.stranded_trucks[day]);
        push("total", "", "delivered_usd", d.delivered_usd[day]);
        if let Some(v) = d.counterfactual_delivered_usd.get(day) {
            push("total", "", "counterfactual_delivered_usd", *v);
        }
        for c in &d.corridors {
            push(
                "corridor",
                &c.corridor,
                "capacity_factor",
                c.capacity_factor[day],
            );
            push("corridor", &c.corridor, "flow_t", c.flow_t[day]);
            push("corridor", &c.corridor, "queue_trucks", c.queue_trucks[day]);
        }
        for c in &d.crossings {
            push("crossing", &c.link, "queue_trucks", c.queue_trucks[day]);
        }
        for p in &d.products {
            push("product", &p.product, "delivered_t", p.delivered_t[day]);
            push("product", &p.product, "open_orders_t", p.open_orders_t[day]);
            push("product", &p.product, "in_system_t", p.in_system_t[day]);
        }
    }
    rows
}

/// The welfare table of one run (`welfare.csv`): `country,side,welfare_loss_usd,
/// lost_trade_usd`, buyers then sellers, countries in name order.
pub fn welfare_rows(m: &RunMetrics) -> Vec<[String; 4]> {
    let mut rows = Vec::new();
    for (name, map) in [
        ("buyer", &m.welfare_by_buyer),
        ("seller", &m.welfare_by_seller),
    ] {
        for (c, w) in map {
            rows.push([
                c.clone(),
                name.to_string(),
                num(w.welfare_loss_usd),
                num(w.lost_trade_usd),
            ]);
        }
    }
    rows
}

/// Run-time facts that differ between machines and thread counts, kept out of the
/// manifest: written as `timing.json`, before the manifest.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Timing {
    /// Worker threads (or, after a merge, the shards merged).
    pub threads: usize,
    /// Wall time, seconds.
    pub seconds: f64,
    /// Runs per second of wall time.
    pub runs_per_second: f64,
}

/// Write `timing.json` into `dir`.
pub fn write_timing(dir: &Path, t: &Timing) -> Result<(), Error> {
    let mut v = serde_json::to_vec_pretty(t)
        .map_err(|e| Error::Invalid(format!("cannot write timing.json: {e}")))?;
    v.push(b'\n');
    write_bytes_atomic(&dir.join("timing.json"), &v)
}

/// Write the outputs of one deterministic run into `dir` (checked with
/// [`folder::prepare`] first): `run.csv` (metrics, long format), `welfare.csv` (the
/// welfare loss and lost trade per country, [`welfare_rows`]), `daily.csv` (daily
/// series, long format), `prices.csv` (daily prices, with the daily series), then
/// `manifest.json` with every file's checksum.
pub fn write_run(
    dir: &Path,
    scenario: &Scenario,
    metrics: &RunMetrics,
    daily: Option<&DailySeries>,
    manifest: &Manifest,
) -> Result<(), Error> {
    create_dir(dir)?;
    let mut manifest = manifest.clone();
    manifest.files.clear();
    write_csv(
        &dir.join("run.csv"),
        &["scope", "id", "metric", "value"],
        metrics_rows(metrics),
    )?;
    manifest.files.push(FileRecord::of_file(dir, "run.csv")?);
    write_csv(
        &dir.join("welfare.csv"),
        &["country", "side", "welfare_loss_usd", "lost_trade_usd"],
        welfare_rows(metrics),
    )?;
    manifest
        .files
        .push(FileRecord::of_file(dir, "welfare.csv")?);
    if let Some(d) = daily {
        write_csv(
            &dir.join("daily.csv"),
            &["day", "date", "phase", "scope", "id", "metric", "value"],
            daily_rows(scenario, d),
        )?;
        manifest.files.push(FileRecord::of_file(dir, "daily.csv")?);
        write_csv(
            &dir.join("prices.csv"),
            &PRICES_HEADER,
            price_rows(scenario, d),
        )?;
        manifest.files.push(FileRecord::of_file(dir, "prices.csv")?);
    }
    manifest.write(&dir.join("manifest.json"))
}

/// Money as people read it: `USD 48.8 m`, `USD 1.25 bn`, `USD 950 k`, `USD 12`, with
/// three significant digits from a thousand up (for terminal output; CSV files keep
/// every digit).
pub fn money(v: f64) -> String {
    let a = v.abs();
    let (x, unit) = if a >= 1e9 {
        (v / 1e9, " bn")
    } else if a >= 1e6 {
        (v / 1e6, " m")
    } else if a >= 1e3 {
        (v / 1e3, " k")
    } else {
        return format!("USD {}", whole(v));
    };
    let digits = if x.abs() >= 99.95 {
        0
    } else if x.abs() >= 9.995 {
        1
    } else {
        2
    };
    format!("USD {x:.digits$}{unit}")
}

/// A figure rounded to a whole number for printing (trucks, tonnes, days), without
/// float noise: `-0.0000001` prints as `0`, never `-0`.
pub fn whole(v: f64) -> String {
    let r = v.round();
    if r == 0.0 {
        "0".to_string()
    } else {
        format!("{r:.0}")
    }
}

/// A signed whole number for printing (`+12`, `-3`, `0`).
fn signed_whole(v: f64) -> String {
    let r = v.round();
    if r == 0.0 {
        "0".to_string()
    } else {
        format!("{r:+.0}")
    }
}

/// Rows shown per table in [`summary_text`]; the CSV has them all.
pub const SUMMARY_ROWS: usize = 10;

/// A run's totals as (metric name, label, readable value): money as `USD 1.2 m`, trucks
/// as whole numbers. What `chokepoint run` prints and notebooks show.
pub(crate) fn totals_rows(m: &RunMetrics) -> [(&'static str, &'static str, String); 12] {
    [
        (
            "trade_value_halted_usd",
            "trade value halted",
            money(m.trade_value_halted_usd),
        ),
        (
            "reroute_cost_usd",
            "reroute cost",
            money(m.reroute_cost_usd),
        ),
        ("delay_cost_usd", "delay cost", money(m.delay_cost_usd)),
        ("spoilage_usd", "spoilage", money(m.spoilage_usd)),
        ("lost_trade_usd", "lost trade", money(m.lost_trade_usd)),
        ("total_loss_usd", "total loss", money(m.total_loss_usd)),
        (
            "welfare_loss_usd",
            "welfare loss",
            money(m.welfare_loss_usd),
        ),
        (
            "revenue_lost_usd",
            "revenue lost (all)",
            money(m.revenue_lost_usd.values().sum()),
        ),
        (
            "peak_stranded_trucks",
            "peak stranded trucks",
            whole(m.peak_stranded_trucks),
        ),
        (
            "stranded_truck_days",
            "stranded truck-days",
            whole(m.stranded_truck_days),
        ),
        (
            "days_to_recover",
            "days to recover",
            m.days_to_recover.map_or("-".to_string(), |d| d.to_string()),
        ),
        (
            "runout_open_usd",
            "open at run-out cap",
            money(m.runout_open_usd),
        ),
    ]
}

/// A short, readable summary of one run's metrics (what `chokepoint run` prints): the
/// totals, then the crossings by trade value halted and the corridors by tonnes lost
/// against the counterfactual, largest first, at most [`SUMMARY_ROWS`] each (with how
/// many rows `run.csv` has when it shows fewer).
pub fn summary_text(m: &RunMetrics) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    for (_, k, v) in totals_rows(m) {
        let _ = writeln!(s, "  {k:<22} {v:>16}");
    }
    if m.runout_capped {
        let _ = writeln!(
            s,
            "  warning: the run-out reached runout_max_days ({} days) with {:.0} t of orders \
             open beyond the counterfactual's ({}), counted as lost trade",
            m.runout_days,
            m.runout_open_t,
            money(m.runout_open_usd)
        );
    }
    let more = |s: &mut String, shown: usize, all: usize, what: &str| {
        if shown < all {
            let _ = writeln!(
                s,
                "  ({shown} of {all} {what} shown, largest first; run.csv has them all)"
            );
        }
    };
    let mut crossings: Vec<_> = m
        .crossings
        .iter()
        .filter(|c| c.trade_value_halted_usd > 0.0 || c.peak_stranded_trucks > 0.0)
        .collect();
    crossings.sort_by(|a, b| {
        b.trade_value_halted_usd
            .total_cmp(&a.trade_value_halted_usd)
            .then(b.peak_stranded_trucks.total_cmp(&a.peak_stranded_trucks))
    });
    if !crossings.is_empty() {
        let _ = writeln!(
            s,
            "\n  {:<24} {:>16} {:>12} {:>14}",
            "crossing", "value halted", "peak trucks", "truck-days"
        );
        for c in crossings.iter().take(SUMMARY_ROWS) {
            let _ = writeln!(
                s,
                "  {:<24} {:>16} {:>12} {:>14}",
                c.link,
                money(c.trade_value_halted_usd),
                whole(c.peak_stranded_trucks),
                whole(c.stranded_truck_days)
            );
        }
        more(
            &mut s,
            crossings.len().min(SUMMARY_ROWS),
            crossings.len(),
            "crossings with trade halted",
        );
    }
    let mut changed: Vec<_> = m
        .corridors
        .iter()
        .filter(|c| c.closure_days > 0 || (c.delivered_t - c.counterfactual_t).abs() > 0.5)
        .collect();
    // Largest shortfall of tonnes first (a corridor that gained trade by diversion last).
    changed.sort_by(|a, b| {
        (a.delivered_t - a.counterfactual_t)
            .total_cmp(&(b.delivered_t - b.counterfactual_t))
            .then(b.closure_days.cmp(&a.closure_days))
    });
    if !changed.is_empty() {
        let _ = writeln!(
            s,
            "\n  {:<24} {:>8} {:>16} {:>16}",
            "corridor", "closed d", "delivered t", "vs no closure t"
        );
        for c in changed.iter().take(SUMMARY_ROWS) {
            let _ = writeln!(
                s,
                "  {:<24} {:>8} {:>16} {:>16}",
                c.corridor,
                c.closure_days,
                whole(c.delivered_t),
                signed_whole(c.delivered_t - c.counterfactual_t)
            );
        }
        more(
            &mut s,
            changed.len().min(SUMMARY_ROWS),
            changed.len(),
            "corridors closed or changed",
        );
    }
    let mut moved: Vec<_> = m
        .prices
        .iter()
        .filter(|q| q.peak_change_usd_per_t != 0.0)
        .collect();
    moved.sort_by(|a, b| {
        b.peak_change_usd_per_t
            .abs()
            .total_cmp(&a.peak_change_usd_per_t.abs())
    });
    if !moved.is_empty() {
        let _ = writeln!(
            s,
            "\n  {:<44} {:>10} {:>12} {:>12} {:>9}",
            "price (USD/t)", "no closure", "peak change", "mean change", "peak day"
        );
        for q in moved.iter().take(SUMMARY_ROWS) {
            let side = if q.side == "market" {
                ""
            } else {
                " (farm gate)"
            };
            let _ = writeln!(
                s,
                "  {:<44} {:>10.2} {:>+12.2} {:>+12.2} {:>9}",
                format!("{} at {}{side}", q.product, q.node),
                q.counterfactual_mean_usd_per_t,
                q.peak_change_usd_per_t,
                q.mean_change_usd_per_t,
                q.peak_day.map_or("-".to_string(), |d| d.to_string())
            );
        }
        more(
            &mut s,
            moved.len().min(SUMMARY_ROWS),
            moved.len(),
            "prices that changed",
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_leaves_no_file_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        let err = write_atomic(&path, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("stopped"))
        });
        assert!(err.is_err());
        assert!(!path.exists());
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            0,
            "no temporary left"
        );
        write_atomic(&path, |w| w.write_all(b"whole")).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"whole");
    }

    #[test]
    fn money_and_whole_numbers_read_well() {
        assert_eq!(money(48_812_345.6), "USD 48.8 m");
        assert_eq!(money(1_254_000_000.0), "USD 1.25 bn");
        assert_eq!(money(123_456_789.0), "USD 123 m");
        assert_eq!(money(950_400.0), "USD 950 k");
        assert_eq!(money(-2_500.0), "USD -2.50 k");
        assert_eq!(money(12.4), "USD 12");
        assert_eq!(money(-1e-9), "USD 0");
        assert_eq!(whole(-0.0000001), "0");
        assert_eq!(whole(41.6), "42");
        assert_eq!(signed_whole(-1e-7), "0");
        assert_eq!(signed_whole(-12.2), "-12");
    }
}
