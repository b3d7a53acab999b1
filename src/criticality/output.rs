//! The files and the terminal table of a criticality study. `docs/outputs.md` lists every
//! column; in short:
//!
//! | file | one row per | |
//! |---|---|---|
//! | `criticality.csv` | closure set (N-1 corridor or N-k set), ranked | losses by component (USD), peak stranded trucks, truck-days, days to recover, welfare loss (USD); the loss the set adds to the background closures' (`added_loss_usd`, the ranking's key; the total loss without background closures) |
//! | `diversion.csv` | set x corridor | t/day before, during and after the closure, against the counterfactual; t over the run |
//! | `contributions.csv` | corridor, ranked (with `--runs`) | contribution to the mean annual loss and to TVaR95 (USD) with 95% CIs, share, ranking stability |
//! | `contribution_summary.csv` | statistic (with `--runs`) | the base study's mean and TVaR95, the probability that the whole ranking holds |
//! | `contribution_runs.csv` | run x corridor (with `--runs`) | base loss, loss without the corridor's closures, their difference (USD) |

use std::fmt::Write as _;
use std::path::Path;

use super::{ranked, McView, SetResult};
use crate::output::{create_dir, money, whole, Manifest};
use crate::study::metrics::{self, Study};
use crate::study::output::{csv_bytes, num, write_with_manifest};
use crate::{Error, Scenario};

/// Write the study's files into `dir` (checked with
/// [`crate::output::folder::prepare`] first), then `manifest.json` listing them.
pub fn write(
    dir: &Path,
    scenario: &Scenario,
    results: &[SetResult],
    mc: Option<&McView>,
    manifest: &Manifest,
) -> Result<(), Error> {
    create_dir(dir)?;
    let mut files: Vec<(&str, Vec<u8>)> = Vec::new();
    let start = manifest
        .criticality
        .as_ref()
        .map(|c| c.start.clone())
        .unwrap_or_default();
    let duration = manifest.criticality.as_ref().map_or(0, |c| c.duration_days);
    let columns = metrics::of(Study::Criticality);
    let rows = ranked(results).into_iter().map(|(rank, r)| {
        let m = &r.metrics;
        let mut row = vec![
            r.set.kind().to_string(),
            rank.to_string(),
            r.set.name.clone(),
            r.set.corridors.join(" "),
            start.clone(),
            duration.to_string(),
        ];
        // The metric table's columns (a whole number without a decimal point, an
        // undefined value empty), then the loss the set adds.
        row.extend(columns.iter().map(|x| x.cell((x.value)(m))));
        row.push(num(r.added_loss_usd()));
        row
    });
    let mut header = vec![
        "kind",
        "rank",
        "set",
        "corridors",
        "start_date",
        "duration_days",
    ];
    header.extend(columns.iter().map(|x| x.name));
    header.push("added_loss_usd");
    files.push(("criticality.csv", csv_bytes(&header, rows)));

    let mut rows = Vec::new();
    for (_, r) in ranked(results) {
        for d in &r.diversion {
            rows.push(vec![
                r.set.name.clone(),
                d.corridor.clone(),
                r.set.corridors.contains(&d.corridor).to_string(),
                num(d.before_t_per_day),
                num(d.during_t_per_day),
                num(d.counterfactual_during_t_per_day),
                num(d.during_t_per_day - d.counterfactual_during_t_per_day),
                num(d.after_t_per_day),
                num(d.counterfactual_after_t_per_day),
                num(d.delivered_t),
                num(d.counterfactual_t),
            ]);
        }
    }
    files.push((
        "diversion.csv",
        csv_bytes(
            &[
                "set",
                "corridor",
                "closed",
                "before_t_per_day",
                "during_t_per_day",
                "counterfactual_during_t_per_day",
                "diverted_t_per_day",
                "after_t_per_day",
                "counterfactual_after_t_per_day",
                "delivered_t",
                "counterfactual_t",
            ],
            rows,
        ),
    ));

    if let Some(v) = mc {
        let rows = v.contributions.iter().map(|c| {
            vec![
                c.rank.to_string(),
                c.corridor.clone(),
                c.mean.n.to_string(),
                c.runs_closed.to_string(),
                num(c.mean.mean),
                num(c.mean.se),
                num(c.mean.ci_low),
                num(c.mean.ci_high),
                num(c.share_of_mean),
                num(c.tvar95_usd),
                num(c.tvar95_ci.0),
                num(c.tvar95_ci.1),
                num(c.p_rank_holds),
                num(c.p_above_next),
            ]
        });
        files.push((
            "contributions.csv",
            csv_bytes(
                &[
                    "rank",
                    "corridor",
                    "runs",
                    "runs_closed",
                    "mean_contribution_usd",
                    "se_usd",
                    "ci_low_usd",
                    "ci_high_usd",
                    "share_of_mean_loss",
                    "tvar95_contribution_usd",
                    "tvar95_ci_low_usd",
                    "tvar95_ci_high_usd",
                    "p_rank_holds",
                    "p_above_next",
                ],
                rows,
            ),
        ));
        let sum: f64 = v.contributions.iter().map(|c| c.mean.mean).sum();
        let summary: Vec<[String; 2]> = [
            ("runs", v.base.n as f64),
            ("base_mean_total_loss_usd", v.base.mean),
            ("base_ci_low_usd", v.base.ci_low),
            ("base_ci_high_usd", v.base.ci_high),
            ("base_tvar95_usd", v.base.tvar95),
            ("sum_of_mean_contributions_usd", sum),
            ("p_order_holds", v.p_order_holds),
            ("bootstrap_resamples", v.resamples as f64),
        ]
        .iter()
        .map(|(k, x)| [k.to_string(), num(*x)])
        .collect();
        files.push((
            "contribution_summary.csv",
            csv_bytes(&["metric", "value"], summary),
        ));
        let mut rows = Vec::new();
        for r in &v.runs {
            for (c, corr) in scenario.corridors.iter().enumerate() {
                rows.push(vec![
                    r.run.to_string(),
                    corr.id.clone(),
                    r.closed[c].to_string(),
                    num(r.base_loss_usd),
                    num(r.without_usd[c]),
                    num(r.base_loss_usd - r.without_usd[c]),
                ]);
            }
        }
        files.push((
            "contribution_runs.csv",
            csv_bytes(
                &[
                    "run",
                    "corridor",
                    "closed",
                    "base_total_loss_usd",
                    "total_loss_without_usd",
                    "contribution_usd",
                ],
                rows,
            ),
        ));
    }
    // What the study warns about (see [`super::warnings`]), for the report.
    let start_day = crate::scenario::parse_date(&start)
        .map(|d| scenario.day_of(d))
        .unwrap_or(super::AROUND_DAYS);
    let warnings = super::warnings::check(scenario, start_day, duration, results);
    files.push((
        "warnings.csv",
        csv_bytes(
            &["concerns", "warning"],
            warnings.into_iter().map(|w| vec![w.concerns, w.text]),
        ),
    ));
    write_with_manifest(dir, files, manifest, "manifest.json")
}

/// The readable tables the command prints: the ranking with its components, where the
/// diverted trade went for the top sets, and the Monte Carlo view.
pub fn text(results: &[SetResult], mc: Option<&McView>) -> String {
    let mut s = String::new();
    let ranked = ranked(results);
    // With background closures the ranking is by the loss each set adds to theirs.
    let background = results.iter().any(|r| r.background_loss_usd != 0.0);
    let mut kind = "";
    for (rank, r) in &ranked {
        if r.set.kind() != kind {
            kind = r.set.kind();
            let _ = writeln!(
                s,
                "\n{kind}: {}\n  {:>4} {:<20} {:>11} {:>10} {:>10} {:>10} {:>10} {:>8}",
                match (r.set.n_minus_1, background) {
                    (true, false) => "each corridor closed alone, by total loss",
                    (true, true) => "each corridor closed alone, by the loss it adds",
                    (false, _) => "the sets of corridors closed together",
                },
                "rank",
                "closed",
                if background {
                    "added loss"
                } else {
                    "total loss"
                },
                "reroute",
                "delay",
                "spoilage",
                "lost trade",
                "peak trk"
            );
        }
        let m = &r.metrics;
        let short = |v: f64| money(v).trim_start_matches("USD ").to_string();
        let _ = writeln!(
            s,
            "  {:>4} {:<20} {:>11} {:>10} {:>10} {:>10} {:>10} {:>8}",
            rank,
            r.set.name,
            money(r.added_loss_usd()),
            short(m.reroute_cost_usd),
            short(m.delay_cost_usd),
            short(m.spoilage_usd),
            short(m.lost_trade_usd),
            whole(m.peak_stranded_trucks)
        );
    }
    // Where the diverted trade went: the top two N-1 closures and every N-k set.
    let mut shown = 0;
    for (_, r) in &ranked {
        if r.set.n_minus_1 && shown >= 2 {
            continue;
        }
        if r.set.n_minus_1 {
            shown += 1;
        }
        let mut gains: Vec<_> = r
            .diversion
            .iter()
            .filter(|d| !r.set.corridors.contains(&d.corridor))
            .map(|d| (d, d.during_t_per_day - d.counterfactual_during_t_per_day))
            .filter(|(_, g)| g.is_finite() && g.abs() >= 0.5)
            .collect();
        gains.sort_by(|a, b| b.1.total_cmp(&a.1));
        let _ = writeln!(
            s,
            "\nwhile {} was closed, t/day (before / during / counterfactual during):",
            r.set.name
        );
        for d in r
            .diversion
            .iter()
            .filter(|d| r.set.corridors.contains(&d.corridor))
        {
            let _ = writeln!(
                s,
                "  {:<20} {:>8} {:>8} {:>8}  (closed)",
                d.corridor,
                whole(d.before_t_per_day),
                whole(d.during_t_per_day),
                whole(d.counterfactual_during_t_per_day)
            );
        }
        for (d, g) in gains.iter().take(6) {
            let _ = writeln!(
                s,
                "  {:<20} {:>8} {:>8} {:>8}  ({:+.0} t/day)",
                d.corridor,
                whole(d.before_t_per_day),
                whole(d.during_t_per_day),
                whole(d.counterfactual_during_t_per_day),
                g
            );
        }
        if gains.is_empty() {
            let _ = writeln!(s, "  no other corridor took more than 0.5 t/day more");
        }
    }
    if let Some(v) = mc {
        let _ = writeln!(
            s,
            "\nMonte Carlo ({} runs): mean annual loss {} (95% CI {} to {}), TVaR95 {}",
            v.base.n,
            money(v.base.mean),
            money(v.base.ci_low),
            money(v.base.ci_high),
            money(v.base.tvar95)
        );
        let _ = writeln!(
            s,
            "each corridor's contribution = base - the same runs with its closures switched off\n  {:>4} {:<18} {:>11} {:>25} {:>6} {:>11} {:>25} {:>6}",
            "rank", "corridor", "mean", "95% CI (paired)", "share", "TVaR95", "95% CI (bootstrap)", "P(rank)"
        );
        for c in &v.contributions {
            let _ = writeln!(
                s,
                "  {:>4} {:<18} {:>11} {:>25} {:>5.0}% {:>11} {:>25} {:>6.2}",
                c.rank,
                c.corridor,
                money(c.mean.mean),
                format!("{} .. {}", money(c.mean.ci_low), money(c.mean.ci_high)),
                100.0 * c.share_of_mean + 0.0,
                money(c.tvar95_usd),
                format!("{} .. {}", money(c.tvar95_ci.0), money(c.tvar95_ci.1)),
                c.p_rank_holds
            );
        }
        let _ = writeln!(
            s,
            "the whole ranking holds in {:.0}% of {} bootstrap resamples of the runs (fixed seed)",
            100.0 * v.p_order_holds,
            v.resamples
        );
    }
    s
}
