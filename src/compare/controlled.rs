//! Control variates for a comparison: the plain and the controlled estimate, side by
//! side, of each candidate's mean total loss and of each option's mean avoided loss
//! (base minus option, run by run), in each future.
//!
//! Every candidate of a future runs the same years on the same run generators (common
//! random numbers), so one set of controls serves them all: the features of each run's
//! closure plan as the future's *base* scenario draws it
//! ([`crate::montecarlo::controlled::Controls`]: lost capacity-days per target in and
//! after the window), with means from cheap plan draws. An option's own added processes
//! draw on their own substreams and are not in the features; the estimator stays
//! unbiased (the features are functions of the run's generator with known means), it
//! only explains less of such an option's variance. The estimator, its standard error
//! (HC3, control-mean error included) and its honesty tests are those of
//! [`crate::control_variates`] and `tests/integration/controls.rs`.

use std::path::PathBuf;

use crate::control_variates::{estimate, Controlled};
use crate::montecarlo::controlled::{self, ControlSet, Controls, File};
use crate::Error;

use super::output::part_dir;
use super::{Config, Outcome, Study};

/// One estimate of a comparison's controlled analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// The future.
    pub future: String,
    /// The candidate (for `total_loss_usd`) or the option (for `avoided_loss_usd`).
    pub candidate: String,
    /// `total_loss_usd` (the candidate's mean annual loss) or `avoided_loss_usd` (base
    /// minus option, paired run by run).
    pub quantity: &'static str,
    /// Plain and controlled, side by side.
    pub estimate: Controlled,
}

/// The controlled analysis of a whole comparison: per future, the controls of its base
/// scenario (means from `draws` plan draws, at least 2) and the estimates of every
/// candidate's mean loss and every option's mean avoided loss.
///
/// # Errors
/// A shard's partial outcome (its runs are a slice), a future that cannot be applied,
/// a bad closure model, fewer than 2 draws, or fewer runs than the estimator needs.
pub fn analyse(
    study: &Study,
    config: &Config,
    outcome: &Outcome,
    draws: u64,
) -> Result<Vec<Estimate>, Error> {
    if config.mc.shard.is_some() {
        return Err(Error::Invalid(
            "controls need the whole comparison, not a shard: run them after merging".into(),
        ));
    }
    let futures = study.future_list();
    let mut out = Vec::new();
    for (f, future) in futures.iter().enumerate() {
        let (scenario, mc) = future_config(study, config, future)?;
        let controls = Controls::new(&scenario, &mc, draws, false)?;
        if controls.is_empty() {
            return Err(Error::Invalid(format!(
                "future `{}`: the base has no random closure process, so there is nothing \
                 to control for",
                future.name
            )));
        }
        let runs: Vec<u64> = outcome.columns[f][0].runs.clone();
        let x = controls.of_runs(&runs);
        estimates_of(outcome, f, controls.set(), &x, &mut out)?;
    }
    Ok(out)
}

/// The base scenario of `future` and the Monte Carlo configuration of its cells: the
/// future's own regime start (in the scenario it gives) first, else the command line's.
fn future_config(
    study: &Study,
    config: &Config,
    future: &super::Future,
) -> Result<(crate::Scenario, crate::montecarlo::Config), Error> {
    let scenario = future.apply(&study.base.scenario)?;
    let mut mc = config.mc.clone();
    if future.regime_start.is_some() {
        mc.regime_start = None;
    }
    Ok((scenario, mc))
}

/// The estimates of future `f` of `outcome` (every candidate's mean loss, every
/// option's mean avoided loss) with the controls `set` whose values for the future's
/// runs are `x`, onto `out`.
fn estimates_of(
    outcome: &Outcome,
    f: usize,
    set: &ControlSet,
    x: &[f64],
    out: &mut Vec<Estimate>,
) -> Result<(), Error> {
    let future = &outcome.futures[f];
    let (k, means) = (set.len(), &set.means);
    let base_loss = outcome.losses(f, 0);
    for (c, label) in outcome.labels.iter().enumerate() {
        let loss = outcome.losses(f, c);
        out.push(Estimate {
            future: future.clone(),
            candidate: label.clone(),
            quantity: "total_loss_usd",
            estimate: estimate(&loss, x, k, means)?,
        });
        if c > 0 {
            let avoided: Vec<f64> = base_loss.iter().zip(&loss).map(|(b, o)| b - o).collect();
            out.push(Estimate {
                future: future.clone(),
                candidate: label.clone(),
                quantity: "avoided_loss_usd",
                estimate: estimate(&avoided, x, k, means)?,
            });
        }
    }
    Ok(())
}

/// A comparison shard's files for the controls of the merged comparison, per future
/// (by index): those of a Monte Carlo shard ([`crate::montecarlo::controlled::shard_files`])
/// of the future's base, for its base part (`part-F-0`), for the shard's runs. None
/// without random closures. They depend on the plans alone, not on the runs' results:
/// a shard makes them before its runs (see [`super::output::ShardWriter::create`]).
///
/// # Errors
/// A `config` without a shard, a future that cannot be applied, a bad closure model.
pub fn shard_files(
    study: &Study,
    config: &Config,
    draws: u64,
) -> Result<Vec<(usize, Vec<File>)>, Error> {
    let runs = crate::study::runs(config.mc.runs, config.mc.shard);
    let mut out = Vec::new();
    for (f, future) in study.future_list().iter().enumerate() {
        let (scenario, mc) = future_config(study, config, future)?;
        out.push((f, controlled::shard_files(&scenario, &mc, draws, &runs)?));
    }
    Ok(out)
}

/// The estimates of the merged comparison `outcome` whose shards are in `dirs`, from
/// the controls their base parts carry ([`shard_files`]), as one process computes
/// them: `Ok(Err(note))` when a shard carries none, or the runs are too few.
///
/// # Errors
/// A shard's control file that cannot be read or does not fit the others.
pub fn from_shards(
    dirs: &[PathBuf],
    outcome: &Outcome,
) -> Result<Result<Vec<Estimate>, String>, Error> {
    let mut out = Vec::new();
    for f in 0..outcome.futures.len() {
        let parts: Vec<PathBuf> = dirs.iter().map(|d| d.join(part_dir(f, 0))).collect();
        let c = match controlled::from_shards(&parts)? {
            Ok(c) => c,
            Err(note) => return Ok(Err(note)),
        };
        let runs: Vec<u64> = outcome.columns[f][0].runs.clone();
        if runs != c.runs {
            return Err(Error::Invalid(format!(
                "the shards' {} hold {} runs' plan features, their runs {}",
                controlled::FEATURES_FILE,
                c.runs.len(),
                runs.len()
            )));
        }
        if let Err(e) = estimates_of(outcome, f, &c.set, &c.x, &mut out) {
            return Ok(Err(format!("no controlled estimate: {e}")));
        }
    }
    Ok(Ok(out))
}

/// `controlled.csv` of a comparison: one row per future, candidate, quantity and
/// estimator (plain, controlled).
pub fn csv(estimates: &[Estimate]) -> Vec<u8> {
    let mut text = String::from(
        "future,candidate,quantity,estimator,runs,mean,se,ci_low,ci_high,variance_reduction,\
         effective_runs,r_squared\n",
    );
    use crate::study::output::num;
    for e in estimates {
        let c = &e.estimate;
        for (name, i) in [("plain", &c.plain), ("controlled", &c.controlled)] {
            text.push_str(&format!(
                "{},{},{},{name},{},{},{},{},{},{},{},{}\n",
                e.future,
                e.candidate,
                e.quantity,
                c.n,
                num(i.mean),
                num(i.se),
                num(i.ci_low),
                num(i.ci_high),
                num(c.variance_reduction),
                num(c.effective_runs),
                num(c.r_squared)
            ));
        }
    }
    text.into_bytes()
}
