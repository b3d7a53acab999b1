//! Step 3 of the day (and the end of step 4): cargo moves. Lots follow their routes
//! darc by darc; each darc admits at most its capacity for the day; cargo that cannot
//! enter queues there, first in, first out, and queued cargo goes first each morning.
//! A lot's arrival time advances by each darc's transit time (fractional days add up;
//! a lot is handled on the day its arrival time falls in).

use super::network::{tonnes, Darc};
use super::routes::Route;
use super::state::{Lot, RING};
use super::Sim;

/// What moving cargo touches: lots, capacities left today, arrival lists and the
/// sums of admissions and deliveries (borrowed from a [`Sim`] one field at a time, so
/// that the hot loop keeps them apart).
pub(super) struct Mover<'m> {
    pub(super) darcs: &'m [Darc],
    pub(super) value: &'m [f64],
    pub(super) routes: &'m [Route],
    pub(super) lots: &'m mut [Lot],
    pub(super) free: &'m mut Vec<u32>,
    pub(super) in_system: &'m mut [i64],
    pub(super) due: &'m mut [Vec<u32>],
    pub(super) late: &'m mut Vec<(u32, u32)>,
    pub(super) beyond: &'m mut Vec<u32>,
    pub(super) left: &'m mut [i64],
    pub(super) work: &'m mut Vec<u32>,
    pub(super) step_darcs: &'m [u32],
    pub(super) step_units: &'m mut [i64],
    pub(super) delivered: &'m mut [i64],
    pub(super) pair_product_units: &'m mut [i64],
    pub(super) cross_value: &'m mut [f64],
    pub(super) delivered_usd_daily: &'m mut [f64],
    pub(super) days: u32,
    /// Whether each darc has a queue (checked in debug builds only).
    #[cfg(debug_assertions)]
    pub(super) queued: &'m [std::collections::VecDeque<u32>],
}

impl Mover<'_> {
    /// Move lots off the work list while each is at its destination or has room on its
    /// next darc; return the first that has not (it must queue, or be split).
    #[inline(always)]
    pub(super) fn run(&mut self, day: u32) -> Option<u32> {
        while let Some(id) = self.work.pop() {
            let s = &self.lots[id as usize];
            if !s.alive {
                self.free.push(id);
                continue;
            }
            if s.next == s.end {
                self.deliver(id, day);
                continue;
            }
            let a = self.step_darcs[s.next as usize] as usize;
            // A darc with a queue has no capacity left (the morning drain leaves it
            // empty or the capacity used up, and lots queue only where it is), and a lot
            // has at least one unit: room means nobody queues.
            #[cfg(debug_assertions)]
            debug_assert!(self.queued[a].is_empty() || self.left[a] == 0);
            if s.units <= self.left[a] {
                self.admit(id, a, day);
            } else {
                return Some(id);
            }
        }
        None
    }

    /// Admit lot `id` to darc `a` today (there is room).
    #[inline(always)]
    pub(super) fn admit(&mut self, id: u32, a: usize, day: u32) {
        let darc = &self.darcs[a];
        let s = &mut self.lots[id as usize];
        let u = s.units;
        self.left[a] -= u;
        self.step_units[s.next as usize] += u;
        let slot = darc.slot;
        if slot != u32::MAX {
            let value = self.value[s.product as usize];
            self.cross_value[slot as usize * self.days as usize + day as usize] +=
                tonnes(u) * value;
        }
        s.t_next = s.t_next.max(f64::from(day)) + darc.transit;
        s.next += 1;
        // t_next >= 0, so truncation is the floor.
        let when = s.t_next as u32;
        if when <= day {
            self.work.push(id);
        } else if when < self.days {
            if (when - day) < RING as u32 {
                self.due[when as usize % RING].push(id);
            } else {
                self.late.push((when, id));
            }
        } else {
            // It arrives after the window: it stays in transit.
            self.beyond.push(id);
        }
    }

    /// Lot `id` is at its destination today.
    #[inline(always)]
    pub(super) fn deliver(&mut self, id: u32, day: u32) {
        let s = &mut self.lots[id as usize];
        let pair = self.routes[s.route as usize].pair as usize;
        let p = s.product as usize;
        let value = self.value[p];
        let t = tonnes(s.units);
        self.in_system[s.demand as usize] -= s.units;
        self.delivered[p] += s.units;
        let np = self.value.len();
        self.pair_product_units[pair * np + p] += s.units;
        self.delivered_usd_daily[day as usize] += t * value;
        s.alive = false;
        self.free.push(id);
    }
}

impl Sim<'_> {
    /// The morning's movement: queues drain first (queued cargo goes first), then the
    /// lots due today move on.
    pub(super) fn move_cargo(&mut self, day: u32) {
        if self.state.any_queue() {
            for a in 0..self.state.queues.len() {
                self.drain_queue(a, day);
            }
        }
        let mut due = std::mem::take(&mut self.state.due[day as usize % RING]);
        self.work.append(&mut due);
        self.state.due[day as usize % RING] = due;
        if !self.state.late.is_empty() {
            let work = &mut self.work;
            self.state.late.retain(|&(when, id)| {
                if when == day {
                    work.push(id);
                }
                when != day
            });
        }
        self.process_work(day);
    }

    /// Admit darc `a`'s queue, front first, while it has capacity left today (the
    /// front lot is split if only part of it fits).
    fn drain_queue(&mut self, a: usize, day: u32) {
        while self.left[a] > 0 {
            let Some(&id) = self.state.queues[a].front() else {
                break;
            };
            if !self.state.lots[id as usize].alive {
                self.state.queues[a].pop_front();
                self.state.free.push(id);
                continue;
            }
            let u = self.state.lots[id as usize].units;
            let moved = if u <= self.left[a] {
                self.state.queues[a].pop_front();
                id
            } else {
                self.split(id, self.left[a])
            };
            let mu = self.state.lots[moved as usize].units;
            self.state.queue_units[a] -= mu;
            self.state.lots[moved as usize].queued_at = 0;
            self.mover().admit(moved, a, day);
        }
    }

    /// Move the lots on the work list as far as they go today.
    pub(super) fn process_work(&mut self, day: u32) {
        while let Some(id) = self.mover().run(day) {
            self.arrive(id, day);
        }
    }

    /// Split `take` units off lot `id` into a new lot, returned.
    pub(super) fn split(&mut self, id: u32, take: i64) -> u32 {
        let route = self.state.lots[id as usize].route;
        let perishable = self.routes.routes[route as usize].perishable;
        self.state.split(id, take, perishable)
    }

    /// The parts of the simulation that moving cargo touches, borrowed one by one.
    #[inline(always)]
    pub(super) fn mover(&mut self) -> Mover<'_> {
        let sums = &mut self.acc.sums;
        // Routes found since the last move have steps of their own.
        if sums.step_units.len() < self.routes.darcs.len() {
            sums.step_units.resize(self.routes.darcs.len(), 0);
        }
        let state = &mut self.state;
        Mover {
            darcs: &self.net.darcs,
            value: &self.net.value,
            routes: &self.routes.routes,
            lots: &mut state.lots,
            free: &mut state.free,
            in_system: &mut state.in_system,
            due: &mut state.due,
            late: &mut state.late,
            beyond: &mut state.beyond,
            left: &mut self.left,
            work: &mut self.work,
            step_darcs: &self.routes.darcs,
            step_units: &mut sums.step_units,
            delivered: &mut sums.delivered,
            pair_product_units: &mut sums.pair_product_units,
            cross_value: &mut self.acc.cross_value,
            delivered_usd_daily: &mut self.acc.delivered_usd_daily,
            days: self.days,
            #[cfg(debug_assertions)]
            queued: &state.queues,
        }
    }

    /// Lot `id` is at the entry of its next darc (or at its destination) today, and the
    /// darc has no room for all of it: as much as fits enters, the rest queues.
    #[inline(never)]
    fn arrive(&mut self, id: u32, day: u32) {
        let s = &self.state.lots[id as usize];
        if s.next == s.end {
            self.mover().deliver(id, day);
            return;
        }
        let a = self.routes.darcs[s.next as usize] as usize;
        let u = s.units;
        if self.state.queues[a].is_empty() && self.left[a] > 0 {
            if u <= self.left[a] {
                self.mover().admit(id, a, day);
            } else {
                let moved = self.split(id, self.left[a]);
                self.mover().admit(moved, a, day);
                self.state.enqueue(id, a, day);
            }
        } else {
            self.state.enqueue(id, a, day);
        }
    }
}
