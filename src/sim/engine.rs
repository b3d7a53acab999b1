//! The daily engine. See `docs/model.md` for what each step means.
//!
//! Layout of one day (`Sim::step`):
//! 1. capacities for the day, new orders, expired orders;
//! 2. movement of cargo already under way: queues drain first, then arrivals;
//! 3. routing per product in priority order: queued cargo past its patience turns back
//!    onto another route, then one min-cost flow for new trade; new cargo moves;
//! 4. end of day: holding cost, spoilage, spoiled and abandoned cargo, records.

mod rejoin;
use rejoin::Likeness;

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use crate::closure::ClosureWindow;
use crate::error::{Error, SimError};
use crate::flow::NetworkSimplex;
use crate::network::seasonal_factor;
use crate::scenario::Scenario;

use super::metrics::{
    CorridorDaily, CorridorMetrics, CrossingDaily, CrossingMetrics, DailySeries, Delivered,
    ProductDaily, RunMetrics, RunReport,
};

/// A fast, non-cryptographic hasher (the Fx hash of rustc) for the engine's own keys.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(b));
        }
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

type PathMap = HashMap<Vec<u32>, u32, BuildHasherDefault<FxHasher>>;

/// Days of arrivals kept in the ring of buckets (further ones wait in a list).
const RING: usize = 64;

/// Engine tonnes are integers of 0.01 t.
pub const UNITS_PER_T: f64 = 100.0;
/// Routing costs are integers of 0.01 USD/t.
pub const COST_SCALE: f64 = 100.0;

#[inline]
fn units(t: f64) -> i64 {
    (t * UNITS_PER_T).round() as i64
}

#[inline]
fn tonnes(u: i64) -> f64 {
    u as f64 / UNITS_PER_T
}

/// One direction of a link.
#[derive(Debug, Clone)]
struct DArc {
    link: u32,
    forward: bool,
    from: u32,
    to: u32,
    transit: f64,
    /// Freight + border charges for this direction, USD/t.
    paid_usd_per_t: f64,
    /// Crossing slot of its link (`u32::MAX` if not a crossing).
    slot: u32,
}

/// A route: the directed arcs from an origin to a demand point.
#[derive(Debug, Clone)]
struct Path {
    /// Its darcs are `path_darcs[start..start + len]`.
    start: u32,
    len: u32,
    demand: u32,
    /// Index into `Static::pairs` (origin country -> destination country).
    pair: u32,
    /// Whether the demand's product perishes.
    perishable: bool,
}

/// Per-product routing network, kept across days for warm starts.
struct ProductNet {
    solver: NetworkSimplex,
    /// (supply index, solver arc, origin node)
    supply_arcs: Vec<(usize, usize, usize)>,
    /// (demand index, solver arc)
    demand_arcs: Vec<(usize, usize)>,
    /// Demand arcs by node: node -> [(demand index, position in `demand_arcs`)].
    demand_at: Vec<Vec<(usize, usize)>>,
    bypass: usize,
    s: usize,
    t: usize,
    /// Route cost per darc for this product, USD/t (for turn-back paths).
    darc_cost: Vec<f64>,
    /// Last inputs and the plan they gave: most days nothing changes.
    last_key: Vec<i64>,
    last_plan: Vec<(u32, i64)>,
    /// The solver's flows `last_plan` was decomposed from.
    last_flows: Vec<i64>,
    cached: bool,
}

impl Clone for ProductNet {
    fn clone(&self) -> Self {
        ProductNet {
            solver: self.solver.clone(),
            supply_arcs: self.supply_arcs.clone(),
            demand_arcs: self.demand_arcs.clone(),
            demand_at: self.demand_at.clone(),
            bypass: self.bypass,
            s: self.s,
            t: self.t,
            darc_cost: self.darc_cost.clone(),
            last_key: self.last_key.clone(),
            last_plan: self.last_plan.clone(),
            last_flows: self.last_flows.clone(),
            cached: self.cached,
        }
    }

    /// Field by field, keeping this network's buffers (every run starts from a fresh
    /// copy). The destructuring is exhaustive, so a new field cannot be forgotten here.
    fn clone_from(&mut self, o: &Self) {
        crate::clone_fields_from!(
            ProductNet,
            self,
            o,
            [
                solver,
                supply_arcs,
                demand_arcs,
                demand_at,
                bypass,
                s,
                t,
                darc_cost,
                last_key,
                last_plan,
                last_flows,
                cached,
            ]
        );
    }
}

/// What does not change between runs of one scenario.
struct Static {
    darcs: Vec<DArc>,
    /// Outgoing darcs per node.
    out: Vec<Vec<u32>>,
    /// Darcs of each link (forward first).
    link_darcs: Vec<Vec<u32>>,
    crossing_links: Vec<usize>,
    countries: Vec<String>,
    node_country: Vec<u32>,
    pairs: Vec<String>,
    pair_index: HashMap<(u32, u32), u32>,
    /// Products in routing order.
    order: Vec<usize>,
    /// Month (0-based) of each day of the window.
    month: Vec<u8>,
    /// Charges per darc: (country index, USD/t).
    darc_charges: Vec<Vec<(u32, f64)>>,
    /// Corridors each link belongs to.
    link_corridors: Vec<Vec<u32>>,
    /// Expansions of each link (indices into the scenario's expansions).
    link_expansions: Vec<Vec<usize>>,
    /// Links with an expansion: their capacity is recomputed every day.
    expanding_links: Vec<u32>,
    /// Demands of each product.
    product_demands: Vec<Vec<usize>>,
    /// Per demand: holding cost per unit (0.01 t) per day, USD.
    demand_holding: Vec<f64>,
    /// Per product: value, USD/t.
    value: Vec<f64>,
    /// Units supplied per day by each supply, per month: `[month][supply]`.
    supply_units: Vec<Vec<i64>>,
    /// Units ordered per day at each demand, per month: `[month][demand]`.
    demand_units: Vec<Vec<i64>>,
    /// Product of each demand.
    demand_product: Vec<usize>,
}

/// A lot of cargo on its way.
#[derive(Debug, Clone)]
struct Ship {
    path: u32,
    /// Destination demand and its product (cached from the route; a turn-back keeps both).
    demand: u32,
    product: u32,
    /// Index into `path_darcs` of the next darc; `end` once at the destination.
    next: u32,
    end: u32,
    units: i64,
    /// Time (days since day 0) it reaches the entry of `darcs[pos]`, or its destination.
    t_next: f64,
    dispatched: u32,
    queued_since: u32,
    /// darc + 1 while queued, 0 otherwise.
    queued_at: u32,
    decay: f64,
    alive: bool,
}

/// Running sums of a simulation.
#[derive(Debug, Clone, Default)]
struct Sums {
    /// Per product: supplied, delivered, spoiled, abandoned units.
    supplied: Vec<i64>,
    delivered: Vec<i64>,
    spoiled: Vec<i64>,
    abandoned: Vec<i64>,
    /// Per demand index.
    holding_usd: Vec<f64>,
    dispatched_units: Vec<i64>,
    spoilage_usd: f64,
    lost_orders_usd: f64,
    abandoned_usd: f64,
    spoiled_whole_usd: f64,
    /// Units admitted at each step of each route: `[position in path_darcs]` (the
    /// positions of one route are adjacent, so a day's admissions touch few cache lines).
    /// The money sums of the accounts (paid, revenue, corridors) are made from these at
    /// the end.
    step_units: Vec<i64>,
    /// Units delivered per (pair, product): `[pair * products + product]`.
    pair_product_units: Vec<i64>,
}

/// The accounts of one simulation (actual or counterfactual).
#[derive(Debug, Clone, Default)]
struct Accounts {
    /// Per demand index.
    paid_usd: Vec<f64>,
    /// Running sums (what a run that rejoins the counterfactual adds over skipped days).
    sums: Sums,
    revenue_usd: Vec<f64>,
    /// Value crossing each crossing link per day: `[crossing_slot * days + day]`.
    cross_value: Vec<f64>,
    /// Whether a closure held the crossing below full capacity: `[slot * days + day]`.
    cross_closed: Vec<bool>,
    backlog_units: Vec<i64>,
    corridor_units: Vec<i64>,
    corridor_usd: Vec<f64>,
    corridor_closure_days: Vec<u32>,
    product_units: Vec<i64>,
    product_usd: Vec<f64>,
    pair_units: Vec<i64>,
    pair_usd: Vec<f64>,
    delivered_usd_daily: Vec<f64>,
    daily: Option<DailySeries>,
    /// Trucks queued at each crossing at the end of each day: `[slot * days + day]`
    /// (peaks, truck-days and the daily totals are made from these).
    slot_trucks: Vec<f64>,
}

impl Accounts {
    /// Trucks queued at crossing `slot` at the end of each day.
    fn trucks(&self, slot: usize, days: usize) -> &[f64] {
        &self.slot_trucks[slot * days..(slot + 1) * days]
    }

    /// Trucks queued at all crossings together at the end of each day.
    fn stranded(&self, days: usize) -> Vec<f64> {
        let slots = self.slot_trucks.len() / days.max(1);
        (0..days)
            .map(|d| (0..slots).fold(0.0, |s, slot| s + self.slot_trucks[slot * days + d]))
            .collect()
    }
}

/// Mass balance of one product at the end of a day, in tonnes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Balance {
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
    /// supplied − (delivered + in transit + waiting + queued + spoiled + abandoned), t.
    pub fn residual_t(&self) -> f64 {
        self.supplied_t
            - (self.delivered_t
                + self.in_transit_t
                + self.waiting_t
                + self.queued_t
                + self.spoiled_t
                + self.abandoned_t)
    }
}

/// What an [`Observer`] sees at the end of each day.
pub struct DayView<'a> {
    sim: &'a Sim<'a>,
    /// 0-based day index.
    pub day: u32,
}

impl DayView<'_> {
    /// Mass balance of each product (scenario order), exact to 0.01 t.
    pub fn balances(&self) -> Vec<Balance> {
        self.sim.balances()
    }

    /// Per link direction: (link index, forward?, tonnes admitted today, capacity today).
    pub fn link_usage(&self) -> Vec<(usize, bool, f64, f64)> {
        let st = self.sim.st;
        st.darcs
            .iter()
            .enumerate()
            .map(|(i, a)| {
                (
                    a.link as usize,
                    a.forward,
                    tonnes(self.sim.state.cap_units[i] - self.sim.rem_units[i]),
                    tonnes(self.sim.state.cap_units[i]),
                )
            })
            .collect()
    }

    /// Tonnes queued at each link (both directions), scenario order.
    pub fn queued_t_by_link(&self) -> Vec<f64> {
        let st = self.sim.st;
        st.link_darcs
            .iter()
            .map(|ds| {
                ds.iter()
                    .map(|&d| tonnes(self.sim.state.queue_units[d as usize]))
                    .sum()
            })
            .collect()
    }
}

/// Watches a simulation day by day (e.g. to check invariants or record extra series).
pub trait Observer {
    /// Called at the end of every simulated day.
    fn end_of_day(&mut self, view: &DayView<'_>);
}

/// An observer that does nothing.
pub struct NoObserver;

impl Observer for NoObserver {
    fn end_of_day(&mut self, _view: &DayView<'_>) {}
}

/// The simulation engine for one scenario: prepared once, run many times.
///
/// `Engine::new` prepares the routing networks and simulates the counterfactual (no
/// closures); [`Engine::run`] simulates the scenario under a list of closure windows and
/// reports losses against the counterfactual. Runs are deterministic.
pub struct Engine {
    scenario: Scenario,
    st: Static,
    nets: Vec<ProductNet>,
    /// The routing networks each run starts from: unsolved for the counterfactual, then
    /// as the counterfactual left them at the end of day 0.
    fresh_nets: Vec<ProductNet>,
    paths: Vec<Path>,
    path_darcs: Vec<u32>,
    path_ids: PathMap,
    cf: Accounts,
    /// The closures every run shares (a Monte Carlo's fixed closures), as factors; runs
    /// rejoin the simulation of these (the *base*), which is the counterfactual when
    /// there are none.
    base: Factors,
    /// The base's accounts, when it is not the counterfactual.
    base_acc: Option<Accounts>,
    /// What the base leaves for runs to rejoin it.
    track: rejoin::Track,
    /// Days the last run simulated (the others it took from the base).
    days_simulated: u32,
    /// Days the last run followed the counterfactual's cargo with orders of its own.
    days_followed: u32,
    /// Memory the counterfactual's daily states may take (see rejoin.rs).
    snapshot_budget: usize,
    /// The last run's state, emptied by the next (its buffers are reused).
    spare: State,
}

impl Engine {
    /// Prepare an engine for `scenario` and simulate its counterfactual.
    pub fn new(scenario: &Scenario) -> Result<Engine, Error> {
        Engine::with_snapshot_budget(scenario, &[], rejoin::SNAPSHOT_BUDGET)
    }

    /// As [`Engine::new`], for runs that all share the closures `base` (a Monte Carlo's
    /// fixed closures: the scenario's own and `--close`). It also simulates the scenario
    /// under `base` alone, and [`Engine::run`] takes from that simulation the days on
    /// which a run's closures are the same as `base` and its state is the same, as it
    /// takes quiet days from the counterfactual otherwise. Losses are still measured
    /// against the counterfactual (no closure at all), and a run's results do not
    /// depend on `base` beyond the order floating-point sums are added in; a run that
    /// does not share `base` is simply simulated on the days it differs.
    ///
    /// # Errors
    /// As [`Engine::new`]; also if a window of `base` names a target outside the
    /// scenario or has a factor outside [0, 1].
    pub fn with_base(scenario: &Scenario, base: &[ClosureWindow]) -> Result<Engine, Error> {
        Engine::with_snapshot_budget(scenario, base, rejoin::SNAPSHOT_BUDGET)
    }

    fn with_snapshot_budget(
        scenario: &Scenario,
        base: &[ClosureWindow],
        snapshot_budget: usize,
    ) -> Result<Engine, Error> {
        let scenario = scenario.clone();
        if scenario.settings.days == 0 {
            return Err(SimError::Invalid("the simulated window has 0 days".into()).into());
        }
        let st = build_static(&scenario);
        let nets = scenario
            .products
            .iter()
            .enumerate()
            .map(|(p, _)| build_net(&scenario, &st, p))
            .collect::<Result<Vec<_>, Error>>()?;
        let mut engine = Engine {
            scenario,
            st,
            fresh_nets: nets.clone(),
            nets,
            paths: Vec::new(),
            path_darcs: Vec::new(),
            path_ids: PathMap::default(),
            cf: Accounts::default(),
            base: Factors::default(),
            base_acc: None,
            track: rejoin::Track::new(0),
            snapshot_budget,
            days_simulated: 0,
            days_followed: 0,
            spare: State::default(),
        };
        engine.check_closures(base)?;
        let (days, lag) = (
            engine.scenario.settings.days,
            engine.scenario.settings.reaction_days,
        );
        engine.base = Factors::new(&engine.scenario, base, days, lag);
        if engine.base.links.is_empty() {
            engine.cf = engine.simulate(&[], true, &mut NoObserver, Mode::Counterfactual)?;
        } else {
            // The counterfactual for losses, every day; then the base, kept for rejoining.
            engine.cf = engine.simulate(&[], true, &mut NoObserver, Mode::Daily)?;
            let acc = engine.simulate(base, true, &mut NoObserver, Mode::Counterfactual)?;
            engine.base_acc = Some(acc);
        }
        Ok(engine)
    }

    /// The scenario this engine simulates.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// How many days the last run simulated. [`Engine::run`] takes the days no closure
    /// touches from the counterfactual once the run's cargo, queues and orders are back
    /// to the counterfactual's (same results; see `docs/model.md`); with no closure at
    /// all it simulates none. [`Engine::run_observed`] simulates every day.
    pub fn days_simulated(&self) -> u32 {
        self.days_simulated
    }

    /// How many of the days [`Engine::run`] did not simulate it followed: the run had
    /// the counterfactual's cargo and queues but other open orders (a backlog), and
    /// routing those orders gave the counterfactual's plans, so only the orders were
    /// kept day by day (same results; see `docs/model.md`).
    pub fn days_followed(&self) -> u32 {
        self.days_followed
    }

    /// Simulate the window under `closures` and report losses against the
    /// counterfactual; with `record_daily`, also the daily series.
    pub fn run(
        &mut self,
        closures: &[ClosureWindow],
        record_daily: bool,
    ) -> Result<RunReport, Error> {
        self.run_inner(closures, record_daily, &mut NoObserver, Mode::Rejoin)
    }

    /// As [`Engine::run`], calling `observer` at the end of every day (every day is
    /// simulated: none is taken from the counterfactual).
    pub fn run_observed(
        &mut self,
        closures: &[ClosureWindow],
        record_daily: bool,
        observer: &mut dyn Observer,
    ) -> Result<RunReport, Error> {
        self.run_inner(closures, record_daily, observer, Mode::Daily)
    }

    fn run_inner(
        &mut self,
        closures: &[ClosureWindow],
        record_daily: bool,
        observer: &mut dyn Observer,
        mode: Mode,
    ) -> Result<RunReport, Error> {
        self.check_closures(closures)?;
        let acc = self.simulate(closures, record_daily, observer, mode)?;
        let last_end = last_closure_end(closures, self.scenario.settings.days);
        Ok(self.report(acc, last_end))
    }

    fn check_closures(&self, closures: &[ClosureWindow]) -> Result<(), Error> {
        for w in closures {
            let ok = match w.target {
                crate::closure::Target::Corridor(c) => c.index() < self.scenario.corridors.len(),
                crate::closure::Target::Link(l) => l.index() < self.scenario.links.len(),
            };
            if !ok || !(0.0..=1.0).contains(&w.capacity_factor) {
                return Err(SimError::Invalid(format!(
                    "closure window {w:?} names a target outside the scenario or a factor outside [0, 1]"
                ))
                .into());
            }
        }
        Ok(())
    }

    fn simulate(
        &mut self,
        closures: &[ClosureWindow],
        record: bool,
        observer: &mut dyn Observer,
        mode: Mode,
    ) -> Result<Accounts, Error> {
        // Every run starts from the same solvers (once the counterfactual is done, those
        // holding its solution of day 0; before, unsolved ones): warm starts carry over
        // from day to day within a run, never from one run to the next, so a run's
        // result does not depend on which runs came before it (or on which thread it
        // ran). Starting from day 0's solution spares most runs a cold solve per product.
        for (net, fresh) in self.nets.iter_mut().zip(&self.fresh_nets) {
            net.clone_from(fresh);
        }
        let mut sim = Sim::new(
            &self.scenario,
            &self.st,
            &mut self.nets,
            &mut self.paths,
            &mut self.path_darcs,
            &mut self.path_ids,
            closures,
            &self.base,
            record,
            std::mem::take(&mut self.spare),
        );
        let days = self.scenario.settings.days;
        if mode == Mode::Counterfactual {
            let mut track = rejoin::Track::new(self.snapshot_budget);
            sim.cf_routes = Some(rejoin::Routes::default());
            let mut warm = None;
            for day in 0..days {
                track.keep(&sim, day, days);
                sim.step(day)?;
                if day == 0 {
                    warm = Some(sim.nets.clone());
                }
                observer.end_of_day(&DayView { sim: &sim, day });
            }
            track.cum.push(Some(sim.cum()));
            track.open_start.push(sim.state.open_units.iter().sum());
            track.compact();
            track.routes = sim.cf_routes.take().unwrap_or_default();
            self.spare = std::mem::take(&mut sim.state);
            let acc = sim.finish();
            self.track = track;
            if let Some(w) = warm {
                self.fresh_nets = w;
            }
            return Ok(acc);
        }
        sim.track = Some(&self.track);
        let base_acc = self.base_acc.as_ref().unwrap_or(&self.cf);
        let mut day = 0;
        let mut simulated = 0;
        // A day following the base stopped at because a plan differed: it is simulated,
        // not followed again.
        let mut gave_up = None;
        let mut followed = 0;
        while day < days {
            let next = sim.next_touched[day as usize];
            // Days whose closures are the base's (none, or the closures every run shares),
            // from a state the base also had, are the base's; from its cargo with other
            // open orders, they follow it while the plans are its plans (see rejoin.rs).
            if mode == Mode::Rejoin && next > day && gave_up != Some(day) {
                if let Some(Some(snap)) = self.track.snaps.get(day as usize) {
                    match sim.likeness(snap, day) {
                        Likeness::Same => {
                            if let Some(to) = self.track.landing(day, next) {
                                sim.rejoin(&self.track, base_acc, day, to);
                                day = to;
                                continue;
                            }
                        }
                        Likeness::OrdersOnly if self.track.stride == 1 => {
                            let (to, give_up) = sim.follow(&self.track, base_acc, day, next)?;
                            if give_up {
                                gave_up = Some(to);
                            }
                            followed += to - day;
                            day = to;
                            continue;
                        }
                        _ => {}
                    }
                }
            }
            sim.step(day)?;
            observer.end_of_day(&DayView { sim: &sim, day });
            day += 1;
            simulated += 1;
        }
        self.spare = std::mem::take(&mut sim.state);
        let acc = sim.finish();
        self.days_simulated = simulated;
        self.days_followed = followed;
        Ok(acc)
    }

    fn report(&self, mut acc: Accounts, last_end: Option<u32>) -> RunReport {
        let scn = &self.scenario;
        let cf = &self.cf;
        let days = scn.settings.days as usize;
        let mut m = RunMetrics::default();

        // Reroute and delay: per (product, destination), against the counterfactual's
        // cost per tonne.
        for d in 0..scn.demands.len() {
            let x = acc.sums.dispatched_units[d] as f64;
            let y = cf.sums.dispatched_units[d] as f64;
            let (paid_cf, hold_cf) = if y > 0.0 {
                (cf.paid_usd[d] * (x / y), cf.sums.holding_usd[d] * (x / y))
            } else {
                (0.0, 0.0)
            };
            m.reroute_cost_usd += acc.paid_usd[d] - paid_cf;
            m.delay_cost_usd += acc.sums.holding_usd[d] - hold_cf;
        }
        m.spoilage_usd = acc.sums.spoilage_usd - cf.sums.spoilage_usd;
        let lost =
            |a: &Accounts| a.sums.lost_orders_usd + a.sums.abandoned_usd + a.sums.spoiled_whole_usd;
        m.lost_trade_usd = lost(&acc) - lost(cf);
        m.total_loss_usd =
            m.reroute_cost_usd + m.delay_cost_usd + m.spoilage_usd + m.lost_trade_usd;
        for (i, c) in self.st.countries.iter().enumerate() {
            let lostrev = cf.revenue_usd[i] - acc.revenue_usd[i];
            if cf.revenue_usd[i] != 0.0 || acc.revenue_usd[i] != 0.0 {
                m.revenue_lost_usd.insert(c.clone(), lostrev);
            }
        }
        for (slot, &l) in self.st.crossing_links.iter().enumerate() {
            let (mut halted, mut while_closed, mut closed_days) = (0.0, 0.0, 0u32);
            for day in 0..days {
                let k = slot * days + day;
                let short = (cf.cross_value[k] - acc.cross_value[k]).max(0.0);
                halted += short;
                if acc.cross_closed[k] {
                    while_closed += short;
                    closed_days += 1;
                }
            }
            m.trade_value_halted_usd += halted;
            m.crossings.push(CrossingMetrics {
                link: scn.links[l].id.clone(),
                trade_value_halted_usd: halted,
                halted_while_closed_usd: while_closed,
                closed_days,
                peak_stranded_trucks: acc.trucks(slot, days).iter().cloned().fold(0.0, f64::max),
                stranded_truck_days: acc.trucks(slot, days).iter().sum(),
            });
        }
        let stranded = acc.stranded(days);
        m.peak_stranded_trucks = stranded.iter().cloned().fold(0.0, f64::max);
        m.stranded_truck_days = stranded.iter().sum();
        m.days_to_recover = last_end.and_then(|end| {
            let tol = units(scn.settings.truck_payload_t);
            let from = end.saturating_sub(1) as usize;
            (from..days)
                .find(|&d| acc.backlog_units[d] <= cf.backlog_units[d] + tol)
                .map(|d| (d - from) as u32)
        });
        for (c, cor) in scn.corridors.iter().enumerate() {
            m.corridors.push(CorridorMetrics {
                corridor: cor.id.clone(),
                closure_days: acc.corridor_closure_days[c],
                delivered_t: tonnes(acc.corridor_units[c]),
                delivered_usd: acc.corridor_usd[c],
                counterfactual_t: tonnes(cf.corridor_units[c]),
                counterfactual_usd: cf.corridor_usd[c],
            });
        }
        for (p, prod) in scn.products.iter().enumerate() {
            m.by_product.insert(
                prod.id.clone(),
                Delivered {
                    t: tonnes(acc.product_units[p]),
                    usd: acc.product_usd[p],
                    counterfactual_t: tonnes(cf.product_units[p]),
                    counterfactual_usd: cf.product_usd[p],
                },
            );
        }
        for (i, name) in self.st.pairs.iter().enumerate() {
            let get = |a: &Accounts| {
                (
                    a.pair_units.get(i).copied().unwrap_or(0),
                    a.pair_usd.get(i).copied().unwrap_or(0.0),
                )
            };
            let (au, ad) = get(&acc);
            let (cu, cd) = get(cf);
            if au == 0 && cu == 0 {
                continue;
            }
            m.by_partner.insert(
                name.clone(),
                Delivered {
                    t: tonnes(au),
                    usd: ad,
                    counterfactual_t: tonnes(cu),
                    counterfactual_usd: cd,
                },
            );
        }
        let daily = acc.daily.take().map(|mut d| {
            d.stranded_trucks = stranded;
            d.delivered_usd = acc.delivered_usd_daily.clone();
            d.counterfactual_delivered_usd = cf.delivered_usd_daily.clone();
            for (slot, c) in d.crossings.iter_mut().enumerate() {
                c.queue_trucks = acc.trucks(slot, days).to_vec();
            }
            d
        });
        RunReport { metrics: m, daily }
    }
}

/// How a simulation relates to the counterfactual.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// It is the counterfactual: it records what runs need to rejoin it.
    Counterfactual,
    /// A run simulated day by day (routing takes the counterfactual's plan when its
    /// inputs are the counterfactual's).
    Daily,
    /// As `Daily`, skipping the days it can take from the counterfactual.
    Rejoin,
}

/// The last closed day + 1 (the reopening day) of the closure that reopens last within
/// the window, if any closure touches the window.
fn last_closure_end(closures: &[ClosureWindow], days: u32) -> Option<u32> {
    closures
        .iter()
        .filter(|w| w.capacity_factor < 1.0)
        .map(|w| w.start_day + i64::from(w.duration_days))
        .filter(|&end| end > 0 && end <= i64::from(days))
        .max()
        .map(|e| e as u32)
}

fn build_static(scn: &Scenario) -> Static {
    let mut countries: Vec<String> = Vec::new();
    let mut cidx: HashMap<String, u32> = HashMap::new();
    let mut country_of = |c: &str, countries: &mut Vec<String>| -> u32 {
        if let Some(&i) = cidx.get(c) {
            return i;
        }
        let i = countries.len() as u32;
        countries.push(c.to_string());
        cidx.insert(c.to_string(), i);
        i
    };
    let node_country: Vec<u32> = scn
        .nodes
        .iter()
        .map(|n| country_of(&n.country, &mut countries))
        .collect();
    let mut darcs = Vec::new();
    let mut darc_charges = Vec::new();
    let mut link_darcs = vec![Vec::new(); scn.links.len()];
    for (l, link) in scn.links.iter().enumerate() {
        let dirs: &[bool] = if link.both_ways {
            &[true, false]
        } else {
            &[true]
        };
        for &fwd in dirs {
            let (from, to) = if fwd {
                (link.from.0, link.to.0)
            } else {
                (link.to.0, link.from.0)
            };
            link_darcs[l].push(darcs.len() as u32);
            darcs.push(DArc {
                link: l as u32,
                forward: fwd,
                from,
                to,
                transit: link.transit_days,
                paid_usd_per_t: link.cost_usd_per_t + link.charge_usd_per_t(fwd),
                slot: u32::MAX,
            });
            darc_charges.push(
                link.charges
                    .iter()
                    .filter(|c| c.direction.applies(fwd))
                    .map(|c| (country_of(&c.country, &mut countries), c.usd_per_t))
                    .collect(),
            );
        }
    }
    let mut out = vec![Vec::new(); scn.nodes.len()];
    for (i, a) in darcs.iter().enumerate() {
        out[a.from as usize].push(i as u32);
    }
    let crossing_links: Vec<usize> = (0..scn.links.len())
        .filter(|&l| scn.links[l].crossing)
        .collect();
    let mut order: Vec<usize> = (0..scn.products.len()).collect();
    order.sort_by_key(|&p| (std::cmp::Reverse(scn.products[p].priority), p));
    let month = (0..scn.settings.days)
        .map(|d| {
            use chrono::Datelike;
            scn.date_of(i64::from(d)).month0() as u8
        })
        .collect();
    let mut link_corridors = vec![Vec::new(); scn.links.len()];
    for (c, cor) in scn.corridors.iter().enumerate() {
        for l in &cor.links {
            link_corridors[l.index()].push(c as u32);
        }
    }
    let mut link_expansions = vec![Vec::new(); scn.links.len()];
    for (i, e) in scn.expansions.iter().enumerate() {
        link_expansions[e.link.index()].push(i);
    }
    let expanding_links = (0..scn.links.len())
        .filter(|&l| !link_expansions[l].is_empty())
        .map(|l| l as u32)
        .collect();
    let mut product_demands = vec![Vec::new(); scn.products.len()];
    for (k, d) in scn.demands.iter().enumerate() {
        product_demands[d.product.index()].push(k);
    }
    let demand_holding = scn
        .demands
        .iter()
        .map(|d| {
            let p = &scn.products[d.product.index()];
            p.value_usd_per_t * p.holding_cost_per_day / UNITS_PER_T
        })
        .collect();
    let mut slot_of_link = vec![u32::MAX; scn.links.len()];
    for (slot, &l) in crossing_links.iter().enumerate() {
        slot_of_link[l] = slot as u32;
    }
    for a in &mut darcs {
        a.slot = slot_of_link[a.link as usize];
    }
    // Units per day of each supply or demand, per month.
    fn monthly<T>(items: &[T], t_per_day: impl Fn(&T, usize) -> f64) -> Vec<Vec<i64>> {
        (0..12)
            .map(|m| items.iter().map(|x| units(t_per_day(x, m))).collect())
            .collect()
    }
    let supply_units = monthly(&scn.supplies, |sp, m| {
        sp.t_per_day * seasonal_factor(&sp.seasonality, m)
    });
    let demand_units = monthly(&scn.demands, |dm, m| {
        dm.t_per_day * seasonal_factor(&dm.seasonality, m)
    });
    Static {
        supply_units,
        demand_units,
        demand_product: scn.demands.iter().map(|d| d.product.index()).collect(),
        value: scn.products.iter().map(|p| p.value_usd_per_t).collect(),
        link_expansions,
        expanding_links,
        product_demands,
        demand_holding,
        darcs,
        out,
        link_darcs,
        crossing_links,
        countries,
        node_country,
        pairs: Vec::new(),
        pair_index: HashMap::new(),
        order,
        month,
        darc_charges,
        link_corridors,
    }
    .with_pairs(scn)
}

impl Static {
    /// Every (origin country, destination country) pair a product could trade.
    fn with_pairs(mut self, scn: &Scenario) -> Self {
        for s in &scn.supplies {
            for d in scn.demands.iter().filter(|d| d.product == s.product) {
                let key = (
                    self.node_country[s.node.index()],
                    self.node_country[d.node.index()],
                );
                if !self.pair_index.contains_key(&key) {
                    self.pair_index.insert(key, self.pairs.len() as u32);
                    self.pairs.push(format!(
                        "{}->{}",
                        self.countries[key.0 as usize], self.countries[key.1 as usize]
                    ));
                }
            }
        }
        self
    }
}

/// Route cost of a darc for a product, USD/t: paid + holding + expected spoilage.
fn darc_cost(scn: &Scenario, a: &DArc, p: usize) -> f64 {
    let prod = &scn.products[p];
    let per_day = prod.holding_cost_per_day + prod.perishability.map_or(0.0, |x| x.loss_per_day);
    a.paid_usd_per_t + per_day * prod.value_usd_per_t * a.transit
}

fn cost_int(usd_per_t: f64) -> Result<i64, Error> {
    let c = (usd_per_t * COST_SCALE).round();
    if !c.is_finite() || c.abs() > 1e12 {
        return Err(SimError::Invalid(format!(
            "a cost of {usd_per_t} USD/t is too large for the routing problem (at most 1e10)"
        ))
        .into());
    }
    Ok(c as i64)
}

fn build_net(scn: &Scenario, st: &Static, p: usize) -> Result<ProductNet, Error> {
    let n = scn.nodes.len();
    let (s, t) = (n, n + 1);
    let mut solver = NetworkSimplex::new(n + 2);
    let mut darc_cost_v = Vec::with_capacity(st.darcs.len());
    for a in &st.darcs {
        let c = darc_cost(scn, a, p);
        darc_cost_v.push(c);
        solver.add_arc(a.from as usize, a.to as usize, 0, cost_int(c)?);
    }
    let mut supply_arcs = Vec::new();
    for (i, sp) in scn.supplies.iter().enumerate() {
        if sp.product.index() == p {
            let arc = solver.add_arc(s, sp.node.index(), 0, cost_int(sp.price_usd_per_t)?);
            supply_arcs.push((i, arc, sp.node.index()));
        }
    }
    let mut demand_arcs = Vec::new();
    let mut demand_at = vec![Vec::new(); n];
    for (i, dm) in scn.demands.iter().enumerate() {
        if dm.product.index() == p {
            let arc = solver.add_arc(dm.node.index(), t, 0, -cost_int(dm.value_usd_per_t)?);
            demand_at[dm.node.index()].push((i, demand_arcs.len()));
            demand_arcs.push((i, arc));
        }
    }
    let bypass = solver.add_arc(s, t, 0, 0);
    Ok(ProductNet {
        solver,
        supply_arcs,
        demand_arcs,
        demand_at,
        bypass,
        s,
        t,
        darc_cost: darc_cost_v,
        last_key: Vec::new(),
        last_plan: Vec::new(),
        last_flows: Vec::new(),
        cached: false,
    })
}

/// The state of a simulation between two days: everything that decides what happens
/// next (a run that has the counterfactual's state continues as the counterfactual).
#[derive(Debug, Default)]
struct State {
    /// Today, per darc.
    cap_units: Vec<i64>,
    /// Capacity traders see today, per darc.
    seen_units: Vec<i64>,
    queue_units: Vec<i64>,
    /// Queue sizes at the end of the last `lag + 1` days, oldest first, per darc.
    queue_hist: VecDeque<Vec<i64>>,
    queues: Vec<VecDeque<u32>>,
    ships: Vec<Ship>,
    free: Vec<u32>,
    /// Ids of ships of perishable products (checked each evening); `listed[id]` says
    /// whether an id is in the list (ids are recycled).
    perishable: Vec<u32>,
    listed: Vec<bool>,
    /// Units in the system (dispatched, not yet delivered or lost), per destination.
    in_system: Vec<i64>,
    /// Arrivals by day, a ring of `RING` days (buckets keep their capacity); arrivals
    /// further ahead wait in `late` as (day, ship).
    due: Vec<Vec<u32>>,
    late: Vec<(u32, u32)>,
    /// Open orders per demand: (day placed, units).
    orders: Vec<VecDeque<(u32, i64)>>,
    open_units: Vec<i64>,
    /// Lots that arrive after the window (they stay in transit).
    beyond: Vec<u32>,
}

impl State {
    /// The state before day 0 (no cargo, no orders, no queues) for `nd` darcs, `nk`
    /// demands and a reaction lag of `lag` days, in this state's buffers.
    fn reset(mut self, nd: usize, nk: usize, lag: u32) -> State {
        fn zeros(v: &mut Vec<i64>, n: usize) {
            v.clear();
            v.resize(n, 0);
        }
        zeros(&mut self.cap_units, nd);
        zeros(&mut self.seen_units, nd);
        zeros(&mut self.queue_units, nd);
        self.queue_hist.resize_with(lag as usize + 1, Vec::new);
        for h in &mut self.queue_hist {
            zeros(h, nd);
        }
        self.queues.resize_with(nd, VecDeque::new);
        self.queues.iter_mut().for_each(VecDeque::clear);
        self.ships.clear();
        self.free.clear();
        self.perishable.clear();
        self.listed.clear();
        zeros(&mut self.in_system, nk);
        self.due.resize_with(RING, Vec::new);
        self.due.iter_mut().for_each(Vec::clear);
        self.late.clear();
        self.orders.resize_with(nk, VecDeque::new);
        self.orders.iter_mut().for_each(VecDeque::clear);
        zeros(&mut self.open_units, nk);
        self.beyond.clear();
        self
    }

    /// Store a new lot (in a free slot if there is one) and return its id; a lot of a
    /// perishable product is listed for the evening check.
    #[inline]
    fn add_ship(&mut self, ship: Ship, perishable: bool) -> u32 {
        let id = if let Some(id) = self.free.pop() {
            self.ships[id as usize] = ship;
            id
        } else {
            self.ships.push(ship);
            self.listed.push(false);
            (self.ships.len() - 1) as u32
        };
        if perishable && !self.listed[id as usize] {
            self.listed[id as usize] = true;
            self.perishable.push(id);
        }
        id
    }
}

impl Clone for State {
    fn clone(&self) -> Self {
        let mut s = State::default();
        s.clone_from(self);
        s
    }

    /// Field by field, so that a run taking the counterfactual's state keeps the
    /// buffers it has (the derived `clone_from` would allocate them all anew).
    fn clone_from(&mut self, o: &Self) {
        // Exhaustive, so that a new field cannot be forgotten here.
        crate::clone_fields_from!(
            State,
            self,
            o,
            [
                cap_units,
                seen_units,
                queue_units,
                queue_hist,
                queues,
                ships,
                free,
                perishable,
                listed,
                in_system,
                due,
                late,
                orders,
                open_units,
                beyond,
            ]
        );
    }
}

/// The state of one simulation in progress.
struct Sim<'a> {
    scn: &'a Scenario,
    st: &'a Static,
    nets: &'a mut Vec<ProductNet>,
    paths: &'a mut Vec<Path>,
    path_darcs: &'a mut Vec<u32>,
    path_ids: &'a mut PathMap,
    days: u32,
    /// Closure factor per link per day, for days `-lag .. days`.
    factor: Factors,
    lag: u32,
    /// Cargo, queues, orders and capacities in force: what decides what happens next.
    state: State,
    /// Links whose closure factor changes at factor-table index `i` (day `i - lag`).
    changes_at: Vec<Vec<u32>>,
    /// Capacity left today per darc (what was admitted is `cap_units - rem_units`).
    rem_units: Vec<i64>,
    perceived: Vec<i64>,
    work: Vec<u32>,
    acc: Accounts,
    scratch: Scratch,
    key_buf: Vec<u32>,
    /// Darcs whose queue held cargo when routing began today.
    queued_darcs: Vec<u32>,
    /// Which darcs traders see open (perceived capacity > 0), one bit each.
    open_mask: Vec<u64>,
    dijkstra: Dijkstra,
    /// Delivered units per product at the end of the last recorded day.
    delivered_before: Vec<i64>,
    /// Per day: the first day from it on that a closure touches (actual capacity, or
    /// the capacity traders see), or `days`.
    next_touched: Vec<u32>,
    /// The counterfactual's record (in runs).
    track: Option<&'a rejoin::Track>,
    /// Routing inputs and plans, recorded when this is the counterfactual.
    cf_routes: Option<rejoin::Routes>,
    /// Turn-back routes found, by product, queued darc, destination and open darcs.
    route_memo: Vec<RouteMemo>,
    /// Buffers of `follow` (rejoin.rs): the orders at the start of the day it tries, and
    /// the run's open orders at the end of each day it followed.
    saved_orders: Vec<VecDeque<(u32, i64)>>,
    saved_open: Vec<i64>,
    follow_open: Vec<i64>,
}

impl<'a> Sim<'a> {
    #[allow(clippy::too_many_arguments)] // the engine's parts it borrows, one by one
    fn new(
        scn: &'a Scenario,
        st: &'a Static,
        nets: &'a mut Vec<ProductNet>,
        paths: &'a mut Vec<Path>,
        path_darcs: &'a mut Vec<u32>,
        path_ids: &'a mut PathMap,
        closures: &[ClosureWindow],
        base: &Factors,
        record: bool,
        state: State,
    ) -> Self {
        let days = scn.settings.days;
        let lag = scn.settings.reaction_days;
        let span = (days + lag) as usize;
        let factor = Factors::new(scn, closures, days, lag);
        let mut changes_at = vec![Vec::new(); span];
        for (l, row) in factor.closed() {
            for i in 1..span {
                if row[i] != row[i - 1] {
                    changes_at[i].push(l as u32);
                }
            }
        }
        let mut corridor_closed = vec![vec![false; days as usize]; scn.corridors.len()];
        for (c, cor) in scn.corridors.iter().enumerate() {
            for row in cor.links.iter().filter_map(|l| factor.row(l.index())) {
                for day in 0..days as usize {
                    if row[day + lag as usize] < 1.0 {
                        corridor_closed[c][day] = true;
                    }
                }
            }
        }
        // A day is touched when some link's capacity, or the capacity traders see (that
        // of `lag` days before), is not the base's (with no base: is below full).
        let mut next_touched = vec![days; days as usize];
        let at = |row: Option<&[f64]>, i: usize| row.map_or(1.0, |r| r[i]);
        let touched = |d: usize| {
            let (now, seen) = (d + lag as usize, d);
            factor.closed().any(|(l, row)| {
                let b = base.row(l);
                row[now] != at(b, now) || row[seen] != at(b, seen)
            }) || base
                .closed()
                .any(|(l, row)| factor.row(l).is_none() && (row[now] < 1.0 || row[seen] < 1.0))
        };
        for d in (0..days as usize).rev() {
            next_touched[d] = if touched(d) {
                d as u32
            } else {
                next_touched.get(d + 1).copied().unwrap_or(days)
            };
        }
        let nd = st.darcs.len();
        let nc = st.crossing_links.len();

        let np = scn.products.len();
        let acc = Accounts {
            paid_usd: vec![0.0; scn.demands.len()],
            sums: Sums {
                supplied: vec![0; np],
                delivered: vec![0; np],
                spoiled: vec![0; np],
                abandoned: vec![0; np],
                holding_usd: vec![0.0; scn.demands.len()],
                dispatched_units: vec![0; scn.demands.len()],
                step_units: vec![0; path_darcs.len()],
                pair_product_units: vec![0; st.pairs.len() * np],
                ..Default::default()
            },
            revenue_usd: vec![0.0; st.countries.len()],
            cross_value: vec![0.0; nc * days as usize],
            cross_closed: st
                .crossing_links
                .iter()
                .flat_map(|&l| {
                    let row = factor.row(l);
                    (0..days as usize).map(move |d| row.is_some_and(|r| r[d + lag as usize] < 1.0))
                })
                .collect(),
            backlog_units: vec![0; days as usize],
            corridor_units: vec![0; scn.corridors.len()],
            corridor_usd: vec![0.0; scn.corridors.len()],
            corridor_closure_days: corridor_closed
                .iter()
                .map(|v| v.iter().filter(|&&b| b).count() as u32)
                .collect(),
            product_units: vec![0; np],
            product_usd: vec![0.0; np],
            pair_units: vec![0; st.pairs.len()],
            pair_usd: vec![0.0; st.pairs.len()],
            delivered_usd_daily: vec![0.0; days as usize],
            slot_trucks: vec![0.0; nc * days as usize],
            daily: record.then(|| DailySeries {
                corridors: scn
                    .corridors
                    .iter()
                    .map(|c| CorridorDaily {
                        corridor: c.id.clone(),
                        flow_t: vec![0.0; days as usize],
                        ..Default::default()
                    })
                    .collect(),
                products: scn
                    .products
                    .iter()
                    .map(|p| ProductDaily {
                        product: p.id.clone(),
                        delivered_t: vec![0.0; days as usize],
                        ..Default::default()
                    })
                    .collect(),
                crossings: st
                    .crossing_links
                    .iter()
                    .map(|&l| CrossingDaily {
                        link: scn.links[l].id.clone(),
                        queue_trucks: Vec::new(),
                    })
                    .collect(),
                ..Default::default()
            }),
        };
        Sim {
            scn,
            st,
            nets,
            paths,
            path_darcs,
            path_ids,
            days,
            factor,
            lag,
            state: state.reset(nd, scn.demands.len(), lag),
            changes_at,
            rem_units: vec![0; nd],
            perceived: vec![0; nd],
            work: Vec::new(),
            acc,
            scratch: Scratch::default(),
            key_buf: Vec::new(),
            queued_darcs: Vec::new(),
            open_mask: Vec::new(),
            dijkstra: Dijkstra::default(),
            delivered_before: vec![0; np],
            next_touched,
            track: None,
            cf_routes: None,
            route_memo: Vec::new(),
            saved_orders: Vec::new(),
            saved_open: Vec::new(),
            follow_open: Vec::new(),
        }
    }

    #[inline]
    fn factor_at(&self, link: usize, day: i64) -> f64 {
        let i = day + i64::from(self.lag);
        match self.factor.row(link) {
            Some(row) if i >= 0 => row[i as usize],
            _ => 1.0,
        }
    }

    fn capacity_t(&self, link: usize, day: i64, factor_day: i64) -> f64 {
        let base = self.scn.links[link].capacity_t_per_day
            + self.st.link_expansions[link]
                .iter()
                .map(|&e| self.scn.expansions[e].extra_on(day))
                .sum::<f64>();
        base * self.factor_at(link, factor_day)
    }

    /// Recompute today's actual and perceived capacity of a link's directions.
    fn refresh_link(&mut self, l: usize, d: i64) {
        let cap = (self.capacity_t(l, d, d) * UNITS_PER_T + 1e-6).floor() as i64;
        let seen =
            (self.capacity_t(l, d, d - i64::from(self.lag)) * UNITS_PER_T + 1e-6).floor() as i64;
        for &a in &self.st.link_darcs[l] {
            self.state.cap_units[a as usize] = cap;
            self.state.seen_units[a as usize] = seen;
        }
    }

    fn step(&mut self, day: u32) -> Result<(), Error> {
        let d = i64::from(day);
        // 1. Capacities: actual for movement, perceived for routing.
        // Only links whose factor (today's, or the one traders see) changes today, or
        // with an expansion ramping in, are recomputed: most days none.
        if day == 0 {
            for l in 0..self.scn.links.len() {
                self.refresh_link(l, d);
            }
        } else {
            let lag = self.lag as usize;
            let changed = std::mem::take(&mut self.changes_at);
            for &l in changed[day as usize + lag]
                .iter()
                .chain(&changed[day as usize])
                .chain(&self.st.expanding_links)
            {
                self.refresh_link(l as usize, d);
            }
            self.changes_at = changed;
        }
        self.rem_units.copy_from_slice(&self.state.cap_units);
        if let Some(oldest) = self.state.queue_hist.front() {
            for (i, p) in self.perceived.iter_mut().enumerate() {
                *p = (self.state.seen_units[i] - oldest[i]).max(0);
            }
        }
        self.place_orders(day);
        // 2. Movement of cargo under way: queues first, then arrivals.
        if self.state.queues.iter().any(|q| !q.is_empty()) {
            for a in 0..self.state.queues.len() {
                self.drain_queue(a, day);
            }
        }
        let mut due = std::mem::take(&mut self.state.due[day as usize % RING]);
        self.work.append(&mut due);
        self.state.due[day as usize % RING] = due;
        if !self.state.late.is_empty() {
            let work = &mut self.work;
            self.state.late.retain(|&(when, id)| {
                if when == day {
                    work.push(id);
                }
                when != day
            });
        }
        self.process_work(day);
        // 3. Routing, products in priority order.
        self.queued_darcs.clear();
        for (a, q) in self.state.queues.iter().enumerate() {
            if !q.is_empty() {
                self.queued_darcs.push(a as u32);
            }
        }
        for oi in 0..self.st.order.len() {
            let p = self.st.order[oi];
            self.turn_back(p, day);
            self.route(p, day)?;
            self.process_work(day);
        }
        // 4. End of day.
        self.end_of_day(day);
        Ok(())
    }

    /// Orders past their patience are lost; today's new orders are placed.
    fn place_orders(&mut self, day: u32) {
        let month = self.st.month[day as usize] as usize;
        let patience = self.scn.settings.order_patience_days;
        let new = &self.st.demand_units[month];
        let (orders, open) = (&mut self.state.orders, &mut self.state.open_units);
        for (k, ((q, open), &u)) in orders.iter_mut().zip(open.iter_mut()).zip(new).enumerate() {
            while let Some(&(placed, lost)) = q.front() {
                if placed + patience <= day {
                    q.pop_front();
                    *open -= lost;
                    let value = self.st.value[self.st.demand_product[k]];
                    self.acc.sums.lost_orders_usd += tonnes(lost) * value;
                } else {
                    break;
                }
            }
            if u > 0 {
                q.push_back((day, u));
                *open += u;
            }
        }
    }

    fn new_ship(&mut self, ship: Ship) -> u32 {
        let perishable = self.paths[ship.path as usize].perishable;
        self.state.add_ship(ship, perishable)
    }

    /// Mark a ship gone. Its id is recycled only where its last reference (an arrival
    /// bucket, the work list or a queue) is dropped, never while one may remain.
    fn kill(&mut self, id: u32) {
        self.state.ships[id as usize].alive = false;
    }

    /// Split `take` units off ship `id` into a new ship (same state), returned.
    fn split(&mut self, id: u32, take: i64) -> u32 {
        let mut s = self.state.ships[id as usize].clone();
        s.units = take;
        self.state.ships[id as usize].units -= take;
        self.new_ship(s)
    }

    fn drain_queue(&mut self, a: usize, day: u32) {
        while self.rem_units[a] > 0 {
            let Some(&id) = self.state.queues[a].front() else {
                break;
            };
            if !self.state.ships[id as usize].alive {
                self.state.queues[a].pop_front();
                self.state.free.push(id);
                continue;
            }
            let u = self.state.ships[id as usize].units;
            let moved = if u <= self.rem_units[a] {
                self.state.queues[a].pop_front();
                id
            } else {
                self.split(id, self.rem_units[a])
            };
            let mu = self.state.ships[moved as usize].units;
            self.state.queue_units[a] -= mu;
            self.state.ships[moved as usize].queued_at = 0;
            self.mover().admit(moved, a, day);
        }
    }

    fn process_work(&mut self, day: u32) {
        while let Some(id) = self.mover().run(day) {
            self.arrive(id, day);
        }
    }

    /// The parts of the simulation that moving cargo touches, borrowed one by one.
    #[inline(always)]
    fn mover(&mut self) -> Mover<'_> {
        let sums = &mut self.acc.sums;
        // Routes found since the last move have steps of their own.
        if sums.step_units.len() < self.path_darcs.len() {
            sums.step_units.resize(self.path_darcs.len(), 0);
        }
        let state = &mut self.state;
        Mover {
            darcs: &self.st.darcs,
            value: &self.st.value,
            paths: self.paths,
            path_darcs: self.path_darcs,
            ships: &mut state.ships,
            free: &mut state.free,
            queues: &state.queues,
            in_system: &mut state.in_system,
            due: &mut state.due,
            late: &mut state.late,
            beyond: &mut state.beyond,
            rem: &mut self.rem_units,
            work: &mut self.work,
            step_units: &mut sums.step_units,
            delivered: &mut sums.delivered,
            pair_product_units: &mut sums.pair_product_units,
            cross_value: &mut self.acc.cross_value,
            delivered_usd_daily: &mut self.acc.delivered_usd_daily,
            days: self.days,
        }
    }

    /// Ship `id` is at the entry of its next link (or at its destination) today.
    #[inline(never)]
    fn arrive(&mut self, id: u32, day: u32) {
        let s = &self.state.ships[id as usize];
        if s.next == s.end {
            self.mover().deliver(id, day);
            return;
        }
        let a = self.path_darcs[s.next as usize] as usize;
        let u = s.units;
        if self.state.queues[a].is_empty() && self.rem_units[a] > 0 {
            if u <= self.rem_units[a] {
                self.mover().admit(id, a, day);
            } else {
                let moved = self.split(id, self.rem_units[a]);
                self.mover().admit(moved, a, day);
                self.enqueue(id, a, day);
            }
        } else {
            self.enqueue(id, a, day);
        }
    }

    fn enqueue(&mut self, id: u32, a: usize, day: u32) {
        // Turn-backs and abandonment rely on queues being in arrival order.
        debug_assert!(self.state.queues[a]
            .back()
            .is_none_or(|&b| self.state.ships[b as usize].queued_since <= day));
        let s = &mut self.state.ships[id as usize];
        s.queued_at = a as u32 + 1;
        s.queued_since = day;
        self.state.queue_units[a] += s.units;
        self.state.queues[a].push_back(id);
    }

    /// Queued cargo of product `p` past its patience takes another route, if traders
    /// see one open.
    fn turn_back(&mut self, p: usize, day: u32) {
        if self.queued_darcs.is_empty() {
            return;
        }
        let patience = self.scn.settings.queue_patience_days;
        // Which darcs traders see open: the cheapest path depends on nothing else (and
        // on the product), so routes are remembered under this mask (made when a lot
        // first needs a route).
        let mut mask_made = false;
        let mut memo = std::mem::take(&mut self.route_memo);
        let queued = std::mem::take(&mut self.queued_darcs);
        for &a32 in &queued {
            let a = a32 as usize;
            let mut i = 0;
            while i < self.state.queues[a].len() {
                let id = self.state.queues[a][i];
                let s = &self.state.ships[id as usize];
                // Queues are in arrival order, so the lots past their patience are a
                // prefix.
                if day < s.queued_since + patience {
                    break;
                }
                if !s.alive || s.product as usize != p {
                    i += 1;
                    continue;
                }
                let demand = s.demand;
                if !mask_made {
                    self.open_mask.clear();
                    self.open_mask.resize(self.st.darcs.len().div_ceil(64), 0);
                    for (a, &c) in self.perceived.iter().enumerate() {
                        if c > 0 {
                            self.open_mask[a / 64] |= 1 << (a % 64);
                        }
                    }
                    mask_made = true;
                }
                let from = self.st.darcs[a].from;
                let to = self.scn.demands[demand as usize].node.0;
                let hit = memo.iter().position(|m| {
                    m.product == p as u32
                        && m.avoid == a32
                        && m.to == to
                        && m.mask == self.open_mask
                });
                let k = match hit {
                    Some(k) => k,
                    None => {
                        if memo.len() >= 256 {
                            memo.clear();
                        }
                        memo.push(RouteMemo {
                            product: p as u32,
                            avoid: a32,
                            to,
                            mask: self.open_mask.clone(),
                            route: self.cheapest_path(p, from, to, a),
                        });
                        memo.len() - 1
                    }
                };
                let Some(route) = memo[k].route.as_deref() else {
                    i += 1;
                    continue;
                };
                let room = route
                    .iter()
                    .map(|&r| self.perceived[r as usize])
                    .min()
                    .unwrap_or(i64::MAX);
                if room <= 0 {
                    i += 1;
                    continue;
                }
                let u = self.state.ships[id as usize].units;
                let moved = if u <= room {
                    self.state.queues[a].remove(i);
                    id
                } else {
                    i += 1;
                    self.split(id, room)
                };
                let mu = self.state.ships[moved as usize].units;
                self.state.queue_units[a] -= mu;
                for &r in route {
                    let r = r as usize;
                    self.perceived[r] -= mu;
                    if self.perceived[r] <= 0 {
                        self.open_mask[r / 64] &= !(1 << (r % 64));
                    }
                }
                let origin = self.st.darcs[a].from;
                let pid = intern(
                    self.paths,
                    self.path_darcs,
                    self.path_ids,
                    &mut self.key_buf,
                    self.st,
                    self.scn,
                    demand,
                    route,
                    origin,
                );
                let (start, len) = (self.paths[pid as usize].start, self.paths[pid as usize].len);
                let s = &mut self.state.ships[moved as usize];
                s.path = pid;
                s.next = start;
                s.end = start + len;
                s.queued_at = 0;
                s.t_next = f64::from(day);
                self.work.push(moved);
            }
        }
        self.queued_darcs = queued;
        self.route_memo = memo;
    }

    /// Dijkstra on the capacity traders see, avoiding darc `avoid`.
    fn cheapest_path(&mut self, p: usize, from: u32, to: u32, avoid: usize) -> Option<Vec<u32>> {
        let n = self.scn.nodes.len();
        let cost = &self.nets[p].darc_cost;
        let Dijkstra { dist, via, done } = &mut self.dijkstra;
        dist.clear();
        dist.resize(n, f64::INFINITY);
        via.clear();
        via.resize(n, u32::MAX);
        done.clear();
        done.resize(n, false);
        dist[from as usize] = 0.0;
        loop {
            let mut v = usize::MAX;
            let mut best = f64::INFINITY;
            for (i, (&dv, &dn)) in dist.iter().zip(done.iter()).enumerate() {
                if !dn && dv < best {
                    best = dv;
                    v = i;
                }
            }
            if v == usize::MAX {
                return None;
            }
            if v == to as usize {
                break;
            }
            done[v] = true;
            for &a in &self.st.out[v] {
                if a as usize == avoid || self.perceived[a as usize] <= 0 {
                    continue;
                }
                let w = self.st.darcs[a as usize].to as usize;
                let nd = best + cost[a as usize];
                if nd < dist[w] {
                    dist[w] = nd;
                    via[w] = a;
                }
            }
        }
        let mut route = Vec::new();
        let mut v = to as usize;
        while v != from as usize {
            let a = via[v];
            if a == u32::MAX {
                return None;
            }
            route.push(a);
            v = self.st.darcs[a as usize].from as usize;
        }
        route.reverse();
        Some(route)
    }

    /// One min-cost flow for new trade in product `p`, then dispatch.
    fn route(&mut self, p: usize, day: u32) -> Result<(), Error> {
        // Inputs the counterfactual had on this day: its plan (see rejoin.rs).
        if let Some(track) = self.track {
            let cf = track.routes.get(day, self.st.order.len(), p);
            if let Some((_, plan)) = cf.filter(|(key, _)| self.inputs_are(p, day, key)) {
                self.dispatch_plan(p, day, plan);
                return Ok(());
            }
        }
        self.solve_plan(p, day)?;
        self.dispatch(p, day)
    }

    /// Product `p`'s plan for today's inputs (perceived capacity, supply, open orders),
    /// left in `nets[p].last_plan`: the last one if the inputs or the solver's flows are
    /// unchanged, else decomposed from a new solve.
    fn solve_plan(&mut self, p: usize, day: u32) -> Result<(), Error> {
        let month = self.st.month[day as usize] as usize;
        let nd = self.st.darcs.len();
        let net = &mut self.nets[p];
        // The inputs of the routing problem: capacity traders see per darc, supply per
        // supply arc, open orders per demand arc (`last_key` holds the last solve's).
        let supply_units = &self.st.supply_units[month];
        let ns = net.supply_arcs.len();
        let nk = nd + ns + net.demand_arcs.len();
        if net.last_key.len() != nk {
            net.last_key.clear();
            net.last_key.resize(nk, 0);
            net.cached = false;
        }
        let (key_darcs, key_rest) = net.last_key.split_at_mut(nd);
        let (key_supply, key_demand) = key_rest.split_at_mut(ns);
        let mut same = net.cached && key_darcs[..] == self.perceived[..];
        let mut total = 0i64;
        for (j, &(si, _, _)) in net.supply_arcs.iter().enumerate() {
            let u = supply_units[si];
            total += u;
            same &= key_supply[j] == u;
        }
        for (j, &(di, _)) in net.demand_arcs.iter().enumerate() {
            same &= key_demand[j] == self.state.open_units[di];
        }
        if !same {
            // Only the entries that changed since the last solve (all on the first).
            let all = !net.cached;
            for (a, (k, &c)) in key_darcs.iter_mut().zip(&self.perceived).enumerate() {
                if all || *k != c {
                    net.solver.set_capacity(a, c);
                    *k = c;
                }
            }
            for (j, &(si, arc, _)) in net.supply_arcs.iter().enumerate() {
                let u = supply_units[si];
                if all || key_supply[j] != u {
                    net.solver.set_capacity(arc, u);
                    key_supply[j] = u;
                }
            }
            for (j, &(di, arc)) in net.demand_arcs.iter().enumerate() {
                let u = self.state.open_units[di];
                if all || key_demand[j] != u {
                    net.solver.set_capacity(arc, u);
                    key_demand[j] = u;
                }
            }
            net.solver.set_capacity(net.bypass, total);
            net.solver.set_supply(net.s, total);
            net.solver.set_supply(net.t, -total);
            net.solver
                .solve_canonical()
                .map_err(|e| SimError::Routing {
                    product: self.scn.products[p].id.clone(),
                    day,
                    source: e,
                })?;
            // The plan is a function of the flows alone: unchanged flows, same plan.
            if net.cached && net.solver.flows() == net.last_flows.as_slice() {
                return Ok(());
            }
            net.last_flows.clear();
            net.last_flows.extend_from_slice(net.solver.flows());
            let mut plan = std::mem::take(&mut self.nets[p].last_plan);
            plan.clear();
            let (paths, path_darcs, ids, key, st, scn) = (
                &mut *self.paths,
                &mut *self.path_darcs,
                &mut *self.path_ids,
                &mut self.key_buf,
                self.st,
                self.scn,
            );
            decompose(
                &self.nets[p],
                &st.darcs,
                &st.out,
                nd,
                &mut self.scratch,
                |origin, darcs, demand, u| {
                    let id = intern(
                        paths,
                        path_darcs,
                        ids,
                        key,
                        st,
                        scn,
                        demand as u32,
                        darcs,
                        origin as u32,
                    );
                    plan.push((id, u));
                },
            );
            let net = &mut self.nets[p];
            net.last_plan = plan;
            net.cached = true;
        }
        Ok(())
    }

    /// Dispatch product `p`'s current plan (recording it in the counterfactual).
    fn dispatch(&mut self, p: usize, day: u32) -> Result<(), Error> {
        let plan = std::mem::take(&mut self.nets[p].last_plan);
        if let Some(routes) = self.cf_routes.as_mut() {
            routes.record(day, self.st.order.len(), p, &self.nets[p].last_key, &plan);
        }
        self.dispatch_plan(p, day, &plan);
        self.nets[p].last_plan = plan;
        Ok(())
    }

    /// Whether product `p`'s routing inputs today are `key` (`last_key` layout).
    fn inputs_are(&self, p: usize, day: u32, key: &[i64]) -> bool {
        let nd = self.perceived.len();
        key.len() >= nd
            && key[..nd] == self.perceived[..]
            && self.supply_and_orders_are(p, day, &key[nd..])
    }

    /// Whether product `p`'s supply and open orders today are `rest`, the part of a
    /// `last_key` after the darcs.
    fn supply_and_orders_are(&self, p: usize, day: u32, rest: &[i64]) -> bool {
        let net = &self.nets[p];
        let ns = net.supply_arcs.len();
        if rest.len() != ns + net.demand_arcs.len() {
            return false;
        }
        let supply_units = &self.st.supply_units[self.st.month[day as usize] as usize];
        net.supply_arcs
            .iter()
            .zip(&rest[..ns])
            .all(|(&(si, _, _), &k)| supply_units[si] == k)
            && net
                .demand_arcs
                .iter()
                .zip(&rest[ns..])
                .all(|(&(di, _), &k)| self.state.open_units[di] == k)
    }

    /// Dispatch `plan` for product `p`.
    fn dispatch_plan(&mut self, p: usize, day: u32, plan: &[(u32, i64)]) {
        // The fields it touches, borrowed once.
        let (paths, path_darcs, perceived) = (&*self.paths, &*self.path_darcs, &mut self.perceived);
        let (state, sums, work) = (&mut self.state, &mut self.acc.sums, &mut self.work);
        let mut supplied = 0;
        for &(pid, u) in plan {
            let path = &paths[pid as usize];
            let demand = path.demand as usize;
            let (start, end) = (path.start, path.start + path.len);
            for &a in &path_darcs[start as usize..end as usize] {
                perceived[a as usize] -= u;
            }
            take_orders(&mut state.orders[demand], &mut state.open_units[demand], u);
            supplied += u;
            state.in_system[demand] += u;
            sums.dispatched_units[demand] += u;
            let ship = Ship {
                path: pid,
                demand: demand as u32,
                product: p as u32,
                next: start,
                end,
                units: u,
                t_next: f64::from(day),
                dispatched: day,
                queued_since: 0,
                queued_at: 0,
                decay: 0.0,
                alive: true,
            };
            work.push(state.add_ship(ship, path.perishable));
        }
        sums.supplied[p] += supplied;
    }

    /// Remove a ship from the system as spoiled whole or abandoned (lost trade at its
    /// remaining value).
    fn lose(&mut self, id: u32, spoiled: bool) {
        let sh = &self.state.ships[id as usize];
        let (demand, p) = (sh.demand as usize, sh.product as usize);
        let remaining = tonnes(sh.units) * self.scn.products[p].value_usd_per_t * (1.0 - sh.decay);
        if spoiled {
            self.acc.sums.spoiled[p] += sh.units;
            self.acc.sums.spoiled_whole_usd += remaining;
        } else {
            self.acc.sums.abandoned[p] += sh.units;
            self.acc.sums.abandoned_usd += remaining;
        }
        self.state.in_system[demand] -= sh.units;
        if sh.queued_at != 0 {
            let a = (sh.queued_at - 1) as usize;
            self.state.queue_units[a] -= sh.units;
        }
        self.kill(id);
    }

    fn end_of_day(&mut self, day: u32) {
        let s = &self.scn.settings;
        let abandon = s.abandon_after_days;
        // Holding cost: every tonne in the system, per destination.
        for (k, &u) in self.state.in_system.iter().enumerate() {
            self.acc.sums.holding_usd[k] += u as f64 * self.st.demand_holding[k];
        }
        // Perishables age wherever they are.
        let mut list = std::mem::take(&mut self.state.perishable);
        list.retain(|&id| {
            let sh = &self.state.ships[id as usize];
            let prod = &self.scn.products[sh.product as usize];
            let per = match (sh.alive, prod.perishability) {
                (true, Some(per)) => per,
                _ => {
                    self.state.listed[id as usize] = false;
                    return false;
                }
            };
            let age = f64::from(day + 1 - sh.dispatched);
            if age > per.shelf_life_days {
                self.lose(id, true);
                self.state.listed[id as usize] = false;
                return false;
            }
            if age > per.grace_days && sh.decay < 1.0 {
                let step = per.loss_per_day.min(1.0 - sh.decay);
                self.acc.sums.spoilage_usd += tonnes(sh.units) * prod.value_usd_per_t * step;
                self.state.ships[id as usize].decay += step;
            }
            true
        });
        self.state.perishable = list;
        // Cargo that has waited too long in a queue is abandoned.
        for a in 0..self.state.queues.len() {
            if self.state.queues[a].is_empty() {
                continue;
            }
            // In arrival order: those waiting too long are a prefix.
            for i in 0..self.state.queues[a].len() {
                let id = self.state.queues[a][i];
                let sh = &self.state.ships[id as usize];
                if day + 1 < sh.queued_since + abandon {
                    break;
                }
                if sh.alive {
                    self.lose(id, false);
                }
            }
        }
        // Drop dead ships from queues.
        for a in 0..self.state.queues.len() {
            if !self.state.queues[a].is_empty() {
                let ships = &self.state.ships;
                let free = &mut self.state.free;
                self.state.queues[a].retain(|&id| {
                    let keep = ships[id as usize].alive;
                    if !keep {
                        free.push(id);
                    }
                    keep
                });
            }
        }
        // Records.
        let payload = units(s.truck_payload_t).max(1) as f64;
        let di = day as usize;
        for (slot, &l) in self.st.crossing_links.iter().enumerate() {
            let q: i64 = self.st.link_darcs[l]
                .iter()
                .map(|&a| self.state.queue_units[a as usize])
                .sum();
            self.acc.slot_trucks[slot * self.days as usize + di] = q as f64 / payload;
        }
        let backlog: i64 =
            self.state.queue_units.iter().sum::<i64>() + self.state.open_units.iter().sum::<i64>();
        self.acc.backlog_units[di] = backlog;
        if let Some(mut oldest) = self.state.queue_hist.pop_front() {
            oldest.copy_from_slice(&self.state.queue_units);
            self.state.queue_hist.push_back(oldest);
        }
        if self.acc.daily.is_some() {
            self.record_daily(day);
        }
    }

    fn record_daily(&mut self, day: u32) {
        let di = day as usize;
        let payload = units(self.scn.settings.truck_payload_t).max(1) as f64;
        let lag = self.lag as usize;
        let Some(dl) = self.acc.daily.as_mut() else {
            return;
        };
        for (c, cor) in self.scn.corridors.iter().enumerate() {
            let cd = &mut dl.corridors[c];
            let f = cor
                .links
                .iter()
                .map(|l| self.factor.row(l.index()).map_or(1.0, |r| r[di + lag]))
                .fold(1.0, f64::min);
            cd.capacity_factor.push(f);
            let q: i64 = cor
                .links
                .iter()
                .filter(|l| self.scn.links[l.index()].crossing)
                .flat_map(|l| self.st.link_darcs[l.index()].iter())
                .map(|&a| self.state.queue_units[a as usize])
                .sum();
            cd.queue_trucks.push(q as f64 / payload);
            let entered: i64 = cor
                .links
                .iter()
                .flat_map(|l| self.st.link_darcs[l.index()].iter())
                .map(|&a| self.state.cap_units[a as usize] - self.rem_units[a as usize])
                .sum();
            cd.flow_t[di] = tonnes(entered);
        }
        for (p, pd) in dl.products.iter_mut().enumerate() {
            pd.delivered_t[di] = tonnes(self.acc.sums.delivered[p] - self.delivered_before[p]);
            self.delivered_before[p] = self.acc.sums.delivered[p];
            let ks = &self.st.product_demands[p];
            let open: i64 = ks.iter().map(|&k| self.state.open_units[k]).sum();
            pd.open_orders_t.push(tonnes(open));
            let inside: i64 = ks.iter().map(|&k| self.state.in_system[k]).sum();
            pd.in_system_t.push(tonnes(inside));
        }
    }

    fn balances(&self) -> Vec<Balance> {
        let np = self.scn.products.len();
        let mut transit = vec![0i64; np];
        let mut queued = vec![0i64; np];
        for s in self.state.ships.iter().filter(|s| s.alive) {
            let p = s.product as usize;
            if s.queued_at != 0 {
                queued[p] += s.units;
            } else {
                transit[p] += s.units;
            }
        }
        (0..np)
            .map(|p| Balance {
                supplied_t: tonnes(self.acc.sums.supplied[p]),
                delivered_t: tonnes(self.acc.sums.delivered[p]),
                in_transit_t: tonnes(transit[p]),
                waiting_t: 0.0,
                queued_t: tonnes(queued[p]),
                spoiled_t: tonnes(self.acc.sums.spoiled[p]),
                abandoned_t: tonnes(self.acc.sums.abandoned[p]),
            })
            .collect()
    }

    /// The accounts, with the money sums made from the unit counters.
    fn finish(self) -> Accounts {
        let (scn, st) = (self.scn, self.st);
        let mut acc = self.acc;
        let nd = st.darcs.len();
        let np = st.value.len();
        // Units per (destination, darc), from the units per route step.
        let mut darc_units = vec![0i64; scn.demands.len() * nd];
        for path in self.paths.iter() {
            let (a, b) = (path.start as usize, (path.start + path.len) as usize);
            let steps = acc.sums.step_units.get(a..b).unwrap_or(&[]);
            for (&d, &u) in self.path_darcs[a..b].iter().zip(steps) {
                darc_units[path.demand as usize * nd + d as usize] += u;
            }
        }
        let mut darc_total = vec![0i64; nd];
        for (k, row) in darc_units.chunks_exact(nd).enumerate() {
            let p = scn.demands[k].product.index();
            let mut paid = 0.0;
            for (a, &u) in row.iter().enumerate() {
                if u == 0 {
                    continue;
                }
                let t = tonnes(u);
                paid += t * st.darcs[a].paid_usd_per_t;
                darc_total[a] += u;
                for &c in &st.link_corridors[st.darcs[a].link as usize] {
                    acc.corridor_usd[c as usize] += t * st.value[p];
                }
            }
            acc.paid_usd[k] = paid;
        }
        for (a, &u) in darc_total.iter().enumerate() {
            for &(c, usd) in &st.darc_charges[a] {
                acc.revenue_usd[c as usize] += tonnes(u) * usd;
            }
            for &c in &st.link_corridors[st.darcs[a].link as usize] {
                acc.corridor_units[c as usize] += u;
            }
        }
        for (pair, row) in acc.sums.pair_product_units.chunks_exact(np).enumerate() {
            for (p, &u) in row.iter().enumerate() {
                let usd = tonnes(u) * st.value[p];
                acc.pair_units[pair] += u;
                acc.pair_usd[pair] += usd;
                acc.product_units[p] += u;
                acc.product_usd[p] += usd;
            }
        }
        acc
    }
}

/// Take `u` units of a demand's open orders (`orders`, oldest first; `open` their total).
#[inline]
fn take_orders(orders: &mut VecDeque<(u32, i64)>, open: &mut i64, mut u: i64) {
    *open -= u;
    while u > 0 {
        let Some(front) = orders.front_mut() else {
            break;
        };
        if front.1 <= u {
            u -= front.1;
            orders.pop_front();
        } else {
            front.1 -= u;
            u = 0;
        }
    }
}

/// Closure factors per link per day, for days `-lag .. days` (index `day + lag`): a row
/// for each link a closure touches, none for the others (their factor is 1).
#[derive(Default)]
struct Factors {
    /// Row of each link in `rows`, or `u32::MAX`.
    row_of: Vec<u32>,
    rows: Vec<f64>,
    /// Links with a row, in row order.
    links: Vec<u32>,
    span: usize,
}

impl Factors {
    fn new(scn: &Scenario, closures: &[ClosureWindow], days: u32, lag: u32) -> Factors {
        let span = (days + lag) as usize;
        let mut f = Factors {
            row_of: vec![u32::MAX; scn.links.len()],
            rows: Vec::new(),
            links: Vec::new(),
            span,
        };
        for w in closures {
            let lo = w.start_day.max(-i64::from(lag));
            let hi = w.end_day().min(i64::from(days));
            for &l in scn.target_links(&w.target) {
                let l = l.index();
                if f.row_of[l] == u32::MAX {
                    f.row_of[l] = f.links.len() as u32;
                    f.links.push(l as u32);
                    f.rows.resize(f.rows.len() + span, 1.0);
                }
                let r = f.row_of[l] as usize;
                let row = &mut f.rows[r * span..(r + 1) * span];
                for day in lo..hi {
                    let x = w.factor_on(day);
                    let slot = &mut row[(day + i64::from(lag)) as usize];
                    if x < *slot {
                        *slot = x;
                    }
                }
            }
        }
        f
    }

    /// Link `l`'s factors, if a closure touches it.
    #[inline]
    fn row(&self, l: usize) -> Option<&[f64]> {
        let r = *self.row_of.get(l)?;
        (r != u32::MAX).then(|| &self.rows[r as usize * self.span..(r as usize + 1) * self.span])
    }

    /// The links closures touch, with their factors.
    fn closed(&self) -> impl Iterator<Item = (usize, &[f64])> + '_ {
        self.links
            .iter()
            .zip(self.rows.chunks_exact(self.span.max(1)))
            .map(|(&l, row)| (l as usize, row))
    }
}

/// What moving cargo touches: lots, capacities left today, arrival lists and the
/// sums of admissions and deliveries (borrowed from a [`Sim`] one field at a time, so
/// that the hot loop keeps them apart).
struct Mover<'m> {
    darcs: &'m [DArc],
    value: &'m [f64],
    paths: &'m [Path],
    path_darcs: &'m [u32],
    ships: &'m mut [Ship],
    free: &'m mut Vec<u32>,
    queues: &'m [VecDeque<u32>],
    in_system: &'m mut [i64],
    due: &'m mut [Vec<u32>],
    late: &'m mut Vec<(u32, u32)>,
    beyond: &'m mut Vec<u32>,
    rem: &'m mut [i64],
    work: &'m mut Vec<u32>,
    step_units: &'m mut [i64],
    delivered: &'m mut [i64],
    pair_product_units: &'m mut [i64],
    cross_value: &'m mut [f64],
    delivered_usd_daily: &'m mut [f64],
    days: u32,
}

impl Mover<'_> {
    /// Move lots off the work list while each is at its destination or has room on its
    /// next darc with nobody queued there; return the first that has not (it must queue
    /// or be split).
    #[inline(always)]
    fn run(&mut self, day: u32) -> Option<u32> {
        while let Some(id) = self.work.pop() {
            let s = &self.ships[id as usize];
            if !s.alive {
                self.free.push(id);
                continue;
            }
            if s.next == s.end {
                self.deliver(id, day);
                continue;
            }
            let a = self.path_darcs[s.next as usize] as usize;
            // A darc with a queue has no capacity left (the morning drain leaves it
            // empty or the capacity used up, and lots queue only where it is), and a lot
            // has at least one unit: room means nobody queues.
            debug_assert!(self.queues[a].is_empty() || self.rem[a] == 0);
            if s.units <= self.rem[a] {
                self.admit(id, a, day);
            } else {
                return Some(id);
            }
        }
        None
    }

    /// Admit lot `id` to darc `a` today (there is room).
    #[inline(always)]
    fn admit(&mut self, id: u32, a: usize, day: u32) {
        let darc = &self.darcs[a];
        let s = &mut self.ships[id as usize];
        let u = s.units;
        self.rem[a] -= u;
        self.step_units[s.next as usize] += u;
        let slot = darc.slot;
        if slot != u32::MAX {
            let value = self.value[s.product as usize];
            self.cross_value[slot as usize * self.days as usize + day as usize] +=
                tonnes(u) * value;
        }
        s.t_next = s.t_next.max(f64::from(day)) + darc.transit;
        s.next += 1;
        // t_next >= 0, so truncation is the floor.
        let when = s.t_next as u32;
        if when <= day {
            self.work.push(id);
        } else if when < self.days {
            if (when - day) < RING as u32 {
                self.due[when as usize % RING].push(id);
            } else {
                self.late.push((when, id));
            }
        } else {
            // It arrives after the window: it stays in transit.
            self.beyond.push(id);
        }
    }

    /// Lot `id` is at its destination today.
    #[inline(always)]
    fn deliver(&mut self, id: u32, day: u32) {
        let s = &mut self.ships[id as usize];
        let pair = self.paths[s.path as usize].pair as usize;
        let p = s.product as usize;
        let value = self.value[p];
        let t = tonnes(s.units);
        self.in_system[s.demand as usize] -= s.units;
        self.delivered[p] += s.units;
        let np = self.value.len();
        self.pair_product_units[pair * np + p] += s.units;
        self.delivered_usd_daily[day as usize] += t * value;
        s.alive = false;
        self.free.push(id);
    }
}

/// A turn-back route: the cheapest path for `product` from the entry of darc `avoid`
/// to node `to`, avoiding that darc, when the darcs traders see open are `mask`.
struct RouteMemo {
    product: u32,
    avoid: u32,
    to: u32,
    mask: Vec<u64>,
    route: Option<Vec<u32>>,
}

/// Buffers of [`Sim::cheapest_path`].
#[derive(Default)]
struct Dijkstra {
    dist: Vec<f64>,
    via: Vec<u32>,
    done: Vec<bool>,
}

/// Buffers reused by [`decompose`] from one solve to the next.
#[derive(Default)]
struct Scratch {
    rem: Vec<i64>,
    dem_rem: Vec<i64>,
    on_path: Vec<usize>,
    nodes: Vec<usize>,
    route: Vec<u32>,
}

/// Decompose the solver's flow into routes, calling `emit(origin node, darcs, demand
/// index, units)` for each.
fn decompose(
    net: &ProductNet,
    darcs: &[DArc],
    out: &[Vec<u32>],
    nd: usize,
    sc: &mut Scratch,
    mut emit: impl FnMut(usize, &[u32], usize, i64),
) {
    sc.rem.clear();
    sc.rem.extend((0..nd).map(|a| net.solver.flow(a)));
    sc.dem_rem.clear();
    sc.dem_rem
        .extend(net.demand_arcs.iter().map(|&(_, arc)| net.solver.flow(arc)));
    sc.on_path.clear();
    sc.on_path.resize(out.len(), usize::MAX);
    let Scratch {
        rem,
        dem_rem,
        on_path,
        nodes,
        route,
    } = sc;
    for &(_, arc, origin) in &net.supply_arcs {
        let mut left = net.solver.flow(arc);
        let mut guard = 0usize;
        while left > 0 && guard < 100_000 {
            guard += 1;
            nodes.clear();
            nodes.push(origin);
            route.clear();
            on_path[origin] = 0;
            let mut v = origin;
            let mut finished = false;
            loop {
                // Stop at a demand of this node with flow left.
                if let Some(&(di, j)) = net.demand_at[v].iter().find(|&&(_, j)| dem_rem[j] > 0) {
                    let amt = route
                        .iter()
                        .map(|&a| rem[a as usize])
                        .chain([left, dem_rem[j]])
                        .min()
                        .unwrap_or(0);
                    for &a in route.iter() {
                        rem[a as usize] -= amt;
                    }
                    dem_rem[j] -= amt;
                    left -= amt;
                    if amt > 0 {
                        emit(origin, route, di, amt);
                    }
                    finished = true;
                    break;
                }
                let Some(&a) = out[v].iter().find(|&&a| rem[a as usize] > 0) else {
                    break;
                };
                let w = darcs[a as usize].to as usize;
                if on_path[w] != usize::MAX {
                    // A cycle of flow: cancel it and continue from w.
                    let k = on_path[w];
                    let amt = route[k..]
                        .iter()
                        .chain([&a])
                        .map(|&c| rem[c as usize])
                        .min()
                        .unwrap_or(0);
                    for &c in route[k..].iter().chain([&a]) {
                        rem[c as usize] -= amt;
                    }
                    for &x in &nodes[k + 1..] {
                        on_path[x] = usize::MAX;
                    }
                    nodes.truncate(k + 1);
                    route.truncate(k);
                    v = w;
                    continue;
                }
                route.push(a);
                on_path[w] = nodes.len();
                nodes.push(w);
                v = w;
            }
            for &x in nodes.iter() {
                on_path[x] = usize::MAX;
            }
            if !finished {
                break;
            }
        }
    }
}

/// The id of the route `darcs` to demand `demand` from `origin`, added if new. The map
/// is keyed by `[demand, darcs...]` so a lookup allocates nothing.
#[allow(clippy::too_many_arguments)]
fn intern(
    paths: &mut Vec<Path>,
    path_darcs: &mut Vec<u32>,
    ids: &mut PathMap,
    key: &mut Vec<u32>,
    st: &Static,
    scn: &Scenario,
    demand: u32,
    darcs: &[u32],
    origin: u32,
) -> u32 {
    key.clear();
    key.push(demand);
    key.extend_from_slice(darcs);
    if let Some(&id) = ids.get(key.as_slice()) {
        return id;
    }
    let dnode = scn.demands[demand as usize].node.index();
    let pair_key = (st.node_country[origin as usize], st.node_country[dnode]);
    let pair = st.pair_index.get(&pair_key).copied().unwrap_or(0);
    let id = paths.len() as u32;
    let product = scn.demands[demand as usize].product.index();
    paths.push(Path {
        start: path_darcs.len() as u32,
        len: darcs.len() as u32,
        demand,
        pair,
        perishable: scn.products[product].perishability.is_some(),
    });
    path_darcs.extend_from_slice(darcs);
    ids.insert(key.clone(), id);
    id
}

impl crate::montecarlo::RunModel for Engine {
    /// The Monte Carlo needs two daily series (trucks stranded, value delivered): with
    /// `record_daily` only those are filled in, from the run's own accounts.
    fn run(&mut self, closures: &[ClosureWindow], record_daily: bool) -> Result<RunReport, Error> {
        self.check_closures(closures)?;
        let mut acc = self.simulate(closures, false, &mut NoObserver, Mode::Rejoin)?;
        if record_daily {
            // No per-corridor, product or crossing series: `report` fills in the totals.
            acc.daily = Some(DailySeries::default());
        }
        let last_end = last_closure_end(closures, self.scenario.settings.days);
        Ok(self.report(acc, last_end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::closure::Target;
    use crate::network::CorridorId;

    fn close(a: &RunReport, b: &RunReport) -> Result<(), String> {
        a.close_to(b, 1e-9, 1e-6)
    }

    /// With a snapshot budget too small to keep every day, the counterfactual keeps every
    /// `stride`-th day and runs rejoin it on those days only: fewer days skipped, the
    /// same results.
    #[test]
    fn thinned_snapshots_rejoin_on_kept_days_only() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/starter.toml");
        let scn = crate::scenario::load(path).expect("the starter scenario loads");
        let days = scn.settings.days;
        let mut full = Engine::new(&scn).expect("engine");
        let mut thin = Engine::with_snapshot_budget(&scn, &[], 256 << 10).expect("engine");
        assert_eq!(full.track.stride, 1);
        assert!(thin.track.stride > 1 && thin.track.stride < days);
        assert!(thin.track.bytes <= 256 << 10);
        let early = ClosureWindow {
            target: Target::Corridor(CorridorId(0)),
            start_day: 5,
            duration_days: 3,
            capacity_factor: 0.0,
            ramp_days: 0,
            label: None,
        };
        for closures in [scn.closures.clone(), vec![early], vec![]] {
            let daily = full
                .run_observed(&closures, true, &mut NoObserver)
                .expect("runs");
            let a = full.run(&closures, true).expect("runs");
            let b = thin.run(&closures, true).expect("runs");
            assert!(full.days_simulated() < days, "the full track skips days");
            assert!(thin.days_simulated() >= full.days_simulated());
            close(&a, &daily).unwrap();
            close(&b, &daily).unwrap();
        }
    }
}
