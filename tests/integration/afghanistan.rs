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
