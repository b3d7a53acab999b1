//! Requests: what a front end (the CLI, the Python package) asks of a study, checked and
//! turned into the study's configuration here, so that neither front end holds study
//! logic: the defaults, the checks of counts and thresholds, the regime start and the
//! thread count live once, in the request's constructor and its `config`.
//!
//! A front end moves the scenario's window and reads its closures
//! ([`crate::scenario::StudyClosures`], whose warnings it prints), then hands them to the
//! request.

use crate::closure::ClosureWindow;
use crate::montecarlo::{self, Shard};
use crate::output::manifest::{Criticality, CriticalitySet, SetsFile};
use crate::output::Manifest;
use crate::{compare, criticality};
use crate::{Error, Scenario};

/// Worker threads: `threads`, or every core of the machine when `None`.
pub fn threads_or_cores(threads: Option<usize>) -> usize {
    threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// What a Monte Carlo study (`chokepoint montecarlo`, `chokepoint.montecarlo`) is asked
/// to do. [`MonteCarloRequest::new`] gives the defaults both front ends share.
#[derive(Debug, Clone, PartialEq)]
pub struct MonteCarloRequest {
    /// Runs (simulated years); the most with `target_rel_error`.
    pub runs: u64,
    /// Base seed: run i draws from ChaCha8 seeded with it, on stream i.
    pub seed: u64,
    /// Worker threads (`None`: every core). Results do not depend on it.
    pub threads: Option<usize>,
    /// Only this shard's runs, for a partial result.
    pub shard: Option<Shard>,
    /// Stop once the relative standard error of the mean total loss is at most this.
    pub target_rel_error: Option<f64>,
    /// Runs per batch with `target_rel_error`.
    pub batch_size: u64,
    /// Whether the scenario's own `[[closure]]` windows are in every run.
    pub fixed_closures: bool,
    /// How the regime chain starts (`stationary` or a state id; `None`: the scenario's).
    pub regime_start: Option<String>,
    /// Keep each run's daily series (the fan-chart bands).
    pub record_daily: bool,
}

impl MonteCarloRequest {
    /// Runs (simulated years), unless told otherwise (a comparison's too).
    pub const RUNS: u64 = 1000;
    /// Base seed, unless told otherwise (every study's).
    pub const SEED: u64 = 0;
    /// Runs per batch with a target relative error, unless told otherwise.
    pub const BATCH_SIZE: u64 = 100;
    /// Plans drawn per run for the means of the control variates, unless told otherwise.
    pub const CONTROL_DRAWS_PER_RUN: u64 = 50;
    /// The fewest plans drawn for the means of the control variates, unless told
    /// otherwise.
    pub const CONTROL_DRAWS_MIN: u64 = 50_000;

    /// Plans drawn for the means of the control variates of a study of `runs` runs,
    /// unless told otherwise: [`Self::CONTROL_DRAWS_PER_RUN`] per run, at least
    /// [`Self::CONTROL_DRAWS_MIN`].
    pub fn control_draws(runs: u64) -> u64 {
        Self::CONTROL_DRAWS_PER_RUN
            .saturating_mul(runs)
            .max(Self::CONTROL_DRAWS_MIN)
    }

    /// `runs` runs from `seed`, with the defaults: every core, no shard, no target, the
    /// scenario's fixed closures and regime start, daily series kept.
    pub fn new(runs: u64, seed: u64) -> MonteCarloRequest {
        MonteCarloRequest {
            runs,
            seed,
            threads: None,
            shard: None,
            target_rel_error: None,
            batch_size: Self::BATCH_SIZE,
            fixed_closures: true,
            regime_start: None,
            record_daily: true,
        }
    }

    /// The threads the study runs on.
    pub fn threads(&self) -> usize {
        threads_or_cores(self.threads)
    }

    /// The study's configuration on `scenario` (its window already moved), with the
    /// closures in force in every run: `close`, their specs as the manifest records
    /// them, and `extra`, their windows. Checked ([`montecarlo::Config::check`]).
    pub fn config(
        &self,
        scenario: &Scenario,
        close: &[String],
        extra: Vec<ClosureWindow>,
    ) -> Result<montecarlo::Config, Error> {
        let regime_start = self
            .regime_start
            .as_deref()
            .map(|x| scenario.regime_start(x))
            .transpose()?;
        let config = montecarlo::Config {
            runs: self.runs,
            seed: self.seed,
            threads: self.threads(),
            shard: self.shard,
            target_rel_error: self.target_rel_error,
            batch_size: self.batch_size,
            no_fixed_closures: !self.fixed_closures,
            extra_closures: extra,
            close_specs: close.to_vec(),
            record_daily: self.record_daily,
            regime_start,
        };
        config.check()?;
        Ok(config)
    }

    /// What a user should know before the runs: a scenario without a random closure
    /// process gives the same result in every run.
    pub fn warnings(scenario: &Scenario) -> Vec<String> {
        if scenario.processes.is_empty() && scenario.shocks.is_empty() {
            vec![
                "the scenario has no random closure process ([[process]] or [[shock]]): \
                 every run simulates the same fixed closures and gives the same result"
                    .into(),
            ]
        } else {
            Vec::new()
        }
    }
}

/// What a comparison (`chokepoint compare`, `chokepoint.compare`) is asked to do: the
/// Monte Carlo settings every candidate shares, and the comparison's own.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareRequest {
    /// The runs, seed, threads, shard, fixed closures and regime start of every
    /// candidate (no target relative error; no daily series).
    pub mc: MonteCarloRequest,
    /// Bootstrap resamples of the tail measures' intervals and the ranking's stability.
    pub bootstrap_resamples: u32,
    /// Satisficing threshold on annual total loss, USD.
    pub threshold_usd: Option<f64>,
}

impl CompareRequest {
    /// Bootstrap resamples, unless told otherwise.
    pub const BOOTSTRAP: u32 = 1000;

    /// `runs` runs of every candidate from `seed`, with the defaults: 1,000 bootstrap
    /// resamples, no threshold, no daily series.
    pub fn new(runs: u64, seed: u64) -> CompareRequest {
        CompareRequest {
            mc: MonteCarloRequest {
                record_daily: false,
                ..MonteCarloRequest::new(runs, seed)
            },
            bootstrap_resamples: Self::BOOTSTRAP,
            threshold_usd: None,
        }
    }

    /// The checks of a comparison's own settings: at least 2 runs (an interval), at
    /// least one bootstrap resample, a finite threshold, no target relative error.
    pub fn check(&self) -> Result<(), Error> {
        let runs = self.mc.runs;
        if runs < 2 {
            return Err(Error::Invalid(format!(
                "runs {runs}: a comparison needs at least 2 runs (a confidence interval)"
            )));
        }
        if self.bootstrap_resamples == 0 {
            return Err(Error::Invalid(
                "bootstrap 0: at least 1 resample is needed".into(),
            ));
        }
        if let Some(t) = self.threshold_usd {
            if !t.is_finite() {
                return Err(Error::Invalid(format!(
                    "threshold {t}: expected an amount in USD such as 20e6"
                )));
            }
        }
        if self.mc.target_rel_error.is_some() {
            return Err(Error::Invalid(
                "a comparison runs a fixed number of runs: no target relative error".into(),
            ));
        }
        Ok(())
    }

    /// The comparison's configuration on `study` (every candidate's window already
    /// moved), with the closures in force in every run of every candidate (as for
    /// [`MonteCarloRequest::config`]). Checked.
    pub fn config(
        &self,
        study: &compare::Study,
        close: &[String],
        extra: Vec<ClosureWindow>,
    ) -> Result<compare::Config, Error> {
        self.check()?;
        Ok(compare::Config {
            mc: self.mc.config(&study.base.scenario, close, extra)?,
            bootstrap_resamples: self.bootstrap_resamples,
            threshold_usd: self.threshold_usd,
        })
    }
}

/// What a criticality study (`chokepoint criticality`, `chokepoint.criticality`) is
/// asked to do. The front end reads the dates and the sets file (naming its own flag or
/// argument in an error); [`CriticalityRequest::plan`] does the rest.
#[derive(Debug, Clone, PartialEq)]
pub struct CriticalityRequest {
    /// Days each corridor (or set) stays closed, 1 ..= 3660.
    pub duration_days: u32,
    /// First closed day (`None`: [`criticality::AROUND_DAYS`] after the window's start).
    pub start: Option<chrono::NaiveDate>,
    /// Capacity factor while closed (0 = shut).
    pub capacity_factor: f64,
    /// Worker threads (`None`: every core).
    pub threads: Option<usize>,
    /// Closures in force in every run (specs, as the manifest records them).
    pub close: Vec<String>,
    /// The Monte Carlo view's runs (`None`: no Monte Carlo view), >= 2.
    pub runs: Option<u64>,
    /// The Monte Carlo view's base seed.
    pub seed: u64,
    /// Bootstrap resamples of the Monte Carlo view, 1 ..= 1,000,000.
    pub bootstrap_resamples: u64,
    /// How the regime chain starts in the Monte Carlo view.
    pub regime_start: Option<String>,
}

/// A checked criticality study, ready to run: the sets, their configuration, the Monte
/// Carlo view's, and the manifest of the folder it writes.
#[derive(Debug, Clone)]
pub struct CriticalityPlan {
    /// How every set is closed.
    pub config: criticality::Config,
    /// Every corridor alone (N-1), then the sets file's (N-k).
    pub sets: Vec<criticality::ClosureSet>,
    /// The Monte Carlo view, with `runs`.
    pub mc: Option<criticality::McConfig>,
    /// The study's manifest (its files are added when they are written).
    pub manifest: Manifest,
    /// A warning for every closure of `close` that lies wholly outside the window (it
    /// does nothing: the front end prints the warnings).
    pub outside_window: Vec<crate::scenario::WindowWarning>,
}

impl CriticalityRequest {
    /// Bootstrap resamples, unless told otherwise.
    pub const BOOTSTRAP: u64 = 1000;
    /// Capacity factor while closed, unless told otherwise: shut.
    pub const CAPACITY_FACTOR: f64 = 0.0;

    /// Each corridor closed for `duration_days`, with the defaults: shut (factor 0), a
    /// month after the window's start, every core, no background, no Monte Carlo view.
    pub fn new(duration_days: u32) -> CriticalityRequest {
        CriticalityRequest {
            duration_days,
            start: None,
            capacity_factor: Self::CAPACITY_FACTOR,
            threads: None,
            close: Vec::new(),
            runs: None,
            seed: MonteCarloRequest::SEED,
            bootstrap_resamples: Self::BOOTSTRAP,
            regime_start: None,
        }
    }

    /// The checks that need no scenario.
    pub fn check(&self) -> Result<(), Error> {
        let d = self.duration_days;
        if !(1..=3660).contains(&d) {
            return Err(Error::Invalid(format!(
                "duration_days {d}: expected 1 ..= 3660 days"
            )));
        }
        let b = self.bootstrap_resamples;
        if !(1..=1_000_000).contains(&b) {
            return Err(Error::Invalid(format!(
                "bootstrap {b}: expected 1 ..= 1,000,000 resamples"
            )));
        }
        if let Some(r) = self.runs.filter(|&r| r < 2) {
            return Err(Error::Invalid(format!(
                "runs {r}: the Monte Carlo view needs at least 2 runs (a confidence interval)"
            )));
        }
        if self.threads == Some(0) {
            return Err(Error::Invalid("threads 0: at least 1 is needed".into()));
        }
        Ok(())
    }

    /// The plan on `scenario`, with `sets` the N-k sets of a sets file and its record
    /// (read by the front end), checked against the scenario.
    pub fn plan(
        &self,
        scenario: &Scenario,
        sets: Option<(Vec<criticality::ClosureSet>, SetsFile)>,
    ) -> Result<CriticalityPlan, Error> {
        self.check()?;
        let threads = threads_or_cores(self.threads);
        let mut background = Vec::new();
        let mut outside_window = Vec::new();
        for spec in &self.close {
            let w = crate::scenario::parse_close_spec(scenario, spec)?;
            // One that does nothing in the window is left out, as montecarlo's
            // `fixed_closures` leaves it out: the warning says it does nothing.
            if crate::scenario::in_window(scenario, &w) {
                background.push(w);
            } else {
                outside_window.push(crate::scenario::WindowWarning::close_outside(
                    scenario, spec,
                ));
            }
        }
        let config = criticality::Config {
            duration_days: self.duration_days,
            start_day: self
                .start
                .map_or(criticality::AROUND_DAYS, |d| scenario.day_of(d)),
            capacity_factor: self.capacity_factor,
            threads,
            background: background.clone(),
        };
        config.check(scenario)?;
        let mut all = criticality::n_minus_1(scenario);
        let (more, sets_file) = sets.map_or((Vec::new(), None), |(s, f)| (s, Some(f)));
        all.extend(more);
        let regime_start = self
            .regime_start
            .as_deref()
            .map(|x| scenario.regime_start(x))
            .transpose()?;
        let mc = self.runs.map(|runs| criticality::McConfig {
            runs,
            seed: self.seed,
            threads,
            bootstrap_resamples: self.bootstrap_resamples as usize,
            regime_start,
            background,
        });
        let mut manifest = Manifest::new("criticality", scenario);
        manifest.set_no_fixed_closures(true);
        manifest.closures.close = self.close.clone();
        if let Some(mc) = &mc {
            let mcc = montecarlo::Config {
                runs: mc.runs,
                seed: mc.seed,
                no_fixed_closures: true,
                regime_start: mc.regime_start,
                close_specs: self.close.clone(),
                ..montecarlo::Config::default()
            };
            manifest.montecarlo = montecarlo::manifest(scenario, &mcc).montecarlo;
        }
        manifest.criticality = Some(Criticality {
            duration_days: config.duration_days,
            start: scenario.date_of(config.start_day).to_string(),
            capacity_factor: config.capacity_factor,
            sets_file,
            sets: all
                .iter()
                .filter(|s| !s.n_minus_1)
                .map(|s| CriticalitySet {
                    name: s.name.clone(),
                    corridors: s.corridors.clone(),
                })
                .collect(),
            bootstrap_resamples: mc.as_ref().map(|m| m.bootstrap_resamples as u64),
        });
        Ok(CriticalityPlan {
            config,
            sets: all,
            mc,
            manifest,
            outside_window,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_those_of_both_front_ends() {
        let r = MonteCarloRequest::new(10, 3);
        assert_eq!(
            (r.batch_size, r.fixed_closures, r.record_daily),
            (100, true, true)
        );
        assert!(r.threads() >= 1);
        let c = CompareRequest::new(10, 3);
        assert_eq!((c.bootstrap_resamples, c.mc.record_daily), (1000, false));
        assert!(c.check().is_ok());
        assert_eq!(MonteCarloRequest::control_draws(10), 50_000);
        assert_eq!(MonteCarloRequest::control_draws(10_000), 500_000);
    }

    #[test]
    fn a_comparison_refuses_what_cannot_be_compared() {
        let bad = |f: fn(&mut CompareRequest), needle: &str| {
            let mut r = CompareRequest::new(10, 3);
            f(&mut r);
            let e = r.check().unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
        };
        bad(|r| r.mc.runs = 1, "at least 2 runs");
        bad(|r| r.bootstrap_resamples = 0, "at least 1 resample");
        bad(|r| r.threshold_usd = Some(f64::NAN), "threshold NaN");
        bad(|r| r.threshold_usd = Some(f64::INFINITY), "threshold inf");
        bad(|r| r.mc.target_rel_error = Some(0.1), "no target");
    }

    #[test]
    fn a_criticality_study_refuses_what_cannot_run() {
        let bad = |f: fn(&mut CriticalityRequest), needle: &str| {
            let mut r = CriticalityRequest::new(10);
            f(&mut r);
            let e = r.check().unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
        };
        assert!(CriticalityRequest::new(10).check().is_ok());
        bad(|r| r.duration_days = 0, "duration_days 0");
        bad(|r| r.duration_days = 3661, "1 ..= 3660");
        bad(|r| r.bootstrap_resamples = 0, "bootstrap 0");
        bad(|r| r.runs = Some(1), "at least 2 runs");
        bad(|r| r.threads = Some(0), "threads 0");
    }
}
