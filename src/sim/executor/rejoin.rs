//! Rejoining: a run whose state at the start of a quiet day is the counterfactual's
//! continues as the counterfactual until the next day a closure touches. Also what the
//! counterfactual keeps for it (its daily states and sums, compacted) and how a run's
//! state is compared with it.

use crate::error::{Error, SimError};

use super::super::accounts::{Accounts, Sums};
use super::super::state::{Lot, State};
use super::super::Sim;
use super::Track;

impl Track {
    /// Once the counterfactual is over: keep, in every kept day's sums, only the unit
    /// counters it ever moved (the steps of its routes, and the pairs it delivered
    /// between), so that rejoining reads no more than it needs.
    pub(super) fn compact(&mut self) {
        let Some(Some(last)) = self.cum.last() else {
            return;
        };
        let used = |v: &[i64]| -> Vec<u32> {
            (0..v.len() as u32)
                .filter(|&i| v[i as usize] != 0)
                .collect()
        };
        self.steps_used = used(&last.step_units);
        self.pairs_used = used(&last.pair_product_units);
        self.routes_used = used(&last.welfare.route_units);
        // Earlier days knew fewer routes: their missing steps are 0.
        let gather = |v: &mut Vec<i64>, idx: &[u32]| {
            *v = idx
                .iter()
                .map(|&i| v.get(i as usize).copied().unwrap_or(0))
                .collect();
        };
        for c in self.cum.iter_mut().flatten() {
            self.bytes -= c.bytes();
            gather(&mut c.step_units, &self.steps_used);
            gather(&mut c.pair_product_units, &self.pairs_used);
            c.welfare.compact(&self.routes_used);
            self.bytes += c.bytes();
        }
    }

    /// Keep the counterfactual's state and sums at the start of `day`, if it is a kept
    /// day; past the memory budget, thin the kept days out.
    pub(super) fn keep(&mut self, sim: &Sim<'_>, day: u32) {
        self.open_start.push(sim.state.open_units.iter().sum());
        if day % self.stride != 0 {
            self.snaps.push(None);
            self.cum.push(None);
            return;
        }
        let (s, c) = (sim.state.clone(), sim.acc.sums.clone());
        self.bytes += s.bytes() + c.bytes();
        self.snaps.push(Some(s));
        self.cum.push(Some(c));
        while self.bytes > self.budget && self.stride < sim.days {
            self.stride *= 2;
            let stride = self.stride as usize;
            for (d, (s, c)) in self.snaps.iter_mut().zip(&mut self.cum).enumerate() {
                if d % stride != 0 {
                    if let Some(s) = s.take() {
                        self.bytes -= s.bytes();
                    }
                    if let Some(c) = c.take() {
                        self.bytes -= c.bytes();
                    }
                }
            }
        }
    }

    /// Units of open orders the counterfactual had at the start of `day`.
    pub(super) fn open_at(&self, day: usize) -> i64 {
        self.open_start.get(day).copied().unwrap_or(0)
    }
}

impl State {
    /// Memory it holds, roughly, in bytes.
    fn bytes(&self) -> usize {
        use std::mem::size_of;
        let v = |n: usize, each: usize| n * each;
        v(self.lots.len(), size_of::<Lot>())
            + v(self.listed.len(), 1)
            + v(
                self.perishable.len() + self.free.len() + self.beyond.len(),
                4,
            )
            + self.due.iter().map(|b| v(b.len(), 4) + 24).sum::<usize>()
            + self
                .queues
                .iter()
                .map(|q| v(q.len(), 4) + 32)
                .sum::<usize>()
            + self
                .orders
                .iter()
                .map(|o| v(o.len(), 16) + 32)
                .sum::<usize>()
            + self.queue_hist.iter().map(|h| v(h.len(), 8)).sum::<usize>()
            + v(self.late.len(), 8)
            + v(
                self.cap_units.len()
                    + self.seen_units.len()
                    + self.queue_units.len()
                    + self.in_system.len()
                    + self.open_units.len()
                    + self.market.len(),
                8,
            )
    }
}

impl Sums {
    /// Memory it holds, roughly, in bytes.
    fn bytes(&self) -> usize {
        8 * (self.supplied.len() * 4
            + self.holding_usd.len()
            + self.dispatched_units.len()
            + self.step_units.len()
            + self.pair_product_units.len())
            + self.welfare.bytes()
    }

    /// Add what `b` has more than `a` (sums of the counterfactual, compacted by `track`,
    /// at a later day); the value of orders lost only `with_orders`.
    fn add_difference(&mut self, a: &Sums, b: &Sums, track: &Track, with_orders: bool) {
        fn add<T: Copy + std::ops::Add<Output = T> + std::ops::Sub<Output = T>>(
            x: &mut [T],
            a: &[T],
            b: &[T],
        ) {
            for ((x, &a), &b) in x.iter_mut().zip(a).zip(b) {
                *x = *x + (b - a);
            }
        }
        add(&mut self.supplied, &a.supplied, &b.supplied);
        add(&mut self.delivered, &a.delivered, &b.delivered);
        add(&mut self.spoiled, &a.spoiled, &b.spoiled);
        add(&mut self.abandoned, &a.abandoned, &b.abandoned);
        add(&mut self.holding_usd, &a.holding_usd, &b.holding_usd);
        add(
            &mut self.dispatched_units,
            &a.dispatched_units,
            &b.dispatched_units,
        );
        self.spoilage_usd += b.spoilage_usd - a.spoilage_usd;
        if with_orders {
            self.lost_orders_usd += b.lost_orders_usd - a.lost_orders_usd;
        }
        self.abandoned_usd += b.abandoned_usd - a.abandoned_usd;
        self.spoiled_whole_usd += b.spoiled_whole_usd - a.spoiled_whole_usd;
        let sparse = |x: &mut [i64], a: &[i64], b: &[i64], idx: &[u32]| {
            for ((&i, &a), &b) in idx.iter().zip(a).zip(b) {
                x[i as usize] += b - a;
            }
        };
        sparse(
            &mut self.step_units,
            &a.step_units,
            &b.step_units,
            &track.steps_used,
        );
        sparse(
            &mut self.pair_product_units,
            &a.pair_product_units,
            &b.pair_product_units,
            &track.pairs_used,
        );
        self.welfare
            .add_difference(&a.welfare, &b.welfare, &track.routes_used, with_orders);
    }
}

/// Continue `sim` as the counterfactual from the start of `from` to the start of `to`:
/// add its sums over those days, copy its daily values, and take its state at `to`
/// (when `to` is inside the window).
pub(super) fn rejoin(
    sim: &mut Sim<'_>,
    track: &Track,
    cf: &Accounts,
    from: u32,
    to: u32,
) -> Result<(), Error> {
    take_days(sim, track, cf, from, to, true)?;
    if let Some(Some(s)) = track.snaps.get(to as usize) {
        sim.state.clone_from(s);
    }
    Ok(())
}

/// Add the counterfactual's sums over the days `from..to` to `sim`'s (the value of lost
/// orders only `with_orders`) and copy its daily values.
pub(super) fn take_days(
    sim: &mut Sim<'_>,
    track: &Track,
    cf: &Accounts,
    from: u32,
    to: u32,
    with_orders: bool,
) -> Result<(), Error> {
    let kept = |d: u32| track.cum.get(d as usize).and_then(Option::as_ref);
    let (Some(c0), Some(c1)) = (kept(from), kept(to)) else {
        return Err(SimError::Internal(format!(
            "a run took days {from}..{to} from the counterfactual, whose sums were not kept \
             on both"
        ))
        .into());
    };
    sim.acc.sums.add_difference(c0, c1, track, with_orders);
    sim.acc.copy_days(cf, from as usize, to as usize);
    Ok(())
}
