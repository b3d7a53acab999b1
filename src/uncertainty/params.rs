//! Uncertain parameters: a distribution per parameter ([`Dist`]), the coordinates of a
//! parameter design ([`Axis`]), and a scenario with every axis set at a point
//! ([`apply`]).
//!
//! STAND-IN (branch `unc-study`): the signatures fixed between `unc-tables` and
//! `unc-study`, with only `Uniform`, `Triangular` and `Choice` quantiles and no parsing.
//! The real file comes from `unc-tables` at merge.

use serde::{Deserialize, Serialize};

use crate::{Error, Scenario};

/// A parameter's distribution. `quantile(u)` is the inverse CDF for u in (0, 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Dist {
    /// Uniform on `[lo, hi]`.
    Uniform {
        /// Lower end.
        lo: f64,
        /// Upper end.
        hi: f64,
    },
    /// Triangular on `[lo, hi]` with its mode.
    Triangular {
        /// Lower end.
        lo: f64,
        /// Mode.
        mode: f64,
        /// Upper end.
        hi: f64,
    },
    /// Normal.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        sd: f64,
    },
    /// Lognormal: `ln X ~ N(mu, sigma²)`.
    LogNormal {
        /// Mean of ln X.
        mu: f64,
        /// Standard deviation of ln X.
        sigma: f64,
    },
    /// Gamma.
    Gamma {
        /// Shape.
        shape: f64,
        /// Scale.
        scale: f64,
    },
    /// Beta on `[lo, hi]`.
    Beta {
        /// First shape.
        alpha: f64,
        /// Second shape.
        beta: f64,
        /// Lower end.
        lo: f64,
        /// Upper end.
        hi: f64,
    },
    /// A discrete choice among values with weights.
    Choice {
        /// The values.
        values: Vec<f64>,
        /// Their weights.
        weights: Vec<f64>,
    },
}

impl Dist {
    /// The inverse CDF at `u` in (0, 1) (stand-in: NaN for the laws not built here).
    pub fn quantile(&self, u: f64) -> f64 {
        match self {
            Dist::Uniform { lo, hi } => lo + (hi - lo) * u,
            Dist::Triangular { lo, mode, hi } => {
                let f = (mode - lo) / (hi - lo);
                if u < f {
                    lo + (u * (hi - lo) * (mode - lo)).sqrt()
                } else {
                    hi - ((1.0 - u) * (hi - lo) * (hi - mode)).sqrt()
                }
            }
            Dist::Choice { values, weights } => {
                let total: f64 = weights.iter().sum();
                let mut acc = 0.0;
                for (v, w) in values.iter().zip(weights) {
                    acc += w / total;
                    if u < acc {
                        return *v;
                    }
                }
                values.last().copied().unwrap_or(f64::NAN)
            }
            _ => f64::NAN,
        }
    }

    /// The mean (stand-in: NaN for the laws not built here).
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Uniform { lo, hi } => 0.5 * (lo + hi),
            Dist::Triangular { lo, mode, hi } => (lo + mode + hi) / 3.0,
            Dist::Choice { values, weights } => {
                let total: f64 = weights.iter().sum();
                values.iter().zip(weights).map(|(v, w)| v * w).sum::<f64>() / total
            }
            _ => f64::NAN,
        }
    }
}

/// One coordinate of a parameter design (a Sobol'/LHS column drives one Axis).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Axis {
    /// One named parameter (a name `chokepoint::scenario::params::set` accepts).
    One {
        /// The parameter's name.
        name: String,
        /// Its distribution.
        dist: Dist,
        /// Where the distribution comes from.
        source: String,
    },
    /// Joint draws read from a CSV (one column per parameter name, one row per draw);
    /// `u` picks row `floor(u * rows.len())`, so correlation is kept.
    Joint {
        /// The CSV file.
        file: String,
        /// The parameter names (its columns).
        names: Vec<String>,
        /// The draws.
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
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| file.clone());
                format!("joint:{stem}")
            }
        }
    }

    /// The parameter names it sets.
    pub fn names(&self) -> Vec<&str> {
        match self {
            Axis::One { name, .. } => vec![name.as_str()],
            Axis::Joint { names, .. } => names.iter().map(String::as_str).collect(),
        }
    }

    /// The values at coordinate `u` in [0, 1).
    pub fn values_at(&self, u: f64) -> Vec<(String, f64)> {
        match self {
            Axis::One { name, dist, .. } => vec![(name.clone(), dist.quantile(u))],
            Axis::Joint { names, rows, .. } => {
                if rows.is_empty() {
                    return names.iter().map(|n| (n.clone(), f64::NAN)).collect();
                }
                let r = ((u * rows.len() as f64).floor() as usize).min(rows.len() - 1);
                names.iter().cloned().zip(rows[r].iter().copied()).collect()
            }
        }
    }
}

/// A copy of `s` with each axis set at its coordinate (`u.len() == axes.len()`), through
/// `scenario::params::set`; an invalid drawn value is an error naming the axis, never a
/// panic.
pub fn apply(s: &Scenario, axes: &[Axis], u: &[f64]) -> Result<Scenario, Error> {
    if axes.len() != u.len() {
        return Err(Error::Invalid(format!(
            "{} coordinates for {} uncertain axes",
            u.len(),
            axes.len()
        )));
    }
    let mut out = s.clone();
    for (axis, &x) in axes.iter().zip(u) {
        for (name, v) in axis.values_at(x) {
            if !v.is_finite() {
                return Err(Error::Invalid(format!(
                    "uncertain {}: the value drawn for {name} at u = {x} is {v}, not a number",
                    axis.label()
                )));
            }
            crate::scenario::params::set(&mut out, &name, v).map_err(|e| {
                Error::Invalid(format!("uncertain {}: {}", axis.label(), e.message))
            })?;
        }
    }
    Ok(out)
}
