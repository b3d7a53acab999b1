//! Step 2 of the day: orders. Each demand point places its day's orders (t/day × the
//! month's seasonal factor × the trade levels in force); an order not served within
//! `order_patience_days` is lost trade at the product's value. Dispatched cargo takes
//! the newest open orders first: today's needs are met first, and an order left over
//! from a shortage is served only from what is to spare, or lapses at its patience
//! (`docs/model.md`, "Orders").

use std::collections::VecDeque;

use super::network::{tonnes, Network};
use super::state::State;

/// Orders past their patience are lost (their value added to `lost_usd`, their units to
/// `lost_units` per demand); today's new orders are placed (their units added to
/// `placed_units` per demand).
pub(super) fn place(
    net: &Network,
    patience: u32,
    state: &mut State,
    day: u32,
    lost_usd: &mut f64,
    lost_units: &mut [i64],
    placed_units: &mut [i64],
) {
    let period = net.period[day as usize] as usize;
    let new = &net.demand_units[period];
    let (orders, open) = (&mut state.orders, &mut state.open_units);
    for (k, ((q, open), &u)) in orders.iter_mut().zip(open.iter_mut()).zip(new).enumerate() {
        while let Some(&(placed, lost)) = q.front() {
            if placed + i64::from(patience) <= i64::from(day) {
                q.pop_front();
                *open -= lost;
                lost_units[k] += lost;
                *lost_usd += tonnes(lost) * net.value[net.demand_product[k]];
            } else {
                break;
            }
        }
        if u > 0 {
            q.push_back((i64::from(day), u));
            *open += u;
            placed_units[k] += u;
        }
    }
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
