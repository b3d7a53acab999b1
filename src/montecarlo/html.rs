//! A Monte Carlo outcome as an HTML table, for notebooks (see `crate::output::html`).

use super::stats::Stats;
use super::Outcome;
use crate::output::html::{show, table};
use crate::output::money;

impl Outcome {
    /// The loss statistics of a Monte Carlo study (total loss, USD: mean with its 95%
    /// confidence interval, percentiles (p95 and p99 are the VaR) and TVaR) as an HTML table.
    pub fn to_html(&self) -> String {
        let losses = self.runs.losses();
        let Some(st) = Stats::of(&losses) else {
            return table("Monte Carlo: no runs", &["statistic", "value"], &[]);
        };
        let rows: Vec<Vec<String>> = [
            ("runs", st.n.to_string()),
            ("mean", money(st.mean)),
            ("ci_low (95%)", money(st.ci_low)),
            ("ci_high (95%)", money(st.ci_high)),
            ("sd", money(st.sd)),
            ("p5", money(st.p5)),
            ("p50", money(st.p50)),
            ("p95", money(st.p95)),
            ("p99", money(st.p99)),
            ("tvar95", money(st.tvar95)),
            ("tvar99", money(st.tvar99)),
        ]
        .into_iter()
        .map(|(k, v)| vec![k.to_string(), v])
        .collect();
        table("total_loss_usd over runs", &["statistic", "value"], &rows)
    }

    /// Show [`Outcome::to_html`] in a Rust notebook (evcxr).
    pub fn evcxr_display(&self) {
        show(&self.to_html());
    }
}
