//! The checks of an in-memory scenario's risk: fixed and seasonal closures, closure
//! processes, shocks and the regime chain (see [`super::in_memory`]).

use std::collections::HashSet;

use crate::closure::{Target, MAX_SEASONAL_DAYS};
use crate::error::DiagnosticKind as K;
use crate::scenario::raw::Diags;
use crate::scenario::Scenario;

use super::rules::{bad, dist, ids, num, NumRule};

/// Fixed and seasonal closures: target known, duration and factor in range, a seasonal
/// closure within a year and without a belief.
pub(super) fn closures(s: &Scenario, d: &mut Diags) {
    let fixed = s.closures.iter().enumerate().map(|(i, c)| (i, c, false));
    let seasonal = s.seasonal.iter().enumerate().map(|(i, c)| (i, c, true));
    for (i, c, seasonal) in fixed.chain(seasonal) {
        let kind = if seasonal {
            "seasonal closure"
        } else {
            "closure"
        };
        let w = |k: &str| format!("{kind} {i}: {k}");
        if seasonal && c.duration_days + c.ramp_days > MAX_SEASONAL_DAYS {
            bad(
                d,
                K::OutOfRange,
                w("duration_days + ramp_days is more than a year"),
                &format!(
                    "a seasonal closure lasts at most {MAX_SEASONAL_DAYS} days, ramp included"
                ),
            );
        }
        if seasonal && c.start_day.unsigned_abs() > 36_600 {
            bad(
                d,
                K::OutOfRange,
                w(&format!(
                    "start_day {} is more than 100 years away",
                    c.start_day
                )),
                "a seasonal closure's first occurrence is dated within 100 years of the start",
            );
        }
        if seasonal && c.expected_closure_days.is_some() {
            bad(
                d,
                K::Inconsistent,
                w("states expected_closure_days"),
                "traders know when a seasonal closure ends: drop the belief",
            );
        }
        if !target_ok(s, &c.target) {
            bad(
                d,
                K::UnknownReference,
                w("target index out of range"),
                "target an existing corridor or link",
            );
        }
        if c.duration_days == 0 {
            bad(
                d,
                K::EndsBeforeStart,
                w("duration_days is 0"),
                "a closure lasts at least one day",
            );
        }
        num(d, w("capacity_factor"), c.capacity_factor, NumRule::Unit);
        if let Some(x) = c.expected_closure_days {
            num(d, w("expected_closure_days"), x, NumRule::Pos);
        }
    }
}

/// Closure processes: target known, rate, factor and duration law valid.
pub(super) fn processes(s: &Scenario, d: &mut Diags) {
    for (i, p) in s.processes.iter().enumerate() {
        let w = |k: &str| format!("process {i}: {k}");
        if !target_ok(s, &p.target) {
            bad(
                d,
                K::UnknownReference,
                w("target index out of range"),
                "target an existing corridor or link",
            );
        }
        num(d, w("rate_per_year"), p.rate_per_year, NumRule::NonNeg);
        num(d, w("capacity_factor"), p.capacity_factor, NumRule::Unit);
        dist(d, &w("duration"), &p.duration);
    }
}

/// Shocks: two or more distinct known targets, rate, factor and duration law valid.
pub(super) fn shocks(s: &Scenario, d: &mut Diags) {
    for g in &s.shocks {
        let w = |k: &str| format!("shock `{}`: {k}", g.id);
        if g.targets.len() < 2 {
            bad(
                d,
                K::Inconsistent,
                w("fewer than two targets"),
                "a shock closes at least two targets",
            );
        }
        if g.targets.iter().any(|t| !target_ok(s, t)) {
            bad(
                d,
                K::UnknownReference,
                w("target index out of range"),
                "target existing corridors or links",
            );
        }
        let distinct: HashSet<&Target> = g.targets.iter().collect();
        if distinct.len() != g.targets.len() {
            bad(
                d,
                K::Inconsistent,
                w("a target is listed twice"),
                "list each target once",
            );
        }
        num(d, w("rate_per_year"), g.rate_per_year, NumRule::NonNeg);
        num(d, w("capacity_factor"), g.capacity_factor, NumRule::Unit);
        dist(d, &w("duration"), &g.duration);
    }
}

/// The regime chain: states, a stochastic transition matrix, an initial state in range.
pub(super) fn regimes(s: &Scenario, d: &mut Diags) {
    if let Some(r) = &s.regimes {
        let n = r.states.len();
        ids(d, "regime state", r.states.iter().map(|x| x.id.as_str()));
        if n == 0 {
            bad(
                d,
                K::Empty,
                "the regime chain has no states".into(),
                "add states or set regimes to None",
            );
        }
        if r.transitions.len() != n || r.transitions.iter().any(|row| row.len() != n) {
            bad(
                d,
                K::Inconsistent,
                format!("the regime transition matrix is not {n} x {n}"),
                "one row and one column per state",
            );
        } else {
            for (i, row) in r.transitions.iter().enumerate() {
                for &p in row {
                    num(
                        d,
                        format!("regime `{}` transition", r.states[i].id),
                        p,
                        NumRule::Unit,
                    );
                }
                let sum: f64 = row.iter().sum();
                if (sum - 1.0).abs() > 1e-9 {
                    bad(
                        d,
                        K::Inconsistent,
                        format!(
                            "the transitions of regime `{}` sum to {sum}",
                            r.states[i].id
                        ),
                        "each row must sum to 1",
                    );
                }
            }
        }
        for st in &r.states {
            num(
                d,
                format!("regime `{}` rate_multiplier", st.id),
                st.rate_multiplier,
                NumRule::NonNeg,
            );
        }
        if r.initial.is_some_and(|i| i >= n) {
            bad(
                d,
                K::UnknownReference,
                "the initial regime index is out of range".into(),
                &format!("state indices are 0..{n}"),
            );
        }
    }
}

/// Whether closure target `t` is a corridor or link of `s`.
pub(super) fn target_ok(s: &Scenario, t: &Target) -> bool {
    match t {
        Target::Corridor(c) => c.index() < s.corridors.len(),
        Target::Link(l) => l.index() < s.links.len(),
    }
}
