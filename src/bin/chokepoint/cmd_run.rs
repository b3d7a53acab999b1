//! `chokepoint run`: replay one deterministic path (the scenario's fixed closures plus
//! any given with `--close`) and write its metrics and daily series.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use chokepoint::closure::spec::parse_date;
use chokepoint::closure::{apply_window, parse_close_spec};
use chokepoint::output::{self, Manifest};
use chokepoint::sim::Engine;

/// Arguments of `chokepoint run`.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  chokepoint run scenarios/afghanistan/base.toml --out out/base
  chokepoint run scenarios/afghanistan/base.toml --no-fixed-closures \\
      --close torkham:2024-01-13..2024-01-23 --close chaman:2024-01-13+30@0.1 --out out/what-if
  chokepoint run scenarios/twoland.toml --start 2025-03-01 --days 120")]
pub struct Args {
    /// Scenario file (TOML), or an option file (run on its base scenario with its changes).
    scenario: PathBuf,
    /// Output folder for run.csv, daily.csv and manifest.json (nothing is written without it).
    #[arg(long)]
    out: Option<PathBuf>,
    /// An ad-hoc closure, ID:FROM..TO (TO = reopening date) or ID:FROM+DAYS, with an
    /// optional @FACTOR (0 = shut, default). Repeatable.
    #[arg(long, value_name = "SPEC")]
    close: Vec<String>,
    /// First simulated date (default: the scenario's start).
    #[arg(long, value_name = "DATE")]
    start: Option<String>,
    /// Days to simulate (default: the scenario's days).
    #[arg(long, value_name = "N")]
    days: Option<u32>,
    /// Ignore the scenario's own [[closure]] windows (only --close applies).
    #[arg(long)]
    no_fixed_closures: bool,
    /// Also write the HTML report, OUT/report.html (see `chokepoint report`).
    #[arg(long, requires = "out")]
    report: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let t0 = Instant::now();
    let mut scenario = chokepoint::scenario::load_any(&args.scenario)?;
    let start = args.start.as_deref().map(parse_date).transpose()?;
    apply_window(&mut scenario, start, args.days)?;
    let mut closures = if args.no_fixed_closures {
        Vec::new()
    } else {
        scenario.closures.clone()
    };
    for spec in &args.close {
        closures.push(parse_close_spec(&scenario, spec)?);
    }
    let mut engine = Engine::new(&scenario)?;
    let report = engine.run(&closures, true)?;
    let s = &scenario.settings;
    println!(
        "{}: {} days from {}, {} closure window(s)",
        args.scenario.display(),
        s.days,
        s.start,
        closures.len()
    );
    print!("{}", output::summary_text(&report.metrics));
    if let Some(dir) = &args.out {
        let mut manifest = Manifest::new("run", &scenario);
        manifest.closures = closures
            .iter()
            .map(|w| {
                format!(
                    "{}:{}+{}@{} ramp {}",
                    scenario.target_name(w.target),
                    scenario.date_of(w.start_day),
                    w.duration_days,
                    w.capacity_factor,
                    w.ramp_days
                )
            })
            .collect();
        manifest.options = vec![format!("no_fixed_closures={}", args.no_fixed_closures)];
        manifest.seconds = t0.elapsed().as_secs_f64();
        output::write_run(
            dir,
            &scenario,
            &report.metrics,
            report.daily.as_ref(),
            &manifest,
        )?;
        println!("wrote {}", dir.display());
        if args.report {
            crate::cmd_report::write(dir, Some(&args.scenario))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
