//! Seeded generators of corridor-like min-cost flow instances, for benchmarks and for
//! comparing with other solvers (the same seed gives the same instance on any machine).
//!
//! A *daily* instance is one day of one product's routing: origin markets feed domestic
//! hubs, hubs reach border crossings (each crossing an arc of limited capacity with a
//! border charge), crossings lead to foreign hubs, ports and destination markets. A super
//! source feeds the origins, the destinations drain into a super sink, and a bypass arc
//! from source to sink at a penalty cost takes whatever cannot be delivered, so every
//! instance is feasible whatever is closed.
//!
//! A *time-expanded* instance copies the inner network once per day: an arc with a
//! transit time of `t` days joins day `d` to day `d + t`, holdover arcs keep cargo at a
//! node from one day to the next at a holding cost, and each day has its own supplies
//! and demands (all drawn through the one super source and sink).
//!
//! Units as in the engine: flows in 0.01 t, costs in 0.01 USD/t.
//!
//! ```
//! use chokepoint::flow::generate::corridor_daily;
//! let mut inst = corridor_daily(50, 7);
//! assert_eq!(inst.solver.num_nodes(), 50);
//! let cold = inst.solver.solve()?;
//! inst.solver.set_capacity(inst.crossings[0], 0); // close a border crossing
//! assert!(inst.solver.solve()? >= cold);
//! # Ok::<(), chokepoint::Error>(())
//! ```

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::simplex::NetworkSimplex;

/// A generated instance.
#[derive(Debug, Clone)]
pub struct Instance {
    /// A short name, e.g. `daily-200` or `expanded-50x365`.
    pub name: String,
    /// The problem, ready to solve.
    pub solver: NetworkSimplex,
    /// The border-crossing arcs (the ones a closure shuts), in the daily network; for a
    /// time-expanded instance, the crossing arcs of the first day.
    pub crossings: Vec<usize>,
}

/// Node counts of the layers of a daily network of about `nodes` nodes (two of which are
/// the super source and sink; each crossing has two nodes).
#[derive(Debug, Clone, Copy)]
struct Layers {
    origins: usize,
    hubs: usize,
    crossings: usize,
    foreign: usize,
    ports: usize,
    dests: usize,
}

impl Layers {
    fn for_nodes(nodes: usize) -> Layers {
        // Shares of the 50-node network: 8 origins, 6 hubs, 6 crossings (12 nodes),
        // 8 foreign hubs, 4 ports, 10 destinations, + source and sink.
        let inner = nodes.saturating_sub(2).max(12);
        let unit = inner as f64 / 48.0;
        let pick = |x: f64| ((x * unit).round() as usize).max(1);
        let mut l = Layers {
            origins: pick(8.0),
            hubs: pick(6.0),
            crossings: pick(6.0),
            foreign: pick(8.0),
            ports: pick(4.0),
            dests: pick(10.0),
        };
        // Absorb rounding in the destinations so that the total is exact.
        let used = l.origins + l.hubs + 2 * l.crossings + l.foreign + l.ports + l.dests;
        l.dests = (l.dests + inner).saturating_sub(used).max(1);
        l
    }
}

/// An arc of the inner (per-day) network.
#[derive(Debug, Clone, Copy)]
struct InnerArc {
    from: usize,
    to: usize,
    cap: i64,
    cost: i64,
    transit: usize,
    crossing: bool,
}

/// The inner network: nodes `0..inner`, the origins and destinations.
struct Inner {
    nodes: usize,
    arcs: Vec<InnerArc>,
    origins: Vec<usize>,
    dests: Vec<usize>,
}

fn inner_network(nodes: usize, rng: &mut ChaCha8Rng) -> Inner {
    let l = Layers::for_nodes(nodes);
    let mut next = 0;
    let mut layer = |k: usize| {
        let v: Vec<usize> = (next..next + k).collect();
        next += k;
        v
    };
    let origins = layer(l.origins);
    let hubs = layer(l.hubs);
    let entries = layer(l.crossings);
    let exits = layer(l.crossings);
    let foreign = layer(l.foreign);
    let ports = layer(l.ports);
    let dests = layer(l.dests);
    let mut arcs = Vec::new();
    // Road arcs: 0.01 t/day capacities of 200..2,000 t, 5..60 USD/t.
    let road = |arcs: &mut Vec<InnerArc>, rng: &mut ChaCha8Rng, from, to| {
        arcs.push(InnerArc {
            from,
            to,
            cap: rng.random_range(20_000..200_000),
            cost: rng.random_range(500..6_000),
            transit: rng.random_range(1..=2),
            crossing: false,
        });
    };
    let fan = |arcs: &mut Vec<InnerArc>, rng: &mut ChaCha8Rng, from: &[usize], to: &[usize], k| {
        for &u in from {
            for _ in 0..k {
                let v = to[rng.random_range(0..to.len())];
                road(arcs, rng, u, v);
            }
        }
    };
    fan(&mut arcs, rng, &origins, &hubs, 2);
    fan(&mut arcs, rng, &hubs, &hubs, 1);
    fan(&mut arcs, rng, &hubs, &entries, 3);
    fan(&mut arcs, rng, &exits, &foreign, 2);
    fan(&mut arcs, rng, &foreign, &foreign, 1);
    fan(&mut arcs, rng, &foreign, &ports, 2);
    fan(&mut arcs, rng, &foreign, &dests, 2);
    fan(&mut arcs, rng, &ports, &dests, 3);
    // Border crossings: 100..1,000 t/day, border charges 2..40 USD/t, same-day crossing.
    for (&a, &b) in entries.iter().zip(&exits) {
        arcs.push(InnerArc {
            from: a,
            to: b,
            cap: rng.random_range(10_000..100_000),
            cost: rng.random_range(200..4_000),
            transit: 0,
            crossing: true,
        });
    }
    arcs.retain(|a| a.from != a.to);
    Inner {
        nodes: next,
        arcs,
        origins,
        dests,
    }
}

/// Penalty per unit of flow that is not delivered (2,000 USD/t).
const PENALTY: i64 = 200_000;

/// One day of a corridor network of about `nodes` nodes (at least 14), from `seed`.
pub fn corridor_daily(nodes: usize, seed: u64) -> Instance {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let inner = inner_network(nodes, &mut rng);
    let source = inner.nodes;
    let sink = inner.nodes + 1;
    let mut ns = NetworkSimplex::new(inner.nodes + 2);
    let mut crossings = Vec::new();
    for a in &inner.arcs {
        let i = ns.add_arc(a.from, a.to, a.cap, a.cost);
        if a.crossing {
            crossings.push(i);
        }
    }
    let mut total = 0;
    for &o in &inner.origins {
        let s = rng.random_range(5_000..40_000);
        total += s;
        ns.add_arc(source, o, s, 0);
    }
    let per_dest = total / inner.dests.len() as i64 + 1;
    for &d in &inner.dests {
        ns.add_arc(d, sink, per_dest, 0);
    }
    ns.add_arc(source, sink, total, PENALTY);
    ns.set_supply(source, total);
    ns.set_supply(sink, -total);
    Instance {
        name: format!("daily-{}", inner.nodes + 2),
        solver: ns,
        crossings,
    }
}

/// A time-expanded network: the inner network of [`corridor_daily`]`(nodes, seed)`
/// copied for `days` days, with transit times, holdover arcs and daily supplies.
pub fn time_expanded(nodes: usize, days: usize, seed: u64) -> Instance {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let inner = inner_network(nodes, &mut rng);
    let days = days.max(1);
    let k = inner.nodes;
    let source = k * days;
    let sink = source + 1;
    let id = |v: usize, d: usize| d * k + v;
    let mut ns = NetworkSimplex::new(k * days + 2);
    let mut crossings = Vec::new();
    for d in 0..days {
        for a in &inner.arcs {
            let arrive = d + a.transit;
            if arrive >= days {
                continue;
            }
            let i = ns.add_arc(id(a.from, d), id(a.to, arrive), a.cap, a.cost);
            if a.crossing && d == 0 {
                crossings.push(i);
            }
        }
        if d + 1 < days {
            // Holdover: 1 USD/t per day, up to 5,000 t.
            for v in 0..k {
                ns.add_arc(id(v, d), id(v, d + 1), 500_000, 100);
            }
        }
    }
    let mut total = 0;
    for d in 0..days {
        for &o in &inner.origins {
            let s = rng.random_range(5_000..40_000);
            total += s;
            ns.add_arc(source, id(o, d), s, 0);
        }
    }
    let per = total / (inner.dests.len() * days) as i64 + 1;
    for d in 0..days {
        for &t in &inner.dests {
            ns.add_arc(id(t, d), sink, per, 0);
        }
    }
    ns.add_arc(source, sink, total, PENALTY);
    ns.set_supply(source, total);
    ns.set_supply(sink, -total);
    Instance {
        name: format!("expanded-{}x{days}", k + 2),
        solver: ns,
        crossings,
    }
}

/// The instances of the benchmarks and of the peer comparison: daily networks of 50,
/// 200 and 1,000 nodes, and the 50-node network expanded over 90 and 365 days.
pub fn benchmark_set() -> Vec<Instance> {
    vec![
        corridor_daily(50, 1),
        corridor_daily(200, 2),
        corridor_daily(1000, 3),
        time_expanded(50, 90, 4),
        time_expanded(50, 365, 5),
    ]
}

/// The crossing with the largest flow in the instance's optimal solution (the closure
/// that hurts most), or the first crossing if nothing crosses.
///
/// # Errors
/// Whatever the solve returns.
pub fn busiest_crossing(inst: &mut Instance) -> Result<Option<usize>, crate::error::SolveError> {
    inst.solver.solve()?;
    Ok(inst
        .crossings
        .iter()
        .copied()
        .max_by_key(|&a| (inst.solver.flow(a), std::cmp::Reverse(a))))
}
