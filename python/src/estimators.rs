//! The uncertainty estimators (`chokepoint::uncertainty`) on arrays, for Python's
//! `chokepoint.sensitivity`: numbers in, numbers out; the Rust library does the work.

use chokepoint::uncertainty::{self as u, DesignOutputs, Interval};
use pyo3::prelude::*;

use crate::py_err;

type Triple = (f64, f64, f64);

fn triple(i: &Interval) -> Triple {
    (i.estimate, i.low, i.high)
}

/// The points of a Saltelli design (rows A, B, then each AB_i), `n (k + 2)` rows of `k`
/// coordinates in [0, 1).
#[pyfunction]
pub fn saltelli_design(n: usize, k: usize, seed: u32) -> PyResult<Vec<Vec<f64>>> {
    Ok(u::saltelli_design(n, k, seed).map_err(py_err)?.points)
}

/// First-order and total Sobol' indices, each (estimate, low, high) by input, and the
/// output's variance, of outputs `y` given in the design's order.
#[pyfunction]
#[pyo3(signature = (y, n, k, resamples=1000, seed=0))]
pub fn sobol_indices(
    py: Python<'_>,
    y: Vec<f64>,
    n: usize,
    k: usize,
    resamples: usize,
    seed: u64,
) -> PyResult<(Vec<Triple>, Vec<Triple>, f64)> {
    let s = py
        .detach(|| {
            DesignOutputs::split(&y, n, k).and_then(|o| u::sobol_indices(&o, resamples, seed))
        })
        .map_err(py_err)?;
    Ok((
        s.first.iter().map(triple).collect(),
        s.total.iter().map(triple).collect(),
        s.variance,
    ))
}

/// Chatterjee's xi of y on x: (estimate, low, high).
#[pyfunction]
#[pyo3(signature = (x, y, resamples=1000, seed=0))]
pub fn chatterjee_xi(
    py: Python<'_>,
    x: Vec<f64>,
    y: Vec<f64>,
    resamples: usize,
    seed: u64,
) -> PyResult<Triple> {
    let s = py
        .detach(|| u::chatterjee_xi(&x, &y, resamples, seed))
        .map_err(py_err)?;
    Ok(triple(&s))
}

/// The law of total variance over parameter draws: (between, within, parameter share),
/// each (estimate, low, high).
#[pyfunction]
#[pyo3(signature = (groups, resamples=1000, seed=0))]
pub fn variance_split(
    py: Python<'_>,
    groups: Vec<Vec<f64>>,
    resamples: usize,
    seed: u64,
) -> PyResult<(Triple, Triple, Triple)> {
    let s = py
        .detach(|| u::variance_split(&groups, resamples, seed))
        .map_err(py_err)?;
    Ok((
        triple(&s.between),
        triple(&s.within),
        triple(&s.parameter_share),
    ))
}
