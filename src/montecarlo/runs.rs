//! A study's runs as columns of numbers: each run's index and one number per run and
//! scalar metric, in run order. What the statistics, the stopping rules and the
//! controlled estimates read of a Monte Carlo study, a few bytes a run and metric instead
//! of a run's tables. Compare keeps the same for each of its cells
//! ([`crate::compare::Columns`] holds one).

use std::borrow::Cow;

use crate::sim::RunMetrics;
use crate::study::metrics::{self, Metric, Study};

/// The scalar metrics of a study's runs, one column per metric of [`Runs::study`] (in
/// [`metrics::of`]'s order), one value per run; NaN where a metric is undefined in a run
/// (no recovery: `days_to_recover`).
#[derive(Debug, Clone)]
pub struct Runs {
    /// Whose metrics the columns hold.
    pub study: Study,
    /// The runs' indices, in order.
    pub runs: Vec<u64>,
    /// `metrics[m][i]`: metric `m` of `study` in run `i`.
    pub metrics: Vec<Vec<f64>>,
}

impl PartialEq for Runs {
    /// The same study's metrics, runs and values bit for bit (an undefined value, NaN,
    /// equals itself).
    fn eq(&self, other: &Runs) -> bool {
        let bits = |c: &Vec<f64>| c.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        self.study == other.study
            && self.runs == other.runs
            && self
                .metrics
                .iter()
                .map(bits)
                .eq(other.metrics.iter().map(bits))
    }
}

impl Default for Runs {
    /// No run of a Monte Carlo study.
    fn default() -> Runs {
        Runs::new(Study::Montecarlo)
    }
}

impl Runs {
    /// No run yet, with `study`'s metrics.
    pub fn new(study: Study) -> Runs {
        Runs::with_capacity(study, 0)
    }

    /// No run yet, with room for `runs` runs in each column (more may be pushed).
    pub fn with_capacity(study: Study, runs: usize) -> Runs {
        Runs {
            study,
            runs: Vec::with_capacity(runs),
            // Each column its own room (`vec![v; n]` clones `v`, and a clone keeps no
            // spare capacity: the columns would grow by doubling).
            metrics: metrics::of(study)
                .iter()
                .map(|_| Vec::with_capacity(runs))
                .collect(),
        }
    }

    /// The metrics of the columns, in order.
    pub fn names(&self) -> Vec<&'static str> {
        metrics::names(self.study)
    }

    /// Runs held.
    pub fn len(&self) -> usize {
        self.runs.len()
    }

    /// Whether no run is held.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// Room for this many runs in each column without growing.
    pub fn capacity(&self) -> usize {
        self.metrics
            .iter()
            .map(Vec::capacity)
            .chain([self.runs.capacity()])
            .min()
            .unwrap_or(0)
    }

    /// Append run `run`'s metrics `m` (runs come in run order).
    pub fn push(&mut self, run: u64, m: &RunMetrics) {
        self.runs.push(run);
        for (col, x) in self.metrics.iter_mut().zip(metrics::of(self.study)) {
            col.push((x.value)(m).unwrap_or(f64::NAN));
        }
    }

    /// Where metric `name` is among the columns.
    fn position(&self, name: &str) -> Option<usize> {
        metrics::of(self.study).iter().position(|m| m.name == name)
    }

    /// Metric `name` run by run; NaN in every run for a name the study does not report.
    pub fn metric(&self, name: &str) -> Cow<'_, [f64]> {
        match self.position(name) {
            Some(k) => Cow::Borrowed(&self.metrics[k]),
            None => Cow::Owned(vec![f64::NAN; self.len()]),
        }
    }

    /// Metric `x` in the `pos`-th run held: `None` where undefined (or not a column).
    pub fn value(&self, x: &Metric, pos: usize) -> Option<f64> {
        let v = self.metrics[self.position(x.name)?][pos];
        (!v.is_nan()).then_some(v)
    }

    /// Total loss, run by run.
    pub fn losses(&self) -> Cow<'_, [f64]> {
        self.metric("total_loss_usd")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::montecarlo::RunRecord;
    use crate::sim::RunMetrics;
    use proptest::prelude::*;

    /// A run with random scalar metrics (each of them distinct), a recovery or none,
    /// and revenue lost in some of three countries.
    fn record() -> impl Strategy<Value = RunRecord> {
        (
            prop::collection::vec(-1e9f64..1e9, 14),
            prop::option::of(0u32..400),
            0u32..40,
            any::<bool>(),
            prop::collection::btree_map(0usize..3, -1e6f64..1e6, 0..3),
        )
            .prop_map(|(x, recover, days, capped, revenue)| RunRecord {
                run: 0,
                closures: Vec::new(),
                metrics: RunMetrics {
                    trade_value_halted_usd: x[0],
                    reroute_cost_usd: x[1],
                    delay_cost_usd: x[2],
                    spoilage_usd: x[3],
                    lost_trade_usd: x[4],
                    total_loss_usd: x[5],
                    welfare_loss_usd: x[6],
                    peak_stranded_trucks: x[7],
                    stranded_truck_days: x[8],
                    runout_open_t: x[9],
                    runout_open_usd: x[10],
                    demand_forgone_t: x[11],
                    demand_forgone_usd: x[12],
                    days_to_recover: recover,
                    runout_days: days,
                    runout_capped: capped,
                    revenue_lost_usd: revenue
                        .into_iter()
                        .map(|(k, v)| (["a", "b", "c"][k].to_string(), v + x[13]))
                        .collect(),
                    ..RunMetrics::default()
                },
                daily: None,
            })
    }

    /// Columns made with room for `n` runs hold `n` runs without growing (each column
    /// its own room: a cloned `Vec` has none to spare).
    #[test]
    fn columns_have_the_room_asked_for() {
        for study in Study::ALL {
            let mut cols = Runs::with_capacity(study, 1000);
            assert!(cols.capacity() >= 1000, "{}", study.name());
            let before: Vec<*const f64> = cols.metrics.iter().map(|c| c.as_ptr()).collect();
            for i in 0..1000 {
                cols.push(i, &RunMetrics::default());
            }
            let after: Vec<*const f64> = cols.metrics.iter().map(|c| c.as_ptr()).collect();
            assert_eq!(before, after, "{}: a column moved", study.name());
        }
    }

    proptest! {
        /// The columns kept run by run hold what reading each metric from every run's
        /// whole record gives, for every study's metrics: each value (NaN, and `None`
        /// from [`Runs::value`], where undefined), the runs in order, and NaN for a
        /// metric the study does not report.
        #[test]
        fn columns_hold_what_the_whole_records_give(
            mut runs in prop::collection::vec(record(), 0..30)
        ) {
            // Run indices that rise with gaps, as a shard's do.
            for (i, r) in runs.iter_mut().enumerate() {
                r.run = 5 * i as u64 + 2;
            }
            for study in Study::ALL {
                let mut cols = Runs::new(study);
                for r in &runs {
                    cols.push(r.run, &r.metrics);
                }
                prop_assert_eq!(cols.len(), runs.len());
                prop_assert_eq!(&cols.runs, &runs.iter().map(|r| r.run).collect::<Vec<_>>());
                prop_assert_eq!(cols.names(), metrics::names(study));
                for x in metrics::of(study) {
                    let whole: Vec<Option<f64>> = runs.iter().map(|r| (x.value)(&r.metrics)).collect();
                    let held: Vec<Option<f64>> = (0..runs.len()).map(|i| cols.value(x, i)).collect();
                    prop_assert_eq!(&held, &whole, "{}", x.name);
                    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    let nan: Vec<f64> = whole.iter().map(|v| v.unwrap_or(f64::NAN)).collect();
                    prop_assert_eq!(bits(&cols.metric(x.name)), bits(&nan), "{}", x.name);
                }
                let mut again = Runs::new(study);
                for r in &runs {
                    again.push(r.run, &r.metrics);
                }
                prop_assert_eq!(&again, &cols);
                let other = metrics::METRICS.iter().find(|x| x.columns.of(study).is_none());
                if let Some(x) = other {
                    prop_assert!(cols.metric(x.name).iter().all(|v| v.is_nan()));
                    prop_assert_eq!(cols.metric(x.name).len(), runs.len());
                }
            }
        }
    }
}
