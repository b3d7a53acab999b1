//! The metric table: every whole-run metric a study reports, once, with its unit, how it
//! is read from a run's [`RunMetrics`], and where each study puts it.
//!
//! `run` (`run.csv`, scope `total`), `montecarlo` (`runs.csv` and `summary.csv`),
//! `compare` (its paired differences and `compare_runs.csv`), `criticality`
//! (`criticality.csv`) and the controlled estimates (`controlled.csv`) each report a
//! subset, in an order of their own that their files have always had: a row's
//! [`Columns`] gives each study's position (0-based, among that study's metrics), or
//! `None` where the study does not report the metric. [`of`] lists one study's metrics
//! in its order; [`by_name`] finds one. The Python package shows the table
//! (`chokepoint.metrics()`).

use crate::sim::RunMetrics;

/// The studies (and files) that report whole-run metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Study {
    /// `chokepoint run`: `run.csv`, scope `total`.
    Run,
    /// `chokepoint montecarlo`: `runs.csv` (a column each) and `summary.csv`.
    Montecarlo,
    /// `chokepoint compare`: paired differences and `compare_runs.csv`.
    Compare,
    /// `chokepoint criticality`: `criticality.csv`.
    Criticality,
    /// Monte Carlo means with control variates (`controlled.csv`).
    Controlled,
}

impl Study {
    /// Every study, in the order of [`Columns`]' fields.
    pub const ALL: [Study; 5] = [
        Study::Run,
        Study::Montecarlo,
        Study::Compare,
        Study::Criticality,
        Study::Controlled,
    ];

    /// The study's name (its command, or `controlled`).
    pub fn name(self) -> &'static str {
        match self {
            Study::Run => "run",
            Study::Montecarlo => "montecarlo",
            Study::Compare => "compare",
            Study::Criticality => "criticality",
            Study::Controlled => "controlled",
        }
    }
}

/// Where each study puts a metric: its 0-based position among the study's metrics, or
/// `None` when the study does not report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    /// `run.csv` (scope `total`).
    pub run: Option<u8>,
    /// `runs.csv` and `summary.csv`.
    pub montecarlo: Option<u8>,
    /// `compare`'s differences and `compare_runs.csv`.
    pub compare: Option<u8>,
    /// `criticality.csv`.
    pub criticality: Option<u8>,
    /// `controlled.csv`.
    pub controlled: Option<u8>,
}

impl Columns {
    /// The position in `study`'s metrics.
    pub fn of(&self, study: Study) -> Option<u8> {
        match study {
            Study::Run => self.run,
            Study::Montecarlo => self.montecarlo,
            Study::Compare => self.compare,
            Study::Criticality => self.criticality,
            Study::Controlled => self.controlled,
        }
    }
}

/// One whole-run metric.
#[derive(Debug, Clone, Copy)]
pub struct Metric {
    /// Its name: the column (or `metric` value) in every file that reports it.
    pub name: &'static str,
    /// Its unit.
    pub unit: &'static str,
    /// What it measures, in a line.
    pub description: &'static str,
    /// Its value in a run (`None`: undefined, e.g. no recovery).
    pub value: fn(&RunMetrics) -> Option<f64>,
    /// Where each study puts it.
    pub columns: Columns,
}

const fn at(
    run: Option<u8>,
    montecarlo: Option<u8>,
    compare: Option<u8>,
    criticality: Option<u8>,
    controlled: Option<u8>,
) -> Columns {
    Columns {
        run,
        montecarlo,
        compare,
        criticality,
        controlled,
    }
}

/// Every whole-run metric (in `run.csv`'s order).
pub const METRICS: [Metric; 17] = [
    Metric {
        name: "trade_value_halted_usd",
        unit: "USD",
        description: "value of trade that did not cross when planned, against the counterfactual",
        value: |m| Some(m.trade_value_halted_usd),
        columns: at(Some(0), Some(2), Some(7), Some(1), Some(2)),
    },
    Metric {
        name: "reroute_cost_usd",
        unit: "USD",
        description: "extra freight and charges of the routes taken",
        value: |m| Some(m.reroute_cost_usd),
        columns: at(Some(1), Some(3), Some(1), Some(2), Some(3)),
    },
    Metric {
        name: "delay_cost_usd",
        unit: "USD",
        description: "extra holding cost of transit and waiting days",
        value: |m| Some(m.delay_cost_usd),
        columns: at(Some(2), Some(4), Some(2), Some(3), Some(4)),
    },
    Metric {
        name: "spoilage_usd",
        unit: "USD",
        description: "extra value lost by perishables",
        value: |m| Some(m.spoilage_usd),
        columns: at(Some(3), Some(5), Some(3), Some(4), Some(5)),
    },
    Metric {
        name: "lost_trade_usd",
        unit: "USD",
        description: "extra value of trade that never happened",
        value: |m| Some(m.lost_trade_usd),
        columns: at(Some(4), Some(6), Some(4), Some(5), Some(6)),
    },
    Metric {
        name: "total_loss_usd",
        unit: "USD",
        description: "reroute + delay + spoilage + lost trade",
        value: |m| Some(m.total_loss_usd),
        columns: at(Some(5), Some(0), Some(0), Some(0), Some(0)),
    },
    Metric {
        name: "welfare_loss_usd",
        unit: "USD",
        description: "lost gains from trade (surplus, where the total counts full value)",
        value: |m| Some(m.welfare_loss_usd),
        columns: at(Some(6), Some(1), Some(5), Some(10), Some(1)),
    },
    Metric {
        name: "revenue_lost_usd",
        unit: "USD",
        description: "border charges not collected, all countries (beside the total, not in it)",
        value: |m| Some(m.revenue_lost_usd.values().sum()),
        columns: at(Some(7), Some(7), Some(6), Some(6), None),
    },
    Metric {
        name: "peak_stranded_trucks",
        unit: "trucks",
        description: "most trucks queued at all crossings together on any day",
        value: |m| Some(m.peak_stranded_trucks),
        columns: at(Some(8), Some(8), Some(8), Some(7), None),
    },
    Metric {
        name: "stranded_truck_days",
        unit: "truck-days",
        description: "trucks queued at all crossings, summed over days",
        value: |m| Some(m.stranded_truck_days),
        columns: at(Some(9), Some(9), Some(9), Some(8), Some(7)),
    },
    Metric {
        name: "days_to_recover",
        unit: "days",
        description: "days from the last closure's end until queues and backlog recover",
        value: |m| m.days_to_recover.map(f64::from),
        columns: at(Some(10), Some(10), None, Some(9), None),
    },
    Metric {
        name: "runout_days",
        unit: "days",
        description:
            "days the run went on after the window until it was back to the counterfactual",
        value: |m| Some(f64::from(m.runout_days)),
        columns: at(Some(11), Some(11), Some(10), None, None),
    },
    Metric {
        name: "runout_capped",
        unit: "0/1",
        description: "1 when the run-out reached its cap before the run was back",
        value: |m| Some(if m.runout_capped { 1.0 } else { 0.0 }),
        columns: at(Some(12), Some(12), Some(11), None, None),
    },
    Metric {
        name: "runout_open_t",
        unit: "t",
        description: "orders still open at the capped run-out's end (counted as lost trade)",
        value: |m| Some(m.runout_open_t),
        columns: at(Some(13), Some(13), Some(12), None, None),
    },
    Metric {
        name: "runout_open_usd",
        unit: "USD",
        description: "their value (in lost trade)",
        value: |m| Some(m.runout_open_usd),
        columns: at(Some(14), Some(14), Some(13), None, None),
    },
    Metric {
        name: "demand_forgone_t",
        unit: "t",
        description: "orders not placed because the landed price rose",
        value: |m| Some(m.demand_forgone_t),
        columns: at(Some(15), Some(15), None, None, None),
    },
    Metric {
        name: "demand_forgone_usd",
        unit: "USD",
        description: "their value (in lost trade)",
        value: |m| Some(m.demand_forgone_usd),
        columns: at(Some(16), Some(16), None, None, None),
    },
];

impl Metric {
    /// Whether its values are whole numbers (days, a 0/1 flag), which `runs.csv`,
    /// `criticality.csv` and `compare_runs.csv` write without a decimal point.
    pub fn is_whole(&self) -> bool {
        matches!(self.unit, "days" | "0/1")
    }

    /// The CSV cell of a value `v` of this metric: empty when undefined, a whole number
    /// without a decimal point ([`Metric::is_whole`]), else the tool's number format
    /// ([`crate::study::output::num`]).
    pub fn cell(&self, v: Option<f64>) -> String {
        match v {
            Some(v) if self.is_whole() && v.is_finite() => format!("{v}"),
            Some(v) => crate::study::output::num(v),
            None => String::new(),
        }
    }
}

/// The metrics `study` reports, in its order.
pub fn of(study: Study) -> Vec<&'static Metric> {
    let mut v: Vec<&Metric> = METRICS
        .iter()
        .filter(|m| m.columns.of(study).is_some())
        .collect();
    v.sort_by_key(|m| m.columns.of(study));
    v
}

/// The names of the metrics `study` reports, in its order.
pub fn names(study: Study) -> Vec<&'static str> {
    of(study).into_iter().map(|m| m.name).collect()
}

/// The metric named `name`.
pub fn by_name(name: &str) -> Option<&'static Metric> {
    METRICS.iter().find(|m| m.name == name)
}

/// The value of the metric named `name` in `m`: NaN for an undefined value or an
/// unknown name.
pub fn value(m: &RunMetrics, name: &str) -> f64 {
    by_name(name).and_then(|x| (x.value)(m)).unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each study's positions are 0, 1, 2, ... with no gap and no repeat, and names are
    /// unique: a study's order is well defined.
    #[test]
    fn every_study_has_positions_0_to_n() {
        for s in Study::ALL {
            let pos: Vec<u8> = of(s).iter().filter_map(|m| m.columns.of(s)).collect();
            let want: Vec<u8> = (0..pos.len() as u8).collect();
            assert_eq!(pos, want, "{}", s.name());
        }
        for (i, m) in METRICS.iter().enumerate() {
            assert!(METRICS[..i].iter().all(|x| x.name != m.name), "{}", m.name);
        }
    }

    /// The orders the files have always had (what keeps their bytes unchanged); metrics
    /// added later go at the end (criticality's welfare loss, compare's run-out).
    #[test]
    fn each_study_keeps_its_files_order() {
        assert_eq!(
            names(Study::Compare),
            [
                "total_loss_usd",
                "reroute_cost_usd",
                "delay_cost_usd",
                "spoilage_usd",
                "lost_trade_usd",
                "welfare_loss_usd",
                "revenue_lost_usd",
                "trade_value_halted_usd",
                "peak_stranded_trucks",
                "stranded_truck_days",
                "runout_days",
                "runout_capped",
                "runout_open_t",
                "runout_open_usd",
            ]
        );
        assert_eq!(
            names(Study::Criticality),
            [
                "total_loss_usd",
                "trade_value_halted_usd",
                "reroute_cost_usd",
                "delay_cost_usd",
                "spoilage_usd",
                "lost_trade_usd",
                "revenue_lost_usd",
                "peak_stranded_trucks",
                "stranded_truck_days",
                "days_to_recover",
                "welfare_loss_usd",
            ]
        );
        assert_eq!(names(Study::Montecarlo).len(), 17);
        assert_eq!(
            names(Study::Montecarlo)[..2],
            ["total_loss_usd", "welfare_loss_usd"]
        );
        assert_eq!(names(Study::Controlled).len(), 8);
    }

    #[test]
    fn values_are_read_from_the_run() {
        let m = RunMetrics {
            total_loss_usd: 5.0,
            days_to_recover: None,
            runout_capped: true,
            ..RunMetrics::default()
        };
        assert_eq!(value(&m, "total_loss_usd"), 5.0);
        assert!(value(&m, "days_to_recover").is_nan());
        assert_eq!(value(&m, "runout_capped"), 1.0);
        assert!(value(&m, "no_such_metric").is_nan());
    }
}
