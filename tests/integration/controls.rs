//! Integration tests: the Monte Carlo's control variates on a small scenario (the
//! estimator itself is tested on problems with known answers in
//! `src/control_variates.rs`).

use chokepoint::closure::{ClosureWindow, Target};
use chokepoint::montecarlo::controlled::{self, Controls};
use chokepoint::montecarlo::{self, Config, NoProgress, RunModel};
use chokepoint::sim::{Engine, RunReport};
use chokepoint::Scenario;

use std::path::{Path, PathBuf};

use super::common::{assert_file_error, cli, fixture, resign};
use super::montecarlo::assert_same_files;

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
    controlled::total_loss(controls.set(), &out.runs, &controls.of_runs(&out.runs.runs)).unwrap()
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

/// With controls (on by default; here with --control-draws), the CLI writes controlled.csv
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
        plain.join("controlled.csv").is_file(),
        "controls are on by default"
    );
    // --no-controls: no controlled files, and the others as with controls.
    let none = dir.path().join("none");
    run(&none, &["--target-rel-error", &target, "--no-controls"]);
    assert!(!none.join("controlled.csv").exists());
    assert!(!none.join("controls.csv").exists());
    for f in [
        "runs.csv",
        "summary.csv",
        "corridors.csv",
        "convergence.csv",
    ] {
        assert_eq!(
            std::fs::read(none.join(f)).unwrap(),
            std::fs::read(plain.join(f)).unwrap(),
            "{f}"
        );
    }
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

/// `montecarlo` of twoland's random closures (40 runs of 60 days, seed 3) into `out`
/// with `extra` arguments; its stderr.
fn twoland_cli(out: &Path, extra: &[&str]) -> String {
    let scenario = fixture("montecarlo/twoland_random.toml");
    let mut a = vec![
        "montecarlo",
        scenario.to_str().unwrap(),
        "--quiet",
        "--seed",
        "3",
        "--runs",
        "40",
        "--days",
        "60",
        "--out",
        out.to_str().unwrap(),
    ];
    a.extend_from_slice(extra);
    let o = cli(&a);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `merge` of `shards` into `out`: its stdout and stderr.
fn merge_cli(shards: &[PathBuf], out: &Path) -> (String, String) {
    let mut a = vec!["merge"];
    a.extend(shards.iter().map(|s| s.to_str().unwrap()));
    a.extend(["--out", out.to_str().unwrap()]);
    let o = cli(&a);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Controls are on by default, and shards + merge give the very files of one process
/// (controlled.csv and controls.csv too), on 1 or 2 threads: the shards carry their
/// runs' plan features and their chunks of the control-mean draws (4,500 draws: five
/// chunks over three shards, the last one short).
#[test]
fn shards_and_merge_give_one_process_controlled_files() {
    let tmp = tempfile::tempdir().unwrap();
    let d = |n: &str| tmp.path().join(n);
    let draws = ["--control-draws", "4500"];
    for t in ["1", "2"] {
        twoland_cli(
            &d(&format!("t{t}")),
            &[&draws[..], &["--threads", t]].concat(),
        );
    }
    assert_same_files(&d("t1"), &d("t2"));
    assert!(d("t1").join("controlled.csv").is_file());
    assert!(d("t1").join("controls.csv").is_file());
    let shards: Vec<PathBuf> = (1..=3).map(|k| d(&format!("s{k}"))).collect();
    for (k, s) in shards.iter().enumerate() {
        let spec = format!("{}/3", k + 1);
        twoland_cli(
            s,
            &[&draws[..], &["--threads", "1", "--shard", &spec]].concat(),
        );
        assert!(s.join(controlled::FEATURES_FILE).is_file());
        assert!(!s.join("controlled.csv").exists());
    }
    let (stdout, _) = merge_cli(&shards, &d("merged"));
    assert!(stdout.contains("total loss, controlled: mean"), "{stdout}");
    assert_same_files(&d("t1"), &d("merged"));
    // The merged features are the runs' own: the controls' rows read back from the
    // shards equal the features one process computes.
    let m = controlled::from_shards(&shards).unwrap().unwrap();
    let config = Config {
        runs: 40,
        seed: 3,
        threads: 1,
        ..Config::default()
    };
    let mut s = twoland();
    s.settings.days = 60;
    let c = Controls::new(&s, &config, 4500, false).unwrap();
    assert_eq!(m.runs, (0..40).collect::<Vec<u64>>());
    assert_eq!(m.x, c.of_runs(&m.runs));
    assert_eq!(&m.set, c.set());
}

/// Shards without plan features (an older chokepoint's, or `--no-controls`) still
/// merge: the files of one `--no-controls` process, no controlled.csv, and a note on
/// stderr naming the shards that lack them, also when only some do.
#[test]
fn shards_without_features_merge_without_controls() {
    let tmp = tempfile::tempdir().unwrap();
    let d = |n: &str| tmp.path().join(n);
    twoland_cli(&d("one"), &["--no-controls"]);
    assert!(!d("one").join("controlled.csv").exists());
    let shards: Vec<PathBuf> = (1..=2).map(|k| d(&format!("s{k}"))).collect();
    for (k, s) in shards.iter().enumerate() {
        let spec = format!("{}/2", k + 1);
        twoland_cli(s, &["--no-controls", "--shard", &spec]);
        assert!(!s.join(controlled::FEATURES_FILE).exists());
    }
    let (_, stderr) = merge_cli(&shards, &d("merged"));
    assert!(stderr.contains("no controlled estimate"), "{stderr}");
    assert!(stderr.contains("s1, "), "{stderr}");
    assert_same_files(&d("one"), &d("merged"));
    // One shard with features, one without: merged without controls, the note naming
    // the one that lacks them.
    twoland_cli(&shards[0], &["--shard", "1/2", "--force"]);
    assert!(shards[0].join(controlled::FEATURES_FILE).is_file());
    let (_, stderr) = merge_cli(&shards, &d("mixed"));
    assert!(stderr.contains("s2 carries no plan features"), "{stderr}");
    assert_same_files(&d("one"), &d("mixed"));
}

/// A shard's control file that is not what it should be is an error naming the file,
/// the line and the column (and `merge` exits with 2), even with its shard.json
/// re-signed to match; a chunk of the draws missing is an error too.
#[test]
fn a_corrupted_control_file_names_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let d = |n: &str| tmp.path().join(n);
    let shards: Vec<PathBuf> = (1..=2).map(|k| d(&format!("s{k}"))).collect();
    for (k, s) in shards.iter().enumerate() {
        twoland_cli(
            s,
            &[
                "--control-draws",
                "3000",
                "--shard",
                &format!("{}/2", k + 1),
            ],
        );
    }
    let edit = |name: &str, f: &dyn Fn(&mut Vec<String>)| {
        let path = shards[1].join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        f(&mut lines);
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        resign(&shards[1]);
        (path, text)
    };
    // Text in a feature's column, on the third line.
    let (path, text) = edit(controlled::FEATURES_FILE, &|l| {
        let mut cells: Vec<String> = l[2].split(',').map(String::from).collect();
        cells[1] = "three".into();
        l[2] = cells.join(",");
    });
    assert_file_error(
        controlled::from_shards(&shards),
        &path,
        3,
        "lost_days:north",
        "\"three\"",
    );
    let mut a = vec!["merge"];
    a.extend(shards.iter().map(|s| s.to_str().unwrap()));
    let out = d("m");
    a.extend(["--out", out.to_str().unwrap()]);
    let o = cli(&a);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains(":3"), "{stderr}");
    std::fs::write(&path, text).unwrap();
    resign(&shards[1]);
    assert!(controlled::from_shards(&shards).unwrap().is_ok());
    // Shard 2's chunk (chunk 1 of 3) dropped: a chunk is missing.
    edit(controlled::DRAWS_FILE, &|l| l.truncate(1));
    let e = controlled::from_shards(&shards).unwrap_err().to_string();
    assert!(e.contains("chunk"), "{e}");
}
