//! `chokepoint._lib`: the Rust side of the Python package, a thin shell over the library.
//!
//! It loads scenarios, applies parameter overrides, runs the engine and the Monte Carlo
//! (with the GIL released), and hands back the output files exactly as the CLI writes
//! them (bytes, made by the library's own writers); the Python layer (`chokepoint/`)
//! turns them into pandas frames. Errors become the exceptions of `chokepoint.errors`,
//! with the diagnostics (file, line, hint) of the library's errors.

mod estimators;
mod tables;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chokepoint::closure::{parse_date, ClosureWindow};
use chokepoint::compare::Candidate;
use chokepoint::error::{Diagnostic, Severity};
use chokepoint::montecarlo::{self as mc, controlled, Progress};
use chokepoint::output::{self, folder, Manifest};
use chokepoint::scenario::params;
use chokepoint::scenario::{apply_window, StudyClosures};
use chokepoint::scenario::{load_option, load_with_warnings, looks_like_option, ScenarioOption};
use chokepoint::sim::{Engine, Record, RunReport};
use chokepoint::study::request::{CompareRequest, CriticalityRequest, MonteCarloRequest};
use chokepoint::uncertainty::study::Config as UncertaintyConfig;
use chokepoint::{Error, Scenario};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use serde::{Deserialize, Serialize};

/// Output files by name, in the order written (the manifest last).
type Files = Vec<(String, Vec<u8>)>;

/// A diagnostic as the Python layer takes it: (severity, kind, file, line, message, hint).
type DiagTuple = (String, String, String, usize, String, Option<String>);

fn diag_tuple(d: &Diagnostic) -> DiagTuple {
    (
        match d.severity {
            Severity::Error => "error".into(),
            Severity::Warning => "warning".into(),
        },
        format!("{:?}", d.kind),
        d.file.display().to_string(),
        d.line,
        d.message.clone(),
        d.hint.clone(),
    )
}

/// An error with its causes, as `{:#}` prints them in the CLI.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}

/// The exception of `chokepoint.errors` for a library error.
fn py_err(e: Error) -> PyErr {
    let (class, diags): (&str, Vec<DiagTuple>) = match &e {
        Error::Scenario(se) => (
            "ScenarioError",
            se.diagnostics.iter().map(diag_tuple).collect(),
        ),
        Error::Sim(_) | Error::Solve(_) => ("SimulationError", Vec::new()),
        Error::Io { .. } => ("OutputError", Vec::new()),
        Error::FolderInUse { .. } => ("FolderInUseError", Vec::new()),
        Error::Invalid(_) => ("InvalidArgumentError", Vec::new()),
        Error::Cancelled => ("CancelledError", Vec::new()),
        Error::Panicked { .. } => ("EnginePanicError", Vec::new()),
        Error::File { .. } => ("FileFormatError", Vec::new()),
        _ => ("ChokepointError", Vec::new()),
    };
    error_of(class, chain(&e), diags)
}

/// An exception of `chokepoint.errors` by class name.
fn error_of(class: &str, message: String, diags: Vec<DiagTuple>) -> PyErr {
    Python::attach(|py| {
        let made = py
            .import("chokepoint.errors")
            .and_then(|m| m.getattr(class))
            .and_then(|c| c.call1((message.clone(), diags)));
        match made {
            Ok(obj) => PyErr::from_value(obj),
            Err(e) => e,
        }
    })
}

fn invalid(message: String) -> PyErr {
    error_of("InvalidArgumentError", message, Vec::new())
}

/// An option file's own facts (what `compare` needs of it), and the file.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct OptionInfo {
    option: ScenarioOption,
    /// The option file, as given to `load`.
    path: String,
}

/// What pickles a scenario: the validated scenario itself and its overrides.
#[derive(Serialize, Deserialize)]
struct Pickled {
    scenario: Scenario,
    changes: Vec<(String, f64)>,
    option: Option<OptionInfo>,
}

/// A validated scenario (or an option applied to its base), with the parameter
/// overrides applied to it since it was loaded.
#[pyclass(module = "chokepoint._lib", name = "Scenario", frozen)]
struct PyScenario {
    inner: Scenario,
    changes: Vec<(String, f64)>,
    option: Option<OptionInfo>,
}

impl PyScenario {
    /// The file it was loaded from, for messages.
    fn source_name(&self) -> String {
        self.inner
            .source
            .as_ref()
            .map_or("a scenario".into(), |p| p.display().to_string())
    }

    /// The option file's facts; an error for a scenario file.
    fn option_info(&self) -> PyResult<&OptionInfo> {
        self.option.as_ref().ok_or_else(|| {
            invalid(format!(
                "{} is a scenario, not an option file: an option names its `base` and lists \
                 its changes",
                self.source_name()
            ))
        })
    }

    /// This option (loaded from an option file) as a candidate of a study, with
    /// `scenario`, its scenario as the study runs it; an error for a scenario file.
    fn option_candidate(&self, scenario: Scenario) -> PyResult<Candidate> {
        let info = self.option_info()?;
        Ok(Candidate::of_option(&info.option, &info.path, scenario))
    }
}

#[pymethods]
impl PyScenario {
    /// Load a scenario file, or an option file applied to its base. Returns the scenario
    /// and its warnings as diagnostics.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<(PyScenario, Vec<DiagTuple>)> {
        let loaded = py.detach(|| -> Result<_, Error> {
            let is_option = std::fs::read_to_string(&path).is_ok_and(|t| looks_like_option(&t));
            if is_option {
                let (o, s) = load_option(&path)?;
                let warnings = s.check().map_err(Error::from)?;
                Ok((
                    s,
                    warnings,
                    Some(OptionInfo {
                        option: o,
                        path: path.display().to_string(),
                    }),
                ))
            } else {
                let (s, w) = load_with_warnings(&path)?;
                Ok((s, w, None))
            }
        });
        let (inner, warnings, option) = loaded.map_err(py_err)?;
        Ok((
            PyScenario {
                inner,
                changes: Vec::new(),
                option,
            },
            warnings.iter().map(diag_tuple).collect(),
        ))
    }

    /// The scenario as JSON (what pickling keeps).
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string(&Pickled {
            scenario: self.inner.clone(),
            changes: self.changes.clone(),
            option: self.option.clone(),
        })
        .map_err(|e| invalid(format!("cannot serialise the scenario: {e}")))
    }

    /// A scenario from [`to_json`]'s text.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<PyScenario> {
        let p: Pickled = serde_json::from_str(text)
            .map_err(|e| invalid(format!("not a pickled chokepoint scenario: {e}")))?;
        // The text may come from anywhere (a pickle is a file): check it as a loaded
        // scenario is checked, so that a bad id is an error, not a panic later.
        p.scenario.check().map_err(|e| py_err(Error::from(e)))?;
        Ok(PyScenario {
            inner: p.scenario,
            changes: p.changes,
            option: p.option,
        })
    }

    /// A new scenario with these overrides applied in order, checked as a whole.
    fn with_changes(&self, changes: Vec<(String, f64)>) -> PyResult<PyScenario> {
        let mut s = self.inner.clone();
        for (name, value) in &changes {
            params::set(&mut s, name, *value).map_err(|e| {
                let (unknown, msg) = (e.unknown, e.message);
                let class = if unknown {
                    "ParameterError"
                } else {
                    "InvalidArgumentError"
                };
                error_of(class, msg, Vec::new())
            })?;
        }
        s.check().map_err(|e| py_err(Error::from(e)))?;
        let mut all = self.changes.clone();
        all.extend(changes);
        Ok(PyScenario {
            inner: s,
            changes: all,
            option: self.option.clone(),
        })
    }

    /// Every parameter that `with_changes` takes: (name, value, unit, description).
    fn parameters(&self) -> Vec<(String, f64, String, String)> {
        params::list(&self.inner)
            .into_iter()
            .map(|p| (p.name, p.value, p.unit.to_string(), p.description))
            .collect()
    }

    /// One of the scenario's tables as columns: {column: list}.
    fn table<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyDict>> {
        tables::table(py, &self.inner, name)?.ok_or_else(|| {
            invalid(format!(
                "no table {name:?}; expected one of {}",
                tables::NAMES.join(", ")
            ))
        })
    }

    /// The overrides applied since loading, in order.
    #[getter]
    fn changes(&self) -> Vec<(String, f64)> {
        self.changes.clone()
    }

    /// `[scenario] name`.
    #[getter]
    fn name(&self) -> String {
        self.inner.settings.name.clone()
    }

    /// `[scenario] description`.
    #[getter]
    fn description(&self) -> String {
        self.inner.settings.description.clone()
    }

    /// Day 0, `YYYY-MM-DD`.
    #[getter]
    fn start(&self) -> String {
        self.inner.settings.start.to_string()
    }

    /// Days simulated.
    #[getter]
    fn days(&self) -> u32 {
        self.inner.settings.days
    }

    /// The file it was loaded from.
    #[getter]
    fn source(&self) -> Option<String> {
        self.inner.source.as_ref().map(|p| p.display().to_string())
    }

    /// SHA-256 of its files as loaded.
    #[getter]
    fn checksum(&self) -> String {
        self.inner.checksum.clone()
    }

    /// For an option file: its name, description, base, capital cost (USD), annual cost
    /// (USD/year), horizon (years), discount rate (per year) and path as a dict; `None`
    /// for a scenario file.
    #[getter]
    fn option<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(o) = &self.option else {
            return Ok(None);
        };
        let (path, o) = (&o.path, &o.option);
        let d = PyDict::new(py);
        d.set_item("name", &o.name)?;
        d.set_item("description", &o.description)?;
        d.set_item("base", o.base.display().to_string())?;
        d.set_item("capital_cost_usd", o.capital_cost_usd)?;
        d.set_item("annual_cost_usd", o.annual_cost_usd)?;
        d.set_item("horizon_years", o.horizon_years)?;
        d.set_item("discount_rate", self.inner.settings.discount_rate)?;
        d.set_item("path", path)?;
        Ok(Some(d))
    }

    /// The scenario as an HTML table (what `evcxr_display` shows in a Rust notebook).
    fn html(&self) -> String {
        self.inner.to_html()
    }

    /// The closure specs of a closures table (CSV: corridor, start, days or end, factor),
    /// each checked against this scenario; every bad row raises at once with its line.
    fn closures_csv(&self, path: std::path::PathBuf) -> PyResult<Vec<String>> {
        chokepoint::scenario::read_closures_csv(&self.inner, &path).map_err(py_err)
    }

    /// The closure spec of one closure given as data (see `closure_spec` in the library);
    /// checked against this scenario.
    #[pyo3(signature = (corridor, start, days=None, end=None, factor=None))]
    fn closure_spec(
        &self,
        corridor: &str,
        start: &str,
        days: Option<&str>,
        end: Option<&str>,
        factor: Option<&str>,
    ) -> PyResult<String> {
        let spec = chokepoint::scenario::closure_spec(corridor, start, days, end, factor)
            .map_err(invalid)?;
        chokepoint::scenario::parse_close_spec(&self.inner, &spec).map_err(py_err)?;
        Ok(spec)
    }
}

/// The window and closures of a study, as the CLI's `run` and `montecarlo` take them.
struct Study {
    scenario: Scenario,
    fixed: Vec<ClosureWindow>,
    extra: Vec<ClosureWindow>,
    warnings: Vec<String>,
}

fn study(
    base: &PyScenario,
    closures: &[String],
    fixed_closures: bool,
    start: Option<&str>,
    days: Option<u32>,
) -> PyResult<Study> {
    let mut s = base.inner.clone();
    let start = start
        .map(parse_date)
        .transpose()
        .map_err(|e| invalid(format!("start: {}", chain(&e))))?;
    apply_window(&mut s, start, days).map_err(py_err)?;
    let StudyClosures {
        fixed,
        extra,
        warnings,
        ..
    } = StudyClosures::of(&s, fixed_closures, closures).map_err(py_err)?;
    let warnings = warnings.iter().map(ToString::to_string).collect();
    Ok(Study {
        scenario: s,
        fixed,
        extra,
        warnings,
    })
}

fn changes_text(changes: &[(String, f64)]) -> Vec<String> {
    changes.iter().map(|(n, v)| format!("{n}={v}")).collect()
}

/// Files written into a fresh temporary folder by `write`, read back in the order
/// written, the manifest last.
fn files_of(
    write: impl FnOnce(&Path) -> Result<(), Error>,
) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let dir = tempfile::tempdir().map_err(|source| Error::Io {
        path: std::env::temp_dir(),
        source,
    })?;
    write(dir.path())?;
    let manifest = Manifest::read(&dir.path().join("manifest.json"))?;
    let mut names: Vec<String> = vec!["timing.json".into()];
    names.extend(manifest.files.iter().map(|f| f.name.clone()));
    names.push("manifest.json".into());
    names
        .into_iter()
        .map(|n| {
            let p = dir.path().join(&n);
            std::fs::read(&p)
                .map(|b| (n, b))
                .map_err(|source| Error::Io { path: p, source })
        })
        .collect()
}

fn files_dict<'py>(py: Python<'py>, files: Files) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (n, b) in files {
        d.set_item(n, PyBytes::new(py, &b))?;
    }
    Ok(d)
}

/// One deterministic run, as `chokepoint run`: returns (files, summary text, warnings),
/// the files those `chokepoint run --out` writes (`timing.json`, `run.csv`, `welfare.csv`,
/// `daily.csv`, `manifest.json`), by name.
#[pyfunction]
#[pyo3(signature = (scenario, closures, fixed_closures=true, start=None, days=None))]
fn run<'py>(
    py: Python<'py>,
    scenario: &PyScenario,
    closures: Vec<String>,
    fixed_closures: bool,
    start: Option<String>,
    days: Option<u32>,
) -> PyResult<(Bound<'py, PyDict>, String, Vec<String>)> {
    let t0 = Instant::now();
    let st = study(scenario, &closures, fixed_closures, start.as_deref(), days)?;
    let mut manifest = Manifest::new("run", &st.scenario);
    manifest.set_no_fixed_closures(!fixed_closures);
    manifest.closures.close = closures.clone();
    manifest.scenario.changes = changes_text(&scenario.changes);
    let result = py.detach(|| -> Result<(Files, String), Error> {
        let mut windows = st.fixed.clone();
        windows.extend(st.extra.iter().cloned());
        let report: RunReport = Engine::new(&st.scenario)?.run(&windows, Record::Daily)?;
        let seconds = t0.elapsed().as_secs_f64();
        let files = files_of(|dir| {
            output::write_timing(
                dir,
                &output::Timing {
                    threads: 1,
                    seconds,
                    runs_per_second: 1.0 / seconds,
                },
            )?;
            output::write_run(
                dir,
                &st.scenario,
                &report.metrics,
                report.daily.as_ref(),
                &manifest,
            )
        })?;
        Ok((files, output::summary_text(&report.metrics)))
    });
    let (files, summary) = result.map_err(py_err)?;
    Ok((files_dict(py, files)?, summary, st.warnings))
}

/// Counts finished runs for the progress bar polled from Python.
#[derive(Default)]
struct Counter {
    total: AtomicU64,
    done: AtomicU64,
}

impl Progress for Counter {
    fn start(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
    }
    fn run_done(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }
}

/// Run `work` on a thread of its own while this thread, holding the GIL only briefly
/// about ten times a second, calls `progress(done, total)` and checks for Ctrl-C. On an
/// error there (or an interrupt) it sets `stop`, which `work` checks between runs, waits
/// for `work` to give up, and raises that error.
fn drive<'py, T: Send>(
    py: Python<'py>,
    progress: Option<&Bound<'py, PyAny>>,
    counter: &Counter,
    stop: &AtomicBool,
    work: impl FnOnce() -> T + Send,
) -> PyResult<T> {
    std::thread::scope(|scope| -> PyResult<T> {
        let handle = scope.spawn(work);
        let mut failure: Option<PyErr> = None;
        loop {
            let finished = py.detach(|| {
                for _ in 0..10 {
                    if handle.is_finished() {
                        return true;
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                handle.is_finished()
            });
            if failure.is_none() {
                if let Some(cb) = progress {
                    let args = (
                        counter.done.load(Ordering::Relaxed),
                        counter.total.load(Ordering::Relaxed),
                    );
                    if let Err(e) = cb.call1(args) {
                        failure = Some(e);
                    }
                }
            }
            if failure.is_none() {
                if let Err(e) = py.check_signals() {
                    failure = Some(e);
                }
            }
            if failure.is_some() {
                stop.store(true, Ordering::Relaxed);
            }
            if finished {
                break;
            }
        }
        let result = py
            .detach(|| handle.join())
            .map_err(|_| invalid("the worker thread panicked (a bug)".into()))?;
        match failure {
            Some(e) => Err(e),
            None => Ok(result),
        }
    })
}

/// A Monte Carlo study, as `chokepoint montecarlo --out`: returns (files, warnings).
/// With `fixed_draws`, closures are drawn by `ClosureSampler::sample_fixed_draws`
/// (common random numbers across parameter values; see `simulate_fixed_draws`).
/// `progress(done, total)` is called about ten times a second from the calling thread
/// while the runs go on in other threads without the GIL.
#[pyfunction]
#[pyo3(signature = (scenario, runs, seed, threads, closures, fixed_closures=true, start=None,
                    days=None, target_rel_error=None, batch_size=MonteCarloRequest::BATCH_SIZE,
                    fixed_draws=false, progress=None, controls=true, control_draws=None))]
#[allow(clippy::too_many_arguments)]
fn montecarlo<'py>(
    py: Python<'py>,
    scenario: &PyScenario,
    runs: u64,
    seed: u64,
    threads: usize,
    closures: Vec<String>,
    fixed_closures: bool,
    start: Option<String>,
    days: Option<u32>,
    target_rel_error: Option<f64>,
    batch_size: u64,
    fixed_draws: bool,
    progress: Option<Bound<'py, PyAny>>,
    controls: bool,
    control_draws: Option<u64>,
) -> PyResult<(Bound<'py, PyDict>, Vec<String>)> {
    let t0 = Instant::now();
    let st = study(scenario, &closures, fixed_closures, start.as_deref(), days)?;
    let mut warnings = st.warnings.clone();
    warnings.extend(MonteCarloRequest::warnings(&st.scenario));
    let request = MonteCarloRequest {
        threads: Some(threads),
        target_rel_error,
        batch_size,
        fixed_closures,
        ..MonteCarloRequest::new(runs, seed)
    };
    let config = request
        .config(&st.scenario, &closures, st.extra.clone())
        .map_err(py_err)?;
    let s = &st.scenario;
    let base = mc::fixed_closures(s, &config);
    let counter = Counter::default();
    let stop = AtomicBool::new(false);
    let make = || Engine::with_base(s, &base);
    let draws = if fixed_draws {
        mc::Draws::Fixed
    } else {
        mc::Draws::Plain
    };
    let outcome = drive(py, progress.as_ref(), &counter, &stop, || {
        mc::simulate_with(s, &config, make, &counter, Some(&stop), draws)
    })?;
    let mut outcome = outcome.map_err(py_err)?;
    outcome.manifest.scenario.changes = changes_text(&scenario.changes);
    let mut notes = Vec::new();
    let files = py
        .detach(|| {
            let seconds = t0.elapsed().as_secs_f64();
            let done = outcome.runs.len() as f64;
            // The controlled estimates, as the CLI's (not with fixed draws: the runs'
            // plans are not the sampler's, so their features would not be theirs).
            let extra = if controls && !fixed_draws {
                let draws = control_draws.unwrap_or_else(|| MonteCarloRequest::control_draws(runs));
                let (extra, note) = controlled::study_files(s, &config, draws, &outcome.runs)?;
                notes.extend(note);
                extra
            } else {
                Vec::new()
            };
            timed_files_on_pool(threads, seconds, done, |dir| {
                mc::output::write_outputs_with(dir, &outcome, extra)
            })
        })
        .map_err(py_err)?;
    warnings.extend(notes);
    Ok((files_dict(py, files)?, warnings))
}

/// The files `write` puts into a fresh folder (see [`files_of`]), written on a rayon
/// pool of this call's own: never on the global one, whose threads a forked child
/// (multiprocessing) would not have.
fn files_on_pool(
    threads: usize,
    write: impl FnOnce(&Path) -> Result<(), Error> + Send,
) -> Result<Files, Error> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Invalid(format!("cannot start {threads} threads: {e}")))?;
    pool.install(|| files_of(write))
}

/// [`files_on_pool`] that writes the study's `timing.json` (`runs` simulated in
/// `seconds` on `threads`) before the study's own files, as the CLI does.
fn timed_files_on_pool(
    threads: usize,
    seconds: f64,
    runs: f64,
    write: impl FnOnce(&Path) -> Result<(), Error> + Send,
) -> Result<Files, Error> {
    files_on_pool(threads, |dir| {
        output::write_timing(
            dir,
            &output::Timing {
                threads,
                seconds,
                runs_per_second: runs / seconds,
            },
        )?;
        write(dir)
    })
}

/// An uncertainty study, as `chokepoint uncertainty --out`: the base and its options at
/// parameter points drawn over their `[[uncertain]]` tables, the same years at every
/// point. Returns the files. Overrides (`with_changes`) are refused: put what is
/// uncertain in `[[uncertain]]` tables and what is fixed in the files.
#[pyfunction]
#[pyo3(signature = (base, options, points, years, seed, threads, indices=false,
                    base_points=UncertaintyConfig::BASE_POINTS as usize,
                    groups=UncertaintyConfig::GROUPS.to_string(),
                    bootstrap=UncertaintyConfig::BOOTSTRAP, fixed_closures=true,
                    design=UncertaintyConfig::DESIGN.to_string(), progress=None))]
#[allow(clippy::too_many_arguments)]
fn uncertainty<'py>(
    py: Python<'py>,
    base: &PyScenario,
    options: Vec<PyRef<'py, PyScenario>>,
    points: usize,
    years: u64,
    seed: u64,
    threads: usize,
    indices: bool,
    base_points: usize,
    groups: String,
    bootstrap: u32,
    fixed_closures: bool,
    design: String,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    use chokepoint::uncertainty::study::{self, DesignKind, Grouping, Study};
    let t0 = Instant::now();
    for s in std::iter::once(base).chain(options.iter().map(|o| &**o)) {
        if !s.changes.is_empty() {
            return Err(invalid(format!(
                "{} has overrides ({}): an uncertainty study draws its parameters from the \
                 [[uncertain]] tables; put fixed values in the files",
                s.source_name(),
                changes_text(&s.changes).join(", ")
            )));
        }
    }
    let grouping = Grouping::of(&groups).map_err(py_err)?;
    let candidates = options
        .iter()
        .map(|o| o.option_candidate(o.inner.clone()))
        .collect::<PyResult<Vec<_>>>()?;
    let mut base_c = Candidate::base(base.inner.clone());
    base_c.path = base.inner.source.clone().unwrap_or_default();
    let s = Study::new(base_c, candidates).map_err(py_err)?;
    let config = study::Config {
        years,
        seed,
        threads,
        design: DesignKind::of(&design, indices, points, base_points).map_err(py_err)?,
        grouping,
        bootstrap_resamples: bootstrap,
        no_fixed_closures: !fixed_closures,
        shard: None,
    };
    config.check().map_err(py_err)?;
    let counter = Counter::default();
    let stop = AtomicBool::new(false);
    let outcome = drive(py, progress.as_ref(), &counter, &stop, || {
        study::simulate(&s, &config, &counter, &stop)
    })?;
    let outcome = outcome.map_err(py_err)?;
    let files = py
        .detach(|| {
            let seconds = t0.elapsed().as_secs_f64();
            let simulated = outcome.losses.iter().flatten().map(Vec::len).sum::<usize>();
            timed_files_on_pool(threads, seconds, simulated as f64, |dir| {
                study::output::write_outputs(dir, &outcome).map(|_| ())
            })
        })
        .map_err(py_err)?;
    files_dict(py, files)
}

/// A comparison of options against a base on common random numbers, as `chokepoint
/// compare --out`: returns (files, warnings). The base's overrides apply to every option
/// too (after the option's own changes), so that the options are compared in the same
/// world; an option with overrides of its own is refused.
#[pyfunction]
#[pyo3(signature = (base, options, runs, seed, threads, closures, fixed_closures=true,
                    start=None, days=None, futures=None, threshold_usd=None,
                    bootstrap=CompareRequest::BOOTSTRAP, regime_start=None, progress=None,
                    controls=true, control_draws=None))]
#[allow(clippy::too_many_arguments)]
fn compare<'py>(
    py: Python<'py>,
    base: &PyScenario,
    options: Vec<PyRef<'py, PyScenario>>,
    runs: u64,
    seed: u64,
    threads: usize,
    closures: Vec<String>,
    fixed_closures: bool,
    start: Option<String>,
    days: Option<u32>,
    futures: Option<PathBuf>,
    threshold_usd: Option<f64>,
    bootstrap: u32,
    regime_start: Option<String>,
    progress: Option<Bound<'py, PyAny>>,
    controls: bool,
    control_draws: Option<u64>,
) -> PyResult<(Bound<'py, PyDict>, Vec<String>)> {
    use chokepoint::compare::{self, Futures};
    let t0 = Instant::now();
    let request = CompareRequest {
        mc: MonteCarloRequest {
            threads: Some(threads),
            fixed_closures,
            regime_start,
            ..CompareRequest::new(runs, seed).mc
        },
        bootstrap_resamples: bootstrap,
        threshold_usd,
    };
    request.check().map_err(py_err)?;
    let st = study(base, &closures, fixed_closures, start.as_deref(), days)?;
    let start_date = start
        .as_deref()
        .map(parse_date)
        .transpose()
        .map_err(|e| invalid(format!("start: {}", chain(&e))))?;
    let mut candidates = Vec::new();
    for o in &options {
        let name = &o.option_info()?.option.name;
        if !o.changes.is_empty() {
            return Err(invalid(format!(
                "option {name} has overrides of its own ({}): give them on the base, whose \
                 overrides apply to every option",
                changes_text(&o.changes).join(", ")
            )));
        }
        let mut scenario = o.inner.clone();
        for (param, value) in &base.changes {
            params::set(&mut scenario, param, *value)
                .map_err(|e| invalid(format!("option {name}: {e}")))?;
        }
        if !base.changes.is_empty() {
            scenario.check().map_err(|e| py_err(Error::from(e)))?;
        }
        apply_window(&mut scenario, start_date, days).map_err(py_err)?;
        candidates.push(o.option_candidate(scenario)?);
    }
    let mut base_c = Candidate::base(st.scenario.clone());
    base_c.path = base.inner.source.clone().unwrap_or_default();
    let mut s = compare::Study::new(base_c, candidates).map_err(py_err)?;
    if let Some(path) = &futures {
        let scenarios: Vec<&Scenario> = s.candidates().map(|c| &c.scenario).collect();
        s.futures = Some(Futures::load(path, &scenarios).map_err(py_err)?);
    }
    let config = request
        .config(&s, &closures, st.extra.clone())
        .map_err(py_err)?;
    let counter = Counter::default();
    let stop = AtomicBool::new(false);
    let outcome = drive(py, progress.as_ref(), &counter, &stop, || {
        compare::simulate_stoppable(&s, &config, &counter, &stop)
    })?;
    let mut outcome = outcome.map_err(py_err)?;
    outcome.manifest.scenario.changes = changes_text(&base.changes);
    let mut warnings = st.warnings;
    let files = py
        .detach(|| {
            let seconds = t0.elapsed().as_secs_f64();
            let done = outcome.runs();
            // The controlled estimates, as the CLI's: a note when there is nothing to
            // control for or too few runs.
            let mut extra = Vec::new();
            if controls {
                let draws = control_draws.unwrap_or_else(|| MonteCarloRequest::control_draws(runs));
                match compare::controlled::analyse(&s, &config, &outcome, draws) {
                    Ok(est) => extra.push(("controlled.csv", compare::controlled::csv(&est))),
                    Err(e) => {
                        warnings.push(format!("no controlled estimate (controlled.csv): {e}"))
                    }
                }
            }
            timed_files_on_pool(threads, seconds, done as f64, |dir| {
                compare::output::write_outputs_with(dir, &outcome, extra).map(|_| ())
            })
        })
        .map_err(py_err)?;
    Ok((files_dict(py, files)?, warnings))
}

/// A criticality study, as `chokepoint criticality --out`: every corridor closed in turn
/// (N-1) and each set of `sets` (N-k) for `duration_days` from `start` (default: a month
/// after the window's start) on an otherwise open network; with `runs`, each corridor's
/// contribution to the Monte Carlo's mean annual loss and TVaR95. Returns (files, the
/// CLI's text table, warnings).
#[pyfunction]
#[pyo3(signature = (scenario, duration_days, threads, sets=None, start=None,
                    capacity_factor=CriticalityRequest::CAPACITY_FACTOR, runs=None,
                    seed=MonteCarloRequest::SEED, bootstrap=CriticalityRequest::BOOTSTRAP,
                    regime_start=None, progress=None, closures=Vec::new()))]
#[allow(clippy::too_many_arguments)]
fn criticality<'py>(
    py: Python<'py>,
    scenario: &PyScenario,
    duration_days: u32,
    threads: usize,
    sets: Option<PathBuf>,
    start: Option<String>,
    capacity_factor: f64,
    runs: Option<u64>,
    seed: u64,
    bootstrap: u64,
    regime_start: Option<String>,
    progress: Option<Bound<'py, PyAny>>,
    closures: Vec<String>,
) -> PyResult<(Bound<'py, PyDict>, String, Vec<String>)> {
    use chokepoint::criticality as crit;
    use chokepoint::output::manifest::SetsFile;
    use chokepoint::study::request::CriticalityPlan;
    let t0 = Instant::now();
    let s = &scenario.inner;
    let mut request = CriticalityRequest {
        capacity_factor,
        threads: Some(threads),
        close: closures.clone(),
        runs,
        seed,
        bootstrap_resamples: bootstrap,
        regime_start,
        ..CriticalityRequest::new(duration_days)
    };
    request.check().map_err(py_err)?;
    request.start = start
        .as_deref()
        .map(parse_date)
        .transpose()
        .map_err(|e| invalid(format!("start: {}", chain(&e))))?;
    let sets_file = match &sets {
        Some(path) => {
            let (more, sha256) = crit::load_sets(path, s).map_err(py_err)?;
            let path = path.display().to_string();
            Some((more, SetsFile { path, sha256 }))
        }
        None => None,
    };
    let CriticalityPlan {
        config,
        sets: all_sets,
        mc: mc_config,
        mut manifest,
        outside_window,
    } = request.plan(s, sets_file).map_err(py_err)?;
    let mut warnings: Vec<String> = outside_window.iter().map(ToString::to_string).collect();
    manifest.scenario.changes = changes_text(&scenario.changes);
    if mc_config.is_some() && !s.closures.is_empty() {
        warnings.push(
            "the Monte Carlo view leaves out the scenario's own [[closure]] windows (as \
             montecarlo with fixed_closures=False)"
                .into(),
        );
    }
    let counter = Counter::default();
    let stop = AtomicBool::new(false);
    let outcome = drive(py, progress.as_ref(), &counter, &stop, || {
        let results = crit::run_sets(s, &all_sets, &config)?;
        let view = match &mc_config {
            Some(mc) => Some(crit::contributions_stoppable(s, mc, &counter, &stop)?),
            None => None,
        };
        Ok::<_, Error>((results, view))
    })?;
    let (results, view) = outcome.map_err(py_err)?;
    // What the CLI prints under its table (a closure past the window or the run-out, a
    // run-out cut off, negative components), in the same words.
    let found = crit::warnings::check(s, config.start_day, duration_days, &results);
    warnings.extend(found.into_iter().map(|w| w.text));
    let text = crit::output::text(&results, view.as_ref());
    let files = py
        .detach(|| {
            let seconds = t0.elapsed().as_secs_f64();
            let n = 1 + all_sets.len() as u64 + mc_config.as_ref().map_or(0, |m| m.runs);
            timed_files_on_pool(threads, seconds, n as f64, |dir| {
                crit::output::write(dir, s, &results, view.as_ref(), &manifest)
            })
        })
        .map_err(py_err)?;
    Ok((files_dict(py, files)?, text, warnings))
}

/// Write a result's files into `folder` as the CLI would: the folder is checked first
/// (it may hold only this same study's files, unless `force`), every file is written
/// atomically, the manifest last.
#[pyfunction]
#[pyo3(signature = (folder, files, force=false))]
fn save(
    py: Python<'_>,
    folder: PathBuf,
    files: Vec<(String, Vec<u8>)>,
    force: bool,
) -> PyResult<()> {
    let manifest_bytes = files
        .iter()
        .find(|(n, _)| n == "manifest.json")
        .map(|(_, b)| b.clone())
        .ok_or_else(|| invalid("the result has no manifest.json".into()))?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| invalid(format!("the result's manifest.json cannot be read: {e}")))?;
    py.detach(|| -> Result<(), Error> {
        folder::prepare(&folder, &manifest, force)?;
        for (name, bytes) in files.iter().filter(|(n, _)| n != "manifest.json") {
            if name.contains('/') || name.contains('\\') || name.starts_with('.') {
                return Err(Error::Invalid(format!("{name:?} is not a plain file name")));
            }
            output::write_bytes_atomic(&folder.join(name), bytes)?;
        }
        output::write_bytes_atomic(&folder.join("manifest.json"), &manifest_bytes)
    })
    .map_err(py_err)
}

/// The answer of a compare output folder (`chokepoint::compare::headline`), per future:
/// a dict with `future`, `order`, `best_mean`, `best_tail_per_usd`, `paying`,
/// `sentences` and `draws` (parameter draws the robustness is over, 0 without one).
/// With `uncertainty`, the folder of an uncertainty study of the same base and options,
/// each statement says in what share of its parameter draws it holds.
#[pyfunction]
#[pyo3(signature = (folder, uncertainty=None))]
fn compare_headline<'py>(
    py: Python<'py>,
    folder: PathBuf,
    uncertainty: Option<PathBuf>,
) -> PyResult<Bound<'py, PyList>> {
    use chokepoint::compare::headline;
    let (heads, draws) = py
        .detach(|| -> Result<_, Error> {
            let r = match &uncertainty {
                Some(u) => Some(headline::robustness_from_dirs(&folder, u)?),
                None => None,
            };
            Ok((
                headline::of_dir(&folder, r.as_ref())?,
                r.map_or(0, |r| r.draws),
            ))
        })
        .map_err(py_err)?;
    let out = PyList::empty(py);
    for h in heads {
        let d = PyDict::new(py);
        d.set_item("future", h.future)?;
        d.set_item("order", h.order)?;
        d.set_item("best_mean", h.best_mean)?;
        d.set_item("best_tail_per_usd", h.best_tail_per_usd)?;
        d.set_item("paying", h.paying)?;
        d.set_item("sentences", h.sentences)?;
        d.set_item("draws", draws)?;
        out.append(d)?;
    }
    Ok(out)
}

/// The chokepoint library's version (Cargo.toml).
#[pyfunction]
fn version() -> String {
    chokepoint::output::manifest::Tool::current().version
}

/// The metric table (`chokepoint::study::metrics`) as columns: each whole-run metric's
/// name, unit and description, and its position among each study's metrics (`None`
/// where the study does not report it).
#[pyfunction]
fn metric_table(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    use chokepoint::study::metrics::{Study, METRICS};
    let d = PyDict::new(py);
    d.set_item("metric", METRICS.iter().map(|m| m.name).collect::<Vec<_>>())?;
    d.set_item("unit", METRICS.iter().map(|m| m.unit).collect::<Vec<_>>())?;
    let what: Vec<&str> = METRICS.iter().map(|m| m.description).collect();
    d.set_item("description", what)?;
    for s in Study::ALL {
        let at: Vec<Option<u8>> = METRICS.iter().map(|m| m.columns.of(s)).collect();
        d.set_item(s.name(), at)?;
    }
    Ok(d)
}

/// The Python module `chokepoint._lib`.
#[pymodule]
fn _lib(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyScenario>()?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(montecarlo, m)?)?;
    m.add_function(wrap_pyfunction!(compare, m)?)?;
    m.add_function(wrap_pyfunction!(uncertainty, m)?)?;
    m.add_function(wrap_pyfunction!(criticality, m)?)?;
    m.add_function(wrap_pyfunction!(save, m)?)?;
    m.add_function(wrap_pyfunction!(compare_headline, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add_function(wrap_pyfunction!(metric_table, m)?)?;
    m.add_function(wrap_pyfunction!(estimators::saltelli_design, m)?)?;
    m.add_function(wrap_pyfunction!(estimators::sobol_indices, m)?)?;
    m.add_function(wrap_pyfunction!(estimators::chatterjee_xi, m)?)?;
    m.add_function(wrap_pyfunction!(estimators::variance_split, m)?)?;
    m.add("TABLES", PyList::new(m.py(), tables::NAMES)?)?;
    // The defaults of the studies' settings, as the CLI's flags have them: the Python
    // wrappers' signatures read these, so a default lives in the library alone.
    m.add("DEFAULT_RUNS", MonteCarloRequest::RUNS)?;
    m.add("DEFAULT_SEED", MonteCarloRequest::SEED)?;
    m.add("DEFAULT_BATCH_SIZE", MonteCarloRequest::BATCH_SIZE)?;
    m.add("DEFAULT_COMPARE_BOOTSTRAP", CompareRequest::BOOTSTRAP)?;
    m.add(
        "DEFAULT_CRITICALITY_BOOTSTRAP",
        CriticalityRequest::BOOTSTRAP,
    )?;
    m.add(
        "DEFAULT_CRITICALITY_CAPACITY_FACTOR",
        CriticalityRequest::CAPACITY_FACTOR,
    )?;
    m.add("DEFAULT_UNCERTAINTY_POINTS", UncertaintyConfig::POINTS)?;
    m.add("DEFAULT_UNCERTAINTY_YEARS", UncertaintyConfig::YEARS)?;
    m.add(
        "DEFAULT_UNCERTAINTY_BASE_POINTS",
        UncertaintyConfig::BASE_POINTS,
    )?;
    m.add(
        "DEFAULT_UNCERTAINTY_BOOTSTRAP",
        UncertaintyConfig::BOOTSTRAP,
    )?;
    m.add("DEFAULT_UNCERTAINTY_DESIGN", UncertaintyConfig::DESIGN)?;
    m.add("DEFAULT_UNCERTAINTY_GROUPS", UncertaintyConfig::GROUPS)?;
    Ok(())
}
