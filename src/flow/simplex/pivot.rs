//! The pivots: block-search pricing of the entering arc, the cycle it closes (join
//! node, leaving arc, flow change), and the update of the tree and its potentials.

use super::*;

/// The pivot in progress: the entering arc, the cycle it closes, and the pricing scan.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Pivot {
    pub(super) in_arc: usize,
    pub(super) join: usize,
    pub(super) u_in: usize,
    pub(super) v_in: usize,
    pub(super) u_out: usize,
    pub(super) delta: i64,
    /// Where the next pricing scan starts.
    pub(super) next_arc: usize,
    pub(super) block_size: usize,
    /// The cost of an artificial arc pointing down from the root (big M).
    pub(super) art_cost: i64,
}

/// Block-search pricing state: the most negative reduced cost so far and its arc.
struct Scan {
    min: i64,
    best: usize,
    cnt: usize,
    block: usize,
}

impl Scan {
    /// Price arcs `lo..hi`; at the end of each block, stop if an eligible arc was found
    /// and return where.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn run(
        &mut self,
        src: &[usize],
        tgt: &[usize],
        cost: &[i64],
        state: &[i8],
        pi: &[i64],
        lo: usize,
        hi: usize,
    ) -> Option<usize> {
        let (src, tgt, cost, state) = (&src[..hi], &tgt[..hi], &cost[..hi], &state[..hi]);
        let mut min = self.min;
        let mut best = self.best;
        let mut cnt = self.cnt;
        for e in lo..hi {
            let c = i64::from(state[e]) * (cost[e] + pi[src[e]] - pi[tgt[e]]);
            if c < min {
                // A branch, not a conditional move: new minima are rare, and a
                // conditional move would chain every arc's comparison to the last.
                (min, best) = new_min(c, e);
            }
            cnt -= 1;
            if cnt == 0 {
                if min < 0 {
                    self.min = min;
                    self.best = best;
                    self.cnt = cnt;
                    return Some(e);
                }
                cnt = self.block;
            }
        }
        self.min = min;
        self.best = best;
        self.cnt = cnt;
        None
    }
}

#[cold]
#[inline(never)]
fn new_min(c: i64, e: usize) -> (i64, usize) {
    (c, e)
}

impl NetworkSimplex {
    #[inline]
    pub(super) fn reduced_cost(&self, e: usize) -> i64 {
        i64::from(self.arcs.state[e])
            * (self.arcs.cost[e] + self.tree.pi[self.arcs.src[e]] - self.tree.pi[self.arcs.tgt[e]])
    }

    /// One pivot on `self.piv.in_arc`. Returns false if the cycle has unlimited capacity.
    pub(super) fn pivot(&mut self) -> bool {
        self.pivots += 1;
        self.find_join_node();
        let change = self.find_leaving_arc();
        if self.piv.delta == INF {
            return false;
        }
        self.change_flow(change);
        if change {
            self.update_tree_structure();
            self.update_potential();
        }
        true
    }

    /// Block search: scan arcs from where the last search stopped, in blocks of about
    /// sqrt(m), and take the most negative reduced cost of the first block that has one.
    pub(super) fn find_entering_arc(&mut self) -> bool {
        let n = self.n;
        let end = self.arcs.src.len();
        let start = self.piv.next_arc;
        let mut sc = Scan {
            min: 0,
            best: NONE,
            cnt: self.piv.block_size,
            block: self.piv.block_size,
        };
        let (src, tgt, cost, state) = (
            &self.arcs.src[..],
            &self.arcs.tgt[..],
            &self.arcs.cost[..],
            &self.arcs.state[..],
        );
        let pi = &self.tree.pi[..];
        let stop = sc
            .run(src, tgt, cost, state, pi, start, end)
            .or_else(|| sc.run(src, tgt, cost, state, pi, n, start));
        if stop.is_none() && sc.min >= 0 {
            return false;
        }
        self.piv.in_arc = sc.best;
        // Resume where the block that gave the arc ended, as LEMON does.
        self.piv.next_arc = stop.unwrap_or(start);
        if self.piv.next_arc >= end {
            self.piv.next_arc = n;
        }
        true
    }

    pub(super) fn find_join_node(&mut self) {
        let up = &self.tree.up[..];
        let mut u = self.arcs.src[self.piv.in_arc];
        let mut v = self.arcs.tgt[self.piv.in_arc];
        while u != v {
            if up[u].succ < up[v].succ {
                u = up[u].parent;
            } else {
                v = up[v].parent;
            }
        }
        self.piv.join = u;
    }

    pub(super) fn find_leaving_arc(&mut self) -> bool {
        let in_arc = self.piv.in_arc;
        let (first, second) = if self.arcs.state[in_arc] == STATE_LOWER {
            (self.arcs.src[in_arc], self.arcs.tgt[in_arc])
        } else {
            (self.arcs.tgt[in_arc], self.arcs.src[in_arc])
        };
        let up = &self.tree.up[..];
        let (flow, cap) = (&self.arcs.flow[..], &self.arcs.cap[..]);
        let c = cap[in_arc];
        let mut delta = if c >= INFINITE_CAPACITY { INF } else { c };
        let mut result = 0u8;
        let mut u_out = self.piv.u_out;
        let join = self.piv.join;
        let mut u = first;
        while u != join {
            let e = up[u].pred;
            let mut d = flow[e];
            if up[u].dir == DOWN {
                let c = cap[e];
                d = if c >= INFINITE_CAPACITY { INF } else { c - d };
            }
            if d < delta {
                delta = d;
                u_out = u;
                result = 1;
            }
            u = up[u].parent;
        }
        let mut u = second;
        while u != join {
            let e = up[u].pred;
            let mut d = flow[e];
            if up[u].dir == UP {
                let c = cap[e];
                d = if c >= INFINITE_CAPACITY { INF } else { c - d };
            }
            if d <= delta {
                delta = d;
                u_out = u;
                result = 2;
            }
            u = up[u].parent;
        }
        self.piv.u_out = u_out;
        if result == 1 {
            self.piv.u_in = first;
            self.piv.v_in = second;
        } else {
            self.piv.u_in = second;
            self.piv.v_in = first;
        }
        self.piv.delta = delta;
        result != 0
    }

    pub(super) fn change_flow(&mut self, change: bool) {
        let in_arc = self.piv.in_arc;
        let join = self.piv.join;
        let up = &self.tree.up[..];
        let flow = &mut self.arcs.flow[..];
        if self.piv.delta > 0 {
            let val = i64::from(self.arcs.state[in_arc]) * self.piv.delta;
            flow[in_arc] += val;
            let mut u = self.arcs.src[in_arc];
            while u != join {
                flow[up[u].pred] -= i64::from(up[u].dir) * val;
                u = up[u].parent;
            }
            let mut u = self.arcs.tgt[in_arc];
            while u != join {
                flow[up[u].pred] += i64::from(up[u].dir) * val;
                u = up[u].parent;
            }
        }
        if change {
            self.arcs.state[in_arc] = STATE_TREE;
            let out = up[self.piv.u_out].pred;
            self.arcs.state[out] = if flow[out] == 0 {
                STATE_LOWER
            } else {
                STATE_UPPER
            };
        } else {
            self.arcs.state[in_arc] = -self.arcs.state[in_arc];
        }
    }

    pub(super) fn update_tree_structure(&mut self) {
        let (u_in, v_in, u_out, join, in_arc) = (
            self.piv.u_in,
            self.piv.v_in,
            self.piv.u_out,
            self.piv.join,
            self.piv.in_arc,
        );
        let in_src = self.arcs.src[in_arc];
        let Tree {
            up,
            thread,
            rev_thread,
            last_succ,
            dirty_revs,
            ..
        } = &mut self.tree;
        let up = &mut up[..];
        let thread = &mut thread[..];
        let rev_thread = &mut rev_thread[..];
        let last_succ = &mut last_succ[..];

        let old_rev_thread = rev_thread[u_out];
        let old_succ_num = up[u_out].succ;
        let old_last_succ = last_succ[u_out];
        let v_out = up[u_out].parent;

        if u_in == u_out {
            up[u_in].parent = v_in;
            up[u_in].pred = in_arc;
            up[u_in].dir = if u_in == in_src { UP } else { DOWN };
            if thread[v_in] != u_out {
                let mut after = thread[old_last_succ];
                thread[old_rev_thread] = after;
                rev_thread[after] = old_rev_thread;
                after = thread[v_in];
                thread[v_in] = u_out;
                rev_thread[u_out] = v_in;
                thread[old_last_succ] = after;
                rev_thread[after] = old_last_succ;
            }
        } else {
            let thread_continue = if old_rev_thread == v_in {
                thread[old_last_succ]
            } else {
                thread[v_in]
            };
            let mut stem = u_in;
            let mut par_stem = v_in;
            let mut last = last_succ[u_in];
            let mut after = thread[last];
            thread[v_in] = u_in;
            dirty_revs.clear();
            dirty_revs.push(v_in);
            while stem != u_out {
                let next_stem = up[stem].parent;
                thread[last] = next_stem;
                dirty_revs.push(last);
                let before = rev_thread[stem];
                thread[before] = after;
                rev_thread[after] = before;
                up[stem].parent = par_stem;
                par_stem = stem;
                stem = next_stem;
                last = if last_succ[stem] == last_succ[par_stem] {
                    rev_thread[par_stem]
                } else {
                    last_succ[stem]
                };
                after = thread[last];
            }
            up[u_out].parent = par_stem;
            thread[last] = thread_continue;
            rev_thread[thread_continue] = last;
            last_succ[u_out] = last;
            if old_rev_thread != v_in {
                thread[old_rev_thread] = after;
                rev_thread[after] = old_rev_thread;
            }
            for &u in dirty_revs.iter() {
                rev_thread[thread[u]] = u;
            }
            let mut tmp_sc = 0usize;
            let tmp_ls = last_succ[u_out];
            let mut u = u_out;
            while u != u_in {
                let p = up[u].parent;
                up[u].pred = up[p].pred;
                up[u].dir = -up[p].dir;
                tmp_sc = tmp_sc + up[u].succ - up[p].succ;
                up[u].succ = tmp_sc;
                last_succ[p] = tmp_ls;
                u = p;
            }
            up[u_in].pred = in_arc;
            up[u_in].dir = if u_in == in_src { UP } else { DOWN };
            up[u_in].succ = old_succ_num;
        }

        let up_limit_out = if last_succ[join] == v_in { join } else { NONE };
        let last_succ_out = last_succ[u_out];
        let mut u = v_in;
        while u != NONE && last_succ[u] == v_in {
            last_succ[u] = last_succ_out;
            u = up[u].parent;
        }
        if join != old_rev_thread && v_in != old_rev_thread {
            let mut u = v_out;
            while u != up_limit_out && u != NONE && last_succ[u] == old_last_succ {
                last_succ[u] = old_rev_thread;
                u = up[u].parent;
            }
        } else if last_succ_out != old_last_succ {
            let mut u = v_out;
            while u != up_limit_out && u != NONE && last_succ[u] == old_last_succ {
                last_succ[u] = last_succ_out;
                u = up[u].parent;
            }
        }
        let mut u = v_in;
        while u != join {
            up[u].succ += old_succ_num;
            u = up[u].parent;
        }
        let mut u = v_out;
        while u != join {
            up[u].succ -= old_succ_num;
            u = up[u].parent;
        }
    }

    /// Shift the potentials of the subtree that moved so that the entering arc has
    /// reduced cost 0, or (when the subtree is the larger part of the tree) shift the
    /// rest of the tree the other way, which is equivalent.
    pub(super) fn update_potential(&mut self) {
        let (u_in, v_in) = (self.piv.u_in, self.piv.v_in);
        let pi = &mut self.tree.pi[..];
        let thread = &self.tree.thread[..];
        let sigma = pi[v_in]
            - pi[u_in]
            - i64::from(self.tree.up[u_in].dir) * self.arcs.cost[self.piv.in_arc];
        let end = thread[self.tree.last_succ[u_in]];
        let size = self.tree.up[u_in].succ;
        if 2 * size <= self.n + 1 {
            let mut u = u_in;
            while u != end {
                pi[u] += sigma;
                u = thread[u];
            }
        } else {
            let mut u = end;
            while u != u_in {
                pi[u] -= sigma;
                u = thread[u];
            }
            // Keep the potentials small: the root's potential drifts with such shifts.
            let root = self.n;
            if pi[root].abs() > SUM_LIMIT / 2 {
                let shift = pi[root];
                for p in pi.iter_mut() {
                    *p -= shift;
                }
            }
        }
    }

    /// Pivot until optimal; then check that no artificial arc carries flow and return the
    /// objective.
    pub(super) fn run_pivots(&mut self) -> Result<i64, SolveError> {
        while self.find_entering_arc() {
            if !self.pivot() {
                return Err(SolveError::Unbounded);
            }
        }
        if self.arcs.flow[..self.n].iter().any(|&f| f != 0) {
            return Err(SolveError::Infeasible);
        }
        let n = self.n;
        let obj = self.arcs.flow[n..]
            .iter()
            .zip(&self.arcs.cost[n..])
            .map(|(&f, &c)| f * c)
            .sum();
        Ok(obj)
    }
}
