//! The run-out: what a year's loss holds.
//!
//! A run simulates its window and then goes on, with no new closure starting (closures
//! that started in the window last their whole length), until its queues, cargo and
//! open orders are back to the counterfactual's, or for `runout_max_days` at most. From
//! the day its state is the counterfactual's, every later day would be the
//! counterfactual's too, so the run ends there and is compared with the counterfactual
//! over the same days: a closure near the window's end is costed whole, as event-year
//! losses are in catastrophe models. The counterfactual is simulated over the whole
//! horizon (window and longest run-out), and keeps its state and sums at the start of
//! every run-out day for the comparison.

use crate::scenario::Scenario;

use super::accounts::{Sums, Totals};
use super::losses::CfAt;
use super::network::Network;
use super::routes::RouteBook;
use super::state::{likeness, Likeness, State};
use super::Sim;

/// The counterfactual's states and sums on the run-out days.
#[derive(Default)]
pub(super) struct Runout {
    window: u32,
    /// State and running sums at the start of each day `window..=horizon`.
    states: Vec<State>,
    sums: Vec<Sums>,
    /// Totals of `sums`, made when a run first ends on that day.
    totals: Vec<Option<Totals>>,
}

impl Runout {
    /// An empty record for a window of `window` days.
    pub(super) fn new(window: u32) -> Runout {
        Runout {
            window,
            ..Runout::default()
        }
    }

    /// Keep the counterfactual `sim`'s state and sums at the start of `day`, if it is a
    /// run-out day (or the end of the horizon).
    pub(super) fn keep(&mut self, sim: &Sim<'_>, day: u32) {
        if day >= self.window {
            self.states.push(sim.state.clone());
            self.sums.push(sim.acc.sums.clone());
            self.totals.push(None);
        }
    }

    /// Whether a run is over at the start of `day` (a day of the run-out, or the end of
    /// the horizon): no closure acts from `day` on, in force or as traders see it, and
    /// its cargo, queues and orders are the counterfactual's.
    pub(super) fn over(&self, sim: &Sim<'_>, day: u32) -> bool {
        day >= sim.sched.quiet_from
            && day >= self.window
            && self
                .states
                .get((day - self.window) as usize)
                .is_some_and(|cf| likeness(&sim.state, cf, day) == Likeness::Same)
    }

    /// The counterfactual's open orders per demand at the start of `day` (a run-out
    /// day, or the end of the horizon).
    pub(super) fn open_at(&self, day: u32) -> Option<&[i64]> {
        let k = day.checked_sub(self.window)? as usize;
        self.states.get(k).map(|s| &s.open_units[..])
    }

    /// The counterfactual's sums and totals at the start of `day` (a run that ended
    /// then is compared with them).
    pub(super) fn at(
        &mut self,
        day: u32,
        scn: &Scenario,
        net: &Network,
        routes: &RouteBook,
    ) -> Option<CfAt<'_>> {
        let k = day.checked_sub(self.window)? as usize;
        let sums = self.sums.get(k)?;
        let totals = self.totals.get_mut(k)?;
        if totals.is_none() {
            *totals = Some(Totals::of(sums, scn, net, routes));
        }
        Some(CfAt {
            sums,
            totals: totals.as_ref()?,
        })
    }
}
