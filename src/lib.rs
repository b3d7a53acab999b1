//! # chokepoint
//!
//! Simulate how closures of trade corridors (border crossings, ports, rail links)
//! disrupt a country's trade, and what that costs.
//!
//! A [`Scenario`] holds a transport network (nodes, links, corridors), products with
//! supply and demand, and closures (fixed windows, random processes, common shocks and
//! regime chains). The daily engine ([`sim`]) routes cargo by min-cost flow ([`flow`]),
//! queues it at shut crossings and accounts for every tonne and dollar against a
//! counterfactual with no closures; the Monte Carlo engine ([`montecarlo`]) runs many
//! simulated years with random closures, reproducibly and in parallel.
//!
//! Units everywhere: tonnes (t), US dollars (USD), days. See `docs/model.md` for what
//! the model means and `docs/scenario-reference.md` for every field of a scenario file.
//!
//! ## Quick start
//!
//! Load a scenario, close a corridor for two weeks, read the losses; then change a
//! parameter and run again (this is all a notebook needs):
//!
//! ```
//! use chokepoint::scenario::parse_close_spec;
//! use chokepoint::sim::{Engine, Record};
//!
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/twoland.toml");
//! let mut scenario = chokepoint::Scenario::load(path)?;
//! let closure = parse_close_spec(&scenario, "north:2024-02-01+14")?;
//!
//! let mut engine = Engine::new(&scenario)?;
//! let base = engine.run(&[closure.clone()], Record::Totals)?.metrics;
//! assert!(base.total_loss_usd > 0.0);
//! assert!(base.peak_stranded_trucks > 0.0);
//!
//! // Traders who react at once strand fewer trucks.
//! scenario.settings.reaction_days = 0;
//! let quick = Engine::new(&scenario)?.run(&[closure], Record::Totals)?.metrics;
//! assert!(quick.peak_stranded_trucks < base.peak_stranded_trucks);
//! # Ok::<(), chokepoint::Error>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

/// `$dst.clone_from($src)` field by field, so that `$dst` keeps its buffers (a derived
/// `clone_from` allocates every vector anew). The destructuring is exhaustive: a field
/// added to the struct and not listed is a compile error, never silently skipped.
macro_rules! clone_fields_from {
    ($Type:ident, $dst:expr, $src:expr, [$($f:ident),* $(,)?]) => {{
        let $Type { $($f),* } = $src;
        $( $dst.$f.clone_from($f); )*
    }};
}
pub(crate) use clone_fields_from;

pub mod calibrate;
pub mod closure;
pub mod compare;
pub mod control_variates;
pub mod criticality;
pub mod error;
pub mod flow;
pub mod montecarlo;
pub mod network;
pub mod output;
#[cfg(feature = "report")]
pub mod report;
pub mod scenario;
pub mod sim;
pub mod special;
pub mod study;
pub mod uncertainty;

pub use error::{Error, Result};
pub use scenario::Scenario;
