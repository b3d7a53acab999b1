//! The report of a `chokepoint run` folder: `run.csv` (metrics), `daily.csv` (daily
//! series) and `prices.csv` (daily prices, when the folder has it), all in long format.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;

use super::chart::{BarChart, BarValue, Line, XLabels, XyChart, PALETTE};
use super::data::{Csv, Order};
use super::html::{musd, num, Figure, Page, Table};
use super::manifest::ManifestInfo;
use super::{common, Options};
use crate::study::output::nan_if_empty;
use crate::Error;
use serde::Deserialize;

/// `run.csv`: (scope, id, metric) -> value, and ids per scope in file order.
struct Metrics {
    values: BTreeMap<(String, String, String), f64>,
    order: BTreeMap<String, Order>,
}

impl Metrics {
    fn read(dir: &Path) -> Result<Metrics, Error> {
        #[derive(Deserialize)]
        struct Row {
            scope: String,
            id: String,
            metric: String,
            #[serde(deserialize_with = "nan_if_empty")]
            value: f64,
        }
        let csv: Csv<Row> = Csv::read(dir, "run.csv", "run")?;
        let mut values = BTreeMap::new();
        let mut order: BTreeMap<String, Order> = BTreeMap::new();
        for r in &csv.rows {
            order.entry(r.scope.clone()).or_default().index(&r.id);
            values.insert((r.scope.clone(), r.id.clone(), r.metric.clone()), r.value);
        }
        if !values.contains_key(&("total".into(), String::new(), "total_loss_usd".into())) {
            return Err(csv.error("has no row `total,,total_loss_usd`: not a run's metrics"));
        }
        Ok(Metrics { values, order })
    }

    fn get(&self, scope: &str, id: &str, metric: &str) -> f64 {
        self.values
            .get(&(scope.to_string(), id.to_string(), metric.to_string()))
            .copied()
            .unwrap_or(f64::NAN)
    }

    fn ids(&self, scope: &str) -> &[String] {
        self.order.get(scope).map_or(&[], |o| o.ids())
    }
}

/// `daily.csv`: one vector per (scope, id, metric), indexed by day.
struct Daily {
    dates: Vec<String>,
    series: BTreeMap<(String, String, String), Vec<f64>>,
    order: BTreeMap<String, Order>,
}

impl Daily {
    fn read(dir: &Path) -> Result<Daily, Error> {
        #[derive(Deserialize)]
        struct Row {
            day: usize,
            date: String,
            scope: String,
            id: String,
            metric: String,
            #[serde(deserialize_with = "nan_if_empty")]
            value: f64,
        }
        let csv: Csv<Row> = Csv::read(dir, "daily.csv", "run")?;
        let days = csv.rows.iter().map(|r| r.day + 1).max().unwrap_or(0);
        if days == 0 {
            return Err(csv.error("has no rows: the run recorded no day"));
        }
        if days > 100_000 {
            return Err(csv.error("holds more than 100,000 days: not a run's daily series"));
        }
        let mut dates = vec![String::new(); days];
        let mut series: BTreeMap<(String, String, String), Vec<f64>> = BTreeMap::new();
        let mut order: BTreeMap<String, Order> = BTreeMap::new();
        for r in &csv.rows {
            let d = r.day;
            if dates[d].is_empty() {
                dates[d] = r.date.clone();
            }
            order.entry(r.scope.clone()).or_default().index(&r.id);
            let key = (r.scope.clone(), r.id.clone(), r.metric.clone());
            series.entry(key).or_insert_with(|| vec![f64::NAN; days])[d] = r.value;
        }
        for m in ["stranded_trucks", "delivered_usd"] {
            if !series.contains_key(&("total".into(), String::new(), m.into())) {
                return Err(csv.error(&format!("has no `total` series `{m}`")));
            }
        }
        Ok(Daily {
            dates,
            series,
            order,
        })
    }

    fn get(&self, scope: &str, id: &str, metric: &str) -> Option<&Vec<f64>> {
        self.series
            .get(&(scope.to_string(), id.to_string(), metric.to_string()))
    }

    fn ids(&self, scope: &str) -> &[String] {
        self.order.get(scope).map_or(&[], |o| o.ids())
    }

    fn days(&self) -> usize {
        self.dates.len()
    }

    /// Maximal runs of days on which some corridor is below full capacity, as
    /// (first day, last day).
    fn closure_periods(&self) -> Vec<(usize, usize)> {
        let closed: Vec<bool> = (0..self.days())
            .map(|d| {
                self.ids("corridor").iter().any(|c| {
                    self.get("corridor", c, "capacity_factor")
                        .is_some_and(|v| v[d] < 1.0)
                })
            })
            .collect();
        let mut out = Vec::new();
        let mut start = None;
        for (d, &c) in closed.iter().enumerate() {
            match (c, start) {
                (true, None) => start = Some(d),
                (false, Some(s)) => {
                    out.push((s, d - 1));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            out.push((s, closed.len() - 1));
        }
        out
    }
}

/// How many price points get a chart of their own (the largest peak changes).
const PRICE_CHARTS: usize = 3;

/// One price point's daily prices, from `prices.csv`.
struct PricePoint {
    product: String,
    node: String,
    side: String,
    run: Vec<f64>,
    counterfactual: Vec<f64>,
}

impl PricePoint {
    /// The change of largest magnitude, and its first day.
    fn peak(&self) -> (f64, usize) {
        let mut best = (0.0, 0);
        for (d, (r, c)) in self.run.iter().zip(&self.counterfactual).enumerate() {
            let x = r - c;
            if x.is_finite() && x.abs() > f64::abs(best.0) {
                best = (x, d);
            }
        }
        best
    }

    fn label(&self) -> String {
        if self.side == "market" {
            format!("{} at {}", self.product, self.node)
        } else {
            format!("{} at the farm gate in {}", self.product, self.node)
        }
    }
}

/// `prices.csv`: the run's and the counterfactual's price per point and day.
struct Prices {
    points: Vec<PricePoint>,
}

impl Prices {
    fn read(dir: &Path, days: usize) -> Result<Prices, Error> {
        #[derive(Deserialize)]
        struct Row {
            day: usize,
            product: String,
            node: String,
            side: String,
            #[serde(deserialize_with = "nan_if_empty")]
            price_usd_per_t: f64,
            #[serde(deserialize_with = "nan_if_empty")]
            counterfactual_usd_per_t: f64,
        }
        let csv: Csv<Row> = Csv::read(dir, "prices.csv", "run")?;
        let mut index: BTreeMap<(String, String, String), usize> = BTreeMap::new();
        let mut points: Vec<PricePoint> = Vec::new();
        for r in csv.rows.iter() {
            let d = r.day;
            if d >= days {
                return Err(csv.error(&format!(
                    "has day {d}, but daily.csv has {days} days: the files are of different runs"
                )));
            }
            let key = (r.product.clone(), r.node.clone(), r.side.clone());
            let i = *index.entry(key.clone()).or_insert_with(|| {
                points.push(PricePoint {
                    product: key.0,
                    node: key.1,
                    side: key.2,
                    run: vec![f64::NAN; days],
                    counterfactual: vec![f64::NAN; days],
                });
                points.len() - 1
            });
            points[i].run[d] = r.price_usd_per_t;
            points[i].counterfactual[d] = r.counterfactual_usd_per_t;
        }
        Ok(Prices { points })
    }

    /// The `k` points with the largest peak change (markets first on ties), leaving out
    /// those that never changed.
    fn largest(&self, k: usize) -> Vec<&PricePoint> {
        let mut v: Vec<&PricePoint> = self.points.iter().filter(|p| p.peak().0 != 0.0).collect();
        v.sort_by(|a, b| {
            f64::abs(b.peak().0)
                .total_cmp(&f64::abs(a.peak().0))
                .then((a.side != "market").cmp(&(b.side != "market")))
        });
        v.truncate(k);
        v
    }
}

/// The chart of one price point: its price each day in the run and without closures.
fn price_figure(
    i: usize,
    p: &PricePoint,
    dates: &[String],
    start: NaiveDate,
    spans: &[(f64, f64)],
    all: usize,
) -> Result<Figure, Error> {
    let id = format!("price-{}", i + 1);
    let days = dates.len();
    // The days around the change: from 30 days before the first changed day to 30 after
    // the last; the price axis around the prices (a change of a few percent shows).
    let changed: Vec<usize> = (0..days)
        .filter(|&d| p.run[d] != p.counterfactual[d])
        .collect();
    let (a, b) = match (changed.first(), changed.last()) {
        (Some(&f), Some(&l)) => (f.saturating_sub(30), (l + 31).min(days)),
        _ => (0, days),
    };
    let within = |v: &[f64]| -> Vec<(f64, f64)> {
        points(v, 1.0)
            .into_iter()
            .filter(|q| q.0 >= a as f64 && q.0 < b as f64)
            .collect()
    };
    let lines = vec![
        Line {
            name: "no closures (counterfactual)".into(),
            color: PALETTE[0],
            points: within(&p.counterfactual),
            width: 5,
        },
        Line {
            name: "with the closures".into(),
            color: PALETTE[3],
            points: within(&p.run),
            width: 2,
        },
    ];
    let (lo, hi) = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|q| q.1))
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    let pad = ((hi - lo) * 0.1).max(1.0);
    let y = if lo.is_finite() {
        (lo - pad).max(0.0)..hi + pad
    } else {
        0.0..1.0
    };
    let x = a as f64 - 0.5..b as f64 - 0.5;
    let spans: Vec<(f64, f64)> = spans
        .iter()
        .filter(|s| s.1 > x.start && s.0 < x.end)
        .map(|s| (s.0.max(x.start), s.1.min(x.end)))
        .collect();
    let chart = XyChart {
        id: id.clone(),
        size: (900, 320),
        x,
        x_log: false,
        y,
        x_desc: "date".into(),
        y_desc: "price (USD per t)".into(),
        x_labels: XLabels::Dates(start),
        spans,
        span_name: "a corridor closed".into(),
        bands: vec![],
        lines,
    };
    let mut table = Table::new(&[
        "date",
        "price (USD/t)",
        "no closures (USD/t)",
        "change (USD/t)",
    ]);
    for (d, date) in dates.iter().enumerate() {
        table.rows.push(vec![
            date.clone(),
            num(p.run[d], 2),
            num(p.counterfactual[d], 2),
            num(p.run[d] - p.counterfactual[d], 2),
        ]);
    }
    let (peak, day) = p.peak();
    let what = if p.side == "market" {
        "the marginal landed cost of one more tonne delivered there (freight, charges, holding and expected spoilage over the cheapest route with room, from an origin at its price), at most the buyer's value"
    } else {
        "the value of one more tonne available there (the buyer's value less the cheapest route, at least the origin price)"
    };
    Ok(Figure {
        id,
        title: format!("Price of {}, against no closures", p.label()),
        svg: Some(chart.svg()?),
        caption: format!(
            "The {} price each day from a month before its first change to a month after its last (the table has every day): {what}, with the closures (red) and in the counterfactual (blue); grey: days on which some corridor is below full capacity. Its largest change is {}{} USD/t, on {}. One of the {} largest price changes of the run's {all} price points (prices.csv; see docs/model.md, \"Prices\"): a routing shadow price, not a market survey.",
            if p.side == "market" { "market" } else { "farm-gate" },
            if peak > 0.0 { "+" } else { "" },
            num(peak, 2),
            dates.get(day).map_or("-", String::as_str),
            PRICE_CHARTS,
        ),
        table,
    })
}

fn points(v: &[f64], scale: f64) -> Vec<(f64, f64)> {
    v.iter()
        .enumerate()
        .map(|(d, y)| (d as f64, y * scale))
        .collect()
}

/// The report of a `run` folder.
/// What every figure of a run's page reads: the folder's metrics and daily series, and
/// the window's dates and closure periods.
struct Ctx {
    metrics: Metrics,
    daily: Daily,
    /// The first date of the window.
    start: NaiveDate,
    /// Days in the window.
    days: usize,
    /// Closure periods: (first day, last day) of each.
    periods: Vec<(usize, usize)>,
    /// The closure periods as x spans.
    spans: Vec<(f64, f64)>,
    /// The x range of the daily charts.
    x: std::ops::Range<f64>,
}

pub(super) fn page<'a>(
    dir: &Path,
    info: &'a ManifestInfo,
    options: &Options,
) -> Result<Page<'a>, Error> {
    let metrics = Metrics::read(dir)?;
    let daily = Daily::read(dir)?;
    let start = info
        .start
        .as_deref()
        .or(daily.dates.first().map(String::as_str))
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .unwrap_or_default();
    let days = daily.days();
    let periods = daily.closure_periods();
    let spans: Vec<(f64, f64)> = periods
        .iter()
        .map(|&(a, b)| (a as f64 - 0.5, b as f64 + 0.5))
        .collect();
    let x = -0.5..days as f64 - 0.5;

    let cx = Ctx {
        metrics,
        daily,
        start,
        days,
        periods,
        spans,
        x,
    };
    let mut notes = Vec::new();
    let mut figures = vec![
        stranded(&cx)?,
        delivered(&cx, &mut notes)?,
        components(&cx)?,
        corridor_use(&cx)?,
    ];
    figures.extend(prices(dir, &cx, &mut notes)?);
    figures.push(map(dir, info, options, &cx, &mut notes));
    let total = cx.metrics.get("total", "", "total_loss_usd");
    let mut facts = Vec::new();
    if let Some(c) = info.field("closures") {
        facts.push(("closures".to_string(), c.to_string()));
    }
    facts.push(("total loss".to_string(), format!("USD {} m", musd(total))));
    // What the run warns about (a capped run-out, a negative total or component), beside
    // the loss by component or, for the run-out, at the top.
    let m = &cx.metrics;
    let zero_if_absent = |v: f64| if v.is_nan() { 0.0 } else { v };
    let run = crate::montecarlo::warnings::RunFigures {
        total_loss_usd: total,
        components: [
            m.get("total", "", "reroute_cost_usd"),
            m.get("total", "", "delay_cost_usd"),
            m.get("total", "", "spoilage_usd"),
            m.get("total", "", "lost_trade_usd"),
        ],
        runout_capped: zero_if_absent(m.get("total", "", "runout_capped")) != 0.0,
        runout_open_usd: zero_if_absent(m.get("total", "", "runout_open_usd")),
    };
    let warnings = crate::montecarlo::warnings::check(&[run])
        .into_iter()
        .map(|w| (w.concerns, w.text))
        .collect();
    Ok(Page {
        info,
        dir: dir.display().to_string(),
        what: "Run".into(),
        facts,
        notes,
        headline: Vec::new(),
        warnings,
        figures,
    })
}

/// Figure 1: stranded trucks per day by crossing.
fn stranded(cx: &Ctx) -> Result<Figure, Error> {
    let (metrics, daily, start, days, spans, x) =
        (&cx.metrics, &cx.daily, cx.start, cx.days, &cx.spans, &cx.x);
    let mut crossings: Vec<(String, Vec<f64>)> = daily
        .ids("crossing")
        .iter()
        .filter_map(|c| {
            let v = daily.get("crossing", c, "queue_trucks")?;
            v.iter()
                .any(|x| *x > 0.0)
                .then(|| (c.clone(), v.iter().map(|x| x.max(0.0)).collect()))
        })
        .collect();
    crossings.sort_by(|a, b| b.1.iter().sum::<f64>().total_cmp(&a.1.iter().sum::<f64>()));
    let shown = PALETTE.len() - 1;
    if crossings.len() > shown {
        let rest: Vec<(String, Vec<f64>)> = crossings.split_off(shown - 1);
        let mut sum = vec![0.0; days];
        for (_, v) in &rest {
            for (s, x) in sum.iter_mut().zip(v) {
                *s += x;
            }
        }
        crossings.push((format!("{} other crossings", rest.len()), sum));
    }
    if crossings.is_empty() {
        let total = daily
            .get("total", "", "stranded_trucks")
            .cloned()
            .unwrap_or_default();
        crossings.push(("all crossings".into(), total));
    }
    let chart = XyChart {
        id: "stranded".into(),
        size: (900, 380),
        x: x.clone(),
        x_log: false,
        y: super::chart::y_range(crossings.iter().flat_map(|(_, v)| v.iter().copied())),
        x_desc: "date".into(),
        y_desc: "trucks queued (trucks)".into(),
        x_labels: XLabels::Dates(start),
        spans: spans.clone(),
        span_name: "a corridor closed".into(),
        bands: vec![],
        lines: crossings
            .iter()
            .enumerate()
            .map(|(i, (name, v))| Line {
                name: name.clone(),
                color: PALETTE[i % PALETTE.len()],
                points: points(v, 1.0),
                width: 2,
            })
            .collect(),
    };
    let mut headers = vec!["date".to_string()];
    headers.extend(crossings.iter().map(|(n, _)| format!("{n} (trucks)")));
    let mut table = Table {
        headers,
        rows: Vec::new(),
        note: Some("Trucks queued at each crossing at the end of the day (daily.csv, scope crossing, metric queue_trucks).".into()),
    };
    for d in 0..days {
        let mut row = vec![daily.dates[d].clone()];
        row.extend(crossings.iter().map(|(_, v)| num(v[d], 0)));
        table.rows.push(row);
    }
    Ok(Figure {
        id: "stranded".into(),
        title: "Stranded trucks per day, by crossing".into(),
        svg: Some(chart.svg()?),
        caption: format!(
            "Trucks waiting at each border crossing at the end of each day (a crossing that is shut or over capacity queues the cargo that reaches it). Grey: days on which some corridor is below full capacity. Peak over all crossings: {} trucks; {} truck-days in all.",
            num(metrics.get("total", "", "peak_stranded_trucks"), 0),
            num(metrics.get("total", "", "stranded_truck_days"), 0)
        ),
        table,
    })
}

/// Figure 2: value delivered per day against the counterfactual.
fn delivered(cx: &Ctx, notes: &mut Vec<String>) -> Result<Figure, Error> {
    let (daily, start, days, spans, x) = (&cx.daily, cx.start, cx.days, &cx.spans, &cx.x);
    let delivered = daily
        .get("total", "", "delivered_usd")
        .cloned()
        .unwrap_or_default();
    let counterfactual = daily
        .get("total", "", "counterfactual_delivered_usd")
        .cloned();
    let mut lines = vec![Line {
        name: "with the closures".into(),
        color: PALETTE[3],
        points: points(&delivered, 1e-6),
        width: 2,
    }];
    if let Some(cf) = &counterfactual {
        lines.insert(
            0,
            Line {
                name: "no closures (counterfactual)".into(),
                color: PALETTE[0],
                points: points(cf, 1e-6),
                // Under the red line, wider, so that it shows where the two agree.
                width: 5,
            },
        );
    } else {
        notes.push(
            "daily.csv has no counterfactual_delivered_usd: the delivered value is drawn alone."
                .into(),
        );
    }
    let chart = XyChart {
        id: "delivered".into(),
        size: (900, 380),
        x: x.clone(),
        x_log: false,
        y: super::chart::y_range(lines.iter().flat_map(|l| l.points.iter().map(|p| p.1))),
        x_desc: "date".into(),
        y_desc: "value delivered (USD million per day)".into(),
        x_labels: XLabels::Dates(start),
        spans: spans.clone(),
        span_name: "a corridor closed".into(),
        bands: vec![],
        lines,
    };
    let mut table = Table::new(&[
        "date",
        "delivered (USD m)",
        "counterfactual (USD m)",
        "difference (USD m)",
    ]);
    let mut shortfall = 0.0;
    for d in 0..days {
        let cf = counterfactual.as_ref().map_or(f64::NAN, |c| c[d]);
        shortfall += (cf - delivered[d]).max(0.0);
        table.rows.push(vec![
            daily.dates[d].clone(),
            musd(delivered[d]),
            musd(cf),
            musd(delivered[d] - cf),
        ]);
    }
    Ok(Figure {
        id: "delivered".into(),
        title: "Value delivered per day, against no closures".into(),
        svg: Some(chart.svg()?),
        caption: format!(
            "Value of the goods delivered to their buyers each day, with the closures and in the counterfactual (the same scenario with no closure). Where the red line runs below the blue one, trade is held up; above it, a backlog is being delivered. Days below the counterfactual add up to USD {} m.",
            musd(shortfall)
        ),
        table,
    })
}

/// Figure 3: the loss by component.
fn components(cx: &Ctx) -> Result<Figure, Error> {
    let metrics = &cx.metrics;
    let components = [
        ("reroute cost", "reroute_cost_usd"),
        ("delay cost", "delay_cost_usd"),
        ("spoilage", "spoilage_usd"),
        ("lost trade", "lost_trade_usd"),
        ("total loss", "total_loss_usd"),
    ];
    let total = metrics.get("total", "", "total_loss_usd");
    let chart = BarChart {
        id: "components".into(),
        width: 900,
        categories: components.iter().map(|c| c.0.to_string()).collect(),
        groups: vec![("loss".into(), PALETTE[3])],
        values: components
            .iter()
            .map(|c| vec![BarValue::Bar(metrics.get("total", "", c.1) / 1e6)])
            .collect(),
        x_desc: "loss against no closures (USD million)".into(),
        y_desc: "component".into(),
        extra_keys: vec![],
    };
    let mut table = Table::new(&[
        "component",
        "metric (run.csv)",
        "USD m",
        "share of total loss",
    ]);
    for (name, m) in components {
        let v = metrics.get("total", "", m);
        table.rows.push(vec![
            name.into(),
            m.into(),
            musd(v),
            if total != 0.0 {
                format!("{}%", num(100.0 * v / total, 1))
            } else {
                "-".into()
            },
        ]);
    }
    for (name, m) in [
        ("trade value halted (not added)", "trade_value_halted_usd"),
        ("border revenue lost (not added)", "revenue_lost_usd"),
    ] {
        table.rows.push(vec![
            name.into(),
            m.into(),
            musd(metrics.get("total", "", m)),
            "-".into(),
        ]);
    }
    Ok(Figure {
        id: "components".into(),
        title: "Loss by component".into(),
        svg: Some(chart.svg()?),
        caption: "What the closures cost, against the counterfactual: the total loss is reroute + delay + spoilage + lost trade. The value of trade halted (what did not cross when planned) and border revenue lost are reported beside it, not added.".into(),
        table,
    })
}

/// Figure 4: corridor use before, during and after the closures.
fn corridor_use(cx: &Ctx) -> Result<Figure, Error> {
    let (metrics, daily, days, periods) = (&cx.metrics, &cx.daily, cx.days, &cx.periods);
    let corridors: Vec<String> = daily
        .ids("corridor")
        .iter()
        .filter(|c| {
            daily
                .get("corridor", c, "flow_t")
                .is_some_and(|v| v.iter().any(|x| *x > 0.0))
                || metrics.get("corridor", c, "counterfactual_t") > 0.0
        })
        .cloned()
        .collect();
    let (first, last) = match (periods.first(), periods.last()) {
        (Some(f), Some(l)) => (f.0, l.1),
        _ => (days, days),
    };
    let windows: Vec<(String, usize, usize)> = [
        (format!("before: {} days", first), 0, first),
        (
            format!(
                "during: {} days",
                (last + 1).saturating_sub(first).min(days)
            ),
            first,
            (last + 1).min(days),
        ),
        (
            format!("after: {} days", days.saturating_sub(last + 1)),
            (last + 1).min(days),
            days,
        ),
    ]
    .into_iter()
    .filter(|(_, a, b)| b > a)
    .collect();
    let mean = |c: &str, a: usize, b: usize| -> f64 {
        daily.get("corridor", c, "flow_t").map_or(f64::NAN, |v| {
            v[a..b].iter().filter(|x| x.is_finite()).sum::<f64>() / (b - a) as f64
        })
    };
    let mut groups = vec![("no closures (whole window)".to_string(), PALETTE[0])];
    let window_colors = [PALETTE[1], PALETTE[3], PALETTE[2]];
    for (i, (name, _, _)) in windows.iter().enumerate() {
        groups.push((name.clone(), window_colors[i % 3]));
    }
    let mut values = Vec::new();
    let mut headers = vec!["corridor".to_string(), "no closures (t/day)".to_string()];
    headers.extend(windows.iter().map(|(n, _, _)| format!("{n} (t/day)")));
    let mut table = Table {
        headers,
        rows: Vec::new(),
        note: None,
    };
    for c in &corridors {
        let cf = metrics.get("corridor", c, "counterfactual_t") / days as f64;
        let mut row = vec![BarValue::Bar(cf)];
        let mut cells = vec![c.clone(), num(cf, 0)];
        for (_, a, b) in &windows {
            let m = mean(c, *a, *b);
            row.push(BarValue::Bar(m));
            cells.push(num(m, 0));
        }
        values.push(row);
        table.rows.push(cells);
    }
    let period_text = if periods.is_empty() {
        "No corridor closed in the window: every day is \"before\".".to_string()
    } else {
        format!(
            "\"During\" runs from the first day a corridor is below full capacity ({}) to the last ({}); \"before\" and \"after\" are the days outside it{}.",
            daily.dates[first],
            daily.dates[last.min(days - 1)],
            if first == 0 {
                " (a closure was already under way on the first day, so there is no \"before\")"
            } else {
                ""
            }
        )
    };
    let chart = BarChart {
        id: "corridor-use".into(),
        width: 900,
        categories: corridors.clone(),
        groups,
        values,
        x_desc: "tonnes carried (t per day, mean over the period)".into(),
        y_desc: "corridor".into(),
        extra_keys: vec![],
    };
    Ok(Figure {
        id: "corridor-use".into(),
        title: "Corridor use before, during and after the closures".into(),
        svg: Some(chart.svg()?),
        caption: format!(
            "Mean tonnes per day carried through each corridor in each period, and in the counterfactual over the whole window (blue). A corridor whose bars grow while another is closed took the diverted trade. {period_text}"
        ),
        table,
    })
}

/// Figures 5: prices, the points whose price moved most, in the run against no closures.
fn prices(dir: &Path, cx: &Ctx, notes: &mut Vec<String>) -> Result<Vec<Figure>, Error> {
    let (daily, start, days, spans) = (&cx.daily, cx.start, cx.days, &cx.spans);
    let mut figures = Vec::new();
    if dir.join("prices.csv").exists() {
        let prices = Prices::read(dir, days)?;
        let moved = prices.largest(PRICE_CHARTS);
        if moved.is_empty() {
            notes.push("No market or farm-gate price changed in this run (prices.csv).".into());
        }
        for (i, p) in moved.iter().enumerate() {
            figures.push(price_figure(
                i,
                p,
                &daily.dates,
                start,
                spans,
                prices.points.len(),
            )?);
        }
    } else {
        notes.push(
            "The folder has no prices.csv (written by chokepoint since prices were added): no \
             price chart."
                .into(),
        );
    }
    Ok(figures)
}

/// Figure 6: the map, corridors by closure days.
fn map(
    dir: &Path,
    info: &ManifestInfo,
    options: &Options,
    cx: &Ctx,
    notes: &mut Vec<String>,
) -> Figure {
    let metrics = &cx.metrics;
    let mut values = BTreeMap::new();
    let mut table = Table::new(&[
        "corridor",
        "closure days",
        "delivered (t)",
        "no closures (t)",
        "change (t)",
    ]);
    for c in metrics.ids("corridor") {
        let days_closed = metrics.get("corridor", c, "closure_days");
        values.insert(c.clone(), days_closed);
        let (d, cf) = (
            metrics.get("corridor", c, "delivered_t"),
            metrics.get("corridor", c, "counterfactual_t"),
        );
        table.rows.push(vec![
            c.clone(),
            num(days_closed, 0),
            num(d, 0),
            num(cf, 0),
            num(d - cf, 0),
        ]);
    }
    common::map_figure(
        dir,
        info,
        options,
        &values,
        "days closed",
        "Corridors coloured by the days they were closed (at any capacity below full) in the run",
        table,
        notes,
    )
}
