//! Replaying one run of a Monte Carlo study: its closure windows as `closures.csv`
//! recorded them, and its row of `runs.csv` to check the replay against.
//!
//! A run's result is a function of its closures alone (the engine's fast path and its
//! reference agree, and the routing optimum is canonical), so re-simulating the recorded
//! windows gives the row `runs.csv` holds for the run.

use std::collections::BTreeMap;
use std::path::Path;

use crate::closure::{ClosureWindow, Target};
use crate::error::Error;
use crate::scenario::Scenario;
use crate::sim::RunMetrics;

use super::output::scalar_columns;

/// What a study recorded of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRun {
    /// The run's index.
    pub run: u64,
    /// Its closure windows (fixed and sampled), as simulated.
    pub closures: Vec<ClosureWindow>,
    /// Its row of `runs.csv`: column name -> value as written.
    pub row: BTreeMap<String, String>,
}

fn read_csv(dir: &Path, name: &str) -> Result<(Vec<String>, Vec<csv::StringRecord>), Error> {
    let path = dir.join(name);
    let bad = |e: csv::Error| Error::Invalid(format!("{}: {e}", path.display()));
    let mut r = csv::Reader::from_path(&path).map_err(|e| match e.into_kind() {
        csv::ErrorKind::Io(source) => Error::Io {
            path: path.clone(),
            source,
        },
        other => Error::Invalid(format!("{}: {other:?}", path.display())),
    })?;
    let header = r
        .headers()
        .map_err(bad)?
        .iter()
        .map(str::to_string)
        .collect();
    let rows = r.records().collect::<Result<Vec<_>, _>>().map_err(bad)?;
    Ok((header, rows))
}

/// Read run `run` of the study in `dir` (its `closures.csv` and `runs.csv`), with its
/// windows' targets resolved against `scenario` (the study's scenario, with its window).
///
/// # Errors
/// [`Error::Io`] if a file cannot be read; [`Error::Invalid`] if the study has no such
/// run, a row is malformed, or a target is not in `scenario`.
pub fn recorded_run(dir: &Path, run: u64, scenario: &Scenario) -> Result<RecordedRun, Error> {
    let (header, rows) = read_csv(dir, "runs.csv")?;
    let runs_path = dir.join("runs.csv");
    let row = rows
        .iter()
        .find(|r| r.get(0) == Some(run.to_string().as_str()))
        .ok_or_else(|| {
            Error::Invalid(format!(
                "{}: the study has no run {run} (runs are numbered from 0; it has {} rows)",
                runs_path.display(),
                rows.len()
            ))
        })?;
    let row: BTreeMap<String, String> = header
        .iter()
        .cloned()
        .zip(row.iter().map(str::to_string))
        .collect();
    let (header, rows) = read_csv(dir, "closures.csv")?;
    let path = dir.join("closures.csv");
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::Invalid(format!("{}: no column `{name}`", path.display())))
    };
    let (c_run, c_target, c_start, c_dur, c_factor, c_ramp, c_label) = (
        col("run")?,
        col("target")?,
        col("start_day")?,
        col("duration_days")?,
        col("capacity_factor")?,
        col("ramp_days")?,
        col("label")?,
    );
    let mut closures = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        if r.get(c_run) != Some(run.to_string().as_str()) {
            continue;
        }
        let line = i + 2;
        let field = |c: usize| r.get(c).unwrap_or("");
        let bad = |what: &str| {
            Error::Invalid(format!(
                "{} line {line}: {what} `{}` is not valid",
                path.display(),
                r.iter().collect::<Vec<_>>().join(",")
            ))
        };
        let id = field(c_target);
        let target = if let Some(c) = scenario.corridor(id) {
            Target::Corridor(c)
        } else if let Some(l) = scenario.links.iter().position(|l| l.id == id) {
            Target::Link(crate::network::LinkId(l as u32))
        } else {
            return Err(Error::Invalid(format!(
                "{} line {line}: `{id}` is neither a corridor nor a link of {}",
                path.display(),
                scenario.settings.name
            )));
        };
        let label = field(c_label);
        closures.push(ClosureWindow {
            target,
            start_day: field(c_start).parse().map_err(|_| bad("start_day"))?,
            duration_days: field(c_dur).parse().map_err(|_| bad("duration_days"))?,
            capacity_factor: field(c_factor)
                .parse()
                .map_err(|_| bad("capacity_factor"))?,
            ramp_days: field(c_ramp).parse().map_err(|_| bad("ramp_days"))?,
            label: (!label.is_empty()).then(|| label.to_string()),
            expected_closure_days: None,
        });
    }
    Ok(RecordedRun { run, closures, row })
}

/// The columns of a recorded `runs.csv` row whose value differs from `metrics` by more
/// than `rel` (relative to the larger) plus 1e-6: (column, recorded, replayed). Empty
/// when the replay reproduces the row.
pub fn row_differences(
    row: &BTreeMap<String, String>,
    metrics: &RunMetrics,
    rel: f64,
) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (name, value) in scalar_columns(metrics, row.keys()) {
        let recorded = row.get(&name).map(String::as_str).unwrap_or("");
        let same = match (recorded.parse::<f64>().ok(), value) {
            (Some(a), Some(b)) => (a - b).abs() <= rel * a.abs().max(b.abs()) + 1e-6,
            (None, None) => recorded.is_empty(),
            _ => false,
        };
        if !same {
            let replayed = value.map_or(String::new(), |v| v.to_string());
            out.push((name, recorded.to_string(), replayed));
        }
    }
    out
}
