//! Shards of an uncertainty study, for clusters: `--shard k/n` simulates the points `p`
//! with `p % n == k - 1` (every scenario and year of each) and writes a partial result;
//! [`merge`] puts the shards back together into the [`Outcome`] one process would have
//! had, so the merged files equal an unsharded study's byte for byte.
//!
//! A shard's folder holds `shard.json` (the study's manifest with
//! `montecarlo.shard` set, written last: its presence marks a complete shard) and
//! [`PARTIAL_FILES`]: every year's loss of its cells, and each option's appraisal at its
//! points (an option's costs may be uncertain). Everything else (the points, the
//! parameter values, the labels) is a function of the manifest and is rebuilt from it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{points, DesignKind, Factor, Outcome};
use crate::compare::stats::Appraisal;
use crate::output::{Manifest, Shard};
use crate::study::output::{
    columns_of, csv_bytes, error_at as at, nan_if_empty, num, read_rows, write_with_manifest,
};
use crate::study::shards::{check_set, read_shard};
use crate::Error;

/// The files of a shard besides `shard.json`.
pub const PARTIAL_FILES: [&str; 2] = ["partial_losses.csv", "partial_appraisal.csv"];

/// The shard a study's manifest names, if it is a shard.
pub fn shard_of(m: &Manifest) -> Option<Shard> {
    m.montecarlo.as_ref().and_then(|m| m.shard)
}

/// Whether `dir` holds a shard of an uncertainty study (its `shard.json` says so).
pub fn is_shard(dir: &Path) -> bool {
    Manifest::read(&dir.join("shard.json")).is_ok_and(|m| m.command == "uncertainty")
}

/// Write a shard's partial result into `dir` (created if needed): [`PARTIAL_FILES`],
/// then `shard.json`.
pub fn write_partial(dir: &Path, o: &Outcome) -> Result<(), Error> {
    if shard_of(&o.manifest).is_none() {
        return Err(Error::Invalid(
            "write_partial is for a shard's result (Config::shard)".into(),
        ));
    }
    crate::output::create_dir(dir)?;
    let mut losses: Vec<[String; 4]> = Vec::new();
    let mut appraisal: Vec<[String; 6]> = Vec::new();
    for (p, by_c) in o.losses.iter().enumerate() {
        for (c, years) in by_c.iter().enumerate() {
            for (i, l) in years.iter().enumerate() {
                losses.push([p.to_string(), o.labels[c].clone(), i.to_string(), num(*l)]);
            }
            if let Some(Some(a)) = o.appraisal[p].get(c) {
                appraisal.push([
                    p.to_string(),
                    o.labels[c].clone(),
                    num(a.capital_cost_usd),
                    num(a.annual_cost_usd),
                    num(a.horizon_years),
                    num(a.discount_rate),
                ]);
            }
        }
    }
    let files = vec![
        (
            PARTIAL_FILES[0],
            csv_bytes(&["point", "scenario", "year", "total_loss_usd"], losses),
        ),
        (
            PARTIAL_FILES[1],
            csv_bytes(
                &[
                    "point",
                    "scenario",
                    "capital_cost_usd",
                    "annual_cost_usd",
                    "horizon_years",
                    "discount_rate",
                ],
                appraisal,
            ),
        ),
    ];
    write_with_manifest(dir, files, &o.manifest, "shard.json")
}

/// A row of `partial_losses.csv`.
#[derive(serde::Deserialize)]
struct LossRow {
    point: usize,
    scenario: String,
    year: u64,
    #[serde(deserialize_with = "nan_if_empty")]
    total_loss_usd: f64,
}

/// A row of `partial_appraisal.csv`.
#[derive(serde::Deserialize)]
struct AppraisalRow {
    point: usize,
    scenario: String,
    #[serde(deserialize_with = "nan_if_empty")]
    capital_cost_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    annual_cost_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    horizon_years: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    discount_rate: f64,
}

/// The design a manifest records.
fn design_of(m: &Manifest) -> Result<(DesignKind, Vec<Factor>, u64, u64), Error> {
    let u = m
        .uncertainty
        .as_ref()
        .ok_or_else(|| Error::Invalid("an uncertainty shard without its design".into()))?;
    let seed = m
        .montecarlo
        .as_ref()
        .ok_or_else(|| Error::Invalid("an uncertainty shard without its seed".into()))?
        .seed;
    let labels: Vec<String> = u.axes.iter().map(super::Axis::label).collect();
    let mut factors = Vec::new();
    for (label, axes) in &u.factors {
        let mut idx = Vec::new();
        for a in axes {
            idx.push(labels.iter().position(|l| l == a).ok_or_else(|| {
                Error::Invalid(format!(
                    "factor `{label}` names axis `{a}`, which the design has not"
                ))
            })?);
        }
        factors.push(Factor {
            label: label.clone(),
            axes: idx,
        });
    }
    let design = match u.design.as_str() {
        "random" => DesignKind::Random {
            points: u.points as usize,
        },
        "sobol" => DesignKind::Sobol {
            points: u.points as usize,
        },
        "saltelli" => DesignKind::Saltelli {
            base_points: u.base_points.unwrap_or(0) as usize,
        },
        other => {
            return Err(Error::Invalid(format!(
                "design `{other}`: expected random, sobol or saltelli"
            )))
        }
    };
    Ok((design, factors, seed, u.years))
}

/// Put the shards in `dirs` (any order) back together: the [`Outcome`] of the same study
/// run in one process. Refuses a folder that is not a complete uncertainty shard, shards
/// of different studies, a missing or repeated shard, and partial files that do not
/// hold exactly their points' cells, naming the file and line.
pub fn merge(dirs: &[PathBuf]) -> Result<Outcome, Error> {
    let mut shards = Vec::new();
    for d in dirs {
        let (m, s) = read_shard(d, Some("uncertainty"), shard_of)?;
        shards.push((d.clone(), m, s));
    }
    check_set(&shards, &["montecarlo.shard", "files"])?;
    let mut manifest = shards[0].1.clone();
    manifest.files.clear();
    if let Some(mc) = manifest.montecarlo.as_mut() {
        mc.shard = None;
    }
    let (design, factors, seed, years) = design_of(&manifest)?;
    let rec = manifest.uncertainty.as_ref().expect("checked by design_of");
    let axes = rec.axes.clone();
    let bootstrap = (rec.bootstrap_resamples, seed);
    let pts = points(design, axes.len(), &factors, seed)?;
    let mut labels = vec![crate::compare::BASE_LABEL.to_string()];
    if let Some(c) = &manifest.compare {
        labels.extend(c.options.iter().map(|o| o.label.clone()));
    }
    let c_n = labels.len();
    let p_n = pts.u.len();
    let mut losses: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); c_n]; p_n];
    let mut appraisal: Vec<Vec<Option<Appraisal>>> = vec![vec![None; c_n]; p_n];
    for (d, _, s) in &shards {
        // The cell (point, scenario index) of a row of `path`, which must be one of this
        // shard's.
        let cell = |path: &Path, line: u64, p: usize, label: &str| -> Result<usize, Error> {
            if p >= p_n || !s.contains(p as u64) {
                return Err(at(
                    path,
                    line,
                    "point",
                    format!("point {p} is not a point of shard {s}"),
                ));
            }
            labels.iter().position(|l| l == label).ok_or_else(|| {
                at(
                    path,
                    line,
                    "scenario",
                    format!("scenario `{label}` is not one of the study's"),
                )
            })
        };
        let path = d.join(PARTIAL_FILES[0]);
        read_rows(&path, columns_of::<LossRow>(), |line, r: LossRow| {
            let c = cell(&path, line, r.point, &r.scenario)?;
            let v = &mut losses[r.point][c];
            if r.year != v.len() as u64 || r.year >= years {
                return Err(at(
                    &path,
                    line,
                    "year",
                    format!(
                        "year {} out of order (expected year {} of 0..{years})",
                        r.year,
                        v.len()
                    ),
                ));
            }
            v.push(r.total_loss_usd);
            Ok(())
        })?;
        let path = d.join(PARTIAL_FILES[1]);
        read_rows(
            &path,
            columns_of::<AppraisalRow>(),
            |line, r: AppraisalRow| {
                let c = cell(&path, line, r.point, &r.scenario)?;
                if c == 0 || appraisal[r.point][c].is_some() {
                    return Err(at(
                        &path,
                        line,
                        "scenario",
                        format!(
                            "an appraisal of `{}` at point {} is not expected here",
                            r.scenario, r.point
                        ),
                    ));
                }
                appraisal[r.point][c] = Some(Appraisal {
                    capital_cost_usd: r.capital_cost_usd,
                    annual_cost_usd: r.annual_cost_usd,
                    horizon_years: r.horizon_years,
                    discount_rate: r.discount_rate,
                });
                Ok(())
            },
        )?;
    }
    let mut by_point: BTreeMap<usize, usize> = BTreeMap::new();
    for (p, by_c) in losses.iter().enumerate() {
        for (c, v) in by_c.iter().enumerate() {
            if v.len() as u64 != years {
                return Err(Error::Invalid(format!(
                    "the shards hold {} of the {years} years of point {p}, scenario `{}`",
                    v.len(),
                    labels[c]
                )));
            }
            if c > 0 && appraisal[p][c].is_none() {
                *by_point.entry(p).or_default() += 1;
            }
        }
    }
    if let Some((p, _)) = by_point.into_iter().next() {
        return Err(Error::Invalid(format!(
            "the shards hold no appraisal of the options at point {p}"
        )));
    }
    let values = pts
        .u
        .iter()
        .map(|u| axes.iter().zip(u).map(|(a, &x)| a.values_at(x)).collect())
        .collect();
    Ok(Outcome {
        manifest,
        labels,
        axes: axes.iter().map(super::Axis::label).collect(),
        factors,
        independent: design.independent(),
        points: pts,
        values,
        losses,
        appraisal,
        bootstrap,
    })
}
