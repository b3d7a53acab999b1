//! What `run` and `montecarlo` share: the window, the fixed and ad-hoc closures (with a
//! warning on stderr for every one that does nothing), and the output folder check.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chokepoint::output::{folder, Manifest};
use chokepoint::scenario::{apply_window, parse_date, read_closures_csv, StudyClosures};
use chokepoint::Scenario;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Print a warning on stderr.
pub fn warn(msg: &str) {
    eprintln!("warning: {msg}");
}

/// `N closure window(s) apply (A of the scenario's, B from --close)`: those that apply.
pub fn describe(c: &StudyClosures) -> String {
    let n = c.fixed.len() + c.extra_in_window;
    format!(
        "{n} closure window(s) apply ({} of the scenario's, {} from --close)",
        c.fixed.len(),
        c.extra_in_window
    )
}

/// Move the window (`--start`, `--days`) and parse `--close`; warn about closures that
/// do nothing in the window (the library words the warnings: [`StudyClosures`]).
pub fn closures(
    scenario: &mut Scenario,
    start: Option<&str>,
    days: Option<u32>,
    no_fixed_closures: bool,
    close: &[String],
) -> anyhow::Result<StudyClosures> {
    let start = start.map(parse_date).transpose().context("--start")?;
    apply_window(scenario, start, days).context("--days")?;
    let c = StudyClosures::of(scenario, !no_fixed_closures, close).context("--close")?;
    for w in &c.warnings {
        warn(&w.to_string());
    }
    Ok(c)
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
