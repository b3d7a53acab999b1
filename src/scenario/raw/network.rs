//! Reading the network tables: `[scenario]`, nodes, links and their charges, corridors,
//! products, supply and demand points, trade levels.

use super::diags::Diags;
use super::keys::{CHARGE_KEYS, PERISH_KEYS};
use super::reader::{Item, Rule};
use super::records::{
    RawCorridor, RawLink, RawNode, RawPoint, RawProduct, RawSettings, RawTradeLevel,
};
use crate::error::DiagnosticKind as K;
use crate::network::{Charge, Direction, Mode, NodeKind, Perishability, Position};
use crate::scenario::tree::V;

const NODE_KINDS: &[(&str, NodeKind)] = &[
    ("market", NodeKind::Market),
    ("border", NodeKind::Border),
    ("port", NodeKind::Port),
    ("rail_terminal", NodeKind::RailTerminal),
    ("junction", NodeKind::Junction),
];
const MODES: &[(&str, Mode)] = &[
    ("road", Mode::Road),
    ("rail", Mode::Rail),
    ("sea", Mode::Sea),
    ("air", Mode::Air),
];
const TRADERS: &[(&str, crate::scenario::Traders)] = &[
    ("myopic", crate::scenario::Traders::Myopic),
    ("weigh", crate::scenario::Traders::Weigh),
];
const DIRECTIONS: &[(&str, Direction)] = &[
    ("forward", Direction::Forward),
    ("backward", Direction::Backward),
    ("both", Direction::Both),
];

/// Read `[scenario]`.
pub(crate) fn settings(it: &Item<'_>, d: &mut Diags) -> RawSettings {
    let mut s = crate::scenario::Settings::named("");
    match it.text("name", true, d) {
        Some(n) => s.name = n.v,
        None => s.name = String::new(),
    }
    if let Some(x) = it.string("description", false, d) {
        s.description = x.v;
    }
    if let Some(x) = it.date("start", d) {
        s.start = x.v;
    }
    if let Some(x) = it.int("days", false, 1, 3660, d) {
        s.days = x as u32;
    }
    if let Some(x) = it.num("truck_payload_t", false, Rule::Pos, d) {
        s.truck_payload_t = x;
    }
    if let Some(x) = it.days("reaction_days", d) {
        s.reaction_days = x;
    }
    if let Some(x) = it.days("queue_patience_days", d) {
        s.queue_patience_days = x;
    }
    if let Some(x) = it.days("order_patience_days", d) {
        s.order_patience_days = x;
    }
    if let Some(x) = it.days("abandon_after_days", d) {
        s.abandon_after_days = x;
    }
    if let Some(x) = it.days("runout_max_days", d) {
        s.runout_max_days = x;
    }
    if let Some(x) = it.num("discount_rate", false, Rule::Unit, d) {
        s.discount_rate = x;
    }
    if let Some(x) = it.choice("traders", TRADERS, d) {
        s.traders = x;
    }
    if let Some(x) = it.num("belief_spread", false, Rule::NonNeg, d) {
        if x > crate::scenario::MAX_BELIEF_SPREAD {
            if let Some(n) = it.get("belief_spread") {
                d.err(
                    K::OutOfRange,
                    n.loc(),
                    format!("`belief_spread` = {x} in {} is out of range", it.what),
                    Some(format!(
                        "expected a spread of log beliefs in [0, {}] (1 is already a factor \
                         of 3.6 between the middle and the top class of five)",
                        crate::scenario::MAX_BELIEF_SPREAD
                    )),
                );
            }
        } else {
            s.belief_spread = x;
        }
    }
    let most = i64::from(crate::scenario::MAX_TRADER_CLASSES);
    if let Some(x) = it.int("trader_classes", false, 1, most, d) {
        s.trader_classes = x as u32;
    }
    if let Some(x) = it.boolean("steady_start", d) {
        s.steady_start = x;
    }
    if s.belief_spread > 0.0 && s.traders.is_myopic() {
        if let Some(n) = it.get("belief_spread") {
            d.warn(
                K::Inconsistent,
                n.loc(),
                format!(
                    "`belief_spread` = {} in {} spreads the beliefs of traders who weigh \
                     waiting against a detour; myopic traders hold none",
                    s.belief_spread, it.what
                ),
                Some("set `traders = \"weigh\"`, or drop belief_spread".into()),
            );
        }
    }
    RawSettings {
        settings: s,
        loc: it.loc,
    }
}

/// Read a `[[node]]`.
pub(crate) fn node(it: &Item<'_>, d: &mut Diags) -> RawNode {
    RawNode {
        id: it.id("id", true, d),
        name: it.string("name", false, d).map(|s| s.v),
        country: it.text("country", true, d).map(|s| s.v),
        kind: it.choice("kind", NODE_KINDS, d).unwrap_or_default(),
        position: position(it, d),
    }
}

/// A node's optional `lon` and `lat` (degrees): both or neither, in range.
fn position(it: &Item<'_>, d: &mut Diags) -> Option<Position> {
    let mut coordinate = |key: &str, limit: f64| {
        let x = it.num(key, false, Rule::Finite, d)?;
        if x.abs() > limit {
            if let Some(n) = it.get(key) {
                d.err(
                    K::OutOfRange,
                    n.loc(),
                    format!("`{key}` = {x} in {} is out of range", it.what),
                    Some(format!("expected degrees in [-{limit}, {limit}]")),
                );
            }
            return None;
        }
        Some(x)
    };
    let lon = coordinate("lon", 180.0);
    let lat = coordinate("lat", 90.0);
    match (it.has("lon"), it.has("lat")) {
        (true, false) => it.missing("lat", d, "give `lat` with `lon` (or neither)"),
        (false, true) => it.missing("lon", d, "give `lon` with `lat` (or neither)"),
        _ => {}
    }
    Some(Position {
        lon: lon?,
        lat: lat?,
    })
}

/// Read a `[[link]]` (with `corridor` when `add` is set: an `[[add_link]]`).
pub(crate) fn link(it: &Item<'_>, add: bool, d: &mut Diags) -> RawLink {
    let mode = it.choice("mode", MODES, d);
    if !it.has("mode") {
        it.missing("mode", d, "add `mode = \"road\"` (road, rail, sea or air)");
    }
    let mut charges = Vec::new();
    if let Some(n) = it.get("charges") {
        match &n.v {
            V::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    let what = format!("charge {} of {}", i + 1, it.what);
                    if let Some(ci) = Item::new(c, what, CHARGE_KEYS, d) {
                        charges.extend(charge(&ci, d));
                    }
                }
            }
            _ => {
                it.wrong_type("charges", n, "an array of tables", d);
            }
        }
    }
    let from = it.id("from", true, d);
    let to = it.id("to", true, d);
    if let (Some(f), Some(t)) = (&from, &to) {
        if f.v == t.v {
            d.err(
                K::Inconsistent,
                t.loc,
                format!("{} goes from `{}` to itself", it.what, f.v),
                Some("`to` must differ from `from`".into()),
            );
        }
    }
    RawLink {
        id: it.id("id", true, d),
        from,
        to,
        both_ways: it.boolean("both_ways", d).unwrap_or(false),
        mode,
        capacity_t_per_day: it.num("capacity_t_per_day", true, Rule::Pos, d),
        cost_usd_per_t: it.num("cost_usd_per_t", true, Rule::NonNeg, d),
        transit_days: it.num("transit_days", true, Rule::NonNeg, d),
        crossing: it.boolean("crossing", d),
        charges,
        corridor: if add {
            it.id("corridor", false, d)
        } else {
            None
        },
    }
}

/// Read one border charge.
pub(crate) fn charge(it: &Item<'_>, d: &mut Diags) -> Option<Charge> {
    let country = it.text("country", true, d);
    let usd = it.num("usd_per_t", true, Rule::NonNeg, d);
    let direction = it.choice("direction", DIRECTIONS, d).unwrap_or_default();
    Some(Charge {
        country: country?.v,
        usd_per_t: usd?,
        direction,
    })
}

/// Read a `[[corridor]]`.
pub(crate) fn corridor(it: &Item<'_>, d: &mut Diags) -> RawCorridor {
    let links = it.strings("links", true, d).unwrap_or_default();
    if links.is_empty() && it.has("links") {
        d.err(
            K::Inconsistent,
            it.loc,
            format!("{} has no links", it.what),
            Some("list at least one link id in `links`".into()),
        );
    }
    RawCorridor {
        id: it.id("id", true, d),
        name: it.string("name", false, d).map(|s| s.v),
        links,
        reaction_days: it.days("reaction_days", d),
        expected_closure_days: it.num("expected_closure_days", false, Rule::Pos, d),
    }
}

/// Read a `[[product]]`.
pub(crate) fn product(it: &Item<'_>, d: &mut Diags) -> RawProduct {
    let perishability = it.sub("perishability", PERISH_KEYS, d).and_then(|p| {
        let g = p.num("grace_days", true, Rule::NonNeg, d);
        let l = p.num("loss_per_day", true, Rule::Unit, d);
        let s = p.num("shelf_life_days", true, Rule::Pos, d);
        Some(Perishability {
            grace_days: g?,
            loss_per_day: l?,
            shelf_life_days: s?,
        })
    });
    RawProduct {
        id: it.id("id", true, d),
        name: it.string("name", false, d).map(|s| s.v),
        value_usd_per_t: it.num("value_usd_per_t", true, Rule::Pos, d),
        holding_cost_per_day: it
            .num("holding_cost_per_day", false, Rule::Unit, d)
            .unwrap_or(0.0),
        priority: it
            .int(
                "priority",
                false,
                i64::from(i32::MIN),
                i64::from(i32::MAX),
                d,
            )
            .unwrap_or(0) as i32,
        perishability,
        demand_elasticity: it
            .num("demand_elasticity", false, Rule::Elasticity, d)
            .unwrap_or(0.0),
        loc: it.loc,
    }
}

/// Read a `[[supply]]` (`demand` false) or `[[demand]]`.
pub(crate) fn point(it: &Item<'_>, demand: bool, d: &mut Diags) -> RawPoint {
    let usd = if demand {
        it.num("value_usd_per_t", false, Rule::Pos, d)
    } else {
        it.num("price_usd_per_t", false, Rule::NonNeg, d)
    };
    RawPoint {
        product: it.id("product", true, d),
        node: it.id("node", true, d),
        t_per_day: it.num("t_per_day", true, Rule::NonNeg, d),
        usd_per_t: usd,
        seasonality: it.seasonality("seasonality", d),
        loc: it.loc,
    }
}

/// The largest factor a trade level may have (the engine's quantities must stay exact,
/// see `check::rules::MAX_QUANTITY`).
pub(crate) const MAX_LEVEL_FACTOR: f64 = 100.0;

const LEVEL_SIDES: &[(&str, crate::scenario::LevelSide)] = &[
    ("supply", crate::scenario::LevelSide::Supply),
    ("demand", crate::scenario::LevelSide::Demand),
    ("both", crate::scenario::LevelSide::Both),
];

/// Read a `[[trade_level]]`: dates in order, a factor >= 0.
pub(crate) fn trade_level(it: &Item<'_>, d: &mut Diags) -> RawTradeLevel {
    let from = it.date("from", d);
    let to = it.date("to", d);
    if let (Some(f), Some(t)) = (&from, &to) {
        if t.v < f.v {
            d.err(
                K::EndsBeforeStart,
                t.loc,
                format!("{} ends on {} before it begins ({})", it.what, t.v, f.v),
                Some(
                    "`to` is the last day the level applies (inclusive): on or after `from`".into(),
                ),
            );
        }
    }
    if let Some(n) = it.get("corridor") {
        d.err(
            K::UnknownKey,
            n.loc(),
            format!(
                "{} is by corridor: trade levels select by `country` and `product` only",
                it.what
            ),
            Some(
                "which corridor a tonne takes is what the engine computes each day; write a \
                 corridor's trade as levels of the countries and products that use it \
                 (docs/scenario-reference.md, [[trade_level]])"
                    .into(),
            ),
        );
    }
    let mut factor = it.num("factor", true, Rule::NonNeg, d);
    if let (Some(x), Some(n)) = (factor, it.get("factor")) {
        if x > MAX_LEVEL_FACTOR {
            d.err(
                K::OutOfRange,
                n.loc(),
                format!("`factor` = {x} in {} is out of range", it.what),
                Some(format!(
                    "expected a number in [0, {MAX_LEVEL_FACTOR}] (a multiplier of t/day)"
                )),
            );
            factor = None;
        }
    }
    RawTradeLevel {
        from,
        to,
        factor,
        country: it.text("country", false, d),
        product: it.id("product", false, d),
        side: it.choice("side", LEVEL_SIDES, d).unwrap_or_default(),
        label: it.string("label", false, d).map(|s| s.v),
        loc: it.loc,
    }
}
