//! One (future, candidate) cell of a comparison as columns of numbers, one per run: what
//! its statistics and `compare_runs.csv` read, and nothing else. A comparison keeps
//! these instead of the runs' records, so its memory per run is a few hundred bytes a
//! candidate (the run's compare metrics, its corridors' trade delivered and its
//! countries' revenue lost), not the runs' tables.

use std::collections::BTreeMap;

use crate::montecarlo::{RunRecord, Runs};
use crate::study::metrics::Study;

/// The numbers of one cell's runs, in run order. Its runs' indices and compare metrics
/// (`runs`, `metrics`, `metric`, `losses`) are a [`Runs`] of [`Study::Compare`], which it
/// dereferences to.
#[derive(Debug, Clone, PartialEq)]
pub struct Columns {
    /// The runs' indices and their compare metrics (in
    /// [`crate::study::metrics::of`]`(Study::Compare)`'s order; NaN where undefined: no
    /// compare metric is).
    pub scalars: Runs,
    /// Per corridor: tonnes and USD delivered over it, run by run (0 in a run that
    /// does not report the corridor).
    pub corridors: BTreeMap<String, [Vec<f64>; 2]>,
    /// Per country: border revenue lost, run by run (0 in a run that does not report the
    /// country).
    pub revenue: BTreeMap<String, Vec<f64>>,
    /// Room for this many runs in each column (the runs expected: a column that grew by
    /// doubling would hold up to twice its runs).
    capacity: usize,
}

impl Columns {
    /// No run yet.
    pub fn new() -> Columns {
        Columns::with_capacity(0)
    }

    /// No run yet, with room for `runs` runs in each column (more may be pushed).
    pub fn with_capacity(runs: usize) -> Columns {
        Columns {
            scalars: Runs::with_capacity(Study::Compare, runs),
            corridors: BTreeMap::new(),
            revenue: BTreeMap::new(),
            capacity: runs,
        }
    }

    /// Runs held.
    pub fn len(&self) -> usize {
        self.scalars.len()
    }

    /// Whether no run is held.
    pub fn is_empty(&self) -> bool {
        self.scalars.is_empty()
    }

    /// Append the numbers of the next run (in run order).
    pub fn push(&mut self, r: &RunRecord) {
        let n = self.len();
        self.scalars.push(r.run, &r.metrics);
        // A corridor reported twice in a run counts its first report, as a lookup would.
        let cap = self.capacity;
        for c in &r.metrics.corridors {
            let cols = self
                .corridors
                .entry(c.corridor.clone())
                .or_insert_with(|| [zeros(n, cap), zeros(n, cap)]);
            if cols[0].len() == n {
                cols[0].push(c.delivered_t);
                cols[1].push(c.delivered_usd);
            }
        }
        for (country, v) in &r.metrics.revenue_lost_usd {
            self.revenue
                .entry(country.clone())
                .or_insert_with(|| zeros(n, cap))
                .push(*v);
        }
        for cols in self.corridors.values_mut() {
            for col in cols {
                col.resize(n + 1, 0.0);
            }
        }
        for col in self.revenue.values_mut() {
            col.resize(n + 1, 0.0);
        }
    }

    /// Corridor `id`'s tonnes (`usd` false) or USD delivered, run by run (0s for a
    /// corridor this cell never reports).
    pub fn corridor(&self, id: &str, usd: bool) -> std::borrow::Cow<'_, [f64]> {
        match self.corridors.get(id) {
            Some(c) => std::borrow::Cow::Borrowed(&c[usize::from(usd)]),
            None => std::borrow::Cow::Owned(vec![0.0; self.len()]),
        }
    }

    /// Country `id`'s revenue lost, run by run (0s for a country this cell never
    /// reports).
    pub fn revenue(&self, id: &str) -> std::borrow::Cow<'_, [f64]> {
        match self.revenue.get(id) {
            Some(c) => std::borrow::Cow::Borrowed(c),
            None => std::borrow::Cow::Owned(vec![0.0; self.len()]),
        }
    }
}

impl Default for Columns {
    fn default() -> Columns {
        Columns::new()
    }
}

impl std::ops::Deref for Columns {
    type Target = Runs;

    fn deref(&self) -> &Runs {
        &self.scalars
    }
}

/// A column of `n` zeros with room for `capacity` runs (at least `n + 1`).
fn zeros(n: usize, capacity: usize) -> Vec<f64> {
    let mut v = Vec::with_capacity(capacity.max(n + 1));
    v.resize(n, 0.0);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{CorridorMetrics, RunMetrics};
    use crate::study::metrics;
    use proptest::prelude::*;

    const KEYS: [&str; 4] = ["a", "b", "c", "d"];

    /// A run with random scalar metrics, some of the corridors `KEYS` (one possibly
    /// reported twice) and some of the countries `KEYS`.
    fn record() -> impl Strategy<Value = RunRecord> {
        (
            prop::collection::vec(-1e9f64..1e9, 8),
            0u32..40,
            any::<bool>(),
            prop::collection::vec((0usize..4, 0f64..1e6, 0f64..1e9), 0..6),
            prop::collection::btree_map(0usize..4, -1e6f64..1e6, 0..4),
        )
            .prop_map(|(x, days, capped, corridors, revenue)| {
                let metrics = RunMetrics {
                    total_loss_usd: x[0],
                    reroute_cost_usd: x[1],
                    delay_cost_usd: x[2],
                    welfare_loss_usd: x[3],
                    runout_open_t: x[4],
                    stranded_truck_days: x[5],
                    trade_value_halted_usd: x[6],
                    peak_stranded_trucks: x[7],
                    runout_days: days,
                    runout_capped: capped,
                    corridors: corridors
                        .into_iter()
                        .map(|(k, t, usd)| CorridorMetrics {
                            corridor: KEYS[k].into(),
                            delivered_t: t,
                            delivered_usd: usd,
                            ..CorridorMetrics::default()
                        })
                        .collect(),
                    revenue_lost_usd: revenue
                        .into_iter()
                        .map(|(k, v)| (KEYS[k].to_string(), v))
                        .collect(),
                    ..RunMetrics::default()
                };
                RunRecord {
                    run: 0,
                    closures: Vec::new(),
                    metrics,
                    daily: None,
                }
            })
    }

    proptest! {
        /// The columns kept run by run hold exactly what looking each number up in
        /// every run's whole record gives (what the comparison read before it kept
        /// columns): each compare metric, each corridor's tonnes and USD (the first
        /// report in a run, 0 where a run has none), each country's revenue lost (0
        /// where a run has none), and the same corridors and countries.
        #[test]
        fn columns_hold_what_the_whole_records_give(
            runs in prop::collection::vec(record(), 0..30)
        ) {
            let runs: Vec<RunRecord> = runs
                .into_iter()
                .enumerate()
                .map(|(i, mut r)| {
                    r.run = 3 * i as u64 + 1;
                    r
                })
                .collect();
            let mut cols = Columns::new();
            for r in &runs {
                cols.push(r);
            }
            prop_assert_eq!(cols.len(), runs.len());
            prop_assert_eq!(&cols.runs, &runs.iter().map(|r| r.run).collect::<Vec<_>>());
            for name in metrics::names(Study::Compare) {
                let whole: Vec<f64> = runs
                    .iter()
                    .map(|r| metrics::value(&r.metrics, name))
                    .collect();
                prop_assert_eq!(&cols.metric(name)[..], &whole[..], "{}", name);
            }
            let corridors: std::collections::BTreeSet<&String> = runs
                .iter()
                .flat_map(|r| r.metrics.corridors.iter().map(|x| &x.corridor))
                .collect();
            prop_assert!(cols.corridors.keys().eq(corridors.iter().copied()));
            for id in KEYS {
                for usd in [false, true] {
                    let whole: Vec<f64> = runs
                        .iter()
                        .map(|r| {
                            r.metrics
                                .corridors
                                .iter()
                                .find(|x| x.corridor == id)
                                .map_or(0.0, |x| if usd { x.delivered_usd } else { x.delivered_t })
                        })
                        .collect();
                    prop_assert_eq!(&cols.corridor(id, usd)[..], &whole[..]);
                }
            }
            let countries: std::collections::BTreeSet<&String> = runs
                .iter()
                .flat_map(|r| r.metrics.revenue_lost_usd.keys())
                .collect();
            prop_assert!(cols.revenue.keys().eq(countries.iter().copied()));
            for id in KEYS {
                let whole: Vec<f64> = runs
                    .iter()
                    .map(|r| r.metrics.revenue_lost_usd.get(id).copied().unwrap_or(0.0))
                    .collect();
                prop_assert_eq!(&cols.revenue(id)[..], &whole[..]);
            }
        }
    }

    /// `compare_runs.csv` writes each compare metric as defined (`Columns` keeps NaN
    /// for an undefined value, which would write `NaN` where the record wrote an empty
    /// cell): no compare metric may be undefined.
    #[test]
    fn every_compare_metric_is_defined_in_every_run() {
        for m in metrics::of(Study::Compare) {
            assert!((m.value)(&RunMetrics::default()).is_some(), "{}", m.name);
        }
    }
}
