//! The files of an uncertainty study (docs/uncertainty.md describes every column),
//! written through the study layer's output set: each CSV atomically, the manifest last.

use std::path::Path;

use super::analysis::{analyse, Analysis};
use super::Outcome;
use crate::study::output::{csv_bytes, num, write_with_manifest};
use crate::Error;

/// The files an uncertainty study writes, in order (then `manifest.json`).
pub const FILES: [&str; 8] = [
    "points.csv",
    "losses.csv",
    "point_results.csv",
    "predictive.csv",
    "variance_split.csv",
    "indices.csv",
    "options.csv",
    "rankings.csv",
];

/// The files of `o` with analysis `a`, as (name, bytes), in the order of [`FILES`].
pub fn files(o: &Outcome, a: &Analysis) -> Vec<(&'static str, Vec<u8>)> {
    let mut out = Vec::new();
    let blocks: Vec<String> = o.points.block.iter().map(|b| b.name(&o.factors)).collect();

    // points.csv: one row per point and parameter set.
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (p, u) in o.points.u.iter().enumerate() {
        for (j, axis) in o.axes.iter().enumerate() {
            for (name, value) in &o.values[p][j] {
                rows.push(vec![
                    p.to_string(),
                    blocks[p].clone(),
                    axis.clone(),
                    name.clone(),
                    num(u[j]),
                    num(*value),
                ]);
            }
        }
    }
    out.push((
        FILES[0],
        csv_bytes(&["point", "block", "axis", "name", "u", "value"], rows),
    ));

    // losses.csv: every year of every cell.
    let mut rows: Vec<[String; 4]> = Vec::new();
    for (p, by_c) in o.losses.iter().enumerate() {
        for (c, years) in by_c.iter().enumerate() {
            for (i, l) in years.iter().enumerate() {
                rows.push([p.to_string(), o.labels[c].clone(), i.to_string(), num(*l)]);
            }
        }
    }
    out.push((
        FILES[1],
        csv_bytes(&["point", "scenario", "year", "total_loss_usd"], rows),
    ));

    // point_results.csv.
    let rows = a.points.iter().map(|r| {
        vec![
            r.point.to_string(),
            blocks[r.point].clone(),
            o.labels[r.candidate].clone(),
            num(r.mean_loss_usd),
            num(r.var95_usd),
            num(r.tvar95_usd),
            num(r.avoided_loss_usd),
            num(r.avoided_tvar95_usd),
            num(r.best_share),
            num(r.tail_share),
            num(r.benefit_cost_ratio),
            num(r.tvar95_cut_per_musd),
        ]
    });
    out.push((
        FILES[2],
        csv_bytes(
            &[
                "point",
                "block",
                "scenario",
                "mean_loss_usd",
                "var95_usd",
                "tvar95_usd",
                "avoided_loss_usd",
                "avoided_tvar95_usd",
                "best_share",
                "tail_share",
                "benefit_cost_ratio",
                "tvar95_cut_per_musd",
            ],
            rows,
        ),
    ));

    // predictive.csv.
    let rows = a.predictive.iter().map(|r| {
        vec![
            o.labels[r.candidate].clone(),
            r.statistic.clone(),
            num(r.value_usd),
            num(r.points[0]),
            num(r.points[1]),
            num(r.points[2]),
        ]
    });
    out.push((
        FILES[3],
        csv_bytes(
            &[
                "scenario",
                "statistic",
                "value_usd",
                "points_p5_usd",
                "points_p50_usd",
                "points_p95_usd",
            ],
            rows,
        ),
    ));

    // variance_split.csv.
    let rows = a.splits.iter().map(|r| {
        vec![
            r.output.clone(),
            num(r.between.estimate),
            num(r.between.low),
            num(r.between.high),
            num(r.within.estimate),
            num(r.within.low),
            num(r.within.high),
            num(r.parameter_share.estimate),
            num(r.parameter_share.low),
            num(r.parameter_share.high),
        ]
    });
    out.push((
        FILES[4],
        csv_bytes(
            &[
                "output",
                "between_usd2",
                "between_low_usd2",
                "between_high_usd2",
                "within_usd2",
                "within_low_usd2",
                "within_high_usd2",
                "parameter_share",
                "parameter_share_low",
                "parameter_share_high",
            ],
            rows,
        ),
    ));

    // indices.csv.
    let rows = a.indices.iter().map(|r| {
        vec![
            r.output.clone(),
            r.factor.clone(),
            r.index.to_string(),
            num(r.value.estimate),
            num(r.value.low),
            num(r.value.high),
            num(r.noise_share),
        ]
    });
    out.push((
        FILES[5],
        csv_bytes(
            &[
                "output",
                "factor",
                "index",
                "estimate",
                "ci_low",
                "ci_high",
                "noise_share",
            ],
            rows,
        ),
    ));

    // options.csv.
    let rows = a.options.iter().map(|r| {
        let [m, p5, p50, p95] = r.mean_p5_p50_p95;
        vec![
            o.labels[r.option].clone(),
            r.measure.to_string(),
            num(m),
            num(p5),
            num(p50),
            num(p95),
            num(r.share_above),
        ]
    });
    out.push((
        FILES[6],
        csv_bytes(
            &[
                "option",
                "measure",
                "mean",
                "p5",
                "p50",
                "p95",
                "share_above",
            ],
            rows,
        ),
    ));

    // rankings.csv.
    let rows = a.rankings.iter().map(|r| {
        vec![
            r.measure.to_string(),
            o.labels[r.first].clone(),
            o.labels[r.second].clone(),
            num(r.share_holds),
            num(r.share_tied),
            r.points.to_string(),
        ]
    });
    out.push((
        FILES[7],
        csv_bytes(
            &[
                "measure",
                "first",
                "second",
                "share_holds",
                "share_tied",
                "points",
            ],
            rows,
        ),
    ));
    out
}

/// Analyse `o` and write its files and manifest into `dir` (checked before the runs by
/// `output::folder::prepare`). Returns the analysis.
pub fn write_outputs(dir: &Path, o: &Outcome) -> Result<Analysis, Error> {
    if super::shard::shard_of(&o.manifest).is_some() {
        return Err(Error::Invalid(
            "a shard's result is partial: write it with shard::write_partial and merge the shards"
                .into(),
        ));
    }
    let a = analyse(o);
    crate::output::create_dir(dir)?;
    write_with_manifest(dir, files(o, &a), &o.manifest, "manifest.json")?;
    Ok(a)
}
