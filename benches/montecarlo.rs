//! Monte Carlo speed: sampling one year of random closures, and runs per second of the
//! whole runner (sampling + engine + bookkeeping) on the shipped scenarios.
//!
//! `cargo bench --bench montecarlo`. The "runs" group reports throughput in runs
//! (elements) per second with 2 worker threads. For 10,000 runs end to end (files
//! included) use the CLI, which prints runs per second and writes `timing.json`:
//! `target/release/chokepoint montecarlo SCENARIO --runs 10000 --threads 2 --out DIR`.

use std::hint::black_box;

use chokepoint::montecarlo::{self, run_rng, Config, NoProgress};
use chokepoint::sim::Engine;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

mod common;

fn bench(c: &mut Criterion) {
    for (name, scenario) in common::scenarios(&["tests/fixtures/montecarlo/twoland_random.toml"]) {
        let sampler = scenario.closure_sampler().expect("closure model is valid");
        let mut g = c.benchmark_group(format!("montecarlo/{name}"));
        g.sample_size(10);
        let mut i = 0u64;
        g.bench_function("sample one year", |b| {
            b.iter(|| {
                i += 1;
                let rng = run_rng(1, i);
                black_box(sampler.sample(0, scenario.settings.days, &rng))
            })
        });
        let runs = 20u64;
        g.throughput(Throughput::Elements(runs));
        let config = Config {
            runs,
            seed: 1,
            threads: 2,
            ..Config::default()
        };
        g.bench_function("runs (2 threads)", |b| {
            b.iter(|| {
                montecarlo::simulate(&scenario, &config, || Engine::new(&scenario), &NoProgress)
                    .expect("runs")
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
