//! Whether the optimum is unique: no other flow of the same cost exists (then the
//! flows are canonical, see `solve_canonical`).

use super::*;

/// The uniqueness test's state.
#[derive(Debug, Default)]
pub(super) struct Ties {
    /// The flows of the last successful solve are the problem's canonical optimum (see
    /// [`NetworkSimplex::solve_canonical`]).
    pub(super) canonical: bool,
    /// Non-tree arcs with reduced cost 0 at the last solve that changed the basis or the
    /// potentials (`zero_rc_valid`): a solve that changes only capacities and keeps the
    /// basis keeps them too, so the uniqueness test need not scan every arc again.
    pub(super) zero_rc: Vec<usize>,
    pub(super) zero_rc_valid: bool,
    pub(super) tie_scratch: TieScratch,
}

impl Clone for Ties {
    fn clone(&self) -> Self {
        let mut s = Ties::default();
        s.clone_from(self);
        s
    }

    /// Field by field, keeping the buffers.
    fn clone_from(&mut self, o: &Self) {
        crate::clone_fields_from!(
            Ties,
            self,
            o,
            [canonical, zero_rc, zero_rc_valid, tie_scratch,]
        );
    }
}

#[derive(Debug, Clone, Default)]
pub(super) struct TieScratch {
    parent: Vec<usize>,
    edges: Vec<(usize, usize)>,
    indeg: Vec<usize>,
    start: Vec<usize>,
    adj: Vec<usize>,
    stack: Vec<usize>,
}

impl NetworkSimplex {
    /// [`optimum_is_unique`](Self::optimum_is_unique) after a solve, keeping the list of
    /// non-tree arcs with reduced cost 0 while the basis and the potentials stay.
    pub(super) fn unique_now(&mut self) -> bool {
        let n = self.n;
        if !self.ties.zero_rc_valid {
            self.ties.zero_rc.clear();
            let (src, tgt, cost, state) = (
                &self.arcs.src[n..],
                &self.arcs.tgt[n..],
                &self.arcs.cost[n..],
                &self.arcs.state[n..],
            );
            let pi = &self.tree.pi;
            for (i, (((&u, &v), &c), &st)) in src.iter().zip(tgt).zip(cost).zip(state).enumerate() {
                if st != STATE_TREE && c + pi[u] - pi[v] == 0 {
                    self.ties.zero_rc.push(n + i);
                }
            }
            self.ties.zero_rc_valid = true;
        }
        // Arcs between their bounds are tree arcs, and tree arcs form a forest: without
        // a non-tree arc of reduced cost 0 (and some capacity), no cycle of zero-cost
        // residual arcs exists. This settles almost every solve.
        let mut open = self.ties.zero_rc.iter().filter(|&&e| self.arcs.cap[e] != 0);
        let Some(&e) = open.next() else {
            return true;
        };
        if open.next().is_none() {
            // One such arc: a cycle would be it and the tree path between its ends, the
            // only path in a forest. At flow 0 it can carry more from its tail to its
            // head, so the tree path must carry more from head to tail; at capacity,
            // the other way.
            let (u, v) = (self.arcs.src[e], self.arcs.tgt[e]);
            return if self.arcs.flow[e] == 0 {
                !self.tree_path_open(v, u)
            } else {
                !self.tree_path_open(u, v)
            };
        }
        let mut sc = std::mem::take(&mut self.ties.tie_scratch);
        let unique = self.unique_given(&self.ties.zero_rc, &mut sc);
        self.ties.tie_scratch = sc;
        unique
    }

    /// Whether the flows of the last successful solve are the only optimal flows: no
    /// cycle of residual arcs with reduced cost 0 exists (pushing flow around such a
    /// cycle would give another optimum of the same cost). O(nodes + arcs).
    pub fn optimum_is_unique(&self) -> bool {
        let n = self.n;
        let zero_rc: Vec<usize> = (n..self.arcs.src.len())
            .filter(|&e| {
                self.arcs.state[e] != STATE_TREE
                    && self.arcs.cost[e] + self.tree.pi[self.arcs.src[e]]
                        - self.tree.pi[self.arcs.tgt[e]]
                        == 0
            })
            .collect();
        self.unique_given(&zero_rc, &mut TieScratch::default())
    }

    /// Whether every arc of the tree path from node `from` to node `to` can carry more
    /// flow in that direction (the path must not pass the artificial root).
    pub(super) fn tree_path_open(&self, from: usize, to: usize) -> bool {
        let (n, up) = (self.n, &self.tree.up[..]);
        // Whether tree arc `e` can carry more from `x` to `y`.
        let more = |e: usize, x: usize| {
            if self.arcs.src[e] == x {
                self.arcs.flow[e] < self.arcs.cap[e]
            } else {
                self.arcs.flow[e] > 0
            }
        };
        let (mut a, mut b) = (from, to);
        while a != b {
            if up[a].succ < up[b].succ {
                let e = up[a].pred;
                if e < n || !more(e, a) {
                    return false;
                }
                a = up[a].parent;
            } else {
                let (e, p) = (up[b].pred, up[b].parent);
                if e == NONE || e < n || !more(e, p) {
                    return false;
                }
                b = p;
            }
        }
        true
    }

    /// The uniqueness test, given the non-tree arcs with reduced cost 0.
    ///
    /// Arcs strictly between their bounds can change either way, and all are tree arcs
    /// (reduced cost 0): they form a forest, whose trees are contracted to points.
    /// Arcs at a bound with reduced cost 0 (tree arcs at a bound, and `zero_rc`) can
    /// change one way only: an optimum is unique when they form no directed cycle
    /// between the contracted trees (nor a loop on one tree).
    pub(super) fn unique_given(&self, zero_rc: &[usize], sc: &mut TieScratch) -> bool {
        let n = self.n;
        let TieScratch {
            parent,
            edges,
            indeg,
            start,
            adj,
            stack,
        } = sc;
        fn find(parent: &mut [usize], mut v: usize) -> usize {
            while parent[v] != v {
                parent[v] = parent[parent[v]];
                v = parent[v];
            }
            v
        }
        parent.clear();
        parent.extend(0..n);
        edges.clear();
        let one_way = |e: usize, edges: &mut Vec<(usize, usize)>| {
            let (u, v) = (self.arcs.src[e], self.arcs.tgt[e]);
            if self.arcs.cap[e] == 0 {
                return;
            }
            if self.arcs.flow[e] == 0 {
                edges.push((u, v));
            } else if self.arcs.flow[e] == self.arcs.cap[e] {
                edges.push((v, u));
            }
        };
        // Tree arcs: each real node's arc to its parent (artificial arcs join the root,
        // which is not part of the problem).
        for v in 0..n {
            let e = self.tree.up[v].pred;
            if e == NONE || e < n {
                continue;
            }
            let (f, c) = (self.arcs.flow[e], self.arcs.cap[e]);
            if f > 0 && f < c {
                let (a, b) = (
                    find(parent, self.arcs.src[e]),
                    find(parent, self.arcs.tgt[e]),
                );
                if a == b {
                    return false;
                }
                parent[a] = b;
            } else {
                one_way(e, edges);
            }
        }
        for &e in zero_rc {
            one_way(e, edges);
        }
        // Kahn's algorithm on the contracted graph: a cycle leaves edges unsorted.
        indeg.clear();
        indeg.resize(n, 0);
        start.clear();
        start.resize(n + 1, 0);
        for edge in edges.iter_mut() {
            let (a, b) = (find(parent, edge.0), find(parent, edge.1));
            if a == b {
                return false;
            }
            *edge = (a, b);
            start[a + 1] += 1;
            indeg[b] += 1;
        }
        for v in 0..n {
            start[v + 1] += start[v];
        }
        // Adjacency lists: u's heads are adj[start[u]..start[u + 1]].
        adj.clear();
        adj.resize(edges.len(), 0);
        for &(u, v) in edges.iter() {
            adj[start[u]] = v;
            start[u] += 1;
        }
        for u in (1..=n).rev() {
            start[u] = start[u - 1];
        }
        start[0] = 0;
        stack.clear();
        stack.extend((0..n).filter(|&v| indeg[v] == 0 && start[v + 1] > start[v]));
        let mut removed = 0;
        while let Some(u) = stack.pop() {
            for &v in &adj[start[u]..start[u + 1]] {
                removed += 1;
                indeg[v] -= 1;
                if indeg[v] == 0 {
                    stack.push(v);
                }
            }
        }
        removed == edges.len()
    }
}
