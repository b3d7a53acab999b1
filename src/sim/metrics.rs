//! What one run reports: the loss components kept apart, per crossing, per corridor,
//! per product and per partner country, and daily series.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Metrics of one crossing (a link where cargo queues) over a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CrossingMetrics {
    /// Link id.
    pub link: String,
    /// Value of trade that did not cross here when planned, USD (shortfall against the
    /// counterfactual, summed over days).
    pub trade_value_halted_usd: f64,
    /// The part of `trade_value_halted_usd` on days when a closure held this link below
    /// full capacity (divide by `closed_days` for the "daily losses" the news quotes;
    /// the rest is halted after reopening, while traders react and queues drain).
    pub halted_while_closed_usd: f64,
    /// Days on which a closure held this link below full capacity.
    pub closed_days: u32,
    /// Most trucks queued here on any day.
    pub peak_stranded_trucks: f64,
    /// Trucks queued here, summed over days (truck-days).
    pub stranded_truck_days: f64,
}

/// Metrics of one corridor over a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CorridorMetrics {
    /// Corridor id.
    pub corridor: String,
    /// Days on which any of its links ran below full capacity because of a closure.
    pub closure_days: u32,
    /// Tonnes that crossed it (entered its links), t.
    pub delivered_t: f64,
    /// Value of what crossed it, USD.
    pub delivered_usd: f64,
    /// The same in the counterfactual, t.
    pub counterfactual_t: f64,
    /// The same in the counterfactual, USD.
    pub counterfactual_usd: f64,
}

/// A run's order book over the days it covers (window and run-out), tonnes:
/// `at_start_t + placed_t = served_t + lapsed_t + open_at_end_t`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderBook {
    /// Open at the start of day 0 (the steady start's backlog).
    pub at_start_t: f64,
    /// Placed on the days the run covers.
    pub placed_t: f64,
    /// Served: cargo dispatched against them (delivered, under way, or lost on the way).
    pub served_t: f64,
    /// Lapsed unserved after `order_patience_days` (lost trade).
    pub lapsed_t: f64,
    /// Still open at the run's end.
    pub open_at_end_t: f64,
}

/// Delivered trade of one product or partner, actual and counterfactual.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Delivered {
    /// Delivered, t.
    pub t: f64,
    /// Delivered value (at the product's value), USD.
    pub usd: f64,
    /// Counterfactual delivered, t.
    pub counterfactual_t: f64,
    /// Counterfactual delivered value, USD.
    pub counterfactual_usd: f64,
}

/// A country's share of a run's welfare loss and lost trade (as buyer or as seller).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CountryWelfare {
    /// Its part of [`RunMetrics::welfare_loss_usd`], USD.
    pub welfare_loss_usd: f64,
    /// Its part of [`RunMetrics::lost_trade_usd`], USD.
    pub lost_trade_usd: f64,
}

/// The metrics of one run: losses are differences from the counterfactual (the same
/// scenario with no closures). All USD unless the name says otherwise.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunMetrics {
    /// Value of trade that did not cross when planned (what the news calls "daily
    /// losses", summed over the run): the shortfall of crossings' daily traded value
    /// against the counterfactual.
    pub trade_value_halted_usd: f64,
    /// Extra freight and charges of the routes taken over the counterfactual's.
    pub reroute_cost_usd: f64,
    /// Extra holding cost of transit and waiting days.
    pub delay_cost_usd: f64,
    /// Extra value lost by perishables (partial losses while waiting, and whole loads
    /// past their shelf life).
    pub spoilage_usd: f64,
    /// Extra value of trade that never happened (orders lost, cargo abandoned).
    pub lost_trade_usd: f64,
    /// reroute + delay + spoilage + lost trade.
    pub total_loss_usd: f64,
    /// The lost gains from trade (the welfare loss): the extra cost (origin price,
    /// freight and charges, holding, spoilage) of the trade that did happen over the
    /// counterfactual's cost per tonne, plus the gains forgone on the trade that did not
    /// (buyer's value − the counterfactual's cost per tonne on orders lost; the buyer's
    /// value on cargo lost on the way, less its spoilage already counted). It counts
    /// surplus, where `total_loss_usd` counts the goods' full value (docs/model.md).
    pub welfare_loss_usd: f64,
    /// The welfare loss and lost trade per country of the buyer (each sums to the total).
    pub welfare_by_buyer: BTreeMap<String, CountryWelfare>,
    /// The welfare loss and lost trade per country of the seller (the origin), each
    /// demand's split in proportion to the counterfactual's tonnes sent to it from each
    /// origin country (each sums to the total).
    pub welfare_by_seller: BTreeMap<String, CountryWelfare>,
    /// Border charges not collected, per country (reported beside the total, not added).
    pub revenue_lost_usd: BTreeMap<String, f64>,
    /// Most trucks queued at all crossings together on any day.
    pub peak_stranded_trucks: f64,
    /// Trucks queued at all crossings, summed over days.
    pub stranded_truck_days: f64,
    /// Days from the end of the last closure until queues and the order backlog are back
    /// to the counterfactual's; `None` when nothing closed or they never recover within
    /// the simulated window.
    pub days_to_recover: Option<u32>,
    /// Days the run went on after the window (the run-out) until its queues, cargo and
    /// open orders were back to the counterfactual's: 0 when they were by the window's
    /// end. Every other metric covers the window and these days.
    pub runout_days: u32,
    /// Whether the run-out reached `runout_max_days` before the run was back to the
    /// counterfactual (its losses are then cut off there).
    pub runout_capped: bool,
    /// Orders the run still held open at its end beyond the counterfactual's, tonnes (0
    /// unless the run-out was capped). They are counted as lost trade at the cap: in
    /// `lost_trade_usd` (at the product's value) and the welfare loss.
    #[serde(default)]
    pub runout_open_t: f64,
    /// Their value at the product's value, USD (in `lost_trade_usd`).
    #[serde(default)]
    pub runout_open_usd: f64,
    /// Orders not placed because the landed price rose above the counterfactual's, beyond
    /// the counterfactual's, tonnes (negative when prices fell and more were placed; 0
    /// unless a product has a `demand_elasticity`). Counted in `lost_trade_usd` ...
    #[serde(default)]
    pub demand_forgone_t: f64,
    /// ... at the product's value, USD; the welfare loss counts the buyers' surplus on
    /// them instead (docs/model.md, "Demand answers the landed price").
    #[serde(default)]
    pub demand_forgone_usd: f64,
    /// The run's order book over the days it covers: every tonne ordered is served,
    /// lapsed, or open at the end.
    #[serde(default)]
    pub orders: OrderBook,
    /// Per crossing.
    pub crossings: Vec<CrossingMetrics>,
    /// Per corridor.
    pub corridors: Vec<CorridorMetrics>,
    /// Delivered trade per product id.
    pub by_product: BTreeMap<String, Delivered>,
    /// Delivered trade per partner country (the other country of the trade).
    pub by_partner: BTreeMap<String, Delivered>,
    /// Price impacts per market and supply point (see [`PriceMetrics`]).
    pub prices: Vec<PriceMetrics>,
}

/// The price impact at one market or supply point over a run: the run's price against
/// the counterfactual's, day by day (`docs/model.md`, "Prices"). USD/t.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PriceMetrics {
    /// Product id.
    pub product: String,
    /// Node id.
    pub node: String,
    /// `market` (the marginal landed cost at a demand market, at most the buyer's value)
    /// or `farm_gate` (the value of one more tonne at a supply point, at least the origin
    /// price).
    pub side: String,
    /// The counterfactual's price, averaged over the window's days, USD/t.
    pub counterfactual_mean_usd_per_t: f64,
    /// The change (run − counterfactual) averaged over the days the run covers (its
    /// window and its run-out), USD/t.
    pub mean_change_usd_per_t: f64,
    /// The change of largest magnitude on any day (signed: a market's price rises, a
    /// farm gate's falls), USD/t; 0 when the price never changed.
    pub peak_change_usd_per_t: f64,
    /// The first day of the peak change (`None` when the price never changed).
    pub peak_day: Option<u32>,
}

/// One price point's daily series: the run's and the counterfactual's price.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PriceDaily {
    /// Product id.
    pub product: String,
    /// Node id.
    pub node: String,
    /// `market` or `farm_gate` (see [`PriceMetrics::side`]).
    pub side: String,
    /// The run's price each day, USD/t.
    pub price_usd_per_t: Vec<f64>,
    /// The counterfactual's price each day, USD/t.
    pub counterfactual_usd_per_t: Vec<f64>,
}

/// Daily series of a run (recorded on request).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DailySeries {
    /// Days of the window: days from this index on are the run's run-out.
    pub window_days: u32,
    /// Trucks queued at all crossings at the end of each day.
    pub stranded_trucks: Vec<f64>,
    /// Value delivered each day, USD.
    pub delivered_usd: Vec<f64>,
    /// Counterfactual value delivered each day, USD.
    pub counterfactual_delivered_usd: Vec<f64>,
    /// Per corridor (same order as the scenario's corridors), per day: capacity factor
    /// (the lowest of its links), tonnes that entered its links, trucks queued at its
    /// crossings.
    pub corridors: Vec<CorridorDaily>,
    /// Per product (scenario order), per day: tonnes delivered and tonnes of open orders.
    pub products: Vec<ProductDaily>,
    /// Per crossing link (scenario order), per day: trucks queued at the end of the day.
    pub crossings: Vec<CrossingDaily>,
    /// Per price point (per product: its markets, then its supply points), per day: the
    /// run's and the counterfactual's price.
    pub prices: Vec<PriceDaily>,
}

/// One crossing's daily series.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CrossingDaily {
    /// Link id.
    pub link: String,
    /// Trucks queued at the end of each day (both directions).
    pub queue_trucks: Vec<f64>,
}

/// One corridor's daily series.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CorridorDaily {
    /// Corridor id.
    pub corridor: String,
    /// Capacity factor per day.
    pub capacity_factor: Vec<f64>,
    /// Tonnes that entered its links per day.
    pub flow_t: Vec<f64>,
    /// Trucks queued at its crossings at the end of each day.
    pub queue_trucks: Vec<f64>,
}

/// One product's daily series.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductDaily {
    /// Product id.
    pub product: String,
    /// Tonnes delivered per day.
    pub delivered_t: Vec<f64>,
    /// Tonnes of open (unmet) orders at the end of each day.
    pub open_orders_t: Vec<f64>,
    /// Tonnes in transit, queued or waiting at the end of each day.
    pub in_system_t: Vec<f64>,
}

/// What `Engine::run` returns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// The run's metrics (differences from the counterfactual).
    pub metrics: RunMetrics,
    /// Daily series, when asked for.
    pub daily: Option<DailySeries>,
}

impl RunReport {
    /// Whether `other` is this report up to rounding: every number within `rel` of the
    /// larger magnitude (or within `abs`), everything else equal. On a difference, says
    /// where (e.g. `report.metrics.crossings[2].closed_days: 3 vs 4`). Used to check that
    /// two ways of computing a run agree (e.g. [`Engine::run`](crate::sim::Engine::run)
    /// against [`Engine::run_observed`](crate::sim::Engine::run_observed)).
    ///
    /// # Errors
    /// The first difference found, as text.
    pub fn close_to(&self, other: &RunReport, rel: f64, abs: f64) -> Result<(), String> {
        fn walk(
            a: &serde_json::Value,
            b: &serde_json::Value,
            at: &str,
            rel: f64,
            abs: f64,
        ) -> Result<(), String> {
            use serde_json::Value as V;
            match (a, b) {
                (V::Number(x), V::Number(y)) => {
                    let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
                    if (x - y).abs() <= rel * x.abs().max(y.abs()) + abs {
                        Ok(())
                    } else {
                        Err(format!("{at}: {x} vs {y}"))
                    }
                }
                (V::Array(x), V::Array(y)) if x.len() == y.len() => x
                    .iter()
                    .zip(y)
                    .enumerate()
                    .try_for_each(|(i, (x, y))| walk(x, y, &format!("{at}[{i}]"), rel, abs)),
                (V::Object(x), V::Object(y)) if x.len() == y.len() => {
                    x.iter().try_for_each(|(k, v)| match y.get(k) {
                        Some(w) => walk(v, w, &format!("{at}.{k}"), rel, abs),
                        None => Err(format!("{at}.{k} missing")),
                    })
                }
                _ if a == b => Ok(()),
                _ => Err(format!("{at}: {a} vs {b}")),
            }
        }
        let a = serde_json::to_value(self).map_err(|e| e.to_string())?;
        let b = serde_json::to_value(other).map_err(|e| e.to_string())?;
        walk(&a, &b, "report", rel, abs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_to_tells_rounding_from_differences() {
        let mut a = RunReport::default();
        a.metrics.total_loss_usd = 1.0e9;
        a.metrics.crossings.push(CrossingMetrics {
            link: "x".into(),
            closed_days: 3,
            ..Default::default()
        });
        let mut b = a.clone();
        assert_eq!(a.close_to(&b, 1e-9, 1e-6), Ok(()));
        b.metrics.total_loss_usd += 0.5; // 5e-10 relative
        assert_eq!(a.close_to(&b, 1e-9, 1e-6), Ok(()));
        b.metrics.total_loss_usd += 10.0;
        let e = a.close_to(&b, 1e-9, 1e-6).unwrap_err();
        assert!(e.starts_with("report.metrics.total_loss_usd"), "{e}");
        let mut c = a.clone();
        c.metrics.crossings[0].link = "y".into();
        assert!(a.close_to(&c, 1.0, 1.0).is_err());
        let mut d = a.clone();
        d.daily = Some(DailySeries::default());
        assert!(a.close_to(&d, 1.0, 1.0).is_err());
    }
}
