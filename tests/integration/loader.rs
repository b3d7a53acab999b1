//! Integration tests: the scenario loader (invalid fixtures with exact kinds and lines,
//! shipped scenarios, options, the `validate`/`info` CLI, the reference's coverage, and a
//! property test that mutated scenarios never make the loader panic).

use std::path::{Path, PathBuf};

use chokepoint::closure::DurationDist;
use chokepoint::error::{Diagnostic, DiagnosticKind as K, Severity};
use chokepoint::network::{Direction, Mode};
use chokepoint::scenario::{self, Change};
use chokepoint::{Error, Scenario};
use proptest::prelude::*;

use crate::common::{cli, fixture, root};

/// Every diagnostic of a failed load (panics if it loaded).
fn diagnostics(path: &Path) -> Vec<Diagnostic> {
    match scenario::load(path) {
        Ok(_) => panic!("{} should not load", path.display()),
        Err(Error::Scenario(e)) => e.diagnostics,
        Err(e) => panic!("{}: expected scenario errors, got {e}", path.display()),
    }
}

fn errors(path: &Path) -> Vec<Diagnostic> {
    diagnostics(path)
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .collect()
}

/// (fixture, kind, file the error is in when not the fixture itself, line). The line is
/// the one each fixture marks with `# <- the mistake` (or the table header for missing
/// keys and whole-item problems, or the CSV line).
const INVALID: &[(&str, K, &str, usize)] = &[
    ("syntax_error", K::Syntax, "", 17),
    ("unknown_key_settings", K::UnknownKey, "", 3),
    ("unknown_key_node", K::UnknownKey, "", 11),
    ("missing_capacity", K::MissingKey, "", 12),
    ("wrong_type_cost", K::WrongType, "", 18),
    ("duplicate_node_id", K::DuplicateId, "", 13),
    ("bad_id", K::BadId, "", 13),
    ("unknown_node_reference", K::UnknownReference, "", 15),
    ("negative_capacity", K::BadNumber, "", 17),
    ("zero_capacity", K::BadNumber, "", 17),
    ("nan_cost", K::BadNumber, "", 18),
    ("infinite_transit", K::BadNumber, "", 19),
    ("bad_mode", K::OutOfRange, "", 16),
    ("link_to_itself", K::Inconsistent, "", 15),
    ("bad_charge_direction", K::OutOfRange, "", 20),
    ("unknown_link_in_corridor", K::UnknownReference, "", 23),
    ("holding_cost_above_one", K::OutOfRange, "", 28),
    ("perishability_loss_above_one", K::OutOfRange, "", 28),
    ("seasonality_eleven", K::Inconsistent, "", 33),
    ("seasonality_negative", K::BadNumber, "", 33),
    ("no_supply", K::NoSupply, "", 39),
    ("no_demand", K::NoDemand, "", 39),
    ("days_out_of_range", K::OutOfRange, "", 3),
    ("discount_rate_above_one", K::OutOfRange, "", 3),
    ("bad_start_date", K::BadDate, "", 3),
    ("closure_ends_before_start", K::EndsBeforeStart, "", 42),
    ("closure_start_and_start_day", K::Inconsistent, "", 42),
    ("closure_factor_one", K::OutOfRange, "", 43),
    ("closure_unknown_target", K::UnknownReference, "", 40),
    ("closure_zero_duration", K::BadNumber, "", 42),
    ("seasonal_longer_than_a_year", K::OutOfRange, "", 39),
    ("seasonal_states_a_belief", K::Inconsistent, "", 44),
    ("process_bad_dist", K::OutOfRange, "", 42),
    ("process_negative_empirical", K::BadNumber, "", 42),
    ("process_negative_rate", K::BadNumber, "", 41),
    ("shock_one_target", K::Inconsistent, "", 39),
    ("shock_duplicate_target", K::Inconsistent, "", 41),
    ("regime_row_sum", K::Inconsistent, "", 43),
    ("regime_unknown_state", K::UnknownReference, "", 43),
    ("regime_bad_initial", K::UnknownReference, "", 40),
    ("trade_level_unknown_country", K::UnknownReference, "", 42),
    ("trade_level_unknown_product", K::UnknownReference, "", 42),
    ("trade_level_ends_before_start", K::EndsBeforeStart, "", 41),
    ("trade_level_negative_factor", K::BadNumber, "", 41),
    ("trade_level_by_corridor", K::UnknownKey, "", 42),
    ("empty_scenario", K::Empty, "", 1),
    ("csv_missing_file", K::Io, "", 5),
    ("csv_bad_number", K::BadNumber, "csv_bad/demand.csv", 3),
    ("csv_unknown_column", K::UnknownKey, "csv_col/demand.csv", 1),
];

#[test]
fn every_invalid_fixture_reports_exactly_its_mistake() {
    assert!(INVALID.len() >= 25);
    let mut failures = Vec::new();
    for &(name, kind, other_file, line) in INVALID {
        let path = fixture(&format!("invalid/{name}.toml"));
        let errs = errors(&path);
        let want_file = if other_file.is_empty() {
            path.clone()
        } else {
            fixture("invalid").join(other_file)
        };
        let ok = errs.len() == 1
            && errs[0].kind == kind
            && errs[0].line == line
            && errs[0].file == want_file;
        if !ok {
            failures.push(format!(
                "{name}: want {kind:?} at {}:{line}, got:\n    {}",
                want_file.display(),
                errs.iter()
                    .map(|d| format!("{:?} {d}", d.kind))
                    .collect::<Vec<_>>()
                    .join("\n    ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_mistake_marker_is_on_the_reported_line() {
    // Cross-check the table against the fixtures' own markers.
    for &(name, _, other_file, line) in INVALID {
        if !other_file.is_empty() {
            continue;
        }
        let text = std::fs::read_to_string(fixture(&format!("invalid/{name}.toml"))).unwrap();
        let l = text.lines().nth(line - 1).unwrap_or("");
        assert!(
            l.contains("# <- the mistake") || l.starts_with('['),
            "{name}: line {line} is {l:?}"
        );
    }
}

#[test]
fn messages_name_the_value_and_suggest_a_fix() {
    let e = errors(&fixture("invalid/unknown_node_reference.toml"));
    assert!(e[0].message.contains("`bb`"), "{}", e[0]);
    assert_eq!(e[0].hint.as_deref(), Some("did you mean `b`?"));
    let e = errors(&fixture("invalid/bad_mode.toml"));
    assert!(e[0]
        .hint
        .as_deref()
        .unwrap_or("")
        .contains("did you mean `road`?"));
    let e = errors(&fixture("invalid/unknown_key_settings.toml"));
    assert!(
        e[0].hint.as_deref().unwrap_or("").contains("`days`"),
        "{}",
        e[0]
    );
    let e = errors(&fixture("invalid/negative_capacity.toml"));
    assert!(e[0].message.contains("-100"), "{}", e[0]);
    assert!(e[0].hint.as_deref().unwrap_or("").contains("> 0"));
    // Display: file:line: error: message; hint
    let shown = e[0].to_string();
    assert!(
        shown.contains("negative_capacity.toml:17: error: "),
        "{shown}"
    );
}

#[test]
fn five_mistakes_are_all_reported_in_file_order() {
    let got: Vec<(K, usize)> = errors(&fixture("five_mistakes.toml"))
        .iter()
        .map(|d| (d.kind, d.line))
        .collect();
    // Lines marked "mistake 1..5" in the fixture.
    let want = vec![
        (K::BadNumber, 4),
        (K::UnknownReference, 17),
        (K::BadNumber, 20),
        (K::UnknownKey, 22),
        (K::EndsBeforeStart, 45),
    ];
    assert_eq!(got, want);
}

const TINY: &str = r#"
[scenario]
name = "tiny"

[[node]]
id = "a"
country = "X"

[[node]]
id = "b"
country = "Y"

[[link]]
id = "ab"
from = "a"
to = "b"
mode = "road"
capacity_t_per_day = 100.0
cost_usd_per_t = 1.0
transit_days = 1.0

[[product]]
id = "p"
value_usd_per_t = 10.0

[[supply]]
product = "p"
node = "b"
t_per_day = 1.0

[[demand]]
product = "p"
node = "a"
t_per_day = 1.0
"#;

#[test]
fn unreachable_demand_is_a_warning_unless_the_link_runs_both_ways() {
    let path = root().join("tests/fixtures/tiny.toml");
    // The only link runs a -> b; supply is at b and demand at a (line 32 of TINY).
    let (s, warnings) = scenario::from_toml_str(TINY, &path).unwrap();
    assert_eq!(s.nodes.len(), 2);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].kind, K::Unreachable);
    assert_eq!(warnings[0].severity, Severity::Warning);
    assert_eq!(
        warnings[0].line,
        TINY.lines().position(|l| l == "[[demand]]").unwrap() + 1
    );
    // load() drops warnings; Scenario::check finds the same warning.
    assert_eq!(s.check().unwrap().len(), 1);

    let both = TINY.replace("mode = \"road\"", "mode = \"road\"\nboth_ways = true");
    let (_, warnings) = scenario::from_toml_str(&both, &path).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn defaults_apply_when_keys_are_absent() {
    let path = root().join("tests/fixtures/tiny.toml");
    let (s, _) = scenario::from_toml_str(TINY, &path).unwrap();
    let st = &s.settings;
    assert_eq!(
        st.start,
        chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
    );
    assert_eq!(
        (st.days, st.reaction_days, st.queue_patience_days),
        (365, 2, 7)
    );
    assert_eq!((st.order_patience_days, st.abandon_after_days), (30, 30));
    assert_eq!((st.truck_payload_t, st.discount_rate), (25.0, 0.05));
    assert_eq!(s.nodes[0].name, "a");
    assert!(s.links[0].crossing, "X -> Y crosses a border");
    assert!(!s.links[0].both_ways);
    // Supply price and demand value default to the product's value.
    assert_eq!(s.supplies[0].price_usd_per_t, 10.0);
    assert_eq!(s.demands[0].value_usd_per_t, 10.0);
    assert_eq!(s.products[0].holding_cost_per_day, 0.0);
    assert_eq!(s.source.as_deref(), Some(path.as_path()));
}

#[test]
fn the_starter_scenario_uses_every_feature() {
    let path = root().join("scenarios/starter.toml");
    let (s, warnings) = scenario::load_with_warnings(&path).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(s.nodes.len() <= 25);
    let countries: std::collections::HashSet<&str> =
        s.nodes.iter().map(|n| n.country.as_str()).collect();
    assert!(countries.len() >= 3);
    for m in [Mode::Road, Mode::Rail, Mode::Sea, Mode::Air] {
        assert!(s.links.iter().any(|l| l.mode == m), "{m:?}");
    }
    assert!(s.links.iter().any(|l| l.both_ways));
    assert!(s.links.iter().any(|l| !l.both_ways));
    let dirs: Vec<Direction> = s
        .links
        .iter()
        .flat_map(|l| l.charges.iter().map(|c| c.direction))
        .collect();
    for d in [Direction::Forward, Direction::Backward, Direction::Both] {
        assert!(dirs.contains(&d), "{d:?}");
    }
    assert!(s.corridors.iter().any(|c| c.links.len() > 1));
    assert!(s.products.len() >= 3);
    assert!(s.products.iter().any(|p| p.perishability.is_some()));
    assert!(s.supplies.iter().any(|x| x.seasonality.is_some()));
    let two_origins = s.products.iter().enumerate().any(|(i, _)| {
        let nodes: std::collections::HashSet<_> = s
            .supplies
            .iter()
            .filter(|x| x.product.index() == i)
            .map(|x| x.node)
            .collect();
        nodes.len() >= 2
    });
    assert!(two_origins);
    // Demand rows: those in the TOML plus one per data line of the CSV table.
    let toml = std::fs::read_to_string(&path).unwrap();
    let csv = std::fs::read_to_string(root().join("scenarios/starter/demand.csv")).unwrap();
    let n = toml.matches("[[demand]]").count()
        + csv.lines().filter(|l| !l.trim().is_empty()).count()
        - 1;
    assert_eq!(s.demands.len(), n);
    // Closures by date and by day, with end and duration, with a ramp and a trickle.
    assert!(toml.contains("\nstart = ") && toml.contains("\nstart_day = "));
    assert!(toml.contains("\nend = ") && toml.contains("\nduration_days = "));
    assert!(s.closures.iter().any(|c| c.ramp_days > 0));
    assert!(s.closures.iter().any(|c| c.capacity_factor > 0.0));
    let mut dists = [false; 4];
    for p in &s.processes {
        let i = match p.duration {
            DurationDist::Exponential { .. } => 0,
            DurationDist::LogNormal { .. } => 1,
            DurationDist::Gamma { .. } => 2,
            DurationDist::Empirical { .. } => 3,
        };
        dists[i] = true;
    }
    assert_eq!(dists, [true; 4]);
    assert!(!s.shocks.is_empty());
    assert_eq!(s.regimes.as_ref().map(|r| r.states.len()), Some(3));
    assert!(s.check().is_ok());
}

#[test]
fn a_closure_given_by_end_date_lasts_until_the_day_before_it_reopens() {
    let s = Scenario::load(root().join("scenarios/starter.toml")).unwrap();
    // Torkham: start 2024-02-21, end (reopens) 2024-03-15: 2024 is a leap year, so
    // 8 days left in February + 14 in March = 23 days closed.
    let c = &s.closures[0];
    assert_eq!(s.target_name(c.target), "torkham");
    assert_eq!(c.start_day, 31 + 20);
    assert_eq!(c.duration_days, 23);
}

#[test]
fn twoland_is_a_generic_two_country_network() {
    let s = scenario::load(root().join("scenarios/twoland.toml")).unwrap();
    let countries: std::collections::BTreeSet<&str> =
        s.nodes.iter().map(|n| n.country.as_str()).collect();
    assert_eq!(
        countries.into_iter().collect::<Vec<_>>(),
        vec!["Alpha", "Beta"]
    );
    assert!(s.check().unwrap().is_empty());
}

#[test]
fn checksum_is_sha256_of_the_toml_then_the_csv_tables() {
    use sha2::{Digest, Sha256};
    let s = scenario::load(root().join("scenarios/starter.toml")).unwrap();
    let mut h = Sha256::new();
    h.update(std::fs::read(root().join("scenarios/starter.toml")).unwrap());
    h.update(std::fs::read(root().join("scenarios/starter/demand.csv")).unwrap());
    let want: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(s.checksum, want);
}

#[test]
fn check_finds_problems_in_an_edited_scenario() {
    let mut s = scenario::load(root().join("scenarios/twoland.toml")).unwrap();
    s.links[0].capacity_t_per_day = f64::NAN;
    s.supplies[0].node = chokepoint::network::NodeId(99);
    s.products[0].holding_cost_per_day = 2.0;
    let e = s.check().unwrap_err();
    let kinds: Vec<K> = e.errors().map(|d| d.kind).collect();
    assert!(kinds.contains(&K::BadNumber), "{kinds:?}");
    assert!(kinds.contains(&K::UnknownReference), "{kinds:?}");
    assert!(kinds.contains(&K::OutOfRange), "{kinds:?}");
    assert!(e.diagnostics.iter().all(|d| d.line == 0));
}

/// A hand-built scenario's seasonal closures are checked as the loader checks them: a
/// target that does not exist, one longer than a year, one that states a belief, one
/// dated centuries away; the engine refuses the scenario instead of panicking.
#[test]
fn check_finds_bad_seasonal_closures() {
    use chokepoint::closure::{ClosureWindow, Target};
    let mut s = scenario::load(root().join("scenarios/twoland.toml")).unwrap();
    let w = ClosureWindow {
        target: Target::Link(chokepoint::network::LinkId(0)),
        start_day: 10,
        duration_days: 30,
        capacity_factor: 0.0,
        ramp_days: 0,
        label: None,
        expected_closure_days: None,
    };
    s.seasonal = vec![w.clone()];
    s.check().unwrap();
    s.seasonal = vec![
        ClosureWindow {
            target: Target::Link(chokepoint::network::LinkId(999)),
            ..w.clone()
        },
        ClosureWindow {
            duration_days: 300,
            ramp_days: 66,
            ..w.clone()
        },
        ClosureWindow {
            expected_closure_days: Some(5.0),
            ..w.clone()
        },
        ClosureWindow {
            start_day: i64::MAX / 2,
            ..w
        },
    ];
    let e = s.check().unwrap_err();
    let msgs: Vec<String> = e.errors().map(|d| d.message.clone()).collect();
    assert_eq!(msgs.len(), 4, "{msgs:#?}");
    for (i, what) in [
        "target",
        "more than a year",
        "expected_closure_days",
        "100 years",
    ]
    .iter()
    .enumerate()
    {
        assert!(
            msgs.iter()
                .any(|m| m.contains(&format!("seasonal closure {i}")) && m.contains(what)),
            "{what}: {msgs:#?}"
        );
    }
    assert!(chokepoint::sim::Engine::new(&s).is_err());
}

/// `seasonal = true` puts a closure among the seasonal ones (normal conditions), not the
/// fixed ones a risk study leaves out: the Wakhan road's winter, from its option file,
/// shuts the pass from 15 November for 150 days every year; its security risk stays a
/// random process.
#[test]
fn the_wakhan_winter_is_a_seasonal_closure() {
    let dir = root().join("scenarios/afghanistan/options");
    let base = scenario::load(root().join("scenarios/afghanistan/base.toml")).unwrap();
    for file in ["wakhan_road.toml", "portfolio_non_pakistan.toml"] {
        let (opt, s) = scenario::load_option(dir.join(file)).unwrap();
        assert!(opt
            .changes
            .iter()
            .any(|c| matches!(c, Change::AddSeasonal(w) if w.duration_days == 150)));
        assert_eq!(s.closures, base.closures, "{file}");
        assert_eq!(s.seasonal.len(), 1, "{file}");
        assert!(s.processes.iter().all(|p| p.id != "wakhan_winter"));
        assert!(s.processes.iter().any(|p| p.id == "wakhan_security"));
        let road = s.link("wakhan_road").unwrap();
        let day = |y, m, d| s.day_of(chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap());
        for (date, shut) in [
            (day(2024, 1, 1), true),
            (day(2024, 4, 12), true),
            (day(2024, 4, 13), false),
            (day(2024, 11, 14), false),
            (day(2024, 11, 15), true),
            (day(2025, 4, 13), true),
            (day(2025, 4, 14), false),
        ] {
            assert_eq!(s.seasonal_factor(road, date), if shut { 0.0 } else { 1.0 });
        }
        assert_eq!(
            s.seasonal_factor(s.link("kunduz_ishkashim").unwrap(), 0),
            1.0
        );
    }
}

#[test]
fn the_starter_option_applies_its_changes() {
    let base = scenario::load(root().join("scenarios/starter.toml")).unwrap();
    let (opt, s) = scenario::load_option(root().join("scenarios/starter-option.toml")).unwrap();
    assert_eq!(opt.name, "khaf_herat_rail");
    assert_eq!(opt.capital_cost_usd, 3.0e8);
    assert_eq!(s.nodes.len(), base.nodes.len() + 1);
    assert_eq!(s.links.len(), base.links.len() + 2);
    // herat_khaf_rail went into a new corridor khaf_herat.
    let c = s.corridor("khaf_herat").expect("new corridor");
    assert_eq!(
        s.corridors[c.index()].links,
        vec![s.link("herat_khaf_rail").unwrap()]
    );
    // Two expansions; the first starts 2024-07-01 = day 182 (2024 is a leap year).
    assert_eq!(s.expansions.len(), 2);
    assert_eq!(
        s.expansions[0].link,
        s.link("hairatan_termez_rail").unwrap()
    );
    assert_eq!(s.expansions[0].start_day, 182);
    let rail = s.link("peshawar_karachi_rail").unwrap();
    assert_eq!(s.links[rail.index()].cost_usd_per_t, 25.0);
    assert!(matches!(opt.changes[0], Change::AddNode(_)));
    assert_ne!(s.checksum, base.checksum);
    // apply() on the base gives the same network.
    let again = opt.apply(&base).unwrap();
    assert_eq!(again.links, s.links);
    assert_eq!(again.expansions, s.expansions);
}

#[test]
fn option_errors_point_into_the_option_file() {
    let path = fixture("invalid/option_unknown_link.toml");
    let e = match scenario::load_option(&path) {
        Err(Error::Scenario(e)) => e,
        other => panic!("{other:?}"),
    };
    let errs: Vec<_> = e.errors().collect();
    assert_eq!(errs.len(), 1, "{e}");
    assert_eq!((errs[0].kind, errs[0].line), (K::UnknownReference, 8));
    assert_eq!(errs[0].file, path);
    assert_eq!(
        errs[0].hint.as_deref(),
        Some("did you mean `north_crossing`?")
    );

    let path = fixture("invalid/option_missing_base.toml");
    let e = match scenario::load_option(&path) {
        Err(Error::Scenario(e)) => e,
        other => panic!("{other:?}"),
    };
    let errs: Vec<_> = e.errors().collect();
    assert_eq!((errs[0].kind, errs[0].line), (K::Io, 3));
    // A scenario file is not an option, and vice versa.
    assert!(scenario::load_option(root().join("scenarios/twoland.toml")).is_err());
    assert!(scenario::load(root().join("scenarios/starter-option.toml")).is_err());
}

#[test]
fn unreadable_files_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("garbage.toml");
    std::fs::write(&bin, b"[scenario]\nname = \"x\"\n\xff\xfe\x00garbage").unwrap();
    let d = diagnostics(&bin);
    assert_eq!((d[0].kind, d[0].line), (K::Syntax, 3));
    let d = diagnostics(&dir.path().join("missing.toml"));
    assert_eq!(d[0].kind, K::Io);
    let d = diagnostics(dir.path());
    assert_eq!(d[0].kind, K::Io);
    let empty = dir.path().join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    let kinds: Vec<K> = diagnostics(&empty).iter().map(|d| d.kind).collect();
    assert!(
        kinds.contains(&K::MissingKey) && kinds.contains(&K::Empty),
        "{kinds:?}"
    );
}

// --- CLI ---------------------------------------------------------------------------------

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn cli_validate_accepts_the_shipped_files() {
    let o = cli(&[
        "validate",
        "scenarios/starter.toml",
        "scenarios/twoland.toml",
        "scenarios/starter-option.toml",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out.matches("ok: ").count(), 3, "{out}");
    assert!(
        out.contains("ok: scenarios/twoland.toml (scenario: 6 nodes, 6 links"),
        "{out}"
    );
}

#[test]
fn cli_validate_reports_every_error_with_file_and_line() {
    let o = cli(&[
        "validate",
        "scenarios/twoland.toml",
        "tests/fixtures/five_mistakes.toml",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    for line in [4, 17, 20, 22, 45] {
        assert!(
            err.contains(&format!(
                "tests/fixtures/five_mistakes.toml:{line}: error: "
            )),
            "{err}"
        );
    }
    assert!(err.contains("did you mean"), "{err}");
}

#[test]
fn cli_validate_never_panics_on_garbage() {
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = Vec::new();
    let mut junk = Vec::new();
    let mut x: u32 = 12345;
    for _ in 0..4096 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        junk.push((x >> 16) as u8);
    }
    for (name, bytes) in [
        ("binary.toml", junk.clone()),
        ("empty.toml", Vec::new()),
        ("nul.toml", vec![0u8; 100]),
        ("latin1.toml", b"[scenario]\nname = \"caf\xe9\"\n".to_vec()),
        (
            "deep.toml",
            "a = "
                .bytes()
                .chain(std::iter::repeat_n(b'[', 5000))
                .collect(),
        ),
        ("half.toml", b"[scenario]\nname = \"x".to_vec()),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        files.push(p);
    }
    files.push(dir.path().join("does_not_exist.toml"));
    files.push(dir.path().to_path_buf());
    for f in &files {
        let o = cli(&["validate", f.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{}: {}", f.display(), stderr(&o));
        assert!(stderr(&o).contains(f.to_str().unwrap()), "{}", stderr(&o));
    }
    let o = cli(&["info", files[0].to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn cli_info_shows_capacity_trade_and_closures() {
    let o = cli(&["info", "scenarios/twoland.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    // North corridor: 5,000 t/day at 25 t/truck = 200 trucks/day.
    let north = out
        .lines()
        .find(|l| l.trim_start().starts_with("north "))
        .unwrap();
    assert!(north.contains("5,000") && north.contains("200"), "{north}");
    // Value of trade: grain 3000 t x 380 + cloth 300 t x 4500 = 2,490,000 USD/day.
    assert!(out.contains("2,490,000 USD/day"), "{out}");
    assert!(out.contains("North crossing shut"), "{out}");
    let o = cli(&["info", "scenarios/starter.toml"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("pakistan_crisis") && out.contains("conflict"),
        "{out}"
    );
}

#[test]
fn cli_help_has_examples() {
    for cmd in ["validate", "info"] {
        let o = cli(&[cmd, "--help"]);
        assert_eq!(o.status.code(), Some(0));
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            (out.contains("Example:") || out.contains("Examples:"))
                && out.contains(&format!("chokepoint {cmd} ")),
            "{out}"
        );
    }
}

// --- The reference covers every key ------------------------------------------------------

#[test]
fn the_scenario_reference_documents_every_accepted_key() {
    let doc = std::fs::read_to_string(root().join("docs/scenario-reference.md")).unwrap();
    let mut missing = Vec::new();
    for (table, keys) in scenario::ACCEPTED_KEYS {
        // The section "### <table>" up to the next heading.
        let heading = format!("### {table}\n");
        let Some(start) = doc.find(&heading) else {
            missing.push(format!("section `### {table}`"));
            continue;
        };
        let rest = &doc[start + heading.len()..];
        let section = &rest[..rest.find("\n#").unwrap_or(rest.len())];
        for key in *keys {
            if !section.contains(&format!("| `{key}` |")) {
                missing.push(format!("{table}.{key}"));
            }
        }
    }
    assert!(missing.is_empty(), "not documented: {missing:?}");
}

// --- Mutated scenarios never make the loader panic ------------------------------------------

const SHIPPED: &[&str] = &["scenarios/starter.toml", "scenarios/twoland.toml"];

const REPLACEMENTS: &[&str] = &[
    "\"x\"",
    "-1",
    "0",
    "1e400",
    "-inf",
    "nan",
    "[]",
    "{}",
    "true",
    "2024-13-01",
    "\"2024-02-30\"",
    "99999999999999999999",
    "[1, \"a\"]",
    "{ dist = \"gamma\" }",
    "\"\"",
    "1.5",
    "\"torkam\"",
    "[\"torkham\", \"torkham\"]",
];

#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(usize),
    ReplaceValue(usize, usize),
    Truncate(usize),
    Insert(usize, String),
    DuplicateLine(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::DeleteLine),
        (any::<usize>(), 0..REPLACEMENTS.len()).prop_map(|(l, r)| Mutation::ReplaceValue(l, r)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), "(\\PC|[\\[\\]{}=\"#,\n]){0,12}")
            .prop_map(|(p, s)| Mutation::Insert(p, s)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
    ]
}

fn mutate(text: &str, muts: &[Mutation]) -> String {
    let mut t = text.to_string();
    for m in muts {
        let lines: Vec<&str> = t.lines().collect();
        let n = lines.len().max(1);
        t = match m {
            Mutation::DeleteLine(i) => {
                let i = i % n;
                lines
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| *k != i)
                    .map(|(_, l)| *l)
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            Mutation::DuplicateLine(i) => {
                let i = i % n;
                let mut v: Vec<&str> = lines.clone();
                if let Some(l) = lines.get(i) {
                    v.insert(i, l);
                }
                v.join("\n")
            }
            Mutation::ReplaceValue(i, r) => {
                // The i-th line that has "key = value" gets another value.
                let with_eq: Vec<usize> = (0..lines.len())
                    .filter(|&k| lines[k].contains(" = "))
                    .collect();
                if with_eq.is_empty() {
                    t.clone()
                } else {
                    let k = with_eq[i % with_eq.len()];
                    let key = lines[k].split(" = ").next().unwrap_or("");
                    let new = format!("{key} = {}", REPLACEMENTS[*r]);
                    let mut v: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
                    v[k] = new;
                    v.join("\n")
                }
            }
            Mutation::Truncate(p) => {
                let b = t.as_bytes();
                String::from_utf8_lossy(&b[..p % (b.len() + 1)]).into_owned()
            }
            Mutation::Insert(p, s) => {
                let mut at = p % (t.len() + 1);
                while !t.is_char_boundary(at) {
                    at -= 1;
                }
                let mut u = t.clone();
                u.insert_str(at, s);
                u
            }
        };
    }
    t
}

proptest! {
    #![proptest_config(ProptestConfig {
        // 200 by default (fast in debug); PROPTEST_CASES=20000 for a longer hunt.
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(200),
        ..ProptestConfig::default()
    })]

    /// Whatever is done to a shipped scenario, the loader returns (a scenario or errors,
    /// never a panic); what it accepts also passes `Scenario::check`; and every error
    /// names a line inside the file or CSV table.
    #[test]
    fn mutated_scenarios_load_or_fail_cleanly(
        which in 0..SHIPPED.len(),
        muts in prop::collection::vec(mutation(), 1..4),
    ) {
        let path = root().join(SHIPPED[which]);
        let text = std::fs::read_to_string(&path).unwrap();
        let mutated = mutate(&text, &muts);
        match scenario::from_toml_str(&mutated, &path) {
            Ok((s, _)) => {
                prop_assert!(s.check().is_ok(), "{:?}", s.check());
            }
            Err(Error::Scenario(e)) => {
                prop_assert!(e.errors().count() >= 1);
                let n_lines = mutated.lines().count().max(1) + 1;
                for d in &e.diagnostics {
                    if d.file == path {
                        prop_assert!(d.line <= n_lines, "{d} beyond {n_lines} lines");
                    }
                }
            }
            Err(e) => prop_assert!(false, "unexpected error kind: {e}"),
        }
    }

    /// The same for the CSV table of the starter and for the starter option file.
    #[test]
    fn mutated_csv_tables_and_options_load_or_fail_cleanly(
        muts in prop::collection::vec(mutation(), 1..4),
        option in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let starter = std::fs::read_to_string(root().join("scenarios/starter.toml")).unwrap();
        let csv = std::fs::read_to_string(root().join("scenarios/starter/demand.csv")).unwrap();
        std::fs::create_dir(dir.path().join("starter")).unwrap();
        std::fs::write(dir.path().join("starter.toml"), &starter).unwrap();
        let result = if option {
            let opt = std::fs::read_to_string(root().join("scenarios/starter-option.toml")).unwrap();
            std::fs::write(dir.path().join("starter/demand.csv"), &csv).unwrap();
            let path = dir.path().join("option.toml");
            std::fs::write(&path, mutate(&opt, &muts)).unwrap();
            scenario::load_option(&path).map(|(_, s)| s)
        } else {
            std::fs::write(dir.path().join("starter/demand.csv"), mutate(&csv, &muts)).unwrap();
            scenario::load(dir.path().join("starter.toml"))
        };
        match result {
            Ok(s) => prop_assert!(s.check().is_ok(), "{:?}", s.check()),
            Err(Error::Scenario(e)) => prop_assert!(e.errors().count() >= 1),
            Err(e) => prop_assert!(false, "unexpected error kind: {e}"),
        }
    }
}

#[test]
fn every_table_kind_can_come_from_csv() {
    let s = scenario::load(fixture("csv/scenario.toml")).unwrap();
    let ids: Vec<&str> = s.nodes.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(
        ids,
        ["hub", "east", "port"],
        "TOML rows first, then CSV rows"
    );
    assert_eq!(s.nodes[1].name, "East Town");
    assert_eq!(s.nodes[2].name, "port", "empty cell: default name = id");
    assert_eq!(s.links.len(), 2);
    let (a, b) = (&s.links[0], &s.links[1]);
    assert!(a.both_ways && a.charges.is_empty() && !a.crossing);
    assert_eq!(
        (b.mode, b.cost_usd_per_t, b.crossing),
        (Mode::Rail, 7.5, false)
    );
    assert_eq!(b.charges.len(), 1);
    assert_eq!(
        (b.charges[0].country.as_str(), b.charges[0].usd_per_t),
        ("Y", 3.0)
    );
    assert_eq!(b.charges[0].direction, Direction::Backward);
    let p = s.products[0].perishability.expect("fruit perishes");
    assert_eq!(
        (p.grace_days, p.loss_per_day, p.shelf_life_days),
        (1.0, 0.2, 8.0)
    );
    assert!(s.products[1].perishability.is_none());
    assert_eq!(s.products[1].priority, 0);
    let season = s.supplies[0].seasonality.expect("seasonal");
    assert_eq!(season[5], 2.0);
    assert_eq!(
        s.supplies[0].price_usd_per_t, 600.0,
        "default: the product's value"
    );
    assert_eq!(s.demands[1].value_usd_per_t, 900.0);
    // 2024-01-11 is day 10; it reopens 2024-01-16, so 5 days closed.
    let c = &s.closures[0];
    assert_eq!(
        (c.start_day, c.duration_days, c.capacity_factor, c.ramp_days),
        (10, 5, 0.25, 2)
    );
    assert_eq!(s.target_name(c.target), "east");
    assert_eq!(s.target_name(s.closures[1].target), "hub_east");
    assert_eq!(
        (s.closures[1].start_day, s.closures[1].duration_days),
        (40, 3)
    );
    assert_eq!(s.closures[1].label.as_deref(), Some("by day"));
}

#[test]
fn csv_tables_from_spreadsheets_byte_order_mark_and_semicolons() {
    let dir = tempfile::tempdir().unwrap();
    let toml = TINY.replace(
        "[scenario]\nname = \"tiny\"",
        "[scenario]\nname = \"tiny\"\n[tables]\ndemand = \"d.csv\"",
    );
    let path = dir.path().join("s.toml");
    std::fs::write(&path, &toml).unwrap();
    // A byte-order mark before the header is ignored.
    std::fs::write(
        dir.path().join("d.csv"),
        b"\xef\xbb\xbfproduct,node,t_per_day\np,b,2\n",
    )
    .unwrap();
    let s = scenario::load(&path).unwrap();
    assert_eq!(s.demands.len(), 2);
    // Semicolon-separated files get a hint about commas, on line 1 of the CSV.
    std::fs::write(dir.path().join("d.csv"), "product;node;t_per_day\np;b;2\n").unwrap();
    let e = errors(&path);
    assert_eq!((e[0].kind, e[0].line), (K::UnknownKey, 1));
    assert_eq!(e[0].file, dir.path().join("d.csv"));
    assert!(
        e[0].hint.as_deref().unwrap_or("").contains("commas"),
        "{}",
        e[0]
    );
}

#[test]
fn node_positions_are_optional_both_or_neither_and_in_range() {
    let s = scenario::load(root().join("scenarios/afghanistan/base.toml")).unwrap();
    assert!(s.nodes.iter().all(|n| n.position.is_some()));
    let kabul = s.nodes.iter().find(|n| n.id == "kabul").unwrap();
    let p = kabul.position.unwrap();
    assert!((p.lon - 69.17).abs() < 1e-9 && (p.lat - 34.53).abs() < 1e-9);
    let twoland = scenario::load(root().join("scenarios/twoland.toml")).unwrap();
    assert!(twoland.nodes.iter().all(|n| n.position.is_none()));

    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("scenarios/twoland.toml")).unwrap();
    // Line 12 is `id = "alpha_city"`: one node with lat only, one with lon out of range.
    let bad = text
        .replacen(
            "id = \"alpha_city\"\n",
            "id = \"alpha_city\"\nlat = 10.0\n",
            1,
        )
        .replacen(
            "id = \"alpha_north_post\"\n",
            "id = \"alpha_north_post\"\nlon = 200.0\nlat = 1.0\n",
            1,
        );
    let path = dir.path().join("twoland.toml");
    std::fs::write(&path, bad).unwrap();
    let errs = errors(&path);
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert_eq!(errs[0].kind, K::MissingKey);
    assert!(errs[0].message.contains("`lon`"), "{}", errs[0].message);
    assert_eq!(errs[1].kind, K::OutOfRange);
    assert!(
        errs[1].message.contains("`lon` = 200"),
        "{}",
        errs[1].message
    );
}
