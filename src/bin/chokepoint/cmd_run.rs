//! `chokepoint run`: replay one deterministic path (the scenario's fixed closures plus
//! any given with `--close`, or one run of a Monte Carlo study with `--replay`) and write
//! its metrics and daily series.

use std::path::PathBuf;
use std::process::ExitCode;

use chokepoint::output::{self, Manifest};
use chokepoint::sim::Engine;

use crate::flags;
use crate::study;

/// Arguments of `chokepoint run`.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  chokepoint run scenarios/afghanistan/base.toml --out out/base
  chokepoint run scenarios/afghanistan/base.toml --no-fixed-closures \\
      --close torkham:2024-01-13..2024-01-23 --close chaman:2024-01-13+30@0.1 --out out/what-if
  chokepoint run scenarios/twoland.toml --close north:2025-03-10+14 --start 2025-03-01 --days 120
  chokepoint run --replay out/mc --run 17 --out out/run17
  chokepoint run scenarios/afghanistan/base.toml --reference   # every day simulated plainly")]
#[command(
    mut_arg("out", |a| a.help(
        "Output folder for run.csv, daily.csv, prices.csv and manifest.json (nothing is \
         written without it). Checked before the run: it may hold only this same study's \
         files")),
    mut_arg("close", |a| a.help(
        "An ad-hoc closure, ID:FROM..TO (TO = reopening date) or ID:FROM+DAYS, with an \
         optional @FACTOR (0 = shut, default). Repeatable")),
    mut_arg("days", |a| a.help("Days to simulate, 1..=3660 (default: the scenario's days)")),
    mut_arg("no_fixed_closures", |a| a
        .help("Ignore the scenario's own [[closure]] windows (only --close applies)")),
)]
pub struct Args {
    /// Scenario file (TOML), or an option file (run on its base scenario with its changes).
    /// With --replay: the study's scenario (default: the path its manifest records).
    #[arg(required_unless_present = "replay")]
    scenario: Option<PathBuf>,
    /// Re-simulate one run of the Monte Carlo study in this folder, from the closure
    /// windows its closures.csv recorded, and check the result against its runs.csv row.
    #[arg(long, value_name = "DIR", requires = "run", conflicts_with_all = ["close", "closures", "start", "days", "no_fixed_closures"])]
    replay: Option<PathBuf>,
    /// The run to replay (its index in runs.csv).
    #[arg(long, value_name = "K", requires = "replay")]
    run: Option<u64>,
    /// Simulate every day with the plain reference simulation (no day taken from the
    /// counterfactual, no plan remembered): slower, and the same results.
    #[arg(long)]
    reference: bool,
    #[command(flatten)]
    output: flags::MaybeOutput,
    #[command(flatten)]
    window: flags::Window,
    /// Also write the HTML report, OUT/report.html (see `chokepoint report`).
    #[arg(long, requires = "out")]
    report: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let (Some(dir), Some(k)) = (&args.replay, args.run) {
        return replay(&args, dir, k);
    }
    let Some(path) = args.scenario.as_ref() else {
        anyhow::bail!("a scenario file is needed (or --replay DIR --run K)");
    };
    let t0 = std::time::Instant::now();
    let mut scenario = chokepoint::scenario::load_any(path)?;
    let (close, c) = args.window.apply(&mut scenario)?;
    let mut manifest = Manifest::new("run", &scenario);
    manifest.set_no_fixed_closures(args.window.no_fixed_closures());
    manifest.closures.close = close.clone();
    if let Some(dir) = &args.output.out {
        study::prepare_out(dir, &manifest, args.output.force.force)?;
    }
    let mut closures = c.fixed.clone();
    closures.extend(c.extra.iter().cloned());
    let mut engine = Engine::with_execution(&scenario, execution(&args))?;
    let report = engine.run(&closures, chokepoint::sim::Record::Daily)?;
    let s = &scenario.settings;
    println!(
        "{}: {} days from {}, {}",
        path.display(),
        s.days,
        s.start,
        study::describe(&c)
    );
    print!("{}", output::summary_text(&report.metrics));
    write(&args, t0, &scenario, &report, &manifest)?;
    Ok(ExitCode::SUCCESS)
}

/// The execution `--reference` asks for.
fn execution(args: &Args) -> chokepoint::sim::Execution {
    if args.reference {
        chokepoint::sim::Execution::Reference
    } else {
        chokepoint::sim::Execution::Fast
    }
}

/// Write the run's files to `--out`, if given: the manifest last.
fn write(
    args: &Args,
    t0: std::time::Instant,
    scenario: &chokepoint::Scenario,
    report: &chokepoint::sim::RunReport,
    manifest: &Manifest,
) -> anyhow::Result<()> {
    if let Some(dir) = &args.output.out {
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
            scenario,
            &report.metrics,
            report.daily.as_ref(),
            manifest,
        )?;
        println!("wrote {}", dir.display());
        if args.report {
            crate::cmd_report::write(dir, scenario.source.as_deref())?;
        }
    }
    Ok(())
}

/// `--replay DIR --run K`: re-simulate run K of the study in DIR from its recorded
/// closures; print and write it like any run, and check it against its runs.csv row
/// (exit 1 if a metric differs).
fn replay(args: &Args, dir: &std::path::Path, k: u64) -> anyhow::Result<ExitCode> {
    let t0 = std::time::Instant::now();
    let needs = "--replay needs a montecarlo folder (written by `chokepoint montecarlo --out`, \
                 or merged from its shards)";
    let manifest_path = dir.join("manifest.json");
    if !manifest_path.is_file() {
        return Err(chokepoint::Error::Invalid(format!(
            "{needs}; {} holds no manifest.json{}",
            dir.display(),
            if dir.join("shard.json").is_file() {
                " (it is a shard: merge the shards with `chokepoint merge`, then replay the merge)"
            } else {
                ""
            }
        ))
        .into());
    }
    let study = Manifest::read(&manifest_path)?;
    if study.command != "montecarlo" || study.montecarlo.is_none() {
        return Err(chokepoint::Error::Invalid(format!(
            "{needs}; {} holds a `{}` study (its manifest.json says so)",
            dir.display(),
            study.command
        ))
        .into());
    }
    let path = args
        .scenario
        .clone()
        .unwrap_or_else(|| PathBuf::from(&study.scenario.path));
    let mut scenario = chokepoint::scenario::load_any(&path)?;
    if scenario.checksum != study.scenario.sha256 {
        anyhow::bail!(
            "--replay: {} is not the scenario the study ran (its sha256 {} differs from the \
             manifest's {}); pass the study's scenario file",
            path.display(),
            scenario.checksum,
            study.scenario.sha256
        );
    }
    let start = chokepoint::closure::parse_date(&study.window.start)?;
    chokepoint::scenario::apply_window(&mut scenario, Some(start), Some(study.window.days))?;
    let rec = chokepoint::montecarlo::replay::recorded_run(dir, k, &scenario)?;
    let mut manifest = Manifest::new("run", &scenario);
    manifest.closures.no_fixed_closures = true;
    manifest.closures.fixed = rec
        .closures
        .iter()
        .map(|w| output::manifest::ClosureRecord::of(&scenario, w))
        .collect();
    if let Some(out) = &args.output.out {
        study::prepare_out(out, &manifest, args.output.force.force)?;
    }
    let report = Engine::with_execution(&scenario, execution(args))?
        .run(&rec.closures, chokepoint::sim::Record::Daily)?;
    println!(
        "{}: run {k} of the study in {} ({} closure window(s)), {} days from {}",
        path.display(),
        dir.display(),
        rec.closures.len(),
        scenario.settings.days,
        scenario.settings.start
    );
    print!("{}", output::summary_text(&report.metrics));
    write(args, t0, &scenario, &report, &manifest)?;
    let diff = chokepoint::montecarlo::replay::row_differences(&rec.row, &report.metrics, 1e-9);
    if diff.is_empty() {
        println!("the replay matches run {k} of {}/runs.csv", dir.display());
        Ok(ExitCode::SUCCESS)
    } else {
        for (col, was, now) in &diff {
            eprintln!("error: {col}: runs.csv has {was}, the replay gives {now}");
        }
        Ok(ExitCode::from(1))
    }
}
