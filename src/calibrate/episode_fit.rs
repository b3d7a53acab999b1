//! `chokepoint fit`: posterior draws of a scenario's uncertain parameters given recorded
//! closure episodes, by ABC-SMC ([`super::abc`]), and the episodes' posterior predictive
//! intervals.
//!
//! - **Priors**: the scenario's `[[uncertain]]` axes that are fitted ([`select_axes`]);
//!   every other parameter keeps each replay's point value.
//! - **Data**: an episode list ([`super::episodes`]): each episode's replay scenario and its
//!   reported figures with their bands. Episodes that start on or after the held-out date
//!   are not fitted; they are only checked (out of sample).
//! - **Simulation**: at a parameter point, each fitted episode's replay with the parameters
//!   set ([`crate::uncertainty::apply`]), its figures measured ([`super::episodes::measure`]).
//!   A replay is deterministic, so a point's figures are computed once and remembered
//!   (priors of whole days make many proposals land on the same point).
//! - **Distance**: the sum over fitted episodes and banded figures of
//!   [`super::episodes::Band::distance`]: 0 inside the band, the log-ratio to the nearer
//!   edge outside. A point whose every figure is inside its band has distance 0; the
//!   tolerance falls generation by generation towards that. When no point reaches 0 the
//!   posterior concentrates on the points nearest the bands (a stated compromise, not a
//!   likelihood). With tolerance 0 the posterior is the prior restricted to the points
//!   whose figures all lie in their bands: the exact posterior when each reported figure
//!   is the simulated one times an error uniform on the band's log-width.
//! - **Predictive**: each posterior draw replayed on every episode (fitted and held out);
//!   the p5–p95 of each figure over the draws is its 90% predictive interval. It carries
//!   the parameters' posterior uncertainty only: a replay has no other randomness (its
//!   closures are the recorded ones).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::abc::{abc_smc, AbcConfig, Population};
use super::episodes::{Episode, Figure, Simulated};
use crate::study::output::num;
use crate::study::Runner;
use crate::uncertainty::{apply, Axis};
use crate::{Error, Scenario};

/// The parameters fitted when none are named: traders' behaviour, which the episodes'
/// stranded trucks and backlogs inform.
pub const BEHAVIOURAL: &[&str] = &[
    "settings.reaction_days",
    "settings.queue_patience_days",
    "settings.order_patience_days",
    "settings.abandon_after_days",
];

/// The axes of `uncertain` to fit: those setting one of `names` (a joint axis goes whole
/// when any of its parameters is named), or by default those setting only
/// [`BEHAVIOURAL`] parameters. In the scenario's order.
///
/// # Errors
/// A name that no axis sets (with the names that are there), or nothing to fit.
pub fn select_axes(uncertain: &[Axis], names: Option<&[String]>) -> Result<Vec<Axis>, Error> {
    let all: Vec<&str> = uncertain.iter().flat_map(Axis::names).collect();
    let chosen: Vec<Axis> = match names {
        Some(names) => {
            for n in names {
                if !all.contains(&n.as_str()) {
                    return Err(Error::Invalid(format!(
                        "--params: `{n}` has no [[uncertain]] table in the scenario; \
                         expected one of: {}",
                        all.join(", ")
                    )));
                }
            }
            uncertain
                .iter()
                .filter(|a| a.names().iter().any(|x| names.iter().any(|n| n == x)))
                .cloned()
                .collect()
        }
        None => uncertain
            .iter()
            .filter(|a| a.names().iter().all(|x| BEHAVIOURAL.contains(x)))
            .cloned()
            .collect(),
    };
    if chosen.is_empty() {
        return Err(Error::Invalid(format!(
            "nothing to fit: the scenario has no [[uncertain]] table for {}; add one per \
             parameter to fit (its prior), or name them with --params",
            BEHAVIOURAL.join(", ")
        )));
    }
    Ok(chosen)
}

/// An episode with its replay scenario loaded.
#[derive(Debug, Clone)]
pub struct Replay {
    /// The episode.
    pub episode: Episode,
    /// Its replay scenario at its point values.
    pub scenario: Scenario,
}

impl Replay {
    /// Load the replay scenario of `episode`.
    pub fn load(episode: &Episode) -> Result<Replay, Error> {
        Ok(Replay {
            scenario: episode.load()?,
            episode: episode.clone(),
        })
    }

    /// Its figures with the parameters of `axes` at `u`.
    pub fn simulate(&self, axes: &[Axis], u: &[f64]) -> Result<Simulated, Error> {
        let s = apply(&self.scenario, axes, u)
            .map_err(|e| Error::Invalid(format!("{}: {e}", self.episode.replay)))?;
        self.episode.simulate(&s)
    }
}

/// How a fit runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitConfig {
    /// Particles of each ABC-SMC population.
    pub particles: usize,
    /// Each generation's tolerance: this quantile of the previous distances.
    pub quantile: f64,
    /// Stop when a generation keeps less than this share of its proposals.
    pub min_acceptance: f64,
    /// At most this many generations after the prior's.
    pub max_generations: usize,
    /// Posterior draws written (resampled from the last population by weight).
    pub draws: usize,
    /// Posterior draws replayed for the predictive intervals (the first of `draws`).
    pub predictive_draws: usize,
    /// Episodes starting on or after this date are held out (checked, not fitted).
    pub held_out_from: NaiveDate,
    /// Seed of every random choice of the fit.
    pub seed: u64,
    /// Worker threads; the result does not depend on it.
    pub threads: usize,
}

impl Default for FitConfig {
    fn default() -> Self {
        FitConfig {
            particles: 200,
            quantile: 0.5,
            min_acceptance: 0.05,
            max_generations: 8,
            draws: 1000,
            predictive_draws: 200,
            held_out_from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default(),
            seed: 0,
            threads: 1,
        }
    }
}

impl FitConfig {
    fn abc(&self) -> AbcConfig {
        AbcConfig {
            particles: self.particles,
            quantile: self.quantile,
            min_acceptance: self.min_acceptance,
            max_generations: self.max_generations,
            target_tolerance: Some(0.0),
            seed: self.seed,
            threads: self.threads,
        }
    }

    /// The seed of the resampling of the last population into `draws`.
    fn resample_seed(&self) -> u64 {
        self.seed ^ 0x9e37_79b9_7f4a_7c15
    }
}

/// One parameter's prior and posterior percentiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamSummary {
    /// The parameter's name.
    pub parameter: String,
    /// Prior p5, p50, p95.
    pub prior: [f64; 3],
    /// Posterior p5, p50, p95 (weighted, over the last population).
    pub posterior: [f64; 3],
}

/// One figure of one episode against its posterior predictive interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictiveRow {
    /// The replay's file stem.
    pub episode: String,
    /// Its label.
    pub name: String,
    /// Whether the fit left it out (held out).
    pub held_out: bool,
    /// The figure.
    pub figure: Figure,
    /// What was reported.
    pub reported: String,
    /// The band, if any.
    pub band: Option<(f64, f64)>,
    /// The figure at the replay's point values.
    pub point: f64,
    /// p5, p50, p95 over the posterior draws.
    pub interval: [f64; 3],
    /// Share of the draws whose figure is in the band (NaN without a band).
    pub in_band_share: f64,
}

impl PredictiveRow {
    /// `overlaps` when the 90% interval meets the band, `above` or `below` when it lies
    /// wholly beyond it, `no band` without one.
    pub fn verdict(&self) -> &'static str {
        match self.band {
            None => "no band",
            Some((_, hi)) if self.interval[0] > hi => "above",
            Some((lo, _)) if self.interval[2] < lo => "below",
            Some(_) => "overlaps",
        }
    }
}

/// What a fit found.
#[derive(Debug, Clone)]
pub struct Fit {
    /// The axes fitted, in order (a point's coordinate d drives axis d).
    pub axes: Vec<Axis>,
    /// The stems of the fitted episodes.
    pub fitted: Vec<String>,
    /// The stems of the held-out episodes.
    pub held_out: Vec<String>,
    /// The last ABC-SMC population (on the unit cube).
    pub population: Population,
    /// Posterior draws on the unit cube (resampled by weight).
    pub draws: Vec<Vec<f64>>,
    /// Proposals evaluated, including those of a generation's last parallel batch after
    /// it filled (ABC-SMC counts only the proposals up to the last one kept:
    /// `population.simulations()`).
    pub evaluations: u64,
    /// Distinct parameter points replayed (a repeated point is replayed once).
    pub distinct_points: u64,
    /// Episode replays run in the fit (distinct points × fitted episodes).
    pub replays: u64,
    /// Each parameter's percentiles.
    pub summary: Vec<ParamSummary>,
}

impl Fit {
    /// The parameter names, one per column of [`Fit::values`].
    pub fn names(&self) -> Vec<String> {
        self.axes
            .iter()
            .flat_map(|a| a.names().into_iter().map(String::from))
            .collect()
    }

    /// The parameter values at coordinates `u`.
    pub fn values(&self, u: &[f64]) -> Vec<f64> {
        values(&self.axes, u)
    }
}

fn values(axes: &[Axis], u: &[f64]) -> Vec<f64> {
    axes.iter()
        .zip(u)
        .flat_map(|(a, &ui)| a.values_at(ui).into_iter().map(|(_, v)| v))
        .collect()
}

fn key(axes: &[Axis], u: &[f64]) -> Vec<u64> {
    values(axes, u).iter().map(|v| v.to_bits()).collect()
}

/// Split `replays` into fitted and held out: held out are those marked so in the list
/// ([`Episode::held_out`]) and those that start on or after `held_out_from`.
pub fn split(replays: &[Replay], held_out_from: NaiveDate) -> (Vec<&Replay>, Vec<&Replay>) {
    replays
        .iter()
        .partition(|r| !is_held_out(&r.episode, held_out_from))
}

/// Whether `e` is held out: marked so in its list, or starting on or after
/// `held_out_from`.
pub fn is_held_out(e: &Episode, held_out_from: NaiveDate) -> bool {
    e.held_out || e.start >= held_out_from
}

/// Fit `axes` to the episodes of `replays` that are not held out ([`split`]).
///
/// # Errors
/// No fitted episode with a banded figure, a bad configuration, or a replay that fails
/// (an invalid drawn value, an engine error).
pub fn fit(axes: &[Axis], replays: &[Replay], config: &FitConfig) -> Result<Fit, Error> {
    let (fitted, held) = split(replays, config.held_out_from);
    let informative: Vec<&Replay> = fitted
        .iter()
        .copied()
        .filter(|r| r.episode.banded().next().is_some())
        .collect();
    if informative.is_empty() {
        return Err(Error::Invalid(format!(
            "no episode to fit: none of the {} episode(s) starting before {} has a figure with \
             a band (band_low, band_high in the episode list)",
            fitted.len(),
            config.held_out_from
        )));
    }
    if config.draws == 0 {
        return Err(Error::Invalid("draws must be at least 1".into()));
    }
    let memo: Mutex<HashMap<Vec<u64>, f64>> = Mutex::new(HashMap::new());
    let evaluations = AtomicU64::new(0);
    let distance = |u: &[f64], _rng: &mut rand_chacha::ChaCha8Rng| -> Result<f64, Error> {
        evaluations.fetch_add(1, Ordering::Relaxed);
        let k = key(axes, u);
        if let Some(d) = memo.lock().ok().and_then(|m| m.get(&k).copied()) {
            return Ok(d);
        }
        let mut d = 0.0;
        for r in &informative {
            d += r.episode.distance(&r.simulate(axes, u)?);
        }
        if let Ok(mut m) = memo.lock() {
            m.insert(k, d);
        }
        Ok(d)
    };
    let population = abc_smc(axes.len(), distance, &config.abc())?;
    let distinct_points = memo.lock().map_or(0, |m| m.len() as u64);
    let draws = population.resample(config.draws, config.resample_seed());
    let summary = summarise(axes, &population);
    Ok(Fit {
        axes: axes.to_vec(),
        fitted: fitted.iter().map(|r| r.episode.stem()).collect(),
        held_out: held.iter().map(|r| r.episode.stem()).collect(),
        evaluations: evaluations.into_inner(),
        distinct_points,
        replays: distinct_points * informative.len() as u64,
        population,
        draws,
        summary,
    })
}

fn summarise(axes: &[Axis], pop: &Population) -> Vec<ParamSummary> {
    let mut out = Vec::new();
    for (d, axis) in axes.iter().enumerate() {
        for (j, name) in axis.names().into_iter().enumerate() {
            let prior: Vec<f64> = [0.05, 0.5, 0.95]
                .iter()
                .map(|&p| axis.marginal_quantiles(p)[j].1)
                .collect();
            let post: Vec<f64> = [0.05, 0.5, 0.95]
                .iter()
                .map(|&p| pop.quantile(p, |u| axis.values_at(u[d])[j].1))
                .collect();
            out.push(ParamSummary {
                parameter: name.to_string(),
                prior: [prior[0], prior[1], prior[2]],
                posterior: [post[0], post[1], post[2]],
            });
        }
    }
    out
}

/// The p-quantile of sorted values (the order statistic at `p × (n - 1)`, interpolated).
fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = p * (sorted.len() - 1) as f64;
    let (i, f) = (h.floor() as usize, h.fract());
    let next = sorted[(i + 1).min(sorted.len() - 1)];
    sorted[i] + f * (next - sorted[i])
}

/// Replay `draws` (coordinates of `axes`) on every episode of `replays`, and each
/// episode's figures at the replays' point values: one row per episode and figure.
/// Draws at the same parameter values are replayed once. `held_out_from` marks the
/// held-out episodes.
///
/// # Errors
/// A replay that fails.
pub fn predictive(
    axes: &[Axis],
    replays: &[Replay],
    draws: &[Vec<f64>],
    held_out_from: NaiveDate,
    threads: usize,
) -> Result<Vec<PredictiveRow>, Error> {
    if draws.is_empty() {
        return Err(Error::Invalid(
            "no posterior draws to replay: expected at least one".into(),
        ));
    }
    let runner = Runner::new(threads.max(1))?;
    // Distinct points, in the order of their first draw.
    let mut distinct: Vec<&Vec<f64>> = Vec::new();
    let mut index: HashMap<Vec<u64>, usize> = HashMap::new();
    let mut of_draw = Vec::with_capacity(draws.len());
    for u in draws {
        let k = key(axes, u);
        let i = *index.entry(k).or_insert_with(|| {
            distinct.push(u);
            distinct.len() - 1
        });
        of_draw.push(i);
    }
    let jobs: Vec<(usize, usize)> = (0..replays.len())
        .flat_map(|e| (0..distinct.len()).map(move |p| (e, p)))
        .collect();
    let sims: Vec<Simulated> = runner.map(
        jobs.len() as u64,
        |j| {
            let (e, p) = jobs[j as usize];
            replays[e].simulate(axes, distinct[p])
        },
        &|j| {
            let (e, p) = jobs[j as usize];
            format!(
                " (episode {}, posterior point {p})",
                replays[e].episode.stem()
            )
        },
    )?;
    let points: Vec<Simulated> = runner.map(
        replays.len() as u64,
        |e| {
            replays[e as usize]
                .episode
                .simulate(&replays[e as usize].scenario)
        },
        &|e| {
            format!(
                " (episode {} at the point values)",
                replays[e as usize].episode.stem()
            )
        },
    )?;
    let mut rows = Vec::new();
    for (e, r) in replays.iter().enumerate() {
        for rep in &r.episode.figures {
            let f = rep.figure;
            let mut v: Vec<f64> = of_draw
                .iter()
                .map(|&p| sims[e * distinct.len() + p].get(f))
                .collect();
            let band = rep.band.map(|b| (b.low, b.high));
            let in_band_share = match rep.band {
                Some(b) => v.iter().filter(|&&x| b.contains(x)).count() as f64 / v.len() as f64,
                None => f64::NAN,
            };
            v.sort_by(f64::total_cmp);
            rows.push(PredictiveRow {
                episode: r.episode.stem(),
                name: r.episode.name.clone(),
                held_out: is_held_out(&r.episode, held_out_from),
                figure: f,
                reported: rep.reported.clone(),
                band,
                point: points[e].get(f),
                interval: [
                    quantile_sorted(&v, 0.05),
                    quantile_sorted(&v, 0.5),
                    quantile_sorted(&v, 0.95),
                ],
                in_band_share,
            });
        }
    }
    Ok(rows)
}

/// The files of a fit's output folder, by name.
pub const FILES: &[&str] = &[
    "posterior.csv",
    "summary.csv",
    "generations.csv",
    "particles.csv",
    "predictive.csv",
];

/// The fit's files (name, bytes), in [`FILES`] order:
/// - `posterior.csv`: the posterior draws, one column per parameter, one row per draw: a
///   joint CSV that an `[[uncertain]]` table reads (`joint = "posterior.csv"`);
/// - `summary.csv`: each parameter's prior and posterior p5, p50, p95;
/// - `generations.csv`: each ABC-SMC generation's tolerance, proposals simulated and
///   acceptance;
/// - `particles.csv`: the last population: each particle's parameter values, weight and
///   distance (the accepted distances);
/// - `predictive.csv`: `rows` ([`predictive`]): each episode's figures, their band, the
///   value at the point values and the posterior predictive p5, p50, p95.
pub fn files(fit: &Fit, rows: &[PredictiveRow]) -> Vec<(&'static str, Vec<u8>)> {
    use crate::study::output::csv_bytes;
    let names = fit.names();
    let posterior = csv_bytes(
        &names,
        fit.draws
            .iter()
            .map(|u| fit.values(u).into_iter().map(num).collect::<Vec<_>>()),
    );
    let summary = csv_bytes(
        &[
            "parameter",
            "prior_p5",
            "prior_p50",
            "prior_p95",
            "posterior_p5",
            "posterior_p50",
            "posterior_p95",
        ],
        fit.summary.iter().map(|s| {
            let mut r = vec![s.parameter.clone()];
            r.extend(s.prior.iter().chain(&s.posterior).map(|&v| num(v)));
            r
        }),
    );
    let generations = csv_bytes(
        &["generation", "tolerance", "simulations", "acceptance"],
        fit.population.generations.iter().enumerate().map(|(g, x)| {
            vec![
                g.to_string(),
                num(x.tolerance),
                x.simulations.to_string(),
                num(x.acceptance),
            ]
        }),
    );
    let mut header: Vec<String> = vec!["particle".into()];
    header.extend(names.iter().cloned());
    header.extend(["weight".to_string(), "distance".to_string()]);
    let p = &fit.population;
    let particles = csv_bytes(
        &header,
        p.points.iter().enumerate().map(|(i, u)| {
            let mut r = vec![i.to_string()];
            r.extend(fit.values(u).into_iter().map(num));
            r.push(num(p.weights[i]));
            r.push(num(p.distances[i]));
            r
        }),
    );
    let predictive = csv_bytes(
        &[
            "episode",
            "name",
            "held_out",
            "figure",
            "reported",
            "band_low",
            "band_high",
            "point",
            "p5",
            "p50",
            "p95",
            "in_band_share",
            "verdict",
        ],
        rows.iter().map(|r| {
            vec![
                r.episode.clone(),
                r.name.clone(),
                r.held_out.to_string(),
                r.figure.name().to_string(),
                r.reported.clone(),
                r.band.map_or(String::new(), |b| num(b.0)),
                r.band.map_or(String::new(), |b| num(b.1)),
                num(r.point),
                num(r.interval[0]),
                num(r.interval[1]),
                num(r.interval[2]),
                num(r.in_band_share),
                r.verdict().to_string(),
            ]
        }),
    );
    vec![
        ("posterior.csv", posterior),
        ("summary.csv", summary),
        ("generations.csv", generations),
        ("particles.csv", particles),
        ("predictive.csv", predictive),
    ]
}

/// The manifest record of a fit: what was fitted, to what, and how.
pub fn record(
    fit_axes: &[Axis],
    episodes: &std::path::Path,
    replays: &[Replay],
    config: &FitConfig,
) -> crate::output::manifest::FitRecord {
    let (fitted, held) = split(replays, config.held_out_from);
    crate::output::manifest::FitRecord {
        axes: fit_axes.to_vec(),
        episodes: episodes.display().to_string(),
        fitted: fitted.iter().map(|r| r.episode.stem()).collect(),
        held_out: held.iter().map(|r| r.episode.stem()).collect(),
        held_out_from: config.held_out_from.to_string(),
        particles: config.particles as u64,
        quantile: config.quantile,
        min_acceptance: config.min_acceptance,
        max_generations: config.max_generations as u64,
        draws: config.draws as u64,
        predictive_draws: config.predictive_draws as u64,
        seed: config.seed,
        distance: "sum over fitted episodes and banded figures of 0 inside the band, \
                   ln(low / max(x, low / 1000)) below, ln(x / high) above"
            .into(),
    }
}
