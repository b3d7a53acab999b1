//! Integration tests: the daily engine. Hand-computed cases with exact numbers (the
//! arithmetic is in the comments), and property tests of its invariants.

use chokepoint::closure::{ClosureProcess, ClosureWindow, DurationDist, ShockGroup, Target};
use chokepoint::network::{
    Corridor, CorridorId, Demand, Link, LinkId, Mode, Node, NodeId, NodeKind, Perishability,
    Product, ProductId, Supply,
};
use chokepoint::scenario::{Scenario, Traders};
use chokepoint::sim::{DayView, Engine, Execution, LinkUsage, Observer, Record, RunReport};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub fn node(id: &str, country: &str) -> Node {
    Node {
        id: id.into(),
        name: id.into(),
        country: country.into(),
        kind: NodeKind::Market,
        position: None,
    }
}

pub fn link(id: &str, from: u32, to: u32, cap: f64, cost: f64, transit: f64) -> Link {
    Link {
        id: id.into(),
        from: NodeId(from),
        to: NodeId(to),
        both_ways: false,
        mode: Mode::Road,
        capacity_t_per_day: cap,
        cost_usd_per_t: cost,
        transit_days: transit,
        charges: vec![],
        crossing: false,
    }
}

pub fn product(id: &str, value: f64) -> Product {
    Product {
        id: id.into(),
        name: id.into(),
        value_usd_per_t: value,
        perishability: None,
        holding_cost_per_day: 0.0,
        priority: 0,
        demand_elasticity: 0.0,
    }
}

pub fn supply(p: u32, n: u32, t: f64, price: f64) -> Supply {
    Supply {
        product: ProductId(p),
        node: NodeId(n),
        t_per_day: t,
        price_usd_per_t: price,
        seasonality: None,
    }
}

pub fn demand(p: u32, n: u32, t: f64, value: f64) -> Demand {
    Demand {
        product: ProductId(p),
        node: NodeId(n),
        t_per_day: t,
        value_usd_per_t: value,
        seasonality: None,
    }
}

pub fn corridor(id: &str, links: &[u32]) -> Corridor {
    Corridor {
        id: id.into(),
        name: id.into(),
        links: links.iter().map(|&l| LinkId(l)).collect(),
        reaction_days: None,
        expected_closure_days: None,
    }
}

pub fn scenario(nodes: Vec<Node>, links: Vec<Link>, corridors: Vec<Corridor>) -> Scenario {
    let mut s = Scenario::empty("test");
    s.settings.days = 60;
    s.settings.reaction_days = 0;
    s.nodes = nodes;
    s.links = links;
    s.corridors = corridors;
    s
}

pub fn shut(corridor: u32, start: i64, days: u32) -> ClosureWindow {
    ClosureWindow {
        target: Target::Corridor(CorridorId(corridor)),
        start_day: start,
        duration_days: days,
        capacity_factor: 0.0,
        ramp_days: 0,
        label: None,
        expected_closure_days: None,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * (1.0 + a.abs().max(b.abs()))
}

/// Two parallel crossings A -> B, cheap (10 USD/t) and dear (25 USD/t), 1,000 t/day each,
/// one day; 100 t/day of goods worth 1,000 USD/t; traders react at once.
fn parallel_routes() -> Scenario {
    let mut s = scenario(
        vec![node("a", "X"), node("b", "Y")],
        vec![
            Link {
                crossing: true,
                ..link("cheap", 0, 1, 1000.0, 10.0, 1.0)
            },
            Link {
                crossing: true,
                ..link("dear", 0, 1, 1000.0, 25.0, 1.0)
            },
        ],
        vec![corridor("c_cheap", &[0]), corridor("c_dear", &[1])],
    );
    s.products = vec![product("goods", 1000.0)];
    s.supplies = vec![supply(0, 0, 100.0, 500.0)];
    s.demands = vec![demand(0, 1, 100.0, 1000.0)];
    s
}

/// Two parallel routes A -> B, the cheap one shut for ten days, traders react at once.
/// Every tonne takes the other route: reroute cost = 10 days x 100 t x (25 - 10) USD/t
/// = 15,000 USD; the shut crossing halts 10 x 100 t x 1,000 USD/t = 1,000,000 USD.
#[test]
fn parallel_routes_one_shut() {
    let s = parallel_routes();
    let mut e = Engine::new(&s).unwrap();
    let r = e.run(&[shut(0, 10, 10)], Record::Totals).unwrap();
    let m = &r.metrics;
    assert!(
        close(m.reroute_cost_usd, 15_000.0),
        "{}",
        m.reroute_cost_usd
    );
    assert!(close(m.delay_cost_usd, 0.0));
    assert!(close(m.lost_trade_usd, 0.0));
    assert!(close(m.total_loss_usd, 15_000.0));
    assert!(close(m.trade_value_halted_usd, 1_000_000.0));
    let cheap = &m.crossings[0];
    assert_eq!(cheap.link, "cheap");
    assert!(close(cheap.trade_value_halted_usd, 1_000_000.0));
    assert!(close(m.crossings[1].trade_value_halted_usd, 0.0));
    assert_eq!(m.peak_stranded_trucks, 0.0);
    assert_eq!(m.corridors[0].closure_days, 10);
    assert_eq!(m.corridors[1].closure_days, 0);
    assert!(close(m.corridors[1].delivered_t, 1000.0));
    assert_eq!(m.days_to_recover, Some(0));
}

/// The two parallel routes of [`parallel_routes_one_shut`], the cheap one shut every
/// year on days 10..20 (a seasonal closure): in the counterfactual too, so the season
/// itself costs nothing and the counterfactual's 1,000 t go the dear way. The same
/// window as a fixed closure, on a scenario without the season, costs its 15,000 USD
/// as before; on the seasonal scenario it costs nothing more (the route is shut
/// anyway). A fixed closure on days 15..25 overlaps the season on 15..20: only days
/// 20..25 cost, 5 x 100 t x (25 - 10) USD/t = 7,500 USD of reroute, and 500 t halted.
#[test]
fn a_seasonal_closure_is_normal_conditions() {
    let mut s = parallel_routes();
    let plain = s.clone();
    s.seasonal = vec![shut(0, 10, 10)];
    for execution in [Execution::Reference, Execution::Fast] {
        let mut e = Engine::with_execution(&s, execution).unwrap();
        let m = e.run(&[], Record::Totals).unwrap().metrics;
        assert_eq!(m.total_loss_usd, 0.0);
        assert_eq!(m.trade_value_halted_usd, 0.0);
        assert_eq!(m.corridors[0].closure_days, 0);
        assert!(
            close(m.corridors[1].delivered_t, 1000.0),
            "{:?}",
            m.corridors[1]
        );
        assert!(close(m.corridors[1].counterfactual_t, 1000.0));
        // The same window as a disruption on top of the season: nothing more to lose.
        let m = e.run(&[shut(0, 10, 10)], Record::Totals).unwrap().metrics;
        assert!(close(m.total_loss_usd, 0.0), "{}", m.total_loss_usd);
        assert!(close(m.trade_value_halted_usd, 0.0));
        assert_eq!(m.corridors[0].closure_days, 10);
        // Overlapping the season's end by five days.
        let m = e.run(&[shut(0, 15, 10)], Record::Totals).unwrap().metrics;
        assert!(close(m.reroute_cost_usd, 7_500.0), "{}", m.reroute_cost_usd);
        assert!(close(m.total_loss_usd, 7_500.0), "{}", m.total_loss_usd);
        assert!(close(m.trade_value_halted_usd, 500_000.0));
    }
    // Without the season, the same window is a disruption and costs what it did.
    let m = Engine::new(&plain)
        .unwrap()
        .run(&[shut(0, 10, 10)], Record::Totals)
        .unwrap()
        .metrics;
    assert!(close(m.total_loss_usd, 15_000.0), "{}", m.total_loss_usd);
    assert!(close(m.trade_value_halted_usd, 1_000_000.0));
}

fn single_route(perishable: Option<Perishability>, holding: f64) -> Scenario {
    // a -(road, 1 day)-> m -(crossing, 200 t/day, 0 days)-> b; 100 t/day of orders at b.
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
        perishability: perishable,
        holding_cost_per_day: holding,
        ..product("goods", 1000.0)
    }];
    s.supplies = vec![supply(0, 0, 1000.0, 100.0)];
    s.demands = vec![demand(0, 2, 100.0, 1000.0)];
    s
}

/// One route, no alternative, the border shut on days 10..=14, reaction lag 2 days.
///
/// Traders see day d-2: they dispatch on days 9, 10, 11 (cargo reaches the border a day
/// later), so 300 t (12 trucks) queue on days 12-14. The border reopens on day 15 at
/// 200 t/day: 100 t left at the end of day 15, 0 after day 16. Traders see the reopening
/// on day 17 but also the queue of day 14 (300 t > 200 t): nothing new; day 18 they see
/// 100 t queued: 100 t go; from day 19, 200 t/day. Orders placed on days 12..17 (600 t)
/// are the backlog: -100 t/day from day 19, 0 at the end of day 24. The last closed day
/// is 14, so days_to_recover = 24 - 14 = 10.
///
/// Stranded trucks at the end of days 10..15: 4, 8, 12, 12, 12, 4 -> peak 12, 52 truck-days.
/// Trade halted at the border (100 t/day x 1,000 USD normally): short 100 t on days
/// 10-14, 17 and 18 = 700 t = 700,000 USD, of which 500,000 USD while closed.
/// Holding at 1 USD/t/day: the counterfactual holds each tonne 1 day. The day-9 lot is
/// held 6 days, the day-10 lot 5, the day-11 lot 5: (5 + 4 + 4) x 100 t = 1,300 USD.
#[test]
fn single_route_queue_and_recovery() {
    let s = single_route(None, 0.001);
    let mut e = Engine::new(&s).unwrap();
    let r = e.run(&[shut(0, 10, 5)], Record::Daily).unwrap();
    let m = &r.metrics;
    assert!(
        close(m.peak_stranded_trucks, 12.0),
        "{}",
        m.peak_stranded_trucks
    );
    assert!(
        close(m.stranded_truck_days, 52.0),
        "{}",
        m.stranded_truck_days
    );
    assert_eq!(m.days_to_recover, Some(10));
    assert!(
        close(m.trade_value_halted_usd, 700_000.0),
        "{}",
        m.trade_value_halted_usd
    );
    // 500 t of it on the five closed days; the rest while traders react to the reopening.
    assert_eq!(m.crossings[0].closed_days, 5);
    assert!(close(m.crossings[0].halted_while_closed_usd, 500_000.0));
    assert!(close(m.delay_cost_usd, 1_300.0), "{}", m.delay_cost_usd);
    assert!(close(m.reroute_cost_usd, 0.0), "{}", m.reroute_cost_usd);
    assert!(close(m.lost_trade_usd, 0.0));
    let daily = r.daily.unwrap();
    let q: Vec<f64> = daily.corridors[0].queue_trucks[9..17].to_vec();
    assert_eq!(q, vec![0.0, 4.0, 8.0, 12.0, 12.0, 12.0, 4.0, 0.0]);
    assert_eq!(daily.crossings[0].link, "border");
    assert_eq!(daily.crossings[0].queue_trucks[9..17], q[..]);
    assert_eq!(daily.products[0].open_orders_t[17], 600.0);
    assert_eq!(daily.products[0].open_orders_t[24], 0.0);
}

/// The same closure with a perishable good (grace 2 days, 10 %/day after, shelf life
/// long). End-of-day ages of the stranded lots: day-9 lot ages 1..6 before delivery on day
/// 15 (4 days past grace), day-10 lot 1..5 (3 days), day-11 lot 1..5 (3 days): spoilage
/// = (0.4 + 0.3 + 0.3) x 100 t x 1,000 USD/t = 100,000 USD.
#[test]
fn perishable_held_at_shut_border() {
    let per = Perishability {
        grace_days: 2.0,
        loss_per_day: 0.1,
        shelf_life_days: 100.0,
    };
    let s = single_route(Some(per), 0.0);
    let mut e = Engine::new(&s).unwrap();
    let m = e.run(&[shut(0, 10, 5)], Record::Totals).unwrap().metrics;
    assert!(close(m.spoilage_usd, 100_000.0), "{}", m.spoilage_usd);
    assert!(close(m.lost_trade_usd, 0.0));
}

/// With a shelf life of 5 days, the day-9 lot decays at the end of days 11, 12, 13 (ages
/// 3, 4, 5: 0.3 spoilage) and spoils whole at the end of day 14 (age 6): its remaining
/// 0.7 x 100 t x 1,000 USD/t = 70,000 USD is lost trade. The day-10 lot loses 0.3 as
/// above. With the day-9 lot gone, the 200 t/day on day 15 take both the day-10 and the
/// day-11 lot, so the day-11 lot is delivered a day earlier and loses only 0.2 (ages 3, 4
/// at the end of days 13, 14). Spoilage = (0.3 + 0.3 + 0.2) x 100,000 = 80,000 USD.
#[test]
fn perishable_spoils_whole_past_shelf_life() {
    let per = Perishability {
        grace_days: 2.0,
        loss_per_day: 0.1,
        shelf_life_days: 5.0,
    };
    let s = single_route(Some(per), 0.0);
    let mut e = Engine::new(&s).unwrap();
    let m = e.run(&[shut(0, 10, 5)], Record::Totals).unwrap().metrics;
    assert!(close(m.spoilage_usd, 80_000.0), "{}", m.spoilage_usd);
    assert!(close(m.lost_trade_usd, 70_000.0), "{}", m.lost_trade_usd);
}

/// A product with two sources: the cheaper (P, price 300 + 20 freight) is cut off for 10
/// days; trade diverts to the dearer (K, 350 + 50). Country-pair deliveries move from
/// P->D to K->D by 1,000 t; reroute cost = 10 x 100 t x (50 - 20) = 30,000 USD.
#[test]
fn two_sources_trade_diverts() {
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
    let pd = &m.by_partner["P->D"];
    let kd = &m.by_partner["K->D"];
    assert!(close(pd.counterfactual_t - pd.t, 1000.0), "{pd:?}");
    assert!(close(kd.t - kd.counterfactual_t, 1000.0), "{kd:?}");
    assert!(close(kd.counterfactual_t, 0.0));
    assert!(
        close(m.reroute_cost_usd, 30_000.0),
        "{}",
        m.reroute_cost_usd
    );
    assert!(close(m.lost_trade_usd, 0.0));
}

/// Nothing closes: every loss is exactly zero, also after the engine ran a closure.
#[test]
fn no_closure_no_loss_after_reuse() {
    let s = single_route(None, 0.001);
    let mut e = Engine::new(&s).unwrap();
    let _ = e.run(&[shut(0, 10, 5)], Record::Totals).unwrap();
    let m = e.run(&[], Record::Totals).unwrap().metrics;
    assert_eq!(m.total_loss_usd, 0.0);
    assert_eq!(m.trade_value_halted_usd, 0.0);
    assert_eq!(m.days_to_recover, None);
}

/// Checks mass balance and capacity at the end of every day.
struct Invariants {
    days: u32,
    worst_balance: f64,
    over_capacity: Vec<String>,
}

impl Observer for Invariants {
    fn end_of_day(&mut self, view: &DayView<'_>) {
        self.days += 1;
        for b in view.balances() {
            self.worst_balance = self.worst_balance.max(b.residual_t().abs());
            assert!(b.in_transit_t >= 0.0 && b.queued_t >= 0.0);
        }
        for u in view.link_usage() {
            let LinkUsage {
                link,
                forward,
                admitted_t,
                capacity_t,
            } = u;
            if admitted_t > capacity_t + 1e-9 {
                self.over_capacity.push(format!(
                    "day {} link {link} forward {forward}: {admitted_t} > {capacity_t}",
                    view.day
                ));
            }
        }
    }
}

/// A random small scenario: 3-7 nodes in 2-3 countries, a connected chain plus extra
/// links (some both ways, some crossings), 1-3 products (some perishable), random supply
/// and demand, and random closures.
fn random_case(seed: u64) -> (Scenario, Vec<ClosureWindow>) {
    random_case_with(seed, false)
}

/// As [`random_case`]; with `ties`, costs, transit times and values come from small
/// sets of round numbers, so that routes of exactly equal cost are common (and the
/// routing optimum is often not unique).
pub fn random_case_with(seed: u64, ties: bool) -> (Scenario, Vec<ClosureWindow>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = rng.random_range(3..8u32);
    let countries = ["X", "Y", "Z"];
    let nodes: Vec<Node> = (0..n)
        .map(|i| node(&format!("n{i}"), countries[rng.random_range(0..3)]))
        .collect();
    let mut links = Vec::new();
    for i in 1..n {
        let from = rng.random_range(0..i);
        links.push(link(
            &format!("l{i}"),
            from,
            i,
            rng.random_range(20.0..400.0),
            rng.random_range(0.0..50.0),
            rng.random_range(0.0..3.0),
        ));
    }
    for k in 0..rng.random_range(0..5u32) {
        let a = rng.random_range(0..n);
        let b = rng.random_range(0..n);
        if a != b {
            links.push(link(
                &format!("x{k}"),
                a,
                b,
                rng.random_range(20.0..400.0),
                rng.random_range(0.0..80.0),
                rng.random_range(0.0..4.0),
            ));
        }
    }
    for l in links.iter_mut() {
        l.both_ways = rng.random_bool(0.4);
        l.crossing =
            nodes[l.from.index()].country != nodes[l.to.index()].country || rng.random_bool(0.2);
    }
    if ties {
        for l in links.iter_mut() {
            l.cost_usd_per_t = [0.0, 10.0, 20.0][rng.random_range(0..3)];
            l.transit_days = [0.0, 1.0][rng.random_range(0..2)];
            l.capacity_t_per_day = [50.0, 100.0][rng.random_range(0..2)];
        }
    }
    let corridors: Vec<Corridor> = (0..links.len() as u32)
        .map(|i| corridor(&format!("c{i}"), &[i]))
        .collect();
    let mut s = scenario(nodes, links, corridors);
    s.settings.days = rng.random_range(20..50);
    s.settings.reaction_days = rng.random_range(0..4);
    s.settings.queue_patience_days = rng.random_range(1..6);
    s.settings.order_patience_days = rng.random_range(1..15);
    s.settings.abandon_after_days = rng.random_range(2..12);
    let np = rng.random_range(1..4u32);
    for p in 0..np {
        let value = if ties {
            [500.0, 1000.0][rng.random_range(0..2)]
        } else {
            rng.random_range(100.0..3000.0)
        };
        s.products.push(Product {
            perishability: rng.random_bool(0.5).then(|| Perishability {
                grace_days: rng.random_range(0.0..3.0),
                loss_per_day: rng.random_range(0.0..0.3),
                shelf_life_days: rng.random_range(2.0..12.0),
            }),
            holding_cost_per_day: rng.random_range(0.0..0.01),
            priority: rng.random_range(0..3),
            ..product(&format!("p{p}"), value)
        });
        for _ in 0..rng.random_range(1..3) {
            s.supplies.push(supply(
                p,
                rng.random_range(0..n),
                rng.random_range(0.0..300.0),
                if ties {
                    value * 0.5
                } else {
                    value * rng.random_range(0.2..0.9)
                },
            ));
        }
        for _ in 0..rng.random_range(1..3) {
            s.demands.push(demand(
                p,
                rng.random_range(0..n),
                rng.random_range(0.0..300.0),
                if ties {
                    value * [1.0, 1.5][rng.random_range(0..2)]
                } else {
                    value * rng.random_range(0.9..1.5)
                },
            ));
        }
    }
    let days = s.settings.days as i64;
    let nc = s.corridors.len() as u32;
    let closures: Vec<ClosureWindow> = (0..rng.random_range(0..4))
        .map(|_| random_window(&mut rng, nc, -3..days, 1..15))
        .collect();
    // Traders who weigh waiting against a detour, with beliefs from processes, shocks
    // and stated expected durations, and per-corridor reaction lags (drawn last, so the
    // draws above are those of a scenario without them).
    if rng.random_bool(0.5) {
        s.settings.traders = Traders::Weigh;
    }
    for c in s.corridors.iter_mut() {
        if rng.random_bool(0.3) {
            c.reaction_days = Some(rng.random_range(0..5));
        }
        if rng.random_bool(0.2) {
            c.expected_closure_days = Some(rng.random_range(0.5..40.0));
        }
    }
    let law = |rng: &mut ChaCha8Rng| match rng.random_range(0..4) {
        0 => DurationDist::exponential(rng.random_range(1.0..60.0)).unwrap(),
        1 => {
            DurationDist::lognormal(rng.random_range(0.0..4.0), rng.random_range(0.2..1.5)).unwrap()
        }
        2 => DurationDist::gamma(rng.random_range(0.3..4.0), rng.random_range(1.0..20.0)).unwrap(),
        _ => DurationDist::empirical(
            (0..rng.random_range(1..5))
                .map(|_| rng.random_range(1.0..30.0))
                .collect(),
        )
        .unwrap(),
    };
    for i in 0..rng.random_range(0..4u32) {
        let duration = law(&mut rng);
        // Mostly on a corridor that closes, so that the beliefs are used.
        let target = if !closures.is_empty() && rng.random_bool(0.7) {
            closures[rng.random_range(0..closures.len())].target
        } else {
            Target::Corridor(CorridorId(rng.random_range(0..nc)))
        };
        s.processes.push(ClosureProcess {
            id: format!("proc{i}"),
            target,
            rate_per_year: rng.random_range(0.1..3.0),
            duration,
            capacity_factor: 0.0,
            ramp_days: 0,
        });
    }
    if nc >= 2 && rng.random_bool(0.3) {
        let duration = law(&mut rng);
        s.shocks.push(ShockGroup {
            id: "shock".into(),
            targets: vec![
                Target::Corridor(CorridorId(0)),
                Target::Corridor(CorridorId(nc - 1)),
            ],
            rate_per_year: rng.random_range(0.1..1.0),
            duration,
            capacity_factor: 0.0,
            ramp_days: 0,
        });
    }
    // Fixed closures that state their own belief (drawn last): they are the
    // scenario's too, so that their links have wait arcs.
    let mut closures = closures;
    if s.settings.traders == Traders::Weigh && rng.random_bool(0.5) {
        for w in closures.iter_mut() {
            if rng.random_bool(0.5) {
                w.expected_closure_days = Some(rng.random_range(0.5..40.0));
            }
        }
        s.closures = closures.clone();
    }
    // Seasonal closures (drawn last): normal conditions, in every run and in the
    // counterfactual, on corridors that random closures may also shut.
    if rng.random_bool(0.4) {
        for _ in 0..rng.random_range(1..3) {
            let w = random_window(&mut rng, nc, -20..days, 1..30);
            s.seasonal.push(w);
        }
    }
    (s, closures)
}

/// A random closure of one of `nc` corridors (mostly shut, else a trickle) starting in
/// `starts`, lasting `lengths` days, with a ramp of 0-3 days.
fn random_window(
    rng: &mut ChaCha8Rng,
    nc: u32,
    starts: std::ops::Range<i64>,
    lengths: std::ops::Range<u32>,
) -> ClosureWindow {
    ClosureWindow {
        target: Target::Corridor(CorridorId(rng.random_range(0..nc))),
        start_day: rng.random_range(starts),
        duration_days: rng.random_range(lengths),
        capacity_factor: if rng.random_bool(0.7) {
            0.0
        } else {
            rng.random_range(0.0..1.0)
        },
        ramp_days: rng.random_range(0..4),
        label: None,
        expected_closure_days: None,
    }
}

/// `s` with a demand elasticity in [-3, 0) on most products (drawn from its own stream,
/// so that the case's other draws are those of `random_case_with`).
pub fn with_elasticities(mut s: Scenario, seed: u64) -> Scenario {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x0e1a_571c);
    for p in s.products.iter_mut() {
        if rng.random_bool(0.8) {
            p.demand_elasticity = -rng.random_range(0.05..3.0);
        }
    }
    s
}

/// `s` with traders who weigh and differ: a spread of beliefs in (0, 2.5] and 2..=8
/// classes (drawn from its own stream, so that the case's other draws are those of
/// `random_case_with`).
pub fn with_trader_classes(mut s: Scenario, seed: u64) -> Scenario {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7ade_c1a5);
    s.settings.traders = Traders::Weigh;
    s.settings.belief_spread = rng.random_range(0.05..2.5);
    s.settings.trader_classes = rng.random_range(2..=8);
    s
}

/// The plain reference engine (every day simulated, no shortcut).
fn reference(s: &Scenario) -> Engine {
    Engine::with_execution(s, Execution::Reference).unwrap()
}

/// Cases for the fast-path = reference property tests: `PROPTEST_CASES` (64 by default;
/// run 20,000 or more locally after changing the engine).
pub fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

/// The fast path gives the reference's report for `closures`, ties included.
fn fast_equals_reference(s: &Scenario, closures: &[ClosureWindow]) -> Result<(), TestCaseError> {
    let mut fast = Engine::new(s).unwrap();
    let a = fast.run(closures, Record::Daily).unwrap();
    let mut plain = reference(s);
    let b = plain.run(closures, Record::Daily).unwrap();
    let skipped = plain.days_simulated() - fast.days_simulated();
    if let Err(diff) = reports_close(&a, &b) {
        return Err(TestCaseError::fail(format!(
            "{diff} ({skipped} days skipped)"
        )));
    }
    prices_equal(&a, &b)
}

/// The prices of two reports (summary and daily) are the same exactly: they are
/// integers of 0.01 USD/t, a function of each day's routing inputs.
pub fn prices_equal(a: &RunReport, b: &RunReport) -> Result<(), TestCaseError> {
    prop_assert_eq!(&a.metrics.prices, &b.metrics.prices);
    let daily = |r: &RunReport| r.daily.as_ref().map(|d| d.prices.clone());
    prop_assert_eq!(daily(a), daily(b));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// supplied = delivered + in transit + waiting + queued + spoiled + abandoned, per
    /// product, at the end of every day; no link admits more than its capacity: on the
    /// reference (every day) and on the days the fast path simulates.
    #[test]
    fn mass_balance_and_capacity_every_day(seed in any::<u64>(), ties in any::<bool>()) {
        let (s, closures) = random_case_with(seed, ties);
        for mut e in [reference(&s), Engine::new(&s).unwrap()] {
            let mut inv = Invariants { days: 0, worst_balance: 0.0, over_capacity: vec![] };
            e.run_observed(&closures, Record::Daily, &mut inv).unwrap();
            prop_assert_eq!(inv.days, e.days_simulated());
            prop_assert!(inv.worst_balance < 1e-6, "mass balance off by {} t", inv.worst_balance);
            prop_assert!(inv.over_capacity.is_empty(), "{:?}", inv.over_capacity);
        }
    }

    /// Every tonne ordered is served, lapsed or open at the end: at start + placed =
    /// served + lapsed + open at the end, exactly (0.01 t), on both paths; and what was
    /// served is delivered, under way, queued or lost on the way (the mass balance).
    #[test]
    fn every_order_is_served_lapsed_or_open(seed in any::<u64>(), ties in any::<bool>()) {
        let (s, closures) = random_case_with(seed, ties);
        for mut e in [reference(&s), Engine::new(&s).unwrap()] {
            let o = e.run(&closures, Record::Totals).unwrap().metrics.orders;
            let lhs = o.at_start_t + o.placed_t;
            let rhs = o.served_t + o.lapsed_t + o.open_at_end_t;
            prop_assert!((lhs - rhs).abs() < 1e-6 * (1.0 + lhs), "{:?}", o);
        }
    }

    /// No closure, no loss; and a run is a pure function of its closures, whatever ran
    /// before it on the same engine.
    #[test]
    fn zero_loss_without_closures_and_deterministic(seed in any::<u64>()) {
        let (s, closures) = random_case(seed);
        let mut e = Engine::new(&s).unwrap();
        let first = e.run(&closures, Record::Daily).unwrap();
        let none = reference(&s).run(&[], Record::Totals).unwrap().metrics;
        prop_assert_eq!(none.total_loss_usd, 0.0);
        prop_assert_eq!(none.trade_value_halted_usd, 0.0);
        let again = e.run(&closures, Record::Daily).unwrap();
        prop_assert_eq!(&first, &again);
        let mut fresh = Engine::new(&s).unwrap();
        prop_assert_eq!(fresh.run(&closures, Record::Daily).unwrap().metrics, again.metrics);
    }

    /// The fast path (quiet days taken from the counterfactual, backlogs followed, plans
    /// remembered and taken over) gives the reference's results, to the order
    /// floating-point sums are added in.
    #[test]
    fn fast_path_equals_the_reference(seed in any::<u64>()) {
        let (s, closures) = random_case(seed);
        fast_equals_reference(&s, &closures)?;
    }

    /// The same where routes of equal cost are common: the routing optimum is canonical,
    /// so ties are broken the same way however a day's solve starts.
    #[test]
    fn fast_path_equals_the_reference_at_ties(seed in any::<u64>()) {
        let (s, closures) = random_case_with(seed, true);
        fast_equals_reference(&s, &closures)?;
    }

    /// An engine whose runs share some closures (a base, as a Monte Carlo's fixed
    /// closures) takes the days a run shares with the base from the base's simulation:
    /// the reference's results for runs that have the base and runs that do not; and
    /// losses are still measured against no closure at all. So `run` and `montecarlo`
    /// agree on the same closures.
    #[test]
    fn rejoining_a_base_changes_no_result(seed in any::<u64>(), k in 0usize..4, ties in any::<bool>()) {
        let (s, closures) = random_case_with(seed, ties);
        let k = k.min(closures.len());
        let base = &closures[..k];
        let mut e = Engine::with_base(&s, base).unwrap();
        let mut plain = reference(&s);
        for run in [&closures[..], &closures[k..], base] {
            let fast = e.run(run, Record::Daily).unwrap();
            let slow = plain.run(run, Record::Daily).unwrap();
            let skipped = plain.days_simulated() - e.days_simulated();
            if let Err(diff) = reports_close(&fast, &slow) {
                return Err(TestCaseError::fail(format!("{diff} ({skipped} days skipped)")));
            }
            prices_equal(&fast, &slow)?;
        }
        // The base itself is taken whole from its simulation; losses are measured
        // against no closure at all (a run without the base loses nothing).
        e.run(base, Record::Totals).unwrap();
        prop_assert_eq!(e.days_simulated(), 0);
        let none = e.run(&[], Record::Totals).unwrap().metrics;
        prop_assert!(none.total_loss_usd.abs() < 1e-6, "{}", none.total_loss_usd);
    }

    /// A year's loss does not depend on where the window ends: with a run-out, a run
    /// goes on until it is back to the counterfactual, and a longer window only adds
    /// days on which run and counterfactual are the same. The additive losses (spoilage,
    /// lost trade, trade halted, revenue) agree to rounding. Reroute and delay weigh the
    /// tonnes a run shipped more or less at the counterfactual's average cost per tonne
    /// over the days covered, which a longer window moves (docs/model.md, "What a year's
    /// loss holds"): they are not compared here. A run that never comes back (it settles
    /// into another regime than the counterfactual's, a cycle, docs/model.md "A run may
    /// never come back") loses every day until its cap, so a later window end costs more:
    /// for it, only that both windows cap is checked.
    #[test]
    fn a_loss_does_not_depend_on_where_the_window_ends(seed in any::<u64>(), k in 1u32..40) {
        let (mut s, closures) = random_case(seed);
        s.settings.runout_max_days = 120;
        let mut longer = s.clone();
        longer.settings.days += k;
        let a = Engine::new(&s).unwrap().run(&closures, Record::Totals).unwrap().metrics;
        let b = Engine::new(&longer).unwrap().run(&closures, Record::Totals).unwrap().metrics;
        prop_assert_eq!(a.runout_capped, b.runout_capped);
        if a.runout_capped {
            prop_assert_eq!(a.runout_days, s.settings.runout_max_days);
            prop_assert_eq!(b.runout_days, s.settings.runout_max_days);
            return Ok(());
        }
        let near = |x: f64, y: f64, tol: f64| (x - y).abs() <= tol;
        let tol = 1e-9 * (a.total_loss_usd.abs() + 1e6);
        prop_assert!(near(a.spoilage_usd, b.spoilage_usd, tol), "{} vs {}", a.spoilage_usd, b.spoilage_usd);
        prop_assert!(near(a.lost_trade_usd, b.lost_trade_usd, tol), "{} vs {}", a.lost_trade_usd, b.lost_trade_usd);
        prop_assert!(near(a.trade_value_halted_usd, b.trade_value_halted_usd, tol));
        let rev = |m: &chokepoint::sim::RunMetrics| m.revenue_lost_usd.values().sum::<f64>();
        prop_assert!(near(rev(&a), rev(&b), tol));
    }

    /// Traders who weigh, without a belief anywhere, are the myopic traders: the same
    /// report (per-corridor lags and all).
    #[test]
    fn weighing_without_beliefs_changes_nothing(seed in any::<u64>(), ties in any::<bool>()) {
        let (mut s, mut closures) = random_case_with(seed, ties);
        s.processes.clear();
        s.shocks.clear();
        s.corridors.iter_mut().for_each(|c| c.expected_closure_days = None);
        closures.iter_mut().for_each(|w| w.expected_closure_days = None);
        s.closures.clear();
        let mut weigh = s.clone();
        weigh.settings.traders = Traders::Weigh;
        s.settings.traders = Traders::Myopic;
        let a = reference(&s).run(&closures, Record::Daily).unwrap();
        let b = reference(&weigh).run(&closures, Record::Daily).unwrap();
        prop_assert_eq!(&a, &b);
        let c = Engine::new(&weigh).unwrap().run(&closures, Record::Daily).unwrap();
        if let Err(diff) = reports_close(&a, &c) {
            return Err(TestCaseError::fail(diff));
        }
    }

    /// Traders who differ, with no spread, are the weighing traders: the same report,
    /// exactly, on the reference and on the fast path, whatever the number of classes.
    #[test]
    fn traders_who_differ_without_a_spread_are_the_weighing_traders(seed in any::<u64>(), ties in any::<bool>()) {
        let (mut s, closures) = random_case_with(seed, ties);
        s.settings.traders = Traders::Weigh;
        let mut differ = with_trader_classes(s.clone(), seed);
        differ.settings.belief_spread = 0.0;
        let a = reference(&s).run(&closures, Record::Daily).unwrap();
        let b = reference(&differ).run(&closures, Record::Daily).unwrap();
        prop_assert_eq!(&a, &b);
        let c = Engine::new(&s).unwrap().run(&closures, Record::Daily).unwrap();
        let d = Engine::new(&differ).unwrap().run(&closures, Record::Daily).unwrap();
        prop_assert_eq!(&c, &d);
    }

    /// Traders who differ: the fast path gives the reference's report, and mass balance
    /// and capacity hold every day on both paths.
    #[test]
    fn fast_path_equals_the_reference_with_traders_who_differ(seed in any::<u64>(), ties in any::<bool>()) {
        let (s, closures) = random_case_with(seed, ties);
        let s = with_trader_classes(s, seed);
        fast_equals_reference(&s, &closures)?;
        for mut e in [reference(&s), Engine::new(&s).unwrap()] {
            let mut inv = Invariants { days: 0, worst_balance: 0.0, over_capacity: vec![] };
            e.run_observed(&closures, Record::Daily, &mut inv).unwrap();
            prop_assert!(inv.worst_balance < 1e-6, "mass balance off by {} t", inv.worst_balance);
            prop_assert!(inv.over_capacity.is_empty(), "{:?}", inv.over_capacity);
        }
    }

    /// Demand that answers the landed price: the fast path gives the reference's report
    /// (orders follow each day's prices on both), the order book balances, and a run
    /// without closures loses nothing.
    #[test]
    fn fast_path_equals_the_reference_with_elastic_demand(seed in any::<u64>(), ties in any::<bool>()) {
        let (s, closures) = random_case_with(seed, ties);
        let s = with_elasticities(s, seed);
        fast_equals_reference(&s, &closures)?;
        let mut e = Engine::new(&s).unwrap();
        let o = e.run(&closures, Record::Totals).unwrap().metrics.orders;
        let lhs = o.at_start_t + o.placed_t;
        let rhs = o.served_t + o.lapsed_t + o.open_at_end_t;
        prop_assert!((lhs - rhs).abs() < 1e-6 * (1.0 + lhs), "{:?}", o);
        let none = e.run(&[], Record::Totals).unwrap().metrics;
        prop_assert_eq!(none.total_loss_usd, 0.0);
        prop_assert_eq!(none.welfare_loss_usd, 0.0);
    }

    /// An elasticity of zero is fixed demand, and the mechanism is continuous there: with
    /// ε = -1e-15 on every product (prices tracked, orders scaled, the fast path's
    /// follower off), every order rounds to the fixed one, so the report is the
    /// fixed-demand report, welfare to rounding.
    #[test]
    fn a_vanishing_elasticity_is_fixed_demand(seed in any::<u64>(), ties in any::<bool>()) {
        let (s, closures) = random_case_with(seed, ties);
        let mut tiny = s.clone();
        tiny.products.iter_mut().for_each(|p| p.demand_elasticity = -1e-15);
        for ex in [Execution::Reference, Execution::Fast] {
            let a = Engine::with_execution(&s, ex).unwrap().run(&closures, Record::Daily).unwrap();
            let b = Engine::with_execution(&tiny, ex).unwrap().run(&closures, Record::Daily).unwrap();
            prop_assert_eq!(b.metrics.demand_forgone_t, 0.0);
            if let Err(diff) = reports_close(&a, &b) {
                return Err(TestCaseError::fail(diff));
            }
            prices_equal(&a, &b)?;
        }
    }

    /// An observer changes neither the days simulated nor the results.
    #[test]
    fn an_observer_changes_nothing(seed in any::<u64>()) {
        let (s, closures) = random_case(seed);
        let mut e = Engine::new(&s).unwrap();
        let plain = e.run(&closures, Record::Daily).unwrap();
        let days = e.days_simulated();
        let mut inv = Invariants { days: 0, worst_balance: 0.0, over_capacity: vec![] };
        let watched = e.run_observed(&closures, Record::Daily, &mut inv).unwrap();
        prop_assert_eq!(&plain, &watched);
        prop_assert_eq!(e.days_simulated(), days);
        prop_assert_eq!(inv.days, days);
    }
}

/// Two reports equal in structure, their numbers within 1e-9 relative (or 1e-6).
fn reports_close(a: &RunReport, b: &RunReport) -> Result<(), String> {
    a.close_to(b, 1e-9, 1e-6)
}

/// A run skips the days before its first closure and the days after its cargo, queues
/// and orders are back to the counterfactual's, and gives the day-by-day results.
#[test]
fn quiet_days_are_taken_from_the_counterfactual() {
    let s = single_route(None, 0.001);
    let days = s.settings.days;
    let mut e = Engine::new(&s).unwrap();
    let none = e.run(&[], Record::Daily).unwrap();
    assert_eq!(e.days_simulated(), 0);
    assert_eq!(none.metrics.total_loss_usd, 0.0);
    assert_eq!(
        none.daily.as_ref().unwrap().stranded_trucks.len(),
        days as usize
    );
    let fast = e.run(&[shut(0, 10, 5)], Record::Daily).unwrap();
    let simulated = e.days_simulated();
    let slow = reference(&s).run(&[shut(0, 10, 5)], Record::Daily).unwrap();
    // Days 0-9 come from the counterfactual; the queue drains by day 24 (see
    // single_route_queue_and_recovery), after which the run is the counterfactual's again.
    assert!(
        simulated < days - 10,
        "simulated {simulated} of {days} days"
    );
    assert!(
        simulated >= 15,
        "simulated {simulated} days: the closure and the drain"
    );
    reports_close(&fast, &slow).unwrap();
    assert!(fast.metrics.total_loss_usd > 0.0);
}

/// With no spare supply the backlog of orders from a closure is not worked off: from when
/// the queue has drained the run dispatches what the counterfactual dispatches (100
/// t/day, serving each day's orders) and keeps 600 t more open orders until they lapse
/// on days 42..=47 (`a_backlog_no_supply_can_serve_lapses`). It has the counterfactual's
/// cargo and only other orders, and follows the counterfactual (moving no cargo) until
/// its orders are the counterfactual's again, with the day-by-day results.
#[test]
fn a_backlog_alone_follows_the_counterfactual() {
    let mut s = single_route(None, 0.001);
    s.supplies = vec![supply(0, 0, 100.0, 100.0)];
    s.settings.runout_max_days = 0;
    let days = s.settings.days;
    let mut e = Engine::new(&s).unwrap();
    let fast = e.run(&[shut(0, 10, 5)], Record::Daily).unwrap();
    let (simulated, followed) = (e.days_simulated(), e.days_followed());
    let mut plain = reference(&s);
    let slow = plain.run(&[shut(0, 10, 5)], Record::Daily).unwrap();
    assert_eq!(plain.days_followed(), 0);
    assert_eq!(plain.days_simulated(), days);
    // Days 0-9 from the counterfactual, the closure and the drain simulated, then
    // followed until the backlog has lapsed (day 47); days 48.. from the counterfactual.
    assert_eq!(10 + simulated + followed, 48, "{simulated} + {followed}");
    assert!(followed >= 48 - 25, "followed {followed} of {days} days");
    reports_close(&fast, &slow).unwrap();
    // The open orders are the run's own, not the counterfactual's (none at day's end).
    let open = |r: &RunReport| r.daily.as_ref().unwrap().products[0].open_orders_t[40];
    assert!(open(&fast) >= 500.0, "{} t open on day 40", open(&fast));
    assert_eq!(open(&fast), open(&slow));
}

/// `chokepoint run` takes option files too: the option's changes on its base scenario.
#[test]
fn run_accepts_an_option_file() {
    let out = crate::common::cli(&["run", "scenarios/starter-option.toml"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("total loss"), "{text}");
}

/// A reader that goes away early (`chokepoint info ... | head`) ends the command quietly,
/// without a panic report.
#[test]
fn closed_stdout_is_not_a_panic() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_chokepoint"))
        .args(["info", "scenarios/afghanistan/base.toml"])
        .current_dir(crate::common::root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // stdout is dropped here: later writes hit a closed pipe.
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(out.status.code(), Some(101), "{err}");
}

/// Every subcommand's --help shows examples.
#[test]
fn every_subcommand_help_has_examples() {
    for cmd in [
        "validate",
        "info",
        "solve",
        "run",
        "montecarlo",
        "merge",
        "calibrate",
    ] {
        let out = crate::common::cli(&[cmd, "--help"]);
        assert!(out.status.success(), "{cmd} --help failed");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("Example") && text.contains(&format!("chokepoint {cmd} ")),
            "`chokepoint {cmd} --help` shows no example:\n{text}"
        );
    }
}

/// The closure of the test above with supply only equal to the orders (100 t/day): no
/// spare supply ever serves the backlog. Traders dispatch nothing on days 12..=17 (see
/// above), so 600 t of orders are never served. Orders are served newest first: from
/// day 18 each day's cargo serves that day's orders, and the backlog's orders (placed on
/// days 12..=17) lapse on days 42..=47 (patience 30 days): lost trade 600 t x 1,000 USD.
/// From day 48 the run's orders are the counterfactual's, so the run is back within the
/// 60-day window: no run-out, nothing open, and the order book balances.
#[test]
fn a_backlog_no_supply_can_serve_lapses() {
    let mut s = single_route(None, 0.001);
    s.supplies = vec![supply(0, 0, 100.0, 100.0)];
    s.settings.runout_max_days = 40;
    let fast = Engine::new(&s)
        .unwrap()
        .run(&[shut(0, 10, 5)], Record::Daily)
        .unwrap();
    let mut plain = reference(&s);
    let slow = plain.run(&[shut(0, 10, 5)], Record::Daily).unwrap();
    reports_close(&fast, &slow).unwrap();
    let m = &slow.metrics;
    assert_eq!(m.runout_days, 0);
    assert!(!m.runout_capped);
    assert_eq!(m.runout_open_t, 0.0);
    assert!(close(m.lost_trade_usd, 600_000.0), "{}", m.lost_trade_usd);
    let daily = slow.daily.as_ref().unwrap();
    assert_eq!(daily.products[0].open_orders_t[46], 100.0);
    assert_eq!(daily.products[0].open_orders_t[47], 0.0);
    let o = m.orders;
    assert!(close(
        o.at_start_t + o.placed_t,
        o.served_t + o.lapsed_t + o.open_at_end_t
    ));
    // The counterfactual lapses nothing: the run's lapsed orders are the 600 t.
    assert!(close(o.lapsed_t, 600.0), "{:?}", o);
}

/// With too short a run-out for the backlog to lapse (patience 30 days, run-out 5 days
/// after a 40-day window: the end is the start of day 45), the run is capped with part of
/// the backlog still open: the orders of days 12..=14 lapsed on days 42..=44, those of
/// days 15..=17 (300 t) are open at the cap and valued as lost trade there. The loss is
/// the one of the longer run-out above: 600 t x 1,000 USD.
#[test]
fn orders_open_at_the_cap_are_lost_trade() {
    let mut s = single_route(None, 0.001);
    s.supplies = vec![supply(0, 0, 100.0, 100.0)];
    s.settings.days = 40;
    s.settings.runout_max_days = 5;
    let fast = Engine::new(&s)
        .unwrap()
        .run(&[shut(0, 10, 5)], Record::Totals)
        .unwrap();
    let slow = reference(&s)
        .run(&[shut(0, 10, 5)], Record::Totals)
        .unwrap();
    reports_close(&fast, &slow).unwrap();
    let m = &slow.metrics;
    assert!(m.runout_capped);
    assert_eq!(m.runout_days, 5);
    assert!(close(m.runout_open_t, 300.0), "{}", m.runout_open_t);
    assert!(close(m.runout_open_usd, 300_000.0));
    assert!(close(m.lost_trade_usd, 600_000.0), "{}", m.lost_trade_usd);
    assert!(close(m.orders.open_at_end_t, 300.0));
    assert!(close(m.orders.lapsed_t, 300.0));
}

/// A steady start: one road a -> b of 2.5 days, 100 t/day ordered and supplied. From
/// an empty network nothing arrives before day 2 (the lots of day 0 arrive at 2.5 and are
/// delivered on day 2); from the steady start the lots dispatched on days -2 and -1 are
/// under way at its start, 100 t arrive on day 0 as on every day, and a run with no
/// closure delivers 100 t every day.
#[test]
fn a_steady_start_delivers_from_day_0() {
    let mut s = scenario(
        vec![node("a", "X"), node("b", "Y")],
        vec![link("road", 0, 1, 1000.0, 10.0, 2.5)],
        vec![corridor("road", &[0])],
    );
    s.products = vec![product("goods", 1000.0)];
    s.supplies = vec![supply(0, 0, 100.0, 500.0)];
    s.demands = vec![demand(0, 1, 100.0, 1000.0)];
    let mut e = reference(&s);
    // ceil(2.5) days of transit + 30 days of order patience + 30 of abandonment + a
    // reaction lag of 0 + 1.
    assert_eq!(e.spinup_days(), 3 + 30 + 30 + 1);
    let r = e.run(&[], Record::Daily).unwrap();
    let d = r.daily.unwrap();
    assert!(
        d.delivered_usd.iter().all(|&v| close(v, 100_000.0)),
        "{:?}",
        &d.delivered_usd[..5]
    );
    s.settings.steady_start = false;
    let mut e = reference(&s);
    assert_eq!(e.spinup_days(), 0);
    let r = e.run(&[], Record::Daily).unwrap();
    let d = r.daily.unwrap();
    assert_eq!(d.delivered_usd[..3], [0.0, 0.0, 100_000.0]);
}

/// The Afghanistan scenario with no closure delivers on day 0 what it delivers on a
/// steady day of the same month (day 20: January's season and 2024's levels), within
/// 1 %.
#[test]
fn afghanistan_starts_steady() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/afghanistan/base.toml"
    );
    let s = chokepoint::scenario::load(path).unwrap();
    let r = Engine::new(&s).unwrap().run(&[], Record::Daily).unwrap();
    let d = r.daily.unwrap();
    let (day0, steady) = (d.delivered_usd[0], d.delivered_usd[20]);
    assert!((day0 - steady).abs() <= 0.01 * steady, "{day0} vs {steady}");
}

/// `chokepoint run --reference` simulates every day plainly and writes the same run.csv
/// as the fast path (to the last printed digit: the two agree to the order floating-point
/// sums are added in, far below the printed precision of the totals compared here).
#[test]
fn run_reference_writes_what_the_fast_path_writes() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("fast"), dir.path().join("reference"));
    let args = |out: &std::path::Path, reference: bool| {
        let mut v = vec![
            "run".to_string(),
            "scenarios/twoland.toml".into(),
            "--close".into(),
            "north:2024-02-01+14".into(),
            "--out".into(),
            out.to_str().unwrap().into(),
        ];
        if reference {
            v.push("--reference".into());
        }
        v
    };
    for (out, r) in [(&a, false), (&b, true)] {
        let v = args(out, r);
        let v: Vec<&str> = v.iter().map(String::as_str).collect();
        let o = crate::common::cli(&v);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let read = |p: &std::path::Path| std::fs::read_to_string(p.join("run.csv")).unwrap();
    let (fa, fb) = (read(&a), read(&b));
    let total = |t: &str| {
        t.lines()
            .find(|l| l.contains(",total_loss_usd,"))
            .and_then(|l| l.rsplit(',').next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap()
    };
    assert!(total(&fa) > 0.0);
    assert!((total(&fa) - total(&fb)).abs() <= 1e-6 * total(&fa).abs());
    assert_eq!(fa.lines().count(), fb.lines().count());
}
