//! The daily simulation engine: capacities, routing, dispatch, queues at shut
//! crossings, spoilage, and the accounts of every tonne and dollar.
//!
//! Use:
//!
//! ```text
//! let mut engine = Engine::new(&scenario)?;           // prepares solvers, runs the counterfactual
//! let report = engine.run(&closures, record_daily)?;  // closures: &[ClosureWindow]
//! report.metrics.total_loss_usd
//! ```
//! `Engine::run` takes `&mut self` and is deterministic: the same closures give the
//! same report. An `Engine` is `Send`, so each worker thread builds its own.

pub mod metrics;

pub use metrics::{
    CorridorDaily, CorridorMetrics, CrossingDaily, CrossingMetrics, DailySeries, Delivered,
    ProductDaily, RunMetrics, RunReport,
};

mod engine;

pub use engine::{Balance, DayView, Engine, NoObserver, Observer, COST_SCALE, UNITS_PER_T};
