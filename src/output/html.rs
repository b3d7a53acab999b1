//! Results as HTML tables, for notebooks: `to_html()` on a scenario, a run's metrics and
//! report (a Monte Carlo outcome's is in `montecarlo::html`), and `evcxr_display()`, which the Rust notebook
//! kernel (evcxr) calls to show a cell's last value as HTML.
//!
//! ```
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/twoland.toml");
//! let scenario = chokepoint::Scenario::load(path)?;
//! let html = scenario.to_html();
//! assert!(html.starts_with("<table") && html.contains("twoland"));
//! # Ok::<(), chokepoint::Error>(())
//! ```

use std::fmt::Write as _;

use super::{money, whole};
use crate::sim::{RunMetrics, RunReport};
use crate::Scenario;

/// Text made safe inside HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A table: a caption, a header and rows of cells (already escaped).
pub(crate) fn table(caption: &str, header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::from("<table>");
    let _ = write!(s, "<caption>{}</caption><thead><tr>", esc(caption));
    for h in header {
        let _ = write!(s, "<th>{}</th>", esc(h));
    }
    s.push_str("</tr></thead><tbody>");
    for r in rows {
        s.push_str("<tr>");
        for (i, c) in r.iter().enumerate() {
            let align = if i == 0 { "left" } else { "right" };
            let _ = write!(s, "<td style=\"text-align:{align}\">{c}</td>");
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
    s
}

/// Print HTML for evcxr (the Rust Jupyter kernel).
pub(crate) fn show(html: &str) {
    println!("EVCXR_BEGIN_CONTENT text/html\n{html}\nEVCXR_END_CONTENT");
}

impl Scenario {
    /// The scenario at a glance as an HTML table: name, window, and how many nodes,
    /// links, corridors, products, fixed (and seasonal, if any) closures and closure
    /// processes it has.
    pub fn to_html(&self) -> String {
        let s = &self.settings;
        let n = |v: usize| v.to_string();
        let mut rows = vec![
            vec!["name".into(), esc(&s.name)],
            vec!["start".into(), s.start.to_string()],
            vec!["days".into(), s.days.to_string()],
            vec!["reaction_days".into(), s.reaction_days.to_string()],
            vec!["nodes".into(), n(self.nodes.len())],
            vec!["links".into(), n(self.links.len())],
            vec!["corridors".into(), n(self.corridors.len())],
            vec!["products".into(), n(self.products.len())],
            vec!["fixed closures".into(), n(self.closures.len())],
            vec![
                "closure processes + shocks".into(),
                n(self.processes.len() + self.shocks.len()),
            ],
        ];
        if !self.seasonal.is_empty() {
            rows.insert(9, vec!["seasonal closures".into(), n(self.seasonal.len())]);
        }
        table("scenario", &["field", "value"], &rows)
    }

    /// Show [`Scenario::to_html`] in a Rust notebook (evcxr).
    pub fn evcxr_display(&self) {
        show(&self.to_html());
    }
}

impl RunMetrics {
    /// The run's totals (USD, trucks, days) and its crossings with trade halted, largest
    /// first, as HTML tables (the figures `chokepoint run` prints).
    pub fn to_html(&self) -> String {
        let rows: Vec<Vec<String>> = super::totals_rows(self)
            .into_iter()
            .map(|(k, _, v)| vec![k.to_string(), v])
            .collect();
        let mut s = table("run totals", &["metric", "value"], &rows);
        let mut crossings: Vec<_> = self
            .crossings
            .iter()
            .filter(|c| c.trade_value_halted_usd > 0.0 || c.peak_stranded_trucks > 0.0)
            .collect();
        crossings.sort_by(|a, b| {
            b.trade_value_halted_usd
                .total_cmp(&a.trade_value_halted_usd)
        });
        if !crossings.is_empty() {
            let rows: Vec<Vec<String>> = crossings
                .iter()
                .map(|c| {
                    vec![
                        esc(&c.link),
                        money(c.trade_value_halted_usd),
                        whole(c.peak_stranded_trucks),
                        whole(c.stranded_truck_days),
                        c.closed_days.to_string(),
                    ]
                })
                .collect();
            s.push_str(&table(
                "crossings with trade halted",
                &[
                    "crossing",
                    "trade_value_halted_usd",
                    "peak_stranded_trucks",
                    "stranded_truck_days",
                    "closed_days",
                ],
                &rows,
            ));
        }
        s
    }

    /// Show [`RunMetrics::to_html`] in a Rust notebook (evcxr).
    pub fn evcxr_display(&self) {
        show(&self.to_html());
    }
}

impl RunReport {
    /// The run's metrics as HTML ([`RunMetrics::to_html`]), with the days recorded.
    pub fn to_html(&self) -> String {
        let mut s = self.metrics.to_html();
        if let Some(d) = &self.daily {
            let peak_day = d
                .stranded_trucks
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map_or(0, |(i, _)| i);
            let rows = vec![vec![
                d.stranded_trucks.len().to_string(),
                peak_day.to_string(),
                money(d.delivered_usd.iter().sum()),
                money(d.counterfactual_delivered_usd.iter().sum()),
            ]];
            s.push_str(&table(
                "daily series",
                &[
                    "days",
                    "day of peak stranded trucks",
                    "delivered_usd",
                    "counterfactual_delivered_usd",
                ],
                &rows,
            ));
        }
        s
    }

    /// Show [`RunReport::to_html`] in a Rust notebook (evcxr).
    pub fn evcxr_display(&self) {
        show(&self.to_html());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_and_has_every_row() {
        assert_eq!(esc("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
        let m = RunMetrics {
            total_loss_usd: 2.5e6,
            welfare_loss_usd: 1.25e6,
            days_to_recover: Some(12),
            ..RunMetrics::default()
        };
        let h = m.to_html();
        assert_eq!(h.matches("<tr>").count(), 13, "header + 12 totals");
        assert!(h.contains("USD 2.50 m") && h.contains(">12<"));
        assert!(h.contains("welfare_loss_usd") && h.contains("USD 1.25 m"));
    }
}
