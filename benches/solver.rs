//! Criterion benches of the min-cost flow solver on corridor-like instances
//! (`chokepoint::flow::generate`): daily networks of 50, 200 and 1,000 nodes solved cold,
//! warm after one closure (the busiest border crossing shut) and warm with nothing
//! changed; 50-node networks expanded over 90 and 365 days, cold.
//!
//! `cargo bench --bench solver`; the peer comparison is `benches/peers/run.sh`.

use std::hint::black_box;

use chokepoint::flow::generate::{busiest_crossing, corridor_daily, time_expanded, Instance};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};

fn prepared(mut inst: Instance) -> (Instance, usize) {
    let arc = busiest_crossing(&mut inst)
        .expect("generated instances are feasible")
        .expect("generated instances have crossings");
    (inst, arc)
}

fn daily(c: &mut Criterion) {
    for (nodes, seed) in [(50, 1), (200, 2), (1000, 3)] {
        let (inst, arc) = prepared(corridor_daily(nodes, seed));
        let mut g = c.benchmark_group(inst.name.clone());
        let mut cold = inst.solver.clone();
        g.bench_function("cold", |b| {
            b.iter(|| black_box(cold.solve_cold().expect("feasible")))
        });
        g.bench_function("warm-closure", |b| {
            b.iter_batched_ref(
                || inst.solver.clone(),
                |s| {
                    s.set_capacity(arc, 0);
                    black_box(s.solve().expect("feasible"))
                },
                BatchSize::SmallInput,
            )
        });
        let mut same = inst.solver.clone();
        g.bench_function("warm-unchanged", |b| {
            b.iter(|| black_box(same.solve().expect("feasible")))
        });
        g.finish();
    }
}

fn expanded(c: &mut Criterion) {
    for (days, seed) in [(90, 4), (365, 5)] {
        let inst = time_expanded(50, days, seed);
        let mut g = c.benchmark_group(inst.name.clone());
        g.sample_size(10);
        let mut cold = inst.solver.clone();
        g.bench_function("cold", |b| {
            b.iter(|| black_box(cold.solve_cold().expect("feasible")))
        });
        g.finish();
    }
}

criterion_group!(benches, daily, expanded);
criterion_main!(benches);
