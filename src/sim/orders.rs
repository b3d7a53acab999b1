//! Step 2 of the day: orders. Each demand point places its day's orders (t/day × the
//! month's seasonal factor × the trade levels in force, × the price response below); an
//! order not served within `order_patience_days` is lost trade at the product's value.
//! Dispatched cargo takes the newest open orders first: today's needs are met first, and
//! an order left over from a shortage is served only from what is to spare, or lapses at
//! its patience (`docs/model.md`, "Orders").
//!
//! **Demand answers the landed price** (`docs/model.md`): where a product has a
//! `demand_elasticity` ε ≠ 0, a demand's orders on day d are its fixed orders q0 scaled
//! by (P1 / P0)^ε, where P1 is its market price at the run's last routing of the product
//! (day d − 1) and P0 the counterfactual's on the same day. The tonnes not ordered are
//! *forgone* (lost trade at the product's value), and the buyers lose the surplus the
//! constant-elasticity demand q(P) = q0 (P / P0)^ε implies beyond the rectangle of the
//! tonnes bought in both: ∫_{P0}^{P1} q(P) dP − min(q0, q1)·(P1 − P0).

use std::collections::VecDeque;

use super::network::{tonnes, Network, COST_SCALE};
use super::state::State;
use super::welfare_sums::WelfareSums;

/// Orders past their patience are lost (their value added to `lost_usd`, their units to
/// the welfare sums' lost units per demand); today's new orders are placed (their units
/// added to the placed units per demand). With `cf_market` (the counterfactual's market
/// price per demand at its last routing, for a run of a scenario whose demand answers
/// prices; empty for the counterfactual itself), orders answer the run's market price
/// in `state.market` (module docs).
pub(super) fn place(
    net: &Network,
    patience: u32,
    state: &mut State,
    day: u32,
    lost_usd: &mut f64,
    welfare: &mut WelfareSums,
    cf_market: &[i64],
) {
    let period = net.period[day as usize] as usize;
    let new = &net.demand_units[period];
    let (orders, open) = (&mut state.orders, &mut state.open_units);
    let market = &state.market;
    for (k, ((q, open), &u0)) in orders.iter_mut().zip(open.iter_mut()).zip(new).enumerate() {
        while let Some(&(placed, lost)) = q.front() {
            if placed + i64::from(patience) <= i64::from(day) {
                q.pop_front();
                *open -= lost;
                welfare.lost_order_units[k] += lost;
                *lost_usd += tonnes(lost) * net.value[net.demand_product[k]];
            } else {
                break;
            }
        }
        let mut u = u0;
        if let (Some(&p1), Some(&p0)) = (market.get(k), cf_market.get(k)) {
            let eps = net.elasticity[k];
            if eps != 0.0 && p1 != p0 && p1 > 0 && p0 > 0 && u0 > 0 {
                u = respond(u0, p0, p1, eps, &mut welfare.forgone_surplus_usd[k]);
                welfare.forgone_units[k] += u0 - u;
                welfare.forgone_usd[k] += tonnes(u0 - u) * net.value[net.demand_product[k]];
            }
        }
        if u > 0 {
            q.push_back((i64::from(day), u));
            *open += u;
            welfare.placed_units[k] += u;
        }
    }
}

/// Orders of `q0` units at the counterfactual's price `p0` scaled to the price `p1` (both
/// in 0.01 USD/t) with elasticity `eps`: q1 = round(q0 (p1 / p0)^eps). Adds the buyers'
/// surplus lost beyond the rectangle of the tonnes bought in both to `surplus_usd`:
/// ∫_{p0}^{p1} q(P) dP − min(q0, q1) (p1 − p0), with q(P) = q0 (P / p0)^eps, so the
/// integral is q0 p0 ((p1/p0)^(1+eps) − 1) / (1 + eps), or q0 p0 ln(p1/p0) at eps = −1.
/// It is ≥ 0 when the price rose (orders forgone) and ≤ 0 when it fell (orders gained).
pub(super) fn respond(q0: i64, p0: i64, p1: i64, eps: f64, surplus_usd: &mut f64) -> i64 {
    let r = p1 as f64 / p0 as f64;
    let q1 = (q0 as f64 * r.powf(eps)).round() as i64;
    let (t0, t1) = (tonnes(q0), tonnes(q1));
    let (usd0, usd1) = (p0 as f64 / COST_SCALE, p1 as f64 / COST_SCALE);
    let integral = if (eps + 1.0).abs() < 1e-12 {
        t0 * usd0 * r.ln()
    } else {
        t0 * usd0 * (r.powf(1.0 + eps) - 1.0) / (1.0 + eps)
    };
    *surplus_usd += integral - t0.min(t1) * (usd1 - usd0);
    q1
}

/// Take `u` units of a demand's open orders (`orders`, oldest first; `open` their
/// total), newest first.
#[inline]
pub(super) fn take(orders: &mut VecDeque<(i64, i64)>, open: &mut i64, mut u: i64) {
    *open -= u;
    while u > 0 {
        let Some(back) = orders.back_mut() else {
            break;
        };
        if back.1 <= u {
            u -= back.1;
            orders.pop_back();
        } else {
            back.1 -= u;
            u = 0;
        }
    }
}
