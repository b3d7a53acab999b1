//! The report of a `chokepoint montecarlo` (or `merge`) folder: `daily_bands.csv`,
//! `exceedance.csv`, `summary.csv` and `convergence.csv`.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;

use super::chart::{Band, BarChart, BarValue, Key, Line, XLabels, XyChart, PALETTE};
use super::data::{Csv, Order};
use super::html::{musd, num, Figure, Page, Table};
use super::manifest::ManifestInfo;
use super::{common, Options};
use crate::study::output::nan_if_empty;
use crate::Error;
use serde::Deserialize;

/// z of a two-sided 95% interval.
const Z95: f64 = 1.959964;

/// The 95% Wilson score interval of a binomial proportion: `k` of `n`.
pub(crate) fn wilson(k: f64, n: f64) -> (f64, f64) {
    if n <= 0.0 {
        return (f64::NAN, f64::NAN);
    }
    let p = k / n;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// `summary.csv`: (metric, statistic) -> (value, ci_low, ci_high).
struct Summary {
    values: BTreeMap<(String, String), (f64, f64, f64)>,
    metrics: Order,
}

impl Summary {
    fn read(dir: &Path) -> Result<Summary, Error> {
        #[derive(Deserialize)]
        struct Row {
            metric: String,
            statistic: String,
            #[serde(deserialize_with = "nan_if_empty")]
            value: f64,
            #[serde(deserialize_with = "nan_if_empty")]
            ci_low: f64,
            #[serde(deserialize_with = "nan_if_empty")]
            ci_high: f64,
        }
        let csv: Csv<Row> = Csv::read(dir, "summary.csv", "montecarlo")?;
        let mut values = BTreeMap::new();
        let mut metrics = Order::default();
        for r in &csv.rows {
            metrics.index(&r.metric);
            values.insert(
                (r.metric.clone(), r.statistic.clone()),
                (r.value, r.ci_low, r.ci_high),
            );
        }
        if !values.contains_key(&("total_loss_usd".into(), "mean".into())) {
            return Err(csv.error("has no `total_loss_usd,mean` row: not a Monte Carlo summary"));
        }
        Ok(Summary { values, metrics })
    }

    fn get(&self, metric: &str, stat: &str) -> f64 {
        self.full(metric, stat).0
    }

    fn full(&self, metric: &str, stat: &str) -> (f64, f64, f64) {
        self.values
            .get(&(metric.to_string(), stat.to_string()))
            .copied()
            .unwrap_or((f64::NAN, f64::NAN, f64::NAN))
    }
}

/// One series of `daily_bands.csv`.
#[derive(Default)]
struct Bands {
    dates: Vec<String>,
    p5: Vec<f64>,
    p50: Vec<f64>,
    p95: Vec<f64>,
    mean: Vec<f64>,
}

fn read_bands(dir: &Path) -> Result<BTreeMap<String, Bands>, Error> {
    #[derive(Deserialize)]
    struct Row {
        day: usize,
        date: String,
        series: String,
        #[serde(deserialize_with = "nan_if_empty")]
        p5: f64,
        #[serde(deserialize_with = "nan_if_empty")]
        p50: f64,
        #[serde(deserialize_with = "nan_if_empty")]
        p95: f64,
        #[serde(deserialize_with = "nan_if_empty")]
        mean: f64,
    }
    let csv: Csv<Row> = Csv::read(dir, "daily_bands.csv", "montecarlo")?;
    let mut out: BTreeMap<String, Bands> = BTreeMap::new();
    for (i, r) in csv.rows.iter().enumerate() {
        let b = out.entry(r.series.clone()).or_default();
        if r.day != b.dates.len() {
            return Err(csv.error(&format!(
                "line {}: day {} of series `{}` out of order (expected day {})",
                i + 2,
                r.day,
                r.series,
                b.dates.len()
            )));
        }
        b.dates.push(r.date.clone());
        b.p5.push(r.p5);
        b.p50.push(r.p50);
        b.p95.push(r.p95);
        b.mean.push(r.mean);
    }
    for s in ["stranded_trucks", "delivered_usd"] {
        if !out.contains_key(s) {
            return Err(csv.error(&format!("has no series `{s}`")));
        }
    }
    Ok(out)
}

/// The y range of a fan chart. A median at zero all year would lie on the x axis and
/// vanish: when the data start at zero the axis starts 4% of the range below it, so a
/// zero line is drawn above the axis.
fn fan_y_range(b: &Bands, scale: f64) -> std::ops::Range<f64> {
    let r = super::chart::y_range(b.p5.iter().chain(&b.p95).chain(&b.mean).map(|v| v * scale));
    if r.start == 0.0 {
        -0.04 * r.end..r.end
    } else {
        r
    }
}

fn fan(
    id: &str,
    b: &Bands,
    scale: f64,
    start: NaiveDate,
    y_desc: &str,
    color: plotters::style::RGBColor,
) -> Result<String, Error> {
    let n = b.dates.len();
    let pts = |v: &[f64]| -> Vec<(f64, f64)> {
        v.iter()
            .enumerate()
            .map(|(d, y)| (d as f64, y * scale))
            .collect()
    };
    let mut polygon = pts(&b.p5);
    polygon.extend(pts(&b.p95).into_iter().rev());
    let chart = XyChart {
        id: id.into(),
        size: (900, 380),
        x: -0.5..n as f64 - 0.5,
        x_log: false,
        y: fan_y_range(b, scale),
        x_desc: "date".into(),
        y_desc: y_desc.into(),
        x_labels: XLabels::Dates(start),
        spans: vec![],
        span_name: String::new(),
        bands: vec![Band {
            name: "p5 to p95 of runs".into(),
            color,
            polygon,
        }],
        lines: vec![
            Line {
                name: "median (p50)".into(),
                color,
                points: pts(&b.p50),
                width: 3,
            },
            Line {
                name: "mean".into(),
                color: PALETTE[3],
                points: pts(&b.mean),
                width: 1,
            },
        ],
    };
    chart.svg()
}

fn fan_table(b: &Bands, scale: f64, decimals: usize, unit: &str) -> Table {
    let mut t = Table::new(&[
        "date",
        &format!("p5 ({unit})"),
        &format!("p50 ({unit})"),
        &format!("p95 ({unit})"),
        &format!("mean ({unit})"),
    ]);
    for d in 0..b.dates.len() {
        t.rows.push(vec![
            b.dates[d].clone(),
            num(b.p5[d] * scale, decimals),
            num(b.p50[d] * scale, decimals),
            num(b.p95[d] * scale, decimals),
            num(b.mean[d] * scale, decimals),
        ]);
    }
    t
}

/// A row of `exceedance.csv`.
#[derive(Deserialize)]
struct ExceedRow {
    #[serde(deserialize_with = "nan_if_empty")]
    total_loss_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    runs_at_or_above: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    annual_exceedance_probability: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    return_period_years: f64,
}

/// A row of `convergence.csv`.
#[derive(Deserialize)]
struct ConvRow {
    #[serde(deserialize_with = "nan_if_empty")]
    runs: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    mean_total_loss_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    ci_low_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    ci_high_usd: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    relative_error: f64,
}

/// A row of `controlled.csv`.
#[derive(Deserialize)]
struct ControlledRow {
    metric: String,
    estimator: String,
    #[serde(deserialize_with = "nan_if_empty")]
    mean: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    ci_low: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    ci_high: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    variance_reduction: f64,
    #[serde(deserialize_with = "nan_if_empty")]
    effective_runs: f64,
}

/// The fact of the total loss's mean with control variates, beside the plain one, from
/// `controlled.csv` (`None` for a folder without it: `--no-controls`, or an older one).
fn controlled_fact(dir: &Path, per: &str) -> Result<Option<(String, String)>, Error> {
    if !dir.join("controlled.csv").is_file() {
        return Ok(None);
    }
    let csv: Csv<ControlledRow> = Csv::read(dir, "controlled.csv", "montecarlo")?;
    let Some(c) = csv
        .rows
        .iter()
        .find(|r| r.metric == "total_loss_usd" && r.estimator == "controlled")
    else {
        return Err(csv.error("has no `total_loss_usd,controlled` row"));
    };
    Ok(Some((
        "total loss, with control variates".to_string(),
        format!(
            "mean USD {} m per {per} (95% CI {} to {}): variance reduction {:.1}, as {:.0} plain runs (controlled.csv)",
            musd(c.mean),
            musd(c.ci_low),
            musd(c.ci_high),
            c.variance_reduction,
            c.effective_runs
        ),
    )))
}

/// What the figures of the page read, prepared once.
struct Ctx {
    summary: Summary,
    bands: BTreeMap<String, Bands>,
    exceed: Csv<ExceedRow>,
    conv: Csv<ConvRow>,
    runs: f64,
    start: NaiveDate,
    per: String,
    rp_unit: String,
}

/// The report of a `montecarlo` folder.
pub(super) fn page<'a>(
    dir: &Path,
    info: &'a ManifestInfo,
    options: &Options,
) -> Result<Page<'a>, Error> {
    let summary = Summary::read(dir)?;
    let bands = read_bands(dir)?;
    let exceed = Csv::read(dir, "exceedance.csv", "montecarlo")?;
    let conv = Csv::read(dir, "convergence.csv", "montecarlo")?;
    let runs = info
        .runs
        .map(|r| r as f64)
        .unwrap_or_else(|| summary.get("total_loss_usd", "n"));
    let start = info
        .start
        .as_deref()
        .or(bands
            .get("stranded_trucks")
            .and_then(|b| b.dates.first().map(String::as_str)))
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .unwrap_or_default();
    let per = match info.days {
        Some(365) | Some(366) | None => "year".to_string(),
        Some(d) => format!("simulated period of {d} days"),
    };
    // The unit of a return period: years, or periods of the window's length.
    let rp_unit = match info.days {
        Some(365) | Some(366) | None => "years".to_string(),
        Some(d) => format!("periods of {d} days"),
    };

    let cx = Ctx {
        summary,
        bands,
        exceed,
        conv,
        runs,
        start,
        per,
        rp_unit,
    };
    let mut notes = Vec::new();
    let mut figures = Vec::new();
    figures.extend(fans(&cx)?);
    figures.extend(exceedance(&cx)?);
    figures.extend(components(&cx)?);
    figures.extend(convergence(&cx)?);
    figures.extend(map(dir, info, options, &cx, &mut notes)?);
    let (summary, per) = (&cx.summary, &cx.per);
    let (mean, lo, hi) = summary.full("total_loss_usd", "mean");
    let mut facts = vec![(
        "total loss".to_string(),
        format!(
            "mean USD {} m per {per} (95% CI {} to {}), p95 USD {} m, TVaR 95% USD {} m (the mean of the worst 5% of {per}s)",
            musd(mean),
            musd(lo),
            musd(hi),
            musd(summary.get("total_loss_usd", "p95")),
            musd(summary.get("total_loss_usd", "tvar95"))
        ),
    )];
    if let Some(fact) = controlled_fact(dir, per)? {
        facts.push(fact);
    }
    if let Some(c) = info.field("close") {
        facts.push(("fixed closures (--close)".into(), c.into()));
    }
    Ok(Page {
        info,
        dir: dir.display().to_string(),
        what: "Monte Carlo study".into(),
        facts,
        notes,
        headline: Vec::new(),
        warnings: run_warnings(dir)?,
        figures,
    })
}

/// The warnings the study's runs raise (`runs.csv`; [`crate::montecarlo::warnings`]),
/// each as (figure, text). A folder of an older version without the run-out's columns
/// gives the warnings its columns allow.
fn run_warnings(dir: &Path) -> Result<Vec<(String, String)>, Error> {
    use crate::montecarlo::warnings::{check, RunFigures};
    #[derive(Deserialize)]
    struct Row {
        #[serde(deserialize_with = "nan_if_empty")]
        total_loss_usd: f64,
        #[serde(deserialize_with = "nan_if_empty")]
        reroute_cost_usd: f64,
        #[serde(deserialize_with = "nan_if_empty")]
        delay_cost_usd: f64,
        #[serde(deserialize_with = "nan_if_empty")]
        spoilage_usd: f64,
        #[serde(deserialize_with = "nan_if_empty")]
        lost_trade_usd: f64,
        /// 0 or 1; missing (0) in a folder of an older version.
        #[serde(default, deserialize_with = "nan_if_empty")]
        runout_capped: f64,
        #[serde(default, deserialize_with = "nan_if_empty")]
        runout_open_usd: f64,
    }
    let runs: Csv<Row> = Csv::read_with(
        dir,
        "runs.csv",
        "montecarlo",
        &["runout_capped", "runout_open_usd"],
    )?;
    let figures: Vec<RunFigures> = runs
        .rows
        .iter()
        .map(|r| RunFigures {
            total_loss_usd: r.total_loss_usd,
            components: [
                r.reroute_cost_usd,
                r.delay_cost_usd,
                r.spoilage_usd,
                r.lost_trade_usd,
            ],
            runout_capped: r.runout_capped != 0.0,
            runout_open_usd: r.runout_open_usd,
        })
        .collect();
    Ok(check(&figures)
        .into_iter()
        .map(|w| (w.concerns, w.text))
        .collect())
}

/// 1-2. Fan charts.
fn fans(cx: &Ctx) -> Result<Vec<Figure>, Error> {
    let bands = &cx.bands;
    let runs = cx.runs;
    let start = cx.start;
    let mut figures = Vec::new();
    // 1-2. Fan charts.
    let trucks = &bands["stranded_trucks"];
    figures.push(Figure {
        id: "fan-stranded".into(),
        title: "Stranded trucks per day: fan chart".into(),
        svg: Some(fan(
            "fan-stranded",
            trucks,
            1.0,
            start,
            "trucks queued at all crossings (trucks)",
            PALETTE[1],
        )?),
        caption: format!(
            "Over {} runs, the trucks queued at all crossings at the end of each day: in half of the runs the day is below the median line; in 90% it lies inside the band (p5 to p95). A median at zero means that on that day no truck is queued in at least half of the runs (most years have no closure then); the line is then drawn just above the axis. A mean far above the median means rare, long queues carry the average.",
            num(runs, 0)
        ),
        table: fan_table(trucks, 1.0, 0, "trucks"),
    });
    let delivered = &bands["delivered_usd"];
    figures.push(Figure {
        id: "fan-delivered".into(),
        title: "Trade delivered per day: fan chart".into(),
        svg: Some(fan(
            "fan-delivered",
            delivered,
            1e-6,
            start,
            "value delivered (USD million per day)",
            PALETTE[0],
        )?),
        caption: "The value of goods delivered each day across runs: median, mean and the p5 to p95 band. The band's lower edge shows how far a bad run's day falls below a normal one (seasonal swings move all runs alike).".into(),
        table: fan_table(delivered, 1e-6, 2, "USD m"),
    });

    Ok(figures)
}

/// 3. Loss exceedance curve with the Wilson band of each exceedance probability.
fn exceedance(cx: &Ctx) -> Result<Vec<Figure>, Error> {
    let exceed = &cx.exceed;
    let runs = cx.runs;
    let per = &cx.per;
    let rp_unit = &cx.rp_unit;
    let mut figures = Vec::new();
    // 3. Loss exceedance curve with the Wilson band of each exceedance probability.
    let mut pts = Vec::new(); // (return period, loss USD m, k)
    for r in &exceed.rows {
        let (loss, k, aep, rp) = (
            r.total_loss_usd,
            r.runs_at_or_above,
            r.annual_exceedance_probability,
            r.return_period_years,
        );
        if loss.is_finite() && rp.is_finite() && rp > 0.0 && aep > 0.0 {
            pts.push((rp, loss / 1e6, k));
        }
    }
    if pts.is_empty() {
        return Err(exceed.error("has no rows: no run was recorded"));
    }
    pts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let n = if runs > 0.0 {
        runs
    } else {
        pts[0].2 / (1.0 / pts[0].0)
    };
    let band: Vec<(f64, f64, f64)> = pts
        .iter()
        .map(|&(_, loss, k)| {
            let (lo, hi) = wilson(k, n);
            (1.0 / hi, 1.0 / lo, loss)
        })
        .collect();
    let x_max = band
        .iter()
        .map(|b| b.1)
        .chain(pts.iter().map(|p| p.0))
        .filter(|v| v.is_finite())
        .fold(10.0, f64::max)
        * 1.2;
    let mut polygon: Vec<(f64, f64)> = band.iter().map(|b| (b.0, b.2)).collect();
    polygon.extend(band.iter().rev().map(|b| (b.1.min(x_max), b.2)));
    let chart = XyChart {
        id: "exceedance".into(),
        size: (900, 420),
        x: 1.0..x_max,
        x_log: true,
        y: super::chart::y_range(pts.iter().map(|p| p.1)),
        x_desc: format!("return period ({rp_unit}; log scale)"),
        y_desc: "total loss (USD million)".into(),
        x_labels: XLabels::Numbers,
        spans: vec![],
        span_name: String::new(),
        bands: vec![Band {
            name: "95% band (Wilson)".into(),
            color: PALETTE[0],
            polygon,
        }],
        lines: vec![Line {
            name: "loss exceedance".into(),
            color: PALETTE[0],
            points: pts.iter().map(|p| (p.0, p.1)).collect(),
            width: 2,
        }],
    };
    let mut table = Table::new(&[
        &format!("return period ({rp_unit})"),
        "total loss (USD m)",
        "runs at or above",
        "exceedance probability",
        &format!("95% range of the return period ({rp_unit})"),
    ]);
    for t in [
        2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 10000.0,
    ] {
        if t > n {
            break;
        }
        // The largest loss whose return period is at most t.
        if let Some((i, p)) = pts.iter().enumerate().rev().find(|(_, p)| p.0 <= t + 1e-9) {
            table.rows.push(vec![
                num(t, 0),
                num(p.1, 2),
                num(p.2, 0),
                num(p.2 / n, 4),
                format!("{} to {}", num(band[i].0, 1), num(band[i].1, 1)),
            ]);
        }
    }
    table.note = Some(format!(
        "Read off exceedance.csv ({} distinct losses): at each standard return period T, the largest loss whose return period is at most T.",
        pts.len()
    ));
    figures.push(Figure {
        id: "exceedance".into(),
        title: "Loss exceedance curve".into(),
        svg: Some(chart.svg()?),
        caption: format!(
            "How often a total loss at least this large happens (one run is one {per}): a loss at return period T is reached or exceeded in one {per} in T on average. The band is a 95% confidence band from sampling alone: each loss level was reached in k of the {} runs, and the Wilson score interval of k/n (runs are independent years) gives the range of its exceedance probability, drawn as a range of return periods. It widens in the tail, where few runs say anything; it says nothing about whether the scenario itself is right.",
            num(n, 0)
        ),
        table,
    });

    Ok(figures)
}

/// 4. Loss distribution by component.
fn components(cx: &Ctx) -> Result<Vec<Figure>, Error> {
    let summary = &cx.summary;
    let per = &cx.per;
    let mut figures = Vec::new();
    // 4. Loss distribution by component.
    let components = [
        ("reroute cost", "reroute_cost_usd"),
        ("delay cost", "delay_cost_usd"),
        ("spoilage", "spoilage_usd"),
        ("lost trade", "lost_trade_usd"),
        ("total loss", "total_loss_usd"),
    ];
    let chart = BarChart {
        id: "components".into(),
        width: 900,
        categories: components.iter().map(|c| c.0.to_string()).collect(),
        groups: vec![("p5 to p95 of runs".into(), PALETTE[4])],
        values: components
            .iter()
            .map(|(_, m)| {
                vec![BarValue::Range {
                    lo: summary.get(m, "p5") / 1e6,
                    mid: summary.get(m, "p50") / 1e6,
                    hi: summary.get(m, "p95") / 1e6,
                    dot: summary.get(m, "mean") / 1e6,
                }]
            })
            .collect(),
        x_desc: format!("loss per {per} (USD million)"),
        y_desc: "component".into(),
        extra_keys: vec![
            ("median (p50)".into(), Key::Line(PALETTE[4])),
            ("mean".into(), Key::Dot(plotters::style::BLACK)),
        ],
    };
    let mut table = Table::new(&[
        "component",
        "mean (USD m)",
        "95% CI of the mean (USD m)",
        "p5",
        "p50",
        "p95",
        "p99",
        "TVaR 95%",
    ]);
    for (name, m) in components
        .iter()
        .chain(&[("trade value halted (not a loss)", "trade_value_halted_usd")])
    {
        let (mean, lo, hi) = summary.full(m, "mean");
        table.rows.push(vec![
            name.to_string(),
            musd(mean),
            format!("{} to {}", musd(lo), musd(hi)),
            musd(summary.get(m, "p5")),
            musd(summary.get(m, "p50")),
            musd(summary.get(m, "p95")),
            musd(summary.get(m, "p99")),
            musd(summary.get(m, "tvar95")),
        ]);
    }
    table.note = Some("From summary.csv; percentiles are Hyndman-Fan type 7 over runs; TVaR 95% is the mean of the runs at or above the 95th percentile.".into());
    figures.push(Figure {
        id: "components".into(),
        title: "Loss distribution by component".into(),
        svg: Some(chart.svg()?),
        caption: format!(
            "Per component of the loss, the range from p5 to p95 of the runs (bar), the median (tick) and the mean (dot), in USD million per {per}. The components of one run add up to its total; their percentiles do not."
        ),
        table,
    });

    Ok(figures)
}

/// 5. Convergence of the mean.
fn convergence(cx: &Ctx) -> Result<Vec<Figure>, Error> {
    let conv = &cx.conv;
    let mut figures = Vec::new();
    // 5. Convergence of the mean.
    let mut rows: Vec<_> = conv
        .rows
        .iter()
        .map(|r| {
            (
                r.runs,
                r.mean_total_loss_usd / 1e6,
                r.ci_low_usd / 1e6,
                r.ci_high_usd / 1e6,
                r.relative_error,
            )
        })
        .collect();
    rows.retain(|r| r.0 >= 1.0);
    if rows.is_empty() {
        return Err(conv.error("has no rows"));
    }
    let mut polygon: Vec<(f64, f64)> = rows.iter().map(|r| (r.0, r.2)).collect();
    polygon.extend(rows.iter().rev().map(|r| (r.0, r.3)));
    let x_hi = rows.iter().map(|r| r.0).fold(1.0, f64::max);
    let x_lo = rows[0].0;
    // A log axis only when the runs span two decades (it would show one label or none).
    let log = x_hi / x_lo >= 100.0;
    let chart = XyChart {
        id: "convergence".into(),
        size: (900, 380),
        x: if log {
            (x_lo * 0.8).max(1.0)..x_hi * 1.25
        } else {
            0.0..x_hi * 1.05
        },
        x_log: log,
        y: super::chart::y_range(rows.iter().flat_map(|r| [r.1, r.2, r.3])),
        x_desc: if log {
            "runs (log scale)".into()
        } else {
            "runs".into()
        },
        y_desc: "mean total loss (USD million per run)".into(),
        x_labels: XLabels::Numbers,
        spans: vec![],
        span_name: String::new(),
        bands: vec![Band {
            name: "95% CI of the mean".into(),
            color: PALETTE[2],
            polygon,
        }],
        lines: vec![Line {
            name: "mean of the first runs".into(),
            color: PALETTE[2],
            points: rows.iter().map(|r| (r.0, r.1)).collect(),
            width: 2,
        }],
    };
    let mut table = Table::new(&[
        "runs",
        "mean total loss (USD m)",
        "95% CI (USD m)",
        "relative standard error",
    ]);
    for r in &rows {
        table.rows.push(vec![
            num(r.0, 0),
            num(r.1, 2),
            format!("{} to {}", num(r.2, 2), num(r.3, 2)),
            format!("{}%", num(100.0 * r.4, 2)),
        ]);
    }
    figures.push(Figure {
        id: "convergence".into(),
        title: "Convergence of the mean".into(),
        svg: Some(chart.svg()?),
        caption: "The mean total loss over the first n runs (runs in index order, as convergence.csv records them) with its 95% confidence interval (mean plus or minus 1.96 standard errors). The band narrows like 1 / sqrt(n); once the line stays inside the final band, more runs would move the mean less than its stated uncertainty.".into(),
        table,
    });

    Ok(figures)
}

/// 6. The map: corridors by mean closure days.
fn map(
    dir: &Path,
    info: &ManifestInfo,
    options: &Options,
    cx: &Ctx,
    notes: &mut Vec<String>,
) -> Result<Vec<Figure>, Error> {
    let summary = &cx.summary;
    let per = &cx.per;
    let mut figures = Vec::new();
    // 6. The map: corridors by mean closure days.
    let mut values = BTreeMap::new();
    let mut table = Table::new(&[
        "corridor",
        "mean closure days",
        "p95 closure days",
        "mean delivered (t)",
    ]);
    for m in summary.metrics.ids() {
        let Some(c) = m
            .strip_prefix("corridor:")
            .and_then(|r| r.strip_suffix(":closure_days"))
        else {
            continue;
        };
        let mean = summary.get(m, "mean");
        values.insert(c.to_string(), mean);
        table.rows.push(vec![
            c.to_string(),
            num(mean, 1),
            num(summary.get(m, "p95"), 0),
            num(summary.get(&format!("corridor:{c}:delivered_t"), "mean"), 0),
        ]);
    }
    figures.push(common::map_figure(
        dir,
        info,
        options,
        &values,
        "closure days / run",
        &format!("Corridors coloured by their mean days of closure per {per} over the runs"),
        table,
        notes,
    ));

    Ok(figures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_median_at_zero_is_drawn_above_the_axis() {
        let zeros = vec![0.0; 30];
        let mut p95 = zeros.clone();
        p95[10] = 500.0;
        let b = Bands {
            dates: (0..30).map(|d| d.to_string()).collect(),
            p5: zeros.clone(),
            p50: zeros.clone(),
            p95,
            mean: vec![20.0; 30],
        };
        let r = fan_y_range(&b, 1.0);
        assert!(r.start < 0.0 && r.end >= 500.0, "{r:?}");
        // The zero line sits at least 3% of the chart's height above the axis.
        assert!(-r.start / (r.end - r.start) > 0.03, "{r:?}");
        // Data below zero already lift the zero line off the axis: the range is kept.
        let below = Bands {
            p5: vec![-100.0; 30],
            ..b
        };
        assert_eq!(
            fan_y_range(&below, 1.0),
            super::super::chart::y_range([-100.0, 500.0, 20.0].into_iter())
        );
    }

    #[test]
    fn wilson_matches_a_known_value() {
        // 1 of 100: the 95% Wilson interval is 0.00177 .. 0.05449.
        let (lo, hi) = wilson(1.0, 100.0);
        assert!((lo - 0.001767).abs() < 1e-5, "{lo}");
        assert!((hi - 0.054486).abs() < 1e-5, "{hi}");
        let (lo, hi) = wilson(100.0, 100.0);
        assert!(lo > 0.96 && hi == 1.0);
    }
}
