//! Integration tests: the welfare loss (the lost gains from trade). Hand-computed
//! one-market cases (the arithmetic is in the comments), and property tests of how it
//! splits by country. That the fast path gives the reference's welfare figures is part
//! of `sim::fast_path_equals_the_reference` (it compares whole reports).

use chokepoint::network::{Link, Perishability, Product};
use chokepoint::scenario::Scenario;
use chokepoint::sim::{Engine, Record, RunMetrics};
use proptest::prelude::*;

use crate::sim::{corridor, demand, link, node, product, random_case_with, scenario, shut, supply};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * (1.0 + a.abs().max(b.abs()))
}

/// One origin `a` (country X, 1,000 t/day at 100 USD/t), one market `b` (country Y,
/// 100 t/day of orders at a buyer's value of 800 USD/t; the goods are worth 1,000 USD/t),
/// one crossing a -> b (200 t/day, 10 USD/t, 1 day), holding 0.1 %/day (1 USD/t/day).
/// Orders wait 3 days; traders see a closure at once.
fn one_market() -> Scenario {
    let mut s = scenario(
        vec![node("a", "X"), node("b", "Y")],
        vec![Link {
            crossing: true,
            ..link("border", 0, 1, 200.0, 10.0, 1.0)
        }],
        vec![corridor("border", &[0])],
    );
    s.settings.order_patience_days = 3;
    s.products = vec![Product {
        holding_cost_per_day: 0.001,
        ..product("goods", 1000.0)
    }];
    s.supplies = vec![supply(0, 0, 1000.0, 100.0)];
    s.demands = vec![demand(0, 1, 100.0, 800.0)];
    s
}

/// The border shut on days 10..=14. The counterfactual sends 100 t a day; each tonne
/// costs origin 100 + freight 10 + holding 1 (one evening in transit) = 111 USD/t.
///
/// Orders of days 10, 11, 12 expire unserved at the start of days 13, 14, 15 (placed
/// day d, lost on day d + 3). On day 15 the border reopens: its 200 t serve the newest
/// open orders, days 15 and 14 (day 14's served late); day 13's lapses at the start of
/// day 16, which serves its own orders; from day 16 the run is the counterfactual: 400 t
/// of lost trade. The trade that did happen cost what it cost in the counterfactual (111
/// USD/t): no extra route cost.
///
/// - lost trade (full value) = 400 t x 1,000 = 400,000 USD = total loss;
/// - welfare loss = 400 t x (800 - 111) = 275,600 USD: the buyer's value less what the
///   trade would have cost. Orders served late lose nothing (the buyer's value does not
///   fall while an order waits).
///
/// All of it is Y's as buyer and X's as seller.
#[test]
fn one_market_lost_and_late() {
    let s = one_market();
    let mut e = Engine::new(&s).unwrap();
    let m = e.run(&[shut(0, 10, 5)], Record::Totals).unwrap().metrics;
    assert!(close(m.lost_trade_usd, 400_000.0), "{}", m.lost_trade_usd);
    assert!(close(m.total_loss_usd, 400_000.0), "{}", m.total_loss_usd);
    assert!(close(m.reroute_cost_usd, 0.0) && close(m.delay_cost_usd, 0.0));
    assert!(
        close(m.welfare_loss_usd, 275_600.0),
        "{}",
        m.welfare_loss_usd
    );
    for (side, map) in [
        ("buyer", &m.welfare_by_buyer),
        ("seller", &m.welfare_by_seller),
    ] {
        let c = if side == "buyer" { "Y" } else { "X" };
        assert_eq!(map.len(), 1, "{side}: {map:?}");
        assert!(close(map[c].welfare_loss_usd, 275_600.0), "{side}: {map:?}");
        assert!(close(map[c].lost_trade_usd, 400_000.0), "{side}: {map:?}");
    }
}

/// Without holding cost and at an origin price of 0, a lost tonne is worth its buyer's
/// value in both measures only when that equals the goods' value: here 800 vs 1,000, so
/// the welfare loss is 400 t x (800 - 10) = 316,000 USD (freight 10 USD/t still paid in
/// the counterfactual), below the 400,000 USD of lost trade.
#[test]
fn one_market_free_goods() {
    let mut s = one_market();
    s.products[0].holding_cost_per_day = 0.0;
    s.supplies[0].price_usd_per_t = 0.0;
    let mut e = Engine::new(&s).unwrap();
    let m = e.run(&[shut(0, 10, 5)], Record::Totals).unwrap().metrics;
    assert!(
        close(m.welfare_loss_usd, 316_000.0),
        "{}",
        m.welfare_loss_usd
    );
}

/// Cargo spoiled whole on the way (the case of `sim::perishable_spoils_whole_past_shelf_life`:
/// a -(road 5 USD/t, 1 day)-> m -(border 5 USD/t, 200 t/day)-> b, origin price 100,
/// goods and buyer's value 1,000 USD/t, border shut days 10..=14, reaction lag 2 days).
/// The counterfactual pays 100 + 5 + 5 = 110 USD/t and spoils nothing (one day in
/// transit, grace 2 days). In the run the day-9 lot (100 t) paid the road (5 USD/t),
/// queued, decayed 0.3 and spoiled whole; the other lots decayed 0.3 and 0.2; no order is
/// lost, and every order is dispatched once, as in the counterfactual.
///
/// - extra cost of the trade that happened: spoilage 80,000 USD (all lots, the spoiled
///   one's 30,000 included) and freight -500 USD (the spoiled lot never paid the border);
/// - trade that did not happen: the spoiled lot, at the buyer's value less the spoilage
///   already counted: 100 t x 1,000 - 30,000 = 70,000 USD (its remaining value).
///
/// Welfare loss = 80,000 - 500 + 70,000 = 149,500 USD, equal to the total loss (spoilage
/// 80,000 + lost trade 70,000 + reroute -500): with the buyer's value equal to the
/// goods' value and no order lost, the two measures agree.
#[test]
fn cargo_spoiled_whole() {
    let mut s = scenario(
        vec![node("a", "X"), node("m", "X"), node("b", "Y")],
        vec![
            link("road", 0, 1, 10_000.0, 5.0, 1.0),
            Link {
                crossing: true,
                ..link("border", 1, 2, 200.0, 5.0, 0.0)
            },
        ],
        vec![corridor("border", &[1])],
    );
    s.settings.reaction_days = 2;
    s.products = vec![Product {
        perishability: Some(Perishability {
            grace_days: 2.0,
            loss_per_day: 0.1,
            shelf_life_days: 5.0,
        }),
        ..product("goods", 1000.0)
    }];
    s.supplies = vec![supply(0, 0, 1000.0, 100.0)];
    s.demands = vec![demand(0, 2, 100.0, 1000.0)];
    let mut e = Engine::new(&s).unwrap();
    let m = e.run(&[shut(0, 10, 5)], Record::Totals).unwrap().metrics;
    assert!(close(m.spoilage_usd, 80_000.0), "{}", m.spoilage_usd);
    assert!(close(m.lost_trade_usd, 70_000.0), "{}", m.lost_trade_usd);
    assert!(close(m.reroute_cost_usd, -500.0), "{}", m.reroute_cost_usd);
    assert!(
        close(m.welfare_loss_usd, 149_500.0),
        "{}",
        m.welfare_loss_usd
    );
    assert!(close(m.total_loss_usd, 149_500.0), "{}", m.total_loss_usd);
}

/// The per-country tables each sum to the run's totals (welfare loss and lost trade).
fn tables_sum_to_totals(m: &RunMetrics) -> Result<(), String> {
    // The totals are differences of gross sums (the counterfactual's and the run's),
    // so their rounding scales with the trade's gross value, not with the difference.
    let gross: f64 = m
        .by_product
        .values()
        .map(|d| d.counterfactual_usd.abs())
        .sum();
    let near =
        |a: f64, b: f64| (a - b).abs() <= 1e-7 * (1.0 + a.abs().max(b.abs())) + 1e-12 * gross;
    for (side, map) in [
        ("buyer", &m.welfare_by_buyer),
        ("seller", &m.welfare_by_seller),
    ] {
        let w: f64 = map.values().map(|c| c.welfare_loss_usd).sum();
        let l: f64 = map.values().map(|c| c.lost_trade_usd).sum();
        if !near(w, m.welfare_loss_usd) {
            return Err(format!("{side}: welfare {w} vs {}", m.welfare_loss_usd));
        }
        if !near(l, m.lost_trade_usd) {
            return Err(format!("{side}: lost trade {l} vs {}", m.lost_trade_usd));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::sim::cases()))]

    /// On random scenarios and closures: the welfare loss by buyer country and by
    /// seller country each sum to the total, and so does the lost trade beside it;
    /// nothing closed, nothing lost.
    #[test]
    fn country_tables_sum_to_the_totals(seed in any::<u64>(), ties in any::<bool>()) {
        let (s, closures) = random_case_with(seed, ties);
        let mut e = Engine::new(&s).unwrap();
        let m = e.run(&closures, Record::Totals).unwrap().metrics;
        prop_assert!(m.welfare_loss_usd.is_finite());
        if let Err(e) = tables_sum_to_totals(&m) {
            return Err(TestCaseError::fail(e));
        }
        let none = e.run(&[], Record::Totals).unwrap().metrics;
        prop_assert_eq!(none.welfare_loss_usd, 0.0);
        prop_assert!(none.welfare_by_buyer.values().all(|c| c.welfare_loss_usd == 0.0));
    }

    /// When goods cost nothing to buy and move (origin price, freight, holding 0, no
    /// perishables) and every buyer values them at the goods' value, the gains from a
    /// tonne are its whole value: the welfare loss is the total loss.
    #[test]
    fn free_trade_at_full_value_loses_the_total(seed in any::<u64>()) {
        let (mut s, closures) = random_case_with(seed, false);
        for l in &mut s.links {
            l.cost_usd_per_t = 0.0;
            l.charges.clear();
        }
        for p in &mut s.products {
            p.holding_cost_per_day = 0.0;
            p.perishability = None;
        }
        for x in &mut s.supplies {
            x.price_usd_per_t = 0.0;
        }
        let values: Vec<f64> = s.products.iter().map(|p| p.value_usd_per_t).collect();
        for d in &mut s.demands {
            d.value_usd_per_t = values[d.product.index()];
        }
        let mut e = Engine::new(&s).unwrap();
        let m = e.run(&closures, Record::Totals).unwrap().metrics;
        prop_assert!(
            close(m.welfare_loss_usd, m.total_loss_usd),
            "welfare {} vs total {}", m.welfare_loss_usd, m.total_loss_usd
        );
    }
}

/// A product with two sources (the case of `sim::two_sources_trade_diverts`): P sells at
/// 300 USD/t with 20 USD/t freight, K at 350 with 50; P's crossing is shut for 10 days
/// and 1,000 t come from K instead, no order lost, no holding cost. The counterfactual's
/// cost per tonne is 300 + 20 = 320 USD; the diverted tonnes cost 350 + 50 = 400.
///
/// - total loss = reroute cost = 1,000 t x (50 - 20) = 30,000 USD (freight only);
/// - welfare loss = 1,000 t x (400 - 320) = 80,000 USD: the dearer source is a loss of
///   gains from trade too, so here the welfare loss is the larger of the two.
///
/// The seller split follows the counterfactual's trade: all of it is P's (whose trade
/// was hit), none K's.
#[test]
fn a_dearer_source_costs_more_welfare_than_total_loss() {
    let mut s = scenario(
        vec![node("sp", "P"), node("sk", "K"), node("d", "D")],
        vec![
            Link {
                crossing: true,
                ..link("p_d", 0, 2, 1000.0, 20.0, 1.0)
            },
            Link {
                crossing: true,
                ..link("k_d", 1, 2, 1000.0, 50.0, 1.0)
            },
        ],
        vec![corridor("p", &[0]), corridor("k", &[1])],
    );
    s.products = vec![product("flour", 400.0)];
    s.supplies = vec![supply(0, 0, 200.0, 300.0), supply(0, 1, 200.0, 350.0)];
    s.demands = vec![demand(0, 2, 100.0, 1000.0)];
    let mut e = Engine::new(&s).unwrap();
    let m = e.run(&[shut(0, 20, 10)], Record::Totals).unwrap().metrics;
    assert!(close(m.total_loss_usd, 30_000.0), "{}", m.total_loss_usd);
    assert!(
        close(m.welfare_loss_usd, 80_000.0),
        "{}",
        m.welfare_loss_usd
    );
    assert!(close(m.welfare_by_buyer["D"].welfare_loss_usd, 80_000.0));
    assert!(close(m.welfare_by_seller["P"].welfare_loss_usd, 80_000.0));
    assert!(close(m.welfare_by_seller["K"].welfare_loss_usd, 0.0));
}
