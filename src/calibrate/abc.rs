//! Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC): posterior draws
//! of a simulator's parameters when its likelihood cannot be written down, only run.
//!
//! The method is the population Monte Carlo of Beaumont, Cornuet, Marin & Robert (2009,
//! "Adaptive approximate Bayesian computation", Biometrika 96(4)) with the tolerance set
//! adaptively from the previous population's distances (Del Moral, Doucet & Jasra 2012,
//! "An adaptive sequential Monte Carlo method for approximate Bayesian computation",
//! Statistics and Computing 22):
//!
//! 1. Generation 0 draws `particles` parameter points from the prior and simulates each;
//!    all are kept, with equal weights.
//! 2. Generation g sets its tolerance ε_g to the `quantile` of the previous population's
//!    distances. It proposes a point by picking a particle of the previous population by
//!    weight and moving it with a Gaussian kernel (variance twice the population's
//!    weighted variance in each dimension, Beaumont et al.), simulates it, and keeps it
//!    when its distance is at most ε_g, until it has `particles` points. A kept point's
//!    weight is its prior density over the kernel's mixture density,
//!    π(θ) / Σ_j w_j K(θ | θ_j).
//! 3. It stops when a generation's acceptance rate falls below `min_acceptance`, when the
//!    tolerance stops falling (every kept distance equal, e.g. all 0), when it reaches
//!    `target_tolerance`, or after `max_generations`.
//!
//! Parameters live on the unit cube: coordinate `u_d` in (0, 1) is the prior's
//! probability level of parameter d, and the parameter is the prior's quantile there
//! ([`crate::uncertainty::Axis::values_at`] maps it). The prior is then uniform on the
//! cube, so a weight needs no prior density, and every prior the scenario files can state
//! (including joint draws from a CSV, a discrete choice) is handled alike. The kernel is
//! truncated to the cube (a proposal outside is drawn again, dimension by dimension) and
//! its density is normalised for that.
//!
//! Reproducible and parallel: proposal `k` of generation `g` draws everything it needs
//! (its parent, its move and the simulation's randomness) from its own generator,
//! `ChaCha8Rng::seed_from_u64(seed)` on stream `g · 2^40 + k`; proposals are simulated in
//! parallel batches on the study layer's [`Runner`] and accepted in the order of `k`, so
//! the result does not depend on the number of threads.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use statrs::distribution::{ContinuousCDF, Normal};

use crate::study::Runner;
use crate::Error;

/// How an ABC-SMC fit runs.
#[derive(Debug, Clone, PartialEq)]
pub struct AbcConfig {
    /// Particles in each population (>= 10).
    pub particles: usize,
    /// Each generation's tolerance is this quantile of the previous population's
    /// distances (in (0, 1); 0.5 is usual).
    pub quantile: f64,
    /// Stop when a generation keeps fewer than this share of its proposals (in (0, 1)).
    pub min_acceptance: f64,
    /// Stop after this many generations after generation 0 (>= 1).
    pub max_generations: usize,
    /// Stop once the tolerance is at most this.
    pub target_tolerance: Option<f64>,
    /// Seed of every generator of the fit.
    pub seed: u64,
    /// Worker threads (>= 1); the result does not depend on it.
    pub threads: usize,
}

impl Default for AbcConfig {
    fn default() -> Self {
        AbcConfig {
            particles: 500,
            quantile: 0.5,
            min_acceptance: 0.02,
            max_generations: 12,
            target_tolerance: None,
            seed: 0,
            threads: 1,
        }
    }
}

impl AbcConfig {
    fn check(&self, dims: usize) -> Result<(), Error> {
        let bad = |what: &str| Err(Error::Invalid(format!("ABC-SMC: {what}")));
        if dims == 0 {
            return bad("there are no parameters to fit (need at least one dimension)");
        }
        if self.particles < 10 {
            return bad(&format!(
                "particles must be at least 10, got {}",
                self.particles
            ));
        }
        if !(self.quantile > 0.0 && self.quantile < 1.0) {
            return bad(&format!(
                "quantile must lie in (0, 1), got {}",
                self.quantile
            ));
        }
        if !(self.min_acceptance > 0.0 && self.min_acceptance < 1.0) {
            return bad(&format!(
                "min_acceptance must lie in (0, 1), got {}",
                self.min_acceptance
            ));
        }
        if self.max_generations == 0 {
            return bad("max_generations must be at least 1");
        }
        if self.threads == 0 {
            return bad("threads must be at least 1");
        }
        if let Some(t) = self.target_tolerance {
            if t.is_nan() || t < 0.0 {
                return bad(&format!("target_tolerance must be >= 0, got {t}"));
            }
        }
        Ok(())
    }
}

/// What one generation did.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    /// Its tolerance (infinite for generation 0, which keeps every prior draw).
    pub tolerance: f64,
    /// Proposals it simulated.
    pub simulations: u64,
    /// The share of them it kept.
    pub acceptance: f64,
}

/// Why a fit stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// A generation kept fewer than `min_acceptance` of its proposals.
    Acceptance,
    /// The tolerance stopped falling.
    Converged,
    /// The tolerance reached `target_tolerance`.
    Target,
    /// `max_generations` ran.
    Generations,
}

/// The last population of a fit: weighted points on the unit cube.
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    /// Each particle's coordinates, one per parameter, in (0, 1).
    pub points: Vec<Vec<f64>>,
    /// Their normalised importance weights (sum 1).
    pub weights: Vec<f64>,
    /// Their distances.
    pub distances: Vec<f64>,
    /// Every generation run, generation 0 first.
    pub generations: Vec<Generation>,
    /// Why it stopped.
    pub stopped: StopReason,
}

impl Population {
    /// The effective sample size of the weights, (Σw)² / Σw².
    pub fn effective_size(&self) -> f64 {
        1.0 / self.weights.iter().map(|w| w * w).sum::<f64>()
    }

    /// Simulations run in all.
    pub fn simulations(&self) -> u64 {
        self.generations.iter().map(|g| g.simulations).sum()
    }

    /// The weighted `p`-quantile (in [0, 1]) of `f` over the particles, where `f` maps a
    /// particle's coordinates to the quantity of interest (e.g. a parameter's value
    /// through its prior's quantile function).
    pub fn quantile(&self, p: f64, f: impl Fn(&[f64]) -> f64) -> f64 {
        let mut v: Vec<(f64, f64)> = self
            .points
            .iter()
            .zip(&self.weights)
            .map(|(u, &w)| (f(u), w))
            .collect();
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut acc = 0.0;
        for &(x, w) in &v {
            acc += w;
            if acc >= p {
                return x;
            }
        }
        v.last().map_or(f64::NAN, |x| x.0)
    }

    /// `n` equally weighted draws from the population (multinomial resampling by weight,
    /// seeded), e.g. to write as joint draws that an `[[uncertain]]` table reads.
    pub fn resample(&self, n: usize, seed: u64) -> Vec<Vec<f64>> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let cdf = cumulative(&self.weights);
        (0..n)
            .map(|_| self.points[pick(&cdf, rng.random::<f64>())].clone())
            .collect()
    }
}

/// The generator of proposal `k` of generation `g`.
fn proposal_rng(seed: u64, g: usize, k: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(((g as u64) << 40) | k);
    rng
}

fn cumulative(w: &[f64]) -> Vec<f64> {
    let mut acc = 0.0;
    w.iter()
        .map(|x| {
            acc += x;
            acc
        })
        .collect()
}

/// The index whose cumulative weight first reaches `r * total`.
fn pick(cdf: &[f64], r: f64) -> usize {
    let total = cdf.last().copied().unwrap_or(0.0);
    cdf.partition_point(|&c| c < r * total).min(cdf.len() - 1)
}

/// The truncated Gaussian kernel of a generation: per-dimension standard deviations.
struct Kernel {
    sd: Vec<f64>,
    unit: Normal,
}

impl Kernel {
    /// Twice the weighted variance of each dimension (Beaumont et al. 2009), floored so a
    /// collapsed dimension can still move.
    fn of(points: &[Vec<f64>], weights: &[f64]) -> Kernel {
        let dims = points[0].len();
        let sd = (0..dims)
            .map(|d| {
                let mean: f64 = points.iter().zip(weights).map(|(u, w)| w * u[d]).sum();
                let var: f64 = points
                    .iter()
                    .zip(weights)
                    .map(|(u, w)| w * (u[d] - mean).powi(2))
                    .sum();
                (2.0 * var).sqrt().max(1e-6)
            })
            .collect();
        Kernel {
            sd,
            unit: Normal::new(0.0, 1.0).expect("the standard normal"),
        }
    }

    /// A move of `from`, each coordinate drawn again until it lies in (0, 1).
    fn propose(&self, from: &[f64], rng: &mut ChaCha8Rng) -> Vec<f64> {
        from.iter()
            .zip(&self.sd)
            .map(|(&v, &s)| loop {
                let z: f64 = StandardNormal.sample(rng);
                let u = v + s * z;
                if u > 0.0 && u < 1.0 {
                    break u;
                }
            })
            .collect()
    }

    /// The share of the untruncated kernel's mass around `from` that lies in the cube
    /// (what a truncated density is divided by).
    fn mass(&self, from: &[f64]) -> f64 {
        from.iter()
            .zip(&self.sd)
            .map(|(&v, &s)| self.unit.cdf((1.0 - v) / s) - self.unit.cdf(-v / s))
            .product()
    }

    /// The truncated kernel's density at `to` for a move from `from`, whose
    /// [`Kernel::mass`] is `mass`.
    fn density(&self, from: &[f64], mass: f64, to: &[f64]) -> f64 {
        let mut log = 0.0;
        for ((&v, &u), &s) in from.iter().zip(to).zip(&self.sd) {
            let z = (u - v) / s;
            log -= 0.5 * z * z + s.ln();
        }
        log.exp() / (2.0 * std::f64::consts::PI).powf(from.len() as f64 / 2.0) / mass
    }
}

/// Fits `dims` parameters by ABC-SMC. `distance(u, rng)` simulates at the coordinates
/// `u` (one per parameter, in (0, 1): map them through the priors' quantile functions)
/// with randomness from `rng`, and returns the distance of its results from the data
/// (>= 0, finite; an `Err` ends the fit with that error).
///
/// # Errors
/// A bad `config`, an error of `distance`, or a distance that is negative or not finite.
pub fn abc_smc<F>(dims: usize, distance: F, config: &AbcConfig) -> Result<Population, Error>
where
    F: Fn(&[f64], &mut ChaCha8Rng) -> Result<f64, Error> + Sync,
{
    config.check(dims)?;
    // The study layer's runner: results in proposal order for any number of threads,
    // and a panic in a simulation becomes an error naming its generation and proposal.
    let runner = Runner::new(config.threads)?;
    let n = config.particles;
    // The batch does not depend on the threads, so neither does where a hopeless
    // generation gives up.
    let batch = (n / 4).max(64) as u64;
    let checked = |d: f64, u: &[f64]| -> Result<f64, Error> {
        if d.is_finite() && d >= 0.0 {
            Ok(d)
        } else {
            Err(Error::Invalid(format!(
                "ABC-SMC: the distance at {u:?} is {d}; it must be a finite number >= 0"
            )))
        }
    };

    // Generation 0: the prior, every draw kept.
    let first: Vec<(Vec<f64>, f64)> = runner.map(
        n as u64,
        |k| {
            let mut rng = proposal_rng(config.seed, 0, k);
            let u: Vec<f64> = (0..dims).map(|_| open_unit(&mut rng)).collect();
            let d = checked(distance(&u, &mut rng)?, &u)?;
            Ok((u, d))
        },
        &|k| {
            format!(
                " (ABC-SMC generation 0, proposal {k}, seed {})",
                config.seed
            )
        },
    )?;
    let (mut points, mut distances): (Vec<_>, Vec<_>) = first.into_iter().unzip();
    let mut weights = vec![1.0 / n as f64; n];
    let mut generations = vec![Generation {
        tolerance: f64::INFINITY,
        simulations: n as u64,
        acceptance: 1.0,
    }];
    let mut tolerance = f64::INFINITY;

    let stopped = loop {
        let g = generations.len();
        if g > config.max_generations {
            break StopReason::Generations;
        }
        if config.target_tolerance.is_some_and(|t| tolerance <= t) {
            break StopReason::Target;
        }
        let next = weighted_quantile(&distances, &weights, config.quantile);
        if next >= tolerance {
            break StopReason::Converged;
        }
        let kernel = Kernel::of(&points, &weights);
        let cdf = cumulative(&weights);
        let mut kept: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n);
        let mut tried = 0u64;
        while kept.len() < n {
            let results: Vec<Option<(Vec<f64>, f64)>> = runner.map(
                batch,
                |j| {
                    let k = tried + j;
                    let mut rng = proposal_rng(config.seed, g, k);
                    let parent = pick(&cdf, rng.random::<f64>());
                    let u = kernel.propose(&points[parent], &mut rng);
                    let d = checked(distance(&u, &mut rng)?, &u)?;
                    Ok((d <= next).then_some((u, d)))
                },
                &|j| {
                    format!(
                        " (ABC-SMC generation {g}, proposal {}, seed {})",
                        tried + j,
                        config.seed
                    )
                },
            )?;
            for (i, r) in results.into_iter().enumerate() {
                if let Some(p) = r {
                    kept.push(p);
                    if kept.len() == n {
                        tried += i as u64 + 1;
                        break;
                    }
                }
            }
            if kept.len() < n {
                tried += batch;
            }
            // Give up on a generation whose acceptance is already hopeless.
            let hopeless = (n as f64) / config.min_acceptance;
            if kept.len() < n && tried as f64 > 4.0 * hopeless {
                break;
            }
        }
        let acceptance = kept.len() as f64 / tried as f64;
        if kept.len() < n {
            generations.push(Generation {
                tolerance: next,
                simulations: tried,
                acceptance,
            });
            break StopReason::Acceptance;
        }
        // Importance weights: the prior is uniform on the cube.
        let masses: Vec<f64> = points.iter().map(|v| kernel.mass(v)).collect();
        let new_weights: Vec<f64> = runner.map(
            kept.len() as u64,
            |i| {
                let u = &kept[i as usize].0;
                let mix: f64 = points
                    .iter()
                    .zip(&weights)
                    .zip(&masses)
                    .map(|((v, w), &m)| w * kernel.density(v, m, u))
                    .sum();
                Ok(1.0 / mix)
            },
            &|i| format!(" (ABC-SMC generation {g}, weight of particle {i})"),
        )?;
        let total: f64 = new_weights.iter().sum();
        weights = new_weights.iter().map(|w| w / total).collect();
        (points, distances) = kept.into_iter().unzip();
        tolerance = next;
        generations.push(Generation {
            tolerance,
            simulations: tried,
            acceptance,
        });
        if acceptance < config.min_acceptance {
            break StopReason::Acceptance;
        }
    };
    Ok(Population {
        points,
        weights,
        distances,
        generations,
        stopped,
    })
}

/// A uniform draw in the open interval (0, 1).
fn open_unit(rng: &mut ChaCha8Rng) -> f64 {
    loop {
        let u: f64 = rng.random();
        if u > 0.0 {
            return u;
        }
    }
}

/// The weighted `p`-quantile of `x`.
fn weighted_quantile(x: &[f64], w: &[f64], p: f64) -> f64 {
    let mut v: Vec<(f64, f64)> = x.iter().copied().zip(w.iter().copied()).collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = w.iter().sum();
    let mut acc = 0.0;
    for &(xi, wi) in &v {
        acc += wi;
        if acc >= p * total {
            return xi;
        }
    }
    v.last().map_or(f64::NAN, |x| x.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uncertainty::Dist;

    /// The normal mean problem: 20 observations of N(θ, 1), the prior θ ~ U(-5, 5), the
    /// summary the sample mean. The posterior is N(ȳ, 1/20) (truncated to the prior's
    /// support), so the ABC posterior's centre and spread are known.
    fn normal_mean_distance(
        ybar: f64,
    ) -> impl Fn(&[f64], &mut ChaCha8Rng) -> Result<f64, Error> + Sync {
        let prior = Dist::Uniform { lo: -5.0, hi: 5.0 };
        move |u: &[f64], rng: &mut ChaCha8Rng| {
            let theta = prior.quantile(u[0]);
            // The mean of 20 draws of N(θ, 1), drawn as one normal of variance 1/20.
            let sim = theta + normal(rng) / 20f64.sqrt();
            Ok((sim - ybar).abs())
        }
    }

    fn normal(rng: &mut ChaCha8Rng) -> f64 {
        StandardNormal.sample(rng)
    }

    fn theta(u: &[f64]) -> f64 {
        Dist::Uniform { lo: -5.0, hi: 5.0 }.quantile(u[0])
    }

    fn config(seed: u64, threads: usize) -> AbcConfig {
        AbcConfig {
            particles: 300,
            seed,
            threads,
            min_acceptance: 0.1,
            ..AbcConfig::default()
        }
    }

    /// On the normal mean problem the ABC posterior's mean and spread match the exact
    /// posterior N(ȳ, 1/20): mean within 0.05, sd within 25% (ABC's tolerance widens it
    /// a little).
    #[test]
    fn normal_mean_posterior_matches_the_exact_one() {
        let ybar = 1.3;
        let pop = abc_smc(1, normal_mean_distance(ybar), &config(7, 2)).unwrap();
        let mean: f64 = pop
            .points
            .iter()
            .zip(&pop.weights)
            .map(|(u, w)| w * theta(u))
            .sum();
        let var: f64 = pop
            .points
            .iter()
            .zip(&pop.weights)
            .map(|(u, w)| w * (theta(u) - mean).powi(2))
            .sum();
        let exact_sd = (1.0f64 / 20.0).sqrt();
        assert!((mean - ybar).abs() < 0.05, "mean {mean}");
        assert!(
            (var.sqrt() / exact_sd - 1.0).abs() < 0.25,
            "sd {} against {exact_sd}",
            var.sqrt()
        );
        assert!(pop.generations.len() >= 4, "{:?}", pop.generations);
        assert!(pop.effective_size() > 100.0, "ESS {}", pop.effective_size());
    }

    /// Calibration: with θ drawn from the prior and data simulated from it, the 95%
    /// posterior intervals of 100 seeded fits cover the true θ in 90-99% of them (a
    /// correct posterior covers in 95% on average over the prior).
    #[test]
    fn posterior_intervals_cover_the_truth() {
        let prior = Dist::Uniform { lo: -5.0, hi: 5.0 };
        let mut covered = 0;
        for seed in 0..100u64 {
            let mut rng = ChaCha8Rng::seed_from_u64(1_000 + seed);
            let truth = prior.quantile(open_unit(&mut rng));
            let ybar = (0..20).map(|_| truth + normal(&mut rng)).sum::<f64>() / 20.0;
            let pop = abc_smc(1, normal_mean_distance(ybar), &config(seed, 1)).unwrap();
            let (lo, hi) = (pop.quantile(0.025, theta), pop.quantile(0.975, theta));
            covered += usize::from(lo <= truth && truth <= hi);
        }
        assert!((90..=99).contains(&covered), "covered {covered} of 100");
    }

    /// With data that say nothing (every distance 0) the posterior is the prior: the
    /// weights undo the kernel's pull, including its truncation at the cube's edges, so
    /// the weighted distribution of each coordinate is uniform (Kolmogorov distance under
    /// a bound scaled by the effective sample size).
    #[test]
    fn uninformative_data_give_back_the_prior() {
        let pop = abc_smc(
            2,
            |_: &[f64], _: &mut ChaCha8Rng| Ok(0.0),
            &AbcConfig {
                particles: 2000,
                seed: 3,
                threads: 2,
                ..AbcConfig::default()
            },
        )
        .unwrap();
        assert_eq!(pop.generations.len(), 2, "{:?}", pop.generations);
        assert_eq!(pop.stopped, StopReason::Converged);
        let ess = pop.effective_size();
        for d in 0..2 {
            let ks = (1..20)
                .map(|i| {
                    let p = f64::from(i) / 20.0;
                    let below: f64 = pop
                        .points
                        .iter()
                        .zip(&pop.weights)
                        .filter(|(u, _)| u[d] <= p)
                        .map(|(_, w)| w)
                        .sum();
                    (below - p).abs()
                })
                .fold(0.0, f64::max);
            assert!(ks < 1.63 / ess.sqrt(), "dimension {d}: KS {ks}, ESS {ess}");
        }
    }

    /// The same seed gives the same population on 1 and 2 threads.
    #[test]
    fn results_do_not_depend_on_threads() {
        let a = abc_smc(1, normal_mean_distance(0.4), &config(11, 1)).unwrap();
        let b = abc_smc(1, normal_mean_distance(0.4), &config(11, 2)).unwrap();
        assert_eq!(a, b);
    }

    /// Bad settings and bad distances are errors that say what is wrong.
    #[test]
    fn bad_input_is_an_error() {
        let ok = |_: &[f64], _: &mut ChaCha8Rng| Ok(1.0);
        let e = abc_smc(0, ok, &AbcConfig::default()).unwrap_err();
        assert!(e.to_string().contains("no parameters"), "{e}");
        let e = abc_smc(
            1,
            ok,
            &AbcConfig {
                quantile: 1.5,
                ..AbcConfig::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("quantile"), "{e}");
        let nan = |_: &[f64], _: &mut ChaCha8Rng| Ok(f64::NAN);
        let e = abc_smc(1, nan, &AbcConfig::default()).unwrap_err();
        assert!(e.to_string().contains("finite"), "{e}");
    }
}
