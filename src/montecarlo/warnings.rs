//! What a Monte Carlo study (or one run) warns about, from its runs: shown by the report
//! beside the figure it concerns (the same kind of [`Warning`] a criticality study
//! raises).
//!
//! - **Capped run-outs**: runs not back to the counterfactual after `runout_max_days`;
//!   their open orders were counted as lost trade at the cap.
//! - **Negative components**: a component is a difference from the counterfactual and
//!   can be below zero in some runs, and why.
//! - **Negative totals**: a run can lose less than nothing, and why.

pub use crate::criticality::warnings::{Warning, NEGATIVE_COMPONENTS};
use crate::output::money;

/// Why a run's total loss can be below zero (the same words wherever it is shown).
pub const NEGATIVE_TOTAL: &str = "A run's loss is its cost minus the counterfactual's, so \
a year can come out slightly ahead: with elastic demand a closure that lowers a market's \
landed price lets it order a little more (docs/model.md, \"Demand answers the landed \
price\"), and capacity freed by a closure can serve a demand the counterfactual never \
served, whose gains count as a negative loss.";

/// What [`check`] reads of one run (the columns of runs.csv of the same names).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RunFigures {
    /// `total_loss_usd`.
    pub total_loss_usd: f64,
    /// `reroute_cost_usd`, `delay_cost_usd`, `spoilage_usd`, `lost_trade_usd`.
    pub components: [f64; 4],
    /// `runout_capped`.
    pub runout_capped: bool,
    /// `runout_open_usd`: the value of the orders open at the cap.
    pub runout_open_usd: f64,
}

/// The components' names, in the order of [`RunFigures::components`].
pub const COMPONENTS: [&str; 4] = ["reroute cost", "delay cost", "spoilage", "lost trade"];

/// Below half a dollar is float noise, not a negative value.
const NOISE_USD: f64 = -0.5;

/// The warnings of a study whose runs gave `runs`: `exceedance` (the loss distribution)
/// for capped run-outs and negative totals, `components` for negative components.
pub fn check(runs: &[RunFigures]) -> Vec<Warning> {
    let n = runs.len();
    let mut out = Vec::new();
    let share = |k: usize| format!("{k} of {n} runs ({:.1}%)", 100.0 * k as f64 / n as f64);
    let capped: Vec<&RunFigures> = runs.iter().filter(|r| r.runout_capped).collect();
    if !capped.is_empty() {
        let open: f64 = capped.iter().map(|r| r.runout_open_usd).sum();
        let max = capped
            .iter()
            .map(|r| r.runout_open_usd)
            .fold(f64::NEG_INFINITY, f64::max);
        out.push(Warning {
            concerns: "exceedance".into(),
            text: format!(
                "{} cut off at the run-out's cap (the scenario's runout_max_days) before \
                 trade was back to normal. Their open orders, {} in all (at most {} in one \
                 run), are counted as lost trade at the cap (docs/model.md, \"What a year's \
                 loss holds\"); a longer cap would value them as delay instead.",
                if n == 1 {
                    "The run was".to_string()
                } else {
                    format!("{} were", share(capped.len()))
                },
                money(open),
                money(max)
            ),
        });
    }
    let negative_total: Vec<f64> = runs
        .iter()
        .map(|r| r.total_loss_usd)
        .filter(|v| *v < NOISE_USD)
        .collect();
    if !negative_total.is_empty() {
        let mean = runs.iter().map(|r| r.total_loss_usd).sum::<f64>() / n as f64;
        out.push(Warning {
            concerns: "exceedance".into(),
            text: format!(
                "{}. {NEGATIVE_TOTAL}",
                if n == 1 {
                    format!("The run's total loss is below zero ({})", money(mean))
                } else {
                    format!(
                        "{} have a total loss below zero (as low as {}, against a mean of {})",
                        share(negative_total.len()),
                        money(negative_total.iter().copied().fold(f64::INFINITY, f64::min)),
                        money(mean)
                    )
                }
            ),
        });
    }
    let mut negative = Vec::new();
    for (i, name) in COMPONENTS.iter().enumerate() {
        let below: Vec<f64> = runs
            .iter()
            .map(|r| r.components[i])
            .filter(|v| *v < NOISE_USD)
            .collect();
        if !below.is_empty() {
            let low = money(below.iter().copied().fold(f64::INFINITY, f64::min));
            negative.push(if n == 1 {
                format!("{name} {low}")
            } else {
                format!("{name} in {}, as low as {low}", share(below.len()))
            });
        }
    }
    if !negative.is_empty() {
        out.push(Warning {
            concerns: "components".into(),
            text: format!("Below zero: {}. {NEGATIVE_COMPONENTS}", negative.join("; ")),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(total: f64, spoilage: f64, capped: bool, open: f64) -> RunFigures {
        RunFigures {
            total_loss_usd: total,
            components: [0.0, 0.0, spoilage, total - spoilage],
            runout_capped: capped,
            runout_open_usd: open,
        }
    }

    #[test]
    fn each_warning_counts_its_runs() {
        let runs = [
            run(10e6, 1e6, false, 0.0),
            run(20e6, -2e6, true, 3e6),
            run(-1e3, -0.1, true, 1e6),
            run(5e6, 0.0, false, 0.0),
        ];
        let w = check(&runs);
        assert_eq!(w.len(), 3, "{w:?}");
        assert_eq!(w[0].concerns, "exceedance");
        assert!(
            w[0].text.starts_with("2 of 4 runs (50.0%) were cut off"),
            "{}",
            w[0].text
        );
        assert!(
            w[0].text.contains("USD 4.00 m in all (at most USD 3.00 m"),
            "{}",
            w[0].text
        );
        assert!(w[1]
            .text
            .starts_with("1 of 4 runs (25.0%) have a total loss below zero"));
        assert!(w[1].text.contains("as low as USD -1.00 k"), "{}", w[1].text);
        assert_eq!(w[2].concerns, "components");
        // Spoilage of -0.1 is float noise; -2e6 is not.
        assert!(
            w[2].text
                .contains("spoilage in 1 of 4 runs (25.0%), as low as USD -2.00 m"),
            "{}",
            w[2].text
        );
        assert!(!w[2].text.contains("reroute cost in"));
        assert!(w[2].text.contains("lost trade in 1 of 4 runs"));
    }

    #[test]
    fn one_run_is_spoken_of_as_the_run() {
        let w = check(&[run(-2e3, -5e3, true, 7e5)]);
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(
            w[0].text.starts_with("The run was cut off"),
            "{}",
            w[0].text
        );
        assert!(w[0].text.contains("USD 700 k in all"), "{}", w[0].text);
        assert!(w[1]
            .text
            .starts_with("The run's total loss is below zero (USD -2.00 k)"));
        assert!(
            w[2].text.starts_with("Below zero: spoilage USD -5.00 k."),
            "{}",
            w[2].text
        );
    }

    #[test]
    fn a_clean_study_warns_of_nothing() {
        let runs = [run(1e6, 1e5, false, 0.0), run(0.0, 0.0, false, 0.0)];
        assert!(check(&runs).is_empty());
    }
}
