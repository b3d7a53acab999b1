//! Following: a run with the counterfactual's cargo and queues but other open orders (a
//! backlog a closure left) routes its own orders; while every product's plan is the
//! counterfactual's, its cargo moves exactly as the counterfactual's, so only its orders
//! need keeping day by day.

use crate::error::Error;

use super::super::accounts::Accounts;
use super::super::network::tonnes;
use super::super::{orders, Sim};
use super::rejoin::take_days;
use super::Track;

/// Buffers of [`follow`], kept from one run to the next.
#[derive(Default)]
pub(in crate::sim) struct FollowBuffers {
    saved_orders: Vec<std::collections::VecDeque<(i64, i64)>>,
    saved_open: Vec<i64>,
    saved_lost_units: Vec<i64>,
    saved_placed: Vec<i64>,
    /// Per day followed: the run's open orders at the end of the day, in total, and per
    /// product when the daily series are recorded.
    own_open: Vec<i64>,
    /// Per day followed: the run's prices (`Accounts::prices` layout).
    own_prices: Vec<i64>,
    day_prices: Vec<i64>,
}

/// Follow the counterfactual from the start of `from`, up to the start of `next` at
/// most: orders are placed, lost and taken by the plans day by day, and routing is
/// solved only for products whose supply and open orders differ from the
/// counterfactual's. Stops early where the orders are the counterfactual's again (the
/// run can rejoin) or where a plan differs (that day must be simulated). The state at
/// the day it stops at is the counterfactual's cargo with the run's orders.
///
/// Returns the day it stopped at and whether that day must be simulated.
pub(super) fn follow(
    sim: &mut Sim<'_>,
    track: &Track,
    cf: &Accounts,
    from: u32,
    next: u32,
    bufs: &mut FollowBuffers,
) -> Result<(u32, bool), Error> {
    let FollowBuffers {
        saved_orders,
        saved_open,
        saved_lost_units,
        saved_placed,
        own_open,
        own_prices,
        day_prices,
    } = bufs;
    own_open.clear();
    own_prices.clear();
    let net = sim.net;
    let points = &net.prices;
    day_prices.clear();
    day_prices.resize(points.len(), 0);
    let np = sim.net.order.len();
    let nd = sim.perceived.len();
    let daily = sim.acc.daily.is_some();
    let mut d = from;
    let mut give_up = false;
    while d < next {
        if d > from {
            if let Some(Some(s)) = track.snaps.get(d as usize) {
                if s.open_units == sim.state.open_units && s.orders == sim.state.orders {
                    break;
                }
            }
        }
        saved_orders.clone_from(&sim.state.orders);
        saved_open.clone_from(&sim.state.open_units);
        let lost_before = sim.acc.sums.lost_orders_usd;
        saved_lost_units.clone_from(&sim.acc.sums.welfare.lost_order_units);
        saved_placed.clone_from(&sim.acc.sums.welfare.placed_units);
        sim.place_orders(d);
        let supply = &sim.net.supply_units[sim.net.period[d as usize] as usize];
        let mut same = true;
        for oi in 0..np {
            let p = sim.net.order[oi];
            let Some((key, plan, prices)) = track.plans.get(d, np, p) else {
                same = false;
                break;
            };
            if key.len() < nd {
                same = false;
                break;
            }
            // What traders see when `p` is routed: the counterfactual's, since its
            // cargo and the plans before `p` are; only supply and orders can differ.
            sim.perceived.copy_from_slice(&key[..nd]);
            if !sim.nets[p].supply_and_orders_are(&key[nd..], supply, &sim.state.open_units) {
                sim.solve_plan(p, d)?;
                if sim.nets[p].plan[..] != plan[..] {
                    same = false;
                    break;
                }
                // The same plan, other orders: other prices.
                day_prices[points.offset[p]..points.offset[p + 1]]
                    .copy_from_slice(&sim.nets[p].prices);
            } else {
                day_prices[points.offset[p]..points.offset[p + 1]].copy_from_slice(prices);
            }
            let state = &mut sim.state;
            for &(rid, u) in plan {
                let k = sim.routes.routes[rid as usize].demand as usize;
                orders::take(&mut state.orders[k], &mut state.open_units[k], u);
            }
        }
        if !same {
            std::mem::swap(&mut sim.state.orders, saved_orders);
            std::mem::swap(&mut sim.state.open_units, saved_open);
            sim.acc.sums.lost_orders_usd = lost_before;
            std::mem::swap(&mut sim.acc.sums.welfare.lost_order_units, saved_lost_units);
            std::mem::swap(&mut sim.acc.sums.welfare.placed_units, saved_placed);
            give_up = true;
            break;
        }
        own_open.push(sim.state.open_units.iter().sum());
        own_prices.extend_from_slice(day_prices);
        if daily {
            for ks in &sim.net.product_demands {
                own_open.push(ks.iter().map(|&k| sim.state.open_units[k]).sum());
            }
        }
        d += 1;
    }
    if d == from {
        return Ok((d, give_up));
    }
    take_days(sim, track, cf, from, d, false)?;
    let np_ = points.len();
    sim.acc.prices[from as usize * np_..d as usize * np_].copy_from_slice(own_prices);
    sim.acc.prices_taken[from as usize..d as usize].fill(false);
    // What orders make differs: the backlog, and open orders in the daily series.
    let per_day = if daily { 1 + np } else { 1 };
    let n = (d - from) as usize;
    for (i, row) in own_open.chunks_exact(per_day).enumerate() {
        let day = from as usize + i;
        sim.acc.backlog_units[day] = cf.backlog_units[day] - track.open_at(day + 1) + row[0];
        if let Some(dl) = sim.acc.daily.as_mut() {
            for (pd, &u) in dl.products.iter_mut().zip(&row[1..]) {
                let at = pd.open_orders_t.len() - n + i;
                pd.open_orders_t[at] = tonnes(u);
            }
        }
    }
    // The state at `d`: the counterfactual's cargo, the run's orders.
    if let Some(Some(s)) = track.snaps.get(d as usize) {
        let orders = std::mem::take(&mut sim.state.orders);
        let open = std::mem::take(&mut sim.state.open_units);
        sim.state.clone_from(s);
        sim.state.orders = orders;
        sim.state.open_units = open;
    }
    Ok((d, give_up))
}
