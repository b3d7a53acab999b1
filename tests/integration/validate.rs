//! `chokepoint validate` knows every kind of file the tool reads, from its content: each
//! kind valid and invalid, futures and sets checked against their base scenario.

use std::fs;
use std::path::Path;

use crate::common::{cli, fixture, root};

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Runs `validate` with `args`: exit 0 and every `want` in stdout.
fn passes(args: &[&str], want: &[&str]) {
    let mut a = vec!["validate"];
    a.extend_from_slice(args);
    let o = cli(&a);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    for w in want {
        assert!(
            stdout(&o).contains(w),
            "{args:?}: no {w:?} in {}",
            stdout(&o)
        );
    }
}

/// Runs `validate` with `args`: exit 2, no panic, every `want` in stderr.
fn fails(args: &[&str], want: &[&str]) {
    let mut a = vec!["validate"];
    a.extend_from_slice(args);
    let o = cli(&a);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    for w in want {
        assert!(err.contains(w), "{args:?}: no {w:?} in {err}");
    }
}

#[test]
fn every_shipped_kind_of_file_is_recognised_and_valid() {
    let afg = root().join("scenarios/afghanistan");
    let base = afg.join("base.toml");
    passes(
        &[
            p(&base),
            p(&afg.join("futures.toml")),
            p(&afg.join("criticality/sets.toml")),
            p(&afg.join("options/chabahar.toml")),
            p(&afg.join("priors.toml")),
            p(&afg.join("closures-2021-2024.csv")),
            p(&root().join("examples/closures.csv")),
        ],
        &[
            "(scenario: ",
            "futures.toml (futures file: 3 future(s): calm_2021_22",
            "sets.toml (sets file: ",
            &format!("checked against {}", base.display()),
            "chabahar.toml (option: over its base: ",
            "priors.toml (priors file: 4 prior(s): settings.reaction_days, ",
            "closures-2021-2024.csv (closure log: ",
            "examples/closures.csv (closures table: ",
        ],
    );
    // --base instead of the order of the files.
    passes(
        &["--base", p(&base), p(&afg.join("futures.toml"))],
        &["(futures file: 3 future(s)"],
    );
}

#[test]
fn the_issue_repro_futures_alone_asks_for_its_base() {
    // Was: "the scenario file has no `scenario`".
    let f = root().join("scenarios/afghanistan/futures.toml");
    fails(
        &[p(&f)],
        &[
            "futures.toml: a futures file is checked against its base scenario",
            "--base",
        ],
    );
    let o = cli(&["validate", p(&f)]);
    assert!(!stderr(&o).contains("no `scenario`"), "{}", stderr(&o));
    assert!(!stderr(&o).contains(":0:"), "{}", stderr(&o));
}

#[test]
fn the_kind_comes_from_the_content_not_the_name() {
    let tmp = tempfile::tempdir().unwrap();
    // A futures file named like a scenario, a sets file with a .txt name, a log named .toml.
    let fut = tmp.path().join("scenario.toml");
    fs::copy(fixture("compare/futures.toml"), &fut).unwrap();
    let sets = tmp.path().join("sets.txt");
    fs::copy(fixture("criticality/sets.toml"), &sets).unwrap();
    let log = tmp.path().join("log.toml");
    fs::copy(
        root().join("scenarios/afghanistan/closures-2021-2024.csv"),
        &log,
    )
    .unwrap();
    let base = fixture("criticality/only_route.toml");
    let twoland = fixture("montecarlo/twoland_random_fixed.toml");
    let option = fixture("options/risk.toml");
    passes(
        &[p(&twoland), p(&option), p(&fut)],
        &["scenario.toml (futures file: 2 future(s): calm, crisis"],
    );
    passes(&[p(&base), p(&sets)], &["sets.txt (sets file: "]);
    passes(&[p(&log)], &["log.toml (closure log: "]);
}

#[test]
fn each_kind_invalid_gives_every_problem_with_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let twoland = fixture("montecarlo/twoland_random_fixed.toml");
    // Futures: an unknown process and a bad scale, each with its line.
    let fut = tmp.path().join("fut.toml");
    fs::write(
        &fut,
        "[[future]]\nname = \"a\"\nrate_scale = -1\n\n[[future]]\nname = \"b\"\n\
         [[future.process]]\nid = \"nort\"\n",
    )
    .unwrap();
    fails(
        &[p(&twoland), p(&fut)],
        &[
            "fut.toml: 2 problem(s)",
            "line 1: future `a`: `rate_scale` = -1: expected a positive number",
            "line 5: future `b`: [[future.process]] `nort`",
        ],
    );
    // Sets: an unknown corridor, with file and line and a hint.
    fails(
        &[
            p(&fixture("criticality/only_route.toml")),
            p(&fixture("criticality/bad_sets.toml")),
        ],
        &["bad_sets.toml:3: unknown corridor \"sout\" in set \"grain\"; did you mean \"south\"?"],
    );
    // A closure log: an unknown column, and a row without a start.
    let log = tmp.path().join("log.csv");
    fs::write(
        &log,
        "corridor,start,end,dayz\nchaman,2021-10-05,2021-11-02,28\n",
    )
    .unwrap();
    fails(
        &[p(&log)],
        &[
            "log.csv:1:",
            "unknown column \"dayz\"; did you mean \"days\"?",
        ],
    );
    fs::write(
        &log,
        "corridor,start,end,censored\nchaman,2021-10-05,2021-11-02,no\n\
         torkham,2022-13-01,2022-07-03,no\nChaman,2023-01-01,2023-01-02,no\n",
    )
    .unwrap();
    fails(
        &[p(&log)],
        &[
            "log.csv:3:",
            "is not a date",
            "log.csv:4:",
            "is not an id",
            "(2 errors)",
        ],
    );
    // A scenario and an option: their loaders' diagnostics, as before.
    fails(
        &[p(&fixture("five_mistakes.toml"))],
        &["five_mistakes.toml:", "invalid: "],
    );
    // A priors file: a misspelt parameter, with its line and a "did you mean"; alone, it
    // asks for its base.
    let priors = tmp.path().join("priors.toml");
    fs::write(
        &priors,
        "# priors\n[[uncertain]]\nparam = \"settings.reaction_dayz\"\ndist = \"choice\"\n\
         values = [1, 2]\nsource = \"E\"\n",
    )
    .unwrap();
    fails(
        &[p(&twoland), p(&priors)],
        &["priors.toml:3:", "settings.reaction_days"],
    );
    fails(
        &[p(&priors)],
        &["priors.toml: a priors file is checked against its base scenario"],
    );
    // A closures table: a corridor the base does not have, with its line.
    let table = tmp.path().join("table.csv");
    fs::write(
        &table,
        "corridor,start,days\nnorth,2024-02-01,5\nnowhere,2024-03-01,5\n",
    )
    .unwrap();
    fails(&[p(&twoland), p(&table)], &["table.csv:3:", "nowhere"]);
    // The other files of a list are still checked after a failure.
    let o = cli(&["validate", p(&fut), p(&twoland)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stdout(&o).contains("twoland_random_fixed.toml (scenario: "),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_missing_file_is_named_without_a_line() {
    let o = cli(&["validate", "no/such/file.toml"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("no/such/file.toml"), "{err}");
    assert!(err.contains("No such file"), "{err}");
    assert!(!err.contains(":0:"), "{err}");
    // The issue's repro: a missing scenario was reported at line 0 by every command.
    for cmd in ["run", "info"] {
        let o = cli(&[cmd, "no/such/file.toml"]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains("no/such/file.toml: error: cannot read the file"),
            "{err}"
        );
    }
}
