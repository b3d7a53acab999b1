//! Rejoining the counterfactual: a run whose state is back to the counterfactual's on a
//! day no closure touches continues as the counterfactual until the next day one does,
//! so those days need not be simulated again.
//!
//! The counterfactual is simulated once per engine; it leaves, for every day, its state
//! at the start of the day ([`State`]), its running sums ([`Sums`]) and its routing
//! inputs and plans. A run uses those plans whenever its own routing inputs are the
//! counterfactual's on the same day (so that, with the same cargo, queues and orders, it
//! makes the same moves; where two routes cost exactly the same the counterfactual's
//! choice is taken). At the start of a day untouched by closures, if the run's cargo,
//! queues and orders equal the counterfactual's, the days up to the next touched day are
//! taken from the counterfactual: its sums over those days are added, its daily values
//! copied, and its state on the next touched day becomes the run's. If only its open
//! orders differ, it follows the counterfactual instead ([`Sim::follow`]).
//!
//! A run that rejoins gives the same results as one simulated day by day, up to the
//! order in which floating-point sums are added (tested in `tests/integration/sim.rs`).
//!
//! With a base (`Engine::with_base`: closures every run shares), "the counterfactual"
//! here is the simulation of the base closures, and a day is untouched when its
//! closures are the base's; losses are still measured against no closure at all.

use super::{Accounts, Ship, Sim, State, Sums, RING};
use crate::Error;

/// A product's routing inputs on a day (`ProductNet::last_key` layout) and its plan
/// (route id, units).
pub(super) type DayRoute = (Vec<i64>, Vec<(u32, i64)>);

/// The counterfactual's routing inputs and plans by day and product. A product's inputs
/// and plan are stored once for a stretch of days that repeat them (most days do), so
/// that what runs compare their inputs with is small and stays in cache.
#[derive(Default)]
pub(super) struct Routes {
    /// `[day * products + p]`: index into `distinct` (`u32::MAX`: not recorded).
    at: Vec<u32>,
    distinct: Vec<DayRoute>,
}

impl Routes {
    /// Record product `p`'s inputs and plan on `day` (of `np` products).
    pub(super) fn record(
        &mut self,
        day: u32,
        np: usize,
        p: usize,
        key: &[i64],
        plan: &[(u32, i64)],
    ) {
        let (day, i) = (day as usize, day as usize * np + p);
        if self.at.len() < (day + 1) * np {
            self.at.resize((day + 1) * np, u32::MAX);
        }
        let before = day.checked_sub(1).map_or(u32::MAX, |d| self.at[d * np + p]);
        let same = self
            .distinct
            .get(before as usize)
            .is_some_and(|(k, pl)| k[..] == key[..] && pl[..] == plan[..]);
        self.at[i] = if same {
            before
        } else {
            self.distinct.push((key.to_vec(), plan.to_vec()));
            (self.distinct.len() - 1) as u32
        };
    }

    /// Product `p`'s inputs and plan on `day` (of `np` products), if recorded.
    pub(super) fn get(&self, day: u32, np: usize, p: usize) -> Option<&DayRoute> {
        let i = *self.at.get(day as usize * np + p)?;
        self.distinct.get(i as usize)
    }
}

/// Memory the counterfactual's daily states may take in one engine. Past it only every
/// `stride`-th day is kept (the stride doubles each time), and runs rejoin on kept days.
pub(super) const SNAPSHOT_BUDGET: usize = 256 << 20;

/// What the counterfactual leaves for runs.
pub(super) struct Track {
    /// State at the start of each day `0..days` (kept days only).
    pub(super) snaps: Vec<Option<State>>,
    /// Running sums at the start of each day `0..=days` (kept days and the end).
    pub(super) cum: Vec<Option<Sums>>,
    /// Routing inputs (`ProductNet::last_key` layout) and plans, by day and product.
    pub(super) routes: Routes,
    pub(super) stride: u32,
    pub(super) bytes: usize,
    budget: usize,
    /// Entries of `Sums::step_units` and `Sums::pair_product_units` the counterfactual
    /// uses (the others stay 0 all year): kept sums hold these only, once compacted.
    steps_used: Vec<u32>,
    pairs_used: Vec<u32>,
    /// Units of open orders at the start of each day `0..=days` (all days).
    pub(super) open_start: Vec<i64>,
}

impl Track {
    pub(super) fn new(budget: usize) -> Track {
        Track {
            snaps: Vec::new(),
            cum: Vec::new(),
            routes: Routes::default(),
            stride: 1,
            bytes: 0,
            budget,
            steps_used: Vec::new(),
            pairs_used: Vec::new(),
            open_start: Vec::new(),
        }
    }

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
            self.bytes += c.bytes();
        }
    }

    /// Keep the counterfactual's state and sums at the start of the next day, if it is
    /// a kept day.
    pub(super) fn keep(&mut self, sim: &Sim<'_>, day: u32, days: u32) {
        self.open_start.push(sim.state.open_units.iter().sum());
        if day % self.stride != 0 {
            self.snaps.push(None);
            self.cum.push(None);
            return;
        }
        let (s, c) = (sim.snapshot(), sim.cum());
        self.bytes += s.bytes() + c.bytes();
        self.snaps.push(Some(s));
        self.cum.push(Some(c));
        while self.bytes > self.budget && self.stride < days {
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

    /// The last day in `(day, next]` a run can rejoin the counterfactual at: `next`
    /// itself if kept (or the end of the window), else the last kept day before it.
    pub(super) fn landing(&self, day: u32, next: u32) -> Option<u32> {
        (day + 1..=next)
            .rev()
            .find(|&t| self.snaps.get(t as usize).is_none_or(|s| s.is_some()))
    }
}

impl State {
    /// Memory it holds, roughly, in bytes.
    fn bytes(&self) -> usize {
        use std::mem::size_of;
        let v = |n: usize, each: usize| n * each;
        v(self.ships.len(), size_of::<Ship>())
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
                    + self.open_units.len(),
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
    }
}

/// Equal as cargo: same route, place, size, times and decay (dead lots only as dead).
fn same_ship(a: &Ship, b: &Ship) -> bool {
    if !a.alive || !b.alive {
        return a.alive == b.alive;
    }
    a.path == b.path
        && a.next == b.next
        && a.units == b.units
        && a.t_next.to_bits() == b.t_next.to_bits()
        && a.dispatched == b.dispatched
        && a.queued_since == b.queued_since
        && a.queued_at == b.queued_at
        && a.decay.to_bits() == b.decay.to_bits()
}

fn same_lists(a: &[u32], sa: &[Ship], b: &[u32], sb: &[Ship]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(&x, &y)| same_ship(&sa[x as usize], &sb[y as usize]))
}

impl Sim<'_> {
    /// The state at the start of the current day.
    pub(super) fn snapshot(&self) -> State {
        self.state.clone()
    }

    /// The running sums now.
    pub(super) fn cum(&self) -> Sums {
        self.acc.sums.clone()
    }

    /// How the run's state at the start of `day` compares with the counterfactual's `s`:
    /// the same cargo in the same arrival and queue order and the same recent queues
    /// (what traders see), and the same open orders or not.
    pub(super) fn likeness(&self, s: &State, day: u32) -> Likeness {
        if !self.same_cargo(s, day) {
            Likeness::Different
        } else if self.state.open_units == s.open_units && self.state.orders == s.orders {
            Likeness::Same
        } else {
            Likeness::OrdersOnly
        }
    }

    /// Whether the run's cargo, queues and recent queues at the start of `day` are the
    /// counterfactual's `s`.
    fn same_cargo(&self, s: &State, day: u32) -> bool {
        let me = &self.state;
        if me.in_system != s.in_system
            || me.queue_units != s.queue_units
            || me.queue_hist != s.queue_hist
            || me.late.len() != s.late.len()
        {
            return false;
        }
        let (mine, theirs) = (&me.ships[..], &s.ships[..]);
        for k in 0..RING {
            let b = (day as usize + k) % RING;
            if !same_lists(&me.due[b], mine, &s.due[b], theirs) {
                return false;
            }
        }
        let late_same = me.late.iter().zip(&s.late).all(|(&(w1, x), &(w2, y))| {
            w1 == w2 && same_ship(&mine[x as usize], &theirs[y as usize])
        });
        if !late_same {
            return false;
        }
        for (qa, qb) in me.queues.iter().zip(&s.queues) {
            if qa.len() != qb.len()
                || !qa
                    .iter()
                    .zip(qb)
                    .all(|(&x, &y)| same_ship(&mine[x as usize], &theirs[y as usize]))
            {
                return false;
            }
        }
        // Cargo arriving after the window: order does not matter, only the lots.
        let alive = |ids: &[u32], ships: &[Ship]| -> Vec<u32> {
            ids.iter()
                .copied()
                .filter(|&i| ships[i as usize].alive)
                .collect()
        };
        let (mut ba, mut bb) = (alive(&me.beyond, mine), alive(&s.beyond, theirs));
        if ba.len() != bb.len() {
            return false;
        }
        if !ba.is_empty() {
            let key = |ships: &[Ship], i: u32| {
                let x = &ships[i as usize];
                (
                    x.path,
                    x.next,
                    x.units,
                    x.t_next.to_bits(),
                    x.dispatched,
                    x.decay.to_bits(),
                )
            };
            ba.sort_by_key(|&i| key(mine, i));
            bb.sort_by_key(|&i| key(theirs, i));
            if !same_lists(&ba, mine, &bb, theirs) {
                return false;
            }
        }
        true
    }

    /// Continue as the counterfactual from the start of `from` to the start of `to`:
    /// add its sums over those days, copy its daily values, and take its state at `to`
    /// (when `to` is inside the window).
    pub(super) fn rejoin(&mut self, track: &Track, cf: &Accounts, from: u32, to: u32) {
        self.take_days(track, cf, from, to, true);
        // The counterfactual's state at `to`.
        if let Some(Some(s)) = track.snaps.get(to as usize) {
            self.state.clone_from(s);
        }
    }

    /// Add the counterfactual's sums over the days `from..to` (the value of lost orders
    /// only `with_orders`) and copy its daily values.
    fn take_days(&mut self, track: &Track, cf: &Accounts, from: u32, to: u32, with_orders: bool) {
        let (Some(c0), Some(c1)) = (&track.cum[from as usize], &track.cum[to as usize]) else {
            debug_assert!(false, "rejoin between days whose sums were not kept");
            return;
        };
        self.acc.sums.add_difference(c0, c1, track, with_orders);
        let acc = &mut self.acc;
        // Daily values of the skipped days.
        let days = self.days as usize;
        let (f, t) = (from as usize, to as usize);
        for slot in 0..acc.slot_trucks.len() / days.max(1) {
            let r = slot * days + f..slot * days + t;
            acc.cross_value[r.clone()].copy_from_slice(&cf.cross_value[r.clone()]);
            acc.slot_trucks[r.clone()].copy_from_slice(&cf.slot_trucks[r]);
        }
        acc.backlog_units[f..t].copy_from_slice(&cf.backlog_units[f..t]);
        acc.delivered_usd_daily[f..t].copy_from_slice(&cf.delivered_usd_daily[f..t]);
        if let (Some(mine), Some(theirs)) = (acc.daily.as_mut(), cf.daily.as_ref()) {
            for (m, c) in mine.corridors.iter_mut().zip(&theirs.corridors) {
                m.capacity_factor
                    .extend_from_slice(&c.capacity_factor[f..t]);
                m.flow_t[f..t].copy_from_slice(&c.flow_t[f..t]);
                m.queue_trucks.extend_from_slice(&c.queue_trucks[f..t]);
            }
            for (m, c) in mine.products.iter_mut().zip(&theirs.products) {
                m.delivered_t[f..t].copy_from_slice(&c.delivered_t[f..t]);
                m.open_orders_t.extend_from_slice(&c.open_orders_t[f..t]);
                m.in_system_t.extend_from_slice(&c.in_system_t[f..t]);
            }
        }
        self.delivered_before.clone_from(&self.acc.sums.delivered);
    }

    /// Follow the counterfactual from the start of `from`, when the run has its cargo
    /// but more (or fewer) open orders, up to the start of `next` at most: the cargo
    /// moves as the counterfactual's as long as the run's plans are the
    /// counterfactual's, so only orders are kept day by day (placed, lost, taken by the
    /// plans), and routing is solved only for products whose open orders differ. Stops
    /// early where the orders are the counterfactual's again (the run can rejoin) or
    /// where a plan differs (that day must be simulated). The state at the day it
    /// stops at is the counterfactual's cargo with the run's orders.
    ///
    /// Returns the day it stopped at and whether that day must be simulated.
    pub(super) fn follow(
        &mut self,
        track: &Track,
        cf: &Accounts,
        from: u32,
        next: u32,
    ) -> Result<(u32, bool), Error> {
        let np = self.st.order.len();
        let nd = self.perceived.len();
        let mut own_open = std::mem::take(&mut self.follow_open);
        own_open.clear();
        let mut d = from;
        let mut give_up = false;
        while d < next {
            if d > from {
                if let Some(Some(s)) = track.snaps.get(d as usize) {
                    if s.open_units == self.state.open_units && s.orders == self.state.orders {
                        break;
                    }
                }
            }
            self.saved_orders.clone_from(&self.state.orders);
            self.saved_open.clone_from(&self.state.open_units);
            let lost_before = self.acc.sums.lost_orders_usd;
            self.place_orders(d);
            let mut same = true;
            for oi in 0..np {
                let p = self.st.order[oi];
                let Some((key, plan)) = track.routes.get(d, np, p) else {
                    same = false;
                    break;
                };
                if key.len() < nd {
                    same = false;
                    break;
                }
                // What traders see when `p` is routed: the counterfactual's, since its
                // cargo and the plans before `p` are; only supply and orders can differ.
                self.perceived.copy_from_slice(&key[..nd]);
                if !self.supply_and_orders_are(p, d, &key[nd..]) {
                    self.solve_plan(p, d)?;
                    if self.nets[p].last_plan[..] != plan[..] {
                        same = false;
                        break;
                    }
                }
                let state = &mut self.state;
                for &(pid, u) in plan {
                    let k = self.paths[pid as usize].demand as usize;
                    super::take_orders(&mut state.orders[k], &mut state.open_units[k], u);
                }
            }
            if !same {
                std::mem::swap(&mut self.state.orders, &mut self.saved_orders);
                std::mem::swap(&mut self.state.open_units, &mut self.saved_open);
                self.acc.sums.lost_orders_usd = lost_before;
                give_up = true;
                break;
            }
            // Open orders at the end of the day: in total, and per product if recorded.
            own_open.push(self.state.open_units.iter().sum());
            if self.acc.daily.is_some() {
                for ks in &self.st.product_demands {
                    own_open.push(ks.iter().map(|&k| self.state.open_units[k]).sum());
                }
            }
            d += 1;
        }
        if d > from {
            self.take_days(track, cf, from, d, false);
            // What orders make differs: the backlog, and open orders in the daily series.
            let per_day = if self.acc.daily.is_some() { 1 + np } else { 1 };
            let n = (d - from) as usize;
            for (i, row) in own_open.chunks_exact(per_day).enumerate() {
                let day = from as usize + i;
                self.acc.backlog_units[day] =
                    cf.backlog_units[day] - track.open_start[day + 1] + row[0];
                if let Some(dl) = self.acc.daily.as_mut() {
                    for (pd, &u) in dl.products.iter_mut().zip(&row[1..]) {
                        let at = pd.open_orders_t.len() - n + i;
                        pd.open_orders_t[at] = super::tonnes(u);
                    }
                }
            }
        }
        self.follow_open = own_open;
        // The state at `d`: the counterfactual's cargo, the run's orders.
        if d == from {
            return Ok((d, give_up));
        }
        if let Some(Some(s)) = track.snaps.get(d as usize) {
            let orders = std::mem::take(&mut self.state.orders);
            let open = std::mem::take(&mut self.state.open_units);
            self.state.clone_from(s);
            self.state.orders = orders;
            self.state.open_units = open;
        }
        Ok((d, give_up))
    }
}

/// How a run's state compares with the counterfactual's on the same day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Likeness {
    /// The same cargo, queues and orders: the run can rejoin.
    Same,
    /// The same cargo and queues, other open orders: the run can follow.
    OrdersOnly,
    /// Anything else.
    Different,
}
