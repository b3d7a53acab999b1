//! The full check of an in-memory scenario ([`Scenario::check`], after a notebook edits
//! one): ids, every index and number, then the whole-scenario checks of the loader. The
//! checks of each part are in [`super::network`] and [`super::risk`]; the helpers they
//! share (number rules, ids, seasonality, duration laws) in [`super::rules`].

use std::path::PathBuf;

use crate::error::{Diagnostic, ScenarioErrors};
use crate::scenario::raw::{Diags, Loc};
use crate::scenario::Scenario;

use super::network::{
    corridors, expansions, links, nodes, points, products, settings, trade_levels,
};
use super::risk::{closures, processes, regimes, shocks};
use super::rules::ids;
use super::{whole, View};

impl Scenario {
    /// Check an in-memory scenario (e.g. after a notebook edited one): ids unique and
    /// well formed, every index in range, numbers finite and in range, and the
    /// whole-scenario checks of the loader. Diagnostics have line 0 and name the item.
    ///
    /// Returns the warnings when there is no error.
    ///
    /// ```
    /// let mut s = chokepoint::scenario::load("scenarios/twoland.toml")?;
    /// assert!(s.check().is_ok());
    /// s.links[0].capacity_t_per_day = -1.0;
    /// assert!(s.check().is_err());
    /// # Ok::<(), chokepoint::Error>(())
    /// ```
    pub fn check(&self) -> Result<Vec<Diagnostic>, ScenarioErrors> {
        let file = self
            .source
            .clone()
            .unwrap_or_else(|| PathBuf::from("<in-memory scenario>"));
        let mut d = Diags::new(file);
        check_scenario(self, &mut d);
        if d.has_errors() {
            Err(ScenarioErrors {
                diagnostics: d.sorted(),
            })
        } else {
            Ok(d.sorted())
        }
    }
}

/// Every check of [`Scenario::check`], into `d`, in this order (an in-memory scenario
/// has no lines, so the order is the order of the messages).
pub(super) fn check_scenario(s: &Scenario, d: &mut Diags) {
    settings(s, d);
    ids(d, "node", s.nodes.iter().map(|x| x.id.as_str()));
    ids(d, "link", s.links.iter().map(|x| x.id.as_str()));
    ids(d, "corridor", s.corridors.iter().map(|x| x.id.as_str()));
    ids(d, "product", s.products.iter().map(|x| x.id.as_str()));
    ids(d, "shock", s.shocks.iter().map(|x| x.id.as_str()));
    ids(d, "process", s.processes.iter().map(|x| x.id.as_str()));
    nodes(s, d);
    let arcs = links(s, d);
    corridors(s, d);
    products(s, d);
    let at = Loc::default();
    let (nn, nl, np) = (s.nodes.len(), s.links.len(), s.products.len());
    let mut view = View {
        n_nodes: nn,
        arcs,
        counts: (nn, nl, np),
        node_names: s.nodes.iter().map(|n| n.id.clone()).collect(),
        products: s.products.iter().map(|p| (p.id.clone(), at)).collect(),
        ..View::default()
    };
    points(s, d, &mut view);
    trade_levels(s, d);
    closures(s, d);
    processes(s, d);
    shocks(s, d);
    regimes(s, d);
    expansions(s, d);
    whole(&view, d);
}
