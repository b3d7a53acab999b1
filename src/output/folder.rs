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
    "controlled.csv",
    "controls.csv",
    // montecarlo --shard
    "shard.json",
    "daily_runs.csv",
    "control_features.csv",
    "control_draws.csv",
    // fit
    "posterior.csv",
    "generations.csv",
    "particles.csv",
    "predictive.csv",
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
    "warnings.csv",
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

/// The mark chokepoint puts in the head of every HTML report it writes; a report file is
/// chokepoint's own (and may be replaced) only if it carries it.
pub const REPORT_MARK: &str = "<meta name=\"generator\" content=\"chokepoint report\">";

/// Whether the file at `path` is an HTML report chokepoint wrote (it carries
/// [`REPORT_MARK`] in its first kilobytes).
pub fn is_own_report(path: &Path) -> bool {
    use std::io::Read as _;
    let mut head = Vec::with_capacity(4096);
    fs::File::open(path)
        .and_then(|f| f.take(4096).read_to_end(&mut head))
        .is_ok_and(|_| String::from_utf8_lossy(&head).contains(REPORT_MARK))
}

/// What a file in an output folder is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    /// Chokepoint wrote it: a manifest, a file the manifest lists with the same checksum,
    /// `timing.json` beside a manifest, a marked report, or a temporary of an interrupted
    /// write.
    Own,
    /// One of chokepoint's file names, but no manifest vouches for it (an interrupted
    /// study, or a file of the user's): replaced only with `force`.
    Unverified(&'static str),
    /// Not chokepoint's: never removed or replaced.
    Foreign(String),
}

/// Every file of a folder with its verdict, and the folder's manifest.
type Survey = (Vec<(PathBuf, Verdict)>, Option<Manifest>);

/// The files of an output folder, sorted by name, each with its [`Verdict`] (hidden
/// files other than chokepoint's temporaries, and sub-folders, are left out: chokepoint
/// writes neither), and the folder's manifest if it has one it can read.
fn survey(dir: &Path) -> Result<Survey, Error> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((Vec::new(), None)),
        Err(e) => return Err(io_err(dir, e)),
    };
    let mut files = Vec::new();
    for e in entries {
        let e = e.map_err(|e| io_err(dir, e))?;
        if !e.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && !is_own(&name) {
            continue;
        }
        files.push((e.path(), name));
    }
    files.sort();
    let manifest = MANIFEST_FILES
        .iter()
        .map(|m| dir.join(m))
        .find(|p| p.is_file())
        .and_then(|p| Manifest::read(&p).ok());
    let listed = |name: &str| {
        manifest
            .as_ref()
            .and_then(|m| m.files.iter().find(|f| f.name == name))
    };
    let mut out = Vec::with_capacity(files.len());
    for (path, name) in files {
        let verdict = if name.starts_with('.') {
            Verdict::Own
        } else if let Some(record) = listed(&name) {
            let bytes = fs::read(&path).map_err(|e| io_err(&path, e))?;
            if super::manifest::sha256_hex(&bytes) == record.sha256 {
                Verdict::Own
            } else {
                Verdict::Foreign(format!(
                    "changed since chokepoint wrote it (its SHA-256 is not the one {} lists)",
                    manifest_name(dir)
                ))
            }
        } else if MANIFEST_FILES.contains(&name.as_str()) {
            if manifest.is_some() {
                Verdict::Own
            } else {
                Verdict::Unverified("not a manifest this version of chokepoint can read")
            }
        } else if name.ends_with(".html") {
            if is_own_report(&path) {
                Verdict::Own
            } else {
                Verdict::Foreign("an HTML file chokepoint did not write (no report mark)".into())
            }
        } else if OWN_FILES.contains(&name.as_str()) {
            if manifest.is_none() {
                Verdict::Unverified("a name chokepoint writes, but no manifest lists it")
            } else if name == "timing.json" {
                Verdict::Own
            } else {
                Verdict::Unverified("a name chokepoint writes, but the manifest does not list it")
            }
        } else {
            Verdict::Foreign("chokepoint writes no file of this name".into())
        };
        out.push((path, verdict));
    }
    Ok((out, manifest))
}

/// The manifest file present in `dir` (for messages).
fn manifest_name(dir: &Path) -> &'static str {
    MANIFEST_FILES
        .iter()
        .find(|m| dir.join(m).is_file())
        .copied()
        .unwrap_or("manifest.json")
}

/// Chokepoint's files in `dir` (sorted; those the manifest vouches for, marked reports
/// and temporaries), or none when it does not exist.
pub fn own_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    Ok(survey(dir)?
        .0
        .into_iter()
        .filter(|(_, v)| *v == Verdict::Own)
        .map(|(p, _)| p)
        .collect())
}

/// `name: why` for each file, on one line each.
fn listing(files: &[(PathBuf, String)]) -> String {
    files
        .iter()
        .map(|(p, why)| {
            let name = p
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            format!("\n  {name}: {why}")
        })
        .collect()
}

/// What `dir` holds, if it holds the outputs of a study other than `study`.
fn other_study(
    dir: &Path,
    study: &Manifest,
    theirs: Option<&Manifest>,
    own: usize,
) -> Option<String> {
    if own == 0 {
        return None;
    }
    let name = manifest_name(dir);
    let theirs = theirs?;
    study
        .first_difference(theirs, &["files", "montecarlo.runs"])
        .map(|d| {
            format!(
                "the outputs of another study ({} `{}` on {}; its {name} differs in {})",
                theirs.command, theirs.scenario.name, theirs.window.start, d
            )
        })
}

/// Check and prepare the output folder `dir` for `study`, before any work (see the
/// module docs).
///
/// Each file there is chokepoint's only if its manifest lists it with the same checksum
/// (or it is the manifest, `timing.json` beside one, a report carrying [`REPORT_MARK`],
/// or a temporary of an interrupted write). A folder holding any other file is refused,
/// naming each file and why, whatever `force` says: chokepoint never mixes its outputs
/// with a user's files, nor removes them. Files with chokepoint's names that no manifest
/// vouches for (an interrupted study), or another study's outputs, are refused
/// ([`Error::FolderInUse`]) unless `force`, which removes them.
pub fn prepare(dir: &Path, study: &Manifest, force: bool) -> Result<(), Error> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::Invalid(format!(
            "the output folder {} is a file, not a folder; choose another output folder",
            dir.display()
        )));
    }
    let (files, theirs) = survey(dir)?;
    let foreign: Vec<(PathBuf, String)> = files
        .iter()
        .filter_map(|(p, v)| match v {
            Verdict::Foreign(why) => Some((p.clone(), why.clone())),
            _ => None,
        })
        .collect();
    if !foreign.is_empty() {
        return Err(Error::Invalid(format!(
            "the output folder {} holds {} file(s) chokepoint did not write, and chokepoint \
             writes only into a new or empty folder or one of its own:{}\n\
             move them away or choose another output folder (--force does not replace \
             files that are not chokepoint's)",
            dir.display(),
            foreign.len(),
            listing(&foreign)
        )));
    }
    let unverified: Vec<(PathBuf, String)> = files
        .iter()
        .filter_map(|(p, v)| match v {
            Verdict::Unverified(why) => Some((p.clone(), (*why).to_string())),
            _ => None,
        })
        .collect();
    if !unverified.is_empty() && !force {
        return Err(Error::FolderInUse {
            dir: dir.to_path_buf(),
            reason: format!(
                "{} file(s) that may not be chokepoint's (an unfinished or interrupted study, \
                 or files of yours):{}",
                unverified.len(),
                listing(&unverified)
            ),
        });
    }
    let own: Vec<PathBuf> = files
        .into_iter()
        .filter(|(_, v)| *v == Verdict::Own || force && matches!(v, Verdict::Unverified(_)))
        .map(|(p, _)| p)
        .collect();
    if let Some(reason) = other_study(dir, study, theirs.as_ref(), own.len()) {
        if !force {
            return Err(Error::FolderInUse {
                dir: dir.to_path_buf(),
                reason,
            });
        }
    }
    fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    // Writable? (A read-only folder fails here, not after the work.)
    let probe = dir.join(format!(".chokepoint-write-test.tmp{}", std::process::id()));
    fs::write(&probe, b"").map_err(|e| io_err(&probe, e))?;
    let _ = fs::remove_file(&probe);
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

/// Add the file `dir/name`, just written, to the folder's `manifest.json` (a report
/// written after the outputs): the manifest is rewritten last, so it lists every file.
pub fn add_to_manifest(dir: &Path, name: &str) -> Result<(), Error> {
    let path = dir.join("manifest.json");
    let mut manifest = Manifest::read(&path)?;
    let record = super::manifest::FileRecord::of_file(dir, name)?;
    manifest.files.retain(|f| f.name != name);
    manifest.files.push(record);
    manifest.write(&path)
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
