//! Step 4 of the day: routing new trade. One min-cost flow per product (in priority
//! order) on the capacity traders see left: supply arcs at the origin price, the links
//! at their route cost, demand arcs at minus the buyer's value, and a bypass for trade
//! that does not pay. Its optimum is canonical (a function of the day's inputs alone,
//! ties included: see [`NetworkSimplex::solve_canonical`]); it is decomposed into
//! routes (the *plan*) and dispatched as new lots.

use crate::error::{Error, SimError};
use crate::flow::NetworkSimplex;
use crate::scenario::Scenario;

use super::accounts::Sums;
use super::network::{Darc, Network, COST_SCALE};
use super::orders;
use super::prices::Search;
use super::routes::{decompose, FlowView, RouteBook, Scratch};
use super::state::{Lot, State};

/// A product's routing network, kept across days for warm starts.
pub(super) struct ProductNet {
    pub(super) solver: NetworkSimplex,
    /// (supply index, solver arc, origin node)
    pub(super) supply_arcs: Vec<(usize, usize, usize)>,
    /// (demand index, solver arc)
    pub(super) demand_arcs: Vec<(usize, usize)>,
    /// Demand arcs by node: node -> [(demand index, position in `demand_arcs`)].
    demand_at: Vec<Vec<(usize, usize)>>,
    bypass: usize,
    s: usize,
    t: usize,
    /// Route cost per darc for this product, USD/t (for turn-back routes).
    pub(super) darc_cost: Vec<f64>,
    /// Wait arcs (`decision.rs`): (darc, solver arc, the darc's cost in 0.01 USD/t),
    /// one per class of traders and darc of a link traders hold a belief about (a
    /// darc's are consecutive); none with myopic traders.
    pub(super) wait_arcs: Vec<(u32, usize, i64)>,
    /// Wait arcs by node, as virtual darc ids `nd + k` (for the decomposition).
    wait_out: Vec<Vec<u32>>,
    /// The inputs of the last solve: capacity traders see per darc, then supply per
    /// supply arc, then open orders per demand arc, then capacity and cost per wait arc.
    pub(super) key: Vec<i64>,
    /// The plan of the last solve: (route id, units).
    pub(super) plan: Vec<(u32, i64)>,
    /// The solver's flows `plan` was decomposed from.
    flows: Vec<i64>,
    /// `key`, `plan` and `flows` hold a solve.
    solved: bool,
    /// The prices of the product's points at the last solve, 0.01 USD/t (`prices.rs`).
    pub(super) prices: Vec<i64>,
    search: Search,
    /// The route ids of the last decomposition, in the order it found them: with `memo`
    /// (the fast path), the next decomposition looks each route up there first (position
    /// by position) before the route book's hash map (`RouteBook::intern`). A hint only:
    /// the id is the same (the property tests hold fast = reference).
    last_routes: Vec<u32>,
    /// The route ids of the decomposition in progress (then swapped with `last_routes`).
    new_routes: Vec<u32>,
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
            wait_arcs: self.wait_arcs.clone(),
            wait_out: self.wait_out.clone(),
            key: self.key.clone(),
            plan: self.plan.clone(),
            flows: self.flows.clone(),
            solved: self.solved,
            prices: self.prices.clone(),
            search: self.search.clone(),
            last_routes: self.last_routes.clone(),
            new_routes: self.new_routes.clone(),
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
                wait_arcs,
                wait_out,
                key,
                plan,
                flows,
                solved,
                prices,
                search,
                last_routes,
                new_routes,
            ]
        );
    }
}

/// Route cost of a darc for product `p`, USD/t: paid + holding + expected spoilage over
/// its transit time.
fn darc_cost(scn: &Scenario, a: &Darc, p: usize) -> f64 {
    let prod = &scn.products[p];
    let per_day = prod.holding_cost_per_day + prod.perishability.map_or(0.0, |x| x.loss_per_day);
    a.paid_usd_per_t + per_day * prod.value_usd_per_t * a.transit
}

/// A cost in the solver's integer unit (0.01 USD/t).
pub(super) fn cost_int(usd_per_t: f64) -> Result<i64, Error> {
    let c = (usd_per_t * COST_SCALE).round();
    if !c.is_finite() || c.abs() > 1e12 {
        return Err(SimError::Invalid(format!(
            "a cost of {usd_per_t} USD/t is too large for the routing problem (at most 1e10)"
        ))
        .into());
    }
    Ok(c as i64)
}

/// What routing a product reads and writes besides its network.
pub(super) struct RoutingCtx<'a> {
    pub(super) scn: &'a Scenario,
    pub(super) net: &'a Network,
    pub(super) routes: &'a mut RouteBook,
    pub(super) scratch: &'a mut Scratch,
}

impl ProductNet {
    /// Product `p`'s routing network (all capacities 0 until the first solve).
    pub(super) fn new(scn: &Scenario, net: &Network, p: usize) -> Result<ProductNet, Error> {
        let n = scn.nodes.len();
        let (s, t) = (n, n + 1);
        let mut solver = NetworkSimplex::new(n + 2);
        let mut darc_cost_v = Vec::with_capacity(net.darcs.len());
        for a in &net.darcs {
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
        let mut wait_arcs = Vec::new();
        let mut wait_out = Vec::new();
        if net.beliefs.any() {
            wait_out = vec![Vec::new(); n];
            let nd = net.darcs.len();
            for (i, a) in net.darcs.iter().enumerate() {
                if net.beliefs.has(a.link as usize) {
                    // One per class of traders (`decision.rs`), consecutive.
                    let c = cost_int(darc_cost_v[i])?;
                    for _ in 0..net.beliefs.classes() {
                        let arc = solver.add_arc(a.from as usize, a.to as usize, 0, c);
                        wait_out[a.from as usize].push((nd + wait_arcs.len()) as u32);
                        wait_arcs.push((i as u32, arc, c));
                    }
                }
            }
        }
        // Arcs are numbered in the order of `key` (darcs, supply arcs, demand arcs),
        // then the bypass: the prices read capacities from the key by arc number.
        let in_key_order = supply_arcs
            .iter()
            .enumerate()
            .all(|(j, &(_, arc, _))| arc == net.darcs.len() + j)
            && demand_arcs
                .iter()
                .enumerate()
                .all(|(j, &(_, arc))| arc == net.darcs.len() + supply_arcs.len() + j)
            && bypass == net.darcs.len() + supply_arcs.len() + demand_arcs.len();
        if !in_key_order {
            return Err(SimError::Internal(
                "a routing network's arcs are not numbered in the order of its key".into(),
            )
            .into());
        }
        // The prices search the arcs up to the bypass: wait arcs are not routes (a tonne
        // held to wait is not landed today), and their costs change from day to day.
        let search = Search::new(&solver, bypass + 1);
        Ok(ProductNet {
            solver,
            supply_arcs,
            demand_arcs,
            demand_at,
            bypass,
            s,
            t,
            darc_cost: darc_cost_v,
            wait_arcs,
            wait_out,
            key: Vec::new(),
            plan: Vec::new(),
            flows: Vec::new(),
            solved: false,
            prices: Vec::new(),
            search,
            last_routes: Vec::new(),
            new_routes: Vec::new(),
        })
    }

    /// Whether today's inputs (`perceived` per darc, `supply` per supply of the month,
    /// `open` orders per demand, `wait` per wait arc) are `key` (the layout of
    /// [`ProductNet::key`]).
    pub(super) fn inputs_are(
        &self,
        key: &[i64],
        perceived: &[i64],
        supply: &[i64],
        open: &[i64],
        wait: &[i64],
    ) -> bool {
        let nd = perceived.len();
        key.len() >= nd + wait.len()
            && key[..nd] == perceived[..]
            && key[key.len() - wait.len()..] == wait[..]
            && self.supply_and_orders_are(&key[nd..], supply, open)
    }

    /// Whether today's supply and open orders are those of `rest`, the part of a key
    /// after the darcs (the wait arcs' inputs, at its end, are not compared).
    pub(super) fn supply_and_orders_are(&self, rest: &[i64], supply: &[i64], open: &[i64]) -> bool {
        let ns = self.supply_arcs.len();
        rest.len() == ns + self.demand_arcs.len() + 2 * self.wait_arcs.len()
            && self
                .supply_arcs
                .iter()
                .zip(&rest[..ns])
                .all(|(&(si, _, _), &k)| supply[si] == k)
            && self
                .demand_arcs
                .iter()
                .zip(&rest[ns..])
                .all(|(&(di, _), &k)| open[di] == k)
    }

    /// The plan for today's inputs (capacity traders see, supply, open orders, the wait
    /// arcs' capacities and costs `wait`), left in [`ProductNet::plan`]: solved and
    /// decomposed, with the prices in [`ProductNet::prices`]. With `memo`, a day whose
    /// inputs, or
    /// whose solver flows, are the last solve's keeps the last plan (the plan is a
    /// function of the flows, and the flows of the inputs).
    #[allow(clippy::too_many_arguments)] // the day's routing inputs, one by one
    pub(super) fn solve(
        &mut self,
        cx: &mut RoutingCtx<'_>,
        p: usize,
        day: u32,
        perceived: &[i64],
        open: &[i64],
        wait: &[i64],
        memo: bool,
    ) -> Result<(), Error> {
        let supply = &cx.net.supply_units[cx.net.period[day as usize] as usize];
        let nd = perceived.len();
        let ns = self.supply_arcs.len();
        let nk = nd + ns + self.demand_arcs.len() + wait.len();
        if self.key.len() != nk {
            self.key.clear();
            self.key.resize(nk, 0);
            self.solved = false;
        }
        let all = !self.solved;
        let (key_darcs, rest) = self.key.split_at_mut(nd);
        let (key_supply, rest) = rest.split_at_mut(ns);
        let (key_demand, key_wait) = rest.split_at_mut(self.demand_arcs.len());
        let mut same = !all;
        let mut total = 0i64;
        // Only the entries that changed since the last solve are set (all on the first).
        for (a, (k, &c)) in key_darcs.iter_mut().zip(perceived).enumerate() {
            if all || *k != c {
                self.solver.set_capacity(a, c);
                self.search.capacity_changed(a);
                *k = c;
                same = false;
            }
        }
        for (j, &(si, arc, _)) in self.supply_arcs.iter().enumerate() {
            let u = supply[si];
            total += u;
            if all || key_supply[j] != u {
                self.solver.set_capacity(arc, u);
                self.search.capacity_changed(arc);
                key_supply[j] = u;
                same = false;
            }
        }
        for (j, &(di, arc)) in self.demand_arcs.iter().enumerate() {
            let u = open[di];
            if all || key_demand[j] != u {
                self.solver.set_capacity(arc, u);
                self.search.capacity_changed(arc);
                key_demand[j] = u;
                same = false;
            }
        }
        for (k, &(_, arc, _)) in self.wait_arcs.iter().enumerate() {
            let (cap, cost) = (wait[2 * k], wait[2 * k + 1]);
            if all || key_wait[2 * k] != cap || key_wait[2 * k + 1] != cost {
                self.solver.set_capacity(arc, cap);
                self.solver.set_cost(arc, cost);
                key_wait[2 * k] = cap;
                key_wait[2 * k + 1] = cost;
                same = false;
            }
        }
        if memo && same {
            return Ok(());
        }
        self.solver.set_capacity(self.bypass, total);
        self.solver.set_supply(self.s, total);
        self.solver.set_supply(self.t, -total);
        self.solver
            .solve_canonical()
            .map_err(|e| SimError::Routing {
                product: cx.scn.products[p].id.clone(),
                day,
                source: e,
            })?;
        // The prices depend on the capacities as well as the flows: computed at every
        // solve (with `memo`, kept or looked up where the residual network repeats),
        // kept on the days the inputs repeat.
        let caches = &mut cx.routes.price_caches;
        if caches.len() <= p {
            caches.resize_with(p + 1, Default::default);
        }
        // The key is the capacity of the arcs in order (darcs, supply, demand arcs:
        // see `ProductNet::new`, then the wait arcs' tail, which the prices leave out),
        // then the bypass's.
        let priced = nd + ns + self.demand_arcs.len();
        self.search.prices(
            &self.solver,
            (&self.key[..priced], total),
            self.s,
            self.t,
            cx.net.prices.of_product(p),
            &mut self.prices,
            memo.then_some(&mut caches[p]),
        )?;
        if memo && self.solved && self.solver.flows() == self.flows.as_slice() {
            return Ok(());
        }
        self.flows.clear();
        self.flows.extend_from_slice(self.solver.flows());
        self.plan.clear();
        let view = FlowView {
            solver: &self.solver,
            supply_arcs: &self.supply_arcs,
            demand_arcs: &self.demand_arcs,
            demand_at: &self.demand_at,
            wait_arcs: &self.wait_arcs,
            wait_out: &self.wait_out,
        };
        let (plan, routes, net, scn) = (&mut self.plan, &mut *cx.routes, cx.net, cx.scn);
        // The reference (no `memo`) takes every id from the route book.
        let last: &[u32] = if memo { &self.last_routes } else { &[] };
        let found = &mut self.new_routes;
        found.clear();
        decompose(
            &view,
            &net.darcs,
            &net.out,
            cx.scratch,
            |origin, darcs, demand, u| {
                // A route over a wait arc is trade that waits: not dispatched, its
                // orders stay open.
                if darcs.iter().any(|&a| a as usize >= nd) {
                    return Ok(());
                }
                let id = match last.get(found.len()) {
                    Some(&id) if routes.is(id, demand as u32, darcs) => {
                        debug_assert_eq!(
                            RouteBook::pair_of(net, scn, demand as u32, origin as u32).ok(),
                            Some(routes.routes[id as usize].pair)
                        );
                        id
                    }
                    _ => {
                        let pair = RouteBook::pair_of(net, scn, demand as u32, origin as u32)?;
                        routes.intern(scn, demand as u32, pair, darcs)
                    }
                };
                found.push(id);
                plan.push((id, u));
                Ok(())
            },
        )?;
        std::mem::swap(&mut self.last_routes, &mut self.new_routes);
        self.solved = true;
        Ok(())
    }
}

/// Dispatch `plan` (route id, units) of product `p` on `day`: each route takes its
/// units of the capacity traders see and of its demand's open orders, and a new lot
/// starts at its origin (it moves with today's other cargo; see `movement.rs`).
#[allow(clippy::too_many_arguments)] // the state's parts it touches, one by one
pub(super) fn dispatch(
    plan: &[(u32, i64)],
    p: usize,
    day: u32,
    routes: &RouteBook,
    perceived: &mut [i64],
    state: &mut State,
    sums: &mut Sums,
    work: &mut Vec<u32>,
) {
    let mut supplied = 0;
    for &(rid, u) in plan {
        let route = &routes.routes[rid as usize];
        let demand = route.demand as usize;
        for &a in routes.darcs_of(rid) {
            perceived[a as usize] -= u;
        }
        orders::take(&mut state.orders[demand], &mut state.open_units[demand], u);
        supplied += u;
        state.in_system[demand] += u;
        sums.dispatched_units[demand] += u;
        let lot = Lot {
            route: rid,
            demand: demand as u32,
            product: p as u32,
            next: route.start,
            end: route.start + route.len,
            units: u,
            t_next: f64::from(day),
            dispatched: i64::from(day),
            queued_since: 0,
            queued_at: 0,
            decay: 0.0,
            classes: 0,
            alive: true,
        };
        work.push(state.add_lot(lot, route.perishable));
    }
    sums.supplied[p] += supplied;
}
