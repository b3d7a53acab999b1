//! The report of a `chokepoint uncertainty` folder: `predictive.csv`,
//! `variance_split.csv`, `indices.csv`, `options.csv` and `rankings.csv`.

use std::path::Path;

use plotters::style::RGBColor;

use super::chart::{Band, BarChart, BarValue, Key, Line, XLabels, XyChart, PALETTE};
use super::data::Csv;
use super::html::{musd, num, Figure, Page, Table};
use super::manifest::ManifestInfo;
use crate::Error;

const KIND: &str = "uncertainty";

fn pct(p: f64) -> String {
    if p.is_finite() {
        format!("{}%", num(100.0 * p, 0))
    } else {
        "-".into()
    }
}

/// The report of an `uncertainty` folder.
pub(super) fn page<'a>(dir: &Path, info: &'a ManifestInfo) -> Result<Page<'a>, Error> {
    let predictive = Csv::read(dir, "predictive.csv", KIND)?;
    let split = Csv::read(dir, "variance_split.csv", KIND)?;
    let indices = Csv::read(dir, "indices.csv", KIND)?;
    let options = Csv::read(dir, "options.csv", KIND)?;
    let rankings = Csv::read(dir, "rankings.csv", KIND)?;
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
fn exceedance(p: &Csv) -> Result<Figure, Error> {
    let [sc, st, v, lo, mid, hi] = p.cols([
        "scenario",
        "statistic",
        "value_usd",
        "points_p5_usd",
        "points_p50_usd",
        "points_p95_usd",
    ])?;
    let mut labels: Vec<String> = Vec::new();
    let mut table = Table::new(&[
        "scenario",
        "statistic",
        "predictive (USD m)",
        "across parameter points: p5 (USD m)",
        "p50 (USD m)",
        "p95 (USD m)",
    ]);
    for r in 0..p.rows.len() {
        let l = p.text(r, sc).to_string();
        if !labels.contains(&l) {
            labels.push(l);
        }
        table.rows.push(vec![
            p.text(r, sc).to_string(),
            p.text(r, st).to_string(),
            musd(p.num(r, v)?),
            musd(p.num(r, lo)?),
            musd(p.num(r, mid)?),
            musd(p.num(r, hi)?),
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
        for r in 0..p.rows.len() {
            if p.text(r, sc) != label {
                continue;
            }
            let x = aep(p.text(r, st));
            if !x.is_finite() {
                continue;
            }
            pts.push((x, p.num(r, v)? / 1e6));
            low.push((x, p.num(r, lo)? / 1e6));
            high.push((x, p.num(r, hi)? / 1e6));
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
fn variance_split(s: &Csv) -> Result<Figure, Error> {
    let [o, b, w, sh, lo, hi] = s.cols([
        "output",
        "between_usd2",
        "within_usd2",
        "parameter_share",
        "parameter_share_low",
        "parameter_share_high",
    ])?;
    let mut table = Table::new(&[
        "output",
        "parameters' share",
        "95% CI",
        "sd from parameters (USD m)",
        "sd from closure draws (USD m)",
    ]);
    let mut cats = Vec::new();
    let mut values = Vec::new();
    for r in 0..s.rows.len() {
        let (share, l, h) = (s.num(r, sh)?, s.num(r, lo)?, s.num(r, hi)?);
        let (between, within) = (s.num(r, b)?, s.num(r, w)?);
        table.rows.push(vec![
            s.text(r, o).to_string(),
            pct(share),
            format!("{} to {}", pct(l), pct(h)),
            musd(between.max(0.0).sqrt()),
            musd(within.max(0.0).sqrt()),
        ]);
        cats.push(s.text(r, o).to_string());
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
fn sensitivity(x: &Csv) -> Result<Vec<Figure>, Error> {
    let [o, f, ix, e, lo, hi, ns] = x.cols([
        "output",
        "factor",
        "index",
        "estimate",
        "ci_low",
        "ci_high",
        "noise_share",
    ])?;
    let mut outputs: Vec<String> = Vec::new();
    for r in 0..x.rows.len() {
        let name = x.text(r, o).to_string();
        if !outputs.contains(&name) {
            outputs.push(name);
        }
    }
    let sobol = (0..x.rows.len()).any(|r| x.text(r, ix) == "sobol_total");
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
        for r in 0..x.rows.len() {
            if x.text(r, o) != output {
                continue;
            }
            let fac = x.text(r, f).to_string();
            if kinds.iter().any(|(i, _)| *i == x.text(r, ix)) && !factors.contains(&fac) {
                factors.push(fac.clone());
            }
            table.rows.push(vec![
                fac,
                x.text(r, ix).to_string(),
                num(x.num(r, e)?, 3),
                format!("{} to {}", num(x.num(r, lo)?, 3), num(x.num(r, hi)?, 3)),
                pct(x.num(r, ns).unwrap_or(f64::NAN)),
            ]);
        }
        let value = |fac: &str, kind: &str| -> Result<BarValue, Error> {
            for r in 0..x.rows.len() {
                if x.text(r, o) == output && x.text(r, f) == fac && x.text(r, ix) == kind {
                    let v = x.num(r, e)?;
                    return Ok(BarValue::Range {
                        lo: x.num(r, lo)?,
                        mid: v,
                        hi: x.num(r, hi)?,
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
fn options_across(x: &Csv) -> Result<Figure, Error> {
    let [op, m, mean, p5, p50, p95, above] = x.cols([
        "option",
        "measure",
        "mean",
        "p5",
        "p50",
        "p95",
        "share_above",
    ])?;
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
    for r in 0..x.rows.len() {
        let measure = x.text(r, m);
        let usd = measure.ends_with("_usd");
        let f = |v: f64| if usd { musd(v) } else { num(v, 2) };
        table.rows.push(vec![
            x.text(r, op).to_string(),
            if usd {
                format!("{} (USD m)", measure.trim_end_matches("_usd"))
            } else {
                measure.to_string()
            },
            f(x.num(r, mean)?),
            f(x.num(r, p5)?),
            f(x.num(r, p50)?),
            f(x.num(r, p95)?),
            pct(x.num(r, above).unwrap_or(f64::NAN)),
        ]);
        if measure == "avoided_loss_usd" {
            cats.push(x.text(r, op).to_string());
            values.push(vec![BarValue::Range {
                lo: x.num(r, p5)? / 1e6,
                mid: x.num(r, p50)? / 1e6,
                hi: x.num(r, p95)? / 1e6,
                dot: x.num(r, mean)? / 1e6,
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
fn ranking(x: &Csv) -> Result<Figure, Error> {
    let [m, first, second, holds, tied, pts] = x.cols([
        "measure",
        "first",
        "second",
        "share_holds",
        "share_tied",
        "points",
    ])?;
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
    for r in 0..x.rows.len() {
        let on = if x.text(r, m) == "mean" {
            "avoided mean loss"
        } else {
            "TVaR95 removed per USD"
        };
        table.rows.push(vec![
            on.to_string(),
            x.text(r, first).to_string(),
            x.text(r, second).to_string(),
            pct(x.num(r, holds)?),
            pct(x.num(r, tied)?),
            x.text(r, pts).to_string(),
        ]);
        cats.push(format!(
            "{} > {} ({})",
            x.text(r, first),
            x.text(r, second),
            if x.text(r, m) == "mean" {
                "mean"
            } else {
                "TVaR/USD"
            }
        ));
        values.push(vec![BarValue::Bar(100.0 * x.num(r, holds)?)]);
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
