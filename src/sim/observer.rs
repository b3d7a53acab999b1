//! Observers: code that watches a simulation at the end of each day it simulates (to
//! check invariants, or record series of its own). An observer reads; it never changes
//! which days are simulated or what a run reports.

use crate::scenario::Scenario;

use super::accounts::Sums;
use super::network::{tonnes, Network};
use super::state::State;

/// Mass balance of one product at the end of a day, in tonnes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Balance {
    /// Under way or queued at the start of day 0 (the steady start; 0 for an empty one).
    pub at_start_t: f64,
    /// Dispatched from supply points since day 0.
    pub supplied_t: f64,
    /// Arrived at demand points.
    pub delivered_t: f64,
    /// Moving along a route.
    pub in_transit_t: f64,
    /// Waiting at a node for a route (always 0 in this version; see docs/model.md).
    pub waiting_t: f64,
    /// In a queue at a link.
    pub queued_t: f64,
    /// Spoiled whole.
    pub spoiled_t: f64,
    /// Abandoned after waiting too long.
    pub abandoned_t: f64,
}

impl Balance {
    /// at start + supplied − (delivered + in transit + waiting + queued + spoiled + abandoned), t.
    pub fn residual_t(&self) -> f64 {
        self.at_start_t + self.supplied_t
            - (self.delivered_t
                + self.in_transit_t
                + self.waiting_t
                + self.queued_t
                + self.spoiled_t
                + self.abandoned_t)
    }
}

/// One direction of a link on one day: what it admitted and what it could.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkUsage {
    /// The link's index in the scenario.
    pub link: usize,
    /// `true` for the link's own direction (`from -> to`), `false` for the way back of a
    /// `both_ways` link.
    pub forward: bool,
    /// Tonnes admitted today.
    pub admitted_t: f64,
    /// Capacity today (with closures), t.
    pub capacity_t: f64,
}

/// What an [`Observer`] sees at the end of a simulated day.
pub struct DayView<'a> {
    pub(super) scn: &'a Scenario,
    pub(super) net: &'a Network,
    pub(super) state: &'a State,
    pub(super) sums: &'a Sums,
    /// Capacity left today per darc.
    pub(super) left: &'a [i64],
    /// Units in the system at the start of day 0, per product.
    pub(super) start_units: &'a [i64],
    /// 0-based day index.
    pub day: u32,
}

impl DayView<'_> {
    /// Mass balance of each product (scenario order), exact to 0.01 t.
    pub fn balances(&self) -> Vec<Balance> {
        let np = self.scn.products.len();
        let mut transit = vec![0i64; np];
        let mut queued = vec![0i64; np];
        for lot in self.state.lots.iter().filter(|l| l.alive) {
            let p = lot.product as usize;
            if lot.queued_at != 0 {
                queued[p] += lot.units;
            } else {
                transit[p] += lot.units;
            }
        }
        let sums = self.sums;
        (0..np)
            .map(|p| Balance {
                at_start_t: tonnes(self.start_units[p]),
                supplied_t: tonnes(sums.supplied[p]),
                delivered_t: tonnes(sums.delivered[p]),
                in_transit_t: tonnes(transit[p]),
                waiting_t: 0.0,
                queued_t: tonnes(queued[p]),
                spoiled_t: tonnes(sums.spoiled[p]),
                abandoned_t: tonnes(sums.abandoned[p]),
            })
            .collect()
    }

    /// Every link direction: what it admitted today and its capacity.
    pub fn link_usage(&self) -> Vec<LinkUsage> {
        let cap = &self.state.cap_units;
        self.net
            .darcs
            .iter()
            .enumerate()
            .map(|(i, a)| LinkUsage {
                link: a.link as usize,
                forward: a.forward,
                admitted_t: tonnes(cap[i] - self.left[i]),
                capacity_t: tonnes(cap[i]),
            })
            .collect()
    }

    /// Tonnes queued at each link (both directions), scenario order.
    pub fn queued_t_by_link(&self) -> Vec<f64> {
        self.net
            .link_darcs
            .iter()
            .map(|ds| {
                ds.iter()
                    .map(|&d| tonnes(self.state.queue_units[d as usize]))
                    .sum()
            })
            .collect()
    }
}

/// Watches a simulation day by day (e.g. to check invariants or record extra series).
/// It is called at the end of every day the engine simulates: every day of the window
/// under [`Execution::Reference`](super::Execution::Reference); under the fast path,
/// the days it does not take from the counterfactual (see [`Engine::run_observed`](super::Engine::run_observed)).
pub trait Observer {
    /// Called at the end of every simulated day.
    fn end_of_day(&mut self, view: &DayView<'_>);
}

/// An observer that does nothing.
pub struct NoObserver;

impl Observer for NoObserver {
    fn end_of_day(&mut self, _view: &DayView<'_>) {}
}
