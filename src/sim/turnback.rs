//! Step 4a of the day, before each product is routed: turning back. A lot that has
//! waited `queue_patience_days` in a queue looks, each day, for another route to its
//! destination that traders see as open (the cheapest path for its product on the
//! capacity they see left, avoiding the blocked darc); as much of it as fits takes that
//! route at once (the drive back is not simulated), the rest keeps waiting.
//!
//! With `traders = "weigh"`, a lot queued at a darc whose link traders hold a belief
//! about does not count its patience: each day it takes that route when its extra cost
//! over the rest of its present route is below the expected cost of waiting
//! (`decision.rs`), and waits otherwise.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use super::Sim;

/// A turn-back route: the cheapest path for `product` from the entry of darc `avoid`
/// to node `to`, avoiding that darc, when the darcs traders see open are `mask`.
struct RouteMemo {
    product: u32,
    from: u32,
    avoid: u32,
    to: u32,
    mask: Vec<u64>,
    route: Option<Vec<u32>>,
    /// The route's cost, USD/t (the sum of its darcs' costs).
    cost: f64,
}

/// Buffers of turning back.
#[derive(Default)]
pub(super) struct TurnBack {
    /// Routes found, by product, queued darc, destination and open darcs (a function of
    /// these: remembered on the fast path only).
    memo: Vec<RouteMemo>,
    /// Which darcs traders see open (perceived capacity > 0), one bit each.
    open_mask: Vec<u64>,
    dijkstra: Dijkstra,
    /// Lots under way, in the order they are due, with their arrival bucket
    /// (`u32::MAX`: in the late list; see [`Sim::reroute_under_way`]).
    under_way: Vec<(u32, u32)>,
}

/// Buffers of [`Sim::cheapest_path`].
#[derive(Default)]
struct Dijkstra {
    dist: Vec<f64>,
    via: Vec<u32>,
    done: Vec<bool>,
    /// The fast path's frontier: (distance, node), least first (see
    /// [`Sim::cheapest_path`]).
    heap: BinaryHeap<Reverse<(Dist, u32)>>,
}

/// A distance of the search, ordered as `<` orders them (they are never NaN, and never
/// −0.0: they start at +0.0 and grow by sums).
#[derive(Clone, Copy, PartialEq)]
struct Dist(f64);

impl Eq for Dist {}

impl PartialOrd for Dist {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Dist {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

impl Sim<'_> {
    /// Queued lots of product `p` past their patience take another route, if traders
    /// see one open.
    pub(super) fn turn_back(&mut self, p: usize, day: u32) {
        if self.queued_darcs.is_empty() {
            return;
        }
        let patience = self.scn.settings.queue_patience_days;
        let mut tb = std::mem::take(&mut self.turn);
        let TurnBack {
            memo,
            open_mask,
            dijkstra,
            ..
        } = &mut tb;
        if !self.shortcuts.memo {
            memo.clear();
        }
        // The mask is made when a lot first needs a route.
        let mut mask_made = false;
        let queued = std::mem::take(&mut self.queued_darcs);
        for &a32 in &queued {
            let a = a32 as usize;
            // Traders weigh waiting against a detour here (`decision.rs`).
            let weigh = self.believes(self.net.darcs[a].link as usize, day, false);
            // Units ahead of the lot at `i` that stay in the queue.
            let mut ahead = 0i64;
            let mut i = 0;
            while i < self.state.queues[a].len() {
                let id = self.state.queues[a][i];
                let s = &self.state.lots[id as usize];
                // Queues are in arrival order, so the lots past their patience are a
                // prefix.
                if !weigh && i64::from(day) < s.queued_since + i64::from(patience) {
                    break;
                }
                if !s.alive {
                    i += 1;
                    continue;
                }
                if s.product as usize != p {
                    ahead += s.units;
                    i += 1;
                    continue;
                }
                let demand = s.demand;
                if !mask_made {
                    open_mask.clear();
                    open_mask.resize(self.net.darcs.len().div_ceil(64), 0);
                    for (a, &c) in self.perceived.iter().enumerate() {
                        if c > 0 {
                            open_mask[a / 64] |= 1 << (a % 64);
                        }
                    }
                    mask_made = true;
                }
                let from = self.net.darcs[a].from;
                let to = self.scn.demands[demand as usize].node.0;
                let hit = memo.iter().position(|m| {
                    m.product == p as u32
                        && m.from == from
                        && m.avoid == a32
                        && m.to == to
                        && m.mask == *open_mask
                });
                let k = match hit {
                    Some(k) => k,
                    None => {
                        if memo.len() >= 256 || !self.shortcuts.memo {
                            memo.clear();
                        }
                        let route = self.cheapest_path(dijkstra, p, from, to, a);
                        let cost = route.as_deref().map_or(0.0, |r| {
                            r.iter().map(|&x| self.nets[p].darc_cost[x as usize]).sum()
                        });
                        memo.push(RouteMemo {
                            product: p as u32,
                            from,
                            avoid: a32,
                            to,
                            mask: open_mask.clone(),
                            route,
                            cost,
                        });
                        memo.len() - 1
                    }
                };
                let Some(route) = memo[k].route.as_deref() else {
                    ahead += s.units;
                    i += 1;
                    continue;
                };
                if weigh {
                    // The rest of its present route, from this darc on.
                    let rest: f64 = self.routes.darcs[s.next as usize..s.end as usize]
                        .iter()
                        .map(|&x| self.nets[p].darc_cost[x as usize])
                        .sum();
                    let extra = memo[k].cost - rest;
                    // It may wait until the end of day queued_since + abandon - 1.
                    let abandon = self.scn.settings.abandon_after_days;
                    let allowed = (s.queued_since + i64::from(abandon)) as f64 - f64::from(day);
                    let at_stake = self.net.value[p] * (1.0 - s.decay).max(0.0);
                    let parts = self.wait_parts(a, day, ahead, false).unwrap_or((0.0, 0.0));
                    // Each class of traders in the lot weighs its own belief.
                    let held = if s.classes == 0 {
                        self.all_classes()
                    } else {
                        s.classes
                    };
                    let go = self.diverting(p, held, extra, allowed, at_stake, |c| {
                        self.class_days(parts, c)
                    });
                    let take = i64::try_from(
                        i128::from(s.units) * i128::from(go.count_ones())
                            / i128::from(held.count_ones()),
                    )
                    .unwrap_or(0);
                    if go == 0 || take == 0 {
                        ahead += s.units;
                        i += 1;
                        continue;
                    }
                    if go != held {
                        // The classes that divert become a lot of their own, just
                        // ahead of the rest in the queue (the same arrival), and are
                        // taken next; the rest stay.
                        let part = self.split(id, take);
                        self.state.lots[part as usize].classes = go;
                        self.state.lots[id as usize].classes = held & !go;
                        self.state.queues[a].insert(i, part);
                        continue;
                    }
                }
                let room = route
                    .iter()
                    .map(|&r| self.perceived[r as usize])
                    .min()
                    .unwrap_or(i64::MAX);
                if room <= 0 {
                    ahead += s.units;
                    i += 1;
                    continue;
                }
                let u = s.units;
                let moved = if u <= room {
                    self.state.queues[a].remove(i);
                    id
                } else {
                    i += 1;
                    ahead += u - room;
                    self.split(id, room)
                };
                let mu = self.state.lots[moved as usize].units;
                self.state.queue_units[a] -= mu;
                for &r in route {
                    let r = r as usize;
                    self.perceived[r] -= mu;
                    if self.perceived[r] <= 0 {
                        open_mask[r / 64] &= !(1 << (r % 64));
                    }
                }
                self.put_on_route(moved, demand, route);
                let s = &mut self.state.lots[moved as usize];
                s.queued_at = 0;
                s.t_next = f64::from(day);
                self.work.push(moved);
            }
        }
        self.queued_darcs = queued;
        self.turn = tb;
    }

    /// With traders who weigh (`decision.rs`): lots of product `p` under way whose
    /// remaining route crosses a darc traders see shut and hold a belief about re-decide.
    /// From the node they are heading for, the cheapest route traders see open that
    /// avoids that darc is taken, by the whole lot, when its extra cost over the rest of
    /// the present route is below the expected cost of waiting there (the expected
    /// remaining closure less the days until the lot would reach it, plus the queue
    /// traders see ahead over its normal capacity) and the route has room for the lot.
    /// Lots are taken in the order they are due (the arrival buckets from tomorrow on,
    /// then the later arrivals), which the fast path compares with the base's.
    pub(super) fn reroute_under_way(&mut self, p: usize, day: u32) {
        let beliefs = &self.net.beliefs;
        if !self.sched.belief_seen_shut[day as usize] {
            return;
        }
        let mut ids = std::mem::take(&mut self.turn.under_way);
        ids.clear();
        for k in 1..super::state::RING {
            let b = (day as usize + k) % super::state::RING;
            ids.extend(self.state.due[b].iter().map(|&id| (id, b as u32)));
        }
        ids.extend(self.state.late.iter().map(|&(_, id)| (id, u32::MAX)));
        let mut tb = std::mem::take(&mut self.turn);
        if !self.shortcuts.memo {
            tb.memo.clear();
        }
        let mut mask_made = false;
        let m = self.sched.max_lag as usize;
        for &(id, b) in &ids {
            // Its arrival bucket, or `None` in the late list.
            let whence = (b != u32::MAX).then_some(b);
            let s = &self.state.lots[id as usize];
            if !s.alive || s.product as usize != p || s.queued_at != 0 || s.next >= s.end {
                continue;
            }
            // The first darc ahead that traders see shut and hold a belief about, and the
            // days until the lot reaches it.
            let mut until = (s.t_next - f64::from(day)).max(0.0);
            let mut shut = None;
            for &c in &self.routes.darcs[s.next as usize..s.end as usize] {
                let l = self.net.darcs[c as usize].link as usize;
                if beliefs.has(l)
                    && self.sched.seen_factor(l, day) < 1.0
                    && self.believes(l, day, true)
                {
                    shut = Some(c as usize);
                    break;
                }
                until += self.net.darcs[c as usize].transit;
            }
            let Some(c) = shut else {
                continue;
            };
            let queue_seen = self
                .state
                .queue_hist
                .get(m - self.net.darc_lag[c] as usize)
                .map_or(0, |h| h[c]);
            let Some(parts) = self.wait_parts(c, day, queue_seen, true) else {
                continue;
            };
            let abandon = f64::from(self.scn.settings.abandon_after_days);
            let at_stake = self.net.value[p] * (1.0 - s.decay).max(0.0);
            let held = if s.classes == 0 {
                self.all_classes()
            } else {
                s.classes
            };
            let from = self.net.darcs[self.routes.darcs[s.next as usize] as usize].from;
            let to = self.scn.demands[s.demand as usize].node.0;
            let rest: f64 = self.routes.darcs[s.next as usize..s.end as usize]
                .iter()
                .map(|&x| self.nets[p].darc_cost[x as usize])
                .sum();
            let (units, demand) = (s.units, s.demand);
            // The detour, remembered by product, ends, avoided darc and the darcs open
            // (a function of these; the mask is made again after every diversion).
            if !mask_made {
                tb.open_mask.clear();
                tb.open_mask.resize(self.net.darcs.len().div_ceil(64), 0);
                for (a, &cap) in self.perceived.iter().enumerate() {
                    if cap > 0 {
                        tb.open_mask[a / 64] |= 1 << (a % 64);
                    }
                }
                mask_made = true;
            }
            let hit = tb.memo.iter().position(|x| {
                x.product == p as u32
                    && x.from == from
                    && x.avoid == c as u32
                    && x.to == to
                    && x.mask == tb.open_mask
            });
            let k = match hit {
                Some(k) => k,
                None => {
                    if tb.memo.len() >= 256 {
                        tb.memo.clear();
                    }
                    let route = self.cheapest_path(&mut tb.dijkstra, p, from, to, c);
                    let cost = route.as_deref().map_or(0.0, |r| {
                        r.iter().map(|&x| self.nets[p].darc_cost[x as usize]).sum()
                    });
                    tb.memo.push(RouteMemo {
                        product: p as u32,
                        from,
                        avoid: c as u32,
                        to,
                        mask: tb.open_mask.clone(),
                        route,
                        cost,
                    });
                    tb.memo.len() - 1
                }
            };
            let Some(route) = tb.memo[k].route.clone() else {
                continue;
            };
            // Each class of traders in the lot weighs its own belief.
            let extra = tb.memo[k].cost - rest;
            let go = self.diverting(p, held, extra, abandon, at_stake, |cl| {
                (self.class_days(parts, cl) - until).max(0.0)
            });
            let take = i64::try_from(
                i128::from(units) * i128::from(go.count_ones()) / i128::from(held.count_ones()),
            )
            .unwrap_or(0);
            if go == 0 || take == 0 {
                continue;
            }
            let room = route
                .iter()
                .map(|&r| self.perceived[r as usize])
                .min()
                .unwrap_or(i64::MAX);
            if room < take {
                continue;
            }
            for &r in &route {
                self.perceived[r as usize] -= take;
            }
            mask_made = false;
            let moved = if go == held {
                id
            } else {
                // The classes that divert become a lot of their own, due when the
                // rest is (after the lots due then); the rest keep their route.
                let part = self.split(id, take);
                self.state.lots[part as usize].classes = go;
                self.state.lots[id as usize].classes = held & !go;
                match whence {
                    Some(b) => self.state.due[b as usize].push(part),
                    None => {
                        let when = self.state.late.iter().find(|x| x.1 == id).map(|x| x.0);
                        if let Some(w) = when {
                            self.state.late.push((w, part));
                        }
                    }
                }
                part
            };
            self.put_on_route(moved, demand, &route);
        }
        tb.under_way = ids;
        self.turn = tb;
    }

    /// Put lot `id` (bound for `demand`, keeping its trade pair) on `route` from its
    /// next darc on.
    fn put_on_route(&mut self, id: u32, demand: u32, route: &[u32]) {
        let pair = self.routes.routes[self.state.lots[id as usize].route as usize].pair;
        let rid = self.routes.intern(self.scn, demand, pair, route);
        let (start, len) = {
            let r = &self.routes.routes[rid as usize];
            (r.start, r.len)
        };
        let s = &mut self.state.lots[id as usize];
        s.route = rid;
        s.next = start;
        s.end = start + len;
    }

    /// Dijkstra for product `p` on the capacity traders see, avoiding darc `avoid`.
    fn cheapest_path(
        &self,
        dij: &mut Dijkstra,
        p: usize,
        from: u32,
        to: u32,
        avoid: usize,
    ) -> Option<Vec<u32>> {
        let n = self.scn.nodes.len();
        let cost = &self.nets[p].darc_cost;
        let Dijkstra {
            dist,
            via,
            done,
            heap,
        } = dij;
        dist.clear();
        dist.resize(n, f64::INFINITY);
        via.clear();
        via.resize(n, u32::MAX);
        done.clear();
        done.resize(n, false);
        dist[from as usize] = 0.0;
        // The fast path keeps the frontier in a heap: it yields the node the reference's
        // scan picks (the least distance not done, the lowest node on a tie), as every
        // node not done with a finite distance has an entry of that distance, and
        // entries no longer current are passed over.
        let fast = self.shortcuts.memo;
        heap.clear();
        if fast {
            heap.push(Reverse((Dist(0.0), from)));
        }
        loop {
            let mut v = usize::MAX;
            let mut best = f64::INFINITY;
            if fast {
                while let Some(Reverse((Dist(d), i))) = heap.pop() {
                    if !done[i as usize] && d == dist[i as usize] {
                        (best, v) = (d, i as usize);
                        break;
                    }
                }
            } else {
                for (i, (&dv, &dn)) in dist.iter().zip(done.iter()).enumerate() {
                    if !dn && dv < best {
                        best = dv;
                        v = i;
                    }
                }
            }
            if v == usize::MAX {
                return None;
            }
            if v == to as usize {
                break;
            }
            done[v] = true;
            for &a in &self.net.out[v] {
                if a as usize == avoid || self.perceived[a as usize] <= 0 {
                    continue;
                }
                let w = self.net.darcs[a as usize].to as usize;
                let nd = best + cost[a as usize];
                if nd < dist[w] {
                    dist[w] = nd;
                    via[w] = a;
                    if fast && !done[w] {
                        heap.push(Reverse((Dist(nd), w as u32)));
                    }
                }
            }
        }
        let mut route = Vec::new();
        let mut v = to as usize;
        while v != from as usize {
            let a = via[v];
            if a == u32::MAX {
                return None;
            }
            route.push(a);
            v = self.net.darcs[a as usize].from as usize;
        }
        route.reverse();
        Some(route)
    }
}
