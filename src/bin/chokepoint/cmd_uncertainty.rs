//! `chokepoint uncertainty`: parameter uncertainty over a base and its options.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use chokepoint::compare::Candidate;
use chokepoint::montecarlo::output::Timing;
use chokepoint::output::money;
use chokepoint::uncertainty::study::{self, Analysis, Config, DesignKind, Grouping, Study};

use chokepoint::study::request::threads_or_cores;

use crate::flags;
use crate::study::Bar;

/// Arguments of `chokepoint uncertainty`.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  chokepoint uncertainty scenarios/afghanistan/base.toml --no-fixed-closures --out out/unc
  chokepoint uncertainty scenarios/afghanistan/base.toml \\
      scenarios/afghanistan/options/{khaf_herat_rail,trans_afghan_rail,chabahar}.toml \\
      --no-fixed-closures --points 64 --years 200 --seed 1 --out out/unc --report
  chokepoint uncertainty BASE OPTION... --indices --base-points 16 --years 100 --out out/sobol
  chokepoint uncertainty BASE OPTION... --seed 1 --shard 2/8 --out out/unc2   # on a cluster
  chokepoint merge out/unc1 ... out/unc8 --out out/unc                         # = one process

Every [[uncertain]] table of the base and the options is one axis of the design. Each
parameter point runs the same simulated years (common closure draws) for the base and
every option, so differences between points are the parameters' alone. A study costs
points x (options + 1) x years simulated years; with --indices points = base-points x
(factors + 2). docs/uncertainty.md describes the method and every file.")]
#[command(
    mut_arg("seed", |a| a.help("Seed of the closure draws, the design's scramble and the bootstrap")),
    mut_arg("no_fixed_closures", |a| a.help("Ignore the scenarios' own [[closure]] windows")),
    mut_arg("shard", |a| a.help(
        "Run only shard k of n (points p with p % n == k-1, every scenario and year of \
         each) and write a partial result for `chokepoint merge`")),
)]
pub struct Args {
    /// The base scenario (TOML), then option files of that base.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// How the points are drawn (without --indices): `random` (independent uniform draws:
    /// every interval and Chatterjee's xi apply) or `sobol` (a scrambled Sobol' sequence:
    /// more even, no xi).
    #[arg(long, default_value = Config::DESIGN, value_parser = ["random", "sobol"])]
    design: String,
    /// Parameter points (without --indices).
    #[arg(long, default_value_t = Config::POINTS,
          value_parser = clap::value_parser!(u64).range(8..=65536))]
    points: u64,
    /// Simulated years per point and scenario (the same years at every point).
    #[arg(long, default_value_t = Config::YEARS,
          value_parser = clap::value_parser!(u64).range(2..))]
    years: u64,
    /// Sobol' indices: a Saltelli design of --base-points x (factors + 2) random points.
    #[arg(long)]
    indices: bool,
    /// Base points of the Saltelli design (with --indices).
    #[arg(long, default_value_t = Config::BASE_POINTS,
          value_parser = clap::value_parser!(u64).range(4..=65536))]
    base_points: u64,
    /// Factors of the indices: `target` (the axes of one process, shock, link... together)
    /// or `axis` (each axis alone).
    #[arg(long, default_value = Config::GROUPS, value_parser = ["target", "axis"])]
    groups: String,
    #[command(flatten)]
    seeding: flags::Seeding,
    /// Bootstrap resamples of every interval.
    #[arg(long, default_value_t = Config::BOOTSTRAP,
          value_parser = clap::value_parser!(u32).range(1..))]
    bootstrap: u32,
    #[command(flatten)]
    fixed: flags::FixedClosures,
    #[command(flatten)]
    output: flags::Output,
    #[command(flatten)]
    quiet: flags::Quiet,
    /// Also write the HTML report, OUT/report.html (not with --shard: report the merge).
    #[arg(long, conflicts_with = "shard")]
    report: bool,
    #[command(flatten)]
    sharding: flags::Sharding,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let t0 = Instant::now();
    let shard = args.sharding.shard()?;
    let threads = threads_or_cores(args.seeding.threads());
    let out = &args.output.out;
    let base_path = &args.files[0];
    let base = chokepoint::scenario::load_any(base_path)?;
    let mut base_c = Candidate::base(base);
    base_c.path = base_path.clone();
    let mut options = Vec::new();
    for p in &args.files[1..] {
        options.push(Candidate::option(p)?);
    }
    let s = Study::new(base_c, options)?;
    let config = Config {
        years: args.years,
        seed: args.seeding.seed,
        threads,
        design: DesignKind::of(
            &args.design,
            args.indices,
            args.points as usize,
            args.base_points as usize,
        )?,
        grouping: Grouping::of(&args.groups)?,
        bootstrap_resamples: args.bootstrap,
        no_fixed_closures: args.fixed.no_fixed_closures,
        shard,
    };
    config.check()?;
    let manifest = study::manifest(&s, &config)?;
    crate::study::prepare_out(out, &manifest, args.output.force.force)?;
    let all_points = manifest.uncertainty.as_ref().map_or(0, |u| u.points);
    // The points this process simulates (a shard's share of them).
    let points = (0..all_points)
        .filter(|p| shard.is_none_or(|s| s.contains(*p)))
        .count() as u64;
    let of_all = match shard {
        Some(sh) => format!(" (shard {sh}: {points} of {all_points} points)"),
        None => String::new(),
    };
    let factors = s.factors(config.grouping).len();
    eprintln!(
        "{}: {} uncertain axis/axes ({} factor(s)), {} point(s) x {} scenario(s) x {} years = {} \
         simulated years{of_all}",
        base_path.display(),
        s.axes.len(),
        factors,
        points,
        s.candidates.len(),
        config.years,
        points * s.candidates.len() as u64 * config.years
    );
    let bar = Bar::new(args.quiet.quiet);
    let outcome = study::simulate(&s, &config, &bar, &AtomicBool::new(false))?;
    let seconds = t0.elapsed().as_secs_f64();
    let years = points * s.candidates.len() as u64 * config.years;
    chokepoint::montecarlo::output::write_timing(
        out,
        &Timing {
            threads,
            seconds,
            runs_per_second: years as f64 / seconds,
        },
    )?;
    println!(
        "{points} point(s) x {} scenario(s) x {} years in {seconds:.1} s",
        s.candidates.len(),
        config.years
    );
    if let Some(sh) = shard {
        study::shard::write_partial(out, &outcome)?;
        println!(
            "shard {sh}: wrote {} (merge all {} shards with `chokepoint merge`)",
            out.display(),
            sh.n()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let a = study::output::write_outputs(out, &outcome)?;
    print!("{}", table(&outcome.labels, &a));
    println!("wrote {}", out.display());
    if args.report {
        crate::cmd_report::write(out, Some(base_path))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn pct(p: f64) -> String {
    if p.is_finite() {
        format!("{:.0}%", 100.0 * p)
    } else {
        "-".into()
    }
}

/// The terminal summary.
fn table(labels: &[String], a: &Analysis) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    for r in a.predictive.iter().filter(|r| r.statistic == "mean") {
        let _ = writeln!(
            s,
            "{}: mean annual loss {} (over the parameter draws, p5-p95 of a draw's mean {} .. {})",
            labels[r.candidate],
            money(r.value_usd),
            money(r.points[0]),
            money(r.points[2])
        );
    }
    for r in &a.splits {
        let _ = writeln!(
            s,
            "{}: parameters' share of the variance {} (95% CI {} .. {})",
            r.output,
            pct(r.parameter_share.estimate),
            pct(r.parameter_share.low),
            pct(r.parameter_share.high)
        );
    }
    for r in a.options.iter().filter(|r| r.measure == "avoided_loss_usd") {
        let [_, p5, p50, p95] = r.mean_p5_p50_p95;
        let _ = writeln!(
            s,
            "{}: avoided loss p5/p50/p95 across draws {} / {} / {}, above 0 in {} of draws",
            labels[r.option],
            money(p5),
            money(p50),
            money(p95),
            pct(r.share_above)
        );
    }
    for r in &a.rankings {
        let _ = writeln!(
            s,
            "{} ahead of {} on {}: in {} of draws",
            labels[r.first],
            labels[r.second],
            if r.measure == "mean" {
                "avoided mean loss"
            } else {
                "TVaR95 removed per USD"
            },
            pct(r.share_holds)
        );
    }
    s
}

/// `chokepoint merge` of the shards of an uncertainty study: the files one process would
/// have written.
pub fn merge(dirs: &[PathBuf], out: &std::path::Path, force: bool) -> anyhow::Result<ExitCode> {
    let t0 = Instant::now();
    let outcome = study::shard::merge(dirs)?;
    crate::study::prepare_out(out, &outcome.manifest, force)?;
    let cells: u64 = outcome
        .losses
        .iter()
        .flatten()
        .map(|v| v.len() as u64)
        .sum();
    let seconds = t0.elapsed().as_secs_f64();
    chokepoint::montecarlo::output::write_timing(
        out,
        &Timing {
            threads: dirs.len(),
            seconds,
            runs_per_second: cells as f64 / seconds,
        },
    )?;
    let a = study::output::write_outputs(out, &outcome)?;
    println!(
        "merged {} shard(s), {} point(s) x {} scenario(s) of an uncertainty study into {}",
        dirs.len(),
        outcome.points.u.len(),
        outcome.labels.len(),
        out.display()
    );
    print!("{}", table(&outcome.labels, &a));
    Ok(ExitCode::SUCCESS)
}
