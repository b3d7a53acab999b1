//! `chokepoint validate`: check scenario and option files, report every problem.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chokepoint::error::Severity;
use chokepoint::{scenario, Error, Scenario};

use crate::EXIT_BAD_INPUT;

/// Arguments of `chokepoint validate`.
#[derive(clap::Args)]
#[command(after_help = "\
Checks each file and reports every problem at once, as FILE:LINE: error: what; hint.
An option file (one with an [option] table) is checked together with its base scenario.
Exit status: 0 when every file is valid (warnings allowed), 2 when any has an error.

Example:
  chokepoint validate scenarios/starter.toml scenarios/starter-option.toml")]
pub struct Args {
    /// Scenario or option files (TOML).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut failed = 0usize;
    for file in &args.files {
        match validate(file) {
            Ok((what, s, warnings)) => {
                println!("ok: {} ({what}{})", file.display(), summary(&s));
                for w in &warnings {
                    eprintln!("{w}");
                }
            }
            Err(Error::Scenario(e)) => {
                failed += 1;
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
            Err(e) => {
                failed += 1;
                eprintln!("{}:0: error: {e}", file.display());
            }
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_BAD_INPUT)
    })
}

/// Load a scenario or option file: what it was, the scenario, its warnings.
fn validate(
    file: &Path,
) -> Result<(&'static str, Scenario, Vec<chokepoint::error::Diagnostic>), Error> {
    let is_option = std::fs::read(file)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .is_some_and(|t| scenario::looks_like_option(&t));
    if is_option {
        let (opt, s) = scenario::load_option(file)?;
        let warnings = s
            .check()
            .map_err(Error::Scenario)?
            .into_iter()
            .filter(|d| d.severity == Severity::Warning)
            .collect();
        let _ = opt;
        Ok(("option over its base: ", s, warnings))
    } else {
        let (s, w) = scenario::load_with_warnings(file)?;
        Ok(("", s, w))
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
    )
}
