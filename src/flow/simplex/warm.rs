//! The warm start: supply and capacity changes pushed up the last optimal tree to the
//! root, tree arcs that would leave their bounds cut off (their subtrees hang from the
//! root by artificial arcs), and the potentials recomputed.

use super::*;

/// What changed since the last successful solve.
#[derive(Debug, Default)]
pub(super) struct Warm {
    /// The tree arrays hold an optimal basis of the last solved problem.
    pub(super) basis_valid: bool,
    /// Something changed since the last successful solve.
    pub(super) dirty: bool,
    /// A cost changed since the last successful solve (potentials must be recomputed).
    pub(super) costs_changed: bool,
    /// Arcs were added since the last solve (they have not been priced).
    pub(super) arcs_added: bool,
    /// Supply changes not yet pushed into the basis (node -> extra units to send out).
    pub(super) excess: Vec<i64>,
    /// Real arcs (internal index) whose capacity changed since the last solve.
    pub(super) touched: Vec<usize>,
    /// Nodes whose `excess` may be non-zero.
    pub(super) excess_nodes: Vec<usize>,
}

impl Clone for Warm {
    fn clone(&self) -> Self {
        let mut s = Warm::default();
        s.clone_from(self);
        s
    }

    /// Field by field, keeping the buffers.
    fn clone_from(&mut self, o: &Self) {
        crate::clone_fields_from!(
            Warm,
            self,
            o,
            [
                basis_valid,
                dirty,
                costs_changed,
                arcs_added,
                excess,
                touched,
                excess_nodes,
            ]
        );
    }
}

impl NetworkSimplex {
    /// Bring the previous optimal basis up to date with the changes since: flows of
    /// non-tree arcs at capacity follow their new capacity, supply changes and those flow
    /// changes are pushed up the tree to the root, and a tree arc that would leave its
    /// bounds (or break strong feasibility) is set to the bound and leaves the tree, its
    /// subtree hanging from the root by its artificial arc, which takes the remainder.
    /// Work is proportional to the tree paths of the changed nodes and arcs, plus the
    /// subtrees that move; after a cost change the potentials are recomputed in O(n).
    pub(super) fn warm_repair(&mut self) {
        let n = self.n;
        let mut touched = std::mem::take(&mut self.warm.touched);
        for &e in &touched {
            if self.arcs.state[e] == STATE_UPPER {
                // A non-tree arc sits at a bound: its new capacity, or 0 if that is infinite.
                let c = self.arcs.cap[e];
                let target = if c >= INFINITE_CAPACITY {
                    self.arcs.state[e] = STATE_LOWER;
                    0
                } else {
                    c
                };
                let d = target - self.arcs.flow[e];
                if d != 0 {
                    self.arcs.flow[e] = target;
                    let (s, t) = (self.arcs.src[e], self.arcs.tgt[e]);
                    self.warm.excess[s] -= d;
                    self.warm.excess[t] += d;
                    self.warm.excess_nodes.push(s);
                    self.warm.excess_nodes.push(t);
                }
            } else if self.arcs.state[e] == STATE_TREE {
                // Check the arc against its new capacity, pushing nothing.
                let s = self.arcs.src[e];
                let child = if self.tree.up[s].pred == e {
                    s
                } else {
                    self.arcs.tgt[e]
                };
                self.push_up(child, 0);
            }
        }
        touched.clear();
        self.warm.touched = touched;
        let mut nodes = std::mem::take(&mut self.warm.excess_nodes);
        for &u in &nodes {
            let s = self.warm.excess[u];
            if s != 0 {
                self.warm.excess[u] = 0;
                self.push_up(u, s);
            }
        }
        nodes.clear();
        self.warm.excess_nodes = nodes;
        if self.warm.costs_changed {
            self.recompute_potentials();
        }
        debug_assert!(self.warm.excess[..n].iter().all(|&x| x == 0));
        debug_assert_eq!(self.check_tree(), Ok(()));
    }

    /// Send `s` more units from node `v` up its tree path to the root. A tree arc that
    /// cannot take the change (it would leave its bounds, or break strong feasibility)
    /// is set to the bound it would cross and leaves the tree; the node below it then
    /// hangs from the root by its artificial arc, which carries the remainder.
    pub(super) fn push_up(&mut self, mut v: usize, mut s: i64) {
        let n = self.n;
        loop {
            let e = self.tree.up[v].pred;
            if e < n {
                // The artificial arc from a child of the root carries whatever arrives.
                let up = if self.tree.up[v].dir == UP {
                    self.arcs.flow[e]
                } else {
                    -self.arcs.flow[e]
                };
                let old_dir = self.tree.up[v].dir;
                self.orient_art(v, up + s);
                if self.tree.up[v].dir != old_dir {
                    self.shift_subtree_potentials(v);
                }
                return;
            }
            let p = self.tree.up[v].parent;
            let dir = self.tree.up[v].dir;
            let f = self.arcs.flow[e];
            let c = self.arcs.cap[e];
            let nf = f + i64::from(dir) * s;
            let ok = if dir == UP {
                nf >= 0 && (nf < c || c >= INFINITE_CAPACITY)
            } else {
                nf > 0 && nf <= c
            };
            if ok {
                if s == 0 {
                    return;
                }
                self.arcs.flow[e] = nf;
                v = p;
                continue;
            }
            // The bound the arc would cross (strong feasibility counts an arc pointing
            // up at capacity, or down at 0, as crossing).
            let bound = if dir == UP {
                if nf >= c {
                    c
                } else {
                    0
                }
            } else if nf > c {
                c
            } else {
                0
            };
            let pushed = (bound - f) * i64::from(dir);
            self.arcs.flow[e] = bound;
            self.arcs.state[e] = if bound == 0 { STATE_LOWER } else { STATE_UPPER };
            self.cut_to_root(v, s - pushed);
            s = pushed;
            v = p;
            if s == 0 {
                return;
            }
        }
    }

    /// Detach the subtree of `v` and hang it from the root by `v`'s artificial arc,
    /// carrying `up` units up (or `-up` down); update the thread and the potentials.
    pub(super) fn cut_to_root(&mut self, v: usize, up: i64) {
        let root = self.n;
        let size = self.tree.up[v].succ;
        let last = self.tree.last_succ[v];
        let before = self.tree.rev_thread[v];
        let after = self.tree.thread[last];
        // Remove the subtree from the thread.
        self.tree.thread[before] = after;
        self.tree.rev_thread[after] = before;
        let mut u = self.tree.up[v].parent;
        loop {
            self.tree.up[u].succ -= size;
            if self.tree.last_succ[u] == last {
                self.tree.last_succ[u] = before;
            }
            if u == root {
                break;
            }
            u = self.tree.up[u].parent;
        }
        // Insert it right after the root.
        let first = self.tree.thread[root];
        self.tree.thread[root] = v;
        self.tree.rev_thread[v] = root;
        self.tree.thread[last] = first;
        self.tree.rev_thread[first] = last;
        if first == root {
            self.tree.last_succ[root] = last;
        }
        self.tree.up[root].succ += size;
        self.tree.up[v].parent = root;
        self.tree.up[v].pred = v;
        self.arcs.state[v] = STATE_TREE;
        self.orient_art(v, up);
        self.shift_subtree_potentials(v);
    }

    /// Make the potentials of `v`'s subtree agree with `v`'s (new) tree arc.
    pub(super) fn shift_subtree_potentials(&mut self, v: usize) {
        let p = self.tree.up[v].parent;
        let want =
            self.tree.pi[p] - i64::from(self.tree.up[v].dir) * self.arcs.cost[self.tree.up[v].pred];
        let sigma = want - self.tree.pi[v];
        if sigma == 0 {
            return;
        }
        let mut u = v;
        for _ in 0..self.tree.up[v].succ {
            self.tree.pi[u] += sigma;
            u = self.tree.thread[u];
        }
    }

    /// Point the artificial arc of `v` up (flow `up`) when `up >= 0`, else down (flow
    /// `-up`, cost big M).
    pub(super) fn orient_art(&mut self, v: usize, up: i64) {
        let root = self.n;
        if up >= 0 {
            self.arcs.src[v] = v;
            self.arcs.tgt[v] = root;
            self.arcs.cost[v] = 0;
            self.arcs.flow[v] = up;
            self.tree.up[v].dir = UP;
        } else {
            self.arcs.src[v] = root;
            self.arcs.tgt[v] = v;
            self.arcs.cost[v] = self.piv.art_cost;
            self.arcs.flow[v] = -up;
            self.tree.up[v].dir = DOWN;
        }
    }

    /// Potentials from the tree: every tree arc has reduced cost 0.
    pub(super) fn recompute_potentials(&mut self) {
        let root = self.n;
        self.tree.pi[root] = 0;
        let mut u = self.tree.thread[root];
        while u != root {
            let p = self.tree.up[u].parent;
            self.tree.pi[u] = self.tree.pi[p]
                - i64::from(self.tree.up[u].dir) * self.arcs.cost[self.tree.up[u].pred];
            u = self.tree.thread[u];
        }
    }
}
