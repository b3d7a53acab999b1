//! The raw record types: one struct per table of a scenario or option file, its
//! references still strings, a missing or wrong required value `None`.

use chrono::NaiveDate;

use super::diags::{Loc, Sp};
use crate::closure::DurationDist;
use crate::network::{Charge, Mode, NodeKind, Perishability, Position, Seasonality};

/// `[scenario]` with defaults filled in, and where it was.
pub(crate) struct RawSettings {
    pub settings: crate::scenario::Settings,
    pub loc: Loc,
}

/// A `[[node]]` (or `[[add_node]]`).
pub(crate) struct RawNode {
    pub id: Option<Sp<String>>,
    pub name: Option<String>,
    pub country: Option<String>,
    pub kind: NodeKind,
    /// Longitude and latitude (degrees), only for drawing maps.
    pub position: Option<Position>,
}

/// A `[[link]]` (or `[[add_link]]`).
pub(crate) struct RawLink {
    pub id: Option<Sp<String>>,
    pub from: Option<Sp<String>>,
    pub to: Option<Sp<String>>,
    pub both_ways: bool,
    pub mode: Option<Mode>,
    pub capacity_t_per_day: Option<f64>,
    pub cost_usd_per_t: Option<f64>,
    pub transit_days: Option<f64>,
    pub crossing: Option<bool>,
    pub charges: Vec<Charge>,
    /// Only in `[[add_link]]`.
    pub corridor: Option<Sp<String>>,
}

/// A `[[corridor]]`.
pub(crate) struct RawCorridor {
    pub id: Option<Sp<String>>,
    pub name: Option<String>,
    pub links: Vec<Sp<String>>,
    pub reaction_days: Option<u32>,
    pub expected_closure_days: Option<f64>,
}

/// A `[[product]]`.
pub(crate) struct RawProduct {
    pub id: Option<Sp<String>>,
    pub name: Option<String>,
    pub value_usd_per_t: Option<f64>,
    pub holding_cost_per_day: f64,
    pub priority: i32,
    pub perishability: Option<Perishability>,
    pub demand_elasticity: f64,
    pub loc: Loc,
}

/// A `[[supply]]` or `[[demand]]`.
pub(crate) struct RawPoint {
    pub product: Option<Sp<String>>,
    pub node: Option<Sp<String>>,
    pub t_per_day: Option<f64>,
    /// `price_usd_per_t` of a supply, `value_usd_per_t` of a demand.
    pub usd_per_t: Option<f64>,
    pub seasonality: Option<Seasonality>,
    pub loc: Loc,
}

/// A `[[trade_level]]`.
pub(crate) struct RawTradeLevel {
    pub from: Option<Sp<NaiveDate>>,
    pub to: Option<Sp<NaiveDate>>,
    pub factor: Option<f64>,
    pub country: Option<Sp<String>>,
    pub product: Option<Sp<String>>,
    pub side: crate::scenario::LevelSide,
    pub label: Option<String>,
    pub loc: Loc,
}

/// When something starts: a date or a day index.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Start {
    Date(NaiveDate),
    Day(i64),
}

/// When a closure ends: the reopening date or a duration.
#[derive(Debug, Clone, Copy)]
pub(crate) enum End {
    Date(Sp<NaiveDate>),
    Days(u32),
}

/// A `[[closure]]`.
pub(crate) struct RawClosure {
    pub target: Option<Sp<String>>,
    pub start: Option<Start>,
    pub end: Option<End>,
    pub capacity_factor: f64,
    pub ramp_days: u32,
    pub label: Option<String>,
    pub expected_closure_days: Option<f64>,
    /// `seasonal = true`: it recurs every year and belongs to normal conditions.
    pub seasonal: bool,
    /// Where the table starts.
    pub loc: Loc,
}

/// A `[[process]]` or `[[shock]]`.
pub(crate) struct RawProcess {
    /// Shock id, or a process's id when written (a process's default is its target).
    pub id: Option<Sp<String>>,
    pub targets: Vec<Sp<String>>,
    pub rate_per_year: Option<f64>,
    pub duration: Option<DurationDist>,
    pub capacity_factor: f64,
    pub ramp_days: u32,
    pub loc: Loc,
}

/// One `[[regimes.state]]`.
pub(crate) struct RawState {
    pub id: Option<Sp<String>>,
    pub rate_multiplier: Option<f64>,
    pub transitions: Vec<(Sp<String>, f64)>,
    pub loc: Loc,
}

/// `[regimes]`.
pub(crate) struct RawRegimes {
    pub initial: Option<Sp<String>>,
    pub states: Vec<RawState>,
}

/// An `[[expand]]`.
pub(crate) struct RawExpand {
    pub link: Option<Sp<String>>,
    pub extra_t_per_day: Option<f64>,
    pub start: Option<Start>,
    pub ramp_days: u32,
}

/// A `[[set_cost]]`.
pub(crate) struct RawSetCost {
    pub link: Option<Sp<String>>,
    pub cost_usd_per_t: Option<f64>,
}

/// A `[[remove_closure]]`: the base's fixed closures of `target` (with `label`, only
/// those with that label).
pub(crate) struct RawRemoveClosure {
    pub target: Option<Sp<String>>,
    pub label: Option<Sp<String>>,
    pub loc: Loc,
}

/// A `[[join_shock]]`: more targets for a shock group.
pub(crate) struct RawJoinShock {
    pub shock: Option<Sp<String>>,
    pub targets: Vec<Sp<String>>,
}

/// A `[[set_process]]`: a change to a process's or a shock's law.
pub(crate) struct RawSetProcess {
    /// `process = ...` (false) or `shock = ...` (true), and the id.
    pub which: Option<(bool, Sp<String>)>,
    pub rate_per_year: Option<f64>,
    pub rate_scale: Option<f64>,
    pub duration: Option<DurationDist>,
    pub duration_scale: Option<f64>,
    pub capacity_factor: Option<f64>,
    pub ramp_days: Option<u32>,
}

/// `[option]` and its changes.
pub(crate) struct RawOption {
    pub name: Option<String>,
    pub description: String,
    pub base: Option<Sp<String>>,
    pub capital_cost_usd: Option<f64>,
    pub annual_cost_usd: Option<f64>,
    pub horizon_years: Option<f64>,
    pub add_node: Vec<RawNode>,
    pub add_link: Vec<RawLink>,
    pub expand: Vec<RawExpand>,
    pub set_cost: Vec<RawSetCost>,
    pub add_closure: Vec<RawClosure>,
    pub remove_closure: Vec<RawRemoveClosure>,
    pub add_process: Vec<RawProcess>,
    pub add_shock: Vec<RawProcess>,
    pub join_shock: Vec<RawJoinShock>,
    pub set_process: Vec<RawSetProcess>,
    /// The changes in file order: (kind, index into its list).
    pub order: Vec<(ChangeKind, usize, Loc)>,
}

/// Which list of [`RawOption`] a change is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChangeKind {
    AddNode,
    AddLink,
    Expand,
    SetCost,
    AddClosure,
    RemoveClosure,
    AddProcess,
    AddShock,
    JoinShock,
    SetProcess,
}
