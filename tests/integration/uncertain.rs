//! `[[uncertain]]` tables: read, listed by `info`, checked by `validate` with a line and
//! a hint for every mistake at once, kept by options, and without effect on any run.

use std::fs;
use std::path::{Path, PathBuf};

use chokepoint::uncertainty::{Axis, Dist};

use crate::common::{cli, root};

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The starter scenario (and its CSV table) copied into `dir`, with `extra` appended;
/// returns its path and the 1-based line where `extra` starts.
fn starter_with(dir: &Path, extra: &str) -> (PathBuf, usize) {
    let text = fs::read_to_string(root().join("scenarios/starter.toml")).unwrap();
    fs::create_dir_all(dir.join("starter")).unwrap();
    fs::copy(
        root().join("scenarios/starter/demand.csv"),
        dir.join("starter/demand.csv"),
    )
    .unwrap();
    let first = text.lines().count() + 2;
    let path = dir.join("s.toml");
    fs::write(&path, format!("{text}\n{extra}")).unwrap();
    (path, first)
}

/// The 1-based line of the first line of `text` holding `needle`, counted from `first`.
fn line(text: &str, needle: &str, first: usize) -> usize {
    first
        + text
            .lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?}"))
}

const GOOD: &str = r#"[[uncertain]]
param = "process.chaman.rate_per_year"
dist = "gamma"
shape = 4.5
scale = 0.5
source = "a test"

[[uncertain]]
param = "settings.reaction_days"
dist = "choice"
values = [1, 2, 3]
weights = [1, 2, 1]
source = "E: a test"

[[uncertain]]
joint = "draws/torkham_draws.csv"
source = "joint test draws"
"#;

const DRAWS: &str = "process.torkham.rate_per_year,process.torkham.mean_duration_days\n\
                     2.0,8.0\n3.0,9.0\n4.0,10.0\n5.0,12.0\n";

fn good(dir: &Path) -> PathBuf {
    fs::create_dir_all(dir.join("draws")).unwrap();
    fs::write(dir.join("draws/torkham_draws.csv"), DRAWS).unwrap();
    starter_with(dir, GOOD).0
}

/// 4 significant digits without trailing zeros, as `info` prints.
fn sig4(x: f64) -> String {
    let digits = (3 - x.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{x:.digits$}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[test]
fn tables_are_read_listed_by_info_and_counted_by_validate() {
    let dir = tempfile::tempdir().unwrap();
    let path = good(dir.path());
    let s = chokepoint::Scenario::load(&path).unwrap();
    assert_eq!(
        s.uncertain[0],
        Axis::One {
            name: "process.chaman.rate_per_year".into(),
            dist: Dist::Gamma {
                shape: 4.5,
                scale: 0.5
            },
            source: "a test".into()
        }
    );
    match &s.uncertain[2] {
        Axis::Joint { names, rows, .. } => {
            assert_eq!(names[1], "process.torkham.mean_duration_days");
            assert_eq!(rows.len(), 4);
            assert_eq!(rows[3], vec![5.0, 12.0]);
        }
        other => panic!("{other:?}"),
    }
    // The point values are the file's, whatever the tables say.
    let plain = chokepoint::Scenario::load(root().join("scenarios/starter.toml")).unwrap();
    assert_eq!(s.processes, plain.processes);
    assert_eq!(s.settings, plain.settings);
    // The CSV is part of the scenario's checksum.
    let before = s.checksum.clone();
    fs::write(
        dir.path().join("draws/torkham_draws.csv"),
        DRAWS.replace("12.0", "13.0"),
    )
    .unwrap();
    assert_ne!(chokepoint::Scenario::load(&path).unwrap().checksum, before);

    let o = cli(&["validate", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("3 uncertain parameter table(s)"),
        "{}",
        stdout(&o)
    );

    let o = cli(&["info", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("Uncertain parameters (3 axes"), "{out}");
    // gamma(4.5, 0.5): its p5, p50 and p95 as the library computes them, to 4 digits.
    let g = Dist::Gamma {
        shape: 4.5,
        scale: 0.5,
    };
    let q = format!(
        "{} - {} - {}",
        sig4(g.quantile(0.05)),
        sig4(g.quantile(0.5)),
        sig4(g.quantile(0.95))
    );
    let row = out
        .lines()
        .find(|l| l.contains("process.chaman.rate_per_year"))
        .unwrap();
    assert!(
        row.contains("gamma(shape 4.5, scale 0.5)") && row.contains("a test"),
        "{row}"
    );
    assert!(row.contains(&q), "{row} lacks {q}");
    assert!(
        out.contains("choice(values [1, 2, 3], weights [1, 2, 1])"),
        "{out}"
    );
    assert!(
        out.contains("joint:torkham_draws: joint draws, 4 rows"),
        "{out}"
    );
    // The joint table's marginal quantiles of its second column: 8, 9, 10, 12 at
    // p = 0.5 is 9.5.
    let col = out
        .lines()
        .find(|l| l.contains("process.torkham.mean_duration_days"))
        .unwrap();
    assert!(col.contains("- 9.5 -"), "{col}");

    let o = cli(&["info", "--params", path.to_str().unwrap()]);
    assert!(stdout(&o).contains("process.chaman.rate_per_year"));
}

#[test]
fn every_mistake_is_reported_at_once_with_its_line_and_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("d")).unwrap();
    fs::write(
        dir.path().join("d/badcell.csv"),
        "process.chaman.rate_per_year,process.chaman.mean_duration_days\n1.0,10\n2.0,ten\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("d/badname.csv"),
        "process.chaman.rate_per_yaer\n1.0\n2.0\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("d/onerow.csv"),
        "process.salang.rate_per_year\n1.0\n",
    )
    .unwrap();
    let extra = r#"[[uncertain]]
param = "process.chamn.rate_per_year"   # A
dist = "uniform"
lo = 1.0
hi = 2.0
source = "E"

[[uncertain]]
param = "process.torkham.rate_per_year"
dist = "gama"   # B
shape = 2.0
scale = 1.0
source = "E"

[[uncertain]]   # C
param = "link.torkham_crossing.cost_usd_per_t"
dist = "normal"
mean = 5.0
sd = 0.0
source = "E"

[[uncertain]]   # D
param = "process.islam_qala.rate_per_year"
dist = "uniform"
lo = 2.0
hi = 1.0
source = "E"

[[uncertain]]
param = "process.islam_qala.ramp_days"
dist = "uniform"
lo = 1.0
hi = 2.0
sd = 3.0   # E
source = "E"

[[uncertain]]   # F
param = "process.salang.mean_duration_days"
dist = "triangular"
lo = 1.0
mode = 2.0
source = "E"

[[uncertain]]   # G
param = "process.salang.capacity_factor"
dist = "beta"
alpha = 2.0
beta = 2.0
lo = 0.0
hi = 0.5

[[uncertain]]   # H
param = "settings.reaction_days"
dist = "choice"
values = [1, 2]
source = "E"

[[uncertain]]   # I
param = "settings.reaction_days"
dist = "choice"
values = [3, 4]
source = "E"

[[uncertain]]   # J
param = "settings.order_patience_days"
dist = "uniform"
lo = 20.0
hi = 40.0
source = "E"

[[uncertain]]
joint = "d/missing.csv"   # K
source = "E"

[[uncertain]]
joint = "d/badcell.csv"
source = "E"

[[uncertain]]
joint = "d/badname.csv"
source = "E"

[[uncertain]]
joint = "d/onerow.csv"
source = "E"

[[uncertain]]   # L
dist = "uniform"
lo = 1.0
hi = 2.0
source = "E"
"#;
    let (path, first) = starter_with(dir.path(), extra);
    let o = cli(&["validate", path.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let at = |mark: &str| format!("s.toml:{}:", line(extra, mark, first));
    let w = |l: String, m: &str| (l, m.to_string());
    let want: Vec<(String, String)> = vec![
        w(at("# A"), "unknown parameter `process.chamn.rate_per_year`"),
        w(String::new(), "did you mean `process.chaman.rate_per_year`?"),
        w(at("# B"), "`dist` = \"gama\" in uncertain 2 is not a distribution"),
        w(String::new(), "expected one of uniform, triangular, normal, lognormal, gamma, beta, choice, invgamma; did you mean `gamma`?"),
        w(at("# C"), "the normal distribution in uncertain 3 is invalid"),
        w(String::new(), "`sd` = 0: expected a number > 0"),
        w(at("# D"), "lo = 2 >= hi = 1: expected lo < hi"),
        w(at("# E"), "`sd` does not belong to a uniform distribution in uncertain 5"),
        w(String::new(), "a uniform distribution has: lo, hi"),
        w(at("# F"), "uncertain 6 has no `hi`"),
        w(at("# G"), "uncertain 7 has no `source`"),
        w(at("# I"), "makes `settings.reaction_days` uncertain a second time"),
        (
            String::new(),
            format!("the first is on line {}", line(extra, "# H", first)),
        ),
        w(at("# J"), "gives `settings.order_patience_days` values it cannot take"),
        w(String::new(), "whole number"),
        w(at("# K"), "cannot read the joint draws"),
        w(String::new(), "relative to the file it is written in"),
        w("badcell.csv:3:".into(), "\"ten\" in column 2 (`process.chaman.mean_duration_days`) is not a finite number"),
        w("badname.csv:1:".into(), "unknown parameter `process.chaman.rate_per_yaer`"),
        w("onerow.csv:1:".into(), "the joint draws hold 1 row(s)"),
        w(String::new(), "at least 2 rows"),
        w(at("# L"), "uncertain 15 has no `param`"),
    ];
    for (loc, msg) in &want {
        let hit = err
            .lines()
            .any(|l| l.contains(msg.trim()) && (loc.is_empty() || l.contains(loc.as_str())));
        assert!(hit, "no {loc}{msg:?} in\n{err}");
    }
}

/// A joint table's rows are each tried on the scenario; rows repeated (as a Markov
/// chain's draws are) are tried once, and the first refused row is the one named.
#[test]
fn a_refused_joint_row_is_named_by_its_first_copy() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("d")).unwrap();
    let draws = "process.torkham.rate_per_year,process.torkham.mean_duration_days\n\
                 2.0,8.0\n2.0,8.0\n3.0,9.0\n2.0,-5.0\n2.0,-5.0\n3.0,-1.0\n2.0,8.0\n";
    fs::write(dir.path().join("d/chain.csv"), draws).unwrap();
    let extra = "[[uncertain]]\njoint = \"d/chain.csv\"\nsource = \"E\"\n";
    let (path, first) = starter_with(dir.path(), extra);
    let o = cli(&["validate", path.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("s.toml:{first}:")), "{err}");
    assert!(err.contains("at row 4 of the draws"), "{err}");
    assert!(!err.contains("row 5") && !err.contains("row 6"), "{err}");
    // Without its refused rows, the chain is accepted.
    let good: String = draws
        .lines()
        .filter(|l| !l.contains('-'))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(dir.path().join("d/chain.csv"), good).unwrap();
    let o = cli(&["validate", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn options_carry_their_own_tables_after_the_base() {
    let dir = tempfile::tempdir().unwrap();
    let base = good(dir.path());
    let option = |extra: &str| {
        let text = fs::read_to_string(root().join("scenarios/starter-option.toml"))
            .unwrap()
            .replace("base = \"starter.toml\"", "base = \"s.toml\"");
        let p = dir.path().join("o.toml");
        fs::write(&p, format!("{text}\n{extra}")).unwrap();
        p
    };
    let p = option(
        "[[uncertain]]\nparam = \"link.herat_khaf_rail.capacity_t_per_day\"\ndist = \"triangular\"\nlo = 3000.0\nmode = 5000.0\nhi = 6000.0\nsource = \"E\"\n\n[[uncertain]]\nparam = \"option.capital_cost_usd\"\ndist = \"uniform\"\nlo = 2e8\nhi = 4e8\nsource = \"E\"\n",
    );
    let (opt, s) = chokepoint::scenario::load_option(&p).unwrap();
    let labels: Vec<String> = s.uncertain.iter().map(Axis::label).collect();
    assert_eq!(
        labels,
        [
            "process.chaman.rate_per_year",
            "settings.reaction_days",
            "joint:torkham_draws",
            "link.herat_khaf_rail.capacity_t_per_day"
        ]
    );
    // The option's cost is the option's, not a parameter of the scenario it makes.
    assert_eq!(opt.uncertain.len(), 2);
    assert_eq!(opt.uncertain[1].label(), "option.capital_cost_usd");
    let mut o2 = opt.clone();
    o2.set_param("option.capital_cost_usd", 2.5e8).unwrap();
    assert_eq!(o2.capital_cost_usd, 2.5e8);
    // Applying the option again gives the same scenario, its axes included.
    let b = chokepoint::Scenario::load(&base).unwrap();
    assert_eq!(opt.apply(&b).unwrap().uncertain, s.uncertain);
    let o = cli(&["info", p.to_str().unwrap()]);
    assert!(
        stdout(&o).contains("Uncertain parameters (4 axes"),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("Uncertain costs of the option (1 axes"),
        "{}",
        stdout(&o)
    );

    // The base's parameter again, and a name only the base lacks (a typo).
    let p = option(
        "[[uncertain]]\nparam = \"settings.reaction_days\"\ndist = \"choice\"\nvalues = [5]\nsource = \"E\"\n\n[[uncertain]]\nparam = \"option.capital_cost_usd\"\ndist = \"normal\"\nmean = 1e8\nsd = 1e8\nsource = \"E\"\n\n[[uncertain]]\nparam = \"link.herat_khaf_rial.capacity_t_per_day\"\ndist = \"uniform\"\nlo = 1.0\nhi = 2.0\nsource = \"E\"\n",
    );
    let o = cli(&["validate", p.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "makes `settings.reaction_days` uncertain, which the base scenario already does"
        ),
        "{err}"
    );
    assert!(
        err.contains("did you mean `link.herat_khaf_rail.capacity_t_per_day`?"),
        "{err}"
    );
    assert!(
        err.contains("at its 0.1% quantile, option.capital_cost_usd = -")
            && err.contains("expected a number >= 0"),
        "{err}"
    );
}

#[test]
fn uncertain_tables_do_not_change_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let with = good(&dir.path().join("with"));
    let without = dir.path().join("without.toml");
    fs::copy(root().join("scenarios/starter.toml"), &without).unwrap();
    fs::create_dir_all(dir.path().join("starter")).unwrap();
    fs::copy(
        root().join("scenarios/starter/demand.csv"),
        dir.path().join("starter/demand.csv"),
    )
    .unwrap();
    let out = |name: &str, scenario: &Path| {
        let o = dir.path().join(name);
        let r = cli(&[
            "montecarlo",
            scenario.to_str().unwrap(),
            "--runs",
            "12",
            "--seed",
            "4",
            "--days",
            "120",
            "--out",
            o.to_str().unwrap(),
        ]);
        assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
        o
    };
    let a = out("a", &with);
    let b = out("b", &without);
    let mut n = 0;
    for e in fs::read_dir(&a).unwrap() {
        let name = e.unwrap().file_name();
        if !name.to_string_lossy().ends_with(".csv") {
            continue;
        }
        n += 1;
        assert_eq!(
            fs::read(a.join(&name)).unwrap(),
            fs::read(b.join(&name)).unwrap(),
            "{name:?} differs"
        );
    }
    assert!(n >= 10, "only {n} CSV files");
}

#[test]
fn the_reference_example_validates() {
    let doc = fs::read_to_string(root().join("docs/scenario-reference.md")).unwrap();
    let section = &doc[doc.find("### uncertain\n").unwrap()..];
    let block = |fence: &str| {
        let start = section.find(fence).unwrap() + fence.len();
        section[start..start + section[start..].find("```").unwrap()].to_string()
    };
    let (toml, csv) = (block("```toml\n"), block("```csv\n"));
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("posterior")).unwrap();
    fs::write(dir.path().join("posterior/torkham.csv"), csv).unwrap();
    let (path, _) = starter_with(dir.path(), &toml);
    let o = cli(&["validate", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("4 uncertain parameter table(s)"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn an_options_expansion_can_be_uncertain() {
    let p = root().join("scenarios/afghanistan/options/khaf_herat_rail.toml");
    let (_, s) = chokepoint::scenario::load_option(&p).unwrap();
    let axis = Axis::One {
        name: "expansion.khaf_herat_rail.extra_t_per_day".into(),
        dist: Dist::Uniform {
            lo: 5000.0,
            hi: 15000.0,
        },
        source: "test".into(),
    };
    let t = chokepoint::uncertainty::apply(&s, &[axis], &[0.25]).unwrap();
    let k = t.link("khaf_herat_rail").unwrap();
    let e = t.expansions.iter().find(|e| e.link == k).unwrap();
    assert_eq!(e.extra_t_per_day, 7500.0);
}

#[test]
fn the_shipped_fitted_tables_are_what_calibrate_posterior_writes() {
    let o = cli(&[
        "calibrate",
        "scenarios/afghanistan/closures-2021-2024.csv",
        "--start",
        "2021-01-01",
        "--end",
        "2025-01-01",
        "--also",
        "ghulam_khan,angoor_adda,kharlachi",
        "--joint",
        "torkham,chaman,ghulam_khan,angoor_adda,kharlachi",
        "--posterior",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let base = fs::read_to_string(root().join("scenarios/afghanistan/base.toml")).unwrap();
    let mut n = 0;
    for block in out.split("[[uncertain]]").skip(1) {
        let table = block.split("\n#").next().unwrap().trim();
        if table.contains("process.torkham.") || table.contains("process.chaman.") {
            n += 1;
            assert!(
                base.contains(&format!("[[uncertain]]\n{table}")),
                "base.toml lacks\n{table}"
            );
        }
    }
    assert_eq!(n, 4, "{out}");
    // Every shipped table names its source or says E.
    let s = chokepoint::Scenario::load(root().join("scenarios/afghanistan/base.toml")).unwrap();
    assert!(s.uncertain.len() >= 30);
    assert!(s.uncertain.iter().all(|a| !a.source().trim().is_empty()));
}

#[test]
fn calibrate_posterior_samples_other_laws_into_reproducible_joint_draws() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.csv");
    // Heavy-tailed durations: the lognormal wins the AIC.
    fs::write(
        &log,
        "corridor,start,days\ntorkham,2021-01-10,1\ntorkham,2021-04-01,2\ntorkham,2021-08-01,3\n\
         torkham,2022-01-05,4\ntorkham,2022-05-01,40\ntorkham,2022-09-01,6\ntorkham,2023-01-01,90\n\
         torkham,2023-06-01,2\ntorkham,2023-09-01,12\n",
    )
    .unwrap();
    let out_dir = dir.path().join("post");
    let run = |seed: &str| {
        let o = cli(&[
            "calibrate",
            log.to_str().unwrap(),
            "--posterior",
            "--posterior-draws",
            "300",
            "--seed",
            seed,
            "--posterior-out",
            out_dir.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let csv = fs::read_to_string(out_dir.join("torkham_duration.csv")).unwrap();
        (stdout(&o), csv)
    };
    let (out, a) = run("3");
    assert!(out.contains("chosen by AIC: lognormal"), "{out}");
    assert!(
        out.contains(&format!(
            "joint = \"{}/torkham_duration.csv\"",
            out_dir.to_str().unwrap()
        )),
        "{out}"
    );
    let lines: Vec<&str> = a.lines().collect();
    assert_eq!(
        lines[0],
        "process.torkham.duration_sigma,process.torkham.mean_duration_days"
    );
    assert_eq!(lines.len(), 301);
    assert_eq!(run("3").1, a, "the same seed gives the same draws");
    assert_ne!(run("4").1, a);
    // The tables validate on a scenario whose torkham process is lognormal.
    let tables = &out[out.find("# Posterior [[uncertain]]").unwrap()..];
    let (path, _) = starter_with(&dir.path().join("s"), tables);
    let o = cli(&["validate", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("2 uncertain parameter table(s)"),
        "{}",
        stdout(&o)
    );
    // A file of the user's in the way is not replaced.
    fs::write(out_dir.join("torkham_duration.csv"), "my,notes\n1,2\n").unwrap();
    let o = cli(&[
        "calibrate",
        log.to_str().unwrap(),
        "--posterior",
        "--posterior-out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("is not draws of the same parameters"));
    assert_eq!(
        fs::read_to_string(out_dir.join("torkham_duration.csv")).unwrap(),
        "my,notes\n1,2\n"
    );
}
