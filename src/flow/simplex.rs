//! The primal network simplex (see the [module docs](super) for the model and units).
//!
//! Layout, after LEMON's `network_simplex.h`: an artificial root node `n` joined to every
//! node `u` by an artificial arc (stored at internal index `u`); the real arcs follow at
//! internal indices `n..n + m`. The spanning tree is kept in the arrays `parent`, `pred`
//! (the tree arc to the parent), `pred_dir` (whether that arc points up, to the parent, or
//! down), `thread` (a preorder of the tree, as a cyclic list through the root),
//! `rev_thread`, `succ_num` (subtree sizes) and `last_succ` (the last node of a subtree in
//! the thread order). Pivots keep the tree strongly feasible, which rules out cycling.

use crate::error::SolveError;

/// Capacities at or above this value are infinite: such an arc never limits a pivot, and a
/// negative-cost cycle of such arcs makes the problem [`SolveError::Unbounded`].
pub const INFINITE_CAPACITY: i64 = i64::MAX / 4;

/// Bound on every sum the solver forms (flow totals, the objective, node potentials).
/// Inputs whose worst case exceeds it are rejected with [`SolveError::Overflow`].
pub const SUM_LIMIT: i64 = i64::MAX / 4;

const INF: i64 = i64::MAX;
const NONE: usize = usize::MAX;

const UP: i8 = 1;
const DOWN: i8 = -1;

const STATE_UPPER: i8 = -1;
const STATE_TREE: i8 = 0;
const STATE_LOWER: i8 = 1;

/// A min-cost flow problem and its solver: a primal network simplex with block-search
/// pricing that keeps its last basis for warm starts.
///
/// Build it with [`new`](Self::new) and [`add_arc`](Self::add_arc), set supplies, call
/// [`solve`](Self::solve); then change capacities, supplies or costs and call `solve`
/// again, which starts from the previous optimal basis. A `solve` after no change at all
/// returns the cached objective at once.
///
/// ```
/// use chokepoint::flow::NetworkSimplex;
/// let mut ns = NetworkSimplex::new(3);
/// let direct = ns.add_arc(0, 2, 10, 10); // up to 10 units at cost 10 each
/// let a = ns.add_arc(0, 1, 4, 3);
/// let b = ns.add_arc(1, 2, 10, 4);
/// ns.set_supply(0, 6);
/// ns.set_supply(2, -6);
/// // 4 units over 0 -> 1 -> 2 at cost 3 + 4, the other 2 direct.
/// assert_eq!(ns.solve()?, 4 * 7 + 2 * 10);
/// assert_eq!((ns.flow(a), ns.flow(b), ns.flow(direct)), (4, 4, 2));
/// ns.set_capacity(b, 0); // a closure: the cheap route is shut
/// assert_eq!(ns.solve()?, 6 * 10); // warm start from the last basis
/// assert_eq!((ns.flow(a), ns.flow(direct)), (0, 6));
/// # Ok::<(), chokepoint::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct NetworkSimplex {
    /// Number of real nodes; the root is node `n`.
    n: usize,
    /// Supplies of the real nodes as the user set them.
    supply: Vec<i64>,

    // Arc data: artificial arcs at 0..n, real arc i at n + i.
    src: Vec<usize>,
    tgt: Vec<usize>,
    cap: Vec<i64>,
    cost: Vec<i64>,
    flow: Vec<i64>,
    state: Vec<i8>,

    // Spanning tree, indexed by node (0..=n).
    pi: Vec<i64>,
    parent: Vec<usize>,
    pred: Vec<usize>,
    pred_dir: Vec<i8>,
    thread: Vec<usize>,
    rev_thread: Vec<usize>,
    succ_num: Vec<usize>,
    last_succ: Vec<usize>,
    dirty_revs: Vec<usize>,

    // Pivot state.
    in_arc: usize,
    join: usize,
    u_in: usize,
    v_in: usize,
    u_out: usize,
    delta: i64,
    next_arc: usize,
    block_size: usize,
    /// The cost of an artificial arc pointing down from the root (big M).
    art_cost: i64,

    // Warm-start bookkeeping.
    /// The tree arrays hold an optimal basis of the last solved problem.
    basis_valid: bool,
    /// Something changed since the last successful solve.
    dirty: bool,
    /// A cost changed since the last successful solve (potentials must be recomputed).
    costs_changed: bool,
    /// Supply changes not yet pushed into the basis (node -> extra units to send out).
    excess: Vec<i64>,
    /// Real arcs (internal index) whose capacity changed since the last solve.
    touched: Vec<usize>,
    /// Scratch for the warm repair.
    scratch: Vec<i64>,
    /// Scratch for rebuilding the thread.
    scratch_idx: Vec<usize>,
    /// A setter was called with a bad index; reported by the next solve.
    pending_error: Option<String>,
    /// Objective of the last successful solve.
    objective: i64,

    // In-arc adjacency (CSR) for the initial-pivot heuristic; rebuilt when arcs are added.
    in_start: Vec<usize>,
    in_arcs: Vec<usize>,
    csr_valid: bool,
    heur_arcs: Vec<usize>,
    heur_reached: Vec<bool>,
}

impl NetworkSimplex {
    /// An empty problem on `num_nodes` nodes (numbered `0..num_nodes`), all supplies zero.
    pub fn new(num_nodes: usize) -> Self {
        let n = num_nodes;
        let mut s = NetworkSimplex {
            n,
            supply: vec![0; n],
            src: Vec::new(),
            tgt: Vec::new(),
            cap: Vec::new(),
            cost: Vec::new(),
            flow: Vec::new(),
            state: Vec::new(),
            pi: vec![0; n + 1],
            parent: vec![NONE; n + 1],
            pred: vec![NONE; n + 1],
            pred_dir: vec![UP; n + 1],
            thread: vec![0; n + 1],
            rev_thread: vec![0; n + 1],
            succ_num: vec![0; n + 1],
            last_succ: vec![0; n + 1],
            dirty_revs: Vec::new(),
            in_arc: 0,
            join: 0,
            u_in: 0,
            v_in: 0,
            u_out: 0,
            delta: 0,
            next_arc: n,
            block_size: 10,
            art_cost: 1,
            basis_valid: false,
            dirty: true,
            costs_changed: false,
            excess: vec![0; n],
            touched: Vec::new(),
            scratch: vec![0; n + 1],
            scratch_idx: Vec::new(),
            pending_error: None,
            objective: 0,
            in_start: Vec::new(),
            in_arcs: Vec::new(),
            csr_valid: false,
            heur_arcs: Vec::new(),
            heur_reached: Vec::new(),
        };
        // Artificial arcs: node u <-> root, stored at index u.
        for u in 0..n {
            s.src.push(u);
            s.tgt.push(n);
            s.cap.push(INF);
            s.cost.push(0);
            s.flow.push(0);
            s.state.push(STATE_LOWER);
        }
        s
    }

    /// Add an arc `from -> to` with a capacity (`>= 0`; at least [`INFINITE_CAPACITY`]
    /// means unlimited) and a cost per unit of flow (any sign); returns its index
    /// (0, 1, 2, ... in the order of addition). Bad node indices or a negative capacity
    /// are reported by the next [`solve`](Self::solve) as [`SolveError::InvalidInput`].
    pub fn add_arc(&mut self, from: usize, to: usize, capacity: i64, cost: i64) -> usize {
        let idx = self.src.len() - self.n;
        self.src.push(from);
        self.tgt.push(to);
        self.cap.push(capacity);
        self.cost.push(cost);
        self.flow.push(0);
        self.state.push(STATE_LOWER);
        self.csr_valid = false;
        // A new arc joins the basis as a non-tree arc at flow 0: the basis stays valid.
        self.dirty = true;
        idx
    }

    /// Number of nodes.
    pub fn num_nodes(&self) -> usize {
        self.n
    }

    /// Number of arcs added.
    pub fn num_arcs(&self) -> usize {
        self.src.len() - self.n
    }

    /// Set the supply of a node: `> 0` for a source, `< 0` for a sink (a demand). Supplies
    /// must sum to zero when [`solve`](Self::solve) is called.
    pub fn set_supply(&mut self, node: usize, supply: i64) {
        let Some(old) = self.supply.get(node).copied() else {
            self.pending_error = Some(format!(
                "set_supply: node {node} does not exist (the problem has {} nodes)",
                self.n
            ));
            return;
        };
        if old == supply {
            return;
        }
        self.supply[node] = supply;
        self.excess[node] = self.excess[node].wrapping_add(supply.wrapping_sub(old));
        self.dirty = true;
    }

    /// The supply of a node (0 for a node that does not exist).
    pub fn supply(&self, node: usize) -> i64 {
        self.supply.get(node).copied().unwrap_or(0)
    }

    /// Set the capacity of an arc (`>= 0`; at least [`INFINITE_CAPACITY`] means unlimited).
    pub fn set_capacity(&mut self, arc: usize, capacity: i64) {
        let Some(e) = self.arc_index(arc, "set_capacity") else {
            return;
        };
        if self.cap[e] == capacity {
            return;
        }
        self.cap[e] = capacity;
        self.touched.push(e);
        self.dirty = true;
    }

    /// The capacity of an arc (0 for an arc that does not exist).
    pub fn capacity(&self, arc: usize) -> i64 {
        self.real(arc).map_or(0, |e| self.cap[e])
    }

    /// Set the cost per unit of flow of an arc (any sign).
    pub fn set_cost(&mut self, arc: usize, cost: i64) {
        let Some(e) = self.arc_index(arc, "set_cost") else {
            return;
        };
        if self.cost[e] == cost {
            return;
        }
        self.cost[e] = cost;
        self.costs_changed = true;
        self.dirty = true;
    }

    /// The cost of an arc (0 for an arc that does not exist).
    pub fn cost(&self, arc: usize) -> i64 {
        self.real(arc).map_or(0, |e| self.cost[e])
    }

    /// The endpoints `(from, to)` of an arc, if it exists.
    pub fn arc_ends(&self, arc: usize) -> Option<(usize, usize)> {
        self.real(arc).map(|e| (self.src[e], self.tgt[e]))
    }

    /// The flow on an arc after the last solve (0 for an arc that does not exist).
    pub fn flow(&self, arc: usize) -> i64 {
        self.real(arc).map_or(0, |e| self.flow[e])
    }

    /// The flows of all arcs, by arc index.
    pub fn flows(&self) -> &[i64] {
        &self.flow[self.n..]
    }

    /// The potential of a node after the last solve (0 for a node that does not exist).
    ///
    /// Potentials certify optimality: with the reduced cost of an arc `u -> v` defined as
    /// `cost + potential(u) - potential(v)`, an arc with flow 0 has a reduced cost `>= 0`,
    /// an arc at capacity `<= 0`, and an arc in between exactly 0. So `-potential(v)` is
    /// the marginal cost of delivering one more unit at `v` (up to a constant).
    pub fn potential(&self, node: usize) -> i64 {
        if node < self.n {
            self.pi[node]
        } else {
            0
        }
    }

    /// The total cost of the current flows (the optimal cost after a successful solve).
    pub fn objective(&self) -> i64 {
        self.objective
    }

    /// Solve, starting from the last optimal basis when there is one: after no change at
    /// all this returns the cached optimum at once; after changes of capacities, supplies,
    /// costs or added arcs it repairs the previous basis and pivots from there. Returns
    /// the optimal total cost.
    ///
    /// # Errors
    /// [`SolveError::Infeasible`], [`SolveError::Unbounded`], [`SolveError::InvalidInput`]
    /// (bad indices, negative capacities, supplies that do not sum to zero) and
    /// [`SolveError::Overflow`] (numbers too large for exact i64 arithmetic).
    pub fn solve(&mut self) -> Result<i64, SolveError> {
        if let Some(msg) = self.pending_error.take() {
            return Err(SolveError::InvalidInput(msg));
        }
        if !self.basis_valid {
            return self.solve_cold();
        }
        if !self.dirty {
            return Ok(self.objective);
        }
        let res = self.validate().and_then(|()| {
            self.warm_repair();
            self.run_pivots()
        });
        self.finish(res)
    }

    /// Solve from scratch (from the artificial starting basis), ignoring any previous
    /// basis. Returns the optimal total cost.
    ///
    /// # Errors
    /// As [`solve`](Self::solve).
    pub fn solve_cold(&mut self) -> Result<i64, SolveError> {
        if let Some(msg) = self.pending_error.take() {
            return Err(SolveError::InvalidInput(msg));
        }
        let res = self.validate().and_then(|()| {
            self.init_cold();
            if !self.initial_pivots() {
                return Err(SolveError::Unbounded);
            }
            self.run_pivots()
        });
        self.finish(res)
    }

    // ---------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------

    fn real(&self, arc: usize) -> Option<usize> {
        let e = arc.checked_add(self.n)?;
        (e < self.src.len()).then_some(e)
    }

    fn arc_index(&mut self, arc: usize, what: &str) -> Option<usize> {
        let e = self.real(arc);
        if e.is_none() {
            self.pending_error = Some(format!(
                "{what}: arc {arc} does not exist (the problem has {} arcs)",
                self.num_arcs()
            ));
        }
        e
    }

    fn finish(&mut self, res: Result<i64, SolveError>) -> Result<i64, SolveError> {
        match res {
            Ok(obj) => {
                self.objective = obj;
                self.basis_valid = true;
                self.dirty = false;
                self.costs_changed = false;
                Ok(obj)
            }
            Err(e) => {
                self.basis_valid = false;
                self.dirty = true;
                Err(e)
            }
        }
    }

    /// Check indices, capacities, the supply balance and overflow headroom, and set the
    /// artificial cost.
    fn validate(&mut self) -> Result<(), SolveError> {
        let n = self.n;
        let mut pos_supply: i128 = 0;
        let mut sum: i128 = 0;
        for (u, &b) in self.supply.iter().enumerate() {
            sum += i128::from(b);
            if b > 0 {
                pos_supply += i128::from(b);
            }
            if b == i64::MIN {
                return Err(SolveError::Overflow(format!(
                    "supply of node {u} is i64::MIN"
                )));
            }
        }
        if sum != 0 {
            return Err(SolveError::InvalidInput(format!(
                "supplies sum to {sum}, not 0: add a sink or source that takes the difference"
            )));
        }
        let mut finite_caps: i128 = 0;
        let mut max_cost: i128 = 0;
        for e in n..self.src.len() {
            let (s, t, c, k) = (self.src[e], self.tgt[e], self.cap[e], self.cost[e]);
            if s >= n || t >= n {
                return Err(SolveError::InvalidInput(format!(
                    "arc {} goes from node {s} to node {t}, but nodes are numbered 0..{n}",
                    e - n
                )));
            }
            if c < 0 {
                return Err(SolveError::InvalidInput(format!(
                    "arc {} has capacity {c}; capacities must be >= 0",
                    e - n
                )));
            }
            if c < INFINITE_CAPACITY {
                finite_caps += i128::from(c);
            }
            max_cost = max_cost.max(i128::from(k).abs());
        }
        let limit = i128::from(SUM_LIMIT);
        let bound = pos_supply + finite_caps;
        if bound > limit {
            return Err(SolveError::Overflow(format!(
                "total supply plus finite capacities is {bound}, above the limit {limit}"
            )));
        }
        // Potentials stay within art_cost + n * max_cost; reduced costs within 4x that.
        let art = (max_cost + 1) * (n as i128 + 1);
        if art * 4 > limit {
            return Err(SolveError::Overflow(format!(
                "largest |cost| {max_cost} times {} nodes is above the limit {limit}",
                n + 1
            )));
        }
        let mut obj_bound: i128 = 0;
        for e in n..self.src.len() {
            let c = i128::from(self.cap[e]).min(bound);
            obj_bound += c * i128::from(self.cost[e]).abs();
            if obj_bound > limit {
                return Err(SolveError::Overflow(format!(
                    "the sum of |cost| x capacity over arcs exceeds the limit {limit}; \
                     scale costs or capacities down"
                )));
            }
        }
        let art = art as i64;
        if art != self.art_cost {
            self.art_cost = art;
            // Artificial arcs pointing down carry the big-M cost.
            for u in 0..n {
                if self.src[u] == n {
                    self.cost[u] = art;
                }
            }
            self.costs_changed = true;
        }
        let m = self.src.len() - n;
        self.block_size = ((m as f64).sqrt() as usize).max(10);
        if self.next_arc < n || self.next_arc >= self.src.len() {
            self.next_arc = n;
        }
        Ok(())
    }

    /// The artificial starting basis: every node hangs from the root by its artificial
    /// arc, which carries the node's supply.
    fn init_cold(&mut self) {
        let n = self.n;
        let root = n;
        for e in n..self.src.len() {
            self.flow[e] = 0;
            self.state[e] = STATE_LOWER;
        }
        self.parent[root] = NONE;
        self.pred[root] = NONE;
        self.thread[root] = if n > 0 { 0 } else { root };
        self.rev_thread[0] = root;
        self.succ_num[root] = n + 1;
        self.last_succ[root] = if n > 0 { n - 1 } else { root };
        self.pi[root] = 0;
        for u in 0..n {
            let e = u;
            self.parent[u] = root;
            self.pred[u] = e;
            self.thread[u] = u + 1;
            self.rev_thread[u + 1] = u;
            self.succ_num[u] = 1;
            self.last_succ[u] = u;
            self.state[e] = STATE_TREE;
            let b = self.supply[u];
            if b >= 0 {
                self.pred_dir[u] = UP;
                self.pi[u] = 0;
                self.src[e] = u;
                self.tgt[e] = root;
                self.flow[e] = b;
                self.cost[e] = 0;
            } else {
                self.pred_dir[u] = DOWN;
                self.pi[u] = self.art_cost;
                self.src[e] = root;
                self.tgt[e] = u;
                self.flow[e] = -b;
                self.cost[e] = self.art_cost;
            }
        }
        for x in &mut self.excess {
            *x = 0;
        }
        self.touched.clear();
        self.next_arc = n;
    }

    fn build_csr(&mut self) {
        let n = self.n;
        self.in_start.clear();
        self.in_start.resize(n + 2, 0);
        for e in n..self.src.len() {
            self.in_start[self.tgt[e] + 2] += 1;
        }
        for v in 2..n + 2 {
            self.in_start[v] += self.in_start[v - 1];
        }
        self.in_arcs.clear();
        self.in_arcs.resize(self.src.len() - n, 0);
        for e in n..self.src.len() {
            let slot = &mut self.in_start[self.tgt[e] + 1];
            self.in_arcs[*slot] = e;
            *slot += 1;
        }
        self.csr_valid = true;
    }

    /// LEMON's heuristic first pivots: with one source and one sink, a path of arcs wide
    /// enough for the whole supply found by a reverse search from the sink; otherwise the
    /// cheapest incoming arc of every sink. Returns false if the problem is unbounded.
    fn initial_pivots(&mut self) -> bool {
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
        if !self.csr_valid {
            self.build_csr();
        }
        let mut arcs = std::mem::take(&mut self.heur_arcs);
        arcs.clear();
        if n_sup == 1 && n_dem == 1 {
            let mut reached = std::mem::take(&mut self.heur_reached);
            reached.clear();
            reached.resize(n, false);
            let mut stack = std::mem::take(&mut self.scratch_idx);
            stack.clear();
            reached[t] = true;
            stack.push(t);
            while let Some(v) = stack.pop() {
                if v == s {
                    break;
                }
                for &e in &self.in_arcs[self.in_start[v]..self.in_start[v + 1]] {
                    let u = self.src[e];
                    if reached[u] {
                        continue;
                    }
                    if self.cap[e] >= total {
                        arcs.push(e);
                        reached[u] = true;
                        stack.push(u);
                    }
                }
            }
            self.scratch_idx = stack;
            self.heur_reached = reached;
        } else {
            for v in 0..n {
                if self.supply[v] >= 0 {
                    continue;
                }
                let mut best = NONE;
                let mut best_cost = i64::MAX;
                for &e in &self.in_arcs[self.in_start[v]..self.in_start[v + 1]] {
                    if self.cost[e] < best_cost {
                        best_cost = self.cost[e];
                        best = e;
                    }
                }
                if best != NONE {
                    arcs.push(best);
                }
            }
        }
        let mut ok = true;
        for &e in &arcs {
            self.in_arc = e;
            if self.reduced_cost(e) >= 0 {
                continue;
            }
            if !self.pivot() {
                ok = false;
                break;
            }
        }
        self.heur_arcs = arcs;
        ok
    }

    #[inline]
    fn reduced_cost(&self, e: usize) -> i64 {
        i64::from(self.state[e]) * (self.cost[e] + self.pi[self.src[e]] - self.pi[self.tgt[e]])
    }

    /// One pivot on `self.in_arc`. Returns false if the cycle has unlimited capacity.
    fn pivot(&mut self) -> bool {
        self.find_join_node();
        let change = self.find_leaving_arc();
        if self.delta == INF {
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
    fn find_entering_arc(&mut self) -> bool {
        let n = self.n;
        let end = self.src.len();
        let mut min = 0i64;
        let mut cnt = self.block_size;
        let mut best = NONE;
        let start = self.next_arc;
        let src = &self.src[..end];
        let tgt = &self.tgt[..end];
        let cost = &self.cost[..end];
        let state = &self.state[..end];
        let pi = &self.pi[..];
        let mut e = start;
        let mut found = false;
        while e < end {
            let c = i64::from(state[e]) * (cost[e] + pi[src[e]] - pi[tgt[e]]);
            if c < min {
                min = c;
                best = e;
            }
            cnt -= 1;
            if cnt == 0 {
                if min < 0 {
                    found = true;
                    break;
                }
                cnt = self.block_size;
            }
            e += 1;
        }
        if !found {
            e = n;
            while e < start {
                let c = i64::from(state[e]) * (cost[e] + pi[src[e]] - pi[tgt[e]]);
                if c < min {
                    min = c;
                    best = e;
                }
                cnt -= 1;
                if cnt == 0 {
                    if min < 0 {
                        found = true;
                        break;
                    }
                    cnt = self.block_size;
                }
                e += 1;
            }
        }
        if !found && min >= 0 {
            return false;
        }
        self.in_arc = best;
        // Resume after the block that gave the arc (LEMON resumes at the block's end).
        self.next_arc = if found { e + 1 } else { e };
        if self.next_arc >= end {
            self.next_arc = n;
        }
        true
    }

    fn find_join_node(&mut self) {
        let mut u = self.src[self.in_arc];
        let mut v = self.tgt[self.in_arc];
        while u != v {
            if self.succ_num[u] < self.succ_num[v] {
                u = self.parent[u];
            } else {
                v = self.parent[v];
            }
        }
        self.join = u;
    }

    fn find_leaving_arc(&mut self) -> bool {
        let in_arc = self.in_arc;
        let (first, second) = if self.state[in_arc] == STATE_LOWER {
            (self.src[in_arc], self.tgt[in_arc])
        } else {
            (self.tgt[in_arc], self.src[in_arc])
        };
        let c = self.cap[in_arc];
        let mut delta = if c >= INFINITE_CAPACITY { INF } else { c };
        let mut result = 0u8;
        let join = self.join;
        let mut u = first;
        while u != join {
            let e = self.pred[u];
            let mut d = self.flow[e];
            if self.pred_dir[u] == DOWN {
                let c = self.cap[e];
                d = if c >= INFINITE_CAPACITY { INF } else { c - d };
            }
            if d < delta {
                delta = d;
                self.u_out = u;
                result = 1;
            }
            u = self.parent[u];
        }
        let mut u = second;
        while u != join {
            let e = self.pred[u];
            let mut d = self.flow[e];
            if self.pred_dir[u] == UP {
                let c = self.cap[e];
                d = if c >= INFINITE_CAPACITY { INF } else { c - d };
            }
            if d <= delta {
                delta = d;
                self.u_out = u;
                result = 2;
            }
            u = self.parent[u];
        }
        if result == 1 {
            self.u_in = first;
            self.v_in = second;
        } else {
            self.u_in = second;
            self.v_in = first;
        }
        self.delta = delta;
        result != 0
    }

    fn change_flow(&mut self, change: bool) {
        let in_arc = self.in_arc;
        let join = self.join;
        if self.delta > 0 {
            let val = i64::from(self.state[in_arc]) * self.delta;
            self.flow[in_arc] += val;
            let mut u = self.src[in_arc];
            while u != join {
                self.flow[self.pred[u]] -= i64::from(self.pred_dir[u]) * val;
                u = self.parent[u];
            }
            let mut u = self.tgt[in_arc];
            while u != join {
                self.flow[self.pred[u]] += i64::from(self.pred_dir[u]) * val;
                u = self.parent[u];
            }
        }
        if change {
            self.state[in_arc] = STATE_TREE;
            let out = self.pred[self.u_out];
            self.state[out] = if self.flow[out] == 0 {
                STATE_LOWER
            } else {
                STATE_UPPER
            };
        } else {
            self.state[in_arc] = -self.state[in_arc];
        }
    }

    fn update_tree_structure(&mut self) {
        let (u_in, v_in, u_out, join, in_arc) =
            (self.u_in, self.v_in, self.u_out, self.join, self.in_arc);
        let old_rev_thread = self.rev_thread[u_out];
        let old_succ_num = self.succ_num[u_out];
        let old_last_succ = self.last_succ[u_out];
        let v_out = self.parent[u_out];

        if u_in == u_out {
            self.parent[u_in] = v_in;
            self.pred[u_in] = in_arc;
            self.pred_dir[u_in] = if u_in == self.src[in_arc] { UP } else { DOWN };
            if self.thread[v_in] != u_out {
                let mut after = self.thread[old_last_succ];
                self.thread[old_rev_thread] = after;
                self.rev_thread[after] = old_rev_thread;
                after = self.thread[v_in];
                self.thread[v_in] = u_out;
                self.rev_thread[u_out] = v_in;
                self.thread[old_last_succ] = after;
                self.rev_thread[after] = old_last_succ;
            }
        } else {
            let thread_continue = if old_rev_thread == v_in {
                self.thread[old_last_succ]
            } else {
                self.thread[v_in]
            };
            let mut stem = u_in;
            let mut par_stem = v_in;
            let mut last = self.last_succ[u_in];
            let mut after = self.thread[last];
            self.thread[v_in] = u_in;
            self.dirty_revs.clear();
            self.dirty_revs.push(v_in);
            while stem != u_out {
                let next_stem = self.parent[stem];
                self.thread[last] = next_stem;
                self.dirty_revs.push(last);
                let before = self.rev_thread[stem];
                self.thread[before] = after;
                self.rev_thread[after] = before;
                self.parent[stem] = par_stem;
                par_stem = stem;
                stem = next_stem;
                last = if self.last_succ[stem] == self.last_succ[par_stem] {
                    self.rev_thread[par_stem]
                } else {
                    self.last_succ[stem]
                };
                after = self.thread[last];
            }
            self.parent[u_out] = par_stem;
            self.thread[last] = thread_continue;
            self.rev_thread[thread_continue] = last;
            self.last_succ[u_out] = last;
            if old_rev_thread != v_in {
                self.thread[old_rev_thread] = after;
                self.rev_thread[after] = old_rev_thread;
            }
            for i in 0..self.dirty_revs.len() {
                let u = self.dirty_revs[i];
                let t = self.thread[u];
                self.rev_thread[t] = u;
            }
            let mut tmp_sc = 0usize;
            let tmp_ls = self.last_succ[u_out];
            let mut u = u_out;
            while u != u_in {
                let p = self.parent[u];
                self.pred[u] = self.pred[p];
                self.pred_dir[u] = -self.pred_dir[p];
                tmp_sc = tmp_sc + self.succ_num[u] - self.succ_num[p];
                self.succ_num[u] = tmp_sc;
                self.last_succ[p] = tmp_ls;
                u = p;
            }
            self.pred[u_in] = in_arc;
            self.pred_dir[u_in] = if u_in == self.src[in_arc] { UP } else { DOWN };
            self.succ_num[u_in] = old_succ_num;
        }

        let up_limit_out = if self.last_succ[join] == v_in {
            join
        } else {
            NONE
        };
        let last_succ_out = self.last_succ[u_out];
        let mut u = v_in;
        while u != NONE && self.last_succ[u] == v_in {
            self.last_succ[u] = last_succ_out;
            u = self.parent[u];
        }
        if join != old_rev_thread && v_in != old_rev_thread {
            let mut u = v_out;
            while u != up_limit_out && u != NONE && self.last_succ[u] == old_last_succ {
                self.last_succ[u] = old_rev_thread;
                u = self.parent[u];
            }
        } else if last_succ_out != old_last_succ {
            let mut u = v_out;
            while u != up_limit_out && u != NONE && self.last_succ[u] == old_last_succ {
                self.last_succ[u] = last_succ_out;
                u = self.parent[u];
            }
        }
        let mut u = v_in;
        while u != join {
            self.succ_num[u] += old_succ_num;
            u = self.parent[u];
        }
        let mut u = v_out;
        while u != join {
            self.succ_num[u] -= old_succ_num;
            u = self.parent[u];
        }
    }

    fn update_potential(&mut self) {
        let (u_in, v_in) = (self.u_in, self.v_in);
        let sigma =
            self.pi[v_in] - self.pi[u_in] - i64::from(self.pred_dir[u_in]) * self.cost[self.in_arc];
        let end = self.thread[self.last_succ[u_in]];
        let mut u = u_in;
        while u != end {
            self.pi[u] += sigma;
            u = self.thread[u];
        }
    }

    /// Pivot until optimal; then check that no artificial arc carries flow and return the
    /// objective.
    fn run_pivots(&mut self) -> Result<i64, SolveError> {
        while self.find_entering_arc() {
            if !self.pivot() {
                return Err(SolveError::Unbounded);
            }
        }
        if self.flow[..self.n].iter().any(|&f| f != 0) {
            return Err(SolveError::Infeasible);
        }
        let n = self.n;
        let obj = self.flow[n..]
            .iter()
            .zip(&self.cost[n..])
            .map(|(&f, &c)| f * c)
            .sum();
        Ok(obj)
    }

    /// Bring the previous optimal basis up to date with the changes since: flows of
    /// non-tree arcs at capacity follow their new capacity, supply changes and those flow
    /// changes are pushed up the tree to the root, and a tree arc that would leave its
    /// bounds (or break strong feasibility) is set to the bound and leaves the tree, its
    /// subtree hanging from the root by its artificial arc, which takes the remainder.
    /// Then potentials are recomputed when anything they depend on changed.
    fn warm_repair(&mut self) {
        let n = self.n;
        let root = n;
        let mut need_push = false;
        for i in 0..self.touched.len() {
            let e = self.touched[i];
            if self.state[e] == STATE_UPPER {
                // A non-tree arc sits at a bound: its new capacity, or 0 if that is infinite.
                let c = self.cap[e];
                let target = if c >= INFINITE_CAPACITY {
                    self.state[e] = STATE_LOWER;
                    0
                } else {
                    c
                };
                let d = target - self.flow[e];
                if d != 0 {
                    self.flow[e] = target;
                    self.excess[self.src[e]] -= d;
                    self.excess[self.tgt[e]] += d;
                }
            }
            if self.state[e] == STATE_TREE {
                need_push = true;
            }
        }
        self.touched.clear();
        if !need_push {
            need_push = self.excess.iter().any(|&x| x != 0);
        }
        let mut tree_changed = false;
        if need_push {
            let sub = &mut self.scratch;
            sub[..n].copy_from_slice(&self.excess);
            sub[n] = 0;
            for x in &mut self.excess {
                *x = 0;
            }
            // Reverse preorder: every node after all of its descendants.
            let mut v = self.rev_thread[root];
            while v != root {
                let prev = self.rev_thread[v];
                let s = sub[v];
                let e = self.pred[v];
                let p = self.parent[v];
                if e < n {
                    // Artificial arc to the root: carries whatever the subtree sends.
                    let up = if self.pred_dir[v] == UP {
                        self.flow[e]
                    } else {
                        -self.flow[e]
                    };
                    Self::orient_art(
                        &mut self.src,
                        &mut self.tgt,
                        &mut self.cost,
                        &mut self.flow,
                        &mut self.pred_dir,
                        self.art_cost,
                        n,
                        v,
                        up + s,
                    );
                } else {
                    let dir = self.pred_dir[v];
                    let f = self.flow[e];
                    let c = self.cap[e];
                    let nf = f + i64::from(dir) * s;
                    let ok = if dir == UP {
                        nf >= 0 && (nf < c || c >= INFINITE_CAPACITY)
                    } else {
                        nf > 0 && nf <= c
                    };
                    if ok {
                        self.flow[e] = nf;
                        sub[p] += s;
                    } else {
                        // The bound the arc would cross (strong feasibility counts an
                        // arc pointing up at capacity, or down at 0, as crossing).
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
                        self.flow[e] = bound;
                        self.state[e] = if bound == 0 { STATE_LOWER } else { STATE_UPPER };
                        sub[p] += pushed;
                        self.parent[v] = root;
                        self.pred[v] = v;
                        self.state[v] = STATE_TREE;
                        self.flow[v] = 0;
                        Self::orient_art(
                            &mut self.src,
                            &mut self.tgt,
                            &mut self.cost,
                            &mut self.flow,
                            &mut self.pred_dir,
                            self.art_cost,
                            n,
                            v,
                            s - pushed,
                        );
                        tree_changed = true;
                    }
                }
                v = prev;
            }
        }
        if tree_changed {
            self.rebuild_thread();
        }
        if tree_changed || need_push || self.costs_changed {
            self.recompute_potentials();
        }
    }

    /// Point the artificial arc of `v` up (flow `up`) when `up >= 0`, else down (flow
    /// `-up`, cost big M).
    #[allow(clippy::too_many_arguments)]
    fn orient_art(
        src: &mut [usize],
        tgt: &mut [usize],
        cost: &mut [i64],
        flow: &mut [i64],
        pred_dir: &mut [i8],
        art_cost: i64,
        root: usize,
        v: usize,
        up: i64,
    ) {
        if up >= 0 {
            src[v] = v;
            tgt[v] = root;
            cost[v] = 0;
            flow[v] = up;
            pred_dir[v] = UP;
        } else {
            src[v] = root;
            tgt[v] = v;
            cost[v] = art_cost;
            flow[v] = -up;
            pred_dir[v] = DOWN;
        }
    }

    /// Rebuild `thread`, `rev_thread`, `succ_num` and `last_succ` from `parent`.
    fn rebuild_thread(&mut self) {
        let n = self.n;
        let root = n;
        // Children lists as first_child / next_sibling (scratch_idx holds both).
        let idx = &mut self.scratch_idx;
        idx.clear();
        idx.resize(2 * (n + 1), NONE);
        let (first_child, next_sib) = idx.split_at_mut(n + 1);
        for v in (0..n).rev() {
            let p = self.parent[v];
            next_sib[v] = first_child[p];
            first_child[p] = v;
        }
        // Iterative preorder walk.
        let mut prev = root;
        let mut v = root;
        loop {
            // Descend to the first child if any, else go to the next sibling of v or of
            // its nearest ancestor that has one.
            let next = if first_child[v] != NONE {
                first_child[v]
            } else {
                let mut u = v;
                loop {
                    if u == root {
                        break NONE;
                    }
                    if next_sib[u] != NONE {
                        break next_sib[u];
                    }
                    u = self.parent[u];
                }
            };
            if next == NONE {
                break;
            }
            self.thread[prev] = next;
            self.rev_thread[next] = prev;
            prev = next;
            v = next;
        }
        self.thread[prev] = root;
        self.rev_thread[root] = prev;
        // Subtree sizes and last successors in reverse preorder.
        for u in 0..=n {
            self.succ_num[u] = 1;
            self.last_succ[u] = NONE;
        }
        let mut v = self.rev_thread[root];
        while v != root {
            if self.last_succ[v] == NONE {
                self.last_succ[v] = v;
            }
            let p = self.parent[v];
            self.succ_num[p] += self.succ_num[v];
            if self.last_succ[p] == NONE {
                self.last_succ[p] = self.last_succ[v];
            }
            v = self.rev_thread[v];
        }
        if self.last_succ[root] == NONE {
            self.last_succ[root] = root;
        }
    }

    /// Potentials from the tree: every tree arc has reduced cost 0.
    fn recompute_potentials(&mut self) {
        let root = self.n;
        self.pi[root] = 0;
        let mut u = self.thread[root];
        while u != root {
            let p = self.parent[u];
            self.pi[u] = self.pi[p] - i64::from(self.pred_dir[u]) * self.cost[self.pred[u]];
            u = self.thread[u];
        }
    }
}
