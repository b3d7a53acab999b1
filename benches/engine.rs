//! One simulated year of the shipped scenarios, with and without closures.
//!
//! `cargo bench --bench engine`. "no closures" is the steady state (most days change
//! nothing and must cost nearly nothing); "fixed closures" replays the scenario's own
//! closure windows (for the Afghanistan scenario, the recorded closures of 2024). The
//! "reference" variants run the plain reference simulation (every day simulated,
//! `Execution::Reference`); the others run the fast path (what Monte Carlo runs use),
//! which takes the days it can from the counterfactual, so "no closures" there measures
//! only the bookkeeping of a run.

use std::hint::black_box;

use chokepoint::sim::{Engine, Execution, Record};
use criterion::{criterion_group, criterion_main, Criterion};

mod common;

fn bench(c: &mut Criterion) {
    for (name, scenario) in common::scenarios(&[]) {
        let mut engine = Engine::new(&scenario).expect("engine builds");
        let mut g = c.benchmark_group(format!("year/{name}"));
        g.sample_size(30);
        g.bench_function("no closures", |b| {
            b.iter(|| black_box(engine.run(black_box(&[]), Record::Totals).expect("runs")))
        });
        let closures = scenario.closures.clone();
        g.bench_function("fixed closures", |b| {
            b.iter(|| {
                black_box(
                    engine
                        .run(black_box(&closures), Record::Totals)
                        .expect("runs"),
                )
            })
        });
        let mut reference =
            Engine::with_execution(&scenario, Execution::Reference).expect("engine builds");
        g.bench_function("no closures, reference", |b| {
            b.iter(|| black_box(reference.run(black_box(&[]), Record::Totals).expect("runs")))
        });
        g.bench_function("fixed closures, reference", |b| {
            b.iter(|| {
                black_box(
                    reference
                        .run(black_box(&closures), Record::Totals)
                        .expect("runs"),
                )
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
