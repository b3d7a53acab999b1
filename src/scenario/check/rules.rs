//! The rules and helpers every check of an in-memory scenario uses: number rules and the
//! largest quantity, ids, monthly factors and duration laws. A leaf of `check/`.

use std::collections::HashSet;

use crate::closure::DurationDist;
use crate::error::DiagnosticKind as K;
use crate::network::Seasonality;
use crate::scenario::raw::{is_valid_id, Diags, Loc};

/// Record error `msg` with `hint` (an in-memory scenario has no lines: line 0).
pub(super) fn bad(d: &mut Diags, kind: K, msg: String, hint: &str) {
    d.err(kind, Loc::default(), msg, Some(hint.to_string()));
}

/// Record an error when `x`, named `what`, breaks `rule`.
pub(super) fn num(d: &mut Diags, what: String, x: f64, rule: NumRule) {
    if let Some((kind, expected)) = rule.problem(x) {
        d.err(
            kind,
            Loc::default(),
            format!("{what} = {x} is out of range"),
            Some(expected.into()),
        );
    }
}

#[derive(Clone, Copy)]
pub(super) enum NumRule {
    NonNeg,
    Elasticity,
    Pos,
    Unit,
}

/// The largest quantity (t/day, USD/t, days) a scenario may hold: the engine counts
/// tonnes in integers of 0.01 t and costs in integers of 0.01 USD/t, and its sums must
/// stay exact.
pub(crate) const MAX_QUANTITY: f64 = 1e9;

/// The longest lag or patience (days) a scenario may set: ten years.
pub(crate) const MAX_SETTING_DAYS: u32 = 3660;

impl NumRule {
    fn problem(self, x: f64) -> Option<(K, &'static str)> {
        match self {
            _ if !x.is_finite() => Some((K::BadNumber, "expected a finite number")),
            _ if x.abs() > MAX_QUANTITY => Some((
                K::OutOfRange,
                "expected a number of at most 1e9 (the engine's integer units hold no more)",
            )),
            NumRule::NonNeg if x < 0.0 => Some((K::BadNumber, "expected a number >= 0")),
            NumRule::Pos if x <= 0.0 => Some((K::BadNumber, "expected a number > 0")),
            NumRule::Elasticity if !(-50.0..=0.0).contains(&x) => Some((
                K::OutOfRange,
                "expected a number in [-50, 0] (orders fall as the landed price rises)",
            )),
            NumRule::Unit if !(0.0..=1.0).contains(&x) => {
                Some((K::OutOfRange, "expected a number in [0, 1]"))
            }
            _ => None,
        }
    }
}

pub(super) fn ids<'a>(d: &mut Diags, kind: &str, ids: impl Iterator<Item = &'a str>) {
    let mut seen = HashSet::new();
    for id in ids {
        if !is_valid_id(id) {
            d.err(
                K::BadId,
                Loc::default(),
                format!("{kind} id {id:?} is not a valid id"),
                Some("ids use lower-case letters, digits and `_` only".into()),
            );
        }
        if !seen.insert(id) {
            d.err(
                K::DuplicateId,
                Loc::default(),
                format!("duplicate {kind} id `{id}`"),
                Some("ids must be unique".into()),
            );
        }
    }
}

pub(super) fn season(d: &mut Diags, what: &str, s: &Option<Seasonality>) {
    if let Some(m) = s {
        if m.iter().any(|x| !x.is_finite() || *x < 0.0 || *x > 1000.0) {
            d.err(
                K::BadNumber,
                Loc::default(),
                format!("{what} has a negative, non-finite or huge factor"),
                Some("monthly factors are numbers in [0, 1000]".into()),
            );
        }
    }
}

pub(super) fn dist(d: &mut Diags, what: &str, x: &DurationDist) {
    let rebuilt = match x {
        DurationDist::Exponential { mean_days } => DurationDist::exponential(*mean_days),
        DurationDist::LogNormal { mu, sigma } => DurationDist::lognormal(*mu, *sigma),
        DurationDist::Gamma { shape, scale_days } => DurationDist::gamma(*shape, *scale_days),
        DurationDist::Empirical { days } => DurationDist::empirical(days.clone()),
    };
    if let Err(msg) = rebuilt {
        d.err(K::BadNumber, Loc::default(), format!("{what}: {msg}"), None);
    }
}
