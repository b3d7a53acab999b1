//! The key tables: every key each table of a scenario or option file may hold, and the
//! CSV-only columns. [`ACCEPTED_KEYS`] lists them all for the scenario reference.

/// Every key the loader accepts, per table: `(table, keys)`. Table names are written as
/// in the files (`scenario`, `node`, `link.charges`, `process.duration`, `regimes.state`,
/// `option`, ...); CSV-only columns are listed under `csv.<table>`. The scenario
/// reference (`docs/scenario-reference.md`) documents each one; a test checks it.
pub const ACCEPTED_KEYS: &[(&str, &[&str])] = &[
    ("(top level of a scenario file)", TOP_KEYS),
    ("(top level of an option file)", OPTION_TOP_KEYS),
    ("scenario", SETTINGS_KEYS),
    ("tables", TABLES_KEYS),
    ("node", NODE_KEYS),
    ("link", LINK_KEYS),
    ("link.charges", CHARGE_KEYS),
    ("corridor", CORRIDOR_KEYS),
    ("product", PRODUCT_KEYS),
    ("product.perishability", PERISH_KEYS),
    ("supply", SUPPLY_KEYS),
    ("demand", DEMAND_KEYS),
    ("trade_level", TRADE_LEVEL_KEYS),
    ("closure", CLOSURE_KEYS),
    ("process", PROCESS_KEYS),
    ("process.duration", DURATION_KEYS),
    ("shock", SHOCK_KEYS),
    ("regimes", REGIMES_KEYS),
    ("regimes.state", STATE_KEYS),
    ("option", OPTION_KEYS),
    ("add_node", NODE_KEYS),
    ("add_link", ADD_LINK_KEYS),
    ("expand", EXPAND_KEYS),
    ("set_cost", SET_COST_KEYS),
    ("add_closure", CLOSURE_KEYS),
    ("remove_closure", REMOVE_CLOSURE_KEYS),
    ("add_process", PROCESS_KEYS),
    ("add_process.duration", DURATION_KEYS),
    ("add_shock", SHOCK_KEYS),
    ("add_shock.duration", DURATION_KEYS),
    ("join_shock", JOIN_SHOCK_KEYS),
    ("set_process", SET_PROCESS_KEYS),
    ("set_process.duration", DURATION_KEYS),
    ("uncertain", crate::scenario::uncertain::UNCERTAIN_KEYS),
    ("csv.link", CSV_LINK_EXTRA),
    ("csv.product", CSV_PRODUCT_EXTRA),
];

pub(crate) const TOP_KEYS: &[&str] = &[
    "scenario",
    "tables",
    "node",
    "link",
    "corridor",
    "product",
    "supply",
    "demand",
    "closure",
    "process",
    "shock",
    "regimes",
    "trade_level",
    "uncertain",
];
pub(crate) const OPTION_TOP_KEYS: &[&str] = &[
    "option",
    "add_node",
    "add_link",
    "expand",
    "set_cost",
    "add_closure",
    "remove_closure",
    "add_process",
    "add_shock",
    "join_shock",
    "set_process",
    "uncertain",
];
pub(crate) const SETTINGS_KEYS: &[&str] = &[
    "name",
    "description",
    "start",
    "days",
    "truck_payload_t",
    "reaction_days",
    "queue_patience_days",
    "order_patience_days",
    "abandon_after_days",
    "runout_max_days",
    "discount_rate",
    "traders",
    "belief_spread",
    "trader_classes",
    "steady_start",
];
pub(crate) const TABLES_KEYS: &[&str] = &["node", "link", "product", "supply", "demand", "closure"];
pub(crate) const NODE_KEYS: &[&str] = &["id", "name", "country", "kind", "lon", "lat"];
pub(crate) const LINK_KEYS: &[&str] = &[
    "id",
    "from",
    "to",
    "both_ways",
    "mode",
    "capacity_t_per_day",
    "cost_usd_per_t",
    "transit_days",
    "crossing",
    "charges",
];
pub(crate) const ADD_LINK_KEYS: &[&str] = &[
    "id",
    "from",
    "to",
    "both_ways",
    "mode",
    "capacity_t_per_day",
    "cost_usd_per_t",
    "transit_days",
    "crossing",
    "charges",
    "corridor",
];
pub(crate) const CHARGE_KEYS: &[&str] = &["country", "usd_per_t", "direction"];
pub(crate) const CORRIDOR_KEYS: &[&str] = &[
    "id",
    "name",
    "links",
    "reaction_days",
    "expected_closure_days",
];
pub(crate) const PRODUCT_KEYS: &[&str] = &[
    "id",
    "name",
    "value_usd_per_t",
    "holding_cost_per_day",
    "priority",
    "perishability",
    "demand_elasticity",
];
pub(crate) const PERISH_KEYS: &[&str] = &["grace_days", "loss_per_day", "shelf_life_days"];
pub(crate) const SUPPLY_KEYS: &[&str] = &[
    "product",
    "node",
    "t_per_day",
    "price_usd_per_t",
    "seasonality",
];
pub(crate) const DEMAND_KEYS: &[&str] = &[
    "product",
    "node",
    "t_per_day",
    "value_usd_per_t",
    "seasonality",
];
pub(crate) const TRADE_LEVEL_KEYS: &[&str] = &[
    "from", "to", "factor", "country", "product", "side", "label", "corridor",
];
pub(crate) const CLOSURE_KEYS: &[&str] = &[
    "target",
    "start",
    "start_day",
    "end",
    "duration_days",
    "capacity_factor",
    "ramp_days",
    "label",
    "expected_closure_days",
    "seasonal",
];
pub(crate) const PROCESS_KEYS: &[&str] = &[
    "id",
    "target",
    "rate_per_year",
    "duration",
    "capacity_factor",
    "ramp_days",
];
pub(crate) const DURATION_KEYS: &[&str] = &[
    "dist",
    "mean_days",
    "mu",
    "sigma",
    "shape",
    "scale_days",
    "days",
];
pub(crate) const SHOCK_KEYS: &[&str] = &[
    "id",
    "targets",
    "rate_per_year",
    "duration",
    "capacity_factor",
    "ramp_days",
];
pub(crate) const REGIMES_KEYS: &[&str] = &["initial", "state"];
pub(crate) const STATE_KEYS: &[&str] = &["id", "rate_multiplier", "transitions"];
pub(crate) const OPTION_KEYS: &[&str] = &[
    "name",
    "description",
    "base",
    "capital_cost_usd",
    "annual_cost_usd",
    "horizon_years",
];
pub(crate) const EXPAND_KEYS: &[&str] =
    &["link", "extra_t_per_day", "start", "start_day", "ramp_days"];
pub(crate) const SET_COST_KEYS: &[&str] = &["link", "cost_usd_per_t"];
pub(crate) const REMOVE_CLOSURE_KEYS: &[&str] = &["target", "label"];
pub(crate) const JOIN_SHOCK_KEYS: &[&str] = &["shock", "targets"];
pub(crate) const SET_PROCESS_KEYS: &[&str] = &[
    "process",
    "shock",
    "rate_per_year",
    "rate_scale",
    "duration",
    "duration_scale",
    "capacity_factor",
    "ramp_days",
];
/// CSV-only columns of a link table (one charge per row).
pub(crate) const CSV_LINK_EXTRA: &[&str] =
    &["charge_country", "charge_usd_per_t", "charge_direction"];
/// CSV-only columns of a product table (perishability, flat).
pub(crate) const CSV_PRODUCT_EXTRA: &[&str] = &["grace_days", "loss_per_day", "shelf_life_days"];
