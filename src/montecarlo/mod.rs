//! Monte Carlo: random closure plans per run from (seed, run index), parallel runs,
//! shards and merging, and loss statistics.
//!
//! # Reproducibility
//!
//! Run `i` (0-based) draws its random closures from its own generator
//! `ChaCha8Rng::seed_from_u64(seed)` with `set_stream(i)`: a named, portable generator,
//! so run `i` has the same closures on any machine, for any thread count and in any
//! shard. Within a run, each closure process, shock group and the regime chain draws from
//! its own substream of the run's generator, named by its id
//! ([`crate::closure::substream`]): an option that adds a process leaves the base's
//! processes' closures as they were, run by run (common random numbers). Runs execute in
//! parallel on the study layer's [`Runner`], `threads` workers
//! each with its own model (an [`Engine`](crate::sim) is `Send`, not `Sync`); results
//! arrive in run-index order and every statistic is computed over values in run-index
//! order, so the output files are bit-identical for any `threads`.
//!
//! # Shards
//!
//! `Shard { k, n }` (1-based `k`) runs the runs `i` with `i % n == k - 1` (interleaved,
//! so shards take equal work even with `--target-rel-error`-free long tails) and writes a
//! partial result: the raw per-run tables with every float printed in its shortest
//! round-trip form, which [`output::merge`] reads back bit for bit and turns into exactly
//! the files one process would have written.
//!
//! # Stopping at a target precision
//!
//! With `target_rel_error = Some(x)` runs go in batches of `batch_size` (by run index):
//! after each batch, if the relative standard error of the mean total loss over all runs
//! so far is `<= x`, it stops. The set of runs is a function of (seed, x, batch size,
//! runs) alone, never of the thread count. It cannot be combined with shards.
//!
//! ```
//! use chokepoint::montecarlo::{self, Config, NoProgress, RunModel};
//! use chokepoint::closure::ClosureWindow;
//! use chokepoint::sim::RunReport;
//!
//! /// A stand-in model: the loss is the number of closed days.
//! struct Days;
//! impl RunModel for Days {
//!     fn run(&mut self, c: &[ClosureWindow], _: bool) -> Result<RunReport, chokepoint::Error> {
//!         let mut r = RunReport::default();
//!         r.metrics.total_loss_usd = c.iter().map(|w| f64::from(w.duration_days)).sum();
//!         Ok(r)
//!     }
//! }
//! # let scenario = chokepoint::Scenario::empty("x");
//! let config = Config { runs: 20, seed: 1, threads: 2, ..Config::default() };
//! let out = montecarlo::simulate(&scenario, &config, || Ok(Days), &NoProgress)?;
//! assert_eq!(out.runs.len(), 20);
//! assert_eq!(out.runs.losses()[0], out.records[0].metrics.total_loss_usd);
//! # Ok::<(), chokepoint::Error>(())
//! ```

pub mod controlled;
mod html;
pub mod output;
pub mod replay;
mod runs;
pub mod stats;
pub mod warnings;

use std::sync::atomic::AtomicBool;

use crate::closure::{ClosureSampler, ClosureWindow, RegimeStart};
pub use crate::output::manifest::Shard;
use crate::output::{manifest, Manifest};
use crate::scenario::in_window;
use crate::sim::{RunMetrics, RunReport};
use crate::study::{Flow, Runner};
use crate::{Error, Scenario};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Something that simulates one run given its closures: the daily engine, or a cheap
/// stand-in in tests. Must be deterministic: the same closures give the same report.
pub trait RunModel {
    /// Simulate the scenario with these closure windows (fixed and sampled); record the
    /// daily series when `record_daily`.
    fn run(&mut self, closures: &[ClosureWindow], record_daily: bool) -> Result<RunReport, Error>;
}

impl RunModel for crate::sim::Engine {
    /// The Monte Carlo keeps two daily series of a run (trucks stranded, value
    /// delivered): with `record_daily`, only those are recorded.
    fn run(&mut self, closures: &[ClosureWindow], record_daily: bool) -> Result<RunReport, Error> {
        let record = if record_daily {
            crate::sim::Record::DailyTotals
        } else {
            crate::sim::Record::Totals
        };
        crate::sim::Engine::run(self, closures, record)
    }
}

/// How to run a Monte Carlo study.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Number of runs (the most, with `target_rel_error`).
    pub runs: u64,
    /// Base seed; run `i` uses stream `i` of it.
    pub seed: u64,
    /// Worker threads (>= 1). Results do not depend on it.
    pub threads: usize,
    /// Run only this shard.
    pub shard: Option<Shard>,
    /// Stop after the first batch at which the relative standard error of the mean
    /// total loss is at most this.
    pub target_rel_error: Option<f64>,
    /// Runs per batch for `target_rel_error` (default 100).
    pub batch_size: u64,
    /// Leave out the scenario's own fixed closures (`scenario.closures`).
    pub no_fixed_closures: bool,
    /// Extra fixed closures (e.g. from `--close`), added to the scenario's own.
    pub extra_closures: Vec<ClosureWindow>,
    /// Their specs as given, recorded in the manifest.
    pub close_specs: Vec<String>,
    /// Record and keep the daily series for fan-chart bands (default true).
    pub record_daily: bool,
    /// How the regime chain starts in every run, overriding the scenario's `initial`
    /// (`--regime-start`); `None` keeps the scenario's (stationary by default).
    pub regime_start: Option<RegimeStart>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            runs: 1000,
            seed: 0,
            threads: 1,
            shard: None,
            target_rel_error: None,
            batch_size: 100,
            no_fixed_closures: false,
            extra_closures: Vec::new(),
            close_specs: Vec::new(),
            record_daily: true,
            regime_start: None,
        }
    }
}

impl Config {
    /// Check the settings: at least one run and one thread, a batch size >= 1, a
    /// positive finite target, no target with shards.
    pub fn check(&self) -> Result<(), Error> {
        if self.runs == 0 {
            return Err(Error::Invalid("runs is 0: it must be at least 1".into()));
        }
        if self.threads == 0 {
            return Err(Error::Invalid("threads is 0: it must be at least 1".into()));
        }
        if self.batch_size == 0 {
            return Err(Error::Invalid(
                "batch_size is 0: it must be at least 1".into(),
            ));
        }
        if let Some(x) = self.target_rel_error {
            if !(x.is_finite() && x > 0.0) {
                return Err(Error::Invalid(format!(
                    "target_rel_error {x}: expected a positive number such as 0.02 (2%)"
                )));
            }
            if let Some(shard) = self.shard {
                return Err(Error::Invalid(format!(
                    "a target_rel_error cannot be combined with shard {shard}: when to \
                     stop depends on all runs; run a fixed number of runs per shard instead"
                )));
            }
        }
        Ok(())
    }
}

/// A closure window as written to `closures.csv`: the target by name.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosureRow {
    /// Corridor or link id.
    pub target: String,
    /// First closed day (0-based).
    pub start_day: i64,
    /// Days closed.
    pub duration_days: u32,
    /// Capacity factor while closed.
    pub capacity_factor: f64,
    /// Ramp days.
    pub ramp_days: u32,
    /// Label (`random <corridor>`, `shock <id>`, or the fixed closure's label).
    pub label: String,
}

impl ClosureRow {
    /// The columns of a table of closure windows, in order: the scenario's `closures`
    /// (Python's `Scenario.table("closures")`) and, after `run`, `closures.csv`.
    pub const COLUMNS: [&'static str; 8] = [
        "target",
        "start_day",
        "start_date",
        "duration_days",
        "reopen_date",
        "capacity_factor",
        "ramp_days",
        "label",
    ];

    /// Its first closed date and the date it reopens, for a run whose day 0 is `start`.
    pub fn dates(&self, start: chrono::NaiveDate) -> (chrono::NaiveDate, chrono::NaiveDate) {
        let date = |d: i64| start + chrono::Duration::days(d);
        (
            date(self.start_day),
            date(self.start_day + i64::from(self.duration_days)),
        )
    }

    /// The row of closure window `w` of `scenario`.
    pub fn of(scenario: &Scenario, w: &ClosureWindow) -> ClosureRow {
        ClosureRow {
            target: scenario.target_name(w.target).to_string(),
            start_day: w.start_day,
            duration_days: w.duration_days,
            capacity_factor: w.capacity_factor,
            ramp_days: w.ramp_days,
            label: w.label.clone().unwrap_or_default(),
        }
    }
}

/// The daily series the fan-chart bands need, of one run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DailyRecord {
    /// Trucks queued at all crossings at the end of each day.
    pub stranded_trucks: Vec<f64>,
    /// Value delivered each day, USD.
    pub delivered_usd: Vec<f64>,
}

/// Everything kept of one run: what the output files and statistics need.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    /// Run index (also its random stream).
    pub run: u64,
    /// The closures it simulated (fixed, then sampled).
    pub closures: Vec<ClosureRow>,
    /// Its metrics; `metrics.prices` holds only the price points whose price changed in
    /// the run (as a shard's `price_runs.csv` does), the others changed by 0.
    pub metrics: RunMetrics,
    /// Its daily series, when recorded.
    pub daily: Option<DailyRecord>,
}

/// The result of a Monte Carlo study (or of one shard): its manifest and its runs in
/// run-index order.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// What identifies it.
    pub manifest: Manifest,
    /// Every run's index and scalar metrics (`runs.csv`'s metric columns), by run index:
    /// what the statistics, the stopping rules and the controlled estimates read.
    pub runs: Runs,
    /// The runs' whole records, by run index, from [`simulate`] and the other forms
    /// that keep them; empty from a study streamed to its files ([`simulate_to`],
    /// [`output::Merge`]), which keeps only `runs`.
    pub records: Vec<RunRecord>,
}

impl Outcome {
    /// The outcome of the runs `records` (in run order) with `manifest`: their records
    /// and their columns.
    pub fn of_records(manifest: Manifest, records: Vec<RunRecord>) -> Outcome {
        let mut runs = Runs::with_capacity(crate::study::metrics::Study::Montecarlo, records.len());
        for r in &records {
            runs.push(r.run, &r.metrics);
        }
        Outcome {
            manifest,
            runs,
            records,
        }
    }
}

pub use crate::study::{NoProgress, Progress};
pub use runs::Runs;

/// The generator of run `i`: `ChaCha8Rng::seed_from_u64(seed)` on stream `i`.
pub fn run_rng(seed: u64, run: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(run);
    rng
}

/// The fixed closures of every run: the scenario's own (none with
/// `config.no_fixed_closures`), then `config.extra_closures`, each only if it touches
/// the window ([`in_window`]; the others would do nothing).
pub fn fixed_closures(scenario: &Scenario, config: &Config) -> Vec<ClosureWindow> {
    let own = scenario
        .closures
        .iter()
        .filter(|_| !config.no_fixed_closures);
    own.chain(&config.extra_closures)
        .filter(|w| in_window(scenario, w))
        .cloned()
        .collect()
}

/// How the regime chain of `scenario` starts in a study with `config`: `config`'s
/// override, else the scenario's `initial` (stationary when it has none); `None` without a
/// chain.
pub fn regime_start(scenario: &Scenario, config: &Config) -> Option<RegimeStart> {
    let chain = scenario.regimes.as_ref()?;
    Some(
        config
            .regime_start
            .unwrap_or_else(|| RegimeStart::of(chain)),
    )
}

/// The manifest of a study of `scenario` with `config`, as [`simulate`] writes it
/// (before the runs, `montecarlo.runs` is the runs requested).
pub fn manifest(scenario: &Scenario, config: &Config) -> Manifest {
    let mut m = Manifest::new("montecarlo", scenario);
    m.set_no_fixed_closures(config.no_fixed_closures);
    m.closures.close = config.close_specs.clone();
    m.montecarlo = Some(manifest::MonteCarlo {
        seed: config.seed,
        runs_requested: config.runs,
        runs: config.runs,
        target_rel_error: config.target_rel_error,
        batch_size: config.target_rel_error.map(|_| config.batch_size),
        rng: "rand_chacha::ChaCha8Rng::seed_from_u64(seed), set_stream(run); each process, \
              shock and the regime chain on its own substream (chokepoint substream v1)"
            .into(),
        shard: config.shard,
        regime_start: scenario
            .regimes
            .as_ref()
            .zip(regime_start(scenario, config))
            .map(|(chain, start)| manifest::RegimeStartRecord {
                state: start.name(chain),
                set_by: if config.regime_start.is_some() {
                    "command line".into()
                } else {
                    "scenario".into()
                },
            }),
    });
    m
}

/// Run a Monte Carlo study of `scenario` (its fixed closures plus `config`'s extra ones
/// plus random ones per run, over its window `[0, settings.days)`). `make_model` builds
/// one model per worker thread.
pub fn simulate<M, F>(
    scenario: &Scenario,
    config: &Config,
    make_model: F,
    progress: &dyn Progress,
) -> Result<Outcome, Error>
where
    M: RunModel + Send,
    F: Fn() -> Result<M, Error> + Sync,
{
    simulate_with(scenario, config, make_model, progress, None, Draws::Plain)
}

/// What the manifest's `montecarlo.rng` says of a study by [`simulate_fixed_draws`].
pub const FIXED_DRAWS_RNG: &str = "rand_chacha::ChaCha8Rng::seed_from_u64(seed), set_stream(run); \
     fixed draws (ClosureSampler::sample_fixed_draws)";

/// [`simulate`] with each run's closures drawn by
/// [`ClosureSampler::sample_fixed_draws`]: the random numbers of run `i` do not depend
/// on the closure processes' parameters, so studies of one seed stay paired across
/// parameter values (common random numbers, for sensitivity studies). Its manifest's
/// `montecarlo.rng` is [`FIXED_DRAWS_RNG`], so its outputs never mix with `simulate`'s.
pub fn simulate_fixed_draws<M, F>(
    scenario: &Scenario,
    config: &Config,
    make_model: F,
    progress: &dyn Progress,
) -> Result<Outcome, Error>
where
    M: RunModel + Send,
    F: Fn() -> Result<M, Error> + Sync,
{
    simulate_with(scenario, config, make_model, progress, None, Draws::Fixed)
}

/// How each run's random closures are drawn from its generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Draws {
    /// [`ClosureSampler::sample`] (what [`simulate`] does).
    #[default]
    Plain,
    /// [`ClosureSampler::sample_fixed_draws`] (what [`simulate_fixed_draws`] does).
    Fixed,
}

/// Whether to stop after a batch: given the runs so far (in run order) and the target.
pub type Stop<'a> = dyn Fn(&Runs, f64) -> Result<bool, Error> + Sync + 'a;

/// The default rule of `target_rel_error`: the plain relative standard error of the
/// mean total loss is at most the target.
fn plain_stop(runs: &Runs, x: f64) -> Result<bool, Error> {
    Ok(stats::relative_standard_error(&runs.losses()) <= x)
}

/// [`simulate`], with `config.target_rel_error` checked by `rule` after each batch
/// instead of on the plain standard error (for instance on the controlled interval of
/// [`controlled`]). Runs and their results are those of `simulate`; only where it
/// stops may differ.
pub fn simulate_until<M, F>(
    scenario: &Scenario,
    config: &Config,
    make_model: F,
    progress: &dyn Progress,
    rule: &Stop<'_>,
) -> Result<Outcome, Error>
where
    M: RunModel + Send,
    F: Fn() -> Result<M, Error> + Sync,
{
    simulate_inner(
        scenario,
        config,
        make_model,
        progress,
        None,
        Draws::Plain,
        rule,
        None,
    )
}

/// The general form of [`simulate`] and [`simulate_fixed_draws`]: closures drawn as
/// `draws` says, and, with `stop`, giving up between runs once it is set (by another
/// thread: a Ctrl-C in a notebook) with [`Error::Cancelled`].
pub fn simulate_with<M, F>(
    scenario: &Scenario,
    config: &Config,
    make_model: F,
    progress: &dyn Progress,
    stop: Option<&AtomicBool>,
    draws: Draws,
) -> Result<Outcome, Error>
where
    M: RunModel + Send,
    F: Fn() -> Result<M, Error> + Sync,
{
    simulate_inner(
        scenario,
        config,
        make_model,
        progress,
        stop,
        draws,
        &plain_stop,
        None,
    )
}

/// [`simulate_until`] that writes each run's rows into `writer`'s files as it finishes,
/// in run order, and keeps only what the statistics need: the outcome holds the runs'
/// scalar metrics ([`Outcome::runs`]) and no records, so the memory of a study does not
/// grow with its runs' tables.
/// With `stop`, it gives up between runs once it is set ([`Error::Cancelled`]). Finish
/// the files with [`output::Writer::finish`] and the outcome's manifest; a writer
/// dropped unfinished leaves no file of the study behind.
#[allow(clippy::too_many_arguments)]
pub fn simulate_to<M, F>(
    scenario: &Scenario,
    config: &Config,
    make_model: F,
    progress: &dyn Progress,
    stop: Option<&AtomicBool>,
    draws: Draws,
    rule: Option<&Stop<'_>>,
    writer: &mut output::Writer,
) -> Result<Outcome, Error>
where
    M: RunModel + Send,
    F: Fn() -> Result<M, Error> + Sync,
{
    simulate_inner(
        scenario,
        config,
        make_model,
        progress,
        stop,
        draws,
        rule.unwrap_or(&plain_stop),
        Some(writer),
    )
}

#[allow(clippy::too_many_arguments)]
fn simulate_inner<M, F>(
    scenario: &Scenario,
    config: &Config,
    make_model: F,
    progress: &dyn Progress,
    stop: Option<&AtomicBool>,
    draws: Draws,
    rule: &Stop<'_>,
    mut writer: Option<&mut output::Writer>,
) -> Result<Outcome, Error>
where
    M: RunModel + Send,
    F: Fn() -> Result<M, Error> + Sync,
{
    let sample: fn(&ClosureSampler, i64, u32, &ChaCha8Rng) -> Vec<ClosureWindow> = match draws {
        Draws::Plain => ClosureSampler::sample,
        Draws::Fixed => ClosureSampler::sample_fixed_draws,
    };
    config.check()?;
    let mut sampler = scenario.closure_sampler()?;
    if let Some(start) = config.regime_start {
        sampler = sampler.with_regime_start(start)?;
    }
    let days = scenario.settings.days;
    let fixed = fixed_closures(scenario, config);
    let closures_of = |i: u64| -> Vec<ClosureWindow> {
        let mut closures = fixed.clone();
        closures.extend(sample(&sampler, 0, days, &run_rng(config.seed, i)));
        closures
    };
    let describe = |i: u64| -> String {
        let spec: Vec<String> = closures_of(i)
            .iter()
            .map(|w| {
                format!(
                    "{}:{}+{}@{}",
                    scenario.target_name(w.target),
                    scenario.date_of(w.start_day),
                    w.duration_days,
                    w.capacity_factor
                )
            })
            .collect();
        format!(
            " (seed {}). Its closures as ID:FROM+DAYS@FACTOR (ramps left out): {}",
            config.seed,
            spec.join(" ")
        )
    };
    let work = |model: &mut M, i: u64| -> Result<RunRecord, Error> {
        let closures = closures_of(i);
        let mut report = model.run(&closures, config.record_daily)?;
        // Only the price points whose price changed are written (price_runs.csv) or
        // counted (prices.csv): keep those alone, most of a run's record otherwise.
        report
            .metrics
            .prices
            .retain(|q| q.peak_change_usd_per_t != 0.0);
        Ok(RunRecord {
            run: i,
            closures: closures
                .iter()
                .map(|w| ClosureRow::of(scenario, w))
                .collect(),
            metrics: report.metrics,
            daily: if config.record_daily {
                report.daily.map(|d| DailyRecord {
                    stranded_trucks: d.stranded_trucks,
                    delivered_usd: d.delivered_usd,
                })
            } else {
                None
            },
        })
    };

    let mine = crate::study::runs(config.runs, config.shard);
    let mut kept = Runs::with_capacity(crate::study::metrics::Study::Montecarlo, mine.len());
    let mut records: Vec<RunRecord> =
        Vec::with_capacity(if writer.is_some() { 0 } else { mine.len() });
    let sink = |_: u64, r: RunRecord| -> Result<Flow, Error> {
        kept.push(r.run, &r.metrics);
        match writer.as_deref_mut() {
            Some(w) => w.push(&r)?,
            None => records.push(r),
        }
        let Some(x) = config.target_rel_error else {
            return Ok(Flow::Continue);
        };
        // Stop after the first whole batch (by run index) at which the target is met.
        if kept.len() % config.batch_size as usize == 0 && rule(&kept, x)? {
            return Ok(Flow::Stop);
        }
        Ok(Flow::Continue)
    };
    let mut runner = Runner::new(config.threads)?.progress(progress);
    if let Some(stop) = stop {
        runner = runner.stop_on(stop);
    }
    runner.run(&mine, make_model, work, &describe, sink)?;
    let runs = match config.shard {
        Some(_) => config.runs,
        None => kept.len() as u64,
    };
    let mut manifest = manifest(scenario, config);
    if let Some(mc) = &mut manifest.montecarlo {
        mc.runs = runs;
        if draws == Draws::Fixed {
            mc.rng = FIXED_DRAWS_RNG.into();
        }
    }
    Ok(Outcome {
        manifest,
        runs: kept,
        records,
    })
}
