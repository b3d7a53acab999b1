//! The transport network and the goods that move on it: nodes, links, corridors,
//! products, supply and demand.
//!
//! These are the *validated* model types: the scenario loader ([`crate::scenario`])
//! builds them from files and guarantees their invariants (ids unique, references
//! resolved, numbers finite and in range). Code that builds them by hand (tests,
//! notebooks) should call [`crate::scenario::Scenario::check`] afterwards.
//!
//! Units: tonnes (t), US dollars (USD), days.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub struct $name(pub u32);
        impl $name {
            /// The position of this item in its scenario list.
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id_type!(
    /// Index of a [`Node`] in [`crate::Scenario::nodes`].
    NodeId
);
id_type!(
    /// Index of a [`Link`] in [`crate::Scenario::links`].
    LinkId
);
id_type!(
    /// Index of a [`Corridor`] in [`crate::Scenario::corridors`].
    CorridorId
);
id_type!(
    /// Index of a [`Product`] in [`crate::Scenario::products`].
    ProductId
);

/// What a node is. Only informative: the engine treats all kinds alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// A city or market where goods are produced or consumed.
    #[default]
    Market,
    /// A border post.
    Border,
    /// A sea port.
    Port,
    /// A rail terminal or dry port.
    RailTerminal,
    /// A road or rail junction.
    Junction,
}

/// A market, border post, port, rail terminal or junction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Unique id, e.g. `kabul`.
    pub id: String,
    /// Human-readable name (defaults to the id).
    pub name: String,
    /// Country code or name, e.g. `AF`. Links between nodes of different countries are
    /// border crossings unless marked otherwise.
    pub country: String,
    /// What the node is.
    pub kind: NodeKind,
    /// Where it is on a map (`lon`, `lat` in the scenario), if given. Only the HTML
    /// report's network map uses it; the engine never does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
}

/// A place on the globe, in degrees (WGS 84 longitude east, latitude north).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// Longitude, degrees east, in [-180, 180].
    pub lon: f64,
    /// Latitude, degrees north, in [-90, 90].
    pub lat: f64,
}

/// Transport mode of a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Road (trucks).
    Road,
    /// Rail.
    Rail,
    /// Sea.
    Sea,
    /// Air.
    Air,
}

/// Which direction of a both-ways link a border charge applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From `from` to `to` only.
    Forward,
    /// From `to` to `from` only.
    Backward,
    /// Both directions.
    #[default]
    Both,
}

impl Direction {
    /// Whether a charge with this direction applies to traffic going forward (`true`) or
    /// backward (`false`) on its link.
    #[inline]
    pub fn applies(self, forward: bool) -> bool {
        match self {
            Direction::Both => true,
            Direction::Forward => forward,
            Direction::Backward => !forward,
        }
    }
}

/// A border charge (duty or fee) on a link, and whose revenue it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Charge {
    /// The country that collects it.
    pub country: String,
    /// USD per tonne.
    pub usd_per_t: f64,
    /// The traffic direction it applies to.
    pub direction: Direction,
}

/// A directed (or both-ways) transport link. A border crossing is a link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// Unique id, e.g. `torkham_road`.
    pub id: String,
    /// Tail node.
    pub from: NodeId,
    /// Head node.
    pub to: NodeId,
    /// Whether traffic may also go from `to` to `from`. Each direction has the full
    /// capacity of its own (a two-lane road).
    pub both_ways: bool,
    /// Transport mode.
    pub mode: Mode,
    /// Daily capacity per direction, t/day, when fully open.
    pub capacity_t_per_day: f64,
    /// Freight cost, USD/t.
    pub cost_usd_per_t: f64,
    /// Transit time, days (may be fractional; the daily engine rounds a route's total).
    pub transit_days: f64,
    /// Border charges collected on this link.
    pub charges: Vec<Charge>,
    /// Whether cargo that cannot pass queues here as stranded trucks (counted in the
    /// crossing metrics). Defaults to [`default_crossing`]: a road or rail link between
    /// nodes of different countries.
    pub crossing: bool,
}

/// Whether a link is a border crossing when its file does not say: a land link (road or
/// rail) between nodes of different countries. Sea and air links carry cargo between
/// countries too, but trucks do not strand on them.
pub fn default_crossing(mode: Mode, from_country: &str, to_country: &str) -> bool {
    from_country != to_country && matches!(mode, Mode::Road | Mode::Rail)
}

impl Link {
    /// Border charges in USD/t for one direction of this link.
    pub fn charge_usd_per_t(&self, forward: bool) -> f64 {
        self.charges
            .iter()
            .filter(|c| c.direction.applies(forward))
            .map(|c| c.usd_per_t)
            .sum()
    }
}

/// A named set of links that close together, e.g. `torkham`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Corridor {
    /// Unique id, e.g. `torkham`.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// The links it holds (at least one).
    pub links: Vec<LinkId>,
    /// Days before traders react to a change in its links' capacity (default: the
    /// scenario's `reaction_days`). A link in several corridors takes the shortest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reaction_days: Option<u32>,
    /// What traders expect a closure of its links to last from any day on, days (a
    /// stated belief, memoryless like an exponential law; used with `traders =
    /// "weigh"`, in place of the closure processes' duration laws).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_closure_days: Option<f64>,
}

/// How a perishable product loses value while it waits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Perishability {
    /// Days of waiting before it starts to lose value.
    pub grace_days: f64,
    /// Fraction of its value lost per day of waiting after the grace period, in [0, 1].
    pub loss_per_day: f64,
    /// Days after dispatch after which it is spoiled whole (all remaining value lost).
    pub shelf_life_days: f64,
}

/// A good that moves: value, perishability, holding cost, priority.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    /// Unique id, e.g. `fresh_fruit`.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Value, USD/t (used for trade value, holding cost and spoilage).
    pub value_usd_per_t: f64,
    /// `None` for goods that keep.
    pub perishability: Option<Perishability>,
    /// Holding cost per day of transit or waiting, as a fraction of value.
    pub holding_cost_per_day: f64,
    /// Products with a higher priority are routed first on scarce capacity.
    pub priority: i32,
    /// Own-price elasticity of the orders placed (≤ 0; 0 = fixed demand): each day a
    /// demand's orders are scaled by (landed price / the counterfactual's)^elasticity
    /// (`docs/model.md`, "Demand answers the landed price").
    #[serde(default)]
    pub demand_elasticity: f64,
}

/// Twelve monthly factors (January first) that scale a daily quantity.
pub type Seasonality = [f64; 12];

/// Where a product is available: t/day at a price at origin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Supply {
    /// The product.
    pub product: ProductId,
    /// Origin node.
    pub node: NodeId,
    /// Tonnes per day available (a rate: what is not used on a day does not accumulate).
    pub t_per_day: f64,
    /// Price at origin, USD/t.
    pub price_usd_per_t: f64,
    /// Optional monthly factors on `t_per_day`.
    pub seasonality: Option<Seasonality>,
}

/// Where a product is wanted: t/day at a value to the buyer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Demand {
    /// The product.
    pub product: ProductId,
    /// Destination node.
    pub node: NodeId,
    /// Tonnes per day wanted (orders; unmet orders stay open for the order patience).
    pub t_per_day: f64,
    /// Value to the buyer, USD/t.
    pub value_usd_per_t: f64,
    /// Optional monthly factors on `t_per_day`.
    pub seasonality: Option<Seasonality>,
}

/// The factor for a 0-based month (0 = January), 1.0 without seasonality.
#[inline]
pub fn seasonal_factor(s: &Option<Seasonality>, month0: usize) -> f64 {
    s.as_ref().map_or(1.0, |m| m[month0 % 12])
}
