//! One simulation in progress, and its day: [`Sim::step`] runs the steps of
//! `docs/model.md` ("One simulated day") in order, each in its own room.

use crate::closure::ClosureWindow;
use crate::error::Error;
use crate::scenario::Scenario;

use super::accounts::Accounts;
use super::capacity::{Factors, Schedule};
use super::network::Network;
use super::plans::PlanLog;
use super::routes::{RouteBook, Scratch};
use super::routing::{self, ProductNet, RoutingCtx};
use super::state::State;
use super::turnback::TurnBack;
use super::{orders, Observer};

/// The shortcuts a simulation may take inside the day step. The reference simulation
/// takes none; the fast path ([`super::executor`]) takes them all. Each returns exactly
/// what the plain computation would (routing is canonical: a plan is a function of the
/// day's routing inputs).
#[derive(Default)]
pub(super) struct Shortcuts<'a> {
    /// Keep a product's last plan while its routing inputs (or solver flows) do not
    /// change, and remember turn-back routes by the darcs open.
    pub(super) memo: bool,
    /// The counterfactual's plans: a product whose routing inputs on a day are the
    /// counterfactual's on that day takes its plan.
    pub(super) takeover: Option<&'a PlanLog>,
    /// Record every product's routing inputs and plan (the counterfactual does, for
    /// runs to take over).
    pub(super) log: Option<PlanLog>,
}

/// One simulation in progress: the engine's prepared parts it borrows, the state that
/// carries from day to day, and its accounts.
pub(super) struct Sim<'a> {
    pub(super) scn: &'a Scenario,
    pub(super) net: &'a Network,
    pub(super) nets: &'a mut [ProductNet],
    pub(super) routes: &'a mut RouteBook,
    /// Days of the window.
    pub(super) window: u32,
    /// Days it may simulate: the window and the longest run-out.
    pub(super) days: u32,
    /// The closures, as factors per link and day.
    pub(super) sched: Schedule,
    /// Cargo, queues, orders and capacities in force: what decides what happens next.
    pub(super) state: State,
    /// Capacity left today per darc (what was admitted is `cap_units - left`).
    pub(super) left: Vec<i64>,
    /// Capacity traders see left today per darc (for routing and turning back).
    pub(super) perceived: Vec<i64>,
    /// Lots to move today.
    pub(super) work: Vec<u32>,
    pub(super) acc: Accounts,
    pub(super) shortcuts: Shortcuts<'a>,
    /// Darcs whose queue held cargo when routing began today.
    pub(super) queued_darcs: Vec<u32>,
    pub(super) turn: TurnBack,
    /// Today's inputs of the wait arcs of the product being routed (`decision.rs`).
    pub(super) wait_in: Vec<i64>,
    /// Units in the system at the start of day 0, per product (the steady start).
    pub(super) start_units: &'a [i64],
    /// The counterfactual's market price per demand at the start of each day (its last
    /// routing): `[day * demands + k]`, for runs of a scenario whose demand answers
    /// prices (`orders.rs`); empty for the counterfactual itself.
    pub(super) cf_market: &'a [i64],
    scratch: Scratch,
}

impl<'a> Sim<'a> {
    /// A simulation of `scn` under `closures`, before day 0, in `state`'s and `acc`'s
    /// buffers (see [`Accounts::new`]).
    /// `base` are the factors of the closures every run shares (the fast path skips the
    /// days whose closures are the base's).
    #[allow(clippy::too_many_arguments)] // the engine's parts it borrows, one by one
    pub(super) fn new(
        scn: &'a Scenario,
        net: &'a Network,
        nets: &'a mut [ProductNet],
        routes: &'a mut RouteBook,
        closures: &[ClosureWindow],
        base: &Factors,
        daily: bool,
        mut state: State,
        acc: Accounts,
        start: &'a super::start::Start,
        cf_market: &'a [i64],
        shortcuts: Shortcuts<'a>,
    ) -> Self {
        let sched = Schedule::new(scn, net, closures, base);
        let acc = Accounts::new(scn, net, &sched, routes, daily, acc);
        let nd = net.darcs.len();
        Sim {
            scn,
            net,
            nets,
            routes,
            window: net.window,
            days: net.horizon,
            state: {
                state.clone_from(&start.state);
                state
            },
            start_units: &start.units,
            cf_market,
            sched,
            left: vec![0; nd],
            perceived: vec![0; nd],
            work: Vec::new(),
            acc,
            shortcuts,
            queued_darcs: Vec::new(),
            turn: TurnBack::default(),
            wait_in: Vec::new(),
            scratch: Scratch::default(),
        }
    }

    /// Simulate `day`:
    /// 1. capacities in force and as traders see them (`capacity.rs`);
    /// 2. orders expire and are placed (`orders.rs`);
    /// 3. cargo under way moves: queues drain first, then the lots due today
    ///    (`movement.rs`);
    /// 4. for each product in priority order: queued lots past their patience turn back
    ///    (`turnback.rs`), or, with weighing traders, queued lots and lots under way
    ///    weigh waiting against a detour (`decision.rs`); new trade is routed and
    ///    dispatched (`routing.rs`, wait arcs held), and the new lots move
    ///    (`movement.rs`);
    /// 5. evening: holding cost, spoilage, spoiled and abandoned lots (`perishing.rs`);
    /// 6. the day's records (`accounts.rs`).
    pub(super) fn step(&mut self, day: u32) -> Result<(), Error> {
        // 1. Capacities.
        self.sched.morning(
            self.scn,
            self.net,
            &mut self.state,
            day,
            &mut self.left,
            &mut self.perceived,
        );
        // 2. Orders.
        self.place_orders(day);
        // 3. Cargo under way.
        self.move_cargo(day);
        // 4. Turning back, routing and dispatch, products in priority order.
        self.queued_darcs.clear();
        for (a, q) in self.state.queues.iter().enumerate() {
            if !q.is_empty() {
                self.queued_darcs.push(a as u32);
            }
        }
        for oi in 0..self.net.order.len() {
            let p = self.net.order[oi];
            self.turn_back(p, day);
            self.reroute_under_way(p, day);
            self.route(p, day)?;
            self.process_work(day);
        }
        // 5. Evening.
        self.perish(day);
        // 6. Records.
        self.keep_records(day);
        Ok(())
    }

    /// Step 2: orders past their patience are lost; today's orders are placed.
    pub(super) fn place_orders(&mut self, day: u32) {
        let patience = self.scn.settings.order_patience_days;
        let nk = self.net.demand_product.len();
        let at = day as usize * nk;
        let cf_market = self.cf_market.get(at..at + nk).unwrap_or(&[]);
        orders::place(
            self.net,
            patience,
            &mut self.state,
            day,
            &mut self.acc.sums.lost_orders_usd,
            &mut self.acc.sums.welfare,
            cf_market,
        );
    }

    /// Keep product `p`'s market prices (`prices`, in the order of its points) for its
    /// demands' orders tomorrow, when demand answers prices.
    fn note_market(&mut self, p: usize, prices: &[i64]) {
        let net = self.net;
        if !net.elastic {
            return;
        }
        if self.state.market.len() != net.demand_product.len() {
            self.state.market.clear();
            self.state.market.resize(net.demand_product.len(), 0);
        }
        let first = net.prices.offset[p];
        for &k in &net.product_demands[p] {
            if let Some(&c) = prices.get(net.demand_point[k] - first) {
                self.state.market[k] = c;
            }
        }
    }

    /// Step 4: route new trade in product `p` and dispatch it.
    fn route(&mut self, p: usize, day: u32) -> Result<(), Error> {
        self.wait_inputs(p, day)?;
        let supply = &self.net.supply_units[self.net.period[day as usize] as usize];
        // The counterfactual's plan, when today's inputs are its inputs (fast path).
        if let Some(log) = self.shortcuts.takeover {
            let np = self.net.order.len();
            let (open, wait) = (&self.state.open_units, &self.wait_in);
            let taken = log.get(day, np, p).filter(|(key, _, _)| {
                self.nets[p].inputs_are(key, &self.perceived, supply, open, wait)
            });
            if let Some((_, plan, prices)) = taken {
                self.acc.set_prices(&self.net.prices, day, p, prices);
                self.note_market(p, prices);
                self.dispatch(p, day, plan);
                return Ok(());
            }
        }
        self.solve_with_inputs(p, day)?;
        let net = &self.nets[p];
        self.acc.set_prices(&self.net.prices, day, p, &net.prices);
        let prices = std::mem::take(&mut self.nets[p].prices);
        self.note_market(p, &prices);
        self.nets[p].prices = prices;
        let plan = std::mem::take(&mut self.nets[p].plan);
        if let Some(log) = self.shortcuts.log.as_mut() {
            let net = &self.nets[p];
            log.record(day, self.net.order.len(), p, &net.key, &plan, &net.prices);
        }
        self.dispatch(p, day, &plan);
        self.nets[p].plan = plan;
        Ok(())
    }

    /// Product `p`'s plan for today's inputs, left in `nets[p].plan`.
    pub(super) fn solve_plan(&mut self, p: usize, day: u32) -> Result<(), Error> {
        self.wait_inputs(p, day)?;
        self.solve_with_inputs(p, day)
    }

    /// As [`Sim::solve_plan`], with today's wait-arc inputs already in `wait_in`.
    fn solve_with_inputs(&mut self, p: usize, day: u32) -> Result<(), Error> {
        let mut cx = RoutingCtx {
            scn: self.scn,
            net: self.net,
            routes: self.routes,
            scratch: &mut self.scratch,
        };
        self.nets[p].solve(
            &mut cx,
            p,
            day,
            &self.perceived,
            &self.state.open_units,
            &self.wait_in,
            self.shortcuts.memo,
        )
    }

    /// Dispatch `plan` for product `p`.
    fn dispatch(&mut self, p: usize, day: u32, plan: &[(u32, i64)]) {
        routing::dispatch(
            plan,
            p,
            day,
            self.routes,
            &mut self.perceived,
            &mut self.state,
            &mut self.acc.sums,
            &mut self.work,
        );
        self.acc.sums.welfare.dispatched(plan);
    }

    /// Call `observer` with the view of the day just simulated.
    pub(super) fn observe(&self, observer: &mut dyn Observer, day: u32) {
        observer.end_of_day(&super::DayView {
            scn: self.scn,
            net: self.net,
            state: &self.state,
            sums: &self.acc.sums,
            left: &self.left,
            start_units: self.start_units,
            day,
        });
    }

    /// The accounts of the simulation, ended at the start of day `end`, with the totals
    /// made from the unit counters; the state's buffers are handed back for the next run.
    pub(super) fn finish(self, end: u32) -> (Accounts, State) {
        let acc = self.acc.finish(self.scn, self.net, self.routes, end);
        (acc, self.state)
    }
}
