//! Integration tests: the Monte Carlo's control variates on a small scenario (the
//! estimator itself is tested on problems with known answers in
//! `src/control_variates.rs`).

use chokepoint::closure::{ClosureWindow, Target};
use chokepoint::montecarlo::controlled::{self, Controls};
use chokepoint::montecarlo::{self, Config, NoProgress, RunModel};
use chokepoint::sim::{Engine, RunReport};
use chokepoint::Scenario;

use super::common::{cli, fixture};

/// twoland with random closures (two crossings, a shock closing both, a regime chain).
fn twoland() -> Scenario {
    Scenario::load(fixture("montecarlo/twoland_random.toml")).unwrap()
}

fn config(runs: u64, seed: u64) -> Config {
    Config {
        runs,
        seed,
        threads: 2,
        record_daily: false,
        ..Config::default()
    }
}

/// A stand-in for the engine: a loss that grows faster than the closed days (convex,
/// and more spread after long closures), more when both crossings close together.
struct Convex;
impl RunModel for Convex {
    fn run(&mut self, c: &[ClosureWindow], _: bool) -> Result<RunReport, chokepoint::Error> {
        let mut days = [0.0f64; 2];
        for w in c {
            if let Target::Corridor(k) = w.target {
                days[k.0 as usize] +=
                    f64::from(w.duration_days.min(120)) * (1.0 - w.capacity_factor);
            }
        }
        let mut r = RunReport::default();
        r.metrics.total_loss_usd =
            1e3 * days[0].powf(1.5) + 3e3 * days[1] + 50.0 * days[0] * days[1];
        Ok(r)
    }
}

/// One study: its plain and controlled estimates of the mean total loss.
fn study<M: RunModel + Send>(
    scenario: &Scenario,
    runs: u64,
    seed: u64,
    draws: u64,
    make: impl Fn() -> Result<M, chokepoint::Error> + Sync,
) -> chokepoint::control_variates::Controlled {
    let c = config(runs, seed);
    let out = montecarlo::simulate(scenario, &c, make, &NoProgress).unwrap();
    let controls = Controls::new(scenario, &c, draws, false).unwrap();
    let ids: Vec<u64> = out.records.iter().map(|r| r.run).collect();
    controlled::total_loss(&controls, &out.records, &controls.of_runs(&ids)).unwrap()
}

/// Over `estimates` of seeded studies: the share of controlled intervals that cover
/// `truth`, the mean and standard error of (controlled - plain), the mean variance
/// reduction.
fn honesty(
    estimates: &[chokepoint::control_variates::Controlled],
    truth: f64,
) -> (f64, f64, f64, f64) {
    let k = estimates.len() as f64;
    let covered = estimates
        .iter()
        .filter(|e| e.controlled.ci_low <= truth && truth <= e.controlled.ci_high)
        .count();
    let d: Vec<f64> = estimates
        .iter()
        .map(|e| e.controlled.mean - e.plain.mean)
        .collect();
    let (dm, dsd) = montecarlo::stats::mean_sd(&d);
    let vrf = estimates.iter().map(|e| e.variance_reduction).sum::<f64>() / k;
    (covered as f64 / k, dm, dsd / k.sqrt(), vrf)
}

/// 400 seeded studies of 100 runs of twoland's closure model with a convex stand-in
/// loss, each with control means from 500 plan draws of its own: the controlled means
/// average to the plain ones within their standard error, their 95% intervals cover
/// the true mean (a plain study of 20,000 runs) in 93-97% of the studies, and they
/// are tighter than the plain ones.
#[test]
fn controlled_intervals_are_honest_on_twolands_closures() {
    let scenario = twoland();
    let truth = montecarlo::simulate(
        &scenario,
        &config(20_000, 1_000_000),
        || Ok(Convex),
        &NoProgress,
    )
    .unwrap();
    let losses: Vec<f64> = truth
        .records
        .iter()
        .map(|r| r.metrics.total_loss_usd)
        .collect();
    let (true_mean, _) = montecarlo::stats::mean_sd(&losses);
    let estimates: Vec<_> = (0..400)
        .map(|s| study(&scenario, 100, s, 500, || Ok(Convex)))
        .collect();
    let (coverage, d, se_d, vrf) = honesty(&estimates, true_mean);
    assert!((0.93..=0.97).contains(&coverage), "coverage {coverage}");
    assert!(d.abs() < 3.0 * se_d, "controlled - plain: {d} (se {se_d})");
    assert!(vrf > 2.0, "mean variance reduction {vrf}");
}

/// The same with the engine on twoland cut to 60 days and a 10-day run-out (400
/// studies of 100 runs, control means from 2,000 draws each; the truth a plain study of
/// 20,000 runs). Minutes in a debug build, so ignored there; `.ci/run` runs it in release
/// (about 10 s): `cargo test --release --test integration -- --ignored controls::`.
#[test]
#[ignore]
fn controlled_intervals_are_honest_with_the_engine() {
    let mut scenario = twoland();
    scenario.settings.days = 60;
    scenario.settings.runout_max_days = 10;
    let make = || Engine::new(&scenario);
    let truth =
        montecarlo::simulate(&scenario, &config(20_000, 1_000_000), make, &NoProgress).unwrap();
    let losses: Vec<f64> = truth
        .records
        .iter()
        .map(|r| r.metrics.total_loss_usd)
        .collect();
    let (true_mean, _) = montecarlo::stats::mean_sd(&losses);
    let estimates: Vec<_> = (0..400)
        .map(|s| study(&scenario, 100, s, 2000, make))
        .collect();
    let (coverage, d, se_d, vrf) = honesty(&estimates, true_mean);
    let plain = estimates
        .iter()
        .filter(|e| e.plain.ci_low <= true_mean && true_mean <= e.plain.ci_high)
        .count() as f64
        / estimates.len() as f64;
    eprintln!(
        "engine: coverage {coverage} (plain {plain}), controlled - plain {d} (se {se_d}), \
         mean variance reduction {vrf}, true mean {true_mean}"
    );
    assert!((0.93..=0.97).contains(&coverage), "coverage {coverage}");
    assert!(d.abs() < 3.0 * se_d, "controlled - plain: {d} (se {se_d})");
    assert!(vrf > 1.5, "mean variance reduction {vrf}");
}

/// With controls asked for (here by --control-draws), the CLI writes controlled.csv
/// beside the other outputs; the controlled interval is
/// the narrower, and `--stop-on-controlled` stops no later than the plain rule.
#[test]
fn cli_reports_and_stops_on_the_controlled_interval() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = fixture("montecarlo/twoland_random.toml");
    let s = scenario.to_str().unwrap();
    let run = |out: &std::path::Path, extra: &[&str]| {
        let mut a = vec![
            "montecarlo",
            s,
            "--quiet",
            "--seed",
            "4",
            "--runs",
            "800",
            "--days",
            "60",
            "--out",
        ];
        a.push(out.to_str().unwrap());
        a.extend_from_slice(extra);
        let o = cli(&a);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let full = dir.path().join("full");
    let stdout = run(&full, &["--control-draws", "20000"]);
    assert!(stdout.contains("total loss, controlled: mean"), "{stdout}");
    let text = std::fs::read_to_string(full.join("controlled.csv")).unwrap();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 2 * controlled::metrics().len());
    assert_eq!((rows[0][0], rows[0][1]), ("total_loss_usd", "plain"));
    assert_eq!((rows[1][0], rows[1][1]), ("total_loss_usd", "controlled"));
    let se = |r: &Vec<&str>| r[4].parse::<f64>().unwrap();
    assert!(se(&rows[1]) < se(&rows[0]));
    let controls = std::fs::read_to_string(full.join("controls.csv")).unwrap();
    assert!(controls.contains("lost_days:north,"), "{controls}");
    // Stopping: the controlled rule needs no more runs than the plain one.
    let runs_of = |out: &std::path::Path| {
        std::fs::read_to_string(out.join("runs.csv"))
            .unwrap()
            .lines()
            .count()
            - 1
    };
    // A target the plain estimate reaches after about half the runs (its relative error
    // at 800 runs times 1.4); the controlled one, tighter, reaches it sooner.
    let target = format!("{}", 1.4 * rows[0][7].parse::<f64>().unwrap());
    let (plain, ctl) = (dir.path().join("plain"), dir.path().join("ctl"));
    run(&plain, &["--target-rel-error", &target]);
    assert!(
        !plain.join("controlled.csv").exists(),
        "controls are opt-in"
    );
    run(
        &ctl,
        &[
            "--target-rel-error",
            &target,
            "--stop-on-controlled",
            "--control-draws",
            "20000",
        ],
    );
    assert!(
        runs_of(&ctl) < runs_of(&plain),
        "{} vs {}",
        runs_of(&ctl),
        runs_of(&plain)
    );
    // The runs it kept are the plain study's first runs, unchanged.
    let a = std::fs::read_to_string(plain.join("runs.csv")).unwrap();
    let b = std::fs::read_to_string(ctl.join("runs.csv")).unwrap();
    assert!(a.starts_with(&b));
}
