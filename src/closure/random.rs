//! Sampling random closures for one Monte Carlo run: Poisson onsets per closure process
//! and per common-shock group, durations from their distributions, rates scaled day by
//! day by the regime chain's state.
//!
//! # Method (daily Bernoulli)
//!
//! Time is simulated day by day over the window `[start_day, start_day + days)`:
//!
//! 1. The regime chain (if any) is simulated first: the first day's state is the chain's
//!    `initial` state or is drawn from its long-run shares; each later day's state
//!    follows the transition row of the day before. Without a chain the multiplier is 1.
//! 2. Then, for each day in order, for each closure process (scenario order) and then
//!    each shock group (scenario order), an onset happens on that day with probability
//!    `p = 1 - exp(-rate_per_year * m / 365)`, where `m` is the day's regime multiplier.
//!    This is exactly the probability that a Poisson process of that rate has at least
//!    one event during the day; two onsets of one process on one day are one closure.
//!    So the expected number of onsets per 365 days at a constant rate `r` is
//!    `365 * (1 - exp(-r / 365))`, slightly below `r` (1.9945 for `r = 2`).
//! 3. On an onset, one duration is drawn from the process's distribution, rounded to
//!    whole days, at least 1. A shock's one duration is shared by all its targets: it
//!    yields one [`ClosureWindow`] per target, all with the same start and duration.
//!
//! Onsets are counted in calendar time whether or not the target is already closed,
//! so windows of one target may overlap (the engine applies the lowest factor of the
//! windows covering a day). Nothing is sampled before `start_day`: a simulated year
//! starts with every corridor open. Windows may run past the end of the window.
//!
//! Random numbers are drawn in a fixed order (the regime path, then day by day:
//! processes, shocks, each with one uniform number and, on an onset, one duration draw),
//! so the result is a deterministic function of the scenario, the window and the
//! generator's state.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, Gamma, LogNormal};

use super::regime::RegimeSimulator;
use super::{ClosureWindow, DurationDist, Target};
use crate::{Error, Scenario};

/// Longest duration a draw is rounded to, days (about 270 years): keeps heavy tails
/// from overflowing day arithmetic.
pub const MAX_DURATION_DAYS: u32 = 100_000;

/// A duration distribution ready to draw from.
#[derive(Debug, Clone)]
enum Dur {
    Exp(Exp<f64>),
    LogNormal(LogNormal<f64>),
    Gamma(Gamma<f64>),
    Empirical(Vec<f64>),
}

impl Dur {
    fn new(d: &DurationDist, what: &str) -> Result<Self, Error> {
        let bad = |e: String| Error::Invalid(format!("{what}: bad duration distribution: {e}"));
        Ok(match d {
            DurationDist::Exponential { mean_days } => {
                DurationDist::exponential(*mean_days).map_err(bad)?;
                Dur::Exp(Exp::new(1.0 / mean_days).map_err(|e| bad(e.to_string()))?)
            }
            DurationDist::LogNormal { mu, sigma } => {
                DurationDist::lognormal(*mu, *sigma).map_err(bad)?;
                Dur::LogNormal(LogNormal::new(*mu, *sigma).map_err(|e| bad(e.to_string()))?)
            }
            DurationDist::Gamma { shape, scale_days } => {
                DurationDist::gamma(*shape, *scale_days).map_err(bad)?;
                Dur::Gamma(Gamma::new(*shape, *scale_days).map_err(|e| bad(e.to_string()))?)
            }
            DurationDist::Empirical { days } => {
                DurationDist::empirical(days.clone()).map_err(bad)?;
                Dur::Empirical(days.clone())
            }
        })
    }

    /// One duration in whole days: the draw rounded to the nearest day, at least 1.
    fn sample(&self, rng: &mut ChaCha8Rng) -> u32 {
        let x = match self {
            Dur::Exp(d) => d.sample(rng),
            Dur::LogNormal(d) => d.sample(rng),
            Dur::Gamma(d) => d.sample(rng),
            Dur::Empirical(v) => v[rng.random_range(0..v.len())],
        };
        round_days(x)
    }
}

/// A drawn duration rounded to whole days, in `1..=MAX_DURATION_DAYS`.
pub fn round_days(x: f64) -> u32 {
    if x.is_nan() {
        return 1;
    }
    x.round().clamp(1.0, f64::from(MAX_DURATION_DAYS)) as u32
}

/// One source of random onsets: a closure process or a shock group.
#[derive(Debug, Clone)]
struct Source {
    targets: Vec<Target>,
    rate_per_year: f64,
    duration: Dur,
    capacity_factor: f64,
    ramp_days: u32,
    label: String,
}

/// The random closure model of a scenario, prepared for sampling: checked distributions,
/// the regime chain's long-run shares, onset probabilities per regime state.
#[derive(Debug, Clone)]
pub struct ClosureSampler {
    sources: Vec<Source>,
    regimes: Option<RegimeSimulator>,
    /// `p[source][state]`: daily onset probability.
    p: Vec<Vec<f64>>,
}

impl ClosureSampler {
    /// Prepare a scenario's closure processes, shock groups and regime chain. Errors on
    /// a rate that is negative or not finite, a factor outside [0, 1], a bad duration
    /// distribution, or a regime chain without unique long-run shares.
    pub fn new(scenario: &Scenario) -> Result<Self, Error> {
        let mut sources = Vec::new();
        for (i, pr) in scenario.processes.iter().enumerate() {
            let name = scenario.target_name(pr.target).to_string();
            let what = format!("closure process {} ({name})", i + 1);
            sources.push(source(
                vec![pr.target],
                pr.rate_per_year,
                &pr.duration,
                pr.capacity_factor,
                pr.ramp_days,
                format!("random {name}"),
                &what,
            )?);
        }
        for sh in &scenario.shocks {
            let what = format!("shock {:?}", sh.id);
            if sh.targets.is_empty() {
                return Err(Error::Invalid(format!("{what}: it closes no targets")));
            }
            sources.push(source(
                sh.targets.clone(),
                sh.rate_per_year,
                &sh.duration,
                sh.capacity_factor,
                sh.ramp_days,
                format!("shock {}", sh.id),
                &what,
            )?);
        }
        let regimes = scenario
            .regimes
            .as_ref()
            .map(RegimeSimulator::new)
            .transpose()?;
        let multipliers: Vec<f64> = regimes
            .as_ref()
            .map_or_else(|| vec![1.0], |r| r.multipliers().to_vec());
        let p = sources
            .iter()
            .map(|s| {
                multipliers
                    .iter()
                    .map(|m| daily_onset_probability(s.rate_per_year * m))
                    .collect()
            })
            .collect();
        Ok(Self {
            sources,
            regimes,
            p,
        })
    }

    /// Whether the scenario has any random closures (processes or shocks).
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// The random closure windows of one run over days `[start_day, start_day + days)`,
    /// in order of onset day, then processes before shocks in scenario order, then a
    /// shock's targets in order. See the module docs for the method.
    pub fn sample(&self, start_day: i64, days: u32, rng: &mut ChaCha8Rng) -> Vec<ClosureWindow> {
        let mut out = Vec::new();
        if self.sources.is_empty() {
            return out;
        }
        let path = self.regimes.as_ref().map(|r| r.sample_path(days, rng));
        for d in 0..days {
            let state = path.as_ref().map_or(0, |p| p[d as usize]);
            for (s, src) in self.sources.iter().enumerate() {
                let p = self.p[s][state];
                // Always draw, so the stream's use does not depend on the rate.
                let u: f64 = rng.random();
                if u < p {
                    let duration_days = src.duration.sample(rng);
                    for &target in &src.targets {
                        out.push(ClosureWindow {
                            target,
                            start_day: start_day + i64::from(d),
                            duration_days,
                            capacity_factor: src.capacity_factor,
                            ramp_days: src.ramp_days,
                            label: Some(src.label.clone()),
                        });
                    }
                }
            }
        }
        out
    }
}

impl ClosureSampler {
    /// The random closure windows of one run, like [`ClosureSampler::sample`] but with
    /// the draws fixed: every (day, source) takes one uniform number *and* one duration
    /// draw, whether or not it has an onset. The random numbers a run uses then depend
    /// on its generator alone, never on the rates or durations, so runs of one seed stay
    /// paired across parameter values (common random numbers for sensitivity studies):
    /// a higher rate only adds onsets (those whose uniform falls below the higher daily
    /// probability), and a scaled duration distribution (exponential mean, gamma scale,
    /// lognormal `mu`, empirical values) scales every duration, rounding aside. The
    /// regime path is drawn first, as in `sample`. For one generator the closures differ
    /// from `sample`'s (which draws a duration only on an onset).
    pub fn sample_fixed_draws(
        &self,
        start_day: i64,
        days: u32,
        rng: &mut ChaCha8Rng,
    ) -> Vec<ClosureWindow> {
        let mut out = Vec::new();
        if self.sources.is_empty() {
            return out;
        }
        let path = self.regimes.as_ref().map(|r| r.sample_path(days, rng));
        for d in 0..days {
            let state = path.as_ref().map_or(0, |p| p[d as usize]);
            for (s, src) in self.sources.iter().enumerate() {
                let u: f64 = rng.random();
                let duration_days = src.duration.sample(rng);
                if u < self.p[s][state] {
                    for &target in &src.targets {
                        out.push(ClosureWindow {
                            target,
                            start_day: start_day + i64::from(d),
                            duration_days,
                            capacity_factor: src.capacity_factor,
                            ramp_days: src.ramp_days,
                            label: Some(src.label.clone()),
                        });
                    }
                }
            }
        }
        out
    }
}

/// Probability of at least one onset in a day for a Poisson process of `rate_per_year`
/// onsets per 365 days: `1 - exp(-rate / 365)`.
pub fn daily_onset_probability(rate_per_year: f64) -> f64 {
    -(-rate_per_year / 365.0).exp_m1()
}

fn source(
    targets: Vec<Target>,
    rate_per_year: f64,
    duration: &DurationDist,
    capacity_factor: f64,
    ramp_days: u32,
    label: String,
    what: &str,
) -> Result<Source, Error> {
    if !rate_per_year.is_finite() || rate_per_year < 0.0 {
        return Err(Error::Invalid(format!(
            "{what}: rate_per_year must be a finite number >= 0, got {rate_per_year}"
        )));
    }
    if !(0.0..=1.0).contains(&capacity_factor) {
        return Err(Error::Invalid(format!(
            "{what}: capacity_factor must be in [0, 1], got {capacity_factor}"
        )));
    }
    Ok(Source {
        targets,
        rate_per_year,
        duration: Dur::new(duration, what)?,
        capacity_factor,
        ramp_days,
        label,
    })
}

/// Sample one run's random closure windows over `[start_day, start_day + days)`.
///
/// A convenience over [`ClosureSampler`]; prepare a sampler once when sampling many runs.
///
/// ```
/// use chokepoint::closure::sample_closures;
/// use rand::SeedableRng;
/// let scenario = chokepoint::Scenario {
///     settings: chokepoint::scenario::Settings::named("empty"),
///     nodes: vec![], links: vec![], corridors: vec![], products: vec![],
///     supplies: vec![], demands: vec![], closures: vec![], processes: vec![],
///     shocks: vec![], regimes: None, expansions: vec![], source: None,
///     checksum: String::new(), base: None,
/// };
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
/// assert!(sample_closures(&scenario, 0, 365, &mut rng)?.is_empty());
/// # Ok::<(), chokepoint::Error>(())
/// ```
pub fn sample_closures(
    scenario: &Scenario,
    start_day: i64,
    days: u32,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<ClosureWindow>, Error> {
    Ok(ClosureSampler::new(scenario)?.sample(start_day, days, rng))
}

#[cfg(test)]
mod fixed_draws_tests {
    use super::*;
    use rand::SeedableRng;

    fn scenario() -> Scenario {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/montecarlo/twoland_random.toml"
        );
        Scenario::load(path).expect("fixture loads")
    }

    fn draw(s: &Scenario, run: u64) -> Vec<ClosureWindow> {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        rng.set_stream(run);
        ClosureSampler::new(s)
            .expect("sampler")
            .sample_fixed_draws(0, 365, &mut rng)
    }

    #[test]
    fn fixed_draws_pair_runs_across_rates_and_durations() {
        let base = scenario();
        let mut more = base.clone();
        more.processes
            .iter_mut()
            .for_each(|p| p.rate_per_year *= 1.5);
        more.shocks.iter_mut().for_each(|p| p.rate_per_year *= 1.5);
        let mut longer = base.clone();
        for p in &mut longer.processes {
            match &mut p.duration {
                DurationDist::Exponential { mean_days } => *mean_days *= 3.0,
                DurationDist::LogNormal { mu, .. } => *mu += 3f64.ln(),
                DurationDist::Gamma { scale_days, .. } => *scale_days *= 3.0,
                DurationDist::Empirical { days } => days.iter_mut().for_each(|d| *d *= 3.0),
            }
        }
        let (mut added, mut total) = (0, 0);
        for run in 0..50 {
            let a = draw(&base, run);
            let b = draw(&more, run);
            // A higher rate only adds onsets: every window of the base run is still there.
            for w in &a {
                assert!(b.contains(w), "run {run}: {w:?} lost at a higher rate");
            }
            added += b.len() - a.len();
            total += a.len();
            // Longer closures: the same onsets, each random-process duration scaled.
            let c = draw(&longer, run);
            assert_eq!(a.len(), c.len());
            for (x, y) in a.iter().zip(&c) {
                assert_eq!((x.target, x.start_day), (y.target, y.start_day));
                if x.label.as_deref().is_some_and(|l| l.starts_with("random")) {
                    let exact = f64::from(x.duration_days) * 3.0;
                    assert!(
                        (f64::from(y.duration_days) - exact).abs() <= 2.0,
                        "{x:?} {y:?}"
                    );
                }
            }
        }
        assert!(
            total > 0 && added > 0,
            "the fixture has closures, and more at a higher rate"
        );
    }
}
