//! Prices: the market price and the farm-gate price of each product, read from the
//! day's routing optimum (step 4, `routing.rs`). A run and its counterfactual both have
//! them every day; their difference is the price impact of the closures
//! (`docs/model.md`, "Prices").
//!
//! - The **market price** at a demand market (node, product) is the marginal landed
//!   cost: the cost of delivering one more tonne there, i.e. the shortest distance from
//!   the source `s` to the node in the residual network of the optimum, bounded above
//!   by the buyer's value (no route, or only dearer ones: the buyer's value is the
//!   price).
//! - The **farm-gate price** at a supply point (node, product) is the value of one more
//!   tonne available there: minus the shortest distance from the node to the sink `t`,
//!   bounded below by the origin price.
//!
//! The residual network has every arc with room left at `+cost` and every arc with flow
//! backwards at `-cost`. Its shortest distances are a function of the flows and
//! capacities alone, so with canonical flows (`NetworkSimplex::solve_canonical`) the
//! prices are a function of the day's routing inputs: the fast path may take them over
//! wherever it takes over a plan. They are computed by a label-correcting search
//! (Bellman-Ford with a queue) in integers of 0.01 USD/t, so they are exact: no
//! negative cycle exists at an optimum, and finding one is an internal error. The
//! residual network depends only on which arcs have room and which carry flow; a solve
//! that changes neither keeps the last prices without a search. The fast path reads it
//! again only at the arcs whose flow or capacity changed since the last read (the
//! reference reads every arc), so a solve that changes little costs little.

use std::collections::VecDeque;

use crate::error::{Error, SimError};
use crate::flow::NetworkSimplex;
use crate::scenario::Scenario;

use super::metrics::{PriceDaily, PriceMetrics};
use super::network::COST_SCALE;
use super::points::{Point, Points, Side};
use super::price_cache::PriceCache;

/// The search's buffers, kept from one solve to the next, and the residual network of
/// the last prices computed.
#[derive(Debug, Default)]
pub(super) struct Search {
    /// Ends and cost of every arc of the solver's network (fixed once it is built).
    ends: Vec<(u32, u32)>,
    cost: Vec<i64>,
    /// Which residual arcs each arc had at the last computation, two bits per arc (32
    /// arcs a word): bit 0 room left (`flow < capacity`), bit 1 flow to send back
    /// (`flow > 0`). The residual network, and so the prices, are a function of these
    /// bits alone.
    pattern: Vec<u64>,
    /// `pattern` and the prices computed from it are current.
    known: bool,
    /// The flows `pattern` was read from (of the arcs searched), and the capacity of the
    /// last of them (the bypass, whose capacity is not in the key).
    seen_flows: Vec<i64>,
    seen_rest: i64,
    /// Arcs whose capacity changed since `pattern` was read (`Search::capacity_changed`;
    /// an arc may be listed twice); `every_cap` once more changed than there are arcs.
    cap_changed: Vec<u32>,
    every_cap: bool,
    /// `out` and `into` are the residual network of `pattern`.
    built: bool,
    /// The residual network as adjacency arrays: edges leaving each node (`out`) and
    /// entering it (`into`), as (other end, cost); node `x`'s are
    /// `start[x]..start[x + 1]`.
    out_start: Vec<u32>,
    out: Vec<(u32, i64)>,
    into_start: Vec<u32>,
    into: Vec<(u32, i64)>,
    dist: Vec<i64>,
    queued: Vec<bool>,
    /// Times each node entered the queue.
    relaxed: Vec<u32>,
    queue: VecDeque<u32>,
}

const UNREACHED: i64 = i64::MAX;

impl Clone for Search {
    fn clone(&self) -> Self {
        let mut s = Search::default();
        s.clone_from(self);
        s
    }

    /// Field by field, keeping this search's buffers (every run starts from a fresh
    /// copy of its routing networks). Exhaustive, so a new field cannot be forgotten.
    fn clone_from(&mut self, o: &Self) {
        crate::clone_fields_from!(
            Search,
            self,
            o,
            [
                ends,
                cost,
                pattern,
                known,
                seen_flows,
                seen_rest,
                cap_changed,
                every_cap,
                built,
                out_start,
                out,
                into_start,
                into,
                dist,
                queued,
                relaxed,
                queue,
            ]
        );
    }
}

impl Search {
    /// Buffers for the first `m` arcs of `solver`'s network (they must all be added,
    /// their costs set; the residual network the prices search is made of them alone).
    pub(super) fn new(solver: &NetworkSimplex, m: usize) -> Search {
        let n = solver.num_nodes();
        let m = m.min(solver.num_arcs());
        let ends = (0..m)
            .map(|a| {
                solver
                    .arc_ends(a)
                    .map_or((0, 0), |(u, v)| (u as u32, v as u32))
            })
            .collect();
        Search {
            ends,
            cost: (0..m).map(|a| solver.cost(a)).collect(),
            pattern: vec![0; m.div_ceil(32)],
            known: false,
            seen_flows: vec![0; m],
            seen_rest: 0,
            cap_changed: Vec::new(),
            every_cap: true,
            built: false,
            out_start: vec![0; n + 1],
            into_start: vec![0; n + 1],
            dist: vec![UNREACHED; n],
            queued: vec![false; n],
            relaxed: vec![0; n],
            ..Search::default()
        }
    }

    /// Residual arcs of arc `a` in `pattern` (bit 0 forward, bit 1 backward).
    fn bits(&self, a: usize) -> u64 {
        (self.pattern[a / 32] >> (2 * (a % 32))) & 3
    }

    /// Note that the capacity of arc `a` changed (the owner calls this for every arc
    /// whose capacity it sets): its residual arcs are read again at the next solve.
    #[inline]
    pub(super) fn capacity_changed(&mut self, a: usize) {
        if self.cap_changed.len() < self.ends.len() {
            self.cap_changed.push(a as u32);
        } else {
            self.every_cap = true;
        }
    }

    /// The residual arcs of arc `a` (bit 0 room left, bit 1 flow to send back) at flow
    /// `f` and capacity `cap`.
    #[inline(always)]
    fn residual(f: i64, cap: i64) -> u64 {
        u64::from(f < cap) | (u64::from(f > 0) << 1)
    }

    /// Set arc `a`'s residual arcs in `pattern` to `now`; whether they changed.
    #[inline(always)]
    fn set_bits(&mut self, a: usize, now: u64) -> bool {
        let (w, sh) = (a / 32, 2 * (a % 32));
        let word = &mut self.pattern[w];
        let old = (*word >> sh) & 3;
        *word ^= (old ^ now) << sh;
        old != now
    }

    /// Read which residual arcs `solver`'s last optimum has; whether that changed since
    /// the last prices were computed. `caps` are the capacities of the first arcs,
    /// `rest` that of the others. With `every` (the reference) every arc is read;
    /// otherwise only the arcs whose flow or capacity changed since the last read (the
    /// pattern is a function of the flows and capacities, so it is the same: a debug
    /// build checks it against the full read).
    fn read_pattern(
        &mut self,
        solver: &NetworkSimplex,
        caps: &[i64],
        rest: i64,
        every: bool,
    ) -> bool {
        let flows = solver.flows();
        let m = self.ends.len().min(flows.len());
        let cap_of = |a: usize| caps.get(a).copied().unwrap_or(rest);
        let mut changed = !self.known;
        if every || !self.known || self.every_cap || self.seen_flows.len() != m {
            for (w, word) in self.pattern.iter_mut().enumerate() {
                let lo = (w * 32).min(m);
                let hi = (lo + 32).min(m);
                let mut now = 0u64;
                for (k, &f) in flows[lo..hi].iter().enumerate() {
                    now |= Search::residual(f, cap_of(lo + k)) << (2 * k);
                }
                if *word != now {
                    *word = now;
                    changed = true;
                }
            }
            self.seen_flows.clear();
            self.seen_flows.extend_from_slice(&flows[..m]);
        } else {
            // Flows: a pass that compares 32 arcs at a time (it vectorises), then the
            // arcs of the blocks that differ.
            for (w, now) in flows[..m].chunks(32).enumerate() {
                let lo = w * 32;
                let seen = &self.seen_flows[lo..lo + now.len()];
                if now.iter().zip(seen).fold(0, |d, (&a, &b)| d | (a ^ b)) == 0 {
                    continue;
                }
                for (k, &f) in now.iter().enumerate() {
                    if f != self.seen_flows[lo + k] {
                        self.seen_flows[lo + k] = f;
                        changed |= self.set_bits(lo + k, Search::residual(f, cap_of(lo + k)));
                    }
                }
            }
            // Capacities: the arcs whose capacity changed, and the bypass's.
            let mut listed = std::mem::take(&mut self.cap_changed);
            for &a in &listed {
                let a = a as usize;
                if a < m {
                    changed |= self.set_bits(a, Search::residual(flows[a], cap_of(a)));
                }
            }
            listed.clear();
            self.cap_changed = listed;
            if rest != self.seen_rest && m > 0 {
                changed |= self.set_bits(m - 1, Search::residual(flows[m - 1], rest));
            }
        }
        self.cap_changed.clear();
        self.every_cap = false;
        self.seen_rest = rest;
        #[cfg(debug_assertions)]
        for (a, &f) in flows[..m].iter().enumerate() {
            debug_assert_eq!(
                self.bits(a),
                Search::residual(f, cap_of(a)),
                "arc {a}: the residual network read in part is not the whole read"
            );
        }
        if changed {
            self.built = false;
        }
        changed
    }

    /// Build the residual network of `pattern` as adjacency arrays.
    fn build(&mut self) {
        if self.built {
            return;
        }
        // Count, prefix sums, fill.
        let n = self.dist.len();
        self.out_start.clear();
        self.out_start.resize(n + 1, 0);
        self.into_start.clear();
        self.into_start.resize(n + 1, 0);
        for a in 0..self.ends.len() {
            let ((u, v), bits) = (self.ends[a], self.bits(a));
            if u == v {
                continue;
            }
            if bits & 1 != 0 {
                self.out_start[u as usize + 1] += 1;
                self.into_start[v as usize + 1] += 1;
            }
            if bits & 2 != 0 {
                self.out_start[v as usize + 1] += 1;
                self.into_start[u as usize + 1] += 1;
            }
        }
        for x in 0..n {
            self.out_start[x + 1] += self.out_start[x];
            self.into_start[x + 1] += self.into_start[x];
        }
        self.out.clear();
        self.out.resize(self.out_start[n] as usize, (0, 0));
        self.into.clear();
        self.into.resize(self.into_start[n] as usize, (0, 0));
        let (mut next_out, mut next_into) = (self.out_start.clone(), self.into_start.clone());
        for a in 0..self.ends.len() {
            let ((u, v), bits) = (self.ends[a], self.bits(a));
            if u == v {
                continue;
            }
            let mut add = |from: u32, to: u32, c: i64| {
                let i = &mut next_out[from as usize];
                self.out[*i as usize] = (to, c);
                *i += 1;
                let j = &mut next_into[to as usize];
                self.into[*j as usize] = (from, c);
                *j += 1;
            };
            if bits & 1 != 0 {
                add(u, v, self.cost[a]);
            }
            if bits & 2 != 0 {
                add(v, u, -self.cost[a]);
            }
        }
        self.built = true;
    }

    /// Shortest distances in the residual network built by [`Search::build`]: from
    /// `root` to every node (`to_root` false), or from every node to `root` (`to_root`
    /// true), left in `self.dist` (`UNREACHED` where there is no path).
    fn distances(&mut self, root: usize, to_root: bool) -> Result<(), Error> {
        let n = self.dist.len();
        self.dist.fill(UNREACHED);
        self.queued.fill(false);
        self.relaxed.fill(0);
        self.queue.clear();
        self.dist[root] = 0;
        self.queue.push_back(root as u32);
        self.queued[root] = true;
        let (start, edges) = if to_root {
            (&self.into_start, &self.into)
        } else {
            (&self.out_start, &self.out)
        };
        while let Some(x) = self.queue.pop_front() {
            let x = x as usize;
            self.queued[x] = false;
            let dx = self.dist[x];
            for &(y, c) in &edges[start[x] as usize..start[x + 1] as usize] {
                let y = y as usize;
                let d = dx + c;
                if d < self.dist[y] {
                    self.dist[y] = d;
                    if !self.queued[y] {
                        // With a first-in first-out queue a node enters it at most
                        // once per pass, and n passes settle every distance unless
                        // there is a negative cycle.
                        self.relaxed[y] += 1;
                        if self.relaxed[y] as usize > n {
                            return Err(SimError::Internal(
                                "a routing optimum's residual network has a negative cycle".into(),
                            )
                            .into());
                        }
                        self.queued[y] = true;
                        self.queue.push_back(y as u32);
                    }
                }
            }
        }
        Ok(())
    }

    /// The prices of `points` (one product's) at `solver`'s last optimum, whose source
    /// is `s` and sink `t`, in `out` (0.01 USD/t). `out` must hold what this search
    /// computed last. With a `cache` (the fast path's shortcuts): when the residual
    /// network is the same, so are the prices, and `out` is left as it is; otherwise
    /// they are looked up in `cache` (prices by residual network, kept across the runs
    /// of an engine) or computed and kept there. Without (the reference), they are
    /// computed. `caps` are the
    /// capacities of the network's first arcs (by arc index), `rest` that of the others.
    #[allow(clippy::too_many_arguments)] // the network, its ends, its points, the buffers
    pub(super) fn prices(
        &mut self,
        solver: &NetworkSimplex,
        (caps, rest): (&[i64], i64),
        s: usize,
        t: usize,
        points: &[Point],
        out: &mut Vec<i64>,
        mut cache: Option<&mut PriceCache>,
    ) -> Result<(), Error> {
        // The search and the cache assume the arcs' costs fixed since `Search::new` (a
        // product's route costs do not change during an engine's life). Whoever makes
        // them change must rebuild the search and clear the product's cache.
        debug_assert!(
            (0..self.cost.len()).all(|a| solver.cost(a) == self.cost[a]),
            "routing costs changed after the price search was built"
        );
        let changed = self.read_pattern(solver, caps, rest, cache.is_none());
        if cache.is_some() && !changed && out.len() == points.len() {
            return Ok(());
        }
        self.known = false;
        out.clear();
        if let Some(known) = cache.as_ref().and_then(|c| c.map.get(&self.pattern)) {
            out.extend_from_slice(known);
            self.known = true;
            return Ok(());
        }
        out.resize(points.len(), 0);
        self.build();
        if points.iter().any(|q| q.side == Side::Market) {
            self.distances(s, false)?;
            for (o, q) in out.iter_mut().zip(points) {
                if q.side == Side::Market {
                    *o = self.dist[q.node as usize].min(q.bound);
                }
            }
        }
        if points.iter().any(|q| q.side == Side::FarmGate) {
            self.distances(t, true)?;
            for (o, q) in out.iter_mut().zip(points) {
                if q.side == Side::FarmGate {
                    let d = self.dist[q.node as usize];
                    *o = if d == UNREACHED {
                        q.bound
                    } else {
                        (-d).max(q.bound)
                    };
                }
            }
        }
        if let Some(c) = cache
            .as_mut()
            .filter(|c| c.map.len() < PriceCache::CAPACITY)
        {
            c.map.insert(self.pattern.clone(), out.clone());
        }
        self.known = true;
        Ok(())
    }
}

impl super::accounts::Accounts {
    /// Record product `p`'s prices (`prices`, in the order of its points) on `day`.
    pub(super) fn set_prices(&mut self, points: &Points, day: u32, p: usize, prices: &[i64]) {
        let at = day as usize * points.len() + points.offset[p];
        if let Some(dst) = self.prices.get_mut(at..at + prices.len()) {
            dst.copy_from_slice(prices);
        }
    }
}

/// USD/t of a price in 0.01 USD/t.
fn usd(c: i64) -> f64 {
    c as f64 / COST_SCALE
}

/// A simulation's prices by day: its own, or on the days it took from another
/// simulation (`Accounts::prices_taken`), that one's.
pub(super) struct Days<'a> {
    pub(super) own: &'a super::accounts::Accounts,
    pub(super) taken: &'a super::accounts::Accounts,
}

impl Days<'_> {
    /// The prices of day `d` (`n` points).
    fn row(&self, d: usize, n: usize) -> &[i64] {
        let from = if self.own.prices_taken.get(d).copied().unwrap_or(false) {
            self.taken
        } else {
            self.own
        };
        from.prices.get(d * n..(d + 1) * n).unwrap_or(&[])
    }
}

/// The run's price metrics against the counterfactual's: per point, over days `0..end`
/// (the window and the run-out); the counterfactual's mean price is over the `window`.
pub(super) fn metrics(
    scn: &Scenario,
    points: &Points,
    run: &Days<'_>,
    cf: &Days<'_>,
    end: usize,
    window: u32,
) -> Vec<PriceMetrics> {
    let n = points.len();
    let mut sum = vec![0i64; n];
    let mut cf_sum = vec![0i64; n];
    let mut peak: Vec<Option<(i64, usize)>> = vec![None; n];
    for d in 0..end {
        let (r, c) = (run.row(d, n), cf.row(d, n));
        if d < window as usize {
            for (s, &c) in cf_sum.iter_mut().zip(c) {
                *s += c;
            }
        }
        if r == c {
            continue;
        }
        for (i, (&r, &c)) in r.iter().zip(c).enumerate() {
            let change = r - c;
            sum[i] += change;
            if change != 0 && peak[i].is_none_or(|(p, _)| change.abs() > p.abs()) {
                peak[i] = Some((change, d));
            }
        }
    }
    let (w, days) = (f64::from(window.max(1)), end.max(1) as f64);
    points
        .points
        .iter()
        .enumerate()
        .map(|(i, q)| PriceMetrics {
            product: scn.products[q.product as usize].id.clone(),
            node: scn.nodes[q.node as usize].id.clone(),
            side: q.side.name().to_string(),
            counterfactual_mean_usd_per_t: usd(cf_sum[i]) / w,
            mean_change_usd_per_t: usd(sum[i]) / days,
            peak_change_usd_per_t: peak[i].map_or(0.0, |(c, _)| usd(c)),
            peak_day: peak[i].map(|(_, d)| d as u32),
        })
        .collect()
}

/// The daily price series of days `0..end` (see [`metrics`]).
pub(super) fn daily(
    scn: &Scenario,
    points: &Points,
    run: &Days<'_>,
    cf: &Days<'_>,
    end: usize,
) -> Vec<PriceDaily> {
    let n = points.len();
    let series = |v: &Days<'_>, i: usize| -> Vec<f64> {
        (0..end)
            .map(|d| usd(v.row(d, n).get(i).copied().unwrap_or(0)))
            .collect()
    };
    points
        .points
        .iter()
        .enumerate()
        .map(|(i, q)| PriceDaily {
            product: scn.products[q.product as usize].id.clone(),
            node: scn.nodes[q.node as usize].id.clone(),
            side: q.side.name().to_string(),
            price_usd_per_t: series(run, i),
            counterfactual_usd_per_t: series(cf, i),
        })
        .collect()
}
