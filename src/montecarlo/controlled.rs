//! The Monte Carlo's means with control variates: features of each run's closure plan
//! ([`PlanFeatures`]: lost capacity-days per target in the window and after it) as
//! controls, their means from many cheap plan draws, and the estimator of
//! [`crate::control_variates`].
//!
//! A run's plan is a function of (seed, run index) alone, so its features are drawn
//! again here rather than kept by the runs. The control means come from `draws` plans
//! drawn from the same law on random streams of their own
//! ([`ClosureSampler::sample_one_stream`] from `substream(run_rng(seed, 0),
//! "controls/means")` on stream `j` for draw `j`): the study's runs are not changed, and
//! the means are the same for any thread count (draws are summarised in chunks of
//! [`CHUNK`], merged in order).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::{fixed_closures, run_rng, Config, Runs};
use crate::closure::{substream, ClosureSampler, ClosureWindow, PlanFeatures};
use crate::control_variates::{estimate, ControlMeans, Controlled, Moments};
use crate::output::manifest::{FileRecord, Manifest};
use crate::study::metrics::Study;
use crate::study::output::{csv_bytes, error_at as at, num};
use crate::{Error, Scenario};

/// Plans per chunk of the control-mean draws.
pub const CHUNK: u64 = 1000;

/// What the controlled estimator needs of a study's controls: their names and means
/// (those of a study's [`Controls`], or those a merge reads from its shards:
/// [`from_shards`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ControlSet {
    /// The controls' names, as in `controls.csv`.
    pub names: Vec<String>,
    /// Their means and the error of those.
    pub means: ControlMeans,
}

impl ControlSet {
    /// The number of controls.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// How the plans of a study are drawn and their features computed.
#[derive(Debug, Clone)]
struct Plans {
    features: PlanFeatures,
    sampler: ClosureSampler,
    fixed: Vec<ClosureWindow>,
    seed: u64,
    days: u32,
    threads: usize,
}

impl Plans {
    /// The plans of a study of `scenario` with `config`, and the names of their
    /// features.
    fn new(
        scenario: &Scenario,
        config: &Config,
        pairs: bool,
    ) -> Result<(Plans, Vec<String>), Error> {
        let mut sampler = scenario.closure_sampler()?;
        if let Some(start) = config.regime_start {
            sampler = sampler.with_regime_start(start)?;
        }
        let days = scenario.settings.days;
        let features = PlanFeatures::new(
            sampler.targets(),
            days,
            scenario.settings.runout_max_days,
            pairs,
        );
        let names = features.names(|t| scenario.target_name(t).to_string());
        let plans = Plans {
            features,
            sampler,
            fixed: fixed_closures(scenario, config),
            seed: config.seed,
            days,
            threads: config.threads.max(1),
        };
        Ok((plans, names))
    }

    /// The moments of the features of chunks `chunks` of `draws` control-mean draws,
    /// one per chunk, in the order given.
    fn draw(&self, chunks: &[u64], draws: u64) -> Result<Vec<Moments>, Error> {
        let k = self.features.len();
        let base = substream(&run_rng(self.seed, 0), "controls/means");
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .build()
            .map_err(|e| Error::Invalid(format!("cannot start {} threads: {e}", self.threads)))?;
        Ok(pool.install(|| {
            chunks
                .par_iter()
                .map(|&c| {
                    let mut m = Moments::new(k);
                    let (mut lost, mut out) = (Vec::new(), vec![0.0; k]);
                    let mut plan = self.fixed.clone();
                    for j in c * CHUNK..((c + 1) * CHUNK).min(draws) {
                        let mut g: ChaCha8Rng = base.clone();
                        g.set_stream(j);
                        plan.truncate(self.fixed.len());
                        plan.extend(self.sampler.sample_one_stream(0, self.days, &mut g));
                        self.features.compute(&plan, &mut lost, &mut out);
                        m.push(&out);
                    }
                    m
                })
                .collect()
        }))
    }

    /// The features of the runs `runs`, `runs.len() x k`, row-major.
    fn of_runs(&self, runs: &[u64]) -> Vec<f64> {
        let k = self.features.len();
        let mut x = vec![0.0; runs.len() * k];
        let mut lost = Vec::new();
        let mut plan = self.fixed.clone();
        for (row, &i) in x.chunks_exact_mut(k.max(1)).zip(runs) {
            plan.truncate(self.fixed.len());
            plan.extend(self.sampler.sample(0, self.days, &run_rng(self.seed, i)));
            self.features.compute(&plan, &mut lost, row);
        }
        x
    }
}

/// The controls of a study: how to compute a run's plan features, and their means.
#[derive(Debug, Clone)]
pub struct Controls {
    plans: Plans,
    set: ControlSet,
}

impl Controls {
    /// The controls of a study of `scenario` with `config` (runs drawn as
    /// [`super::simulate`] draws them), their means from `draws` plans (at least 2), on
    /// `config.threads` threads. `pairs` adds the overlaps of every pair of targets.
    ///
    /// # Errors
    /// A bad closure model or regime start, fewer than 2 draws, or threads that cannot
    /// start.
    pub fn new(
        scenario: &Scenario,
        config: &Config,
        draws: u64,
        pairs: bool,
    ) -> Result<Controls, Error> {
        let (plans, names) = Plans::new(scenario, config, pairs)?;
        let chunks: Vec<u64> = (0..draws.div_ceil(CHUNK)).collect();
        let mut all = Moments::new(plans.features.len());
        for p in &plans.draw(&chunks, draws)? {
            all.merge(p);
        }
        Ok(Controls {
            set: ControlSet {
                names,
                means: ControlMeans::from_moments(&all)?,
            },
            plans,
        })
    }

    /// The number of controls.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// Whether there are none (no random closures).
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// The controls' names.
    pub fn names(&self) -> &[String] {
        &self.set.names
    }

    /// Their means and the error of those.
    pub fn means(&self) -> &ControlMeans {
        &self.set.means
    }

    /// Their names and means, for the estimator.
    pub fn set(&self) -> &ControlSet {
        &self.set
    }

    /// The controls of the runs `runs`, `runs.len() x len()`, row-major.
    pub fn of_runs(&self, runs: &[u64]) -> Vec<f64> {
        self.plans.of_runs(runs)
    }
}

/// The controlled-estimate files (`controlled.csv`, `controls.csv`: [`files`]) of a
/// finished study of `scenario` with `config` whose runs are `runs`, the controls'
/// means from `draws` plans (at least 2); no files and a note instead when there is
/// nothing to control for (no random closure process) or too few runs.
///
/// # Errors
/// A bad closure model or regime start, fewer than 2 draws, or threads that cannot
/// start.
pub fn study_files(
    scenario: &Scenario,
    config: &Config,
    draws: u64,
    runs: &Runs,
) -> Result<(Vec<File>, Option<String>), Error> {
    if scenario.closure_sampler()?.is_empty() {
        return Ok((
            Vec::new(),
            Some("no controlled estimate: no random closure process to control for".into()),
        ));
    }
    let c = Controls::new(scenario, config, draws, false)?;
    let x = c.of_runs(&runs.runs);
    Ok(match analyse(c.set(), runs, &x) {
        Ok(estimates) => (files(c.set(), &estimates, &x), None),
        Err(e) => (Vec::new(), Some(format!("no controlled estimate: {e}"))),
    })
}

/// A file of a study's output: its name and bytes.
pub type File = (&'static str, Vec<u8>);

/// A shard's file of its runs' plan features: `run`, then one column per control.
pub const FEATURES_FILE: &str = "control_features.csv";

/// A shard's file of its chunks of the control-mean draws: per chunk and control, the
/// chunk's plans, the control's mean over them, and its centred sums of products with
/// every control (one column each, named as the controls).
pub const DRAWS_FILE: &str = "control_draws.csv";

/// A number in Rust's shortest round-trip form, the sign of a zero kept (so that a
/// merge reads back the very bits).
fn exact(v: f64) -> String {
    format!("{v:?}")
}

/// A shard's files for the controls of the merged study ([`FEATURES_FILE`],
/// [`DRAWS_FILE`]): the plan features of its runs `runs`, and the moments of its chunks
/// of the `draws` control-mean draws (chunk `c` is shard `k/n`'s when `c % n == k - 1`,
/// as runs are), so that [`from_shards`] gives the very means and features one process
/// computes. The controls are those of the command line (no pairs). No files without
/// random closures.
///
/// # Errors
/// A `config` without a shard, a bad closure model or regime start, or threads that
/// cannot start.
pub fn shard_files(
    scenario: &Scenario,
    config: &Config,
    draws: u64,
    runs: &[u64],
) -> Result<Vec<(&'static str, Vec<u8>)>, Error> {
    let shard = config
        .shard
        .ok_or_else(|| Error::Invalid("shard_files is for a shard's partial result".into()))?;
    let (plans, names) = Plans::new(scenario, config, false)?;
    let k = names.len();
    if k == 0 {
        return Ok(Vec::new());
    }
    let x = plans.of_runs(runs);
    let header: Vec<&str> = std::iter::once("run")
        .chain(names.iter().map(String::as_str))
        .collect();
    let features = csv_bytes(
        &header,
        runs.iter().zip(x.chunks_exact(k)).map(|(r, row)| {
            std::iter::once(r.to_string())
                .chain(row.iter().map(|v| exact(*v)))
                .collect::<Vec<_>>()
        }),
    );
    let chunks: Vec<u64> = (0..draws.div_ceil(CHUNK))
        .filter(|c| shard.contains(*c))
        .collect();
    let moments = plans.draw(&chunks, draws)?;
    let header: Vec<&str> = ["chunk", "draws", "plans", "control", "mean"]
        .into_iter()
        .chain(names.iter().map(String::as_str))
        .collect();
    let mut rows = Vec::new();
    for (c, m) in chunks.iter().zip(&moments) {
        for (a, name) in names.iter().enumerate() {
            let mut row = vec![
                c.to_string(),
                draws.to_string(),
                m.count().to_string(),
                name.clone(),
                exact(m.mean()[a]),
            ];
            row.extend(m.comoment()[a * k..(a + 1) * k].iter().map(|v| exact(*v)));
            rows.push(row);
        }
    }
    Ok(vec![
        (FEATURES_FILE, features),
        (DRAWS_FILE, csv_bytes(&header, rows)),
    ])
}

/// Add `files` to the shard's partial result in `dir`: each written, then listed with
/// its checksum in the shard's `shard.json`, rewritten last (a comparison's shard adds
/// its controls to its base parts this way).
///
/// # Errors
/// A file that cannot be written, or a `shard.json` that cannot be read.
pub fn add_to_shard(dir: &Path, files: Vec<File>) -> Result<(), Error> {
    if files.is_empty() {
        return Ok(());
    }
    let path = dir.join("shard.json");
    let mut m = Manifest::read(&path)?;
    for (name, bytes) in files {
        crate::output::write_bytes_atomic(&dir.join(name), &bytes)?;
        m.files.push(FileRecord::of_bytes(name, &bytes));
    }
    crate::output::write_bytes_atomic(&path, &m.to_json()?)
}

/// The controls of a merged study, read from its shards ([`shard_files`]).
#[derive(Debug, Clone, PartialEq)]
pub struct FromShards {
    /// The controls' names and means (merged from the shards' chunks in chunk order, as
    /// one process merges them).
    pub set: ControlSet,
    /// The runs, in order.
    pub runs: Vec<u64>,
    /// Their features, `runs.len() x set.len()`, row-major.
    pub x: Vec<f64>,
}

/// The controls of the study whose shards are in `dirs` (any order), as one process
/// computes them: `Ok(Err(note))` when a shard carries none (a shard written before the
/// controls were on by default, or with `--no-controls`, or a scenario without random
/// closures), the note saying which.
///
/// # Errors
/// A shard's control file that cannot be read, or that does not fit the others (other
/// controls, a chunk missing or repeated, a number that is not one): the error names the
/// file and line.
pub fn from_shards(dirs: &[PathBuf]) -> Result<Result<FromShards, String>, Error> {
    let lacking: Vec<String> = dirs
        .iter()
        .filter(|d| {
            let listed = Manifest::read(&d.join("shard.json"))
                .map(|m| {
                    m.files
                        .iter()
                        .filter(|f| f.name == FEATURES_FILE || f.name == DRAWS_FILE)
                        .count()
                })
                .unwrap_or(0);
            listed < 2
        })
        .map(|d| d.display().to_string())
        .collect();
    if !lacking.is_empty() {
        return Ok(Err(format!(
            "no controlled estimate (controlled.csv, controls.csv): {} carr{} no plan \
             features ({FEATURES_FILE}, {DRAWS_FILE}): shards written by an older \
             chokepoint, with --no-controls, or of a scenario without random closures",
            lacking.join(", "),
            if lacking.len() == 1 { "ies" } else { "y" }
        )));
    }
    let mut names: Option<Vec<String>> = None;
    let mut rows: Vec<(u64, Vec<f64>)> = Vec::new();
    let mut chunks: BTreeMap<u64, (PathBuf, u64, Moments)> = BTreeMap::new();
    let mut total: Option<(PathBuf, u64)> = None;
    for d in dirs {
        let path = d.join(FEATURES_FILE);
        let (mut r, header) = reader(&path)?;
        if header.first().map(String::as_str) != Some("run") || header.len() < 2 {
            return Err(at(
                &path,
                1,
                "run",
                "expected the columns run, then the controls".into(),
            ));
        }
        let these = header[1..].to_vec();
        let k = these.len();
        match &names {
            Some(n) if *n != these => {
                return Err(at(
                    &path,
                    1,
                    &these[0],
                    format!(
                    "controls {} differ from another shard's {}: the shards are not of one study",
                    these.join(","),
                    n.join(",")
                ),
                ))
            }
            _ => names = Some(these.clone()),
        }
        for rec in r.records() {
            let rec = rec.map_err(|e| at(&path, 0, "run", e.to_string()))?;
            let line = rec.position().map_or(0, |p| p.line());
            let cell = |i: usize| rec.get(i).unwrap_or("");
            let run: u64 = cell(0).parse().map_err(|_| {
                at(
                    &path,
                    line,
                    "run",
                    format!("{:?}: expected a run number", cell(0)),
                )
            })?;
            let mut row = Vec::with_capacity(k);
            for (i, name) in these.iter().enumerate() {
                row.push(float(&path, line, name, cell(i + 1))?);
            }
            rows.push((run, row));
        }
        let path = d.join(DRAWS_FILE);
        let (mut r, header) = reader(&path)?;
        let want: Vec<String> = ["chunk", "draws", "plans", "control", "mean"]
            .iter()
            .map(|s| s.to_string())
            .chain(these.iter().cloned())
            .collect();
        if header != want {
            return Err(at(
                &path,
                1,
                "chunk",
                format!("expected the columns {}", want.join(",")),
            ));
        }
        let mut open: Option<(u64, u64, Vec<f64>, Vec<f64>)> = None;
        let mut close =
            |open: &mut Option<(u64, u64, Vec<f64>, Vec<f64>)>, line: u64| -> Result<(), Error> {
                if let Some((c, n, mean, co)) = open.take() {
                    if mean.len() != k {
                        return Err(at(
                            &path,
                            line,
                            "control",
                            format!("chunk {c} has {} of the {k} controls", mean.len()),
                        ));
                    }
                    if chunks
                        .insert(c, (path.clone(), n, Moments::from_parts(n, mean, co)?))
                        .is_some()
                    {
                        return Err(at(
                            &path,
                            line,
                            "chunk",
                            format!("chunk {c} is in two shards"),
                        ));
                    }
                }
                Ok(())
            };
        let mut last = 1;
        for rec in r.records() {
            let rec = rec.map_err(|e| at(&path, 0, "chunk", e.to_string()))?;
            let line = rec.position().map_or(0, |p| p.line());
            last = line;
            let cell = |i: usize| rec.get(i).unwrap_or("");
            let whole = |i: usize, col: &str| -> Result<u64, Error> {
                cell(i).parse().map_err(|_| {
                    at(
                        &path,
                        line,
                        col,
                        format!("{:?}: expected a whole number", cell(i)),
                    )
                })
            };
            let (c, draws, n) = (whole(0, "chunk")?, whole(1, "draws")?, whole(2, "plans")?);
            match &total {
                Some((p, t)) if *t != draws => {
                    return Err(at(
                        &path,
                        line,
                        "draws",
                        format!(
                            "{draws} draws, but {} says {t}: the shards are not of one study",
                            p.display()
                        ),
                    ))
                }
                _ => total = Some((path.clone(), draws)),
            }
            if open.as_ref().is_some_and(|o| o.0 != c) {
                close(&mut open, line)?;
            }
            let o = open.get_or_insert_with(|| (c, n, Vec::new(), Vec::new()));
            let a = o.2.len();
            if a >= k || cell(3) != these[a] || o.1 != n {
                return Err(at(
                    &path,
                    line,
                    "control",
                    format!(
                        "{:?}: expected control {} of chunk {c} ({} plans)",
                        cell(3),
                        these.get(a).map_or("(none: all were read)", String::as_str),
                        o.1
                    ),
                ));
            }
            o.2.push(float(&path, line, "mean", cell(4))?);
            for (b, name) in these.iter().enumerate() {
                o.3.push(float(&path, line, name, cell(5 + b))?);
            }
        }
        close(&mut open, last)?;
    }
    let names = names.unwrap_or_default();
    let Some((path, draws)) = total else {
        return Ok(Err(format!(
            "no controlled estimate: the shards hold no control-mean draws ({DRAWS_FILE})"
        )));
    };
    let want = draws.div_ceil(CHUNK);
    let mut all = Moments::new(names.len());
    for (i, (c, (p, n, m))) in chunks.iter().enumerate() {
        let plans = (draws - c * CHUNK).min(CHUNK);
        if *c != i as u64 || *n != plans {
            return Err(at(p, 0, "chunk", format!(
                "chunk {c} of {n} plans: the shards' chunks must be 0..{want} of {CHUNK} plans (the last of the rest)"
            )));
        }
        all.merge(m);
    }
    if chunks.len() as u64 != want {
        return Err(at(&path, 0, "chunk", format!(
            "the shards hold {} chunks of the {draws} control-mean draws, not {want}: a shard is missing",
            chunks.len()
        )));
    }
    rows.sort_by_key(|r| r.0);
    let runs: Vec<u64> = rows.iter().map(|r| r.0).collect();
    Ok(Ok(FromShards {
        set: ControlSet {
            names,
            means: ControlMeans::from_moments(&all)?,
        },
        runs,
        x: rows.into_iter().flat_map(|r| r.1).collect(),
    }))
}

/// A CSV reader of `path`, and its header.
fn reader(path: &Path) -> Result<(csv::Reader<std::fs::File>, Vec<String>), Error> {
    let mut r = csv::Reader::from_path(path).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    })?;
    let header = r
        .headers()
        .map_err(|e| at(path, 1, "", e.to_string()))?
        .iter()
        .map(str::to_string)
        .collect();
    Ok((r, header))
}

/// The number in `text`, or an error naming the file, line and column.
fn float(path: &Path, line: u64, column: &str, text: &str) -> Result<f64, Error> {
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| {
            at(
                path,
                line,
                column,
                format!("{text:?}: expected a finite number"),
            )
        })
}

/// The metrics estimated with controls, as named in `controlled.csv`, in its order (the
/// metric table's [`Study::Controlled`]).
pub fn metrics() -> Vec<&'static crate::study::metrics::Metric> {
    crate::study::metrics::of(Study::Controlled)
}

/// The plain and controlled estimate of one metric's mean.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricEstimate {
    /// The metric (a `runs.csv` column).
    pub metric: &'static str,
    /// Both estimates.
    pub estimate: Controlled,
}

/// The plain and controlled means of [`metrics`] over the runs `runs` (any study's
/// columns that hold them); `x` is [`Controls::of_runs`] of their runs.
///
/// # Errors
/// Too few runs for the controls (at least `len() + 3`).
pub fn analyse(
    controls: &ControlSet,
    runs: &Runs,
    x: &[f64],
) -> Result<Vec<MetricEstimate>, Error> {
    metrics()
        .into_iter()
        .map(|metric| {
            Ok(MetricEstimate {
                metric: metric.name,
                estimate: estimate(
                    &runs.metric(metric.name),
                    x,
                    controls.len(),
                    &controls.means,
                )?,
            })
        })
        .collect()
}

/// The controlled estimate of the mean total loss over the runs `runs`.
///
/// # Errors
/// As [`analyse`].
pub fn total_loss(controls: &ControlSet, runs: &Runs, x: &[f64]) -> Result<Controlled, Error> {
    estimate(&runs.losses(), x, controls.len(), &controls.means)
}

/// The files of the controlled estimates, for the study's output set (they are listed in
/// its manifest like every other file): `controlled.csv` (plain and controlled estimate
/// of each metric) and `controls.csv` (each control's mean, its error, and its weight
/// for the total loss).
pub fn files(
    controls: &ControlSet,
    estimates: &[MetricEstimate],
    x: &[f64],
) -> Vec<(&'static str, Vec<u8>)> {
    let mut text = String::from(
        "metric,estimator,runs,mean,se,ci_low,ci_high,rel_error,variance_reduction,\
         effective_runs,controls,r_squared,control_mean_share,control_draws\n",
    );
    for m in estimates {
        let e = &m.estimate;
        for (name, i, vrf, eff) in [
            ("plain", &e.plain, 1.0, e.n as f64),
            (
                "controlled",
                &e.controlled,
                e.variance_reduction,
                e.effective_runs,
            ),
        ] {
            text.push_str(&format!(
                "{},{name},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                m.metric,
                e.n,
                num(i.mean),
                num(i.se),
                num(i.ci_low),
                num(i.ci_high),
                num(i.relative_error()),
                num(vrf),
                num(eff),
                if name == "plain" { 0 } else { e.rank },
                num(if name == "plain" { 0.0 } else { e.r_squared }),
                num(if name == "plain" {
                    0.0
                } else {
                    e.control_mean_share
                }),
                controls.means.draws,
            ));
        }
    }
    let controlled = text.into_bytes();
    let mut text =
        String::from("control,mean,mean_se,coefficient_total_loss,variance_share_total_loss\n");
    let total = estimates.iter().find(|m| m.metric == "total_loss_usd");
    let k = controls.len();
    let n = x.len() / k.max(1);
    let loss_var = total.map_or(0.0, |t| t.estimate.plain.se.powi(2) * t.estimate.n as f64);
    for (a, name) in controls.names.iter().enumerate() {
        let col: Vec<f64> = (0..n).map(|i| x[i * k + a]).collect();
        let var = crate::montecarlo::stats::mean_sd(&col).1.powi(2);
        let beta = total.map_or(0.0, |t| t.estimate.coefficients[a]);
        let share = if loss_var > 0.0 {
            beta * beta * var / loss_var
        } else {
            0.0
        };
        text.push_str(&format!(
            "{name},{},{},{},{}\n",
            num(controls.means.mean[a]),
            num(controls.means.error_cov[a * k + a].sqrt()),
            num(beta),
            num(share),
        ));
    }
    vec![
        ("controlled.csv", controlled),
        ("controls.csv", text.into_bytes()),
    ]
}
