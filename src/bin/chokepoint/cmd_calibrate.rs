//! `chokepoint calibrate`: fit closure processes to a closure log and print TOML.

use std::path::PathBuf;
use std::process::ExitCode;

use chokepoint::calibrate::{calibrate, read_log, Options};
use chokepoint::Error;

/// Arguments of `chokepoint calibrate`.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  chokepoint calibrate scenarios/afghanistan/closures-2021-2024.csv
  chokepoint calibrate scenarios/afghanistan/closures-2021-2024.csv --start 2021-01-01 --end 2025-01-01 \\
      --also ghulam_khan,angoor_adda,kharlachi --joint torkham,chaman")]
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
    println!("# log: {}", args.log.display());
    print!("{}", cal.to_toml());
    Ok(ExitCode::SUCCESS)
}
