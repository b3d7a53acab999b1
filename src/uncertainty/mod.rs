//! Parameter uncertainty: designs of parameter draws and the estimators that split a
//! result's variance between parameters and closure draws, or attribute it to each
//! parameter (sensitivity indices).
//!
//! The estimators are functions on arrays (as SALib's `analyze` and OpenTURNS'
//! `SobolIndicesAlgorithm` are): they take numbers and return numbers with their
//! intervals, know nothing of scenarios, and are tested on functions whose indices are
//! known (Ishigami, Sobol' G). A study feeds them.
//!
//! - [`saltelli_design`]: the points at which to evaluate a model for Sobol' indices
//!   (matrices A, B and each A with column i from B), from an Owen-scrambled Sobol'
//!   sequence (the `sobol_burley` crate).
//! - [`sobol_indices`]: first-order (Saltelli 2010) and total (Jansen 1999) indices,
//!   with bootstrap intervals.
//! - [`chatterjee_xi`]: a given-data index (Chatterjee 2021) that works on the draws of
//!   any study, with a bootstrap interval.
//! - [`Dist`], [`Axis`], [`apply`]: uncertain parameters (a scenario's `[[uncertain]]`
//!   tables) and a scenario set at one point of a design.
//! - [`variance_split`]: the law of total variance over parameter draws, each with its own
//!   inner sample (closure draws), with the inner-sample bias corrected.
//!
//! ```
//! use chokepoint::uncertainty::{saltelli_design, sobol_indices};
//! // y = x0 + 2 x1 on the unit square: S0 = 1/5, S1 = 4/5, no interaction.
//! let d = saltelli_design(1 << 12, 2, 7)?;
//! let f = |x: &[f64]| x[0] + 2.0 * x[1];
//! let s = sobol_indices(&d.evaluate(f), 200, 1)?;
//! assert!((s.first[0].estimate - 0.2).abs() < 0.02 && (s.total[1].estimate - 0.8).abs() < 0.02);
//! # Ok::<(), chokepoint::Error>(())
//! ```

mod estimators;
mod params;

pub use estimators::{
    chatterjee_xi, saltelli_design, sobol_indices, variance_split, Design, DesignOutputs, Interval,
    SobolIndices, VarianceSplit,
};
pub use params::{apply, Axis, Dist, FieldValue, DISTS};
