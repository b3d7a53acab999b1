//! The DIMACS min-cost-flow format, so that the solver can be checked and timed against
//! other solvers on the same files.
//!
//! ```text
//! c a comment
//! p min NODES ARCS
//! n ID SUPPLY              (nodes are numbered 1..=NODES; unlisted nodes have supply 0)
//! a FROM TO LOW CAP COST   (one line per arc, ARCS lines in all)
//! ```
//!
//! A capacity below the lower bound (conventionally `-1`) means unlimited, as in LEMON's
//! reader. Lower bounds are removed before solving (the arc's lower bound is sent
//! up front) and added back to the flows.
//!
//! ```
//! use chokepoint::flow::dimacs;
//! let text = "p min 2 1\nn 1 3\nn 2 -3\na 1 2 1 5 10\n";
//! let problem = dimacs::read(text.as_bytes())?;
//! let solution = problem.solve()?;
//! assert_eq!(solution.objective, 30);
//! assert_eq!(solution.flows, vec![3]);
//! let mut out = Vec::new();
//! dimacs::write(&mut out, &problem)?;
//! assert_eq!(dimacs::read(out.as_slice())?, problem);
//! # Ok::<(), chokepoint::Error>(())
//! ```

use std::io::{self, BufRead, Write};

use super::simplex::{NetworkSimplex, INFINITE_CAPACITY};
use crate::error::SolveError;

/// One arc of a [`Problem`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arc {
    /// Tail node (0-based).
    pub from: usize,
    /// Head node (0-based).
    pub to: usize,
    /// Lower bound on the flow.
    pub lower: i64,
    /// Upper bound on the flow; at least [`INFINITE_CAPACITY`] means unlimited.
    pub capacity: i64,
    /// Cost per unit of flow.
    pub cost: i64,
}

/// A min-cost flow problem as read from (or written to) a DIMACS file, with 0-based node
/// numbers and optional lower bounds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Problem {
    /// Supply of every node (`> 0` source, `< 0` sink).
    pub supply: Vec<i64>,
    /// The arcs, in file order.
    pub arcs: Vec<Arc>,
}

/// An optimal solution of a [`Problem`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Solution {
    /// The optimal total cost (lower bounds included).
    pub objective: i64,
    /// The flow on every arc, in arc order (lower bounds included).
    pub flows: Vec<i64>,
}

impl Problem {
    /// Number of nodes.
    pub fn num_nodes(&self) -> usize {
        self.supply.len()
    }

    /// The solver for this problem, with lower bounds removed (each arc's capacity is
    /// reduced by its lower bound, which is sent up front by adjusting the supplies).
    ///
    /// # Errors
    /// [`SolveError::InvalidInput`] for a node index out of range or a lower bound above
    /// the capacity, [`SolveError::Overflow`] if removing the lower bounds overflows.
    pub fn to_solver(&self) -> Result<NetworkSimplex, SolveError> {
        let n = self.supply.len();
        let mut ns = NetworkSimplex::new(n);
        let mut supply: Vec<i128> = self.supply.iter().map(|&b| i128::from(b)).collect();
        for (i, a) in self.arcs.iter().enumerate() {
            if a.from >= n || a.to >= n {
                return Err(SolveError::InvalidInput(format!(
                    "arc {i} goes from node {} to node {}, but nodes are numbered 0..{n}",
                    a.from, a.to
                )));
            }
            let cap = if a.lower == 0 || a.capacity >= INFINITE_CAPACITY {
                a.capacity
            } else {
                a.capacity.checked_sub(a.lower).ok_or_else(|| {
                    SolveError::Overflow(format!("arc {i}: capacity minus lower bound"))
                })?
            };
            if a.capacity < a.lower {
                return Err(SolveError::InvalidInput(format!(
                    "arc {i} has lower bound {} above its capacity {}",
                    a.lower, a.capacity
                )));
            }
            supply[a.from] -= i128::from(a.lower);
            supply[a.to] += i128::from(a.lower);
            ns.add_arc(a.from, a.to, cap, a.cost);
        }
        for (u, &b) in supply.iter().enumerate() {
            let b = i64::try_from(b).map_err(|_| {
                SolveError::Overflow(format!("supply of node {u} after lower bounds: {b}"))
            })?;
            ns.set_supply(u, b);
        }
        Ok(ns)
    }

    /// The problem held by a solver (no lower bounds).
    pub fn from_solver(ns: &NetworkSimplex) -> Problem {
        let supply = (0..ns.num_nodes()).map(|u| ns.supply(u)).collect();
        let arcs = (0..ns.num_arcs())
            .filter_map(|i| {
                let (from, to) = ns.arc_ends(i)?;
                Some(Arc {
                    from,
                    to,
                    lower: 0,
                    capacity: ns.capacity(i),
                    cost: ns.cost(i),
                })
            })
            .collect();
        Problem { supply, arcs }
    }

    /// Flows and objective of the original problem from those of the solver built by
    /// [`to_solver`](Self::to_solver).
    ///
    /// # Errors
    /// [`SolveError::Overflow`] if the objective with lower bounds overflows.
    pub fn solution_from(&self, ns: &NetworkSimplex) -> Result<Solution, SolveError> {
        let mut objective = ns.objective();
        let mut flows = Vec::with_capacity(self.arcs.len());
        for (i, a) in self.arcs.iter().enumerate() {
            let f = ns.flow(i);
            flows.push(f + a.lower);
            if a.lower != 0 {
                objective = a
                    .lower
                    .checked_mul(a.cost)
                    .and_then(|x| objective.checked_add(x))
                    .ok_or_else(|| SolveError::Overflow("objective with lower bounds".into()))?;
            }
        }
        Ok(Solution { objective, flows })
    }

    /// Solve from scratch.
    ///
    /// # Errors
    /// As [`NetworkSimplex::solve`] and [`to_solver`](Self::to_solver).
    pub fn solve(&self) -> Result<Solution, SolveError> {
        let mut ns = self.to_solver()?;
        ns.solve_cold()?;
        self.solution_from(&ns)
    }
}

fn dimacs_err(line: usize, message: impl Into<String>) -> SolveError {
    SolveError::Dimacs {
        line,
        message: message.into(),
    }
}

fn parse_num<T: std::str::FromStr>(
    tok: Option<&str>,
    line: usize,
    what: &str,
    shape: &str,
) -> Result<T, SolveError> {
    let tok = tok.ok_or_else(|| dimacs_err(line, format!("missing {what}; expected `{shape}`")))?;
    tok.parse().map_err(|_| {
        dimacs_err(
            line,
            format!("{what} `{tok}` is not an integer in range; expected `{shape}`"),
        )
    })
}

/// Read a DIMACS min-cost-flow problem.
///
/// # Errors
/// [`SolveError::Dimacs`] with the 1-based line and what is wrong: a missing or repeated
/// problem line, a problem type other than `min`, a malformed number, a node outside
/// `1..=NODES`, a node listed twice, or a count of arc lines other than `ARCS`.
pub fn read(r: impl BufRead) -> Result<Problem, SolveError> {
    let mut problem: Option<(Problem, usize)> = None;
    let mut seen_node: Vec<bool> = Vec::new();
    let mut last_line = 0;
    for (i, line) in r.lines().enumerate() {
        let lineno = i + 1;
        last_line = lineno;
        let line = line.map_err(|e| dimacs_err(lineno, format!("cannot read: {e}")))?;
        let mut toks = line.split_whitespace();
        let Some(kind) = toks.next() else { continue };
        match kind {
            "c" => continue,
            "p" => {
                if problem.is_some() {
                    return Err(dimacs_err(lineno, "a second problem line"));
                }
                let shape = "p min NODES ARCS";
                match toks.next() {
                    Some("min") => {}
                    Some(other) => {
                        return Err(dimacs_err(
                            lineno,
                            format!("problem type `{other}`; expected `{shape}`"),
                        ))
                    }
                    None => return Err(dimacs_err(lineno, format!("expected `{shape}`"))),
                }
                let nodes: usize = parse_num(toks.next(), lineno, "NODES", shape)?;
                let arcs: usize = parse_num(toks.next(), lineno, "ARCS", shape)?;
                if toks.next().is_some() {
                    return Err(dimacs_err(
                        lineno,
                        format!("extra fields; expected `{shape}`"),
                    ));
                }
                if nodes > 100_000_000 || arcs > 1_000_000_000 {
                    return Err(dimacs_err(lineno, "problem too large"));
                }
                seen_node = vec![false; nodes];
                problem = Some((
                    Problem {
                        supply: vec![0; nodes],
                        arcs: Vec::with_capacity(arcs.min(1 << 20)),
                    },
                    arcs,
                ));
            }
            "n" | "a" => {
                let Some((p, _)) = problem.as_mut() else {
                    return Err(dimacs_err(
                        lineno,
                        format!("`{kind}` line before the problem line `p min NODES ARCS`"),
                    ));
                };
                let n = p.supply.len();
                let node = |tok: Option<&str>, shape: &str| -> Result<usize, SolveError> {
                    let id: usize = parse_num(tok, lineno, "node id", shape)?;
                    if id == 0 || id > n {
                        return Err(dimacs_err(
                            lineno,
                            format!("node {id} out of range; nodes are numbered 1..={n}"),
                        ));
                    }
                    Ok(id - 1)
                };
                if kind == "n" {
                    let shape = "n ID SUPPLY";
                    let u = node(toks.next(), shape)?;
                    let b: i64 = parse_num(toks.next(), lineno, "SUPPLY", shape)?;
                    if seen_node[u] {
                        return Err(dimacs_err(lineno, format!("node {} listed twice", u + 1)));
                    }
                    seen_node[u] = true;
                    p.supply[u] = b;
                } else {
                    let shape = "a FROM TO LOW CAP COST";
                    let from = node(toks.next(), shape)?;
                    let to = node(toks.next(), shape)?;
                    let lower: i64 = parse_num(toks.next(), lineno, "LOW", shape)?;
                    let cap: i64 = parse_num(toks.next(), lineno, "CAP", shape)?;
                    let cost: i64 = parse_num(toks.next(), lineno, "COST", shape)?;
                    if lower < 0 {
                        return Err(dimacs_err(
                            lineno,
                            format!("lower bound {lower} is negative; it must be >= 0"),
                        ));
                    }
                    let capacity = if cap < lower { i64::MAX } else { cap };
                    p.arcs.push(Arc {
                        from,
                        to,
                        lower,
                        capacity,
                        cost,
                    });
                }
                if toks.next().is_some() {
                    return Err(dimacs_err(lineno, "extra fields at the end of the line"));
                }
            }
            other => {
                return Err(dimacs_err(
                    lineno,
                    format!("unknown line type `{other}`; expected c, p, n or a"),
                ))
            }
        }
    }
    let Some((p, arcs)) = problem else {
        return Err(dimacs_err(
            last_line.max(1),
            "no problem line `p min NODES ARCS`",
        ));
    };
    if p.arcs.len() != arcs {
        return Err(dimacs_err(
            last_line.max(1),
            format!(
                "the problem line announces {arcs} arcs but {} arc lines follow",
                p.arcs.len()
            ),
        ));
    }
    Ok(p)
}

/// Write a problem in DIMACS format (unlimited capacities as `-1`).
///
/// # Errors
/// Any I/O error of the writer.
pub fn write(mut w: impl Write, p: &Problem) -> io::Result<()> {
    writeln!(w, "p min {} {}", p.supply.len(), p.arcs.len())?;
    for (u, &b) in p.supply.iter().enumerate() {
        if b != 0 {
            writeln!(w, "n {} {b}", u + 1)?;
        }
    }
    for a in &p.arcs {
        let cap = if a.capacity >= INFINITE_CAPACITY {
            -1
        } else {
            a.capacity
        };
        writeln!(
            w,
            "a {} {} {} {cap} {}",
            a.from + 1,
            a.to + 1,
            a.lower,
            a.cost
        )?;
    }
    Ok(())
}

/// Write a solution in the DIMACS solution format: `s COST`, then `f FROM TO FLOW` for
/// every arc, in arc order.
///
/// # Errors
/// Any I/O error of the writer.
pub fn write_flows(mut w: impl Write, p: &Problem, s: &Solution) -> io::Result<()> {
    writeln!(w, "s {}", s.objective)?;
    for (a, f) in p.arcs.iter().zip(&s.flows) {
        writeln!(w, "f {} {} {f}", a.from + 1, a.to + 1)?;
    }
    Ok(())
}
