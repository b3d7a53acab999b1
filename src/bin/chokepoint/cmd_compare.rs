//! `chokepoint compare`: options against a base on common random numbers.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use chokepoint::compare::{self, Analysis, Candidate, Futures, Study};
use chokepoint::montecarlo::{self, output::Timing};
use chokepoint::output::money;
use chokepoint::study::request::{CompareRequest, MonteCarloRequest};

use crate::flags;
use crate::study;
use crate::study::Bar;

/// Arguments of `chokepoint compare`.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  chokepoint compare scenarios/afghanistan/base.toml scenarios/afghanistan/options/*.toml \\
      --no-fixed-closures --runs 1000 --seed 7 --out out/compare --report
  chokepoint compare scenarios/afghanistan/base.toml scenarios/afghanistan/options/*.toml \\
      --no-fixed-closures --futures scenarios/afghanistan/futures.toml --threshold 20e6 \\
      --runs 1000 --out out/futures
  chokepoint compare BASE OPTION... --runs 10000 --shard 2/4 --out out/c2   (then: chokepoint merge out/c* --out out/c)")]
#[command(
    mut_arg("runs", |a| a
        .help("Runs (simulated years), the same for every option")
        .value_parser(clap::value_parser!(u64).range(2..))),
    mut_arg("seed", |a| a
        .help("Base seed: run i of every option draws from ChaCha8 seeded with it, on stream i")),
    mut_arg("shard", |a| a
        .help("Run only shard k of n and write a partial result for `chokepoint merge`")),
    mut_arg("close", |a| a
        .help("A fixed closure in every run of every option, ID:FROM..TO or ID:FROM+DAYS[@F]")),
    mut_arg("no_fixed_closures", |a| a.help("Ignore the scenarios' own [[closure]] windows")),
    mut_arg("regime_start", |a| a.help(
        "How the regime chain starts (`stationary` or a state id), in every future that \
         does not set its own")),
    mut_arg("controls", |a| a
        .help(
            "Control variates (the default; this flag is kept for older command lines): \
             the plain and the controlled estimate of each candidate's mean loss and each \
             option's mean avoided loss, side by side (controlled.csv; a shard writes its \
             runs' plan features for `merge`)")),
    mut_arg("control_draws", |a| a
        .help("Plan draws for the controls' means (default 50 x runs, at least 50,000)")),
    mut_arg("no_controls", |a| a
        .help("No control variates: no controlled.csv (a shard writes no plan features)")),
)]
pub struct Args {
    /// The base scenario (TOML).
    base: PathBuf,
    /// Option files of that base (each once).
    #[arg(required = true)]
    options: Vec<PathBuf>,
    #[command(flatten)]
    sampling: flags::Sampling,
    #[command(flatten)]
    output: flags::Output,
    /// A futures file (TOML): run every option in every future, with regret.
    #[arg(long, value_name = "FILE")]
    futures: Option<PathBuf>,
    /// Satisficing threshold on annual total loss, USD (e.g. 20e6).
    #[arg(long, value_name = "USD")]
    threshold: Option<f64>,
    /// Bootstrap resamples for the tail measures' intervals and the ranking's stability.
    #[arg(long, default_value_t = CompareRequest::BOOTSTRAP,
          value_parser = clap::value_parser!(u32).range(1..))]
    bootstrap: u32,
    #[command(flatten)]
    quiet: flags::Quiet,
    #[command(flatten)]
    window: flags::Window,
    #[command(flatten)]
    regime: flags::Regime,
    #[command(flatten)]
    controls: flags::ControlVariates,
    /// Also write the HTML report, OUT/report.html (not with --shard).
    #[arg(long, conflicts_with = "shard")]
    report: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let t0 = Instant::now();
    let shard = args.sampling.sharding.shard()?;
    let runs = args.sampling.runs;
    let out = &args.output.out;
    let request = CompareRequest {
        mc: MonteCarloRequest {
            threads: args.sampling.seeding.threads(),
            shard,
            fixed_closures: !args.window.no_fixed_closures(),
            regime_start: args.regime.regime_start.clone(),
            ..CompareRequest::new(runs, args.sampling.seeding.seed).mc
        },
        bootstrap_resamples: args.bootstrap,
        threshold_usd: args.threshold,
    };
    request.check()?;
    let threads = request.mc.threads();
    let mut base = chokepoint::scenario::load_any(&args.base)?;
    let (close, c) = args.window.apply(&mut base)?;
    let mut options = Vec::new();
    for p in &args.options {
        options.push(Candidate::option(p)?);
    }
    let mut base_c = Candidate::base(base);
    base_c.path = args.base.clone();
    let mut s = Study::new(base_c, options)?;
    // The base's window is moved already; move the options' the same way.
    for o in &mut s.options {
        args.window.move_only(&mut o.scenario)?;
    }
    if let Some(path) = &args.futures {
        let scenarios: Vec<&chokepoint::Scenario> = s.candidates().map(|c| &c.scenario).collect();
        s.futures = Some(Futures::load(path, &scenarios)?);
    }
    let config = request.config(&s, &close, c.extra.clone())?;
    study::prepare_out(
        out,
        &compare::manifest(&s, &config),
        args.output.force.force,
    )?;
    let futures = s.future_list().len();
    eprintln!(
        "{}: {} option(s) against the base, {} future(s); {} in every run",
        args.base.display(),
        s.options.len(),
        futures,
        study::describe(&c)
    );
    let bar = Bar::new(args.quiet.quiet);
    let draws = args.controls.draws(runs);
    let never = AtomicBool::new(false);
    // A shard writes each cell's part as its runs finish, the controls' raw material
    // (made before the runs: it depends on the plans alone) in each future's base part,
    // and its shard.json last, after timing.json.
    let mut parts = match shard {
        Some(_) => {
            let controls = match draws {
                Some(draws) => compare::controlled::shard_files(&s, &config, draws)?,
                None => Vec::new(),
            };
            let manifest = compare::manifest(&s, &config);
            Some(compare::output::ShardWriter::create(
                out, &manifest, controls,
            )?)
        }
        None => None,
    };
    let outcome = match parts.as_mut() {
        Some(p) => compare::simulate_to(&s, &config, &bar, &never, p)?,
        None => compare::simulate(&s, &config, &bar)?,
    };
    let seconds = t0.elapsed().as_secs_f64();
    let done = outcome.runs();
    montecarlo::output::write_timing(
        out,
        &Timing {
            threads,
            seconds,
            runs_per_second: done as f64 / seconds,
        },
    )?;
    println!(
        "{} run(s) of {} days x {} scenario(s) x {} future(s) in {seconds:.1} s{}",
        done,
        s.base.scenario.settings.days,
        s.options.len() + 1,
        futures,
        shard.map(|s| format!(" (shard {s})")).unwrap_or_default(),
    );
    if let Some(parts) = parts {
        parts.finish()?;
    } else {
        let mut extra = Vec::new();
        let mut lines = String::new();
        // On unless --no-controls; a comparison without random closures (nothing to
        // control for) or with too few runs gets a note instead.
        if let Some(draws) = draws {
            match compare::controlled::analyse(&s, &config, &outcome, draws) {
                Ok(est) => {
                    lines = controlled_lines(&est);
                    extra.push(("controlled.csv", compare::controlled::csv(&est)));
                }
                Err(e) => eprintln!("no controlled estimate (controlled.csv): {e}"),
            }
        }
        let a = compare::output::write_outputs_with(out, &outcome, extra)?;
        print!("{}", table(&a));
        print!("{lines}");
    }
    println!("wrote {}", out.display());
    if args.report {
        crate::cmd_report::write(out, Some(&args.base))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Merge the shards of a comparison (called by `chokepoint merge`).
pub fn merge(dirs: &[PathBuf], out: &std::path::Path, force: bool) -> anyhow::Result<ExitCode> {
    let t0 = Instant::now();
    let outcome = compare::output::merge(dirs)?;
    study::prepare_out(out, &outcome.manifest, force)?;
    let done = outcome.runs();
    let seconds = t0.elapsed().as_secs_f64();
    montecarlo::output::write_timing(
        out,
        &Timing {
            threads: dirs.len(),
            seconds,
            runs_per_second: done as f64 / seconds,
        },
    )?;
    // The controls, from the plan features the shards' base parts carry.
    let mut extra = Vec::new();
    let mut lines = String::new();
    match compare::controlled::from_shards(dirs, &outcome)? {
        Ok(est) => {
            lines = controlled_lines(&est);
            extra.push(("controlled.csv", compare::controlled::csv(&est)));
        }
        Err(note) => eprintln!("{note}"),
    }
    let a = compare::output::write_outputs_with(out, &outcome, extra)?;
    println!(
        "merged {} shard(s), {done} run(s) of a comparison into {}",
        dirs.len(),
        out.display()
    );
    print!("{}", table(&a));
    print!("{lines}");
    Ok(ExitCode::SUCCESS)
}

/// The controlled estimates of the options' avoided losses, a line each.
fn controlled_lines(est: &[compare::controlled::Estimate]) -> String {
    use std::fmt::Write as _;
    let mut s = String::from("\ncontrol variates (controlled.csv), avoided loss a year:\n");
    for e in est.iter().filter(|e| e.quantity == "avoided_loss_usd") {
        let c = &e.estimate;
        let _ = writeln!(
            s,
            "  {} / {}: plain {} (95% CI {} .. {}), controlled {} (95% CI {} .. {}), \
             variance reduction {:.1} (as {:.0} plain runs)",
            e.future,
            e.candidate,
            money(c.plain.mean),
            money(c.plain.ci_low),
            money(c.plain.ci_high),
            money(c.controlled.mean),
            money(c.controlled.ci_low),
            money(c.controlled.ci_high),
            c.variance_reduction,
            c.effective_runs
        );
    }
    s
}

fn pct(p: f64) -> String {
    format!("{:.1}%", 100.0 * p)
}

/// The terminal summary: per future, each option against the base.
pub fn table(a: &Analysis) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    for h in compare::headline::of_analysis(a, None) {
        if a.futures.len() > 1 {
            let _ = writeln!(s, "\nanswer, future {}:", h.future);
        } else {
            let _ = writeln!(s, "\nanswer:");
        }
        for line in &h.sentences {
            let _ = writeln!(s, "  {line}");
        }
    }
    let _ = writeln!(s);
    for (fi, fname) in a.futures.iter().enumerate() {
        if a.futures.len() > 1 {
            let _ = writeln!(s, "\nfuture {fname}:");
        }
        let base = a
            .best
            .iter()
            .find(|b| b.future == fi && b.candidate == 0)
            .map_or(f64::NAN, |b| b.mean_total_loss_usd);
        let _ = writeln!(
            s,
            "base: mean total loss {} per run ({} runs)",
            money(base),
            a.runs
        );
        let _ = writeln!(
            s,
            "{:<26} {:>12} {:>27} {:>9} {:>8} {:>12} {:>13} {:>7} {:>8}",
            "option",
            "avoided/yr",
            "95% CI (paired)",
            "P(beats)",
            "P(best)",
            "TVaR95 cut",
            "NPV",
            "B/C",
            "CI ratio"
        );
        // Options by avoided loss, largest first: the order of the headline and report.
        let mut rows: Vec<_> = a.benefit_cost.iter().filter(|b| b.future == fi).collect();
        rows.sort_by(|x, y| {
            y.avoided
                .0
                .total_cmp(&x.avoided.0)
                .then_with(|| a.labels[x.option].cmp(&a.labels[y.option]))
        });
        for bc in rows {
            let k = bc.option;
            let wins = a
                .wins
                .iter()
                .find(|w| w.future == fi && w.option == k && w.against == 0);
            let best = a.best.iter().find(|b| b.future == fi && b.candidate == k);
            let diff = a.differences.iter().find(|d| {
                d.future == fi && d.option == k && d.against == 0 && d.metric == "total_loss_usd"
            });
            let ap = bc.appraisal;
            let bcr = ap.bcr(bc.avoided.0).map_or("-".to_string(), |x| {
                format!("{:.2}", x + 0.0).replace("-0.00", "0.00")
            });
            let _ = writeln!(
                s,
                "{:<26} {:>12} {:>27} {:>9} {:>8} {:>12} {:>13} {:>7} {:>8}",
                a.labels[k],
                money(bc.avoided.0),
                format!("{} .. {}", money(bc.avoided.1), money(bc.avoided.2)),
                wins.map_or("-".into(), |w| pct(w.wins.p())),
                best.map_or("-".into(), |b| pct(b.best as f64 / b.n.max(1) as f64)),
                money(bc.tvar95_reduction.0),
                money(ap.npv(bc.avoided.0)),
                bcr,
                diff.map_or("-".into(), |d| format!("{:.2}", d.paired.width_ratio())),
            );
        }
        let mut ranked: Vec<_> = a.best.iter().filter(|b| b.future == fi).collect();
        ranked.sort_by_key(|b| b.rank);
        if let Some(b) = ranked.first() {
            let order: Vec<&str> = ranked
                .iter()
                .map(|b| a.labels[b.candidate].as_str())
                .collect();
            let _ = writeln!(
                s,
                "ranking by mean loss ({}) holds in {} of bootstrap resamples",
                order.join(" < "),
                pct(b.p_ranking_holds)
            );
        }
    }
    if a.futures.len() > 1 {
        let _ = writeln!(
            s,
            "\nregret (mean annual loss minus the best in each future):"
        );
        for r in &a.robust {
            let _ = writeln!(
                s,
                "  {:<26} max regret {:>12}{}{}",
                a.labels[r.candidate],
                money(r.max_regret),
                if r.least_max_regret {
                    "  <- least max regret"
                } else {
                    ""
                },
                r.below
                    .map(|p| format!(", below threshold in {}", pct(p)))
                    .unwrap_or_default()
            );
        }
    } else if a.threshold_usd.is_some() {
        for r in &a.robust {
            if let Some(p) = r.below {
                let _ = writeln!(
                    s,
                    "  {:<26} annual loss below the threshold in {}",
                    a.labels[r.candidate],
                    pct(p)
                );
            }
        }
    }
    let _ = writeln!(
        s,
        "(options by avoided loss; avoided/yr = base minus option, positive = the option \
         helps, paired run by run; TVaR95 cut = base minus option of the mean loss of the \
         worst 5% of years; a tie is not a win; CI ratio = paired / unpaired interval width; \
         B/C and NPV at each option's horizon and discount rate)"
    );
    s
}
