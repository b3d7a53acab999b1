//! Routes: the darcs a lot follows from its origin to its demand point. A day's flow of
//! a product is decomposed into routes (its *plan*); every route found is kept once in
//! the engine's route book under an id, which lots and plans refer to.

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;

use crate::error::SimError;
use crate::flow::NetworkSimplex;
use crate::scenario::Scenario;

use super::network::{Darc, Network};

/// A route: the darcs from an origin to a demand point.
#[derive(Debug, Clone)]
pub(super) struct Route {
    /// Its darcs are `RouteBook::darcs[start..start + len]`.
    pub(super) start: u32,
    pub(super) len: u32,
    pub(super) demand: u32,
    /// Index into `Network::pairs` (origin country -> destination country).
    pub(super) pair: u32,
    /// Whether the demand's product perishes.
    pub(super) perishable: bool,
}

/// Every route found so far, by id (shared by all runs of an engine: ids are names, a
/// run's results do not depend on them).
#[derive(Default)]
pub(super) struct RouteBook {
    pub(super) routes: Vec<Route>,
    /// The darcs of all routes, each route's adjacent.
    pub(super) darcs: Vec<u32>,
    /// Route id by `[demand, pair, darcs...]`.
    ids: HashMap<Vec<u32>, u32, FxBuildHasher>,
    key: Vec<u32>,
    /// Per product: prices by residual network, shared by all runs like the routes
    /// (`prices.rs`).
    pub(super) price_caches: Vec<super::price_cache::PriceCache>,
}

impl RouteBook {
    /// The trade pair (origin country -> destination country) of a route from node
    /// `origin`, a supply point, to demand `demand`.
    pub(super) fn pair_of(
        net: &Network,
        scn: &Scenario,
        demand: u32,
        origin: u32,
    ) -> Result<u32, SimError> {
        let dm = &scn.demands[demand as usize];
        let key = (
            net.node_country[origin as usize],
            net.node_country[dm.node.index()],
        );
        net.pair_index.get(&key).copied().ok_or_else(|| {
            SimError::Internal(format!(
                "a route to demand {demand} (at node {}) starts at node {}, where no supply \
                 of its product is",
                scn.nodes[dm.node.index()].id,
                scn.nodes[origin as usize].id
            ))
        })
    }

    /// The id of the route `darcs` to demand `demand` of trade pair `pair` (a turned-back
    /// lot keeps the pair it left its origin with), added if new.
    pub(super) fn intern(&mut self, scn: &Scenario, demand: u32, pair: u32, darcs: &[u32]) -> u32 {
        self.key.clear();
        self.key.push(demand);
        self.key.push(pair);
        self.key.extend_from_slice(darcs);
        if let Some(&id) = self.ids.get(self.key.as_slice()) {
            return id;
        }
        let product = scn.demands[demand as usize].product.index();
        let id = self.routes.len() as u32;
        self.routes.push(Route {
            start: self.darcs.len() as u32,
            len: darcs.len() as u32,
            demand,
            pair,
            perishable: scn.products[product].perishability.is_some(),
        });
        self.darcs.extend_from_slice(darcs);
        self.ids.insert(self.key.clone(), id);
        id
    }

    /// Whether route `id` is a route of the book to demand `demand` over `darcs` (then
    /// it is the route [`RouteBook::intern`] gives for them when they come from a plan:
    /// a plan's route starts at its origin, so its darcs and demand fix its trade pair;
    /// only turn-back routes keep another pair, and they are not a plan's).
    #[inline]
    pub(super) fn is(&self, id: u32, demand: u32, darcs: &[u32]) -> bool {
        self.routes
            .get(id as usize)
            .is_some_and(|r| r.demand == demand && self.darcs_of(id) == darcs)
    }

    /// The darcs of route `id`.
    #[inline]
    pub(super) fn darcs_of(&self, id: u32) -> &[u32] {
        let r = &self.routes[id as usize];
        &self.darcs[r.start as usize..(r.start + r.len) as usize]
    }
}

/// Buffers reused by [`decompose`] from one solve to the next.
#[derive(Default)]
pub(super) struct Scratch {
    rem: Vec<i64>,
    dem_rem: Vec<i64>,
    on_path: Vec<usize>,
    nodes: Vec<usize>,
    route: Vec<u32>,
}

/// A product's routing network as the decomposition reads it.
pub(super) struct FlowView<'a> {
    pub(super) solver: &'a NetworkSimplex,
    /// (supply index, solver arc, origin node)
    pub(super) supply_arcs: &'a [(usize, usize, usize)],
    /// (demand index, solver arc)
    pub(super) demand_arcs: &'a [(usize, usize)],
    /// Demand arcs by node: node -> [(demand index, position in `demand_arcs`)].
    pub(super) demand_at: &'a [Vec<(usize, usize)>],
    /// Wait arcs (darc, solver arc, cost): virtual darcs `nd + k` beside their darcs.
    pub(super) wait_arcs: &'a [(u32, usize, i64)],
    /// Wait arcs by node, as virtual darc ids (empty without wait arcs).
    pub(super) wait_out: &'a [Vec<u32>],
}

/// Decompose the solver's flow into routes, calling `emit(origin node, darcs, demand
/// index, units)` for each, supply arc by supply arc (a deterministic function of the
/// flows). A wait arc `k` appears in a route as the virtual darc `nd + k`. Every unit a supply arc carries must reach a demand: a flow that does not is
/// an error (a bug), never a plan that silently ships less.
pub(super) fn decompose(
    fl: &FlowView<'_>,
    darcs: &[Darc],
    out: &[Vec<u32>],
    sc: &mut Scratch,
    mut emit: impl FnMut(usize, &[u32], usize, i64) -> Result<(), SimError>,
) -> Result<(), SimError> {
    let nd = darcs.len();
    sc.rem.clear();
    sc.rem.extend((0..nd).map(|a| fl.solver.flow(a)));
    sc.rem
        .extend(fl.wait_arcs.iter().map(|&(_, arc, _)| fl.solver.flow(arc)));
    let head = |a: u32| -> usize {
        let a = a as usize;
        if a < nd {
            darcs[a].to as usize
        } else {
            darcs[fl.wait_arcs[a - nd].0 as usize].to as usize
        }
    };
    let no_wait: &[u32] = &[];
    sc.dem_rem.clear();
    sc.dem_rem
        .extend(fl.demand_arcs.iter().map(|&(_, arc)| fl.solver.flow(arc)));
    sc.on_path.clear();
    sc.on_path.resize(out.len(), usize::MAX);
    let Scratch {
        rem,
        dem_rem,
        on_path,
        nodes,
        route,
    } = sc;
    for &(_, arc, origin) in fl.supply_arcs {
        let mut left = fl.solver.flow(arc);
        while left > 0 {
            nodes.clear();
            nodes.push(origin);
            route.clear();
            on_path[origin] = 0;
            let mut v = origin;
            let mut sent = 0;
            loop {
                // Stop at a demand of this node with flow left.
                if let Some(&(di, j)) = fl.demand_at[v].iter().find(|&&(_, j)| dem_rem[j] > 0) {
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
                    sent = amt;
                    if amt > 0 {
                        emit(origin, route, di, amt)?;
                    }
                    break;
                }
                let waits = fl.wait_out.get(v).map_or(no_wait, Vec::as_slice);
                let Some(&a) = out[v].iter().chain(waits).find(|&&a| rem[a as usize] > 0) else {
                    break;
                };
                let w = head(a);
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
            // Each pass sends at least one unit, so the loop ends; a pass that sends
            // nothing means the flow does not conserve (a bug).
            if sent == 0 {
                return Err(SimError::Internal(format!(
                    "{left} units of flow from node {origin} reach no demand point"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `is` recognises a route of the book by its demand and darcs only: what a
    /// decomposition may take from the last one instead of asking `intern`.
    #[test]
    fn a_route_is_known_by_its_demand_and_darcs() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/starter.toml");
        let scn = crate::scenario::load(path).expect("the starter scenario loads");
        let mut book = RouteBook::default();
        let a = book.intern(&scn, 0, 0, &[3, 5]);
        let b = book.intern(&scn, 0, 0, &[3]);
        assert_ne!(a, b);
        assert_eq!(book.intern(&scn, 0, 0, &[3, 5]), a, "interned once");
        assert!(book.is(a, 0, &[3, 5]));
        assert!(book.is(b, 0, &[3]));
        assert!(!book.is(a, 0, &[3]), "other darcs");
        assert!(!book.is(a, 0, &[5, 3]), "the same darcs in another order");
        assert!(!book.is(b, 1, &[3]), "another demand");
        assert!(!book.is(7, 0, &[3]), "an id the book does not have");
    }
}
