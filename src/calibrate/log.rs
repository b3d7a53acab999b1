//! The closure log: one row per recorded closure episode (CSV), read with every problem
//! reported with its line.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;

use crate::error::{Diagnostic, DiagnosticKind, Error, ScenarioErrors, Severity};

/// One recorded closure episode.
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    /// Corridor (or link) id.
    pub corridor: String,
    /// First closed day.
    pub start: NaiveDate,
    /// Days shut (a lower bound when `censored`).
    pub days: u32,
    /// Still shut when last reported: the true duration is at least `days`.
    pub censored: bool,
    /// Capacity factor while shut (default 0).
    pub capacity_factor: f64,
    /// 1-based line in the CSV file.
    pub line: usize,
}

/// The columns a closure log may have. `corridor`, `start` and one of `end`/`days` are
/// required; `end` is the reopening date (first open day), as in scenario closures.
pub const COLUMNS: [&str; 10] = [
    "corridor",
    "start",
    "end",
    "days",
    "censored",
    "capacity_factor",
    "trucks_stranded",
    "date_quality",
    "source",
    "notes",
];

/// Read a closure log from a file. Every problem is reported with its line.
pub fn read_log(path: &Path) -> Result<Vec<Episode>, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_log(&text, path)
}

/// Parse a closure log (CSV text); `file` is used in messages.
pub fn parse_log(text: &str, file: &Path) -> Result<Vec<Episode>, Error> {
    let mut dg = Diags {
        file,
        list: Vec::new(),
    };
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            dg.err(
                1,
                DiagnosticKind::Syntax,
                format!("cannot read the header row: {e}"),
                None,
            );
            return Err(ScenarioErrors {
                diagnostics: dg.list,
            }
            .into());
        }
    };
    let col = columns(&headers, &mut dg);
    let mut out = Vec::new();
    if dg.list.is_empty() {
        for rec in rdr.records() {
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line() as usize);
                    dg.err(
                        line,
                        DiagnosticKind::Syntax,
                        format!("bad CSV row: {e}"),
                        None,
                    );
                    continue;
                }
            };
            if let Some(e) = episode(&rec, &col, &mut dg) {
                out.push(e);
            }
        }
    }
    if dg.list.is_empty() && out.is_empty() {
        dg.err(
            1,
            DiagnosticKind::Empty,
            "the closure log has no episodes".into(),
            None,
        );
    }
    if dg.list.is_empty() {
        Ok(out)
    } else {
        Err(ScenarioErrors {
            diagnostics: dg.list,
        }
        .into())
    }
}

struct Diags<'a> {
    file: &'a Path,
    list: Vec<Diagnostic>,
}

impl Diags<'_> {
    fn err(&mut self, line: usize, kind: DiagnosticKind, message: String, hint: Option<String>) {
        self.list.push(Diagnostic {
            severity: Severity::Error,
            kind,
            file: self.file.to_path_buf(),
            line,
            message,
            hint,
        });
    }
}

/// The columns of a closure log's header row, by name; every unknown or missing column
/// reported in `dg` (line 1).
fn columns(headers: &csv::StringRecord, dg: &mut Diags<'_>) -> BTreeMap<String, usize> {
    let mut col = BTreeMap::new();
    for (i, h) in headers.iter().enumerate() {
        if COLUMNS.contains(&h) {
            col.insert(h.to_string(), i);
        } else {
            let near = COLUMNS
                .iter()
                .max_by(|a, b| strsim::jaro_winkler(a, h).total_cmp(&strsim::jaro_winkler(b, h)))
                .filter(|c| strsim::jaro_winkler(c, h) > 0.8);
            dg.err(
                1,
                DiagnosticKind::UnknownKey,
                format!("unknown column \"{h}\""),
                Some(match near {
                    Some(c) => format!("did you mean \"{c}\"?"),
                    None => format!("known columns: {}", COLUMNS.join(", ")),
                }),
            );
        }
    }
    for req in ["corridor", "start"] {
        if !col.contains_key(req) {
            dg.err(
                1,
                DiagnosticKind::MissingKey,
                format!("missing column \"{req}\""),
                None,
            );
        }
    }
    if !col.contains_key("end") && !col.contains_key("days") {
        dg.err(
            1,
            DiagnosticKind::MissingKey,
            "missing column \"end\" or \"days\"".into(),
            Some("give the reopening date (end) or the number of days shut (days)".into()),
        );
    }
    col
}

/// One row of a closure log: the episode it records, or `None` after reporting its
/// problems in `dg` (every problem of the row, each with its line).
fn episode(
    rec: &csv::StringRecord,
    col: &BTreeMap<String, usize>,
    dg: &mut Diags<'_>,
) -> Option<Episode> {
    let line = rec.position().map_or(0, |p| p.line() as usize);
    let get = |c: &str| col.get(c).and_then(|&i| rec.get(i)).unwrap_or("");
    let corridor = get("corridor").to_string();
    let id_ok = !corridor.is_empty()
        && corridor
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !id_ok {
        dg.err(
            line,
            DiagnosticKind::WrongType,
            format!("corridor \"{corridor}\" is not an id"),
            Some("use lower-case letters, digits and _ (e.g. torkham)".into()),
        );
    }
    let date = |c: &str, v: &str| {
        NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
            (
                DiagnosticKind::BadDate,
                format!("{c} \"{v}\" is not a date"),
                Some("write dates as YYYY-MM-DD, e.g. 2024-01-13".to_string()),
            )
        })
    };
    let start = match date("start", get("start")) {
        Ok(d) => Some(d),
        Err((k, m, h)) => {
            dg.err(line, k, m, h);
            None
        }
    };
    let end = match get("end") {
        "" => None,
        v => match date("end", v) {
            Ok(d) => Some(d),
            Err((k, m, h)) => {
                dg.err(line, k, m, h);
                None
            }
        },
    };
    let days = match get("days") {
        "" => None,
        v => match v.parse::<u32>() {
            Ok(d) if d >= 1 => Some(d),
            _ => {
                dg.err(
                    line,
                    DiagnosticKind::BadNumber,
                    format!("days \"{v}\" is not a whole number of days >= 1"),
                    None,
                );
                None
            }
        },
    };
    let censored = match get("censored").to_ascii_lowercase().as_str() {
        "" | "no" | "false" | "0" => false,
        "yes" | "true" | "1" => true,
        v => {
            dg.err(
                line,
                DiagnosticKind::WrongType,
                format!("censored \"{v}\" is not yes/no"),
                Some("write yes when the closure was still going on when last reported".into()),
            );
            false
        }
    };
    let capacity_factor = match get("capacity_factor") {
        "" => 0.0,
        v => match v.parse::<f64>() {
            Ok(f) if (0.0..1.0).contains(&f) => f,
            _ => {
                dg.err(
                    line,
                    DiagnosticKind::OutOfRange,
                    format!("capacity_factor \"{v}\" is not a number in [0, 1)"),
                    None,
                );
                0.0
            }
        },
    };
    let start = start?;
    let days = match (end, days) {
        (Some(e), d) => {
            let span = (e - start).num_days();
            if span < 1 {
                dg.err(
                    line,
                    DiagnosticKind::EndsBeforeStart,
                    format!("end {e} is not after start {start}"),
                    Some("end is the reopening date (first open day)".into()),
                );
                return None;
            }
            if let Some(d) = d {
                if i64::from(d) != span {
                    dg.err(
                        line,
                        DiagnosticKind::Inconsistent,
                        format!("days = {d} but {start} .. {e} is {span} days"),
                        Some("end is the reopening date: days = end - start".into()),
                    );
                    return None;
                }
            }
            span as u32
        }
        (None, Some(d)) => d,
        (None, None) => {
            dg.err(
                line,
                DiagnosticKind::MissingKey,
                "neither end nor days given".into(),
                Some(
                    "give the reopening date or the days shut (a lower bound with censored = yes)"
                        .into(),
                ),
            );
            return None;
        }
    };
    id_ok.then_some(Episode {
        corridor,
        start,
        days,
        censored,
        capacity_factor,
        line,
    })
}
