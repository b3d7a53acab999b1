//! `chokepoint report`: the HTML report of an output folder (and the `--report` flag of
//! `run` and `montecarlo`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chokepoint::report::{self, Options};

/// Arguments of `chokepoint report`.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  chokepoint report out/mc                      # writes out/mc/report.html
  chokepoint report out/base-2024 --out base.html
  chokepoint report out/mc --scenario scenarios/afghanistan/base.toml   # the map's scenario
  chokepoint report out/compare --uncertainty out/unc   # headline robustness to the parameters

The report reads the folder's manifest.json to know what it holds (run, montecarlo or a
merge of shards) and the CSV files that command wrote. The page is one HTML file with
inline SVG charts that opens with no network.")]
pub struct Args {
    /// An output folder of `chokepoint run --out`, `montecarlo --out` or `merge --out`.
    dir: PathBuf,
    /// The HTML file to write (default: DIR/report.html).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The scenario to draw the network map from (default: the file the manifest names).
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    /// Replace the --out file even if it is not a report chokepoint wrote.
    #[arg(long)]
    force: bool,
    /// For a compare folder: an uncertainty study of the same base and options
    /// (`chokepoint uncertainty ... --out DIR`); the headline then says in what share of
    /// its parameter draws each statement holds.
    #[arg(long, value_name = "DIR")]
    uncertainty: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let options = Options {
        scenario: args.scenario,
        force: args.force,
        uncertainty: args.uncertainty,
    };
    let path = report::write(&args.dir, args.out.as_deref(), &options)?;
    if let Some(u) = &options.uncertainty {
        // The answer with its robustness, as the report now opens with it.
        let r = chokepoint::compare::headline::robustness_from_dirs(&args.dir, u)?;
        for h in chokepoint::compare::headline::of_dir(&args.dir, Some(&r))? {
            println!("answer ({} parameter draws of {}):", r.draws, u.display());
            for line in &h.sentences {
                println!("  {line}");
            }
        }
    }
    println!("wrote {}", path.display());
    Ok(ExitCode::SUCCESS)
}

/// Write `dir/report.html` right after a command wrote `dir` from `scenario`, and list it
/// in the folder's manifest.
pub fn write(dir: &Path, scenario: Option<&Path>) -> anyhow::Result<()> {
    let options = Options {
        scenario: scenario.map(Path::to_path_buf),
        ..Default::default()
    };
    let path = report::write(dir, None, &options)?;
    println!("wrote {}", path.display());
    Ok(())
}
