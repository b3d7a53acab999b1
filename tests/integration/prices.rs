//! Integration tests: market and farm-gate prices (`src/sim/prices.rs`). Hand-computed
//! cases on two routes (the arithmetic is in the comments); that the fast path gives the
//! reference's prices is checked with the rest of the report in `sim.rs`.

use chokepoint::network::{Link, Perishability, Product};
use chokepoint::scenario::Scenario;
use chokepoint::sim::{Engine, Execution, PriceDaily, Record, RunReport};

use crate::sim::{corridor, demand, link, node, product, scenario, shut, supply};

/// Two routes from `a` (country X) to `b` (country Y), each its own corridor:
/// - `cheap`: 10 USD/t paid, 1 day in transit;
/// - `dear`: `dear_paid` USD/t paid, 3 days in transit.
///
/// One product worth 1,000 USD/t, holding 0.2 % of its value a day and perishable at
/// 0.1 % a day: a day in transit costs (0.002 + 0.001) x 1,000 = 3 USD/t. Route costs:
/// cheap 10 + 1 x 3 = 13 USD/t, dear `dear_paid` + 3 x 3 = `dear_paid` + 9 USD/t.
/// Supply at `a` at 500 USD/t, demand at `b` worth 1,000 USD/t to the buyer.
fn two_routes(dear_paid: f64, supply_t: f64, demand_t: f64) -> Scenario {
    let mut s = scenario(
        vec![node("a", "X"), node("b", "Y")],
        vec![
            Link {
                crossing: true,
                ..link("cheap", 0, 1, 1000.0, 10.0, 1.0)
            },
            Link {
                crossing: true,
                ..link("dear", 0, 1, 1000.0, dear_paid, 3.0)
            },
        ],
        vec![corridor("c_cheap", &[0]), corridor("c_dear", &[1])],
    );
    s.products = vec![Product {
        holding_cost_per_day: 0.002,
        perishability: Some(Perishability {
            grace_days: 30.0,
            loss_per_day: 0.001,
            shelf_life_days: 60.0,
        }),
        ..product("goods", 1000.0)
    }];
    s.supplies = vec![supply(0, 0, supply_t, 500.0)];
    s.demands = vec![demand(0, 1, demand_t, 1000.0)];
    s
}

/// The daily series of the price at `node` on `side`.
fn series<'a>(r: &'a RunReport, node: &str, side: &str) -> &'a PriceDaily {
    let d = r.daily.as_ref().expect("daily series");
    d.prices
        .iter()
        .find(|q| q.node == node && q.side == side)
        .expect("the price point")
}

/// Runs on the fast path and on the reference: the prices must be the same exactly.
fn run_both(s: &Scenario, closures: &[chokepoint::closure::ClosureWindow]) -> RunReport {
    let fast = Engine::new(s)
        .unwrap()
        .run(closures, Record::Daily)
        .unwrap();
    let plain = Engine::with_execution(s, Execution::Reference)
        .unwrap()
        .run(closures, Record::Daily)
        .unwrap();
    assert_eq!(fast.metrics.prices, plain.metrics.prices);
    assert_eq!(
        fast.daily.as_ref().map(|d| &d.prices),
        plain.daily.as_ref().map(|d| &d.prices)
    );
    fast
}

/// Supply to spare (200 t/day against 100 t/day of orders): one more tonne at `b` comes
/// from `a` at its origin price over the cheapest open route. With both open that is
/// 500 + 13 = 513 USD/t; with `cheap` shut on days 10..20 (traders react at once) it is
/// 500 + (20 + 9) = 529 USD/t: the price rises by exactly the detour's extra cost,
/// (20 - 10) paid + (3 - 1) days x 3 USD/t = 16 USD/t. The farm gate stays at the origin
/// price (supply is left over: one more tonne at `a` is worth what it costs there).
#[test]
fn market_price_rises_by_the_detours_extra_cost() {
    let s = two_routes(20.0, 200.0, 100.0);
    let r = run_both(&s, &[shut(0, 10, 10)]);
    let b = series(&r, "b", "market");
    for (day, &p) in b.counterfactual_usd_per_t.iter().enumerate() {
        assert_eq!(p, 513.0, "counterfactual on day {day}");
    }
    for (day, &p) in b.price_usd_per_t.iter().enumerate() {
        let want = if (10..20).contains(&day) {
            529.0
        } else {
            513.0
        };
        assert_eq!(p, want, "day {day}");
    }
    let a = series(&r, "a", "farm_gate");
    assert!(a.price_usd_per_t.iter().all(|&p| p == 500.0));
    let m = r.metrics.prices.iter().find(|q| q.node == "b").unwrap();
    assert_eq!(m.side, "market");
    assert_eq!(m.peak_change_usd_per_t, 16.0);
    assert_eq!(m.peak_day, Some(10));
    assert_eq!(m.counterfactual_mean_usd_per_t, 513.0);
    // 10 days x 16 USD/t over the 60 days of the window.
    assert!((m.mean_change_usd_per_t - 160.0 / 60.0).abs() < 1e-12);
    let f = r.metrics.prices.iter().find(|q| q.node == "a").unwrap();
    assert_eq!((f.peak_change_usd_per_t, f.peak_day), (0.0, None));
}

/// When no open route pays, the buyer's value is the price: with `dear` at 600 USD/t
/// paid, a tonne over it would land at 500 + 600 + 9 = 1,109 USD/t, more than the buyer's
/// 1,000; so while `cheap` is shut the market price is 1,000 USD/t (a change of
/// 1,000 - 513 = 487 USD/t), and it is 1,000 too with every route shut.
#[test]
fn market_price_is_capped_by_the_buyers_value() {
    let s = two_routes(600.0, 200.0, 100.0);
    let r = run_both(&s, &[shut(0, 10, 10)]);
    let b = series(&r, "b", "market");
    assert_eq!(b.price_usd_per_t[9], 513.0);
    assert_eq!(b.price_usd_per_t[10], 1000.0);
    assert_eq!(b.price_usd_per_t[19], 1000.0);
    let m = r.metrics.prices.iter().find(|q| q.node == "b").unwrap();
    assert_eq!(m.peak_change_usd_per_t, 487.0);
    let all = run_both(&s, &[shut(0, 10, 10), shut(1, 10, 10)]);
    assert_eq!(series(&all, "b", "market").price_usd_per_t[15], 1000.0);
}

/// Orders to spare (100 t/day supplied against 200 t/day wanted): one more tonne at `a`
/// is worth its netback at `b`, the buyer's value less the cheapest route: 1,000 - 13 =
/// 987 USD/t; with `cheap` shut, 1,000 - (20 + 9) = 971 USD/t (a fall of the detour's
/// 16 USD/t); with the export routes all shut, the origin price, 500 USD/t. The market
/// price at `b` is the buyer's value throughout (orders stay open).
#[test]
fn farm_gate_price_falls_to_the_origin_price_when_the_export_route_shuts() {
    let s = two_routes(20.0, 100.0, 200.0);
    let r = run_both(&s, &[shut(0, 10, 10)]);
    let a = series(&r, "a", "farm_gate");
    assert_eq!(a.counterfactual_usd_per_t[12], 987.0);
    assert_eq!(a.price_usd_per_t[9], 987.0);
    assert_eq!(a.price_usd_per_t[12], 971.0);
    let b = series(&r, "b", "market");
    assert!(b.price_usd_per_t.iter().all(|&p| p == 1000.0));
    let all = run_both(&s, &[shut(0, 10, 10), shut(1, 10, 10)]);
    let a = series(&all, "a", "farm_gate");
    assert_eq!(a.price_usd_per_t[12], 500.0);
    let f = all.metrics.prices.iter().find(|q| q.node == "a").unwrap();
    assert_eq!(f.side, "farm_gate");
    assert_eq!(f.peak_change_usd_per_t, -487.0);
    assert_eq!(f.peak_day, Some(10));
}

/// The random cases of the fast path = reference property tests move prices (so that
/// their equality is tested on something): in many cases a closure changes a price,
/// and some of those runs follow the counterfactual with a backlog of their own (the
/// days whose prices the follower computes itself). Prices stay within their bounds:
/// a market's at most its buyer's value, a farm gate's at least its origin price; and a
/// mean change is never larger than the peak change.
#[test]
fn random_cases_move_prices_within_their_bounds() {
    let (mut moved, mut followed) = (0, 0);
    for seed in 0..200u64 {
        let (s, closures) = crate::sim::random_case_with(seed, seed % 2 == 0);
        let mut e = Engine::new(&s).unwrap();
        let r = e.run(&closures, Record::Daily).unwrap();
        let changed = r
            .metrics
            .prices
            .iter()
            .any(|q| q.peak_change_usd_per_t != 0.0);
        moved += usize::from(changed);
        for q in &r.metrics.prices {
            // A mean over the days lies within the day's changes.
            assert!(q.mean_change_usd_per_t.abs() <= q.peak_change_usd_per_t.abs() + 1e-9);
        }
        followed += usize::from(changed && e.days_followed() > 0);
        for q in &r.daily.as_ref().unwrap().prices {
            let node = s.nodes.iter().position(|n| n.id == q.node).unwrap();
            let prices = q.price_usd_per_t.iter().chain(&q.counterfactual_usd_per_t);
            if q.side == "market" {
                let value = s
                    .demands
                    .iter()
                    .filter(|d| {
                        d.node.index() == node && s.products[d.product.index()].id == q.product
                    })
                    .map(|d| d.value_usd_per_t)
                    .fold(f64::MIN, f64::max);
                assert!(prices.clone().all(|&p| p <= value + 0.005), "seed {seed}");
            } else {
                let price = s
                    .supplies
                    .iter()
                    .filter(|d| {
                        d.node.index() == node && s.products[d.product.index()].id == q.product
                    })
                    .map(|d| d.price_usd_per_t)
                    .fold(f64::MAX, f64::min);
                assert!(prices.clone().all(|&p| p >= price - 0.005), "seed {seed}");
            }
        }
    }
    assert!(moved >= 40, "prices moved in {moved} of 200 cases");
    assert!(followed >= 1, "no case followed with moved prices");
    eprintln!("prices moved in {moved} of 200 cases, {followed} of them followed a backlog");
}

/// A backlog the fast path follows: supply is all shipped every day (100 t/day against
/// 100 t/day of orders), so the orders left open while both routes were shut (days
/// 10..15) stay open until they expire (20 days' patience), while the cargo moves as
/// in the counterfactual. With orders open at `b`, one more tonne at `a` is worth the
/// buyer's value less the cheap route, 1,000 - 13 = 987 USD/t; without (the
/// counterfactual, every order met), supply is left with nowhere to go at the margin and
/// the farm gate is the origin price, 500 USD/t. The fast path follows those days with
/// the run's own orders and must give the reference's prices on them.
#[test]
fn a_followed_backlog_has_its_own_prices() {
    let mut s = two_routes(20.0, 100.0, 100.0);
    s.settings.order_patience_days = 20;
    let closures = [shut(0, 10, 5), shut(1, 10, 5)];
    let r = run_both(&s, &closures);
    let mut e = Engine::new(&s).unwrap();
    e.run(&closures, Record::Totals).unwrap();
    assert!(e.days_followed() > 0, "the fast path follows the backlog");
    let a = series(&r, "a", "farm_gate");
    assert_eq!(a.counterfactual_usd_per_t[20], 500.0);
    assert_eq!(a.price_usd_per_t[9], 500.0);
    assert_eq!(a.price_usd_per_t[20], 987.0);
    // The backlog rolls on into the run-out (each day's supply meets the oldest orders);
    // the mean over the days the run covers stays within the peak.
    let f = r.metrics.prices.iter().find(|q| q.node == "a").unwrap();
    assert_eq!(f.peak_change_usd_per_t, 487.0);
    assert!(f.mean_change_usd_per_t > 0.0 && f.mean_change_usd_per_t <= 487.0);
}
