//! Integration tests: demand that answers the landed price (`demand_elasticity`), on a
//! hand-computed fixture.

use chokepoint::network::Link;
use chokepoint::scenario::Scenario;
use chokepoint::sim::{Engine, Execution, Record};

use super::sim::{corridor, demand, link, node, product, scenario, shut, supply};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * (1.0 + a.abs().max(b.abs()))
}

/// One market `m` (100 t/day at 1,000 USD/t), two origins: `a` (price 100 USD/t) over the
/// crossing `la`, `b` (price 300 USD/t) over `lb`, both 50 USD/t and 1 day, no holding
/// cost. The market's landed price is 100 + 50 = 150 USD/t; with `la` shut, 350.
fn two_origins(eps: f64) -> Scenario {
    let mut s = scenario(
        vec![node("a", "X"), node("b", "Z"), node("m", "Y")],
        vec![
            Link {
                crossing: true,
                ..link("la", 0, 2, 1000.0, 50.0, 1.0)
            },
            Link {
                crossing: true,
                ..link("lb", 1, 2, 1000.0, 50.0, 1.0)
            },
        ],
        vec![corridor("ca", &[0]), corridor("cb", &[1])],
    );
    s.settings.days = 30;
    s.products = vec![chokepoint::network::Product {
        demand_elasticity: eps,
        ..product("goods", 1000.0)
    }];
    s.supplies = vec![supply(0, 0, 200.0, 100.0), supply(0, 1, 200.0, 300.0)];
    s.demands = vec![demand(0, 2, 100.0, 1000.0)];
    s
}

/// `la` shut on days 10..=14, traders react at once. Routing on days 10-14 lands at 350
/// USD/t; orders on day d answer the price of day d - 1, so days 11-15 order
/// 100 t x (350 / 150)^-1 = 42.857 t, rounded to 0.01 t: 42.86 t, and 57.14 t a day is
/// forgone: 5 x 57.14 = 285.70 t, lost trade 285,700 USD at 1,000 USD/t.
/// Welfare: day 10's 100 t and days 11-14's 4 x 42.86 t come over `b` at 200 USD/t more
/// than the counterfactual's 150: 200 x 271.44 = 54,288 USD (day 15's orders go over
/// `la` again). The buyers' surplus on the forgone orders, per day:
/// ∫_150^350 100 (P/150)^-1 dP - 42.86 x 200 = 15,000 ln(7/3) - 8,572 = 4,137.468;
/// five days: 20,687.34 USD. Welfare loss 54,288 + 20,687.34 = 74,975.34 USD.
/// With ε = 0: no tonne forgone, 500 t over `b` at +200: welfare loss 100,000 USD.
#[test]
fn a_closure_raises_the_landed_price_and_orders_fall() {
    let triangle = 5.0 * (15_000.0 * (7.0f64 / 3.0).ln() - 42.86 * 200.0);
    for ex in [Execution::Reference, Execution::Fast] {
        let mut e = Engine::with_execution(&two_origins(-1.0), ex).unwrap();
        let m = e.run(&[shut(0, 10, 5)], Record::Totals).unwrap().metrics;
        assert!(
            close(m.demand_forgone_t, 285.70),
            "{ex:?} {}",
            m.demand_forgone_t
        );
        assert!(
            close(m.demand_forgone_usd, 285_700.0),
            "{}",
            m.demand_forgone_usd
        );
        assert!(close(m.lost_trade_usd, 285_700.0), "{}", m.lost_trade_usd);
        assert!(close(m.reroute_cost_usd, 0.0), "{}", m.reroute_cost_usd);
        assert!(close(m.total_loss_usd, 285_700.0), "{}", m.total_loss_usd);
        assert!(
            close(m.welfare_loss_usd, 54_288.0 + triangle),
            "{ex:?} {} vs {}",
            m.welfare_loss_usd,
            54_288.0 + triangle
        );
        // The book: 30 days of 100 t less the forgone, all served.
        assert!(close(m.orders.placed_t, 3_000.0 - 285.70), "{:?}", m.orders);
        assert!(close(m.orders.lapsed_t, 0.0));
        // No closure: no price change, no response.
        let none = e.run(&[], Record::Totals).unwrap().metrics;
        assert_eq!(none.demand_forgone_t, 0.0);
        assert_eq!(none.total_loss_usd, 0.0);

        let mut fixed = Engine::with_execution(&two_origins(0.0), ex).unwrap();
        let f = fixed
            .run(&[shut(0, 10, 5)], Record::Totals)
            .unwrap()
            .metrics;
        assert_eq!(f.demand_forgone_t, 0.0);
        assert!(close(f.lost_trade_usd, 0.0));
        assert!(
            close(f.welfare_loss_usd, 100_000.0),
            "{}",
            f.welfare_loss_usd
        );
    }
}

/// A demand elasticity above 0 or below -50 is refused with the product named.
#[test]
fn an_elasticity_out_of_range_is_refused() {
    let mut s = two_origins(0.5);
    let e = s.check().unwrap_err().to_string();
    assert!(e.contains("demand_elasticity"), "{e}");
    s.products[0].demand_elasticity = -60.0;
    let e = s.check().unwrap_err().to_string();
    assert!(e.contains("[-50, 0]"), "{e}");
}
