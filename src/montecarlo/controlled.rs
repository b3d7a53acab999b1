//! The Monte Carlo's means with control variates: features of each run's closure plan
//! ([`PlanFeatures`]: lost capacity-days per target in the window and after it) as
//! controls, their means from many cheap plan draws, and the estimator of
//! [`crate::control_variates`].
//!
//! A run's plan is a function of (seed, run index) alone, so its features are drawn
//! again here rather than kept by the runs. The control means come from `draws` plans
//! drawn from the same law on random streams of their own
//! ([`ClosureSampler::sample_one_stream`] from `substream(run_rng(seed, 0),
//! "controls/means")` on stream `j` for draw `j`): the study's runs are not changed, and
//! the means are the same for any thread count (draws are summarised in chunks of
//! [`CHUNK`], merged in order).

use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::{fixed_closures, run_rng, Config, RunRecord};
use crate::closure::{substream, ClosureSampler, ClosureWindow, PlanFeatures};
use crate::control_variates::{estimate, ControlMeans, Controlled, Moments};
use crate::study::metrics::Study;
use crate::study::output::num;
use crate::{Error, Scenario};

/// Plans per chunk of the control-mean draws.
pub const CHUNK: u64 = 1000;

/// The controls of a study: how to compute a run's plan features, and their means.
#[derive(Debug, Clone)]
pub struct Controls {
    features: PlanFeatures,
    names: Vec<String>,
    means: ControlMeans,
    sampler: ClosureSampler,
    fixed: Vec<ClosureWindow>,
    seed: u64,
    days: u32,
}

impl Controls {
    /// The controls of a study of `scenario` with `config` (runs drawn as
    /// [`super::simulate`] draws them), their means from `draws` plans (at least 2), on
    /// `config.threads` threads. `pairs` adds the overlaps of every pair of targets.
    ///
    /// # Errors
    /// A bad closure model or regime start, fewer than 2 draws, or threads that cannot
    /// start.
    pub fn new(
        scenario: &Scenario,
        config: &Config,
        draws: u64,
        pairs: bool,
    ) -> Result<Controls, Error> {
        let mut sampler = scenario.closure_sampler()?;
        if let Some(start) = config.regime_start {
            sampler = sampler.with_regime_start(start)?;
        }
        let days = scenario.settings.days;
        let features = PlanFeatures::new(
            sampler.targets(),
            days,
            scenario.settings.runout_max_days,
            pairs,
        );
        let names = features.names(|t| scenario.target_name(t).to_string());
        let fixed = fixed_closures(scenario, config);
        let k = features.len();
        let base = substream(&run_rng(config.seed, 0), "controls/means");
        let chunks: Vec<u64> = (0..draws.div_ceil(CHUNK)).collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(config.threads.max(1))
            .build()
            .map_err(|e| Error::Invalid(format!("cannot start {} threads: {e}", config.threads)))?;
        let parts: Vec<Moments> = pool.install(|| {
            chunks
                .par_iter()
                .map(|&c| {
                    let mut m = Moments::new(k);
                    let (mut lost, mut out) = (Vec::new(), vec![0.0; k]);
                    let mut plan = fixed.clone();
                    for j in c * CHUNK..((c + 1) * CHUNK).min(draws) {
                        let mut g: ChaCha8Rng = base.clone();
                        g.set_stream(j);
                        plan.truncate(fixed.len());
                        plan.extend(sampler.sample_one_stream(0, days, &mut g));
                        features.compute(&plan, &mut lost, &mut out);
                        m.push(&out);
                    }
                    m
                })
                .collect()
        });
        let mut all = Moments::new(k);
        for p in &parts {
            all.merge(p);
        }
        Ok(Controls {
            means: ControlMeans::from_moments(&all)?,
            features,
            names,
            sampler,
            fixed,
            seed: config.seed,
            days,
        })
    }

    /// The number of controls.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// Whether there are none (no random closures).
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// The controls' names.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Their means and the error of those.
    pub fn means(&self) -> &ControlMeans {
        &self.means
    }

    /// The controls of the runs `runs`, `runs.len() x len()`, row-major.
    pub fn of_runs(&self, runs: &[u64]) -> Vec<f64> {
        let k = self.len();
        let mut x = vec![0.0; runs.len() * k];
        let mut lost = Vec::new();
        let mut plan = self.fixed.clone();
        for (row, &i) in x.chunks_exact_mut(k.max(1)).zip(runs) {
            plan.truncate(self.fixed.len());
            plan.extend(self.sampler.sample(0, self.days, &run_rng(self.seed, i)));
            self.features.compute(&plan, &mut lost, row);
        }
        x
    }
}

/// The metrics estimated with controls, as named in `controlled.csv`, in its order (the
/// metric table's [`Study::Controlled`]).
pub fn metrics() -> Vec<&'static crate::study::metrics::Metric> {
    crate::study::metrics::of(Study::Controlled)
}

/// The plain and controlled estimate of one metric's mean.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricEstimate {
    /// The metric (a `runs.csv` column).
    pub metric: &'static str,
    /// Both estimates.
    pub estimate: Controlled,
}

/// The plain and controlled means of [`metrics`] over `records`; `x` is
/// [`Controls::of_runs`] of their runs.
///
/// # Errors
/// Too few runs for the controls (at least `len() + 3`).
pub fn analyse(
    controls: &Controls,
    records: &[RunRecord],
    x: &[f64],
) -> Result<Vec<MetricEstimate>, Error> {
    metrics()
        .into_iter()
        .map(|metric| {
            let y: Vec<f64> = records
                .iter()
                .map(|r| (metric.value)(&r.metrics).unwrap_or(f64::NAN))
                .collect();
            Ok(MetricEstimate {
                metric: metric.name,
                estimate: estimate(&y, x, controls.len(), controls.means())?,
            })
        })
        .collect()
}

/// The controlled estimate of the mean total loss over `records`.
///
/// # Errors
/// As [`analyse`].
pub fn total_loss(
    controls: &Controls,
    records: &[RunRecord],
    x: &[f64],
) -> Result<Controlled, Error> {
    let y: Vec<f64> = records.iter().map(|r| r.metrics.total_loss_usd).collect();
    estimate(&y, x, controls.len(), controls.means())
}

/// The files of the controlled estimates, for the study's output set (they are listed in
/// its manifest like every other file): `controlled.csv` (plain and controlled estimate
/// of each metric) and `controls.csv` (each control's mean, its error, and its weight
/// for the total loss).
pub fn files(
    controls: &Controls,
    estimates: &[MetricEstimate],
    x: &[f64],
) -> Vec<(&'static str, Vec<u8>)> {
    let mut text = String::from(
        "metric,estimator,runs,mean,se,ci_low,ci_high,rel_error,variance_reduction,\
         effective_runs,controls,r_squared,control_mean_share,control_draws\n",
    );
    for m in estimates {
        let e = &m.estimate;
        for (name, i, vrf, eff) in [
            ("plain", &e.plain, 1.0, e.n as f64),
            (
                "controlled",
                &e.controlled,
                e.variance_reduction,
                e.effective_runs,
            ),
        ] {
            text.push_str(&format!(
                "{},{name},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                m.metric,
                e.n,
                num(i.mean),
                num(i.se),
                num(i.ci_low),
                num(i.ci_high),
                num(i.relative_error()),
                num(vrf),
                num(eff),
                if name == "plain" { 0 } else { e.rank },
                num(if name == "plain" { 0.0 } else { e.r_squared }),
                num(if name == "plain" {
                    0.0
                } else {
                    e.control_mean_share
                }),
                controls.means().draws,
            ));
        }
    }
    let controlled = text.into_bytes();
    let mut text =
        String::from("control,mean,mean_se,coefficient_total_loss,variance_share_total_loss\n");
    let total = estimates.iter().find(|m| m.metric == "total_loss_usd");
    let k = controls.len();
    let n = x.len() / k.max(1);
    let loss_var = total.map_or(0.0, |t| t.estimate.plain.se.powi(2) * t.estimate.n as f64);
    for (a, name) in controls.names().iter().enumerate() {
        let col: Vec<f64> = (0..n).map(|i| x[i * k + a]).collect();
        let var = crate::montecarlo::stats::mean_sd(&col).1.powi(2);
        let beta = total.map_or(0.0, |t| t.estimate.coefficients[a]);
        let share = if loss_var > 0.0 {
            beta * beta * var / loss_var
        } else {
            0.0
        };
        text.push_str(&format!(
            "{name},{},{},{},{}\n",
            num(controls.means().mean[a]),
            num(controls.means().error_cov[a * k + a].sqrt()),
            num(beta),
            num(share),
        ));
    }
    vec![
        ("controlled.csv", controlled),
        ("controls.csv", text.into_bytes()),
    ]
}
