//! `chokepoint calibrate`: fit closure processes to a closure log and print TOML.

use std::path::PathBuf;
use std::process::ExitCode;

use chokepoint::calibrate::{calibrate, read_log, Options, PosteriorOptions};
use chokepoint::Error;

/// Arguments of `chokepoint calibrate`.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  chokepoint calibrate scenarios/afghanistan/closures-2021-2024.csv
  chokepoint calibrate scenarios/afghanistan/closures-2021-2024.csv --start 2021-01-01 --end 2025-01-01 \\
      --also ghulam_khan,angoor_adda,kharlachi --joint torkham,chaman
  chokepoint calibrate scenarios/afghanistan/closures-2021-2024.csv --start 2021-01-01 --end 2025-01-01 \
      --posterior --posterior-draws 4000 --seed 1 --posterior-out posterior

With --posterior, the `[[uncertain]]` tables of the posteriors follow the fitted processes:
each onset rate's gamma posterior (Jeffreys prior, open days as exposure), each exponential
mean's inverse-gamma posterior (censored durations counted), and for a lognormal or gamma
duration law, draws by random-walk Metropolis (priors flat in (mu, ln sigma) or (ln shape,
ln scale)) written to DIR/<corridor>_duration.csv and named by a `joint` table.")]
pub struct Args {
    /// The closure log (CSV: corridor,start,end,days,censored,capacity_factor,...).
    pub log: PathBuf,
    /// First day of the observation window (default: 1 January of the first episode's year).
    #[arg(long, value_name = "DATE")]
    pub start: Option<String>,
    /// End of the window, exclusive (default: 1 January after the last episode's year).
    #[arg(long, value_name = "DATE")]
    pub end: Option<String>,
    /// Corridors watched over the window that never closed (comma-separated): they get
    /// a rate of 0 with its upper bound.
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub also: Vec<String>,
    /// Corridors tested for joint closures (comma-separated; default: all in the log).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub joint: Vec<String>,
    /// Onsets within this many days of each other count as one joint event.
    #[arg(long, default_value_t = 7, value_name = "DAYS")]
    pub joint_window: u32,
    /// Confidence level of the intervals.
    #[arg(long, default_value_t = 0.95, value_name = "LEVEL")]
    pub level: f64,
    /// Also print `[[uncertain]]` tables of the posteriors of every fitted process's
    /// parameters (onset rate: gamma; exponential mean: inverse gamma; lognormal or gamma
    /// durations: joint draws written to --posterior-out).
    #[arg(long)]
    pub posterior: bool,
    /// Draws of each lognormal or gamma duration posterior (random-walk Metropolis).
    #[arg(long, default_value_t = 4000, value_name = "N", requires = "posterior")]
    pub posterior_draws: usize,
    /// Seed of the Metropolis sampler (corridor i in id order uses SEED + i).
    #[arg(long, default_value_t = 1, value_name = "SEED", requires = "posterior")]
    pub seed: u64,
    /// Folder for the joint draws' CSV files, written into `joint = "..."` as given: give
    /// it relative to the scenario file that will hold the tables' folder (default
    /// `posterior`). A file there is replaced only if it holds the same columns.
    #[arg(
        long,
        default_value = "posterior",
        value_name = "DIR",
        requires = "posterior"
    )]
    pub posterior_out: String,
}

fn date(flag: &str, v: &Option<String>) -> Result<Option<chrono::NaiveDate>, Error> {
    v.as_deref()
        .map(|s| {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
                Error::Invalid(format!(
                    "--{flag} \"{s}\" is not a date; write YYYY-MM-DD, e.g. 2021-01-01"
                ))
            })
        })
        .transpose()
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let opts = Options {
        start: date("start", &args.start)?,
        end: date("end", &args.end)?,
        also: args.also,
        joint: args.joint,
        joint_window_days: args.joint_window,
        alpha: 1.0 - args.level,
    };
    let log = read_log(&args.log)?;
    let cal = calibrate(&log, &opts)?;
    if args.posterior_draws == 0 {
        return Err(Error::Invalid("--posterior-draws must be at least 1".into()).into());
    }
    let tables = if args.posterior {
        let opts = PosteriorOptions {
            draws: args.posterior_draws,
            seed: args.seed,
            dir: args.posterior_out.clone(),
            log_name: args.log.file_name().map_or_else(
                || args.log.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
        };
        let t = cal.posterior_tables(&opts)?;
        for (path, text) in &t.files {
            write_draws(std::path::Path::new(path), text)?;
        }
        Some(t)
    } else {
        None
    };
    println!("# log: {}", args.log.display());
    print!("{}", cal.to_toml());
    if let Some(t) = tables {
        println!();
        print!("{}", t.toml);
        for (path, _) in &t.files {
            eprintln!("wrote {path}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Write joint draws to `path`, refusing to replace a file that does not hold the same
/// columns (a file of another kind, or the user's).
fn write_draws(path: &std::path::Path, text: &str) -> Result<(), Error> {
    let header = text.lines().next().unwrap_or_default();
    if path.exists() {
        let old = std::fs::read_to_string(path).unwrap_or_default();
        if old.lines().next() != Some(header) {
            return Err(Error::Invalid(format!(
                "{} exists and is not draws of the same parameters ({header}); remove it or give \
                 another --posterior-out",
                path.display()
            )));
        }
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    chokepoint::output::write_bytes_atomic(path, text.as_bytes())
}
