//! Reading the risk tables: fixed closures, closure processes and shocks with their
//! duration laws, and the regimes.

use super::diags::{did_you_mean, Diags, Sp};
use super::keys::{DURATION_KEYS, STATE_KEYS};
use super::reader::{Item, Rule};
use super::records::{End, RawClosure, RawProcess, RawRegimes, RawState, Start};
use crate::closure::DurationDist;
use crate::error::DiagnosticKind as K;
use crate::scenario::tree::{Node, V};

/// Read `start` / `start_day` (exactly one).
pub(super) fn start(it: &Item<'_>, d: &mut Diags) -> Option<Start> {
    let day = it.one_of(
        ("start", "start_day"),
        "start",
        (
            "keep one of them",
            "add `start = 2024-01-13` (a date) or `start_day = 12` (a day index)",
        ),
        d,
    )?;
    if day {
        it.int("start_day", false, -36_600, 36_600, d)
            .map(Start::Day)
    } else {
        it.date("start", d).map(|s| Start::Date(s.v))
    }
}

/// Read a `[[closure]]`.
pub(crate) fn closure(it: &Item<'_>, d: &mut Diags) -> RawClosure {
    let target = it.id("target", true, d);
    let start = start(it, d);
    let end = it
        .one_of(
            ("end", "duration_days"),
            "duration_days",
            (
                "keep one of them",
                "add `duration_days = 10` or `end = 2024-01-23` (the day it reopens)",
            ),
            d,
        )
        .and_then(|days| {
            if days {
                it.int("duration_days", false, 1, 36_600, d)
                    .map(|x| End::Days(x as u32))
            } else {
                it.date("end", d).map(End::Date)
            }
        });
    RawClosure {
        target,
        start,
        end,
        capacity_factor: it
            .num("capacity_factor", false, Rule::UnitOpen, d)
            .unwrap_or(0.0),
        ramp_days: it.days("ramp_days", d).unwrap_or(0),
        label: it.string("label", false, d).map(|s| s.v),
        expected_closure_days: it.num("expected_closure_days", false, Rule::Pos, d),
        seasonal: seasonal(it, d),
        loc: it.loc,
    }
}

/// Read a closure's `seasonal` flag: a seasonal closure is known in advance, so it
/// states no belief about how long it lasts.
fn seasonal(it: &Item<'_>, d: &mut Diags) -> bool {
    let seasonal = it.boolean("seasonal", d).unwrap_or(false);
    if let Some(n) = it.get("expected_closure_days").filter(|_| seasonal) {
        d.err(
            K::Inconsistent,
            n.loc(),
            format!(
                "{} is seasonal and states expected_closure_days: traders know when a \
                 seasonal closure ends",
                it.what
            ),
            Some("drop `expected_closure_days`, or `seasonal = true` for a disruption".into()),
        );
    }
    seasonal
}

/// Read a duration distribution table.
pub(super) fn duration(it: &Item<'_>, d: &mut Diags) -> Option<DurationDist> {
    let dist = it.string("dist", true, d)?;
    let keys: &[&str] = match dist.v.as_str() {
        "exponential" => &["dist", "mean_days"],
        "lognormal" => &["dist", "mu", "sigma"],
        "gamma" => &["dist", "shape", "scale_days"],
        "empirical" => &["dist", "days"],
        other => {
            let words = ["exponential", "lognormal", "gamma", "empirical"];
            let mut hint = format!("expected one of {}", words.join(", "));
            if let Some(m) = did_you_mean(other, words) {
                hint = format!("{hint}; {m}");
            }
            d.err(
                K::OutOfRange,
                dist.loc,
                format!("`dist` = {other:?} in {} is not a distribution", it.what),
                Some(hint),
            );
            return None;
        }
    };
    for (k, n) in it.entries {
        if DURATION_KEYS.contains(&k.as_str()) && !keys.contains(&k.as_str()) {
            d.err(
                K::UnknownKey,
                n.loc(),
                format!(
                    "`{k}` does not belong to a {} duration in {}",
                    dist.v, it.what
                ),
                Some(format!(
                    "a {} duration has: {}",
                    dist.v,
                    keys[1..].join(", ")
                )),
            );
        }
    }
    let built = match dist.v.as_str() {
        "exponential" => DurationDist::exponential(it.num("mean_days", true, Rule::Pos, d)?),
        "lognormal" => {
            let mu = it.num("mu", true, Rule::Finite, d);
            let sigma = it.num("sigma", true, Rule::Pos, d);
            DurationDist::lognormal(mu?, sigma?)
        }
        "gamma" => {
            let shape = it.num("shape", true, Rule::Pos, d);
            let scale = it.num("scale_days", true, Rule::Pos, d);
            DurationDist::gamma(shape?, scale?)
        }
        _ => {
            let n = it.get("days");
            let Some(n) = n else {
                it.missing("days", d, "add `days = [6, 9, 10]` (observed durations)");
                return None;
            };
            let V::Array(a) = &n.v else {
                it.wrong_type("days", n, "an array of numbers", d);
                return None;
            };
            let mut days = Vec::new();
            for e in a {
                match &e.v {
                    V::Int(i) => days.push(*i as f64),
                    V::Float(x) => days.push(*x),
                    _ => {
                        it.wrong_type("days", e, "a number", d);
                        return None;
                    }
                }
            }
            DurationDist::empirical(days)
        }
    };
    match built {
        Ok(dd) => Some(dd),
        Err(msg) => {
            d.err(
                K::BadNumber,
                it.loc,
                format!("{}: {msg}", it.what),
                Some("durations must be positive numbers of days".into()),
            );
            None
        }
    }
}

/// Read a `[[process]]` (`shock` false) or `[[shock]]`.
pub(crate) fn process(it: &Item<'_>, shock: bool, d: &mut Diags) -> RawProcess {
    let (id, targets) = if shock {
        let id = it.id("id", true, d);
        let targets = it.strings("targets", true, d).unwrap_or_default();
        (id, targets)
    } else {
        (
            it.id("id", false, d),
            it.id("target", true, d).into_iter().collect(),
        )
    };
    let dur = match it.sub("duration", DURATION_KEYS, d) {
        Some(di) => duration(&di, d),
        None => {
            if !it.has("duration") {
                it.missing(
                    "duration",
                    d,
                    "add `duration = { dist = \"exponential\", mean_days = 7.0 }`",
                );
            }
            None
        }
    };
    RawProcess {
        id,
        targets,
        rate_per_year: it.num("rate_per_year", true, Rule::NonNeg, d),
        duration: dur,
        capacity_factor: it
            .num("capacity_factor", false, Rule::UnitOpen, d)
            .unwrap_or(0.0),
        ramp_days: it.days("ramp_days", d).unwrap_or(0),
        loc: it.loc,
    }
}

/// Read `[regimes]`.
pub(crate) fn regimes(it: &Item<'_>, d: &mut Diags) -> RawRegimes {
    let mut states = Vec::new();
    match it.get("state") {
        Some(Node { v: V::Array(a), .. }) => {
            for (i, n) in a.iter().enumerate() {
                let what = format!("regime state {}", i + 1);
                let Some(si) = Item::new(n, what, STATE_KEYS, d) else {
                    continue;
                };
                let mut transitions = Vec::new();
                if let Some(ti) = si.get("transitions") {
                    match ti.table() {
                        Some(entries) => {
                            for (k, v) in entries {
                                let p = match &v.v {
                                    V::Int(i) => Some(*i as f64),
                                    V::Float(x) => Some(*x),
                                    _ => None,
                                };
                                match p {
                                    Some(p) if (0.0..=1.0).contains(&p) => transitions.push((
                                        Sp {
                                            v: k.clone(),
                                            loc: v.loc(),
                                        },
                                        p,
                                    )),
                                    Some(p) => d.err(
                                        K::OutOfRange,
                                        v.loc(),
                                        format!(
                                            "transition probability to `{k}` = {p} in {} is out of range",
                                            si.what
                                        ),
                                        Some("expected a probability in [0, 1]".into()),
                                    ),
                                    None => si.wrong_type("transitions", v, "a number", d),
                                }
                            }
                        }
                        None => si.wrong_type(
                            "transitions",
                            ti,
                            "a table like { calm = 0.99, tense = 0.01 }",
                            d,
                        ),
                    }
                } else {
                    si.missing(
                        "transitions",
                        d,
                        "add `transitions = { calm = 0.99, tense = 0.01 }`",
                    );
                }
                states.push(RawState {
                    id: si.id("id", true, d),
                    rate_multiplier: si.num("rate_multiplier", true, Rule::NonNeg, d),
                    transitions,
                    loc: si.loc,
                });
            }
        }
        Some(n) => it.wrong_type("state", n, "an array of [[regimes.state]] tables", d),
        None => it.missing("state", d, "add [[regimes.state]] tables"),
    }
    RawRegimes {
        initial: it.id("initial", false, d),
        states,
    }
}
