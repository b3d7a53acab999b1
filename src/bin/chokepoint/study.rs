//! What `run` and `montecarlo` share: the window, the fixed and ad-hoc closures (with a
//! warning on stderr for every one that does nothing), and the output folder check.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chokepoint::closure::ClosureWindow;
use chokepoint::output::{folder, Manifest};
use chokepoint::scenario::{
    apply_window, in_window, parse_close_spec, parse_date, read_closures_csv,
};
use chokepoint::Scenario;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Print a warning on stderr.
pub fn warn(msg: &str) {
    eprintln!("warning: {msg}");
}

/// The window and closures of a study, from the command line.
pub struct Closures {
    /// The scenario's own fixed closures that touch the window (none with
    /// `--no-fixed-closures`).
    pub fixed: Vec<ClosureWindow>,
    /// The `--close` windows, in order (also those that do nothing).
    pub extra: Vec<ClosureWindow>,
    /// How many of `extra` touch the window.
    pub extra_in_window: usize,
}

impl Closures {
    /// `N closure window(s) (A of the scenario's, B from --close)`: those that apply.
    pub fn describe(&self) -> String {
        let n = self.fixed.len() + self.extra_in_window;
        format!(
            "{n} closure window(s) apply ({} of the scenario's, {} from --close)",
            self.fixed.len(),
            self.extra_in_window
        )
    }
}

fn window_text(s: &Scenario) -> String {
    format!(
        "{} .. {} ({} days)",
        s.settings.start,
        s.date_of(i64::from(s.settings.days) - 1),
        s.settings.days
    )
}

/// Move the window (`--start`, `--days`) and parse `--close`; warn about closures that
/// do nothing in the window.
pub fn closures(
    scenario: &mut Scenario,
    start: Option<&str>,
    days: Option<u32>,
    no_fixed_closures: bool,
    close: &[String],
) -> anyhow::Result<Closures> {
    let start = start.map(parse_date).transpose().context("--start")?;
    apply_window(scenario, start, days).context("--days")?;
    let mut fixed = Vec::new();
    let mut dropped = Vec::new();
    if !no_fixed_closures {
        for w in &scenario.closures {
            if in_window(scenario, w) {
                fixed.push(w.clone());
            } else {
                dropped.push(w);
            }
        }
    }
    if !dropped.is_empty() {
        let first = dropped[0];
        warn(&format!(
            "{} of the scenario's {} fixed closure(s) fall outside the simulated window {} \
             and do nothing (the first: {} from {}); {} apply",
            dropped.len(),
            scenario.closures.len(),
            window_text(scenario),
            scenario.target_name(first.target),
            scenario.date_of(first.start_day),
            fixed.len()
        ));
    }
    let mut extra = Vec::new();
    let mut extra_in_window = 0;
    for spec in close {
        let w = parse_close_spec(scenario, spec).context("--close")?;
        if in_window(scenario, &w) {
            extra_in_window += 1;
        } else {
            warn(&format!(
                "--close {spec} lies wholly outside the simulated window {}: it does nothing",
                window_text(scenario)
            ));
        }
        extra.push(w);
    }
    Ok(Closures {
        fixed,
        extra,
        extra_in_window,
    })
}

/// The `--close` specs followed by the rows of every `--closures` table (CSV: corridor,
/// start, days or end, factor), in order, as specs: what the manifest records, so a study
/// given a table is reproduced from its manifest without the table.
pub fn close_specs(
    scenario: &Scenario,
    close: &[String],
    tables: &[PathBuf],
) -> anyhow::Result<Vec<String>> {
    let mut specs = close.to_vec();
    for path in tables {
        specs.extend(read_closures_csv(scenario, path).context("--closures")?);
    }
    Ok(specs)
}

/// Check the output folder before any work (see `chokepoint::output::folder`).
pub fn prepare_out(dir: &Path, study: &Manifest, force: bool) -> anyhow::Result<()> {
    folder::prepare(dir, study, force).map_err(|e| match e {
        chokepoint::Error::FolderInUse { .. } => {
            anyhow::Error::new(chokepoint::Error::Invalid(format!(
                "--out: {e}; choose another folder, or pass --force to replace \
                 chokepoint's files there"
            )))
        }
        e => anyhow::Error::new(e).context("--out"),
    })
}

/// A progress bar on stderr, hidden when stderr is not a terminal or with --quiet.
pub struct Bar(ProgressBar);

impl Bar {
    pub fn new(quiet: bool) -> Bar {
        let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if quiet || !std::io::stderr().is_terminal() {
            pb.set_draw_target(ProgressDrawTarget::hidden());
        }
        if let Ok(style) = ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {pos}/{len} runs, {per_sec}, ETA {eta}",
        ) {
            pb.set_style(style.progress_chars("=> "));
        }
        Bar(pb)
    }
}

impl chokepoint::study::Progress for Bar {
    fn start(&self, total: u64) {
        self.0.set_length(total);
    }
    fn run_done(&self) {
        self.0.inc(1);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}
