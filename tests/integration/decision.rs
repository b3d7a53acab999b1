//! Integration tests: traders who weigh waiting against a detour (`traders = "weigh"`,
//! `src/sim/decision.rs`), per-corridor reaction lags, and their validation. The numbers
//! are worked out by hand in the comments.

use std::path::Path;

use chokepoint::error::DiagnosticKind as K;
use chokepoint::network::Link;
use chokepoint::scenario::{self, Scenario, Traders};
use chokepoint::sim::{Engine, Execution, Record, RunReport};
use chokepoint::Error;

use super::sim::{corridor, demand, link, node, product, scenario, shut, supply};

/// a -> b by two crossings, 1 day each: `cheap` (10 USD/t) and `dear` (40 USD/t), 2,000
/// t/day each. One product worth 1,000 USD/t held at 0.002 of its value a day: waiting
/// costs 2 USD/t a day, and a route costs its freight + 2 USD/t of holding in transit
/// (cheap 12, dear 42: the detour costs 30 USD/t more). 1,000 t/day on offer at a (500
/// USD/t), 100 t/day of orders at b (1,000 USD/t). Traders weigh; the cheap corridor
/// shut on days 10..=19, seen `lag` days late on its corridor (0 on the dear one).
fn two_routes(expected_days: f64, lag: u32) -> Scenario {
    let mut s = scenario(
        vec![node("a", "X"), node("b", "Y")],
        vec![
            Link {
                crossing: true,
                ..link("cheap", 0, 1, 2000.0, 10.0, 1.0)
            },
            Link {
                crossing: true,
                ..link("dear", 0, 1, 2000.0, 40.0, 1.0)
            },
        ],
        vec![corridor("c_cheap", &[0]), corridor("c_dear", &[1])],
    );
    s.settings.traders = Traders::Weigh;
    s.corridors[0].expected_closure_days = Some(expected_days);
    s.corridors[0].reaction_days = Some(lag);
    s.products = vec![chokepoint::network::Product {
        holding_cost_per_day: 0.002,
        ..product("goods", 1000.0)
    }];
    s.supplies = vec![supply(0, 0, 1000.0, 500.0)];
    s.demands = vec![demand(0, 1, 100.0, 1000.0)];
    s
}

fn run(s: &Scenario) -> RunReport {
    let closures = [shut(0, 10, 10)];
    let fast = Engine::new(s)
        .unwrap()
        .run(&closures, Record::Daily)
        .unwrap();
    let plain = Engine::with_execution(s, Execution::Reference)
        .unwrap()
        .run(&closures, Record::Daily)
        .unwrap();
    assert_eq!(
        fast.metrics.peak_stranded_trucks,
        plain.metrics.peak_stranded_trucks
    );
    assert!((fast.metrics.total_loss_usd - plain.metrics.total_loss_usd).abs() < 1e-6);
    fast
}

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * (1.0 + a.abs().max(b.abs()))
}

/// A closure expected to last 5 days: waiting costs 5 x 2 = 10 USD/t, less than the
/// detour's 30, so cargo waits. Traders see the closure at once (lag 0): from day 10 the
/// day's 100 t of orders are held (the wait arc: 12 + 10 = 22 USD/t against the dear
/// route's 42), nothing queues, nothing takes the dear route; from day 20 the 1,100 t of
/// orders placed on days 10..=20 go by the cheap route, 1,000 t on day 20 (the day's
/// supply) and the last 100 t with day 21's.
#[test]
fn a_short_expected_closure_makes_cargo_wait() {
    let r = run(&two_routes(5.0, 0));
    let m = &r.metrics;
    assert_eq!(m.peak_stranded_trucks, 0.0);
    assert!(
        near(m.corridors[1].delivered_t, 0.0),
        "{}",
        m.corridors[1].delivered_t
    );
    // Open orders at the end of day 19: the 1,000 t placed on days 10..=19.
    let d = r.daily.as_ref().unwrap();
    let open = &d.products[0].open_orders_t;
    assert!(near(open[19], 1000.0), "{}", open[19]);
    assert!(near(open[20], 100.0), "{}", open[20]);
    assert!(near(open[21], 0.0), "{}", open[21]);
    let cheap = &d.corridors[0].flow_t;
    assert!(
        near(cheap[20], 1000.0) && near(cheap[21], 200.0),
        "{cheap:?}"
    );
}

/// A closure expected to last 20 days: waiting costs 40 USD/t, more than the detour's
/// 30, so the day's trade takes the dear route: 100 t/day on days 10..=19, 1,000 t.
#[test]
fn a_long_expected_closure_makes_cargo_divert() {
    let r = run(&two_routes(20.0, 0));
    let m = &r.metrics;
    assert_eq!(m.peak_stranded_trucks, 0.0);
    assert!(
        near(m.corridors[1].delivered_t, 1000.0),
        "{}",
        m.corridors[1].delivered_t
    );
    let open = &r.daily.as_ref().unwrap().products[0].open_orders_t;
    assert!(near(open[19], 0.0), "{}", open[19]);
}

/// The same with the cheap corridor seen 2 days late: on days 10 and 11 traders still
/// see it open and dispatch 100 t a day into it, which queue at the shut crossing (4
/// trucks of 25 t each day). In the queue each lot weighs the closure as it is in force:
/// - expected 5 days: waiting 5 x 2 = 10 USD/t (+ the queue ahead / 2,000 t a day, at
///   most 0.05 day) < 30: both lots wait, 8 trucks from day 11 to day 19 (past the
///   7-day patience that would have turned them back), and cross on day 20. Nothing
///   takes the dear route.
/// - expected 20 days: 40 > 30: each lot turns to the dear route on the day after it
///   queued (day 11, day 12): peak 4 trucks, 8 truck-days; the dear route carries those
///   200 t and the new trade of the days traders see the closure, days 12..=21 (the
///   reopening is seen on day 22), 1,000 t: 1,200 t.
#[test]
fn queued_cargo_weighs_waiting_against_the_detour() {
    let short = run(&two_routes(5.0, 2)).metrics;
    assert!(
        near(short.peak_stranded_trucks, 8.0),
        "{}",
        short.peak_stranded_trucks
    );
    assert!(
        near(short.stranded_truck_days, 4.0 + 8.0 * 9.0),
        "{}",
        short.stranded_truck_days
    );
    assert!(
        near(short.corridors[1].delivered_t, 0.0),
        "{}",
        short.corridors[1].delivered_t
    );
    let long = run(&two_routes(20.0, 2)).metrics;
    assert!(
        near(long.peak_stranded_trucks, 4.0),
        "{}",
        long.peak_stranded_trucks
    );
    assert!(
        near(long.stranded_truck_days, 8.0),
        "{}",
        long.stranded_truck_days
    );
    assert!(
        near(long.corridors[1].delivered_t, 1200.0),
        "{}",
        long.corridors[1].delivered_t
    );
}

/// Myopic traders with the cheap corridor seen 3 days late (the scenario's lag is 0):
/// 100 t a day go into the shut crossing on days 10, 11 and 12, so 12 trucks queue;
/// with the corridor's lag left to the scenario's 0, none do. The dear corridor's own lag
/// does not matter here (nothing closes it).
#[test]
fn a_corridor_has_its_own_reaction_lag() {
    let mut s = two_routes(5.0, 3);
    s.settings.traders = Traders::Myopic;
    s.corridors[0].expected_closure_days = None;
    let m = run(&s).metrics;
    assert!(
        near(m.peak_stranded_trucks, 12.0),
        "{}",
        m.peak_stranded_trucks
    );
    s.corridors[0].reaction_days = None;
    s.corridors[1].reaction_days = Some(4);
    let m = run(&s).metrics;
    assert_eq!(m.peak_stranded_trucks, 0.0);
}

const BAD: &str = r#"
[[node]]
id = "a"
country = "X"

[[node]]
id = "b"
country = "Y"

[[link]]
id = "ab"
from = "a"
to = "b"
mode = "road"
capacity_t_per_day = 100.0
cost_usd_per_t = 10.0
transit_days = 1.0

[[corridor]]
id = "c"
links = ["ab"]
reaction_days = -2
expected_closure_days = 0.0

[scenario]
name = "bad beliefs"
traders = "wise"

[[product]]
id = "p"
value_usd_per_t = 100.0

[[supply]]
product = "p"
node = "a"
t_per_day = 1.0

[[demand]]
product = "p"
node = "b"
t_per_day = 1.0
"#;

/// Bad beliefs, lags and switches are errors with their line and a hint.
#[test]
fn bad_beliefs_and_lags_are_errors_with_their_line() {
    let line = |needle: &str| BAD.lines().position(|l| l.starts_with(needle)).unwrap() + 1;
    let err = scenario::from_toml_str(BAD, Path::new("bad.toml")).unwrap_err();
    let Error::Scenario(e) = err else {
        panic!("expected scenario errors, got {err}");
    };
    let find = |needle: &str| {
        e.diagnostics
            .iter()
            .find(|d| d.line == line(needle))
            .unwrap_or_else(|| panic!("no error on `{needle}`: {:?}", e.diagnostics))
    };
    let lag = find("reaction_days");
    assert!(lag.message.contains("reaction_days"), "{lag}");
    assert!(lag.hint.is_some(), "{lag}");
    let belief = find("expected_closure_days");
    assert!(
        belief.hint.as_deref().unwrap_or("").contains("> 0"),
        "{belief}"
    );
    let traders = find("traders");
    assert_eq!(traders.kind, K::OutOfRange);
    assert!(
        traders
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("myopic, weigh"),
        "{traders}"
    );
    // A stated belief with myopic traders is a warning.
    let ok = BAD
        .replace("reaction_days = -2\n", "reaction_days = 3\n")
        .replace(
            "expected_closure_days = 0.0",
            "expected_closure_days = 12.0",
        )
        .replace("traders = \"wise\"\n", "");
    let (s, warnings) = scenario::from_toml_str(&ok, Path::new("ok.toml")).unwrap();
    assert_eq!(s.corridors[0].reaction_days, Some(3));
    assert!(
        warnings
            .iter()
            .any(|w| w.message.contains("expected_closure_days")),
        "{warnings:?}"
    );
}

/// Cargo under way re-decides once traders see the closure. Nodes a, b, m, n: a 2-day
/// road a -> m, a 3-day road m -> n, the cheap crossing n -> b and the dear one m -> b
/// (1 day each, roads free). Route costs (2 USD/t a day of holding): by the cheap
/// crossing 2 x 6 + 10 = 22 USD/t, by the dear one 2 x 3 + 40 = 46; from m on, 18
/// against 42: the detour from m costs 24 more. The cheap crossing is shut on days
/// 10..=19 and seen 2 days late. A lot dispatched on day d reaches m on d + 2 and the
/// crossing on d + 5: the lots of days 5..=11 (7 lots of 100 t) meet the closure.
/// On day 12, when traders see it, the lot of day 11 is on the road to m (due there in
/// 1 day, at the crossing in 4); the lot of day 10 has just left m for n, from where
/// there is no other route.
/// - expected 20 days: the lot of day 11 expects (20 − 4) x 2 = 32 USD/t of waiting,
///   more than 24: it turns at m to the dear crossing. The other 6 lots queue at n
///   (24 trucks) and wait; the dear crossing carries 100 t and the new trade of the days
///   traders see the closure (12..=21): 1,100 t.
/// - expected 5 days: (5 − 4) x 2 = 2 < 24: all 7 lots queue (28 trucks), and new trade
///   waits (22 + 5 x 2 = 32 < 46): nothing takes the dear crossing.
#[test]
fn cargo_under_way_redecides_when_traders_see_the_closure() {
    let with_roads = |expected: f64| {
        let mut s = two_routes(expected, 2);
        s.nodes.push(node("m", "X"));
        s.nodes.push(node("n", "X"));
        s.links[0].from = chokepoint::network::NodeId(3);
        s.links[1].from = chokepoint::network::NodeId(2);
        s.links.push(link("road1", 0, 2, 10_000.0, 0.0, 2.0));
        s.links.push(link("road2", 2, 3, 10_000.0, 0.0, 3.0));
        s
    };
    let long = run(&with_roads(20.0)).metrics;
    assert!(
        near(long.peak_stranded_trucks, 24.0),
        "{}",
        long.peak_stranded_trucks
    );
    assert!(
        near(long.corridors[1].delivered_t, 1100.0),
        "{}",
        long.corridors[1].delivered_t
    );
    let short = run(&with_roads(5.0)).metrics;
    assert!(
        near(short.peak_stranded_trucks, 28.0),
        "{}",
        short.peak_stranded_trucks
    );
    assert!(
        near(short.corridors[1].delivered_t, 0.0),
        "{}",
        short.corridors[1].delivered_t
    );
}

/// Cargo that expects to wait longer than it may does not wait. The short closure of
/// `queued_cargo_weighs_waiting_against_the_detour` (expected 5 days, 10 USD/t of
/// waiting against a detour of 30) with `abandon_after_days = 3` and
/// `order_patience_days = 3`: a queued lot would be abandoned before the expected
/// reopening, so it counts its whole value (1,000 USD/t) as the cost of waiting and
/// turns to the dear crossing the day after it queued (peak 4 trucks, as with a long
/// closure); new trade is not held (its orders would expire first) and takes the dear
/// crossing on days 12..=21: 1,200 t in all.
#[test]
fn cargo_does_not_wait_longer_than_it_may() {
    let mut s = two_routes(5.0, 2);
    s.settings.abandon_after_days = 3;
    s.settings.order_patience_days = 3;
    let m = run(&s).metrics;
    assert!(
        near(m.peak_stranded_trucks, 4.0),
        "{}",
        m.peak_stranded_trucks
    );
    assert!(
        near(m.corridors[1].delivered_t, 1200.0),
        "{}",
        m.corridors[1].delivered_t
    );
}

/// `run` with the closure of `run` stating `days`.
fn run_stated(s: &Scenario, days: f64) -> RunReport {
    let closures = [chokepoint::closure::ClosureWindow {
        expected_closure_days: Some(days),
        ..shut(0, 10, 10)
    }];
    let fast = Engine::new(s)
        .unwrap()
        .run(&closures, Record::Daily)
        .unwrap();
    let plain = Engine::with_execution(s, Execution::Reference)
        .unwrap()
        .run(&closures, Record::Daily)
        .unwrap();
    assert_eq!(
        fast.metrics.peak_stranded_trucks,
        plain.metrics.peak_stranded_trucks
    );
    assert!((fast.metrics.total_loss_usd - plain.metrics.total_loss_usd).abs() < 1e-6);
    fast
}

/// A closure's stated belief replaces its corridor's while it holds the corridor shut:
/// the corridor expects 20 days (cargo would divert) but the closure states 5, so cargo
/// waits as in `a_short_expected_closure_makes_cargo_wait` (waiting 10 < 30 USD/t), and
/// the other way round it diverts as in `a_long_expected_closure_makes_cargo_divert`.
/// With a 2-day lag, the queued lots weigh the stated 5 days and wait: 8 trucks.
#[test]
fn a_closure_states_its_own_expected_duration() {
    let wait = run_stated(&two_routes(20.0, 0), 5.0);
    assert!(near(wait.metrics.corridors[1].delivered_t, 0.0));
    let open = &wait.daily.as_ref().unwrap().products[0].open_orders_t;
    assert!(near(open[19], 1000.0), "{}", open[19]);
    let divert = run_stated(&two_routes(5.0, 0), 20.0);
    assert!(
        near(divert.metrics.corridors[1].delivered_t, 1000.0),
        "{}",
        divert.metrics.corridors[1].delivered_t
    );
    let queued = run_stated(&two_routes(20.0, 2), 5.0).metrics;
    assert!(
        near(queued.peak_stranded_trucks, 8.0),
        "{}",
        queued.peak_stranded_trucks
    );
    assert!(near(queued.corridors[1].delivered_t, 0.0));
}

/// On a corridor without a belief of its own, a closure's stated belief is used when
/// the closure is among the scenario's fixed closures (its darcs get wait arcs): cargo
/// waits for a closure said to last 5 days; a run handed such a closure on a link the
/// scenario holds no belief about is an error.
#[test]
fn a_stated_closure_gives_a_belief_to_a_corridor_without_one() {
    let mut s = two_routes(5.0, 0);
    s.corridors[0].expected_closure_days = None;
    let err = Engine::new(&s)
        .unwrap()
        .run(
            &[chokepoint::closure::ClosureWindow {
                expected_closure_days: Some(5.0),
                ..shut(0, 10, 10)
            }],
            Record::Totals,
        )
        .unwrap_err();
    assert!(err.to_string().contains("expected_closure_days"), "{err}");
    // Without a belief, myopic: the day's trade takes the dear route.
    let myopic = run(&s).metrics;
    assert!(near(myopic.corridors[1].delivered_t, 1000.0));
    s.closures = vec![chokepoint::closure::ClosureWindow {
        expected_closure_days: Some(5.0),
        ..shut(0, 10, 10)
    }];
    let wait = run_stated(&s, 5.0);
    assert!(near(wait.metrics.corridors[1].delivered_t, 0.0));
    // The same scenario with a closure that states nothing: myopic again.
    assert!(near(run(&s).metrics.corridors[1].delivered_t, 1000.0));
}

/// A closure's stated belief must be a number > 0: an error on its line with a hint.
#[test]
fn a_bad_stated_closure_belief_is_an_error_with_its_line() {
    let ok = BAD
        .replace("reaction_days = -2\n", "")
        .replace("expected_closure_days = 0.0\n", "")
        .replace("traders = \"wise\"", "traders = \"weigh\"");
    let text = format!(
        "{ok}\n[[closure]]\ntarget = \"c\"\nstart_day = 3\nduration_days = 4\n\
         expected_closure_days = -1.0\n"
    );
    let line = text
        .lines()
        .position(|l| l.starts_with("expected_closure_days"))
        .unwrap()
        + 1;
    let err = scenario::from_toml_str(&text, Path::new("bad.toml")).unwrap_err();
    let Error::Scenario(e) = err else {
        panic!("expected scenario errors, got {err}");
    };
    let d = e
        .diagnostics
        .iter()
        .find(|d| d.line == line)
        .unwrap_or_else(|| panic!("no error on line {line}: {:?}", e.diagnostics));
    assert!(d.hint.as_deref().unwrap_or("").contains("> 0"), "{d}");
    let fixed = text.replace(
        "expected_closure_days = -1.0",
        "expected_closure_days = 6.0",
    );
    let (s, _) = scenario::from_toml_str(&fixed, Path::new("ok.toml")).unwrap();
    assert_eq!(s.closures[0].expected_closure_days, Some(6.0));
}

/// Traders who differ: two classes (`trader_classes = 2`) whose beliefs are spread by
/// σ = 1 around the corridor's 10 days. The classes sit at the standard normal quantiles
/// ±0.6745 of a quarter and three quarters: factors e^(∓0.6745) = 0.5094 and 1.9630,
/// over their mean 1.2362: 0.4121 and 1.5879, so one class expects 4.12 days, the other
/// 15.88 (their mean is the corridor's 10). The detour costs 30 USD/t more, waiting 2
/// USD/t a day: the first class waits (8.24 USD/t, plus 2 x the queue ahead over 2,000
/// t/day, at most 0.1), the second does not (31.76 > 30).
///
/// The cheap corridor is seen 2 days late, so 100 t (4 trucks) reach the shut crossing
/// on days 10 and 11, as in `queued_cargo_weighs_waiting_against_the_detour`. Each lot
/// splits on the day after it queued: 50 t (2 trucks, the second class) turn to the dear
/// route, 50 t wait. End of day 10: 4 trucks; day 11: 2 + 4 = 6 (the peak); days
/// 12..=19: 2 + 2 = 4; day 20 the crossing reopens and they cross. Truck-days: 4 + 6 +
/// 8 x 4 = 42. New trade on the days traders see the closure (12..=21): each class may
/// hold half the 2,000 t/day the closure removed; the first class's wait arc costs 12 +
/// 4.12 x 2 ≈ 20 < 42 USD/t by the dear route and holds the day's 100 t, so new trade
/// waits: the dear route carries the two halves that turned back, 100 t.
///
/// With one class (no spread) the lots wait whole (10 x 2 = 20 < 30): 8 trucks, as with
/// an expected 5 days.
#[test]
fn traders_who_differ_split_a_queue_as_their_beliefs_say() {
    let mut s = two_routes(10.0, 2);
    s.settings.belief_spread = 1.0;
    s.settings.trader_classes = 2;
    let m = run(&s).metrics;
    assert!(
        near(m.peak_stranded_trucks, 6.0),
        "{}",
        m.peak_stranded_trucks
    );
    assert!(
        near(m.stranded_truck_days, 4.0 + 6.0 + 8.0 * 4.0),
        "{}",
        m.stranded_truck_days
    );
    assert!(
        near(m.corridors[1].delivered_t, 100.0),
        "{}",
        m.corridors[1].delivered_t
    );
    s.settings.belief_spread = 0.0;
    let one = run(&s).metrics;
    assert!(
        near(one.peak_stranded_trucks, 8.0),
        "{}",
        one.peak_stranded_trucks
    );
    assert!(
        near(one.corridors[1].delivered_t, 0.0),
        "{}",
        one.corridors[1].delivered_t
    );
}

/// A bad spread or number of classes is an error with its line and a hint; a spread with
/// myopic traders is a warning; and both are parameters `with_changes` can name.
#[test]
fn a_bad_spread_of_beliefs_is_an_error_with_its_line() {
    let base = BAD
        .replace("reaction_days = -2\n", "")
        .replace("expected_closure_days = 0.0\n", "");
    let bad = base.replace(
        "traders = \"wise\"\n",
        "traders = \"weigh\"\nbelief_spread = 9.0\ntrader_classes = 0\n",
    );
    let line = |needle: &str| bad.lines().position(|l| l.starts_with(needle)).unwrap() + 1;
    let err = scenario::from_toml_str(&bad, Path::new("bad.toml")).unwrap_err();
    let Error::Scenario(e) = err else {
        panic!("expected scenario errors, got {err}");
    };
    for (key, hint) in [("belief_spread", "[0, 5]"), ("trader_classes", "1..=32")] {
        let d = e
            .diagnostics
            .iter()
            .find(|d| d.line == line(key))
            .unwrap_or_else(|| panic!("no error on `{key}`: {:?}", e.diagnostics));
        assert!(d.message.contains(key), "{d}");
        assert!(d.hint.as_deref().unwrap_or("").contains(hint), "{d}");
    }
    let myopic = base.replace("traders = \"wise\"\n", "belief_spread = 1.0\n");
    let (s, warnings) = scenario::from_toml_str(&myopic, Path::new("ok.toml")).unwrap();
    assert_eq!(s.settings.belief_spread, 1.0);
    assert!(
        warnings.iter().any(|w| w.message.contains("belief_spread")),
        "{warnings:?}"
    );
    let mut s = s;
    scenario::params::set(&mut s, "settings.belief_spread", 0.5).unwrap();
    scenario::params::set(&mut s, "settings.trader_classes", 7.0).unwrap();
    assert_eq!(
        (s.settings.belief_spread, s.settings.trader_classes),
        (0.5, 7)
    );
    assert!(scenario::params::set(&mut s, "settings.trader_classes", 40.0).is_err());
    assert!(scenario::params::set(&mut s, "settings.belief_spread", -1.0).is_err());
    let names: Vec<String> = scenario::params::list(&s)
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert!(
        names.iter().any(|n| n == "settings.belief_spread"),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n == "settings.trader_classes"),
        "{names:?}"
    );
}
