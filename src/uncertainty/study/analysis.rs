//! What an uncertainty study's years say: per point and scenario, the predictive
//! distribution, the variance split, the sensitivity indices, and the options'
//! robustness. Functions of an [`Outcome`]; the estimators are
//! [`crate::uncertainty`]'s.

use super::{Block, Outcome};
use crate::compare::stats::{best_counts, Tail};
use crate::montecarlo::stats::{quantile_sorted, Stats};
use crate::uncertainty::{
    chatterjee_xi, paired_noise, sobol_indices, variance_split_paired, DesignOutputs, Interval,
};

/// One (point, scenario) cell's results over its years.
#[derive(Debug, Clone, PartialEq)]
pub struct PointRow {
    /// The point.
    pub point: usize,
    /// The scenario (index into the labels).
    pub candidate: usize,
    /// Mean annual total loss, USD.
    pub mean_loss_usd: f64,
    /// VaR95 of the annual loss over the point's years, USD.
    pub var95_usd: f64,
    /// TVaR95 of the annual loss over the point's years, USD.
    pub tvar95_usd: f64,
    /// The base's mean loss less this one's (NaN for the base), USD a year.
    pub avoided_loss_usd: f64,
    /// The base's TVaR95 less this one's (NaN for the base), USD.
    pub avoided_tvar95_usd: f64,
    /// Share of the years in which this scenario alone has the lowest loss (as
    /// `compare` counts "best").
    pub best_share: f64,
    /// Share of the years whose loss is above the base's pooled VaR95 (the tail index).
    pub tail_share: f64,
    /// Benefit/cost ratio of the avoided loss (NaN for the base or without cost).
    pub benefit_cost_ratio: f64,
    /// TVaR95 removed per million USD of present cost (NaN for the base or without
    /// cost).
    pub tvar95_cut_per_musd: f64,
}

/// One statistic of a scenario's predictive loss distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictiveRow {
    /// The scenario.
    pub candidate: usize,
    /// `mean`, `pNN` (the NN% quantile: annual exceedance probability 1 − NN/100),
    /// `tvar95`, `tvar99`.
    pub statistic: String,
    /// Of the predictive distribution: every year of every draw point pooled, USD.
    pub value_usd: f64,
    /// The same statistic of each draw point's years: its 5th, 50th and 95th percentile
    /// across points (the band the parameters make), USD.
    pub points: [f64; 3],
}

/// The law of total variance of one output.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitRow {
    /// `LABEL:loss_usd` (a scenario's annual loss) or `OPTION:avoided_loss_usd`.
    pub output: String,
    /// Variance explained by the parameters, Var(E[Y|θ]), USD².
    pub between: Interval,
    /// Variance of the closure draws within a point, E[Var(Y|θ)], USD².
    pub within: Interval,
    /// The parameters' share of the variance.
    pub parameter_share: Interval,
}

/// One sensitivity index of one output to one factor (or axis).
#[derive(Debug, Clone, PartialEq)]
pub struct IndexRow {
    /// `LABEL:mean_loss_usd`, `LABEL:tvar95_usd`, `LABEL:tail_share`,
    /// `OPTION:avoided_loss_usd` or `OPTION:best_share`.
    pub output: String,
    /// The factor (Sobol') or axis (ξ).
    pub factor: String,
    /// `sobol_first`, `sobol_total` or `chatterjee_xi`.
    pub index: &'static str,
    /// The estimate and its 95% bootstrap interval (NaN where undefined: an output that
    /// does not vary).
    pub value: Interval,
    /// The inner-sample noise's share of the output's variance across the draw points
    /// (the interaction mean square over the years, [`paired_noise`], over the variance):
    /// a bound on what the noise adds to the Sobol' indices of the inputs that matter
    /// (with common closure draws it adds nothing to an input that does nothing). NaN
    /// where not estimated: TVaR95, and ξ.
    pub noise_share: f64,
}

/// One measure of one option across the draw points.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionRow {
    /// The option (index into the labels).
    pub option: usize,
    /// `avoided_loss_usd`, `benefit_cost_ratio`, `best_share`, `tvar95_cut_per_musd`.
    pub measure: &'static str,
    /// Mean, 5th, 50th and 95th percentile across the draw points.
    pub mean_p5_p50_p95: [f64; 4],
    /// Share of the draw points in which the measure is above 0 (avoided loss) or 1
    /// (benefit/cost); NaN for the others.
    pub share_above: f64,
}

/// How often one option ranks above another across the draw points.
#[derive(Debug, Clone, PartialEq)]
pub struct RankingRow {
    /// `mean` (avoided mean loss) or `tvar95_per_usd` (TVaR95 removed per USD).
    pub measure: &'static str,
    /// The option ahead on the draws' average.
    pub first: usize,
    /// The other option.
    pub second: usize,
    /// Share of draw points in which `first` is strictly ahead.
    pub share_holds: f64,
    /// Share of draw points with a tie.
    pub share_tied: f64,
    /// Draw points counted.
    pub points: usize,
}

/// Everything [`analyse`] finds.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// The base's VaR95 over every year of every draw point: the tail index's threshold.
    pub pooled_var95_usd: f64,
    /// Per point and scenario.
    pub points: Vec<PointRow>,
    /// The predictive distributions.
    pub predictive: Vec<PredictiveRow>,
    /// The variance splits.
    pub splits: Vec<SplitRow>,
    /// The sensitivity indices.
    pub indices: Vec<IndexRow>,
    /// The options across draws.
    pub options: Vec<OptionRow>,
    /// Pairwise rankings.
    pub rankings: Vec<RankingRow>,
}

/// The quantiles of the predictive tables, in percent.
pub const QUANTILES: [u32; 7] = [50, 80, 90, 95, 98, 99, 995];

fn quantile_name(q: u32) -> String {
    if q > 100 {
        format!("p{}.{}", q / 10, q % 10)
    } else {
        format!("p{q}")
    }
}

fn quantile_level(q: u32) -> f64 {
    if q > 100 {
        f64::from(q) / 1000.0
    } else {
        f64::from(q) / 100.0
    }
}

fn nan_interval() -> Interval {
    Interval {
        estimate: f64::NAN,
        low: f64::NAN,
        high: f64::NAN,
    }
}

/// 5th, 50th and 95th percentile of the finite values (NaN if none).
fn p5_50_95(v: &[f64]) -> [f64; 3] {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return [f64::NAN; 3];
    }
    s.sort_by(f64::total_cmp);
    [
        quantile_sorted(&s, 0.05),
        quantile_sorted(&s, 0.5),
        quantile_sorted(&s, 0.95),
    ]
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// The named statistic of some years' losses (see [`PredictiveRow::statistic`]).
fn statistic(sorted: &[f64], stats: &Stats, name: &str) -> f64 {
    match name {
        "mean" => stats.mean,
        "tvar95" => stats.tvar95,
        "tvar99" => stats.tvar99,
        _ => QUANTILES
            .iter()
            .find(|q| quantile_name(**q) == name)
            .map_or(f64::NAN, |q| quantile_sorted(sorted, quantile_level(*q))),
    }
}

/// Analyse an outcome.
pub fn analyse(o: &Outcome) -> Analysis {
    let c_n = o.labels.len();
    let p_n = o.points.u.len();
    let draws: Vec<usize> = (0..p_n).filter(|&p| o.points.block[p].is_draw()).collect();
    let (resamples, seed) = (o.bootstrap.0 as usize, o.bootstrap.1);

    // The base's pooled VaR95: the tail index's threshold.
    let mut pooled: Vec<f64> = draws.iter().flat_map(|&p| o.losses[p][0].clone()).collect();
    pooled.sort_by(f64::total_cmp);
    let pooled_var95 = Stats::of(&pooled).map_or(f64::NAN, |s| s.p95);

    // Per point and scenario.
    let mut rows = Vec::with_capacity(p_n * c_n);
    for p in 0..p_n {
        let l = &o.losses[p];
        let tails: Vec<Tail> = l.iter().map(|v| Tail::of(v)).collect();
        let means: Vec<f64> = l.iter().map(|v| mean(v)).collect();
        let slices: Vec<&[f64]> = l.iter().map(Vec::as_slice).collect();
        let (best, _) = best_counts(&slices);
        for c in 0..c_n {
            let years = l[c].len() as f64;
            let (avoided, avoided_tvar) = if c == 0 {
                (f64::NAN, f64::NAN)
            } else {
                (means[0] - means[c], tails[0].tvar95 - tails[c].tvar95)
            };
            let ap = o.appraisal[p][c];
            rows.push(PointRow {
                point: p,
                candidate: c,
                mean_loss_usd: means[c],
                var95_usd: tails[c].var95,
                tvar95_usd: tails[c].tvar95,
                avoided_loss_usd: avoided,
                avoided_tvar95_usd: avoided_tvar,
                best_share: best[c] as f64 / years,
                tail_share: l[c].iter().filter(|x| **x > pooled_var95).count() as f64 / years,
                benefit_cost_ratio: ap.and_then(|a| a.bcr(avoided)).unwrap_or(f64::NAN),
                tvar95_cut_per_musd: ap
                    .and_then(|a| a.per_million(avoided_tvar))
                    .unwrap_or(f64::NAN),
            });
        }
    }
    let row = |p: usize, c: usize| &rows[p * c_n + c];

    // The predictive distributions.
    let mut predictive = Vec::new();
    let names: Vec<String> = std::iter::once("mean".to_string())
        .chain(QUANTILES.iter().map(|q| quantile_name(*q)))
        .chain(["tvar95".to_string(), "tvar99".to_string()])
        .collect();
    for c in 0..c_n {
        let mut all: Vec<f64> = draws.iter().flat_map(|&p| o.losses[p][c].clone()).collect();
        all.sort_by(f64::total_cmp);
        let Some(all_stats) = Stats::of(&all) else {
            continue;
        };
        let per_point: Vec<(Vec<f64>, Stats)> = draws
            .iter()
            .filter_map(|&p| {
                let mut v = o.losses[p][c].clone();
                v.sort_by(f64::total_cmp);
                Stats::of(&v).map(|s| (v, s))
            })
            .collect();
        for name in &names {
            let across: Vec<f64> = per_point
                .iter()
                .map(|(v, s)| statistic(v, s, name))
                .collect();
            predictive.push(PredictiveRow {
                candidate: c,
                statistic: name.clone(),
                value_usd: statistic(&all, &all_stats, name),
                points: p5_50_95(&across),
            });
        }
    }

    // Per-year values of an output on the draw points: a scenario's loss, an option's
    // avoided loss, an indicator.
    let loss_matrix =
        |c: usize| -> Vec<Vec<f64>> { draws.iter().map(|&p| o.losses[p][c].clone()).collect() };
    let avoided_matrix = |c: usize| -> Vec<Vec<f64>> {
        draws
            .iter()
            .map(|&p| {
                o.losses[p][0]
                    .iter()
                    .zip(&o.losses[p][c])
                    .map(|(b, x)| b - x)
                    .collect()
            })
            .collect()
    };

    // Variance splits.
    let mut splits = Vec::new();
    let mut split = |output: String, y: Vec<Vec<f64>>| {
        let s = variance_split_paired(&y, resamples, seed).ok();
        splits.push(SplitRow {
            output,
            between: s.as_ref().map_or_else(nan_interval, |s| s.between),
            within: s.as_ref().map_or_else(nan_interval, |s| s.within),
            parameter_share: s.as_ref().map_or_else(nan_interval, |s| s.parameter_share),
        });
    };
    for c in 0..c_n {
        split(format!("{}:loss_usd", o.labels[c]), loss_matrix(c));
    }
    for c in 1..c_n {
        split(
            format!("{}:avoided_loss_usd", o.labels[c]),
            avoided_matrix(c),
        );
    }

    // The outputs of the sensitivity indices: per point, and the per-year values whose
    // mean it is (for the noise), when it is a mean.
    type Output = (String, Vec<f64>, Option<Vec<Vec<f64>>>);
    let mut outputs: Vec<Output> = Vec::new();
    let per_point = |f: &dyn Fn(&PointRow) -> f64, c: usize| -> Vec<f64> {
        (0..p_n).map(|p| f(row(p, c))).collect()
    };
    outputs.push((
        "base:mean_loss_usd".into(),
        per_point(&|r| r.mean_loss_usd, 0),
        Some(loss_matrix(0)),
    ));
    outputs.push((
        "base:tvar95_usd".into(),
        per_point(&|r| r.tvar95_usd, 0),
        None,
    ));
    let tail_years: Vec<Vec<f64>> = draws
        .iter()
        .map(|&p| {
            o.losses[p][0]
                .iter()
                .map(|x| f64::from(u8::from(*x > pooled_var95)))
                .collect()
        })
        .collect();
    outputs.push((
        "base:tail_share".into(),
        per_point(&|r| r.tail_share, 0),
        Some(tail_years),
    ));
    for c in 1..c_n {
        outputs.push((
            format!("{}:avoided_loss_usd", o.labels[c]),
            per_point(&|r| r.avoided_loss_usd, c),
            Some(avoided_matrix(c)),
        ));
        let best_years: Vec<Vec<f64>> = draws
            .iter()
            .map(|&p| {
                let l = &o.losses[p];
                (0..l[c].len())
                    .map(|i| {
                        let alone = (0..c_n).all(|k| k == c || l[k][i] > l[c][i]);
                        f64::from(u8::from(alone))
                    })
                    .collect()
            })
            .collect();
        outputs.push((
            format!("{}:best_share", o.labels[c]),
            per_point(&|r| r.best_share, c),
            Some(best_years),
        ));
    }

    let mut indices = Vec::new();
    let saltelli = o.points.block.contains(&Block::A);
    for (name, y, years) in &outputs {
        let y_draws: Vec<f64> = draws.iter().map(|&p| y[p]).collect();
        let var = {
            let m = mean(&y_draws);
            y_draws.iter().map(|v| (v - m).powi(2)).sum::<f64>() / y_draws.len() as f64
        };
        let noise = years.as_ref().and_then(|m| paired_noise(m).ok());
        let noise_share = noise.map_or(f64::NAN, |n| if var > 0.0 { n / var } else { f64::NAN });
        if saltelli {
            let n = o.points.block.iter().filter(|b| **b == Block::A).count();
            let g = o.factors.len();
            let split =
                DesignOutputs::split(y, n, g).and_then(|d| sobol_indices(&d, resamples, seed));
            for (k, f) in o.factors.iter().enumerate() {
                let (first, total) = match &split {
                    Ok(s) => (s.first[k], s.total[k]),
                    Err(_) => (nan_interval(), nan_interval()),
                };
                indices.push(IndexRow {
                    output: name.clone(),
                    factor: f.label.clone(),
                    index: "sobol_first",
                    value: first,
                    noise_share,
                });
                indices.push(IndexRow {
                    output: name.clone(),
                    factor: f.label.clone(),
                    index: "sobol_total",
                    value: total,
                    noise_share,
                });
            }
        }
        // ξ reads the draws as independent pairs: not on a Sobol' sequence.
        for (j, axis) in o.axes.iter().enumerate().filter(|_| o.independent) {
            let x: Vec<f64> = draws.iter().map(|&p| o.points.u[p][j]).collect();
            let xi =
                chatterjee_xi(&x, &y_draws, resamples, seed).unwrap_or_else(|_| nan_interval());
            indices.push(IndexRow {
                output: name.clone(),
                factor: axis.clone(),
                index: "chatterjee_xi",
                value: xi,
                noise_share: f64::NAN,
            });
        }
    }

    // The options across the draw points.
    let mut options = Vec::new();
    type Measure = (&'static str, fn(&PointRow) -> f64, f64);
    let measures: [Measure; 4] = [
        ("avoided_loss_usd", |r| r.avoided_loss_usd, 0.0),
        ("benefit_cost_ratio", |r| r.benefit_cost_ratio, 1.0),
        ("best_share", |r| r.best_share, f64::NAN),
        ("tvar95_cut_per_musd", |r| r.tvar95_cut_per_musd, f64::NAN),
    ];
    for c in 1..c_n {
        for (measure, f, above) in measures {
            let v: Vec<f64> = draws.iter().map(|&p| f(row(p, c))).collect();
            let finite: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
            let [p5, p50, p95] = p5_50_95(&v);
            let m = if finite.is_empty() {
                f64::NAN
            } else {
                mean(&finite)
            };
            let share_above = if above.is_nan() || finite.is_empty() {
                f64::NAN
            } else {
                finite.iter().filter(|x| **x > above).count() as f64 / finite.len() as f64
            };
            options.push(OptionRow {
                option: c,
                measure,
                mean_p5_p50_p95: [m, p5, p50, p95],
                share_above,
            });
        }
    }

    // Pairwise rankings.
    let mut rankings = Vec::new();
    type Ranked = (&'static str, fn(&PointRow) -> f64);
    let ranked: [Ranked; 2] = [
        ("mean", |r| r.avoided_loss_usd),
        ("tvar95_per_usd", |r| r.tvar95_cut_per_musd),
    ];
    for (measure, f) in ranked {
        for a in 1..c_n {
            for b in a + 1..c_n {
                let pairs: Vec<(f64, f64)> = draws
                    .iter()
                    .map(|&p| (f(row(p, a)), f(row(p, b))))
                    .filter(|(x, y)| x.is_finite() && y.is_finite())
                    .collect();
                if pairs.is_empty() {
                    continue;
                }
                let n = pairs.len() as f64;
                let ahead = pairs.iter().filter(|(x, y)| x > y).count() as f64;
                let tied = pairs.iter().filter(|(x, y)| x == y).count() as f64;
                let behind = n - ahead - tied;
                let (first, second, holds) = if ahead >= behind {
                    (a, b, ahead)
                } else {
                    (b, a, behind)
                };
                rankings.push(RankingRow {
                    measure,
                    first,
                    second,
                    share_holds: holds / n,
                    share_tied: tied / n,
                    points: pairs.len(),
                });
            }
        }
    }

    Analysis {
        pooled_var95_usd: pooled_var95,
        points: rows,
        predictive,
        splits,
        indices,
        options,
        rankings,
    }
}
