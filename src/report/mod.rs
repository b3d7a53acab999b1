//! The HTML report: one self-contained file of SVG charts for an output folder.
//!
//! A report is a function of an output folder: it reads the folder's `manifest.json` to
//! know what the folder holds, then the CSV files that command wrote, and never the
//! engine. [`render`] returns the HTML text; [`write()`] writes it (atomically) to
//! `DIR/report.html` or another file.
//!
//! The page needs nothing but itself: charts are inline SVG drawn with the `plotters`
//! crate's SVG backend, styles are inline, text uses the system's fonts, and a
//! `Content-Security-Policy` forbids the browser to fetch anything. Each chart has units
//! on its axes, a caption saying how to read it and the table of its numbers. The plot
//! area of every chart is marked by an invisible `<rect class="plot-area">`, so a test
//! (or a reader's tool) can find where the data is drawn.
//!
//! | folder written by | charts |
//! |---|---|
//! | `chokepoint run --out` | stranded trucks per day by crossing; value delivered per day against the counterfactual; loss by component; corridor use before, during and after the closures; the network map |
//! | `chokepoint montecarlo --out`, `chokepoint merge --out` | fan charts of stranded trucks and of value delivered; the loss exceedance curve with its 95% band; the loss distribution by component; the convergence of the mean; the network map |
//! | `chokepoint compare --out` | paired differences with their 95% intervals per option; the probability of being best; the benefit/cost chart (one rectangle per option: width the present value of avoided loss, height the benefit/cost ratio); regret across futures |
//! | `chokepoint criticality --out` | closures ranked by loss with their components; each corridor's contribution to the Monte Carlo's mean loss and TVaR95 with 95% intervals (with `--runs`); where the diverted trade went; the network map coloured by loss |
//!
//! The map needs the scenario: the report loads it from the path the manifest names
//! (or [`Options::scenario`]); when it cannot, the map is left out with a note saying
//! why. Folders of other commands are a clear error until their charts exist.
//!
//! Only built with the `report` feature (which the `cli` feature turns on), so the
//! library's default for notebooks stays light.

mod chart;
mod common;
mod compare;
mod criticality;
mod data;
mod html;
mod manifest;
mod map;
mod montecarlo;
mod run;
mod uncertainty;

use std::path::{Path, PathBuf};

use crate::Error;

pub use manifest::{Kind, ManifestInfo};

/// Choices for a report.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The scenario file to draw the map from, instead of the one the manifest names.
    pub scenario: Option<PathBuf>,
    /// Replace the file [`write()`] would write even if it is not a report chokepoint wrote.
    pub force: bool,
    /// An uncertainty study (`chokepoint uncertainty`) of the same base and options as a
    /// comparison: its headline then says in what share of the parameter draws each
    /// statement holds ([`crate::compare::headline::robustness_from_dirs`]; a study of
    /// another question is an error). Only for a compare folder.
    pub uncertainty: Option<PathBuf>,
}

/// The report of the output folder `dir`, as the text of one HTML file.
///
/// Errors (all [`Error::Invalid`], naming the file): `dir` is not a folder, holds no
/// `manifest.json` (not an output folder; a shard that was not merged says so), the
/// manifest is not JSON or is of a command that has no report yet, or a file the report
/// needs is missing or malformed.
pub fn render(dir: &Path, options: &Options) -> Result<String, Error> {
    let info = ManifestInfo::read(dir)?;
    Ok(page(dir, &info, options)?.html())
}

fn page<'a>(
    dir: &Path,
    info: &'a ManifestInfo,
    options: &Options,
) -> Result<html::Page<'a>, Error> {
    if options.uncertainty.is_some() && info.kind != Kind::Compare {
        return Err(Error::Invalid(format!(
            "{}: an uncertainty study adds to the report of a comparison only; this folder holds `{}`",
            dir.display(),
            info.kind.command()
        )));
    }
    match info.kind {
        Kind::Run => run::page(dir, info, options),
        Kind::MonteCarlo => montecarlo::page(dir, info, options),
        Kind::Compare => compare::page(dir, info, options),
        Kind::Criticality => criticality::page(dir, info, options),
        Kind::Uncertainty => uncertainty::page(dir, info),
    }
}

/// One chart of a report: what [`charts`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    /// Its id in the report (the page's anchor), e.g. `stranded` or `fan-stranded`.
    pub id: String,
    /// Its heading.
    pub title: String,
    /// How to read it.
    pub caption: String,
    /// The chart as a standalone SVG document (units on its axes).
    pub svg: String,
}

impl Chart {
    /// Shows the chart as SVG in a Rust notebook (evcxr) when it is a cell's value.
    pub fn evcxr_display(&self) {
        println!(
            "EVCXR_BEGIN_CONTENT image/svg+xml\n{}\nEVCXR_END_CONTENT",
            self.svg
        );
    }
}

/// The charts of the report of the output folder `dir`, in the report's order, for
/// showing one at a time (a notebook): the same SVG the HTML report inlines (the
/// network map among them, id `map`), without the tables. Charts the report leaves out
/// (too little data, no scenario for the map) are not returned. Errors as [`render`].
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// use chokepoint::sim::{Engine, Record};
/// let s = chokepoint::Scenario::load("scenarios/twoland.toml")?;
/// let w = chokepoint::scenario::parse_close_spec(&s, "north:2024-02-01+14")?;
/// let report = Engine::new(&s)?.run(&[w], Record::Daily)?;
/// let manifest = chokepoint::output::Manifest::new("run", &s);
/// chokepoint::output::write_run(dir.path(), &s, &report.metrics, report.daily.as_ref(), &manifest)?;
/// let charts = chokepoint::report::charts(dir.path(), &Default::default())?;
/// let stranded = charts.iter().find(|c| c.id == "stranded").unwrap();
/// assert!(stranded.svg.starts_with("<svg") && stranded.svg.contains("plot-area"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn charts(dir: &Path, options: &Options) -> Result<Vec<Chart>, Error> {
    let info = ManifestInfo::read(dir)?;
    Ok(page(dir, &info, options)?
        .figures
        .into_iter()
        .filter_map(|f| {
            f.svg.map(|svg| Chart {
                id: f.id,
                title: f.title,
                caption: f.caption,
                svg,
            })
        })
        .collect())
}

/// Write the report of `dir` to `out` (default `dir/report.html`), atomically; returns
/// the file written.
///
/// Writes only a new file or a report chokepoint wrote (one that carries
/// [`crate::output::folder::REPORT_MARK`]), unless `options.force`: any other file there
/// is an [`Error::Invalid`] naming it, as is an `out` that is a folder. A report written
/// as `dir/report.html` beside a `manifest.json` is then listed in that manifest (the
/// manifest is rewritten after it).
pub fn write(dir: &Path, out: Option<&Path>, options: &Options) -> Result<PathBuf, Error> {
    let path = out.map_or_else(|| dir.join("report.html"), Path::to_path_buf);
    check_target(&path, out.is_some(), options.force)?;
    let text = render(dir, options)?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        crate::output::create_dir(parent)?;
    }
    crate::output::write_bytes_atomic(&path, text.as_bytes())?;
    if out.is_none() && dir.join("manifest.json").is_file() {
        crate::output::folder::add_to_manifest(dir, "report.html")?;
    }
    Ok(path)
}

/// Whether the report may be written to `path` (see [`write`]); `named` says the user
/// named it (`--out`), for the messages.
fn check_target(path: &Path, named: bool, force: bool) -> Result<(), Error> {
    let flag = if named { "--out " } else { "" };
    if path.is_dir() {
        return Err(Error::Invalid(format!(
            "{flag}{} is a folder: name the HTML file to write, e.g. {}",
            path.display(),
            path.join("report.html").display()
        )));
    }
    if path.exists() && !force && !crate::output::folder::is_own_report(path) {
        return Err(Error::Invalid(format!(
            "{flag}{} exists and is not a report chokepoint wrote (it lacks the report's \
             generator mark), so writing the report would destroy it: choose another file, \
             or pass --force to replace it",
            path.display()
        )));
    }
    Ok(())
}
