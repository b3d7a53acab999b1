//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path under `tests/fixtures`.
pub fn fixture(rel: &str) -> PathBuf {
    root().join("tests/fixtures").join(rel)
}

/// Run the `chokepoint` binary with these arguments.
pub fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chokepoint"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the chokepoint binary runs")
}

/// The rows of a CSV file as maps column -> cell.
pub fn csv_rows(path: &std::path::Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            h.iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

/// Re-sign the files of a shard's `shard.json` in `dir` (after a test edited them), so
/// that what a merge reads is the edited file itself.
pub fn resign(dir: &std::path::Path) {
    use chokepoint::output::manifest::{FileRecord, Manifest};
    let path = dir.join("shard.json");
    let mut m = Manifest::read(&path).unwrap();
    for f in &mut m.files {
        *f = FileRecord::of_file(dir, &f.name).unwrap();
    }
    m.write(&path).unwrap();
}

/// `result` is an `Error::File` at `line` and `column` of `path` whose message holds
/// `text`.
pub fn assert_file_error<T: std::fmt::Debug>(
    result: Result<T, chokepoint::Error>,
    path: &std::path::Path,
    line: u64,
    column: &str,
    text: &str,
) {
    match result {
        Err(chokepoint::Error::File {
            path: p,
            line: l,
            column: c,
            message,
        }) => {
            assert_eq!((p.as_path(), l, c.as_deref()), (path, line, Some(column)));
            assert!(message.contains(text), "{message}");
        }
        other => panic!("expected a file error, got {other:?}"),
    }
}
