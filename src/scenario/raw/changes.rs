//! Reading an option file: its changes (`[[expand]]`, `[[set_cost]]`, `[[set_process]]`...)
//! in the order they were written.

use super::diags::Diags;
use super::keys::{
    ADD_LINK_KEYS, CLOSURE_KEYS, DURATION_KEYS, EXPAND_KEYS, JOIN_SHOCK_KEYS, NODE_KEYS,
    OPTION_KEYS, PROCESS_KEYS, REMOVE_CLOSURE_KEYS, SET_COST_KEYS, SET_PROCESS_KEYS, SHOCK_KEYS,
};
use super::network::{link, node};
use super::reader::{for_each_element, Item, Rule};
use super::records::{
    ChangeKind, RawExpand, RawJoinShock, RawOption, RawRemoveClosure, RawSetCost, RawSetProcess,
};
use super::risk::{closure, duration, process, start};
use crate::error::DiagnosticKind as K;
use crate::scenario::tree::Node;

/// Read an `[[expand]]`.
pub(crate) fn expand(it: &Item<'_>, d: &mut Diags) -> RawExpand {
    RawExpand {
        link: it.id("link", true, d),
        extra_t_per_day: it.num("extra_t_per_day", true, Rule::Pos, d),
        start: start(it, d),
        ramp_days: it.days("ramp_days", d).unwrap_or(0),
    }
}

/// Read a `[[set_cost]]`.
pub(crate) fn set_cost(it: &Item<'_>, d: &mut Diags) -> RawSetCost {
    RawSetCost {
        link: it.id("link", true, d),
        cost_usd_per_t: it.num("cost_usd_per_t", true, Rule::NonNeg, d),
    }
}

/// Read a `[[set_process]]`: exactly one of `process` / `shock`, at most one of
/// `rate_per_year` / `rate_scale` and of `duration` / `duration_scale`, and at least one
/// change.
fn set_process(it: &Item<'_>, d: &mut Diags) -> RawSetProcess {
    let which = it
        .one_of(
            ("process", "shock"),
            "process",
            (
                "a [[set_process]] changes one process or one shock: keep one",
                "add `process = \"<process id>\"` or `shock = \"<shock id>\"`",
            ),
            d,
        )
        .and_then(|shock| {
            let key = if shock { "shock" } else { "process" };
            it.id(key, false, d).map(|x| (shock, x))
        });
    for (a, b) in [
        ("rate_per_year", "rate_scale"),
        ("duration", "duration_scale"),
    ] {
        if it.has(a) && it.has(b) {
            d.err(
                K::Inconsistent,
                it.get(b).map_or(it.loc, Node::loc),
                format!("{} has both `{a}` and `{b}`", it.what),
                Some(format!("`{a}` replaces, `{b}` multiplies: keep one")),
            );
        }
    }
    let changes = [
        "rate_per_year",
        "rate_scale",
        "duration",
        "duration_scale",
        "capacity_factor",
        "ramp_days",
    ];
    if !changes.iter().any(|k| it.has(k)) {
        d.err(
            K::MissingKey,
            it.loc,
            format!("{} changes nothing", it.what),
            Some(format!("give at least one of {}", changes.join(", "))),
        );
    }
    RawSetProcess {
        which,
        rate_per_year: it.num("rate_per_year", false, Rule::NonNeg, d),
        rate_scale: it.num("rate_scale", false, Rule::NonNeg, d),
        duration: it
            .sub("duration", DURATION_KEYS, d)
            .and_then(|di| duration(&di, d)),
        duration_scale: it.num("duration_scale", false, Rule::Pos, d),
        capacity_factor: it.num("capacity_factor", false, Rule::UnitOpen, d),
        ramp_days: it.days("ramp_days", d),
    }
}

/// Read `[option]` and its change tables from the top-level table of an option file.
pub(crate) fn option(top: &Item<'_>, d: &mut Diags) -> RawOption {
    let mut o = RawOption {
        name: None,
        description: String::new(),
        base: None,
        capital_cost_usd: None,
        annual_cost_usd: None,
        horizon_years: None,
        add_node: Vec::new(),
        add_link: Vec::new(),
        expand: Vec::new(),
        set_cost: Vec::new(),
        add_closure: Vec::new(),
        remove_closure: Vec::new(),
        add_process: Vec::new(),
        add_shock: Vec::new(),
        join_shock: Vec::new(),
        set_process: Vec::new(),
        order: Vec::new(),
    };
    match top.sub("option", OPTION_KEYS, d) {
        Some(it) => {
            let it = it.renamed("[option]");
            o.name = it.text("name", true, d).map(|s| s.v);
            o.description = it
                .string("description", false, d)
                .map_or(String::new(), |s| s.v);
            o.base = it.text("base", true, d);
            o.capital_cost_usd = it.num("capital_cost_usd", true, Rule::NonNeg, d);
            o.annual_cost_usd = it.num("annual_cost_usd", false, Rule::NonNeg, d);
            o.horizon_years = it.num("horizon_years", true, Rule::Pos, d);
        }
        None => {
            if !top.has("option") {
                top.missing("option", d, "an option file starts with an [option] table");
            }
        }
    }
    for_each_element(top, "add_node", NODE_KEYS, d, |it, d| {
        o.order
            .push((ChangeKind::AddNode, o.add_node.len(), it.loc));
        o.add_node.push(node(it, d));
    });
    for_each_element(top, "add_link", ADD_LINK_KEYS, d, |it, d| {
        o.order
            .push((ChangeKind::AddLink, o.add_link.len(), it.loc));
        o.add_link.push(link(it, true, d));
    });
    for_each_element(top, "expand", EXPAND_KEYS, d, |it, d| {
        o.order.push((ChangeKind::Expand, o.expand.len(), it.loc));
        o.expand.push(expand(it, d));
    });
    for_each_element(top, "set_cost", SET_COST_KEYS, d, |it, d| {
        o.order
            .push((ChangeKind::SetCost, o.set_cost.len(), it.loc));
        o.set_cost.push(set_cost(it, d));
    });
    for_each_element(top, "add_closure", CLOSURE_KEYS, d, |it, d| {
        o.order
            .push((ChangeKind::AddClosure, o.add_closure.len(), it.loc));
        o.add_closure.push(closure(it, d));
    });
    for_each_element(top, "remove_closure", REMOVE_CLOSURE_KEYS, d, |it, d| {
        o.order
            .push((ChangeKind::RemoveClosure, o.remove_closure.len(), it.loc));
        o.remove_closure.push(RawRemoveClosure {
            target: it.id("target", true, d),
            label: it.text("label", false, d),
            loc: it.loc,
        });
    });
    for_each_element(top, "add_process", PROCESS_KEYS, d, |it, d| {
        o.order
            .push((ChangeKind::AddProcess, o.add_process.len(), it.loc));
        o.add_process.push(process(it, false, d));
    });
    for_each_element(top, "add_shock", SHOCK_KEYS, d, |it, d| {
        o.order
            .push((ChangeKind::AddShock, o.add_shock.len(), it.loc));
        o.add_shock.push(process(it, true, d));
    });
    for_each_element(top, "join_shock", JOIN_SHOCK_KEYS, d, |it, d| {
        o.order
            .push((ChangeKind::JoinShock, o.join_shock.len(), it.loc));
        let targets = it.strings("targets", true, d).unwrap_or_default();
        if targets.is_empty() && it.has("targets") {
            d.err(
                K::Inconsistent,
                it.loc,
                format!("{} lists no targets", it.what),
                Some("list the corridors or links that join the shock in `targets`".into()),
            );
        }
        o.join_shock.push(RawJoinShock {
            shock: it.id("shock", true, d),
            targets,
        });
    });
    for_each_element(top, "set_process", SET_PROCESS_KEYS, d, |it, d| {
        o.order
            .push((ChangeKind::SetProcess, o.set_process.len(), it.loc));
        o.set_process.push(set_process(it, d));
    });
    o.order.sort_by_key(|(_, _, loc)| (loc.file, loc.line));
    o
}
