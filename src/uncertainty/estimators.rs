//! The estimators of [`crate::uncertainty`]: functions on arrays, with bootstrap intervals.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::compare::stats::percentile_ci;
use crate::Error;

/// An estimate with its 95% interval (percentile bootstrap unless a function says
/// otherwise).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// The point estimate, from all the data.
    pub estimate: f64,
    /// The interval's lower end.
    pub low: f64,
    /// The interval's upper end.
    pub high: f64,
}

impl Interval {
    /// `estimate` with the 95% percentile interval of its bootstrap replicates `boot`
    /// (the estimate itself at both ends when there are none).
    pub fn from_bootstrap(estimate: f64, boot: Vec<f64>) -> Interval {
        let (low, high) = if boot.is_empty() {
            (estimate, estimate)
        } else {
            percentile_ci(boot)
        };
        Interval {
            estimate,
            low,
            high,
        }
    }

    /// Whether `x` lies in the interval (ends included).
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }
}

/// The points of a Saltelli design for `k` inputs on the unit cube: `n` rows of A, `n`
/// rows of B, then for each input `i` the `n` rows of A with column `i` taken from B
/// (`n (k + 2)` rows in all, in that order). A and B are the first and last `k`
/// coordinates of an Owen-scrambled Sobol' sequence in `2k` dimensions.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    /// Base points (rows of A and of B).
    pub n: usize,
    /// Inputs.
    pub k: usize,
    /// Every point, `n (k + 2)` rows of `k` coordinates in [0, 1), in the order above.
    pub points: Vec<Vec<f64>>,
}

/// A model's outputs at the points of a [`Design`], split as the estimators read them.
#[derive(Debug, Clone, PartialEq)]
pub struct DesignOutputs {
    /// Outputs at the rows of A.
    pub a: Vec<f64>,
    /// Outputs at the rows of B.
    pub b: Vec<f64>,
    /// `ab[i]`: outputs at the rows of A with column `i` from B.
    pub ab: Vec<Vec<f64>>,
}

/// The Sobol' indices of one output: per input, the first-order index (the share of
/// variance its own effect explains) and the total index (its own effect with every
/// interaction it takes part in).
#[derive(Debug, Clone, PartialEq)]
pub struct SobolIndices {
    /// First-order indices, by input.
    pub first: Vec<Interval>,
    /// Total indices, by input.
    pub total: Vec<Interval>,
    /// The output's variance (over A and B together).
    pub variance: f64,
}

/// The law of total variance over parameter draws: `Var Y = Var(E[Y|θ]) + E[Var(Y|θ)]`.
#[derive(Debug, Clone, PartialEq)]
pub struct VarianceSplit {
    /// `Var(E[Y|θ])`: the variance the parameters explain, corrected for the noise of
    /// each draw's inner mean (it can come out below zero when the parameters explain
    /// almost nothing; it is reported as estimated).
    pub between: Interval,
    /// `E[Var(Y|θ)]`: the variance of the inner draws (closures) within a parameter draw.
    pub within: Interval,
    /// `between / (between + within)`: the parameters' share of the total variance.
    pub parameter_share: Interval,
}

fn invalid(msg: String) -> Error {
    Error::Invalid(msg)
}

/// A Saltelli design of `n` base points (1 to 65,536, best a power of two) for `k`
/// inputs (1 to 128), scrambled with `seed` (see [`Design`]).
pub fn saltelli_design(n: usize, k: usize, seed: u32) -> Result<Design, Error> {
    if !(1..=1 << 16).contains(&n) {
        return Err(invalid(format!(
            "a Saltelli design takes 1 to 65536 base points, not {n}"
        )));
    }
    let dims = sobol_burley::NUM_DIMENSIONS as usize;
    if k == 0 || 2 * k > dims {
        return Err(invalid(format!(
            "a Saltelli design takes 1 to {} inputs, not {k}",
            dims / 2
        )));
    }
    let coord =
        |row: usize, dim: usize| f64::from(sobol_burley::sample(row as u32, dim as u32, seed));
    let a: Vec<Vec<f64>> = (0..n)
        .map(|r| (0..k).map(|d| coord(r, d)).collect())
        .collect();
    let b: Vec<Vec<f64>> = (0..n)
        .map(|r| (0..k).map(|d| coord(r, k + d)).collect())
        .collect();
    let mut points = Vec::with_capacity(n * (k + 2));
    points.extend(a.iter().cloned());
    points.extend(b.iter().cloned());
    for i in 0..k {
        for (ra, rb) in a.iter().zip(&b) {
            let mut row = ra.clone();
            row[i] = rb[i];
            points.push(row);
        }
    }
    Ok(Design { n, k, points })
}

impl Design {
    /// Evaluate `f` at every point, in order.
    pub fn evaluate(&self, mut f: impl FnMut(&[f64]) -> f64) -> DesignOutputs {
        let y: Vec<f64> = self.points.iter().map(|p| f(p)).collect();
        self.outputs(&y).expect("one output per point")
    }

    /// Split outputs given at every point, in order, as the estimators read them.
    pub fn outputs(&self, y: &[f64]) -> Result<DesignOutputs, Error> {
        DesignOutputs::split(y, self.n, self.k)
    }
}

impl DesignOutputs {
    /// Split the outputs of a design of `n` base points and `k` inputs, given in the
    /// order of [`Design::points`] (A, B, then each AB_i).
    pub fn split(y: &[f64], n: usize, k: usize) -> Result<DesignOutputs, Error> {
        if n == 0 || k == 0 || y.len() != n * (k + 2) {
            return Err(invalid(format!(
                "{} outputs for a design of {n} base points and {k} inputs ({} points)",
                y.len(),
                n * (k + 2)
            )));
        }
        Ok(DesignOutputs {
            a: y[..n].to_vec(),
            b: y[n..2 * n].to_vec(),
            ab: (0..k)
                .map(|i| y[(2 + i) * n..(3 + i) * n].to_vec())
                .collect(),
        })
    }
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = v.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    s / n as f64
}

/// Mean and population variance of A and B's outputs together, over the base points
/// `idx`.
fn mean_variance_ab(o: &DesignOutputs, idx: &[usize]) -> (f64, f64) {
    let m = mean(idx.iter().flat_map(|&j| [o.a[j], o.b[j]]));
    let v = mean(
        idx.iter()
            .flat_map(|&j| [(o.a[j] - m).powi(2), (o.b[j] - m).powi(2)]),
    );
    (m, v)
}

/// First-order (Saltelli et al. 2010, `mean((f(B) - f0) (f(AB_i) - f(A))) / V`, the
/// output centred on its mean f0 as SALib centres it) and total (Jansen 1999,
/// `mean((f(A) - f(AB_i))²) / 2V`) indices over base points `idx`: the estimators of
/// SALib's `sobol.analyze`.
fn indices_at(o: &DesignOutputs, idx: &[usize], noise: f64) -> (Vec<f64>, Vec<f64>) {
    let (f0, v) = mean_variance_ab(o, idx);
    // Inner-sample noise of variance `noise` at each point: it adds `noise` to the
    // variance and `2 noise` to each mean squared difference f(A) - f(AB_i).
    let v = v - noise;
    let first =
        o.ab.iter()
            .map(|ab| mean(idx.iter().map(|&j| (o.b[j] - f0) * (ab[j] - o.a[j]))) / v)
            .collect();
    let total =
        o.ab.iter()
            .map(|ab| (0.5 * mean(idx.iter().map(|&j| (o.a[j] - ab[j]).powi(2))) - noise) / v)
            .collect();
    (first, total)
}

fn check_finite(name: &str, v: &[f64]) -> Result<(), Error> {
    match v.iter().position(|x| !x.is_finite()) {
        Some(i) => Err(invalid(format!(
            "{name}[{i}] = {} is not a finite number",
            v[i]
        ))),
        None => Ok(()),
    }
}

/// First-order and total Sobol' indices of a model's outputs on a Saltelli design, with
/// 95% percentile-bootstrap intervals (`resamples` resamples of the base points, drawn
/// from `seed`; 0 gives intervals equal to the estimate).
pub fn sobol_indices(
    outputs: &DesignOutputs,
    resamples: usize,
    seed: u64,
) -> Result<SobolIndices, Error> {
    sobol_indices_noisy(outputs, 0.0, resamples, seed)
}

/// [`sobol_indices`] of a model evaluated with noise: each output is a mean over an inner
/// sample (simulated years), so it carries a noise of variance `noise` (>= 0) that is
/// independent from point to point (independent inner samples; with common inner draws
/// the noise of two points that differ in an input that does nothing is the same, and
/// this correction would push that input's indices below 0). That noise adds `noise` to the output's variance and
/// `2 noise` to each `E[(f(A) - f(AB_i))²]`, so uncorrected total indices of inputs that
/// do nothing come out near `noise / V` instead of 0. Both are taken off here (the
/// first-order numerator is left as it is: its bias is at most `2 noise / V` in size).
/// `noise = 0` gives [`sobol_indices`]. [`paired_noise`] estimates `noise` for means
/// over common inner draws.
pub fn sobol_indices_noisy(
    outputs: &DesignOutputs,
    noise: f64,
    resamples: usize,
    seed: u64,
) -> Result<SobolIndices, Error> {
    if !(noise.is_finite() && noise >= 0.0) {
        return Err(invalid(format!(
            "noise variance {noise}: expected a finite number >= 0"
        )));
    }
    let n = outputs.a.len();
    if n < 2 || outputs.b.len() != n || outputs.ab.iter().any(|v| v.len() != n) {
        return Err(invalid(format!(
            "Sobol' indices need A, B and every AB_i of one length >= 2 (A has {n})"
        )));
    }
    if outputs.ab.is_empty() {
        return Err(invalid(
            "Sobol' indices need at least one input (AB_i)".into(),
        ));
    }
    check_finite("A", &outputs.a)?;
    check_finite("B", &outputs.b)?;
    for (i, ab) in outputs.ab.iter().enumerate() {
        check_finite(&format!("AB_{i}"), ab)?;
    }
    let all: Vec<usize> = (0..n).collect();
    let variance = mean_variance_ab(outputs, &all).1 - noise;
    if variance <= 0.0 {
        return Err(invalid(
            "the output does not vary over the design: Sobol' indices are undefined".into(),
        ));
    }
    let (first, total) = indices_at(outputs, &all, noise);
    let k = first.len();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut boot_first = vec![Vec::with_capacity(resamples); k];
    let mut boot_total = vec![Vec::with_capacity(resamples); k];
    let mut idx = vec![0; n];
    for _ in 0..resamples {
        idx.iter_mut().for_each(|j| *j = rng.random_range(0..n));
        let (f, t) = indices_at(outputs, &idx, noise);
        for i in 0..k {
            boot_first[i].push(f[i]);
            boot_total[i].push(t[i]);
        }
    }
    Ok(SobolIndices {
        first: first
            .iter()
            .zip(boot_first)
            .map(|(&e, b)| Interval::from_bootstrap(e, b))
            .collect(),
        total: total
            .iter()
            .zip(boot_total)
            .map(|(&e, b)| Interval::from_bootstrap(e, b))
            .collect(),
        variance,
    })
}

/// Chatterjee's ξ of pairs `(x[j], y[j])` at the rows `idx` (ties in `x` broken by the
/// order of `idx`, i.e. at random for a resample), with the formula for ties in `y`.
fn xi_at(x: &[f64], y: &[f64], idx: &mut [usize]) -> f64 {
    let n = idx.len();
    idx.sort_by(|&i, &j| x[i].total_cmp(&x[j]));
    let ys: Vec<f64> = idx.iter().map(|&j| y[j]).collect();
    let mut sorted = ys.clone();
    sorted.sort_by(f64::total_cmp);
    // r: #{y_j <= y_i}; l: #{y_j >= y_i}.
    let r: Vec<f64> = ys
        .iter()
        .map(|v| sorted.partition_point(|s| s <= v) as f64)
        .collect();
    let l: Vec<f64> = ys
        .iter()
        .map(|v| (n - sorted.partition_point(|s| s < v)) as f64)
        .collect();
    let num: f64 = r.windows(2).map(|w| (w[1] - w[0]).abs()).sum();
    let den: f64 = l.iter().map(|&li| li * (n as f64 - li)).sum();
    if den == 0.0 {
        return f64::NAN;
    }
    1.0 - n as f64 * num / (2.0 * den)
}

/// Chatterjee's rank correlation ξ(x → y) (Chatterjee 2021, "A new coefficient of
/// correlation"): 0 when `y` does not depend on `x`, 1 when `y` is a function of `x`,
/// for any dependence (not only monotone ones). A given-data sensitivity index: it works
/// on the draws of any study (no special design). Ties in `x` are broken at random
/// (from `seed`), as the paper prescribes. Values slightly below 0 occur by chance under
/// independence.
///
/// The 95% interval is a bootstrap by half-samples (the m-out-of-n bootstrap without
/// replacement, m = n/2, over `resamples` subsamples): `2ξ − Q(97.5%) .. 2ξ − Q(2.5%)`
/// of the subsamples' ξ, which for a root-n statistic has the width of ξ's own sampling
/// distribution. The ordinary bootstrap with replacement is not used: its duplicated
/// pairs sit side by side in the ordering by `x` and pull ξ up (on independent data it
/// gives intervals around 0.37 for a true 0).
pub fn chatterjee_xi(x: &[f64], y: &[f64], resamples: usize, seed: u64) -> Result<Interval, Error> {
    let n = x.len();
    if n < 6 || y.len() != n {
        return Err(invalid(format!(
            "Chatterjee's xi needs x and y of one length >= 6, not {} and {}",
            n,
            y.len()
        )));
    }
    check_finite("x", x)?;
    check_finite("y", y)?;
    if y.iter().all(|v| *v == y[0]) {
        return Err(invalid(
            "y does not vary: Chatterjee's xi is undefined".into(),
        ));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut all: Vec<usize> = (0..n).collect();
    // Random tie-breaking: shuffle before the (stable) sort by x.
    for j in (1..n).rev() {
        all.swap(j, rng.random_range(0..=j));
    }
    let estimate = xi_at(x, y, &mut all.clone());
    let m = n / 2;
    let mut boot = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        // A random half, in random order (a partial Fisher-Yates shuffle).
        for j in 0..m {
            all.swap(j, rng.random_range(j..n));
        }
        let mut half = all[..m].to_vec();
        let v = xi_at(x, y, &mut half);
        if v.is_finite() {
            boot.push(v);
        }
    }
    let (low, high) = if boot.is_empty() {
        (estimate, estimate)
    } else {
        let (q_lo, q_hi) = percentile_ci(boot);
        (2.0 * estimate - q_hi, 2.0 * estimate - q_lo)
    };
    Ok(Interval {
        estimate,
        low,
        high,
    })
}

/// Between and within variance of `groups` at the draws `idx` (see [`variance_split`]).
fn split_at(groups: &[Vec<f64>], idx: &[usize]) -> (f64, f64) {
    let m = idx.len() as f64;
    let stats: Vec<(f64, f64, f64)> = idx
        .iter()
        .map(|&g| {
            let v = &groups[g];
            let n = v.len() as f64;
            let mu = v.iter().sum::<f64>() / n;
            let s2 = v.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / (n - 1.0);
            (mu, s2, n)
        })
        .collect();
    let within = stats.iter().map(|s| s.1).sum::<f64>() / m;
    let grand = stats.iter().map(|s| s.0).sum::<f64>() / m;
    let var_means = stats.iter().map(|s| (s.0 - grand).powi(2)).sum::<f64>() / (m - 1.0);
    // E[var of a draw's mean] = Var(E[Y|θ]) + E[σ²(θ)/n]: take the noise off.
    let noise = stats.iter().map(|s| s.1 / s.2).sum::<f64>() / m;
    (var_means - noise, within)
}

/// The law of total variance over parameter draws: `groups[m]` holds the inner draws
/// (e.g. simulated years on common closure draws) of parameter draw `m`. The variance of
/// the draws' means overstates `Var(E[Y|θ])` by the noise of each mean (`σ²(θ)/n`),
/// which is subtracted (the inner-sample bias correction); `within` is the mean of the
/// draws' unbiased variances. Intervals: 95% percentile bootstrap over the parameter
/// draws (`resamples`, from `seed`).
pub fn variance_split(
    groups: &[Vec<f64>],
    resamples: usize,
    seed: u64,
) -> Result<VarianceSplit, Error> {
    if groups.len() < 2 {
        return Err(invalid(format!(
            "a variance split needs at least 2 parameter draws, not {}",
            groups.len()
        )));
    }
    for (m, g) in groups.iter().enumerate() {
        if g.len() < 2 {
            return Err(invalid(format!(
                "parameter draw {m} has {} inner draws; a variance split needs at least 2",
                g.len()
            )));
        }
        check_finite(&format!("groups[{m}]"), g)?;
    }
    let all: Vec<usize> = (0..groups.len()).collect();
    let (between, within) = split_at(groups, &all);
    let share = |b: f64, w: f64| if b + w > 0.0 { b / (b + w) } else { f64::NAN };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut bb, mut bw, mut bs) = (Vec::new(), Vec::new(), Vec::new());
    let mut idx = vec![0; groups.len()];
    for _ in 0..resamples {
        idx.iter_mut()
            .for_each(|j| *j = rng.random_range(0..groups.len()));
        let (b, w) = split_at(groups, &idx);
        bb.push(b);
        bw.push(w);
        bs.push(share(b, w));
    }
    Ok(VarianceSplit {
        between: Interval::from_bootstrap(between, bb),
        within: Interval::from_bootstrap(within, bw),
        parameter_share: Interval::from_bootstrap(share(between, within), bs),
    })
}

/// The two-way layout of means over common inner draws: `y[m][i]` is the output at
/// parameter draw `m` in inner draw `i` (simulated year `i`, the same closure draws at
/// every parameter draw). Returns the interaction mean square
/// `Σ (y_mi − ȳ_m· − ȳ_·i + ȳ)² / ((M−1)(n−1))`: the variance of the part of a draw's
/// inner noise that is not common to all draws. The noise of a draw's mean that differs
/// from draw to draw has variance (about) this over `n`: what [`sobol_indices_noisy`]
/// takes as `noise`.
pub fn paired_noise(y: &[Vec<f64>]) -> Result<f64, Error> {
    let (m, n) = check_matrix(y)?;
    let all_m: Vec<usize> = (0..m).collect();
    let all_n: Vec<usize> = (0..n).collect();
    Ok(two_way(y, &all_m, &all_n).2 / n as f64)
}

fn check_matrix(y: &[Vec<f64>]) -> Result<(usize, usize), Error> {
    let m = y.len();
    let n = y.first().map_or(0, Vec::len);
    if m < 2 || n < 2 {
        return Err(invalid(format!(
            "a two-way layout needs at least 2 parameter draws of at least 2 inner draws, \
             not {m} of {n}"
        )));
    }
    for (k, row) in y.iter().enumerate() {
        if row.len() != n {
            return Err(invalid(format!(
                "parameter draw {k} has {} inner draws, draw 0 has {n}: common inner draws \
                 need one count",
                row.len()
            )));
        }
        check_finite(&format!("y[{k}]"), row)?;
    }
    Ok((m, n))
}

/// Of the rows `rows` and columns `cols` of `y`: the variance of the row means, the mean
/// within-row variance (unbiased), and the interaction mean square.
fn two_way(y: &[Vec<f64>], rows: &[usize], cols: &[usize]) -> (f64, f64, f64) {
    let (m, n) = (rows.len() as f64, cols.len() as f64);
    let row_means: Vec<f64> = rows
        .iter()
        .map(|&r| cols.iter().map(|&c| y[r][c]).sum::<f64>() / n)
        .collect();
    let col_means: Vec<f64> = cols
        .iter()
        .map(|&c| rows.iter().map(|&r| y[r][c]).sum::<f64>() / m)
        .collect();
    let grand = row_means.iter().sum::<f64>() / m;
    let var_rows = row_means.iter().map(|x| (x - grand).powi(2)).sum::<f64>() / (m - 1.0);
    let mut within = 0.0;
    let mut inter = 0.0;
    for (a, &r) in rows.iter().enumerate() {
        for (b, &c) in cols.iter().enumerate() {
            let v = y[r][c];
            within += (v - row_means[a]).powi(2);
            inter += (v - row_means[a] - col_means[b] + grand).powi(2);
        }
    }
    (
        var_rows,
        within / (m * (n - 1.0)),
        inter / ((m - 1.0) * (n - 1.0)),
    )
}

/// The law of total variance over parameter draws on **common** inner draws (the same
/// simulated years at every parameter draw, as an uncertainty study runs them): `y[m][i]`
/// is the output at parameter draw `m` in inner draw `i`.
///
/// With common inner draws, the noise of each draw's mean is mostly shared by all draws
/// and does not spread them, so [`variance_split`]'s correction (`mean(s²/n)`, for
/// independent inner samples) would take off too much. Here the layout is read as a
/// two-way random-effects model (draw × year): `Var(E[Y|θ])` is the variance of the
/// draws' means less the interaction mean square over `n` (the part of the noise that
/// differs between draws), and `E[Var(Y|θ)]` is the mean within-draw variance. Unbiased
/// for that model. Intervals: 95% percentile bootstrap resampling draws and years
/// independently (the pigeonhole bootstrap of crossed designs, Owen 2007), `resamples`
/// from `seed`.
pub fn variance_split_paired(
    y: &[Vec<f64>],
    resamples: usize,
    seed: u64,
) -> Result<VarianceSplit, Error> {
    let (m, n) = check_matrix(y)?;
    let est = |rows: &[usize], cols: &[usize]| {
        let (var_rows, within, inter) = two_way(y, rows, cols);
        let between = var_rows - inter / cols.len() as f64;
        let share = if between + within > 0.0 {
            between / (between + within)
        } else {
            f64::NAN
        };
        (between, within, share)
    };
    let all_m: Vec<usize> = (0..m).collect();
    let all_n: Vec<usize> = (0..n).collect();
    let (between, within, share) = est(&all_m, &all_n);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut bb, mut bw, mut bs) = (Vec::new(), Vec::new(), Vec::new());
    let (mut rows, mut cols) = (vec![0; m], vec![0; n]);
    for _ in 0..resamples {
        rows.iter_mut().for_each(|j| *j = rng.random_range(0..m));
        cols.iter_mut().for_each(|j| *j = rng.random_range(0..n));
        let (b, w, s) = est(&rows, &cols);
        bb.push(b);
        bw.push(w);
        if s.is_finite() {
            bs.push(s);
        }
    }
    Ok(VarianceSplit {
        between: Interval::from_bootstrap(between, bb),
        within: Interval::from_bootstrap(within, bw),
        parameter_share: Interval::from_bootstrap(share, bs),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_distr::{Distribution, Normal};
    use std::f64::consts::PI;

    /// Ishigami (a = 7, b = 0.1) on [-π, π]³, and its analytic first and total indices.
    fn ishigami(x: &[f64]) -> f64 {
        let u: Vec<f64> = x.iter().map(|v| -PI + 2.0 * PI * v).collect();
        u[0].sin() + 7.0 * u[1].sin().powi(2) + 0.1 * u[2].powi(4) * u[0].sin()
    }

    fn ishigami_indices() -> ([f64; 3], [f64; 3]) {
        let (a, b) = (7.0_f64, 0.1_f64);
        let v1 = 0.5 * (1.0 + b * PI.powi(4) / 5.0).powi(2);
        let v2 = a * a / 8.0;
        let v13 = b * b * PI.powi(8) * (1.0 / 18.0 - 1.0 / 50.0);
        let v = v1 + v2 + v13;
        ([v1 / v, v2 / v, 0.0], [(v1 + v13) / v, v2 / v, v13 / v])
    }

    /// Sobol' G with coefficients `a`, and its analytic indices.
    fn g(a: &[f64]) -> (impl Fn(&[f64]) -> f64 + '_, Vec<f64>, Vec<f64>) {
        let f = move |x: &[f64]| {
            x.iter()
                .zip(a)
                .map(|(xi, ai)| ((4.0 * xi - 2.0).abs() + ai) / (1.0 + ai))
                .product()
        };
        let vi: Vec<f64> = a
            .iter()
            .map(|ai| 1.0 / (3.0 * (1.0 + ai).powi(2)))
            .collect();
        let v = vi.iter().map(|x| 1.0 + x).product::<f64>() - 1.0;
        let first = vi.iter().map(|x| x / v).collect();
        let total = (0..a.len())
            .map(|i| {
                vi[i]
                    * (0..a.len())
                        .filter(|&j| j != i)
                        .map(|j| 1.0 + vi[j])
                        .product::<f64>()
                    / v
            })
            .collect();
        (f, first, total)
    }

    #[test]
    fn sobol_indices_of_ishigami_match_the_analytic_ones() {
        let d = saltelli_design(1 << 13, 3, 11).unwrap();
        let s = sobol_indices(&d.evaluate(ishigami), 300, 5).unwrap();
        let (first, total) = ishigami_indices();
        for i in 0..3 {
            assert!(
                (s.first[i].estimate - first[i]).abs() < 0.02,
                "S{i} {:?} vs {}",
                s.first[i],
                first[i]
            );
            assert!(
                (s.total[i].estimate - total[i]).abs() < 0.02,
                "ST{i} {:?} vs {}",
                s.total[i],
                total[i]
            );
            assert!(
                s.first[i].contains(first[i]),
                "S{i} {:?} misses {}",
                s.first[i],
                first[i]
            );
            assert!(
                s.total[i].contains(total[i]),
                "ST{i} {:?} misses {}",
                s.total[i],
                total[i]
            );
        }
    }

    #[test]
    fn sobol_indices_of_the_g_function_match_the_analytic_ones() {
        let a = [0.0, 1.0, 4.5, 9.0, 99.0, 99.0];
        let (f, first, total) = g(&a);
        let d = saltelli_design(1 << 13, a.len(), 3).unwrap();
        let s = sobol_indices(&d.evaluate(f), 300, 9).unwrap();
        for i in 0..a.len() {
            assert!(
                (s.first[i].estimate - first[i]).abs() < 0.02,
                "S{i} {:?} vs {}",
                s.first[i],
                first[i]
            );
            assert!(
                (s.total[i].estimate - total[i]).abs() < 0.02,
                "ST{i} {:?} vs {}",
                s.total[i],
                total[i]
            );
        }
        // The ranking by total index is the analytic one.
        let order = |v: Vec<f64>| {
            let mut r: Vec<usize> = (0..v.len()).collect();
            r.sort_by(|&i, &j| v[j].total_cmp(&v[i]));
            r[..4].to_vec()
        };
        assert_eq!(
            order(s.total.iter().map(|t| t.estimate).collect()),
            order(total.clone())
        );
    }

    #[test]
    fn sobol_intervals_cover_the_truth_at_the_stated_rate() {
        // Ishigami at a small design, 200 independent scrambles: the 95% intervals of the
        // three total indices cover the analytic values in most studies.
        let (_, total) = ishigami_indices();
        let mut covered = 0;
        let studies = 200;
        for seed in 0..studies {
            let d = saltelli_design(256, 3, 1000 + seed).unwrap();
            let s = sobol_indices(&d.evaluate(ishigami), 200, u64::from(seed)).unwrap();
            covered += usize::from(s.total[1].contains(total[1]));
        }
        let rate = covered as f64 / f64::from(studies);
        assert!(
            (0.88..=0.99).contains(&rate),
            "ST2 95% intervals covered the truth in {rate}"
        );
    }

    #[test]
    fn chatterjee_xi_is_one_for_a_function_and_zero_for_independence() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let x: Vec<f64> = (0..2000).map(|_| rng.random::<f64>()).collect();
        let noise: Vec<f64> = (0..2000).map(|_| rng.random::<f64>()).collect();
        // A non-monotone function: xi near 1 (it is 1 - O(1/n)).
        let y: Vec<f64> = x.iter().map(|v| (6.0 * v).sin()).collect();
        let s = chatterjee_xi(&x, &y, 200, 2).unwrap();
        assert!(s.estimate > 0.98, "{s:?}");
        // Independent: near 0, the interval covers 0.
        let s = chatterjee_xi(&x, &noise, 200, 2).unwrap();
        assert!(s.estimate.abs() < 0.05 && s.contains(0.0), "{s:?}");
        // Ties in y (a step function) are handled: still a function of x.
        let y: Vec<f64> = x.iter().map(|v| (v * 4.0).floor()).collect();
        assert!(chatterjee_xi(&x, &y, 0, 3).unwrap().estimate > 0.98);
        // Ishigami: x3 alone has no first-order effect but xi sees its dependence
        // through the interaction only weakly; x2 (largest first-order effect) ranks
        // above x3.
        let pts: Vec<[f64; 3]> = (0..4000)
            .map(|_| [rng.random(), rng.random(), rng.random()])
            .collect();
        let y: Vec<f64> = pts.iter().map(|p| ishigami(p)).collect();
        let xi: Vec<f64> = (0..3)
            .map(|i| {
                let xs: Vec<f64> = pts.iter().map(|p| p[i]).collect();
                chatterjee_xi(&xs, &y, 0, 4).unwrap().estimate
            })
            .collect();
        assert!(xi[1] > xi[2] && xi[0] > xi[2], "{xi:?}");
    }

    #[test]
    fn chatterjee_intervals_cover_independence_at_the_stated_rate() {
        // y independent of x: the true xi is 0; 200 studies of 300 pairs.
        let mut covered = 0;
        for seed in 0..200u64 {
            let mut rng = ChaCha8Rng::seed_from_u64(100 + seed);
            let x: Vec<f64> = (0..300).map(|_| rng.random::<f64>()).collect();
            let y: Vec<f64> = (0..300).map(|_| rng.random::<f64>()).collect();
            covered += usize::from(chatterjee_xi(&x, &y, 200, seed).unwrap().contains(0.0));
        }
        assert!(
            (178..=198).contains(&covered),
            "covered 0 in {covered} of 200"
        );
    }

    #[test]
    fn variance_split_recovers_a_known_share() {
        // Y = θ + ε, θ ~ N(0, 2²), ε ~ N(0, 3²): the parameters' share is 4 / 13.
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let (theta, eps) = (
            Normal::new(0.0, 2.0).unwrap(),
            Normal::new(0.0, 3.0).unwrap(),
        );
        let groups: Vec<Vec<f64>> = (0..400)
            .map(|_| {
                let t = theta.sample(&mut rng);
                (0..20).map(|_| t + eps.sample(&mut rng)).collect()
            })
            .collect();
        let s = variance_split(&groups, 300, 1).unwrap();
        let truth = 4.0 / 13.0;
        assert!(s.parameter_share.contains(truth), "{s:?}");
        assert!(s.between.contains(4.0) && s.within.contains(9.0), "{s:?}");
        // Without the bias correction the share would be (4 + 9/20) / 13.45 = 0.33:
        // the estimate is nearer the truth than that.
        assert!((s.parameter_share.estimate - truth).abs() < (4.45 / 13.45 - truth).abs() + 0.02);
    }

    /// y[m][i] = θ_m + ε_i + η_mi on common inner draws ε_i: Var θ = 4, Var ε = 9,
    /// Var η = 1, so Var(E[Y|θ]) = 4, E[Var(Y|θ)] = 10 and the share is 4/14.
    fn crossed(m: usize, n: usize, seed: u64) -> Vec<Vec<f64>> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (t, e, h) = (
            Normal::new(0.0, 2.0).unwrap(),
            Normal::new(0.0, 3.0).unwrap(),
            Normal::new(0.0, 1.0).unwrap(),
        );
        let eps: Vec<f64> = (0..n).map(|_| e.sample(&mut rng)).collect();
        (0..m)
            .map(|_| {
                let th = t.sample(&mut rng);
                eps.iter().map(|x| th + x + h.sample(&mut rng)).collect()
            })
            .collect()
    }

    #[test]
    fn the_paired_split_recovers_a_known_share_on_common_draws() {
        let y = crossed(300, 40, 3);
        let s = variance_split_paired(&y, 300, 1).unwrap();
        let truth = 4.0 / 14.0;
        assert!(s.parameter_share.contains(truth), "{s:?}");
        assert!(s.between.contains(4.0), "{s:?}");
        // The unpaired correction takes off mean(s²)/n ≈ 10/40 where only the
        // interaction's 1/40 spreads the means: it lands lower than the paired one.
        let unpaired = variance_split(&y, 0, 0).unwrap();
        assert!(
            unpaired.between.estimate < s.between.estimate - 0.1,
            "{unpaired:?}"
        );
        // The interaction: Var η / n.
        let noise = paired_noise(&y).unwrap();
        assert!((noise - 1.0 / 40.0).abs() < 0.004, "{noise}");
    }

    #[test]
    fn the_paired_split_intervals_cover_the_truth_mostly() {
        let truth = 4.0 / 14.0;
        let covered = (0..100u64)
            .filter(|&k| {
                variance_split_paired(&crossed(60, 30, 50 + k), 200, k)
                    .unwrap()
                    .parameter_share
                    .contains(truth)
            })
            .count();
        assert!((85..=100).contains(&covered), "covered in {covered} of 100");
    }

    #[test]
    fn noisy_outputs_give_no_total_index_to_an_input_that_does_nothing() {
        // y = x0 + noise; x1 does nothing. Without the correction its total index is
        // noise / V; with it, about 0.
        let d = saltelli_design(1 << 10, 2, 5).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let noise = Normal::new(0.0, 0.15).unwrap();
        let o = d.evaluate(|x| x[0] + noise.sample(&mut rng));
        let raw = sobol_indices(&o, 0, 0).unwrap();
        let fixed = sobol_indices_noisy(&o, 0.15 * 0.15, 200, 1).unwrap();
        assert!(raw.total[1].estimate > 0.15, "{raw:?}");
        assert!(fixed.total[1].contains(0.0), "{fixed:?}");
        assert!((fixed.total[0].estimate - 1.0).abs() < 0.05, "{fixed:?}");
        assert!(sobol_indices_noisy(&o, -1.0, 0, 0).is_err());
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(variance_split_paired(&[vec![1.0, 2.0]], 0, 0).is_err());
        assert!(variance_split_paired(&[vec![1.0, 2.0], vec![1.0]], 0, 0).is_err());
        assert!(paired_noise(&[vec![1.0, f64::NAN], vec![1.0, 2.0]]).is_err());
        assert!(saltelli_design(0, 3, 0).is_err());
        assert!(saltelli_design(8, 0, 0).is_err());
        assert!(saltelli_design(8, 1000, 0).is_err());
        let d = saltelli_design(8, 2, 0).unwrap();
        assert!(d.outputs(&[1.0; 5]).is_err());
        let flat = d.evaluate(|_| 1.0);
        assert!(sobol_indices(&flat, 10, 0).is_err());
        assert!(chatterjee_xi(&[1.0, 2.0], &[1.0, 2.0], 0, 0).is_err());
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        assert!(chatterjee_xi(&x, &[1.0, f64::NAN, 2.0, 1.0, 1.0, 1.0], 0, 0).is_err());
        assert!(chatterjee_xi(&x, &[2.0; 6], 0, 0).is_err());
        assert!(variance_split(&[vec![1.0, 2.0]], 0, 0).is_err());
        assert!(variance_split(&[vec![1.0, 2.0], vec![1.0]], 0, 0).is_err());
    }
}
