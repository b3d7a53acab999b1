//! The report of a `chokepoint compare` folder: `differences.csv`, `wins.csv`,
//! `best.csv`, `benefit_cost.csv` and `futures.csv`.

use std::path::Path;

use super::chart::{Band, BarChart, BarValue, Key, Line, XLabels, XyChart, PALETTE};
use super::data::Csv;
use super::html::{musd, num, Figure, Page, Table};
use super::manifest::ManifestInfo;
use crate::Error;

const KIND: &str = "compare";

fn pct(p: f64) -> String {
    if p.is_finite() {
        format!("{}%", num(100.0 * p, 1))
    } else {
        "-".into()
    }
}

/// What the figures of the page read, prepared once.
struct Ctx {
    diffs: Csv,
    wins: Csv,
    best: Csv,
    bc: Csv,
    fut: Csv,
    first: String,
    futures_n: usize,
    in_future: String,
    f_c: usize,
}

/// The report of a `compare` folder.
pub(super) fn page<'a>(dir: &Path, info: &'a ManifestInfo) -> Result<Page<'a>, Error> {
    let diffs = Csv::read(dir, "differences.csv", KIND)?;
    let wins = Csv::read(dir, "wins.csv", KIND)?;
    let best = Csv::read(dir, "best.csv", KIND)?;
    let bc = Csv::read(dir, "benefit_cost.csv", KIND)?;
    let fut = Csv::read(dir, "futures.csv", KIND)?;

    // The first future is the one the charts of single-future figures show.
    let [f_c] = bc.cols(["future"])?;
    let first = if bc.rows.is_empty() {
        return Err(bc.error("has no rows: no option was compared"));
    } else {
        bc.text(0, f_c).to_string()
    };
    let futures_n = {
        let [c] = fut.cols(["future"])?;
        let mut names: Vec<String> = (0..fut.rows.len())
            .map(|r| fut.text(r, c).to_string())
            .collect();
        names.dedup();
        names.len()
    };
    let in_future = if futures_n > 1 {
        format!(" (future {first})")
    } else {
        String::new()
    };

    let cx = Ctx {
        diffs,
        wins,
        best,
        bc,
        fut,
        first,
        futures_n,
        in_future,
        f_c,
    };
    let mut figures = Vec::new();
    figures.extend(paired(&cx)?);
    figures.extend(best_option(&cx)?);
    figures.extend(benefit_cost(&cx)?);
    figures.extend(regret(dir, &cx)?);
    let facts = vec![(
        "compared".to_string(),
        format!(
            "{} option(s) against the base in {} future(s); the charts of one future show {}",
            cx.bc.rows.len() / cx.futures_n.max(1),
            cx.futures_n,
            cx.first
        ),
    )];
    Ok(Page {
        info,
        dir: dir.display().to_string(),
        what: "Comparison of options".into(),
        facts,
        notes: Vec::new(),
        figures,
    })
}

/// 1. Paired differences of total loss, each option against the base.
fn paired(cx: &Ctx) -> Result<Vec<Figure>, Error> {
    let diffs = &cx.diffs;
    let first = &cx.first;
    let in_future = &cx.in_future;
    let mut figures = Vec::new();
    // 1. Paired differences of total loss, each option against the base.
    let [df, dopt, dag, dm, dmean, dlo, dhi, ulo, uhi, vr] = diffs.cols([
        "future",
        "option",
        "against",
        "metric",
        "mean_difference",
        "paired_ci_low",
        "paired_ci_high",
        "unpaired_ci_low",
        "unpaired_ci_high",
        "variance_removed_share",
    ])?;
    let mut cats = Vec::new();
    let mut values = Vec::new();
    let mut table = Table::new(&[
        "option",
        "component",
        "mean change (USD m)",
        "paired 95% CI (USD m)",
        "unpaired 95% CI (USD m)",
        "variance removed by pairing",
    ]);
    for r in 0..diffs.rows.len() {
        if diffs.text(r, df) != first || diffs.text(r, dag) != "base" {
            continue;
        }
        let m = diffs.text(r, dm);
        if !m.ends_with("_usd") {
            continue;
        }
        let (mean, lo, hi) = (diffs.num(r, dmean)?, diffs.num(r, dlo)?, diffs.num(r, dhi)?);
        let (ul, uh) = (diffs.num(r, ulo)?, diffs.num(r, uhi)?);
        let vrs = diffs.num(r, vr).unwrap_or(f64::NAN);
        table.rows.push(vec![
            diffs.text(r, dopt).to_string(),
            m.trim_end_matches("_usd").replace('_', " "),
            musd(mean),
            format!("{} to {}", musd(lo), musd(hi)),
            format!("{} to {}", musd(ul), musd(uh)),
            pct(vrs),
        ]);
        if m == "total_loss_usd" {
            cats.push(diffs.text(r, dopt).to_string());
            values.push(vec![
                BarValue::Range {
                    lo: lo / 1e6,
                    mid: mean / 1e6,
                    hi: hi / 1e6,
                    dot: mean / 1e6,
                },
                BarValue::Range {
                    lo: ul / 1e6,
                    mid: mean / 1e6,
                    hi: uh / 1e6,
                    dot: mean / 1e6,
                },
            ]);
        }
    }
    if cats.is_empty() {
        return Err(diffs.error("has no total_loss_usd row against the base"));
    }
    let chart = BarChart {
        id: "paired-differences".into(),
        width: 900,
        categories: cats,
        groups: vec![
            ("paired 95% CI".into(), PALETTE[0]),
            ("unpaired 95% CI (for scale)".into(), PALETTE[7]),
        ],
        values,
        x_desc: "change in total loss per run, option minus base (USD million)".into(),
        y_desc: "option".into(),
        extra_keys: vec![(
            "mean change".into(),
            Key::Fill(plotters::style::RGBColor(0, 0, 0), false),
        )],
    };
    table.note = Some("From differences.csv (against the base; the pairs of options are there too). Negative = the option loses less. Components add up to the total; revenue lost and trade value halted are reported beside it, not in it.".into());
    figures.push(Figure {
        id: "paired-differences".into(),
        title: format!("Paired differences in total loss{in_future}"),
        svg: Some(chart.svg()?),
        caption: "For each option, the mean change in total loss against the base (dot), run by run on the same random closures, with its 95% confidence interval from the paired differences (upper bar) and, for scale, the interval two independent studies of the same size would give (lower bar). An interval wholly left of zero means the option reduces the expected loss beyond sampling noise; the narrower upper bar is what common random numbers buy.".into(),
        table,
    });

    Ok(figures)
}

/// 2. Probability of being best (and of beating the base).
fn best_option(cx: &Ctx) -> Result<Vec<Figure>, Error> {
    let wins = &cx.wins;
    let best = &cx.best;
    let first = &cx.first;
    let in_future = &cx.in_future;
    let mut figures = Vec::new();
    // 2. Probability of being best (and of beating the base).
    let [bf, bcand, bmean, brank, pbest, plo, phi, ptied, keeps, holds] = best.cols([
        "future",
        "candidate",
        "mean_total_loss_usd",
        "rank_by_mean",
        "p_best",
        "p_best_ci_low",
        "p_best_ci_high",
        "p_tied_best",
        "bootstrap_p_keeps_rank",
        "bootstrap_p_ranking_holds",
    ])?;
    let [wf, wopt, wag, pb, pblo, pbhi, pt] = wins.cols([
        "future",
        "option",
        "against",
        "p_beats",
        "p_beats_ci_low",
        "p_beats_ci_high",
        "p_ties",
    ])?;
    let mut cats = Vec::new();
    let mut values = Vec::new();
    let mut table = Table::new(&[
        "candidate",
        "rank by mean",
        "mean total loss (USD m)",
        "P(best) (95% CI)",
        "P(tied best)",
        "P(beats base) (95% CI)",
        "P(tie with base)",
        "bootstrap: keeps its rank",
    ]);
    let mut holds_v = f64::NAN;
    for r in 0..best.rows.len() {
        if best.text(r, bf) != first {
            continue;
        }
        let cand = best.text(r, bcand).to_string();
        let p = best.num(r, pbest)?;
        holds_v = best.num(r, holds)?;
        let beat = (0..wins.rows.len()).find(|&w| {
            wins.text(w, wf) == first && wins.text(w, wopt) == cand && wins.text(w, wag) == "base"
        });
        let (pbv, pbl, pbh, ptv) = match beat {
            Some(w) => (
                wins.num(w, pb)?,
                wins.num(w, pblo)?,
                wins.num(w, pbhi)?,
                wins.num(w, pt)?,
            ),
            None => (f64::NAN, f64::NAN, f64::NAN, f64::NAN),
        };
        table.rows.push(vec![
            cand.clone(),
            best.text(r, brank).to_string(),
            musd(best.num(r, bmean)?),
            format!(
                "{} ({} to {})",
                pct(p),
                pct(best.num(r, plo)?),
                pct(best.num(r, phi)?)
            ),
            pct(best.num(r, ptied)?),
            if beat.is_some() {
                format!("{} ({} to {})", pct(pbv), pct(pbl), pct(pbh))
            } else {
                "-".into()
            },
            pct(ptv),
            pct(best.num(r, keeps)?),
        ]);
        cats.push(cand);
        values.push(vec![
            BarValue::Bar(100.0 * p),
            BarValue::Bar(if pbv.is_finite() { 100.0 * pbv } else { 0.0 }),
        ]);
    }
    table.note = Some(format!(
        "From best.csv and wins.csv. A run in which several candidates share the lowest loss is a tie: it counts as a win for none. The ranking by mean loss holds in {} of the bootstrap resamples of the runs.",
        pct(holds_v)
    ));
    let chart = BarChart {
        id: "p-best".into(),
        width: 900,
        categories: cats,
        groups: vec![
            ("P(best of all)".into(), PALETTE[2]),
            ("P(beats the base)".into(), PALETTE[1]),
        ],
        values,
        x_desc: "share of runs (%)".into(),
        y_desc: "candidate".into(),
        extra_keys: vec![],
    };
    figures.push(Figure {
        id: "p-best".into(),
        title: format!("Probability of being best{in_future}"),
        svg: Some(chart.svg()?),
        caption: "For each candidate, the share of simulated years in which it alone has the lowest total loss of all (green), and for each option the share in which it loses strictly less than the base (orange). A rarely useful option can still have a large mean benefit if it helps a lot in the few bad years: read this beside the paired differences.".into(),
        table,
    });

    Ok(figures)
}

/// 3. Benefit/cost: one rectangle per option, width PV of avoided loss, height B/C.
fn benefit_cost(cx: &Ctx) -> Result<Vec<Figure>, Error> {
    let bc = &cx.bc;
    let first = &cx.first;
    let in_future = &cx.in_future;
    let f_c = cx.f_c;
    let mut figures = Vec::new();
    // 3. Benefit/cost: one rectangle per option, width PV of avoided loss, height B/C.
    let [bopt, cap, ann, hor, rate, pvb, pvc, npv, npvlo, npvhi, bcr, bcrlo, bcrhi, tv, tvpm] = bc
        .cols([
            "option",
            "capital_cost_usd",
            "annual_cost_usd_per_year",
            "horizon_years",
            "discount_rate_per_year",
            "pv_benefit_usd",
            "pv_cost_usd",
            "npv_usd",
            "npv_ci_low_usd",
            "npv_ci_high_usd",
            "benefit_cost_ratio",
            "benefit_cost_ratio_ci_low",
            "benefit_cost_ratio_ci_high",
            "tvar95_reduction_usd",
            "tvar95_reduction_usd_per_musd",
        ])?;
    let mut rows = Vec::new();
    let mut table = Table::new(&[
        "option",
        "capital (USD m)",
        "yearly cost (USD m)",
        "horizon (years), rate",
        "PV avoided loss (USD m)",
        "PV cost (USD m)",
        "NPV (USD m, 95% CI)",
        "benefit/cost (95% CI)",
        "TVaR95 cut (USD m)",
        "TVaR95 cut per USD m",
    ]);
    for r in 0..bc.rows.len() {
        if bc.text(r, f_c) != first {
            continue;
        }
        let name = bc.text(r, bopt).to_string();
        let ratio = bc.num(r, bcr).unwrap_or(f64::NAN);
        let width = bc.num(r, pvb)? / 1e6;
        rows.push((name.clone(), width, ratio));
        table.rows.push(vec![
            name,
            musd(bc.num(r, cap)?),
            musd(bc.num(r, ann)?),
            format!(
                "{}, {}%",
                num(bc.num(r, hor)?, 0),
                num(100.0 * bc.num(r, rate)?, 1)
            ),
            num(width, 2),
            musd(bc.num(r, pvc)?),
            format!(
                "{} ({} to {})",
                musd(bc.num(r, npv)?),
                musd(bc.num(r, npvlo)?),
                musd(bc.num(r, npvhi)?)
            ),
            format!(
                "{} ({} to {})",
                num(ratio, 3),
                num(bc.num(r, bcrlo).unwrap_or(f64::NAN), 3),
                num(bc.num(r, bcrhi).unwrap_or(f64::NAN), 3)
            ),
            musd(bc.num(r, tv)?),
            num(bc.num(r, tvpm).unwrap_or(f64::NAN) / 1e6, 4),
        ]);
    }
    // Sorted by ratio, highest first (CLIMADA's layout); options that avoid no loss
    // have no width and are listed in the table only.
    rows.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
    let drawn: Vec<&(String, f64, f64)> = rows
        .iter()
        .filter(|r| r.1 > 0.0 && r.2.is_finite())
        .collect();
    let mut bands = Vec::new();
    let mut x0 = 0.0;
    for (i, (name, w, h)) in drawn.iter().enumerate() {
        bands.push(Band {
            name: format!("{name} (B/C {})", num(*h, 2)),
            color: PALETTE[i % PALETTE.len()],
            polygon: vec![(x0, 0.0), (x0 + w, 0.0), (x0 + w, *h), (x0, *h)],
        });
        x0 += w;
    }
    let x_end = if x0 > 0.0 { x0 * 1.05 } else { 1.0 };
    let y_hi = drawn.iter().map(|r| r.2).fold(1.2, f64::max) * 1.1;
    let chart = XyChart {
        id: "benefit-cost".into(),
        size: (900, 420),
        x: 0.0..x_end,
        x_log: false,
        y: 0.0..y_hi,
        x_desc: "present value of avoided loss, cumulative (USD million)".into(),
        y_desc: "benefit/cost ratio".into(),
        x_labels: XLabels::Numbers,
        spans: vec![],
        span_name: String::new(),
        bands,
        lines: vec![Line {
            name: "benefit = cost (ratio 1)".into(),
            color: PALETTE[3],
            points: vec![(0.0, 1.0), (x_end, 1.0)],
            width: 1,
        }],
    };
    let left_out: Vec<&str> = rows
        .iter()
        .filter(|r| !(r.1 > 0.0 && r.2.is_finite()))
        .map(|r| r.0.as_str())
        .collect();
    table.note = Some(format!(
        "From benefit_cost.csv. PV avoided loss = mean avoided loss a year x the annuity factor (1 - (1 + r)^-H) / r; PV cost = capital + yearly cost x the same factor; NPV = PV avoided loss - PV cost; benefit/cost = PV avoided loss / PV cost. Their intervals carry the paired 95% interval of the avoided loss. TVaR95 cut per USD m: the reduction of the 95% expected shortfall per million USD of PV cost.{}",
        if left_out.is_empty() {
            String::new()
        } else {
            format!(" Not drawn (no avoided loss): {}.", left_out.join(", "))
        }
    ));
    figures.push(Figure {
        id: "benefit-cost".into(),
        title: format!("Benefit and cost{in_future}"),
        svg: Some(chart.svg()?),
        caption: "One rectangle per option, sorted by benefit/cost ratio: its width is the present value of the loss it avoids over its horizon, its height the ratio of that to its present cost. Rectangles above the red line (ratio 1) pay for themselves on avoided loss alone; the total width is what all of them together would avoid if their benefits added up (they need not: two routes can avoid the same loss).".into(),
        table,
    });

    Ok(figures)
}

/// 4. Regret across futures.
fn regret(dir: &Path, cx: &Ctx) -> Result<Vec<Figure>, Error> {
    let fut = &cx.fut;
    let mut figures = Vec::new();
    // 4. Regret across futures.
    let [ff, fc, floss, freg, fcost, fregc, fbelow] = fut.cols([
        "future",
        "candidate",
        "mean_loss_usd_per_year",
        "regret_usd_per_year",
        "equivalent_annual_cost_usd_per_year",
        "regret_with_cost_usd_per_year",
        "share_below_threshold",
    ])?;
    let mut futures: Vec<String> = Vec::new();
    let mut cands: Vec<String> = Vec::new();
    for r in 0..fut.rows.len() {
        let (f, c) = (fut.text(r, ff).to_string(), fut.text(r, fc).to_string());
        if !futures.contains(&f) {
            futures.push(f);
        }
        if !cands.contains(&c) {
            cands.push(c);
        }
    }
    let mut values = vec![vec![BarValue::Bar(0.0); futures.len()]; cands.len()];
    let mut table = Table::new(&[
        "candidate",
        "future",
        "mean loss (USD m / year)",
        "regret (USD m / year)",
        "equivalent yearly cost (USD m)",
        "regret with cost (USD m / year)",
        "share of runs below threshold",
    ]);
    for r in 0..fut.rows.len() {
        let f = futures
            .iter()
            .position(|x| x == fut.text(r, ff))
            .unwrap_or(0);
        let c = cands.iter().position(|x| x == fut.text(r, fc)).unwrap_or(0);
        let reg = fut.num(r, freg)?;
        values[c][f] = BarValue::Bar(reg / 1e6);
        let below = fut.text(r, fbelow);
        table.rows.push(vec![
            cands[c].clone(),
            futures[f].clone(),
            musd(fut.num(r, floss)?),
            musd(reg),
            musd(fut.num(r, fcost)?),
            musd(fut.num(r, fregc)?),
            if below.is_empty() {
                "-".into()
            } else {
                pct(fut.num(r, fbelow)?)
            },
        ]);
    }
    let robust = Csv::read(dir, "robustness.csv", KIND)?;
    let [rc, rmax, rleast, rmaxc, rleastc] = robust.cols([
        "candidate",
        "max_regret_usd_per_year",
        "least_max_regret",
        "max_regret_with_cost_usd_per_year",
        "least_max_regret_with_cost",
    ])?;
    let mut summary = Vec::new();
    for r in 0..robust.rows.len() {
        summary.push(format!(
            "{}: max regret {} (with cost {}){}{}",
            robust.text(r, rc),
            musd(robust.num(r, rmax)?),
            musd(robust.num(r, rmaxc)?),
            if robust.text(r, rleast) == "true" {
                ", least max regret"
            } else {
                ""
            },
            if robust.text(r, rleastc) == "true" {
                ", least max regret with cost"
            } else {
                ""
            }
        ));
    }
    table.note = Some(format!(
        "From futures.csv and robustness.csv (USD m per year). Regret: the candidate's mean annual loss minus the lowest of all candidates in the same future; with cost, each option's equivalent yearly cost (PV cost / annuity factor) is added first. {}.",
        summary.join("; ")
    ));
    let chart = BarChart {
        id: "regret".into(),
        width: 900,
        categories: cands,
        groups: futures
            .iter()
            .enumerate()
            .map(|(i, f)| (f.clone(), PALETTE[(i + 4) % PALETTE.len()]))
            .collect(),
        values,
        x_desc: "regret: mean annual loss minus the best candidate's in that future (USD million)"
            .into(),
        y_desc: "candidate".into(),
        extra_keys: vec![],
    };
    figures.push(Figure {
        id: "regret".into(),
        title: "Regret across futures".into(),
        svg: Some(chart.svg()?),
        caption: "For each candidate and each future (state of the world), how much more loss a year it leaves than the best candidate in that future. A robust choice has short bars in every future; the candidate with the least largest bar is the min-max-regret choice. With one future only, this is the mean loss above the best.".into(),
        table,
    });

    Ok(figures)
}
