//! What a criticality study warns about, raised here once: printed by the CLI, written to
//! `warnings.csv` (listed in the manifest) and shown by the report beside the figure it
//! concerns.
//!
//! - **A closure past the window**: `--duration` longer than what is left of the window
//!   after `--start`. The run-out lets a closure that started in the window last its
//!   whole length, so the loss is counted, but it is no longer one year's closure, and a
//!   closure that outlasts the run-out is cut off there.
//! - **A capped run-out**: a run not back to the counterfactual after `runout_max_days`;
//!   its open orders were counted as lost trade at the cap.
//! - **Negative components**: a component is a difference from the counterfactual and
//!   can be below zero, and why.

use super::SetResult;
use crate::output::money;
use crate::Scenario;

/// One warning: the figure it concerns (the report's anchor: `ranking`, `diversion`,
/// `map`) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The figure it concerns.
    pub concerns: String,
    /// What is wrong, in words and numbers, and what it means.
    pub text: String,
}

/// Why a component of a loss can be negative (the same words in the CLI, the report and
/// docs/criticality.md).
pub const NEGATIVE_COMPONENTS: &str = "A component is the run's cost minus the \
counterfactual's, so it can be below zero: while a corridor is shut less is shipped, and \
goods never shipped count in full as lost trade, so the spoilage, holding and reroute \
costs they would have had are not spent (spoilage falls because less perishable cargo is \
on the road); a detour can also be shorter for some flows. The total is still the sum of \
the components.";

/// The warnings of closures of `duration_days` from `start_day` that gave `results`.
pub fn check(
    scenario: &Scenario,
    start_day: i64,
    duration_days: u32,
    results: &[SetResult],
) -> Vec<Warning> {
    let mut out = Vec::new();
    let days = i64::from(scenario.settings.days);
    let end = start_day + i64::from(duration_days);
    let horizon = days + i64::from(scenario.settings.runout_max_days);
    if end > days {
        let mut text = format!(
            "Each closure lasts {duration_days} days from {}, to {}: past the window's last \
             day {} ({} days). The run-out starts no new closure but lets this one last its \
             length, so its loss is counted, but it is no longer one year's closure: compare \
             it with closures inside one window with care, and the diversion's 'after' \
             means start after the window.",
            scenario.date_of(start_day),
            scenario.date_of(end - 1),
            scenario.date_of(days - 1),
            days
        );
        if end > horizon {
            text.push_str(&format!(
                " It even runs past the run-out's last day {}: what it costs after that is \
                 not counted.",
                scenario.date_of(horizon - 1)
            ));
        }
        out.push(Warning {
            concerns: "ranking".into(),
            text,
        });
    }
    let capped: Vec<String> = results
        .iter()
        .filter(|r| r.metrics.runout_capped)
        .map(|r| {
            format!(
                "{} ({} of orders still open)",
                r.set.name,
                money(r.metrics.runout_open_usd)
            )
        })
        .collect();
    if !capped.is_empty() {
        out.push(Warning {
            concerns: "ranking".into(),
            text: format!(
                "The run-out was cut off after {} days, before trade was back to normal, \
                 for: {}. Those open orders are counted as lost trade at the cap.",
                scenario.settings.runout_max_days,
                capped.join(", ")
            ),
        });
    }
    let mut negative = Vec::new();
    for r in results {
        let m = &r.metrics;
        for (name, v) in [
            ("reroute", m.reroute_cost_usd),
            ("delay", m.delay_cost_usd),
            ("spoilage", m.spoilage_usd),
            ("lost trade", m.lost_trade_usd),
        ] {
            // Below half a dollar is float noise, not a negative component.
            if v < -0.5 {
                negative.push(format!("{} {name} {}", r.set.name, money(v)));
            }
        }
    }
    if !negative.is_empty() {
        out.push(Warning {
            concerns: "ranking".into(),
            text: format!(
                "Negative components: {}. {NEGATIVE_COMPONENTS}",
                negative.join(", ")
            ),
        });
    }
    out
}
