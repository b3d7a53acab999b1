//! Integration tests: the min-cost flow solver (`chokepoint::flow`).
//!
//! Every solution is checked on its own terms (bounds, conservation, an optimality
//! certificate from the node potentials) and against an independent reference solver
//! (successive shortest paths with Bellman-Ford) written here.

use chokepoint::error::SolveError;
use chokepoint::flow::{NetworkSimplex, INFINITE_CAPACITY};
use proptest::prelude::*;

/// A min-cost flow problem as plain data.
#[derive(Debug, Clone)]
struct Problem {
    n: usize,
    arcs: Vec<(usize, usize, i64, i64)>,
    supply: Vec<i64>,
}

impl Problem {
    fn build(&self) -> NetworkSimplex {
        let mut ns = NetworkSimplex::new(self.n);
        for &(u, v, cap, cost) in &self.arcs {
            ns.add_arc(u, v, cap, cost);
        }
        for (u, &b) in self.supply.iter().enumerate() {
            ns.set_supply(u, b);
        }
        ns
    }
}

/// Reference: successive shortest paths. Negative-cost arcs are saturated first so that
/// the residual graph has no negative cycle; then excess is sent to deficits along
/// shortest residual paths (Bellman-Ford from all excess nodes at once).
/// Returns None if infeasible. Capacities must be finite.
fn reference(p: &Problem) -> Option<i64> {
    let n = p.n;
    let m = p.arcs.len();
    let mut flow = vec![0i64; m];
    let mut excess = p.supply.clone();
    for (i, &(u, v, cap, cost)) in p.arcs.iter().enumerate() {
        if cost < 0 {
            flow[i] = cap;
            excess[u] -= cap;
            excess[v] += cap;
        }
    }
    loop {
        if excess.iter().all(|&x| x == 0) {
            break;
        }
        // Bellman-Ford over residual arcs: (from, to, cost, arc, forward).
        let mut dist = vec![i64::MAX; n];
        let mut pred: Vec<Option<(usize, bool)>> = vec![None; n];
        for u in 0..n {
            if excess[u] > 0 {
                dist[u] = 0;
            }
        }
        for _ in 0..n {
            let mut changed = false;
            for (i, &(u, v, cap, cost)) in p.arcs.iter().enumerate() {
                if flow[i] < cap && dist[u] != i64::MAX && dist[u] + cost < dist[v] {
                    dist[v] = dist[u] + cost;
                    pred[v] = Some((i, true));
                    changed = true;
                }
                if flow[i] > 0 && dist[v] != i64::MAX && dist[v] - cost < dist[u] {
                    dist[u] = dist[v] - cost;
                    pred[u] = Some((i, false));
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let t = (0..n)
            .filter(|&v| excess[v] < 0 && dist[v] != i64::MAX)
            .min_by_key(|&v| dist[v])?;
        // Walk back to the excess node the path starts from.
        let mut path = Vec::new();
        let mut v = t;
        while let Some((i, fwd)) = pred[v] {
            path.push((i, fwd));
            let (a, b, _, _) = p.arcs[i];
            v = if fwd { a } else { b };
            if excess[v] > 0 && dist[v] == 0 {
                break;
            }
        }
        let s = v;
        let mut amount = excess[s].min(-excess[t]);
        for &(i, fwd) in &path {
            let r = if fwd { p.arcs[i].2 - flow[i] } else { flow[i] };
            amount = amount.min(r);
        }
        assert!(amount > 0, "reference solver made no progress");
        for &(i, fwd) in &path {
            flow[i] += if fwd { amount } else { -amount };
        }
        excess[s] -= amount;
        excess[t] += amount;
    }
    Some(p.arcs.iter().zip(&flow).map(|(a, f)| a.3 * f).sum())
}

/// Check bounds, conservation, the optimality certificate and the objective.
fn check_solution(p: &Problem, ns: &NetworkSimplex, obj: i64) {
    let mut balance = vec![0i64; p.n];
    let mut total = 0i64;
    for (i, &(u, v, cap, cost)) in p.arcs.iter().enumerate() {
        let f = ns.flow(i);
        assert!(f >= 0 && f <= cap, "arc {i}: flow {f} outside [0, {cap}]");
        balance[u] += f;
        balance[v] -= f;
        total += f * cost;
        let rc = cost + ns.potential(u) - ns.potential(v);
        if f > 0 {
            assert!(rc <= 0, "arc {i} carries {f} but has reduced cost {rc} > 0");
        }
        if f < cap {
            assert!(
                rc >= 0,
                "arc {i} has room ({f} < {cap}) but reduced cost {rc} < 0"
            );
        }
    }
    assert_eq!(balance, p.supply, "conservation");
    assert_eq!(total, obj, "objective is the cost of the flows");
    assert_eq!(ns.objective(), obj);
    assert_eq!(ns.flows().len(), p.arcs.len());
}

fn problem_strategy(
    max_nodes: usize,
    max_arcs: usize,
    neg_costs: bool,
) -> impl Strategy<Value = Problem> {
    (2..=max_nodes)
        .prop_flat_map(move |n| {
            let lo = if neg_costs { -10i64 } else { 0 };
            let arcs = prop::collection::vec((0..n, 0..n, 0i64..12, lo..20i64), 0..=max_arcs);
            let supply = prop::collection::vec(-8i64..9, n);
            (Just(n), arcs, supply)
        })
        .prop_map(|(n, arcs, mut supply)| {
            let sum: i64 = supply.iter().sum();
            supply[n - 1] -= sum;
            Problem { n, arcs, supply }
        })
}

fn agree_with_reference(p: &Problem) {
    let mut ns = p.build();
    let got = ns.solve();
    match reference(p) {
        Some(want) => {
            let obj = got.unwrap_or_else(|e| panic!("solver said {e:?}, reference {want}"));
            assert_eq!(obj, want, "objective vs reference");
            check_solution(p, &ns, obj);
        }
        None => assert_eq!(got, Err(SolveError::Infeasible)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn solves_like_the_reference(p in problem_strategy(8, 20, true)) {
        agree_with_reference(&p);
    }

    #[test]
    fn solves_like_the_reference_nonneg_costs(p in problem_strategy(12, 40, false)) {
        agree_with_reference(&p);
    }

    /// One source and one sink (the solver then starts from a shortest-path tree).
    #[test]
    fn solves_like_the_reference_single_source(
        p in problem_strategy(12, 40, false),
        amount in 1i64..30,
    ) {
        let mut p = p;
        let n = p.n;
        p.supply = vec![0; n];
        p.supply[0] = amount;
        p.supply[n - 1] = -amount;
        agree_with_reference(&p);
    }
}

/// A change to a problem between two solves.
#[derive(Debug, Clone)]
enum Change {
    Capacity(usize, i64),
    Cost(usize, i64),
    /// Move `amount` of supply from one node to another (keeps the balance).
    Supply(usize, usize, i64),
    Nothing,
}

fn change_strategy() -> impl Strategy<Value = Change> {
    prop_oneof![
        4 => (any::<prop::sample::Index>(), prop_oneof![Just(0i64), 0i64..15])
            .prop_map(|(i, c)| Change::Capacity(i.index(1 << 20), c)),
        2 => (any::<prop::sample::Index>(), -5i64..20)
            .prop_map(|(i, c)| Change::Cost(i.index(1 << 20), c)),
        3 => (any::<prop::sample::Index>(), any::<prop::sample::Index>(), -6i64..7)
            .prop_map(|(a, b, k)| Change::Supply(a.index(1 << 20), b.index(1 << 20), k)),
        1 => Just(Change::Nothing),
    ]
}

fn apply(p: &mut Problem, ns: &mut NetworkSimplex, c: &Change) {
    let m = p.arcs.len();
    match *c {
        Change::Capacity(i, cap) if m > 0 => {
            p.arcs[i % m].2 = cap;
            ns.set_capacity(i % m, cap);
        }
        Change::Cost(i, cost) if m > 0 => {
            p.arcs[i % m].3 = cost;
            ns.set_cost(i % m, cost);
        }
        Change::Supply(a, b, k) => {
            let (a, b) = (a % p.n, b % p.n);
            p.supply[a] += k;
            p.supply[b] -= k;
            ns.set_supply(a, p.supply[a]);
            ns.set_supply(b, p.supply[b]);
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Random change sequences: the warm solve equals a cold solve and the reference at
    /// every step, and its solution is certified optimal.
    #[test]
    fn warm_equals_cold(
        p in problem_strategy(10, 30, true),
        changes in prop::collection::vec(change_strategy(), 1..12),
    ) {
        let mut p = p;
        let mut warm = p.build();
        let _ = warm.solve();
        for c in &changes {
            apply(&mut p, &mut warm, c);
            let w = warm.solve();
            let mut cold = p.build();
            let k = cold.solve_cold();
            prop_assert_eq!(&w, &k, "warm vs cold after {:?}", c);
            match reference(&p) {
                Some(want) => {
                    prop_assert_eq!(w.clone(), Ok(want));
                    check_solution(&p, &warm, want);
                }
                None => prop_assert_eq!(w.clone(), Err(SolveError::Infeasible)),
            }
            // A second solve with no change returns the same answer.
            prop_assert_eq!(warm.solve(), w);
        }
    }

    /// Costs from a small set make ties common (about a third of the cases have one).
    /// Whatever a solver solved before, its
    /// canonical solve of a problem gives the flows of a fresh solver's canonical solve
    /// (and of a fresh cold solve): the flows are a function of the problem alone.
    #[test]
    fn canonical_flows_do_not_depend_on_the_history(
        p in problem_strategy(10, 30, false),
        changes in prop::collection::vec(change_strategy(), 1..12),
    ) {
        let mut p = p;
        for a in &mut p.arcs {
            a.3 %= 3;
        }
        let mut warm = p.build();
        let _ = warm.solve_canonical();
        for c in &changes {
            let c = match *c {
                Change::Cost(i, k) => Change::Cost(i, k.rem_euclid(3)),
                ref other => other.clone(),
            };
            apply(&mut p, &mut warm, &c);
            let w = warm.solve_canonical();
            let mut fresh = p.build();
            let f = fresh.solve_canonical();
            let mut cold = p.build();
            let k = cold.solve_cold();
            prop_assert_eq!(&w, &f);
            prop_assert_eq!(&w, &k);
            if w.is_ok() {
                prop_assert_eq!(warm.flows(), fresh.flows(), "after {:?}", c);
                prop_assert_eq!(warm.flows(), cold.flows(), "after {:?}", c);
                check_solution(&p, &warm, w.clone().unwrap());
            }
        }
    }
}

/// The uniqueness test on hand-made cases: two equal routes tie; a cheaper one does not;
/// a zero-cost cycle ties; an arc and its own reverse residual is no tie.
#[test]
fn optimum_is_unique_on_hand_made_cases() {
    let two_routes = |second: i64| {
        let mut ns = NetworkSimplex::new(4);
        ns.add_arc(0, 1, 10, 1);
        ns.add_arc(1, 3, 10, 1);
        ns.add_arc(0, 2, 10, 1);
        ns.add_arc(2, 3, 10, second);
        ns.set_supply(0, 5);
        ns.set_supply(3, -5);
        ns.solve().unwrap();
        ns
    };
    assert!(!two_routes(1).optimum_is_unique());
    assert!(two_routes(2).optimum_is_unique());
    // One route with spare capacity: its arcs are strictly between bounds, no tie.
    let mut one = NetworkSimplex::new(2);
    one.add_arc(0, 1, 10, 3);
    one.set_supply(0, 4);
    one.set_supply(1, -4);
    one.solve().unwrap();
    assert!(one.optimum_is_unique());
    // Two free arcs in parallel (between bounds, reduced cost 0): a tie.
    let mut par = NetworkSimplex::new(2);
    par.add_arc(0, 1, 10, 3);
    par.add_arc(0, 1, 10, 3);
    par.set_supply(0, 14);
    par.set_supply(1, -14);
    par.solve().unwrap();
    assert!(!par.optimum_is_unique());
    // A zero-cost cycle beside the flow: flow could circulate on it at no cost.
    let mut cyc = NetworkSimplex::new(3);
    cyc.add_arc(0, 1, 10, 2);
    cyc.add_arc(1, 2, 10, 0);
    cyc.add_arc(2, 1, 10, 0);
    cyc.set_supply(0, 4);
    cyc.set_supply(1, -4);
    cyc.solve().unwrap();
    assert!(!cyc.optimum_is_unique());
}

#[test]
fn detects_infeasible() {
    // Supply 5 at node 0, demand 5 at node 2, but only 3 units of capacity.
    let p = Problem {
        n: 3,
        arcs: vec![(0, 1, 3, 1), (1, 2, 10, 1)],
        supply: vec![5, 0, -5],
    };
    assert_eq!(p.build().solve(), Err(SolveError::Infeasible));
    // No path at all.
    let p = Problem {
        n: 2,
        arcs: vec![(1, 0, 10, 1)],
        supply: vec![1, -1],
    };
    assert_eq!(p.build().solve(), Err(SolveError::Infeasible));
}

#[test]
fn detects_unbounded() {
    // A negative cycle 1 -> 2 -> 1 of unlimited capacity.
    let p = Problem {
        n: 3,
        arcs: vec![
            (0, 1, 5, 1),
            (1, 2, INFINITE_CAPACITY, -3),
            (2, 1, i64::MAX, 1),
        ],
        supply: vec![0, 0, 0],
    };
    assert_eq!(p.build().solve(), Err(SolveError::Unbounded));
    // A negative self-loop of unlimited capacity.
    let mut ns = NetworkSimplex::new(1);
    ns.add_arc(0, 0, INFINITE_CAPACITY, -1);
    assert_eq!(ns.solve(), Err(SolveError::Unbounded));
    // The same cycle with a finite capacity is fine: it is saturated.
    let p = Problem {
        n: 3,
        arcs: vec![(0, 1, 5, 1), (1, 2, 7, -3), (2, 1, i64::MAX, 1)],
        supply: vec![0, 0, 0],
    };
    let mut ns = p.build();
    assert_eq!(ns.solve(), Ok(7 * -3 + 7));
    check_solution(&p, &ns, -14);
}

#[test]
fn rejects_invalid_input() {
    let mut ns = NetworkSimplex::new(2);
    ns.add_arc(0, 5, 1, 1);
    assert!(matches!(ns.solve(), Err(SolveError::InvalidInput(_))));

    let mut ns = NetworkSimplex::new(2);
    ns.add_arc(0, 1, -1, 1);
    assert!(matches!(ns.solve(), Err(SolveError::InvalidInput(_))));

    let mut ns = NetworkSimplex::new(2);
    ns.add_arc(0, 1, 10, 1);
    ns.set_supply(0, 3);
    assert!(matches!(ns.solve(), Err(SolveError::InvalidInput(_))));
    ns.set_supply(1, -3);
    assert_eq!(ns.solve(), Ok(3));

    // Setters on bad indices do not panic; the next solve reports them once.
    ns.set_capacity(7, 1);
    ns.set_cost(9, 1);
    ns.set_supply(4, 1);
    assert!(matches!(ns.solve(), Err(SolveError::InvalidInput(_))));
    assert_eq!(ns.solve(), Ok(3));
    assert_eq!(ns.flow(99), 0);
    assert_eq!(ns.potential(99), 0);
}

#[test]
fn rejects_overflow() {
    let mut ns = NetworkSimplex::new(2);
    ns.add_arc(0, 1, i64::MAX / 8, i64::MAX / 8);
    assert!(matches!(ns.solve(), Err(SolveError::Overflow(_))));

    let mut ns = NetworkSimplex::new(2);
    ns.add_arc(0, 1, INFINITE_CAPACITY - 1, 1);
    ns.add_arc(0, 1, INFINITE_CAPACITY - 1, 1);
    assert!(matches!(ns.solve(), Err(SolveError::Overflow(_))));

    let mut ns = NetworkSimplex::new(2);
    ns.set_supply(0, i64::MAX);
    ns.set_supply(1, -i64::MAX);
    assert!(matches!(ns.solve(), Err(SolveError::Overflow(_))));
}

#[test]
fn empty_and_trivial_problems() {
    let mut ns = NetworkSimplex::new(0);
    assert_eq!(ns.solve(), Ok(0));
    let mut ns = NetworkSimplex::new(3);
    assert_eq!(ns.solve(), Ok(0));
    assert_eq!(ns.num_nodes(), 3);
    assert_eq!(ns.num_arcs(), 0);
}

#[test]
fn arcs_added_after_a_solve_are_used() {
    let mut ns = NetworkSimplex::new(2);
    ns.add_arc(0, 1, 10, 5);
    ns.set_supply(0, 4);
    ns.set_supply(1, -4);
    assert_eq!(ns.solve(), Ok(20));
    let cheap = ns.add_arc(0, 1, 3, 1);
    assert_eq!(ns.solve(), Ok(3 + 5));
    assert_eq!(ns.flow(cheap), 3);
}

// ---------------------------------------------------------------------------------------
// DIMACS
// ---------------------------------------------------------------------------------------

mod dimacs_io {
    use super::*;
    use chokepoint::flow::dimacs::{self, Arc};

    fn dimacs_strategy() -> impl Strategy<Value = dimacs::Problem> {
        (1usize..8)
            .prop_flat_map(|n| {
                let arcs = prop::collection::vec(
                    (
                        0..n,
                        0..n,
                        0i64..4,
                        prop_oneof![0i64..15, Just(i64::MAX)],
                        -5i64..20,
                    ),
                    0..16,
                );
                (prop::collection::vec(-9i64..10, n), arcs)
            })
            .prop_map(|(supply, arcs)| dimacs::Problem {
                supply,
                arcs: arcs
                    .into_iter()
                    .map(|(from, to, lower, capacity, cost)| Arc {
                        from,
                        to,
                        lower: lower.min(capacity),
                        capacity,
                        cost,
                    })
                    .collect(),
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(100))]

        #[test]
        fn round_trip(p in dimacs_strategy()) {
            let mut text = Vec::new();
            dimacs::write(&mut text, &p).unwrap();
            prop_assert_eq!(dimacs::read(text.as_slice()).unwrap(), p);
        }

        /// Lower bounds: the solution respects them, conserves flow with the original
        /// supplies, and costs what the reference says for the problem with the lower
        /// bounds sent up front.
        #[test]
        fn lower_bounds(p in dimacs_strategy()) {
            let mut p = p;
            for a in &mut p.arcs {
                a.capacity = a.capacity.min(30); // finite, for the reference
            }
            let sum: i64 = p.supply.iter().sum();
            p.supply[0] -= sum;
            let mut shifted = Problem { n: p.supply.len(), arcs: vec![], supply: p.supply.clone() };
            let mut offset = 0;
            for a in &p.arcs {
                shifted.arcs.push((a.from, a.to, a.capacity - a.lower, a.cost));
                shifted.supply[a.from] -= a.lower;
                shifted.supply[a.to] += a.lower;
                offset += a.lower * a.cost;
            }
            match (p.solve(), reference(&shifted)) {
                (Ok(s), Some(want)) => {
                    prop_assert_eq!(s.objective, want + offset);
                    let mut bal = vec![0i64; p.supply.len()];
                    let mut total = 0;
                    for (a, &f) in p.arcs.iter().zip(&s.flows) {
                        prop_assert!(a.lower <= f && f <= a.capacity);
                        bal[a.from] += f;
                        bal[a.to] -= f;
                        total += f * a.cost;
                    }
                    prop_assert_eq!(bal, p.supply.clone());
                    prop_assert_eq!(total, s.objective);
                }
                (Err(SolveError::Infeasible), None) => {}
                (got, want) => prop_assert!(false, "solver {:?} vs reference {:?}", got, want),
            }
        }
    }

    fn err_line(text: &str) -> usize {
        match dimacs::read(text.as_bytes()) {
            Err(SolveError::Dimacs { line, message }) => {
                assert!(!message.is_empty());
                line
            }
            other => panic!("expected a DIMACS error for {text:?}, got {other:?}"),
        }
    }

    #[test]
    fn malformed_files_name_the_line() {
        assert_eq!(err_line(""), 1);
        assert_eq!(err_line("c only a comment\n"), 1);
        assert_eq!(err_line("c x\np max 2 1\n"), 2);
        assert_eq!(err_line("p min 2\n"), 1);
        assert_eq!(err_line("p min two 1\n"), 1);
        assert_eq!(err_line("a 1 2 0 1 1\np min 2 1\n"), 1);
        assert_eq!(err_line("p min 2 1\np min 2 1\n"), 2);
        assert_eq!(err_line("p min 2 1\nn 3 1\na 1 2 0 1 1\n"), 2);
        assert_eq!(err_line("p min 2 1\nn 0 1\n"), 2);
        assert_eq!(err_line("p min 2 1\nn 1 x\n"), 2);
        assert_eq!(err_line("p min 2 1\nn 1 1\nn 1 2\n"), 3);
        assert_eq!(err_line("p min 2 1\n\na 1 2 0 1\n"), 3);
        assert_eq!(err_line("p min 2 1\na 1 2 -1 1 1\n"), 2);
        assert_eq!(err_line("p min 2 1\na 1 2 0 1 1 7\n"), 2);
        assert_eq!(err_line("p min 2 1\na 1 2 0 99999999999999999999 1\n"), 2);
        assert_eq!(err_line("p min 2 2\na 1 2 0 1 1\n"), 2);
        assert_eq!(err_line("p min 2 1\nx 1\n"), 2);
    }

    #[test]
    fn reads_comments_blank_lines_and_unlimited_capacity() {
        let text = "c hello\n\np min 3 2\nc mid\nn 1 4\nn 3 -4\na 1 2 0 -1 2\na 2 3 0 10 3\n";
        let p = dimacs::read(text.as_bytes()).unwrap();
        assert_eq!(p.supply, vec![4, 0, -4]);
        assert!(p.arcs[0].capacity >= INFINITE_CAPACITY);
        assert_eq!(p.solve().unwrap().objective, 20);
    }

    // -----------------------------------------------------------------------------------
    // `chokepoint solve`
    // -----------------------------------------------------------------------------------

    use crate::common::cli;

    fn temp_file(dir: &tempfile::TempDir, name: &str, text: &[u8]) -> String {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    }

    #[test]
    fn cli_solves_and_writes_flows() {
        let dir = tempfile::tempdir().unwrap();
        // 6 units from 1 to 3: 4 over 1-2-3 (cost 7 each), 2 direct (cost 10 each).
        let file = temp_file(
            &dir,
            "t.min",
            b"p min 3 3\nn 1 6\nn 3 -6\na 1 2 0 4 3\na 2 3 0 10 4\na 1 3 0 -1 10\n",
        );
        let flows = dir.path().join("t.flow");
        let flows_s = flows.to_string_lossy().into_owned();
        let out = cli(&["solve", &file, "--flows", &flows_s, "--repeat", "3"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("optimal cost: 48"), "{stdout}");
        assert!(stdout.contains("median of 3 cold solves"), "{stdout}");
        let written = std::fs::read_to_string(&flows).unwrap();
        assert_eq!(written, "s 48\nf 1 2 4\nf 2 3 4\nf 1 3 2\n");
    }

    #[test]
    fn cli_bad_input_exits_2() {
        let dir = tempfile::tempdir().unwrap();
        let cases: Vec<(String, &str)> = vec![
            (
                temp_file(&dir, "garbage.min", &[0xff, 0xfe, 0x00, 0x41, b'\n']),
                "line 1",
            ),
            (temp_file(&dir, "words.min", b"hello world\n"), "line 1"),
            (
                temp_file(&dir, "range.min", b"p min 2 1\na 1 5 0 1 1\n"),
                "line 2",
            ),
            (
                temp_file(&dir, "infeasible.min", b"p min 2 0\nn 1 1\nn 2 -1\n"),
                "infeasible",
            ),
            (
                temp_file(&dir, "unbalanced.min", b"p min 2 1\nn 1 1\na 1 2 0 1 1\n"),
                "sum to 1",
            ),
            (
                dir.path()
                    .join("missing.min")
                    .to_string_lossy()
                    .into_owned(),
                "cannot open",
            ),
        ];
        for (file, want) in &cases {
            let out = cli(&["solve", file]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{file}: {stderr}");
            assert!(stderr.contains(want), "{file}: {stderr}");
        }
        let out = cli(&["solve", &cases[2].0, "--repeat", "0"]);
        assert_eq!(out.status.code(), Some(2));
    }
}

/// Warm start on the generated corridor networks (deeper trees than the small random
/// graphs): random closures, reopenings, demand and cost changes, each solved warm and
/// compared with a cold solve; the warm solution is certified optimal.
#[test]
fn warm_equals_cold_on_corridor_networks() {
    use chokepoint::flow::generate::corridor_daily;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    for seed in 0..6u64 {
        let inst = corridor_daily(50 + 30 * seed as usize, seed);
        let mut warm = inst.solver.clone();
        let m = warm.num_arcs();
        let n = warm.num_nodes();
        let mut p = Problem {
            n,
            arcs: (0..m)
                .map(|a| {
                    let (u, v) = warm.arc_ends(a).unwrap();
                    (u, v, warm.capacity(a), warm.cost(a))
                })
                .collect(),
            supply: (0..n).map(|u| warm.supply(u)).collect(),
        };
        let base: Vec<i64> = p.arcs.iter().map(|a| a.2).collect();
        warm.solve().unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for step in 0..40 {
            match rng.random_range(0..4) {
                0 => {
                    let a = inst.crossings[rng.random_range(0..inst.crossings.len())];
                    p.arcs[a].2 = 0;
                    warm.set_capacity(a, 0);
                }
                1 => {
                    let a = rng.random_range(0..m);
                    p.arcs[a].2 = base[a] * rng.random_range(0..3) / 2;
                    warm.set_capacity(a, p.arcs[a].2);
                }
                2 => {
                    // The daily supply moves: the super source and sink are the last two.
                    let k = rng.random_range(-5000..5000);
                    p.supply[n - 2] += k;
                    p.supply[n - 1] -= k;
                    warm.set_supply(n - 2, p.supply[n - 2]);
                    warm.set_supply(n - 1, p.supply[n - 1]);
                }
                _ => {
                    let a = rng.random_range(0..m);
                    p.arcs[a].3 = rng.random_range(0..6000);
                    warm.set_cost(a, p.arcs[a].3);
                }
            }
            let w = warm.solve();
            let k = p.build().solve_cold();
            assert_eq!(w, k, "seed {seed} step {step}");
            if let Ok(obj) = w {
                check_solution(&p, &warm, obj);
            }
        }
    }
}

/// Numbers near the limits: re-solving after large supply changes neither overflows nor
/// panics (debug builds check every addition).
#[test]
fn huge_values_resolve_without_overflow() {
    use chokepoint::flow::SUM_LIMIT;
    let big = SUM_LIMIT / 3;
    let mut ns = NetworkSimplex::new(2);
    ns.add_arc(0, 1, INFINITE_CAPACITY, 1);
    ns.add_arc(1, 0, INFINITE_CAPACITY, 1);
    ns.set_supply(0, big);
    ns.set_supply(1, -big);
    assert_eq!(ns.solve(), Ok(big));
    ns.set_supply(0, -big);
    ns.set_supply(1, big);
    assert_eq!(ns.solve(), Ok(big));
    assert_eq!(ns.flows(), &[0, big]);
    // Past the limit: an error, not a panic.
    ns.set_supply(0, -SUM_LIMIT);
    ns.set_supply(1, SUM_LIMIT);
    assert!(matches!(ns.solve(), Err(SolveError::Overflow(_))));
}

/// The simulation engine keeps one solver per worker thread.
#[test]
fn solver_is_send() {
    fn assert_send<T: Send + 'static>() {}
    assert_send::<NetworkSimplex>();
}
