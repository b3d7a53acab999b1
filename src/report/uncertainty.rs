//! The report of a `chokepoint uncertainty` folder: `predictive.csv`,
//! `variance_split.csv`, `indices.csv`, `options.csv` and `rankings.csv`.

use std::path::Path;

use plotters::style::RGBColor;

use super::chart::{Band, BarChart, BarValue, Key, Line, XLabels, XyChart, PALETTE};
use super::data::Csv;
use super::html::{musd, num, Figure, Page, Table};
use super::manifest::ManifestInfo;
use crate::study::output::nan_if_empty;
use crate::Error;
use serde::Deserialize;

const KIND: &str = "uncertainty";

fn pct(p: f64) -> String {
    if p.is_finite() {
        format!("{}%", num(100.0 * p, 0))
    } else {
        "-".into()
    }
}

/// A row of `predictive.csv`.
#[derive(Deserialize)]
struct PredRow {
    scenario: String,
    statistic: String,
    #[serde(deserialize_with = "nan_if_empty")]
    value_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    points_p5_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    points_p50_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    points_p95_usd: f64,
}

/// A row of `variance_split.csv`.
#[derive(Deserialize)]
struct SplitRow {
    output: String,
    #[serde(deserialize_with = "nan_if_empty")]
    between_usd2: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    within_usd2: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    parameter_share: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    parameter_share_low: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    parameter_share_high: f64,
}

/// A row of `indices.csv`.
#[derive(Deserialize)]
struct IndexRow {
    output: String,
    factor: String,
    index: String,
    #[serde(deserialize_with = "nan_if_empty")]
    estimate: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    ci_low: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    ci_high: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    noise_share: f64,
}

/// A row of `options.csv`.
#[derive(Deserialize)]
struct OptionRow {
    option: String,
    measure: String,
    #[serde(deserialize_with = "nan_if_empty")]
    mean: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    p5: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    p50: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    p95: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    share_above: f64,
}

/// A row of `rankings.csv`.
#[derive(Deserialize)]
struct RankRow {
    measure: String,
    first: String,
    second: String,
    #[serde(deserialize_with = "nan_if_empty")]
    share_holds: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    share_tied: f64,
    points: String,
}

/// The report of an `uncertainty` folder.
pub(super) fn page<'a>(dir: &Path, info: &'a ManifestInfo) -> Result<Page<'a>, Error> {
    let predictive: Csv<PredRow> = Csv::read(dir, "predictive.csv", KIND)?;
    let split: Csv<SplitRow> = Csv::read(dir, "variance_split.csv", KIND)?;
    let indices: Csv<IndexRow> = Csv::read(dir, "indices.csv", KIND)?;
    let options: Csv<OptionRow> = Csv::read(dir, "options.csv", KIND)?;
    let rankings: Csv<RankRow> = Csv::read(dir, "rankings.csv", KIND)?;
    let mut figures = Vec::new();
    figures.push(exceedance(&predictive)?);
    figures.push(variance_split(&split)?);
    figures.extend(sensitivity(&indices)?);
    if !options.rows.is_empty() {
        figures.push(options_across(&options)?);
        figures.push(ranking(&rankings)?);
    }
    let design = |k: &str| {
        info.fields
            .iter()
            .find(|(f, _)| f == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| "?".into())
    };
    let facts = vec![(
        "design".to_string(),
        format!(
            "{} design of {} parameter point(s), {} simulated years per point and scenario, \
             the same years (closure draws) at every point",
            design("uncertainty.design"),
            design("uncertainty.points"),
            design("uncertainty.years")
        ),
    )];
    Ok(Page {
        info,
        dir: dir.display().to_string(),
        what: "Parameter uncertainty".into(),
        facts,
        notes: vec!["Epistemic uncertainty (the [[uncertain]] parameters, drawn from their laws) and aleatory uncertainty (which closures happen in a year) are kept apart: each band or share below says which it carries.".into()],
        figures,
        headline: Vec::new(),
        warnings: Vec::new(),
    })
}

/// The annual exceedance probability of a quantile statistic `pNN` (NaN otherwise).
fn aep(statistic: &str) -> f64 {
    statistic
        .strip_prefix('p')
        .and_then(|q| q.parse::<f64>().ok())
        .map_or(f64::NAN, |q| 1.0 - q / 100.0)
}

/// 1. The predictive exceedance curve, with the band across parameter points.
fn exceedance(p: &Csv<PredRow>) -> Result<Figure, Error> {
    let mut labels: Vec<String> = Vec::new();
    let mut table = Table::new(&[
        "scenario",
        "statistic",
        "predictive (USD m)",
        "across parameter points: p5 (USD m)",
        "p50 (USD m)",
        "p95 (USD m)",
    ]);
    for r in &p.rows {
        let l = r.scenario.clone();
        if !labels.contains(&l) {
            labels.push(l);
        }
        table.rows.push(vec![
            r.scenario.clone(),
            r.statistic.clone(),
            musd(r.value_usd),
            musd(r.points_p5_usd),
            musd(r.points_p50_usd),
            musd(r.points_p95_usd),
        ]);
    }
    let mut lines = Vec::new();
    let mut bands = Vec::new();
    let mut all = Vec::new();
    for (k, label) in labels.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let mut pts = Vec::new();
        let mut low = Vec::new();
        let mut high = Vec::new();
        for r in &p.rows {
            if r.scenario.as_str() != label {
                continue;
            }
            let x = aep(r.statistic.as_str());
            if !x.is_finite() {
                continue;
            }
            pts.push((x, r.value_usd / 1e6));
            low.push((x, r.points_p5_usd / 1e6));
            high.push((x, r.points_p95_usd / 1e6));
        }
        all.extend(pts.iter().chain(&low).chain(&high).map(|q| q.1));
        lines.push(Line {
            name: format!("{label}: predictive"),
            color,
            points: pts,
            width: 3,
        });
        // The band only for the base, so the chart stays readable (the options' bands are
        // in the table).
        if k == 0 {
            low.sort_by(|a, b| a.0.total_cmp(&b.0));
            high.sort_by(|a, b| b.0.total_cmp(&a.0));
            bands.push(Band {
                name: format!("{label}: p5-p95 across points"),
                color,
                polygon: low.into_iter().chain(high).collect(),
            });
        }
    }
    if lines.is_empty() {
        return Err(p.error("has no rows"));
    }
    let chart = XyChart {
        id: "predictive-exceedance".into(),
        size: (900, 460),
        x: 0.004..0.6,
        x_log: true,
        y: super::chart::y_range(all),
        x_desc: "annual exceedance probability (log scale)".into(),
        y_desc: "annual total loss (USD million)".into(),
        x_labels: XLabels::Numbers,
        spans: Vec::new(),
        span_name: String::new(),
        bands,
        lines,
    };
    table.note = Some("From predictive.csv. pNN is the loss exceeded with probability 1 - NN/100 in a year; tvar95 the mean of the worst 5% of years.".into());
    Ok(Figure {
        id: "predictive-exceedance".into(),
        title: "Predictive loss exceedance, with the parameters' band".into(),
        svg: Some(chart.svg()?),
        caption: "The thick line is the predictive distribution of a year's total loss: every simulated year of every parameter point pooled, so it carries both the closure draws (aleatory) and the parameters (epistemic). The shaded band is the spread the parameters make: at each probability, the 5th to 95th percentile across parameter points of that point's own exceedance curve (each point's curve carries only its own closure draws). A wide band means the data do not pin down the tail.".into(),
        table,
    })
}

/// 2. The parameters' share of the variance, with its interval.
fn variance_split(s: &Csv<SplitRow>) -> Result<Figure, Error> {
    let mut table = Table::new(&[
        "output",
        "parameters' share",
        "95% CI",
        "sd from parameters (USD m)",
        "sd from closure draws (USD m)",
    ]);
    let mut cats = Vec::new();
    let mut values = Vec::new();
    for r in &s.rows {
        let (share, l, h) = (
            r.parameter_share,
            r.parameter_share_low,
            r.parameter_share_high,
        );
        let (between, within) = (r.between_usd2, r.within_usd2);
        table.rows.push(vec![
            r.output.clone(),
            pct(share),
            format!("{} to {}", pct(l), pct(h)),
            musd(between.max(0.0).sqrt()),
            musd(within.max(0.0).sqrt()),
        ]);
        cats.push(r.output.clone());
        values.push(vec![BarValue::Range {
            lo: 100.0 * l,
            mid: 100.0 * share,
            hi: 100.0 * h,
            dot: 100.0 * share,
        }]);
    }
    let chart = BarChart {
        id: "variance-split".into(),
        width: 900,
        categories: cats,
        groups: vec![("95% CI".into(), PALETTE[0])],
        values,
        x_desc: "share of the variance from the parameters (%)".into(),
        y_desc: "output".into(),
        extra_keys: vec![("estimate".into(), Key::Fill(RGBColor(0, 0, 0), false))],
    };
    table.note = Some("From variance_split.csv. Law of total variance over the parameter points on common closure draws; the inner-sample noise that differs between points (the interaction mean square over the years) is taken off the parameters' part. Intervals: bootstrap over points and years together.".into());
    Ok(Figure {
        id: "variance-split".into(),
        title: "How much of the variance the parameters make".into(),
        svg: Some(chart.svg()?),
        caption: "For a year's loss of each scenario, and each option's avoided loss, the share of its variance that comes from not knowing the parameters (the rest comes from which closures happen in a year), with a 95% interval. A small share means more data on the parameters would narrow little; the year-to-year luck dominates.".into(),
        table,
    })
}

/// Figure 3: sensitivity indices, one chart per output (at most four), every index
/// in the tables.
fn sensitivity(x: &Csv<IndexRow>) -> Result<Vec<Figure>, Error> {
    let mut outputs: Vec<String> = Vec::new();
    for r in &x.rows {
        let name = r.output.clone();
        if !outputs.contains(&name) {
            outputs.push(name);
        }
    }
    let sobol = x.rows.iter().any(|r| r.index.as_str() == "sobol_total");
    let kinds: Vec<(&str, &str)> = if sobol {
        vec![
            ("sobol_total", "total Sobol' index"),
            ("sobol_first", "first-order Sobol' index"),
        ]
    } else {
        vec![("chatterjee_xi", "Chatterjee's xi")]
    };
    let mut figures = Vec::new();
    for (k, output) in outputs.iter().enumerate() {
        let mut factors: Vec<String> = Vec::new();
        let mut table = Table::new(&["factor", "index", "estimate", "95% CI", "noise share"]);
        for r in &x.rows {
            if r.output.as_str() != output {
                continue;
            }
            let fac = r.factor.clone();
            if kinds.iter().any(|(i, _)| *i == r.index.as_str()) && !factors.contains(&fac) {
                factors.push(fac.clone());
            }
            table.rows.push(vec![
                fac,
                r.index.clone(),
                num(r.estimate, 3),
                format!("{} to {}", num(r.ci_low, 3), num(r.ci_high, 3)),
                pct(r.noise_share),
            ]);
        }
        let value = |fac: &str, kind: &str| -> Result<BarValue, Error> {
            for r in &x.rows {
                if r.output.as_str() == output
                    && r.factor.as_str() == fac
                    && r.index.as_str() == kind
                {
                    let v = r.estimate;
                    return Ok(BarValue::Range {
                        lo: r.ci_low,
                        mid: v,
                        hi: r.ci_high,
                        dot: v,
                    });
                }
            }
            Ok(BarValue::Bar(f64::NAN))
        };
        // Most important first (by the first kind's estimate).
        let mut order: Vec<(String, f64)> = Vec::new();
        for fac in &factors {
            let v = match value(fac, kinds[0].0)? {
                BarValue::Range { mid, .. } => mid,
                BarValue::Bar(v) => v,
            };
            order.push((fac.clone(), if v.is_finite() { v } else { f64::MIN }));
        }
        order.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut values = Vec::new();
        for (fac, _) in &order {
            let mut row = Vec::new();
            for (kind, _) in &kinds {
                row.push(value(fac, kind)?);
            }
            values.push(row);
        }
        table.note = Some("From indices.csv. Sobol' indices: Saltelli 2010 (first order) and Jansen 1999 (total) on the Saltelli design, 95% bootstrap over base points. Chatterjee's xi: a given-data index on the draw points, 95% half-sample bootstrap. Noise share: the inner-sample noise's share of the output's variance across points, a bound on what it adds to the indices of the factors that matter (with common closure draws it adds nothing to a factor that does nothing).".into());
        let svg = if k < 4 && !order.is_empty() {
            let chart = BarChart {
                id: format!("indices-{k}"),
                width: 900,
                categories: order.iter().map(|(f, _)| f.clone()).collect(),
                groups: kinds
                    .iter()
                    .enumerate()
                    .map(|(i, (_, name))| (format!("{name}, 95% CI"), PALETTE[i]))
                    .collect(),
                values,
                x_desc: "index (share of the output's variance; xi: 0 independent, 1 a function)"
                    .into(),
                y_desc: "factor".into(),
                extra_keys: vec![("estimate".into(), Key::Fill(RGBColor(0, 0, 0), false))],
            };
            Some(chart.svg()?)
        } else {
            None
        };
        let drawn = svg.is_some();
        figures.push(Figure {
            id: format!("indices-{k}"),
            title: format!("What drives {output}"),
            svg,
            caption: if !drawn {
                format!("The numbers for {output} (the first four outputs have a chart; this one's indices are in the table, read as the charts above).")
            } else if sobol {
                format!("For {output} at each parameter point: each factor's total Sobol' index (its effect with every interaction it takes part in) and first-order index (its effect alone), with 95% intervals. A factor whose total index is near 0 can be fixed at any value in its range; the largest total indices are what more data would narrow most.")
            } else {
                format!("For {output} at each parameter point: each parameter's Chatterjee's xi with its 95% interval (0 when the output does not depend on the parameter, 1 when it is a function of it). Run with --indices for Sobol' indices.")
            },
            table,
        });
    }
    Ok(figures)
}

/// 4. The options across parameter points.
fn options_across(x: &Csv<OptionRow>) -> Result<Figure, Error> {
    let mut table = Table::new(&[
        "option",
        "measure",
        "mean",
        "p5",
        "p50",
        "p95",
        "share of draws above 0 (avoided) or 1 (B/C)",
    ]);
    let mut cats = Vec::new();
    let mut values = Vec::new();
    for r in &x.rows {
        let measure = r.measure.as_str();
        let usd = measure.ends_with("_usd");
        let f = |v: f64| if usd { musd(v) } else { num(v, 2) };
        table.rows.push(vec![
            r.option.clone(),
            if usd {
                format!("{} (USD m)", measure.trim_end_matches("_usd"))
            } else {
                measure.to_string()
            },
            f(r.mean),
            f(r.p5),
            f(r.p50),
            f(r.p95),
            pct(r.share_above),
        ]);
        if measure == "avoided_loss_usd" {
            cats.push(r.option.clone());
            values.push(vec![BarValue::Range {
                lo: r.p5 / 1e6,
                mid: r.p50 / 1e6,
                hi: r.p95 / 1e6,
                dot: r.mean / 1e6,
            }]);
        }
    }
    let chart = BarChart {
        id: "options-across".into(),
        width: 900,
        categories: cats,
        groups: vec![("p5 to p95 across parameter points".into(), PALETTE[2])],
        values,
        x_desc: "avoided mean annual loss, base minus option (USD million)".into(),
        y_desc: "option".into(),
        extra_keys: vec![
            ("median (tick)".into(), Key::Line(RGBColor(0, 0, 0))),
            ("mean (dot)".into(), Key::Fill(RGBColor(0, 0, 0), false)),
        ],
    };
    table.note = Some("From options.csv: each measure at each draw point (the point's years), then its mean and percentiles across the draw points. best_share: the share of years in which the option alone has the lowest loss.".into());
    Ok(Figure {
        id: "options-across".into(),
        title: "What each option avoids, across what the parameters allow".into(),
        svg: Some(chart.svg()?),
        caption: "For each option, the avoided mean annual loss at each parameter point (computed on that point's years, the same years for the base and every option), summarised across points: the bar spans the 5th to 95th percentile, the tick is the median. The spread is epistemic: it is what not knowing the parameters does to the option's benefit.".into(),
        table,
    })
}

/// 5. How often each pairwise ranking holds.
fn ranking(x: &Csv<RankRow>) -> Result<Figure, Error> {
    let mut table = Table::new(&[
        "on",
        "ahead",
        "behind",
        "share of draws it holds",
        "ties",
        "draw points",
    ]);
    let mut cats = Vec::new();
    let mut values = Vec::new();
    for r in &x.rows {
        let on = if r.measure.as_str() == "mean" {
            "avoided mean loss"
        } else {
            "TVaR95 removed per USD"
        };
        table.rows.push(vec![
            on.to_string(),
            r.first.clone(),
            r.second.clone(),
            pct(r.share_holds),
            pct(r.share_tied),
            r.points.clone(),
        ]);
        cats.push(format!(
            "{} > {} ({})",
            r.first.as_str(),
            r.second.as_str(),
            if r.measure.as_str() == "mean" {
                "mean"
            } else {
                "TVaR/USD"
            }
        ));
        values.push(vec![BarValue::Bar(100.0 * r.share_holds)]);
    }
    let chart = BarChart {
        id: "ranking-robustness".into(),
        width: 900,
        categories: cats,
        groups: vec![("share of parameter draws".into(), PALETTE[4])],
        values,
        x_desc: "share of parameter draws in which the ranking holds (%)".into(),
        y_desc: "ranking".into(),
        extra_keys: Vec::new(),
    };
    table.note = Some("From rankings.csv. The option named first is ahead in more draw points; 100% means the ranking holds whatever the parameters are within their laws.".into());
    Ok(Figure {
        id: "ranking-robustness".into(),
        title: "Which rankings survive the parameters' uncertainty".into(),
        svg: Some(chart.svg()?),
        caption: "For each pair of options, the share of parameter draws in which the first is ahead of the second: on the avoided mean annual loss, and on the TVaR95 removed per USD of present cost. Near 100%: a conclusion the data support; near 50%: the data cannot tell the two apart.".into(),
        table,
    })
}
