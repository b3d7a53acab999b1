//! The scenario as the engine reads it: link directions ("darcs"), countries and trade
//! pairs, products in routing order, and supply and demand per period (month and trade
//! levels), in integer units.
//! Built once per engine; nothing here changes during a run.

use std::collections::HashMap;

use crate::network::seasonal_factor;
use crate::scenario::Scenario;

use super::beliefs::Beliefs;
use super::points::Points;

pub(super) use super::units::{tonnes, units};
pub use super::units::{COST_SCALE, UNITS_PER_T};

/// One direction of a link (a *darc*): a `both_ways` link has two, closing together.
#[derive(Debug, Clone)]
pub(super) struct Darc {
    pub(super) link: u32,
    pub(super) forward: bool,
    pub(super) from: u32,
    pub(super) to: u32,
    pub(super) transit: f64,
    /// Freight + border charges for this direction, USD/t.
    pub(super) paid_usd_per_t: f64,
    /// Crossing slot of its link (`u32::MAX` if not a crossing).
    pub(super) slot: u32,
}

/// What does not change between runs of one scenario.
pub(super) struct Network {
    /// Days of the window (`settings.days`).
    pub(super) window: u32,
    /// Days simulated at most: the window and the longest run-out after it.
    pub(super) horizon: u32,
    pub(super) darcs: Vec<Darc>,
    /// Outgoing darcs per node.
    pub(super) out: Vec<Vec<u32>>,
    /// Darcs of each link (forward first).
    pub(super) link_darcs: Vec<Vec<u32>>,
    /// Links that strand trucks when they queue, in slot order.
    pub(super) crossing_links: Vec<usize>,
    pub(super) countries: Vec<String>,
    pub(super) node_country: Vec<u32>,
    /// Trade pairs `origin->destination` (country names).
    pub(super) pairs: Vec<String>,
    pub(super) pair_index: HashMap<(u32, u32), u32>,
    /// Products in routing order (descending priority).
    pub(super) order: Vec<usize>,
    /// Period of each day of the horizon: the row of `supply_units` and `demand_units`
    /// that holds its units. A period is a distinct (calendar month, set of trade levels
    /// in force) pair, so without `[[trade_level]]`s it is the month.
    pub(super) period: Vec<u32>,
    /// Charges per darc: (country index, USD/t).
    pub(super) darc_charges: Vec<Vec<(u32, f64)>>,
    /// Corridors each link belongs to.
    pub(super) link_corridors: Vec<Vec<u32>>,
    /// Expansions of each link (indices into the scenario's expansions).
    pub(super) link_expansions: Vec<Vec<usize>>,
    /// Links whose capacity without closures changes from day to day (an expansion or
    /// a seasonal closure): their capacity is recomputed every day.
    pub(super) varying_links: Vec<u32>,
    /// Per link: the factor of the seasonal closures on each day of the horizon (empty
    /// for a link no seasonal closure covers: 1 every day).
    pub(super) seasonal: Vec<Vec<f64>>,
    /// Demands of each product.
    pub(super) product_demands: Vec<Vec<usize>>,
    /// Per demand: holding cost per unit (0.01 t) per day, USD.
    pub(super) demand_holding: Vec<f64>,
    /// Per product: value, USD/t.
    pub(super) value: Vec<f64>,
    /// Units supplied per day by each supply, per period: `[period][supply]`.
    pub(super) supply_units: Vec<Vec<i64>>,
    /// Units ordered per day at each demand, per period: `[period][demand]`.
    pub(super) demand_units: Vec<Vec<i64>>,
    /// Product of each demand.
    pub(super) demand_product: Vec<usize>,
    /// Reaction lag of each link, days: the shortest of its corridors' `reaction_days`,
    /// the scenario's when none states one.
    pub(super) link_lag: Vec<u32>,
    /// Reaction lag of each darc (its link's).
    pub(super) darc_lag: Vec<u32>,
    /// The longest reaction lag of any link.
    pub(super) max_lag: u32,
    /// What traders believe about the closures of each link (see `beliefs.rs`).
    pub(super) beliefs: Beliefs,
    /// The price points (markets and supply points per product; `points.rs`).
    pub(super) prices: Points,
    /// Per demand: the elasticity of its orders against the landed price (its
    /// product's `demand_elasticity`), and the price point of its market.
    pub(super) elasticity: Vec<f64>,
    pub(super) demand_point: Vec<usize>,
    /// Whether any demand's orders answer the landed price (an elasticity ≠ 0): runs
    /// then keep each demand's last market price in their state.
    pub(super) elastic: bool,
}

impl Network {
    /// Link `l`'s capacity on `day` without closures, t/day: its base capacity, the
    /// expansions ramped in by `day`, times its seasonal factor (`docs/model.md`,
    /// "Seasonal closures"). Runs and the counterfactual share it.
    pub(super) fn normal_capacity_t(&self, scn: &Scenario, l: usize, day: i64) -> f64 {
        let t = scn.links[l].capacity_t_per_day
            + self.link_expansions[l]
                .iter()
                .map(|&e| scn.expansions[e].extra_on(day))
                .sum::<f64>();
        match usize::try_from(day)
            .ok()
            .and_then(|d| self.seasonal[l].get(d))
        {
            Some(&f) => t * f,
            None => t,
        }
    }

    /// Prepare the arrays of a checked scenario.
    pub(super) fn new(scn: &Scenario) -> Network {
        let points = Points::of(scn);
        let mut countries: Vec<String> = Vec::new();
        let mut cidx: HashMap<String, u32> = HashMap::new();
        let mut country_of = |c: &str, countries: &mut Vec<String>| -> u32 {
            if let Some(&i) = cidx.get(c) {
                return i;
            }
            let i = countries.len() as u32;
            countries.push(c.to_string());
            cidx.insert(c.to_string(), i);
            i
        };
        let node_country: Vec<u32> = scn
            .nodes
            .iter()
            .map(|n| country_of(&n.country, &mut countries))
            .collect();
        let crossing_links: Vec<usize> = (0..scn.links.len())
            .filter(|&l| scn.links[l].crossing)
            .collect();
        let mut slot_of_link = vec![u32::MAX; scn.links.len()];
        for (slot, &l) in crossing_links.iter().enumerate() {
            slot_of_link[l] = slot as u32;
        }
        let mut darcs = Vec::new();
        let mut darc_charges = Vec::new();
        let mut link_darcs = vec![Vec::new(); scn.links.len()];
        for (l, link) in scn.links.iter().enumerate() {
            let dirs: &[bool] = if link.both_ways {
                &[true, false]
            } else {
                &[true]
            };
            for &fwd in dirs {
                let (from, to) = if fwd {
                    (link.from.0, link.to.0)
                } else {
                    (link.to.0, link.from.0)
                };
                link_darcs[l].push(darcs.len() as u32);
                darcs.push(Darc {
                    link: l as u32,
                    forward: fwd,
                    from,
                    to,
                    transit: link.transit_days,
                    paid_usd_per_t: link.cost_usd_per_t + link.charge_usd_per_t(fwd),
                    slot: slot_of_link[l],
                });
                darc_charges.push(
                    link.charges
                        .iter()
                        .filter(|c| c.direction.applies(fwd))
                        .map(|c| (country_of(&c.country, &mut countries), c.usd_per_t))
                        .collect(),
                );
            }
        }
        let mut out = vec![Vec::new(); scn.nodes.len()];
        for (i, a) in darcs.iter().enumerate() {
            out[a.from as usize].push(i as u32);
        }
        let mut order: Vec<usize> = (0..scn.products.len()).collect();
        order.sort_by_key(|&p| (std::cmp::Reverse(scn.products[p].priority), p));
        let window = scn.settings.days;
        let horizon = window + scn.settings.runout_max_days;
        let month = (0..horizon)
            .map(|d| {
                use chrono::Datelike;
                scn.date_of(i64::from(d)).month0() as u8
            })
            .collect();
        let mut link_corridors = vec![Vec::new(); scn.links.len()];
        for (c, cor) in scn.corridors.iter().enumerate() {
            for l in &cor.links {
                link_corridors[l.index()].push(c as u32);
            }
        }
        let link_lag: Vec<u32> = link_corridors
            .iter()
            .map(|cs| {
                cs.iter()
                    .filter_map(|&c| scn.corridors[c as usize].reaction_days)
                    .min()
                    .unwrap_or(scn.settings.reaction_days)
            })
            .collect();
        let darc_lag = darcs.iter().map(|a| link_lag[a.link as usize]).collect();
        let max_lag = link_lag
            .iter()
            .copied()
            .fold(scn.settings.reaction_days, u32::max);
        let beliefs = Beliefs::new(scn, &link_corridors, horizon + max_lag);
        let mut link_expansions = vec![Vec::new(); scn.links.len()];
        for (i, e) in scn.expansions.iter().enumerate() {
            link_expansions[e.link.index()].push(i);
        }
        let seasonal: Vec<Vec<f64>> = (0..scn.links.len())
            .map(|l| {
                let link = crate::network::LinkId(l as u32);
                let covered = scn
                    .seasonal
                    .iter()
                    .any(|w| scn.target_links(&w.target).contains(&link));
                if covered {
                    (0..i64::from(horizon))
                        .map(|d| scn.seasonal_factor(link, d))
                        .collect()
                } else {
                    Vec::new()
                }
            })
            .collect();
        let varying_links = (0..scn.links.len())
            .filter(|&l| !link_expansions[l].is_empty() || !seasonal[l].is_empty())
            .map(|l| l as u32)
            .collect();
        let mut product_demands = vec![Vec::new(); scn.products.len()];
        for (k, d) in scn.demands.iter().enumerate() {
            product_demands[d.product.index()].push(k);
        }
        let demand_holding = scn
            .demands
            .iter()
            .map(|d| {
                let p = &scn.products[d.product.index()];
                p.value_usd_per_t * p.holding_cost_per_day / UNITS_PER_T
            })
            .collect();
        let Periods {
            of_day: month,
            supply_units,
            demand_units,
        } = Periods::new(scn, month);
        // Every (origin country, destination country) pair a product could trade.
        let mut pairs = Vec::new();
        let mut pair_index = HashMap::new();
        for s in &scn.supplies {
            for d in scn.demands.iter().filter(|d| d.product == s.product) {
                let key = (node_country[s.node.index()], node_country[d.node.index()]);
                pair_index.entry(key).or_insert_with(|| {
                    pairs.push(format!(
                        "{}->{}",
                        countries[key.0 as usize], countries[key.1 as usize]
                    ));
                    (pairs.len() - 1) as u32
                });
            }
        }
        Network {
            window,
            horizon,
            darcs,
            out,
            link_darcs,
            crossing_links,
            countries,
            node_country,
            pairs,
            pair_index,
            order,
            period: month,
            darc_charges,
            link_corridors,
            link_expansions,
            varying_links,
            seasonal,
            product_demands,
            demand_holding,
            value: scn.products.iter().map(|p| p.value_usd_per_t).collect(),
            supply_units,
            demand_units,
            demand_product: scn.demands.iter().map(|d| d.product.index()).collect(),
            link_lag,
            darc_lag,
            max_lag,
            beliefs,
            elasticity: scn
                .demands
                .iter()
                .map(|d| scn.products[d.product.index()].demand_elasticity)
                .collect(),
            demand_point: scn
                .demands
                .iter()
                .map(|d| market_point(&points, d))
                .collect(),
            elastic: scn
                .demands
                .iter()
                .any(|d| scn.products[d.product.index()].demand_elasticity != 0.0),
            prices: points,
        }
    }
}

/// The index of demand `d`'s market among the price `points`.
fn market_point(points: &Points, d: &crate::network::Demand) -> usize {
    let p = d.product.index();
    (points.offset[p]..points.offset[p + 1])
        .find(|&i| {
            let pt = &points.points[i];
            pt.side == super::points::Side::Market && pt.node as usize == d.node.index()
        })
        .unwrap_or(points.offset[p])
}

/// Units per day of every supply and demand, per period, and the period of each day.
struct Periods {
    of_day: Vec<u32>,
    supply_units: Vec<Vec<i64>>,
    demand_units: Vec<Vec<i64>>,
}

impl Periods {
    /// Periods of the days `0..months.len()` (`months[d]`: the 0-based calendar month of
    /// day `d`): each distinct (month, trade levels in force) pair is one period, whose
    /// units are `t_per_day` x the month's seasonal factor x the product of the levels
    /// that select the supply or demand ([`Scenario::level_factor`] on the period's first
    /// day). Built once per engine, so a day's lookup stays two indexings however many
    /// levels there are.
    fn new(scn: &Scenario, months: Vec<u8>) -> Periods {
        let mut index: HashMap<(u8, Vec<u32>), u32> = HashMap::new();
        // Per period: its month and first day.
        let mut first: Vec<(u8, chrono::NaiveDate)> = Vec::new();
        let mut of_day = Vec::with_capacity(months.len());
        for (d, m) in months.into_iter().enumerate() {
            let date = scn.date_of(d as i64);
            let in_force: Vec<u32> = (0..scn.trade_levels.len() as u32)
                .filter(|&i| scn.trade_levels[i as usize].applies_on(date))
                .collect();
            let next = first.len() as u32;
            let p = *index.entry((m, in_force)).or_insert(next);
            if p == next {
                first.push((m, date));
            }
            of_day.push(p);
        }
        let table = |n: usize, supply: bool, t: &dyn Fn(usize, usize) -> f64| -> Vec<Vec<i64>> {
            first
                .iter()
                .map(|&(m, date)| {
                    (0..n)
                        .map(|i| units(t(i, usize::from(m)) * scn.level_factor(supply, i, date)))
                        .collect()
                })
                .collect()
        };
        let supply_units = table(scn.supplies.len(), true, &|i, m| {
            let x = &scn.supplies[i];
            x.t_per_day * seasonal_factor(&x.seasonality, m)
        });
        let demand_units = table(scn.demands.len(), false, &|i, m| {
            let x = &scn.demands[i];
            x.t_per_day * seasonal_factor(&x.seasonality, m)
        });
        Periods {
            of_day,
            supply_units,
            demand_units,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The period table gives every day exactly what the plain per-day formula gives:
    /// `t_per_day` x the day's seasonal factor x the levels in force that day. On a replay
    /// that spans a change of levels (2023 -> 2024) and a scenario without levels.
    #[test]
    fn period_table_equals_the_per_day_formula() {
        use chrono::Datelike;
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
        for file in ["afghanistan/history/chaman_2023_10.toml", "twoland.toml"] {
            let scn = crate::scenario::load(format!("{dir}/{file}")).unwrap();
            let net = Network::new(&scn);
            assert_eq!(net.period.len(), net.horizon as usize);
            let mut seen_levels = false;
            for (d, &p) in net.period.iter().enumerate() {
                let date = scn.date_of(d as i64);
                let m = date.month0() as usize;
                for (i, x) in scn.supplies.iter().enumerate() {
                    let f = scn.level_factor(true, i, date);
                    seen_levels |= f != 1.0;
                    let want = units(x.t_per_day * seasonal_factor(&x.seasonality, m) * f);
                    assert_eq!(
                        net.supply_units[p as usize][i], want,
                        "{file} day {d} supply {i}"
                    );
                }
                for (i, x) in scn.demands.iter().enumerate() {
                    let f = scn.level_factor(false, i, date);
                    let want = units(x.t_per_day * seasonal_factor(&x.seasonality, m) * f);
                    assert_eq!(
                        net.demand_units[p as usize][i], want,
                        "{file} day {d} demand {i}"
                    );
                }
            }
            // The replay crosses 2023-12-31: levels in force, then none.
            assert_eq!(seen_levels, !scn.trade_levels.is_empty(), "{file}");
            // Without levels, a period is a month: at most 12.
            if scn.trade_levels.is_empty() {
                assert!(net.supply_units.len() <= 12);
            }
        }
    }
}
