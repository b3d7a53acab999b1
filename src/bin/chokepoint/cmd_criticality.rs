//! `chokepoint criticality`: close every corridor in turn (N-1) and each N-k set of a sets
//! file for a set duration and rank them by loss; with `--runs`, each corridor's
//! contribution to the Monte Carlo's expected annual loss and TVaR95.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use chokepoint::criticality;
use chokepoint::output;
use chokepoint::output::manifest::SetsFile;
use chokepoint::study::request::{CriticalityPlan, CriticalityRequest};

use crate::flags;
use crate::study;
use crate::study::Bar;

/// Arguments of `chokepoint criticality`.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  chokepoint criticality scenarios/afghanistan/base.toml --duration 30 --out out/crit
  chokepoint criticality scenarios/afghanistan/base.toml --duration 30 \\
      --sets scenarios/afghanistan/criticality-sets.toml --start 2024-09-01 --out out/crit-sep
  chokepoint criticality scenarios/afghanistan/base.toml --duration 30 --runs 1000 --seed 1 \\
      --out out/crit-mc --report

Every corridor is closed alone (N-1), and each set of the --sets file with all its
corridors at once (N-k), for --duration days from --start (default: a month after the
window's start), on an otherwise open network: the scenario's own [[closure]] windows are
left out. With --close or --closures, those closures are in force in every run and each
set is ranked by the loss it adds to theirs. With --runs, each corridor's contribution to the Monte Carlo's mean annual loss
and TVaR95 is the base study minus the same runs with that corridor's closure processes
and shock targets switched off (common draws). See docs/criticality.md.")]
#[command(
    mut_arg("seed", |a| a
        .help("Base seed of the Monte Carlo view (as for `montecarlo`)")
        .requires("runs")),
    mut_arg("regime_start", |a| a
        .help("How the regime chain starts in every run (as for `montecarlo`)")
        .requires("runs")),
    mut_arg("close", |a| a.help(
        "A closure in force in every run, ID:FROM..TO or ID:FROM+DAYS with an optional \
         @FACTOR: each set closes on top of it and is ranked by the loss it adds. Repeatable")),
    mut_arg("closures", |a| a.help(
        "A CSV table of closures in force in every run (columns corridor, start, days or \
         end, factor); its rows join --close. Repeatable")),
)]
pub struct Args {
    /// Scenario file (TOML), or an option file (its changes on its base scenario).
    scenario: PathBuf,
    /// Days each corridor (or set) stays closed.
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=3660))]
    duration: u32,
    /// A TOML file of N-k sets ([[set]] with `name` and `corridors`) to close together.
    #[arg(long, value_name = "FILE")]
    sets: Option<PathBuf>,
    /// First closed date (default: the window's start + 30 days).
    #[arg(long, value_name = "DATE")]
    start: Option<String>,
    /// Capacity factor while closed (0 = shut, default; 0.1 = a trickle).
    #[arg(long, value_name = "F", default_value_t = 0.0)]
    capacity_factor: f64,
    #[command(flatten)]
    output: flags::MaybeOutput,
    /// Also write the HTML report, OUT/report.html.
    #[arg(long, requires = "out")]
    report: bool,
    /// Also the Monte Carlo view, over this many runs (simulated years).
    #[arg(long, value_parser = clap::value_parser!(u64).range(2..))]
    runs: Option<u64>,
    #[command(flatten)]
    seeding: flags::Seeding,
    /// Bootstrap resamples for the TVaR95 intervals and the ranking's stability.
    #[arg(long, value_name = "B", default_value_t = CriticalityRequest::BOOTSTRAP, requires = "runs",
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    bootstrap: u64,
    #[command(flatten)]
    regime: flags::Regime,
    #[command(flatten)]
    closures: flags::Closures,
    #[command(flatten)]
    quiet: flags::Quiet,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let t0 = Instant::now();
    let scenario = chokepoint::scenario::load_any(&args.scenario)?;
    let request = CriticalityRequest {
        start: args
            .start
            .as_deref()
            .map(chokepoint::scenario::parse_date)
            .transpose()
            .context("--start")?,
        capacity_factor: args.capacity_factor,
        threads: args.seeding.threads(),
        close: args.closures.specs(&scenario)?,
        runs: args.runs,
        seed: args.seeding.seed,
        bootstrap_resamples: args.bootstrap,
        regime_start: args.regime.regime_start.clone(),
        ..CriticalityRequest::new(args.duration)
    };
    let sets_file = match &args.sets {
        Some(path) => {
            let (sets, sha256) = criticality::load_sets(path, &scenario).context("--sets")?;
            let path = path.display().to_string();
            Some((sets, SetsFile { path, sha256 }))
        }
        None => None,
    };
    let CriticalityPlan {
        config,
        sets,
        mc: mc_config,
        manifest,
        outside_window,
    } = request.plan(&scenario, sets_file)?;
    for w in outside_window {
        study::warn(&w.to_string());
    }
    let threads = config.threads;
    let close = request.close;
    if let Some(dir) = &args.output.out {
        study::prepare_out(dir, &manifest, args.output.force.force)?;
    }
    let results = criticality::run_sets(&scenario, &sets, &config)?;
    let mc = match &mc_config {
        Some(mc) => {
            if !scenario.closures.is_empty() {
                study::warn(
                    "the Monte Carlo view leaves out the scenario's own [[closure]] windows \
                     (as montecarlo --no-fixed-closures)",
                );
            }
            let bar = Bar::new(args.quiet.quiet);
            Some(criticality::contributions(&scenario, mc, &bar)?)
        }
        None => None,
    };
    let seconds = t0.elapsed().as_secs_f64();
    println!(
        "{}: each of {} corridor(s) and {} set(s) closed for {} days from {} (capacity \
         factor {}), the scenario's own closures left out",
        args.scenario.display(),
        scenario.corridors.len(),
        sets.iter().filter(|s| !s.n_minus_1).count(),
        config.duration_days,
        scenario.date_of(config.start_day),
        config.capacity_factor
    );
    if let Some(r) = results.first().filter(|_| !close.is_empty()) {
        println!(
            "on top of {} closure(s) in force in every run (--close, --closures), which alone \
             lose {}: each set is ranked by the loss it adds (added loss; its components \
             include the background's)",
            close.len(),
            chokepoint::output::money(r.background_loss_usd)
        );
    }
    print!("{}", criticality::output::text(&results, mc.as_ref()));
    for w in
        criticality::warnings::check(&scenario, config.start_day, config.duration_days, &results)
    {
        study::warn(&w.text);
    }
    if let Some(dir) = &args.output.out {
        let runs = 1 + sets.len() as u64 + mc_config.as_ref().map_or(0, |m| m.runs);
        output::write_timing(
            dir,
            &output::Timing {
                threads,
                seconds,
                runs_per_second: runs as f64 / seconds,
            },
        )?;
        criticality::output::write(dir, &scenario, &results, mc.as_ref(), &manifest)?;
        println!("wrote {}", dir.display());
        if args.report {
            crate::cmd_report::write(dir, Some(&args.scenario))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
