//! The report of a `chokepoint criticality` folder: `criticality.csv` (closures ranked by
//! loss), `diversion.csv` (where the diverted trade went) and, with `--runs`,
//! `contributions.csv` and `contribution_summary.csv` (the Monte Carlo view).

use std::collections::BTreeMap;
use std::path::Path;

use super::chart::{BarChart, BarValue, Key, PALETTE};
use super::data::Csv;
use super::html::{musd, num, Figure, Page, Table};
use super::manifest::ManifestInfo;
use super::{common, Options};
use crate::study::output::nan_if_empty;
use crate::Error;
use serde::Deserialize;

const KIND: &str = "criticality";

/// The warnings the study wrote (`warnings.csv`: concerns, warning), each to be shown
/// beside the figure it concerns; none for a folder written before the file existed.
fn read_warnings(dir: &Path) -> Result<Vec<(String, String)>, Error> {
    #[derive(Deserialize)]
    struct Row {
        concerns: String,
        warning: String,
    }
    if !dir.join("warnings.csv").is_file() {
        return Ok(Vec::new());
    }
    let t: Csv<Row> = Csv::read(dir, "warnings.csv", KIND)?;
    Ok(t.rows
        .into_iter()
        .map(|r| (r.concerns, r.warning))
        .collect())
}

/// One row of `criticality.csv`.
struct SetRow {
    kind: String,
    rank: String,
    set: String,
    corridors: String,
    /// total, reroute, delay, spoilage, lost trade (USD)
    loss: [f64; 5],
    peak_trucks: f64,
}

/// `criticality.csv` as written.
#[derive(Deserialize)]
struct SetCsvRow {
    kind: String,
    rank: String,
    set: String,
    corridors: String,
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
    #[serde(deserialize_with = "nan_if_empty")]
    peak_stranded_trucks: f64,
}

fn read_sets(dir: &Path) -> Result<Vec<SetRow>, Error> {
    let t: Csv<SetCsvRow> = Csv::read(dir, "criticality.csv", KIND)?;
    if t.rows.is_empty() {
        return Err(t.error("has no rows: not a criticality result"));
    }
    Ok(t.rows
        .into_iter()
        .map(|r| SetRow {
            kind: r.kind,
            rank: r.rank,
            set: r.set,
            corridors: r.corridors,
            loss: [
                r.total_loss_usd,
                r.reroute_cost_usd,
                r.delay_cost_usd,
                r.spoilage_usd,
                r.lost_trade_usd,
            ],
            peak_trucks: r.peak_stranded_trucks,
        })
        .collect())
}

/// `diversion.csv`: set -> rows of (corridor, closed, before, during, cf during).
type Diversion = BTreeMap<String, Vec<(String, bool, f64, f64, f64)>>;

fn read_diversion(dir: &Path) -> Result<Diversion, Error> {
    #[derive(Deserialize)]
    struct Row {
        set: String,
        corridor: String,
        closed: bool,
        #[serde(deserialize_with = "nan_if_empty")]
        before_t_per_day: f64,
        #[serde(deserialize_with = "nan_if_empty")]
        during_t_per_day: f64,
        #[serde(deserialize_with = "nan_if_empty")]
        counterfactual_during_t_per_day: f64,
    }
    let t: Csv<Row> = Csv::read(dir, "diversion.csv", KIND)?;
    let mut out: Diversion = BTreeMap::new();
    for r in t.rows {
        out.entry(r.set).or_default().push((
            r.corridor,
            r.closed,
            r.before_t_per_day,
            r.during_t_per_day,
            r.counterfactual_during_t_per_day,
        ));
    }
    Ok(out)
}

/// What the figures of the page read, prepared once.
struct Ctx {
    sets: Vec<SetRow>,
    diversion: Diversion,
    duration: String,
    start: String,
}

/// Render the page.
pub(super) fn page<'a>(
    dir: &Path,
    info: &'a ManifestInfo,
    options: &Options,
) -> Result<Page<'a>, Error> {
    let sets = read_sets(dir)?;
    let diversion = read_diversion(dir)?;
    let duration = info
        .field("criticality.duration_days")
        .unwrap_or("?")
        .to_string();
    let start = info.field("criticality.start").unwrap_or("?").to_string();

    let cx = Ctx {
        sets,
        diversion,
        duration,
        start,
    };
    let mut notes = Vec::new();
    let mut figures = Vec::new();
    figures.extend(ranking(&cx)?);
    figures.extend(monte_carlo(dir, &mut notes)?);
    figures.extend(where_diverted(&cx)?);
    figures.extend(map(dir, info, options, &cx, &mut notes)?);
    let mut facts = vec![(
        "closures".to_string(),
        format!("{} days from {}, every corridor alone and each N-k set; the scenario's own closures left out", cx.duration, cx.start),
    )];
    if let Some(f) = info.field("criticality.sets_file.path") {
        facts.push(("sets file".into(), f.into()));
    }
    Ok(Page {
        info,
        dir: dir.display().to_string(),
        what: "Criticality of corridors".into(),
        facts,
        notes,
        headline: Vec::new(),
        warnings: read_warnings(dir)?,
        figures,
    })
}

/// 1. Closures ranked by total loss, components beside.
fn ranking(cx: &Ctx) -> Result<Vec<Figure>, Error> {
    let sets = &cx.sets;
    let duration = &cx.duration;
    let start = &cx.start;
    let mut figures = Vec::new();
    // 1. Closures ranked by total loss, components beside.
    let names = ["reroute", "delay", "spoilage", "lost trade"];
    let chart = BarChart {
        id: "ranking".into(),
        width: 900,
        categories: sets
            .iter()
            .map(|s| {
                if s.kind == "N-1" {
                    s.set.clone()
                } else {
                    format!("{} (N-k)", s.set)
                }
            })
            .collect(),
        groups: std::iter::once(("total loss".to_string(), PALETTE[3]))
            .chain(
                names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n.to_string(), PALETTE[[0, 1, 4, 5][i]])),
            )
            .collect(),
        values: sets
            .iter()
            .map(|s| s.loss.iter().map(|v| BarValue::Bar(v / 1e6)).collect())
            .collect(),
        x_desc: "loss (USD million)".into(),
        y_desc: "closed".into(),
        extra_keys: vec![],
    };
    let mut table = Table::new(&[
        "kind",
        "rank",
        "closed",
        "corridors",
        "total loss (USD m)",
        "reroute (USD m)",
        "delay (USD m)",
        "spoilage (USD m)",
        "lost trade (USD m)",
        "peak stranded trucks",
    ]);
    for s in sets {
        let mut row = vec![
            s.kind.clone(),
            s.rank.clone(),
            s.set.clone(),
            s.corridors.clone(),
        ];
        row.extend(s.loss.iter().map(|v| musd(*v)));
        row.push(num(s.peak_trucks, 0));
        table.rows.push(row);
    }
    table.note = Some("From criticality.csv; losses are differences from the counterfactual (no closure) and include what the closure costs after it ends within the simulated window.".into());
    figures.push(Figure {
        id: "ranking".into(),
        title: "Corridors ranked by the loss of their closure".into(),
        svg: Some(chart.svg()?),
        caption: format!(
            "Each corridor closed alone (N-1, ranked by total loss, largest first), then each set of corridors closed together (N-k), for {duration} days from {start} on an otherwise open network. The first bar of a row is the total loss in USD million; the others are its parts (reroute, delay, spoilage, lost trade), which add up to it. A corridor whose closure costs little has detours with spare capacity, or carries little."
        ),
        table,
    });

    Ok(figures)
}

/// 2. The Monte Carlo view, when present.
fn monte_carlo(dir: &Path, notes: &mut Vec<String>) -> Result<Vec<Figure>, Error> {
    let mut figures = Vec::new();
    // 2. The Monte Carlo view, when present.
    if dir.join("contributions.csv").is_file() {
        #[derive(Deserialize)]
        struct Row {
            corridor: String,
            #[serde(deserialize_with = "nan_if_empty")]
            mean_contribution_usd: f64,
            #[serde(deserialize_with = "nan_if_empty")]
            ci_low_usd: f64,
            #[serde(deserialize_with = "nan_if_empty")]
            ci_high_usd: f64,
            #[serde(deserialize_with = "nan_if_empty")]
            share_of_mean_loss: f64,
            #[serde(deserialize_with = "nan_if_empty")]
            tvar95_contribution_usd: f64,
            #[serde(deserialize_with = "nan_if_empty")]
            tvar95_ci_low_usd: f64,
            #[serde(deserialize_with = "nan_if_empty")]
            tvar95_ci_high_usd: f64,
            #[serde(deserialize_with = "nan_if_empty")]
            p_rank_holds: f64,
        }
        let csv: Csv<Row> = Csv::read(dir, "contributions.csv", KIND)?;
        let mut cats = Vec::new();
        let mut values = Vec::new();
        let mut table = Table::new(&[
            "rank",
            "corridor",
            "mean contribution (USD m / year)",
            "95% CI, paired (USD m)",
            "share of mean loss",
            "TVaR95 contribution (USD m)",
            "95% CI, bootstrap (USD m)",
            "P(rank holds)",
        ]);
        for (i, r) in csv.rows.iter().enumerate() {
            let m = r.mean_contribution_usd / 1e6;
            let t = r.tvar95_contribution_usd / 1e6;
            let (l, h) = (r.ci_low_usd / 1e6, r.ci_high_usd / 1e6);
            let (tl, th) = (r.tvar95_ci_low_usd / 1e6, r.tvar95_ci_high_usd / 1e6);
            cats.push(r.corridor.clone());
            values.push(vec![
                BarValue::Range {
                    lo: l,
                    mid: m,
                    hi: h,
                    dot: m,
                },
                BarValue::Range {
                    lo: tl,
                    mid: t,
                    hi: th,
                    dot: t,
                },
            ]);
            table.rows.push(vec![
                (i + 1).to_string(),
                r.corridor.clone(),
                num(m, 2),
                format!("{} to {}", num(l, 2), num(h, 2)),
                format!("{}%", num(100.0 * r.share_of_mean_loss, 1)),
                num(t, 2),
                format!("{} to {}", num(tl, 2), num(th, 2)),
                num(r.p_rank_holds, 2),
            ]);
        }
        let mut facts = String::new();
        if dir.join("contribution_summary.csv").is_file() {
            #[derive(Deserialize)]
            struct Row {
                metric: String,
                #[serde(deserialize_with = "nan_if_empty")]
                value: f64,
            }
            let sum: Csv<Row> = Csv::read(dir, "contribution_summary.csv", KIND)?;
            let get = |name: &str| -> f64 {
                sum.rows
                    .iter()
                    .find(|r| r.metric == name)
                    .map_or(f64::NAN, |r| r.value)
            };
            facts = format!(
                " Base study: mean annual loss USD {} m (95% CI {} to {}), TVaR95 USD {} m. The whole ranking holds in {}% of {} bootstrap resamples.",
                musd(get("base_mean_total_loss_usd")),
                musd(get("base_ci_low_usd")),
                musd(get("base_ci_high_usd")),
                musd(get("base_tvar95_usd")),
                num(100.0 * get("p_order_holds"), 0),
                num(get("bootstrap_resamples"), 0)
            );
        }
        table.note = Some("From contributions.csv. Contributions do not add up to the total: closures interact (a detour that is shut at the same time, a shock that closes several corridors).".into());
        let chart = BarChart {
            id: "contributions".into(),
            width: 900,
            categories: cats,
            groups: vec![
                ("mean annual loss".into(), PALETTE[0]),
                ("TVaR 95%".into(), PALETTE[1]),
            ],
            values,
            x_desc: "contribution (USD million per year)".into(),
            y_desc: "corridor".into(),
            extra_keys: vec![
                (
                    "estimate (black dot)".into(),
                    Key::Dot(plotters::style::BLACK),
                ),
                ("bar: 95% CI".into(), Key::Fill(PALETTE[0], true)),
            ],
        };
        figures.push(Figure {
            id: "contributions".into(),
            title: "Each corridor's contribution to the Monte Carlo loss, with 95% intervals".into(),
            svg: Some(chart.svg()?),
            caption: format!(
                "Per corridor, ranked by its contribution to the mean annual loss: the base study's mean total loss (upper bar) and TVaR 95% (lower bar) minus the same runs' with that corridor's closure processes switched off and the corridor taken out of every shock group, in USD million per simulated year. Both runs share every other closure draw (common random numbers), so each run gives a paired difference. The bar is the 95% interval: of the mean from the paired differences (normal), of TVaR from a bootstrap over runs with a fixed generator; the dot is the estimate. Overlapping bars mean the order of those corridors is not settled by this many runs.{facts}"
            ),
            table,
        });
    } else {
        notes.push("No Monte Carlo view: the study ran without --runs.".into());
    }

    Ok(figures)
}

/// 3. Where the diverted trade went: the two costliest N-1 closures and every N-k set.
fn where_diverted(cx: &Ctx) -> Result<Vec<Figure>, Error> {
    let sets = &cx.sets;
    let diversion = &cx.diversion;
    let mut figures = Vec::new();
    // 3. Where the diverted trade went: the two costliest N-1 closures and every N-k set.
    let mut shown: Vec<&SetRow> = sets.iter().filter(|s| s.kind == "N-1").take(2).collect();
    shown.extend(sets.iter().filter(|s| s.kind != "N-1").take(3));
    let mut corridors: Vec<String> = Vec::new();
    for s in &shown {
        for (c, closed, _, during, cf) in diversion.get(&s.set).map_or(&[][..], |v| v) {
            let d = during - cf;
            if (*closed || d.abs() >= 1.0) && !corridors.contains(c) {
                corridors.push(c.clone());
            }
        }
    }
    let mut table = Table::new(&[
        "closed",
        "corridor",
        "before (t/day)",
        "during (t/day)",
        "counterfactual during (t/day)",
        "diverted (t/day)",
    ]);
    let values: Vec<Vec<BarValue>> = corridors
        .iter()
        .map(|c| {
            shown
                .iter()
                .map(|s| {
                    let row = diversion
                        .get(&s.set)
                        .and_then(|v| v.iter().find(|r| &r.0 == c));
                    BarValue::Bar(row.map_or(f64::NAN, |r| r.3 - r.4))
                })
                .collect()
        })
        .collect();
    for s in &shown {
        for (c, closed, before, during, cf) in diversion.get(&s.set).map_or(&[][..], |v| v) {
            if corridors.contains(c) {
                table.rows.push(vec![
                    s.set.clone(),
                    format!("{c}{}", if *closed { " (closed)" } else { "" }),
                    num(*before, 0),
                    num(*during, 0),
                    num(*cf, 0),
                    num(during - cf, 0),
                ]);
            }
        }
    }
    table.note = Some("From diversion.csv: mean tonnes per day over the 30 days before the closure, over the closed days, and the counterfactual's over the closed days; diverted = during - counterfactual during.".into());
    let chart = BarChart {
        id: "diversion".into(),
        width: 900,
        categories: corridors.clone(),
        groups: shown
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("{} closed", s.set), PALETTE[i % PALETTE.len()]))
            .collect(),
        values,
        x_desc: "change in tonnes per day during the closure (t/day)".into(),
        y_desc: "corridor".into(),
        extra_keys: vec![],
    };
    figures.push(Figure {
        id: "diversion".into(),
        title: "Where the diverted trade went".into(),
        svg: if corridors.is_empty() {
            None
        } else {
            Some(chart.svg()?)
        },
        caption: "For the costliest closures, each corridor's tonnes per day during the closure minus the counterfactual's on the same days: the closed corridors lose their flow (bars to the left), the corridors that absorb the diverted trade gain (bars to the right). What the left bars lose and the right bars do not gain is trade that waited, took another source, or was lost.".into(),
        table,
    });

    Ok(figures)
}

/// 4. The map: corridors by the loss of their closure alone.
fn map(
    dir: &Path,
    info: &ManifestInfo,
    options: &Options,
    cx: &Ctx,
    notes: &mut Vec<String>,
) -> Result<Vec<Figure>, Error> {
    let sets = &cx.sets;
    let duration = &cx.duration;
    let mut figures = Vec::new();
    // 4. The map: corridors by the loss of their closure alone.
    let mut values = BTreeMap::new();
    let mut table = Table::new(&["corridor", "N-1 total loss (USD m)"]);
    for s in sets.iter().filter(|s| s.kind == "N-1") {
        values.insert(s.set.clone(), s.loss[0] / 1e6);
        table.rows.push(vec![s.set.clone(), musd(s.loss[0])]);
    }
    figures.push(common::map_figure(
        dir,
        info,
        options,
        &values,
        "USD m",
        &format!("Corridors coloured by the total loss of closing each alone for {duration} days (USD million)"),
        table,
        notes,
    ));

    Ok(figures)
}
