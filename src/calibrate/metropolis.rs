//! Posterior draws of a lognormal or gamma closure-duration law, for the laws that have no
//! conjugate posterior (the exponential's is exact: [`super::posterior`]).
//!
//! The sampler is a random-walk Metropolis on two coordinates in which the posterior is
//! nearly round, with the stated (improper, scale-invariant) priors flat in them:
//!
//! - **lognormal** (mu, sigma): coordinates (mu, ln sigma); prior p(mu, sigma) ∝ 1/sigma
//!   (flat in mu and ln sigma, Jeffreys' independence prior). Proper with 2 or more
//!   complete durations of different lengths.
//! - **gamma** (shape k, scale s): coordinates (ln k, ln m) with m = k s the mean; prior
//!   p(k, s) ∝ 1/(k s) (flat in ln k and ln s, so in ln k and ln m: the change has unit
//!   Jacobian). Proper with 2 or more complete durations of different lengths.
//!
//! The likelihood counts right-censored durations by their survival
//! ([`super::fit::log_likelihood`]). The chain starts at the maximum-likelihood fit; during
//! burn-in each coordinate's step is tuned in batches of 50 toward an acceptance near
//! 0.3, then fixed; draws are every `thin`-th state after it. Seeded (ChaCha8): the same
//! seed gives the same draws.
//!
//! ```
//! use chokepoint::calibrate::fit::Observation;
//! use chokepoint::calibrate::metropolis::{duration_posterior, Family, SamplerOptions};
//! let obs: Vec<Observation> = [6.0, 9.0, 12.0, 30.0, 4.0].map(Observation::complete).into();
//! let post = duration_posterior(&obs, Family::LogNormal, &SamplerOptions::default())?;
//! assert_eq!(post.draws.len(), 4000);
//! let (lo, hi) = post.interval(0.95, |d| d.mean_days());
//! assert!(lo < 12.2 && 12.2 < hi); // the sample mean lies inside
//! # Ok::<(), chokepoint::Error>(())
//! ```

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::fit::{fit_gamma, fit_lognormal, log_likelihood, Observation};
use crate::closure::DurationDist;
use crate::Error;

/// A duration law the sampler draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Lognormal (mu, sigma).
    LogNormal,
    /// Gamma (shape, scale).
    Gamma,
}

/// How long to run the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SamplerOptions {
    /// Draws kept (default 4,000).
    pub draws: usize,
    /// Steps discarded first, while the step sizes are tuned (default 2,000).
    pub burn_in: usize,
    /// Keep every `thin`-th state after burn-in (default 5).
    pub thin: usize,
    /// Seed of the chain (default 1).
    pub seed: u64,
}

impl Default for SamplerOptions {
    fn default() -> Self {
        SamplerOptions {
            draws: 4000,
            burn_in: 2000,
            thin: 5,
            seed: 1,
        }
    }
}

/// Posterior draws of a duration law.
#[derive(Debug, Clone, PartialEq)]
pub struct DurationDraws {
    /// The law drawn.
    pub family: Family,
    /// The draws, in chain order.
    pub draws: Vec<DurationDist>,
    /// Share of proposals accepted after burn-in.
    pub acceptance: f64,
}

impl DurationDraws {
    /// The central interval holding probability `level` of a function of the law
    /// (empirical quantiles of the draws).
    pub fn interval(&self, level: f64, f: impl Fn(&DurationDist) -> f64) -> (f64, f64) {
        let mut v: Vec<f64> = self.draws.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        let a = (1.0 - level) / 2.0;
        let at = |p: f64| v[((p * (v.len() - 1) as f64).round() as usize).min(v.len() - 1)];
        (at(a), at(1.0 - a))
    }
}

/// The law at chain coordinates `x`.
fn law(family: Family, x: [f64; 2]) -> DurationDist {
    match family {
        Family::LogNormal => DurationDist::LogNormal {
            mu: x[0],
            sigma: x[1].exp(),
        },
        Family::Gamma => {
            let (k, m) = (x[0].exp(), x[1].exp());
            DurationDist::Gamma {
                shape: k,
                scale_days: m / k,
            }
        }
    }
}

/// The log posterior at `x` (the prior is flat in the coordinates).
fn log_post(family: Family, x: [f64; 2], obs: &[Observation]) -> f64 {
    if !(x[0].is_finite() && x[1].is_finite()) || x[1].abs() > 50.0 || x[0].abs() > 50.0 {
        return f64::NEG_INFINITY;
    }
    let l = log_likelihood(&law(family, x), obs);
    if l.is_nan() {
        f64::NEG_INFINITY
    } else {
        l
    }
}

/// Posterior draws of a lognormal or gamma duration law from complete and right-censored
/// durations. Errors when fewer than 2 complete durations of different lengths (the
/// stated priors are improper then) or a duration is not a positive number.
pub fn duration_posterior(
    obs: &[Observation],
    family: Family,
    opts: &SamplerOptions,
) -> Result<DurationDraws, Error> {
    if let Some(o) = obs.iter().find(|o| !(o.days.is_finite() && o.days > 0.0)) {
        return Err(Error::Invalid(format!(
            "a closure duration must be a positive number of days, not {}",
            o.days
        )));
    }
    let complete: Vec<f64> = obs.iter().filter(|o| !o.censored).map(|o| o.days).collect();
    let distinct = complete
        .iter()
        .any(|x| (x - complete[0]).abs() > 1e-9 * complete[0]);
    if complete.len() < 2 || !distinct {
        return Err(Error::Invalid(format!(
            "a {} duration posterior needs at least 2 complete durations of different \
             lengths ({} complete here): its prior is improper; use the exponential's \
             (one complete duration is enough)",
            match family {
                Family::LogNormal => "lognormal",
                Family::Gamma => "gamma",
            },
            complete.len()
        )));
    }
    if opts.draws == 0 || opts.thin == 0 {
        return Err(Error::Invalid(
            "the sampler needs draws >= 1 and thin >= 1".into(),
        ));
    }
    let start = match family {
        Family::LogNormal => fit_lognormal(obs).map(|f| f.dist),
        Family::Gamma => fit_gamma(obs).map(|f| f.dist),
    };
    let mut x = match start {
        Some(DurationDist::LogNormal { mu, sigma }) => [mu, sigma.ln()],
        Some(DurationDist::Gamma { shape, scale_days }) => [shape.ln(), (shape * scale_days).ln()],
        _ => {
            // No fit: start from the moments of the complete durations.
            let n = complete.len() as f64;
            let logs: Vec<f64> = complete.iter().map(|x| x.ln()).collect();
            let m = logs.iter().sum::<f64>() / n;
            let sd = (logs.iter().map(|l| (l - m).powi(2)).sum::<f64>() / n)
                .sqrt()
                .max(0.1);
            match family {
                Family::LogNormal => [m, sd.ln()],
                Family::Gamma => [0.0, (complete.iter().sum::<f64>() / n).ln()],
            }
        }
    };
    let mut lp = log_post(family, x, obs);
    if !lp.is_finite() {
        return Err(Error::Invalid(
            "the duration posterior is zero at its starting point: check the durations".into(),
        ));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut step = [0.3, 0.3];
    let mut acc = [0usize; 2];
    let mut tried = [0usize; 2];
    // One coordinate at a time (Metropolis within Gibbs), so each step size is tuned alone.
    let sweep = |x: &mut [f64; 2],
                 lp: &mut f64,
                 step: &[f64; 2],
                 acc: &mut [usize; 2],
                 tried: &mut [usize; 2],
                 rng: &mut ChaCha8Rng| {
        for j in 0..2 {
            let z: f64 = StandardNormal.sample(rng);
            let mut y = *x;
            y[j] += step[j] * z;
            let ly = log_post(family, y, obs);
            tried[j] += 1;
            if ly - *lp >= rng.random::<f64>().ln() {
                *x = y;
                *lp = ly;
                acc[j] += 1;
            }
        }
    };
    for i in 1..=opts.burn_in {
        sweep(&mut x, &mut lp, &step, &mut acc, &mut tried, &mut rng);
        if i % 50 == 0 {
            for j in 0..2 {
                let rate = acc[j] as f64 / tried[j] as f64;
                step[j] *= if rate > 0.3 { 1.25 } else { 0.8 };
            }
            acc = [0; 2];
            tried = [0; 2];
        }
    }
    acc = [0; 2];
    tried = [0; 2];
    let mut draws = Vec::with_capacity(opts.draws);
    while draws.len() < opts.draws {
        for _ in 0..opts.thin {
            sweep(&mut x, &mut lp, &step, &mut acc, &mut tried, &mut rng);
        }
        draws.push(law(family, x));
    }
    Ok(DurationDraws {
        family,
        draws,
        acceptance: (acc[0] + acc[1]) as f64 / (tried[0] + tried[1]).max(1) as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_distr::{Gamma as GammaD, LogNormal};

    /// `n` durations from `law`, each observed until an independent report time
    /// (exponential, mean 4 x the law's mean): a duration longer than it is right-censored
    /// there (still shut when last reported), about 1 in 5.
    fn log(rng: &mut ChaCha8Rng, law: &DurationDist, n: usize) -> Vec<Observation> {
        let report = rand_distr::Exp::new(1.0 / (4.0 * law.mean_days())).unwrap();
        (0..n)
            .map(|_| {
                let d: f64 = match law {
                    DurationDist::LogNormal { mu, sigma } => {
                        LogNormal::new(*mu, *sigma).unwrap().sample(rng)
                    }
                    DurationDist::Gamma { shape, scale_days } => {
                        GammaD::new(*shape, *scale_days).unwrap().sample(rng)
                    }
                    _ => unreachable!(),
                };
                let c: f64 = report.sample(rng);
                if c < d {
                    Observation {
                        days: c,
                        censored: true,
                    }
                } else {
                    Observation::complete(d)
                }
            })
            .collect()
    }

    /// Share of `cases` simulated logs whose 95% intervals of the mean and of the second
    /// parameter (sigma, or the shape) cover the truth.
    fn coverage(
        law: DurationDist,
        family: Family,
        n: usize,
        cases: usize,
        opts: SamplerOptions,
    ) -> (f64, f64) {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let second = |d: &DurationDist| match d {
            DurationDist::LogNormal { sigma, .. } => *sigma,
            DurationDist::Gamma { shape, .. } => *shape,
            _ => f64::NAN,
        };
        let (mut done, mut mean_in, mut second_in) = (0, 0, 0);
        while done < cases {
            let obs = log(&mut rng, &law, n);
            let o = SamplerOptions {
                seed: done as u64,
                ..opts
            };
            let Ok(p) = duration_posterior(&obs, family, &o) else {
                continue; // fewer than 2 complete durations: a stated rule
            };
            done += 1;
            let (lo, hi) = p.interval(0.95, DurationDist::mean_days);
            mean_in += usize::from(lo <= law.mean_days() && law.mean_days() <= hi);
            let (lo, hi) = p.interval(0.95, second);
            second_in += usize::from(lo <= second(&law) && second(&law) <= hi);
        }
        (
            mean_in as f64 / cases as f64,
            second_in as f64 / cases as f64,
        )
    }

    #[test]
    fn lognormal_intervals_cover_the_truth_at_the_stated_rate() {
        // Like Chaman's fit (median ~36 days, sigma ~1.2), 12 durations a log.
        let law = DurationDist::LogNormal {
            mu: 3.6,
            sigma: 1.2,
        };
        let opts = SamplerOptions {
            draws: 600,
            burn_in: 400,
            thin: 1,
            seed: 0,
        };
        let (m, s) = coverage(law, Family::LogNormal, 12, 1000, opts);
        eprintln!("lognormal, 1,000 logs of 12: 95% coverage of the mean {m}, of sigma {s}");
        assert!((0.93..=0.97).contains(&m), "mean covered in {m}");
        assert!((0.93..=0.97).contains(&s), "sigma covered in {s}");
    }

    #[test]
    fn gamma_intervals_cover_the_truth_at_the_stated_rate() {
        let law = DurationDist::Gamma {
            shape: 2.3,
            scale_days: 3.9,
        };
        let opts = SamplerOptions {
            draws: 600,
            burn_in: 400,
            thin: 1,
            seed: 0,
        };
        let (m, s) = coverage(law, Family::Gamma, 20, 600, opts);
        eprintln!("gamma, 600 logs of 20: 95% coverage of the mean {m}, of the shape {s}");
        assert!((0.93..=0.97).contains(&s), "shape covered in {s}");
        // These short chains (600 draws, no thinning) cover the mean in 92.2% of the 600
        // logs: their 2.5% and 97.5% quantiles are noisy and narrow the intervals. At the
        // sampler's defaults the mean and the shape are covered at 93-97% over 2,000 logs
        // (the next test, release-only). This bound guards the short chain.
        assert!((0.90..=0.97).contains(&m), "mean covered in {m}");
    }

    #[test]
    #[ignore = "release-only (.ci/run): 2,000 chains at the default 4,000 draws thinned by 5"]
    fn gamma_intervals_cover_the_truth_at_the_default_settings() {
        // At the defaults a user gets, over 2,000 logs (a sampling error of 0.5 points),
        // the mean and the shape must both be covered at the stated 93-97%: the short
        // chains above narrow the mean's intervals, the defaults do not.
        let law = DurationDist::Gamma {
            shape: 2.3,
            scale_days: 3.9,
        };
        let (m, s) = coverage(law, Family::Gamma, 20, 2000, SamplerOptions::default());
        eprintln!("gamma, 2,000 logs of 20 at the defaults: mean covered {m}, shape {s}");
        assert!((0.93..=0.97).contains(&m), "mean covered in {m}");
        assert!((0.93..=0.97).contains(&s), "shape covered in {s}");
    }

    #[test]
    fn the_same_seed_gives_the_same_draws() {
        let obs: Vec<Observation> = [2.0, 6.0, 9.0, 10.0]
            .map(Observation::complete)
            .into_iter()
            .chain([Observation {
                days: 13.0,
                censored: true,
            }])
            .collect();
        let o = SamplerOptions {
            draws: 300,
            ..SamplerOptions::default()
        };
        let a = duration_posterior(&obs, Family::Gamma, &o).unwrap();
        let b = duration_posterior(&obs, Family::Gamma, &o).unwrap();
        assert_eq!(a, b);
        let c = duration_posterior(&obs, Family::Gamma, &SamplerOptions { seed: 2, ..o }).unwrap();
        assert_ne!(a.draws, c.draws);
        assert!((0.15..0.6).contains(&a.acceptance), "{}", a.acceptance);
    }

    #[test]
    fn too_little_data_is_an_error_that_says_why() {
        let one = [
            Observation::complete(5.0),
            Observation {
                days: 9.0,
                censored: true,
            },
        ];
        let e = duration_posterior(&one, Family::LogNormal, &SamplerOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("at least 2 complete durations") && e.contains("1 complete"),
            "{e}"
        );
        let same = [Observation::complete(5.0), Observation::complete(5.0)];
        assert!(duration_posterior(&same, Family::Gamma, &SamplerOptions::default()).is_err());
    }
}
