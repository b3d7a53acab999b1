//! Prices: the market price and the farm-gate price of each product, read from the
//! day's routing optimum (step 4, `routing.rs`). A run and its counterfactual both have
//! them every day; their difference is the price impact of the closures
//! (`docs/model.md`, "Prices").
//!
//! - The **market price** at a demand market (node, product) is the marginal landed
//!   cost: the cost of delivering one more tonne there, i.e. the shortest distance from
//!   the source `s` to the node in the residual network of the optimum, bounded above
//!   by the buyer's value (no route, or only dearer ones: the buyer's value is the
//!   price).
//! - The **farm-gate price** at a supply point (node, product) is the value of one more
//!   tonne available there: minus the shortest distance from the node to the sink `t`,
//!   bounded below by the origin price.
//!
//! The residual network has every arc with room left at `+cost` and every arc with flow
//! backwards at `-cost`. Its shortest distances are a function of the flows and
//! capacities alone, so with canonical flows (`NetworkSimplex::solve_canonical`) the
//! prices are a function of the day's routing inputs: the fast path may take them over
//! wherever it takes over a plan. They are computed by a label-correcting search
//! (Bellman-Ford with a queue) in integers of 0.01 USD/t, so they are exact: no
//! negative cycle exists at an optimum, and finding one is an internal error.

use std::collections::VecDeque;

use crate::error::{Error, SimError};
use crate::flow::NetworkSimplex;
use crate::scenario::Scenario;

use super::metrics::{PriceDaily, PriceMetrics};
use super::network::COST_SCALE;

/// Which price a point has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    /// A demand market: the marginal landed cost, at most the buyer's value.
    Market,
    /// A supply point: the value of one more tonne there, at least the origin price.
    FarmGate,
}

impl Side {
    fn name(self) -> &'static str {
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

/// The search's buffers, kept from one solve to the next.
#[derive(Debug, Clone, Default)]
pub(super) struct Search {
    /// Arcs incident to each node (either end).
    incident: Vec<Vec<u32>>,
    dist: Vec<i64>,
    queued: Vec<bool>,
    /// Times each node entered the queue.
    relaxed: Vec<u32>,
    queue: VecDeque<u32>,
}

const UNREACHED: i64 = i64::MAX;

impl Search {
    /// Buffers for `solver`'s network (its arcs must all be added).
    pub(super) fn new(solver: &NetworkSimplex) -> Search {
        let n = solver.num_nodes();
        let mut incident = vec![Vec::new(); n];
        for a in 0..solver.num_arcs() {
            if let Some((u, v)) = solver.arc_ends(a) {
                incident[u].push(a as u32);
                if v != u {
                    incident[v].push(a as u32);
                }
            }
        }
        Search {
            incident,
            dist: vec![UNREACHED; n],
            queued: vec![false; n],
            relaxed: vec![0; n],
            queue: VecDeque::new(),
        }
    }

    /// Shortest distances in the residual network of `solver`'s last optimum: from
    /// `root` to every node (`to_root` false), or from every node to `root` (`to_root`
    /// true), left in `self.dist` (`UNREACHED` where there is no path).
    fn distances(
        &mut self,
        solver: &NetworkSimplex,
        root: usize,
        to_root: bool,
    ) -> Result<(), Error> {
        let n = self.dist.len();
        self.dist.fill(UNREACHED);
        self.queued.fill(false);
        self.relaxed.fill(0);
        self.queue.clear();
        self.dist[root] = 0;
        self.queue.push_back(root as u32);
        self.queued[root] = true;
        while let Some(x) = self.queue.pop_front() {
            let x = x as usize;
            self.queued[x] = false;
            let dx = self.dist[x];
            for &a in &self.incident[x] {
                let a = a as usize;
                let Some((u, v)) = solver.arc_ends(a) else {
                    continue;
                };
                let (flow, cap, cost) = (solver.flow(a), solver.capacity(a), solver.cost(a));
                // The residual arcs at `x`: leaving it when searching from the root,
                // entering it when searching towards the root.
                let mut step = |y: usize, c: i64| -> Result<(), Error> {
                    let d = dx + c;
                    if d < self.dist[y] {
                        self.dist[y] = d;
                        if !self.queued[y] {
                            // With a first-in first-out queue a node enters it at most
                            // once per pass, and n passes settle every distance unless
                            // there is a negative cycle.
                            self.relaxed[y] += 1;
                            if self.relaxed[y] as usize > n {
                                return Err(SimError::Internal(
                                    "a routing optimum's residual network has a negative cycle"
                                        .into(),
                                )
                                .into());
                            }
                            self.queued[y] = true;
                            self.queue.push_back(y as u32);
                        }
                    }
                    Ok(())
                };
                let (room, back) = (flow < cap, flow > 0);
                if !to_root {
                    if u == x && room {
                        step(v, cost)?;
                    }
                    if v == x && back {
                        step(u, -cost)?;
                    }
                } else {
                    if v == x && room {
                        step(u, cost)?;
                    }
                    if u == x && back {
                        step(v, -cost)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The prices of `points` (one product's) at `solver`'s last optimum, whose source
    /// is `s` and sink `t`, written to `out` (0.01 USD/t).
    pub(super) fn prices(
        &mut self,
        solver: &NetworkSimplex,
        s: usize,
        t: usize,
        points: &[Point],
        out: &mut Vec<i64>,
    ) -> Result<(), Error> {
        out.clear();
        out.resize(points.len(), 0);
        if points.iter().any(|q| q.side == Side::Market) {
            self.distances(solver, s, false)?;
            for (o, q) in out.iter_mut().zip(points) {
                if q.side == Side::Market {
                    *o = self.dist[q.node as usize].min(q.bound);
                }
            }
        }
        if points.iter().any(|q| q.side == Side::FarmGate) {
            self.distances(solver, t, true)?;
            for (o, q) in out.iter_mut().zip(points) {
                if q.side == Side::FarmGate {
                    let d = self.dist[q.node as usize];
                    *o = if d == UNREACHED {
                        q.bound
                    } else {
                        (-d).max(q.bound)
                    };
                }
            }
        }
        Ok(())
    }
}

impl super::accounts::Accounts {
    /// Record product `p`'s prices (`prices`, in the order of its points) on `day`.
    pub(super) fn set_prices(&mut self, points: &Points, day: u32, p: usize, prices: &[i64]) {
        let at = day as usize * points.len() + points.offset[p];
        if let Some(dst) = self.prices.get_mut(at..at + prices.len()) {
            dst.copy_from_slice(prices);
        }
    }
}

/// USD/t of a price in 0.01 USD/t.
fn usd(c: i64) -> f64 {
    c as f64 / COST_SCALE
}

/// The run's price metrics against the counterfactual's: per point, over days `0..end`
/// of `run` (`[day * points + i]`, 0.01 USD/t) and the same days of `cf`; the mean
/// divides by the `window`'s days.
pub(super) fn metrics(
    scn: &Scenario,
    points: &Points,
    run: &[i64],
    cf: &[i64],
    end: usize,
    window: u32,
) -> Vec<PriceMetrics> {
    let n = points.len();
    points
        .points
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let mut sum = 0i64;
            let mut cf_sum = 0i64;
            let mut peak: Option<(i64, usize)> = None;
            for d in 0..end {
                let (r, c) = (
                    run.get(d * n + i).copied().unwrap_or(0),
                    cf.get(d * n + i).copied().unwrap_or(0),
                );
                let change = r - c;
                sum += change;
                if d < window as usize {
                    cf_sum += c;
                }
                if change != 0 && peak.is_none_or(|(p, _)| change.abs() > p.abs()) {
                    peak = Some((change, d));
                }
            }
            let w = f64::from(window.max(1));
            PriceMetrics {
                product: scn.products[q.product as usize].id.clone(),
                node: scn.nodes[q.node as usize].id.clone(),
                side: q.side.name().to_string(),
                counterfactual_mean_usd_per_t: usd(cf_sum) / w,
                mean_change_usd_per_t: usd(sum) / w,
                peak_change_usd_per_t: peak.map_or(0.0, |(c, _)| usd(c)),
                peak_day: peak.map(|(_, d)| d as u32),
            }
        })
        .collect()
}

/// The daily price series of days `0..end` (see [`metrics`] for the layout).
pub(super) fn daily(
    scn: &Scenario,
    points: &Points,
    run: &[i64],
    cf: &[i64],
    end: usize,
) -> Vec<PriceDaily> {
    let n = points.len();
    let series = |v: &[i64], i: usize| -> Vec<f64> {
        (0..end)
            .map(|d| usd(v.get(d * n + i).copied().unwrap_or(0)))
            .collect()
    };
    points
        .points
        .iter()
        .enumerate()
        .map(|(i, q)| PriceDaily {
            product: scn.products[q.product as usize].id.clone(),
            node: scn.nodes[q.node as usize].id.clone(),
            side: q.side.name().to_string(),
            price_usd_per_t: series(run, i),
            counterfactual_usd_per_t: series(cf, i),
        })
        .collect()
}
