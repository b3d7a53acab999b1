//! The engine: a checked scenario prepared once (its network, routing networks and
//! counterfactual), then run many times. [`Engine::run`] executes a run either as the
//! plain reference simulation (every day, in order, by the day step) or on the fast path
//! (the executor in `executor/`), with the same results.

use crate::closure::{ClosureWindow, Target};
use crate::error::{Error, SimError};
use crate::scenario::Scenario;

use super::accounts::{Accounts, Record};
use super::capacity::Factors;
use super::day::{Shortcuts, Sim};
use super::executor::{self, FollowBuffers, Track, SNAPSHOT_BUDGET};
use super::losses::{last_closure_end, report, OpenOrders};
use super::metrics::{DailySeries, RunReport};
use super::network::Network;
use super::observer::{NoObserver, Observer};
use super::plans::PlanLog;
use super::prices;
use super::routes::RouteBook;
use super::routing::ProductNet;
use super::runout::Runout;
use super::start::Start;
use super::state::State;

/// How an engine executes a run. Both give the same results (to the order in which
/// floating-point sums are added); a property test holds them equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Execution {
    /// The fast path: days no closure touches are taken from the counterfactual once a
    /// run's state is back to its state (see `docs/model.md`, "How a run is computed"),
    /// and plans are remembered and taken over where the routing inputs repeat.
    #[default]
    Fast,
    /// The plain reference simulation: every day simulated, in order; routing solved
    /// from the run's own previous solution (unsolved on day 0); nothing remembered or
    /// copied from another simulation. It reads like `docs/model.md`.
    Reference,
}

/// The simulation engine for one scenario: prepared once, run many times.
///
/// `Engine::new` checks the scenario (the diagnostics of [`Scenario::check`]), prepares
/// the routing networks and simulates the counterfactual (no closures);
/// [`Engine::run`] simulates the scenario under a list of closure windows and reports
/// losses against the counterfactual. Runs are deterministic, and their results do not
/// depend on the [`Execution`], on the runs before them, or on an observer.
pub struct Engine {
    scenario: Scenario,
    net: Network,
    execution: Execution,
    /// The routing networks of the run in progress.
    nets: Vec<ProductNet>,
    /// Unsolved routing networks: the reference starts every run from them.
    cold_nets: Vec<ProductNet>,
    /// The routing networks fast runs start from: as the base (or the counterfactual)
    /// left them after day 0.
    start_nets: Vec<ProductNet>,
    routes: RouteBook,
    /// The counterfactual's accounts (no closure at all).
    cf: Accounts,
    /// The closures every run shares (a Monte Carlo's fixed closures), as factors; fast
    /// runs rejoin the simulation of these (the *base*), which is the counterfactual
    /// when there are none.
    base: Factors,
    /// The base's accounts, when it is not the counterfactual.
    base_acc: Option<Accounts>,
    /// What the base leaves for fast runs to rejoin it (none for the reference).
    track: Option<Track>,
    /// The counterfactual's states and sums on the run-out days.
    runout: Runout,
    /// Days the last run simulated (the others it took from the base).
    days_simulated: u32,
    /// Days the last run followed the counterfactual's cargo with orders of its own.
    days_followed: u32,
    /// The last run's state, emptied by the next (its buffers are reused).
    spare: State,
    /// The last fast run's accounts, emptied by the next fast run (its per-day arrays
    /// are reused; only the days it covered are cleared).
    spare_acc: Accounts,
    follow: FollowBuffers,
    /// The state every run and the counterfactual start day 0 in (`spinup.rs`).
    start: Start,
    /// The counterfactual's market price per demand at the start of each day, for the
    /// orders of runs whose demand answers prices (`Sim::cf_market`; empty otherwise).
    cf_market: Vec<i64>,
}

impl Engine {
    /// Check `scenario`, prepare an engine for it and simulate its counterfactual.
    ///
    /// # Errors
    /// [`Error::Scenario`] with every diagnostic of [`Scenario::check`] if the scenario
    /// is not valid (a scenario built or edited in code); [`Error::Sim`] if its
    /// counterfactual cannot be simulated.
    pub fn new(scenario: &Scenario) -> Result<Engine, Error> {
        Engine::build(scenario, &[], Execution::Fast, SNAPSHOT_BUDGET)
    }

    /// As [`Engine::new`], with runs executed as `execution` says.
    ///
    /// # Errors
    /// As [`Engine::new`].
    pub fn with_execution(scenario: &Scenario, execution: Execution) -> Result<Engine, Error> {
        Engine::build(scenario, &[], execution, SNAPSHOT_BUDGET)
    }

    /// As [`Engine::new`] (fast path), for runs that all share the closures `base` (a
    /// Monte Carlo's fixed closures). It also simulates the scenario under `base` alone,
    /// and takes from that simulation the days on which a run's closures and state are
    /// the base's, as it takes quiet days from the counterfactual otherwise. Losses are
    /// still measured against the counterfactual (no closure at all), and a run's
    /// results do not depend on `base` beyond the order floating-point sums are added
    /// in; a run that does not share `base` is simply simulated on the days it differs.
    ///
    /// # Errors
    /// As [`Engine::new`]; also if a window of `base` is not valid (see [`Engine::run`]).
    pub fn with_base(scenario: &Scenario, base: &[ClosureWindow]) -> Result<Engine, Error> {
        Engine::build(scenario, base, Execution::Fast, SNAPSHOT_BUDGET)
    }

    fn build(
        scenario: &Scenario,
        base: &[ClosureWindow],
        execution: Execution,
        snapshot_budget: usize,
    ) -> Result<Engine, Error> {
        scenario.check()?;
        let scenario = scenario.clone();
        let net = Network::new(&scenario);
        let mut routes = RouteBook::default();
        let start = Start::of(&scenario, &net, &mut routes)?;
        let nets = (0..scenario.products.len())
            .map(|p| ProductNet::new(&scenario, &net, p))
            .collect::<Result<Vec<_>, Error>>()?;
        let mut engine = Engine {
            runout: Runout::new(scenario.settings.days),
            cold_nets: nets.clone(),
            start_nets: nets.clone(),
            nets,
            scenario,
            net,
            execution,
            routes,
            start,
            cf: Accounts::default(),
            base: Factors::default(),
            base_acc: None,
            track: None,
            days_simulated: 0,
            days_followed: 0,
            spare: State::default(),
            spare_acc: Accounts::default(),
            follow: FollowBuffers::default(),
            cf_market: Vec::new(),
        };
        engine.check_closures(base)?;
        let (window, horizon) = (engine.net.window, engine.net.horizon);
        let lag = engine.net.max_lag;
        engine.base = Factors::new(&engine.scenario, base, window, horizon, lag);
        if execution == Execution::Reference {
            if !base.is_empty() {
                return Err(SimError::Invalid(
                    "the reference execution takes no base closures: it simulates every day".into(),
                )
                .into());
            }
            engine.cf = engine.simulate_counterfactual()?;
            engine.cf_market = engine.market_of_cf();
            return Ok(engine);
        }
        // The fast path: the base (the counterfactual when there is none) is simulated
        // with its track kept for runs to rejoin it; with a base, the counterfactual is
        // simulated on its own for the losses.
        if !engine.base.is_empty() {
            engine.cf = engine.simulate_counterfactual()?;
            engine.cf_market = engine.market_of_cf();
        }
        let (acc, track) = engine.record(base, snapshot_budget)?;
        if engine.base.is_empty() {
            engine.cf = acc;
            engine.cf_market = engine.market_of_cf();
        } else {
            engine.base_acc = Some(acc);
        }
        engine.track = Some(track);
        Ok(engine)
    }

    /// The counterfactual's market price per demand at the start of each day of the
    /// horizon and at its end (`[day * demands + k]`, 0.01 USD/t): its state at day 0's
    /// start (the steady start), then the prices of its routing on the day before. Empty
    /// when no demand answers prices.
    fn market_of_cf(&self) -> Vec<i64> {
        let net = &self.net;
        if !net.elastic {
            return Vec::new();
        }
        let (nk, np) = (net.demand_product.len(), net.prices.len());
        let days = net.horizon as usize;
        let mut out = Vec::with_capacity((days + 1) * nk);
        let start = &self.start.state.market;
        out.extend((0..nk).map(|k| start.get(k).copied().unwrap_or(0)));
        for d in 0..days {
            let row = &self.cf.prices[d * np..(d + 1) * np];
            out.extend((0..nk).map(|k| row[net.demand_point[k]]));
        }
        out
    }

    /// The scenario this engine simulates.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// How this engine executes runs.
    pub fn execution(&self) -> Execution {
        self.execution
    }

    /// How many days the last run simulated: on the fast path, the days it did not take
    /// from the counterfactual (none at all for a run with no closure); every day for
    /// the reference.
    pub fn days_simulated(&self) -> u32 {
        self.days_simulated
    }

    /// Days of the spin-up that made the steady start every run begins in (0 for an empty
    /// start, `steady_start = false`; see `docs/model.md`, "A steady start").
    pub fn spinup_days(&self) -> u32 {
        self.start.days
    }

    /// How many of the days the last fast run did not simulate it followed: the run had
    /// the counterfactual's cargo and queues but other open orders (a backlog), and
    /// routing those orders gave the counterfactual's plans, so only the orders were
    /// kept day by day (same results; see `docs/model.md`).
    pub fn days_followed(&self) -> u32 {
        self.days_followed
    }

    /// Simulate the window under `closures` and report losses against the
    /// counterfactual, recording what `record` says.
    ///
    /// # Errors
    /// [`Error::Sim`] if a closure window names a corridor or link outside the scenario,
    /// has a capacity factor outside [0, 1] or a start or duration out of range, or if
    /// a day cannot be simulated.
    pub fn run(&mut self, closures: &[ClosureWindow], record: Record) -> Result<RunReport, Error> {
        self.run_observed(closures, record, &mut NoObserver)
    }

    /// As [`Engine::run`], calling `observer` at the end of every day the engine
    /// simulates (every day under [`Execution::Reference`]; on the fast path, the days
    /// it does not take from the counterfactual). The observer changes neither which
    /// days are simulated nor the results.
    ///
    /// # Errors
    /// As [`Engine::run`].
    pub fn run_observed(
        &mut self,
        closures: &[ClosureWindow],
        record: Record,
        observer: &mut dyn Observer,
    ) -> Result<RunReport, Error> {
        self.check_closures(closures)?;
        let daily = record == Record::Daily;
        let (mut acc, capped, mut run_open) = match self.execution {
            Execution::Reference => self.simulate_reference(closures, daily, observer)?,
            Execution::Fast => self.simulate_fast(closures, daily, observer)?,
        };
        if record == Record::DailyTotals {
            // No per-corridor, product or crossing series: `report` fills in the totals.
            acc.daily = Some(DailySeries::default());
        }
        let end = acc.end;
        let last_end = last_closure_end(closures, self.net.window, end);
        let cf_open = self
            .runout
            .open_at(end)
            .map(<[i64]>::to_vec)
            .unwrap_or_default();
        let Some(at) = self.runout.at(end, &self.scenario, &self.net, &self.routes) else {
            return Err(SimError::Internal(format!(
                "a run ended on day {end}, where the counterfactual kept no state"
            ))
            .into());
        };
        let (scn, points) = (&self.scenario, &self.net.prices);
        // The days a fast run took from the base (or the counterfactual) have its prices.
        let mine = prices::Days {
            own: &acc,
            taken: self.base_acc.as_ref().unwrap_or(&self.cf),
        };
        let theirs = prices::Days {
            own: &self.cf,
            taken: &self.cf,
        };
        let window = self.net.window;
        let price_metrics = prices::metrics(scn, points, &mine, &theirs, end as usize, window);
        let price_daily = daily.then(|| prices::daily(scn, points, &mine, &theirs, end as usize));
        // A run that is not capped ends with the counterfactual's orders.
        if !capped {
            run_open.clone_from(&cf_open);
        }
        let open = OpenOrders {
            at_start: &self.start.open,
            run_end: &run_open,
            cf_end: &cf_open,
        };
        let mut report = report(
            &self.scenario,
            &self.net,
            &self.cf,
            at,
            &mut acc,
            last_end,
            capped,
            &open,
        );
        if self.execution == Execution::Fast {
            self.spare_acc = acc;
        }
        report.metrics.prices = price_metrics;
        if let (Some(d), Some(p)) = (report.daily.as_mut(), price_daily) {
            d.prices = p;
        }
        if record == Record::DailyTotals {
            // A Monte Carlo keeps the window's days (its bands are over the window).
            if let Some(d) = report.daily.as_mut() {
                let w = self.net.window as usize;
                d.stranded_trucks.truncate(w);
                d.delivered_usd.truncate(w);
                d.counterfactual_delivered_usd.truncate(w);
            }
        }
        Ok(report)
    }

    /// Every window must close a corridor or link of the scenario by a factor in [0, 1],
    /// from a start and for a duration the calendar can hold.
    fn check_closures(&self, closures: &[ClosureWindow]) -> Result<(), Error> {
        const LIMIT: i64 = 1_000_000;
        for (i, w) in closures.iter().enumerate() {
            let target_ok = match w.target {
                Target::Corridor(c) => c.index() < self.scenario.corridors.len(),
                Target::Link(l) => l.index() < self.scenario.links.len(),
            };
            let problem = if !target_ok {
                Some(format!(
                    "its target {:?} is not in the scenario ({} corridors, {} links)",
                    w.target,
                    self.scenario.corridors.len(),
                    self.scenario.links.len()
                ))
            } else if !(0.0..=1.0).contains(&w.capacity_factor) {
                Some(format!(
                    "capacity_factor = {} is outside [0, 1]",
                    w.capacity_factor
                ))
            } else if !(-LIMIT..=LIMIT).contains(&w.start_day)
                || i64::from(w.duration_days) > LIMIT
                || i64::from(w.ramp_days) > LIMIT
            {
                Some(format!(
                    "start_day = {}, duration_days = {} or ramp_days = {} is beyond \
                     {LIMIT} days",
                    w.start_day, w.duration_days, w.ramp_days
                ))
            } else if let Some(e) = w
                .expected_closure_days
                .filter(|e| !(*e > 0.0 && e.is_finite()))
            {
                Some(format!("expected_closure_days = {e} is not a number > 0"))
            } else if w.expected_closure_days.is_some()
                && !self.scenario.settings.traders.is_myopic()
                && !self
                    .scenario
                    .target_links(&w.target)
                    .iter()
                    .all(|l| self.net.beliefs.has(l.index()))
            {
                Some(
                    "it states expected_closure_days on a link about which the scenario \
                     holds no belief (no closure process, shock, corridor belief, or fixed \
                     closure stating one): give the closure among the scenario's [[closure]]"
                        .to_string(),
                )
            } else {
                None
            };
            if let Some(p) = problem {
                return Err(SimError::Invalid(format!("closure window {}: {p}", i + 1)).into());
            }
        }
        Ok(())
    }

    /// A simulation of `closures` in the engine's buffers, its routing networks reset
    /// to `start_nets`. The engine's fields are passed one by one, so that the track the
    /// shortcuts borrow stays apart.
    #[allow(clippy::too_many_arguments)]
    fn start<'a>(
        scenario: &'a Scenario,
        net: &'a Network,
        nets: &'a mut [ProductNet],
        start_nets: &[ProductNet],
        routes: &'a mut RouteBook,
        base: &Factors,
        spare: &mut State,
        acc: Accounts,
        start: &'a Start,
        cf_market: &'a [i64],
        closures: &[ClosureWindow],
        daily: bool,
        shortcuts: Shortcuts<'a>,
    ) -> Sim<'a> {
        // Every run starts from the same solvers: warm starts carry over from day to
        // day within a run, never from one run to the next.
        for (n, s) in nets.iter_mut().zip(start_nets) {
            n.clone_from(s);
        }
        let state = std::mem::take(spare);
        Sim::new(
            scenario, net, nets, routes, closures, base, daily, state, acc, start, cf_market,
            shortcuts,
        )
    }

    /// The counterfactual, plainly: every day of the horizon (window and longest
    /// run-out), keeping its states on the run-out days.
    fn simulate_counterfactual(&mut self) -> Result<Accounts, Error> {
        let mut sim = Engine::start(
            &self.scenario,
            &self.net,
            &mut self.nets,
            &self.cold_nets,
            &mut self.routes,
            &Factors::default(),
            &mut self.spare,
            Accounts::default(),
            &self.start,
            &[],
            &[],
            true,
            Shortcuts::default(),
        );
        for day in 0..sim.days {
            self.runout.keep(&sim, day);
            sim.step(day)?;
        }
        self.runout.keep(&sim, sim.days);
        let end = sim.days;
        let (acc, state) = sim.finish(end);
        self.spare = state;
        Ok(acc)
    }

    /// The plain reference simulation: every day of the window, in order, by the day
    /// step, with no shortcut, then the run-out until the run is back to the
    /// counterfactual; `observer` sees every day. Returns the accounts and whether the
    /// run-out was cut off at its cap.
    fn simulate_reference(
        &mut self,
        closures: &[ClosureWindow],
        daily: bool,
        observer: &mut dyn Observer,
    ) -> Result<(Accounts, bool, Vec<i64>), Error> {
        let mut sim = Engine::start(
            &self.scenario,
            &self.net,
            &mut self.nets,
            &self.cold_nets,
            &mut self.routes,
            &Factors::default(),
            &mut self.spare,
            Accounts::default(),
            &self.start,
            &self.cf_market,
            closures,
            daily,
            Shortcuts::default(),
        );
        let (window, horizon) = (sim.window, sim.days);
        let mut end = horizon;
        for day in 0..horizon {
            if day >= window && self.runout.over(&sim, day) {
                end = day;
                break;
            }
            sim.step(day)?;
            sim.observe(observer, day);
        }
        let capped = end == horizon && !self.runout.over(&sim, horizon);
        let (acc, state) = sim.finish(end);
        let open = state.open_units.clone();
        self.spare = state;
        self.days_simulated = end;
        self.days_followed = 0;
        Ok((acc, capped, open))
    }

    /// Simulate the base (the counterfactual when there is none) every day, with its
    /// daily series (runs copy them for the days they take), keeping its track; fast
    /// runs start from its routing networks after day 0.
    fn record(
        &mut self,
        base: &[ClosureWindow],
        budget: usize,
    ) -> Result<(Accounts, Track), Error> {
        let shortcuts = Shortcuts {
            memo: true,
            takeover: None,
            log: Some(PlanLog::default()),
        };
        let mut sim = Engine::start(
            &self.scenario,
            &self.net,
            &mut self.nets,
            &self.start_nets,
            &mut self.routes,
            &Factors::default(),
            &mut self.spare,
            Accounts::default(),
            &self.start,
            &self.cf_market,
            base,
            true,
            shortcuts,
        );
        // Without a base, this is the counterfactual: it keeps the run-out states too.
        let runout = base.is_empty().then_some(&mut self.runout);
        let (track, after_day0) = executor::record(&mut sim, budget, runout)?;
        let end = sim.days;
        let (acc, state) = sim.finish(end);
        self.spare = state;
        self.start_nets = after_day0;
        Ok((acc, track))
    }

    /// A run on the fast path; with whether its run-out was cut off at its cap and its
    /// open orders at the end (meaningful when it was).
    fn simulate_fast(
        &mut self,
        closures: &[ClosureWindow],
        daily: bool,
        observer: &mut dyn Observer,
    ) -> Result<(Accounts, bool, Vec<i64>), Error> {
        let Some(track) = self.track.as_ref() else {
            return Err(SimError::Internal("a fast engine without its track".into()).into());
        };
        let shortcuts = Shortcuts {
            memo: true,
            takeover: Some(&track.plans),
            log: None,
        };
        let mut sim = Engine::start(
            &self.scenario,
            &self.net,
            &mut self.nets,
            &self.start_nets,
            &mut self.routes,
            &self.base,
            &mut self.spare,
            std::mem::take(&mut self.spare_acc),
            &self.start,
            &self.cf_market,
            closures,
            daily,
            shortcuts,
        );
        let base_acc = self.base_acc.as_ref().unwrap_or(&self.cf);
        let counts = executor::run(
            &mut sim,
            track,
            base_acc,
            observer,
            &mut self.follow,
            &self.runout,
            self.base_acc.is_none(),
        )?;
        let capped = counts.end == sim.days && !self.runout.over(&sim, sim.days);
        let (acc, state) = sim.finish(counts.end);
        let open = state.open_units.clone();
        self.spare = state;
        self.days_simulated = counts.simulated;
        self.days_followed = counts.followed;
        Ok((acc, capped, open))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::CorridorId;

    /// With a snapshot budget too small to keep every day, the counterfactual keeps every
    /// `stride`-th day and runs rejoin it on those days only: fewer days skipped, the
    /// same results.
    #[test]
    fn thinned_snapshots_rejoin_on_kept_days_only() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/starter.toml");
        let scn = crate::scenario::load(path).expect("the starter scenario loads");
        let days = scn.settings.days;
        let mut full = Engine::new(&scn).expect("engine");
        let mut thin = Engine::build(&scn, &[], Execution::Fast, 256 << 10).expect("engine");
        let mut plain = Engine::with_execution(&scn, Execution::Reference).expect("engine");
        let stride = |e: &Engine| e.track.as_ref().map_or(0, |t| t.stride);
        assert_eq!(stride(&full), 1);
        assert!(stride(&thin) > 1 && stride(&thin) < days);
        assert!(thin.track.as_ref().is_some_and(|t| t.bytes <= 256 << 10));
        let early = ClosureWindow {
            target: Target::Corridor(CorridorId(0)),
            start_day: 5,
            duration_days: 3,
            capacity_factor: 0.0,
            ramp_days: 0,
            label: None,
            expected_closure_days: None,
        };
        for closures in [scn.closures.clone(), vec![early], vec![]] {
            let every_day = plain.run(&closures, Record::Daily).expect("runs");
            let a = full.run(&closures, Record::Daily).expect("runs");
            let b = thin.run(&closures, Record::Daily).expect("runs");
            assert!(full.days_simulated() < days, "the full track skips days");
            assert!(thin.days_simulated() >= full.days_simulated());
            a.close_to(&every_day, 1e-9, 1e-6).unwrap();
            b.close_to(&every_day, 1e-9, 1e-6).unwrap();
        }
    }
}
