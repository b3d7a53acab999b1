//! The welfare room's running sums and totals (per demand and per route), kept in the
//! accounts (`Sums::welfare`, `Totals::welfare`) and filled by small hooks in routing,
//! orders and perishing. A leaf below the accounts: `welfare.rs` measures the loss from
//! them at the end of a run.

use std::collections::{BTreeMap, HashMap};

use crate::scenario::Scenario;

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
    pub(super) fn of(
        sums: &WelfareSums,
        scn: &Scenario,
        net: &Network,
        routes: &RouteBook,
    ) -> Self {
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
        for (rid, &u) in sums.route_units.iter().enumerate() {
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
