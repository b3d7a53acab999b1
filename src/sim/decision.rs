//! Step 4 of the day, with `traders = "weigh"`: waiting or a detour. Cargo bound for a
//! crossing that is shut weighs the expected cost of waiting for it against the extra
//! cost of the cheapest open detour, and takes the cheaper (`docs/model.md`, "Waiting
//! or a detour").
//!
//! - **Beliefs** ([`Beliefs`](super::beliefs::Beliefs), `beliefs.rs`): what traders expect a closure of a link to last from the
//!   day they are at, E[D − a | D > a] for a closure that has lasted `a` days: from a
//!   stated `expected_closure_days` on one of the link's corridors (memoryless), or else
//!   from the duration laws of the closure processes and shock groups that target the
//!   link, mixed by their onset rates. While a closure window that states its own
//!   `expected_closure_days` holds a link shut, that belief (memoryless) replaces the
//!   link's (`Schedule::stated`). A link with none has no belief, and cargo there
//!   behaves as with myopic traders.
//! - **Waiting** costs, per tonne, (expected remaining closure days + the queue ahead ÷
//!   the link's normal daily capacity) × (holding cost + spoilage per day) × value; cargo
//!   that expects to wait longer than it may (a queued lot past `abandon_after_days`, an
//!   order past `order_patience_days`) does not wait: a queued lot or one under way counts
//!   its whole remaining value as the cost of waiting, and new trade is not held.
//! - **In the queue** (`turnback.rs`, with [`Sim::wait_parts`] and
//!   [`Sim::waiting_cost`]): a lot queued at a darc with a belief takes the cheapest
//!   route traders see open from there, if its extra cost over the rest of its present
//!   route is below the cost of waiting; the closure is known as it is in force (the lot
//!   is at the gate). This replaces the patience rule on those darcs; elsewhere the
//!   patience rule stays.
//! - **Under way** (`turnback.rs`, `Sim::reroute_under_way`): once traders see the
//!   closure, a lot whose remaining route crosses the shut darc re-decides the same way
//!   from the node it is heading for.
//! - **Before dispatch** ([`Sim::wait_inputs`]): the part of a darc's capacity a closure
//!   traders see has removed is offered to the day's min-cost flow as a *wait arc*
//!   beside the darc, at the darc's cost plus the cost of waiting; flow the optimum
//!   sends over a wait arc is held, not dispatched (its orders stay open), so new trade
//!   waits where waiting is cheaper than every detour that pays, and takes the detour
//!   otherwise.
//!
//! - **Traders who differ** (`belief_spread` > 0, `beliefs.rs`): each class of traders
//!   weighs its own belief (the link's × its factor, [`Sim::class_days`]); a lot carries
//!   its classes ([`Sim::diverting`] picks those that take the detour, and the lot
//!   splits), and each darc has one wait arc per class, with an equal share of the
//!   capacity the closure removed.
//!
//! Every input is a function of the day's state and of the closures (their factors and
//! how long each has lasted, which `Schedule::next_touched` compares with the base's),
//! so the reference and the fast path decide alike.

use crate::error::Error;
use crate::scenario::Scenario;

use super::network::UNITS_PER_T;
use super::routing::cost_int;
use super::Sim;

/// The cost of one day of waiting for a tonne of product `p`, USD/t: holding cost and
/// expected spoilage (no grace period, as in routing).
pub(super) fn per_day_cost(scn: &Scenario, p: usize) -> f64 {
    let prod = &scn.products[p];
    let per_day = prod.holding_cost_per_day + prod.perishability.map_or(0.0, |x| x.loss_per_day);
    per_day * prod.value_usd_per_t
}

/// The mask of `k` classes of traders (at most 32).
pub(super) fn all_classes(k: usize) -> u32 {
    if k >= 32 {
        u32::MAX
    } else {
        (1u32 << k) - 1
    }
}

impl Sim<'_> {
    /// Darc `a`'s normal capacity today (no closure; its season's), 0.01 t.
    fn normal_units(&self, a: usize, day: u32) -> i64 {
        let l = self.net.darcs[a].link as usize;
        let t = self.net.normal_capacity_t(self.scn, l, i64::from(day));
        (t * UNITS_PER_T + 1e-6).floor() as i64
    }

    /// Whether traders hold a belief about link `l` on `day` (as in force, or as they
    /// see it with `seen`): one of the link's own, or one the closure shutting it states.
    pub(super) fn believes(&self, l: usize, day: u32, seen: bool) -> bool {
        self.net.beliefs.has(l)
            && (self.net.beliefs.remaining(l, 0).is_some()
                || self.sched.stated(l, day, seen).is_some())
    }

    /// The expected days a tonne waits at darc `a` on `day` behind `ahead` units, in two
    /// parts: the expected remaining closure (as in force, or as traders see it with
    /// `seen`: the belief the closure states, or else the link's) and the queue ahead
    /// over the darc's normal daily capacity. A class of traders expects
    /// `closure × factor + queue` days ([`Sim::class_days`]). `None` when traders hold no
    /// belief about its link.
    pub(super) fn wait_parts(
        &self,
        a: usize,
        day: u32,
        ahead: i64,
        seen: bool,
    ) -> Option<(f64, f64)> {
        let l = self.net.darcs[a].link as usize;
        if !self.net.beliefs.has(l) {
            return None;
        }
        let closure = match self.sched.closed_age(l, day, seen) {
            Some(age) => match self.sched.stated(l, day, seen) {
                Some(days) => days,
                None => self.net.beliefs.remaining(l, age)?,
            },
            None => {
                self.net.beliefs.remaining(l, 0)?;
                0.0
            }
        };
        let normal = self.normal_units(a, day);
        let queue = if ahead <= 0 {
            0.0
        } else if normal > 0 {
            ahead as f64 / normal as f64
        } else {
            f64::INFINITY
        };
        Some((closure, queue))
    }

    /// The days class `c` of traders expects to wait, from [`Sim::wait_parts`]: its
    /// belief of the remaining closure (the link's × the class's factor) plus the queue.
    #[inline]
    pub(super) fn class_days(&self, (closure, queue): (f64, f64), c: usize) -> f64 {
        closure * self.net.beliefs.factors()[c] + queue
    }

    /// The classes (a mask; see [`Lot::classes`](super::state::Lot)) of a lot holding
    /// `held` that take a detour costing `extra` more than staying, USD/t, when class
    /// `c` expects to wait `days(c)` days, may wait `allowed` days and has `at_stake`
    /// USD/t to lose: those whose cost of waiting is above `extra`.
    pub(super) fn diverting(
        &self,
        p: usize,
        held: u32,
        extra: f64,
        allowed: f64,
        at_stake: f64,
        days: impl Fn(usize) -> f64,
    ) -> u32 {
        let mut out = 0;
        for c in 0..self.net.beliefs.classes() {
            if held & (1 << c) != 0 && extra < self.waiting_cost(p, days(c), allowed, at_stake) {
                out |= 1 << c;
            }
        }
        out
    }

    /// The mask of every class of traders.
    #[inline]
    pub(super) fn all_classes(&self) -> u32 {
        all_classes(self.net.beliefs.classes())
    }

    /// The expected cost of waiting `days` for a tonne of product `p`, USD/t, when it may
    /// wait at most `allowed` days (a queued lot is abandoned past `abandon_after_days`,
    /// an order lost past `order_patience_days`): `days` × the cost of a day, or, when it
    /// expects to wait longer than it may, all that it stands to lose (`at_stake`, USD/t).
    pub(super) fn waiting_cost(&self, p: usize, days: f64, allowed: f64, at_stake: f64) -> f64 {
        if days > allowed {
            at_stake
        } else {
            days * per_day_cost(self.scn, p)
        }
    }

    /// The day's inputs of product `p`'s wait arcs, into `self.wait_in`: per wait arc
    /// (in `ProductNet::wait_arcs` order) its capacity (the part of the darc's normal
    /// capacity that a closure traders see has removed) and its cost (the darc's, plus
    /// the expected cost of waiting behind the queue traders see), 0.01 USD/t. A darc
    /// traders see open offers no wait arc (capacity 0, the darc's cost).
    pub(super) fn wait_inputs(&mut self, p: usize, day: u32) -> Result<(), Error> {
        let mut w = std::mem::take(&mut self.wait_in);
        w.clear();
        if !self.sched.belief_seen_shut[day as usize] {
            // No closure seen where traders hold a belief: no wait arc is offered.
            for &(_, _, cost) in &self.nets[p].wait_arcs {
                w.push(0);
                w.push(cost);
            }
            self.wait_in = w;
            return Ok(());
        }
        let m = self.sched.max_lag as usize;
        // A darc's wait arcs are consecutive, one per class of traders, lowest belief
        // first; each class may hold its share of the capacity the closure removed.
        let classes = self.net.beliefs.classes();
        let nw = self.nets[p].wait_arcs.len();
        let mut k = 0;
        while k < nw {
            let a = self.nets[p].wait_arcs[k].0 as usize;
            let l = self.net.darcs[a].link as usize;
            let mut removed = 0;
            let mut parts = None;
            if self.sched.seen_factor(l, day) < 1.0 {
                let normal = self.normal_units(a, day);
                removed = (normal - self.state.seen_units[a]).max(0);
                if removed > 0 {
                    let lag = self.net.darc_lag[a] as usize;
                    let queue_seen = self.state.queue_hist.get(m - lag).map_or(0, |h| h[a]);
                    parts = self.wait_parts(a, day, queue_seen, true);
                }
            }
            // New trade may wait as long as its orders stay open; one that expects a
            // longer wait does not wait.
            let allowed = f64::from(self.scn.settings.order_patience_days);
            for c in 0..classes {
                let base_cost = self.nets[p].wait_arcs[k + c].2;
                let n = classes as i64;
                let mut cap = removed * (c as i64 + 1) / n - removed * c as i64 / n;
                let mut cost = base_cost;
                if cap > 0 {
                    match parts.map(|x| self.class_days(x, c)) {
                        Some(d) if d.is_finite() && d <= allowed => {
                            let c = d * per_day_cost(self.scn, p);
                            cost = cost_int(self.nets[p].darc_cost[a] + c)?;
                        }
                        _ => cap = 0,
                    }
                }
                w.push(cap);
                w.push(cost);
            }
            k += classes;
        }
        self.wait_in = w;
        Ok(())
    }
}
