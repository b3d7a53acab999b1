//! What carries over from one day to the next: the lots of cargo on their way and where
//! they are, the queues at links, the open orders, and the capacities in force. A run
//! whose state equals the counterfactual's on a quiet day continues as the
//! counterfactual (see `executor/`).

use std::collections::VecDeque;

/// Days of arrivals kept in the ring of buckets (further ones wait in a list).
pub(super) const RING: usize = 64;

/// A lot: cargo of one product, bound for one demand, moving along one route.
///
/// `repr(C)`, the fields that moving cargo reads and writes (`movement.rs`: size, time,
/// place, product, alive) first and together: 32 bytes, so that a lot's move mostly
/// touches one cache line (Rust's own order put `alive` last, past the 64th byte).
#[derive(Debug, Clone)]
#[repr(C)]
pub(super) struct Lot {
    /// Size, 0.01 t.
    pub(super) units: i64,
    /// Time (days since day 0) it reaches the entry of its next darc, or its destination.
    pub(super) t_next: f64,
    /// Index into the route book's darcs of the next darc; `end` once at the destination.
    pub(super) next: u32,
    pub(super) end: u32,
    /// Its product (cached from the route; a turn-back keeps it).
    pub(super) product: u32,
    /// False once delivered, spoiled whole or abandoned (its id is then recycled).
    pub(super) alive: bool,
    /// Its route (see `routes.rs`).
    pub(super) route: u32,
    /// Destination demand (cached from the route; a turn-back keeps it).
    pub(super) demand: u32,
    /// darc + 1 while queued, 0 otherwise.
    pub(super) queued_at: u32,
    /// Day it left its origin (perishables age from then); before day 0 for cargo of
    /// the steady start.
    pub(super) dispatched: i64,
    /// Day it joined the queue it is in.
    pub(super) queued_since: i64,
    /// Share of its value lost to spoilage so far.
    pub(super) decay: f64,
    /// The classes of traders whose cargo it is (`decision.rs`), one bit each, in equal
    /// shares; 0: every class (a lot as dispatched). Set when a class decision splits a
    /// lot, never to the mask of every class, so equal cargo has equal masks.
    pub(super) classes: u32,
}

/// The state of a simulation between two days: everything that decides what happens
/// next.
#[derive(Debug, Default)]
pub(super) struct State {
    /// Capacity today, per darc, 0.01 t.
    pub(super) cap_units: Vec<i64>,
    /// Capacity traders see today, per darc.
    pub(super) seen_units: Vec<i64>,
    /// Units queued per darc.
    pub(super) queue_units: Vec<i64>,
    /// Queue sizes at the end of the last `lag + 1` days, oldest first, per darc.
    pub(super) queue_hist: VecDeque<Vec<i64>>,
    /// Lots queued per darc, in arrival order.
    pub(super) queues: Vec<VecDeque<u32>>,
    pub(super) lots: Vec<Lot>,
    /// Ids of dead lots, free for reuse.
    pub(super) free: Vec<u32>,
    /// Ids of lots of perishable products (checked each evening); `listed[id]` says
    /// whether an id is in the list (ids are recycled).
    pub(super) perishable: Vec<u32>,
    pub(super) listed: Vec<bool>,
    /// Units in the system (dispatched, not yet delivered or lost), per destination.
    pub(super) in_system: Vec<i64>,
    /// Arrivals by day, a ring of `RING` days (buckets keep their capacity); arrivals
    /// further ahead wait in `late` as (day, lot).
    pub(super) due: Vec<Vec<u32>>,
    pub(super) late: Vec<(u32, u32)>,
    /// Open orders per demand: (day placed, units), oldest first.
    pub(super) orders: Vec<VecDeque<(i64, i64)>>,
    /// Units of open orders per demand.
    pub(super) open_units: Vec<i64>,
    /// Lots that arrive after the window (they stay in transit).
    pub(super) beyond: Vec<u32>,
    /// Per demand: its market price (0.01 USD/t) at the last routing of its product, when
    /// the scenario's demand answers prices (`Network::elastic`; else empty): tomorrow's
    /// orders depend on it, so it is state.
    pub(super) market: Vec<i64>,
}

impl State {
    /// The state before day 0 (no cargo, no orders, no queues) for `nd` darcs, `nk`
    /// demands and a reaction lag of `lag` days, in this state's buffers.
    pub(super) fn reset(mut self, nd: usize, nk: usize, lag: u32) -> State {
        fn zeros(v: &mut Vec<i64>, n: usize) {
            v.clear();
            v.resize(n, 0);
        }
        zeros(&mut self.cap_units, nd);
        zeros(&mut self.seen_units, nd);
        zeros(&mut self.queue_units, nd);
        self.queue_hist.resize_with(lag as usize + 1, Vec::new);
        for h in &mut self.queue_hist {
            zeros(h, nd);
        }
        self.queues.resize_with(nd, VecDeque::new);
        self.queues.iter_mut().for_each(VecDeque::clear);
        self.lots.clear();
        self.free.clear();
        self.perishable.clear();
        self.listed.clear();
        zeros(&mut self.in_system, nk);
        self.due.resize_with(RING, Vec::new);
        self.due.iter_mut().for_each(Vec::clear);
        self.late.clear();
        self.orders.resize_with(nk, VecDeque::new);
        self.orders.iter_mut().for_each(VecDeque::clear);
        zeros(&mut self.open_units, nk);
        self.beyond.clear();
        self.market.clear();
        self
    }

    /// Store a new lot (in a free slot if there is one) and return its id; a lot of a
    /// perishable product is listed for the evening check.
    #[inline]
    pub(super) fn add_lot(&mut self, lot: Lot, perishable: bool) -> u32 {
        let id = if let Some(id) = self.free.pop() {
            self.lots[id as usize] = lot;
            id
        } else {
            self.lots.push(lot);
            self.listed.push(false);
            (self.lots.len() - 1) as u32
        };
        if perishable && !self.listed[id as usize] {
            self.listed[id as usize] = true;
            self.perishable.push(id);
        }
        id
    }

    /// Split `take` units off lot `id` into a new lot (same state), returned.
    pub(super) fn split(&mut self, id: u32, take: i64, perishable: bool) -> u32 {
        let mut lot = self.lots[id as usize].clone();
        lot.units = take;
        self.lots[id as usize].units -= take;
        self.add_lot(lot, perishable)
    }

    /// Put lot `id` at the back of darc `a`'s queue on `day`.
    pub(super) fn enqueue(&mut self, id: u32, a: usize, day: u32) {
        // Turn-backs and abandonment rely on queues being in arrival order.
        debug_assert!(self.queues[a]
            .back()
            .is_none_or(|&b| self.lots[b as usize].queued_since <= i64::from(day)));
        let lot = &mut self.lots[id as usize];
        lot.queued_at = a as u32 + 1;
        lot.queued_since = i64::from(day);
        self.queue_units[a] += lot.units;
        self.queues[a].push_back(id);
    }

    /// Whether any darc has a queue.
    pub(super) fn any_queue(&self) -> bool {
        self.queues.iter().any(|q| !q.is_empty())
    }
}

impl Clone for State {
    fn clone(&self) -> Self {
        let mut s = State::default();
        s.clone_from(self);
        s
    }

    /// Field by field, so that a run taking the counterfactual's state keeps the
    /// buffers it has (the derived `clone_from` would allocate them all anew).
    fn clone_from(&mut self, o: &Self) {
        // Exhaustive, so that a new field cannot be forgotten here.
        crate::clone_fields_from!(
            State,
            self,
            o,
            [
                cap_units,
                seen_units,
                queue_units,
                queue_hist,
                queues,
                lots,
                free,
                perishable,
                listed,
                in_system,
                due,
                late,
                orders,
                open_units,
                beyond,
                market,
            ]
        );
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

/// How the run's state `me` at the start of `day` compares with the counterfactual's
/// `cf`: the same cargo in the same arrival and queue order and the same recent queues
/// (what traders see), and the same open orders or not.
pub(super) fn likeness(me: &State, cf: &State, day: u32) -> Likeness {
    if !same_cargo(me, cf, day) {
        Likeness::Different
    } else if me.open_units == cf.open_units && me.orders == cf.orders && me.market == cf.market {
        Likeness::Same
    } else {
        Likeness::OrdersOnly
    }
}

/// Equal as cargo: same route, place, size, times and decay (dead lots only as dead).
fn same_lot(a: &Lot, b: &Lot) -> bool {
    if !a.alive || !b.alive {
        return a.alive == b.alive;
    }
    a.route == b.route
        && a.next == b.next
        && a.units == b.units
        && a.t_next.to_bits() == b.t_next.to_bits()
        && a.dispatched == b.dispatched
        && a.queued_since == b.queued_since
        && a.queued_at == b.queued_at
        && a.decay.to_bits() == b.decay.to_bits()
        && a.classes == b.classes
}

fn same_lists(a: &[u32], la: &[Lot], b: &[u32], lb: &[Lot]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(&x, &y)| same_lot(&la[x as usize], &lb[y as usize]))
}

/// Whether the cargo, queues and recent queues of `me` at the start of `day` are `cf`'s.
fn same_cargo(me: &State, cf: &State, day: u32) -> bool {
    if me.in_system != cf.in_system
        || me.queue_units != cf.queue_units
        || me.queue_hist != cf.queue_hist
        || me.late.len() != cf.late.len()
    {
        return false;
    }
    let (mine, theirs) = (&me.lots[..], &cf.lots[..]);
    for k in 0..RING {
        let b = (day as usize + k) % RING;
        if !same_lists(&me.due[b], mine, &cf.due[b], theirs) {
            return false;
        }
    }
    let late_same =
        me.late.iter().zip(&cf.late).all(|(&(w1, x), &(w2, y))| {
            w1 == w2 && same_lot(&mine[x as usize], &theirs[y as usize])
        });
    if !late_same {
        return false;
    }
    for (qa, qb) in me.queues.iter().zip(&cf.queues) {
        if qa.len() != qb.len()
            || !qa
                .iter()
                .zip(qb)
                .all(|(&x, &y)| same_lot(&mine[x as usize], &theirs[y as usize]))
        {
            return false;
        }
    }
    // Cargo arriving after the window: order does not matter, only the lots.
    let alive = |ids: &[u32], lots: &[Lot]| -> Vec<u32> {
        ids.iter()
            .copied()
            .filter(|&i| lots[i as usize].alive)
            .collect()
    };
    let (mut ba, mut bb) = (alive(&me.beyond, mine), alive(&cf.beyond, theirs));
    if ba.len() != bb.len() {
        return false;
    }
    if !ba.is_empty() {
        let key = |lots: &[Lot], i: u32| {
            let x = &lots[i as usize];
            (
                x.route,
                x.next,
                x.units,
                x.t_next.to_bits(),
                x.dispatched,
                x.decay.to_bits(),
                x.classes,
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
