//! Integration tests of `compare`: common random numbers, paired statistics, futures,
//! shards and threads, and the command line's errors.

use std::collections::BTreeMap;
use std::path::Path;

use chokepoint::compare::{self, analyse, Candidate, Config, Futures, Study};
use chokepoint::Scenario;

use crate::common::{cli, csv_rows as csv_maps, fixture};

const BASE: &str = "montecarlo/twoland_random_fixed.toml";

fn study(options: &[&str]) -> Study {
    let base = Candidate::base(Scenario::load(fixture(BASE)).unwrap());
    let opts = options
        .iter()
        .map(|o| Candidate::option(fixture(o)).unwrap())
        .collect();
    Study::new(base, opts).unwrap()
}

fn config(runs: u64) -> Config {
    let mut c = Config::default();
    c.mc.runs = runs;
    c.mc.seed = 3;
    c.mc.threads = 2;
    c.bootstrap_resamples = 200;
    c
}

#[test]
fn an_option_that_changes_nothing_differs_by_zero_and_never_wins() {
    let s = study(&["compare/nothing.toml", "compare/wider_north.toml"]);
    let o = compare::simulate_quietly(&s, &config(60)).unwrap();
    // A whole comparison keeps every run's numbers, in run order, and no run's record.
    assert_eq!(o.runs(), 60);
    assert!(o.columns[0]
        .iter()
        .all(|c| c.runs == (0..60).collect::<Vec<u64>>()));
    assert!(o.records.is_empty());
    // Exactly the same loss in every run.
    let base = o.losses(0, 0);
    assert_eq!(o.losses(0, 1), base);
    assert!(base.iter().any(|x| *x > 0.0), "the fixture has losses");
    let a = analyse(&o);
    for d in a
        .differences
        .iter()
        .filter(|d| d.option == 1 && d.against == 0)
    {
        assert_eq!(d.paired.mean, 0.0, "{}", d.metric);
        assert_eq!((d.paired.ci_low, d.paired.ci_high), (0.0, 0.0));
    }
    let w = a
        .wins
        .iter()
        .find(|w| w.option == 1 && w.against == 0)
        .unwrap();
    assert_eq!((w.wins.wins, w.wins.ties, w.wins.p()), (0, 60, 0.0));
    // Never best alone: where it has the lowest loss, it ties the base.
    let b = a.best.iter().find(|b| b.candidate == 1).unwrap();
    assert_eq!(b.best, 0);
    let bc = a.benefit_cost.iter().find(|b| b.option == 1).unwrap();
    assert_eq!(bc.avoided, (0.0, 0.0, 0.0));
    assert!(
        bc.appraisal.npv(bc.avoided.0) < 0.0,
        "it costs and avoids nothing"
    );
    // And the widened crossing does help: it beats the base in some runs.
    let w2 = a
        .wins
        .iter()
        .find(|w| w.option == 2 && w.against == 0)
        .unwrap();
    assert!(w2.wins.wins > 0);
}

#[test]
fn the_base_processes_close_the_same_windows_in_every_option() {
    // risk.toml adds a process and a link, joins the shock, changes north's law; the
    // south process is untouched, so its windows are the base's in every run. The
    // capacity option changes no risk: all its windows are the base's.
    // A whole comparison keeps no run's record: the one shard of one keeps them all.
    let s = study(&["options/risk.toml", "compare/wider_north.toml"]);
    let mut c = config(40);
    c.mc.shard = Some("1/1".parse().unwrap());
    let o = compare::simulate_quietly(&s, &c).unwrap();
    let mut compared = 0;
    for i in 0..40 {
        let base = &o.records[0][0][i];
        let risky = &o.records[0][1][i];
        let wider = &o.records[0][2][i];
        assert_eq!(base.closures, wider.closures, "run {i}");
        let south = |r: &chokepoint::montecarlo::RunRecord| {
            r.closures
                .iter()
                .filter(|w| w.label == "random south")
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(south(base), south(risky), "run {i}");
        compared += south(base).len();
        // The option's own process adds windows of its own.
        assert!(base
            .closures
            .iter()
            .all(|w| w.label != "random bypass_faults"));
    }
    assert!(
        compared > 5,
        "the south process closed something ({compared})"
    );
}

#[test]
fn pairing_narrows_the_interval() {
    let s = study(&["compare/wider_north.toml"]);
    let a = analyse(&compare::simulate_quietly(&s, &config(80)).unwrap());
    let d = a
        .differences
        .iter()
        .find(|d| d.metric == "total_loss_usd")
        .unwrap();
    let paired = d.paired.ci_high - d.paired.ci_low;
    let unpaired = d.paired.unpaired_ci_high - d.paired.unpaired_ci_low;
    assert!(
        paired < 0.8 * unpaired,
        "paired {paired} vs unpaired {unpaired}"
    );
    assert!(d.paired.variance_removed() > 0.3);
}

#[test]
fn futures_give_regret_and_satisficing() {
    let mut s = study(&["options/risk.toml", "compare/wider_north.toml"]);
    let scenarios: Vec<&Scenario> = s.candidates().map(|c| &c.scenario).collect();
    let futures = Futures::load(&fixture("compare/futures.toml"), &scenarios).unwrap();
    // An unknown process in a futures file is an error naming it.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("f.toml");
    std::fs::write(
        &bad,
        "[[future]]\nname = \"x\"\n[[future.process]]\nid = \"nort\"\n",
    )
    .unwrap();
    let e = Futures::load(&bad, &scenarios).unwrap_err().to_string();
    assert!(
        e.contains("`nort`") && e.contains("did you mean `north`"),
        "{e}"
    );
    s.futures = Some(futures);
    let mut c = config(40);
    c.threshold_usd = Some(1.0e6);
    let o = compare::simulate_quietly(&s, &c).unwrap();
    assert_eq!(o.futures, ["calm", "crisis"]);
    let a = analyse(&o);
    // Crisis costs more than calm for the base.
    let loss = |f: usize, k: usize| {
        a.future_rows
            .iter()
            .find(|r| r.future == f && r.candidate == k)
            .unwrap()
            .loss
            .0
    };
    assert!(loss(1, 0) > loss(0, 0));
    // Regret is zero for the best in each future and never negative.
    for f in 0..2 {
        let rows: Vec<_> = a.future_rows.iter().filter(|r| r.future == f).collect();
        assert!(rows.iter().all(|r| r.regret >= 0.0));
        assert_eq!(rows.iter().filter(|r| r.regret == 0.0).count(), 1);
    }
    assert_eq!(a.robust.iter().filter(|r| r.least_max_regret).count(), 1);
    let below = a.robust[0].below.unwrap();
    assert!((0.0..=1.0).contains(&below));
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.file_name().unwrap() != "timing.json")
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn shards_and_threads_give_the_same_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = |x: &str| dir.path().join(x).to_string_lossy().into_owned();
    let base = fixture(BASE).to_string_lossy().into_owned();
    let opt = fixture("options/risk.toml").to_string_lossy().into_owned();
    let fut = fixture("compare/futures.toml")
        .to_string_lossy()
        .into_owned();
    let common = [
        "compare",
        &base,
        &opt,
        "--runs",
        "30",
        "--seed",
        "5",
        "--quiet",
        "--bootstrap",
        "100",
        "--futures",
        &fut,
        "--threshold",
        "1e6",
    ];
    let run = |extra: &[&str]| {
        let mut args: Vec<&str> = common.to_vec();
        args.extend_from_slice(extra);
        let out = cli(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    run(&["--threads", "1", "--out", &d("one")]);
    run(&["--threads", "2", "--out", &d("two")]);
    run(&["--threads", "1", "--shard", "2/3", "--out", &d("s2")]);
    run(&["--threads", "2", "--shard", "1/3", "--out", &d("s1")]);
    run(&["--threads", "1", "--shard", "3/3", "--out", &d("s3")]);
    let out = cli(&["merge", &d("s3"), &d("s1"), &d("s2"), "--out", &d("merged")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let one = files(&dir.path().join("one"));
    assert!(one.contains_key("benefit_cost.csv") && one.contains_key("manifest.json"));
    // Controls by default, from the shards' plan features after a merge.
    assert!(one.contains_key("controlled.csv"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("control variates"));
    assert_eq!(one, files(&dir.path().join("two")));
    assert_eq!(one, files(&dir.path().join("merged")));
    // Shards without plan features (an older chokepoint's): merged without
    // controlled.csv, with a note; the other files unchanged.
    for f in 0..2 {
        let part = dir.path().join("s2").join(format!("part-{f}-0"));
        for name in ["control_features.csv", "control_draws.csv"] {
            std::fs::remove_file(part.join(name)).unwrap();
        }
        let path = part.join("shard.json");
        let mut m = chokepoint::output::Manifest::read(&path).unwrap();
        m.files.retain(|f| !f.name.starts_with("control_"));
        m.write(&path).unwrap();
    }
    let out = cli(&["merge", &d("s3"), &d("s1"), &d("s2"), "--out", &d("old")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("no plan features"));
    let mut old = files(&dir.path().join("old"));
    assert!(!old.contains_key("controlled.csv"));
    let mut without = one.clone();
    without.remove("controlled.csv");
    // The manifest lists controlled.csv in one, not in the other.
    let (a, b) = (without.remove("manifest.json"), old.remove("manifest.json"));
    assert_ne!(a, b);
    assert_eq!(without, old);
    let manifest = String::from_utf8(one["manifest.json"].clone()).unwrap();
    assert!(manifest.contains("\"command\": \"compare\""));
    assert!(manifest.contains("risk.toml"));
}

#[test]
fn the_command_line_refuses_an_option_twice_or_of_another_base() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("c").to_string_lossy().into_owned();
    let base = fixture(BASE).to_string_lossy().into_owned();
    let opt = fixture("compare/nothing.toml")
        .to_string_lossy()
        .into_owned();
    let other = fixture("compare/other_base.toml")
        .to_string_lossy()
        .into_owned();
    let r = cli(&["compare", &base, &opt, &opt, "--runs", "5", "--out", &out]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("given twice"), "{err}");
    let r = cli(&["compare", &base, &other, "--runs", "5", "--out", &out]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("an option of another base"), "{err}");
    // A base that is an option file.
    let r = cli(&["compare", &opt, &opt, "--runs", "5", "--out", &out]);
    assert_eq!(r.status.code(), Some(2));
    assert!(!Path::new(&out).join("manifest.json").exists());
}

#[test]
fn the_shipped_futures_file_loads_against_afghanistan() {
    let root = crate::common::root().join("scenarios/afghanistan");
    let base = Candidate::base(Scenario::load(root.join("base.toml")).unwrap());
    let mut options = Vec::new();
    for e in std::fs::read_dir(root.join("options")).unwrap() {
        options.push(Candidate::option(e.unwrap().path()).unwrap());
    }
    let s = Study::new(base, options).unwrap();
    let scenarios: Vec<&Scenario> = s.candidates().map(|c| &c.scenario).collect();
    let f = Futures::load(&root.join("futures.toml"), &scenarios).unwrap();
    let names: Vec<&str> = f.futures.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(
        names,
        ["calm_2021_22", "tense_2023_24", "escalation_late_2025"]
    );
    assert!(f.futures.iter().all(|x| !x.basis.is_empty()));
    for fut in &f.futures {
        for c in s.candidates() {
            fut.apply(&c.scenario).unwrap();
        }
    }
}

/// Control variates in a comparison: one row pair (plain, controlled) per candidate's
/// total loss and per option's avoided loss in each future; the plain avoided loss is the
/// plain base loss less the option's (paired, run by run); the controlled means stay
/// within a few standard errors of the plain ones, and the base's own loss, which the
/// controls describe best, is estimated tighter.
#[test]
fn controls_estimate_each_option_s_avoided_loss_beside_the_plain_one() {
    let s = study(&["compare/nothing.toml", "compare/wider_north.toml"]);
    let mut c = config(400);
    c.mc.threads = 2;
    let o = compare::simulate_quietly(&s, &c).unwrap();
    let est = compare::controlled::analyse(&s, &c, &o, 20_000).unwrap();
    let futures = s.future_list().len();
    assert_eq!(est.len(), futures * (3 + 2));
    let find = |cand: &str, q: &str| {
        est.iter()
            .find(|e| e.candidate == cand && e.quantity == q)
            .unwrap_or_else(|| panic!("{cand} {q}"))
            .estimate
            .clone()
    };
    let base = find(&o.labels[0], "total_loss_usd");
    assert!(base.variance_reduction > 1.5, "{}", base.variance_reduction);
    assert!(base.controlled.se < base.plain.se);
    for label in &o.labels[1..] {
        let total = find(label, "total_loss_usd");
        let avoided = find(label, "avoided_loss_usd");
        assert!(
            (avoided.plain.mean - (base.plain.mean - total.plain.mean)).abs()
                <= 1e-9 * base.plain.mean.abs().max(1.0)
        );
        let gap = (avoided.controlled.mean - avoided.plain.mean).abs();
        assert!(
            gap <= 4.0 * avoided.plain.se.max(1e-9),
            "{label}: {gap} against se {}",
            avoided.plain.se
        );
    }
    // An option that changes nothing avoids exactly nothing, controlled or not.
    let nothing = find("nothing", "avoided_loss_usd");
    assert_eq!(nothing.plain.mean, 0.0);
    assert_eq!(nothing.controlled.mean, 0.0);
    // The CLI writes them beside the other files, listed in the manifest; not for a shard.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cmp");
    let base_path = fixture(BASE);
    let option = fixture("compare/wider_north.toml");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "compare".to_string(),
            base_path.display().to_string(),
            option.display().to_string(),
            "--runs".into(),
            "200".into(),
            "--seed".into(),
            "3".into(),
            "--quiet".into(),
            "--out".into(),
            out.display().to_string(),
        ];
        a.extend(extra.iter().map(|x| x.to_string()));
        a
    };
    let run = |extra: &[&str]| {
        let a = args(extra);
        cli(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let o = run(&["--control-draws", "5000"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("controlled"));
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("controlled.csv"));
    let text = std::fs::read_to_string(out.join("controlled.csv")).unwrap();
    assert_eq!(text.lines().count(), 1 + 2 * 3);
    // Controls are on by default; --no-controls writes the same files without
    // controlled.csv.
    let with = std::fs::read(out.join("compare_runs.csv")).unwrap();
    let o = run(&["--no-controls", "--control-draws", "5000", "--force"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "--no-controls with --control-draws"
    );
    let o = run(&["--no-controls", "--force"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!out.join("controlled.csv").exists());
    assert!(!String::from_utf8_lossy(&o.stdout).contains("controlled"));
    assert_eq!(std::fs::read(out.join("compare_runs.csv")).unwrap(), with);
    let o = run(&["--force"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("controlled.csv").is_file());
    // A shard carries its base part's plan features (`--controls`, a no-op, is accepted).
    let o = run(&["--controls", "--shard", "1/2", "--force"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("part-0-0").join("control_features.csv").is_file());
    assert!(!out.join("part-0-1").join("control_features.csv").exists());
}

/// `compare_runs.csv` reports the run-out figures of the metric table, run by run as
/// `montecarlo` does for the same seed, and `differences.csv` their paired means.
#[test]
fn compare_reports_the_run_out_as_montecarlo_does() {
    let dir = tempfile::tempdir().unwrap();
    let s = |p: &Path| p.to_string_lossy().into_owned();
    let (base, option) = (fixture(BASE), fixture("compare/wider_north.toml"));
    let (c, m) = (dir.path().join("c"), dir.path().join("m"));
    let common = ["--runs", "10", "--seed", "5", "--quiet", "--threads", "1"];
    let mut a = vec![
        "compare".to_string(),
        s(&base),
        s(&option),
        "--bootstrap".into(),
    ];
    a.extend(["20".into(), "--out".into(), s(&c)]);
    a.extend(common.iter().map(|x| x.to_string()));
    let o = cli(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut a = vec!["montecarlo".to_string(), s(&base), "--out".into(), s(&m)];
    a.extend(common.iter().map(|x| x.to_string()));
    let o = cli(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let runout = [
        "runout_days",
        "runout_capped",
        "runout_open_t",
        "runout_open_usd",
    ];
    let compared = csv_maps(&c.join("compare_runs.csv"));
    let mc = csv_maps(&m.join("runs.csv"));
    let base_rows: Vec<_> = compared
        .iter()
        .filter(|r| r["candidate"] == "base")
        .collect();
    assert_eq!(base_rows.len(), mc.len());
    for (b, r) in base_rows.iter().zip(&mc) {
        assert_eq!(b["run"], r["run"]);
        for name in runout {
            assert_eq!(b[name], r[name], "run {} {name}", r["run"]);
        }
    }
    // Some run went on after the window (else the figures test nothing).
    assert!(mc.iter().any(|r| r["runout_days"] != "0"));
    // Each run-out figure has its paired difference: against (base) minus option.
    let diffs = csv_maps(&c.join("differences.csv"));
    for name in runout {
        let d = diffs
            .iter()
            .find(|d| d["metric"] == name)
            .unwrap_or_else(|| panic!("no difference of {name}"));
        let v = |cand: &str| -> Vec<f64> {
            let rows = compared.iter().filter(|r| r["candidate"] == cand);
            rows.map(|r| r[name].parse::<f64>().unwrap()).collect()
        };
        let (b, o) = (v("base"), v("wider_north"));
        let mean = b.iter().zip(&o).map(|(x, y)| x - y).sum::<f64>() / b.len() as f64;
        let got: f64 = d["mean_reduction"].parse().unwrap();
        assert!(
            (got - mean).abs() <= 1e-9 * (1.0 + mean.abs()),
            "{name}: {got} vs {mean}"
        );
    }
}

/// Every file under `dir`, by its path below `dir` (sub-folders too).
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let name = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(name, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// A shard streamed into its parts as its cells finish (`simulate_to`, what the CLI
/// does) writes exactly the files of its whole runs written at the end
/// (`write_partial_with`), controls included, and holds no run's record.
#[test]
fn a_streamed_shard_writes_the_files_of_its_whole_runs() {
    use chokepoint::compare::output::{write_partial_with, ShardWriter};
    let dir = tempfile::tempdir().unwrap();
    let mut s = study(&["options/risk.toml", "compare/wider_north.toml"]);
    s.futures = Some(
        Futures::load(
            &fixture("compare/futures.toml"),
            &s.candidates().map(|c| &c.scenario).collect::<Vec<_>>(),
        )
        .unwrap(),
    );
    let mut c = config(25);
    c.mc.shard = Some("2/3".parse().unwrap());
    let never = std::sync::atomic::AtomicBool::new(false);
    let controls = || compare::controlled::shard_files(&s, &c, 2_000).unwrap();
    assert!(controls().iter().all(|(_, files)| files.len() == 2));

    let whole = compare::simulate_quietly(&s, &c).unwrap();
    let at_end = dir.path().join("at_end");
    write_partial_with(&at_end, &whole, controls()).unwrap();

    let streamed = dir.path().join("streamed");
    let mut w = ShardWriter::create(&streamed, &compare::manifest(&s, &c), controls()).unwrap();
    let o =
        compare::simulate_to(&s, &c, &chokepoint::montecarlo::NoProgress, &never, &mut w).unwrap();
    assert!(
        !streamed.join("shard.json").exists(),
        "shard.json comes with finish, last"
    );
    w.finish().unwrap();
    assert!(
        o.records.is_empty(),
        "a streamed shard keeps no run's record"
    );
    assert_eq!(o.columns, whole.columns);
    let (a, b) = (tree(&at_end), tree(&streamed));
    // 2 futures x 3 candidates, each part with its shard.json; the base parts with the
    // controls; the shard's own shard.json.
    assert_eq!(a.keys().filter(|k| k.ends_with("shard.json")).count(), 7);
    assert!(a.contains_key("part-1-0/control_features.csv"));
    assert_eq!(a, b);
    // The outcome of simulate_to is written already: it cannot be written again.
    assert!(write_partial_with(&dir.path().join("again"), &o, Vec::new()).is_err());
}

/// A shard cut short (stopped, or failing) mid-way leaves no shard.json, neither its own
/// nor a finished part's, and nothing that merges: its writer removes what it wrote.
#[test]
fn a_shard_cut_short_leaves_nothing_that_merges() {
    use chokepoint::compare::output::{merge, ShardWriter};
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    /// Sets the stop flag once `at` runs of the comparison are done.
    struct StopAt<'a> {
        done: AtomicU64,
        at: u64,
        stop: &'a AtomicBool,
    }
    impl chokepoint::montecarlo::Progress for StopAt<'_> {
        fn run_done(&self) {
            if self.done.fetch_add(1, Ordering::SeqCst) + 1 == self.at {
                self.stop.store(true, Ordering::SeqCst);
            }
        }
    }
    let s = study(&["options/risk.toml", "compare/wider_north.toml"]);
    let mut c = config(30);
    c.mc.shard = Some("1/1".parse().unwrap());
    let controls = || compare::controlled::shard_files(&s, &c, 2_000).unwrap();
    let dir = tempfile::tempdir().unwrap();

    // Stopped in the second of three cells: a comparison's run is done once every cell
    // ran it, so 15 of 30 is half-way through the second cell (the first is finished).
    let stopped = dir.path().join("stopped");
    let stop = AtomicBool::new(false);
    let progress = StopAt {
        done: AtomicU64::new(0),
        at: 15,
        stop: &stop,
    };
    let mut w = ShardWriter::create(&stopped, &compare::manifest(&s, &c), controls()).unwrap();
    let r = compare::simulate_to(&s, &c, &progress, &stop, &mut w);
    assert!(matches!(r, Err(chokepoint::Error::Cancelled)), "{r:?}");
    assert!(
        stopped.join("part-0-0/shard.json").exists(),
        "cell 0 was finished"
    );
    // Finishing it anyway is refused, and leaves nothing.
    let e = w.finish().unwrap_err().to_string();
    assert!(e.contains("1 of the shard's 3 parts"), "{e}");
    assert_eq!(tree(&stopped), BTreeMap::new());
    assert!(merge(std::slice::from_ref(&stopped)).is_err());

    // A part that cannot be written (a file where its folder goes): the error, and the
    // finished parts are gone when the writer is dropped; the file is left alone.
    let failed = dir.path().join("failed");
    std::fs::create_dir_all(&failed).unwrap();
    std::fs::write(failed.join("part-0-2"), b"not a folder").unwrap();
    let never = AtomicBool::new(false);
    let mut w = ShardWriter::create(&failed, &compare::manifest(&s, &c), controls()).unwrap();
    let r = compare::simulate_to(&s, &c, &chokepoint::montecarlo::NoProgress, &never, &mut w);
    assert!(r.is_err(), "{r:?}");
    assert!(failed.join("part-0-1/shard.json").exists());
    drop(w);
    let left: Vec<String> = tree(&failed).into_keys().collect();
    assert_eq!(left, vec!["part-0-2".to_string()]);
    assert!(!failed.join("part-0-0").exists() && !failed.join("part-0-1").exists());
    assert!(merge(&[failed]).is_err());
}
