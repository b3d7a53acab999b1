//! `chokepoint montecarlo` and `chokepoint merge`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use chokepoint::closure::{regime, RegimeStart};
use chokepoint::montecarlo::controlled::{self, ControlSet, Controls};
use chokepoint::montecarlo::{self, output, stats::Stats, Config};
use chokepoint::output::money;
use chokepoint::sim::Engine;
use chokepoint::study::request::MonteCarloRequest;

use crate::flags;
use crate::study::{self, Bar};

/// Arguments of `chokepoint montecarlo`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples (afghanistan/base has random closure processes; --no-fixed-closures \
leaves out its replay of 2024):
  chokepoint montecarlo scenarios/afghanistan/base.toml --no-fixed-closures --runs 1000 --seed 7 --out out/mc
  chokepoint montecarlo scenarios/afghanistan/base.toml --no-fixed-closures --runs 100000 \\
      --target-rel-error 0.02 --out out/mc
  chokepoint montecarlo scenarios/afghanistan/base.toml --no-fixed-closures --runs 10000 --seed 7 \\
      --shard 3/8 --out out/shard3
  chokepoint montecarlo scenarios/afghanistan/base.toml --no-fixed-closures --regime-start tense \\
      --out out/mc-tense
  chokepoint merge out/shard* --out out/mc"
)]
pub struct Args {
    /// Scenario file (TOML), or an option file (its changes on its base scenario).
    scenario: PathBuf,
    #[command(flatten)]
    sampling: flags::Sampling,
    #[command(flatten)]
    output: flags::Output,
    /// Stop once the relative standard error of the mean total loss is at most this
    /// (checked after every --batch-size runs).
    #[arg(long, value_name = "X", value_parser = positive, conflicts_with = "shard")]
    target_rel_error: Option<f64>,
    /// Runs per batch with --target-rel-error.
    #[arg(long, default_value_t = MonteCarloRequest::BATCH_SIZE,
          value_parser = clap::value_parser!(u64).range(1..))]
    batch_size: u64,
    #[command(flatten)]
    quiet: flags::Quiet,
    #[command(flatten)]
    window: flags::Window,
    /// Also write the HTML report, OUT/report.html (not with --shard: report the merge).
    #[arg(long, conflicts_with = "shard")]
    report: bool,
    #[command(flatten)]
    regime: flags::Regime,
    #[command(flatten)]
    controls: flags::ControlVariates,
    /// With --target-rel-error, stop on the controlled estimate's relative error
    /// instead of the plain one's.
    #[arg(long, requires = "target_rel_error", conflicts_with = "no_controls")]
    stop_on_controlled: bool,
}

/// A positive, finite number (for --target-rel-error).
fn positive(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(format!(
            "{s:?}: expected a positive number such as 0.02 (2%)"
        )),
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let t0 = Instant::now();
    let shard = args.sampling.sharding.shard()?;
    let runs = args.sampling.runs;
    let out = &args.output.out;
    let request = MonteCarloRequest {
        threads: args.sampling.seeding.threads(),
        shard,
        target_rel_error: args.target_rel_error,
        batch_size: args.batch_size,
        fixed_closures: !args.window.no_fixed_closures(),
        regime_start: args.regime.regime_start.clone(),
        ..MonteCarloRequest::new(runs, args.sampling.seeding.seed)
    };
    let threads = request.threads();
    let mut scenario = chokepoint::scenario::load_any(&args.scenario)?;
    let (close, c) = args.window.apply(&mut scenario)?;
    for w in MonteCarloRequest::warnings(&scenario) {
        study::warn(&format!("{}: {w}", args.scenario.display()));
    }
    let config = request.config(&scenario, &close, c.extra.clone())?;
    study::prepare_out(
        out,
        &montecarlo::manifest(&scenario, &config),
        args.output.force.force,
    )?;
    eprintln!(
        "{}: {} in every run",
        args.scenario.display(),
        study::describe(&c)
    );
    let start_line = regime_line(&scenario, &config);
    let bar = Bar::new(args.quiet.quiet);
    // Every run has the fixed closures: runs rejoin the simulation of those alone.
    let base = montecarlo::fixed_closures(&scenario, &config);
    // Control variates: features of each run's closure plan, their means from cheap draws.
    // On unless --no-controls, and only with random closures (nothing to control for
    // without); a shard writes its runs' features and its chunks of the draws instead.
    let draws = match args.controls.draws(runs) {
        Some(d) if !scenario.closure_sampler()?.is_empty() => Some(d),
        _ => None,
    };
    let controls = match draws {
        Some(d) if shard.is_none() => Some(Controls::new(&scenario, &config, d, false)?),
        _ => None,
    };
    let seen = std::sync::Mutex::new(Vec::<f64>::new());
    let stop = |done_runs: &montecarlo::Runs, x: f64| -> Result<bool, chokepoint::Error> {
        match (&controls, args.stop_on_controlled) {
            (Some(c), true) => {
                let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
                let done = seen.len() / c.len().max(1);
                seen.extend(c.of_runs(&done_runs.runs[done..]));
                if done_runs.len() < c.len() + 3 {
                    return Ok(false);
                }
                let e = controlled::total_loss(c.set(), done_runs, &seen)?;
                Ok(e.controlled.relative_error() <= x)
            }
            _ => Ok(montecarlo::stats::relative_standard_error(&done_runs.losses()) <= x),
        }
    };
    // Each run's rows go to the files as it finishes; only what the statistics need
    // stays in memory.
    let mut writer = output::Writer::create(out, &montecarlo::manifest(&scenario, &config))?;
    let outcome = montecarlo::simulate_to(
        &scenario,
        &config,
        || Engine::with_base(&scenario, &base),
        &bar,
        None,
        montecarlo::Draws::Plain,
        Some(&stop),
        &mut writer,
    )?;
    let seconds = t0.elapsed().as_secs_f64();
    let done = outcome.runs.len();
    // Timing first, the manifest last (a folder without one is unfinished).
    output::write_timing(
        out,
        &output::Timing {
            threads,
            seconds,
            runs_per_second: done as f64 / seconds,
        },
    )?;
    // The controlled estimates (not for a shard: its runs are a slice), written with
    // the other files and listed in the manifest.
    let mut controlled_line_text = None;
    let mut extra = Vec::new();
    let runs = &outcome.runs.runs;
    if let (None, Some(c)) = (shard, &controls) {
        let x = c.of_runs(runs);
        (controlled_line_text, extra) = controlled_files(c.set(), &outcome.runs, &x);
    } else if let (Some(_), Some(d)) = (shard, draws) {
        extra = controlled::shard_files(&scenario, &config, d, runs)?;
    }
    writer.finish(&outcome, extra)?;
    let losses = outcome.runs.losses();
    println!(
        "{}: {done} run(s) of {} days{} in {seconds:.1} s ({:.1} runs/s, {threads} thread(s))",
        args.scenario.display(),
        scenario.settings.days,
        shard.map(|s| format!(" (shard {s})")).unwrap_or_default(),
        done as f64 / seconds,
    );
    if let Some(line) = &start_line {
        println!("{line}");
    }
    if let (None, Some(s)) = (shard, Stats::of(&losses)) {
        println!("{}", loss_line(&s));
    }
    if let Some(line) = controlled_line_text {
        println!("{line}");
    }
    println!("wrote {}", out.display());
    if args.report {
        crate::cmd_report::write(out, Some(&args.scenario))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `regime start: ...` for the summary: how the chain starts and the mean rate
/// multiplier over the window that implies; `None` without a chain.
fn regime_line(scenario: &chokepoint::Scenario, config: &Config) -> Option<String> {
    let chain = scenario.regimes.as_ref()?;
    let start = montecarlo::regime_start(scenario, config)?;
    let days = scenario.settings.days;
    let by = if config.regime_start.is_some() {
        "--regime-start"
    } else {
        "the scenario"
    };
    let what = match start {
        RegimeStart::Stationary => {
            "stationary (drawn from the long-run shares: an average year)".to_string()
        }
        RegimeStart::State(_) => format!("{} (every run begins in it)", start.name(chain)),
    };
    let mult = regime::mean_multiplier(chain, start, days)
        .map(|m| format!("; mean rate multiplier over the {days} days {m:.3}"))
        .unwrap_or_default();
    Some(format!("regime start: {what}, set by {by}{mult}"))
}

/// The total-loss line of the summary, in the money format of `chokepoint run`.
fn loss_line(s: &Stats) -> String {
    format!(
        "total loss: mean {} (95% CI {} .. {}, rel. error {:.1}%), p95 {}, TVaR95 {}",
        money(s.mean),
        money(s.ci_low),
        money(s.ci_high),
        100.0 * s.relative_error(),
        money(s.p95),
        money(s.tvar95)
    )
}

/// The controlled estimates of a study's runs `runs` whose features are `x`: the
/// summary's line and the files (none, with a note on stderr, when the runs are too
/// few for the controls).
fn controlled_files(
    c: &ControlSet,
    runs: &montecarlo::Runs,
    x: &[f64],
) -> (Option<String>, Vec<(&'static str, Vec<u8>)>) {
    match controlled::analyse(c, runs, x) {
        Ok(estimates) => (
            estimates.first().map(|t| controlled_line(&t.estimate, c)),
            controlled::files(c, &estimates, x),
        ),
        Err(e) => {
            eprintln!("no controlled estimate: {e}");
            (None, Vec::new())
        }
    }
}

fn controlled_line(e: &chokepoint::control_variates::Controlled, c: &ControlSet) -> String {
    let i = &e.controlled;
    format!(
        "total loss, controlled: mean {} (95% CI {} .. {}, rel. error {:.1}%); variance \
         reduction {:.1} (as {:.0} plain runs), {} plan features, means from {} draws \
         (controlled.csv)",
        money(i.mean),
        money(i.ci_low),
        money(i.ci_high),
        100.0 * i.relative_error(),
        e.variance_reduction,
        e.effective_runs,
        c.len(),
        c.means.draws,
    )
}

/// Arguments of `chokepoint merge`.
/// Merge the shards of a Monte Carlo study in `dirs` into `out` (`chokepoint merge`
/// dispatches here: [`crate::cmd_merge`]).
pub fn merge(dirs: &[PathBuf], out: &std::path::Path, force: bool) -> anyhow::Result<ExitCode> {
    let t0 = Instant::now();
    // The shards' tables are read a run at a time and written as they are read.
    let merge = output::Merge::open(dirs)?;
    // The controls, from the plan features and chunks of draws the shards carry.
    let controls = controlled::from_shards(dirs)?;
    study::prepare_out(out, merge.manifest(), force)?;
    let mut controlled_line_text = None;
    let outcome = merge.write_with(out, |outcome| match &controls {
        Ok(c) => {
            let runs = &outcome.runs.runs;
            if *runs != c.runs {
                return Err(chokepoint::Error::Invalid(format!(
                    "the shards' {} hold {} runs' plan features, their runs.csv {} runs",
                    controlled::FEATURES_FILE,
                    c.runs.len(),
                    runs.len()
                )));
            }
            let (line, files) = controlled_files(&c.set, &outcome.runs, &c.x);
            controlled_line_text = line;
            Ok(files)
        }
        Err(note) => {
            eprintln!("{note}");
            Ok(Vec::new())
        }
    })?;
    let seconds = t0.elapsed().as_secs_f64();
    output::write_timing(
        out,
        &output::Timing {
            threads: dirs.len(),
            seconds,
            runs_per_second: outcome.runs.len() as f64 / seconds,
        },
    )?;
    println!(
        "merged {} shard(s), {} run(s) into {}",
        dirs.len(),
        outcome.runs.len(),
        out.display()
    );
    if let Some(s) = Stats::of(&outcome.runs.losses()) {
        println!("{}", loss_line(&s));
    }
    if let Some(line) = controlled_line_text {
        println!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}
