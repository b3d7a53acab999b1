//! A steady start: the state every run and its counterfactual begin day 0 in.
//!
//! The counterfactual is simulated before the window, from an empty network, with day
//! 0's inputs every day (its month's seasonal factors, the trade levels in force on it,
//! its capacities and seasonal closures; no closure), for
//!
//! ```text
//! spin-up days = ceil(longest transit of a route it used) + order_patience_days
//!                + abandon_after_days + the longest reaction lag + 1
//! ```
//!
//! so that every lot under way on day 0 was dispatched, every open order placed and every
//! queued lot queued within the spin-up, and the queues traders see are its own. If a
//! route it used is longer than the transit the length was computed with, it is done
//! again with the longer transit (the length only grows, so this ends). Its state at the
//! start of its last day + 1 is day 0's, with every date moved back by the spin-up's
//! length (a lot dispatched 3 days before day 0 has `dispatched = -3`). It is computed
//! once per engine.

use crate::error::{Error, SimError};
use crate::scenario::Scenario;

use super::capacity::Factors;
use super::day::{Shortcuts, Sim};
use super::network::Network;
use super::routes::RouteBook;
use super::routing::ProductNet;
use super::start::Start;
use super::state::{State, RING};

// Building the start (the type is in `start.rs`, a leaf that `day.rs` reads).
impl Start {
    /// The start `scn` asks for: the counterfactual's steady state for day 0 (a
    /// spin-up), or empty. Routes the spin-up finds are added to `routes`.
    pub(super) fn of(
        scn: &Scenario,
        net: &Network,
        routes: &mut RouteBook,
    ) -> Result<Start, Error> {
        if !scn.settings.steady_start {
            return Ok(Start::empty(scn, net));
        }
        let longest_link = net.darcs.iter().map(|a| a.transit).fold(0.0, f64::max);
        let mut transit = longest_link.ceil() as u32;
        loop {
            let days = spin_days(scn, net, transit);
            let state = spin(scn, net, routes, days)?;
            let used = longest_route(net, routes).ceil() as u32;
            if used <= transit {
                return rebase(scn, state, days);
            }
            transit = used;
        }
    }
}

/// The spin-up's length for routes of at most `transit` days.
pub(super) fn spin_days(scn: &Scenario, net: &Network, transit: u32) -> u32 {
    let st = &scn.settings;
    transit + st.order_patience_days + st.abandon_after_days + net.max_lag + 1
}

/// The longest transit of a route in the book, days.
fn longest_route(net: &Network, routes: &RouteBook) -> f64 {
    routes
        .routes
        .iter()
        .map(|r| {
            let ds = &routes.darcs[r.start as usize..(r.start + r.len) as usize];
            ds.iter()
                .map(|&a| net.darcs[a as usize].transit)
                .sum::<f64>()
        })
        .fold(0.0, f64::max)
}

/// The counterfactual over the `days` calendar days before day 0, from an empty
/// network; its state at the end (dates still counted from the spin-up's first day).
fn spin(scn: &Scenario, net: &Network, routes: &mut RouteBook, days: u32) -> Result<State, Error> {
    let mut before = scn.clone();
    before.settings.days = days;
    // Long enough that every lot under way at its end arrives within it.
    before.settings.runout_max_days = days;
    before.closures.clear();
    // Day 0's capacities every day.
    for e in &mut before.expansions {
        e.extra_t_per_day = e.extra_on(0);
        e.start_day = 0;
        e.ramp_days = 0;
    }
    let mut spin_net = Network::new(&before);
    // Day 0's supply and orders every day (its month's season, its trade levels), and
    // day 0's seasonal closures.
    let period0 = spin_net.period[0];
    spin_net.period.iter_mut().for_each(|p| *p = period0);
    for (row, run) in spin_net.seasonal.iter_mut().zip(&net.seasonal) {
        let f0 = run.first().copied().unwrap_or(1.0);
        row.iter_mut().for_each(|f| *f = f0);
    }
    if spin_net.darcs.len() != net.darcs.len() || spin_net.max_lag != net.max_lag {
        return Err(SimError::Internal("the spin-up's network is not the run's".into()).into());
    }
    let mut nets = (0..before.products.len())
        .map(|p| ProductNet::new(&before, &spin_net, p))
        .collect::<Result<Vec<_>, Error>>()?;
    let empty = Start::empty(&before, &spin_net);
    let mut sim = Sim::new(
        &before,
        &spin_net,
        &mut nets,
        routes,
        &[],
        &Factors::default(),
        false,
        State::default(),
        super::accounts::Accounts::default(),
        &empty,
        &[],
        Shortcuts::default(),
    );
    for day in 0..days {
        sim.step(day)?;
    }
    Ok(sim.finish(days).1)
}

/// Day 0's start from the spin-up's state at the start of its day `days`: every date
/// moved back by `days`.
fn rebase(scn: &Scenario, mut st: State, days: u32) -> Result<Start, Error> {
    if st.beyond.iter().any(|&id| st.lots[id as usize].alive) {
        return Err(
            SimError::Internal("a lot of the spin-up arrives after its horizon".into()).into(),
        );
    }
    st.beyond.clear();
    let (df, di) = (f64::from(days), i64::from(days));
    let mut units = vec![0; scn.products.len()];
    for lot in st.lots.iter_mut().filter(|l| l.alive) {
        lot.t_next -= df;
        lot.dispatched -= di;
        lot.queued_since -= di;
        units[lot.product as usize] += lot.units;
    }
    // Bucket `d % RING` holds the arrivals of day d, which is now d - days.
    st.due.rotate_left(days as usize % RING);
    for (when, _) in &mut st.late {
        *when -= days;
    }
    for q in &mut st.orders {
        for (placed, _) in q.iter_mut() {
            *placed -= di;
        }
    }
    let open = st.open_units.clone();
    Ok(Start {
        state: st,
        units,
        open,
        days,
    })
}
