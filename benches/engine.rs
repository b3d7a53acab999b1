//! One simulated year of the shipped scenarios, with and without closures.
//!
//! `cargo bench --bench engine`. "no closures" is the steady state (most days change
//! nothing and must cost nearly nothing); "fixed closures" replays the scenario's own
//! closure windows (for the Afghanistan scenario, the recorded closures of 2024). The
//! "every day" variants simulate every day (`Engine::run_observed`); the others let the
//! run take the days it can from the counterfactual (`Engine::run`, what Monte Carlo
//! runs use), so "no closures" there measures only the bookkeeping of a run.

use std::hint::black_box;

use chokepoint::sim::{Engine, NoObserver};
use criterion::{criterion_group, criterion_main, Criterion};

mod common;

fn bench(c: &mut Criterion) {
    for (name, scenario) in common::scenarios(&[]) {
        let mut engine = Engine::new(&scenario).expect("engine builds");
        let mut g = c.benchmark_group(format!("year/{name}"));
        g.sample_size(30);
        g.bench_function("no closures", |b| {
            b.iter(|| black_box(engine.run(black_box(&[]), false).expect("runs")))
        });
        let closures = scenario.closures.clone();
        g.bench_function("fixed closures", |b| {
            b.iter(|| black_box(engine.run(black_box(&closures), false).expect("runs")))
        });
        g.bench_function("no closures, every day", |b| {
            b.iter(|| {
                black_box(
                    engine
                        .run_observed(black_box(&[]), false, &mut NoObserver)
                        .expect("runs"),
                )
            })
        });
        g.bench_function("fixed closures, every day", |b| {
            b.iter(|| {
                black_box(
                    engine
                        .run_observed(black_box(&closures), false, &mut NoObserver)
                        .expect("runs"),
                )
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
