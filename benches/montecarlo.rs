//! Monte Carlo speed: sampling one year of random closures, and runs per second of the
//! whole runner (sampling + engine + bookkeeping) on the shipped scenarios.
//!
//! `cargo bench --bench montecarlo`. The "runs" group reports throughput in runs
//! (elements) per second with 2 worker threads. For 10,000 runs end to end (files
//! included) use the CLI, which prints runs per second and writes `timing.json`:
//! `target/release/chokepoint montecarlo SCENARIO --runs 10000 --threads 2 --out DIR`.

use std::hint::black_box;
use std::path::Path;

use chokepoint::closure::ClosureSampler;
use chokepoint::montecarlo::{self, run_rng, Config, NoProgress};
use chokepoint::sim::Engine;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const SCENARIOS: &[&str] = &[
    "scenarios/afghanistan/base.toml",
    "scenarios/starter.toml",
    "scenarios/twoland.toml",
    "tests/fixtures/montecarlo/twoland_random.toml",
];

fn bench(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for rel in SCENARIOS {
        let path = root.join(rel);
        if !path.exists() {
            continue;
        }
        let scenario = chokepoint::scenario::load(&path).expect("shipped scenarios load");
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let sampler = ClosureSampler::new(&scenario).expect("closure model is valid");
        let mut g = c.benchmark_group(format!("montecarlo/{name}"));
        g.sample_size(10);
        let mut i = 0u64;
        g.bench_function("sample one year", |b| {
            b.iter(|| {
                i += 1;
                let mut rng = run_rng(1, i);
                black_box(sampler.sample(0, scenario.settings.days, &mut rng))
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
