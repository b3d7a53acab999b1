//! Welfare: the lost gains from trade. Beside `lost_trade_usd` (the full value of the
//! goods that did not move), a run reports what the closures cost in gains from trade:
//! for each demand, the extra cost of the trade that did happen (origin price, freight
//! and charges, holding, spoilage) over the counterfactual's cost per tonne, plus the
//! gains forgone on the trade that did not (`docs/model.md`, "Welfare: the lost gains
//! from trade"). Split by the country of the buyer and of the seller.
//!
//! This room keeps its own running sums (per demand and per route, filled by small
//! hooks in routing, orders and perishing) and makes the figures at the end of a run
//! from them and the accounts' totals; it changes nothing the simulation does.

use std::collections::{BTreeMap, HashMap};

use crate::scenario::Scenario;

use super::accounts::{Sums, Totals};
use super::metrics::CountryWelfare;
use super::network::{tonnes, Network};
use super::routes::RouteBook;

/// A simulation's running sums for the welfare accounts.
#[derive(Debug, Clone, Default)]
pub(super) struct WelfareSums {
    /// Units dispatched from their origin on each route, by route id (resized as routes
    /// are found; a turn-back is not a dispatch).
    pub(super) route_units: Vec<i64>,
    /// Per demand: value lost by perishables bound for it, USD.
    pub(super) spoilage_usd: Vec<f64>,
    /// Per demand: units of orders that expired unserved.
    pub(super) lost_order_units: Vec<i64>,
    /// Per demand: units of orders placed.
    pub(super) placed_units: Vec<i64>,
    /// Per demand: units of cargo lost on the way (abandoned or spoiled whole) ...
    pub(super) destroyed_units: Vec<i64>,
    /// ... and their remaining value when lost, USD.
    pub(super) destroyed_usd: Vec<f64>,
    /// Per demand: units of orders not placed because the landed price rose (negative
    /// when it fell and more were placed; `orders.rs`), their value at the product's
    /// value, USD, and the buyers' surplus lost on them (the triangle), USD.
    pub(super) forgone_units: Vec<i64>,
    pub(super) forgone_usd: Vec<f64>,
    pub(super) forgone_surplus_usd: Vec<f64>,
}

impl WelfareSums {
    /// Empty sums for `nk` demands.
    pub(super) fn new(nk: usize) -> WelfareSums {
        WelfareSums {
            route_units: Vec::new(),
            spoilage_usd: vec![0.0; nk],
            lost_order_units: vec![0; nk],
            placed_units: vec![0; nk],
            destroyed_units: vec![0; nk],
            destroyed_usd: vec![0.0; nk],
            forgone_units: vec![0; nk],
            forgone_usd: vec![0.0; nk],
            forgone_surplus_usd: vec![0.0; nk],
        }
    }

    /// Count the units of a day's plan (route id, units) as dispatched.
    pub(super) fn dispatched(&mut self, plan: &[(u32, i64)]) {
        for &(rid, u) in plan {
            let r = rid as usize;
            if self.route_units.len() <= r {
                self.route_units.resize(r + 1, 0);
            }
            self.route_units[r] += u;
        }
    }

    /// Add what `b` has more than `a` (the counterfactual's sums at two days; its route
    /// counters compacted to the routes `used`); orders lost only `with_orders`.
    pub(super) fn add_difference(
        &mut self,
        a: &WelfareSums,
        b: &WelfareSums,
        used: &[u32],
        with_orders: bool,
    ) {
        for ((&i, &a), &b) in used.iter().zip(&a.route_units).zip(&b.route_units) {
            let i = i as usize;
            if self.route_units.len() <= i {
                self.route_units.resize(i + 1, 0);
            }
            self.route_units[i] += b - a;
        }
        let add_f = |x: &mut [f64], a: &[f64], b: &[f64]| {
            for ((x, &a), &b) in x.iter_mut().zip(a).zip(b) {
                *x += b - a;
            }
        };
        let add_i = |x: &mut [i64], a: &[i64], b: &[i64]| {
            for ((x, &a), &b) in x.iter_mut().zip(a).zip(b) {
                *x += b - a;
            }
        };
        add_f(&mut self.spoilage_usd, &a.spoilage_usd, &b.spoilage_usd);
        if with_orders {
            add_i(
                &mut self.lost_order_units,
                &a.lost_order_units,
                &b.lost_order_units,
            );
            add_i(&mut self.placed_units, &a.placed_units, &b.placed_units);
            add_i(&mut self.forgone_units, &a.forgone_units, &b.forgone_units);
            add_f(&mut self.forgone_usd, &a.forgone_usd, &b.forgone_usd);
            add_f(
                &mut self.forgone_surplus_usd,
                &a.forgone_surplus_usd,
                &b.forgone_surplus_usd,
            );
        }
        add_i(
            &mut self.destroyed_units,
            &a.destroyed_units,
            &b.destroyed_units,
        );
        add_f(&mut self.destroyed_usd, &a.destroyed_usd, &b.destroyed_usd);
    }

    /// Keep only the route counters at `used` (in that order).
    pub(super) fn compact(&mut self, used: &[u32]) {
        self.route_units = used
            .iter()
            .map(|&i| self.route_units.get(i as usize).copied().unwrap_or(0))
            .collect();
    }

    /// Memory it holds, roughly, in bytes.
    pub(super) fn bytes(&self) -> usize {
        8 * (self.route_units.len() + 8 * self.spoilage_usd.len())
    }
}

/// Welfare totals of a simulation, made from its sums at the end.
#[derive(Debug, Clone, Default)]
pub(super) struct WelfareTotals {
    /// Per demand: origin price paid on the units dispatched to it, USD.
    pub(super) origin_usd: Vec<f64>,
    /// Units dispatched per (demand, trade pair): `[demand * pairs + pair]`.
    pub(super) pair_units: Vec<i64>,
}

impl WelfareTotals {
    /// The totals of `sums`.
    pub(super) fn of(sums: &Sums, scn: &Scenario, net: &Network, routes: &RouteBook) -> Self {
        let nk = scn.demands.len();
        let npairs = net.pairs.len();
        // The price of each product at each of its origins (the lowest, when a node
        // holds several supplies of one product).
        let mut price: HashMap<(usize, usize), f64> = HashMap::new();
        for s in &scn.supplies {
            let e = price
                .entry((s.product.index(), s.node.index()))
                .or_insert(f64::INFINITY);
            *e = e.min(s.price_usd_per_t);
        }
        let mut t = WelfareTotals {
            origin_usd: vec![0.0; nk],
            pair_units: vec![0; nk * npairs],
        };
        // Units by (demand, origin) first, in integers, then valued in that sorted order:
        // route ids follow the order an engine found its routes in (its earlier runs), so
        // summing values route by route would make the last bits depend on that history.
        let mut units: BTreeMap<(usize, usize), i64> = BTreeMap::new();
        for (rid, &u) in sums.welfare.route_units.iter().enumerate() {
            if u == 0 {
                continue;
            }
            let Some(route) = routes.routes.get(rid) else {
                continue;
            };
            let k = route.demand as usize;
            let dm = &scn.demands[k];
            let origin = routes
                .darcs_of(rid as u32)
                .first()
                .map_or(dm.node.index(), |&a| net.darcs[a as usize].from as usize);
            *units.entry((k, origin)).or_insert(0) += u;
            t.pair_units[k * npairs + route.pair as usize] += u;
        }
        for ((k, origin), u) in units {
            let p = price
                .get(&(scn.demands[k].product.index(), origin))
                .copied()
                .unwrap_or(0.0);
            t.origin_usd[k] += tonnes(u) * p;
        }
        t
    }
}

/// What a run reports of welfare.
pub(super) struct Welfare {
    pub(super) loss_usd: f64,
    pub(super) by_buyer: BTreeMap<String, CountryWelfare>,
    pub(super) by_seller: BTreeMap<String, CountryWelfare>,
}

/// The welfare loss of a run with sums and totals `run` against the counterfactual's
/// `cf` over the same days, in total and per country of the buyer and of the seller.
pub(super) fn measure(
    scn: &Scenario,
    net: &Network,
    run: (&Sums, &Totals),
    cf: (&Sums, &Totals),
) -> Welfare {
    let npairs = net.pairs.len();
    // The origin country of each trade pair.
    let mut pair_origin = vec![0u32; npairs];
    for (&(o, _), &i) in &net.pair_index {
        pair_origin[i as usize] = o;
    }
    let zero = CountryWelfare::default();
    let mut by_buyer: BTreeMap<String, CountryWelfare> = BTreeMap::new();
    let mut by_seller: BTreeMap<String, CountryWelfare> = BTreeMap::new();
    // Every country that buys or sells appears in the tables, whatever the run did.
    for d in &scn.demands {
        let c = &net.countries[net.node_country[d.node.index()] as usize];
        by_buyer.entry(c.clone()).or_insert_with(|| zero.clone());
    }
    for s in &scn.supplies {
        let c = &net.countries[net.node_country[s.node.index()] as usize];
        by_seller.entry(c.clone()).or_insert_with(|| zero.clone());
    }
    let mut loss_usd = 0.0;
    for (k, dm) in scn.demands.iter().enumerate() {
        let (w, lost_trade) = demand_loss(scn, net, k, run, cf);
        loss_usd += w;
        let buyer = net.node_country[dm.node.index()];
        let b = by_buyer
            .entry(net.countries[buyer as usize].clone())
            .or_default();
        b.welfare_loss_usd += w;
        b.lost_trade_usd += lost_trade;
        // Sellers: the demand's figures split over the origin countries in proportion
        // to the counterfactual's tonnes dispatched to it from each (the run's when the
        // counterfactual sent none; equal shares over its possible origins when neither
        // did).
        let row = |t: &Totals| -> Vec<i64> {
            t.welfare
                .pair_units
                .get(k * npairs..(k + 1) * npairs)
                .map_or_else(|| vec![0; npairs], <[i64]>::to_vec)
        };
        let mut shares = row(cf.1);
        if shares.iter().all(|&u| u == 0) {
            shares = row(run.1);
        }
        if shares.iter().all(|&u| u == 0) {
            for s in scn.supplies.iter().filter(|s| s.product == dm.product) {
                let key = (net.node_country[s.node.index()], buyer);
                if let Some(&i) = net.pair_index.get(&key) {
                    shares[i as usize] = 1;
                }
            }
        }
        let all: i64 = shares.iter().sum();
        if all == 0 {
            continue;
        }
        for (pair, &u) in shares.iter().enumerate().filter(|(_, &u)| u > 0) {
            let f = u as f64 / all as f64;
            let s = by_seller
                .entry(net.countries[pair_origin[pair] as usize].clone())
                .or_default();
            s.welfare_loss_usd += w * f;
            s.lost_trade_usd += lost_trade * f;
        }
    }
    Welfare {
        loss_usd,
        by_buyer,
        by_seller,
    }
}

/// Demand `k`'s welfare loss and lost trade value, USD (see the module docs).
fn demand_loss(
    scn: &Scenario,
    net: &Network,
    k: usize,
    run: (&Sums, &Totals),
    cf: (&Sums, &Totals),
) -> (f64, f64) {
    let dm = &scn.demands[k];
    let value = net.value[dm.product.index()];
    let buyer_value = dm.value_usd_per_t;
    // What the trade to `k` cost: origin price, freight and charges, holding, spoilage.
    let cost = |(s, t): (&Sums, &Totals)| {
        t.welfare.origin_usd[k] + t.paid_usd[k] + s.holding_usd[k] + s.welfare.spoilage_usd[k]
    };
    let x = tonnes(run.0.dispatched_units[k]);
    let y = tonnes(cf.0.dispatched_units[k]);
    // The counterfactual's cost per tonne (0 when it sent none: then the cost of what the
    // run sent is extra, and the orders it served count as gains at the buyer's value).
    // What the counterfactual paid without sending anything is the cost of the cargo
    // under way at the start (the steady start), which the run carried too.
    let (per_t, cf_cost_of_x) = if y > 0.0 {
        (cost(cf) / y, cost(cf) * (x / y))
    } else {
        (0.0, cost(cf))
    };
    let extra = cost(run) - cf_cost_of_x;
    let (rw, cw) = (&run.0.welfare, &cf.0.welfare);
    let orders_t = tonnes(rw.lost_order_units[k] - cw.lost_order_units[k]);
    let destroyed_t = tonnes(rw.destroyed_units[k] - cw.destroyed_units[k]);
    let destroyed_usd = rw.destroyed_usd[k] - cw.destroyed_usd[k];
    let forgone =
        orders_t * (buyer_value - per_t) + destroyed_t * (buyer_value - value) + destroyed_usd;
    // Orders not placed because the landed price rose: the surplus the elasticity
    // implies (`orders.rs`), and their value as lost trade.
    let triangle = rw.forgone_surplus_usd[k] - cw.forgone_surplus_usd[k];
    let not_ordered_usd = rw.forgone_usd[k] - cw.forgone_usd[k];
    (
        extra + forgone + triangle,
        orders_t * value + destroyed_usd + not_ordered_usd,
    )
}
