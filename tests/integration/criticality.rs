//! Integration tests: `chokepoint criticality` and `chokepoint::criticality`.
//!
//! - A corridor that is a product's only route ranks first; an option that adds a
//!   parallel route removes most of its loss.
//! - N-k sets from a file close together; a bad sets file is a clear error (exit 2).
//! - The Monte Carlo view: switching a corridor's processes off leaves every other
//!   closure of every run as it was; runs without a closure of the corridor contribute
//!   exactly 0; the files are identical for any thread count.
//! - Every shipped option of Afghanistan validates, and a Monte Carlo with it runs.

use std::fs;
use std::path::Path;

use chokepoint::closure::{ClosureWindow, Target};
use chokepoint::criticality::{self, Config, McConfig};
use chokepoint::montecarlo::{run_rng, NoProgress};
use chokepoint::network::CorridorId;
use chokepoint::Scenario;

use crate::common::{cli, fixture, root};

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn loss_of(results: &[criticality::SetResult], name: &str) -> f64 {
    results
        .iter()
        .find(|r| r.set.name == name)
        .unwrap_or_else(|| panic!("no set {name}"))
        .metrics
        .total_loss_usd
}

#[test]
fn the_only_route_ranks_first_and_a_parallel_route_removes_most_of_its_loss() {
    let base = Scenario::load(fixture("criticality/only_route.toml")).unwrap();
    let config = Config {
        duration_days: 20,
        ..Config::default()
    };
    let results = criticality::run_sets(&base, &criticality::n_minus_1(&base), &config).unwrap();
    let ranked = criticality::ranked(&results);
    assert_eq!(ranked[0].1.set.name, "east", "ore's only route ranks first");
    assert_eq!(ranked[0].0, 1);
    let east = loss_of(&results, "east");
    assert!(east > 10.0 * loss_of(&results, "north"), "{east}");
    // Ore is lost while east is shut: about 20 days x 2,000 t x 200 USD, less what the
    // week of order patience lets through afterwards.
    assert!(ranked[0].1.metrics.lost_trade_usd > 4e6);
    // Where the trade went: east carried nothing while closed and ore has no detour.
    let d = ranked[0]
        .1
        .diversion
        .iter()
        .find(|d| d.corridor == "east")
        .unwrap();
    assert_eq!(d.during_t_per_day, 0.0);
    assert!((d.before_t_per_day - 2000.0).abs() < 1.0, "{d:?}");
    assert!(
        (d.counterfactual_during_t_per_day - 2000.0).abs() < 1.0,
        "{d:?}"
    );
    // Closing north moves grain to south, tonne for tonne.
    let north = results.iter().find(|r| r.set.name == "north").unwrap();
    let south = north
        .diversion
        .iter()
        .find(|d| d.corridor == "south")
        .unwrap();
    assert!(south.during_t_per_day - south.counterfactual_during_t_per_day > 2500.0);

    let with = chokepoint::scenario::load_any(fixture("criticality/parallel_route.toml")).unwrap();
    let results = criticality::run_sets(&with, &criticality::n_minus_1(&with), &config).unwrap();
    let east_with = loss_of(&results, "east");
    // Not all: cargo dispatched towards east in the reaction lag waits for it.
    assert!(
        east_with < 0.15 * east,
        "the parallel route removes most of east's loss: {east_with} vs {east}"
    );
    let r = results.iter().find(|r| r.set.name == "east").unwrap();
    // The orders the bypass could not serve while traders still saw east's queue lapse
    // (orders are served newest first, and the mine has no supply to spare): a little
    // lost trade, where the old rule carried them as a backlog it never valued.
    assert!(
        r.metrics.lost_trade_usd < 0.1 * east,
        "{}",
        r.metrics.lost_trade_usd
    );
    let bypass = r
        .diversion
        .iter()
        .find(|d| d.corridor == "east_bypass")
        .unwrap();
    // All the ore but what was dispatched toward east before traders learnt of the closure.
    assert!(bypass.during_t_per_day > 1700.0, "{bypass:?}");
}

/// `corridor` shut from day `start` for `days` days.
fn shut(s: &Scenario, corridor: &str, start: i64, days: u32) -> ClosureWindow {
    crate::sim::shut(s.corridor(corridor).unwrap().0, start, days)
}

/// Background closures: with north (grain's usual route) shut, closing south (its
/// detour) adds far more than south alone costs (nothing is left for grain), while east (ore's own route,
/// another product) adds about what it costs alone; the added loss is the run's total
/// less the background's, and the ranking follows it.
#[test]
fn sets_close_on_top_of_background_closures_and_rank_by_the_loss_they_add() {
    let s = Scenario::load(fixture("criticality/only_route.toml")).unwrap();
    let plain = Config {
        duration_days: 20,
        ..Config::default()
    };
    let alone = criticality::run_sets(&s, &criticality::n_minus_1(&s), &plain).unwrap();
    for r in &alone {
        assert_eq!(r.background_loss_usd, 0.0);
        assert_eq!(r.added_loss_usd(), r.metrics.total_loss_usd);
    }
    let config = Config {
        background: vec![shut(&s, "north", 20, 40)],
        ..plain
    };
    let on_top = criticality::run_sets(&s, &criticality::n_minus_1(&s), &config).unwrap();
    let background = on_top[0].background_loss_usd;
    assert!(background > 0.0);
    let of = |rs: &[criticality::SetResult], name: &str| {
        rs.iter().find(|r| r.set.name == name).unwrap().clone()
    };
    for r in &on_top {
        assert_eq!(r.background_loss_usd, background);
        assert_eq!(r.added_loss_usd(), r.metrics.total_loss_usd - background);
    }
    let south = of(&on_top, "south").added_loss_usd();
    let south_alone = of(&alone, "south").added_loss_usd();
    assert!(
        south > 1e5 && south > 5.0 * south_alone,
        "{south} vs {south_alone} alone"
    );
    let east = of(&on_top, "east").added_loss_usd();
    let east_alone = of(&alone, "east").added_loss_usd();
    assert!(
        (east - east_alone).abs() < 0.1 * east_alone,
        "{east} vs {east_alone} alone"
    );
    let ranked = criticality::ranked(&on_top);
    for w in ranked
        .windows(2)
        .filter(|w| w[0].1.set.n_minus_1 == w[1].1.set.n_minus_1)
    {
        assert!(w[0].1.added_loss_usd() >= w[1].1.added_loss_usd());
    }
}

/// In the Monte Carlo view the background is in every run, with and without a
/// corridor's processes: with east shut all year, east's own closures add nothing, so
/// its contribution is zero run by run.
#[test]
fn the_monte_carlo_view_keeps_the_background_in_every_run() {
    let s = Scenario::load(fixture("criticality/only_route.toml")).unwrap();
    let all_year = s.settings.days + s.settings.runout_max_days;
    let config = McConfig {
        runs: 40,
        seed: 4,
        threads: 2,
        bootstrap_resamples: 100,
        background: vec![shut(&s, "east", 0, all_year)],
        ..McConfig::default()
    };
    let v = criticality::contributions(&s, &config, &NoProgress).unwrap();
    let east = s.corridor("east").unwrap().index();
    assert!(v.runs.iter().any(|r| r.closed[east]));
    for r in &v.runs {
        assert!(r.base_loss_usd > 0.0, "the background loses in every run");
        assert!(
            (r.without_usd[east] - r.base_loss_usd).abs() <= 1e-6 * r.base_loss_usd,
            "run {}: {} vs {}",
            r.run,
            r.without_usd[east],
            r.base_loss_usd
        );
    }
}

/// The CLI: `--close` and `--closures` are the background; `added_loss_usd` is in
/// criticality.csv and the specs in the manifest.
#[test]
fn cli_takes_background_closures() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("closures.csv");
    fs::write(&table, "corridor,start,days\nnorth,2024-01-21,40\n").unwrap();
    let out = dir.path().join("crit");
    let o = cli(&[
        "criticality",
        p(&fixture("criticality/only_route.toml")),
        "--duration",
        "20",
        "--closures",
        p(&table),
        "--out",
        p(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("which alone lose USD"), "{stdout}");
    assert!(stdout.contains("by the loss it adds"), "{stdout}");
    let text = fs::read_to_string(out.join("criticality.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let first: Vec<&str> = text.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(
        first[col("set")],
        "south",
        "south ranks first with north shut"
    );
    let total: f64 = first[col("total_loss_usd")].parse().unwrap();
    let added: f64 = first[col("added_loss_usd")].parse().unwrap();
    assert!(added > 0.0 && added < total);
    let manifest = fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("north:2024-01-21"), "{manifest}");
}

/// A background closure wholly outside the window does nothing, as the warning says:
/// it is left out (it once stopped the study with an engine error), so the table is the
/// one without it, the runs' Monte Carlo view included.
#[test]
fn a_background_closure_outside_the_window_does_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = fixture("criticality/only_route.toml");
    let run = |extra: &[&str], name: &str| {
        let out = dir.path().join(name);
        let mut args = vec![
            "criticality",
            p(&scenario),
            "--duration",
            "15",
            "--runs",
            "4",
            "--seed",
            "3",
            "--out",
            p(&out),
        ];
        args.extend_from_slice(extra);
        let o = cli(&args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        (out, stderr(&o))
    };
    let (without, _) = run(&[], "without");
    let (with, err) = run(&["--close", "north:2031-01-01+5"], "with");
    assert!(
        err.contains("closure north:2031-01-01+5 lies wholly outside the simulated window"),
        "{err}"
    );
    for name in ["criticality.csv", "contributions.csv"] {
        let a = fs::read(without.join(name)).unwrap();
        let b = fs::read(with.join(name)).unwrap();
        assert!(a == b, "{name} differs");
    }
}

#[test]
fn n_k_sets_from_a_file_close_together() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("crit");
    let o = cli(&[
        "criticality",
        p(&fixture("criticality/only_route.toml")),
        "--duration",
        "20",
        "--sets",
        p(&fixture("criticality/sets.toml")),
        "--out",
        p(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("N-k: the sets of corridors closed together"),
        "{text}"
    );
    let csv = fs::read_to_string(out.join("criticality.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].starts_with("kind,rank,set,corridors,start_date,duration_days,total_loss_usd,")
    );
    let row = |set: &str| -> Vec<String> {
        lines
            .iter()
            .find(|l| l.split(',').nth(2) == Some(set))
            .unwrap_or_else(|| panic!("{set} in {csv}"))
            .split(',')
            .map(String::from)
            .collect()
    };
    let both = row("both_grain_routes");
    assert_eq!(both[0], "N-k");
    assert_eq!(both[3], "north south");
    assert_eq!((both[4].as_str(), both[5].as_str()), ("2024-01-31", "20"));
    let loss = |r: &[String]| r[6].parse::<f64>().unwrap();
    // Alone, north or south only reroutes grain; together grain has no route left.
    assert!(loss(&both) > 10.0 * (loss(&row("north")) + loss(&row("south"))));
    assert!(loss(&row("everything")) > loss(&both) + 0.9 * loss(&row("east")));
    let manifest = fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(
        manifest.contains("\"command\": \"criticality\""),
        "{manifest}"
    );
    assert!(manifest.contains("\"both_grain_routes\""));
    let div = fs::read_to_string(out.join("diversion.csv")).unwrap();
    assert!(div.starts_with(
        "set,corridor,closed,before_t_per_day,during_t_per_day,counterfactual_during_t_per_day,diverted_t_per_day,"
    ));
    assert_eq!(div.lines().count(), 1 + 5 * 3, "5 sets x 3 corridors");
}

fn fails_with(args: &[&str], needles: &[&str]) {
    let o = cli(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "expected {n:?} in: {err}");
    }
}

#[test]
fn bad_sets_files_and_arguments_are_clear_errors() {
    let scen = fixture("criticality/only_route.toml");
    let s = p(&scen);
    fails_with(
        &[
            "criticality",
            s,
            "--duration",
            "10",
            "--sets",
            p(&fixture("criticality/bad_sets.toml")),
        ],
        &[
            "--sets",
            "bad_sets.toml:3: unknown corridor \"sout\" in set \"grain\"; did you mean \"south\"?",
        ],
    );
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.toml");
    fs::write(&bad, "[[set]]\nname = \"x\"\ncorridors = [\"north\",\n").unwrap();
    fails_with(
        &["criticality", s, "--duration", "10", "--sets", p(&bad)],
        &["bad.toml:", "invalid sets file"],
    );
    fs::write(&bad, "[[set]]\nname = \"x\"\ncorridors = \"north\"\n").unwrap();
    fails_with(
        &["criticality", s, "--duration", "10", "--sets", p(&bad)],
        &["bad.toml:3: invalid sets file", "expected a sequence"],
    );
    fails_with(
        &[
            "criticality",
            s,
            "--duration",
            "10",
            "--sets",
            p(&tmp.path().join("missing.toml")),
        ],
        &["missing.toml"],
    );
    fails_with(
        &[
            "criticality",
            s,
            "--duration",
            "10",
            "--start",
            "2030-01-01",
        ],
        &["outside the simulated window"],
    );
    fails_with(
        &[
            "criticality",
            s,
            "--duration",
            "10",
            "--capacity-factor",
            "1",
        ],
        &["capacity factor 1"],
    );
    fails_with(
        &[
            "criticality",
            p(&fixture("five_mistakes.toml")),
            "--duration",
            "10",
        ],
        &["five_mistakes.toml"],
    );
}

/// The windows of `all` that do not close corridor `c` (or one of its links).
fn not_closing(s: &Scenario, all: &[ClosureWindow], c: CorridorId) -> Vec<ClosureWindow> {
    let links = &s.corridors[c.index()].links;
    all.iter()
        .filter(|w| match w.target {
            Target::Corridor(x) => x != c,
            Target::Link(l) => !links.contains(&l),
        })
        .cloned()
        .collect()
}

#[test]
fn switching_a_corridor_off_keeps_every_other_draw_run_by_run() {
    for path in [
        fixture("criticality/only_route.toml"),
        fixture("montecarlo/twoland_random.toml"),
        root().join("scenarios/afghanistan/base.toml"),
        root().join("scenarios/afghanistan/options/trans_afghan_rail.toml"),
    ] {
        let s = chokepoint::scenario::load_any(&path).unwrap();
        let base = s.closure_sampler().unwrap();
        for c in 0..s.corridors.len() {
            let c = CorridorId(c as _);
            let (procs, shocks) = criticality::switched_off(&s, c);
            let off = chokepoint::closure::ClosureSampler::new(
                &procs,
                &shocks,
                s.regimes.as_ref(),
                |t| s.target_name(t).to_string(),
            )
            .unwrap();
            let mut changed = 0;
            for run in 0..150 {
                let rng = run_rng(9, run);
                let all = base.sample(0, s.settings.days, &rng);
                let without = off.sample(0, s.settings.days, &rng);
                assert_eq!(
                    without,
                    not_closing(&s, &all, c),
                    "{}: corridor {}, run {run}",
                    path.display(),
                    s.corridors[c.index()].id
                );
                if without.len() < all.len() {
                    changed += 1;
                }
            }
            let has_risk = s.processes.iter().any(|p| p.target == Target::Corridor(c))
                || s.shocks
                    .iter()
                    .any(|g| g.targets.contains(&Target::Corridor(c)));
            if has_risk && s.settings.days > 300 {
                assert!(changed > 0, "{}: {:?} never closed", path.display(), c);
            }
        }
    }
}

#[test]
fn the_monte_carlo_view_is_paired_and_ranks_the_only_route_first() {
    let s = Scenario::load(fixture("criticality/only_route.toml")).unwrap();
    let config = McConfig {
        runs: 60,
        seed: 4,
        threads: 2,
        bootstrap_resamples: 200,
        regime_start: None,
        background: Vec::new(),
    };
    let v = criticality::contributions(&s, &config, &NoProgress).unwrap();
    assert_eq!(v.runs.len(), 60);
    assert_eq!(v.contributions[0].corridor, "east");
    let east = s.corridor("east").unwrap().index();
    for r in &v.runs {
        for c in 0..s.corridors.len() {
            if !r.closed[c] {
                // No closure of c in this run: the very same closures, the same loss.
                assert_eq!(r.without_usd[c], r.base_loss_usd);
            }
        }
    }
    assert!(v.runs.iter().any(|r| r.closed[east]));
    let e = &v.contributions[0];
    assert!(e.mean.ci_low > 0.0 && e.mean.ci_low <= e.mean.mean && e.mean.mean <= e.mean.ci_high);
    assert!(e.tvar95_ci.0 <= e.tvar95_usd + 1e-6 && e.tvar95_usd <= e.tvar95_ci.1 + 1e-6);
    assert!((0.0..=1.0).contains(&v.p_order_holds));
    assert!(e.p_rank_holds > 0.9, "{}", e.p_rank_holds);
    // The same study again gives the same numbers (fixed bootstrap generator).
    let again = criticality::contributions(
        &s,
        &McConfig {
            threads: 1,
            ..config
        },
        &NoProgress,
    )
    .unwrap();
    assert_eq!(
        format!("{again:?}"),
        format!("{v:?}"),
        "NaN-safe comparison"
    );
}

#[test]
fn monte_carlo_files_are_identical_for_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let mut outs = Vec::new();
    for threads in ["1", "3"] {
        let out = tmp.path().join(format!("t{threads}"));
        let o = cli(&[
            "criticality",
            p(&fixture("criticality/only_route.toml")),
            "--duration",
            "15",
            "--sets",
            p(&fixture("criticality/sets.toml")),
            "--runs",
            "40",
            "--seed",
            "2",
            "--bootstrap",
            "100",
            "--threads",
            threads,
            "--quiet",
            "--out",
            p(&out),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        outs.push(out);
    }
    let mut names: Vec<String> = fs::read_dir(&outs[0])
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "timing.json")
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "contribution_runs.csv",
            "contribution_summary.csv",
            "contributions.csv",
            "criticality.csv",
            "diversion.csv",
            "manifest.json",
            "warnings.csv"
        ]
    );
    for n in &names {
        assert_eq!(
            fs::read(outs[0].join(n)).unwrap(),
            fs::read(outs[1].join(n)).unwrap(),
            "{n} differs between 1 and 3 threads"
        );
    }
    let runs = fs::read_to_string(outs[0].join("contribution_runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 1 + 40 * 3);
    // Another duration is another study: the folder is refused, naming the field.
    let again = cli(&[
        "criticality",
        p(&fixture("criticality/only_route.toml")),
        "--duration",
        "16",
        "--sets",
        p(&fixture("criticality/sets.toml")),
        "--runs",
        "40",
        "--seed",
        "2",
        "--bootstrap",
        "100",
        "--quiet",
        "--out",
        p(&outs[0]),
    ]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("criticality.duration_days"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn every_shipped_option_validates_and_runs_a_monte_carlo() {
    let dir = root().join("scenarios/afghanistan/options");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 7, "{files:?}");
    let tmp = tempfile::tempdir().unwrap();
    for f in &files {
        let o = cli(&["validate", p(f)]);
        assert!(o.status.success(), "{}: {}", f.display(), stderr(&o));
        let out = tmp.path().join(f.file_stem().unwrap());
        let o = cli(&[
            "montecarlo",
            p(f),
            "--no-fixed-closures",
            "--runs",
            "8",
            "--seed",
            "1",
            "--threads",
            "2",
            "--quiet",
            "--out",
            p(&out),
        ]);
        assert!(o.status.success(), "{}: {}", f.display(), stderr(&o));
        assert!(out.join("manifest.json").is_file());
    }
}

#[test]
fn the_portfolio_holds_exactly_the_changes_of_its_parts() {
    let dir = root().join("scenarios/afghanistan/options");
    // Every change table of an option file, as TOML values written out (comments gone).
    let changes = |name: &str| -> Vec<String> {
        let text = fs::read_to_string(dir.join(format!("{name}.toml"))).unwrap();
        let table: toml::Table = toml::from_str(&text).unwrap();
        let mut out = Vec::new();
        for (key, v) in &table {
            // `[[uncertain]]` tables state what is not known; they change nothing.
            if key == "option" || key == "uncertain" {
                continue;
            }
            for item in v.as_array().unwrap() {
                out.push(format!("{key}: {item}"));
            }
        }
        out
    };
    let mut parts: Vec<String> = ["chabahar", "khaf_herat_rail", "lapis_lazuli", "wakhan_road"]
        .iter()
        .flat_map(|n| changes(n))
        .collect();
    let mut all = changes("portfolio_non_pakistan");
    parts.sort();
    all.sort();
    assert_eq!(all.len(), 18);
    assert_eq!(all, parts);
}

/// `criticality.csv` reports each closure's welfare loss, as `chokepoint run` with the
/// same closure does.
#[test]
fn criticality_reports_the_welfare_loss_of_each_closure_as_run_does() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = fixture("criticality/only_route.toml");
    let out = dir.path().join("crit");
    let o = cli(&[
        "criticality",
        p(&scenario),
        "--duration",
        "20",
        "--quiet",
        "--out",
        p(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut r = csv::Reader::from_path(out.join("criticality.csv")).unwrap();
    let header = r.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert!(col("welfare_loss_usd") < col("added_loss_usd"));
    let mut positive = 0;
    for row in &rows {
        let set = &row[col("set")];
        let run_out = dir.path().join(format!("run-{set}"));
        let close = format!("{set}:{}+20", &row[col("start_date")]);
        let o = cli(&[
            "run",
            p(&scenario),
            "--no-fixed-closures",
            "--close",
            &close,
            "--out",
            p(&run_out),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let text = fs::read_to_string(run_out.join("run.csv")).unwrap();
        let want = text
            .lines()
            .find_map(|l| l.strip_prefix("total,,welfare_loss_usd,"))
            .unwrap();
        assert_eq!(&row[col("welfare_loss_usd")], want, "{set}");
        if want.parse::<f64>().unwrap() > 0.0 {
            positive += 1;
        }
    }
    assert!(positive >= 2, "the welfare losses test something");
}
