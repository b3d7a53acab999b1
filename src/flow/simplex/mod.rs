//! The primal network simplex (see the [module docs](super) for the model and units).
//!
//! One file per concern: this one holds the problem (its arcs, supplies and solves);
//! `basis.rs` the initial basis (cold start and the heuristic first pivots); `pivot.rs`
//! the pivots (pricing, the cycle, the tree update); `warm.rs` the warm start (supply and
//! capacity changes pushed into the last basis); `unique.rs` whether the optimum is
//! unique (canonical flows); `validate.rs` the input checks and the tree's consistency.
//!
//! Layout, after LEMON's `network_simplex.h`: an artificial root node `n` joined to every
//! node `u` by an artificial arc (stored at internal index `u`); the real arcs follow at
//! internal indices `n..n + m`, in LEMON's mixed order. The spanning tree is kept per node
//! in `up` (parent, `pred` = the tree arc to the parent, whether that arc points up to the
//! parent or down, subtree size), `thread` (a preorder of the tree, as a cyclic list
//! through the root), `rev_thread` and `last_succ` (the last node of a subtree in the
//! thread order). Pivots keep the tree strongly feasible, which rules out cycling.

use crate::error::SolveError;

mod basis;
mod pivot;
mod unique;
mod validate;
mod warm;

use basis::Heuristic;
use pivot::Pivot;
use unique::Ties;
use validate::Totals;
use warm::Warm;

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

/// The arcs: artificial arcs at `0..n` (node `u`'s to or from the root at index `u`),
/// then the real arcs in the mixed order of `pos` (user arc `i` is internal arc `pos[i]`;
/// internal arc `e` is user arc `user_of[e - n]`).
#[derive(Debug, Default)]
struct Arcs {
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
    /// `STATE_LOWER`, `STATE_TREE` or `STATE_UPPER`.
    state: Vec<i8>,
}

/// The spanning tree (the basis), indexed by node (`0..=n`, the root is `n`).
#[derive(Debug, Default)]
struct Tree {
    /// Node potentials.
    pi: Vec<i64>,
    /// Per node: parent, tree arc to the parent and its direction, subtree size; kept
    /// together because the cycle walks read them together.
    up: Vec<Up>,
    /// A preorder of the tree, as a cyclic list through the root.
    thread: Vec<usize>,
    rev_thread: Vec<usize>,
    /// The last node of each subtree in the thread order.
    last_succ: Vec<usize>,
    dirty_revs: Vec<usize>,
}

impl Clone for Arcs {
    fn clone(&self) -> Self {
        let mut s = Arcs::default();
        s.clone_from(self);
        s
    }

    /// Field by field, keeping the buffers.
    fn clone_from(&mut self, o: &Self) {
        crate::clone_fields_from!(
            Arcs,
            self,
            o,
            [pos, user_of, user_flow, mixed, src, tgt, cap, cost, flow, state,]
        );
    }
}

impl Clone for Tree {
    fn clone(&self) -> Self {
        let mut s = Tree::default();
        s.clone_from(self);
        s
    }

    /// Field by field, keeping the buffers.
    fn clone_from(&mut self, o: &Self) {
        crate::clone_fields_from!(
            Tree,
            self,
            o,
            [pi, up, thread, rev_thread, last_succ, dirty_revs,]
        );
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
    /// The arcs, with their flows and states.
    arcs: Arcs,
    /// The spanning tree: potentials, parents, thread.
    tree: Tree,
    /// The pivot in progress (`pivot.rs`).
    piv: Pivot,
    /// What changed since the last solve (`warm.rs`).
    warm: Warm,
    /// Whether the optimum is unique, and the canonical flows (`unique.rs`).
    ties: Ties,
    /// Buffers of the heuristic first pivots (`basis.rs`).
    heur: Heuristic,
    /// Running totals of the input, kept by the setters, so that a solve can check the
    /// input in O(1) (falling back to a full scan only when a cheap bound fails;
    /// `validate.rs`).
    totals: Totals,
    /// A setter was called with a bad index; reported by the next solve.
    pending_error: Option<String>,
    /// Objective of the last successful solve.
    objective: i64,
    /// Pivots of the last solve.
    pivots: u64,
}

impl Clone for NetworkSimplex {
    fn clone(&self) -> Self {
        let mut s = NetworkSimplex::new(0);
        s.clone_from(self);
        s
    }

    /// Field by field, keeping this solver's buffers (an engine resets its solvers to
    /// fresh copies before every run). The destructurings are exhaustive, so a new field
    /// cannot be forgotten here.
    fn clone_from(&mut self, o: &Self) {
        crate::clone_fields_from!(
            NetworkSimplex,
            self,
            o,
            [
                n,
                supply,
                arcs,
                tree,
                piv,
                warm,
                ties,
                heur,
                totals,
                pending_error,
                objective,
                pivots
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
            arcs: Arcs {
                mixed: true,
                ..Arcs::default()
            },
            tree: Tree {
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
            },
            piv: Pivot {
                in_arc: 0,
                join: 0,
                u_in: 0,
                v_in: 0,
                u_out: 0,
                delta: 0,
                next_arc: n,
                block_size: 10,
                art_cost: 1,
            },
            warm: Warm {
                basis_valid: false,
                dirty: true,
                costs_changed: false,
                arcs_added: false,
                excess: vec![0; n],
                touched: Vec::new(),
                excess_nodes: Vec::new(),
            },
            ties: Ties::default(),
            heur: Heuristic::default(),
            totals: Totals::default(),
            pending_error: None,
            objective: 0,
            pivots: 0,
        };
        // Artificial arcs: node u <-> root, stored at index u.
        for u in 0..n {
            s.arcs.src.push(u);
            s.arcs.tgt.push(n);
            s.arcs.cap.push(INF);
            s.arcs.cost.push(0);
            s.arcs.flow.push(0);
            s.arcs.state.push(STATE_LOWER);
        }
        s
    }

    /// Add an arc `from -> to` with a capacity (`>= 0`; at least [`INFINITE_CAPACITY`]
    /// means unlimited) and a cost per unit of flow (any sign); returns its index
    /// (0, 1, 2, ... in the order of addition). Bad node indices or a negative capacity
    /// are reported by the next [`solve`](Self::solve) as [`SolveError::InvalidInput`].
    pub fn add_arc(&mut self, from: usize, to: usize, capacity: i64, cost: i64) -> usize {
        let idx = self.arcs.pos.len();
        self.arcs.pos.push(self.arcs.src.len());
        self.arcs.user_of.push(idx);
        self.arcs.user_flow.push(0);
        self.arcs.mixed = false;
        let n = self.n;
        if from >= n || to >= n {
            self.totals.bad_ends += 1;
        }
        self.totals.cap(capacity, 1);
        self.totals.cost(cost, 1);
        self.arcs.src.push(from);
        self.arcs.tgt.push(to);
        self.arcs.cap.push(capacity);
        self.arcs.cost.push(cost);
        self.arcs.flow.push(0);
        self.arcs.state.push(STATE_LOWER);
        self.heur.csr_valid = false;
        // A new arc joins the basis as a non-tree arc at flow 0: the basis stays valid,
        // but the arc has not been priced.
        self.warm.dirty = true;
        self.warm.arcs_added = true;
        idx
    }

    /// Number of nodes.
    pub fn num_nodes(&self) -> usize {
        self.n
    }

    /// Number of arcs added.
    pub fn num_arcs(&self) -> usize {
        self.arcs.src.len() - self.n
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
        let was = self.warm.excess[node];
        self.warm.excess[node] = was.wrapping_add(supply.wrapping_sub(old));
        if was == 0 {
            self.warm.excess_nodes.push(node);
            if self.warm.excess_nodes.len() > 2 * self.n {
                // Many changes without a solve: keep each node once.
                self.warm.excess_nodes.sort_unstable();
                self.warm.excess_nodes.dedup();
            }
        }
        self.warm.dirty = true;
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
        if self.arcs.cap[e] == capacity {
            return;
        }
        self.totals.cap(self.arcs.cap[e], -1);
        self.totals.cap(capacity, 1);
        self.arcs.cap[e] = capacity;
        self.warm.touched.push(e);
        self.warm.dirty = true;
    }

    /// The capacity of an arc (0 for an arc that does not exist).
    pub fn capacity(&self, arc: usize) -> i64 {
        self.real(arc).map_or(0, |e| self.arcs.cap[e])
    }

    /// Set the cost per unit of flow of an arc (any sign).
    pub fn set_cost(&mut self, arc: usize, cost: i64) {
        let Some(e) = self.arc_index(arc, "set_cost") else {
            return;
        };
        if self.arcs.cost[e] == cost {
            return;
        }
        self.totals.cost(self.arcs.cost[e], -1);
        self.totals.cost(cost, 1);
        self.arcs.cost[e] = cost;
        self.warm.costs_changed = true;
        self.warm.dirty = true;
    }

    /// The cost of an arc (0 for an arc that does not exist).
    pub fn cost(&self, arc: usize) -> i64 {
        self.real(arc).map_or(0, |e| self.arcs.cost[e])
    }

    /// The endpoints `(from, to)` of an arc, if it exists.
    pub fn arc_ends(&self, arc: usize) -> Option<(usize, usize)> {
        self.real(arc).map(|e| (self.arcs.src[e], self.arcs.tgt[e]))
    }

    /// The flow on an arc after the last solve (0 for an arc that does not exist).
    pub fn flow(&self, arc: usize) -> i64 {
        self.arcs.user_flow.get(arc).copied().unwrap_or(0)
    }

    /// The flows of all arcs after the last successful solve, by arc index.
    pub fn flows(&self) -> &[i64] {
        &self.arcs.user_flow
    }

    /// The potential of a node after the last solve (0 for a node that does not exist).
    ///
    /// Potentials certify optimality: with the reduced cost of an arc `u -> v` defined as
    /// `cost + potential(u) - potential(v)`, an arc with flow 0 has a reduced cost `>= 0`,
    /// an arc at capacity `<= 0`, and an arc in between exactly 0. So `-potential(v)` is
    /// the marginal cost of delivering one more unit at `v` (up to a constant).
    pub fn potential(&self, node: usize) -> i64 {
        if node < self.n {
            self.tree.pi[node]
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
        if !self.warm.basis_valid {
            return self.solve_cold();
        }
        if !self.warm.dirty {
            self.pivots = 0;
            return Ok(self.objective);
        }
        self.pivots = 0;
        self.ties.canonical = false;
        if let Err(e) = self.validate() {
            return self.finish(Err(e));
        }
        // Only capacities changed, each on a non-tree arc resting at flow 0 (at the last
        // optimum its reduced cost was >= 0, else it would have entered) or on a tree arc
        // whose flow stays strictly below the new capacity (no tree arc leaves its bounds
        // and none becomes degenerate, so the tree stays strongly feasible): the flows,
        // the basis and the potentials stay optimal, and the repair and the pivots would
        // change nothing.
        if !self.warm.costs_changed
            && !self.warm.arcs_added
            && self.warm.excess_nodes.is_empty()
            && self.warm.touched.iter().all(|&e| {
                self.arcs.state[e] == STATE_LOWER
                    || (self.arcs.state[e] == STATE_TREE && self.arcs.cap[e] > self.arcs.flow[e])
            })
        {
            self.warm.touched.clear();
            self.warm.dirty = false;
            return Ok(self.objective);
        }
        // The warm repair adds supply and capacity changes to flows before they are
        // routed; with numbers near the limits that could overflow, so start cold.
        let t = &self.totals;
        if t.pos_supply + t.finite_caps > i128::from(SUM_LIMIT / 8) {
            return self.solve_cold();
        }
        self.ties.zero_rc_valid = false;
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
        if !self.arcs.mixed {
            self.remix();
        }
        self.ties.zero_rc_valid = false;
        // The big-M cost follows the largest |cost|, whose running value may be stale
        // (costs lowered since): recompute it, so a cold solve is a function of the
        // problem alone (see `solve_canonical`).
        let n = self.n;
        self.totals.max_cost = self.arcs.cost[n..]
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
        self.ties.canonical = res.is_ok();
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
        if self.warm.basis_valid
            && !self.warm.dirty
            && self.ties.canonical
            && self.pending_error.is_none()
        {
            self.pivots = 0;
            return Ok(self.objective);
        }
        let obj = self.solve()?;
        if self.ties.canonical || self.unique_now() {
            self.ties.canonical = true;
            return Ok(obj);
        }
        let pivots = self.pivots;
        let obj = self.solve_cold()?;
        self.pivots += pivots;
        Ok(obj)
    }

    fn real(&self, arc: usize) -> Option<usize> {
        self.arcs.pos.get(arc).copied()
    }

    /// Store the arcs in LEMON's mixed order (arc i at position i * skip, wrapping), so
    /// that a block of the pricing scan samples the whole network rather than one layer.
    fn remix(&mut self) {
        let n = self.n;
        let m = self.arcs.pos.len();
        self.arcs.mixed = true;
        self.heur.csr_valid = false;
        let skip = if n > 1 { (m / n).max(3) } else { 1 };
        let (mut i, mut j) = (0usize, 0usize);
        let mut new_src = vec![0; m];
        let mut new_tgt = vec![0; m];
        let mut new_cap = vec![0; m];
        let mut new_cost = vec![0; m];
        for a in 0..m {
            let e = self.arcs.pos[a];
            new_src[i] = self.arcs.src[e];
            new_tgt[i] = self.arcs.tgt[e];
            new_cap[i] = self.arcs.cap[e];
            new_cost[i] = self.arcs.cost[e];
            self.arcs.pos[a] = n + i;
            self.arcs.user_of[i] = a;
            i += skip;
            if i >= m {
                j += 1;
                i = j;
            }
        }
        self.arcs.src[n..].copy_from_slice(&new_src);
        self.arcs.tgt[n..].copy_from_slice(&new_tgt);
        self.arcs.cap[n..].copy_from_slice(&new_cap);
        self.arcs.cost[n..].copy_from_slice(&new_cost);
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
                let shift = self.tree.pi[self.n];
                if shift != 0 {
                    for p in &mut self.tree.pi {
                        *p -= shift;
                    }
                }
                for (f, &e) in self.arcs.user_flow.iter_mut().zip(&self.arcs.pos) {
                    *f = self.arcs.flow[e];
                }
                self.warm.basis_valid = true;
                self.warm.dirty = false;
                self.warm.costs_changed = false;
                self.warm.arcs_added = false;
                Ok(obj)
            }
            Err(e) => {
                self.warm.basis_valid = false;
                self.warm.dirty = true;
                Err(e)
            }
        }
    }
}
