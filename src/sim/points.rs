//! The price points of a scenario: per product, its markets and its supply points, each
//! with its bound. Built once per engine from the scenario alone; `prices.rs` prices them
//! from each day's routing optimum.

use crate::scenario::Scenario;

use super::units::COST_SCALE;

/// Which price a point has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    /// A demand market: the marginal landed cost, at most the buyer's value.
    Market,
    /// A supply point: the value of one more tonne there, at least the origin price.
    FarmGate,
}

impl Side {
    pub(super) fn name(self) -> &'static str {
        match self {
            Side::Market => "market",
            Side::FarmGate => "farm_gate",
        }
    }
}

/// A place with a price: a (node, product) with demand or with supply.
#[derive(Debug, Clone)]
pub(super) struct Point {
    pub(super) product: u32,
    pub(super) node: u32,
    pub(super) side: Side,
    /// The bound, 0.01 USD/t: the highest buyer's value there (market) or the lowest
    /// origin price there (farm gate).
    pub(super) bound: i64,
}

/// Every price point of a scenario: per product (scenario order) its markets, then its
/// supply points, each by node index.
#[derive(Debug, Clone, Default)]
pub(super) struct Points {
    pub(super) points: Vec<Point>,
    /// Product `p`'s points are `offset[p]..offset[p + 1]`.
    pub(super) offset: Vec<usize>,
}

/// A price or a value in the solver's integer unit (0.01 USD/t), as routing rounds it.
fn cents(usd_per_t: f64) -> i64 {
    (usd_per_t * COST_SCALE).round() as i64
}

impl Points {
    /// The price points of `scn`.
    pub(super) fn of(scn: &Scenario) -> Points {
        let mut points = Vec::new();
        let mut offset = vec![0];
        for p in 0..scn.products.len() {
            let mut markets: Vec<(u32, i64)> = Vec::new();
            for d in scn.demands.iter().filter(|d| d.product.index() == p) {
                let (node, v) = (d.node.index() as u32, cents(d.value_usd_per_t));
                match markets.iter_mut().find(|m| m.0 == node) {
                    Some(m) => m.1 = m.1.max(v),
                    None => markets.push((node, v)),
                }
            }
            let mut farms: Vec<(u32, i64)> = Vec::new();
            for s in scn.supplies.iter().filter(|s| s.product.index() == p) {
                let (node, v) = (s.node.index() as u32, cents(s.price_usd_per_t));
                match farms.iter_mut().find(|m| m.0 == node) {
                    Some(m) => m.1 = m.1.min(v),
                    None => farms.push((node, v)),
                }
            }
            markets.sort_unstable();
            farms.sort_unstable();
            for (list, side) in [(markets, Side::Market), (farms, Side::FarmGate)] {
                points.extend(list.into_iter().map(|(node, bound)| Point {
                    product: p as u32,
                    node,
                    side,
                    bound,
                }));
            }
            offset.push(points.len());
        }
        Points { points, offset }
    }

    /// How many points there are.
    pub(super) fn len(&self) -> usize {
        self.points.len()
    }

    /// Product `p`'s points.
    pub(super) fn of_product(&self, p: usize) -> &[Point] {
        &self.points[self.offset[p]..self.offset[p + 1]]
    }
}
