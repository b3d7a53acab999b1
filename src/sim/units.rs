//! The engine's integer units: tonnes in 0.01 t, routing costs in 0.01 USD/t.

/// Engine tonnes are integers of 0.01 t.
pub const UNITS_PER_T: f64 = 100.0;
/// Routing costs are integers of 0.01 USD/t.
pub const COST_SCALE: f64 = 100.0;

/// Tonnes to engine units (0.01 t), rounded.
#[inline]
pub(super) fn units(t: f64) -> i64 {
    (t * UNITS_PER_T).round() as i64
}

/// Engine units (0.01 t) to tonnes.
#[inline]
pub(super) fn tonnes(u: i64) -> f64 {
    u as f64 / UNITS_PER_T
}
