//! Uncertain parameters: what a scenario's `[[uncertain]]` tables say we do not know, as
//! distributions to draw from, and how to set a scenario at a draw.
//!
//! A [`Dist`] is one parameter's distribution, drawn by its inverse CDF ([`Dist::quantile`],
//! from the `statrs` crate), so a design of points in the unit cube (a Sobol' sequence or a
//! Latin hypercube) maps to parameter values column by column. An [`Axis`] is one
//! coordinate of such a design: one named parameter ([`Axis::One`]), or joint draws read
//! from a CSV file ([`Axis::Joint`], one row per draw, for posteriors whose parameters are
//! correlated), where the coordinate picks a row. [`apply`] sets a copy of a scenario at
//! one point, through [`crate::scenario::params::set`].
//!
//! ```
//! use chokepoint::uncertainty::{apply, Axis, Dist};
//! let s = chokepoint::Scenario::load("scenarios/twoland.toml")?;
//! let axis = Axis::One {
//!     name: "settings.order_patience_days".into(),
//!     dist: Dist::Choice { values: vec![20.0, 30.0, 40.0], weights: vec![1.0, 2.0, 1.0] },
//!     source: "E".into(),
//! };
//! assert_eq!(axis.values_at(0.1), vec![("settings.order_patience_days".to_string(), 20.0)]);
//! let t = apply(&s, &[axis], &[0.9])?;
//! assert_eq!(t.settings.order_patience_days, 40);
//! # Ok::<(), chokepoint::Error>(())
//! ```

use serde::{Deserialize, Serialize};
use statrs::distribution::{Beta, ContinuousCDF, Gamma, LogNormal, Normal, Triangular, Uniform};

use crate::{Error, Scenario};

/// A parameter's distribution. `quantile(u)` is the inverse CDF for u in (0, 1)
/// (statrs' `inverse_cdf`; at u = 0 and 1 it gives the ends of the support, which may be
/// infinite).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Dist {
    /// Uniform on [lo, hi].
    Uniform {
        /// Lower end.
        lo: f64,
        /// Upper end (> lo).
        hi: f64,
    },
    /// Triangular on [lo, hi] with its peak at `mode`.
    Triangular {
        /// Lower end.
        lo: f64,
        /// Most likely value, in [lo, hi].
        mode: f64,
        /// Upper end (> lo).
        hi: f64,
    },
    /// Normal.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation (> 0).
        sd: f64,
    },
    /// Lognormal: ln X is normal with mean `mu` and standard deviation `sigma`.
    LogNormal {
        /// Mean of ln X.
        mu: f64,
        /// Standard deviation of ln X (> 0).
        sigma: f64,
    },
    /// Gamma with `shape` and `scale` (mean shape × scale).
    Gamma {
        /// Shape (> 0).
        shape: f64,
        /// Scale (> 0), in the parameter's unit.
        scale: f64,
    },
    /// Beta(alpha, beta) stretched onto [lo, hi].
    Beta {
        /// First shape (> 0).
        alpha: f64,
        /// Second shape (> 0).
        beta: f64,
        /// Lower end.
        lo: f64,
        /// Upper end (> lo).
        hi: f64,
    },
    /// A discrete choice among `values` with `weights` (any scale; normalised).
    Choice {
        /// The values, in the order written.
        values: Vec<f64>,
        /// Their weights (>= 0, not all 0; as many as values).
        weights: Vec<f64>,
    },
    /// Inverse gamma with `shape` and `scale`: X = scale / G with G ~ Gamma(shape, 1), so
    /// 1/X is Gamma(shape, rate = scale). The posterior of an exponential's mean
    /// (`calibrate --posterior`).
    InvGamma {
        /// Shape (> 0).
        shape: f64,
        /// Scale (> 0), in the parameter's unit.
        scale: f64,
    },
}

/// The distribution names of `[[uncertain]]` tables, with their keys (besides `dist`).
pub const DISTS: &[(&str, &[&str])] = &[
    ("uniform", &["lo", "hi"]),
    ("triangular", &["lo", "mode", "hi"]),
    ("normal", &["mean", "sd"]),
    ("lognormal", &["mu", "sigma"]),
    ("gamma", &["shape", "scale"]),
    ("beta", &["alpha", "beta", "lo", "hi"]),
    ("choice", &["values", "weights"]),
    ("invgamma", &["shape", "scale"]),
];

/// The `u` quantile of Gamma(shape, 1): statrs' `inverse_cdf`, checked against statrs'
/// `cdf`. statrs 0.18's gamma quantile is a short bisection then 4 Newton steps, which
/// can leave the support for small shapes in the lower tail (NaN for shape 0.3 at
/// u = 0.001, a test below); a result that is not finite or whose cdf misses `u` is
/// replaced by bisection on statrs' cdf (monotone, so it always converges).
fn gamma_unit_quantile(shape: f64, u: f64) -> f64 {
    let g = Gamma::new(shape, 1.0).expect("Dist::check holds shape > 0");
    if u <= 0.0 {
        return 0.0;
    }
    if u >= 1.0 {
        return f64::INFINITY;
    }
    let x = g.inverse_cdf(u);
    let tol = 1e-12 * u.min(1.0 - u);
    if x.is_finite() && x > 0.0 && (g.cdf(x) - u).abs() <= tol {
        return x;
    }
    let mut hi = shape.max(1.0);
    while g.cdf(hi) < u {
        hi *= 2.0;
        if hi > 1e300 {
            return f64::INFINITY;
        }
    }
    let mut lo = 0.0;
    // Lower tail of a small shape: the quantile may be far below 1e-300 in relative terms.
    for _ in 0..2000 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if g.cdf(mid) < u {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-15 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

impl Dist {
    /// The name written in `[[uncertain]]` tables (`dist = "..."`).
    pub fn name(&self) -> &'static str {
        match self {
            Dist::Uniform { .. } => "uniform",
            Dist::Triangular { .. } => "triangular",
            Dist::Normal { .. } => "normal",
            Dist::LogNormal { .. } => "lognormal",
            Dist::Gamma { .. } => "gamma",
            Dist::Beta { .. } => "beta",
            Dist::Choice { .. } => "choice",
            Dist::InvGamma { .. } => "invgamma",
        }
    }

    /// Whether the parameters are valid; `Err` says what is wrong and what would be right.
    pub fn check(&self) -> Result<(), String> {
        let finite = |xs: &[(&str, f64)]| -> Result<(), String> {
            for (k, x) in xs {
                if !x.is_finite() {
                    return Err(format!("`{k}` = {x}: expected a finite number"));
                }
            }
            Ok(())
        };
        let pos = |k: &str, x: f64| -> Result<(), String> {
            if x > 0.0 {
                Ok(())
            } else {
                Err(format!("`{k}` = {x}: expected a number > 0"))
            }
        };
        let range = |lo: f64, hi: f64| -> Result<(), String> {
            if lo < hi {
                Ok(())
            } else {
                Err(format!("lo = {lo} >= hi = {hi}: expected lo < hi"))
            }
        };
        match self {
            Dist::Uniform { lo, hi } => {
                finite(&[("lo", *lo), ("hi", *hi)])?;
                range(*lo, *hi)
            }
            Dist::Triangular { lo, mode, hi } => {
                finite(&[("lo", *lo), ("mode", *mode), ("hi", *hi)])?;
                range(*lo, *hi)?;
                if (*lo..=*hi).contains(mode) {
                    Ok(())
                } else {
                    Err(format!(
                        "mode = {mode} lies outside [{lo}, {hi}]: expected lo <= mode <= hi"
                    ))
                }
            }
            Dist::Normal { mean, sd } => {
                finite(&[("mean", *mean), ("sd", *sd)])?;
                pos("sd", *sd)
            }
            Dist::LogNormal { mu, sigma } => {
                finite(&[("mu", *mu), ("sigma", *sigma)])?;
                pos("sigma", *sigma)
            }
            Dist::Gamma { shape, scale } | Dist::InvGamma { shape, scale } => {
                finite(&[("shape", *shape), ("scale", *scale)])?;
                pos("shape", *shape)?;
                pos("scale", *scale)
            }
            Dist::Beta {
                alpha,
                beta,
                lo,
                hi,
            } => {
                finite(&[("alpha", *alpha), ("beta", *beta), ("lo", *lo), ("hi", *hi)])?;
                pos("alpha", *alpha)?;
                pos("beta", *beta)?;
                range(*lo, *hi)
            }
            Dist::Choice { values, weights } => {
                if values.is_empty() {
                    return Err("`values` is empty: expected at least one value".into());
                }
                if values.len() != weights.len() {
                    return Err(format!(
                        "{} values but {} weights: expected one weight per value",
                        values.len(),
                        weights.len()
                    ));
                }
                for v in values {
                    finite(&[("values", *v)])?;
                }
                for w in weights {
                    if !(w.is_finite() && *w >= 0.0) {
                        return Err(format!("a weight is {w}: expected weights >= 0"));
                    }
                }
                if weights.iter().sum::<f64>() > 0.0 {
                    Ok(())
                } else {
                    Err("every weight is 0: expected at least one weight > 0".into())
                }
            }
        }
    }

    /// The inverse CDF at `u` (u in [0, 1]; a value outside is clamped into it).
    ///
    /// Continuous laws use statrs' `inverse_cdf` (the gamma's checked, see
    /// `gamma_unit_quantile`); the inverse gamma is `scale / q` with
    /// `q` the gamma(shape, 1) quantile at `1 - u`. A choice returns the first value whose
    /// cumulative weight exceeds `u` × the total weight. Assumes [`Dist::check`] holds.
    pub fn quantile(&self, u: f64) -> f64 {
        if u.is_nan() {
            return f64::NAN;
        }
        let u = u.clamp(0.0, 1.0);
        match self {
            Dist::Uniform { lo, hi } => Uniform::new(*lo, *hi)
                .expect("Dist::check holds lo < hi")
                .inverse_cdf(u),
            Dist::Triangular { lo, mode, hi } => Triangular::new(*lo, *hi, *mode)
                .expect("Dist::check holds lo <= mode <= hi")
                .inverse_cdf(u),
            Dist::Normal { mean, sd } => Normal::new(*mean, *sd)
                .expect("Dist::check holds sd > 0")
                .inverse_cdf(u),
            Dist::LogNormal { mu, sigma } => LogNormal::new(*mu, *sigma)
                .expect("Dist::check holds sigma > 0")
                .inverse_cdf(u),
            Dist::Gamma { shape, scale } => scale * gamma_unit_quantile(*shape, u),
            Dist::InvGamma { shape, scale } => scale / gamma_unit_quantile(*shape, 1.0 - u),
            Dist::Beta {
                alpha,
                beta,
                lo,
                hi,
            } => {
                let b = Beta::new(*alpha, *beta).expect("Dist::check holds alpha, beta > 0");
                lo + (hi - lo) * b.inverse_cdf(u)
            }
            Dist::Choice { values, weights } => {
                let total: f64 = weights.iter().sum();
                let target = u * total;
                let mut acc = 0.0;
                for (v, w) in values.iter().zip(weights) {
                    acc += w;
                    if target < acc {
                        return *v;
                    }
                }
                // u = 1 (or rounding at the top): the last value with weight.
                values
                    .iter()
                    .zip(weights)
                    .rev()
                    .find(|(_, w)| **w > 0.0)
                    .map_or(f64::NAN, |(v, _)| *v)
            }
        }
    }

    /// The mean (infinite for an inverse gamma with shape <= 1).
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Uniform { lo, hi } => (lo + hi) / 2.0,
            Dist::Triangular { lo, mode, hi } => (lo + mode + hi) / 3.0,
            Dist::Normal { mean, .. } => *mean,
            Dist::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Dist::Gamma { shape, scale } => shape * scale,
            Dist::Beta {
                alpha,
                beta,
                lo,
                hi,
            } => lo + (hi - lo) * alpha / (alpha + beta),
            Dist::Choice { values, weights } => {
                let total: f64 = weights.iter().sum();
                values.iter().zip(weights).map(|(v, w)| v * w).sum::<f64>() / total
            }
            Dist::InvGamma { shape, scale } => {
                if *shape > 1.0 {
                    scale / (shape - 1.0)
                } else {
                    f64::INFINITY
                }
            }
        }
    }

    /// The keys and values as written in an `[[uncertain]]` table (besides `dist`).
    pub fn fields(&self) -> Vec<(&'static str, FieldValue)> {
        use FieldValue::{List, Num};
        match self {
            Dist::Uniform { lo, hi } => vec![("lo", Num(*lo)), ("hi", Num(*hi))],
            Dist::Triangular { lo, mode, hi } => {
                vec![("lo", Num(*lo)), ("mode", Num(*mode)), ("hi", Num(*hi))]
            }
            Dist::Normal { mean, sd } => vec![("mean", Num(*mean)), ("sd", Num(*sd))],
            Dist::LogNormal { mu, sigma } => vec![("mu", Num(*mu)), ("sigma", Num(*sigma))],
            Dist::Gamma { shape, scale } | Dist::InvGamma { shape, scale } => {
                vec![("shape", Num(*shape)), ("scale", Num(*scale))]
            }
            Dist::Beta {
                alpha,
                beta,
                lo,
                hi,
            } => vec![
                ("alpha", Num(*alpha)),
                ("beta", Num(*beta)),
                ("lo", Num(*lo)),
                ("hi", Num(*hi)),
            ],
            Dist::Choice { values, weights } => vec![
                ("values", List(values.clone())),
                ("weights", List(weights.clone())),
            ],
        }
    }
}

/// A value of a [`Dist`]'s field, as written in a table.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// A number.
    Num(f64),
    /// An array of numbers.
    List(Vec<f64>),
}

/// One coordinate of a parameter design (a Sobol'/LHS column drives one Axis).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Axis {
    /// One named parameter (a name [`crate::scenario::params::set`] accepts).
    One {
        /// The parameter's name, e.g. `process.chaman.rate_per_year`.
        name: String,
        /// Its distribution.
        dist: Dist,
        /// Where the distribution comes from (a source, or `E` and why).
        source: String,
    },
    /// Joint draws read from a CSV (one column per parameter name, one row per draw);
    /// `u` picks row `floor(u * rows.len())`, so correlation is kept.
    Joint {
        /// The CSV file, as written in the scenario (relative to it).
        file: String,
        /// The parameters, one per column.
        names: Vec<String>,
        /// The draws: each row holds one value per name.
        rows: Vec<Vec<f64>>,
        /// Where the draws come from.
        source: String,
    },
}

impl Axis {
    /// The name, or `joint:<file stem>`.
    pub fn label(&self) -> String {
        match self {
            Axis::One { name, .. } => name.clone(),
            Axis::Joint { file, .. } => {
                let stem = std::path::Path::new(file)
                    .file_stem()
                    .map_or_else(|| file.clone(), |s| s.to_string_lossy().into_owned());
                format!("joint:{stem}")
            }
        }
    }

    /// The parameters this axis sets.
    pub fn names(&self) -> Vec<&str> {
        match self {
            Axis::One { name, .. } => vec![name.as_str()],
            Axis::Joint { names, .. } => names.iter().map(String::as_str).collect(),
        }
    }

    /// Where its distribution comes from.
    pub fn source(&self) -> &str {
        match self {
            Axis::One { source, .. } | Axis::Joint { source, .. } => source,
        }
    }

    /// The row of a joint axis that `u` picks: `floor(u * rows)`, clamped to the rows.
    fn row_at(rows: usize, u: f64) -> usize {
        let u = if u.is_nan() { 0.0 } else { u.clamp(0.0, 1.0) };
        ((u * rows as f64).floor() as usize).min(rows.saturating_sub(1))
    }

    /// Each parameter's value at coordinate `u` in [0, 1].
    pub fn values_at(&self, u: f64) -> Vec<(String, f64)> {
        match self {
            Axis::One { name, dist, .. } => vec![(name.clone(), dist.quantile(u))],
            Axis::Joint { names, rows, .. } => {
                if rows.is_empty() {
                    return names.iter().map(|n| (n.clone(), f64::NAN)).collect();
                }
                let row = &rows[Self::row_at(rows.len(), u)];
                names.iter().cloned().zip(row.iter().copied()).collect()
            }
        }
    }

    /// The p-quantile of each parameter's marginal (of a joint axis: the empirical
    /// quantile of its column, the order statistic at `p × (rows - 1)`, interpolated).
    pub fn marginal_quantiles(&self, p: f64) -> Vec<(String, f64)> {
        match self {
            Axis::One { .. } => self.values_at(p),
            Axis::Joint { names, rows, .. } => names
                .iter()
                .enumerate()
                .map(|(j, n)| {
                    let mut col: Vec<f64> = rows.iter().map(|r| r[j]).collect();
                    col.sort_by(f64::total_cmp);
                    (n.clone(), empirical_quantile(&col, p))
                })
                .collect(),
        }
    }
}

/// The p-quantile of sorted values (linear interpolation between order statistics).
fn empirical_quantile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = p.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (i, f) = (h.floor() as usize, h.fract());
    let next = sorted[(i + 1).min(sorted.len() - 1)];
    sorted[i] + f * (next - sorted[i])
}

/// A copy of `s` with each axis set at its coordinate (`u.len() == axes.len()`), through
/// [`crate::scenario::params::set`], then checked as a whole ([`Scenario::check`]); an
/// invalid drawn value is an error naming the axis, never a panic.
pub fn apply(s: &Scenario, axes: &[Axis], u: &[f64]) -> Result<Scenario, Error> {
    if axes.len() != u.len() {
        return Err(Error::Invalid(format!(
            "{} coordinates for {} uncertain axes: expected one coordinate per axis",
            u.len(),
            axes.len()
        )));
    }
    let mut out = s.clone();
    for (axis, &ui) in axes.iter().zip(u) {
        for (name, v) in axis.values_at(ui) {
            let at = || {
                if matches!(axis, Axis::Joint { .. }) {
                    format!("uncertain {} ({name}) at u = {ui}", axis.label())
                } else {
                    format!("uncertain {} at u = {ui}", axis.label())
                }
            };
            if !v.is_finite() {
                return Err(Error::Invalid(format!(
                    "{}: the drawn value is {v}; expected a finite number (u must lie \
                     inside (0, 1) for an unbounded distribution)",
                    at()
                )));
            }
            crate::scenario::params::set(&mut out, &name, v)
                .map_err(|e| Error::Invalid(format!("{}: {}", at(), e.message)))?;
        }
    }
    out.check().map_err(|e| {
        let labels: Vec<String> = axes.iter().map(Axis::label).collect();
        Error::Invalid(format!(
            "the scenario with its uncertain parameters ({}) at u = {u:?} is invalid: {e}",
            labels.join(", ")
        ))
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::distribution::ContinuousCDF;

    const US: [f64; 7] = [0.001, 0.025, 0.1, 0.5, 0.77, 0.975, 0.999];

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
    }

    #[test]
    fn quantiles_equal_known_values() {
        // Closed forms, and textbook values (normal 0.975 quantile 1.959964).
        let q = |d: Dist, u: f64| {
            d.check().unwrap();
            d.quantile(u)
        };
        assert!(close(
            q(Dist::Uniform { lo: 2.0, hi: 6.0 }, 0.25),
            3.0,
            1e-12
        ));
        let tri = Dist::Triangular {
            lo: 0.0,
            mode: 1.0,
            hi: 4.0,
        };
        // F(x) = x^2 / 4 below the mode: u = 0.125 gives x = sqrt(0.5).
        assert!(close(q(tri.clone(), 0.125), 0.5f64.sqrt(), 1e-9));
        // Above: 1 - (4 - x)^2 / 12 = 0.75 gives x = 4 - sqrt(3).
        assert!(close(q(tri, 0.75), 4.0 - 3f64.sqrt(), 1e-9));
        let n = Dist::Normal {
            mean: 10.0,
            sd: 2.0,
        };
        assert!(close(
            q(n.clone(), 0.975),
            10.0 + 2.0 * 1.959_963_984_540_054,
            1e-9
        ));
        assert!(close(q(n, 0.5), 10.0, 1e-12));
        let ln = Dist::LogNormal {
            mu: 1.0,
            sigma: 0.5,
        };
        assert!(close(q(ln, 0.5), 1f64.exp(), 1e-9));
        // Gamma(1, scale) is exponential: -scale ln(1 - u).
        let g = Dist::Gamma {
            shape: 1.0,
            scale: 3.0,
        };
        for u in US {
            assert!(close(q(g.clone(), u), -3.0 * (1.0 - u).ln(), 1e-7), "{u}");
        }
        // Chi-square(4) = Gamma(2, 2): 0.95 quantile 9.487729.
        let g = Dist::Gamma {
            shape: 2.0,
            scale: 2.0,
        };
        assert!(close(q(g, 0.95), 9.487_729_036_781_154, 1e-7));
        // Inverse gamma(1, b): 1/X exponential with rate b, so X = -b / ln u.
        let ig = Dist::InvGamma {
            shape: 1.0,
            scale: 5.0,
        };
        for u in US {
            assert!(close(q(ig.clone(), u), -5.0 / u.ln(), 1e-7), "{u}");
        }
        // Beta(1, 1) on [lo, hi] is uniform; Beta(2, 1) has F(x) = x^2.
        let b = Dist::Beta {
            alpha: 2.0,
            beta: 1.0,
            lo: 10.0,
            hi: 20.0,
        };
        assert!(close(q(b, 0.25), 15.0, 1e-9));
    }

    #[test]
    fn quantiles_invert_statrs_cdfs() {
        for (shape, scale) in [
            (0.3, 1.0),
            (0.5, 2.0),
            (2.7, 0.4),
            (9.5, 30.0),
            (80.0, 0.01),
        ] {
            let g = Gamma::new(shape, 1.0 / scale).unwrap();
            let d = Dist::Gamma { shape, scale };
            let ig = Dist::InvGamma { shape, scale };
            for u in US {
                let x = d.quantile(u);
                assert!(
                    close(g.cdf(x), u, 1e-8),
                    "gamma({shape}, {scale}) at {u}: {x}"
                );
                // P(X <= x) for X = scale / G, G ~ Gamma(shape, 1): P(G >= scale / x).
                let y = ig.quantile(u);
                let gu = Gamma::new(shape, 1.0).unwrap();
                assert!(
                    close(1.0 - gu.cdf(scale / y), u, 1e-8),
                    "invgamma at {u}: {y}"
                );
            }
        }
        for (a, b) in [(0.5, 0.5), (2.0, 5.0), (30.0, 3.0)] {
            let beta = Beta::new(a, b).unwrap();
            let d = Dist::Beta {
                alpha: a,
                beta: b,
                lo: -1.0,
                hi: 3.0,
            };
            for u in US {
                let x = (d.quantile(u) + 1.0) / 4.0;
                assert!(close(beta.cdf(x), u, 1e-8), "beta({a}, {b}) at {u}");
            }
        }
        let ln = LogNormal::new(3.4, 1.1).unwrap();
        let d = Dist::LogNormal {
            mu: 3.4,
            sigma: 1.1,
        };
        for u in US {
            assert!(close(ln.cdf(d.quantile(u)), u, 1e-9));
        }
    }

    #[test]
    fn means_agree_with_quantile_averages() {
        // The mean of the quantile at a fine midpoint grid approaches the mean.
        let dists = [
            Dist::Uniform { lo: 1.0, hi: 3.0 },
            Dist::Triangular {
                lo: 0.0,
                mode: 1.0,
                hi: 5.0,
            },
            Dist::Normal { mean: 4.0, sd: 1.0 },
            Dist::LogNormal {
                mu: 0.5,
                sigma: 0.3,
            },
            Dist::Gamma {
                shape: 3.0,
                scale: 2.0,
            },
            Dist::InvGamma {
                shape: 6.0,
                scale: 10.0,
            },
            Dist::Beta {
                alpha: 2.0,
                beta: 3.0,
                lo: 0.0,
                hi: 10.0,
            },
            Dist::Choice {
                values: vec![1.0, 2.0, 10.0],
                weights: vec![1.0, 1.0, 2.0],
            },
        ];
        let n = 20_000;
        for d in dists {
            let avg = (0..n)
                .map(|i| d.quantile((i as f64 + 0.5) / n as f64))
                .sum::<f64>()
                / n as f64;
            assert!(close(avg, d.mean(), 2e-3), "{d:?}: {avg} vs {}", d.mean());
        }
        let heavy = Dist::InvGamma {
            shape: 0.9,
            scale: 1.0,
        };
        assert_eq!(heavy.mean(), f64::INFINITY);
    }

    #[test]
    fn choice_picks_by_cumulative_weight() {
        let d = Dist::Choice {
            values: vec![1.0, 2.0, 3.0, 4.0],
            weights: vec![1.0, 0.0, 2.0, 1.0],
        };
        d.check().unwrap();
        // Cumulative shares 0.25, 0.25, 0.75, 1.
        assert_eq!(d.quantile(0.0), 1.0);
        assert_eq!(d.quantile(0.2499), 1.0);
        assert_eq!(d.quantile(0.25), 3.0);
        assert_eq!(d.quantile(0.7499), 3.0);
        assert_eq!(d.quantile(0.75), 4.0);
        assert_eq!(d.quantile(1.0), 4.0);
        // A value of weight 0 is never picked.
        assert!((0..1000).all(|i| d.quantile(f64::from(i) / 1000.0) != 2.0));
    }

    #[test]
    fn invalid_shapes_are_refused_with_what_would_be_right() {
        let bad = [
            (Dist::Uniform { lo: 2.0, hi: 2.0 }, "expected lo < hi"),
            (Dist::Normal { mean: 0.0, sd: 0.0 }, "`sd` = 0"),
            (
                Dist::Triangular {
                    lo: 0.0,
                    mode: 5.0,
                    hi: 4.0,
                },
                "lo <= mode <= hi",
            ),
            (
                Dist::Gamma {
                    shape: -1.0,
                    scale: 1.0,
                },
                "`shape` = -1",
            ),
            (
                Dist::Beta {
                    alpha: 1.0,
                    beta: f64::NAN,
                    lo: 0.0,
                    hi: 1.0,
                },
                "finite",
            ),
            (
                Dist::Choice {
                    values: vec![1.0, 2.0],
                    weights: vec![1.0],
                },
                "one weight per value",
            ),
            (
                Dist::Choice {
                    values: vec![1.0],
                    weights: vec![0.0],
                },
                "at least one weight > 0",
            ),
        ];
        for (d, want) in bad {
            let e = d.check().unwrap_err();
            assert!(e.contains(want), "{d:?}: {e}");
        }
    }

    fn joint() -> Axis {
        Axis::Joint {
            file: "post/chaman.csv".into(),
            names: vec![
                "process.chaman.rate_per_year".into(),
                "process.chaman.mean_duration_days".into(),
            ],
            rows: vec![
                vec![1.0, 50.0],
                vec![2.0, 60.0],
                vec![3.0, 70.0],
                vec![4.0, 80.0],
            ],
            source: "test".into(),
        }
    }

    #[test]
    fn joint_axes_pick_whole_rows() {
        let a = joint();
        assert_eq!(a.label(), "joint:chaman");
        assert_eq!(
            a.names(),
            [
                "process.chaman.rate_per_year",
                "process.chaman.mean_duration_days"
            ]
        );
        // floor(u * 4): rows 0, 1, 2, 3; u = 1 is the last row.
        for (u, row) in [
            (0.0, 0),
            (0.2499, 0),
            (0.25, 1),
            (0.6, 2),
            (0.9999, 3),
            (1.0, 3),
        ] {
            let v = a.values_at(u);
            assert_eq!(v[0].1, (row + 1) as f64, "{u}");
            assert_eq!(v[1].1, 50.0 + 10.0 * row as f64, "{u}");
        }
        let med = a.marginal_quantiles(0.5);
        assert_eq!(med[0].1, 2.5);
        assert_eq!(med[1].1, 65.0);
    }

    fn twoland() -> Scenario {
        Scenario::load(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/twoland.toml"
        ))
        .unwrap()
    }

    #[test]
    fn apply_sets_each_axis_and_leaves_the_original() {
        let s = twoland();
        let link = s.links[0].id.clone();
        let axes = [
            Axis::One {
                name: format!("link.{link}.cost_usd_per_t"),
                dist: Dist::Uniform { lo: 10.0, hi: 20.0 },
                source: "E".into(),
            },
            Axis::One {
                name: "settings.reaction_days".into(),
                dist: Dist::Choice {
                    values: vec![1.0, 5.0],
                    weights: vec![1.0, 1.0],
                },
                source: "E".into(),
            },
        ];
        let t = apply(&s, &axes, &[0.5, 0.9]).unwrap();
        assert_eq!(t.links[0].cost_usd_per_t, 15.0);
        assert_eq!(t.settings.reaction_days, 5);
        assert_ne!(s, t);
        // The same scenario set by hand is equal.
        let mut by_hand = s.clone();
        crate::scenario::params::set(&mut by_hand, &format!("link.{link}.cost_usd_per_t"), 15.0)
            .unwrap();
        crate::scenario::params::set(&mut by_hand, "settings.reaction_days", 5.0).unwrap();
        assert_eq!(by_hand, t);
    }

    #[test]
    fn apply_errors_name_the_axis() {
        let s = twoland();
        let link = s.links[0].id.clone();
        let one = |name: &str, dist: Dist| Axis::One {
            name: name.into(),
            dist,
            source: "E".into(),
        };
        // Wrong number of coordinates.
        let a = [one(
            "settings.reaction_days",
            Dist::Uniform { lo: 1.0, hi: 2.0 },
        )];
        let e = apply(&s, &a, &[0.1, 0.2]).unwrap_err().to_string();
        assert!(e.contains("2 coordinates for 1 uncertain axes"), "{e}");
        // A whole-number parameter drawn from a continuous law.
        let e = apply(&s, &a, &[0.3]).unwrap_err().to_string();
        assert!(
            e.contains("uncertain settings.reaction_days at u = 0.3") && e.contains("whole number"),
            "{e}"
        );
        // An unknown name.
        let a = [one(
            "settings.reaction_dayz",
            Dist::Uniform { lo: 1.0, hi: 2.0 },
        )];
        let e = apply(&s, &a, &[0.3]).unwrap_err().to_string();
        assert!(e.contains("did you mean \"settings.reaction_days\""), "{e}");
        // An infinite draw at the end of an unbounded law.
        let a = [one(
            &format!("link.{link}.cost_usd_per_t"),
            Dist::Normal { mean: 5.0, sd: 1.0 },
        )];
        let e = apply(&s, &a, &[0.0]).unwrap_err().to_string();
        assert!(e.contains("drawn value is -inf"), "{e}");
        // A value the whole-scenario check refuses: a negative capacity.
        let a = [one(
            &format!("link.{link}.capacity_t_per_day"),
            Dist::Normal { mean: 5.0, sd: 1.0 },
        )];
        let e = apply(&s, &a, &[1e-9]).unwrap_err().to_string();
        assert!(
            e.contains(&format!("link.{link}.capacity_t_per_day")) && e.contains("invalid"),
            "{e}"
        );
        // A joint axis names the parameter inside it.
        let mut j = joint();
        if let Axis::Joint { names, .. } = &mut j {
            names[0] = "process.nowhere.rate_per_year".into();
        }
        let e = apply(&s, &[j], &[0.5]).unwrap_err().to_string();
        assert!(
            e.contains("joint:chaman (process.nowhere.rate_per_year)"),
            "{e}"
        );
    }
}
