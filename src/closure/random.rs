//! Sampling random closures for one Monte Carlo run: Poisson onsets per closure process
//! and per common-shock group, durations from their distributions, rates scaled day by
//! day by the regime chain's state.
//!
//! # Method (daily Bernoulli)
//!
//! Time is simulated day by day over the window `[start_day, start_day + days)`:
//!
//! 1. The regime chain (if any) is simulated first: the first day's state is the
//!    sampler's [`RegimeStart`] (by default the chain's `initial` state, or drawn from
//!    its long-run shares); each later day's state follows the transition row of the day
//!    before. Without a chain the multiplier is 1.
//! 2. For each closure process and each shock group, for each day, an onset happens on
//!    that day with probability `p = 1 - exp(-rate_per_year * m / 365)`, where `m` is the
//!    day's regime multiplier. This is exactly the probability that a Poisson process of
//!    that rate has at least one event during the day; two onsets of one process on one
//!    day are one closure. So the expected number of onsets per 365 days at a constant
//!    rate `r` is `365 * (1 - exp(-r / 365))`, slightly below `r` (1.9945 for `r = 2`).
//! 3. On an onset, one duration is drawn from the process's distribution, rounded to
//!    whole days, at least 1. A shock's one duration is shared by all its targets: it
//!    yields one [`ClosureWindow`] per target, all with the same start and duration.
//!
//! Onsets are counted in calendar time whether or not the target is already closed,
//! so windows of one target may overlap (the engine applies the lowest factor of the
//! windows covering a day). Nothing is sampled before `start_day`: a simulated year
//! starts with every corridor open. Windows may run past the end of the window.
//!
//! # Random streams (common random numbers)
//!
//! Each source of randomness draws from its **own** generator, derived from the run's
//! generator and a stable key by [`substream`]:
//!
//! | key | draws |
//! |---|---|
//! | `regimes/initial` | one uniform for the first day's state, when it is drawn from the long-run shares |
//! | `regimes/transitions` | one uniform per later day |
//! | `process:<id>/onsets`, `shock:<id>/onsets` | one uniform per day |
//! | `process:<id>/durations`, `shock:<id>/durations` | one duration per onset, in onset order |
//!
//! So a process's draws depend only on the run, its id and the regime path, never on
//! which other processes or shocks the scenario holds or in what order: a process that
//! an option adds draws from a new stream and leaves every base process's closures as
//! they were, run by run; an option that adds a target to a shock group closes it with
//! the group's own onsets and durations. An option that scales a process's rate keeps
//! its uniforms, so the base's onsets are kept (a higher rate only adds onsets). This is
//! what keeps a comparison of options paired (tested by a property test).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, Gamma, LogNormal};
use sha2::{Digest, Sha256};

use super::regime::{RegimeSimulator, RegimeStart};
use super::{ClosureProcess, ClosureWindow, DurationDist, RegimeChain, ShockGroup, Target};
use crate::Error;

/// The generator of the random stream `key` of a run: ChaCha8 keyed by SHA-256 of
/// (`"chokepoint substream v1"`, the run generator's seed, `key`), on the run
/// generator's stream. It depends on the run generator's seed and stream, not on how
/// far it has been used.
///
/// ```
/// use chokepoint::closure::substream;
/// use rand::{Rng, SeedableRng};
/// let mut run = rand_chacha::ChaCha8Rng::seed_from_u64(7);
/// run.set_stream(3);
/// let mut a = substream(&run, "process:torkham/onsets");
/// let mut b = substream(&run, "process:torkham/onsets");
/// assert_eq!(a.random::<u64>(), b.random::<u64>());
/// let mut c = substream(&run, "process:chaman/onsets");
/// assert_ne!(substream(&run, "process:torkham/onsets").random::<u64>(), c.random::<u64>());
/// ```
pub fn substream(run: &ChaCha8Rng, key: &str) -> ChaCha8Rng {
    let mut h = Sha256::new();
    h.update(b"chokepoint substream v1\0");
    h.update(run.get_seed());
    h.update(key.as_bytes());
    let mut rng = ChaCha8Rng::from_seed(h.finalize().into());
    rng.set_stream(run.get_stream());
    rng
}

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
    /// The stream key's prefix: `process:<id>` or `shock:<id>`.
    key: String,
    targets: Vec<Target>,
    rate_per_year: f64,
    duration: Dur,
    capacity_factor: f64,
    ramp_days: u32,
    label: String,
}

/// The random closure model of a scenario, prepared for sampling: checked distributions,
/// the regime chain's long-run shares, onset probabilities per regime state.
///
/// Build it from the pieces of a scenario (`Scenario::closure_sampler` does it for a
/// whole scenario):
///
/// ```
/// use chokepoint::closure::{ClosureProcess, ClosureSampler, DurationDist, Target};
/// use chokepoint::network::CorridorId;
/// let p = ClosureProcess {
///     id: "north".into(),
///     target: Target::Corridor(CorridorId(0)),
///     rate_per_year: 12.0,
///     duration: DurationDist::exponential(5.0).map_err(chokepoint::Error::Invalid)?,
///     capacity_factor: 0.0,
///     ramp_days: 0,
/// };
/// let sampler = ClosureSampler::new(&[p], &[], None, |_| "north".to_string())?;
/// let run = chokepoint::montecarlo::run_rng(1, 0);
/// let windows = sampler.sample(0, 365, &run);
/// assert!(windows.iter().all(|w| w.label.as_deref() == Some("random north")));
/// # Ok::<(), chokepoint::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClosureSampler {
    sources: Vec<Source>,
    regimes: Option<RegimeSimulator>,
    /// `p[source][state]`: daily onset probability.
    p: Vec<Vec<f64>>,
}

impl ClosureSampler {
    /// Prepare closure processes, shock groups and a regime chain; `name` gives the id of
    /// a target, for the windows' labels (`random <target>`, `shock <id>`). Errors on a
    /// rate that is negative or not finite, a factor outside [0, 1], a bad duration
    /// distribution, two processes (or two shocks) with one id, or a regime chain without
    /// unique long-run shares.
    pub fn new(
        processes: &[ClosureProcess],
        shocks: &[ShockGroup],
        regimes: Option<&RegimeChain>,
        name: impl Fn(Target) -> String,
    ) -> Result<Self, Error> {
        let mut sources: Vec<Source> = Vec::new();
        for (i, pr) in processes.iter().enumerate() {
            let target = name(pr.target);
            let what = format!("closure process {} ({target})", i + 1);
            sources.push(source(
                format!("process:{}", pr.id),
                vec![pr.target],
                pr.rate_per_year,
                &pr.duration,
                pr.capacity_factor,
                pr.ramp_days,
                format!("random {}", pr.id),
                &what,
            )?);
        }
        for sh in shocks {
            let what = format!("shock {:?}", sh.id);
            if sh.targets.is_empty() {
                return Err(Error::Invalid(format!("{what}: it closes no targets")));
            }
            sources.push(source(
                format!("shock:{}", sh.id),
                sh.targets.clone(),
                sh.rate_per_year,
                &sh.duration,
                sh.capacity_factor,
                sh.ramp_days,
                format!("shock {}", sh.id),
                &what,
            )?);
        }
        for (i, s) in sources.iter().enumerate() {
            if sources[..i].iter().any(|o| o.key == s.key) {
                return Err(Error::Invalid(format!(
                    "two random closure sources are both `{}`: each process and each shock \
                     needs its own id (it names its random stream)",
                    s.key
                )));
            }
        }
        let regimes = regimes.map(RegimeSimulator::new).transpose()?;
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

    /// Start the regime chain (if any) as `start` says instead of as the chain's
    /// `initial` does. Errors on a state index out of range.
    pub fn with_regime_start(mut self, start: RegimeStart) -> Result<Self, Error> {
        if let Some(r) = self.regimes.take() {
            self.regimes = Some(r.with_start(start)?);
        }
        Ok(self)
    }

    /// How the regime chain starts (`None` without a chain).
    pub fn regime_start(&self) -> Option<RegimeStart> {
        self.regimes.as_ref().map(RegimeSimulator::start)
    }

    /// The targets random closures may close, each once, in the order of the processes
    /// and then the shocks' targets.
    pub fn targets(&self) -> Vec<Target> {
        let mut out: Vec<Target> = Vec::new();
        for t in self.sources.iter().flat_map(|s| &s.targets) {
            if !out.contains(t) {
                out.push(*t);
            }
        }
        out
    }

    /// Whether there are any random closures (processes or shocks).
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// The random closure windows of the run whose generator is `run`, over days
    /// `[start_day, start_day + days)`, in order of onset day, then processes before
    /// shocks in the order given, then a shock's targets in order. Every source draws
    /// from its own stream ([`substream`]; see the module docs); `run` itself is not
    /// advanced.
    pub fn sample(&self, start_day: i64, days: u32, run: &ChaCha8Rng) -> Vec<ClosureWindow> {
        self.draw(start_day, days, run, false)
    }

    /// The random closure windows of one run, like [`ClosureSampler::sample`] but with
    /// the draws fixed: every (day, source) takes one uniform number *and* one duration
    /// draw, whether or not it has an onset. The random numbers a run uses then depend
    /// on its generator alone, never on the rates or durations, so runs of one seed stay
    /// paired across parameter values (common random numbers for sensitivity studies):
    /// a higher rate only adds onsets (those whose uniform falls below the higher daily
    /// probability), and a scaled duration distribution (exponential mean, gamma scale,
    /// lognormal `mu`, empirical values) scales every duration, rounding aside. The
    /// regime path and every source draw from their own streams, as in `sample`. For one
    /// generator the closures differ from `sample`'s (which draws a duration only on an
    /// onset).
    pub fn sample_fixed_draws(
        &self,
        start_day: i64,
        days: u32,
        run: &ChaCha8Rng,
    ) -> Vec<ClosureWindow> {
        self.draw(start_day, days, run, true)
    }

    /// The windows of [`ClosureSampler::sample`]; with `fixed`, a duration is drawn on
    /// every day, onset or not ([`ClosureSampler::sample_fixed_draws`]).
    fn draw(&self, start_day: i64, days: u32, run: &ChaCha8Rng, fixed: bool) -> Vec<ClosureWindow> {
        let mut out = Vec::new();
        if self.sources.is_empty() {
            return out;
        }
        let path = self.regimes.as_ref().map(|r| {
            r.sample_path(
                days,
                &mut substream(run, "regimes/initial"),
                &mut substream(run, "regimes/transitions"),
            )
        });
        for s in 0..self.sources.len() {
            let key = &self.sources[s].key;
            let mut onsets = substream(run, &format!("{key}/onsets"));
            let mut durations = substream(run, &format!("{key}/durations"));
            let path = path.as_deref();
            self.draw_source(
                s,
                start_day,
                days,
                path,
                fixed,
                &mut onsets,
                &mut durations,
                &mut out,
            );
        }
        // Stable: within a day, sources keep their order.
        out.sort_by_key(|w| w.start_day);
        out
    }

    /// A plan drawn from the law of [`ClosureSampler::sample`], but cheaply: the days
    /// between onsets are drawn as geometric gaps (one uniform per onset, not per day;
    /// the same law, as the daily onsets are independent with a probability constant
    /// while the regime state is), every draw from `rng` (the first regime state and
    /// the gaps) and two streams derived from it (transitions, durations) rather than
    /// from a substream per source. Not paired with any run's plan: for estimating the
    /// law's moments (the means of control variates).
    pub fn sample_one_stream(
        &self,
        start_day: i64,
        days: u32,
        rng: &mut ChaCha8Rng,
    ) -> Vec<ClosureWindow> {
        let mut out = Vec::new();
        if self.sources.is_empty() {
            return out;
        }
        // The regime's transitions and the durations on streams of their own (`rng`'s
        // stream with a high bit set: independent of `rng`'s for streams below 2^62).
        let path = self.regimes.as_ref().map(|r| {
            let mut transitions = rng.clone();
            transitions.set_stream(rng.get_stream() ^ (1 << 63));
            r.sample_path(days, rng, &mut transitions)
        });
        let mut durations = rng.clone();
        durations.set_stream(rng.get_stream() ^ (1 << 62));
        // Stretches of days in one regime state: (first day, state).
        let mut stretches: Vec<(u32, usize)> = Vec::new();
        match &path {
            Some(p) => {
                for (d, &st) in p.iter().enumerate() {
                    if stretches.last().is_none_or(|&(_, last)| last != st) {
                        stretches.push((d as u32, st));
                    }
                }
            }
            None => stretches.push((0, 0)),
        }
        for (s, src) in self.sources.iter().enumerate() {
            // Within a stretch the daily onset probability `p` is constant, so the days
            // to the next onset are geometric: `floor(ln U / ln(1 - p))` failures, U
            // uniform on (0, 1]. Memoryless, so each stretch starts afresh.
            for (i, &(first, state)) in stretches.iter().enumerate() {
                let end = stretches.get(i + 1).map_or(days, |&(d, _)| d);
                let p = self.p[s][state];
                if p <= 0.0 {
                    continue;
                }
                let mut d = first;
                while d < end {
                    let u = 1.0 - rng.random::<f64>();
                    let gap = if p >= 1.0 {
                        0.0
                    } else {
                        (u.ln() / (-p).ln_1p()).floor()
                    };
                    if gap >= f64::from(end - d) {
                        break;
                    }
                    d += gap as u32;
                    let duration_days = src.duration.sample(&mut durations);
                    for &target in &src.targets {
                        out.push(ClosureWindow {
                            target,
                            start_day: start_day + i64::from(d),
                            duration_days,
                            capacity_factor: src.capacity_factor,
                            ramp_days: src.ramp_days,
                            label: Some(src.label.clone()),
                            expected_closure_days: None,
                        });
                    }
                    d += 1;
                }
            }
        }
        out.sort_by_key(|w| w.start_day);
        out
    }

    /// Source `s`'s windows over `days`, onsets drawn from `onsets` and durations from
    /// `durations`, appended to `out`.
    #[allow(clippy::too_many_arguments)]
    fn draw_source(
        &self,
        s: usize,
        start_day: i64,
        days: u32,
        path: Option<&[usize]>,
        fixed: bool,
        onsets: &mut ChaCha8Rng,
        durations: &mut ChaCha8Rng,
        out: &mut Vec<ClosureWindow>,
    ) {
        let src = &self.sources[s];
        for d in 0..days {
            let state = path.map_or(0, |p| p[d as usize]);
            // Always draw, so the stream's use does not depend on the rate.
            let u: f64 = onsets.random();
            let onset = u < self.p[s][state];
            let duration_days = if fixed || onset {
                src.duration.sample(durations)
            } else {
                0
            };
            if onset {
                for &target in &src.targets {
                    out.push(ClosureWindow {
                        target,
                        start_day: start_day + i64::from(d),
                        duration_days,
                        capacity_factor: src.capacity_factor,
                        ramp_days: src.ramp_days,
                        label: Some(src.label.clone()),
                        expected_closure_days: None,
                    });
                }
            }
        }
    }
}

/// Probability of at least one onset in a day for a Poisson process of `rate_per_year`
/// onsets per 365 days: `1 - exp(-rate / 365)`.
pub fn daily_onset_probability(rate_per_year: f64) -> f64 {
    -(-rate_per_year / 365.0).exp_m1()
}

#[allow(clippy::too_many_arguments)]
fn source(
    key: String,
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
        key,
        targets,
        rate_per_year,
        duration: Dur::new(duration, what)?,
        capacity_factor,
        ramp_days,
        label,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::closure::{ClosureProcess, DurationDist, RegimeChain, RegimeState};
    use crate::network::CorridorId;

    /// Two processes and a shock under a three-state regime chain that moves often.
    fn sampler() -> ClosureSampler {
        let c = |i| Target::Corridor(CorridorId(i));
        let process = |id: &str, t, rate, mean| ClosureProcess {
            id: id.into(),
            target: t,
            rate_per_year: rate,
            duration: DurationDist::exponential(mean).unwrap(),
            capacity_factor: 0.2,
            ramp_days: 2,
        };
        let shock = ShockGroup {
            id: "both".into(),
            targets: vec![c(0), c(2)],
            rate_per_year: 1.5,
            duration: DurationDist::empirical(vec![3.0, 20.0, 60.0]).unwrap(),
            capacity_factor: 0.0,
            ramp_days: 0,
        };
        let state = |id: &str, m| RegimeState {
            id: id.into(),
            rate_multiplier: m,
        };
        let chain = RegimeChain {
            states: vec![state("calm", 0.3), state("tense", 1.5), state("war", 6.0)],
            transitions: vec![
                vec![0.97, 0.03, 0.0],
                vec![0.05, 0.9, 0.05],
                vec![0.0, 0.1, 0.9],
            ],
            initial: None,
        };
        ClosureSampler::new(
            &[process("a", c(0), 4.0, 10.0), process("b", c(1), 0.7, 40.0)],
            &[shock],
            Some(&chain),
            |t| format!("{t:?}"),
        )
        .unwrap()
    }

    /// Per draw: onsets per target and lost capacity-days per target (the window and
    /// the 100 days after it).
    fn stats(windows: &[ClosureWindow]) -> Vec<f64> {
        let f = crate::closure::PlanFeatures::new(
            (0..3).map(|i| Target::Corridor(CorridorId(i))).collect(),
            200,
            100,
            true,
        );
        let mut out = vec![0.0; f.len()];
        f.compute(windows, &mut Vec::new(), &mut out);
        for i in 0..3 {
            out.push(
                windows
                    .iter()
                    .filter(|w| w.target == Target::Corridor(CorridorId(i)))
                    .count() as f64,
            );
        }
        out
    }

    #[test]
    fn one_stream_draws_have_the_law_of_sample() {
        let s = sampler();
        let n = 4_000u64;
        let mut a = crate::control_variates::Moments::new(12);
        let mut b = crate::control_variates::Moments::new(12);
        let mut g = substream(&crate::montecarlo::run_rng(5, 0), "test");
        for i in 0..n {
            a.push(&stats(&s.sample(0, 200, &crate::montecarlo::run_rng(3, i))));
            g.set_stream(i);
            b.push(&stats(&s.sample_one_stream(0, 200, &mut g.clone())));
        }
        let (ma, mb) = (
            crate::control_variates::ControlMeans::from_moments(&a).unwrap(),
            crate::control_variates::ControlMeans::from_moments(&b).unwrap(),
        );
        for j in 0..12 {
            let se = (ma.error_cov[j * 12 + j] + mb.error_cov[j * 12 + j]).sqrt();
            let z = (ma.mean[j] - mb.mean[j]) / se;
            assert!(
                z.abs() < 4.0,
                "statistic {j}: {} vs {} (z = {z:.2})",
                ma.mean[j],
                mb.mean[j]
            );
        }
        // Both see closures at all.
        assert!(ma.mean[9] > 0.5 && ma.mean[11] > 0.5);
    }
}
