//! The report of a `chokepoint compare` folder: `differences.csv`, `wins.csv`,
//! `best.csv`, `benefit_cost.csv` and `futures.csv`.

use std::path::Path;

use super::chart::{Band, BarChart, BarValue, Key, Line, XLabels, XyChart, PALETTE};
use super::data::Csv;
use super::html::{musd, num, Figure, Page, Table};
use super::manifest::ManifestInfo;
use crate::study::output::nan_if_empty;
use crate::Error;
use plotters::style::BLACK;
use serde::Deserialize;

const KIND: &str = "compare";

fn pct(p: f64) -> String {
    if p.is_finite() {
        format!("{}%", num(100.0 * p, 1))
    } else {
        "-".into()
    }
}

/// A row of `differences.csv`.
#[derive(Deserialize)]
struct DiffRow {
    future: String,
    option: String,
    against: String,
    metric: String,
    #[serde(deserialize_with = "nan_if_empty")]
    mean_reduction: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    reduction_ci_low: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    reduction_ci_high: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    reduction_unpaired_ci_low: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    reduction_unpaired_ci_high: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    variance_removed_share: f64,
}

/// A row of `wins.csv`.
#[derive(Deserialize)]
struct WinsRow {
    future: String,
    option: String,
    against: String,
    #[serde(deserialize_with = "nan_if_empty")]
    p_beats: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    p_beats_ci_low: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    p_beats_ci_high: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    p_ties: f64,
}

/// A row of `best.csv`.
#[derive(Deserialize)]
struct BestRow {
    future: String,
    candidate: String,
    #[serde(deserialize_with = "nan_if_empty")]
    mean_total_loss_usd: f64,
    rank_by_mean: String,
    #[serde(deserialize_with = "nan_if_empty")]
    p_best: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    p_best_ci_low: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    p_best_ci_high: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    p_tied_best: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    bootstrap_p_keeps_rank: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    bootstrap_p_ranking_holds: f64,
}

/// A row of `benefit_cost.csv`.
#[derive(Deserialize)]
struct BcRow {
    future: String,
    option: String,
    #[serde(deserialize_with = "nan_if_empty")]
    capital_cost_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    annual_cost_usd_per_year: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    horizon_years: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    discount_rate_per_year: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    pv_benefit_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    pv_cost_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    npv_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    npv_ci_low_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    npv_ci_high_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    benefit_cost_ratio: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    benefit_cost_ratio_ci_low: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    benefit_cost_ratio_ci_high: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    tvar95_reduction_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    tvar95_reduction_usd_per_musd: f64,
}

/// A row of `futures.csv`.
#[derive(Deserialize)]
struct FutureRow {
    future: String,
    candidate: String,
    #[serde(deserialize_with = "nan_if_empty")]
    mean_loss_usd_per_year: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    regret_usd_per_year: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    equivalent_annual_cost_usd_per_year: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    regret_with_cost_usd_per_year: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    share_below_threshold: f64,
}

/// A row of `robustness.csv`.
#[derive(Deserialize)]
struct RobustRow {
    candidate: String,
    #[serde(deserialize_with = "nan_if_empty")]
    max_regret_usd_per_year: f64,
    least_max_regret: bool,
    #[serde(deserialize_with = "nan_if_empty")]
    max_regret_with_cost_usd_per_year: f64,
    least_max_regret_with_cost: bool,
}

/// What the figures of the page read, prepared once.
struct Ctx {
    diffs: Csv<DiffRow>,
    wins: Csv<WinsRow>,
    best: Csv<BestRow>,
    bc: Csv<BcRow>,
    fut: Csv<FutureRow>,
    first: String,
    futures_n: usize,
    in_future: String,
    /// Option labels by mean avoided loss in the first future, largest first (the
    /// order of every chart and table of options).
    order: Vec<String>,
}

impl Ctx {
    /// Sort key of a candidate: the options by benefit, then the base last.
    fn rank(&self, label: &str) -> usize {
        self.order
            .iter()
            .position(|x| x == label)
            .unwrap_or(self.order.len())
    }
}

/// The report of a `compare` folder.
pub(super) fn page<'a>(
    dir: &Path,
    info: &'a ManifestInfo,
    options: &super::Options,
) -> Result<Page<'a>, Error> {
    let diffs: Csv<DiffRow> = Csv::read(dir, "differences.csv", KIND)?;
    let wins: Csv<WinsRow> = Csv::read(dir, "wins.csv", KIND)?;
    let best: Csv<BestRow> = Csv::read(dir, "best.csv", KIND)?;
    let bc: Csv<BcRow> = Csv::read(dir, "benefit_cost.csv", KIND)?;
    let fut: Csv<FutureRow> = Csv::read(dir, "futures.csv", KIND)?;

    // The first future is the one the charts of single-future figures show.
    let first = match bc.rows.first() {
        None => return Err(bc.error("has no rows: no option was compared")),
        Some(r) => r.future.clone(),
    };
    let futures_n = {
        let mut names: Vec<&str> = fut.rows.iter().map(|r| r.future.as_str()).collect();
        names.dedup();
        names.len()
    };
    let in_future = if futures_n > 1 {
        format!(" (future {first})")
    } else {
        String::new()
    };

    let robustness = match &options.uncertainty {
        Some(u) => Some(crate::compare::headline::robustness_from_dirs(dir, u)?),
        None => None,
    };
    let headlines = crate::compare::headline::of_dir(dir, robustness.as_ref())?;
    let order = headlines
        .iter()
        .find(|h| h.future == first)
        .map(|h| h.order.clone())
        .unwrap_or_default();
    let mut headline = Vec::new();
    for h in &headlines {
        for line in &h.sentences {
            headline.push(if futures_n > 1 {
                format!("Future {}: {line}", h.future)
            } else {
                line.clone()
            });
        }
    }
    let cx = Ctx {
        diffs,
        wins,
        best,
        bc,
        fut,
        first,
        futures_n,
        in_future,
        order,
    };
    let mut figures = Vec::new();
    figures.extend(paired(&cx)?);
    figures.extend(best_option(&cx)?);
    figures.extend(benefit_cost(&cx)?);
    figures.extend(regret(dir, &cx)?);
    let n_options = cx.bc.rows.len() / cx.futures_n.max(1);
    let mut facts = vec![(
        "compared".to_string(),
        if cx.futures_n > 1 {
            format!(
                "{n_options} option(s) against the base in {} futures (states of the world from \
                 the futures file); the first three charts show the future {}, their tables \
                 every future",
                cx.futures_n, cx.first
            )
        } else {
            format!(
                "{n_options} option(s) against the base, on the same simulated years (common random numbers)"
            )
        },
    )];
    if let (Some(u), Some(r)) = (&options.uncertainty, &robustness) {
        facts.push((
            "robustness from".to_string(),
            format!(
                "the uncertainty study in {} ({} parameter draws of the same base and options)",
                u.display(),
                r.draws
            ),
        ));
    }
    Ok(Page {
        info,
        dir: dir.display().to_string(),
        what: "Comparison of options".into(),
        facts,
        notes: Vec::new(),
        headline,
        warnings: Vec::new(),
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
    let mut cats = Vec::new();
    let mut values = Vec::new();
    let mut table = Table::new(&[
        "option",
        "component",
        "avoided (USD m per run)",
        "paired 95% CI (USD m)",
        "unpaired 95% CI (USD m)",
        "variance removed by pairing",
    ]);
    let mut rows: Vec<&DiffRow> = diffs.rows.iter().collect();
    rows.sort_by_key(|r| cx.rank(&r.option));
    for r in rows {
        if r.future != *first || r.against != "base" {
            continue;
        }
        let m = r.metric.as_str();
        if !m.ends_with("_usd") {
            continue;
        }
        let (mean, lo, hi) = (r.mean_reduction, r.reduction_ci_low, r.reduction_ci_high);
        let (ul, uh) = (r.reduction_unpaired_ci_low, r.reduction_unpaired_ci_high);
        let vrs = r.variance_removed_share;
        table.rows.push(vec![
            r.option.clone(),
            m.trim_end_matches("_usd").replace('_', " "),
            musd(mean),
            format!("{} to {}", musd(lo), musd(hi)),
            format!("{} to {}", musd(ul), musd(uh)),
            pct(vrs),
        ]);
        if m == "total_loss_usd" {
            cats.push(r.option.clone());
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
        x_desc: "avoided loss per run, base minus option (USD million; right = the option helps)"
            .into(),
        y_desc: "option".into(),
        extra_keys: vec![("mean avoided loss".into(), Key::Dot(BLACK))],
    };
    table.note = Some("From differences.csv (each option against the base; the pairs of options are there too), options by avoided loss. Positive = the option loses less than the base; a negative component is one the option raises. Components add up to the total; revenue lost and trade value halted are reported beside it, not in it.".into());
    figures.push(Figure {
        id: "paired-differences".into(),
        title: format!("Avoided loss, each option against the base{in_future}"),
        svg: Some(chart.svg()?),
        caption: "For each option, largest benefit first, the mean loss it avoids per simulated year against the base (dot: base minus option, run by run on the same random closures), with its 95% confidence interval from the paired differences (upper bar) and, for scale, the interval two independent studies of the same size would give (lower bar). An interval wholly right of zero means the option lowers the expected loss beyond sampling noise; wholly left, it raises it. The narrower upper bar is what common random numbers buy.".into(),
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
    let mut rows: Vec<&BestRow> = best.rows.iter().collect();
    rows.sort_by_key(|r| cx.rank(&r.candidate));
    for r in rows {
        if r.future != *first {
            continue;
        }
        let cand = r.candidate.clone();
        let p = r.p_best;
        holds_v = r.bootstrap_p_ranking_holds;
        let beat = wins
            .rows
            .iter()
            .find(|w| w.future == *first && w.option == cand && w.against == "base");
        let (pbv, pbl, pbh, ptv) = match beat {
            Some(w) => (w.p_beats, w.p_beats_ci_low, w.p_beats_ci_high, w.p_ties),
            None => (f64::NAN, f64::NAN, f64::NAN, f64::NAN),
        };
        table.rows.push(vec![
            cand.clone(),
            r.rank_by_mean.clone(),
            musd(r.mean_total_loss_usd),
            format!(
                "{} ({} to {})",
                pct(p),
                pct(r.p_best_ci_low),
                pct(r.p_best_ci_high)
            ),
            pct(r.p_tied_best),
            if beat.is_some() {
                format!("{} ({} to {})", pct(pbv), pct(pbl), pct(pbh))
            } else {
                "-".into()
            },
            pct(ptv),
            pct(r.bootstrap_p_keeps_rank),
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
        caption: "For each candidate (options by avoided loss, the base last), the share of simulated years in which it alone has the lowest total loss of all (green), and for each option the share in which it loses strictly less than the base (orange). A rarely useful option can still have a large mean benefit if it helps a lot in the few bad years: read this beside the paired differences.".into(),
        table,
    });

    Ok(figures)
}

/// 3. Benefit/cost: one rectangle per option, width PV of avoided loss, height B/C.
fn benefit_cost(cx: &Ctx) -> Result<Vec<Figure>, Error> {
    let bc = &cx.bc;
    let first = &cx.first;
    let in_future = &cx.in_future;
    let mut figures = Vec::new();
    let mut rows = Vec::new();
    let mut table = Table::new(&[
        "option",
        "capital (USD m)",
        "yearly cost (USD m)",
        "horizon (years), rate",
        "PV avoided loss",
        "PV cost (USD m)",
        "NPV (USD m, 95% CI)",
        "benefit/cost (95% CI)",
        "TVaR95 cut (USD m)",
        "TVaR95 cut per USD m of cost",
    ]);
    let mut order: Vec<&BcRow> = bc.rows.iter().collect();
    order.sort_by_key(|r| cx.rank(&r.option));
    for r in order {
        if r.future != *first {
            continue;
        }
        let name = r.option.clone();
        let ratio = r.benefit_cost_ratio;
        let pv = r.pv_benefit_usd;
        rows.push((name.clone(), pv / 1e6, ratio));
        table.rows.push(vec![
            name,
            musd(r.capital_cost_usd),
            musd(r.annual_cost_usd_per_year),
            format!(
                "{}, {}%",
                num(r.horizon_years, 0),
                num(100.0 * r.discount_rate_per_year, 1)
            ),
            crate::output::money(pv),
            musd(r.pv_cost_usd),
            format!(
                "{} ({} to {})",
                musd(r.npv_usd),
                musd(r.npv_ci_low_usd),
                musd(r.npv_ci_high_usd)
            ),
            format!(
                "{} ({} to {})",
                ratio_text(ratio),
                ratio_text(r.benefit_cost_ratio_ci_low),
                ratio_text(r.benefit_cost_ratio_ci_high)
            ),
            musd(r.tvar95_reduction_usd),
            crate::output::money(r.tvar95_reduction_usd_per_musd),
        ]);
    }
    let layout = bc_layout(&rows);
    let mut bands = Vec::new();
    for (i, (name, x0, w, h)) in layout.drawn.iter().enumerate() {
        bands.push(Band {
            name: format!("{name} (B/C {})", ratio_text(*h)),
            color: PALETTE[i % PALETTE.len()],
            polygon: vec![(*x0, 0.0), (x0 + w, 0.0), (x0 + w, *h), (*x0, *h)],
        });
    }
    let mut lines = Vec::new();
    if layout.y_hi > 1.0 {
        lines.push(Line {
            name: "benefit = cost (ratio 1)".into(),
            color: PALETTE[3],
            points: vec![(0.0, 1.0), (layout.x_end, 1.0)],
            width: 1,
        });
    }
    let chart = XyChart {
        id: "benefit-cost".into(),
        size: (900, 420),
        x: 0.0..layout.x_end,
        x_log: false,
        y: 0.0..layout.y_hi,
        x_desc: "present value of avoided loss, cumulative (USD million)".into(),
        y_desc: "benefit/cost ratio".into(),
        x_labels: XLabels::Numbers,
        spans: vec![],
        span_name: String::new(),
        bands,
        lines,
    };
    let mut left_out = Vec::new();
    if !layout.none.is_empty() {
        left_out.push(format!(
            "{} avoid no loss (their mean avoided loss is zero or negative), so they have no width",
            layout.none.join(", ")
        ));
    }
    if !layout.thin.is_empty() {
        left_out.push(format!(
            "{} avoid(s) too little to be seen at this scale (under 0.5% of the total width)",
            layout.thin.join(", ")
        ));
    }
    table.note = Some(format!(
        "From benefit_cost.csv, options by avoided loss. PV avoided loss = mean avoided loss a year x the annuity factor (1 - (1 + r)^-H) / r; PV cost = capital + yearly cost x the same factor; NPV = PV avoided loss - PV cost; benefit/cost = PV avoided loss / PV cost. Their intervals carry the paired 95% interval of the avoided loss. TVaR95 cut: how much lower the mean loss of the worst 5% of years is with the option (base minus option); per USD m: per million USD of PV cost.{}",
        if left_out.is_empty() {
            String::new()
        } else {
            format!(" Not drawn: {}.", left_out.join("; "))
        }
    ));
    let mut caption = "One rectangle per option that avoids a loss, sorted by benefit/cost ratio (highest left): its width is the present value of the loss it avoids over its horizon, its height the ratio of that to its present cost. The total width is what all of them together would avoid if their benefits added up (they need not: two routes can avoid the same loss).".to_string();
    if layout.y_hi > 1.0 {
        caption.push_str(
            " Rectangles above the red line (ratio 1) pay for themselves on avoided loss alone.",
        );
    } else {
        caption.push_str(&format!(
            " The vertical axis ends at {}: every ratio is below 1 (the break-even line, ratio 1, would lie above the chart), so no option pays for itself on avoided closure loss alone.",
            num(layout.y_hi, 2)
        ));
    }
    if !left_out.is_empty() {
        caption.push_str(&format!(" Not drawn: {}.", left_out.join("; ")));
    }
    figures.push(Figure {
        id: "benefit-cost".into(),
        title: format!("Benefit and cost{in_future}"),
        svg: Some(chart.svg()?),
        caption,
        table,
    });

    Ok(figures)
}

/// A future's name for reading: the one future of a study without a futures file is
/// the scenario as written.
fn future_name(f: &str) -> String {
    if f == "as_scenario" {
        "the scenario as written (no futures file)".into()
    } else {
        f.to_string()
    }
}

/// A benefit/cost ratio for reading: two decimals, three below 0.1, no `-0.00`.
fn ratio_text(r: f64) -> String {
    if !r.is_finite() {
        return "-".into();
    }
    let d = if r.abs() < 0.1 { 3 } else { 2 };
    num(r + 0.0, d)
}

/// Where the benefit/cost chart draws each option, and its axes.
#[derive(Debug, PartialEq)]
pub(super) struct BcLayout {
    /// (option, left x, width, height) of each rectangle drawn, by ratio, highest first.
    pub drawn: Vec<(String, f64, f64, f64)>,
    /// Options with no avoided loss (not drawn).
    pub none: Vec<String>,
    /// Options that avoid too little to be seen (not drawn).
    pub thin: Vec<String>,
    /// The x axis' end.
    pub x_end: f64,
    /// The y axis' end: above the highest ratio, and above 1 only when a ratio is.
    pub y_hi: f64,
}

/// The layout of the benefit/cost chart for (option, PV avoided loss in USD m, ratio).
/// Options whose avoided loss is not positive have no width; those under 0.5% of the
/// total width are listed as too thin instead of drawn as invisible slivers. The y axis
/// runs to 15% above the highest ratio drawn (to 1.1 x 1 when a ratio is near 1), never
/// to 1 when every ratio is far below it, so the rectangles fill the chart.
pub(super) fn bc_layout(rows: &[(String, f64, f64)]) -> BcLayout {
    let mut sorted: Vec<&(String, f64, f64)> = rows.iter().collect();
    sorted.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
    let positive: Vec<&&(String, f64, f64)> = sorted
        .iter()
        .filter(|r| r.1 > 0.0 && r.2.is_finite())
        .collect();
    let total: f64 = positive.iter().map(|r| r.1).sum();
    let mut out = BcLayout {
        drawn: Vec::new(),
        none: Vec::new(),
        thin: Vec::new(),
        x_end: 1.0,
        y_hi: 1.0,
    };
    let mut x0 = 0.0;
    for r in &sorted {
        if !(r.1 > 0.0 && r.2.is_finite()) {
            out.none.push(r.0.clone());
        } else if r.1 < 0.005 * total {
            out.thin.push(r.0.clone());
        } else {
            out.drawn.push((r.0.clone(), x0, r.1, r.2));
            x0 += r.1;
        }
    }
    if x0 > 0.0 {
        out.x_end = x0 * 1.05;
    }
    let top = out.drawn.iter().map(|d| d.3).fold(0.0, f64::max);
    out.y_hi = if top <= 0.0 {
        1.0
    } else if top > 0.8 {
        top.max(1.0) * 1.15
    } else {
        top * 1.15
    };
    out
}

/// 4. Regret across futures.
fn regret(dir: &Path, cx: &Ctx) -> Result<Vec<Figure>, Error> {
    let fut = &cx.fut;
    let mut figures = Vec::new();
    // 4. Regret across futures.
    let mut futures: Vec<String> = Vec::new();
    let mut cands: Vec<String> = Vec::new();
    for r in &fut.rows {
        let (f, c) = (r.future.clone(), r.candidate.clone());
        if !futures.contains(&f) {
            futures.push(f);
        }
        if !cands.contains(&c) {
            cands.push(c);
        }
    }
    cands.sort_by_key(|c| cx.rank(c));
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
    for r in &fut.rows {
        let f = futures.iter().position(|x| *x == r.future).unwrap_or(0);
        let c = cands.iter().position(|x| *x == r.candidate).unwrap_or(0);
        let reg = r.regret_usd_per_year;
        values[c][f] = BarValue::Bar(reg / 1e6);
        table.rows.push(vec![
            cands[c].clone(),
            future_name(&futures[f]),
            musd(r.mean_loss_usd_per_year),
            musd(reg),
            musd(r.equivalent_annual_cost_usd_per_year),
            musd(r.regret_with_cost_usd_per_year),
            // An empty cell (no threshold) reads as NaN, shown as "-".
            pct(r.share_below_threshold),
        ]);
    }
    let robust: Csv<RobustRow> = Csv::read(dir, "robustness.csv", KIND)?;
    let mut summary = Vec::new();
    for r in &robust.rows {
        summary.push(format!(
            "{}: max regret {} (with cost {}){}{}",
            r.candidate,
            musd(r.max_regret_usd_per_year),
            musd(r.max_regret_with_cost_usd_per_year),
            if r.least_max_regret {
                ", least max regret"
            } else {
                ""
            },
            if r.least_max_regret_with_cost {
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
            .map(|(i, f)| (future_name(f), PALETTE[(i + 4) % PALETTE.len()]))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(v: &[(&str, f64, f64)]) -> Vec<(String, f64, f64)> {
        v.iter().map(|(n, w, h)| (n.to_string(), *w, *h)).collect()
    }

    #[test]
    fn the_ratio_axis_is_scaled_to_the_ratios() {
        // Every ratio below 0.3 (as the shipped options): the axis ends just above the
        // highest, not at 1.2.
        let l = bc_layout(&rows(&[("a", 52.0, 0.26), ("b", 140.0, 0.031)]));
        let top = 0.26;
        assert!(l.y_hi >= top && l.y_hi <= 1.2 * top, "{l:?}");
        // A ratio near or above 1: the break-even line is in range.
        let l = bc_layout(&rows(&[("a", 52.0, 0.9), ("b", 10.0, 2.0)]));
        assert!(l.y_hi > 2.0 && l.y_hi <= 2.5, "{l:?}");
        let l = bc_layout(&rows(&[("a", 52.0, 0.85)]));
        assert!(l.y_hi > 1.0 && l.y_hi < 1.2, "{l:?}");
        // Sorted by ratio, rectangles side by side; the x axis covers them.
        let l = bc_layout(&rows(&[("low", 100.0, 0.1), ("high", 50.0, 0.5)]));
        assert_eq!(l.drawn[0], ("high".to_string(), 0.0, 50.0, 0.5));
        assert_eq!(l.drawn[1], ("low".to_string(), 50.0, 100.0, 0.1));
        assert!(l.x_end >= 150.0 && l.x_end < 1.1 * 150.0);
    }

    #[test]
    fn options_that_avoid_nothing_or_too_little_are_named_not_drawn() {
        // Two options whose PV avoided loss rounds to 0.00: one slightly positive, one
        // slightly negative. Neither is drawn; each is named with its reason.
        let l = bc_layout(&rows(&[
            ("rail", 140.0, 0.03),
            ("khaf", 52.0, 0.26),
            ("chabahar", 0.003, 0.000_01),
            ("gwadar", -0.000_04, -0.000_001),
        ]));
        let drawn: Vec<&str> = l.drawn.iter().map(|d| d.0.as_str()).collect();
        assert_eq!(drawn, ["khaf", "rail"]);
        assert_eq!(l.none, ["gwadar"]);
        assert_eq!(l.thin, ["chabahar"]);
    }

    #[test]
    fn ratios_read_without_a_negative_zero() {
        assert_eq!(ratio_text(-0.000_001), "0.000");
        assert_eq!(ratio_text(0.26), "0.26");
        assert_eq!(ratio_text(0.031), "0.031");
        assert_eq!(ratio_text(f64::NAN), "-");
    }
}
