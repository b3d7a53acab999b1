//! Closures as data: a table of closure windows (CSV, one row a closure), as researchers
//! keep closure scenarios, read into the closure specs that `--close` takes.
//!
//! The columns, by name, in any order (blank cells count as missing; lines starting with
//! `#` are comments):
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `corridor` | yes | a corridor id, or a link id (corridors first), as in `--close` |
//! | `start` | yes | the first closed day: a date (`2024-09-01`) or a 0-based day index |
//! | `days` | one of `days`, `end` | how many days it stays closed (a whole number ≥ 1) |
//! | `end` | one of `days`, `end` | the date it reopens (its first open day) |
//! | `factor` | no | the capacity factor while closed, in [0, 1) (0 = shut, the default) |
//!
//! Each row becomes the spec `corridor:start+days@factor` (or `corridor:start..end@factor`),
//! checked against the scenario; every bad row is reported at once with the file, its line
//! and what would be right. The specs are what a study records in its manifest, so a study
//! given a table is reproduced from its manifest like one given `--close`.
//!
//! ```
//! use chokepoint::scenario::closures_from_csv;
//! let mut scenario = chokepoint::Scenario::empty("x");
//! scenario.corridors.push(chokepoint::network::Corridor {
//!     id: "torkham".into(), name: "Torkham".into(), links: vec![],
//!     reaction_days: None, expected_closure_days: None });
//! let table = "corridor,start,days,end,factor\n\
//!              torkham,2024-09-01,14,,\n\
//!              torkham,2024-10-01,,2024-10-05,0.1\n";
//! let specs = closures_from_csv(&scenario, table.as_bytes(), "closures.csv")?;
//! assert_eq!(specs, ["torkham:2024-09-01+14", "torkham:2024-10-01..2024-10-05@0.1"]);
//! let err = closures_from_csv(&scenario, "corridor,start,days\ntorkam,2024-09-01,3\n".as_bytes(), "c.csv")
//!     .unwrap_err();
//! assert!(err.to_string().contains("c.csv:2: error"));
//! assert!(err.to_string().contains("did you mean \"torkham\""));
//! # Ok::<(), chokepoint::Error>(())
//! ```

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Diagnostic, DiagnosticKind, ScenarioErrors, Severity};
use crate::{Error, Scenario};

use super::window::parse_close_spec;

/// The columns a closures table may have.
pub const CLOSURE_COLUMNS: [&str; 5] = ["corridor", "start", "days", "end", "factor"];

/// The closure spec (`--close` syntax) of one closure given as data: `days` or `end` (the
/// reopening date, the first open day), and an optional capacity factor. Checked only for
/// its shape; [`parse_close_spec`] checks it against a scenario.
pub fn closure_spec(
    corridor: &str,
    start: &str,
    days: Option<&str>,
    end: Option<&str>,
    factor: Option<&str>,
) -> Result<String, String> {
    let (corridor, start) = (corridor.trim(), start.trim());
    if corridor.is_empty() {
        return Err("the corridor is missing".into());
    }
    if start.is_empty() {
        return Err("the start (a date YYYY-MM-DD or a day index) is missing".into());
    }
    let range = match (days.map(str::trim), end.map(str::trim)) {
        (Some(d), None) => format!("{start}+{d}"),
        (None, Some(e)) => format!("{start}..{e}"),
        (Some(_), Some(_)) => {
            return Err("both days and end are given; give one of them".into());
        }
        (None, None) => {
            return Err("neither days nor end is given; give one of them".into());
        }
    };
    Ok(match factor.map(str::trim) {
        Some(f) => format!("{corridor}:{range}@{f}"),
        None => format!("{corridor}:{range}"),
    })
}

/// Read a closures table from `path` (see the module docs) into checked closure specs.
pub fn read_closures_csv(scenario: &Scenario, path: &Path) -> Result<Vec<String>, Error> {
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    closures_from_csv(scenario, file, path)
}

/// Read a closures table (see the module docs) from `reader`, `file` naming it in
/// messages, into closure specs checked against `scenario`.
pub fn closures_from_csv(
    scenario: &Scenario,
    reader: impl Read,
    file: impl AsRef<Path>,
) -> Result<Vec<String>, Error> {
    let file = file.as_ref();
    let mut problems = Vec::new();
    let mut specs = Vec::new();
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .flexible(false)
        .from_reader(reader);
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            let line = e.position().map_or(1, |p| p.line() as usize);
            problems.push(csv_problem(file, line, &e));
            return Err(ScenarioErrors {
                diagnostics: problems,
            }
            .into());
        }
    };
    let mut col = [None; 5];
    for (i, h) in headers.iter().enumerate() {
        match CLOSURE_COLUMNS
            .iter()
            .position(|c| c.eq_ignore_ascii_case(h))
        {
            Some(k) if col[k].is_none() => col[k] = Some(i),
            Some(_) => problems.push(diagnostic(
                file,
                1,
                DiagnosticKind::DuplicateId,
                format!("the column {h:?} appears twice"),
                None,
            )),
            None => problems.push(diagnostic(
                file,
                1,
                DiagnosticKind::UnknownKey,
                format!("unknown column {h:?}"),
                Some(format!("the columns are {}", CLOSURE_COLUMNS.join(", "))),
            )),
        }
    }
    for (k, name) in CLOSURE_COLUMNS.iter().enumerate().take(2) {
        if col[k].is_none() {
            problems.push(diagnostic(
                file,
                1,
                DiagnosticKind::MissingKey,
                format!("the column {name:?} is missing"),
                Some(format!("the columns are {}", CLOSURE_COLUMNS.join(", "))),
            ));
        }
    }
    if col[2].is_none() && col[3].is_none() {
        problems.push(diagnostic(
            file,
            1,
            DiagnosticKind::MissingKey,
            "neither a \"days\" nor an \"end\" column".into(),
            Some("give each closure's length in days, or its reopening date in end".into()),
        ));
    }
    if !problems.is_empty() {
        return Err(ScenarioErrors {
            diagnostics: problems,
        }
        .into());
    }
    let cell = |rec: &csv::StringRecord, k: usize| -> Option<String> {
        col[k]
            .and_then(|i| rec.get(i))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                problems.push(csv_problem(file, line, &e));
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line() as usize);
        let (corridor, start) = (
            cell(&rec, 0).unwrap_or_default(),
            cell(&rec, 1).unwrap_or_default(),
        );
        let (days, end, factor) = (cell(&rec, 2), cell(&rec, 3), cell(&rec, 4));
        let spec = match closure_spec(
            &corridor,
            &start,
            days.as_deref(),
            end.as_deref(),
            factor.as_deref(),
        ) {
            Ok(s) => s,
            Err(m) => {
                problems.push(diagnostic(file, line, DiagnosticKind::MissingKey, m, None));
                continue;
            }
        };
        match parse_close_spec(scenario, &spec) {
            Ok(_) => specs.push(spec),
            Err(e) => problems.push(diagnostic(
                file,
                line,
                DiagnosticKind::Inconsistent,
                e.to_string(),
                None,
            )),
        }
    }
    if problems.is_empty() {
        Ok(specs)
    } else {
        Err(ScenarioErrors {
            diagnostics: problems,
        }
        .into())
    }
}

fn diagnostic(
    file: &Path,
    line: usize,
    kind: DiagnosticKind,
    message: String,
    hint: Option<String>,
) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        kind,
        file: PathBuf::from(file),
        line,
        message,
        hint,
    }
}

fn csv_problem(file: &Path, line: usize, e: &csv::Error) -> Diagnostic {
    diagnostic(
        file,
        line,
        DiagnosticKind::Syntax,
        format!("not a readable CSV row: {e}"),
        Some("every row needs as many cells as the header".into()),
    )
}
