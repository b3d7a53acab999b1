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
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let options = Options {
        scenario: args.scenario,
        force: args.force,
    };
    let path = report::write(&args.dir, args.out.as_deref(), &options)?;
    println!("wrote {}", path.display());
    Ok(ExitCode::SUCCESS)
}

/// Write `dir/report.html` right after a command wrote `dir` from `scenario`, and list it
/// in the folder's manifest.
pub fn write(dir: &Path, scenario: Option<&Path>) -> anyhow::Result<()> {
    let options = Options {
        scenario: scenario.map(Path::to_path_buf),
        force: false,
    };
    let path = report::write(dir, None, &options)?;
    println!("wrote {}", path.display());
    Ok(())
}
