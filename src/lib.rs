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
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod calibrate;
pub mod closure;
pub mod error;
pub mod flow;
pub mod montecarlo;
pub mod network;
pub mod report;
pub mod scenario;
pub mod sim;

pub use error::{Error, Result};
pub use scenario::Scenario;
