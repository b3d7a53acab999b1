//! Integration tests: afghanistan.

use crate::common::cli;

#[test]
fn calibrate_fits_the_shipped_closure_log() {
    let out = cli(&[
        "calibrate",
        "scenarios/afghanistan/closures-2021-2024.csv",
        "--also",
        "ghulam_khan",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    // The printed blocks are valid TOML with one process per corridor that closed.
    let v: toml::Value = toml::from_str(&text).expect("calibrate prints valid TOML");
    let procs = v["process"].as_array().expect("[[process]] blocks");
    let targets: Vec<&str> = procs.iter().filter_map(|p| p["target"].as_str()).collect();
    assert!(
        targets.contains(&"torkham") && targets.contains(&"chaman"),
        "{targets:?}"
    );
    // Torkham: 5 onsets in 1461 - 40 open days of the 2021-2024 window.
    let t = procs
        .iter()
        .find(|p| p["target"].as_str() == Some("torkham"))
        .unwrap();
    let rate = t["rate_per_year"].as_float().unwrap();
    assert!((rate - 5.0 * 365.0 / 1421.0).abs() < 1e-3, "{rate}");
    assert!(text.contains("ghulam_khan: 0 onset(s)"));
}

#[test]
fn calibrate_on_a_bad_csv_exits_2_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "corridor,start,end,days\ntorkham,2023-02-19,2023-02-25,6\ntorkham,2023-09-31,,9\n",
    )
    .unwrap();
    let out = cli(&["calibrate", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.csv:3") && err.contains("2023-09-31"),
        "{err}"
    );
}

#[test]
fn every_afghanistan_scenario_and_option_validates() {
    let dir = crate::common::root().join("scenarios/afghanistan");
    let mut files = vec![dir.join("base.toml")];
    for sub in ["options", "history"] {
        let mut v: Vec<_> = std::fs::read_dir(dir.join(sub))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        v.sort();
        assert!(!v.is_empty(), "no files in {sub}/");
        files.extend(v);
    }
    let args: Vec<&str> = std::iter::once("validate")
        .chain(files.iter().map(|p| p.to_str().unwrap()))
        .collect();
    let out = cli(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // No warnings either: every demand is reachable, every product has supply and demand.
    assert!(
        String::from_utf8_lossy(&out.stderr).trim().is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn base_has_the_issue_corridor_ids() {
    let s =
        chokepoint::Scenario::load(crate::common::root().join("scenarios/afghanistan/base.toml"))
            .expect("base.toml loads");
    for id in [
        "torkham",
        "chaman",
        "ghulam_khan",
        "angoor_adda",
        "kharlachi",
        "islam_qala",
        "zaranj_milak",
        "khaf_herat_rail",
        "hairatan_rail",
        "hairatan_road",
        "torghundi",
        "aqina",
        "sher_khan_bandar",
        "air",
    ] {
        assert!(s.corridor(id).is_some(), "corridor {id} missing");
    }
    assert_eq!(s.settings.start.to_string(), "2024-01-01");
    assert_eq!(s.settings.days, 366);
    assert!(s.nodes.len() <= 45 && s.links.len() <= 70 && s.products.len() == 8);
}

/// The base-year check of docs/validation.md §1: the 2024 replay (with the year's recorded
/// closures) delivers trade by partner and direction within 15% of the official 2024
/// figures (calibration.md §3).
#[test]
fn base_year_2024_trade_by_partner_is_within_15_percent() {
    let s =
        chokepoint::Scenario::load(crate::common::root().join("scenarios/afghanistan/base.toml"))
            .expect("base.toml loads");
    let mut engine = chokepoint::sim::Engine::new(&s).expect("engine builds");
    let report = engine
        .run(&s.closures, chokepoint::sim::Record::Totals)
        .expect("the 2024 replay runs");
    let by = &report.metrics.by_partner;
    let bn = |pred: &dyn Fn(&str) -> bool| -> f64 {
        by.iter()
            .filter(|(k, _)| pred(k))
            .map(|(_, d)| d.usd)
            .sum::<f64>()
            / 1e9
    };
    // (what, model, official low, official high), USD bn; cal §3.
    let checks = [
        ("exports", bn(&|k| k.starts_with("AF->")), 1.8, 1.9),
        (
            "exports to PK",
            bn(&|k| k == "AF->PK"),
            0.46 * 1.85,
            0.46 * 1.85,
        ),
        (
            "exports to IN",
            bn(&|k| k == "AF->IN"),
            0.28 * 1.85,
            0.28 * 1.85,
        ),
        ("imports", bn(&|k| k.ends_with("->AF")), 10.6, 10.8),
        ("imports from IR", bn(&|k| k == "IR->AF"), 3.143, 3.143),
        (
            "imports from PK",
            bn(&|k| k == "PK->AF"),
            2.461 - 0.852,
            2.461 - 0.852,
        ),
        (
            "imports from UZ",
            bn(&|k| k == "UZ->AF"),
            0.10 * 10.7,
            0.10 * 10.7,
        ),
        (
            "imports from CN",
            bn(&|k| k == "CN->AF"),
            0.08 * 10.7,
            0.10 * 10.7,
        ),
        (
            "imports from KZ",
            bn(&|k| k == "KZ->AF"),
            0.05 * 10.7,
            0.05 * 10.7,
        ),
    ];
    let mut misses = Vec::new();
    for (what, model, lo, hi) in checks {
        if !(model >= 0.85 * lo && model <= 1.15 * hi) {
            misses.push(format!(
                "{what}: model {model:.3} bn, official {lo:.3}-{hi:.3}"
            ));
        }
    }
    assert!(misses.is_empty(), "outside the 15% band: {misses:#?}");
}

// The backtests: the shared logic (episode list, reading the figures, parsing the bands
// table of docs/validation.md) lives in examples/backtests.rs, which CI also runs.
#[allow(dead_code)]
#[path = "../../examples/backtests.rs"]
mod backtests;

use backtests::Setting;

/// Every replayed episode's figures agree with docs/validation.md §3: inside its band where
/// the doc says "in band", outside where it says "miss", and within 25% of the simulated
/// value the doc states (so neither the model nor the doc drifts silently).
#[test]
fn backtests_agree_with_the_bands_in_validation_md() {
    backtests_agree_with_their_table(Setting::Myopic);
}

/// The same with weighing traders (`traders = "weigh"`), against their own table in
/// docs/validation.md §3 ("Traders who weigh").
#[test]
fn weighing_backtests_agree_with_their_table_in_validation_md() {
    backtests_agree_with_their_table(Setting::Weigh);
}

/// The same with traders who differ (`belief_spread` 0.96, five classes), against their
/// own table in docs/validation.md §3 ("Traders who differ").
#[test]
fn differing_backtests_agree_with_their_table_in_validation_md() {
    backtests_agree_with_their_table(Setting::Differ);
}

fn backtests_agree_with_their_table(setting: Setting) {
    let rows = backtests::read_bands(setting).unwrap_or_else(|e| panic!("{e}"));
    // The episode list is the history folder, and the doc covers every figure of each.
    let mut files: Vec<String> =
        std::fs::read_dir(crate::common::root().join("scenarios/afghanistan/history"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
    files.sort();
    let episodes = backtests::episodes().unwrap_or_else(|e| panic!("{e}"));
    let mut listed: Vec<String> = episodes.iter().map(|e| e.stem()).collect();
    listed.sort();
    assert_eq!(files, listed, "history/episodes.csv and history/ differ");
    for e in &episodes {
        for f in backtests::FIGURES {
            let n = rows
                .iter()
                .filter(|r| r.episode == e.stem() && r.figure == *f)
                .count();
            assert_eq!(n, 1, "docs/validation.md: {} {f} has {n} rows", e.stem());
        }
    }
    assert_eq!(rows.len(), episodes.len() * backtests::FIGURES.len());
    // The doc's bands are the episode list's.
    let differ: Vec<String> = rows
        .iter()
        .filter_map(|r| {
            let e = episodes.iter().find(|e| e.stem() == r.episode)?;
            backtests::band_differs(e, r)
        })
        .collect();
    assert!(differ.is_empty(), "{differ:#?}");
    let sims = backtests::run_all(setting).unwrap_or_else(|e| panic!("{e}"));
    let problems: Vec<String> = rows
        .iter()
        .filter_map(|r| {
            backtests::check(r, backtests::figure(&sims[r.episode.as_str()], &r.figure)?)
        })
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The check behind the backtests: what it accepts and what it rejects.
#[test]
fn backtest_check_catches_band_exits_stale_misses_and_drift() {
    let doc = format!(
        "text\n{}\n| Episode | Figure | Reported | Source | Band | Simulated | Verdict | Why |\n\
         |---|---|---|---|---|---|---|---|\n\
         | a | peak_trucks | ~3,000 | s | 1,500–6,000 | 3,264 | in band | |\n\
         | b | peak_trucks | \"hundreds\" | s | 100–1,000 | 2,046 | **miss** | why |\n\
         | c | backlog_trucks | – | – | – | 0 | no figure | |\n{}\n",
        backtests::BEGIN,
        backtests::END
    );
    let rows = backtests::parse_bands(&doc).unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].band, Some((1500.0, 6000.0)));
    assert_eq!(rows[0].line, 5);
    assert_eq!(rows[1].verdict, backtests::Verdict::Miss);
    // In band, and near the stated value: fine.
    assert!(backtests::check(&rows[0], 3000.0).is_none());
    // In band but drifted more than 25% from what the doc states.
    assert!(backtests::check(&rows[0], 5000.0).is_some());
    // Out of its band although the doc says in band.
    assert!(backtests::check(&rows[0], 1400.0).is_some());
    // A known miss within 25% of the stated value: fine; beyond it, or back in band: not.
    assert!(backtests::check(&rows[1], 1800.0).is_none());
    assert!(backtests::check(&rows[1], 1400.0).is_some());
    assert!(backtests::check(&rows[1], 900.0).is_some());
    assert!(backtests::check(&rows[2], 0.3).is_none());
    assert!(backtests::check(&rows[2], 10.0).is_some());
    // Malformed rows are errors with the doc's line.
    let bad = doc.replace("1,500–6,000", "lots");
    assert!(backtests::parse_bands(&bad)
        .unwrap_err()
        .contains("validation.md:5"));
    let bad = doc.replace("| 0 | no figure |", "| 0 | in band |");
    assert!(backtests::parse_bands(&bad).is_err());
}

/// Every scenario or option file under scenarios/, sorted: every TOML file but futures
/// files (which `compare --futures` reads and `tests/integration/compare.rs` checks) and
/// the N-k sets files of `chokepoint criticality` (in `criticality/` folders) and priors
/// files (`chokepoint fit --priors`).
fn scenario_files() -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() && p.file_name().is_some_and(|n| n == "criticality") {
                continue;
            }
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "toml") && {
                let text = std::fs::read_to_string(&p).unwrap();
                // Not a futures file, nor a priors file (`fit --priors`: [[uncertain]] only).
                let table = |h: &str| text.lines().any(|l| l.trim_start().starts_with(h));
                !table("[[future]]") && (table("[scenario]") || table("[option]"))
            } {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&crate::common::root().join("scenarios"), &mut files);
    files.sort();
    files
}

/// `chokepoint validate` accepts every file under scenarios/, options included.
#[test]
fn validate_works_on_every_file_under_scenarios() {
    let files = scenario_files();
    assert!(files.len() >= 15, "{files:?}");
    let args: Vec<&str> = std::iter::once("validate")
        .chain(files.iter().map(|p| p.to_str().unwrap()))
        .collect();
    let out = cli(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("ok: ").count(), files.len(), "{text}");
}

/// `chokepoint run` works on every file under scenarios/: scenarios, and option files
/// (run as their changes on their base scenario).
#[test]
fn run_works_on_every_scenario_file() {
    let files = scenario_files();
    let mut ran = 0;
    for f in &files {
        let out = cli(&["run", f.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}: {}",
            f.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("peak stranded trucks"),
            "{}",
            f.display()
        );
        ran += 1;
    }
    // base, eight history files, three options, starter and its option, twoland.
    assert!(ran >= 15, "ran {ran}");
}

/// With the run-out, a closure near the window's end is costed whole: Torkham shut for 30
/// days from 25 December costs about what it costs from 1 June (before the run-out it
/// showed a negative loss, -0.76 m, because the cargo it left queued and diverted at the
/// window's end was never costed). Tolerance: within 30% of each other, because the
/// season's trade differs (perishable exports peak from July to November, cal §4; the
/// December closure's run-out falls in January-February); and both well positive.
#[test]
fn a_december_closure_costs_about_what_a_june_one_does() {
    use chokepoint::sim::{Engine, Record};
    let mut s =
        chokepoint::Scenario::load(crate::common::root().join("scenarios/afghanistan/base.toml"))
            .unwrap();
    s.closures.clear();
    let mut e = Engine::new(&s).unwrap();
    let mut loss = |date: &str| {
        let w = chokepoint::scenario::parse_close_spec(&s, &format!("torkham:{date}+30")).unwrap();
        e.run(&[w], Record::Totals).unwrap().metrics
    };
    let june = loss("2024-06-01");
    let december = loss("2024-12-25");
    assert!(june.total_loss_usd > 10e6, "{}", june.total_loss_usd);
    assert!(
        december.total_loss_usd > 10e6,
        "{}",
        december.total_loss_usd
    );
    let ratio = december.total_loss_usd / june.total_loss_usd;
    assert!((0.7..=1.3).contains(&ratio), "December / June = {ratio}");
    assert!(december.runout_days > 0 && !december.runout_capped);
    assert_eq!(
        june.runout_days, 0,
        "a June closure is over by the year's end"
    );
}
