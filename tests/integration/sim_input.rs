//! The engine accepts only what `Scenario::check` accepts, and no input drives it into
//! a panic: scenarios built in code (as a notebook builds them), valid or not, and
//! closure windows of any shape.

use std::panic::{catch_unwind, AssertUnwindSafe};

use chokepoint::closure::{ClosureWindow, Target};
use chokepoint::network::{CorridorId, LinkId, NodeId, Perishability, ProductId};
use chokepoint::scenario::{Expansion, Scenario};
use chokepoint::sim::{Engine, Execution, Record};
use chokepoint::Error;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::sim::random_case_with;

/// A number that breaks a rule: NaN, infinite, negative, zero or huge.
fn bad_number(rng: &mut ChaCha8Rng) -> f64 {
    [f64::NAN, f64::INFINITY, -1.0, 0.0, 1e300, -1e300][rng.random_range(0..6)]
}

/// Break `s` in one of many ways a user building a scenario in code could.
fn mutate(s: &mut Scenario, rng: &mut ChaCha8Rng) {
    let n = s.nodes.len() as u32;
    let far = |rng: &mut ChaCha8Rng| n + rng.random_range(0..3u32);
    match rng.random_range(0..24) {
        0 => {
            if let Some(d) = s.demands.first_mut() {
                d.node = NodeId(far(rng));
            }
        }
        1 => {
            if let Some(x) = s.supplies.first_mut() {
                x.node = NodeId(far(rng));
            }
        }
        2 => {
            if let Some(d) = s.demands.last_mut() {
                d.product = ProductId(s.products.len() as u32 + 1);
            }
        }
        3 => {
            if let Some(l) = s.links.first_mut() {
                l.to = NodeId(far(rng));
            }
        }
        4 => {
            if let Some(c) = s.corridors.first_mut() {
                c.links.push(LinkId(s.links.len() as u32 + 2));
            }
        }
        5 => {
            s.links.clear();
            s.corridors.clear();
        }
        6 => {
            s.nodes.truncate(1);
        }
        7 => s.products.clear(),
        8 => {
            if let Some(l) = s.links.first_mut() {
                l.capacity_t_per_day = bad_number(rng);
            }
        }
        9 => {
            if let Some(l) = s.links.last_mut() {
                l.cost_usd_per_t = bad_number(rng);
            }
        }
        10 => {
            if let Some(l) = s.links.first_mut() {
                l.transit_days = bad_number(rng);
            }
        }
        11 => {
            if let Some(p) = s.products.first_mut() {
                p.value_usd_per_t = bad_number(rng);
            }
        }
        12 => {
            if let Some(d) = s.demands.first_mut() {
                d.t_per_day = bad_number(rng);
            }
        }
        13 => {
            if let Some(x) = s.supplies.first_mut() {
                x.price_usd_per_t = bad_number(rng);
            }
        }
        14 => s.settings.days = [0, 5000, u32::MAX][rng.random_range(0..3)],
        15 => s.settings.reaction_days = [5000, u32::MAX][rng.random_range(0..2)],
        16 => s.settings.truck_payload_t = bad_number(rng),
        17 => {
            if let Some(p) = s.products.first_mut() {
                p.perishability = Some(Perishability {
                    grace_days: bad_number(rng),
                    loss_per_day: bad_number(rng),
                    shelf_life_days: bad_number(rng),
                });
            }
        }
        18 => {
            if let Some(d) = s.demands.first_mut() {
                let mut m = [1.0; 12];
                m[rng.random_range(0..12)] = bad_number(rng);
                d.seasonality = Some(m);
            }
        }
        19 => s.expansions.push(Expansion {
            link: LinkId(s.links.len() as u32 + rng.random_range(0..2u32)),
            extra_t_per_day: bad_number(rng),
            start_day: rng.random_range(-10..10),
            ramp_days: rng.random_range(0..5),
        }),
        20 => s.closures.push(ClosureWindow {
            target: Target::Corridor(CorridorId(s.corridors.len() as u32 + 1)),
            start_day: 3,
            duration_days: 4,
            capacity_factor: 0.0,
            ramp_days: 0,
            label: None,
            expected_closure_days: None,
        }),
        21 => {
            if let Some(l) = s.links.get(1).cloned() {
                s.links[0].id = l.id;
            }
        }
        22 => {
            if let Some(p) = s.products.first_mut() {
                p.holding_cost_per_day = bad_number(rng);
            }
        }
        _ => {
            if let Some(l) = s.links.first_mut() {
                l.charges.push(chokepoint::network::Charge {
                    country: "X".into(),
                    usd_per_t: bad_number(rng),
                    direction: chokepoint::network::Direction::Both,
                });
            }
        }
    }
}

/// A closure window of any shape: its target may not exist, its factor may be out of
/// range, its start and length anything.
fn any_window(rng: &mut ChaCha8Rng, s: &Scenario) -> ClosureWindow {
    let nc = s.corridors.len() as u32;
    let nl = s.links.len() as u32;
    ClosureWindow {
        target: if rng.random_bool(0.5) {
            Target::Corridor(CorridorId(rng.random_range(0..nc + 2)))
        } else {
            Target::Link(LinkId(rng.random_range(0..nl + 2)))
        },
        start_day: [
            rng.random_range(-5..60),
            i64::MIN,
            i64::MAX,
            -(1 << 40),
            1 << 40,
        ][rng.random_range(0..5)],
        duration_days: [rng.random_range(0..20), u32::MAX][rng.random_range(0..2)],
        capacity_factor: [rng.random_range(0.0..1.0), 0.0, f64::NAN, -0.5, 2.0]
            [rng.random_range(0..5)],
        ramp_days: [rng.random_range(0..5), u32::MAX][rng.random_range(0..2)],
        label: None,
        expected_closure_days: [
            None,
            Some(rng.random_range(0.5..30.0)),
            Some(f64::NAN),
            Some(-1.0),
        ][rng.random_range(0..4)],
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4 * crate::sim::cases()))]

    /// Scenarios built in code, valid or broken in up to three ways, and closure windows
    /// of any shape: `Engine::new` and `run` return results or errors, never panic; the
    /// engine refuses exactly what `Scenario::check` refuses, with its diagnostics.
    #[test]
    fn no_input_drives_the_engine_into_a_panic(seed in any::<u64>(), breaks in 0usize..4) {
        let (mut s, mut closures) = random_case_with(seed, seed % 2 == 0);
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
        for _ in 0..breaks {
            mutate(&mut s, &mut rng);
        }
        for _ in 0..rng.random_range(0..3) {
            closures.push(any_window(&mut rng, &s));
        }
        let checked = catch_unwind(AssertUnwindSafe(|| s.check()));
        prop_assert!(checked.is_ok(), "check() panicked");
        let checked = checked.unwrap();
        for execution in [Execution::Fast, Execution::Reference] {
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                let mut e = Engine::with_execution(&s, execution)?;
                e.run(&closures, Record::Daily).map(|_| ())
            }));
            let Ok(outcome) = outcome else {
                return Err(TestCaseError::fail(format!("the engine panicked ({execution:?})")));
            };
            if let Err(errs) = &checked {
                match &outcome {
                    Err(Error::Scenario(e)) => prop_assert_eq!(e, errs),
                    other => return Err(TestCaseError::fail(format!(
                        "check() refused the scenario, the engine said {other:?}"
                    ))),
                }
            }
        }
    }
}
