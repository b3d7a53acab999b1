//! Posteriors of a closure process's parameters: what a short log allows, as
//! distributions to draw from (for `[[uncertain]]` parameters), not point estimates.
//!
//! Two exact conjugate posteriors, for the laws a log pins down least:
//!
//! - **Onset rate** λ (a year): onsets are a Poisson process in the time a crossing is
//!   open (a closure cannot start while it is shut), so `k` onsets in `T` open years give
//!   the likelihood `λ^k e^{-λT}`. With a Gamma(a₀, b₀) prior the posterior is
//!   Gamma(a₀ + k, b₀ + T). The default prior is Jeffreys' (a₀ = ½, b₀ = 0).
//! - **Mean of an exponential duration** μ (days): with `n` complete durations and
//!   right-censored ones ("still shut when last reported"), the likelihood in the rate
//!   θ = 1/μ is `θ^n e^{-θ S}`, `S` the sum of every duration, complete or censored
//!   (a censored one contributes its survival `e^{-θ c}`). With a Gamma(a₀, b₀) prior on
//!   θ the posterior is Gamma(a₀ + n, b₀ + S), so μ is inverse gamma. The default prior
//!   is Jeffreys' for a scale, `1/θ` (a₀ = 0, b₀ = 0), which needs one complete duration.
//!
//! Intervals are exact quantiles (chi-square); draws use `rand_distr`. A test simulates
//! logs from known parameters and checks the 95% intervals' coverage.
//!
//! ```
//! use chokepoint::calibrate::fit::Observation;
//! use chokepoint::calibrate::posterior::{exponential_mean, onset_rate, GammaPrior};
//! // 4 onsets in 3.5 open years; durations 6, 9, 12 days and one still shut after 20.
//! let rate = onset_rate(4, 3.5, GammaPrior::JEFFREYS_RATE)?;
//! let (lo, hi) = rate.interval(0.95);
//! assert!(lo < 4.0 / 3.5 && 4.0 / 3.5 < hi);
//! let obs = [6.0, 9.0, 12.0].map(Observation::complete).into_iter()
//!     .chain([Observation { days: 20.0, censored: true }]).collect::<Vec<_>>();
//! let mean = exponential_mean(&obs, GammaPrior::JEFFREYS_SCALE)?;
//! // The posterior mean of μ is S / (n - 1) = 47 / 2.
//! assert!((mean.mean() - 23.5).abs() < 1e-9);
//! # Ok::<(), chokepoint::Error>(())
//! ```

use rand::Rng;
use rand_distr::{Distribution, Gamma};

use super::fit::Observation;
use super::stats::chi2_quantile;
use crate::Error;

/// A Gamma(shape, rate) prior on a rate parameter (onsets a year, or 1 / mean duration).
/// Shape 0 and rate 0 is the improper scale prior `1/θ`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaPrior {
    /// Shape a₀ ≥ 0.
    pub shape: f64,
    /// Rate b₀ ≥ 0 (in the units of the exposure: years, or days of duration).
    pub rate: f64,
}

impl GammaPrior {
    /// Jeffreys' prior for a Poisson rate, `λ^{-1/2}`.
    pub const JEFFREYS_RATE: GammaPrior = GammaPrior {
        shape: 0.5,
        rate: 0.0,
    };
    /// Jeffreys' prior for an exponential's rate (a scale parameter), `1/θ`.
    pub const JEFFREYS_SCALE: GammaPrior = GammaPrior {
        shape: 0.0,
        rate: 0.0,
    };

    fn check(&self) -> Result<(), Error> {
        if self.shape.is_finite() && self.rate.is_finite() && self.shape >= 0.0 && self.rate >= 0.0
        {
            Ok(())
        } else {
            Err(Error::Invalid(format!(
                "a Gamma prior needs shape >= 0 and rate >= 0, not {} and {}",
                self.shape, self.rate
            )))
        }
    }
}

/// A proper Gamma(shape, rate) posterior on a rate parameter θ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaPosterior {
    /// Shape (> 0).
    pub shape: f64,
    /// Rate (> 0).
    pub rate: f64,
}

impl GammaPosterior {
    fn new(shape: f64, rate: f64, what: &str) -> Result<Self, Error> {
        if shape > 0.0 && rate > 0.0 && shape.is_finite() && rate.is_finite() {
            Ok(GammaPosterior { shape, rate })
        } else {
            Err(Error::Invalid(format!(
                "the posterior of {what} is improper (shape {shape}, rate {rate}): the log \
                 holds too little, or give a proper prior"
            )))
        }
    }

    /// The `p` quantile of θ.
    pub fn quantile(&self, p: f64) -> f64 {
        chi2_quantile(2.0 * self.shape, p) / (2.0 * self.rate)
    }

    /// The central interval of θ holding probability `level`.
    pub fn interval(&self, level: f64) -> (f64, f64) {
        let a = (1.0 - level) / 2.0;
        (self.quantile(a), self.quantile(1.0 - a))
    }

    /// The posterior mean of θ.
    pub fn mean(&self) -> f64 {
        self.shape / self.rate
    }

    /// One draw of θ.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        Gamma::new(self.shape, 1.0 / self.rate)
            .expect("a posterior has shape and rate > 0")
            .sample(rng)
    }
}

/// The inverse-gamma posterior of an exponential's mean μ = 1/θ, θ ~ [`GammaPosterior`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanPosterior {
    /// The posterior of the rate θ = 1 / μ.
    pub rate: GammaPosterior,
}

impl MeanPosterior {
    /// The `p` quantile of μ.
    pub fn quantile(&self, p: f64) -> f64 {
        1.0 / self.rate.quantile(1.0 - p)
    }

    /// The central interval of μ holding probability `level`.
    pub fn interval(&self, level: f64) -> (f64, f64) {
        let (lo, hi) = self.rate.interval(level);
        (1.0 / hi, 1.0 / lo)
    }

    /// The posterior mean of μ, `b / (a - 1)` (infinite when a ≤ 1).
    pub fn mean(&self) -> f64 {
        if self.rate.shape > 1.0 {
            self.rate.rate / (self.rate.shape - 1.0)
        } else {
            f64::INFINITY
        }
    }

    /// One draw of μ.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        1.0 / self.rate.sample(rng)
    }
}

/// The posterior of an onset rate (a year) from `onsets` in `open_years` of exposure.
pub fn onset_rate(
    onsets: u32,
    open_years: f64,
    prior: GammaPrior,
) -> Result<GammaPosterior, Error> {
    prior.check()?;
    if !(open_years.is_finite() && open_years > 0.0) {
        return Err(Error::Invalid(format!(
            "the exposure must be a positive number of open years, not {open_years}"
        )));
    }
    GammaPosterior::new(
        prior.shape + f64::from(onsets),
        prior.rate + open_years,
        "the onset rate",
    )
}

/// The posterior of an exponential duration's mean (days) from observations, complete or
/// right-censored.
pub fn exponential_mean(obs: &[Observation], prior: GammaPrior) -> Result<MeanPosterior, Error> {
    prior.check()?;
    if let Some(o) = obs.iter().find(|o| !(o.days.is_finite() && o.days > 0.0)) {
        return Err(Error::Invalid(format!(
            "a closure duration must be a positive number of days, not {}",
            o.days
        )));
    }
    let complete = obs.iter().filter(|o| !o.censored).count();
    let total: f64 = obs.iter().map(|o| o.days).sum();
    Ok(MeanPosterior {
        rate: GammaPosterior::new(
            prior.shape + complete as f64,
            prior.rate + total,
            "the mean duration",
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::Exp;

    /// A log of one crossing over `years`: onsets at rate `lambda` while open, durations
    /// exponential with mean `mu` days, the last one censored at the log's end.
    fn simulate(
        rng: &mut ChaCha8Rng,
        lambda: f64,
        mu: f64,
        years: f64,
    ) -> (u32, f64, Vec<Observation>) {
        let (end, mut t, mut open, mut onsets, mut obs) = (years * 365.25, 0.0, 0.0, 0, Vec::new());
        let wait = Exp::new(lambda / 365.25).unwrap();
        let dur = Exp::new(1.0 / mu).unwrap();
        loop {
            let w: f64 = wait.sample(rng);
            if t + w >= end {
                open += end - t;
                break;
            }
            open += w;
            t += w;
            onsets += 1;
            let d: f64 = dur.sample(rng);
            if t + d >= end {
                obs.push(Observation {
                    days: end - t,
                    censored: true,
                });
                break;
            }
            obs.push(Observation::complete(d));
            t += d;
        }
        (onsets, open / 365.25, obs)
    }

    #[test]
    fn posterior_intervals_cover_the_truth_at_the_stated_rate() {
        // Parameters like Torkham's fit: 1.3 onsets a year, 10-day mean, 6 years of log.
        let (lambda, mu, years) = (1.3, 10.0, 6.0);
        let mut rng = ChaCha8Rng::seed_from_u64(2024);
        let (mut logs, mut cover_rate, mut cover_mean) = (0, 0, 0);
        while logs < 2000 {
            let (k, open, obs) = simulate(&mut rng, lambda, mu, years);
            let Ok(m) = exponential_mean(&obs, GammaPrior::JEFFREYS_SCALE) else {
                continue; // no complete duration: the scale prior is improper (a stated rule)
            };
            logs += 1;
            let r = onset_rate(k, open, GammaPrior::JEFFREYS_RATE).unwrap();
            let (lo, hi) = r.interval(0.95);
            cover_rate += usize::from(lo <= lambda && lambda <= hi);
            let (lo, hi) = m.interval(0.95);
            cover_mean += usize::from(lo <= mu && mu <= hi);
        }
        let (a, b) = (cover_rate as f64 / 2000.0, cover_mean as f64 / 2000.0);
        eprintln!("95% coverage over 2,000 simulated logs: onset rate {a}, mean duration {b}");
        assert!(
            (0.93..=0.97).contains(&a),
            "onset-rate 95% intervals covered the truth in {a}"
        );
        assert!(
            (0.93..=0.97).contains(&b),
            "mean-duration 95% intervals covered the truth in {b}"
        );
    }

    #[test]
    fn draws_follow_the_posterior() {
        let r = onset_rate(9, 3.0, GammaPrior::JEFFREYS_RATE).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut d: Vec<f64> = (0..20_000).map(|_| r.sample(&mut rng)).collect();
        d.sort_by(f64::total_cmp);
        let (lo, hi) = r.interval(0.9);
        let share = d.iter().filter(|x| lo <= **x && **x <= hi).count() as f64 / d.len() as f64;
        assert!((share - 0.9).abs() < 0.01, "{share}");
        assert!((d.iter().sum::<f64>() / d.len() as f64 - 9.5 / 3.0).abs() < 0.03);
    }

    #[test]
    fn bad_logs_are_errors() {
        assert!(onset_rate(3, 0.0, GammaPrior::JEFFREYS_RATE).is_err());
        assert!(onset_rate(
            3,
            1.0,
            GammaPrior {
                shape: -1.0,
                rate: 0.0
            }
        )
        .is_err());
        let censored = [Observation {
            days: 5.0,
            censored: true,
        }];
        assert!(exponential_mean(&censored, GammaPrior::JEFFREYS_SCALE).is_err());
        assert!(exponential_mean(
            &censored,
            GammaPrior {
                shape: 1.0,
                rate: 10.0
            }
        )
        .is_ok());
        assert!(
            exponential_mean(&[Observation::complete(-1.0)], GammaPrior::JEFFREYS_SCALE).is_err()
        );
    }
}
