//! Statistics over Monte Carlo runs: mean with standard error and 95% confidence
//! interval, standard deviation, percentiles, VaR and TVaR, the loss exceedance curve,
//! daily fan-chart bands and the convergence of the mean.
//!
//! Definitions (all over the runs' values in run-index order, so the result never
//! depends on how runs were scheduled):
//!
//! - `mean` = sum / n; `sd` the sample standard deviation (divisor n - 1, NaN for n = 1);
//!   `se = sd / sqrt(n)`; the 95% confidence interval is `mean +- 1.959964 se` (normal
//!   approximation, fine from a few dozen runs).
//! - Percentile `p` (p5, p50, p95, p99, and VaR): Hyndman & Fan type 7, the default of R
//!   and NumPy: with the values sorted ascending `x[0..n]`, `h = (n - 1) p`, the value is
//!   `x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h])`.
//! - `VaR_a` = the type-7 percentile at `a`; `TVaR_a` (expected shortfall) = the mean of
//!   all values `>= VaR_a`, so `TVaR_a >= VaR_a` always.
//! - Loss exceedance: for each distinct loss level `x`, the share of runs with loss
//!   `>= x` is its annual exceedance probability (one run is one simulated year), and
//!   its return period is `1 / AEP` years.

/// z-value of a two-sided 95% normal interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Summary statistics of one metric over runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// Runs with a value.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (NaN for one run).
    pub sd: f64,
    /// Standard error of the mean, `sd / sqrt(n)`.
    pub se: f64,
    /// Lower bound of the 95% confidence interval of the mean.
    pub ci_low: f64,
    /// Upper bound of the 95% confidence interval of the mean.
    pub ci_high: f64,
    /// Smallest value.
    pub min: f64,
    /// 5th percentile.
    pub p5: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile (= VaR 95%).
    pub p95: f64,
    /// 99th percentile (= VaR 99%).
    pub p99: f64,
    /// Largest value.
    pub max: f64,
    /// Expected shortfall beyond the 95th percentile.
    pub tvar95: f64,
    /// Expected shortfall beyond the 99th percentile.
    pub tvar99: f64,
}

impl Stats {
    /// Statistics of `values` (in run order). `None` for no values.
    pub fn of(values: &[f64]) -> Option<Stats> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        let (mean, sd) = mean_sd(values);
        let se = sd / (n as f64).sqrt();
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let p95 = quantile_sorted(&sorted, 0.95);
        let p99 = quantile_sorted(&sorted, 0.99);
        Some(Stats {
            n,
            mean,
            sd,
            se,
            ci_low: mean - Z95 * se,
            ci_high: mean + Z95 * se,
            min: sorted[0],
            p5: quantile_sorted(&sorted, 0.05),
            p50: quantile_sorted(&sorted, 0.5),
            p95,
            p99,
            max: sorted[n - 1],
            tvar95: tail_mean(&sorted, p95),
            tvar99: tail_mean(&sorted, p99),
        })
    }

    /// Relative standard error of the mean, `se / |mean|`: 0 when every value is the
    /// same, infinite when the mean is 0 but the values differ, NaN for one run.
    pub fn relative_error(&self) -> f64 {
        relative_error(self.mean, self.se)
    }
}

fn relative_error(mean: f64, se: f64) -> f64 {
    if se == 0.0 {
        0.0
    } else {
        se / mean.abs()
    }
}

/// Mean and sample standard deviation (two passes, in order).
pub fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    (mean, (ss / (n - 1.0)).sqrt())
}

/// Relative standard error of the mean of `values` (see [`Stats::relative_error`]).
pub fn relative_standard_error(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return f64::NAN;
    }
    let (m, sd) = mean_sd(values);
    relative_error(m, sd / (values.len() as f64).sqrt())
}

/// Type-7 quantile of ascending `sorted` values at probability `p` in [0, 1].
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let frac = h - lo as f64;
    if frac == 0.0 {
        sorted[lo]
    } else {
        sorted[lo] + frac * (sorted[hi] - sorted[lo])
    }
}

/// Mean of the sorted values `>= threshold` (the threshold itself when none are).
fn tail_mean(sorted: &[f64], threshold: f64) -> f64 {
    let start = sorted.partition_point(|v| *v < threshold);
    let tail = &sorted[start..];
    if tail.is_empty() {
        threshold
    } else {
        tail.iter().sum::<f64>() / tail.len() as f64
    }
}

/// The 95% Wilson score interval of a binomial proportion, `k` of `n` (NaN for
/// `n = 0`).
pub fn wilson(k: f64, n: f64) -> (f64, f64) {
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

/// One point of the loss exceedance curve.
#[derive(Debug, Clone, PartialEq)]
pub struct ExceedancePoint {
    /// Loss level, USD.
    pub loss_usd: f64,
    /// Runs with a loss at or above this level.
    pub runs_at_or_above: usize,
    /// Annual exceedance probability: `runs_at_or_above / n`.
    pub aep: f64,
    /// Return period, years: `1 / aep`.
    pub return_period_years: f64,
}

/// The empirical loss exceedance curve: one point per distinct loss, largest first.
pub fn exceedance_curve(losses: &[f64]) -> Vec<ExceedancePoint> {
    let n = losses.len();
    let mut sorted = losses.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let mut out: Vec<ExceedancePoint> = Vec::new();
    for (i, &x) in sorted.iter().enumerate() {
        let k = i + 1;
        let aep = k as f64 / n as f64;
        match out.last_mut() {
            Some(last) if last.loss_usd.total_cmp(&x).is_eq() => {
                last.runs_at_or_above = k;
                last.aep = aep;
                last.return_period_years = 1.0 / aep;
            }
            _ => out.push(ExceedancePoint {
                loss_usd: x,
                runs_at_or_above: k,
                aep,
                return_period_years: 1.0 / aep,
            }),
        }
    }
    out
}

/// Fan-chart band of one day.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// 5th percentile.
    pub p5: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Mean.
    pub mean: f64,
}

/// Per-day bands of a daily series over runs: `series[run][day]`; days beyond a short
/// run's series are left out of that day's band.
pub fn daily_bands(series: &[&[f64]]) -> Vec<Band> {
    let days = series.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut col = Vec::with_capacity(series.len());
    (0..days)
        .map(|d| {
            col.clear();
            col.extend(series.iter().filter_map(|s| s.get(d).copied()));
            let mean = col.iter().sum::<f64>() / col.len() as f64;
            col.sort_by(f64::total_cmp);
            Band {
                p5: quantile_sorted(&col, 0.05),
                p50: quantile_sorted(&col, 0.5),
                p95: quantile_sorted(&col, 0.95),
                mean,
            }
        })
        .collect()
}

/// One row of the convergence table.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvergencePoint {
    /// Runs used (the first `runs` by run index).
    pub runs: usize,
    /// Mean over them.
    pub mean: f64,
    /// Its standard error.
    pub se: f64,
    /// `se / |mean|`.
    pub relative_error: f64,
}

/// The mean and its relative error after 10, 20, 50, 100, 200, 500, ... runs and after
/// all of them.
pub fn convergence(values: &[f64]) -> Vec<ConvergencePoint> {
    let n = values.len();
    let mut checkpoints = Vec::new();
    let mut decade = 10usize;
    'outer: loop {
        for m in [1, 2, 5] {
            let c = decade * m;
            if c >= n {
                break 'outer;
            }
            checkpoints.push(c);
        }
        decade = decade.saturating_mul(10);
    }
    if n > 0 {
        checkpoints.push(n);
    }
    checkpoints
        .into_iter()
        .map(|k| {
            let v = &values[..k];
            let (mean, sd) = mean_sd(v);
            let se = sd / (k as f64).sqrt();
            ConvergencePoint {
                runs: k,
                mean,
                se,
                relative_error: if k < 2 {
                    f64::NAN
                } else {
                    relative_error(mean, se)
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type7_matches_numpy() {
        // numpy.percentile([1, 2, 3, 4, 10], [5, 50, 95, 99]) = 1.2, 3, 8.8, 9.76
        let s = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert!((quantile_sorted(&s, 0.05) - 1.2).abs() < 1e-12);
        assert_eq!(quantile_sorted(&s, 0.5), 3.0);
        assert!((quantile_sorted(&s, 0.95) - 8.8).abs() < 1e-12);
        assert!((quantile_sorted(&s, 0.99) - 9.76).abs() < 1e-12);
        assert_eq!(quantile_sorted(&[7.0], 0.3), 7.0);
    }

    #[test]
    fn stats_of_a_small_sample() {
        let s = Stats::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!(s.mean, 5.0);
        // Sample variance 32 / 7.
        assert!((s.sd - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        assert!((s.ci_high - s.mean - Z95 * s.sd / 8f64.sqrt()).abs() < 1e-12);
        // p95 = 7 + 0.65 * 2 = 8.3; only 9 is >= 8.3.
        assert!((s.p95 - 8.3).abs() < 1e-12);
        assert_eq!(s.tvar95, 9.0);
        assert!(s.tvar99 >= s.p99);
        assert_eq!((s.min, s.max), (2.0, 9.0));
    }

    #[test]
    fn exceedance_groups_ties() {
        let c = exceedance_curve(&[0.0, 5.0, 0.0, 10.0]);
        assert_eq!(c.len(), 3);
        assert_eq!((c[0].loss_usd, c[0].runs_at_or_above), (10.0, 1));
        assert_eq!((c[1].loss_usd, c[1].aep), (5.0, 0.5));
        assert_eq!(
            (c[2].loss_usd, c[2].aep, c[2].return_period_years),
            (0.0, 1.0, 1.0)
        );
    }

    #[test]
    fn convergence_checkpoints() {
        let v: Vec<f64> = (0..250).map(f64::from).collect();
        let c: Vec<usize> = convergence(&v).iter().map(|p| p.runs).collect();
        assert_eq!(c, vec![10, 20, 50, 100, 200, 250]);
        assert_eq!(convergence(&v[..10]).len(), 1);
    }

    #[test]
    fn bands_per_day() {
        let a = [0.0, 10.0];
        let b = [1.0, 20.0];
        let c = [2.0, 30.0];
        let bands = daily_bands(&[&a, &b, &c]);
        assert_eq!(bands[0].p50, 1.0);
        assert_eq!(bands[1].mean, 20.0);
        assert!((bands[1].p95 - 29.0).abs() < 1e-12);
    }
}
