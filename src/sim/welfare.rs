//! Welfare: the lost gains from trade. Beside `lost_trade_usd` (the full value of the
//! goods that did not move), a run reports what the closures cost in gains from trade:
//! for each demand, the extra cost of the trade that did happen (origin price, freight
//! and charges, holding, spoilage) over the counterfactual's cost per tonne, plus the
//! gains forgone on the trade that did not (`docs/model.md`, "Welfare: the lost gains
//! from trade"). Split by the country of the buyer and of the seller.
//!
//! This room keeps its own running sums (per demand and per route, filled by small
//! hooks in routing, orders and perishing; `welfare_sums.rs`, held in the accounts) and
//! makes the figures at the end of a run from them and the accounts' totals; it changes
//! nothing the simulation does.

use std::collections::BTreeMap;

use crate::scenario::Scenario;

use super::accounts::{Sums, Totals};
use super::metrics::CountryWelfare;
use super::network::{tonnes, Network};

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
