//! `chokepoint fit`: posterior draws of a scenario's uncertain parameters given its
//! recorded closure episodes (ABC-SMC), and the episodes' posterior predictive checks.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use chokepoint::calibrate::episode_fit::{self, FitConfig, Replay};
use chokepoint::calibrate::episodes::{Episodes, EPISODES_FILE};
use chokepoint::output::Manifest;
use chrono::NaiveDate;

/// Arguments of `chokepoint fit`.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  chokepoint fit scenarios/afghanistan/base.toml --priors scenarios/afghanistan/priors.toml --out out/fit
  chokepoint fit scenarios/afghanistan/base.toml --priors scenarios/afghanistan/priors.toml \\
      --params settings.reaction_days,settings.queue_patience_days --particles 100 --seed 1 --out out/fit

The scenario's [[uncertain]] tables are the priors, or those of --priors FILE where it
names the same parameters (a scenario that carries a posterior is refitted from the
priors it came from: scenarios/afghanistan/priors.toml). Each episode of the list (default: the
scenario's history/episodes.csv) is replayed with the parameters drawn; a point's distance
is the sum over episodes and banded figures of 0 inside the band and the log-ratio to the
nearer edge outside. Episodes from --held-out-from on are not fitted, only checked.
Writes posterior.csv (a joint CSV for [[uncertain]] joint = \"...\"), summary.csv,
generations.csv, particles.csv and predictive.csv; docs/calibration.md describes them.",
    mut_arg("seed", |a| a.help("Seed of every random choice of the fit"))
)]
pub struct Args {
    /// The scenario whose [[uncertain]] tables are the priors.
    scenario: PathBuf,
    /// The episode list (a CSV, or a folder holding episodes.csv). Default: the folder
    /// `history` beside the scenario.
    #[arg(long)]
    episodes: Option<PathBuf>,
    /// Parameters to fit, comma-separated (a joint table goes whole). Default: the
    /// behavioural ones with a table: reaction, queue, order and abandon days.
    #[arg(long, value_delimiter = ',')]
    params: Option<Vec<String>>,
    /// A priors file ([[uncertain]] tables only): its tables replace the scenario's for
    /// the same parameters, so a scenario that carries an earlier fit's posterior is
    /// refitted from the priors, not from that posterior.
    #[arg(long, value_name = "FILE")]
    priors: Option<PathBuf>,
    /// Episodes starting on or after this date are held out (checked, not fitted).
    #[arg(long, default_value = "2025-01-01")]
    held_out_from: NaiveDate,
    /// Particles per ABC-SMC population.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(10..=100000))]
    particles: u32,
    /// The most ABC-SMC generations after the prior's.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=100))]
    generations: u32,
    /// Posterior draws written to posterior.csv.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    draws: u32,
    /// Posterior draws replayed on every episode for the predictive intervals.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..))]
    predictive_draws: u32,
    #[command(flatten)]
    seeding: crate::flags::Seeding,
    #[command(flatten)]
    output: crate::flags::Output,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let t0 = Instant::now();
    let threads = chokepoint::study::request::threads_or_cores(args.seeding.threads());
    let mut scenario = chokepoint::scenario::load_any(&args.scenario)?;
    if let Some(p) = &args.priors {
        let priors = chokepoint::scenario::load_priors(p, &scenario)?;
        scenario = chokepoint::scenario::with_priors(&scenario, &priors)?;
    }
    let axes = episode_fit::select_axes(&scenario.uncertain, args.params.as_deref())?;
    let list = match &args.episodes {
        Some(p) => p.clone(),
        None => args
            .scenario
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join("history")
            .join(EPISODES_FILE),
    };
    let episodes = Episodes::load(&list)?;
    let replays: Vec<Replay> = episodes
        .episodes
        .iter()
        .map(Replay::load)
        .collect::<Result<_, _>>()?;
    // Every fitted parameter must apply to every replay: check at the priors' medians
    // before any work.
    let mid = vec![0.5; axes.len()];
    for r in &replays {
        chokepoint::uncertainty::apply(&r.scenario, &axes, &mid).map_err(|e| {
            chokepoint::Error::Invalid(format!(
                "{}: the fitted parameters do not apply to this replay: {e}",
                r.episode.path.display()
            ))
        })?;
    }
    let config = FitConfig {
        particles: args.particles as usize,
        max_generations: args.generations as usize,
        draws: args.draws as usize,
        predictive_draws: args.predictive_draws.min(args.draws) as usize,
        held_out_from: args.held_out_from,
        seed: args.seeding.seed,
        threads,
        ..FitConfig::default()
    };
    let mut manifest = Manifest::new("fit", &scenario);
    manifest.fit = Some(episode_fit::record(&axes, &list, &replays, &config));
    crate::study::prepare_out(&args.output.out, &manifest, args.output.force.force)?;
    let (fitted, held) = episode_fit::split(&replays, config.held_out_from);
    let names: Vec<String> = axes.iter().map(|a| a.label()).collect();
    eprintln!(
        "{}: fitting {} ({} axis/axes) to {} episode(s) of {} ({} held out from {})",
        args.scenario.display(),
        names.join(", "),
        axes.len(),
        fitted.len(),
        list.display(),
        held.len(),
        config.held_out_from
    );
    let fit = episode_fit::fit(&axes, &replays, &config)?;
    let t_fit = t0.elapsed().as_secs_f64();
    let rows = episode_fit::predictive(
        &axes,
        &replays,
        &fit.draws[..config.predictive_draws],
        config.held_out_from,
        threads,
    )?;
    let seconds = t0.elapsed().as_secs_f64();
    let files = episode_fit::files(&fit, &rows);
    chokepoint::study::output::write_with_manifest(
        &args.output.out,
        files,
        &manifest,
        "manifest.json",
    )?;
    chokepoint::output::write_timing(
        &args.output.out,
        &chokepoint::output::Timing {
            threads,
            seconds,
            runs_per_second: fit.replays as f64 / t_fit,
        },
    )?;
    let p = &fit.population;
    println!(
        "{} generation(s) ({:?}), {} proposals ({} counted by ABC-SMC), {} distinct point(s) = {} \
         episode replays in {t_fit:.1} s on {threads} thread(s); last tolerance {}, effective \
         sample size {:.0}",
        p.generations.len(),
        p.stopped,
        fit.evaluations,
        p.simulations(),
        fit.distinct_points,
        fit.replays,
        p.generations.last().map_or(f64::NAN, |g| g.tolerance),
        p.effective_size()
    );
    println!(
        "{:<34} {:>22} {:>22}",
        "parameter", "prior p5/p50/p95", "posterior p5/p50/p95"
    );
    for s in &fit.summary {
        println!(
            "{:<34} {:>22} {:>22}",
            s.parameter,
            format!("{}/{}/{}", s.prior[0], s.prior[1], s.prior[2]),
            format!("{}/{}/{}", s.posterior[0], s.posterior[1], s.posterior[2])
        );
    }
    println!(
        "\n{:<24} {:<20} {:>14} {:>24}  verdict",
        "episode", "figure", "band", "90% predictive (p50)"
    );
    for r in rows.iter().filter(|r| r.band.is_some()) {
        let f = r.figure;
        let (lo, hi) = r.band.unwrap_or_default();
        println!(
            "{:<24} {:<20} {:>14} {:>24}  {}{}",
            r.name,
            f.name(),
            format!("{}–{}", f.format(lo), f.format(hi)),
            format!(
                "{}–{} ({})",
                f.format(r.interval[0]),
                f.format(r.interval[2]),
                f.format(r.interval[1])
            ),
            r.verdict(),
            if r.held_out { " (held out)" } else { "" }
        );
    }
    println!("wrote {} in {seconds:.1} s", args.output.out.display());
    Ok(ExitCode::SUCCESS)
}
