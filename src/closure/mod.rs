//! Closures: fixed closure windows, random closure processes, common-shock groups and
//! regime chains, and how they turn into each link's capacity factor for a day.
//!
//! A closure window says: this corridor (or link) runs at `capacity_factor` of its
//! capacity (0 = shut, 0.1 = trickle) from `start_day` for `duration_days`, then ramps
//! back linearly to full over `ramp_days`.

use serde::{Deserialize, Serialize};

use crate::network::{CorridorId, LinkId};

pub mod random;
pub mod regime;
pub mod spec;

pub use random::{substream, ClosureSampler};
pub use regime::RegimeStart;
pub use spec::parse_date;

/// What a closure applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Target {
    /// Every link of a corridor.
    Corridor(CorridorId),
    /// One link.
    Link(LinkId),
}

/// A closure of a corridor or link over a window of days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClosureWindow {
    /// What closes.
    pub target: Target,
    /// First closed day, as a 0-based index from the scenario's start date.
    /// May be negative for a closure that began before the simulated window.
    pub start_day: i64,
    /// Days at `capacity_factor` (at least 1).
    pub duration_days: u32,
    /// Capacity factor while closed, in [0, 1].
    pub capacity_factor: f64,
    /// Days of linear ramp back to full capacity after the closure (0 = at once).
    pub ramp_days: u32,
    /// Optional label (e.g. the episode's name), carried into outputs.
    pub label: Option<String>,
}

impl ClosureWindow {
    /// The capacity factor this window imposes on `day` (1.0 when it does not apply).
    ///
    /// During the closure it is `capacity_factor`; on ramp day `k` (1-based) it is
    /// `f + (1 - f) * k / (ramp_days + 1)`.
    pub fn factor_on(&self, day: i64) -> f64 {
        let end = self.start_day + i64::from(self.duration_days);
        if day < self.start_day {
            1.0
        } else if day < end {
            self.capacity_factor
        } else if day < end + i64::from(self.ramp_days) {
            let k = (day - end + 1) as f64;
            let f = self.capacity_factor;
            f + (1.0 - f) * k / (f64::from(self.ramp_days) + 1.0)
        } else {
            1.0
        }
    }

    /// The first day after the window (closure and ramp) at which it no longer applies.
    pub fn end_day(&self) -> i64 {
        self.start_day + i64::from(self.duration_days) + i64::from(self.ramp_days)
    }
}

/// A distribution of closure durations, in days. Constructors validate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DurationDist {
    /// Exponential with this mean (days).
    Exponential {
        /// Mean, days (> 0).
        mean_days: f64,
    },
    /// Lognormal: ln(duration) ~ Normal(mu, sigma).
    LogNormal {
        /// Mean of the log-duration.
        mu: f64,
        /// Standard deviation of the log-duration (> 0).
        sigma: f64,
    },
    /// Gamma with this shape and scale (days).
    Gamma {
        /// Shape (> 0).
        shape: f64,
        /// Scale, days (> 0).
        scale_days: f64,
    },
    /// Draw uniformly from a list of observed durations (days).
    Empirical {
        /// Observed durations (at least one, each > 0).
        days: Vec<f64>,
    },
}

impl DurationDist {
    /// The same law for durations `factor` times as long (`factor` > 0): the
    /// exponential's mean and the gamma's scale times `factor`, the lognormal's `mu`
    /// plus `ln factor`, every empirical value times `factor`.
    ///
    /// ```
    /// use chokepoint::closure::DurationDist;
    /// let d = DurationDist::lognormal(2.0, 0.5)?.scaled(2.0)?;
    /// assert!((d.mean_days() - 2.0 * DurationDist::lognormal(2.0, 0.5)?.mean_days()).abs() < 1e-9);
    /// # Ok::<(), String>(())
    /// ```
    pub fn scaled(&self, factor: f64) -> Result<Self, String> {
        positive("the duration scale", factor)?;
        match self {
            Self::Exponential { mean_days } => Self::exponential(mean_days * factor),
            Self::LogNormal { mu, sigma } => Self::lognormal(mu + factor.ln(), *sigma),
            Self::Gamma { shape, scale_days } => Self::gamma(*shape, scale_days * factor),
            Self::Empirical { days } => Self::empirical(days.iter().map(|d| d * factor).collect()),
        }
    }

    /// Exponential with mean `mean_days` (> 0, finite).
    pub fn exponential(mean_days: f64) -> Result<Self, String> {
        positive("mean_days", mean_days)?;
        Ok(Self::Exponential { mean_days })
    }

    /// Lognormal with log-mean `mu` (finite) and log-sd `sigma` (> 0).
    pub fn lognormal(mu: f64, sigma: f64) -> Result<Self, String> {
        if !mu.is_finite() {
            return Err(format!("mu must be a finite number, got {mu}"));
        }
        positive("sigma", sigma)?;
        Ok(Self::LogNormal { mu, sigma })
    }

    /// Gamma with `shape` (> 0) and `scale_days` (> 0).
    pub fn gamma(shape: f64, scale_days: f64) -> Result<Self, String> {
        positive("shape", shape)?;
        positive("scale_days", scale_days)?;
        Ok(Self::Gamma { shape, scale_days })
    }

    /// Empirical list of durations (non-empty, each > 0).
    pub fn empirical(days: Vec<f64>) -> Result<Self, String> {
        if days.is_empty() {
            return Err("an empirical duration list needs at least one value".into());
        }
        for &d in &days {
            positive("each duration", d)?;
        }
        Ok(Self::Empirical { days })
    }

    /// The distribution's mean, days.
    pub fn mean_days(&self) -> f64 {
        match self {
            Self::Exponential { mean_days } => *mean_days,
            Self::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Self::Gamma { shape, scale_days } => shape * scale_days,
            Self::Empirical { days } => days.iter().sum::<f64>() / days.len() as f64,
        }
    }
}

fn positive(what: &str, v: f64) -> Result<(), String> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(format!("{what} must be a positive finite number, got {v}"))
    }
}

/// A random closure process on one corridor or link: onsets as a Poisson process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClosureProcess {
    /// Unique id among the processes (a scenario file's default: the target's id). It
    /// names the process's own random stream (see [`random`]), so it must not change
    /// between a base scenario and its options.
    pub id: String,
    /// What closes.
    pub target: Target,
    /// Mean number of closure onsets per year (365 days) in the base regime.
    pub rate_per_year: f64,
    /// Closure durations.
    pub duration: DurationDist,
    /// Capacity factor while closed, in [0, 1].
    pub capacity_factor: f64,
    /// Ramp back to full capacity, days.
    pub ramp_days: u32,
}

/// A common shock: one Poisson process whose events close several targets together
/// (e.g. a political crisis that shuts every Pakistani crossing at once).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShockGroup {
    /// Unique id, e.g. `pakistan_crisis`.
    pub id: String,
    /// What closes together (at least two targets).
    pub targets: Vec<Target>,
    /// Mean number of shocks per year in the base regime.
    pub rate_per_year: f64,
    /// Closure durations (one draw per shock, shared by all its targets).
    pub duration: DurationDist,
    /// Capacity factor while closed, in [0, 1].
    pub capacity_factor: f64,
    /// Ramp back to full capacity, days.
    pub ramp_days: u32,
}

/// One state of a regime chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegimeState {
    /// Unique id, e.g. `calm`.
    pub id: String,
    /// Multiplier on every closure process's and shock's onset rate in this state.
    pub rate_multiplier: f64,
}

/// A daily Markov chain of regimes (e.g. calm / tense / conflict) whose state scales
/// the onset rates of all closure processes and shocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegimeChain {
    /// The states.
    pub states: Vec<RegimeState>,
    /// Daily transition probabilities: `transitions[i][j]` = P(state j tomorrow | state i
    /// today). Each row sums to 1.
    pub transitions: Vec<Vec<f64>>,
    /// State on day 0; `None` draws it from the chain's long-run shares (the default:
    /// an average year, see [`RegimeStart`]).
    pub initial: Option<usize>,
}
