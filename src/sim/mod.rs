//! The daily engine: capacities, orders, routing, movement and queues at shut
//! crossings, turn-backs, perishing, and the accounts of every tonne and dollar.
//!
//! ```text
//! let mut engine = Engine::new(&scenario)?;              // checks the scenario, runs the counterfactual
//! let report = engine.run(&closures, Record::Daily)?;    // closures: &[ClosureWindow]
//! report.metrics.total_loss_usd
//! ```
//! `Engine::run` takes `&mut self` and is deterministic: the same closures give the
//! same report, whatever ran before. An `Engine` is `Send`, so each worker thread builds
//! its own.
//!
//! # Layout: one room per step of the day
//!
//! [`Engine`] (`engine.rs`) prepares a scenario and runs it; a run is a `Sim` (`day.rs`)
//! whose day step calls the rooms below in the order of `docs/model.md` ("One simulated
//! day"). The plain reference simulation calls the day step for every day; the fast
//! path is an executor over the same step (`executor/`).
//!
//! | file | what lives there |
//! |---|---|
//! | `units.rs` | the engine's integer units (0.01 t, 0.01 USD/t) |
//! | `network.rs` | the scenario as arrays: link directions, countries, trade pairs, units |
//! | `capacity.rs` | 1. closure factors; capacities in force and as traders see them |
//! | `orders.rs` | 2. orders placed, expired, taken |
//! | `movement.rs` | 3. lots move: queues drain, lots arrive, are admitted, queue, deliver |
//! | `turnback.rs` | 4a. queued lots past their patience take another route |
//! | `beliefs.rs` | what traders expect a closure to last, per link (built once) |
//! | `decision.rs` | 4a/4b. with `traders = "weigh"`: beliefs; waiting or a detour, in the queue and before dispatch |
//! | `routing.rs` | 4b. one min-cost flow per product; its plan dispatched as lots |
//! | `routes.rs` | routes: the route book, and a flow decomposed into routes |
//! | `points.rs` | the price points: markets and supply points per product (built once) |
//! | `prices.rs` | market and farm-gate prices from the routing optimum |
//! | `price_cache.rs` | prices by residual network, kept across runs in the route book |
//! | `perishing.rs` | 5. holding cost, spoilage, spoiled and abandoned lots |
//! | `accounts.rs` | 6. records of the day; running sums; the accounts of a run |
//! | `welfare_sums.rs` | the welfare running sums and totals the accounts hold |
//! | `runout.rs` | 7. after the window: the run-out, until the run is back to the counterfactual |
//! | `losses.rs` | a run's metrics against the counterfactual's accounts |
//! | `state.rs` | what carries from day to day: lots, queues, orders, capacities |
//! | `start.rs` | day 0's start: the state every simulation begins in |
//! | `spinup.rs` | the steady start: a spin-up of the counterfactual before day 0 |
//! | `plans.rs` | the counterfactual's routing inputs and plans by day (the plan log) |
//! | `day.rs` | one simulation in progress and its day step |
//! | `engine.rs` | the engine: check, prepare, counterfactual, run (reference or fast) |
//! | `executor/` | the fast path: rejoin the counterfactual, follow a backlog, plans taken over |
//! | `observer.rs` | observers and what they see; mass balance |
//! | `metrics.rs` | what a run reports |
//! | `welfare.rs` | the lost gains from trade: its running sums and the welfare loss, per country |

mod accounts;
mod beliefs;
mod capacity;
mod day;
mod decision;
mod engine;
mod executor;
mod losses;
pub mod metrics;
mod movement;
mod network;
mod observer;
mod orders;
mod perishing;
mod plans;
mod points;
mod price_cache;
mod prices;
mod routes;
mod routing;
mod runout;
mod spinup;
mod start;
mod state;
mod turnback;
mod units;
mod welfare;
mod welfare_sums;

use day::Sim;

pub use accounts::Record;
pub use engine::{Engine, Execution};
pub use metrics::{
    CorridorDaily, CorridorMetrics, CountryWelfare, CrossingDaily, CrossingMetrics, DailySeries,
    Delivered, OrderBook, PriceDaily, PriceMetrics, ProductDaily, RunMetrics, RunReport,
};
pub use network::{COST_SCALE, UNITS_PER_T};
pub use observer::{Balance, DayView, LinkUsage, NoObserver, Observer};
