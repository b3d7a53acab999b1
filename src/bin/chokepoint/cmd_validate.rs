//! `chokepoint validate`: check every kind of file the tool reads (scenario, option,
//! futures, criticality sets, priors, closures table, closure log), each recognised from its
//! content, and report every problem.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chokepoint::error::Severity;
use chokepoint::{scenario, Error, Scenario};

use crate::EXIT_BAD_INPUT;

/// Arguments of `chokepoint validate`.
#[derive(clap::Args)]
#[command(after_help = "\
Checks each file and reports every problem at once, as FILE:LINE: error: what; hint.
The kind of each file is read from its content, not its name:
  scenario   a TOML file with a [scenario] table
  option     a TOML file with an [option] table (checked together with its base scenario)
  futures    a TOML file of [[future]] tables (`compare --futures`)
  sets       a TOML file of [[set]] tables (`criticality --sets`)
  priors     a TOML file of [[uncertain]] tables only (`fit --priors`)
  closures  a CSV file of columns corridor, start, days or end, factor (`--closures`)
  closure log  any other CSV file whose header names `corridor` and `start` (`calibrate`)
A sets, priors or closures file is checked against a base scenario: the one given with --base, or
else the last scenario or option listed before it. A futures file is checked against every
scenario and option listed before it (a future may scale an option's process), or --base.
Exit status: 0 when every file is valid (warnings allowed), 2 when any has an error.

Examples:
  chokepoint validate scenarios/starter.toml scenarios/starter-option.toml
  chokepoint validate scenarios/afghanistan/base.toml scenarios/afghanistan/futures.toml
  chokepoint validate --base scenarios/afghanistan/base.toml scenarios/afghanistan/criticality/sets.toml
  chokepoint validate scenarios/afghanistan/closures-2021-2024.csv")]
pub struct Args {
    /// Files to check: scenarios, options, futures, sets (TOML) or closure logs (CSV).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The base scenario (or option) to check futures, sets and closures files against
    /// (default: the last scenario or option listed before them).
    #[arg(long, value_name = "FILE")]
    base: Option<PathBuf>,
}

/// The kinds of file chokepoint reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A scenario (`[scenario]`).
    Scenario,
    /// An option over a base scenario (`[option]`).
    Option,
    /// Futures for `compare --futures` (`[[future]]`).
    Futures,
    /// N-k sets for `criticality --sets` (`[[set]]`).
    Sets,
    /// Priors for `fit --priors` (`[[uncertain]]` tables only).
    Priors,
    /// A table of closures for `--closures` (CSV: corridor, start, days or end, factor).
    Closures,
    /// A closure log for `calibrate` (CSV).
    ClosureLog,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Scenario => "scenario",
            Kind::Option => "option",
            Kind::Futures => "futures file",
            Kind::Sets => "sets file",
            Kind::Priors => "priors file",
            Kind::Closures => "closures table",
            Kind::ClosureLog => "closure log",
        }
    }
}

/// The kind of a file from its text: the top-level tables of a TOML file, or a CSV
/// header naming `corridor` and `start` (a closures table when every column is one of
/// [`scenario::CLOSURE_COLUMNS`], else a closure log). A TOML file that does not parse is told by its
/// table headers, and is otherwise taken for a scenario (whose loader then reports the
/// syntax error with its line).
pub fn kind_of(text: &str) -> Kind {
    if let Ok(t) = toml::from_str::<toml::Table>(text) {
        for (key, kind) in [
            ("option", Kind::Option),
            ("future", Kind::Futures),
            ("set", Kind::Sets),
        ] {
            if t.contains_key(key) {
                return kind;
            }
        }
        if !t.is_empty() && t.keys().all(|k| k == "uncertain") {
            return Kind::Priors;
        }
        return Kind::Scenario;
    }
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    let header: Vec<&str> = first
        .split(',')
        .map(|c| c.trim().trim_matches('"'))
        .collect();
    if header.len() > 1 && header.contains(&"corridor") && header.contains(&"start") {
        return if header.iter().all(|c| scenario::CLOSURE_COLUMNS.contains(c)) {
            Kind::Closures
        } else {
            Kind::ClosureLog
        };
    }
    let has = |h: &str| text.lines().any(|l| l.trim_start().starts_with(h));
    if has("[option]") {
        Kind::Option
    } else if has("[[future]]") {
        Kind::Futures
    } else if has("[[set]]") {
        Kind::Sets
    } else {
        Kind::Scenario
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut failed = 0usize;
    // The scenarios futures, sets and closures files are checked against: --base, else
    // those listed so far (the last one is the base of sets and closures).
    let mut seen: Vec<(PathBuf, Scenario)> = Vec::new();
    if let Some(path) = &args.base {
        match scenario::load_any(path) {
            Ok(s) => seen.push((path.clone(), s)),
            Err(e) => {
                report_error(path, &e);
                eprintln!("invalid: {} (the --base scenario)", path.display());
                return Ok(ExitCode::from(EXIT_BAD_INPUT));
            }
        }
    }
    for file in &args.files {
        match validate(file, &seen) {
            Ok(Checked {
                kind,
                summary,
                scenario,
                warnings,
            }) => {
                println!("ok: {} ({}: {summary})", file.display(), kind.name());
                for w in &warnings {
                    eprintln!("{w}");
                }
                if let (Some(s), None) = (scenario, &args.base) {
                    seen.push((file.clone(), s));
                }
            }
            Err(e) => {
                failed += 1;
                report_error(file, &e);
            }
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_BAD_INPUT)
    })
}

/// Print a file's problems: every diagnostic of a scenario or closure log, else the error
/// (which names the file and lines itself where it has them).
fn report_error(file: &Path, e: &Error) {
    match e {
        Error::Scenario(e) => {
            for d in &e.diagnostics {
                eprintln!("{d}");
            }
            let n = e.errors().count();
            eprintln!(
                "invalid: {} ({n} error{})",
                file.display(),
                if n == 1 { "" } else { "s" }
            );
        }
        e => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                text = format!("{text}: {s}");
                source = s.source();
            }
            if text.contains(&file.display().to_string()) {
                eprintln!("error: {text}");
            } else {
                eprintln!("{}: error: {text}", file.display());
            }
            eprintln!("invalid: {}", file.display());
        }
    }
}

/// A file that passed: its kind, a summary, the scenario it defines (a scenario or an
/// option, a base for the files after it), its warnings.
struct Checked {
    kind: Kind,
    summary: String,
    scenario: Option<Scenario>,
    warnings: Vec<chokepoint::error::Diagnostic>,
}

/// Check one file, recognised from its content; futures against every scenario of `seen`,
/// sets and closures against the last one.
fn validate(file: &Path, seen: &[(PathBuf, Scenario)]) -> Result<Checked, Error> {
    let bytes = std::fs::read(file).map_err(|source| Error::Io {
        path: file.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let kind = kind_of(&text);
    let against = |what: &str| -> Result<(&Path, &Scenario), Error> {
        seen.last().map(|(p, s)| (p.as_path(), s)).ok_or_else(|| {
            Error::Invalid(format!(
                "{}: a {what} is checked against its base scenario: list the scenario before \
                 it, or name it with --base FILE",
                file.display()
            ))
        })
    };
    match kind {
        Kind::Option => {
            let (_, s) = scenario::load_option(file)?;
            let warnings = s
                .check()
                .map_err(Error::Scenario)?
                .into_iter()
                .filter(|d| d.severity == Severity::Warning)
                .collect();
            Ok(Checked {
                kind,
                summary: format!("over its base: {}", summary(&s)),
                scenario: Some(s),
                warnings,
            })
        }
        Kind::Scenario => {
            let (s, warnings) = scenario::load_with_warnings(file)?;
            Ok(Checked {
                kind,
                summary: summary(&s),
                scenario: Some(s),
                warnings,
            })
        }
        Kind::Futures => {
            let (path, _) = against("futures file")?;
            let all: Vec<&Scenario> = seen.iter().map(|(_, s)| s).collect();
            let f = chokepoint::compare::Futures::load(file, &all)?;
            Ok(Checked {
                kind,
                summary: format!(
                    "{} future(s): {}; checked against {}{}",
                    f.futures.len(),
                    f.futures
                        .iter()
                        .map(|x| x.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    path.display(),
                    match seen.len() {
                        1 => String::new(),
                        n => format!(" and {} other(s) listed before it", n - 1),
                    }
                ),
                scenario: None,
                warnings: Vec::new(),
            })
        }
        Kind::Sets => {
            let (path, s) = against("sets file")?;
            let (sets, _) = chokepoint::criticality::load_sets(file, s)?;
            Ok(Checked {
                kind,
                summary: format!(
                    "{} set(s): {}; checked against {}",
                    sets.len(),
                    sets.iter()
                        .map(|x| x.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    path.display()
                ),
                scenario: None,
                warnings: Vec::new(),
            })
        }
        Kind::Priors => {
            let (path, s) = against("priors file")?;
            let axes = scenario::load_priors(file, s)?;
            Ok(Checked {
                kind,
                summary: format!(
                    "{} prior(s): {}; checked against {}",
                    axes.len(),
                    axes.iter()
                        .map(|a| a.label())
                        .collect::<Vec<_>>()
                        .join(", "),
                    path.display()
                ),
                scenario: None,
                warnings: Vec::new(),
            })
        }
        Kind::Closures => {
            let (path, s) = against("closures table")?;
            let specs = scenario::read_closures_csv(s, file)?;
            Ok(Checked {
                kind,
                summary: format!(
                    "{} closure(s); checked against {}",
                    specs.len(),
                    path.display()
                ),
                scenario: None,
                warnings: Vec::new(),
            })
        }
        Kind::ClosureLog => {
            let log = chokepoint::calibrate::parse_log(&text, file)?;
            Ok(Checked {
                kind,
                summary: format!("{} closure episode(s)", log.len()),
                scenario: None,
                warnings: Vec::new(),
            })
        }
    }
}

/// "18 nodes, 22 links, ..." for one scenario.
pub fn summary(s: &Scenario) -> String {
    format!(
        "{} nodes, {} links, {} corridors, {} products, {} supplies, {} demands, {} closures, {} processes, {} shock(s){}",
        s.nodes.len(),
        s.links.len(),
        s.corridors.len(),
        s.products.len(),
        s.supplies.len(),
        s.demands.len(),
        s.closures.len(),
        s.processes.len(),
        s.shocks.len(),
        match &s.regimes {
            Some(r) => format!(", {} regimes", r.states.len()),
            None => String::new(),
        }
    ) + &match s.uncertain.len() {
        0 => String::new(),
        n => format!(", {n} uncertain parameter table(s)"),
    }
}
