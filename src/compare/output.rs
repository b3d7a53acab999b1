//! The files of a comparison, its shards' partial results, and merging them.
//!
//! | file | one row per | contents |
//! |---|---|---|
//! | `compare_runs.csv` | future x run x candidate | the run's total loss, its components, revenue lost, stranded trucks, run-out |
//! | `differences.csv` | future x pair x metric | mean reduction (against minus option: positive = the option loses less) with its paired and unpaired 95% intervals, how much variance pairing removed |
//! | `wins.csv` | future x pair | runs in which the option's total loss is strictly lower (wins), equal (ties), higher |
//! | `best.csv` | future x candidate | mean total loss, rank by mean, share of runs it alone is best, ties, bootstrap stability of the ranking |
//! | `tail.csv` | future x pair x measure | VaR and TVaR at 95% and 99% of both, the reduction (against minus option) with its bootstrap interval |
//! | `diversion.csv` | future x option x corridor | mean tonnes and value delivered over the corridor, option against base |
//! | `revenue.csv` | future x option x country | mean border revenue lost, option against base, and its reduction (base minus option) |
//! | `benefit_cost.csv` | future x option | avoided loss per year, present values, NPV, benefit/cost ratio, TVaR95 reduction per million USD |
//! | `futures.csv` | future x candidate | mean annual loss, regret, equivalent annual cost, regret with cost, share below the threshold |
//! | `robustness.csv` | candidate | largest regret over futures, the least-max-regret choice, satisficing share |
//! | `manifest.json` | | command `compare`: the base and each option with path and checksum, the futures, the statistics' settings; every file's checksum; written last |
//!
//! One sign convention: a loss avoided is positive (against minus option, or base minus
//! option), in every file as in the CLI's table and the report's charts; columns say so
//! by their names (`mean_reduction`, `reduction_usd`, `avoided_loss_usd_per_year`).
//! `diversion.csv` holds trade delivered, not a loss: its differences are option minus
//! base (more delivered over the corridor = positive).
//!
//! Every float is written in the tool's number format ([`crate::study::output::num`]). A shard writes
//! `part-F-C/` (one Monte Carlo partial result per future `F` and candidate `C`, see
//! [`crate::montecarlo::output`]) and then `shard.json`.

use std::path::{Path, PathBuf};

use super::analysis::{analyse, best_ci, pairs, Analysis};
use super::{Columns, Outcome};
use crate::montecarlo;
use crate::output::manifest::{FileRecord, Manifest};
use crate::study::metrics::Study;
use crate::study::output::{csv_bytes, num, write_with_manifest};
use crate::Error;

/// The files a finished comparison writes, manifest last.
pub const FILES: [&str; 10] = [
    "compare_runs.csv",
    "differences.csv",
    "wins.csv",
    "best.csv",
    "tail.csv",
    "diversion.csv",
    "revenue.csv",
    "benefit_cost.csv",
    "futures.csv",
    "robustness.csv",
];

/// The tables of a finished comparison, as (file name, bytes).
pub fn tables(o: &Outcome, a: &Analysis) -> Vec<(&'static str, Vec<u8>)> {
    let (header, rows) = run_rows(o, a);
    let mut out = vec![("compare_runs.csv", csv_bytes(&header, rows))];
    out.extend(statistics(a));
    out
}

/// The tables of a finished comparison but `compare_runs.csv` (its statistics), as
/// (file name, bytes).
fn statistics(a: &Analysis) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("differences.csv", differences(a)),
        ("wins.csv", wins(a)),
        ("best.csv", best(a)),
        ("tail.csv", tail(a)),
        ("diversion.csv", diversion(a)),
        ("revenue.csv", revenue(a)),
        ("benefit_cost.csv", benefit_cost(a)),
        ("futures.csv", futures(a)),
        ("robustness.csv", robustness(a)),
    ]
}

/// `compare_runs.csv`'s header and rows (one per future, run and candidate), made a row
/// at a time from the outcome's columns.
fn run_rows<'a>(
    o: &'a Outcome,
    a: &'a Analysis,
) -> (Vec<&'static str>, impl Iterator<Item = Vec<String>> + 'a) {
    let mut header = vec!["future", "run", "candidate"];
    let metrics = crate::study::metrics::of(crate::study::metrics::Study::Compare);
    header.extend(metrics.iter().map(|m| m.name));
    // Every compare metric is defined in every run (`Columns` holds NaN for an
    // undefined one, which no compare metric has).
    let rows = o.columns.iter().enumerate().flat_map(move |(fi, by_c)| {
        let n = by_c.first().map_or(0, Columns::len);
        let metrics = metrics.clone();
        (0..n).flat_map(move |i| {
            let metrics = metrics.clone();
            by_c.iter().enumerate().map(move |(k, cols)| {
                let mut row = vec![
                    a.futures[fi].clone(),
                    cols.runs[i].to_string(),
                    a.labels[k].clone(),
                ];
                row.extend(
                    metrics
                        .iter()
                        .zip(&cols.metrics)
                        .map(|(m, col)| m.cell(Some(col[i]))),
                );
                row
            })
        })
    });
    (header, rows)
}

/// `differences.csv`, one row per future x pair x metric: the mean reduction with its paired and unpaired intervals.
fn differences(a: &Analysis) -> Vec<u8> {
    let l = |k: usize| a.labels[k].clone();
    let fut = |k: usize| a.futures[k].clone();
    let rows = a.differences.iter().map(|d| {
        let p = &d.paired;
        vec![
            fut(d.future),
            l(d.option),
            l(d.against),
            d.metric.clone(),
            p.n.to_string(),
            num(-p.mean),
            num(p.se),
            num(-p.ci_high),
            num(-p.ci_low),
            num(p.se_unpaired),
            num(-p.unpaired_ci_high),
            num(-p.unpaired_ci_low),
            num(p.width_ratio()),
            num(p.variance_removed()),
        ]
    });
    csv_bytes(
        &[
            "future",
            "option",
            "against",
            "metric",
            "runs",
            "mean_reduction",
            "paired_se",
            "reduction_ci_low",
            "reduction_ci_high",
            "unpaired_se",
            "reduction_unpaired_ci_low",
            "reduction_unpaired_ci_high",
            "ci_width_ratio",
            "variance_removed_share",
        ],
        rows,
    )
}

/// `wins.csv`, one row per future x pair: runs the option wins, ties and loses.
fn wins(a: &Analysis) -> Vec<u8> {
    let l = |k: usize| a.labels[k].clone();
    let fut = |k: usize| a.futures[k].clone();
    let rows = a.wins.iter().map(|w| {
        let (lo, hi) = w.wins.ci();
        let n = w.wins.n;
        vec![
            fut(w.future),
            l(w.option),
            l(w.against),
            n.to_string(),
            w.wins.wins.to_string(),
            w.wins.ties.to_string(),
            (n - w.wins.wins - w.wins.ties).to_string(),
            num(w.wins.p()),
            num(lo),
            num(hi),
            num(w.wins.ties as f64 / n.max(1) as f64),
        ]
    });
    csv_bytes(
        &[
            "future",
            "option",
            "against",
            "runs",
            "wins",
            "ties",
            "losses",
            "p_beats",
            "p_beats_ci_low",
            "p_beats_ci_high",
            "p_ties",
        ],
        rows,
    )
}

/// `best.csv`, one row per future x candidate: the ranking by mean and how often each is best.
fn best(a: &Analysis) -> Vec<u8> {
    let l = |k: usize| a.labels[k].clone();
    let fut = |k: usize| a.futures[k].clone();
    let rows = a.best.iter().map(|b| {
        let (lo, hi) = best_ci(b);
        vec![
            fut(b.future),
            l(b.candidate),
            num(b.mean_total_loss_usd),
            b.rank.to_string(),
            b.n.to_string(),
            b.best.to_string(),
            num(b.best as f64 / b.n.max(1) as f64),
            num(lo),
            num(hi),
            num(b.tied_best as f64 / b.n.max(1) as f64),
            num(b.p_keeps_rank),
            num(b.p_ranking_holds),
        ]
    });
    csv_bytes(
        &[
            "future",
            "candidate",
            "mean_total_loss_usd",
            "rank_by_mean",
            "runs",
            "runs_best",
            "p_best",
            "p_best_ci_low",
            "p_best_ci_high",
            "p_tied_best",
            "bootstrap_p_keeps_rank",
            "bootstrap_p_ranking_holds",
        ],
        rows,
    )
}

/// `tail.csv`, one row per future x pair x measure: VaR and TVaR of both and the reduction.
fn tail(a: &Analysis) -> Vec<u8> {
    let l = |k: usize| a.labels[k].clone();
    let fut = |k: usize| a.futures[k].clone();
    let rows = a.tails.iter().map(|t| {
        vec![
            fut(t.future),
            l(t.option),
            l(t.against),
            t.measure.to_string(),
            num(t.option_usd),
            num(t.against_usd),
            num(t.against_usd - t.option_usd),
            num(-t.ci.1),
            num(-t.ci.0),
        ]
    });
    csv_bytes(
        &[
            "future",
            "option",
            "against",
            "measure",
            "option_usd",
            "against_usd",
            "reduction_usd",
            "reduction_ci_low_usd",
            "reduction_ci_high_usd",
        ],
        rows,
    )
}

/// `diversion.csv`, one row per future x option x corridor: trade delivered, option against base.
fn diversion(a: &Analysis) -> Vec<u8> {
    let l = |k: usize| a.labels[k].clone();
    let fut = |k: usize| a.futures[k].clone();
    let rows = a.corridors.iter().map(|r| {
        let usd = r.second.as_ref();
        vec![
            fut(r.future),
            l(r.option),
            r.key.clone(),
            num(r.base_mean),
            num(r.option_mean),
            num(r.paired.mean),
            num(r.paired.ci_low),
            num(r.paired.ci_high),
            num(usd.map_or(f64::NAN, |p| p.mean)),
            num(usd.map_or(f64::NAN, |p| p.ci_low)),
            num(usd.map_or(f64::NAN, |p| p.ci_high)),
        ]
    });
    csv_bytes(
        &[
            "future",
            "option",
            "corridor",
            "base_delivered_t",
            "option_delivered_t",
            "mean_difference_t",
            "ci_low_t",
            "ci_high_t",
            "mean_difference_usd",
            "ci_low_usd",
            "ci_high_usd",
        ],
        rows,
    )
}

/// `revenue.csv`, one row per future x option x country: border revenue lost, option against base.
fn revenue(a: &Analysis) -> Vec<u8> {
    let l = |k: usize| a.labels[k].clone();
    let fut = |k: usize| a.futures[k].clone();
    let rows = a.revenue.iter().map(|r| {
        vec![
            fut(r.future),
            l(r.option),
            r.key.clone(),
            num(r.base_mean),
            num(r.option_mean),
            num(-r.paired.mean),
            num(-r.paired.ci_high),
            num(-r.paired.ci_low),
        ]
    });
    csv_bytes(
        &[
            "future",
            "option",
            "country",
            "base_revenue_lost_usd",
            "option_revenue_lost_usd",
            "mean_reduction_usd",
            "reduction_ci_low_usd",
            "reduction_ci_high_usd",
        ],
        rows,
    )
}

/// `benefit_cost.csv`, one row per future x option: avoided loss, present values, NPV, benefit/cost ratio.
fn benefit_cost(a: &Analysis) -> Vec<u8> {
    let l = |k: usize| a.labels[k].clone();
    let fut = |k: usize| a.futures[k].clone();
    let rows = a.benefit_cost.iter().map(|b| {
        let ap = b.appraisal;
        let pvb = b.through(|x| ap.pv_benefit(x));
        let npv = b.through(|x| ap.npv(x));
        let bcr = b.through(|x| ap.bcr(x).unwrap_or(f64::NAN));
        let (red, rl, rh) = b.tvar95_reduction;
        let pm = |x: f64| ap.per_million(x).unwrap_or(f64::NAN);
        vec![
            fut(b.future),
            l(b.option),
            num(ap.capital_cost_usd),
            num(ap.annual_cost_usd),
            num(ap.horizon_years),
            num(ap.discount_rate),
            num(ap.annuity_factor()),
            num(b.per_year),
            num(b.avoided.0),
            num(b.avoided.1),
            num(b.avoided.2),
            num(pvb.0),
            num(pvb.1),
            num(pvb.2),
            num(ap.pv_cost()),
            num(npv.0),
            num(npv.1),
            num(npv.2),
            num(bcr.0),
            num(bcr.1),
            num(bcr.2),
            num(red),
            num(rl),
            num(rh),
            num(pm(red)),
            num(pm(rl)),
            num(pm(rh)),
        ]
    });
    csv_bytes(
        &[
            "future",
            "option",
            "capital_cost_usd",
            "annual_cost_usd_per_year",
            "horizon_years",
            "discount_rate_per_year",
            "annuity_factor_years",
            "runs_per_year",
            "avoided_loss_usd_per_year",
            "avoided_loss_ci_low_usd_per_year",
            "avoided_loss_ci_high_usd_per_year",
            "pv_benefit_usd",
            "pv_benefit_ci_low_usd",
            "pv_benefit_ci_high_usd",
            "pv_cost_usd",
            "npv_usd",
            "npv_ci_low_usd",
            "npv_ci_high_usd",
            "benefit_cost_ratio",
            "benefit_cost_ratio_ci_low",
            "benefit_cost_ratio_ci_high",
            "tvar95_reduction_usd",
            "tvar95_reduction_ci_low_usd",
            "tvar95_reduction_ci_high_usd",
            "tvar95_reduction_usd_per_musd",
            "tvar95_reduction_ci_low_usd_per_musd",
            "tvar95_reduction_ci_high_usd_per_musd",
        ],
        rows,
    )
}

/// `futures.csv`, one row per future x candidate: mean loss, regret, cost, share below the threshold.
fn futures(a: &Analysis) -> Vec<u8> {
    let l = |k: usize| a.labels[k].clone();
    let fut = |k: usize| a.futures[k].clone();
    let rows = a.future_rows.iter().map(|r| {
        vec![
            fut(r.future),
            l(r.candidate),
            num(r.loss.0),
            num(r.loss.1),
            num(r.loss.2),
            num(r.regret),
            num(r.annual_cost),
            num(r.loss.0 + r.annual_cost),
            num(r.regret_with_cost),
            r.below.map(num).unwrap_or_default(),
        ]
    });
    csv_bytes(
        &[
            "future",
            "candidate",
            "mean_loss_usd_per_year",
            "ci_low_usd_per_year",
            "ci_high_usd_per_year",
            "regret_usd_per_year",
            "equivalent_annual_cost_usd_per_year",
            "loss_plus_cost_usd_per_year",
            "regret_with_cost_usd_per_year",
            "share_below_threshold",
        ],
        rows,
    )
}

/// `robustness.csv`, one row per candidate: the largest regret over futures and the satisficing share.
fn robustness(a: &Analysis) -> Vec<u8> {
    let l = |k: usize| a.labels[k].clone();
    let rows = a.robust.iter().map(|r| {
        vec![
            l(r.candidate),
            num(r.max_regret),
            r.least_max_regret.to_string(),
            num(r.max_regret_with_cost),
            r.least_max_regret_with_cost.to_string(),
            a.threshold_usd.map(num).unwrap_or_default(),
            r.below.map(num).unwrap_or_default(),
        ]
    });
    csv_bytes(
        &[
            "candidate",
            "max_regret_usd_per_year",
            "least_max_regret",
            "max_regret_with_cost_usd_per_year",
            "least_max_regret_with_cost",
            "threshold_usd_per_year",
            "share_below_threshold",
        ],
        rows,
    )
}

/// Whether `o` is one shard's partial result.
fn is_shard(o: &Outcome) -> bool {
    crate::study::output::is_shard(&o.manifest)
}

/// Write the files of a finished comparison into `dir` (created if needed); returns the
/// analysis they hold.
pub fn write_outputs(dir: &Path, o: &Outcome) -> Result<Analysis, Error> {
    write_outputs_with(dir, o, Vec::new())
}

/// [`write_outputs`] with `extra` files (e.g. `controlled.csv`) written beside the
/// others and listed in the manifest.
pub fn write_outputs_with(
    dir: &Path,
    o: &Outcome,
    extra: Vec<(&'static str, Vec<u8>)>,
) -> Result<Analysis, Error> {
    if is_shard(o) {
        return Err(Error::Invalid(
            "a shard's result is partial: write it with write_partial and merge the shards".into(),
        ));
    }
    crate::output::create_dir(dir)?;
    let a = analyse(o);
    // compare_runs.csv (a row per future, run and candidate) goes to its file a row at a
    // time; the statistics' tables are small.
    let mut manifest = o.manifest.clone();
    manifest.files.clear();
    let (header, rows) = run_rows(o, &a);
    crate::output::write_csv(&dir.join(FILES[0]), &header, rows)?;
    manifest.files.push(FileRecord::of_file(dir, FILES[0])?);
    for (name, bytes) in statistics(&a).into_iter().chain(extra) {
        crate::output::write_bytes_atomic(&dir.join(name), &bytes)?;
        manifest.files.push(FileRecord::of_bytes(name, &bytes));
    }
    crate::output::write_bytes_atomic(&dir.join("manifest.json"), &manifest.to_json()?)?;
    Ok(a)
}

/// The subfolder of a shard holding future `f`'s candidate `c`.
pub fn part_dir(f: usize, c: usize) -> String {
    format!("part-{f}-{c}")
}

/// The manifest of one part: the comparison's, as a Monte Carlo manifest of that cell.
fn part_manifest(m: &Manifest, future: &str, label: &str) -> Manifest {
    let mut p = m.clone();
    p.command = format!("compare part: future {future}, candidate {label}");
    p.compare = None;
    p.files.clear();
    p
}

/// Write a shard's partial result into `dir`: a Monte Carlo partial result per
/// (future, candidate) in `part-F-C/`, then `shard.json`.
pub fn write_partial(dir: &Path, o: &Outcome) -> Result<(), Error> {
    write_partial_with(dir, o, Vec::new())
}

/// As [`write_partial`], with `controls` (future, files: those of
/// [`super::controlled::shard_files`]) added to each future's base part before the
/// shard's `shard.json` is written: a shard cut short has no `shard.json`, so it cannot
/// pass for one whose controls were left out. For the outcome of
/// [`super::simulate_stoppable`] (a shard's runs held whole); [`super::simulate_to`]
/// writes its parts as its cells finish instead.
pub fn write_partial_with(
    dir: &Path,
    o: &Outcome,
    controls: Vec<(usize, Vec<montecarlo::controlled::File>)>,
) -> Result<(), Error> {
    let mut shard = ShardWriter::create(dir, &o.manifest, controls)?;
    for (fi, by_c) in o.records.iter().enumerate() {
        for (k, runs) in by_c.iter().enumerate() {
            let mut part = shard.part(fi, k)?;
            let mut kept = montecarlo::Runs::with_capacity(Study::Montecarlo, runs.len());
            for r in runs {
                part.push(r)?;
                kept.push(r.run, &r.metrics);
            }
            shard.finish_part(fi, k, part, kept)?;
        }
    }
    shard.finish()
}

/// A comparison shard's partial result, written as its cells finish: each (future,
/// candidate) cell's runs stream into a Monte Carlo partial result in `part-F-C/`
/// ([`montecarlo::output::Writer`]), finished (its own `shard.json`) when the cell ends,
/// with the future's controls in its base part; the shard's `shard.json` is written by
/// [`ShardWriter::finish`], last, once every cell is.
///
/// A writer dropped unfinished (an error, a stop) removes the parts it finished and the
/// temporaries of the one it was writing: a shard cut short leaves no `shard.json`, so
/// nothing in it merges.
pub struct ShardWriter {
    dir: PathBuf,
    manifest: Manifest,
    labels: Vec<String>,
    futures: Vec<String>,
    /// Per future, the control files still to go into its base part.
    controls: Vec<(usize, Vec<montecarlo::controlled::File>)>,
    /// The part folders begun, in order.
    begun: Vec<PathBuf>,
    /// The cells finished, in order.
    done: Vec<(usize, usize)>,
    finished: bool,
}

impl ShardWriter {
    /// Start writing the shard of the comparison `manifest` (a shard's: see
    /// [`super::manifest`]) into `dir` (created if needed); `controls` go into the base
    /// parts, as in [`write_partial_with`].
    pub fn create(
        dir: &Path,
        manifest: &Manifest,
        controls: Vec<(usize, Vec<montecarlo::controlled::File>)>,
    ) -> Result<ShardWriter, Error> {
        if !crate::study::output::is_shard(manifest) {
            return Err(Error::Invalid(
                "write_partial is for a shard's result (Config::mc.shard)".into(),
            ));
        }
        let (labels, futures) = cells(manifest, dir)?;
        crate::output::create_dir(dir)?;
        Ok(ShardWriter {
            dir: dir.to_path_buf(),
            manifest: manifest.clone(),
            labels,
            futures,
            controls,
            begun: Vec::new(),
            done: Vec::new(),
            finished: false,
        })
    }

    /// The comparison's manifest (of this shard).
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn part_manifest(&self, f: usize, c: usize) -> Result<Manifest, Error> {
        match (self.futures.get(f), self.labels.get(c)) {
            (Some(future), Some(label)) => Ok(part_manifest(&self.manifest, future, label)),
            _ => Err(Error::Invalid(format!(
                "no cell ({f}, {c}) in a comparison of {} future(s) and {} candidate(s)",
                self.futures.len(),
                self.labels.len()
            ))),
        }
    }

    /// Begin the part of future `f`'s candidate `c`: push its runs, in run order, into
    /// the writer returned, then hand it to [`ShardWriter::finish_part`].
    pub fn part(&mut self, f: usize, c: usize) -> Result<montecarlo::output::Writer, Error> {
        let manifest = self.part_manifest(f, c)?;
        let dir = self.dir.join(part_dir(f, c));
        self.begun.push(dir.clone());
        montecarlo::output::Writer::create(&dir, &manifest)
    }

    /// Finish the part of future `f`'s candidate `c`, whose runs `writer` wrote and
    /// `runs` holds the columns of (in the same order); the future's controls go into
    /// its base part (`c == 0`).
    pub fn finish_part(
        &mut self,
        f: usize,
        c: usize,
        writer: montecarlo::output::Writer,
        runs: montecarlo::Runs,
    ) -> Result<(), Error> {
        let part = montecarlo::Outcome {
            manifest: self.part_manifest(f, c)?,
            runs,
            records: Vec::new(),
        };
        let extra = match self.controls.iter().position(|(x, _)| c == 0 && *x == f) {
            Some(i) => self.controls.swap_remove(i).1,
            None => Vec::new(),
        };
        writer.finish(&part, extra)?;
        self.done.push((f, c));
        Ok(())
    }

    /// Write the shard's `shard.json`, last: an error unless every cell's part is
    /// finished.
    pub fn finish(mut self) -> Result<(), Error> {
        let cells = self.futures.len() * self.labels.len();
        let mut done = self.done.clone();
        done.sort_unstable();
        done.dedup();
        if done.len() != cells {
            return Err(Error::Invalid(format!(
                "{} of the shard's {cells} parts are written: a shard is finished once \
                 every future's every candidate is",
                done.len()
            )));
        }
        write_with_manifest(&self.dir, Vec::new(), &self.manifest, "shard.json")?;
        self.finished = true;
        Ok(())
    }
}

impl Drop for ShardWriter {
    /// A shard cut short leaves none of its parts behind: each finished part's
    /// `shard.json` first, then the files it lists, then the folder if it is empty.
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        for part in &self.begun {
            let manifest = part.join("shard.json");
            if let Ok(m) = Manifest::read(&manifest) {
                let _ = std::fs::remove_file(&manifest);
                for f in &m.files {
                    let _ = std::fs::remove_file(part.join(&f.name));
                }
            }
            let _ = std::fs::remove_dir(part);
        }
    }
}

/// The candidates' labels (`base`, then the options) and the futures' names of the
/// comparison `manifest` (read from `dir`, for messages).
fn cells(manifest: &Manifest, dir: &Path) -> Result<(Vec<String>, Vec<String>), Error> {
    let rec = manifest
        .compare
        .as_ref()
        .ok_or_else(|| Error::Invalid(format!("{}: not a compare shard", dir.display())))?;
    let mut labels = vec![super::BASE_LABEL.to_string()];
    labels.extend(rec.options.iter().map(|o| o.label.clone()));
    let futures: Vec<String> = match &rec.futures {
        Some(f) => f.names.clone(),
        None => vec!["as_scenario".into()],
    };
    Ok((labels, futures))
}

/// Merge the partial results of shards `1/n ..= n/n` of one comparison (any order) into
/// the outcome one process would have produced.
pub fn merge(dirs: &[PathBuf]) -> Result<Outcome, Error> {
    let first = dirs
        .first()
        .ok_or_else(|| Error::Invalid("merge needs the folders of shards 1/n..n/n".into()))?;
    let mut manifest = Manifest::read(&first.join("shard.json"))?;
    for d in &dirs[1..] {
        let m = Manifest::read(&d.join("shard.json"))?;
        if let Some(diff) = manifest.first_difference(&m, &["montecarlo.shard", "files"]) {
            return Err(Error::Invalid(format!(
                "{} and {} are shards of different comparisons: their shard.json differ in \
                 {diff}; merge only the shards of one study",
                first.display(),
                d.display()
            )));
        }
    }
    let (labels, futures) = cells(&manifest, first)?;
    // Each part's runs are read back a run at a time and only their columns kept.
    let mut columns = Vec::new();
    for fi in 0..futures.len() {
        let mut row = Vec::new();
        for k in 0..labels.len() {
            let parts: Vec<PathBuf> = dirs.iter().map(|d| d.join(part_dir(fi, k))).collect();
            let mut runs = montecarlo::output::Merge::open(&parts)?;
            let n = runs.manifest().montecarlo.as_ref().map_or(0, |m| m.runs);
            let mut cols = Columns::with_capacity(n.min(1 << 20) as usize);
            while let Some(r) = runs.next_record()? {
                cols.push(&r);
            }
            row.push(cols);
        }
        columns.push(row);
    }
    if let Some(mc) = manifest.montecarlo.as_mut() {
        mc.shard = None;
    }
    manifest.files.clear();
    Ok(Outcome {
        manifest,
        labels,
        futures,
        columns,
        records: Vec::new(),
    })
}

/// Whether `dir` holds a comparison's shard (its `shard.json` has command `compare`).
pub fn is_compare_shard(dir: &Path) -> bool {
    Manifest::read(&dir.join("shard.json")).is_ok_and(|m| m.command == "compare")
}

/// The pairs of an outcome with `candidates` candidates (re-exported for the CLI).
pub fn compared_pairs(candidates: usize) -> Vec<(usize, usize)> {
    pairs(candidates)
}
