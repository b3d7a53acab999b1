//! The flags several commands share, each declared once, as clap groups that a command
//! flattens (`#[command(flatten)]`). Their defaults are the library's request types'
//! (`MonteCarloRequest::RUNS`, ...), which Python reads too. Where a command's wording
//! must differ (compare's `--close` is in force for every option), the command sets it
//! with `#[command(mut_arg("close", |a| a.help("...")))]` on its own `Args`: clap applies
//! those after the flattened flags are added.

use std::path::PathBuf;

use anyhow::Context as _;
use chokepoint::output::Shard;
use chokepoint::scenario::StudyClosures;
use chokepoint::study::request::MonteCarloRequest;
use chokepoint::Scenario;

/// `--seed` and `--threads`.
#[derive(clap::Args)]
pub struct Seeding {
    /// Base seed: run i draws from ChaCha8 seeded with it, on stream i.
    #[arg(long, default_value_t = MonteCarloRequest::SEED)]
    pub seed: u64,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: Option<u32>,
}

impl Seeding {
    /// `--threads`, or `None` for every core.
    pub fn threads(&self) -> Option<usize> {
        self.threads.map(|t| t as usize)
    }
}

/// `--shard K/N`.
#[derive(clap::Args)]
pub struct Sharding {
    /// Run only shard k of n (runs i with i % n == k-1) and write a partial result for
    /// `chokepoint merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
}

impl Sharding {
    /// The shard asked for, checked.
    pub fn shard(&self) -> anyhow::Result<Option<Shard>> {
        self.shard
            .as_deref()
            .map(str::parse::<Shard>)
            .transpose()
            .context("--shard")
    }
}

/// `--runs`, `--seed`, `--threads` and `--shard`: the sampling of a Monte Carlo.
#[derive(clap::Args)]
pub struct Sampling {
    /// Runs (simulated years); the most with --target-rel-error.
    #[arg(long, default_value_t = MonteCarloRequest::RUNS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub runs: u64,
    #[command(flatten)]
    pub seeding: Seeding,
    #[command(flatten)]
    pub sharding: Sharding,
}

/// `--force`.
#[derive(clap::Args)]
pub struct Force {
    /// Replace the files chokepoint wrote in --out for another study (others are kept).
    #[arg(long)]
    pub force: bool,
}

/// `--out DIR` (required) and `--force`.
#[derive(clap::Args)]
pub struct Output {
    /// Output folder. Checked before the runs: it may hold only this same study's files.
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub force: Force,
}

/// `--out DIR` (optional: nothing is written without it) and `--force`.
#[derive(clap::Args)]
#[command(mut_arg("force", |a| a.requires("out")))]
pub struct MaybeOutput {
    /// Output folder (nothing is written without it). Checked before any work.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub force: Force,
}

/// `--quiet`.
#[derive(clap::Args)]
pub struct Quiet {
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `--close` and `--closures`: closures in force in every run.
#[derive(clap::Args)]
pub struct Closures {
    /// A fixed closure in every run, ID:FROM..TO (TO = reopening date) or ID:FROM+DAYS,
    /// with an optional @FACTOR. Repeatable.
    #[arg(long, value_name = "SPEC")]
    pub close: Vec<String>,
    /// A CSV table of closures, one a row: columns corridor, start, days or end (the
    /// reopening date), factor (optional, 0 = shut). Its rows join --close. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub closures: Vec<PathBuf>,
}

impl Closures {
    /// The `--close` specs followed by the rows of every `--closures` table, as specs
    /// (see [`crate::study::close_specs`]).
    pub fn specs(&self, scenario: &Scenario) -> anyhow::Result<Vec<String>> {
        crate::study::close_specs(scenario, &self.close, &self.closures)
    }
}

/// `--no-fixed-closures`.
#[derive(clap::Args)]
pub struct FixedClosures {
    /// Ignore the scenario's own [[closure]] windows.
    #[arg(long)]
    pub no_fixed_closures: bool,
}

/// The simulated window and the closures in it: `--start`, `--days`, `--close`,
/// `--closures` and `--no-fixed-closures`.
#[derive(clap::Args)]
pub struct Window {
    /// First simulated date (default: the scenario's start).
    #[arg(long, value_name = "DATE")]
    pub start: Option<String>,
    /// Days per run, 1..=3660 (default: the scenario's days).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=3660))]
    pub days: Option<u32>,
    #[command(flatten)]
    pub closures: Closures,
    #[command(flatten)]
    pub fixed: FixedClosures,
}

impl Window {
    /// `--no-fixed-closures`.
    pub fn no_fixed_closures(&self) -> bool {
        self.fixed.no_fixed_closures
    }

    /// Move `scenario`'s window (`--start`, `--days`), nothing else.
    pub fn move_only(&self, scenario: &mut Scenario) -> anyhow::Result<()> {
        let start = self
            .start
            .as_deref()
            .map(chokepoint::scenario::parse_date)
            .transpose()
            .context("--start")?;
        chokepoint::scenario::apply_window(scenario, start, self.days).context("--days")?;
        Ok(())
    }

    /// Move `scenario`'s window and parse the closures (see [`crate::study::closures`]):
    /// the specs of `--close` and `--closures`, and the closures that apply.
    pub fn apply(&self, scenario: &mut Scenario) -> anyhow::Result<(Vec<String>, StudyClosures)> {
        let close = self.closures.specs(scenario)?;
        let c = crate::study::closures(
            scenario,
            self.start.as_deref(),
            self.days,
            self.no_fixed_closures(),
            &close,
        )?;
        Ok((close, c))
    }
}

/// `--regime-start`.
#[derive(clap::Args)]
pub struct Regime {
    /// How the regime chain starts in every run: `stationary` (drawn from its long-run
    /// shares: an average year) or a state id (every year begins in it). Default: the
    /// scenario's [regimes] initial, stationary when it has none.
    #[arg(long, value_name = "STATE|stationary")]
    pub regime_start: Option<String>,
}

/// `--controls`, `--no-controls` and `--control-draws`: control variates, on by default.
#[derive(clap::Args)]
pub struct ControlVariates {
    /// Estimate the means with control variates too (controlled.csv, controls.csv; a
    /// shard writes its runs' plan features for `merge`): the default, this flag is
    /// kept for older command lines.
    #[arg(long)]
    pub controls: bool,
    /// Plans drawn (on a random stream of their own) for the means of the control
    /// variates of controlled.csv; default 50 per run, at least 50,000.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(2..))]
    pub control_draws: Option<u64>,
    /// No control variates: no controlled.csv or controls.csv (a shard writes no plan
    /// features).
    #[arg(long, conflicts_with_all = ["controls", "control_draws"])]
    pub no_controls: bool,
}

impl ControlVariates {
    /// The plans to draw for the controls' means: `None` with `--no-controls`, else
    /// `--control-draws` or the library's default for `runs`.
    pub fn draws(&self, runs: u64) -> Option<u64> {
        (!self.no_controls).then(|| {
            self.control_draws
                .unwrap_or_else(|| MonteCarloRequest::control_draws(runs))
        })
    }
}
