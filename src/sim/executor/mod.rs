//! The fast path: an executor over the same day step ([`Sim::step`]) that skips the days
//! it can take from the counterfactual. Switched off, every day is simulated (the
//! reference, `Engine`'s `Execution::Reference`); a property test holds the two equal
//! (`tests/integration/sim.rs`).
//!
//! The counterfactual is simulated once per engine ([`record`]); it leaves a [`Track`]:
//! for every day, its state at the start of the day, its running sums, and its routing
//! inputs and plans ([`PlanLog`]). A run then ([`run`]):
//! - takes the counterfactual's plan whenever its own routing inputs on a day are the
//!   counterfactual's (routing is canonical, so that is the plan it would compute);
//! - **rejoins** ([`rejoin`]): at the start of a day untouched by closures, if its cargo,
//!   queues and orders equal the counterfactual's, it takes the days up to the next
//!   touched day from the counterfactual: its sums over those days are added, its daily
//!   values copied, and its state on the next touched day becomes the run's;
//! - **follows** ([`follow`]): if only its open orders differ (a backlog), it keeps its
//!   orders day by day while its plans are the counterfactual's.
//!
//! A run that rejoins or follows gives the same results as one simulated day by day, up
//! to the order in which floating-point sums are added.
//!
//! With a base (`Engine::with_base`: closures every run shares), "the counterfactual"
//! here is the simulation of the base closures, and a day is untouched when its
//! closures are the base's; losses are still measured against no closure at all.

mod follow;
mod rejoin;

pub(super) use follow::FollowBuffers;

use crate::error::Error;

use super::accounts::{Accounts, Sums};
use super::plans::PlanLog;
use super::routing::ProductNet;
use super::runout::Runout;
use super::state::{likeness, Likeness, State};
use super::{Observer, Sim};

/// Memory the counterfactual's daily states may take in one engine. Past it only every
/// `stride`-th day is kept (the stride doubles each time), and runs rejoin on kept days.
pub(super) const SNAPSHOT_BUDGET: usize = 256 << 20;

/// What the counterfactual leaves for runs.
pub(super) struct Track {
    /// State at the start of each day `0..=days` (kept days only; the end always).
    pub(super) snaps: Vec<Option<State>>,
    /// Running sums at the start of each day `0..=days` (kept days and the end).
    cum: Vec<Option<Sums>>,
    /// Routing inputs and plans, by day and product.
    pub(super) plans: PlanLog,
    pub(super) stride: u32,
    pub(super) bytes: usize,
    budget: usize,
    /// Entries of `Sums::step_units` and `Sums::pair_product_units` the counterfactual
    /// uses (the others stay 0 all year): kept sums hold these only, once compacted.
    steps_used: Vec<u32>,
    pairs_used: Vec<u32>,
    /// Routes the counterfactual dispatched on (`WelfareSums::route_units`), likewise.
    routes_used: Vec<u32>,
    /// Units of open orders at the start of each day `0..=days` (all days).
    open_start: Vec<i64>,
}

impl Track {
    /// An empty track that may keep `budget` bytes of daily states.
    pub(super) fn new(budget: usize) -> Track {
        Track {
            snaps: Vec::new(),
            cum: Vec::new(),
            plans: PlanLog::default(),
            stride: 1,
            bytes: 0,
            budget,
            steps_used: Vec::new(),
            pairs_used: Vec::new(),
            routes_used: Vec::new(),
            open_start: Vec::new(),
        }
    }

    /// The last day in `(day, next]` a run can rejoin the counterfactual at: `next`
    /// itself if kept (or the end of the window), else the last kept day before it.
    fn landing(&self, day: u32, next: u32) -> Option<u32> {
        (day + 1..=next)
            .rev()
            .find(|&t| self.snaps.get(t as usize).is_none_or(|s| s.is_some()))
    }
}

/// Simulate the counterfactual (or the base) `sim` every day, keeping its track (its
/// plans are logged by the day step: `sim.shortcuts.log` must be set). Returns the
/// track and the routing networks as they were after day 0 (runs may start from them);
/// the simulation is left at the end of the window.
pub(super) fn record(
    sim: &mut Sim<'_>,
    budget: usize,
    mut runout: Option<&mut Runout>,
) -> Result<(Track, Vec<ProductNet>), Error> {
    let mut track = Track::new(budget);
    let mut after_day0 = Vec::new();
    for day in 0..sim.days {
        track.keep(sim, day);
        if let Some(r) = runout.as_deref_mut() {
            r.keep(sim, day);
        }
        sim.step(day)?;
        if day == 0 {
            after_day0 = sim.nets.to_vec();
        }
    }
    if let Some(r) = runout {
        r.keep(sim, sim.days);
    }
    // The state at the end of the horizon, for runs that take the last days.
    track.snaps.push(Some(sim.state.clone()));
    track.cum.push(Some(sim.acc.sums.clone()));
    track.open_start.push(sim.state.open_units.iter().sum());
    track.compact();
    track.plans = sim.shortcuts.log.take().unwrap_or_default();
    Ok((track, after_day0))
}

/// How many days a fast run simulated and followed, and where it ended.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Counts {
    pub(super) simulated: u32,
    pub(super) followed: u32,
    /// The day the run ended (see `runout.rs`): the window's end or later.
    pub(super) end: u32,
}

/// Run `sim` over its window on the fast path: the days whose closures and state are the
/// base's are taken from `track` (the base's, whose accounts are `base`); the others
/// are simulated by the day step, and `observer` sees those.
pub(super) fn run(
    sim: &mut Sim<'_>,
    track: &Track,
    base: &Accounts,
    observer: &mut dyn Observer,
    bufs: &mut FollowBuffers,
    runout: &Runout,
    track_is_cf: bool,
) -> Result<Counts, Error> {
    let (window, days) = (sim.window, sim.days);
    let mut day = 0;
    let mut n = Counts {
        end: days,
        ..Counts::default()
    };
    // A day following the base stopped at because a plan differed: it is simulated,
    // not followed again.
    let mut gave_up = None;
    while day < days {
        // A run-out day: the run ends once it is back to the counterfactual.
        if day >= window && runout.over(sim, day) {
            n.end = day;
            break;
        }
        // Days are taken or followed up to the window's end at most. In the run-out, a
        // run following the counterfactual itself stops where its orders are the
        // counterfactual's again, the day its run-out ends; following a base, it goes
        // one day at a time, so that the run-out's end is checked every day.
        let limit = if day < window {
            window
        } else if track_is_cf {
            days
        } else {
            day + 1
        };
        let next = sim.sched.next_touched[day as usize].min(limit);
        if next > day && gave_up != Some(day) {
            if let Some(Some(snap)) = track.snaps.get(day as usize) {
                match likeness(&sim.state, snap, day) {
                    Likeness::Same => {
                        if let Some(to) = track.landing(day, next) {
                            rejoin::rejoin(sim, track, base, day, to)?;
                            day = to;
                            continue;
                        }
                    }
                    // With demand that answers prices a followed day's orders would
                    // depend on its own prices: such a run is simulated instead.
                    Likeness::OrdersOnly if track.stride == 1 && !sim.net.elastic => {
                        let (to, give_up) = follow::follow(sim, track, base, day, next, bufs)?;
                        if give_up {
                            gave_up = Some(to);
                        }
                        n.followed += to - day;
                        day = to;
                        continue;
                    }
                    _ => {}
                }
            }
        }
        sim.step(day)?;
        sim.observe(observer, day);
        day += 1;
        n.simulated += 1;
    }
    Ok(n)
}
