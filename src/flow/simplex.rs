//! The primal network simplex (see the [module docs](super) for the model and units).
//!
//! Layout, after LEMON's `network_simplex.h`: an artificial root node `n` joined to every
//! node `u` by an artificial arc (stored at internal index `u`); the real arcs follow at
//! internal indices `n..n + m`, in LEMON's mixed order. The spanning tree is kept per node
//! in `up` (parent, `pred` = the tree arc to the parent, whether that arc points up to the
//! parent or down, subtree size), `thread` (a preorder of the tree, as a cyclic list
//! through the root), `rev_thread` and `last_succ` (the last node of a subtree in the
//! thread order). Pivots keep the tree strongly feasible, which rules out cycling.

use crate::error::SolveError;

/// Capacities at or above this value are infinite: such an arc never limits a pivot, and a
/// negative-cost cycle of such arcs makes the problem [`SolveError::Unbounded`].
pub const INFINITE_CAPACITY: i64 = i64::MAX / 4;

/// Bound on every sum the solver forms (flow totals, the objective, node potentials).
/// Inputs whose worst case exceeds it are rejected with [`SolveError::Overflow`].
pub const SUM_LIMIT: i64 = i64::MAX / 4;

const INF: i64 = i64::MAX;
const BLOCK_SIZE_FACTOR: f64 = 2.0;
const MIN_BLOCK_SIZE: usize = 10;
const NONE: usize = usize::MAX;

const UP: i8 = 1;
const DOWN: i8 = -1;

const STATE_UPPER: i8 = -1;
const STATE_TREE: i8 = 0;
const STATE_LOWER: i8 = 1;

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

/// The tree data of a node that the cycle walks read together.
#[derive(Debug, Clone, Copy)]
struct Up {
    /// Parent node (`NONE` for the root).
    parent: usize,
    /// The tree arc joining the node to its parent.
    pred: usize,
    /// Number of nodes in the node's subtree (itself included).
    succ: usize,
    /// `UP` if `pred` points from the node to its parent, else `DOWN`.
    dir: i8,
}

/// Buffers of the uniqueness test (see [`NetworkSimplex::optimum_is_unique`]).
#[derive(Debug, Clone, Default)]
struct TieScratch {
    parent: Vec<usize>,
    edges: Vec<(usize, usize)>,
    indeg: Vec<usize>,
    start: Vec<usize>,
    adj: Vec<usize>,
    stack: Vec<usize>,
}

/// Running totals of the input (see [`NetworkSimplex::validate`]).
#[derive(Debug, Clone, Default)]
struct Totals {
    /// Sum of supplies.
    supply_sum: i128,
    /// Sum of positive supplies.
    pos_supply: i128,
    /// Sum of finite capacities (negative ones included, they are errors anyway).
    finite_caps: i128,
    /// Number of arcs with an infinite capacity.
    infinite: i128,
    /// Number of arcs with a negative capacity.
    negative: usize,
    /// Number of arcs with an endpoint out of range.
    bad_ends: usize,
    /// An upper bound on the largest |cost| (it never decreases).
    max_cost: i128,
    /// Sum of |cost| over arcs.
    sum_cost: i128,
}

impl Totals {
    fn cap(&mut self, c: i64, sign: i128) {
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

    fn cost(&mut self, k: i64, sign: i128) {
        let a = i128::from(k).abs();
        self.sum_cost += sign * a;
        self.max_cost = self.max_cost.max(a);
    }
}

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
#[derive(Debug)]
pub struct NetworkSimplex {
    /// Number of real nodes; the root is node `n`.
    n: usize,
    /// Supplies of the real nodes as the user set them.
    supply: Vec<i64>,

    // Arc data: artificial arcs at 0..n, then the real arcs, in the mixed order of
    // `pos` (user arc i is internal arc pos[i]; internal arc e is user arc user_of[e - n]).
    pos: Vec<usize>,
    user_of: Vec<usize>,
    /// Flows by user arc index, filled after every successful solve.
    user_flow: Vec<i64>,
    /// The internal arc order is mixed (LEMON's arc mixing) for all arcs.
    mixed: bool,
    src: Vec<usize>,
    tgt: Vec<usize>,
    cap: Vec<i64>,
    cost: Vec<i64>,
    flow: Vec<i64>,
    state: Vec<i8>,

    // Spanning tree, indexed by node (0..=n).
    pi: Vec<i64>,
    /// Per node: parent, tree arc to the parent and its direction, subtree size; kept
    /// together because the cycle walks read them together.
    up: Vec<Up>,
    thread: Vec<usize>,
    rev_thread: Vec<usize>,
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
    /// Arcs were added since the last solve (they have not been priced).
    arcs_added: bool,
    /// Supply changes not yet pushed into the basis (node -> extra units to send out).
    excess: Vec<i64>,
    /// Real arcs (internal index) whose capacity changed since the last solve.
    touched: Vec<usize>,
    /// Nodes whose `excess` may be non-zero.
    excess_nodes: Vec<usize>,
    /// Scratch stack for the initial-pivot search.
    scratch_idx: Vec<usize>,
    /// A setter was called with a bad index; reported by the next solve.
    pending_error: Option<String>,
    /// The flows of the last successful solve are the problem's canonical optimum (see
    /// [`NetworkSimplex::solve_canonical`]).
    canonical: bool,
    /// Non-tree arcs with reduced cost 0 at the last solve that changed the basis or the
    /// potentials (`zero_rc_valid`): a solve that changes only capacities and keeps the
    /// basis keeps them too, so the uniqueness test need not scan every arc again.
    zero_rc: Vec<usize>,
    zero_rc_valid: bool,
    tie_scratch: TieScratch,
    /// Objective of the last successful solve.
    objective: i64,
    /// Pivots of the last solve.
    pivots: u64,
    /// Running totals of the input, kept by the setters, so that a solve can check the
    /// input in O(1) (falling back to a full scan only when a cheap bound fails).
    totals: Totals,

    // In-arc adjacency (CSR) for the initial-pivot heuristic; rebuilt when arcs are added.
    in_start: Vec<usize>,
    in_arcs: Vec<usize>,
    csr_valid: bool,
    heur_arcs: Vec<usize>,
    heur_reached: Vec<bool>,
    heur_dist: Vec<i64>,
    heur_heap: std::collections::BinaryHeap<std::cmp::Reverse<(i64, usize)>>,
}

impl Clone for NetworkSimplex {
    fn clone(&self) -> Self {
        let mut s = NetworkSimplex::new(0);
        s.clone_from(self);
        s
    }

    /// Field by field, keeping this solver's buffers (an engine resets its solvers to
    /// fresh copies before every run). The destructuring is exhaustive, so a new field
    /// cannot be forgotten here.
    fn clone_from(&mut self, o: &Self) {
        crate::clone_fields_from!(
            NetworkSimplex,
            self,
            o,
            [
                n,
                supply,
                pos,
                user_of,
                user_flow,
                mixed,
                src,
                tgt,
                cap,
                cost,
                flow,
                state,
                pi,
                up,
                thread,
                rev_thread,
                last_succ,
                dirty_revs,
                in_arc,
                join,
                u_in,
                v_in,
                u_out,
                delta,
                next_arc,
                block_size,
                art_cost,
                basis_valid,
                dirty,
                costs_changed,
                arcs_added,
                excess,
                touched,
                excess_nodes,
                scratch_idx,
                pending_error,
                canonical,
                zero_rc,
                zero_rc_valid,
                tie_scratch,
                objective,
                pivots,
                totals,
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
    /// An empty problem on `num_nodes` nodes (numbered `0..num_nodes`), all supplies zero.
    pub fn new(num_nodes: usize) -> Self {
        let n = num_nodes;
        let mut s = NetworkSimplex {
            n,
            supply: vec![0; n],
            pos: Vec::new(),
            user_of: Vec::new(),
            user_flow: Vec::new(),
            mixed: true,
            src: Vec::new(),
            tgt: Vec::new(),
            cap: Vec::new(),
            cost: Vec::new(),
            flow: Vec::new(),
            state: Vec::new(),
            pi: vec![0; n + 1],
            up: vec![
                Up {
                    parent: NONE,
                    pred: NONE,
                    succ: 0,
                    dir: UP,
                };
                n + 1
            ],
            thread: vec![0; n + 1],
            rev_thread: vec![0; n + 1],
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
            arcs_added: false,
            excess: vec![0; n],
            touched: Vec::new(),
            excess_nodes: Vec::new(),
            scratch_idx: Vec::new(),
            pending_error: None,
            canonical: false,
            zero_rc: Vec::new(),
            zero_rc_valid: false,
            tie_scratch: TieScratch::default(),
            objective: 0,
            pivots: 0,
            totals: Totals::default(),
            in_start: Vec::new(),
            in_arcs: Vec::new(),
            csr_valid: false,
            heur_arcs: Vec::new(),
            heur_reached: Vec::new(),
            heur_dist: Vec::new(),
            heur_heap: std::collections::BinaryHeap::new(),
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
        let idx = self.pos.len();
        self.pos.push(self.src.len());
        self.user_of.push(idx);
        self.user_flow.push(0);
        self.mixed = false;
        let n = self.n;
        if from >= n || to >= n {
            self.totals.bad_ends += 1;
        }
        self.totals.cap(capacity, 1);
        self.totals.cost(cost, 1);
        self.src.push(from);
        self.tgt.push(to);
        self.cap.push(capacity);
        self.cost.push(cost);
        self.flow.push(0);
        self.state.push(STATE_LOWER);
        self.csr_valid = false;
        // A new arc joins the basis as a non-tree arc at flow 0: the basis stays valid,
        // but the arc has not been priced.
        self.dirty = true;
        self.arcs_added = true;
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
        let t = &mut self.totals;
        t.supply_sum += i128::from(supply) - i128::from(old);
        t.pos_supply += i128::from(supply.max(0)) - i128::from(old.max(0));
        let was = self.excess[node];
        self.excess[node] = was.wrapping_add(supply.wrapping_sub(old));
        if was == 0 {
            self.excess_nodes.push(node);
            if self.excess_nodes.len() > 2 * self.n {
                // Many changes without a solve: keep each node once.
                self.excess_nodes.sort_unstable();
                self.excess_nodes.dedup();
            }
        }
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
        self.totals.cap(self.cap[e], -1);
        self.totals.cap(capacity, 1);
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
        self.totals.cost(self.cost[e], -1);
        self.totals.cost(cost, 1);
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
        self.user_flow.get(arc).copied().unwrap_or(0)
    }

    /// The flows of all arcs after the last successful solve, by arc index.
    pub fn flows(&self) -> &[i64] {
        &self.user_flow
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

    /// The number of pivots of the last solve (0 when it returned a cached optimum).
    pub fn pivots(&self) -> u64 {
        self.pivots
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
            self.pivots = 0;
            return Ok(self.objective);
        }
        self.pivots = 0;
        self.canonical = false;
        if let Err(e) = self.validate() {
            return self.finish(Err(e));
        }
        // Only capacities changed, each on a non-tree arc resting at flow 0 (at the last
        // optimum its reduced cost was >= 0, else it would have entered) or on a tree arc
        // whose flow stays strictly below the new capacity (no tree arc leaves its bounds
        // and none becomes degenerate, so the tree stays strongly feasible): the flows,
        // the basis and the potentials stay optimal, and the repair and the pivots would
        // change nothing.
        if !self.costs_changed
            && !self.arcs_added
            && self.excess_nodes.is_empty()
            && self.touched.iter().all(|&e| {
                self.state[e] == STATE_LOWER
                    || (self.state[e] == STATE_TREE && self.cap[e] > self.flow[e])
            })
        {
            self.touched.clear();
            self.dirty = false;
            return Ok(self.objective);
        }
        // The warm repair adds supply and capacity changes to flows before they are
        // routed; with numbers near the limits that could overflow, so start cold.
        let t = &self.totals;
        if t.pos_supply + t.finite_caps > i128::from(SUM_LIMIT / 8) {
            return self.solve_cold();
        }
        self.zero_rc_valid = false;
        self.warm_repair();
        let res = self.run_pivots();
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
        if !self.mixed {
            self.remix();
        }
        self.zero_rc_valid = false;
        // The big-M cost follows the largest |cost|, whose running value may be stale
        // (costs lowered since): recompute it, so a cold solve is a function of the
        // problem alone (see `solve_canonical`).
        let n = self.n;
        self.totals.max_cost = self.cost[n..]
            .iter()
            .map(|&k| i128::from(k).abs())
            .max()
            .unwrap_or(0);
        self.pivots = 0;
        let res = self.validate().and_then(|()| {
            self.init_cold();
            if !self.initial_pivots() {
                return Err(SolveError::Unbounded);
            }
            self.run_pivots()
        });
        let res = self.finish(res);
        self.canonical = res.is_ok();
        res
    }

    /// Solve, and leave flows that depend only on the problem (capacities, supplies,
    /// costs), never on the basis the solve started from: when the problem has one
    /// optimal flow, it is that flow (found warm, as [`solve`](Self::solve) does); when
    /// several flows tie at the optimal cost, it is the optimum a cold solve finds from
    /// the artificial starting basis, which is a function of the problem alone. So two
    /// solvers given the same problem return the same flows, whatever they solved before.
    /// Returns the optimal total cost.
    ///
    /// ```
    /// use chokepoint::flow::NetworkSimplex;
    /// // Two routes of equal cost: which carries the flow depends on where a solve starts.
    /// let mut a = NetworkSimplex::new(4);
    /// a.add_arc(0, 1, 10, 1);
    /// a.add_arc(1, 3, 10, 1);
    /// a.add_arc(0, 2, 10, 1);
    /// a.add_arc(2, 3, 10, 1);
    /// a.set_supply(0, 5);
    /// a.set_supply(3, -5);
    /// let mut b = a.clone();
    /// a.solve_canonical()?;
    /// // b first solves another problem, then the same one.
    /// b.set_capacity(0, 0);
    /// b.solve()?;
    /// b.set_capacity(0, 10);
    /// b.solve_canonical()?;
    /// assert_eq!(a.flows(), b.flows());
    /// # Ok::<(), chokepoint::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`solve`](Self::solve).
    pub fn solve_canonical(&mut self) -> Result<i64, SolveError> {
        if self.basis_valid && !self.dirty && self.canonical && self.pending_error.is_none() {
            self.pivots = 0;
            return Ok(self.objective);
        }
        let obj = self.solve()?;
        if self.canonical || self.unique_now() {
            self.canonical = true;
            return Ok(obj);
        }
        let pivots = self.pivots;
        let obj = self.solve_cold()?;
        self.pivots += pivots;
        Ok(obj)
    }

    /// [`optimum_is_unique`](Self::optimum_is_unique) after a solve, keeping the list of
    /// non-tree arcs with reduced cost 0 while the basis and the potentials stay.
    fn unique_now(&mut self) -> bool {
        let n = self.n;
        if !self.zero_rc_valid {
            self.zero_rc.clear();
            let (src, tgt, cost, state) = (
                &self.src[n..],
                &self.tgt[n..],
                &self.cost[n..],
                &self.state[n..],
            );
            let pi = &self.pi;
            for (i, (((&u, &v), &c), &st)) in src.iter().zip(tgt).zip(cost).zip(state).enumerate() {
                if st != STATE_TREE && c + pi[u] - pi[v] == 0 {
                    self.zero_rc.push(n + i);
                }
            }
            self.zero_rc_valid = true;
        }
        // Arcs between their bounds are tree arcs, and tree arcs form a forest: without
        // a non-tree arc of reduced cost 0 (and some capacity), no cycle of zero-cost
        // residual arcs exists. This settles almost every solve.
        let mut open = self.zero_rc.iter().filter(|&&e| self.cap[e] != 0);
        let Some(&e) = open.next() else {
            return true;
        };
        if open.next().is_none() {
            // One such arc: a cycle would be it and the tree path between its ends, the
            // only path in a forest. At flow 0 it can carry more from its tail to its
            // head, so the tree path must carry more from head to tail; at capacity,
            // the other way.
            let (u, v) = (self.src[e], self.tgt[e]);
            return if self.flow[e] == 0 {
                !self.tree_path_open(v, u)
            } else {
                !self.tree_path_open(u, v)
            };
        }
        let mut sc = std::mem::take(&mut self.tie_scratch);
        let unique = self.unique_given(&self.zero_rc, &mut sc);
        self.tie_scratch = sc;
        unique
    }

    /// Whether the flows of the last successful solve are the only optimal flows: no
    /// cycle of residual arcs with reduced cost 0 exists (pushing flow around such a
    /// cycle would give another optimum of the same cost). O(nodes + arcs).
    pub fn optimum_is_unique(&self) -> bool {
        let n = self.n;
        let zero_rc: Vec<usize> = (n..self.src.len())
            .filter(|&e| {
                self.state[e] != STATE_TREE
                    && self.cost[e] + self.pi[self.src[e]] - self.pi[self.tgt[e]] == 0
            })
            .collect();
        self.unique_given(&zero_rc, &mut TieScratch::default())
    }

    /// Whether every arc of the tree path from node `from` to node `to` can carry more
    /// flow in that direction (the path must not pass the artificial root).
    fn tree_path_open(&self, from: usize, to: usize) -> bool {
        let (n, up) = (self.n, &self.up[..]);
        // Whether tree arc `e` can carry more from `x` to `y`.
        let more = |e: usize, x: usize| {
            if self.src[e] == x {
                self.flow[e] < self.cap[e]
            } else {
                self.flow[e] > 0
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
    fn unique_given(&self, zero_rc: &[usize], sc: &mut TieScratch) -> bool {
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
            let (u, v) = (self.src[e], self.tgt[e]);
            if self.cap[e] == 0 {
                return;
            }
            if self.flow[e] == 0 {
                edges.push((u, v));
            } else if self.flow[e] == self.cap[e] {
                edges.push((v, u));
            }
        };
        // Tree arcs: each real node's arc to its parent (artificial arcs join the root,
        // which is not part of the problem).
        for v in 0..n {
            let e = self.up[v].pred;
            if e == NONE || e < n {
                continue;
            }
            let (f, c) = (self.flow[e], self.cap[e]);
            if f > 0 && f < c {
                let (a, b) = (find(parent, self.src[e]), find(parent, self.tgt[e]));
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

    // ---------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------

    fn real(&self, arc: usize) -> Option<usize> {
        self.pos.get(arc).copied()
    }

    /// Store the arcs in LEMON's mixed order (arc i at position i * skip, wrapping), so
    /// that a block of the pricing scan samples the whole network rather than one layer.
    fn remix(&mut self) {
        let n = self.n;
        let m = self.pos.len();
        self.mixed = true;
        self.csr_valid = false;
        let skip = if n > 1 { (m / n).max(3) } else { 1 };
        let (mut i, mut j) = (0usize, 0usize);
        let mut new_src = vec![0; m];
        let mut new_tgt = vec![0; m];
        let mut new_cap = vec![0; m];
        let mut new_cost = vec![0; m];
        for a in 0..m {
            let e = self.pos[a];
            new_src[i] = self.src[e];
            new_tgt[i] = self.tgt[e];
            new_cap[i] = self.cap[e];
            new_cost[i] = self.cost[e];
            self.pos[a] = n + i;
            self.user_of[i] = a;
            i += skip;
            if i >= m {
                j += 1;
                i = j;
            }
        }
        self.src[n..].copy_from_slice(&new_src);
        self.tgt[n..].copy_from_slice(&new_tgt);
        self.cap[n..].copy_from_slice(&new_cap);
        self.cost[n..].copy_from_slice(&new_cost);
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
                debug_assert_eq!(self.check_tree(), Ok(()));
                self.objective = obj;
                let shift = self.pi[self.n];
                if shift != 0 {
                    for p in &mut self.pi {
                        *p -= shift;
                    }
                }
                for (f, &e) in self.user_flow.iter_mut().zip(&self.pos) {
                    *f = self.flow[e];
                }
                self.basis_valid = true;
                self.dirty = false;
                self.costs_changed = false;
                self.arcs_added = false;
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
    /// artificial cost. O(1) from the running totals unless a cheap bound fails, then a
    /// full scan decides.
    fn validate(&mut self) -> Result<(), SolveError> {
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
            max_cost = self.cost[n..]
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
        // Block search: blocks of 2 sqrt(m) arcs (LEMON uses 1 sqrt(m)); on corridor
        // networks the larger blocks save more pivots than they cost in pricing.
        self.block_size = ((BLOCK_SIZE_FACTOR * (m as f64).sqrt()) as usize).max(MIN_BLOCK_SIZE);
        if self.next_arc < n || self.next_arc >= self.src.len() {
            self.next_arc = n;
        }
        Ok(())
    }

    /// The error for an arc with a bad endpoint or a negative capacity (a full scan).
    fn scan_arcs_for_error(&self) -> SolveError {
        let n = self.n;
        for e in n..self.src.len() {
            let (s, t, c) = (self.src[e], self.tgt[e], self.cap[e]);
            let arc = self.user_of[e - n];
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

    /// The artificial starting basis: every node hangs from the root by its artificial
    /// arc, which carries the node's supply.
    fn init_cold(&mut self) {
        let n = self.n;
        let root = n;
        for e in n..self.src.len() {
            self.flow[e] = 0;
            self.state[e] = STATE_LOWER;
        }
        self.up[root].parent = NONE;
        self.up[root].pred = NONE;
        self.thread[root] = if n > 0 { 0 } else { root };
        self.rev_thread[0] = root;
        self.up[root].succ = n + 1;
        self.last_succ[root] = if n > 0 { n - 1 } else { root };
        self.pi[root] = 0;
        for u in 0..n {
            let e = u;
            self.up[u].parent = root;
            self.up[u].pred = e;
            self.thread[u] = u + 1;
            self.rev_thread[u + 1] = u;
            self.up[u].succ = 1;
            self.last_succ[u] = u;
            self.state[e] = STATE_TREE;
            let b = self.supply[u];
            if b >= 0 {
                self.up[u].dir = UP;
                self.pi[u] = 0;
                self.src[e] = u;
                self.tgt[e] = root;
                self.flow[e] = b;
                self.cost[e] = 0;
            } else {
                self.up[u].dir = DOWN;
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
        self.excess_nodes.clear();
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

    /// Heuristic first pivots. LEMON's: with one source and one sink, a path of arcs wide
    /// enough for the whole supply found by a reverse search from the sink; otherwise the
    /// cheapest incoming arc of every sink. Then ours: the arcs of a shortest-path forest
    /// towards the sinks. Returns false if the problem is unbounded.
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
            // Then (our addition) a shortest-path tree towards the sink.
            self.shortest_path_arcs(&mut arcs);
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
            // Then (our addition) a shortest-path forest towards the sinks.
            self.shortest_path_arcs(&mut arcs);
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

    /// Append the arcs of a shortest-path forest towards the sinks (Dijkstra from all
    /// nodes of negative supply at once, over arcs of positive capacity), nearest nodes
    /// first, when no cost is negative. Pivoting
    /// them in first builds the tree the simplex would otherwise grow one priced arc at a
    /// time, with the right potentials from the start.
    fn shortest_path_arcs(&mut self, arcs: &mut Vec<usize>) {
        let n = self.n;
        if self.cost[n..].iter().any(|&c| c < 0) {
            return;
        }
        let mut dist = std::mem::take(&mut self.heur_dist);
        dist.clear();
        dist.resize(n, i64::MAX);
        let mut via = std::mem::take(&mut self.scratch_idx);
        via.clear();
        via.resize(n, NONE);
        let mut heap = std::mem::take(&mut self.heur_heap);
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
            for &e in &self.in_arcs[self.in_start[v]..self.in_start[v + 1]] {
                let u = self.src[e];
                let nd = d + self.cost[e];
                if self.cap[e] > 0 && nd < dist[u] {
                    dist[u] = nd;
                    via[u] = e;
                    heap.push(std::cmp::Reverse((nd, u)));
                }
            }
        }
        self.heur_dist = dist;
        self.scratch_idx = via;
        self.heur_heap = heap;
    }

    #[inline]
    fn reduced_cost(&self, e: usize) -> i64 {
        i64::from(self.state[e]) * (self.cost[e] + self.pi[self.src[e]] - self.pi[self.tgt[e]])
    }

    /// One pivot on `self.in_arc`. Returns false if the cycle has unlimited capacity.
    fn pivot(&mut self) -> bool {
        self.pivots += 1;
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
        let start = self.next_arc;
        let mut sc = Scan {
            min: 0,
            best: NONE,
            cnt: self.block_size,
            block: self.block_size,
        };
        let (src, tgt, cost, state) = (
            &self.src[..],
            &self.tgt[..],
            &self.cost[..],
            &self.state[..],
        );
        let pi = &self.pi[..];
        let stop = sc
            .run(src, tgt, cost, state, pi, start, end)
            .or_else(|| sc.run(src, tgt, cost, state, pi, n, start));
        if stop.is_none() && sc.min >= 0 {
            return false;
        }
        self.in_arc = sc.best;
        // Resume where the block that gave the arc ended, as LEMON does.
        self.next_arc = stop.unwrap_or(start);
        if self.next_arc >= end {
            self.next_arc = n;
        }
        true
    }

    fn find_join_node(&mut self) {
        let up = &self.up[..];
        let mut u = self.src[self.in_arc];
        let mut v = self.tgt[self.in_arc];
        while u != v {
            if up[u].succ < up[v].succ {
                u = up[u].parent;
            } else {
                v = up[v].parent;
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
        let up = &self.up[..];
        let (flow, cap) = (&self.flow[..], &self.cap[..]);
        let c = cap[in_arc];
        let mut delta = if c >= INFINITE_CAPACITY { INF } else { c };
        let mut result = 0u8;
        let mut u_out = self.u_out;
        let join = self.join;
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
        self.u_out = u_out;
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
        let up = &self.up[..];
        let flow = &mut self.flow[..];
        if self.delta > 0 {
            let val = i64::from(self.state[in_arc]) * self.delta;
            flow[in_arc] += val;
            let mut u = self.src[in_arc];
            while u != join {
                flow[up[u].pred] -= i64::from(up[u].dir) * val;
                u = up[u].parent;
            }
            let mut u = self.tgt[in_arc];
            while u != join {
                flow[up[u].pred] += i64::from(up[u].dir) * val;
                u = up[u].parent;
            }
        }
        if change {
            self.state[in_arc] = STATE_TREE;
            let out = up[self.u_out].pred;
            self.state[out] = if flow[out] == 0 {
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
        let in_src = self.src[in_arc];
        let Self {
            up,
            thread,
            rev_thread,
            last_succ,
            dirty_revs,
            ..
        } = self;
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
    fn update_potential(&mut self) {
        let (u_in, v_in) = (self.u_in, self.v_in);
        let pi = &mut self.pi[..];
        let thread = &self.thread[..];
        let sigma = pi[v_in] - pi[u_in] - i64::from(self.up[u_in].dir) * self.cost[self.in_arc];
        let end = thread[self.last_succ[u_in]];
        let size = self.up[u_in].succ;
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
    /// Work is proportional to the tree paths of the changed nodes and arcs, plus the
    /// subtrees that move; after a cost change the potentials are recomputed in O(n).
    fn warm_repair(&mut self) {
        let n = self.n;
        let mut touched = std::mem::take(&mut self.touched);
        for &e in &touched {
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
                    let (s, t) = (self.src[e], self.tgt[e]);
                    self.excess[s] -= d;
                    self.excess[t] += d;
                    self.excess_nodes.push(s);
                    self.excess_nodes.push(t);
                }
            } else if self.state[e] == STATE_TREE {
                // Check the arc against its new capacity, pushing nothing.
                let s = self.src[e];
                let child = if self.up[s].pred == e { s } else { self.tgt[e] };
                self.push_up(child, 0);
            }
        }
        touched.clear();
        self.touched = touched;
        let mut nodes = std::mem::take(&mut self.excess_nodes);
        for &u in &nodes {
            let s = self.excess[u];
            if s != 0 {
                self.excess[u] = 0;
                self.push_up(u, s);
            }
        }
        nodes.clear();
        self.excess_nodes = nodes;
        if self.costs_changed {
            self.recompute_potentials();
        }
        debug_assert!(self.excess[..n].iter().all(|&x| x == 0));
        debug_assert_eq!(self.check_tree(), Ok(()));
    }

    /// Consistency of the basis (debug builds check it after every warm repair): the
    /// thread is a preorder of the tree, subtree sizes and last successors are right,
    /// tree arcs join each node to its parent in the recorded direction, flows are
    /// within bounds and tree arcs have reduced cost 0.
    #[cfg(debug_assertions)]
    fn check_tree(&self) -> Result<(), String> {
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
            let next = self.thread[u];
            if self.rev_thread[next] != u {
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
                let p = self.up[v].parent;
                if pos[p] >= pos[v] {
                    return Err(format!("parent {p} of {v} comes later in the thread"));
                }
                size[p] += size[v];
            }
        }
        for &v in &order {
            if self.up[v].succ != size[v] {
                return Err(format!(
                    "succ_num[{v}] = {} != {}",
                    self.up[v].succ, size[v]
                ));
            }
            if self.last_succ[v] != order[pos[v] + size[v] - 1] {
                return Err(format!("last_succ[{v}] is wrong"));
            }
            if v == root {
                continue;
            }
            let e = self.up[v].pred;
            let p = self.up[v].parent;
            let (a, b) = if self.up[v].dir == UP { (v, p) } else { (p, v) };
            if self.src[e] != a || self.tgt[e] != b || self.state[e] != STATE_TREE {
                return Err(format!("pred arc {e} of {v} does not join it to {p}"));
            }
            if self.cost[e] + self.pi[a] - self.pi[b] != 0 {
                return Err(format!("tree arc {e} has a non-zero reduced cost"));
            }
        }
        for e in 0..self.src.len() {
            let c = if e < n { INF } else { self.cap[e] };
            if self.flow[e] < 0 || self.flow[e] > c {
                return Err(format!(
                    "arc {e} has flow {} outside [0, {c}]",
                    self.flow[e]
                ));
            }
        }
        Ok(())
    }

    #[cfg(not(debug_assertions))]
    fn check_tree(&self) -> Result<(), String> {
        Ok(())
    }

    /// Send `s` more units from node `v` up its tree path to the root. A tree arc that
    /// cannot take the change (it would leave its bounds, or break strong feasibility)
    /// is set to the bound it would cross and leaves the tree; the node below it then
    /// hangs from the root by its artificial arc, which carries the remainder.
    fn push_up(&mut self, mut v: usize, mut s: i64) {
        let n = self.n;
        loop {
            let e = self.up[v].pred;
            if e < n {
                // The artificial arc from a child of the root carries whatever arrives.
                let up = if self.up[v].dir == UP {
                    self.flow[e]
                } else {
                    -self.flow[e]
                };
                let old_dir = self.up[v].dir;
                self.orient_art(v, up + s);
                if self.up[v].dir != old_dir {
                    self.shift_subtree_potentials(v);
                }
                return;
            }
            let p = self.up[v].parent;
            let dir = self.up[v].dir;
            let f = self.flow[e];
            let c = self.cap[e];
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
                self.flow[e] = nf;
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
            self.flow[e] = bound;
            self.state[e] = if bound == 0 { STATE_LOWER } else { STATE_UPPER };
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
    fn cut_to_root(&mut self, v: usize, up: i64) {
        let root = self.n;
        let size = self.up[v].succ;
        let last = self.last_succ[v];
        let before = self.rev_thread[v];
        let after = self.thread[last];
        // Remove the subtree from the thread.
        self.thread[before] = after;
        self.rev_thread[after] = before;
        let mut u = self.up[v].parent;
        loop {
            self.up[u].succ -= size;
            if self.last_succ[u] == last {
                self.last_succ[u] = before;
            }
            if u == root {
                break;
            }
            u = self.up[u].parent;
        }
        // Insert it right after the root.
        let first = self.thread[root];
        self.thread[root] = v;
        self.rev_thread[v] = root;
        self.thread[last] = first;
        self.rev_thread[first] = last;
        if first == root {
            self.last_succ[root] = last;
        }
        self.up[root].succ += size;
        self.up[v].parent = root;
        self.up[v].pred = v;
        self.state[v] = STATE_TREE;
        self.orient_art(v, up);
        self.shift_subtree_potentials(v);
    }

    /// Make the potentials of `v`'s subtree agree with `v`'s (new) tree arc.
    fn shift_subtree_potentials(&mut self, v: usize) {
        let p = self.up[v].parent;
        let want = self.pi[p] - i64::from(self.up[v].dir) * self.cost[self.up[v].pred];
        let sigma = want - self.pi[v];
        if sigma == 0 {
            return;
        }
        let mut u = v;
        for _ in 0..self.up[v].succ {
            self.pi[u] += sigma;
            u = self.thread[u];
        }
    }

    /// Point the artificial arc of `v` up (flow `up`) when `up >= 0`, else down (flow
    /// `-up`, cost big M).
    fn orient_art(&mut self, v: usize, up: i64) {
        let root = self.n;
        if up >= 0 {
            self.src[v] = v;
            self.tgt[v] = root;
            self.cost[v] = 0;
            self.flow[v] = up;
            self.up[v].dir = UP;
        } else {
            self.src[v] = root;
            self.tgt[v] = v;
            self.cost[v] = self.art_cost;
            self.flow[v] = -up;
            self.up[v].dir = DOWN;
        }
    }

    /// Potentials from the tree: every tree arc has reduced cost 0.
    fn recompute_potentials(&mut self) {
        let root = self.n;
        self.pi[root] = 0;
        let mut u = self.thread[root];
        while u != root {
            let p = self.up[u].parent;
            self.pi[u] = self.pi[p] - i64::from(self.up[u].dir) * self.cost[self.up[u].pred];
            u = self.thread[u];
        }
    }
}
