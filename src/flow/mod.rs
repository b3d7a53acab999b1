//! Min-cost flow: a primal network simplex in exact integer arithmetic with warm start,
//! and DIMACS input and output.
//!
//! [`NetworkSimplex`] solves: minimise `sum(cost[a] * flow[a])` subject to
//! `0 <= flow[a] <= capacity[a]` on every arc and, at every node, outflow minus inflow
//! equal to the node's supply (`> 0` a source, `< 0` a sink; supplies sum to zero).
//! All numbers are `i64` and every step is exact: there is no tolerance anywhere.
//!
//! # Units used by the simulation engine
//!
//! The engine maps scenario quantities to integers as follows:
//!
//! | quantity | integer unit | precision |
//! |---|---|---|
//! | flow, capacity, supply | 1 = 0.01 t (tonnes × 100) | 10 kg |
//! | cost per unit of flow | 1 = 0.01 USD/t (USD/t × 100) | 1 US cent per tonne |
//! | objective | 1 = 0.0001 USD | |
//!
//! Scenario values are rounded to the nearest unit (capacities down, so that a
//! capacity is never exceeded).
//!
//! # Limits (overflow headroom)
//!
//! Every solve first checks, in 128-bit arithmetic, that no intermediate value can
//! exceed [`SUM_LIMIT`] (`i64::MAX / 4`, about 2.3e18), and otherwise returns
//! [`SolveError::Overflow`]:
//!
//! - total positive supply plus the sum of finite capacities `<= SUM_LIMIT`
//!   (2.3e16 t in engine units: no practical limit);
//! - `4 × (max |cost| + 1) × (nodes + 1) <= SUM_LIMIT` (node potentials and reduced
//!   costs): with 10,000 nodes, costs up to 5.7e13 units = 5.7e11 USD/t;
//! - `sum over arcs of |cost| × min(capacity, total flow bound) <= SUM_LIMIT`
//!   (the objective): 2.3e14 USD per solve in engine units, e.g. a million tonnes a
//!   day over 100 arcs at 2,000 USD/t each uses 1e-4 of the headroom.
//!
//! A capacity of at least [`INFINITE_CAPACITY`] (`i64::MAX / 4`) is unlimited: it does
//! not count in the sums above, and a negative-cost cycle made of such arcs makes the
//! problem [`SolveError::Unbounded`].
//!
//! # Warm start
//!
//! The solver keeps its last optimal basis (a spanning tree with arc states, flows and
//! potentials). [`NetworkSimplex::solve`] after no change returns the cached optimum in
//! O(1). After changes of capacities or supplies it pushes the changes up the tree to an
//! artificial root; a tree arc that would leave its bounds is set to the bound and leaves
//! the tree, its subtree hanging from the root by an artificial arc of big-M cost, so the
//! repaired tree is a feasible, strongly feasible basis of the big-M problem, and pivots
//! continue from there. Cost changes only recompute the potentials. The objective of a
//! warm solve always equals that of a cold solve (the tests check this).
//!
//! ```
//! use chokepoint::flow::NetworkSimplex;
//! // Two routes from a market (node 0) to a port (node 3).
//! let mut ns = NetworkSimplex::new(4);
//! let border = ns.add_arc(0, 1, 1_000, 250); // capacity 10 t, 2.50 USD/t
//! ns.add_arc(1, 3, 1_000, 100);
//! ns.add_arc(0, 2, 5_000, 400);
//! ns.add_arc(2, 3, 5_000, 300);
//! ns.set_supply(0, 1_500);
//! ns.set_supply(3, -1_500);
//! assert_eq!(ns.solve()?, 1_000 * 350 + 500 * 700);
//! ns.set_capacity(border, 0); // the border shuts
//! assert_eq!(ns.solve()?, 1_500 * 700);
//! # Ok::<(), chokepoint::Error>(())
//! ```

pub mod dimacs;
pub mod generate;
pub mod simplex;

pub use crate::error::SolveError;
pub use simplex::{NetworkSimplex, INFINITE_CAPACITY, SUM_LIMIT};
