//! Criticality: which corridors matter most. Two views.
//!
//! **Closures of a set duration** ([`run_sets`]): every corridor is closed in turn (N-1),
//! and each named set of corridors together (N-k, from a sets file, [`load_sets`]), for
//! `duration_days` from `start_day`, on an otherwise open network (the scenario's own
//! fixed closures are left out), with the engine's queues, spoilage and detours on
//! capacities. Each closure is ranked by its total loss against the counterfactual, with
//! every component and the peak of stranded trucks, and for every corridor the tonnes per
//! day it carried before, during and after the closure against the counterfactual: where
//! the diverted trade went ([`Diversion`]).
//!
//! **Monte Carlo** ([`contributions`]): each corridor's contribution to the expected
//! annual loss and to TVaR 95%: the base study's value minus that of the same study with
//! the corridor's closure processes switched off and the corridor taken out of every
//! shock group ([`switched_off`]). Both run on common draws: every process, shock and the
//! regime chain draws from its own random stream keyed by its id
//! ([`crate::closure::substream`]), so switching one corridor's processes off leaves every
//! other closure of every run exactly as it was, and each run gives a paired difference.
//! Confidence intervals: the mean's from the paired differences (normal, as
//! [`crate::montecarlo::stats`]); TVaR's and the probability that the ranking holds from a
//! bootstrap over runs with a fixed generator (see [`McConfig`]).
//!
//! ```
//! use chokepoint::criticality::{self, Config};
//! let s = chokepoint::Scenario::load("scenarios/twoland.toml")?;
//! let sets = criticality::n_minus_1(&s);
//! let config = Config { duration_days: 14, start_day: 30, ..Config::default() };
//! let results = criticality::run_sets(&s, &sets, &config)?;
//! let ranked = criticality::ranked(&results);
//! assert_eq!(ranked.len(), s.corridors.len());
//! assert!(ranked[0].1.metrics.total_loss_usd >= ranked[1].1.metrics.total_loss_usd);
//! # Ok::<(), chokepoint::Error>(())
//! ```

mod mc;
pub mod output;
mod sets;
pub mod warnings;

use std::sync::atomic::AtomicBool;

use crate::closure::{ClosureWindow, Target};
use crate::sim::{Engine, Record, RunMetrics};
use crate::study::{Flow, NoProgress, Progress, Runner};
use crate::{Error, Scenario};

pub use mc::{
    contributions, contributions_stoppable, switched_off, Contribution, McConfig, McView, RunRow,
};
pub use sets::{load_sets, parse_sets};

/// Days before the closure (and after the reopening) over which the tonnes per day
/// "before" (and "after") are averaged.
pub const AROUND_DAYS: i64 = 30;

/// Corridors that close together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosureSet {
    /// Its name: the corridor id for an N-1 set.
    pub name: String,
    /// What it is (from the sets file; empty for N-1).
    pub description: String,
    /// Corridor ids.
    pub corridors: Vec<String>,
    /// Whether it is one corridor of the N-1 sweep (else an N-k set from a file).
    pub n_minus_1: bool,
}

impl ClosureSet {
    /// `N-1` or `N-k`.
    pub fn kind(&self) -> &'static str {
        if self.n_minus_1 {
            "N-1"
        } else {
            "N-k"
        }
    }
}

/// One set per corridor of `scenario`, in scenario order.
pub fn n_minus_1(scenario: &Scenario) -> Vec<ClosureSet> {
    scenario
        .corridors
        .iter()
        .map(|c| ClosureSet {
            name: c.id.clone(),
            description: c.name.clone(),
            corridors: vec![c.id.clone()],
            n_minus_1: true,
        })
        .collect()
}

/// How the closures of [`run_sets`] are made.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Days each set stays closed (>= 1).
    pub duration_days: u32,
    /// First closed day, 0-based in the scenario's window (default 30: a month after
    /// the window's start, so that the closure and its aftermath fit in the window and
    /// "before" has a month to average over).
    pub start_day: i64,
    /// Capacity factor while closed (0 = shut).
    pub capacity_factor: f64,
    /// Worker threads (>= 1); results do not depend on it.
    pub threads: usize,
    /// Closures in force in every run (`--close`, `--closures`): each set closes on top
    /// of them, and is ranked by the loss it adds to theirs (empty: an open network).
    pub background: Vec<ClosureWindow>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            duration_days: 30,
            start_day: AROUND_DAYS,
            capacity_factor: 0.0,
            threads: 1,
            background: Vec::new(),
        }
    }
}

impl Config {
    /// Check it against `scenario`'s window.
    pub fn check(&self, scenario: &Scenario) -> Result<(), Error> {
        let days = i64::from(scenario.settings.days);
        if self.duration_days == 0 {
            return Err(Error::Invalid(
                "duration 0 days: a closure lasts at least 1 day".into(),
            ));
        }
        if !(0..days).contains(&self.start_day) {
            return Err(Error::Invalid(format!(
                "the closure start {} (day {}) is outside the simulated window {} .. {} \
                 ({} days); choose a start inside it",
                scenario.date_of(self.start_day),
                self.start_day,
                scenario.settings.start,
                scenario.date_of(days - 1),
                days
            )));
        }
        if !(self.capacity_factor.is_finite() && (0.0..1.0).contains(&self.capacity_factor)) {
            return Err(Error::Invalid(format!(
                "capacity factor {}: expected a number in [0, 1) (0 = shut)",
                self.capacity_factor
            )));
        }
        if self.threads == 0 {
            return Err(Error::Invalid("threads is 0: it must be at least 1".into()));
        }
        Ok(())
    }

    /// The closure windows of `set`.
    pub fn windows(
        &self,
        scenario: &Scenario,
        set: &ClosureSet,
    ) -> Result<Vec<ClosureWindow>, Error> {
        set.corridors
            .iter()
            .map(|id| {
                let c = scenario.corridor(id).ok_or_else(|| {
                    Error::Invalid(format!(
                        "set \"{}\": unknown corridor \"{id}\"{}",
                        set.name,
                        crate::scenario::did_you_mean(scenario, id)
                    ))
                })?;
                Ok(ClosureWindow {
                    target: Target::Corridor(c),
                    start_day: self.start_day,
                    duration_days: self.duration_days,
                    capacity_factor: self.capacity_factor,
                    ramp_days: 0,
                    label: Some(format!("criticality {}", set.name)),
                    expected_closure_days: None,
                })
            })
            .collect()
    }
}

/// Where a corridor's trade went during a closure: its tonnes per day before, during
/// and after, against the counterfactual's on the same days.
#[derive(Debug, Clone, PartialEq)]
pub struct Diversion {
    /// Corridor id.
    pub corridor: String,
    /// Mean t/day over the [`AROUND_DAYS`] days before the closure (fewer when it
    /// starts earlier; NaN when it starts on day 0). Nothing has changed yet: it equals
    /// the counterfactual's.
    pub before_t_per_day: f64,
    /// Mean t/day over the closed days.
    pub during_t_per_day: f64,
    /// The counterfactual's mean t/day over the same days.
    pub counterfactual_during_t_per_day: f64,
    /// Mean t/day over the [`AROUND_DAYS`] days after the reopening (the backlog
    /// clearing; fewer days when the simulation ends sooner, NaN when none).
    pub after_t_per_day: f64,
    /// The counterfactual's mean t/day over the same days.
    pub counterfactual_after_t_per_day: f64,
    /// Tonnes over the whole run, with the closure.
    pub delivered_t: f64,
    /// Tonnes over the whole run, counterfactual.
    pub counterfactual_t: f64,
}

impl SetResult {
    /// The loss closing the set adds to the background's: `metrics.total_loss_usd`
    /// minus [`SetResult::background_loss_usd`] (the total loss without a background).
    pub fn added_loss_usd(&self) -> f64 {
        self.metrics.total_loss_usd - self.background_loss_usd
    }
}

/// The result of closing one set.
#[derive(Debug, Clone, PartialEq)]
pub struct SetResult {
    /// What closed.
    pub set: ClosureSet,
    /// The run's metrics (losses against the counterfactual, with no closure at all:
    /// with background closures they include the background's own loss).
    pub metrics: RunMetrics,
    /// The total loss of the background closures alone (0 without any), USD.
    pub background_loss_usd: f64,
    /// Every corridor's tonnes before, during and after, in scenario order.
    pub diversion: Vec<Diversion>,
}

fn mean_over(v: &[f64], from: i64, to: i64) -> f64 {
    let from = from.max(0) as usize;
    let to = (to.max(0) as usize).min(v.len());
    if from >= to {
        return f64::NAN;
    }
    v[from..to].iter().sum::<f64>() / (to - from) as f64
}

/// Run `f` on every index of `0..n` on a pool of `threads` workers, each with its own
/// engine from `make` (built on its first use); results in index order.
/// Run `f(engine, i)` for every `i` of `items` on the study runner (`threads` workers,
/// each with its own engine from `make`), stopping between runs once `stop` is set;
/// the results in the order of `items`. `describe(i)` says what run `i` is, should the
/// engine panic in it.
pub(crate) fn par_with_engine<T, F>(
    threads: usize,
    items: &[u64],
    make: &(dyn Fn() -> Result<Engine, Error> + Sync),
    describe: &(dyn Fn(u64) -> String + Sync),
    stop: Option<&AtomicBool>,
    progress: &dyn Progress,
    f: F,
) -> Result<Vec<T>, Error>
where
    T: Send,
    F: Fn(&mut Engine, u64) -> Result<T, Error> + Sync,
{
    let mut runner = Runner::new(threads)?.progress(progress);
    if let Some(stop) = stop {
        runner = runner.stop_on(stop);
    }
    let mut out = Vec::with_capacity(items.len());
    runner.run(items, make, f, describe, |_, r| {
        out.push(r);
        Ok(Flow::Continue)
    })?;
    Ok(out)
}

/// Close every set in `sets` (in turn) as `config` says, on `scenario` without its own
/// fixed closures, on top of `config.background` (if any); results in the order of
/// `sets`. See [`ranked`] for the ranking.
pub fn run_sets(
    scenario: &Scenario,
    sets: &[ClosureSet],
    config: &Config,
) -> Result<Vec<SetResult>, Error> {
    config.check(scenario)?;
    let windows: Vec<Vec<ClosureWindow>> = sets
        .iter()
        .map(|s| config.windows(scenario, s))
        .collect::<Result<_, _>>()?;
    let background = &config.background;
    let make = || Engine::with_base(scenario, background);
    let background_loss_usd = if background.is_empty() {
        0.0
    } else {
        make()?
            .run(background, Record::Totals)?
            .metrics
            .total_loss_usd
    };
    // The counterfactual's daily flows per corridor: a run with no closure.
    let cf = make()?.run(&[], Record::Daily)?;
    let cf_daily = cf.daily.unwrap_or_default();
    let start = config.start_day;
    let end = start + i64::from(config.duration_days);
    let idx: Vec<u64> = (0..sets.len() as u64).collect();
    let describe = |i: u64| format!(" (closure set {})", sets[i as usize].name);
    par_with_engine(
        config.threads,
        &idx,
        &make,
        &describe,
        None,
        &NoProgress,
        |engine, i| {
            let i = i as usize;
            let closures: Vec<ClosureWindow> =
                background.iter().chain(&windows[i]).cloned().collect();
            let report = engine.run(&closures, Record::Daily)?;
            let daily = report.daily.unwrap_or_default();
            let diversion = scenario
                .corridors
                .iter()
                .map(|c| {
                    let run = daily
                        .corridors
                        .iter()
                        .find(|d| d.corridor == c.id)
                        .map_or(&[][..], |d| d.flow_t.as_slice());
                    let cfd = cf_daily
                        .corridors
                        .iter()
                        .find(|d| d.corridor == c.id)
                        .map_or(&[][..], |d| d.flow_t.as_slice());
                    let totals = report.metrics.corridors.iter().find(|m| m.corridor == c.id);
                    Diversion {
                        corridor: c.id.clone(),
                        before_t_per_day: mean_over(run, start - AROUND_DAYS, start),
                        during_t_per_day: mean_over(run, start, end),
                        counterfactual_during_t_per_day: mean_over(cfd, start, end),
                        after_t_per_day: mean_over(run, end, end + AROUND_DAYS),
                        counterfactual_after_t_per_day: mean_over(cfd, end, end + AROUND_DAYS),
                        delivered_t: totals.map_or(f64::NAN, |m| m.delivered_t),
                        counterfactual_t: totals.map_or(f64::NAN, |m| m.counterfactual_t),
                    }
                })
                .collect();
            Ok(SetResult {
                set: sets[i].clone(),
                metrics: report.metrics,
                background_loss_usd,
                diversion,
            })
        },
    )
}

/// The results ranked: N-1 sets first, then N-k sets, each by the loss they add
/// ([`SetResult::added_loss_usd`]: the total loss without background closures; largest
/// first; ties by name), with their 1-based rank within their kind.
pub fn ranked(results: &[SetResult]) -> Vec<(usize, &SetResult)> {
    let mut out = Vec::with_capacity(results.len());
    for n1 in [true, false] {
        let mut these: Vec<&SetResult> = results.iter().filter(|r| r.set.n_minus_1 == n1).collect();
        these.sort_by(|a, b| {
            b.added_loss_usd()
                .total_cmp(&a.added_loss_usd())
                .then_with(|| a.set.name.cmp(&b.set.name))
        });
        out.extend(these.into_iter().enumerate().map(|(i, r)| (i + 1, r)));
    }
    out
}
