//! Comparing options against a base on common random numbers: paired differences,
//! the probability that an option beats the base or is the best, tail risk removed,
//! benefit and cost, and robustness across futures.
//!
//! # Common random numbers
//!
//! Run `i` of every candidate (the base and each option) in every future draws from the
//! same run generator ([`montecarlo::run_rng`] of `(seed, i)`); inside it each closure
//! process, shock and the regime chain draws from its own substream named by its id
//! ([`crate::closure::substream`]). So the base's processes close the same windows in
//! every option, run by run, and an option's own processes add windows without moving
//! them: each run gives a paired difference, whose spread is far smaller than that of
//! two independent studies (the `variance_removed_share` column says by how much).
//!
//! # Shards
//!
//! With [`montecarlo::Config::shard`], [`simulate`] runs a slice of the runs for every
//! candidate and future; [`output::write_partial`] writes them as one Monte Carlo
//! partial result per (future, candidate) in `part-F-C/` subfolders (the same files a
//! `montecarlo --shard` writes, read back bit for bit), and [`output::merge`] combines
//! the shards into exactly the outcome one process would have produced. [`simulate_to`]
//! writes the same files as each cell's runs finish ([`output::ShardWriter`], what the
//! CLI does), so a shard holds no run's record.
//!
//! ```
//! use chokepoint::compare::{self, Candidate, Config, Study};
//! let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/montecarlo");
//! let base = chokepoint::Scenario::load(format!("{dir}/twoland_random.toml"))?;
//! let study = Study::new(Candidate::base(base.clone()), vec![Candidate::same_as("copy", base)?])?;
//! let mut config = Config::default();
//! config.mc.runs = 5;
//! config.mc.seed = 1;
//! config.mc.extra_closures.clear();
//! let outcome = compare::simulate(&study, &config, &chokepoint::montecarlo::NoProgress)?;
//! let a = compare::analyse(&outcome);
//! // An option that changes nothing: zero difference, and it never beats the base.
//! assert_eq!(a.differences[0].paired.mean, 0.0);
//! assert_eq!(a.wins[0].wins.wins, 0);
//! # Ok::<(), chokepoint::Error>(())
//! ```

pub mod analysis;
pub mod columns;
pub mod controlled;
pub mod futures;
pub mod headline;
pub mod output;
pub mod stats;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

pub use analysis::{analyse, Analysis};
pub use columns::Columns;
pub use futures::{Future, Futures};
pub use stats::Appraisal;

use crate::closure::ClosureSampler;
use crate::montecarlo::{self, ClosureRow, NoProgress, Progress, RunRecord};
use crate::output::manifest::{CompareRecord, FuturesRecord, OptionRecord};
use crate::output::Manifest;
use crate::sim::{Engine, Record};
use crate::study::{Flow, Runner};
use crate::{Error, Scenario};

/// The label of the base in every output file.
pub const BASE_LABEL: &str = "base";

/// A scenario compared: the base or an option.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Its label in the output files: `base`, or the option's name.
    pub label: String,
    /// The file it was loaded from, as given.
    pub path: PathBuf,
    /// The scenario (an option: its changes applied to its base).
    pub scenario: Scenario,
    /// An option's costs and horizon (`None` for the base).
    pub appraisal: Option<Appraisal>,
}

impl Candidate {
    /// The base scenario.
    pub fn base(scenario: Scenario) -> Candidate {
        Candidate {
            label: BASE_LABEL.into(),
            path: scenario.source.clone().unwrap_or_default(),
            scenario,
            appraisal: None,
        }
    }

    /// An option file, loaded and applied to its base.
    pub fn option(path: impl Into<PathBuf>) -> Result<Candidate, Error> {
        let path = path.into();
        let (opt, scenario) = crate::scenario::load_option(&path)?;
        Ok(Candidate::of_option(&opt, path, scenario))
    }

    /// An option loaded already (by [`crate::scenario::load_option`] from the file
    /// `path`): its name and costs from `option`, and `scenario`, the option applied to
    /// its base (with whatever else the caller moved or changed since; its discount rate
    /// is the appraisal's).
    pub fn of_option(
        option: &crate::scenario::ScenarioOption,
        path: impl Into<PathBuf>,
        scenario: Scenario,
    ) -> Candidate {
        Candidate {
            label: option.name.clone(),
            path: path.into(),
            appraisal: Some(Appraisal {
                capital_cost_usd: option.capital_cost_usd,
                annual_cost_usd: option.annual_cost_usd,
                horizon_years: option.horizon_years,
                discount_rate: scenario.settings.discount_rate,
            }),
            scenario,
        }
    }

    /// An "option" that is the base itself with no changes and no cost (tests,
    /// notebooks): its scenario's checksum is the base's with `label` appended, and its
    /// base is the base.
    pub fn same_as(label: &str, base: Scenario) -> Result<Candidate, Error> {
        let mut scenario = base.clone();
        scenario.base = Some(crate::scenario::BaseScenario {
            path: base.source.clone().unwrap_or_default(),
            checksum: base.checksum.clone(),
        });
        scenario.checksum = format!("{}+{label}", base.checksum);
        Ok(Candidate {
            label: label.into(),
            path: PathBuf::from(label),
            scenario,
            appraisal: Some(Appraisal {
                capital_cost_usd: 0.0,
                annual_cost_usd: 0.0,
                horizon_years: 1.0,
                discount_rate: base.settings.discount_rate,
            }),
        })
    }
}

/// What is compared: the base, the options, and the futures.
#[derive(Debug, Clone)]
pub struct Study {
    /// The base scenario.
    pub base: Candidate,
    /// The options, in the order given.
    pub options: Vec<Candidate>,
    /// The futures file, if any (without one: one future, the scenarios as they are).
    pub futures: Option<Futures>,
}

impl Study {
    /// Check and assemble a comparison. Errors ([`Error::Invalid`]) on no option, an
    /// option given twice (same checksum or same label), an option whose base is not
    /// `base` (its recorded base checksum differs from the base's), or a base that is
    /// itself an option.
    pub fn new(base: Candidate, options: Vec<Candidate>) -> Result<Study, Error> {
        if base.scenario.base.is_some() {
            return Err(Error::Invalid(format!(
                "{} is an option file: the base of a comparison is a scenario file (the \
                 option's `base`)",
                base.path.display()
            )));
        }
        if options.is_empty() {
            return Err(Error::Invalid(
                "no option to compare: give one or more option files after the base".into(),
            ));
        }
        for (i, o) in options.iter().enumerate() {
            let Some(b) = &o.scenario.base else {
                return Err(Error::Invalid(format!(
                    "{} is a scenario, not an option file: an option names its `base` and \
                     lists its changes",
                    o.path.display()
                )));
            };
            if b.checksum != base.scenario.checksum {
                return Err(Error::Invalid(format!(
                    "{} is an option of another base: its base {} has checksum {}, the base \
                     given, {}, has {}; compare options of one base only",
                    o.path.display(),
                    b.path.display(),
                    short(&b.checksum),
                    base.path.display(),
                    short(&base.scenario.checksum)
                )));
            }
            if o.label == BASE_LABEL {
                return Err(Error::Invalid(format!(
                    "{}: an option may not be named `{BASE_LABEL}` (the base's label)",
                    o.path.display()
                )));
            }
            for p in &options[..i] {
                if p.scenario.checksum == o.scenario.checksum {
                    return Err(Error::Invalid(format!(
                        "option {} is given twice ({} and {}): give each option once",
                        o.label,
                        p.path.display(),
                        o.path.display()
                    )));
                }
                if p.label == o.label {
                    return Err(Error::Invalid(format!(
                        "two options are named `{}` ({} and {}): option names label the \
                         output rows, so they must differ",
                        o.label,
                        p.path.display(),
                        o.path.display()
                    )));
                }
            }
        }
        Ok(Study {
            base,
            options,
            futures: None,
        })
    }

    /// The base, then the options.
    pub fn candidates(&self) -> impl Iterator<Item = &Candidate> {
        std::iter::once(&self.base).chain(&self.options)
    }

    /// The futures compared (one, `as_scenario`, without a futures file).
    pub fn future_list(&self) -> Vec<Future> {
        match &self.futures {
            Some(f) => f.futures.clone(),
            None => vec![Future::unchanged("as_scenario")],
        }
    }

    /// Move every candidate's window (`--start`, `--days`).
    pub fn apply_window(
        &mut self,
        start: Option<chrono::NaiveDate>,
        days: Option<u32>,
    ) -> Result<(), Error> {
        crate::scenario::apply_window(&mut self.base.scenario, start, days)?;
        for o in &mut self.options {
            crate::scenario::apply_window(&mut o.scenario, start, days)?;
        }
        Ok(())
    }
}

fn short(h: &str) -> String {
    h.chars().take(12).collect()
}

/// How to run a comparison: the Monte Carlo settings (runs, seed, threads, shard, fixed
/// closures, regime start) and those of the statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Runs, seed, threads, shard, fixed and extra closures, regime start. Its
    /// `target_rel_error` must be `None`; `record_daily` is ignored.
    pub mc: montecarlo::Config,
    /// Bootstrap resamples (default 1000); resample `b` draws from ChaCha8 seeded with
    /// `mc.seed` on stream `b`.
    pub bootstrap_resamples: u32,
    /// The satisficing threshold on annual total loss, USD.
    pub threshold_usd: Option<f64>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mc: montecarlo::Config {
                record_daily: false,
                ..montecarlo::Config::default()
            },
            bootstrap_resamples: 1000,
            threshold_usd: None,
        }
    }
}

/// The result of a comparison (or of one shard of it).
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// What identifies it (command `compare`).
    pub manifest: Manifest,
    /// The candidates' labels: `base`, then the options.
    pub labels: Vec<String>,
    /// The futures' names.
    pub futures: Vec<String>,
    /// `columns[future][candidate]`: the numbers of the runs that the statistics and
    /// `compare_runs.csv` read, in run-index order (a few hundred bytes a run and
    /// candidate).
    pub columns: Vec<Vec<Columns>>,
    /// A shard's runs, every table of each, as `columns` (its partial result writes
    /// them); empty for a whole comparison, which keeps no run's record, and for a shard
    /// run by [`simulate_to`], which wrote them as they finished.
    pub records: Vec<Vec<Vec<RunRecord>>>,
}

impl Outcome {
    /// The compare record of the manifest.
    pub fn record(&self) -> Result<&CompareRecord, Error> {
        self.manifest
            .compare
            .as_ref()
            .ok_or_else(|| Error::Invalid("the manifest is not a compare manifest".into()))
    }

    /// Total losses of one candidate in one future, in run order.
    pub fn losses(&self, future: usize, candidate: usize) -> Vec<f64> {
        self.columns[future][candidate].losses().into_owned()
    }

    /// Runs per cell (of this shard, for a shard).
    pub fn runs(&self) -> usize {
        self.columns
            .first()
            .and_then(|r| r.first())
            .map_or(0, Columns::len)
    }
}

/// The manifest of a comparison, as [`simulate`] writes it.
pub fn manifest(study: &Study, config: &Config) -> Manifest {
    let mut m = montecarlo::manifest(&study.base.scenario, &config.mc);
    m.command = "compare".into();
    m.compare = Some(CompareRecord {
        options: study
            .options
            .iter()
            .map(|o| {
                let a = o.appraisal.unwrap_or(Appraisal {
                    capital_cost_usd: 0.0,
                    annual_cost_usd: 0.0,
                    horizon_years: 1.0,
                    discount_rate: 0.0,
                });
                OptionRecord {
                    label: o.label.clone(),
                    path: o.path.display().to_string(),
                    sha256: o.scenario.checksum.clone(),
                    capital_cost_usd: a.capital_cost_usd,
                    annual_cost_usd: a.annual_cost_usd,
                    horizon_years: a.horizon_years,
                    discount_rate: a.discount_rate,
                }
            })
            .collect(),
        futures: study.futures.as_ref().map(|f| FuturesRecord {
            path: f.path.display().to_string(),
            sha256: f.sha256.clone(),
            names: f.futures.iter().map(|x| x.name.clone()).collect(),
        }),
        bootstrap_resamples: config.bootstrap_resamples,
        bootstrap_seed: config.mc.seed,
        threshold_usd: config.threshold_usd,
    });
    m
}

/// One (future, candidate) cell of a comparison, ready to run.
struct Cell {
    scenario: Scenario,
    sampler: ClosureSampler,
    fixed: Vec<crate::closure::ClosureWindow>,
}

/// Run the comparison: every candidate in every future, run by run on common random
/// numbers (see the module docs), on `config.mc.threads` workers. The outcome (its
/// columns, and a shard's records) is the same for any thread count.
pub fn simulate(study: &Study, config: &Config, progress: &dyn Progress) -> Result<Outcome, Error> {
    simulate_stoppable(study, config, progress, &AtomicBool::new(false))
}

/// [`simulate`] that gives up between runs once `stop` is set (by another thread: a
/// Ctrl-C in a notebook), returning [`Error::Cancelled`]. Until then, and
/// when it is never set, the same as [`simulate`].
pub fn simulate_stoppable(
    study: &Study,
    config: &Config,
    progress: &dyn Progress,
    stop: &AtomicBool,
) -> Result<Outcome, Error> {
    simulate_inner(study, config, progress, stop, None)
}

/// A shard of the comparison ([`simulate_stoppable`] with `config.mc.shard` set), its
/// runs written into `shard`'s parts as each cell's runs finish, in run order: the
/// outcome holds the columns and no run's record, so a shard's memory does not grow
/// with its runs' tables. Finish with [`output::ShardWriter::finish`], which writes the
/// shard's `shard.json`; a writer dropped unfinished (an error here, a stop) leaves
/// nothing that merges. The files are those of [`output::write_partial_with`] on the
/// outcome of [`simulate_stoppable`], byte for byte.
///
/// # Errors
/// As [`simulate_stoppable`]; also a `config` without a shard, or a `shard` writer of
/// another comparison's manifest.
pub fn simulate_to(
    study: &Study,
    config: &Config,
    progress: &dyn Progress,
    stop: &AtomicBool,
    shard: &mut output::ShardWriter,
) -> Result<Outcome, Error> {
    if config.mc.shard.is_none() {
        return Err(Error::Invalid(
            "simulate_to writes a shard's parts (Config::mc.shard); write a whole \
             comparison with output::write_outputs"
                .into(),
        ));
    }
    if shard.manifest() != &manifest(study, config) {
        return Err(Error::Invalid(
            "the shard writer is of another comparison: create it with this study's \
             manifest (compare::manifest)"
                .into(),
        ));
    }
    simulate_inner(study, config, progress, stop, Some(shard))
}

fn simulate_inner(
    study: &Study,
    config: &Config,
    progress: &dyn Progress,
    stop: &AtomicBool,
    mut shard: Option<&mut output::ShardWriter>,
) -> Result<Outcome, Error> {
    config.mc.check()?;
    if config.mc.target_rel_error.is_some() {
        return Err(Error::Invalid(
            "a comparison runs a fixed number of runs: target_rel_error is not supported".into(),
        ));
    }
    if let Some(t) = config.threshold_usd {
        if !t.is_finite() {
            return Err(Error::Invalid(format!(
                "threshold {t}: expected a finite amount in USD"
            )));
        }
    }
    let futures = study.future_list();
    let labels: Vec<String> = study.candidates().map(|c| c.label.clone()).collect();
    let mut cells: Vec<Vec<Cell>> = Vec::new();
    for f in &futures {
        let mut row = Vec::new();
        for c in study.candidates() {
            let scenario = f.apply(&c.scenario).map_err(|e| match e {
                Error::Invalid(m) => Error::Invalid(format!("{}: {m}", c.label)),
                e => e,
            })?;
            let mut sampler = scenario.closure_sampler()?;
            // The future's own start first, else the command line's, else the scenario's.
            if f.regime_start.is_none() {
                if let Some(start) = config.mc.regime_start {
                    sampler = sampler.with_regime_start(start)?;
                }
            }
            let fixed = montecarlo::fixed_closures(&scenario, &config.mc);
            row.push(Cell {
                scenario,
                sampler,
                fixed,
            });
        }
        cells.push(row);
    }
    let days = study.base.scenario.settings.days;
    let mine = crate::study::runs(config.mc.runs, config.mc.shard);
    // A shard writes every table of its runs (a Monte Carlo partial result per cell):
    // into its writer's parts as they finish, or kept whole for write_partial; a whole
    // comparison keeps only the columns its statistics and compare_runs.csv read.
    let tables = config.mc.shard.is_some();
    let keep_all = tables && shard.is_none();
    progress.start(mine.len() as u64);
    let each = RunsOnly {
        inner: progress,
        cells: cells.iter().map(|r| r.len() as u64).sum::<u64>().max(1),
        done: AtomicU64::new(0),
    };
    let runner = Runner::new(config.mc.threads)?
        .progress(&each)
        .stop_on(stop);
    // Cell by cell (each worker holds one engine at a time), every cell on the same runs
    // and the same run generators: common random numbers do not depend on the order.
    let mut columns: Vec<Vec<Columns>> = Vec::with_capacity(cells.len());
    let mut records: Vec<Vec<Vec<RunRecord>>> = Vec::new();
    for (f, row) in cells.iter().enumerate() {
        let mut cols_by_candidate = Vec::with_capacity(row.len());
        let mut by_candidate = Vec::new();
        for (c, cell) in row.iter().enumerate() {
            let mut cols = Columns::with_capacity(mine.len());
            let mut runs: Vec<RunRecord> = Vec::new();
            // Streamed: each run's rows go to the part at once; its scalars (those of the
            // part's runs.csv) are kept as columns until the cell is finished.
            let mut part_runs = montecarlo::Runs::with_capacity(
                crate::study::metrics::Study::Montecarlo,
                if shard.is_some() { mine.len() } else { 0 },
            );
            let mut part = match shard.as_deref_mut() {
                Some(w) => Some(w.part(f, c)?),
                None => None,
            };
            let describe = |_: u64| {
                format!(
                    " (seed {}, future {}, candidate {})",
                    config.mc.seed, futures[f].name, labels[c]
                )
            };
            runner.run(
                &mine,
                || Engine::with_base(&cell.scenario, &cell.fixed),
                |engine, i| {
                    let rng = montecarlo::run_rng(config.mc.seed, i);
                    let mut closures = cell.fixed.clone();
                    closures.extend(cell.sampler.sample(0, days, &rng));
                    let report = engine.run(&closures, Record::Totals)?;
                    Ok(RunRecord {
                        run: i,
                        closures: if tables {
                            closures
                                .iter()
                                .map(|w| ClosureRow::of(&cell.scenario, w))
                                .collect()
                        } else {
                            Vec::new()
                        },
                        metrics: report.metrics,
                        daily: None,
                    })
                },
                &describe,
                |_, r| {
                    cols.push(&r);
                    if let Some(w) = part.as_mut() {
                        w.push(&r)?;
                        part_runs.push(r.run, &r.metrics);
                    } else if keep_all {
                        runs.push(r);
                    }
                    Ok(Flow::Continue)
                },
            )?;
            if let (Some(w), Some(p)) = (shard.as_deref_mut(), part) {
                w.finish_part(f, c, p, std::mem::take(&mut part_runs))?;
            }
            cols_by_candidate.push(cols);
            if keep_all {
                by_candidate.push(runs);
            }
        }
        columns.push(cols_by_candidate);
        if keep_all {
            records.push(by_candidate);
        }
    }
    progress.finish();
    Ok(Outcome {
        manifest: manifest(study, config),
        labels,
        futures: futures.into_iter().map(|f| f.name).collect(),
        columns,
        records,
    })
}

/// A comparison's progress in runs of the whole comparison: the cells run one after
/// another, so one run is reported per `cells` runs of single cells (a comparison
/// reports its start and end once, not per cell).
struct RunsOnly<'a> {
    inner: &'a dyn Progress,
    cells: u64,
    done: AtomicU64,
}
impl Progress for RunsOnly<'_> {
    fn run_done(&self) {
        if (self.done.fetch_add(1, Ordering::Relaxed) + 1) % self.cells == 0 {
            self.inner.run_done();
        }
    }
}

/// [`simulate`] without progress.
pub fn simulate_quietly(study: &Study, config: &Config) -> Result<Outcome, Error> {
    simulate(study, config, &NoProgress)
}
