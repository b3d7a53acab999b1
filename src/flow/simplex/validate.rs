//! The input checks (indices, capacities, the supply balance, overflow headroom) from
//! running totals kept by the setters, and the consistency of the tree (debug builds).

use super::*;

#[derive(Debug, Clone, Default)]
pub(super) struct Totals {
    /// Sum of supplies.
    pub(super) supply_sum: i128,
    /// Sum of positive supplies.
    pub(super) pos_supply: i128,
    /// Sum of finite capacities (negative ones included, they are errors anyway).
    pub(super) finite_caps: i128,
    /// Number of arcs with an infinite capacity.
    pub(super) infinite: i128,
    /// Number of arcs with a negative capacity.
    pub(super) negative: usize,
    /// Number of arcs with an endpoint out of range.
    pub(super) bad_ends: usize,
    /// An upper bound on the largest |cost| (it never decreases).
    pub(super) max_cost: i128,
    /// Sum of |cost| over arcs.
    pub(super) sum_cost: i128,
}

impl Totals {
    pub(super) fn cap(&mut self, c: i64, sign: i128) {
        if c >= INFINITE_CAPACITY {
            self.infinite += sign;
        } else {
            self.finite_caps += sign * i128::from(c);
            if c < 0 {
                if sign > 0 {
                    self.negative += 1;
                } else {
                    self.negative -= 1;
                }
            }
        }
    }

    pub(super) fn cost(&mut self, k: i64, sign: i128) {
        let a = i128::from(k).abs();
        self.sum_cost += sign * a;
        self.max_cost = self.max_cost.max(a);
    }
}

impl NetworkSimplex {
    /// Check indices, capacities, the supply balance and overflow headroom, and set the
    /// artificial cost. O(1) from the running totals unless a cheap bound fails, then a
    /// full scan decides.
    pub(super) fn validate(&mut self) -> Result<(), SolveError> {
        let n = self.n;
        let t = &self.totals;
        if t.bad_ends > 0 || t.negative > 0 {
            return Err(self.scan_arcs_for_error());
        }
        if t.supply_sum != 0 {
            return Err(SolveError::InvalidInput(format!(
                "supplies sum to {}, not 0: add a sink or source that takes the difference",
                t.supply_sum
            )));
        }
        let limit = i128::from(SUM_LIMIT);
        let bound = t.pos_supply + t.finite_caps;
        if bound > limit {
            return Err(SolveError::Overflow(format!(
                "total supply plus finite capacities is {bound}, above the limit {limit}"
            )));
        }
        let mut max_cost = t.max_cost;
        // Potentials stay within art_cost + n * max_cost; reduced costs within 4x that.
        let mut art = (max_cost + 1) * (n as i128 + 1);
        if art.saturating_mul(4) > limit {
            // The running maximum may be stale (costs were lowered): recompute it.
            max_cost = self.arcs.cost[n..]
                .iter()
                .map(|&k| i128::from(k).abs())
                .max()
                .unwrap_or(0);
            self.totals.max_cost = max_cost;
            art = (max_cost + 1) * (n as i128 + 1);
            if art.saturating_mul(4) > limit {
                return Err(SolveError::Overflow(format!(
                    "largest |cost| {max_cost} times {} nodes is above the limit {limit}",
                    n + 1
                )));
            }
        }
        // The objective: sum |cost| x min(capacity, bound) over arcs.
        let t = &self.totals;
        let cheap = t
            .sum_cost
            .saturating_mul(bound)
            .min(max_cost.saturating_mul(t.finite_caps + t.infinite.saturating_mul(bound)));
        if cheap > limit {
            let mut obj_bound: i128 = 0;
            for e in n..self.arcs.src.len() {
                let c = i128::from(self.arcs.cap[e]).min(bound);
                obj_bound += c * i128::from(self.arcs.cost[e]).abs();
                if obj_bound > limit {
                    return Err(SolveError::Overflow(format!(
                        "the sum of |cost| x capacity over arcs exceeds the limit {limit}; \
                         scale costs or capacities down"
                    )));
                }
            }
        }
        let art = art as i64;
        if art != self.piv.art_cost {
            self.piv.art_cost = art;
            // Artificial arcs pointing down carry the big-M cost.
            for u in 0..n {
                if self.arcs.src[u] == n {
                    self.arcs.cost[u] = art;
                }
            }
            self.warm.costs_changed = true;
        }
        let m = self.arcs.src.len() - n;
        // Block search: blocks of 2 sqrt(m) arcs (LEMON uses 1 sqrt(m)); on corridor
        // networks the larger blocks save more pivots than they cost in pricing.
        self.piv.block_size =
            ((BLOCK_SIZE_FACTOR * (m as f64).sqrt()) as usize).max(MIN_BLOCK_SIZE);
        if self.piv.next_arc < n || self.piv.next_arc >= self.arcs.src.len() {
            self.piv.next_arc = n;
        }
        Ok(())
    }

    /// The error for an arc with a bad endpoint or a negative capacity (a full scan).
    pub(super) fn scan_arcs_for_error(&self) -> SolveError {
        let n = self.n;
        for e in n..self.arcs.src.len() {
            let (s, t, c) = (self.arcs.src[e], self.arcs.tgt[e], self.arcs.cap[e]);
            let arc = self.arcs.user_of[e - n];
            if s >= n || t >= n {
                return SolveError::InvalidInput(format!(
                    "arc {arc} goes from node {s} to node {t}, but nodes are numbered 0..{n}"
                ));
            }
            if c < 0 {
                return SolveError::InvalidInput(format!(
                    "arc {arc} has capacity {c}; capacities must be >= 0"
                ));
            }
        }
        SolveError::InvalidInput("an arc is invalid".into())
    }

    /// Consistency of the basis (debug builds check it after every warm repair): the
    /// thread is a preorder of the tree, subtree sizes and last successors are right,
    /// tree arcs join each node to its parent in the recorded direction, flows are
    /// within bounds and tree arcs have reduced cost 0.
    #[cfg(debug_assertions)]
    pub(super) fn check_tree(&self) -> Result<(), String> {
        let n = self.n;
        let root = n;
        let mut order = Vec::with_capacity(n + 1);
        let mut pos = vec![usize::MAX; n + 1];
        let mut u = root;
        loop {
            if pos[u] != usize::MAX {
                return Err(format!("thread revisits node {u}"));
            }
            pos[u] = order.len();
            order.push(u);
            let next = self.tree.thread[u];
            if self.tree.rev_thread[next] != u {
                return Err(format!("rev_thread[{next}] != {u}"));
            }
            u = next;
            if u == root {
                break;
            }
        }
        if order.len() != n + 1 {
            return Err(format!("thread has {} of {} nodes", order.len(), n + 1));
        }
        let mut size = vec![1usize; n + 1];
        for &v in order.iter().rev() {
            if v != root {
                let p = self.tree.up[v].parent;
                if pos[p] >= pos[v] {
                    return Err(format!("parent {p} of {v} comes later in the thread"));
                }
                size[p] += size[v];
            }
        }
        for &v in &order {
            if self.tree.up[v].succ != size[v] {
                return Err(format!(
                    "succ_num[{v}] = {} != {}",
                    self.tree.up[v].succ, size[v]
                ));
            }
            if self.tree.last_succ[v] != order[pos[v] + size[v] - 1] {
                return Err(format!("last_succ[{v}] is wrong"));
            }
            if v == root {
                continue;
            }
            let e = self.tree.up[v].pred;
            let p = self.tree.up[v].parent;
            let (a, b) = if self.tree.up[v].dir == UP {
                (v, p)
            } else {
                (p, v)
            };
            if self.arcs.src[e] != a || self.arcs.tgt[e] != b || self.arcs.state[e] != STATE_TREE {
                return Err(format!("pred arc {e} of {v} does not join it to {p}"));
            }
            if self.arcs.cost[e] + self.tree.pi[a] - self.tree.pi[b] != 0 {
                return Err(format!("tree arc {e} has a non-zero reduced cost"));
            }
        }
        for e in 0..self.arcs.src.len() {
            let c = if e < n { INF } else { self.arcs.cap[e] };
            if self.arcs.flow[e] < 0 || self.arcs.flow[e] > c {
                return Err(format!(
                    "arc {e} has flow {} outside [0, {c}]",
                    self.arcs.flow[e]
                ));
            }
        }
        Ok(())
    }

    #[cfg(not(debug_assertions))]
    pub(super) fn check_tree(&self) -> Result<(), String> {
        Ok(())
    }
}
