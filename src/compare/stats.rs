//! Paired statistics of a comparison, as pure functions of per-run values (in run-index
//! order, so results never depend on threads or shards).
//!
//! - **Paired difference** of `a` against `b` (run by run, on common random numbers):
//!   `d_i = a_i - b_i`; its mean, standard error `sd(d) / sqrt(n)` and 95% interval
//!   `mean +- 1.959964 se`. The **unpaired** interval is what two independent studies of
//!   the same sizes would give: `se_u = sqrt(var(a) / n + var(b) / n)`. Pairing removed
//!   the share `1 - (se / se_u)^2` of the variance of the estimated difference.
//! - **Beats**: `a` beats `b` in a run when its loss is strictly lower; equal losses are a
//!   tie, which is not a win (an option that changes nothing beats the base in no run).
//!   Shares come with the 95% Wilson interval.
//! - **Best**: a candidate is best in a run when its loss is strictly lower than every
//!   other's; a run whose lowest loss is shared by several is a tie for them all, and a
//!   win for none (reported apart).
//! - **Bootstrap** (tail measures, the ranking's stability): `B` resamples of the run
//!   indices with replacement, the same indices for every candidate (so resamples stay
//!   paired); resample `b` draws from `ChaCha8Rng::seed_from_u64(seed)` on stream `b`. A
//!   statistic's 95% interval is the 2.5th and 97.5th type-7 percentiles of its values
//!   over the resamples (percentile bootstrap).
//! - **Benefit and cost**: see [`Appraisal`].

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::montecarlo::stats::{mean_sd, quantile_sorted, wilson, Stats, Z95};

/// The difference of `a` against `b`, run by run.
#[derive(Debug, Clone, PartialEq)]
pub struct Paired {
    /// Runs.
    pub n: usize,
    /// Mean of `a - b`.
    pub mean: f64,
    /// Standard error of that mean from the paired differences.
    pub se: f64,
    /// Lower end of the paired 95% interval.
    pub ci_low: f64,
    /// Upper end of the paired 95% interval.
    pub ci_high: f64,
    /// Standard error had `a` and `b` been sampled independently.
    pub se_unpaired: f64,
    /// Lower end of the unpaired 95% interval.
    pub unpaired_ci_low: f64,
    /// Upper end of the unpaired 95% interval.
    pub unpaired_ci_high: f64,
}

impl Paired {
    /// The paired difference of `a` against `b` (same length, in run order).
    pub fn of(a: &[f64], b: &[f64]) -> Paired {
        let n = a.len().min(b.len());
        let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
        let (mean, sd) = if n >= 2 {
            mean_sd(&d)
        } else {
            (d.first().copied().unwrap_or(f64::NAN), f64::NAN)
        };
        let se = sd / (n as f64).sqrt();
        let var = |v: &[f64]| {
            if v.len() >= 2 {
                let (_, s) = mean_sd(v);
                s * s
            } else {
                f64::NAN
            }
        };
        let se_u = (var(&a[..n]) / n as f64 + var(&b[..n]) / n as f64).sqrt();
        Paired {
            n,
            mean,
            se,
            ci_low: mean - Z95 * se,
            ci_high: mean + Z95 * se,
            se_unpaired: se_u,
            unpaired_ci_low: mean - Z95 * se_u,
            unpaired_ci_high: mean + Z95 * se_u,
        }
    }

    /// Paired interval width over the unpaired one (`se / se_u`; NaN when both are 0:
    /// the metric does not vary at all).
    pub fn width_ratio(&self) -> f64 {
        if self.se_unpaired == 0.0 {
            f64::NAN
        } else {
            self.se / self.se_unpaired
        }
    }

    /// Share of the variance of the estimated difference that pairing removed,
    /// `1 - (se / se_u)^2` (NaN when the metric does not vary at all).
    pub fn variance_removed(&self) -> f64 {
        1.0 - self.width_ratio().powi(2)
    }
}

/// How often `a` beats `b` (strictly lower), ties and loses, over runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Wins {
    /// Runs.
    pub n: usize,
    /// Runs in which `a < b`.
    pub wins: usize,
    /// Runs in which `a == b` (not wins).
    pub ties: usize,
}

impl Wins {
    /// Count over paired values.
    pub fn of(a: &[f64], b: &[f64]) -> Wins {
        let mut w = Wins {
            n: a.len().min(b.len()),
            wins: 0,
            ties: 0,
        };
        for (x, y) in a.iter().zip(b) {
            if x < y {
                w.wins += 1;
            } else if x == y {
                w.ties += 1;
            }
        }
        w
    }

    /// Share of runs won.
    pub fn p(&self) -> f64 {
        self.wins as f64 / self.n as f64
    }

    /// 95% Wilson interval of the share won.
    pub fn ci(&self) -> (f64, f64) {
        wilson(self.wins as f64, self.n as f64)
    }
}

/// For each candidate, runs in which it alone has the lowest loss, and runs in which it
/// shares the lowest loss with others. `values[candidate][run]`.
pub fn best_counts(values: &[&[f64]]) -> (Vec<usize>, Vec<usize>) {
    let c = values.len();
    let n = values.iter().map(|v| v.len()).min().unwrap_or(0);
    let mut best = vec![0; c];
    let mut tied = vec![0; c];
    for i in 0..n {
        let lo = values.iter().map(|v| v[i]).fold(f64::INFINITY, f64::min);
        let at: Vec<usize> = (0..c).filter(|&k| values[k][i] == lo).collect();
        if at.len() == 1 {
            best[at[0]] += 1;
        } else {
            for k in at {
                tied[k] += 1;
            }
        }
    }
    (best, tied)
}

/// The tail measures of one candidate's losses.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Tail {
    /// VaR 95%.
    pub var95: f64,
    /// VaR 99%.
    pub var99: f64,
    /// TVaR 95%.
    pub tvar95: f64,
    /// TVaR 99%.
    pub tvar99: f64,
}

impl Tail {
    /// Of values (any order), as [`Stats`] defines them.
    pub fn of(values: &[f64]) -> Tail {
        Stats::of(values).map_or_else(Tail::default, |s| Tail {
            var95: s.p95,
            var99: s.p99,
            tvar95: s.tvar95,
            tvar99: s.tvar99,
        })
    }

    /// By name: `var95`, `var99`, `tvar95`, `tvar99`.
    pub fn get(&self, which: &str) -> f64 {
        match which {
            "var95" => self.var95,
            "var99" => self.var99,
            "tvar95" => self.tvar95,
            _ => self.tvar99,
        }
    }
}

/// The names of the tail measures, in output order.
pub const TAIL_MEASURES: [&str; 4] = ["var95", "var99", "tvar95", "tvar99"];

/// What the bootstrap gives for one set of candidates.
#[derive(Debug, Clone, PartialEq)]
pub struct Bootstrap {
    /// Resamples.
    pub resamples: usize,
    /// `tails[b][candidate]`.
    pub tails: Vec<Vec<Tail>>,
    /// `means[b][candidate]`.
    pub means: Vec<Vec<f64>>,
}

/// Sorted values at `idx`, reusing `buf`.
fn resampled(values: &[f64], idx: &[usize], buf: &mut Vec<f64>) -> f64 {
    buf.clear();
    buf.extend(idx.iter().map(|&i| values[i]));
    let mean = buf.iter().sum::<f64>() / buf.len() as f64;
    buf.sort_unstable_by(f64::total_cmp);
    mean
}

fn tail_of_sorted(sorted: &[f64]) -> Tail {
    let tail = |p: f64| {
        let q = quantile_sorted(sorted, p);
        let start = sorted.partition_point(|v| *v < q);
        let t = &sorted[start..];
        let m = if t.is_empty() {
            q
        } else {
            t.iter().sum::<f64>() / t.len() as f64
        };
        (q, m)
    };
    let (var95, tvar95) = tail(0.95);
    let (var99, tvar99) = tail(0.99);
    Tail {
        var95,
        var99,
        tvar95,
        tvar99,
    }
}

/// `resamples` paired bootstrap resamples of `values[candidate][run]`, resample `b`
/// from `ChaCha8Rng::seed_from_u64(seed)` on stream `b` (so the result does not depend
/// on the thread count).
pub fn bootstrap(values: &[&[f64]], resamples: usize, seed: u64) -> Bootstrap {
    let n = values.iter().map(|v| v.len()).min().unwrap_or(0);
    let per: Vec<(Vec<Tail>, Vec<f64>)> = (0..resamples)
        .into_par_iter()
        .map(|b| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(b as u64);
            let idx: Vec<usize> = (0..n).map(|_| rng.random_range(0..n.max(1))).collect();
            let mut buf = Vec::with_capacity(n);
            let mut tails = Vec::with_capacity(values.len());
            let mut means = Vec::with_capacity(values.len());
            for v in values {
                if n == 0 {
                    tails.push(Tail::default());
                    means.push(f64::NAN);
                    continue;
                }
                means.push(resampled(v, &idx, &mut buf));
                tails.push(tail_of_sorted(&buf));
            }
            (tails, means)
        })
        .collect();
    let (tails, means) = per.into_iter().unzip();
    Bootstrap {
        resamples,
        tails,
        means,
    }
}

/// The 95% percentile-bootstrap interval of values over resamples.
pub fn percentile_ci(mut v: Vec<f64>) -> (f64, f64) {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    v.sort_by(f64::total_cmp);
    (quantile_sorted(&v, 0.025), quantile_sorted(&v, 0.975))
}

/// Candidates ordered by ascending mean (ties by index): the ranking by mean.
pub fn ranking(means: &[f64]) -> Vec<usize> {
    let mut r: Vec<usize> = (0..means.len()).collect();
    r.sort_by(|&a, &b| means[a].total_cmp(&means[b]).then(a.cmp(&b)));
    r
}

/// The ranking's stability: the share of resamples whose ranking by mean is the full
/// ranking `order`, and per candidate the share in which it keeps its rank.
pub fn ranking_stability(boot: &Bootstrap, order: &[usize]) -> (f64, Vec<f64>) {
    let c = order.len();
    let mut same = 0usize;
    let mut keeps = vec![0usize; c];
    for m in &boot.means {
        let r = ranking(m);
        if r == order {
            same += 1;
        }
        for (pos, &k) in r.iter().enumerate() {
            if order.get(pos) == Some(&k) {
                keeps[k] += 1;
            }
        }
    }
    let b = boot.means.len().max(1) as f64;
    (
        same as f64 / b,
        keeps.into_iter().map(|k| k as f64 / b).collect(),
    )
}

/// An option's appraisal: its costs and horizon, and the discount rate.
///
/// With `r` the discount rate and `H` the horizon in years, the annuity factor is
/// `A = (1 - (1 + r)^-H) / r` (`A = H` for `r = 0`): the present value of 1 USD a year,
/// paid at the end of each year for `H` years. With `L` the mean avoided loss per year
/// (the base's loss minus the option's, from the paired difference):
///
/// - present value of benefits `PVB = L A`;
/// - present value of costs `PVC = capital + annual_cost A`;
/// - net present value `NPV = PVB - PVC`; benefit/cost ratio `BCR = PVB / PVC` (none
///   when `PVC = 0`);
/// - their 95% intervals are those of `L` (the paired interval) carried through these
///   formulas, which are linear in `L`;
/// - TVaR95 reduction per million USD: `(TVaR95(base) - TVaR95(option)) / (PVC / 1e6)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Appraisal {
    /// Capital cost, USD (year 0).
    pub capital_cost_usd: f64,
    /// Yearly cost, USD/year.
    pub annual_cost_usd: f64,
    /// Horizon, years.
    pub horizon_years: f64,
    /// Discount rate, per year.
    pub discount_rate: f64,
}

impl Appraisal {
    /// The annuity factor `A`.
    pub fn annuity_factor(&self) -> f64 {
        let (r, h) = (self.discount_rate, self.horizon_years);
        if r == 0.0 {
            h
        } else {
            (1.0 - (1.0 + r).powf(-h)) / r
        }
    }

    /// Present value of the costs, USD.
    pub fn pv_cost(&self) -> f64 {
        self.capital_cost_usd + self.annual_cost_usd * self.annuity_factor()
    }

    /// Present value of an avoided loss of `per_year` USD a year.
    pub fn pv_benefit(&self, per_year: f64) -> f64 {
        per_year * self.annuity_factor()
    }

    /// Net present value for an avoided loss of `per_year`.
    pub fn npv(&self, per_year: f64) -> f64 {
        self.pv_benefit(per_year) - self.pv_cost()
    }

    /// Benefit/cost ratio for an avoided loss of `per_year` (`None` without cost).
    pub fn bcr(&self, per_year: f64) -> Option<f64> {
        let c = self.pv_cost();
        (c > 0.0).then(|| self.pv_benefit(per_year) / c)
    }

    /// A TVaR (or any) reduction per million USD of present cost (`None` without cost).
    pub fn per_million(&self, reduction: f64) -> Option<f64> {
        let c = self.pv_cost();
        (c > 0.0).then(|| reduction / (c / 1e6))
    }
}

/// Regret of a table `loss[candidate][future]` (means): each entry minus the lowest in
/// its future; returns the regret table, each candidate's largest regret, and the
/// candidate with the least largest regret (the first on a tie).
pub fn regret(loss: &[Vec<f64>]) -> (Vec<Vec<f64>>, Vec<f64>, usize) {
    let futures = loss.iter().map(|r| r.len()).min().unwrap_or(0);
    let best: Vec<f64> = (0..futures)
        .map(|f| loss.iter().map(|r| r[f]).fold(f64::INFINITY, f64::min))
        .collect();
    let table: Vec<Vec<f64>> = loss
        .iter()
        .map(|r| (0..futures).map(|f| r[f] - best[f]).collect())
        .collect();
    let max: Vec<f64> = table
        .iter()
        .map(|r| r.iter().copied().fold(0.0, f64::max))
        .collect();
    let choice = (0..max.len())
        .min_by(|&a, &b| max[a].total_cmp(&max[b]).then(a.cmp(&b)))
        .unwrap_or(0);
    (table, max, choice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unchanged_candidate_differs_by_zero_and_never_wins() {
        let a = [3.0, 0.0, 7.5, 2.0];
        let p = Paired::of(&a, &a);
        assert_eq!((p.mean, p.se, p.ci_low, p.ci_high), (0.0, 0.0, 0.0, 0.0));
        let w = Wins::of(&a, &a);
        assert_eq!((w.wins, w.ties, w.p()), (0, 4, 0.0));
        let (best, tied) = best_counts(&[&a, &a]);
        assert_eq!((best, tied), (vec![0, 0], vec![4, 4]));
    }

    #[test]
    fn pairing_narrows_the_interval_when_runs_move_together() {
        // b follows a with a small independent wobble.
        let a: Vec<f64> = (0..200).map(|i| ((i * 37) % 101) as f64).collect();
        let b: Vec<f64> = a
            .iter()
            .enumerate()
            .map(|(i, x)| x - 5.0 + (i % 3) as f64)
            .collect();
        let p = Paired::of(&b, &a);
        // mean of -5 + (i % 3) over i < 200: -5 + 199 / 200.
        assert!((p.mean - (-5.0 + 199.0 / 200.0)).abs() < 1e-9);
        assert!(p.ci_high - p.ci_low < 0.05 * (p.unpaired_ci_high - p.unpaired_ci_low));
        assert!(p.variance_removed() > 0.99);
    }

    #[test]
    fn benefit_cost_by_hand() {
        // r = 5%, H = 10 years: A = (1 - 1.05^-10) / 0.05 = 7.721734929...
        let a = Appraisal {
            capital_cost_usd: 1.0e6,
            annual_cost_usd: 20_000.0,
            horizon_years: 10.0,
            discount_rate: 0.05,
        };
        let af = 7.721_734_929_184_818;
        assert!((a.annuity_factor() - af).abs() < 1e-12);
        // PVC = 1e6 + 20,000 A = 1,154,434.70; avoided loss 200,000 a year: PVB = 1,544,346.99
        assert!((a.pv_cost() - 1_154_434.698_583_696).abs() < 1e-6);
        assert!((a.pv_benefit(200_000.0) - 1_544_346.985_836_963_7).abs() < 1e-6);
        assert!((a.npv(200_000.0) - 389_912.287_253_267_7).abs() < 1e-6);
        assert!((a.bcr(200_000.0).unwrap() - 1.337_751_704_6).abs() < 1e-9);
        // A TVaR95 reduction of USD 2.5m for USD 1.1544m of present cost: USD 2.166m of
        // TVaR95 per million USD.
        assert!((a.per_million(2.5e6).unwrap() - 2.5e6 / 1.154_434_698_583_696).abs() < 1e-6);
        let free = Appraisal {
            discount_rate: 0.0,
            capital_cost_usd: 0.0,
            annual_cost_usd: 0.0,
            ..a
        };
        assert_eq!(free.annuity_factor(), 10.0);
        assert_eq!(free.bcr(1.0), None);
    }

    #[test]
    fn regret_of_two_options_in_two_futures() {
        // Losses (USD m): A is best in calm (10 vs 12), B in conflict (30 vs 40).
        // Regret: A (0, 10), B (2, 0): max 10 and 2, so B has the least max regret.
        let loss = vec![vec![10.0, 40.0], vec![12.0, 30.0]];
        let (table, max, choice) = regret(&loss);
        assert_eq!(table, vec![vec![0.0, 10.0], vec![2.0, 0.0]]);
        assert_eq!(max, vec![10.0, 2.0]);
        assert_eq!(choice, 1);
    }

    #[test]
    fn bootstrap_is_reproducible_and_ranks() {
        let a: Vec<f64> = (0..300).map(|i| (i % 17) as f64).collect();
        let b: Vec<f64> = a.iter().map(|x| x + 3.0).collect();
        let x = bootstrap(&[&a, &b], 50, 9);
        let y = bootstrap(&[&a, &b], 50, 9);
        assert_eq!(x, y);
        let order = ranking(&[1.0, 4.0]);
        assert_eq!(order, vec![0, 1]);
        let (all, each) = ranking_stability(&x, &order);
        assert_eq!((all, each), (1.0, vec![1.0, 1.0]));
        // b = a + 3 in every resample: every tail measure differs by exactly 3.
        for t in &x.tails {
            assert!((t[1].tvar95 - t[0].tvar95 - 3.0).abs() < 1e-9);
        }
    }
}
