//! Integration tests: montecarlo (closure sampling, regime chains, the runner, shards,
//! statistics and the CLI).

use chokepoint::closure::{
    regime, ClosureProcess, ClosureSampler, ClosureWindow, DurationDist, RegimeChain, RegimeState,
    ShockGroup, Target,
};
use chokepoint::network::{Corridor, CorridorId, Link, LinkId, Mode, Node, NodeId, NodeKind};
use chokepoint::scenario::Settings;
use chokepoint::Scenario;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A scenario with `n` corridors `c0..`, one road link each between two nodes, no
/// products (the sampler and the fake model need none), and no random closures.
pub fn corridors_scenario(n: usize) -> Scenario {
    let node = |id: &str, country: &str| Node {
        id: id.into(),
        name: id.into(),
        country: country.into(),
        kind: NodeKind::Market,
    };
    Scenario {
        settings: Settings::named("mc_test"),
        nodes: vec![node("a", "AF"), node("b", "PK")],
        links: (0..n)
            .map(|i| Link {
                id: format!("l{i}"),
                from: NodeId(0),
                to: NodeId(1),
                both_ways: true,
                mode: Mode::Road,
                capacity_t_per_day: 1000.0,
                cost_usd_per_t: 10.0,
                transit_days: 1.0,
                charges: vec![],
                crossing: true,
            })
            .collect(),
        corridors: (0..n)
            .map(|i| Corridor {
                id: format!("c{i}"),
                name: format!("Corridor {i}"),
                links: vec![LinkId(i as u32)],
            })
            .collect(),
        products: vec![],
        supplies: vec![],
        demands: vec![],
        closures: vec![],
        processes: vec![],
        shocks: vec![],
        regimes: None,
        expansions: vec![],
        source: None,
        checksum: "test".into(),
    }
}

fn corridor(i: u32) -> Target {
    Target::Corridor(CorridorId(i))
}

fn process(i: u32, rate: f64, duration: DurationDist) -> ClosureProcess {
    ClosureProcess {
        target: corridor(i),
        rate_per_year: rate,
        duration,
        capacity_factor: 0.0,
        ramp_days: 0,
    }
}

fn p_day(rate: f64) -> f64 {
    1.0 - (-rate / 365.0).exp()
}

/// |observed - expected| within `k` standard errors.
fn within(observed: f64, expected: f64, se: f64, k: f64, what: &str) {
    assert!(
        (observed - expected).abs() <= k * se,
        "{what}: observed {observed}, expected {expected} +- {k} x {se}"
    );
}

/// Sample `runs` years with streams 0..runs of seed `seed`.
fn sample_many(s: &Scenario, runs: u64, days: u32, seed: u64) -> Vec<Vec<ClosureWindow>> {
    let sampler = ClosureSampler::new(s).unwrap();
    (0..runs)
        .map(|i| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(i);
            sampler.sample(0, days, &mut rng)
        })
        .collect()
}

#[test]
fn onset_rate_matches_the_poisson_day_probability() {
    let mut s = corridors_scenario(1);
    let rate = 6.0;
    s.processes = vec![process(0, rate, DurationDist::exponential(3.0).unwrap())];
    let (runs, days) = (1000u64, 365u32);
    let n: usize = sample_many(&s, runs, days, 11).iter().map(Vec::len).sum();
    // Each day is an independent Bernoulli trial with p = 1 - exp(-rate/365).
    let trials = (runs * u64::from(days)) as f64;
    let p = p_day(rate);
    within(
        n as f64,
        trials * p,
        (trials * p * (1.0 - p)).sqrt(),
        4.5,
        "onsets",
    );
    // And the rate per year is close to the nominal rate (within the same error plus
    // the known O(rate^2/730) bias of counting days with an onset).
    assert!((n as f64 / runs as f64 - rate).abs() < 0.35);
}

/// E[max(1, round(X))] given X's CDF.
fn rounded_mean(cdf: impl Fn(f64) -> f64) -> f64 {
    let mut m = cdf(1.5);
    for k in 2..20_000 {
        let kf = k as f64;
        m += kf * (cdf(kf + 0.5) - cdf(kf - 0.5));
    }
    m
}

fn duration_sample(d: DurationDist) -> Vec<f64> {
    let mut s = corridors_scenario(1);
    s.processes = vec![process(0, 300.0, d)];
    sample_many(&s, 30, 365, 5)
        .into_iter()
        .flatten()
        .map(|w| f64::from(w.duration_days))
        .collect()
}

fn mean_sd(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0);
    (m, v.sqrt())
}

#[test]
fn duration_means_match_the_distributions() {
    // Exponential, mean 8: exact mean of the rounded draw from the CDF.
    let x = duration_sample(DurationDist::exponential(8.0).unwrap());
    let (m, sd) = mean_sd(&x);
    let expected = rounded_mean(|t| 1.0 - (-t / 8.0).exp());
    within(
        m,
        expected,
        sd / (x.len() as f64).sqrt(),
        4.5,
        "exponential",
    );
    assert!(x.iter().all(|d| *d >= 1.0));

    // Gamma with integer shape 3, scale 4 (Erlang CDF).
    let x = duration_sample(DurationDist::gamma(3.0, 4.0).unwrap());
    let (m, sd) = mean_sd(&x);
    let erlang = |t: f64| {
        let y = t / 4.0;
        1.0 - (-y).exp() * (1.0 + y + y * y / 2.0)
    };
    within(
        m,
        rounded_mean(erlang),
        sd / (x.len() as f64).sqrt(),
        4.5,
        "gamma",
    );

    // Empirical list: uniform over its entries.
    let x = duration_sample(DurationDist::empirical(vec![2.0, 5.0, 20.0]).unwrap());
    let (m, sd) = mean_sd(&x);
    within(m, 9.0, sd / (x.len() as f64).sqrt(), 4.5, "empirical");
    assert!(x.iter().all(|d| [2.0, 5.0, 20.0].contains(d)));

    // Lognormal: the log of the draw has mean mu (rounding is small at these sizes).
    let x = duration_sample(DurationDist::lognormal(4.0, 0.3).unwrap());
    let logs: Vec<f64> = x.iter().map(|v| v.ln()).collect();
    let (m, sd) = mean_sd(&logs);
    within(
        m,
        4.0,
        sd / (x.len() as f64).sqrt(),
        4.5,
        "lognormal log-mean",
    );
}

fn two_state_chain(a: f64, b: f64) -> RegimeChain {
    RegimeChain {
        states: vec![
            RegimeState {
                id: "calm".into(),
                rate_multiplier: 0.5,
            },
            RegimeState {
                id: "tense".into(),
                rate_multiplier: 6.0,
            },
        ],
        transitions: vec![vec![1.0 - a, a], vec![b, 1.0 - b]],
        initial: None,
    }
}

#[test]
fn regime_long_run_shares_match_a_long_simulation() {
    let (a, b) = (0.02, 0.08);
    let chain = two_state_chain(a, b);
    let pi = regime::stationary(&chain).unwrap();
    let sim = regime::RegimeSimulator::new(&chain).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let t = 400_000u32;
    let path = sim.sample_path(t, &mut rng);
    let share = path.iter().filter(|s| **s == 1).count() as f64 / f64::from(t);
    // Variance of a two-state chain's time average: pi0 pi1 (1 + l) / (1 - l) / T,
    // with l = 1 - a - b the chain's second eigenvalue.
    let l = 1.0 - a - b;
    let se = (pi[0] * pi[1] * (1.0 + l) / (1.0 - l) / f64::from(t)).sqrt();
    within(share, pi[1], se, 4.5, "tense share");
    let sojourn = regime::mean_sojourn_days(&chain);
    assert!((sojourn[0] - 50.0).abs() < 1e-9 && (sojourn[1] - 12.5).abs() < 1e-9);

    // A three-state chain: shares from the simulation within a generous bound.
    let chain3 = RegimeChain {
        states: (0..3)
            .map(|i| RegimeState {
                id: format!("s{i}"),
                rate_multiplier: 1.0,
            })
            .collect(),
        transitions: vec![
            vec![0.9, 0.08, 0.02],
            vec![0.1, 0.8, 0.1],
            vec![0.05, 0.15, 0.8],
        ],
        initial: Some(2),
    };
    let pi3 = regime::stationary(&chain3).unwrap();
    let path = regime::RegimeSimulator::new(&chain3)
        .unwrap()
        .sample_path(t, &mut rng);
    assert_eq!(path[0], 2, "a given initial state starts the path");
    for (s, p) in pi3.iter().enumerate() {
        let share = path.iter().filter(|x| **x == s).count() as f64 / f64::from(t);
        // Mixing within ~10 days: an effective sample of T / 20 bounds the error.
        let se = (p * (1.0 - p) / (f64::from(t) / 20.0)).sqrt();
        within(share, *p, se, 4.5, "three-state share");
    }
}

#[test]
fn regimes_scale_the_onset_rate() {
    let (a, b) = (0.05, 0.2);
    let mut s = corridors_scenario(1);
    let rate = 4.0;
    s.processes = vec![process(0, rate, DurationDist::exponential(2.0).unwrap())];
    s.regimes = Some(two_state_chain(a, b));
    let pi = regime::stationary(s.regimes.as_ref().unwrap()).unwrap();
    let (runs, days) = (2000u64, 365u32);
    let n: usize = sample_many(&s, runs, days, 17).iter().map(Vec::len).sum();
    let p = pi[0] * p_day(rate * 0.5) + pi[1] * p_day(rate * 6.0);
    let trials = (runs * u64::from(days)) as f64;
    // Regime persistence makes days dependent: inflate the binomial variance by the
    // chain's integrated autocorrelation (1 + l) / (1 - l), l = 1 - a - b.
    let l = 1.0 - a - b;
    let se = (trials * p * (1.0 - p) * (1.0 + l) / (1.0 - l)).sqrt();
    within(n as f64, trials * p, se, 4.5, "regime-scaled onsets");
    // Without the chain the count would be near trials * p_day(4): far outside.
    assert!((n as f64 - trials * p_day(rate)).abs() > 10.0 * se);
}

#[test]
fn shocked_corridors_close_together() {
    let mut s = corridors_scenario(3);
    let (ra, rb, rs) = (3.0, 5.0, 4.0);
    s.processes = vec![
        process(0, ra, DurationDist::exponential(4.0).unwrap()),
        process(1, rb, DurationDist::exponential(4.0).unwrap()),
    ];
    s.shocks = vec![ShockGroup {
        id: "crisis".into(),
        targets: vec![corridor(0), corridor(1)],
        rate_per_year: rs,
        duration: DurationDist::exponential(10.0).unwrap(),
        capacity_factor: 0.1,
        ramp_days: 3,
    }];
    let (runs, days) = (2000u64, 365u32);
    let all = sample_many(&s, runs, days, 23);
    let mut both = 0u64;
    for ws in &all {
        // Shock windows come in pairs with the same start and duration.
        let shock: Vec<&ClosureWindow> = ws
            .iter()
            .filter(|w| w.label.as_deref() == Some("shock crisis"))
            .collect();
        assert_eq!(shock.len() % 2, 0);
        for pair in shock.chunks(2) {
            assert_eq!(pair[0].target, corridor(0));
            assert_eq!(pair[1].target, corridor(1));
            assert_eq!(pair[0].start_day, pair[1].start_day);
            assert_eq!(pair[0].duration_days, pair[1].duration_days);
            assert_eq!((pair[0].capacity_factor, pair[0].ramp_days), (0.1, 3));
        }
        assert!(ws.iter().all(|w| w.target != corridor(2)));
        for d in 0..i64::from(days) {
            let starts = |c| {
                ws.iter()
                    .any(|w| w.start_day == d && w.target == corridor(c))
            };
            if starts(0) && starts(1) {
                both += 1;
            }
        }
    }
    let (pa, pb, ps) = (p_day(ra), p_day(rb), p_day(rs));
    let p = ps + (1.0 - ps) * pa * pb;
    let trials = (runs * u64::from(days)) as f64;
    within(
        both as f64,
        trials * p,
        (trials * p * (1.0 - p)).sqrt(),
        4.5,
        "days both close",
    );
}

#[test]
fn sampling_is_deterministic_per_stream() {
    let mut s = corridors_scenario(2);
    s.processes = vec![process(0, 20.0, DurationDist::lognormal(1.5, 0.7).unwrap())];
    s.regimes = Some(two_state_chain(0.1, 0.1));
    let a = sample_many(&s, 5, 365, 99);
    let b = sample_many(&s, 5, 365, 99);
    assert_eq!(a, b);
    assert_ne!(a[0], a[1], "different streams give different closures");
    assert!(a.iter().flatten().all(|w| (0..365).contains(&w.start_day)));
}

#[test]
fn bad_closure_models_are_errors() {
    let mut s = corridors_scenario(1);
    s.processes = vec![process(0, -1.0, DurationDist::exponential(2.0).unwrap())];
    let e = ClosureSampler::new(&s).unwrap_err().to_string();
    assert!(e.contains("rate_per_year") && e.contains("c0"), "{e}");
    s.processes = vec![process(
        0,
        1.0,
        DurationDist::Exponential { mean_days: 0.0 },
    )];
    assert!(ClosureSampler::new(&s).is_err());
    s.processes = vec![];
    let mut chain = two_state_chain(0.1, 0.1);
    chain.transitions = vec![vec![1.0, 0.0], vec![0.0, 1.0]];
    s.regimes = Some(chain);
    let e = ClosureSampler::new(&s).unwrap_err().to_string();
    assert!(e.contains("no unique long-run shares"), "{e}");
}
