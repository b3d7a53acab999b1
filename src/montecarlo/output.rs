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
//! `docs/outputs.md` lists every column with its unit. The per-run tables are written as
//! the runs finish ([`Writer`]), and only what the statistics need is kept in memory.
//!
//! A shard (`write_partial`) writes the raw per-run tables `runs.csv`,
//! `corridors.csv`, `crossings.csv`, `trade.csv`, `welfare.csv`, `closures.csv`,
//! `price_runs.csv` and `daily_runs.csv`
//! (run x day) for its runs only, then `shard.json` (its manifest). Floats are printed in Rust's shortest round-trip form,
//! so [`merge`] reads back the exact bits and computes exactly what one process would
//! have: the merged files are byte-identical to a single run's.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::stats::{self, Stats};
use super::{ClosureRow, DailyRecord, Outcome, RunRecord, Runs};
use crate::output::create_dir;
use crate::output::manifest::{FileRecord, Manifest, MonteCarlo, Shard};
use crate::sim::{CorridorMetrics, CrossingMetrics, Delivered, PriceMetrics, RunMetrics};
use crate::study::metrics::{self, Metric, Study};
use crate::study::output::{csv_bytes, error_at as at, nan_if_empty, num, Rows};
use crate::Error;
use serde::Deserialize;

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

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The metric table's columns of `runs.csv` (after run, seed, stream, closures) and
/// series of `summary.csv`, in their order.
fn scalars() -> Vec<&'static Metric> {
    metrics::of(Study::Montecarlo)
}

/// A scalar's value in a run. The revenue lost sums the study's `countries` (each run
/// counting 0 for a country it did not touch), as the per-country columns beside it do.
fn scalar(m: &RunMetrics, x: &Metric, countries: &[String]) -> Option<f64> {
    if x.name == "revenue_lost_usd" {
        return Some(
            countries
                .iter()
                .map(|c| m.revenue_lost_usd.get(c).copied().unwrap_or(0.0))
                .sum(),
        );
    }
    (x.value)(m)
}

/// [`scalar`] of the `pos`-th run written: the revenue lost from the writer's columns
/// per country (summed over the study's countries), the other scalars from the
/// outcome's columns `runs`.
fn kept_scalar(kept: &Kept, runs: &Runs, pos: usize, x: &Metric) -> Option<f64> {
    if x.name == "revenue_lost_usd" {
        return Some(kept.revenue.values().map(|v| v[pos]).sum());
    }
    runs.value(x, pos)
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
        if let Some(x) = scalars().into_iter().find(|x| x.name == c.as_str()) {
            let countries: Vec<String> = m.revenue_lost_usd.keys().cloned().collect();
            out.push((c.clone(), scalar(m, x, &countries)));
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

/// `runs.csv`: one row per run, from what the statistics keep of each run.
fn runs_table(kept: &Kept, runs: &Runs) -> Vec<u8> {
    let mut header = strings(&["run", "seed", "stream", "closure_windows"]);
    let scalars = scalars();
    header.extend(scalars.iter().map(|s| s.name.to_string()));
    header.extend(kept.revenue.keys().map(|c| revenue_column(c)));
    let seed = kept.seed.to_string();
    let rows = runs.runs.iter().zip(&kept.closures).enumerate();
    let rows = rows.map(|(pos, (run, &closures))| {
        let mut row = vec![
            run.to_string(),
            seed.clone(),
            run.to_string(),
            closures.to_string(),
        ];
        // A whole number (days, a 0/1 flag) without a decimal point; undefined: empty.
        for s in &scalars {
            row.push(s.cell(kept_scalar(kept, runs, pos, s)));
        }
        for values in kept.revenue.values() {
            row.push(num(values[pos]));
        }
        row
    });
    csv_bytes(&header, rows)
}

/// The columns of `corridors.csv`.
const CORRIDORS_HEADER: [&str; 7] = [
    "run",
    "corridor",
    "closure_days",
    "delivered_t",
    "delivered_usd",
    "counterfactual_t",
    "counterfactual_usd",
];

/// The rows of `corridors.csv` of one run (one per corridor).
fn corridor_rows(r: &RunRecord) -> impl Iterator<Item = Vec<String>> + '_ {
    r.metrics.corridors.iter().map(move |c| {
        vec![
            r.run.to_string(),
            c.corridor.clone(),
            c.closure_days.to_string(),
            num(c.delivered_t),
            num(c.delivered_usd),
            num(c.counterfactual_t),
            num(c.counterfactual_usd),
        ]
    })
}

/// The columns of `crossings.csv`.
const CROSSINGS_HEADER: [&str; 7] = [
    "run",
    "link",
    "trade_value_halted_usd",
    "halted_while_closed_usd",
    "closed_days",
    "peak_stranded_trucks",
    "stranded_truck_days",
];

/// The rows of `crossings.csv` of one run (one per crossing link).
fn crossing_rows(r: &RunRecord) -> impl Iterator<Item = Vec<String>> + '_ {
    r.metrics.crossings.iter().map(move |c| {
        vec![
            r.run.to_string(),
            c.link.clone(),
            num(c.trade_value_halted_usd),
            num(c.halted_while_closed_usd),
            c.closed_days.to_string(),
            num(c.peak_stranded_trucks),
            num(c.stranded_truck_days),
        ]
    })
}

/// The columns of `trade.csv`.
const TRADE_HEADER: [&str; 7] = [
    "run",
    "by",
    "id",
    "delivered_t",
    "delivered_usd",
    "counterfactual_t",
    "counterfactual_usd",
];

/// The rows of `trade.csv` of one run (products, then partners).
fn trade_rows(r: &RunRecord) -> impl Iterator<Item = Vec<String>> + '_ {
    let p = r.metrics.by_product.iter().map(|x| ("product", x));
    let q = r.metrics.by_partner.iter().map(|x| ("partner", x));
    p.chain(q).map(move |(by, (id, d))| {
        vec![
            r.run.to_string(),
            by.to_string(),
            id.clone(),
            num(d.t),
            num(d.usd),
            num(d.counterfactual_t),
            num(d.counterfactual_usd),
        ]
    })
}

/// The columns of `welfare.csv`.
const WELFARE_HEADER: [&str; 5] = [
    "run",
    "country",
    "side",
    "welfare_loss_usd",
    "lost_trade_usd",
];

/// The rows of `welfare.csv` of one run (one per country and side, buyers first).
fn welfare_rows(r: &RunRecord) -> impl Iterator<Item = Vec<String>> + '_ {
    let b = r.metrics.welfare_by_buyer.iter().map(|x| ("buyer", x));
    let s = r.metrics.welfare_by_seller.iter().map(|x| ("seller", x));
    b.chain(s).map(move |(side, (c, w))| {
        vec![
            r.run.to_string(),
            c.clone(),
            side.to_string(),
            num(w.welfare_loss_usd),
            num(w.lost_trade_usd),
        ]
    })
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

/// The rows of `price_runs.csv` of one run: one per price point whose price changed in
/// it (the others changed by 0; leaving them out keeps the table small).
fn price_rows(r: &RunRecord) -> impl Iterator<Item = Vec<String>> + '_ {
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
                num(q.counterfactual_mean_usd_per_t),
                num(q.mean_change_usd_per_t),
                num(q.peak_change_usd_per_t),
                q.peak_day.map(|d| d.to_string()).unwrap_or_default(),
            ]
        })
}

/// A price point: (product, side, node).
type PriceKey = (String, String, String);

/// What `prices.csv` needs of the price points that changed, over the runs so far:
/// each changed point's peak change, one number per run in which it changed (on disk),
/// and the running sum of its mean change (0 in the runs where it did not change).
#[derive(Default)]
struct PriceChanges {
    /// Per point that changed in any run: its number (its column in `peaks`).
    index: BTreeMap<PriceKey, u32>,
    /// Per point (by number): its counterfactual mean price (of the first run in which
    /// it changed), the sum of its mean change over the runs up to `next` (in run
    /// order, as [`Stats::of`] sums them), and `next`, the position after the last
    /// run in which it changed.
    points: Vec<(f64, f64, usize)>,
    /// The peak changes, in run order, a column per point (by number); created in the
    /// study's folder at the first change.
    peaks: Option<ColumnSpill>,
}

impl PriceChanges {
    /// Keep the changed points of the `pos`-th run (their peak changes in a hidden
    /// file in `dir`).
    fn push(&mut self, prices: &[PriceMetrics], pos: usize, dir: &Path) -> Result<(), Error> {
        for q in prices.iter().filter(|q| q.peak_change_usd_per_t != 0.0) {
            let key = (q.product.clone(), q.side.clone(), q.node.clone());
            let k = match self.index.get(&key) {
                Some(&k) => k,
                None => {
                    let k = self.points.len() as u32;
                    // The sum of no values, as `Iterator::sum` starts it.
                    let zero: f64 = std::iter::empty::<f64>().sum();
                    self.points.push((q.counterfactual_mean_usd_per_t, zero, 0));
                    self.index.insert(key, k);
                    k
                }
            };
            let (_, sum, next) = &mut self.points[k as usize];
            // The runs without a change add 0.0 to the sum: once changes it (-0.0 to
            // 0.0), again does not.
            if pos > *next {
                *sum += 0.0;
            }
            *sum += q.mean_change_usd_per_t;
            *next = pos + 1;
            if self.peaks.is_none() {
                self.peaks = Some(ColumnSpill::create(dir, "price_peaks")?);
            }
            if let Some(peaks) = &mut self.peaks {
                peaks.push(k, q.peak_change_usd_per_t)?;
            }
        }
        Ok(())
    }
}

/// `prices.csv`: per price point that changed in any run (by product, side, node), the
/// distribution over all `n` runs of its peak change (0 in the runs where it did not
/// change) and of its mean change.
///
/// The statistics of the peak change are those of the `n` values in run order: its
/// changes (never 0) in run order followed by the zeros have the same sorted values and
/// the same sum in run order (adding 0.0 changes a sum only from -0.0, which no sum
/// with a non-zero change reaches).
fn prices_csv(points: &PriceChanges, n: usize) -> Result<Vec<u8>, Error> {
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
    // The points' statistics by number, their peak changes read back a block of
    // points at a time; the rows in the order of the points' keys.
    let mut stats: Vec<(usize, Option<Stats>)> = Vec::with_capacity(points.points.len());
    if let Some(peaks) = &points.peaks {
        peaks.for_each(SPILL_VALUES, |_, mut peak| {
            let changed = peak.len();
            peak.resize(n, 0.0);
            stats.push((changed, Stats::of(&peak)));
        })?;
    }
    let rows = points.index.iter().map(|((product, side, node), &k)| {
        let (cf, sum, next) = points.points[k as usize];
        let (changed, st) = &stats[k as usize];
        // The mean of the mean change over all `n` runs, as `Stats::of` sums them.
        let mean = if next < n { sum + 0.0 } else { sum } / n as f64;
        let g = |x: Option<f64>| x.map(num).unwrap_or_default();
        vec![
            product.clone(),
            node.clone(),
            side.clone(),
            num(cf),
            n.to_string(),
            changed.to_string(),
            g(st.as_ref().map(|s| s.mean)),
            g(st.as_ref().map(|s| s.min)),
            g(st.as_ref().map(|s| s.p5)),
            g(st.as_ref().map(|s| s.p50)),
            g(st.as_ref().map(|s| s.p95)),
            g(st.as_ref().map(|s| s.max)),
            g((n > 0).then_some(mean)),
        ]
    });
    Ok(csv_bytes(&header, rows))
}

/// The columns of `closures.csv`: the run, then [`ClosureRow::COLUMNS`].
const CLOSURES_HEADER: [&str; 9] = {
    let mut h = ["run"; 9];
    let mut i = 0;
    while i < ClosureRow::COLUMNS.len() {
        h[i + 1] = ClosureRow::COLUMNS[i];
        i += 1;
    }
    h
};

/// The rows of `closures.csv` of one run: one per closure window (dates from the
/// window's `start`).
fn closure_rows(r: &RunRecord, start: NaiveDate) -> impl Iterator<Item = Vec<String>> + '_ {
    r.closures.iter().map(move |c| {
        let (first, reopen) = c.dates(start);
        vec![
            r.run.to_string(),
            c.target.clone(),
            c.start_day.to_string(),
            first.to_string(),
            c.duration_days.to_string(),
            reopen.to_string(),
            num(c.capacity_factor),
            c.ramp_days.to_string(),
            c.label.clone(),
        ]
    })
}

/// The columns of `daily_runs.csv`.
const DAILY_HEADER: [&str; 4] = ["run", "day", "stranded_trucks", "delivered_usd"];

/// The rows of `daily_runs.csv` (partial results only) of one run: its two daily series.
fn daily_rows(r: &RunRecord) -> impl Iterator<Item = Vec<String>> + '_ {
    let d = r.daily.as_ref();
    let n = d.map_or(0, |d| d.stranded_trucks.len().max(d.delivered_usd.len()));
    (0..n).map(move |i| {
        let d = d.map(|d| (d.stranded_trucks.get(i), d.delivered_usd.get(i)));
        let (a, b) = d.unwrap_or((None, None));
        vec![
            r.run.to_string(),
            i.to_string(),
            a.copied().map(num).unwrap_or_default(),
            b.copied().map(num).unwrap_or_default(),
        ]
    })
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
    if shard_of(&outcome.manifest).is_some() {
        return Err(Error::Invalid(
            "a shard's result is partial: write it with write_partial and merge the shards".into(),
        ));
    }
    let mut w = Writer::create(dir, &outcome.manifest)?;
    for r in &outcome.records {
        w.push(r)?;
    }
    w.finish(outcome, extra)
}

/// Write a shard's partial result into `dir`: `shard.json` and the raw tables.
pub fn write_partial(dir: &Path, outcome: &Outcome) -> Result<(), Error> {
    if shard_of(&outcome.manifest).is_none() {
        return Err(Error::Invalid(
            "write_partial is for a shard's result (Config::shard)".into(),
        ));
    }
    let mut w = Writer::create(dir, &outcome.manifest)?;
    for r in &outcome.records {
        w.push(r)?;
    }
    w.finish(outcome, Vec::new())
}

pub use crate::output::{write_timing, Timing};

/// One per-run table being written as the runs arrive: its name, its hidden temporary
/// file (`.NAME.tmpPID`, renamed onto `NAME` when the study finishes), and its writer.
struct Stream {
    name: &'static str,
    tmp: PathBuf,
    /// `None` once finished.
    csv: Option<csv::Writer<BufWriter<File>>>,
}

/// What the statistics of a study keep of its runs, in run order: one number per run
/// and metric (the scalar metrics, closure windows, each corridor's, crossing's,
/// product's, partner's and country's summary metrics, the changed prices and the two
/// daily series of the fan-chart bands), never a run's tables.
#[derive(Default)]
struct Kept {
    /// The study's seed (`runs.csv`).
    seed: u64,
    /// The runs written, in order.
    runs: Vec<u64>,
    /// Each run's number of closure windows.
    closures: Vec<u32>,
    /// Per corridor, crossing, product, country and partner metric, in order of first
    /// appearance: its name.
    keyed: Vec<String>,
    /// Where each name of `keyed` is.
    index: HashMap<String, usize>,
    /// Their values over the runs that have them, a column per name of `keyed`, on
    /// disk; created in the study's folder at the first value.
    keyed_values: Option<ColumnSpill>,
    /// The price points that changed in any run.
    points: PriceChanges,
    /// The revenue lost per country (sorted), one value per run written (0 in a run
    /// that did not touch the country): what `runs.csv` and the summary need of it.
    revenue: BTreeMap<String, Vec<f64>>,
    /// The daily series of the runs that recorded them, on disk.
    daily: Option<DailySpill>,
    /// Room for this many runs in each per-run vector (the runs requested).
    capacity: usize,
}

impl Kept {
    /// Keep the revenue lost per country of the `pos`-th run.
    fn push_revenue(&mut self, m: &RunMetrics, pos: usize) {
        for (c, &v) in &m.revenue_lost_usd {
            let values = self.revenue.entry(c.clone()).or_insert_with(|| {
                let mut values = Vec::with_capacity(self.capacity.max(pos + 1));
                values.resize(pos, 0.0);
                values
            });
            values.push(v);
        }
        for values in self.revenue.values_mut() {
            if values.len() == pos {
                values.push(0.0);
            }
        }
    }

    fn push_keyed(&mut self, name: String, v: f64, dir: &Path) -> Result<(), Error> {
        let i = match self.index.get(&name) {
            Some(&i) => i,
            None => {
                self.keyed.push(name.clone());
                self.index.insert(name, self.keyed.len() - 1);
                self.keyed.len() - 1
            }
        };
        if self.keyed_values.is_none() {
            self.keyed_values = Some(ColumnSpill::create(dir, "summary_runs")?);
        }
        match &mut self.keyed_values {
            Some(spill) => spill.push(i as u32, v),
            None => Ok(()),
        }
    }

    /// Keep what the statistics need of run `r` (the `pos`-th run); its daily series go
    /// to a hidden file in `dir`.
    fn add_stats(&mut self, r: &RunRecord, pos: usize, dir: &Path) -> Result<(), Error> {
        let m = &r.metrics;
        for c in &m.corridors {
            let name = format!("corridor:{}:closure_days", c.corridor);
            self.push_keyed(name, f64::from(c.closure_days), dir)?;
            self.push_keyed(
                format!("corridor:{}:delivered_t", c.corridor),
                c.delivered_t,
                dir,
            )?;
        }
        for c in &m.crossings {
            let name = format!("crossing:{}:peak_stranded_trucks", c.link);
            self.push_keyed(name, c.peak_stranded_trucks, dir)?;
            let name = format!("crossing:{}:stranded_truck_days", c.link);
            self.push_keyed(name, c.stranded_truck_days, dir)?;
        }
        for (p, d) in &m.by_product {
            self.push_keyed(format!("product:{p}:delivered_usd"), d.usd, dir)?;
        }
        for (side, map) in [
            ("buyer", &m.welfare_by_buyer),
            ("seller", &m.welfare_by_seller),
        ] {
            for (c, w) in map {
                self.push_keyed(
                    format!("{side}:{c}:welfare_loss_usd"),
                    w.welfare_loss_usd,
                    dir,
                )?;
            }
        }
        for (p, d) in &m.by_partner {
            self.push_keyed(format!("partner:{p}:delivered_usd"), d.usd, dir)?;
        }
        self.points.push(&m.prices, pos, dir)?;
        if let Some(d) = &r.daily {
            if self.daily.is_none() {
                self.daily = Some(DailySpill::create(dir)?);
            }
            if let Some(spill) = &mut self.daily {
                spill.push(d)?;
            }
        }
        Ok(())
    }
}

/// About how many spilled values the statistics read back into memory at a time (8 MB).
const SPILL_VALUES: usize = 1 << 20;

/// A hidden scratch file of a study's folder (`.NAME.tmpPID`), written as the runs
/// arrive and read back once they are done; removed when dropped, so it never outlives
/// the writer.
struct Scratch {
    path: PathBuf,
    /// `None` once closed for reading.
    file: Option<BufWriter<File>>,
}

impl Scratch {
    fn create(dir: &Path, name: &str) -> Result<Scratch, Error> {
        let path = dir.join(format!(".{name}.tmp{}", std::process::id()));
        let file = File::create(&path).map_err(|e| io_error(&path, e))?;
        Ok(Scratch {
            path,
            file: Some(BufWriter::new(file)),
        })
    }

    /// Write out what is buffered: nothing may be written after.
    fn close(&mut self) -> Result<(), Error> {
        if let Some(w) = self.file.take() {
            w.into_inner()
                .map_err(|e| io_error(&self.path, e.into_error()))?;
        }
        Ok(())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        self.file = None;
        let _ = fs::remove_file(&self.path);
    }
}

/// Columns of numbers of a study's runs (one number per run that has it, in run
/// order), written to a hidden temporary file of the study's folder (`.NAME.tmpPID`,
/// binary: the column's number and the value, per value) as the runs arrive, and read
/// back a block of columns at a time: what the statistics need of every corridor,
/// crossing, product and price point, without memory that grows with the runs.
struct ColumnSpill {
    scratch: Scratch,
    /// Values per column.
    counts: Vec<usize>,
}

impl ColumnSpill {
    fn create(dir: &Path, name: &str) -> Result<ColumnSpill, Error> {
        Ok(ColumnSpill {
            scratch: Scratch::create(dir, name)?,
            counts: Vec::new(),
        })
    }

    /// Append `v` to column `k`.
    fn push(&mut self, k: u32, v: f64) -> Result<(), Error> {
        use std::io::Write;
        let Scratch { path, file } = &mut self.scratch;
        let Some(w) = file.as_mut() else {
            return Err(Error::Invalid(format!(
                "{} is closed: no value can be added",
                path.display()
            )));
        };
        let mut rec = [0u8; 12];
        rec[..4].copy_from_slice(&k.to_le_bytes());
        rec[4..].copy_from_slice(&v.to_le_bytes());
        w.write_all(&rec).map_err(|e| io_error(path, e))?;
        let k = k as usize;
        if self.counts.len() <= k {
            self.counts.resize(k + 1, 0);
        }
        self.counts[k] += 1;
        Ok(())
    }

    /// Write out what is buffered: no value may be added after.
    fn close(&mut self) -> Result<(), Error> {
        self.scratch.close()
    }

    /// Call `each(k, column k's values in run order)` for every column in order,
    /// reading the file once for each block of columns that holds about `values`
    /// values (at least one column). [`Self::close`] first.
    fn for_each(&self, values: usize, mut each: impl FnMut(usize, Vec<f64>)) -> Result<(), Error> {
        use std::io::{BufReader, Read};
        let path = &self.scratch.path;
        if self.scratch.file.is_some() {
            return Err(Error::Invalid(format!(
                "{} is still being written: close it before reading",
                path.display()
            )));
        }
        let bad = |e| io_error(path, e);
        let mut k0 = 0;
        while k0 < self.counts.len() {
            let mut k1 = k0 + 1;
            let mut held = self.counts[k0];
            while k1 < self.counts.len() && held + self.counts[k1] <= values {
                held += self.counts[k1];
                k1 += 1;
            }
            let mut cols: Vec<Vec<f64>> = self.counts[k0..k1]
                .iter()
                .map(|&n| Vec::with_capacity(n))
                .collect();
            let mut file = BufReader::new(File::open(path).map_err(bad)?);
            let mut rec = [0u8; 12];
            for _ in 0..self.counts.iter().sum::<usize>() {
                file.read_exact(&mut rec).map_err(bad)?;
                let k = u32::from_le_bytes([rec[0], rec[1], rec[2], rec[3]]) as usize;
                if (k0..k1).contains(&k) {
                    let mut x = [0u8; 8];
                    x.copy_from_slice(&rec[4..]);
                    cols[k - k0].push(f64::from_le_bytes(x));
                }
            }
            for (i, col) in cols.into_iter().enumerate() {
                each(k0 + i, col);
            }
            k0 = k1;
        }
        Ok(())
    }
}

/// The daily series of a study's runs, written to a hidden temporary file
/// (`.daily_runs.csv.tmpPID`, binary) as the runs arrive and read back a block of days at a time for the
/// fan-chart bands, so the memory they take does not grow with the runs.
struct DailySpill {
    scratch: Scratch,
    /// Bytes written so far.
    at: u64,
    /// Per run: where its series start, and their lengths (stranded trucks, delivered).
    index: Vec<(u64, usize, usize)>,
}

impl DailySpill {
    fn create(dir: &Path) -> Result<DailySpill, Error> {
        Ok(DailySpill {
            scratch: Scratch::create(dir, "daily_runs.csv")?,
            at: 0,
            index: Vec::new(),
        })
    }

    fn push(&mut self, d: &DailyRecord) -> Result<(), Error> {
        use std::io::Write;
        let Scratch { path, file } = &mut self.scratch;
        let Some(w) = file.as_mut() else {
            return Ok(());
        };
        self.index
            .push((self.at, d.stranded_trucks.len(), d.delivered_usd.len()));
        for x in d.stranded_trucks.iter().chain(&d.delivered_usd) {
            w.write_all(&x.to_le_bytes())
                .map_err(|e| io_error(path, e))?;
            self.at += 8;
        }
        Ok(())
    }

    /// The bands of both series (stranded trucks, delivered USD), exactly those of
    /// [`stats::daily_bands`] over all runs' series, computed a block of days at a time
    /// (about 16 MB of values).
    fn bands(&mut self) -> Result<[Vec<stats::Band>; 2], Error> {
        self.bands_by(2_000_000)
    }

    /// [`Self::bands`] with about `values` values in memory at a time.
    fn bands_by(&mut self, values: usize) -> Result<[Vec<stats::Band>; 2], Error> {
        use std::io::{Read, Seek, SeekFrom};
        self.scratch.close()?;
        let path = self.scratch.path.clone();
        let bad = |e| io_error(&path, e);
        let mut file = File::open(&path).map_err(bad)?;
        let block = (values / self.index.len().max(1)).max(1);
        let mut out: [Vec<stats::Band>; 2] = [Vec::new(), Vec::new()];
        for (k, bands) in out.iter_mut().enumerate() {
            let len = |&(_, a, b): &(u64, usize, usize)| if k == 0 { a } else { b };
            let days = self.index.iter().map(len).max().unwrap_or(0);
            let mut d0 = 0;
            while d0 < days {
                let d1 = (d0 + block).min(days);
                let mut cols: Vec<Vec<f64>> = Vec::with_capacity(self.index.len());
                for e in &self.index {
                    let n = len(e);
                    let (lo, hi) = (d0.min(n), d1.min(n));
                    let first = if k == 0 { 0 } else { e.1 };
                    let mut bytes = vec![0u8; 8 * (hi - lo)];
                    file.seek(SeekFrom::Start(e.0 + 8 * (first + lo) as u64))
                        .and_then(|_| file.read_exact(&mut bytes))
                        .map_err(bad)?;
                    let values = bytes.chunks_exact(8).map(|b| {
                        let mut x = [0u8; 8];
                        x.copy_from_slice(b);
                        f64::from_le_bytes(x)
                    });
                    cols.push(values.collect());
                }
                let slices: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
                bands.extend(stats::daily_bands(&slices));
                d0 = d1;
            }
        }
        Ok(out)
    }
}

/// The files of a Monte Carlo study (or of a shard's partial result), written as its
/// runs arrive: each run's rows go to the per-run tables at once, and only what the
/// statistics need is kept (one number per run and metric), so
/// the memory of a study does not hold its runs' tables.
///
/// [`Writer::push`] the runs in run order, then [`Writer::finish`]: it writes `runs.csv`
/// and the statistics, renames the per-run tables onto their names, and writes the
/// manifest last. Until then the per-run tables are hidden temporary files
/// (`.NAME.tmpPID`); a writer dropped unfinished (an error, a stop) removes them, so a
/// folder never holds a manifest listing files that were not finished.
pub struct Writer {
    dir: PathBuf,
    partial: bool,
    start: NaiveDate,
    streams: Vec<Stream>,
    kept: Kept,
    finished: bool,
}

impl Writer {
    /// Start writing the study of `manifest` into `dir` (created if needed): a shard's
    /// partial result when the manifest names a shard, else a finished study's files.
    pub fn create(dir: &Path, manifest: &Manifest) -> Result<Writer, Error> {
        let mc = settings(manifest)?;
        let start = parse_start(&manifest.window.start)?;
        create_dir(dir)?;
        let partial = mc.shard.is_some();
        let mut w = Writer {
            dir: dir.to_path_buf(),
            partial,
            start,
            streams: Vec::new(),
            kept: Kept {
                seed: mc.seed,
                capacity: mc
                    .shard
                    .map_or(mc.runs, |s| mc.runs.div_ceil(s.n()))
                    .min(1 << 20) as usize,
                ..Kept::default()
            },
            finished: false,
        };
        let mut tables: Vec<(&'static str, &[&str])> = vec![
            ("corridors.csv", &CORRIDORS_HEADER),
            ("crossings.csv", &CROSSINGS_HEADER),
            ("trade.csv", &TRADE_HEADER),
            ("welfare.csv", &WELFARE_HEADER),
            ("closures.csv", &CLOSURES_HEADER),
            ("price_runs.csv", &PRICE_RUNS_HEADER),
        ];
        if partial {
            tables.push(("daily_runs.csv", &DAILY_HEADER));
        }
        for (name, header) in tables {
            let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
            let file = File::create(&tmp).map_err(|e| io_error(&tmp, e))?;
            // Registered before the first write, so that a failure removes it.
            w.streams.push(Stream {
                name,
                tmp,
                csv: Some(csv::Writer::from_writer(BufWriter::new(file))),
            });
            w.write(w.streams.len() - 1, std::iter::once(header))?;
        }
        Ok(w)
    }

    fn write<R, I>(&mut self, k: usize, rows: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = R>,
        R: IntoIterator,
        R::Item: AsRef<[u8]>,
    {
        let s = &mut self.streams[k];
        let Some(csv) = s.csv.as_mut() else {
            return Ok(());
        };
        for row in rows {
            csv.write_record(row).map_err(|e| csv_error(&s.tmp, e))?;
        }
        Ok(())
    }

    /// Write run `r`'s rows and keep what the statistics need of it. Runs must come in
    /// run order (as [`crate::study::Runner`] delivers them).
    pub fn push(&mut self, r: &RunRecord) -> Result<(), Error> {
        if let Some(&last) = self.kept.runs.last() {
            if r.run <= last {
                return Err(Error::Invalid(format!(
                    "run {} after run {last}: a study's runs are written in run order",
                    r.run
                )));
            }
        }
        let start = self.start;
        self.write(0, corridor_rows(r))?;
        self.write(1, crossing_rows(r))?;
        self.write(2, trade_rows(r))?;
        self.write(3, welfare_rows(r))?;
        self.write(4, closure_rows(r, start))?;
        self.write(5, price_rows(r))?;
        let pos = self.kept.runs.len();
        if self.partial {
            self.write(6, daily_rows(r))?;
        } else {
            self.kept.add_stats(r, pos, &self.dir)?;
        }
        self.kept.push_revenue(&r.metrics, pos);
        if self.kept.runs.is_empty() {
            self.kept.runs.reserve(self.kept.capacity);
            self.kept.closures.reserve(self.kept.capacity);
        }
        self.kept.closures.push(r.closures.len() as u32);
        self.kept.runs.push(r.run);
        Ok(())
    }

    /// The runs written so far, in order.
    pub fn runs(&self) -> &[u64] {
        &self.kept.runs
    }

    /// Finish with `outcome`, the study whose runs were pushed (its [`Outcome::runs`]
    /// in the same order; its records are not read): `runs.csv`, the statistics (not for a shard) and
    /// `extra` files, the per-run tables renamed onto their names, and its manifest (with
    /// every file's checksum) last, as `manifest.json` (`shard.json` for a shard).
    pub fn finish(
        mut self,
        outcome: &Outcome,
        extra: Vec<(&'static str, Vec<u8>)>,
    ) -> Result<(), Error> {
        let manifest = &outcome.manifest;
        let runs = &outcome.runs.runs;
        if *runs != self.kept.runs {
            return Err(Error::Invalid(format!(
                "the outcome holds {} runs, {} were written: finish a writer with the \
                 study whose runs it wrote",
                runs.len(),
                self.kept.runs.len()
            )));
        }
        if shard_of(manifest).is_some() != self.partial {
            return Err(Error::Invalid(
                "the manifest of a shard's partial result names its shard, and only it".into(),
            ));
        }
        let stats = if self.partial {
            Vec::new()
        } else {
            stats_files(&mut self.kept, &outcome.runs, self.start)?
        };
        let dir = self.dir.clone();
        let mut manifest = manifest.clone();
        manifest.files.clear();
        let runs = runs_table(&self.kept, &outcome.runs);
        crate::output::write_bytes_atomic(&dir.join("runs.csv"), &runs)?;
        manifest.files.push(FileRecord::of_bytes("runs.csv", &runs));
        for s in &mut self.streams {
            let Some(csv) = s.csv.take() else { continue };
            let buf = csv
                .into_inner()
                .map_err(|e| io_error(&s.tmp, e.into_error()))?;
            let file = buf
                .into_inner()
                .map_err(|e| io_error(&s.tmp, e.into_error()))?;
            file.sync_all().map_err(|e| io_error(&s.tmp, e))?;
            let path = dir.join(s.name);
            fs::rename(&s.tmp, &path).map_err(|e| io_error(&path, e))?;
            manifest.files.push(FileRecord::of_file(&dir, s.name)?);
        }
        self.finished = true;
        for (name, bytes) in stats.into_iter().chain(extra) {
            crate::output::write_bytes_atomic(&dir.join(name), &bytes)?;
            manifest.files.push(FileRecord::of_bytes(name, &bytes));
        }
        let name = if self.partial {
            "shard.json"
        } else {
            "manifest.json"
        };
        crate::output::write_bytes_atomic(&dir.join(name), &manifest.to_json()?)
    }
}

impl Drop for Writer {
    /// An unfinished study leaves no per-run table behind.
    fn drop(&mut self) {
        if !self.finished {
            for s in &self.streams {
                let _ = fs::remove_file(&s.tmp);
            }
        }
    }
}

fn io_error(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn csv_error(path: &Path, e: csv::Error) -> Error {
    io_error(path, std::io::Error::other(e))
}

/// The statistics files of a finished study whose runs are `runs`, made side by side.
fn stats_files(
    kept: &mut Kept,
    runs: &Runs,
    start: NaiveDate,
) -> Result<Vec<(&'static str, Vec<u8>)>, Error> {
    use rayon::prelude::*;
    type Make<'a> = Box<dyn Fn() -> Result<Vec<u8>, Error> + Send + Sync + 'a>;
    // The scratch files (the daily series, the keyed metrics' and price points'
    // columns) are gone before the manifest is written.
    let bands = match kept.daily.take() {
        Some(mut spill) => spill.bands()?,
        None => [Vec::new(), Vec::new()],
    };
    for spill in [&mut kept.keyed_values, &mut kept.points.peaks]
        .into_iter()
        .flatten()
    {
        spill.close()?;
    }
    let kept = &*kept;
    let losses = runs.losses();
    let makers: Vec<(&'static str, Make<'_>)> = vec![
        ("summary.csv", Box::new(|| summary_csv(kept, runs))),
        ("exceedance.csv", Box::new(|| Ok(exceedance_csv(&losses)))),
        ("daily_bands.csv", Box::new(|| Ok(bands_csv(&bands, start)))),
        ("convergence.csv", Box::new(|| Ok(convergence_csv(&losses)))),
        (
            "prices.csv",
            Box::new(|| prices_csv(&kept.points, runs.len())),
        ),
    ];
    makers
        .par_iter()
        .map(|(name, make)| Ok((*name, make()?)))
        .collect()
}

/// One metric's values over runs, for the summary.
struct Series<'a> {
    name: String,
    values: std::borrow::Cow<'a, [f64]>,
}

/// The summary's series held in memory: closure windows, the scalars and the revenue
/// lost per country (the keyed metrics follow, from their scratch file).
fn summary_series<'a>(kept: &'a Kept, runs: &Runs) -> Vec<Series<'a>> {
    let mut out = vec![Series {
        name: "closure_windows".into(),
        values: kept.closures.iter().map(|&n| f64::from(n)).collect(),
    }];
    for s in scalars() {
        out.push(Series {
            name: s.name.to_string(),
            values: (0..runs.len())
                .filter_map(|pos| kept_scalar(kept, runs, pos, s))
                .collect(),
        });
    }
    for (c, values) in &kept.revenue {
        out.push(Series {
            name: revenue_column(c),
            values: values.as_slice().into(),
        });
    }
    out
}

fn summary_csv(kept: &Kept, runs: &Runs) -> Result<Vec<u8>, Error> {
    let header = strings(&["metric", "statistic", "value", "ci_low", "ci_high"]);
    let mut rows = Vec::new();
    for s in summary_series(kept, runs) {
        summary_rows(&mut rows, s);
    }
    // Per corridor, crossing and product, in order of first appearance, read back a
    // block of metrics at a time.
    if let Some(spill) = &kept.keyed_values {
        spill.for_each(SPILL_VALUES, |k, values| {
            let name = kept.keyed[k].clone();
            summary_rows(
                &mut rows,
                Series {
                    name,
                    values: values.into(),
                },
            );
        })?;
    }
    Ok(csv_bytes(&header, rows))
}

/// The rows of `summary.csv` of one series.
fn summary_rows(rows: &mut Vec<Vec<String>>, s: Series<'_>) {
    let Some(st) = Stats::of(&s.values) else {
        rows.push(vec![
            s.name,
            "n".into(),
            "0".into(),
            String::new(),
            String::new(),
        ]);
        return;
    };
    let m = &s.name;
    let row =
        |stat: &str, v: String| vec![m.clone(), stat.to_string(), v, String::new(), String::new()];
    rows.push(row("n", st.n.to_string()));
    rows.push(vec![
        m.clone(),
        "mean".into(),
        num(st.mean),
        num(st.ci_low),
        num(st.ci_high),
    ]);
    rows.push(row("se", num(st.se)));
    rows.push(row("relative_error", num(st.relative_error())));
    rows.push(row("sd", num(st.sd)));
    rows.push(row("min", num(st.min)));
    rows.push(row("p5", num(st.p5)));
    rows.push(row("p50", num(st.p50)));
    rows.push(row("p95", num(st.p95)));
    rows.push(row("p99", num(st.p99)));
    rows.push(row("max", num(st.max)));
    rows.push(row("var95", num(st.p95)));
    rows.push(row("tvar95", num(st.tvar95)));
    rows.push(row("var99", num(st.p99)));
    rows.push(row("tvar99", num(st.tvar99)));
}

fn exceedance_csv(losses: &[f64]) -> Vec<u8> {
    let header = strings(&[
        "total_loss_usd",
        "runs_at_or_above",
        "annual_exceedance_probability",
        "return_period_years",
    ]);
    let rows = stats::exceedance_curve(losses).into_iter().map(|p| {
        vec![
            num(p.loss_usd),
            p.runs_at_or_above.to_string(),
            num(p.aep),
            num(p.return_period_years),
        ]
    });
    csv_bytes(&header, rows)
}

/// `daily_bands.csv` from the bands of stranded trucks and of delivered USD.
fn bands_csv(bands: &[Vec<stats::Band>; 2], start: NaiveDate) -> Vec<u8> {
    let header = strings(&["day", "date", "series", "p5", "p50", "p95", "mean"]);
    let mut rows = Vec::new();
    for (name, series) in ["stranded_trucks", "delivered_usd"].into_iter().zip(bands) {
        for (day, b) in series.iter().enumerate() {
            rows.push(vec![
                day.to_string(),
                (start + chrono::Duration::days(day as i64)).to_string(),
                name.to_string(),
                num(b.p5),
                num(b.p50),
                num(b.p95),
                num(b.mean),
            ]);
        }
    }
    csv_bytes(&header, rows)
}

fn convergence_csv(losses: &[f64]) -> Vec<u8> {
    let header = strings(&[
        "runs",
        "mean_total_loss_usd",
        "se_usd",
        "ci_low_usd",
        "ci_high_usd",
        "relative_error",
    ]);
    let rows = stats::convergence(losses).into_iter().map(|p| {
        vec![
            p.runs.to_string(),
            num(p.mean),
            num(p.se),
            num(p.mean - stats::Z95 * p.se),
            num(p.mean + stats::Z95 * p.se),
            num(p.relative_error),
        ]
    });
    csv_bytes(&header, rows)
}

// ---------------------------------------------------------------- reading and merging

/// A row of a shard's `runs.csv`: its fixed columns (the revenue lost per country is
/// read beside it, by column name).
#[derive(Deserialize)]
struct RunsRow {
    run: u64,
    closure_windows: usize,
    #[serde(deserialize_with = "nan_if_empty")]
    total_loss_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    welfare_loss_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    trade_value_halted_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    reroute_cost_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    delay_cost_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    spoilage_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    lost_trade_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    peak_stranded_trucks: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    stranded_truck_days: f64,
    days_to_recover: Option<u32>,
    runout_days: u32,
    runout_capped: u8,
    #[serde(deserialize_with = "nan_if_empty")]
    runout_open_t: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    runout_open_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    demand_forgone_t: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    demand_forgone_usd: f64,
}

/// A row of `corridors.csv`.
#[derive(Deserialize)]
struct CorridorRow {
    run: u64,
    corridor: String,
    closure_days: u32,
    #[serde(deserialize_with = "nan_if_empty")]
    delivered_t: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    delivered_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    counterfactual_t: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    counterfactual_usd: f64,
}

/// A row of `crossings.csv`.
#[derive(Deserialize)]
struct CrossingRow {
    run: u64,
    link: String,
    #[serde(deserialize_with = "nan_if_empty")]
    trade_value_halted_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    halted_while_closed_usd: f64,
    closed_days: u32,
    #[serde(deserialize_with = "nan_if_empty")]
    peak_stranded_trucks: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    stranded_truck_days: f64,
}

/// Which side of a trade a `welfare.csv` row is.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Side {
    Buyer,
    Seller,
}

/// A row of `welfare.csv`.
#[derive(Deserialize)]
struct WelfareRow {
    run: u64,
    country: String,
    side: Side,
    #[serde(deserialize_with = "nan_if_empty")]
    welfare_loss_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    lost_trade_usd: f64,
}

/// What a `trade.csv` row is by.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum By {
    Product,
    Partner,
}

/// A row of `trade.csv`.
#[derive(Deserialize)]
struct TradeRow {
    run: u64,
    by: By,
    id: String,
    #[serde(deserialize_with = "nan_if_empty")]
    delivered_t: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    delivered_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    counterfactual_t: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    counterfactual_usd: f64,
}

/// A row of `closures.csv` (its dates follow from the start day).
#[derive(Deserialize)]
pub(super) struct ClosureCsvRow {
    pub(super) run: u64,
    pub(super) target: String,
    pub(super) start_day: i64,
    pub(super) duration_days: u32,
    #[serde(deserialize_with = "nan_if_empty")]
    pub(super) capacity_factor: f64,
    pub(super) ramp_days: u32,
    pub(super) label: String,
}

/// A row of `price_runs.csv`.
#[derive(Deserialize)]
struct PriceRow {
    run: u64,
    product: String,
    node: String,
    side: String,
    #[serde(deserialize_with = "nan_if_empty")]
    counterfactual_mean_usd_per_t: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    mean_change_usd_per_t: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    peak_change_usd_per_t: f64,
    peak_day: Option<u32>,
}

/// A row of `daily_runs.csv`.
#[derive(Deserialize)]
struct DailyRow {
    run: u64,
    day: usize,
    stranded_trucks: Option<f64>,
    delivered_usd: Option<f64>,
}

/// A table of a shard's partial result whose rows carry their run.
trait OfRun: serde::de::DeserializeOwned {
    fn run(&self) -> u64;
}

macro_rules! of_run {
    ($($t:ty),*) => {
        $(impl OfRun for $t {
            fn run(&self) -> u64 {
                self.run
            }
        })*
    };
}
of_run!(
    CorridorRow,
    CrossingRow,
    WelfareRow,
    TradeRow,
    ClosureCsvRow,
    PriceRow,
    DailyRow
);

/// One table of a shard read row by row: the rows of a run are read when that run is
/// merged, so a merge holds one run of each table at a time.
struct Table<T> {
    rows: Rows,
    /// The next row (read ahead: it belongs to a later run), with its line.
    next: Option<(u64, T)>,
}

impl<T: OfRun> Table<T> {
    fn open(dir: &Path, name: &str, columns: &[&str]) -> Result<Table<T>, Error> {
        let mut rows = Rows::open(&dir.join(name), columns)?;
        let next = rows.next()?;
        Ok(Table { rows, next })
    }

    /// Hand the rows of `run` (the next ones: a shard writes its runs in order) with
    /// their lines to `each`. A row of an earlier run is out of place: its run is not
    /// in `runs.csv` (or not in order).
    fn take(
        &mut self,
        run: u64,
        mut each: impl FnMut(u64, T) -> Result<(), Error>,
    ) -> Result<(), Error> {
        while let Some((line, row)) = self.next.take() {
            if row.run() > run {
                self.next = Some((line, row));
                break;
            }
            if row.run() < run {
                return Err(self.stray(line, row.run()));
            }
            each(line, row)?;
            self.next = self.rows.next()?;
        }
        Ok(())
    }

    /// An error for a row whose run is not among the runs read.
    fn stray(&self, line: u64, run: u64) -> Error {
        at(
            self.rows.path(),
            line,
            "run",
            format!("run {run} is not in runs.csv (or its rows are not in run order)"),
        )
    }

    /// After the last run: an error for a row left over.
    fn done(&self) -> Result<(), Error> {
        match &self.next {
            Some((line, row)) => Err(self.stray(*line, row.run())),
            None => Ok(()),
        }
    }
}

/// One shard's partial result, read a run at a time, in run order: each table read
/// row by row into its typed row ([`Rows`]), so a bad file names its line and column.
struct Partial {
    dir: PathBuf,
    shard: Shard,
    total_runs: u64,
    runs: Rows,
    corridors: Table<CorridorRow>,
    crossings: Table<CrossingRow>,
    welfare: Table<WelfareRow>,
    trade: Table<TradeRow>,
    closures: Table<ClosureCsvRow>,
    prices: Table<PriceRow>,
    daily: Table<DailyRow>,
}

impl Partial {
    fn open(dir: &Path, manifest: &Manifest, shard: Shard) -> Result<Partial, Error> {
        let mut columns = vec!["run", "closure_windows"];
        columns.extend(
            scalars()
                .iter()
                .map(|s| s.name)
                .filter(|s| *s != "revenue_lost_usd"),
        );
        let closures: Vec<&str> = CLOSURES_HEADER
            .into_iter()
            .filter(|c| !c.ends_with("_date"))
            .collect();
        Ok(Partial {
            dir: dir.to_path_buf(),
            shard,
            total_runs: settings(manifest)?.runs,
            runs: Rows::open(&dir.join("runs.csv"), &columns)?,
            corridors: Table::open(dir, "corridors.csv", &CORRIDORS_HEADER)?,
            crossings: Table::open(dir, "crossings.csv", &CROSSINGS_HEADER)?,
            welfare: Table::open(dir, "welfare.csv", &WELFARE_HEADER)?,
            trade: Table::open(dir, "trade.csv", &TRADE_HEADER)?,
            closures: Table::open(dir, "closures.csv", &closures)?,
            prices: Table::open(dir, "price_runs.csv", &PRICE_RUNS_HEADER)?,
            daily: Table::open(dir, "daily_runs.csv", &DAILY_HEADER)?,
        })
    }

    /// The whole record of run `want` (a run of this shard), read from every table.
    fn record(&mut self, want: u64, runs: u64) -> Result<RunRecord, Error> {
        let missing = || {
            Error::Invalid(format!(
                "the shards do not hold runs 0..{runs}: run {want} is missing"
            ))
        };
        if !self.runs.advance()? {
            return Err(missing());
        }
        let (path, line) = (self.runs.path().to_path_buf(), self.runs.line());
        let r: RunsRow = self.runs.get()?;
        let run = r.run;
        if !self.shard.contains(run) || run >= self.total_runs {
            let message = format!("run {run} does not belong to shard {}", self.shard);
            return Err(at(&path, line, "run", message));
        }
        if run < want {
            return Err(at(&path, line, "run", format!("run {run} appears twice")));
        }
        if run > want {
            return Err(missing());
        }
        let metrics = RunMetrics {
            total_loss_usd: r.total_loss_usd,
            welfare_loss_usd: r.welfare_loss_usd,
            trade_value_halted_usd: r.trade_value_halted_usd,
            reroute_cost_usd: r.reroute_cost_usd,
            delay_cost_usd: r.delay_cost_usd,
            spoilage_usd: r.spoilage_usd,
            lost_trade_usd: r.lost_trade_usd,
            peak_stranded_trucks: r.peak_stranded_trucks,
            stranded_truck_days: r.stranded_truck_days,
            days_to_recover: r.days_to_recover,
            runout_days: r.runout_days,
            runout_capped: r.runout_capped != 0,
            runout_open_t: r.runout_open_t,
            runout_open_usd: r.runout_open_usd,
            demand_forgone_t: r.demand_forgone_t,
            demand_forgone_usd: r.demand_forgone_usd,
            revenue_lost_usd: revenue(&path, line, &self.runs.get()?)?,
            ..RunMetrics::default()
        };
        let mut rec = RunRecord {
            run,
            closures: Vec::new(),
            metrics,
            daily: None,
        };
        let m = &mut rec.metrics;
        self.corridors.take(run, |_, r| {
            m.corridors.push(CorridorMetrics {
                corridor: r.corridor,
                closure_days: r.closure_days,
                delivered_t: r.delivered_t,
                delivered_usd: r.delivered_usd,
                counterfactual_t: r.counterfactual_t,
                counterfactual_usd: r.counterfactual_usd,
            });
            Ok(())
        })?;
        self.crossings.take(run, |_, r| {
            m.crossings.push(CrossingMetrics {
                link: r.link,
                trade_value_halted_usd: r.trade_value_halted_usd,
                halted_while_closed_usd: r.halted_while_closed_usd,
                closed_days: r.closed_days,
                peak_stranded_trucks: r.peak_stranded_trucks,
                stranded_truck_days: r.stranded_truck_days,
            });
            Ok(())
        })?;
        self.welfare.take(run, |_, r| {
            let w = crate::sim::CountryWelfare {
                welfare_loss_usd: r.welfare_loss_usd,
                lost_trade_usd: r.lost_trade_usd,
            };
            match r.side {
                Side::Buyer => m.welfare_by_buyer.insert(r.country, w),
                Side::Seller => m.welfare_by_seller.insert(r.country, w),
            };
            Ok(())
        })?;
        self.trade.take(run, |_, r| {
            let d = Delivered {
                t: r.delivered_t,
                usd: r.delivered_usd,
                counterfactual_t: r.counterfactual_t,
                counterfactual_usd: r.counterfactual_usd,
            };
            match r.by {
                By::Product => m.by_product.insert(r.id, d),
                By::Partner => m.by_partner.insert(r.id, d),
            };
            Ok(())
        })?;
        self.prices.take(run, |_, r| {
            m.prices.push(PriceMetrics {
                product: r.product,
                node: r.node,
                side: r.side,
                counterfactual_mean_usd_per_t: r.counterfactual_mean_usd_per_t,
                mean_change_usd_per_t: r.mean_change_usd_per_t,
                peak_change_usd_per_t: r.peak_change_usd_per_t,
                peak_day: r.peak_day,
            });
            Ok(())
        })?;
        let closures = &mut rec.closures;
        self.closures.take(run, |_, r| {
            closures.push(ClosureRow {
                target: r.target,
                start_day: r.start_day,
                duration_days: r.duration_days,
                capacity_factor: r.capacity_factor,
                ramp_days: r.ramp_days,
                label: r.label,
            });
            Ok(())
        })?;
        let daily = &mut rec.daily;
        let path = self.daily.rows.path().to_path_buf();
        self.daily.take(run, |line, r| {
            let d = daily.get_or_insert_with(DailyRecord::default);
            for (v, series) in [
                (r.stranded_trucks, &mut d.stranded_trucks),
                (r.delivered_usd, &mut d.delivered_usd),
            ] {
                if let Some(v) = v {
                    if series.len() != r.day {
                        let message = format!("day {} out of order", r.day);
                        return Err(at(&path, line, "day", message));
                    }
                    series.push(v);
                }
            }
            Ok(())
        })?;
        if rec.closures.len() != r.closure_windows {
            return Err(Error::Invalid(format!(
                "{}: run {run} has {} closures in closures.csv but runs.csv says {}",
                self.dir.display(),
                rec.closures.len(),
                r.closure_windows
            )));
        }
        Ok(rec)
    }

    /// After the study's last run: an error for any row left in a table.
    fn done(&mut self) -> Result<(), Error> {
        if self.runs.advance()? {
            let (path, line) = (self.runs.path().to_path_buf(), self.runs.line());
            let r: RunsRow = self.runs.get()?;
            let message = format!("run {} does not belong to shard {}", r.run, self.shard);
            return Err(at(&path, line, "run", message));
        }
        self.corridors.done()?;
        self.crossings.done()?;
        self.welfare.done()?;
        self.trade.done()?;
        self.closures.done()?;
        self.prices.done()?;
        self.daily.done()
    }
}

/// The revenue lost per country of one `runs.csv` row (read as column -> value).
fn revenue(
    path: &Path,
    line: u64,
    row: &BTreeMap<String, Option<f64>>,
) -> Result<BTreeMap<String, f64>, Error> {
    let mut out = BTreeMap::new();
    for (c, v) in row {
        let Some(country) = c
            .strip_prefix("revenue_lost_")
            .and_then(|x| x.strip_suffix("_usd"))
            .filter(|c| !c.is_empty())
        else {
            continue;
        };
        let v = v.ok_or_else(|| at(path, line, c, "empty: expected a number".into()))?;
        out.insert(country.to_string(), v);
    }
    Ok(out)
}

/// The partial results of shards `1/n ..= n/n` (in any order) read back a run at a
/// time, in run order, as one process would have produced them: [`merge`] collects
/// them, [`Merge::write`] writes them as they are read (what `chokepoint merge` does,
/// so that its memory does not grow with the runs' tables).
pub struct Merge {
    manifest: Manifest,
    shards: Vec<Partial>,
    runs: u64,
    next: u64,
}

impl Merge {
    /// Open the shards in `dirs`. Their manifests must agree in every field but the
    /// shard and the files: an error names the first field that differs and the
    /// folders. A missing or repeated shard is an error too.
    pub fn open(dirs: &[PathBuf]) -> Result<Merge, Error> {
        // Every manifest first (cheap): refuse a mix before reading any table. (A compare
        // shard's parts are Monte Carlo partial results of their own command.)
        let mut manifests = Vec::new();
        for d in dirs {
            let (m, s) = crate::study::shards::read_shard(d, None, shard_of)?;
            manifests.push((d.clone(), m, s));
        }
        crate::study::shards::check_set(&manifests, &["montecarlo.shard", "files"])?;
        let mut shards = Vec::new();
        for (d, m, s) in &manifests {
            shards.push(Partial::open(d, m, *s)?);
        }
        // By k, so that run i is in shards[i % n].
        shards.sort_by_key(|p| p.shard.k());
        let mut manifest = manifests[0].1.clone();
        manifest.files.clear();
        let mc = manifest.montecarlo.as_mut().ok_or_else(|| {
            Error::Invalid("a shard manifest without Monte Carlo settings".into())
        })?;
        mc.shard = None;
        let runs = mc.runs;
        Ok(Merge {
            manifest,
            shards,
            runs,
            next: 0,
        })
    }

    /// The manifest of the merged study (no shard, no files yet).
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The next run's whole record, in run order; `None` after the study's last run
    /// (when every table of every shard must have been read to its end).
    pub fn next_record(&mut self) -> Result<Option<RunRecord>, Error> {
        let n = self.shards.len() as u64;
        if self.next == self.runs {
            for s in &mut self.shards {
                s.done()?;
            }
            self.next += 1;
            return Ok(None);
        }
        if self.next > self.runs || n == 0 {
            return Ok(None);
        }
        let i = self.next;
        let r = self.shards[(i % n) as usize].record(i, self.runs)?;
        self.next += 1;
        Ok(Some(r))
    }

    /// Write the merged study into `dir` as its runs are read ([`Writer`]), keeping
    /// only each run's scalar metrics: the outcome returned holds those ([`Outcome::runs`])
    /// and no records.
    pub fn write(self, dir: &Path) -> Result<Outcome, Error> {
        self.write_with(dir, |_| Ok(Vec::new()))
    }

    /// As [`Merge::write`], with the files `extra` makes of the merged outcome (the
    /// controlled estimates: [`super::controlled::from_shards`]) written with the others
    /// and listed in the manifest.
    pub fn write_with(
        mut self,
        dir: &Path,
        extra: impl FnOnce(&Outcome) -> Result<Vec<(&'static str, Vec<u8>)>, Error>,
    ) -> Result<Outcome, Error> {
        let mut w = Writer::create(dir, &self.manifest)?;
        let study = Study::Montecarlo;
        let mut runs = Runs::with_capacity(study, self.runs.min(1 << 20) as usize);
        while let Some(r) = self.next_record()? {
            w.push(&r)?;
            runs.push(r.run, &r.metrics);
        }
        let outcome = Outcome {
            manifest: self.manifest,
            runs,
            records: Vec::new(),
        };
        let extra = extra(&outcome)?;
        w.finish(&outcome, extra)?;
        Ok(outcome)
    }
}

/// Merge the partial results of shards `1/n ..= n/n` (in any order) into the outcome one
/// process would have produced (every run's whole record: [`Merge::write`] writes the
/// files without holding them). The shards' manifests must agree in every field but the
/// shard and the files: an error names the first field that differs and the folders.
/// A missing or repeated shard is an error too.
pub fn merge(dirs: &[PathBuf]) -> Result<Outcome, Error> {
    let mut m = Merge::open(dirs)?;
    let mut records = Vec::new();
    while let Some(r) = m.next_record()? {
        records.push(r);
    }
    Ok(Outcome::of_records(m.manifest, records))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `prices.csv` of the runs' price points as it was made before the points were
    /// kept sparsely: every run's peak and mean change (0 where a point did not change)
    /// in run order, and `Stats::of` over them.
    fn dense_prices_csv(runs: &[Vec<PriceMetrics>]) -> Vec<u8> {
        let n = runs.len();
        type Dense = (f64, Vec<f64>, Vec<f64>, usize);
        let mut points: BTreeMap<PriceKey, Dense> = BTreeMap::new();
        for (i, prices) in runs.iter().enumerate() {
            for q in prices.iter().filter(|q| q.peak_change_usd_per_t != 0.0) {
                let key = (q.product.clone(), q.side.clone(), q.node.clone());
                let e = points.entry(key).or_insert_with(|| {
                    (
                        q.counterfactual_mean_usd_per_t,
                        vec![0.0; n],
                        vec![0.0; n],
                        0,
                    )
                });
                e.1[i] = q.peak_change_usd_per_t;
                e.2[i] = q.mean_change_usd_per_t;
                e.3 += 1;
            }
        }
        let rows = points
            .iter()
            .map(|((product, side, node), (cf, peak, mean, k))| {
                let (st, sm) = (Stats::of(peak).unwrap(), Stats::of(mean).unwrap());
                let mut row = vec![product.clone(), node.clone(), side.clone(), num(*cf)];
                row.extend([n.to_string(), k.to_string()]);
                row.extend([st.mean, st.min, st.p5, st.p50, st.p95, st.max, sm.mean].map(num));
                row
            });
        let header = String::from_utf8(prices_csv(&PriceChanges::default(), 0).unwrap()).unwrap();
        let header: Vec<&str> = header.trim_end().split(',').collect();
        csv_bytes(&header, rows)
    }

    proptest::proptest! {
        /// The price points kept sparsely (the peak changes of the runs in which a
        /// point changed, a running sum of its mean change) give `prices.csv` to the
        /// byte, whatever the changes (zeros and negative zeros among the mean changes,
        /// points that change in the first run or only in the last).
        #[test]
        fn sparse_price_points_give_the_dense_statistics(
            runs in proptest::collection::vec(
                proptest::collection::vec(
                    (0u8..4, -3i8..4, -1i8..2, proptest::bool::ANY),
                    0..5,
                ),
                1..12,
            )
        ) {
            let runs: Vec<Vec<PriceMetrics>> = runs
                .iter()
                .map(|run| {
                    let mut seen = std::collections::HashSet::new();
                    run.iter()
                        .filter(|(p, ..)| seen.insert(*p))
                        .map(|&(p, peak, mean, neg)| PriceMetrics {
                            product: format!("p{}", p % 2),
                            node: format!("n{}", p / 2),
                            side: "market".into(),
                            counterfactual_mean_usd_per_t: f64::from(p) * 10.0,
                            mean_change_usd_per_t: match (mean, neg) {
                                (0, true) => -0.0,
                                _ => f64::from(mean) / 3.0,
                            },
                            peak_change_usd_per_t: f64::from(peak) * 0.7,
                            peak_day: None,
                        })
                        .collect()
                })
                .collect();
            proptest::prop_assert_eq!(sparse_prices_csv(&runs), dense_prices_csv(&runs));
        }
    }

    fn sparse_prices_csv(runs: &[Vec<PriceMetrics>]) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let mut kept = PriceChanges::default();
        for (pos, prices) in runs.iter().enumerate() {
            kept.push(prices, pos, dir.path()).unwrap();
        }
        if let Some(peaks) = &mut kept.peaks {
            peaks.close().unwrap();
        }
        prices_csv(&kept, runs.len()).unwrap()
    }

    /// A point whose only change is a mean change of -0.0, in the last run: the dense
    /// sum (-0.0 + 0.0 + -0.0) is 0.0, not -0.0.
    #[test]
    fn a_negative_zero_mean_change_after_a_gap_sums_as_the_dense_column() {
        let q = PriceMetrics {
            product: "p".into(),
            node: "n".into(),
            side: "market".into(),
            counterfactual_mean_usd_per_t: 1.0,
            mean_change_usd_per_t: -0.0,
            peak_change_usd_per_t: 2.0,
            peak_day: None,
        };
        let runs = vec![Vec::new(), vec![q]];
        let text = String::from_utf8(sparse_prices_csv(&runs)).unwrap();
        assert_eq!(text, String::from_utf8(dense_prices_csv(&runs)).unwrap());
        assert!(text.trim_end().ends_with(",0.0"), "{text}");
    }

    proptest::proptest! {
        /// Columns spilled value by value, in any interleaving, come back whole and in
        /// order, column by column, for any number of values read at a time; the file
        /// is gone once the spill is dropped.
        #[test]
        fn spilled_columns_come_back_as_pushed(
            values in proptest::collection::vec((0u32..7, -1e6f64..1e6), 0..60),
            block in 1usize..80,
        ) {
            let dir = tempfile::tempdir().unwrap();
            let mut spill = ColumnSpill::create(dir.path(), "x").unwrap();
            let mut want: Vec<Vec<f64>> = Vec::new();
            for &(k, v) in &values {
                spill.push(k, v).unwrap();
                if want.len() <= k as usize {
                    want.resize(k as usize + 1, Vec::new());
                }
                want[k as usize].push(v);
            }
            proptest::prop_assert!(spill.for_each(block, |_, _| ()).is_err());
            spill.close().unwrap();
            proptest::prop_assert!(spill.push(0, 1.0).is_err());
            let mut got: Vec<Vec<f64>> = Vec::new();
            spill
                .for_each(block, |k, col| {
                    assert_eq!(k, got.len());
                    got.push(col);
                })
                .unwrap();
            proptest::prop_assert_eq!(got, want);
            let path = spill.scratch.path.clone();
            drop(spill);
            proptest::prop_assert!(!path.exists());
        }
    }

    /// The bands made a block of days at a time from the file equal those of all the
    /// series in memory, for ragged series and any block size.
    #[test]
    fn spilled_daily_series_give_the_bands_of_all_series() {
        let dir = tempfile::tempdir().unwrap();
        let mut spill = DailySpill::create(dir.path()).unwrap();
        let mut all = Vec::new();
        for run in 0..23u32 {
            let n = [9, 11, 0, 11, 4][run as usize % 5];
            let x = |k: u32| -> Vec<f64> {
                (0..n)
                    .map(|d| f64::from((run * 37 + d * 11 + k) % 17) * 0.5 - 1.0)
                    .collect()
            };
            let d = DailyRecord {
                stranded_trucks: x(0),
                delivered_usd: x(1)[..n as usize / 2 * 2].to_vec(),
            };
            spill.push(&d).unwrap();
            all.push(d);
        }
        let trucks: Vec<&[f64]> = all.iter().map(|d| d.stranded_trucks.as_slice()).collect();
        let usd: Vec<&[f64]> = all.iter().map(|d| d.delivered_usd.as_slice()).collect();
        let want = [stats::daily_bands(&trucks), stats::daily_bands(&usd)];
        for values in [1, 23, 24, 50, 1000] {
            assert_eq!(
                spill.bands_by(values).unwrap(),
                want,
                "{values} values a block"
            );
        }
        let path = spill.scratch.path.clone();
        drop(spill);
        assert!(!path.exists());
    }
}
