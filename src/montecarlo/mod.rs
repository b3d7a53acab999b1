//! Monte Carlo: random closure plans per run from (seed, run index), parallel runs,
//! shards and merging, and loss statistics.
