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

use super::output::{scalar_columns, ClosureCsvRow};
use crate::study::output::{columns_of, read_rows};

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

/// Read run `run` of the study in `dir` (its `closures.csv` and `runs.csv`), with its
/// windows' targets resolved against `scenario` (the study's scenario, with its window).
///
/// # Errors
/// [`Error::Io`] if a file cannot be read; [`Error::Invalid`] if the study has no such
/// run; [`Error::File`] (naming the line and column) if a row is malformed or a target
/// is not in `scenario`.
pub fn recorded_run(dir: &Path, run: u64, scenario: &Scenario) -> Result<RecordedRun, Error> {
    let runs_path = dir.join("runs.csv");
    let key = run.to_string();
    let (mut rows, mut found) = (0usize, None);
    read_rows(&runs_path, &["run"], |_, row: BTreeMap<String, String>| {
        rows += 1;
        if found.is_none() && row.get("run") == Some(&key) {
            found = Some(row);
        }
        Ok(())
    })?;
    let row = found.ok_or_else(|| {
        Error::Invalid(format!(
            "{}: the study has no run {run} (runs are numbered from 0; it has {rows} rows)",
            runs_path.display()
        ))
    })?;
    let path = dir.join("closures.csv");
    let mut closures = Vec::new();
    let columns = columns_of::<ClosureCsvRow>();
    read_rows(&path, columns, |line, r: ClosureCsvRow| {
        if r.run != run {
            return Ok(());
        }
        let target = if let Some(c) = scenario.corridor(&r.target) {
            Target::Corridor(c)
        } else if let Some(l) = scenario.links.iter().position(|l| l.id == r.target) {
            Target::Link(crate::network::LinkId(l as u32))
        } else {
            return Err(Error::File {
                path: path.clone(),
                line,
                column: Some("target".into()),
                message: format!(
                    "`{}` is neither a corridor nor a link of {}",
                    r.target, scenario.settings.name
                ),
            });
        };
        closures.push(ClosureWindow {
            target,
            start_day: r.start_day,
            duration_days: r.duration_days,
            capacity_factor: r.capacity_factor,
            ramp_days: r.ramp_days,
            label: (!r.label.is_empty()).then_some(r.label),
            expected_closure_days: None,
        });
        Ok(())
    })?;
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
