//! Parameters by name: what can be overridden (Python's `Scenario.with_changes`, EMA
//! Workbench uncertainties, and parameter uncertainty), its value, unit and meaning, and
//! how to set it.
//!
//! A lognormal process also has `process.ID.duration_sigma`, a gamma one
//! `process.ID.duration_shape` (a joint posterior draw sets it before the mean).
//!
//! Names are `settings.FIELD`, `link.ID.FIELD`, `corridor.ID.capacity_scale`,
//! `process.ID.FIELD`, `shock.ID.FIELD`, `product.ID.FIELD`,
//! `regime.STATE.rate_multiplier`, `expansion.LINK.extra_t_per_day` (an option's
//! capacity expansions; every expansion of the link), and `closures.rate_scale` /
//! `closures.duration_scale`
//! (multipliers on every random closure process and shock). A `*_scale` is a
//! multiplier applied once, relative to the scenario it is applied to (its value is 1).

use crate::closure::DurationDist;
use crate::Scenario;

/// One parameter and its current value.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Its name, e.g. `process.torkham.rate_per_year`.
    pub name: String,
    /// Its value in the scenario.
    pub value: f64,
    /// Its unit.
    pub unit: &'static str,
    /// What it means.
    pub description: String,
}

/// Why a parameter could not be set: an unknown name (with a suggestion) or a bad value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ParamError {
    /// True when the name is unknown (false: a bad value for a known name).
    pub unknown: bool,
    /// What is wrong and what would be right.
    pub message: String,
}

fn p(name: String, value: f64, unit: &'static str, description: impl Into<String>) -> Param {
    Param {
        name,
        value,
        unit,
        description: description.into(),
    }
}

const SETTINGS: [(&str, &str, &str); 10] = [
    ("days", "days", "days simulated"),
    (
        "truck_payload_t",
        "t",
        "tonnes per truck, for stranded-truck counts",
    ),
    (
        "reaction_days",
        "days",
        "days before traders react to a change in a link's capacity",
    ),
    (
        "queue_patience_days",
        "days",
        "days queued cargo waits before it turns back to reroute",
    ),
    (
        "order_patience_days",
        "days",
        "days an unmet order stays open before it is lost trade",
    ),
    (
        "abandon_after_days",
        "days",
        "days a lot may wait in one queue before it is abandoned",
    ),
    (
        "belief_spread",
        "log",
        "spread of traders' beliefs about a closure's remaining length (traders = \"weigh\")",
    ),
    (
        "trader_classes",
        "classes",
        "classes of traders who differ in their beliefs (1..=32)",
    ),
    (
        "steady_start",
        "0 or 1",
        "1: runs start in the counterfactual's steady state; 0: from an empty network",
    ),
    (
        "discount_rate",
        "1/year",
        "annual discount rate for option appraisal",
    ),
];

fn setting(s: &Scenario, name: &str) -> Option<f64> {
    let st = &s.settings;
    Some(match name {
        "days" => f64::from(st.days),
        "truck_payload_t" => st.truck_payload_t,
        "reaction_days" => f64::from(st.reaction_days),
        "queue_patience_days" => f64::from(st.queue_patience_days),
        "order_patience_days" => f64::from(st.order_patience_days),
        "abandon_after_days" => f64::from(st.abandon_after_days),
        "discount_rate" => st.discount_rate,
        "steady_start" => f64::from(u8::from(st.steady_start)),
        "belief_spread" => st.belief_spread,
        "trader_classes" => f64::from(st.trader_classes),
        _ => return None,
    })
}

/// Every parameter of `s`, in a stable order.
/// Every parameter of `s` that [`set`] can change, with its current value.
pub fn list(s: &Scenario) -> Vec<Param> {
    let mut out = Vec::new();
    for (name, unit, what) in SETTINGS {
        let v = setting(s, name).unwrap_or(f64::NAN);
        out.push(p(format!("settings.{name}"), v, unit, what));
    }
    out.push(p(
        "closures.rate_scale".into(),
        1.0,
        "x",
        "multiplier on the onset rate of every closure process and shock",
    ));
    out.push(p(
        "closures.duration_scale".into(),
        1.0,
        "x",
        "multiplier on the durations of every closure process and shock (their distributions scaled)",
    ));
    for l in &s.links {
        let id = &l.id;
        out.push(p(
            format!("link.{id}.capacity_t_per_day"),
            l.capacity_t_per_day,
            "t/day",
            format!("capacity of link {id}"),
        ));
        out.push(p(
            format!("link.{id}.cost_usd_per_t"),
            l.cost_usd_per_t,
            "USD/t",
            format!("freight cost of link {id}"),
        ));
        out.push(p(
            format!("link.{id}.transit_days"),
            l.transit_days,
            "days",
            format!("transit time of link {id}"),
        ));
    }
    for c in &s.corridors {
        out.push(p(
            format!("corridor.{}.capacity_scale", c.id),
            1.0,
            "x",
            format!(
                "multiplier on the capacity of every link of corridor {}",
                c.id
            ),
        ));
    }
    for pr in &s.processes {
        // Named by the process's id (its target's name unless it gives one), which the
        // scenario's checks keep unique: two processes on one target have two names.
        let t = pr.id.as_str();
        let target = s.target_name(pr.target);
        let of = if t == target {
            target.to_string()
        } else {
            format!("{target} (process {t})")
        };
        out.push(p(
            format!("process.{t}.rate_per_year"),
            pr.rate_per_year,
            "1/year",
            format!("closure onsets of {of} per year"),
        ));
        out.push(p(
            format!("process.{t}.mean_duration_days"),
            pr.duration.mean_days(),
            "days",
            format!("mean closure duration of {of} (the distribution scaled)"),
        ));
        match pr.duration {
            DurationDist::LogNormal { sigma, .. } => out.push(p(
                format!("process.{t}.duration_sigma"),
                sigma,
                "ln(days)",
                format!("sigma of ln(duration) of {of} (mu, the log of the median, is kept; a mean set after it rescales)"),
            )),
            DurationDist::Gamma { shape, .. } => out.push(p(
                format!("process.{t}.duration_shape"),
                shape,
                "",
                format!("shape of the gamma duration of {of} (the scale is kept; a mean set after it rescales)"),
            )),
            _ => {}
        }
        out.push(p(
            format!("process.{t}.capacity_factor"),
            pr.capacity_factor,
            "fraction",
            format!("capacity factor of {of} while closed"),
        ));
        out.push(p(
            format!("process.{t}.ramp_days"),
            f64::from(pr.ramp_days),
            "days",
            format!("ramp back to full capacity of {of}"),
        ));
    }
    for sh in &s.shocks {
        let id = &sh.id;
        out.push(p(
            format!("shock.{id}.rate_per_year"),
            sh.rate_per_year,
            "1/year",
            format!("shocks {id} per year"),
        ));
        out.push(p(
            format!("shock.{id}.mean_duration_days"),
            sh.duration.mean_days(),
            "days",
            format!("mean duration of shock {id} (the distribution scaled)"),
        ));
        out.push(p(
            format!("shock.{id}.capacity_factor"),
            sh.capacity_factor,
            "fraction",
            format!("capacity factor of shock {id}'s targets while closed"),
        ));
    }
    for pr in &s.products {
        let id = &pr.id;
        out.push(p(
            format!("product.{id}.value_usd_per_t"),
            pr.value_usd_per_t,
            "USD/t",
            format!("value of {id}"),
        ));
        out.push(p(
            format!("product.{id}.holding_cost_per_day"),
            pr.holding_cost_per_day,
            "fraction of value/day",
            format!("holding cost of {id}"),
        ));
        out.push(p(
            format!("product.{id}.demand_elasticity"),
            pr.demand_elasticity,
            "elasticity (<= 0)",
            format!("own-price elasticity of {id}'s orders against the landed price"),
        ));
        if let Some(q) = &pr.perishability {
            out.push(p(
                format!("product.{id}.grace_days"),
                q.grace_days,
                "days",
                format!("days {id} waits before it starts to spoil"),
            ));
            out.push(p(
                format!("product.{id}.loss_per_day"),
                q.loss_per_day,
                "fraction of value/day",
                format!("share of {id}'s value lost per day of waiting after the grace days"),
            ));
            out.push(p(
                format!("product.{id}.shelf_life_days"),
                q.shelf_life_days,
                "days",
                format!("days after dispatch at which {id} is spoiled whole"),
            ));
        }
    }
    for (i, e) in s.expansions.iter().enumerate() {
        if s.expansions[..i].iter().any(|x| x.link == e.link) {
            continue; // one name per link: it sets every expansion of the link
        }
        let id = &s.links[e.link.index()].id;
        out.push(p(
            format!("expansion.{id}.extra_t_per_day"),
            e.extra_t_per_day,
            "t/day",
            format!("capacity an option adds to link {id} once ramped in"),
        ));
    }
    if let Some(r) = &s.regimes {
        for st in &r.states {
            out.push(p(
                format!("regime.{}.rate_multiplier", st.id),
                st.rate_multiplier,
                "x",
                format!("multiplier on every onset rate in regime {}", st.id),
            ));
        }
    }
    out
}

/// A whole number of days (or other count) >= 0.
fn whole(name: &str, v: f64) -> Result<u32, (bool, String)> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= f64::from(u32::MAX) {
        Ok(v as u32)
    } else {
        Err((
            false,
            format!("{name} = {v}: expected a whole number >= 0 (round it first)"),
        ))
    }
}

fn scale_duration(d: &mut DurationDist, k: f64) {
    match d {
        DurationDist::Exponential { mean_days } => *mean_days *= k,
        DurationDist::LogNormal { mu, .. } => *mu += k.ln(),
        DurationDist::Gamma { scale_days, .. } => *scale_days *= k,
        DurationDist::Empirical { days } => days.iter_mut().for_each(|x| *x *= k),
    }
}

fn positive(name: &str, v: f64) -> Result<f64, (bool, String)> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err((false, format!("{name} = {v}: expected a positive number")))
    }
}

/// The closest known names, for an unknown one.
fn did_you_mean(s: &Scenario, name: &str) -> String {
    let names = list(s);
    let mut best: Vec<(f64, &str)> = names
        .iter()
        .map(|p| (strsim_ratio(name, &p.name), p.name.as_str()))
        .filter(|(r, _)| *r > 0.7)
        .collect();
    best.sort_by(|a, b| b.0.total_cmp(&a.0));
    match best.first() {
        Some((_, n)) => format!("; did you mean {n:?}?"),
        None => "; Scenario.parameters lists every name".into(),
    }
}

/// Similarity in [0, 1] (1 - normalised Levenshtein distance).
fn strsim_ratio(a: &str, b: &str) -> f64 {
    strsim::normalized_levenshtein(a, b)
}

/// Set parameter `name` (see [`list`]) to `v` on `s`. The scenario is not checked as a
/// whole here (call [`Scenario::check`] after a set of changes).
pub fn set(s: &mut Scenario, name: &str, v: f64) -> Result<(), ParamError> {
    set_inner(s, name, v).map_err(|(unknown, message)| ParamError { unknown, message })
}

fn set_inner(s: &mut Scenario, name: &str, v: f64) -> Result<(), (bool, String)> {
    let unknown = |s: &Scenario| {
        (
            true,
            format!("unknown parameter {name:?}{}", did_you_mean(s, name)),
        )
    };
    let parts: Vec<&str> = name.split('.').collect();
    match parts.as_slice() {
        ["settings", field] => {
            let st = &mut s.settings;
            match *field {
                "days" => st.days = whole(name, v)?,
                "truck_payload_t" => st.truck_payload_t = positive(name, v)?,
                "reaction_days" => st.reaction_days = whole(name, v)?,
                "queue_patience_days" => st.queue_patience_days = whole(name, v)?,
                "order_patience_days" => st.order_patience_days = whole(name, v)?,
                "abandon_after_days" => st.abandon_after_days = whole(name, v)?,
                "discount_rate" => st.discount_rate = v,
                "belief_spread" => {
                    if !(0.0..=super::MAX_BELIEF_SPREAD).contains(&v) {
                        return Err((
                            false,
                            format!(
                                "{name} = {v}: expected a number in [0, {}]",
                                super::MAX_BELIEF_SPREAD
                            ),
                        ));
                    }
                    st.belief_spread = v;
                }
                "trader_classes" => {
                    let k = whole(name, v)?;
                    if !(1..=super::MAX_TRADER_CLASSES).contains(&k) {
                        return Err((
                            false,
                            format!(
                                "{name} = {v}: expected a whole number in 1..={}",
                                super::MAX_TRADER_CLASSES
                            ),
                        ));
                    }
                    st.trader_classes = k;
                }
                "steady_start" => {
                    st.steady_start = match v {
                        0.0 => false,
                        1.0 => true,
                        _ => {
                            return Err((false, format!("{name} = {v}: expected 0 or 1")));
                        }
                    }
                }
                _ => return Err(unknown(s)),
            }
        }
        ["closures", "rate_scale"] => {
            let k = if v.is_finite() && v >= 0.0 {
                v
            } else {
                return Err((false, format!("{name} = {v}: expected a number >= 0")));
            };
            s.processes.iter_mut().for_each(|p| p.rate_per_year *= k);
            s.shocks.iter_mut().for_each(|p| p.rate_per_year *= k);
        }
        ["closures", "duration_scale"] => {
            let k = positive(name, v)?;
            s.processes
                .iter_mut()
                .for_each(|p| scale_duration(&mut p.duration, k));
            s.shocks
                .iter_mut()
                .for_each(|p| scale_duration(&mut p.duration, k));
        }
        ["link", id, field] => {
            let Some(l) = s.links.iter_mut().find(|l| l.id == *id) else {
                return Err(unknown(s));
            };
            match *field {
                "capacity_t_per_day" => l.capacity_t_per_day = v,
                "cost_usd_per_t" => l.cost_usd_per_t = v,
                "transit_days" => l.transit_days = v,
                _ => return Err(unknown(s)),
            }
        }
        ["corridor", id, "capacity_scale"] => {
            let Some(c) = s.corridors.iter().find(|c| c.id == *id) else {
                return Err(unknown(s));
            };
            if !(v.is_finite() && v >= 0.0) {
                return Err((false, format!("{name} = {v}: expected a number >= 0")));
            }
            for l in c.links.clone() {
                s.links[l.index()].capacity_t_per_day *= v;
            }
        }
        ["process", id, field] => {
            // By the process's id. A target's name is refused with the ids of the
            // processes on it (before processes were named by id, it named them).
            let Some(i) = s.processes.iter().position(|p| p.id == *id) else {
                let on: Vec<String> = s
                    .processes
                    .iter()
                    .filter(|p| s.target_name(p.target) == *id)
                    .map(|p| format!("\"process.{}.{field}\"", p.id))
                    .collect();
                if on.is_empty() {
                    return Err(unknown(s));
                }
                return Err((
                    true,
                    format!(
                        "unknown parameter {name:?}: processes are named by their id, and {id} \
                         is the target of {}",
                        on.join(" and ")
                    ),
                ));
            };
            let pr = &mut s.processes[i];
            match *field {
                "rate_per_year" => pr.rate_per_year = v,
                "mean_duration_days" => {
                    let k = positive(name, v)? / pr.duration.mean_days();
                    scale_duration(&mut pr.duration, k);
                }
                "duration_sigma" => match &mut pr.duration {
                    DurationDist::LogNormal { sigma, .. } => *sigma = positive(name, v)?,
                    _ => return Err(unknown(s)),
                },
                "duration_shape" => match &mut pr.duration {
                    DurationDist::Gamma { shape, .. } => *shape = positive(name, v)?,
                    _ => return Err(unknown(s)),
                },
                "capacity_factor" => pr.capacity_factor = v,
                "ramp_days" => pr.ramp_days = whole(name, v)?,
                _ => return Err(unknown(s)),
            }
        }
        ["shock", id, field] => {
            let Some(sh) = s.shocks.iter_mut().find(|x| x.id == *id) else {
                return Err(unknown(s));
            };
            match *field {
                "rate_per_year" => sh.rate_per_year = v,
                "mean_duration_days" => {
                    let k = positive(name, v)? / sh.duration.mean_days();
                    scale_duration(&mut sh.duration, k);
                }
                "capacity_factor" => sh.capacity_factor = v,
                _ => return Err(unknown(s)),
            }
        }
        ["product", id, field] => {
            let Some(pr) = s.products.iter_mut().find(|x| x.id == *id) else {
                return Err(unknown(s));
            };
            match *field {
                "value_usd_per_t" => pr.value_usd_per_t = v,
                "holding_cost_per_day" => pr.holding_cost_per_day = v,
                "demand_elasticity" => pr.demand_elasticity = v,
                "grace_days" | "loss_per_day" | "shelf_life_days" => {
                    let Some(q) = pr.perishability.as_mut() else {
                        return Err(unknown(s)); // a good that keeps has no spoilage
                    };
                    match *field {
                        "grace_days" => q.grace_days = v,
                        "loss_per_day" => q.loss_per_day = v,
                        _ => q.shelf_life_days = v,
                    }
                }
                _ => return Err(unknown(s)),
            }
        }
        ["expansion", id, "extra_t_per_day"] => {
            let Some(li) = s.links.iter().position(|l| l.id == *id) else {
                return Err(unknown(s));
            };
            if !(v.is_finite() && v >= 0.0) {
                return Err((false, format!("{name} = {v}: expected a number >= 0")));
            }
            let mut found = false;
            for e in s.expansions.iter_mut().filter(|e| e.link.index() == li) {
                e.extra_t_per_day = v;
                found = true;
            }
            if !found {
                return Err(unknown(s));
            }
        }
        ["regime", id, "rate_multiplier"] => {
            let Some(st) = s
                .regimes
                .as_mut()
                .and_then(|r| r.states.iter_mut().find(|x| x.id == *id))
            else {
                return Err(unknown(s));
            };
            st.rate_multiplier = v;
        }
        _ => return Err(unknown(s)),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_listed_set_and_refused_by_name() {
        let mut s = Scenario::load(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/twoland.toml"
        ))
        .unwrap();
        let names: Vec<String> = list(&s).into_iter().map(|p| p.name).collect();
        assert!(names.iter().any(|n| n == "settings.reaction_days"));
        set(&mut s, "settings.reaction_days", 3.0).unwrap();
        assert_eq!(s.settings.reaction_days, 3);
        let e = set(&mut s, "settings.reaction_dayz", 3.0).unwrap_err();
        assert!(
            e.unknown
                && e.message
                    .contains("did you mean \"settings.reaction_days\""),
            "{e}"
        );
        let e = set(&mut s, "settings.reaction_days", 2.5).unwrap_err();
        assert!(!e.unknown && e.message.contains("whole number"), "{e}");
    }

    #[test]
    fn two_processes_on_one_target_have_a_name_each() {
        // The Wakhan road's winter and security processes share their corridor: each is
        // named by its id, and setting one leaves the other as it was.
        let mut s = Scenario::load(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/uncertainty/base.toml"
        ))
        .unwrap();
        let first = s.processes[0].clone();
        let mut second = first.clone();
        second.id = "second".into();
        s.processes.push(second);
        let names: Vec<String> = list(&s).into_iter().map(|p| p.name).collect();
        let rate = |id: &str| format!("process.{id}.rate_per_year");
        assert_eq!(names.iter().filter(|n| **n == rate(&first.id)).count(), 1);
        assert_eq!(names.iter().filter(|n| **n == rate("second")).count(), 1);
        set(&mut s, &rate("second"), 7.5).unwrap();
        assert_eq!(s.processes[0].rate_per_year, first.rate_per_year);
        assert_eq!(s.processes[2].rate_per_year, 7.5);
        set(&mut s, &rate(&first.id), 0.25).unwrap();
        assert_eq!(s.processes[0].rate_per_year, 0.25);
        assert_eq!(s.processes[2].rate_per_year, 7.5);
        // A target's name is refused, naming the processes on it by their ids.
        s.processes[0].id = "north_process".into();
        let north = s.target_name(s.processes[0].target).to_string();
        let e = set(&mut s, &rate(&north), 1.0).unwrap_err();
        assert!(
            e.unknown
                && e.message
                    .contains("\"process.north_process.rate_per_year\"")
                && e.message.contains("\"process.second.rate_per_year\""),
            "{e}"
        );
    }
}
