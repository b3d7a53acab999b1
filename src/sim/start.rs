//! Day 0's start: the state every run and its counterfactual begin in, and what it holds.
//! Built once per engine (`spinup.rs`: a spin-up of the counterfactual, or empty) and
//! read by every simulation (`day.rs`). A leaf.

use crate::scenario::Scenario;

use super::network::Network;
use super::state::State;

/// The state of day 0's start, and what it holds.
pub(super) struct Start {
    /// The state before day 0 (empty when the scenario asks for no steady start).
    pub(super) state: State,
    /// Units in the system (under way or queued) at the start of day 0, per product.
    pub(super) units: Vec<i64>,
    /// Units of open orders at the start of day 0, per demand.
    pub(super) open: Vec<i64>,
    /// Days of the spin-up (0 for an empty start).
    pub(super) days: u32,
}

impl Start {
    /// The empty start: no cargo, no orders, no queues.
    pub(super) fn empty(scn: &Scenario, net: &Network) -> Start {
        let state = State::default().reset(net.darcs.len(), scn.demands.len(), net.max_lag);
        Start {
            state,
            units: vec![0; scn.products.len()],
            open: vec![0; scn.demands.len()],
            days: 0,
        }
    }
}
