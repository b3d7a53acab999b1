//! `chokepoint run`: replay one deterministic path (the scenario's fixed closures plus
//! any given with `--close`) and write its metrics and daily series.

use std::path::PathBuf;
use std::process::ExitCode;

use chokepoint::output::{self, Manifest};
use chokepoint::sim::Engine;

use crate::study;

/// Arguments of `chokepoint run`.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  chokepoint run scenarios/afghanistan/base.toml --out out/base
  chokepoint run scenarios/afghanistan/base.toml --no-fixed-closures \\
      --close torkham:2024-01-13..2024-01-23 --close chaman:2024-01-13+30@0.1 --out out/what-if
  chokepoint run scenarios/twoland.toml --close north:2025-03-10+14 --start 2025-03-01 --days 120")]
pub struct Args {
    /// Scenario file (TOML), or an option file (run on its base scenario with its changes).
    scenario: PathBuf,
    /// Output folder for run.csv, daily.csv and manifest.json (nothing is written without
    /// it). Checked before the run: it may hold only this same study's files.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace the files chokepoint wrote in --out for another study (others are kept).
    #[arg(long, requires = "out")]
    force: bool,
    /// An ad-hoc closure, ID:FROM..TO (TO = reopening date) or ID:FROM+DAYS, with an
    /// optional @FACTOR (0 = shut, default). Repeatable.
    #[arg(long, value_name = "SPEC")]
    close: Vec<String>,
    /// First simulated date (default: the scenario's start).
    #[arg(long, value_name = "DATE")]
    start: Option<String>,
    /// Days to simulate, 1..=3660 (default: the scenario's days).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=3660))]
    days: Option<u32>,
    /// Ignore the scenario's own [[closure]] windows (only --close applies).
    #[arg(long)]
    no_fixed_closures: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let t0 = std::time::Instant::now();
    let mut scenario = chokepoint::scenario::load_any(&args.scenario)?;
    let c = study::closures(
        &mut scenario,
        args.start.as_deref(),
        args.days,
        args.no_fixed_closures,
        &args.close,
    )?;
    let mut manifest = Manifest::new("run", &scenario);
    manifest.set_no_fixed_closures(args.no_fixed_closures);
    manifest.closures.close = args.close.clone();
    if let Some(dir) = &args.out {
        study::prepare_out(dir, &manifest, args.force)?;
    }
    let mut closures = c.fixed.clone();
    closures.extend(c.extra.iter().cloned());
    let mut engine = Engine::new(&scenario)?;
    let report = engine.run(&closures, chokepoint::sim::Record::Daily)?;
    let s = &scenario.settings;
    println!(
        "{}: {} days from {}, {}",
        args.scenario.display(),
        s.days,
        s.start,
        c.describe()
    );
    print!("{}", output::summary_text(&report.metrics));
    if let Some(dir) = &args.out {
        let seconds = t0.elapsed().as_secs_f64();
        output::write_timing(
            dir,
            &output::Timing {
                threads: 1,
                seconds,
                runs_per_second: 1.0 / seconds,
            },
        )?;
        // The manifest last: a folder without one is unfinished.
        output::write_run(
            dir,
            &scenario,
            &report.metrics,
            report.daily.as_ref(),
            &manifest,
        )?;
        println!("wrote {}", dir.display());
    }
    Ok(ExitCode::SUCCESS)
}
