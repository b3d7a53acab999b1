//! The statistics of a comparison, from its outcome alone (so a merge of shards gives
//! exactly what one process gives). See [`super::stats`] for the definitions.

use std::borrow::Cow;
use std::collections::BTreeSet;

use super::stats::{
    best_counts, bootstrap, percentile_ci, ranking, ranking_stability, regret, Appraisal, Paired,
    Tail, Wins, TAIL_MEASURES,
};
use super::Outcome;
use crate::montecarlo::stats::{wilson, Stats};
use crate::sim::RunMetrics;
use crate::study::metrics::Study;

/// The metrics whose paired differences are reported, in the comparison's order (the
/// metric table's [`Study::Compare`]).
pub fn metrics() -> Vec<&'static str> {
    crate::study::metrics::names(Study::Compare)
}

/// One metric of a run by name (see [`metrics`]; NaN for an unknown name).
pub fn metric(m: &RunMetrics, name: &str) -> f64 {
    crate::study::metrics::value(m, name)
}

/// A paired difference of one metric: `option` minus `against`.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// Future index.
    pub future: usize,
    /// Candidate index (0 = base).
    pub option: usize,
    /// Candidate index it is measured against.
    pub against: usize,
    /// Metric name.
    pub metric: String,
    /// The paired statistics.
    pub paired: Paired,
}

/// How often `option` beats `against` on total loss.
#[derive(Debug, Clone, PartialEq)]
pub struct WinRow {
    /// Future index.
    pub future: usize,
    /// Candidate index.
    pub option: usize,
    /// Against.
    pub against: usize,
    /// The counts.
    pub wins: Wins,
}

/// One candidate's chance of being the best, and its rank.
#[derive(Debug, Clone, PartialEq)]
pub struct BestRow {
    /// Future index.
    pub future: usize,
    /// Candidate index.
    pub candidate: usize,
    /// Mean total loss, USD.
    pub mean_total_loss_usd: f64,
    /// 1-based rank by mean total loss.
    pub rank: usize,
    /// Runs in which it alone has the lowest loss.
    pub best: usize,
    /// Runs in which it shares the lowest loss.
    pub tied_best: usize,
    /// Runs.
    pub n: usize,
    /// Share of bootstrap resamples in which it keeps its rank.
    pub p_keeps_rank: f64,
    /// Share of bootstrap resamples in which the whole ranking holds.
    pub p_ranking_holds: f64,
}

/// The change of a tail measure: `option` minus `against`.
#[derive(Debug, Clone, PartialEq)]
pub struct TailRow {
    /// Future index.
    pub future: usize,
    /// Candidate index.
    pub option: usize,
    /// Against.
    pub against: usize,
    /// `var95`, `var99`, `tvar95` or `tvar99`.
    pub measure: &'static str,
    /// The option's value, USD.
    pub option_usd: f64,
    /// The reference's value, USD.
    pub against_usd: f64,
    /// 95% bootstrap interval of the change.
    pub ci: (f64, f64),
}

/// A per-key paired difference (a corridor's tonnes, a country's revenue) of an option
/// against the base.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRow {
    /// Future index.
    pub future: usize,
    /// Candidate index.
    pub option: usize,
    /// Corridor or country.
    pub key: String,
    /// The base's mean.
    pub base_mean: f64,
    /// The option's mean.
    pub option_mean: f64,
    /// The paired difference.
    pub paired: Paired,
    /// A second paired difference (delivered USD for corridors).
    pub second: Option<Paired>,
}

/// Benefit and cost of an option against the base.
#[derive(Debug, Clone, PartialEq)]
pub struct BenefitCost {
    /// Future index.
    pub future: usize,
    /// Candidate index.
    pub option: usize,
    /// Its appraisal.
    pub appraisal: Appraisal,
    /// Per-run values are multiplied by this to make them per year (1 for a window of
    /// 365 or 366 days, else 365 / days).
    pub per_year: f64,
    /// Mean avoided loss per year and its paired 95% interval, USD/year.
    pub avoided: (f64, f64, f64),
    /// TVaR95 reduction (base minus option), USD, and its bootstrap interval.
    pub tvar95_reduction: (f64, f64, f64),
}

impl BenefitCost {
    /// (value, low, high) of `f` applied to the avoided loss (monotone increasing).
    pub fn through(&self, f: impl Fn(f64) -> f64) -> (f64, f64, f64) {
        (f(self.avoided.0), f(self.avoided.1), f(self.avoided.2))
    }
}

/// One row of the futures table: a candidate in a future.
#[derive(Debug, Clone, PartialEq)]
pub struct FutureRow {
    /// Future index.
    pub future: usize,
    /// Candidate index.
    pub candidate: usize,
    /// Mean total loss per year, and its 95% interval, USD.
    pub loss: (f64, f64, f64),
    /// Regret on loss: its mean loss minus the lowest in this future, USD/year.
    pub regret: f64,
    /// Equivalent annual cost (present cost / annuity factor), USD/year; 0 for the base.
    pub annual_cost: f64,
    /// Regret on loss plus equivalent annual cost, USD/year.
    pub regret_with_cost: f64,
    /// Share of runs with annual loss below the threshold (with one).
    pub below: Option<f64>,
}

/// Robustness of a candidate across futures.
#[derive(Debug, Clone, PartialEq)]
pub struct RobustRow {
    /// Candidate index.
    pub candidate: usize,
    /// Largest regret on loss over futures, USD/year.
    pub max_regret: f64,
    /// Whether it has the least largest regret (on loss).
    pub least_max_regret: bool,
    /// Largest regret on loss plus cost.
    pub max_regret_with_cost: f64,
    /// Whether it has the least largest regret on loss plus cost.
    pub least_max_regret_with_cost: bool,
    /// Share of futures x runs with annual loss below the threshold.
    pub below: Option<f64>,
}

/// Everything a comparison reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// Candidate labels (`base` first).
    pub labels: Vec<String>,
    /// Future names.
    pub futures: Vec<String>,
    /// Runs.
    pub runs: usize,
    /// Paired differences: each option against the base, then every pair of options.
    pub differences: Vec<Difference>,
    /// Wins on total loss, for the same pairs.
    pub wins: Vec<WinRow>,
    /// Best and rank per candidate.
    pub best: Vec<BestRow>,
    /// Tail changes, for the same pairs.
    pub tails: Vec<TailRow>,
    /// Trade delivered by corridor, option against base.
    pub corridors: Vec<KeyRow>,
    /// Revenue lost by country, option against base.
    pub revenue: Vec<KeyRow>,
    /// Benefit and cost of each option.
    pub benefit_cost: Vec<BenefitCost>,
    /// Candidates x futures.
    pub future_rows: Vec<FutureRow>,
    /// Robustness per candidate.
    pub robust: Vec<RobustRow>,
    /// The satisficing threshold.
    pub threshold_usd: Option<f64>,
}

/// The pairs compared: each option against the base, then every pair of options
/// (the later one against the earlier).
pub fn pairs(candidates: usize) -> Vec<(usize, usize)> {
    let mut p: Vec<(usize, usize)> = (1..candidates).map(|o| (o, 0)).collect();
    for a in 1..candidates {
        for b in a + 1..candidates {
            p.push((b, a));
        }
    }
    p
}

/// The statistics of `o`.
pub fn analyse(o: &Outcome) -> Analysis {
    let rec = o.manifest.compare.clone();
    let resamples = rec.as_ref().map_or(1000, |r| r.bootstrap_resamples) as usize;
    let seed = rec.as_ref().map_or(0, |r| r.bootstrap_seed);
    let threshold = rec.as_ref().and_then(|r| r.threshold_usd);
    let days = o.manifest.window.days;
    let per_year = if days == 365 || days == 366 {
        1.0
    } else {
        365.0 / f64::from(days.max(1))
    };
    let c = o.labels.len();
    let nf = o.futures.len();
    let runs = o.runs();
    let mut a = Analysis {
        labels: o.labels.clone(),
        futures: o.futures.clone(),
        runs,
        differences: Vec::new(),
        wins: Vec::new(),
        best: Vec::new(),
        tails: Vec::new(),
        corridors: Vec::new(),
        revenue: Vec::new(),
        benefit_cost: Vec::new(),
        future_rows: Vec::new(),
        robust: Vec::new(),
        threshold_usd: threshold,
    };
    let appraisal = |k: usize| -> Appraisal {
        rec.as_ref()
            .and_then(|r| r.options.get(k.wrapping_sub(1)))
            .map_or(
                Appraisal {
                    capital_cost_usd: 0.0,
                    annual_cost_usd: 0.0,
                    horizon_years: 1.0,
                    discount_rate: 0.0,
                },
                |r| Appraisal {
                    capital_cost_usd: r.capital_cost_usd,
                    annual_cost_usd: r.annual_cost_usd,
                    horizon_years: r.horizon_years,
                    discount_rate: r.discount_rate,
                },
            )
    };
    let mut loss_table = vec![vec![0.0; nf]; c];
    let mut cost_table = vec![vec![0.0; nf]; c];
    let mut below_count = vec![0usize; c];
    for f in 0..nf {
        let cols = &o.columns[f];
        let totals: Vec<Cow<[f64]>> = (0..c).map(|k| cols[k].losses()).collect();
        let refs: Vec<&[f64]> = totals.iter().map(|v| &v[..]).collect();
        for &(x, y) in &pairs(c) {
            for m in metrics() {
                a.differences.push(Difference {
                    future: f,
                    option: x,
                    against: y,
                    metric: m.into(),
                    paired: Paired::of(&cols[x].metric(m), &cols[y].metric(m)),
                });
            }
            a.wins.push(WinRow {
                future: f,
                option: x,
                against: y,
                wins: Wins::of(&totals[x], &totals[y]),
            });
        }
        // Bootstrap: means and tails of every candidate on the same resamples.
        let boot = bootstrap(&refs, resamples, seed.wrapping_add(f as u64));
        let tails: Vec<Tail> = totals.iter().map(|v| Tail::of(v)).collect();
        for &(x, y) in &pairs(c) {
            for measure in TAIL_MEASURES {
                let changes: Vec<f64> = boot
                    .tails
                    .iter()
                    .map(|t| t[x].get(measure) - t[y].get(measure))
                    .collect();
                a.tails.push(TailRow {
                    future: f,
                    option: x,
                    against: y,
                    measure,
                    option_usd: tails[x].get(measure),
                    against_usd: tails[y].get(measure),
                    ci: percentile_ci(changes),
                });
            }
        }
        let means: Vec<f64> = totals
            .iter()
            .map(|v| v.iter().sum::<f64>() / v.len().max(1) as f64)
            .collect();
        let order = ranking(&means);
        let (p_all, p_each) = ranking_stability(&boot, &order);
        let (best, tied) = best_counts(&refs);
        for k in 0..c {
            a.best.push(BestRow {
                future: f,
                candidate: k,
                mean_total_loss_usd: means[k],
                rank: order.iter().position(|&x| x == k).unwrap_or(0) + 1,
                best: best[k],
                tied_best: tied[k],
                n: runs,
                p_keeps_rank: p_each[k],
                p_ranking_holds: p_all,
            });
        }
        // Corridors and revenue, each option against the base.
        for k in 1..c {
            let corridors: BTreeSet<&String> = cols[0]
                .corridors
                .keys()
                .chain(cols[k].corridors.keys())
                .collect();
            for id in corridors {
                let of = |j: usize, usd: bool| cols[j].corridor(id, usd);
                let (bt, ot) = (of(0, false), of(k, false));
                let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
                a.corridors.push(KeyRow {
                    future: f,
                    option: k,
                    key: id.clone(),
                    base_mean: mean(&bt),
                    option_mean: mean(&ot),
                    paired: Paired::of(&ot, &bt),
                    second: Some(Paired::of(&of(k, true), &of(0, true))),
                });
            }
            let countries: BTreeSet<&String> = cols[0]
                .revenue
                .keys()
                .chain(cols[k].revenue.keys())
                .collect();
            for country in countries {
                let of = |j: usize| cols[j].revenue(country);
                let (b, x) = (of(0), of(k));
                let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
                a.revenue.push(KeyRow {
                    future: f,
                    option: k,
                    key: country.clone(),
                    base_mean: mean(&b),
                    option_mean: mean(&x),
                    paired: Paired::of(&x, &b),
                    second: None,
                });
            }
            // Benefit and cost: avoided loss = base - option.
            let avoided = Paired::of(&totals[0], &totals[k]);
            let red: Vec<f64> = boot
                .tails
                .iter()
                .map(|t| t[0].tvar95 - t[k].tvar95)
                .collect();
            let (rl, rh) = percentile_ci(red);
            a.benefit_cost.push(BenefitCost {
                future: f,
                option: k,
                appraisal: appraisal(k),
                per_year,
                avoided: (
                    avoided.mean * per_year,
                    avoided.ci_low * per_year,
                    avoided.ci_high * per_year,
                ),
                tvar95_reduction: (tails[0].tvar95 - tails[k].tvar95, rl, rh),
            });
        }
        // Futures table.
        for k in 0..c {
            let s = Stats::of(&totals[k]);
            let (m, lo, hi) = s.map_or((f64::NAN, f64::NAN, f64::NAN), |s| {
                (s.mean, s.ci_low, s.ci_high)
            });
            loss_table[k][f] = m * per_year;
            let ap = appraisal(k);
            let annual = if k == 0 {
                0.0
            } else {
                ap.pv_cost() / ap.annuity_factor()
            };
            cost_table[k][f] = m * per_year + annual;
            let below = threshold.map(|t| {
                let n = totals[k].iter().filter(|x| **x * per_year < t).count();
                below_count[k] += n;
                n as f64 / totals[k].len().max(1) as f64
            });
            a.future_rows.push(FutureRow {
                future: f,
                candidate: k,
                loss: (m * per_year, lo * per_year, hi * per_year),
                regret: 0.0,
                annual_cost: annual,
                regret_with_cost: 0.0,
                below,
            });
        }
    }
    let (reg, max_reg, choice) = regret(&loss_table);
    let (reg_c, max_reg_c, choice_c) = regret(&cost_table);
    for row in &mut a.future_rows {
        row.regret = reg[row.candidate][row.future];
        row.regret_with_cost = reg_c[row.candidate][row.future];
    }
    for k in 0..c {
        a.robust.push(RobustRow {
            candidate: k,
            max_regret: max_reg[k],
            least_max_regret: k == choice,
            max_regret_with_cost: max_reg_c[k],
            least_max_regret_with_cost: k == choice_c,
            below: threshold.map(|_| below_count[k] as f64 / (nf * runs).max(1) as f64),
        });
    }
    a
}

/// The Wilson interval of a best count.
pub fn best_ci(row: &BestRow) -> (f64, f64) {
    wilson(row.best as f64, row.n as f64)
}
