//! Checks of a scenario as a whole (empty, products without supply or demand, demand
//! that no supply can reach), shared by the loader and [`Scenario::check`], plus the
//! full check of an in-memory scenario after a notebook edits it ([`in_memory`], its
//! parts in [`network`] and [`risk`], the rules they share in [`rules`]).

mod in_memory;
mod network;
mod risk;
mod rules;

use std::collections::VecDeque;

use super::raw::{Diags, Loc};
use crate::error::DiagnosticKind as K;

/// The shape of a scenario that the whole-scenario checks need, by index.
#[derive(Debug, Default)]
pub(crate) struct View {
    /// Number of nodes.
    pub n_nodes: usize,
    /// Resolved links: (from, to, both ways).
    pub arcs: Vec<(usize, usize, bool)>,
    /// Resolved supplies: (product, node).
    pub supplies: Vec<(usize, usize)>,
    /// Resolved demands: (product, node, where written).
    pub demands: Vec<(usize, usize, Loc)>,
    /// Product ids and where each was written.
    pub products: Vec<(String, Loc)>,
    /// (nodes, links, products) written, resolved or not.
    pub counts: (usize, usize, usize),
    /// Node ids by index, for messages.
    pub node_names: Vec<String>,
    /// Where to point an "empty scenario" error.
    pub empty_loc: Loc,
    /// Some supply names a product that does not exist (already reported): skip the
    /// "no supply" check, which would only echo that mistake.
    pub unresolved_supply: bool,
    /// The same for demand.
    pub unresolved_demand: bool,
}

/// Empty scenario, products with no supply or no demand, unreachable demand (warning).
pub(crate) fn whole(v: &View, d: &mut Diags) {
    let (n, l, p) = v.counts;
    let mut missing = Vec::new();
    if n == 0 {
        missing.push("nodes");
    }
    if l == 0 {
        missing.push("links");
    }
    if p == 0 {
        missing.push("products");
    }
    if !missing.is_empty() {
        d.err(
            K::Empty,
            v.empty_loc,
            format!("the scenario has no {}", missing.join(", no ")),
            Some("a scenario needs at least one [[node]], one [[link]] and one [[product]]".into()),
        );
    }
    for (pi, (id, loc)) in v.products.iter().enumerate() {
        let has_supply = v.supplies.iter().any(|s| s.0 == pi);
        let has_demand = v.demands.iter().any(|s| s.0 == pi);
        if !has_supply && !v.unresolved_supply {
            d.err(
                K::NoSupply,
                *loc,
                format!("product `{id}` has no supply"),
                Some(format!(
                    "add a [[supply]] with product = \"{id}\", or remove the product"
                )),
            );
        }
        if !has_demand && !v.unresolved_demand {
            d.err(
                K::NoDemand,
                *loc,
                format!("product `{id}` has no demand"),
                Some(format!(
                    "add a [[demand]] with product = \"{id}\", or remove the product"
                )),
            );
        }
    }
    // Reachability per product, from all its supply nodes at once.
    let mut adj = vec![Vec::new(); v.n_nodes];
    for &(f, t, both) in &v.arcs {
        if f < v.n_nodes && t < v.n_nodes {
            adj[f].push(t);
            if both {
                adj[t].push(f);
            }
        }
    }
    for (pi, (id, _)) in v.products.iter().enumerate() {
        let sources: Vec<usize> = v
            .supplies
            .iter()
            .filter(|s| s.0 == pi && s.1 < v.n_nodes)
            .map(|s| s.1)
            .collect();
        if sources.is_empty() {
            continue;
        }
        let mut seen = vec![false; v.n_nodes];
        let mut queue: VecDeque<usize> = VecDeque::new();
        for s in sources {
            if !seen[s] {
                seen[s] = true;
                queue.push_back(s);
            }
        }
        while let Some(x) = queue.pop_front() {
            for &y in &adj[x] {
                if !seen[y] {
                    seen[y] = true;
                    queue.push_back(y);
                }
            }
        }
        for &(dp, node, loc) in &v.demands {
            if dp == pi && node < v.n_nodes && !seen[node] {
                let name = v.node_names.get(node).map_or("?", String::as_str);
                d.warn(
                    K::Unreachable,
                    loc,
                    format!(
                        "demand for `{id}` at `{name}` cannot be reached from any supply of `{id}`"
                    ),
                    Some("add a link (or set both_ways = true on one) so a path leads there; this demand will go unmet".into()),
                );
            }
        }
    }
}
