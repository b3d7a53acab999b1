//! The study layer: what montecarlo, compare and criticality stand on.
//!
//! A study is a set of runs (simulated years) of one or more engines, and what it keeps
//! of each run. Everything that is the same for every study lives here, once:
//!
//! - [`Runner`]: per-thread workers, each with its own engine (an engine is `Send`, not
//!   `Sync`), the runs or a [`Shard`] of them, a stop flag honoured between runs
//!   ([`crate::Error::Cancelled`]), an engine panic turned into
//!   [`crate::Error::Panicked`] naming the run, progress as an observer ([`Progress`]),
//!   and the results handed to the study's sink **in run order** as they finish, through a
//!   reorder buffer of bounded size, so the same inputs give the same outputs for any
//!   number of threads, and a study can stream its per-run rows;
//! - [`runs`]: which run indices a study (or one shard of it) simulates;
//! - [`output`]: a table as CSV bytes, and the files written with the manifest last;
//!   typed rows read back with errors naming file, line and column;
//! - [`metrics`]: the metric table (name, unit, how a run gives it, which studies report
//!   it and in which order);
//! - [`request`]: what a front end asks of a study ([`request::MonteCarloRequest`],
//!   [`request::CompareRequest`], [`request::CriticalityRequest`]): the defaults and the
//!   checks both the CLI and the Python package use, turned into the study's
//!   configuration (and, for criticality, its manifest) in one place.
//!
//! # Adding a study
//!
//! A new study kind (the parameter-uncertainty study is next) is one file plus its
//! registration:
//!
//! 1. a module `src/<study>/mod.rs` with its request type (what to run: scenario(s),
//!    runs, seed, threads, shard, its own settings, with a `check()` that refuses what
//!    cannot be valid), and a `simulate(request, progress, stop)` that builds a
//!    [`Runner`], says what one run is (`work`: draw the run's closures from
//!    [`crate::montecarlo::run_rng`]`(seed, i)`, run the engine) and what it keeps
//!    (`sink`: one number per run and metric for statistics that need every run, a
//!    fixed-size accumulator otherwise);
//! 2. its registration: `pub mod <study>;` in `src/lib.rs`, a `cmd_<study>.rs` in the
//!    CLI that parses flags into the request, and a function in `python/src/lib.rs` that
//!    builds the same request from keyword arguments.
//!
//! The runner knows nothing of scenarios or engines: it runs a closure per run index.

pub mod metrics;
pub mod output;
pub mod request;
mod runner;
pub mod shards;

pub use crate::output::manifest::Shard;
pub use runner::{no_description, Flow, NoProgress, Progress, Runner};

/// The run indices of a study of `runs` runs: all of them, or those of `shard`, in
/// order.
pub fn runs(runs: u64, shard: Option<Shard>) -> Vec<u64> {
    match shard {
        Some(s) => (0..runs).filter(|i| s.contains(*i)).collect(),
        None => (0..runs).collect(),
    }
}
