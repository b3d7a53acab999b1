//! Closures: fixed closure windows, random closure processes, common-shock groups and
//! regime chains, and how they turn into each link's capacity factor for a day.
//!
//! A closure window says: this corridor (or link) runs at `capacity_factor` of its
//! capacity (0 = shut, 0.1 = trickle) from `start_day` for `duration_days`, then ramps
//! back linearly to full over `ramp_days`.

use serde::{Deserialize, Serialize};

use crate::network::{CorridorId, LinkId};
use crate::special::{ln_gamma, ln_upper_gamma};

pub mod features;
pub mod random;
pub mod regime;
pub mod spec;

pub use features::PlanFeatures;
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
    /// What traders who weigh waiting against a detour believe this closure lasts,
    /// days (memoryless: the expected remaining days whatever its age), in place of
    /// its corridor's belief while it holds a link shut; `None` (random closures
    /// always) leaves the corridor's.
    #[serde(default)]
    pub expected_closure_days: Option<f64>,
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

    /// The capacity factor on `day` of this window read as a *seasonal* closure: one
    /// that recurs every calendar year on the dates of its first occurrence (day index
    /// `start_day` of a scenario starting on `start`), e.g. a pass snowbound from
    /// 15 November for 150 days each winter. An occurrence whose first date is
    /// 29 February starts on 28 February in a common year. Needs
    /// `duration_days + ramp_days <= 365` ([`MAX_SEASONAL_DAYS`]), so that at most the
    /// occurrences starting in `day`'s year and the year before can cover it.
    ///
    /// ```
    /// use chokepoint::closure::{ClosureWindow, Target};
    /// use chokepoint::network::LinkId;
    /// let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    /// // Shut from 2023-11-15 (day -47) for 150 days: to 2024-04-12, and again from 2024-11-15.
    /// let w = ClosureWindow {
    ///     target: Target::Link(LinkId(0)), start_day: -47, duration_days: 150,
    ///     capacity_factor: 0.0, ramp_days: 0, label: None, expected_closure_days: None,
    /// };
    /// assert_eq!(w.seasonal_factor_on(start, 0), 0.0);     // 2024-01-01
    /// assert_eq!(w.seasonal_factor_on(start, 102), 0.0);   // 2024-04-12
    /// assert_eq!(w.seasonal_factor_on(start, 103), 1.0);   // 2024-04-13
    /// assert_eq!(w.seasonal_factor_on(start, 318), 1.0);   // 2024-11-14
    /// assert_eq!(w.seasonal_factor_on(start, 319), 0.0);   // 2024-11-15
    /// ```
    pub fn seasonal_factor_on(&self, start: chrono::NaiveDate, day: i64) -> f64 {
        use chrono::Datelike;
        let date_of = |d: i64| start + chrono::Duration::days(d);
        let first = date_of(self.start_day);
        let year = date_of(day).year();
        [year - 1, year]
            .into_iter()
            .filter_map(|y| {
                first
                    .with_year(y)
                    .or_else(|| first.with_day(28).and_then(|f| f.with_year(y)))
            })
            .map(|o| {
                let at = ClosureWindow {
                    start_day: (o - start).num_days(),
                    ..self.clone()
                };
                at.factor_on(day)
            })
            .fold(1.0, f64::min)
    }
}

/// The longest a seasonal closure may last, closure and ramp, days: one occurrence ends
/// before the next year's begins.
pub const MAX_SEASONAL_DAYS: u32 = 365;

/// A distribution of closure durations, in days. Constructors validate, and so does
/// deserialisation (a JSON or TOML law with, say, a negative mean is an error, not a law).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "DurationDistRepr")]
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

/// The serialised form of [`DurationDist`], checked by its constructors on the way in.
#[derive(Deserialize)]
enum DurationDistRepr {
    Exponential { mean_days: f64 },
    LogNormal { mu: f64, sigma: f64 },
    Gamma { shape: f64, scale_days: f64 },
    Empirical { days: Vec<f64> },
}

impl TryFrom<DurationDistRepr> for DurationDist {
    type Error = String;
    fn try_from(r: DurationDistRepr) -> Result<Self, String> {
        match r {
            DurationDistRepr::Exponential { mean_days } => Self::exponential(mean_days),
            DurationDistRepr::LogNormal { mu, sigma } => Self::lognormal(mu, sigma),
            DurationDistRepr::Gamma { shape, scale_days } => Self::gamma(shape, scale_days),
            DurationDistRepr::Empirical { days } => Self::empirical(days),
        }
    }
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

impl DurationDist {
    /// The probability that a closure lasts more than `age_days` (>= 0): the survival
    /// function. Exact for the exponential and the empirical list; the lognormal's and
    /// the gamma's use `erfc` and the regularized incomplete gamma function to about
    /// 1e-7 relative error (Numerical Recipes' `erfcc`, series and continued fraction).
    pub fn survival(&self, age_days: f64) -> f64 {
        let a = age_days.max(0.0);
        match self {
            Self::Exponential { mean_days } => (-a / mean_days).exp(),
            Self::LogNormal { mu, sigma } => {
                if a <= 0.0 {
                    1.0
                } else {
                    ln_upper_normal((a.ln() - mu) / sigma).exp()
                }
            }
            Self::Gamma { shape, scale_days } => {
                let x = a / scale_days;
                if x <= 0.0 {
                    1.0
                } else {
                    (ln_upper_gamma(*shape, x) - ln_gamma(*shape)).exp()
                }
            }
            Self::Empirical { days } => {
                days.iter().filter(|&&d| d > a).count() as f64 / days.len() as f64
            }
        }
    }

    /// The expected remaining duration of a closure that has lasted `age_days` (>= 0),
    /// days: E[D − a | D > a]. The exponential's is its mean at every age (memoryless);
    /// the empirical list's is the mean of `d − a` over its values above `a` (0 when
    /// none is); the lognormal's is `m Φc(z − σ) / Φc(z) − a` with `z = (ln a − μ) / σ`
    /// and `m` its mean; the gamma's `θ (k − x) + θ xᵏ e⁻ˣ / Γ(k, x)` with `x = a / θ`
    /// (Γ(k, x) the upper incomplete gamma function). At age 0 each is the law's mean.
    ///
    /// ```
    /// use chokepoint::closure::DurationDist;
    /// let e = DurationDist::exponential(10.0)?;
    /// assert!((e.mean_remaining_days(25.0) - 10.0).abs() < 1e-12);
    /// let l = DurationDist::empirical(vec![2.0, 6.0, 9.0])?;
    /// assert!((l.mean_remaining_days(5.0) - 2.5).abs() < 1e-12); // (1 + 4) / 2
    /// # Ok::<(), String>(())
    /// ```
    pub fn mean_remaining_days(&self, age_days: f64) -> f64 {
        let a = age_days.max(0.0);
        if a <= 0.0 {
            return self.mean_days();
        }
        let r = match self {
            Self::Exponential { mean_days } => *mean_days,
            Self::LogNormal { mu, sigma } => {
                let z = (a.ln() - mu) / sigma;
                let ratio = (ln_upper_normal(z - sigma) - ln_upper_normal(z)).exp();
                self.mean_days() * ratio - a
            }
            Self::Gamma { shape, scale_days } => {
                let x = a / scale_days;
                let tail = (shape * x.ln() - x - ln_upper_gamma(*shape, x)).exp();
                scale_days * (shape - x) + scale_days * tail
            }
            Self::Empirical { days } => {
                let above: Vec<f64> = days.iter().filter(|&&d| d > a).map(|d| d - a).collect();
                if above.is_empty() {
                    0.0
                } else {
                    above.iter().sum::<f64>() / above.len() as f64
                }
            }
        };
        r.max(0.0)
    }
}

/// ln Φc(z) = ln P(Z > z) for a standard normal Z (Numerical Recipes' `erfcc`, fractional
/// error below 1.2e-7, taken in logs so that far tails do not underflow).
fn ln_upper_normal(z: f64) -> f64 {
    let x = z / std::f64::consts::SQRT_2;
    let ax = x.abs();
    let t = 1.0 / (1.0 + 0.5 * ax);
    let poly = -ax * ax - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    // erfc(|x|) = t e^poly.
    let ln_erfc_abs = t.ln() + poly;
    if x >= 0.0 {
        ln_erfc_abs - std::f64::consts::LN_2
    } else {
        // erfc(−|x|) = 2 − erfc(|x|).
        (1.0 - 0.5 * ln_erfc_abs.exp()).ln()
    }
}

/// The expected remaining duration, days, of a closure that has lasted `age_days`, when
/// it comes from one of several sources `(onset rate, duration law)`: E[D − a | D > a]
/// under the mixture of the laws weighted by their onset rates (a closure's source is
/// `i` with odds `rate_i × S_i(a)` once it has lasted `a` days). `None` when `sources`
/// is empty.
pub fn mixture_mean_remaining_days(sources: &[(f64, &DurationDist)], age_days: f64) -> Option<f64> {
    if sources.is_empty() {
        return None;
    }
    let (mut num, mut den) = (0.0, 0.0);
    for &(rate, law) in sources {
        let w = rate.max(0.0) * law.survival(age_days);
        num += w * law.mean_remaining_days(age_days);
        den += w;
    }
    if den > 0.0 {
        return Some(num / den);
    }
    // Every law is past its support (or every rate is 0): weigh by the rates alone.
    let total: f64 = sources.iter().map(|s| s.0.max(0.0)).sum();
    Some(if total > 0.0 {
        sources
            .iter()
            .map(|&(r, l)| r.max(0.0) * l.mean_remaining_days(age_days))
            .sum::<f64>()
            / total
    } else {
        sources
            .iter()
            .map(|s| s.1.mean_remaining_days(age_days))
            .sum::<f64>()
            / sources.len() as f64
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    /// E[D − a | D > a] by integrating the survival function numerically:
    /// ∫ₐ^∞ S(t) dt / S(a) (trapezoids of 0.01 day up to 60 times the mean).
    fn remaining_by_quadrature(law: &DurationDist, a: f64) -> f64 {
        let (h, end) = (0.01, a + 60.0 * law.mean_days());
        let n = ((end - a) / h) as usize;
        let mut sum = 0.5 * (law.survival(a) + law.survival(end));
        for i in 1..n {
            sum += law.survival(a + i as f64 * h);
        }
        sum * h / law.survival(a)
    }

    /// A law read from JSON is checked as its constructor checks it: a valid one round
    /// trips, an invalid one is an error naming what is wrong.
    #[test]
    fn deserialising_checks_the_law() {
        for law in [
            DurationDist::exponential(12.5).unwrap(),
            DurationDist::lognormal(2.0, 0.78).unwrap(),
            DurationDist::gamma(2.0, 3.0).unwrap(),
            DurationDist::empirical(vec![1.0, 4.0]).unwrap(),
        ] {
            let json = serde_json::to_string(&law).unwrap();
            assert_eq!(serde_json::from_str::<DurationDist>(&json).unwrap(), law);
        }
        for (json, says) in [
            (r#"{"Exponential":{"mean_days":-3.0}}"#, "mean_days"),
            (r#"{"LogNormal":{"mu":1.0,"sigma":0.0}}"#, "sigma"),
            (r#"{"Gamma":{"shape":2.0,"scale_days":-1.0}}"#, "scale_days"),
            (r#"{"Empirical":{"days":[]}}"#, "at least one"),
        ] {
            let e = serde_json::from_str::<DurationDist>(json).unwrap_err();
            assert!(e.to_string().contains(says), "{json}: {e}");
        }
    }

    #[test]
    fn survival_at_the_mean_and_tails() {
        let l = DurationDist::lognormal(2.0, 0.78).unwrap();
        // S(e^mu) = 1/2.
        assert!((l.survival(2f64.exp()) - 0.5).abs() < 1e-6);
        let g = DurationDist::gamma(1.0, 10.0).unwrap();
        // A gamma of shape 1 is the exponential.
        for a in [0.5, 3.0, 10.0, 40.0] {
            assert!((g.survival(a) - (-a / 10.0f64).exp()).abs() < 1e-9, "{a}");
            assert!((g.mean_remaining_days(a) - 10.0).abs() < 1e-6, "{a}");
        }
    }

    #[test]
    fn remaining_durations_match_quadrature() {
        let laws = [
            DurationDist::lognormal(2.0, 0.78).unwrap(),
            DurationDist::lognormal(3.58, 1.16).unwrap(),
            DurationDist::gamma(2.33, 3.87).unwrap(),
            DurationDist::gamma(0.6, 20.0).unwrap(),
        ];
        for law in &laws {
            assert!((law.mean_remaining_days(0.0) - law.mean_days()).abs() < 1e-9);
            for a in [0.5, 2.0, 7.0, 15.0, 40.0] {
                let exact = law.mean_remaining_days(a);
                let quad = remaining_by_quadrature(law, a);
                assert!(
                    (exact - quad).abs() < 1e-3 * quad.max(1.0),
                    "{law:?} at {a}: {exact} vs {quad}"
                );
            }
        }
    }

    #[test]
    fn mixtures_weigh_by_rate_and_survival() {
        let (short, long) = (
            DurationDist::exponential(10.0).unwrap(),
            DurationDist::exponential(61.667).unwrap(),
        );
        let m = |a| mixture_mean_remaining_days(&[(1.1442, &long), (0.1, &short)], a).unwrap();
        // Day 0: the rates' weights, (1.1442 x 61.667 + 0.1 x 10) / 1.2442.
        assert!((m(0.0) - (1.1442 * 61.667 + 0.1 * 10.0) / 1.2442).abs() < 1e-9);
        // Older closures are more likely the long law's.
        assert!(m(30.0) > m(0.0) && m(30.0) < 61.667);
        assert!(mixture_mean_remaining_days(&[], 3.0).is_none());
    }
}
