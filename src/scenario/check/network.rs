//! The checks of an in-memory scenario's network and trade: `[scenario]` settings,
//! nodes, links, corridors, products, supply and demand points, trade levels and
//! expansions (see [`super::in_memory`]).

use crate::error::DiagnosticKind as K;
use crate::scenario::raw::{Diags, Loc};
use crate::scenario::Scenario;

use super::rules::{bad, num, season, NumRule, MAX_SETTING_DAYS};
use super::View;

/// `[scenario]`: name, horizon, lags and patience, payload, discount rate, beliefs.
pub(super) fn settings(s: &Scenario, d: &mut Diags) {
    let at = Loc::default();
    let st = &s.settings;
    if st.name.trim().is_empty() {
        bad(
            d,
            K::MissingKey,
            "the scenario has no name".into(),
            "set settings.name",
        );
    }
    if !(1..=3660).contains(&st.days) {
        bad(
            d,
            K::OutOfRange,
            format!("settings.days = {}", st.days),
            "expected 1..=3660",
        );
    }
    for (key, v) in [
        ("reaction_days", st.reaction_days),
        ("queue_patience_days", st.queue_patience_days),
        ("order_patience_days", st.order_patience_days),
        ("abandon_after_days", st.abandon_after_days),
        ("runout_max_days", st.runout_max_days),
    ] {
        if v > MAX_SETTING_DAYS {
            bad(
                d,
                K::OutOfRange,
                format!("settings.{key} = {v}"),
                "expected 0..=3660 days",
            );
        }
    }
    num(
        d,
        "settings.truck_payload_t".into(),
        st.truck_payload_t,
        NumRule::Pos,
    );
    num(
        d,
        "settings.discount_rate".into(),
        st.discount_rate,
        NumRule::Unit,
    );
    if !(0.0..=crate::scenario::MAX_BELIEF_SPREAD).contains(&st.belief_spread) {
        bad(
            d,
            K::OutOfRange,
            format!("settings.belief_spread = {}", st.belief_spread),
            &format!(
                "expected a number in [0, {}]",
                crate::scenario::MAX_BELIEF_SPREAD
            ),
        );
    }
    if !(1..=crate::scenario::MAX_TRADER_CLASSES).contains(&st.trader_classes) {
        bad(
            d,
            K::OutOfRange,
            format!("settings.trader_classes = {}", st.trader_classes),
            &format!(
                "expected a whole number in 1..={}",
                crate::scenario::MAX_TRADER_CLASSES
            ),
        );
    }
    if st.belief_spread > 0.0 && st.traders.is_myopic() {
        d.warn(
            K::Inconsistent,
            at,
            format!(
                "settings.belief_spread = {} spreads the beliefs of traders who weigh \
                 waiting against a detour; myopic traders hold none",
                st.belief_spread
            ),
            Some("set `traders = \"weigh\"` in [scenario], or drop belief_spread".into()),
        );
    }
}

/// Every node has a country.
pub(super) fn nodes(s: &Scenario, d: &mut Diags) {
    for n in &s.nodes {
        if n.country.trim().is_empty() {
            bad(
                d,
                K::MissingKey,
                format!("node `{}` has no country", n.id),
                "set its country",
            );
        }
    }
}

/// Links: ends are nodes and differ, numbers in range. Returns the arcs `(from, to,
/// both ways)` of the links whose ends are nodes.
pub(super) fn links(s: &Scenario, d: &mut Diags) -> Vec<(usize, usize, bool)> {
    let nn = s.nodes.len();
    let mut arcs = Vec::new();
    for l in &s.links {
        let w = |k: &str| format!("link `{}`: {k}", l.id);
        if l.from.index() >= nn || l.to.index() >= nn {
            bad(
                d,
                K::UnknownReference,
                w("from/to is not a node index"),
                &format!("node indices are 0..{nn}"),
            );
        } else {
            arcs.push((l.from.index(), l.to.index(), l.both_ways));
        }
        if l.from == l.to {
            bad(
                d,
                K::Inconsistent,
                w("goes from a node to itself"),
                "`to` must differ from `from`",
            );
        }
        num(
            d,
            w("capacity_t_per_day"),
            l.capacity_t_per_day,
            NumRule::Pos,
        );
        num(d, w("cost_usd_per_t"), l.cost_usd_per_t, NumRule::NonNeg);
        num(d, w("transit_days"), l.transit_days, NumRule::NonNeg);
        for c in &l.charges {
            num(d, w("charge usd_per_t"), c.usd_per_t, NumRule::NonNeg);
        }
    }
    arcs
}

/// Corridors: lags and beliefs in range, at least one link, every link index in range.
pub(super) fn corridors(s: &Scenario, d: &mut Diags) {
    let nl = s.links.len();
    let st = &s.settings;
    let at = Loc::default();
    for c in &s.corridors {
        if let Some(v) = c.reaction_days.filter(|&v| v > MAX_SETTING_DAYS) {
            bad(
                d,
                K::OutOfRange,
                format!("corridor `{}`: reaction_days = {v}", c.id),
                "expected 0..=3660 days",
            );
        }
        if let Some(x) = c.expected_closure_days {
            num(
                d,
                format!("corridor `{}`: expected_closure_days", c.id),
                x,
                NumRule::Pos,
            );
            if st.traders.is_myopic() {
                d.warn(
                    K::Inconsistent,
                    at,
                    format!(
                        "corridor `{}` states expected_closure_days, which only traders \
                         who weigh waiting against a detour use",
                        c.id
                    ),
                    Some("set `traders = \"weigh\"` in [scenario], or drop the belief".into()),
                );
            }
        }
        if c.links.is_empty() {
            bad(
                d,
                K::Inconsistent,
                format!("corridor `{}` has no links", c.id),
                "give it at least one link",
            );
        }
        if c.links.iter().any(|l| l.index() >= nl) {
            bad(
                d,
                K::UnknownReference,
                format!("corridor `{}` holds a link index out of range", c.id),
                &format!("link indices are 0..{nl}"),
            );
        }
    }
}

/// Products: value, holding cost, elasticity and perishability in range.
pub(super) fn products(s: &Scenario, d: &mut Diags) {
    for p in &s.products {
        let w = |k: &str| format!("product `{}`: {k}", p.id);
        num(d, w("value_usd_per_t"), p.value_usd_per_t, NumRule::Pos);
        num(
            d,
            w("holding_cost_per_day"),
            p.holding_cost_per_day,
            NumRule::Unit,
        );
        num(
            d,
            w("demand_elasticity"),
            p.demand_elasticity,
            NumRule::Elasticity,
        );
        if let Some(q) = &p.perishability {
            num(d, w("grace_days"), q.grace_days, NumRule::NonNeg);
            num(d, w("loss_per_day"), q.loss_per_day, NumRule::Unit);
            num(d, w("shelf_life_days"), q.shelf_life_days, NumRule::Pos);
        }
    }
}

/// Supply and demand points: indices in range, numbers and seasonality in range. Adds
/// the points whose indices are in range to `view`.
pub(super) fn points(s: &Scenario, d: &mut Diags, view: &mut View) {
    let nn = s.nodes.len();
    let np = s.products.len();
    let at = Loc::default();
    for (i, x) in s.supplies.iter().enumerate() {
        let w = |k: &str| format!("supply {i}: {k}");
        if x.product.index() >= np || x.node.index() >= nn {
            bad(
                d,
                K::UnknownReference,
                w("product or node index out of range"),
                "use an index of an existing product and node",
            );
        } else {
            view.supplies.push((x.product.index(), x.node.index()));
        }
        num(d, w("t_per_day"), x.t_per_day, NumRule::NonNeg);
        num(d, w("price_usd_per_t"), x.price_usd_per_t, NumRule::NonNeg);
        season(d, &w("seasonality"), &x.seasonality);
    }
    for (i, x) in s.demands.iter().enumerate() {
        let w = |k: &str| format!("demand {i}: {k}");
        if x.product.index() >= np || x.node.index() >= nn {
            bad(
                d,
                K::UnknownReference,
                w("product or node index out of range"),
                "use an index of an existing product and node",
            );
        } else {
            view.demands.push((x.product.index(), x.node.index(), at));
        }
        num(d, w("t_per_day"), x.t_per_day, NumRule::NonNeg);
        num(d, w("value_usd_per_t"), x.value_usd_per_t, NumRule::Pos);
        season(d, &w("seasonality"), &x.seasonality);
    }
}

/// Trade levels: factor in range, product and country known, dates in order.
pub(super) fn trade_levels(s: &Scenario, d: &mut Diags) {
    let np = s.products.len();
    for (i, l) in s.trade_levels.iter().enumerate() {
        let w = |k: &str| format!("trade level {i}: {k}");
        num(d, w("factor"), l.factor, NumRule::NonNeg);
        if l.factor > crate::scenario::raw::MAX_LEVEL_FACTOR {
            bad(
                d,
                K::OutOfRange,
                w(&format!("factor = {} is out of range", l.factor)),
                "expected a number in [0, 100]",
            );
        }
        if l.product.is_some_and(|p| p.index() >= np) {
            bad(
                d,
                K::UnknownReference,
                w("product index out of range"),
                "use an index of an existing product",
            );
        }
        if let Some(c) = &l.country {
            if !s.nodes.iter().any(|n| &n.country == c) {
                bad(
                    d,
                    K::UnknownReference,
                    w(&format!("no node has the country `{c}`")),
                    "name the country of a node",
                );
            }
        }
        if let (Some(f), Some(t)) = (l.from, l.to) {
            if t < f {
                bad(
                    d,
                    K::EndsBeforeStart,
                    w(&format!("`to` {t} is before `from` {f}")),
                    "`to` is the last day the level applies (inclusive)",
                );
            }
        }
    }
}

/// Expansions: link index in range, extra capacity > 0.
pub(super) fn expansions(s: &Scenario, d: &mut Diags) {
    let nl = s.links.len();
    for (i, e) in s.expansions.iter().enumerate() {
        if e.link.index() >= nl {
            bad(
                d,
                K::UnknownReference,
                format!("expansion {i}: link index out of range"),
                "expand an existing link",
            );
        }
        num(
            d,
            format!("expansion {i}: extra_t_per_day"),
            e.extra_t_per_day,
            NumRule::Pos,
        );
    }
}
