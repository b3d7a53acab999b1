//! Outputs a researcher can trust (issue 13): one manifest layout, merges that refuse
//! mixed studies, output folders checked before any work, warnings for inputs that do
//! nothing, readable terminal output, `info --json`.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use serde_json::Value;

use crate::common::{cli, root};

/// Random processes and two fixed closures (one in the 120-day window, one after it).
fn fixed_fixture() -> String {
    root()
        .join("tests/fixtures/montecarlo/twoland_random_fixed.toml")
        .to_string_lossy()
        .into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn ok(o: &Output) {
    assert!(o.status.success(), "failed: {}{}", stdout(o), stderr(o));
}

fn manifest(dir: &Path, name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join(name)).unwrap()).unwrap()
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn mc(scenario: &str, args: &[&str]) -> Output {
    let mut a = vec!["montecarlo", scenario, "--quiet"];
    a.extend_from_slice(args);
    cli(&a)
}

const TOP_KEYS: [&str; 8] = [
    "manifest_format",
    "tool",
    "command",
    "scenario",
    "window",
    "closures",
    "montecarlo",
    "files",
];

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[test]
fn every_command_writes_one_manifest_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let d = |n: &str| tmp.path().join(n);
    let f = fixed_fixture();
    ok(&cli(&["run", &f, "--out", s(&d("run"))]));
    ok(&mc(
        &f,
        &["--runs", "6", "--seed", "3", "--out", s(&d("mc"))],
    ));
    for k in ["1/2", "2/2"] {
        let out = d(&format!("s{}", &k[..1]));
        ok(&mc(
            &f,
            &["--runs", "6", "--seed", "3", "--shard", k, "--out", s(&out)],
        ));
    }
    ok(&cli(&[
        "merge",
        s(&d("s1")),
        s(&d("s2")),
        "--out",
        s(&d("merged")),
    ]));
    let run = manifest(&d("run"), "manifest.json");
    let mcm = manifest(&d("mc"), "manifest.json");
    let shard = manifest(&d("s1"), "shard.json");
    let merged = manifest(&d("merged"), "manifest.json");
    for m in [&run, &mcm, &shard, &merged] {
        assert_eq!(keys(m), TOP_KEYS);
        assert_eq!(m["tool"]["name"], "chokepoint");
        assert_eq!(m["tool"]["version"], env!("CARGO_PKG_VERSION"));
        assert!(m["tool"].get("git_commit").is_some());
        assert!(m["scenario"]["path"]
            .as_str()
            .unwrap()
            .ends_with("twoland_random_fixed.toml"));
        assert_eq!(m["scenario"]["sha256"].as_str().unwrap().len(), 64);
        assert_eq!(m["window"]["start"], "2024-01-01");
        assert_eq!(m["window"]["days"], 120);
        // The fixed closures actually applied: the January one, not September's.
        let fixed = m["closures"]["fixed"].as_array().unwrap();
        assert_eq!(fixed.len(), 1, "{m}");
        assert_eq!(fixed[0]["start"], "2024-01-21");
        assert_eq!(m["closures"]["no_fixed_closures"], false);
        // No thread count, no time.
        let text = m.to_string();
        assert!(
            !text.contains("thread") && !text.contains("seconds"),
            "{text}"
        );
    }
    assert_eq!(run["command"], "run");
    assert_eq!(run["montecarlo"], Value::Null);
    assert_eq!(mcm["command"], "montecarlo");
    assert_eq!(mcm["montecarlo"]["seed"], 3);
    assert_eq!(mcm["montecarlo"]["runs"], 6);
    assert_eq!(shard["montecarlo"]["shard"]["k"], 1);
    // A merge writes what one process would have, manifest included.
    assert_eq!(merged, mcm);
    // Every output file is listed with its checksum, and the checksums are right.
    for (dir, m) in [(d("run"), &run), (d("mc"), &mcm), (d("s1"), &shard)] {
        let listed: Vec<String> = m["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_string())
            .collect();
        let mut expected: Vec<String> = names(&dir)
            .into_iter()
            .filter(|n| !["manifest.json", "shard.json", "timing.json"].contains(&n.as_str()))
            .collect();
        expected.sort();
        let mut sorted = listed.clone();
        sorted.sort();
        assert_eq!(sorted, expected, "{dir:?}");
        for f in m["files"].as_array().unwrap() {
            let bytes = std::fs::read(dir.join(f["name"].as_str().unwrap())).unwrap();
            assert_eq!(f["bytes"], bytes.len() as u64);
            assert_eq!(
                f["sha256"].as_str().unwrap(),
                chokepoint::output::manifest::sha256_hex(&bytes)
            );
        }
    }
    assert_eq!(
        names(&d("run")),
        [
            "daily.csv",
            "manifest.json",
            "prices.csv",
            "run.csv",
            "timing.json",
            "welfare.csv"
        ]
    );
    let timing = manifest(&d("mc"), "timing.json");
    assert!(timing["threads"].as_u64().unwrap() >= 1);
}

#[test]
fn the_manifest_records_what_changes_results() {
    // The repro: with and without --no-fixed-closures, the manifests differ in
    // that flag and in the fixed closures they list (they differed only in `runs`).
    let tmp = tempfile::tempdir().unwrap();
    let d = |n: &str| tmp.path().join(n);
    let f = fixed_fixture();
    let common = ["--runs", "5", "--seed", "1"];
    ok(&mc(&f, &[&common[..], &["--out", s(&d("with"))]].concat()));
    ok(&mc(
        &f,
        &[
            &common[..],
            &["--no-fixed-closures", "--out", s(&d("without"))],
        ]
        .concat(),
    ));
    let (a, b) = (
        manifest(&d("with"), "manifest.json"),
        manifest(&d("without"), "manifest.json"),
    );
    assert_eq!(a["closures"]["no_fixed_closures"], false);
    assert_eq!(b["closures"]["no_fixed_closures"], true);
    assert_eq!(a["closures"]["fixed"].as_array().unwrap().len(), 1);
    assert_eq!(b["closures"]["fixed"].as_array().unwrap().len(), 0);
    // --close, the window and the target are recorded as given.
    ok(&mc(
        &f,
        &[
            "--runs",
            "4",
            "--target-rel-error",
            "0.5",
            "--batch-size",
            "2",
            "--start",
            "2024-01-11",
            "--days",
            "60",
            "--close",
            "south:2024-02-01+5@0.1",
            "--out",
            s(&d("close")),
        ],
    ));
    let c = manifest(&d("close"), "manifest.json");
    assert_eq!(c["closures"]["close"][0], "south:2024-02-01+5@0.1");
    assert_eq!(c["window"]["start"], "2024-01-11");
    assert_eq!(c["window"]["days"], 60);
    assert_eq!(c["montecarlo"]["target_rel_error"], 0.5);
    assert_eq!(c["montecarlo"]["batch_size"], 2);
    assert_eq!(c["closures"]["fixed"][0]["start"], "2024-01-21");
    // An option records its base and the base's checksum.
    ok(&cli(&[
        "run",
        "scenarios/starter-option.toml",
        "--days",
        "20",
        "--out",
        s(&d("option")),
    ]));
    let o = manifest(&d("option"), "manifest.json");
    assert!(o["scenario"]["option_base"]["path"]
        .as_str()
        .unwrap()
        .ends_with("starter.toml"));
    let base = chokepoint::Scenario::load(root().join("scenarios/starter.toml")).unwrap();
    assert_eq!(
        o["scenario"]["option_base"]["sha256"],
        base.checksum.as_str()
    );
    assert_ne!(o["scenario"]["sha256"], base.checksum.as_str());
}

#[test]
fn merge_refuses_shards_of_different_studies() {
    // The repro: shard 1 without the fixed closures, shard 2 with them.
    let tmp = tempfile::tempdir().unwrap();
    let d = |n: &str| tmp.path().join(n);
    let f = fixed_fixture();
    let common = ["--runs", "12", "--seed", "7"];
    ok(&mc(
        &f,
        &[
            &common[..],
            &[
                "--no-fixed-closures",
                "--shard",
                "1/2",
                "--out",
                s(&d("s1")),
            ],
        ]
        .concat(),
    ));
    ok(&mc(
        &f,
        &[&common[..], &["--shard", "2/2", "--out", s(&d("s2"))]].concat(),
    ));
    let o = cli(&["merge", s(&d("s1")), s(&d("s2")), "--out", s(&d("m"))]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("closures.no_fixed_closures"),
        "{}",
        stderr(&o)
    );
    assert!(!d("m").join("manifest.json").exists());
    // Another seed is named too.
    ok(&mc(
        &f,
        &[
            "--runs",
            "12",
            "--seed",
            "8",
            "--no-fixed-closures",
            "--shard",
            "2/2",
            "--out",
            s(&d("s2seed")),
        ],
    ));
    let o = cli(&["merge", s(&d("s1")), s(&d("s2seed")), "--out", s(&d("m"))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("montecarlo.seed"), "{}", stderr(&o));
    // A shard file changed after it was written is refused.
    ok(&mc(
        &f,
        &[
            &common[..],
            &[
                "--no-fixed-closures",
                "--shard",
                "2/2",
                "--out",
                s(&d("s2ok")),
            ],
        ]
        .concat(),
    ));
    ok(&cli(&[
        "merge",
        s(&d("s1")),
        s(&d("s2ok")),
        "--out",
        s(&d("m")),
    ]));
    let runs = d("s2ok").join("runs.csv");
    let mut text = std::fs::read_to_string(&runs).unwrap();
    text.push('\n');
    std::fs::write(&runs, text).unwrap();
    let o = cli(&["merge", s(&d("s1")), s(&d("s2ok")), "--out", s(&d("m2"))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("checksum"), "{}", stderr(&o));
}

#[test]
fn output_folders_are_checked_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let d = |n: &str| tmp.path().join(n);
    let f = fixed_fixture();
    // A file where the folder should be: refused at once, nothing printed on stdout.
    let file = d("afile");
    std::fs::write(&file, "x").unwrap();
    let o = mc(&f, &["--runs", "100000", "--out", s(&file)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("is a file"), "{}", stderr(&o));
    // No run was started: nothing reported, the file untouched.
    assert_eq!(stdout(&o), "", "no summary before the error");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
    let o = cli(&["run", "scenarios/twoland.toml", "--out", s(&file)]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "", "no summary before the error");
    // A folder that cannot be created.
    let o = cli(&[
        "run",
        "scenarios/twoland.toml",
        "--out",
        s(&file.join("sub")),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));

    // The repro: `run` of another scenario into a Monte Carlo folder.
    let mc_dir = d("mc");
    ok(&mc(&f, &["--runs", "4", "--out", s(&mc_dir)]));
    let before = names(&mc_dir);
    let o = cli(&["run", "scenarios/twoland.toml", "--out", s(&mc_dir)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("another study") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(stdout(&o), "");
    assert_eq!(names(&mc_dir), before, "nothing written or removed");
    // Another Monte Carlo (another seed) is refused too, naming the field.
    let o = mc(&f, &["--runs", "4", "--seed", "9", "--out", s(&mc_dir)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("montecarlo.seed"), "{}", stderr(&o));
    // The same study again is fine.
    ok(&mc(&f, &["--runs", "4", "--out", s(&mc_dir)]));
    // --force clears chokepoint's own files, then writes: no mix.
    ok(&cli(&[
        "run",
        "scenarios/twoland.toml",
        "--out",
        s(&mc_dir),
        "--force",
    ]));
    assert_eq!(
        names(&mc_dir),
        [
            "daily.csv",
            "manifest.json",
            "prices.csv",
            "run.csv",
            "timing.json",
            "welfare.csv"
        ]
    );
    assert_eq!(
        manifest(&mc_dir, "manifest.json")["scenario"]["name"],
        "twoland"
    );
    // Chokepoint's files without a manifest (an unfinished study) are refused too.
    std::fs::remove_file(mc_dir.join("manifest.json")).unwrap();
    let o = cli(&["run", "scenarios/twoland.toml", "--out", s(&mc_dir)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unfinished"), "{}", stderr(&o));
    // Merging into one of the shards is refused.
    let o = cli(&["merge", s(&mc_dir), "--out", s(&mc_dir)]);
    assert_eq!(o.status.code(), Some(2));
}

#[cfg(unix)]
#[test]
fn an_interrupted_study_leaves_no_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("mc");
    let f = fixed_fixture();
    // A finished study first: its manifest must go before the new work starts.
    ok(&mc(&f, &["--runs", "4", "--out", s(&out)]));
    assert!(out.join("manifest.json").exists());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chokepoint"))
        .args([
            "montecarlo",
            &f,
            "--quiet",
            "--runs",
            "1000000",
            "--threads",
            "1",
            "--out",
            s(&out),
            "--force",
        ])
        .current_dir(root())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the event: the folder prepared (the old manifest removed, before any
    // run). A bounded loop, not a timed assert: it ends early when the event comes.
    for _ in 0..30_000 {
        if !out.join("manifest.json").exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(
        !out.join("manifest.json").exists(),
        "the old manifest goes before the work"
    );
    assert!(child.try_wait().unwrap().is_none(), "still running");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(!exit.success());
    assert!(
        !out.join("manifest.json").exists(),
        "an interrupted study has no manifest: {:?}",
        names(&out)
    );
}

#[test]
fn inputs_that_do_nothing_are_warned_about() {
    // A --close wholly outside the window.
    let o = cli(&[
        "run",
        "scenarios/twoland.toml",
        "--no-fixed-closures",
        "--close",
        "north:2030-01-01+10",
    ]);
    ok(&o);
    assert!(stderr(&o).contains("closure north:2030-01-01+10 lies wholly outside"));
    assert!(
        stdout(&o).contains("0 closure window(s) apply"),
        "{}",
        stdout(&o)
    );
    // A moved window drops the fixed closure, and the count says so.
    let o = cli(&["run", "scenarios/twoland.toml", "--start", "2024-06-01"]);
    ok(&o);
    assert!(
        stderr(&o).contains("1 of the scenario's 1 fixed closure(s) fall outside"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).contains("0 closure window(s) apply"));
    // The fixed fixture: one of two applies.
    let o = cli(&["run", &fixed_fixture()]);
    ok(&o);
    assert!(stdout(&o).contains("1 closure window(s) apply (1 of the scenario's"));
    assert!(stderr(&o).contains("1 of the scenario's 2 fixed closure(s)"));
    // A Monte Carlo with no random closure process.
    let tmp = tempfile::tempdir().unwrap();
    let o = mc(
        "scenarios/twoland.toml",
        &["--runs", "2", "--out", s(&tmp.path().join("mc"))],
    );
    ok(&o);
    assert!(
        stderr(&o).contains("no random closure process"),
        "{}",
        stderr(&o)
    );
    // ... and none with one.
    let o = mc(
        &fixed_fixture(),
        &["--runs", "2", "--out", s(&tmp.path().join("mc2"))],
    );
    ok(&o);
    assert!(!stderr(&o).contains("no random closure process"));
}

#[test]
fn help_examples_use_a_scenario_with_random_closures() {
    let o = cli(&["montecarlo", "--help"]);
    ok(&o);
    let help = stdout(&o);
    let examples: Vec<&str> = help
        .lines()
        .filter(|l| l.trim_start().starts_with("chokepoint montecarlo"))
        .collect();
    assert!(!examples.is_empty(), "{help}");
    for l in examples {
        let path = l.split_whitespace().nth(2).unwrap();
        let sc = chokepoint::scenario::load_any(root().join(path)).unwrap();
        assert!(!sc.processes.is_empty() || !sc.shocks.is_empty(), "{l}");
    }
}

#[test]
fn terminal_output_reads_well() {
    let tmp = tempfile::tempdir().unwrap();
    let o = mc(
        &fixed_fixture(),
        &["--runs", "20", "--out", s(&tmp.path().join("mc"))],
    );
    ok(&o);
    let out = stdout(&o);
    let line = out.lines().find(|l| l.starts_with("total loss")).unwrap();
    // The money format of `run`: "USD 48.8 m", never a raw 48812345.
    assert!(line.contains("mean USD "), "{line}");
    assert!(
        !line
            .chars()
            .collect::<Vec<_>>()
            .windows(7)
            .any(|w| w.iter().all(|c| c.is_ascii_digit())),
        "{line}"
    );
    // `run`: whole trucks, no "-0", tables largest first.
    let o = cli(&["run", "scenarios/afghanistan/base.toml", "--days", "60"]);
    ok(&o);
    let out = stdout(&o);
    assert!(!out.contains(" -0 ") && !out.contains(" -0\n"), "{out}");
    let crossings: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("crossing "))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .collect();
    assert!(!crossings.is_empty(), "{out}");
    let halted: Vec<f64> = crossings
        .iter()
        .filter(|l| l.contains("USD"))
        .map(|l| {
            let v: Vec<&str> = l.split_whitespace().collect();
            let i = v.iter().position(|x| *x == "USD").unwrap();
            let unit = match v[i + 2] {
                "bn" => 1e9,
                "m" => 1e6,
                "k" => 1e3,
                _ => 1.0,
            };
            v[i + 1].parse::<f64>().unwrap() * unit
        })
        .collect();
    assert!(
        halted.windows(2).all(|w| w[0] >= w[1]),
        "largest first: {halted:?}"
    );
    for l in &crossings {
        if l.contains("USD") {
            let v: Vec<&str> = l.split_whitespace().collect();
            let trucks = v[v.len() - 2];
            assert!(trucks.parse::<u64>().is_ok(), "whole trucks: {l}");
        }
    }
}

#[test]
fn info_json_lists_the_ids() {
    let o = cli(&["info", "--json", "scenarios/afghanistan/base.toml"]);
    ok(&o);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let corridors: Vec<&str> = v["corridors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(corridors.contains(&"torkham"), "{corridors:?}");
    let sc = chokepoint::Scenario::load(root().join("scenarios/afghanistan/base.toml")).unwrap();
    assert_eq!(corridors.len(), sc.corridors.len());
    assert_eq!(v["links"].as_array().unwrap().len(), sc.links.len());
    assert_eq!(v["products"].as_array().unwrap().len(), sc.products.len());
    assert_eq!(v["scenario"]["sha256"], sc.checksum.as_str());
    assert!(!v["crossings"].as_array().unwrap().is_empty());
    // Every corridor id there is one a closure can name.
    assert!(corridors.iter().all(|id| sc.target(id).is_some()));
    // The uncertain parameters, each with its value now and its law's quantiles in order.
    let unc = v["uncertain"].as_array().unwrap();
    assert_eq!(unc.len(), sc.uncertain.len());
    let params = cli(&[
        "info",
        "--params",
        "--json",
        "scenarios/afghanistan/base.toml",
    ]);
    ok(&params);
    let params: Value = serde_json::from_slice(&params.stdout).unwrap();
    let names: Vec<&str> = params
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names.len(),
        chokepoint::scenario::params::list(&sc).len(),
        "every parameter once"
    );
    for a in unc {
        assert!(!a["source"].as_str().unwrap().is_empty(), "{a}");
        for p in a["params"].as_array().unwrap() {
            let name = p["name"].as_str().unwrap();
            assert!(names.contains(&name), "{name} is a parameter");
            let (lo, mid, hi) = (p["p5"].as_f64(), p["p50"].as_f64(), p["p95"].as_f64());
            assert!(lo <= mid && mid <= hi, "{a}");
        }
    }
    let chaman = unc
        .iter()
        .find(|a| a["label"] == "process.chaman.rate_per_year")
        .expect("Chaman's onset rate is uncertain");
    assert_eq!(chaman["law"]["dist"], "gamma");
    assert_eq!(v["seasonal_closures"].as_array().unwrap().len(), 0);
    // An option's seasonal closure (the Wakhan pass's winter) is listed apart.
    let o = cli(&[
        "info",
        "--json",
        "scenarios/afghanistan/options/wakhan_road.toml",
    ]);
    ok(&o);
    let w: Value = serde_json::from_slice(&o.stdout).unwrap();
    let seasonal = w["seasonal_closures"].as_array().unwrap();
    assert_eq!(seasonal.len(), 1, "{seasonal:?}");
    assert_eq!(seasonal[0]["target"], "wakhan");
    assert_eq!(seasonal[0]["duration_days"], 150);
}

/// An output folder that holds files chokepoint did not write is refused by every
/// command, naming each file and why, and nothing is written or removed there; its own
/// files are recognised by the manifest's list and checksums, not by name.
#[test]
fn a_folder_of_the_users_files_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let f = fixed_fixture();
    // The repro: a folder holding only the user's notes.txt.
    let dir = tmp.path().join("mine");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let commands: [Vec<&str>; 4] = [
        vec!["run", "scenarios/twoland.toml", "--out", s(&dir)],
        vec!["montecarlo", &f, "--quiet", "--runs", "4", "--out", s(&dir)],
        vec![
            "criticality",
            "scenarios/twoland.toml",
            "--duration",
            "5",
            "--quiet",
            "--out",
            s(&dir),
        ],
        vec![
            "compare",
            &f,
            "tests/fixtures/compare/wider_north.toml",
            "--runs",
            "4",
            "--quiet",
            "--out",
            s(&dir),
        ],
    ];
    for args in &commands {
        for force in [false, true] {
            let mut a = args.clone();
            if force {
                a.push("--force");
            }
            let o = cli(&a);
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{a:?}: {err}");
            assert!(
                err.contains("1 file(s) chokepoint did not write")
                    && err.contains("notes.txt: chokepoint writes no file of this name"),
                "{a:?}: {err}"
            );
            assert_eq!(names(&dir), ["notes.txt"], "{a:?}: nothing written");
        }
    }
    // The user's own runs.csv: not called chokepoint's; refused, and named.
    let dir = tmp.path().join("theirs");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("runs.csv"), "my,own\n1,2\n").unwrap();
    let o = mc(&f, &["--runs", "4", "--out", s(&dir)]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(!err.contains("of chokepoint"), "{err}");
    assert!(
        err.contains("runs.csv: a name chokepoint writes, but no manifest lists it"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("runs.csv")).unwrap(),
        "my,own\n1,2\n"
    );
    // A file of a finished study that was changed since: not chokepoint's any more, and
    // --force does not replace it.
    let dir = tmp.path().join("changed");
    ok(&mc(&f, &["--runs", "4", "--out", s(&dir)]));
    std::fs::write(dir.join("summary.csv"), "edited\n").unwrap();
    let o = mc(&f, &["--runs", "4", "--out", s(&dir), "--force"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("summary.csv: changed since chokepoint wrote it"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("summary.csv")).unwrap(),
        "edited\n"
    );
    // A finished study with its report: chokepoint's own files, rerun freely.
    let dir = tmp.path().join("again");
    ok(&mc(&f, &["--runs", "4", "--out", s(&dir), "--report"]));
    ok(&mc(&f, &["--runs", "4", "--out", s(&dir), "--report"]));
}

/// `run --replay` of a folder that is not a Monte Carlo study says what it needs and
/// what it found (was: "cannot read ... runs.csv: No such file").
#[test]
fn replay_needs_a_montecarlo_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    ok(&cli(&["run", "scenarios/twoland.toml", "--out", s(&run)]));
    let o = cli(&["run", "--replay", s(&run), "--run", "1"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--replay needs a montecarlo folder") && err.contains("holds a `run` study"),
        "{err}"
    );
    let o = cli(&["run", "--replay", s(tmp.path()), "--run", "1"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("holds no manifest.json"), "{err}");
}

/// The flags several commands share are declared once (bin/chokepoint/flags.rs): each
/// command keeps its own wording of them, the library's defaults, its own limits, and
/// only the flags it takes.
#[test]
fn shared_flags_keep_each_commands_wording_defaults_and_limits() {
    use chokepoint::study::request::MonteCarloRequest;
    use chokepoint::uncertainty::study::Config;
    let help = |cmd: &str| {
        let o = cli(&[cmd, "--help"]);
        ok(&o);
        stdout(&o)
    };
    let runs = format!("[default: {}]", MonteCarloRequest::RUNS);
    let mc = help("montecarlo");
    assert!(mc.contains("Runs (simulated years); the most with --target-rel-error"));
    assert!(
        mc.contains(&runs) && mc.contains("--control-draws <N>"),
        "{mc}"
    );
    let cmp = help("compare");
    for words in [
        "Runs (simulated years), the same for every option",
        "A fixed closure in every run of every option",
        "in every future that does not set its own",
        "Ignore the scenarios' own [[closure]] windows",
    ] {
        assert!(cmp.contains(words), "{words}: {cmp}");
    }
    assert!(cmp.contains(&runs));
    let unc = help("uncertainty");
    assert!(unc.contains(&format!("[default: {}]", Config::POINTS)));
    assert!(unc.contains("points p with p % n == k-1"));
    let run = help("run");
    assert!(run.contains("An ad-hoc closure") && run.contains("Days to simulate"));
    assert!(!run.contains("--runs") && !run.contains("--seed") && !run.contains("--quiet"));
    assert!(!help("fit").contains("--quiet"));
    // Limits and requirements set per command on a shared flag.
    let refused = |args: &[&str], needle: &str| {
        let o = cli(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    };
    let s = "scenarios/twoland.toml";
    refused(
        &["compare", s, "x.toml", "--runs", "1", "--out", "o"],
        "--runs",
    );
    refused(
        &["criticality", s, "--duration", "5", "--seed", "3"],
        "--runs",
    );
    refused(&["run", s, "--force"], "--out");
    refused(&["run", s, "--runs", "5"], "unexpected argument '--runs'");
    // Controls are on by default: --no-controls refuses the flags that ask for them.
    refused(
        &[
            "compare",
            s,
            "x.toml",
            "--no-controls",
            "--control-draws",
            "100",
            "--out",
            "o",
        ],
        "cannot be used with",
    );
    refused(
        &[
            "montecarlo",
            s,
            "--target-rel-error",
            "0.1",
            "--stop-on-controlled",
            "--no-controls",
            "--out",
            "o",
        ],
        "cannot be used with",
    );
}
