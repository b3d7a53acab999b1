//! `chokepoint solve`: solve a DIMACS min-cost-flow file and time the solve.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use chokepoint::flow::dimacs;
use chokepoint::Error;

/// Arguments of `chokepoint solve`.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  chokepoint solve problem.min
  chokepoint solve problem.min --flows flows.sol --repeat 101
  cargo run --release --example flow_peers -- gen /tmp/inst && chokepoint solve /tmp/inst/daily-50.min")]
pub struct Args {
    /// A DIMACS min-cost-flow file (`p min NODES ARCS`, `n ID SUPPLY`,
    /// `a FROM TO LOW CAP COST`).
    pub file: PathBuf,
    /// Write the optimal arc flows to this file (DIMACS solution format: `s COST`, then
    /// `f FROM TO FLOW` per arc).
    #[arg(long, value_name = "FILE")]
    pub flows: Option<PathBuf>,
    /// Solve this many times from scratch and report the median solve time.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub repeat: usize,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.repeat == 0 {
        return Err(
            Error::Invalid("--repeat 0: the number of solves must be at least 1".into()).into(),
        );
    }
    let path = &args.file;
    let file = File::open(path).map_err(|e| {
        Error::Invalid(format!(
            "{}: cannot open ({e}); give the path of a DIMACS .min file",
            path.display()
        ))
    })?;
    let problem = dimacs::read(BufReader::new(file))
        .map_err(Error::from)
        .with_context(|| format!("reading {}", path.display()))?;
    let mut ns = problem
        .to_solver()
        .map_err(Error::from)
        .with_context(|| format!("in {}", path.display()))?;

    let mut times = Vec::with_capacity(args.repeat);
    for _ in 0..args.repeat {
        let t0 = Instant::now();
        let res = ns.solve_cold();
        times.push(t0.elapsed());
        res.map_err(Error::from)
            .with_context(|| format!("solving {}", path.display()))?;
    }
    let solution = problem
        .solution_from(&ns)
        .map_err(Error::from)
        .with_context(|| format!("solving {}", path.display()))?;
    times.sort();
    let median = times[times.len() / 2];

    println!("optimal cost: {}", solution.objective);
    println!(
        "solve time: {:.3} us (median of {} cold solve{})",
        micros(median),
        args.repeat,
        if args.repeat == 1 { "" } else { "s" }
    );
    println!(
        "problem: {} nodes, {} arcs",
        problem.num_nodes(),
        problem.arcs.len()
    );

    if let Some(out) = &args.flows {
        chokepoint::output::write_atomic(out, |w| dimacs::write_flows(w, &problem, &solution))?;
        println!("flows written to {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
