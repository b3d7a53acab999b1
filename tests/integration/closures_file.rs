//! Closures as data: `--closures FILE.csv` on run, montecarlo and compare.

use super::common::cli;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A table's rows act exactly as the same `--close` specs: the same run.csv and daily.csv
/// bytes, and the manifest records the specs (so the study is reproduced without the file).
#[test]
fn a_closures_table_runs_as_its_close_specs() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("closures.csv");
    std::fs::write(
        &table,
        "# two closures of the twoland scenario\n\
         corridor,start,days,end,factor\n\
         north,2024-02-01,14,,\n\
         south, 2024-02-10 ,,2024-02-20,0.1\n",
    )
    .unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let o = cli(&[
        "run",
        "scenarios/twoland.toml",
        "--no-fixed-closures",
        "--closures",
        table.to_str().unwrap(),
        "--out",
        a.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = cli(&[
        "run",
        "scenarios/twoland.toml",
        "--no-fixed-closures",
        "--close",
        "north:2024-02-01+14",
        "--close",
        "south:2024-02-10..2024-02-20@0.1",
        "--out",
        b.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in ["run.csv", "daily.csv"] {
        let (x, y) = (
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
        );
        assert!(x == y, "{f} differs between --closures and --close");
    }
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(a.join("manifest.json")).unwrap()).unwrap();
    let close = m.to_string();
    assert!(close.contains("north:2024-02-01+14"), "{close}");
    assert!(
        close.contains("south:2024-02-10..2024-02-20@0.1"),
        "{close}"
    );
    // The closures changed the run: the table was not ignored.
    let run = std::fs::read_to_string(a.join("run.csv")).unwrap();
    let loss = run
        .lines()
        .find(|l| l.starts_with("total,,total_loss_usd,"))
        .unwrap_or_else(|| panic!("no total_loss_usd row in run.csv:\n{run}"));
    let v: f64 = loss.rsplit(',').next().unwrap().parse().unwrap_or(0.0);
    assert!(v > 0.0, "{loss}");
}

/// Every bad row is reported at once, with the file and its line, and nothing is written.
#[test]
fn a_bad_closures_table_names_each_row() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("bad.csv");
    std::fs::write(
        &table,
        "corridor,start,days,end\n\
         nort,2024-02-01,14,\n\
         north,2024-02-01,,\n\
         south,2024-02-01,3,2024-02-05\n\
         south,2024-02-31,3,\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    for cmd in ["run", "montecarlo"] {
        let o = cli(&[
            cmd,
            "scenarios/twoland.toml",
            "--closures",
            table.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{cmd}: {}", stderr(&o));
        let e = stderr(&o);
        let name = table.display().to_string();
        assert!(
            e.contains(&format!("{name}:2: error")) && e.contains("did you mean \"north\""),
            "{e}"
        );
        assert!(
            e.contains(&format!("{name}:3: error: neither days nor end")),
            "{e}"
        );
        assert!(
            e.contains(&format!("{name}:4: error: both days and end")),
            "{e}"
        );
        assert!(
            e.contains(&format!("{name}:5: error")) && e.contains("2024-02-31"),
            "{e}"
        );
        assert!(
            !out.exists(),
            "{cmd} wrote {} after a bad --closures",
            out.display()
        );
    }
    // An unknown column is named with the columns there are.
    std::fs::write(&table, "corridor,start,days,note\nnorth,2024-02-01,3,x\n").unwrap();
    let o = cli(&[
        "run",
        "scenarios/twoland.toml",
        "--closures",
        table.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(
            "unknown column \"note\"; the columns are corridor, start, days, end, factor"
        ),
        "{}",
        stderr(&o)
    );
    // A missing file says so.
    let o = cli(&["run", "scenarios/twoland.toml", "--closures", "no/such.csv"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no/such.csv"), "{}", stderr(&o));
}

/// The README's example table runs on the shipped scenario.
#[test]
fn the_readme_closures_table_reads() {
    let s =
        chokepoint::Scenario::load(super::common::root().join("scenarios/afghanistan/base.toml"))
            .unwrap();
    let specs = chokepoint::scenario::read_closures_csv(
        &s,
        &super::common::root().join("examples/closures.csv"),
    )
    .unwrap();
    assert_eq!(
        specs,
        ["torkham:2024-09-01+14", "chaman:2024-09-01..2024-10-01@0.1"]
    );
}
