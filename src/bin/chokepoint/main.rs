//! The `chokepoint` command-line tool: argument parsing, then library calls.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd_calibrate;
mod cmd_compare;
mod cmd_criticality;
mod cmd_fit;
mod cmd_info;
mod cmd_merge;
mod cmd_montecarlo;
mod cmd_report;
mod cmd_run;
mod cmd_solve;
mod cmd_uncertainty;
mod cmd_validate;
mod flags;
mod study;

/// Simulate how closures of trade corridors disrupt trade, and what they cost.
#[derive(Parser)]
#[command(name = "chokepoint", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check scenario files and report every problem with file and line.
    Validate(cmd_validate::Args),
    /// Show what a scenario holds.
    Info(cmd_info::Args),
    /// Solve a DIMACS min-cost-flow file.
    Solve(cmd_solve::Args),
    /// Simulate one deterministic path (the scenario's fixed closures).
    Run(cmd_run::Args),
    /// Run many simulated years with random closures.
    Montecarlo(cmd_montecarlo::Args),
    /// Compare options against a base on common random numbers (paired statistics,
    /// benefit-cost, futures and regret).
    Compare(cmd_compare::Args),
    /// Merge shard outputs of `montecarlo --shard`, `compare --shard` or `uncertainty
    /// --shard` into one result.
    Merge(cmd_merge::Args),
    /// Fit closure processes to a log of closures.
    Calibrate(cmd_calibrate::Args),
    /// Fit uncertain parameters to recorded closure episodes (ABC-SMC): posterior draws
    /// and the episodes' posterior predictive checks.
    Fit(cmd_fit::Args),
    /// Rank corridors by the loss their closure causes (N-1, N-k sets; Monte Carlo view).
    Criticality(cmd_criticality::Args),
    /// Write the HTML report (charts, tables, map) of an output folder.
    Report(cmd_report::Args),
    /// Parameter uncertainty: Monte Carlos over draws of the [[uncertain]] parameters on
    /// common closure draws (predictive loss, variance split, sensitivity, robustness).
    Uncertainty(cmd_uncertainty::Args),
}

/// Exit code for bad input (a file, an argument): the user can fix it.
pub const EXIT_BAD_INPUT: u8 = 2;

fn main() -> ExitCode {
    quiet_on_broken_pipe();
    match run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(exit_code_for(&err))
        }
    }
}

fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate(a) => cmd_validate::run(a),
        Command::Info(a) => cmd_info::run(a),
        Command::Solve(a) => cmd_solve::run(a),
        Command::Run(a) => cmd_run::run(a),
        Command::Montecarlo(a) => cmd_montecarlo::run(a),
        Command::Compare(a) => cmd_compare::run(a),
        Command::Merge(a) => cmd_merge::run(a),
        Command::Calibrate(a) => cmd_calibrate::run(a),
        Command::Fit(a) => cmd_fit::run(a),
        Command::Criticality(a) => cmd_criticality::run(a),
        Command::Report(a) => cmd_report::run(a),
        Command::Uncertainty(a) => cmd_uncertainty::run(a),
    }
}

/// When the reader of our output goes away (`chokepoint info ... | head`), `print!`
/// panics with a broken pipe; exit quietly as a process stopped by SIGPIPE would (141)
/// instead of printing a panic. Every other panic keeps the default report.
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

/// Bad input (scenario problems, invalid arguments, unreadable input files) exits 2;
/// anything else 1.
fn exit_code_for(err: &anyhow::Error) -> u8 {
    use chokepoint::Error;
    match err.downcast_ref::<Error>() {
        Some(Error::Scenario(_))
        | Some(Error::Invalid(_))
        | Some(Error::Io { .. })
        | Some(Error::FolderInUse { .. })
        | Some(Error::File { .. }) => EXIT_BAD_INPUT,
        Some(Error::Cancelled) => 130,
        Some(Error::Solve(_)) => EXIT_BAD_INPUT,
        _ => 1,
    }
}
