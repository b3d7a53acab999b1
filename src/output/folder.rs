//! Output folders: checked before any work, cleared of chokepoint's own files only, and
//! finished by the manifest.
//!
//! [`prepare`] runs before a command computes anything: the folder must be creatable
//! and writable and not a file, and may hold outputs only of the very same study (same
//! manifest but for the files and the number of runs done). Whatever chokepoint wrote
//! there before is then removed ([`OWN_FILES`], and temporary files of an interrupted
//! write), the manifest first, so a folder never mixes two studies. Commands write the
//! manifest last: a folder without `manifest.json` (or `shard.json`) is an unfinished
//! study, whatever else it holds.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::Manifest;
use crate::error::Error;

/// Every file name chokepoint writes into an output folder (the only files it ever
/// removes there).
pub const OWN_FILES: &[&str] = &[
    // every command
    "manifest.json",
    "timing.json",
    // run
    "run.csv",
    "welfare.csv",
    "daily.csv",
    "prices.csv",
    // montecarlo (also prices.csv)
    "runs.csv",
    "price_runs.csv",
    "corridors.csv",
    "crossings.csv",
    "trade.csv",
    "closures.csv",
    "summary.csv",
    "exceedance.csv",
    "daily_bands.csv",
    "convergence.csv",
    // montecarlo --shard
    "shard.json",
    "daily_runs.csv",
    // compare
    "compare_runs.csv",
    "differences.csv",
    "wins.csv",
    "best.csv",
    "tail.csv",
    "diversion.csv",
    "revenue.csv",
    "benefit_cost.csv",
    "futures.csv",
    "robustness.csv",
    // criticality
    "criticality.csv",
    "contributions.csv",
    "contribution_runs.csv",
    "contribution_summary.csv",
];

/// The manifest files, one of which marks a finished study (`shard.json` a shard's).
pub const MANIFEST_FILES: [&str; 2] = ["manifest.json", "shard.json"];

fn io_err(path: &Path, source: io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Whether `name` is one of chokepoint's files, or the temporary of one
/// (`.NAME.tmpPID`, see [`super::write_atomic`]).
fn is_own(name: &str) -> bool {
    if OWN_FILES.contains(&name) {
        return true;
    }
    name.strip_prefix('.')
        .and_then(|n| n.split_once(".tmp"))
        .is_some_and(|(base, pid)| {
            OWN_FILES.contains(&base) && pid.chars().all(|c| c.is_ascii_digit())
        })
}

/// Chokepoint's files in `dir` (sorted), or none when it does not exist.
pub fn own_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(dir, e)),
    };
    let mut out = Vec::new();
    for e in entries {
        let e = e.map_err(|e| io_err(dir, e))?;
        let name = e.file_name();
        if is_own(&name.to_string_lossy()) && e.file_type().is_ok_and(|t| t.is_file()) {
            out.push(e.path());
        }
    }
    out.sort();
    Ok(out)
}

/// What `dir` holds, if it holds the outputs of a study other than `study`.
fn other_study(dir: &Path, study: &Manifest, own: &[PathBuf]) -> Option<String> {
    if own.is_empty() {
        return None;
    }
    let Some(path) = MANIFEST_FILES
        .iter()
        .map(|m| dir.join(m))
        .find(|p| p.is_file())
    else {
        return Some(format!(
            "{} file(s) of chokepoint with no manifest (an unfinished or interrupted study)",
            own.len()
        ));
    };
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let theirs = match Manifest::read(&path) {
        Ok(m) => m,
        Err(_) => {
            return Some(format!(
                "the outputs of another study ({name} is not of this version's layout)"
            ))
        }
    };
    study
        .first_difference(&theirs, &["files", "montecarlo.runs"])
        .map(|d| {
            format!(
                "the outputs of another study ({} `{}` on {}; its {name} differs in {})",
                theirs.command, theirs.scenario.name, theirs.window.start, d
            )
        })
}

/// Check and prepare the output folder `dir` for `study`, before any work (see the
/// module docs). With `force`, a folder holding another study's outputs is cleared of
/// chokepoint's files instead of refused ([`Error::FolderInUse`]). Files chokepoint
/// does not write are never touched.
pub fn prepare(dir: &Path, study: &Manifest, force: bool) -> Result<(), Error> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::Invalid(format!(
            "the output folder {} is a file, not a folder; choose another output folder",
            dir.display()
        )));
    }
    fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    // Writable? (A read-only folder fails here, not after the work.)
    let probe = dir.join(format!(".chokepoint-write-test.tmp{}", std::process::id()));
    fs::write(&probe, b"").map_err(|e| io_err(&probe, e))?;
    let _ = fs::remove_file(&probe);
    let own = own_files(dir)?;
    if let Some(reason) = other_study(dir, study, &own) {
        if !force {
            return Err(Error::FolderInUse {
                dir: dir.to_path_buf(),
                reason,
            });
        }
    }
    // The manifests first: from here on the folder is visibly unfinished.
    let (manifests, rest): (Vec<_>, Vec<_>) = own.into_iter().partition(|p| {
        p.file_name()
            .is_some_and(|n| MANIFEST_FILES.iter().any(|m| n == *m))
    });
    for p in manifests.iter().chain(&rest) {
        fs::remove_file(p).map_err(|e| io_err(p, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_names_and_their_temporaries() {
        assert!(is_own("runs.csv"));
        assert!(is_own(".runs.csv.tmp123"));
        assert!(!is_own("notes.txt"));
        assert!(!is_own(".runs.csv.tmpx"));
        assert!(!is_own("runs.csv.bak"));
    }
}
