//! `chokepoint uncertainty`: parameter uncertainty over a base and its options.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use chokepoint::compare::Candidate;
use chokepoint::montecarlo::output::Timing;
use chokepoint::output::money;
use chokepoint::uncertainty::study::{self, Analysis, Config, DesignKind, Grouping, Study};

use crate::cmd_montecarlo::Bar;

/// Arguments of `chokepoint uncertainty`.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  chokepoint uncertainty scenarios/afghanistan/base.toml --no-fixed-closures --out out/unc
  chokepoint uncertainty scenarios/afghanistan/base.toml \\
      scenarios/afghanistan/options/{khaf_herat_rail,trans_afghan_rail,chabahar}.toml \\
      --no-fixed-closures --points 64 --years 200 --seed 1 --out out/unc --report
  chokepoint uncertainty BASE OPTION... --indices --base-points 16 --years 100 --out out/sobol

Every [[uncertain]] table of the base and the options is one axis of the design. Each
parameter point runs the same simulated years (common closure draws) for the base and
every option, so differences between points are the parameters' alone. A study costs
points x (options + 1) x years simulated years; with --indices points = base-points x
(factors + 2). docs/uncertainty.md describes the method and every file.")]
pub struct Args {
    /// The base scenario (TOML), then option files of that base.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// How the points are drawn (without --indices): `random` (independent uniform draws:
    /// every interval and Chatterjee's xi apply) or `sobol` (a scrambled Sobol' sequence:
    /// more even, no xi).
    #[arg(long, default_value = "random", value_parser = ["random", "sobol"])]
    design: String,
    /// Parameter points (without --indices).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(8..=65536))]
    points: u64,
    /// Simulated years per point and scenario (the same years at every point).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(2..))]
    years: u64,
    /// Sobol' indices: a Saltelli design of --base-points x (factors + 2) random points.
    #[arg(long)]
    indices: bool,
    /// Base points of the Saltelli design (with --indices).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(4..=65536))]
    base_points: u64,
    /// Factors of the indices: `target` (the axes of one process, shock, link... together)
    /// or `axis` (each axis alone).
    #[arg(long, default_value = "target", value_parser = ["target", "axis"])]
    groups: String,
    /// Seed of the closure draws, the design's scramble and the bootstrap.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    threads: Option<u32>,
    /// Bootstrap resamples of every interval.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    bootstrap: u32,
    /// Ignore the scenarios' own [[closure]] windows.
    #[arg(long)]
    no_fixed_closures: bool,
    /// Output folder. Checked before the runs: it may hold only this same study's files.
    #[arg(long)]
    out: PathBuf,
    /// Replace the files chokepoint wrote in --out for another study (others are kept).
    #[arg(long)]
    force: bool,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// Also write the HTML report, OUT/report.html.
    #[arg(long)]
    report: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let t0 = Instant::now();
    let threads = match args.threads {
        Some(t) => t as usize,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
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
        seed: args.seed,
        threads,
        design: if args.indices {
            DesignKind::Saltelli {
                base_points: args.base_points as usize,
            }
        } else if args.design == "sobol" {
            DesignKind::Sobol {
                points: args.points as usize,
            }
        } else {
            DesignKind::Random {
                points: args.points as usize,
            }
        },
        grouping: if args.groups == "axis" {
            Grouping::Axis
        } else {
            Grouping::Target
        },
        bootstrap_resamples: args.bootstrap,
        no_fixed_closures: args.no_fixed_closures,
    };
    config.check()?;
    let manifest = study::manifest(&s, &config)?;
    crate::study::prepare_out(&args.out, &manifest, args.force)?;
    let points = manifest.uncertainty.as_ref().map_or(0, |u| u.points);
    let factors = s.factors(config.grouping).len();
    eprintln!(
        "{}: {} uncertain axis/axes ({} factor(s)), {} point(s) x {} scenario(s) x {} years = {} \
         simulated years",
        base_path.display(),
        s.axes.len(),
        factors,
        points,
        s.candidates.len(),
        config.years,
        points * s.candidates.len() as u64 * config.years
    );
    let bar = Bar::new(args.quiet);
    let outcome = study::simulate(&s, &config, &bar, &AtomicBool::new(false))?;
    let seconds = t0.elapsed().as_secs_f64();
    let years = points * s.candidates.len() as u64 * config.years;
    chokepoint::montecarlo::output::write_timing(
        &args.out,
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
    let a = study::output::write_outputs(&args.out, &outcome)?;
    print!("{}", table(&outcome.labels, &a));
    println!("wrote {}", args.out.display());
    if args.report {
        crate::cmd_report::write(&args.out, Some(base_path))?;
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
