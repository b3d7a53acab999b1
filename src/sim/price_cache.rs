//! The price cache: one product's prices by residual network, kept in the route book
//! ([`super::routes::RouteBook`]) across the runs of an engine and filled by the price
//! search (`prices.rs`). A leaf: it knows nothing of the search or the accounts.

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;

/// One product's prices by residual network (its `Search::pattern`), kept across the
/// runs of an engine: a run meets the residual networks of other runs and of the
/// counterfactual again and again. The prices are a function of the residual network,
/// so what the cache holds is what a search would compute; it only saves the search.
#[derive(Debug, Clone, Default)]
pub(super) struct PriceCache {
    pub(super) map: HashMap<Vec<u64>, Vec<i64>, FxBuildHasher>,
}

impl PriceCache {
    /// Residual networks kept at most per product (then no more are added).
    pub(super) const CAPACITY: usize = 1 << 13;
}
