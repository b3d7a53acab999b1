//! The uncertainty study (`chokepoint uncertainty`, `uncertainty::study`): reproducible
//! files, indices that see what a parameter does, the variance split, bad input.

use std::sync::atomic::AtomicBool;

use chokepoint::compare::Candidate;
use chokepoint::montecarlo::NoProgress;
use chokepoint::uncertainty::study::{self, Analysis, Config, DesignKind, Grouping, Study};
use chokepoint::uncertainty::{Axis, Dist};

use crate::common::{cli, fixture, root};

fn uniform(name: &str, lo: f64, hi: f64) -> Axis {
    Axis::One {
        name: name.into(),
        dist: Dist::Uniform { lo, hi },
        source: "test".into(),
    }
}

/// twoland_random (random closures) and the option that widens the north crossing,
/// with `axes` on both (as the loader puts the base's tables on its options).
fn study_with(axes: Vec<Axis>) -> Study {
    let option = Candidate::option(fixture("compare/wider_north.toml")).unwrap();
    let base_path = fixture("montecarlo/twoland_random_fixed.toml");
    let mut base = Candidate::base(chokepoint::Scenario::load(&base_path).unwrap());
    base.path = base_path;
    base.scenario.uncertain = axes.clone();
    let mut option = option;
    option.scenario.uncertain = axes;
    Study::new(base, vec![option]).unwrap()
}

fn config(design: DesignKind, years: u64, threads: usize) -> Config {
    Config {
        years,
        seed: 3,
        threads,
        design,
        grouping: Grouping::Axis,
        bootstrap_resamples: 200,
        no_fixed_closures: true,
        shard: None,
    }
}

fn run(s: &Study, c: &Config) -> (study::Outcome, Analysis) {
    let o = study::simulate(s, c, &NoProgress, &AtomicBool::new(false)).unwrap();
    let a = study::analyse(&o);
    (o, a)
}

fn index(
    a: &Analysis,
    output: &str,
    factor: &str,
    which: &str,
) -> chokepoint::uncertainty::Interval {
    a.indices
        .iter()
        .find(|r| r.output == output && r.factor == factor && r.index == which)
        .unwrap_or_else(|| panic!("no {which} of {output} to {factor}"))
        .value
}

#[test]
fn the_same_seed_gives_identical_files_for_any_thread_count() {
    let s = study_with(vec![
        uniform("closures.rate_scale", 0.5, 2.0),
        uniform("process.north.mean_duration_days", 3.0, 12.0),
    ]);
    let mut files = Vec::new();
    for threads in [1, 2] {
        let dir = tempfile::tempdir().unwrap();
        let (o, _) = run(&s, &config(DesignKind::Random { points: 8 }, 6, threads));
        study::output::write_outputs(dir.path(), &o).unwrap();
        let mut got = Vec::new();
        for name in study::output::FILES {
            got.push(std::fs::read(dir.path().join(name)).unwrap());
        }
        files.push(got);
    }
    assert_eq!(files[0], files[1]);
    // Every file has rows; points.csv one per point and parameter.
    let points = String::from_utf8(files[0][0].clone()).unwrap();
    assert_eq!(points.lines().count(), 1 + 8 * 2);
}

#[test]
fn closure_draws_are_common_to_every_point() {
    // Year i draws the same uniforms at every point: the point with the larger rate
    // scale has every closure of the smaller one's and more, so it loses at least as
    // much in (almost) every year.
    let s = study_with(vec![uniform("closures.rate_scale", 0.0, 3.0)]);
    let (o, _) = run(&s, &config(DesignKind::Random { points: 8 }, 8, 2));
    let (lo, hi) =
        (0..8)
            .map(|p| (o.points.u[p][0], p))
            .fold(((2.0, 0), (-1.0, 0)), |(lo, hi), (u, p)| {
                (
                    if u < lo.0 { (u, p) } else { lo },
                    if u > hi.0 { (u, p) } else { hi },
                )
            });
    let (a, b) = (&o.losses[lo.1][0], &o.losses[hi.1][0]);
    let more = a.iter().zip(b).filter(|(x, y)| y >= x).count();
    assert!(more >= 7, "{a:?} vs {b:?}");
}

#[test]
fn indices_see_a_parameter_that_does_nothing_and_one_that_drives_everything() {
    // settings.discount_rate changes no loss (only the appraisal); the closure rate
    // drives the loss.
    let s = study_with(vec![
        uniform("closures.rate_scale", 0.2, 3.0),
        uniform("settings.discount_rate", 0.02, 0.12),
    ]);
    let (_, a) = run(&s, &config(DesignKind::Saltelli { base_points: 16 }, 6, 2));
    for output in ["base:mean_loss_usd", "wider_north:avoided_loss_usd"] {
        let dummy = index(&a, output, "settings.discount_rate", "sobol_total");
        assert!(
            dummy.contains(0.0) && dummy.estimate.abs() < 0.05,
            "{output}: {dummy:?}"
        );
        let first = index(&a, output, "settings.discount_rate", "sobol_first");
        assert!(first.contains(0.0), "{output}: {first:?}");
        let driver = index(&a, output, "closures.rate_scale", "sobol_total");
        assert!(driver.estimate > 0.8, "{output}: {driver:?}");
        let xi = index(&a, output, "closures.rate_scale", "chatterjee_xi");
        let xi_dummy = index(&a, output, "settings.discount_rate", "chatterjee_xi");
        assert!(
            xi.estimate > xi_dummy.estimate && xi.low > 0.0,
            "{xi:?} {xi_dummy:?}"
        );
    }
    // The discount rate does move the benefit/cost ratio: the options' table sees it.
    let bcr = a
        .options
        .iter()
        .find(|r| r.measure == "benefit_cost_ratio")
        .unwrap();
    assert!(bcr.mean_p5_p50_p95[1] < bcr.mean_p5_p50_p95[3]);
}

#[test]
fn the_variance_split_is_all_parameters_without_random_closures() {
    // twoland has one fixed closure and no random ones: every year is the same, so the
    // parameters explain all the variance (within = 0, share = 1).
    let path = root().join("scenarios/twoland.toml");
    let mut base = Candidate::base(chokepoint::Scenario::load(&path).unwrap());
    base.scenario.uncertain = vec![uniform("product.cloth.value_usd_per_t", 2000.0, 6000.0)];
    let s = Study::new(base, vec![]).unwrap();
    let mut c = config(DesignKind::Random { points: 8 }, 3, 2);
    c.no_fixed_closures = false;
    let (o, a) = run(&s, &c);
    assert!(o.losses.iter().all(|p| p[0].iter().all(|x| *x == p[0][0])));
    let split = &a.splits[0];
    assert_eq!(split.output, "base:loss_usd");
    assert_eq!(split.within.estimate, 0.0);
    assert!(split.between.estimate > 0.0);
    assert_eq!(split.parameter_share.estimate, 1.0);
    // And with no parameter effect at all (the discount rate), none of it.
    let mut base = Candidate::base(chokepoint::Scenario::load(&path).unwrap());
    base.scenario.uncertain = vec![uniform("settings.discount_rate", 0.0, 0.1)];
    let s = Study::new(base, vec![]).unwrap();
    let (_, a) = run(&s, &c);
    assert!(a.splits[0].parameter_share.estimate.is_nan() || a.splits[0].between.estimate == 0.0);
}

#[test]
fn a_study_without_uncertain_parameters_is_refused_naming_what_to_add() {
    let out = tempfile::tempdir().unwrap();
    let o = cli(&[
        "uncertainty",
        "tests/fixtures/montecarlo/twoland_random.toml",
        "--out",
        out.path().join("u").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no uncertain parameter")
            && err.contains("[[uncertain]]")
            && err.contains("param ="),
        "{err}"
    );
    assert!(!out.path().join("u").join("manifest.json").exists());
    // An option file that does not exist.
    let o = cli(&[
        "uncertainty",
        "tests/fixtures/montecarlo/twoland_random.toml",
        "tests/fixtures/compare/no_such_option.toml",
        "--out",
        out.path().join("v").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no_such_option.toml"), "{err}");
}

#[test]
fn bad_study_settings_are_errors() {
    let s = study_with(vec![uniform("closures.rate_scale", 0.5, 2.0)]);
    let stop = AtomicBool::new(false);
    for c in [
        config(DesignKind::Random { points: 2 }, 5, 1),
        config(DesignKind::Saltelli { base_points: 1 }, 5, 1),
        config(DesignKind::Random { points: 8 }, 1, 1),
        config(DesignKind::Random { points: 8 }, 5, 0),
    ] {
        assert!(
            study::simulate(&s, &c, &NoProgress, &stop).is_err(),
            "{c:?}"
        );
    }
    // A drawn value the parameter cannot take is an error naming the axis.
    let s = study_with(vec![uniform(
        "process.north.mean_duration_days",
        -5.0,
        -1.0,
    )]);
    let e = study::simulate(
        &s,
        &config(DesignKind::Random { points: 8 }, 2, 1),
        &NoProgress,
        &stop,
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("process.north.mean_duration_days"),
        "{e}"
    );
}

/// `chokepoint uncertainty FILES... SETTINGS... -q --out OUT EXTRA...`.
fn uncertainty_cli(
    files: &[&str],
    settings: &[&str],
    out: &std::path::Path,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec!["uncertainty"];
    args.extend_from_slice(files);
    args.extend_from_slice(settings);
    args.extend_from_slice(&["-q", "--out", out.to_str().unwrap()]);
    args.extend_from_slice(extra);
    cli(&args)
}

const BASE: &str = "tests/fixtures/uncertainty/base.toml";
const NORTH: &str = "tests/fixtures/uncertainty/wider_north.toml";
const SOUTH: &str = "tests/fixtures/uncertainty/wider_south.toml";

fn cli_study(out: &std::path::Path, threads: &str, extra: &[&str]) -> std::process::Output {
    let settings = [
        "--points",
        "8",
        "--years",
        "5",
        "--seed",
        "4",
        "--bootstrap",
        "100",
        "--threads",
        threads,
    ];
    uncertainty_cli(&[BASE, NORTH], &settings, out, extra)
}

#[test]
fn the_cli_writes_identical_files_at_one_and_two_threads_and_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("t1"), dir.path().join("t2"));
    let o = cli_study(&a, "1", &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = cli_study(&b, "2", &["--report"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for name in study::output::FILES {
        assert_eq!(
            std::fs::read(a.join(name)).unwrap(),
            std::fs::read(b.join(name)).unwrap(),
            "{name}"
        );
    }
    // The option's own axis is a design axis; the base's four take part too.
    let points = std::fs::read_to_string(a.join("points.csv")).unwrap();
    assert!(points.contains("expansion.north_crossing.extra_t_per_day"));
    assert_eq!(points.lines().count(), 1 + 8 * 4);
    // The report is an uncertainty page with its charts.
    let html = std::fs::read_to_string(b.join("report.html")).unwrap();
    for id in [
        "predictive-exceedance",
        "variance-split",
        "indices-0",
        "options-across",
        "ranking-robustness",
    ] {
        assert!(html.contains(&format!("data-chart=\"{id}\"")), "{id}");
    }
    let manifest = std::fs::read_to_string(b.join("manifest.json")).unwrap();
    assert!(
        manifest.contains("\"report.html\"") && manifest.contains("\"command\": \"uncertainty\"")
    );
    // `chokepoint report` on the folder gives the same page.
    let again = dir.path().join("again.html");
    let o = cli(&[
        "report",
        a.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn an_options_own_axis_does_nothing_to_the_base() {
    let base = chokepoint::Scenario::load(fixture("uncertainty/base.toml")).unwrap();
    let mut b = Candidate::base(base);
    b.path = fixture("uncertainty/base.toml");
    let o = Candidate::option(fixture("uncertainty/wider_north.toml")).unwrap();
    let s = Study::new(b, vec![o]).unwrap();
    assert_eq!(s.axes.len(), 4);
    let j = s
        .axes
        .iter()
        .position(|a| a.label() == "expansion.north_crossing.extra_t_per_day")
        .unwrap();
    assert!(!s.uses[0][j] && s.uses[1][j]);
    // Two points that differ only in that axis give the base the same scenario.
    let mut u = vec![0.5; 4];
    let x = s.scenario_at(0, &u).unwrap();
    u[j] = 0.9;
    assert_eq!(x, s.scenario_at(0, &u).unwrap());
    assert_ne!(s.scenario_at(1, &u).unwrap(), {
        u[j] = 0.1;
        s.scenario_at(1, &u).unwrap()
    });
}

/// `chokepoint uncertainty` of the fixture's base and both options (a Saltelli design),
/// with `extra` flags.
fn cli_both(out: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let settings = [
        "--indices",
        "--base-points",
        "6",
        "--years",
        "5",
        "--seed",
        "4",
        "--bootstrap",
        "40",
    ];
    uncertainty_cli(&[BASE, NORTH, SOUTH], &settings, out, extra)
}

#[test]
fn shards_merge_into_the_files_of_one_process() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one");
    let o = cli_both(&one, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let shards: Vec<std::path::PathBuf> =
        (1..=3).map(|k| dir.path().join(format!("s{k}"))).collect();
    for (k, d) in shards.iter().enumerate() {
        let spec = format!("{}/3", k + 1);
        let o = cli_both(
            d,
            &[
                "--shard",
                &spec,
                "--threads",
                if k == 0 { "1" } else { "2" },
            ],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(d.join("shard.json").is_file() && !d.join("manifest.json").exists());
    }
    let merged = dir.path().join("merged");
    let s = |p: &std::path::Path| p.to_str().unwrap().to_string();
    // Any order.
    let o = cli(&[
        "merge",
        &s(&shards[2]),
        &s(&shards[0]),
        &s(&shards[1]),
        "--out",
        &s(&merged),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for name in study::output::FILES.iter().chain(&["manifest.json"]) {
        assert_eq!(
            std::fs::read(one.join(name)).unwrap(),
            std::fs::read(merged.join(name)).unwrap(),
            "{name}"
        );
    }

    // A missing shard, a repeated one, a shard of another study, a damaged file: exit 2,
    // each named, and nothing written.
    let bad = dir.path().join("bad");
    let merge_fails = |dirs: &[&std::path::PathBuf], needle: &str| {
        let mut args = vec!["merge".to_string()];
        args.extend(dirs.iter().map(|d| s(d)));
        args.extend(["--out".to_string(), s(&bad)]);
        let o = cli(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(needle), "{err}\nwant: {needle}");
        assert!(!bad.exists());
    };
    merge_fails(&[&shards[0], &shards[1]], "missing shard(s) 3/3");
    merge_fails(&[&shards[0], &shards[0], &shards[1]], "appears twice");
    let other = dir.path().join("other");
    let o = cli_both(&other, &["--shard", "3/3", "--groups", "axis"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    merge_fails(
        &[&shards[0], &shards[1], &other],
        "shards of different studies",
    );
    // A partial file changed after the shard was written is refused by its checksum; one
    // rewritten consistently (checksum too) is refused at its line.
    let partial = shards[1].join("partial_losses.csv");
    let text = std::fs::read_to_string(&partial).unwrap();
    let damaged = text.replacen(",0,", ",0,x", 1);
    std::fs::write(&partial, &damaged).unwrap();
    let all = [&shards[0], &shards[1], &shards[2]];
    merge_fails(&all, "the file changed after the shard was written");
    let manifest = std::fs::read_to_string(shards[1].join("shard.json")).unwrap();
    let sha = |t: &str| {
        chokepoint::output::FileRecord::of_bytes("partial_losses.csv", t.as_bytes()).sha256
    };
    std::fs::write(
        shards[1].join("shard.json"),
        manifest.replace(&sha(&text), &sha(&damaged)),
    )
    .unwrap();
    // The corrupt cell is named by its file, line and column (a typed row, not an index).
    merge_fails(&all, "partial_losses.csv:2 (column total_loss_usd)");
    // A cell that reads but does not fit (a year out of order) is named the same way.
    let reordered = text.replacen(",0,", ",1,", 1);
    std::fs::write(&partial, &reordered).unwrap();
    std::fs::write(
        shards[1].join("shard.json"),
        manifest.replace(&sha(&text), &sha(&reordered)),
    )
    .unwrap();
    merge_fails(
        &all,
        "partial_losses.csv:2 (column year): year 1 out of order",
    );
    // A report of a shard is refused before any run.
    let o = cli_both(&dir.path().join("r"), &["--shard", "1/3", "--report"]);
    assert_eq!(o.status.code(), Some(2));
}
