//! The initial basis: the artificial starting tree of a cold solve, and the heuristic
//! first pivots (LEMON's, then a shortest-path forest towards the sinks).

use super::*;

/// Buffers of the heuristic first pivots: the in-arc adjacency (CSR), rebuilt when arcs
/// are added, and the search's scratch.
#[derive(Debug, Default)]
pub(super) struct Heuristic {
    /// Scratch stack for the initial-pivot search.
    pub(super) scratch_idx: Vec<usize>,
    pub(super) in_start: Vec<usize>,
    pub(super) in_arcs: Vec<usize>,
    pub(super) csr_valid: bool,
    pub(super) heur_arcs: Vec<usize>,
    pub(super) heur_reached: Vec<bool>,
    pub(super) heur_dist: Vec<i64>,
    pub(super) heur_heap: std::collections::BinaryHeap<std::cmp::Reverse<(i64, usize)>>,
}

impl Clone for Heuristic {
    fn clone(&self) -> Self {
        let mut s = Heuristic::default();
        s.clone_from(self);
        s
    }

    /// Field by field, keeping the buffers.
    fn clone_from(&mut self, o: &Self) {
        crate::clone_fields_from!(
            Heuristic,
            self,
            o,
            [
                scratch_idx,
                in_start,
                in_arcs,
                csr_valid,
                heur_arcs,
                heur_reached,
                heur_dist,
                heur_heap,
            ]
        );
    }
}

impl NetworkSimplex {
    /// The artificial starting basis: every node hangs from the root by its artificial
    /// arc, which carries the node's supply.
    pub(super) fn init_cold(&mut self) {
        let n = self.n;
        let root = n;
        for e in n..self.arcs.src.len() {
            self.arcs.flow[e] = 0;
            self.arcs.state[e] = STATE_LOWER;
        }
        self.tree.up[root].parent = NONE;
        self.tree.up[root].pred = NONE;
        self.tree.thread[root] = if n > 0 { 0 } else { root };
        self.tree.rev_thread[0] = root;
        self.tree.up[root].succ = n + 1;
        self.tree.last_succ[root] = if n > 0 { n - 1 } else { root };
        self.tree.pi[root] = 0;
        for u in 0..n {
            let e = u;
            self.tree.up[u].parent = root;
            self.tree.up[u].pred = e;
            self.tree.thread[u] = u + 1;
            self.tree.rev_thread[u + 1] = u;
            self.tree.up[u].succ = 1;
            self.tree.last_succ[u] = u;
            self.arcs.state[e] = STATE_TREE;
            let b = self.supply[u];
            if b >= 0 {
                self.tree.up[u].dir = UP;
                self.tree.pi[u] = 0;
                self.arcs.src[e] = u;
                self.arcs.tgt[e] = root;
                self.arcs.flow[e] = b;
                self.arcs.cost[e] = 0;
            } else {
                self.tree.up[u].dir = DOWN;
                self.tree.pi[u] = self.piv.art_cost;
                self.arcs.src[e] = root;
                self.arcs.tgt[e] = u;
                self.arcs.flow[e] = -b;
                self.arcs.cost[e] = self.piv.art_cost;
            }
        }
        for x in &mut self.warm.excess {
            *x = 0;
        }
        self.warm.excess_nodes.clear();
        self.warm.touched.clear();
        self.piv.next_arc = n;
    }

    pub(super) fn build_csr(&mut self) {
        let n = self.n;
        self.heur.in_start.clear();
        self.heur.in_start.resize(n + 2, 0);
        for e in n..self.arcs.src.len() {
            self.heur.in_start[self.arcs.tgt[e] + 2] += 1;
        }
        for v in 2..n + 2 {
            self.heur.in_start[v] += self.heur.in_start[v - 1];
        }
        self.heur.in_arcs.clear();
        self.heur.in_arcs.resize(self.arcs.src.len() - n, 0);
        for e in n..self.arcs.src.len() {
            let slot = &mut self.heur.in_start[self.arcs.tgt[e] + 1];
            self.heur.in_arcs[*slot] = e;
            *slot += 1;
        }
        self.heur.csr_valid = true;
    }

    /// Heuristic first pivots. LEMON's: with one source and one sink, a path of arcs wide
    /// enough for the whole supply found by a reverse search from the sink; otherwise the
    /// cheapest incoming arc of every sink. Then ours: the arcs of a shortest-path forest
    /// towards the sinks. Returns false if the problem is unbounded.
    pub(super) fn initial_pivots(&mut self) -> bool {
        let n = self.n;
        let mut total = 0i64;
        let (mut n_sup, mut n_dem, mut s, mut t) = (0usize, 0usize, 0usize, 0usize);
        for u in 0..n {
            let b = self.supply[u];
            if b > 0 {
                total += b;
                n_sup += 1;
                s = u;
            } else if b < 0 {
                n_dem += 1;
                t = u;
            }
        }
        if total <= 0 {
            return true;
        }
        if !self.heur.csr_valid {
            self.build_csr();
        }
        let mut arcs = std::mem::take(&mut self.heur.heur_arcs);
        arcs.clear();
        if n_sup == 1 && n_dem == 1 {
            let mut reached = std::mem::take(&mut self.heur.heur_reached);
            reached.clear();
            reached.resize(n, false);
            let mut stack = std::mem::take(&mut self.heur.scratch_idx);
            stack.clear();
            reached[t] = true;
            stack.push(t);
            while let Some(v) = stack.pop() {
                if v == s {
                    break;
                }
                for &e in &self.heur.in_arcs[self.heur.in_start[v]..self.heur.in_start[v + 1]] {
                    let u = self.arcs.src[e];
                    if reached[u] {
                        continue;
                    }
                    if self.arcs.cap[e] >= total {
                        arcs.push(e);
                        reached[u] = true;
                        stack.push(u);
                    }
                }
            }
            self.heur.scratch_idx = stack;
            self.heur.heur_reached = reached;
            // Then (our addition) a shortest-path tree towards the sink.
            self.shortest_path_arcs(&mut arcs);
        } else {
            for v in 0..n {
                if self.supply[v] >= 0 {
                    continue;
                }
                let mut best = NONE;
                let mut best_cost = i64::MAX;
                for &e in &self.heur.in_arcs[self.heur.in_start[v]..self.heur.in_start[v + 1]] {
                    if self.arcs.cost[e] < best_cost {
                        best_cost = self.arcs.cost[e];
                        best = e;
                    }
                }
                if best != NONE {
                    arcs.push(best);
                }
            }
            // Then (our addition) a shortest-path forest towards the sinks.
            self.shortest_path_arcs(&mut arcs);
        }
        let mut ok = true;
        for &e in &arcs {
            self.piv.in_arc = e;
            if self.reduced_cost(e) >= 0 {
                continue;
            }
            if !self.pivot() {
                ok = false;
                break;
            }
        }
        self.heur.heur_arcs = arcs;
        ok
    }

    /// Append the arcs of a shortest-path forest towards the sinks (Dijkstra from all
    /// nodes of negative supply at once, over arcs of positive capacity), nearest nodes
    /// first, when no cost is negative. Pivoting
    /// them in first builds the tree the simplex would otherwise grow one priced arc at a
    /// time, with the right potentials from the start.
    pub(super) fn shortest_path_arcs(&mut self, arcs: &mut Vec<usize>) {
        let n = self.n;
        if self.arcs.cost[n..].iter().any(|&c| c < 0) {
            return;
        }
        let mut dist = std::mem::take(&mut self.heur.heur_dist);
        dist.clear();
        dist.resize(n, i64::MAX);
        let mut via = std::mem::take(&mut self.heur.scratch_idx);
        via.clear();
        via.resize(n, NONE);
        let mut heap = std::mem::take(&mut self.heur.heur_heap);
        heap.clear();
        for (t, (&b, d)) in self.supply.iter().zip(dist.iter_mut()).enumerate() {
            if b < 0 {
                *d = 0;
                heap.push(std::cmp::Reverse((0i64, t)));
            }
        }
        while let Some(std::cmp::Reverse((d, v))) = heap.pop() {
            if d > dist[v] {
                continue;
            }
            if via[v] != NONE {
                arcs.push(via[v]);
            }
            for &e in &self.heur.in_arcs[self.heur.in_start[v]..self.heur.in_start[v + 1]] {
                let u = self.arcs.src[e];
                let nd = d + self.arcs.cost[e];
                if self.arcs.cap[e] > 0 && nd < dist[u] {
                    dist[u] = nd;
                    via[u] = e;
                    heap.push(std::cmp::Reverse((nd, u)));
                }
            }
        }
        self.heur.heur_dist = dist;
        self.heur.scratch_idx = via;
        self.heur.heur_heap = heap;
    }
}
