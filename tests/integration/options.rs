//! Integration tests: options that change risk (added processes and shocks, targets that
//! join a shock group, changed laws, added and removed fixed closures), their validation,
//! and the common-random-numbers property: a base process draws the same closures in
//! every option, run by run.

use chokepoint::closure::{
    ClosureProcess, ClosureWindow, DurationDist, RegimeChain, RegimeState, ShockGroup, Target,
};
use chokepoint::error::DiagnosticKind as K;
use chokepoint::montecarlo::run_rng;
use chokepoint::network::CorridorId;
use chokepoint::{scenario, Error, Scenario};
use proptest::prelude::*;

use crate::common::{cli, fixture, root};
use crate::montecarlo::corridors_scenario;

#[test]
fn an_option_changes_risk() {
    let base = scenario::load(fixture("montecarlo/twoland_random_fixed.toml")).unwrap();
    let (opt, s) = scenario::load_option(fixture("options/risk.toml")).unwrap();
    assert_eq!(opt.name, "risky_bypass");
    // The new corridor gets the next index and its own process, after the base's.
    let bypass = s.corridor("bypass_corridor").unwrap();
    assert_eq!(bypass, CorridorId(2));
    assert_eq!(s.processes.len(), 3);
    let p = &s.processes[2];
    assert_eq!(
        (p.id.as_str(), p.target),
        ("bypass_faults", Target::Corridor(bypass))
    );
    assert_eq!(p.rate_per_year, 2.0);
    // The base's shock closes the bypass too, at its new rate and factor.
    let g = &s.shocks[0];
    assert_eq!(g.targets.len(), 3);
    assert_eq!(g.targets[2], Target::Corridor(bypass));
    assert_eq!((g.rate_per_year, g.capacity_factor), (1.0, 0.1));
    // north: half the rate, durations twice as long (lognormal: mu + ln 2).
    let north = &s.processes[0];
    assert_eq!(north.id, "north");
    assert_eq!(north.rate_per_year, 3.0);
    match (&north.duration, &base.processes[0].duration) {
        (DurationDist::LogNormal { mu, sigma }, DurationDist::LogNormal { mu: m0, sigma: s0 }) => {
            assert!((mu - (m0 + 2f64.ln())).abs() < 1e-12);
            assert_eq!(sigma, s0);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        (north.duration.mean_days() - 2.0 * base.processes[0].duration.mean_days()).abs() < 1e-9
    );
    // The untouched process is the base's.
    assert_eq!(s.processes[1], base.processes[1]);
    // Fixed closures: the September one removed, the bypass works added.
    let labels: Vec<&str> = s
        .closures
        .iter()
        .filter_map(|w| w.label.as_deref())
        .collect();
    assert_eq!(labels, ["north shut in January", "bypass works"]);
    assert_eq!(
        s.closures[1].target,
        Target::Link(chokepoint::network::LinkId(6))
    );
    assert_eq!(
        (s.closures[1].start_day, s.closures[1].duration_days),
        (100, 5)
    );
    // An option's checksum and base are recorded.
    assert_eq!(s.base.as_ref().unwrap().checksum, base.checksum);
}

#[test]
fn option_risk_mistakes_are_all_reported_with_lines_and_hints() {
    let path = fixture("invalid/option_risk_mistakes.toml");
    let e = match scenario::load_option(&path) {
        Err(Error::Scenario(e)) => e,
        other => panic!("{other:?}"),
    };
    let errs: Vec<_> = e.errors().collect();
    let at = |line: usize, kind: K| {
        errs.iter()
            .find(|d| d.line == line && d.kind == kind)
            .unwrap_or_else(|| panic!("no {kind:?} on line {line} in:\n{e}"))
    };
    let dup = at(8, K::DuplicateId);
    assert!(dup.message.contains("duplicate process id `south`"), "{e}");
    assert!(
        dup.hint
            .as_deref()
            .unwrap()
            .contains("give this one an `id`"),
        "{e}"
    );
    assert_eq!(
        at(15, K::UnknownKey).hint.as_deref(),
        Some("did you mean `rate_per_year`?")
    );
    at(12, K::MissingKey);
    assert_eq!(
        at(19, K::UnknownReference).hint.as_deref(),
        Some("did you mean `beta_crisis`?")
    );
    let unknown = at(23, K::UnknownReference);
    assert!(unknown.message.contains("unknown process `nort`"), "{e}");
    assert_eq!(unknown.hint.as_deref(), Some("did you mean `north`?"));
    assert!(at(29, K::Inconsistent)
        .message
        .contains("both `rate_per_year` and `rate_scale`"));
    let label = at(33, K::UnknownReference);
    assert!(
        label
            .hint
            .as_deref()
            .unwrap()
            .contains("did you mean `north shut in September`?"),
        "{e}"
    );
    assert_eq!(errs.len(), 7, "{e}");
    assert!(errs.iter().all(|d| d.file == path));

    // The CLI says the same, with exit code 2.
    let o = cli(&["validate", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let text = String::from_utf8_lossy(&o.stderr);
    assert!(
        text.contains("option_risk_mistakes.toml:23: error: unknown process `nort`"),
        "{text}"
    );
}

/// The windows of `with` that come from `base`'s own processes and shocks (by label), on
/// `base`'s own targets.
fn base_part(base: &Scenario, with: &[ClosureWindow]) -> Vec<ClosureWindow> {
    with.iter()
        .filter(|w| {
            let label = w.label.as_deref().unwrap_or_default();
            base.processes
                .iter()
                .any(|p| label == format!("random {}", p.id))
                || base
                    .shocks
                    .iter()
                    .any(|g| label == format!("shock {}", g.id) && g.targets.contains(&w.target))
        })
        .cloned()
        .collect()
}

#[test]
fn shipped_options_keep_the_base_closures_run_by_run() {
    let base = scenario::load(root().join("scenarios/afghanistan/base.toml")).unwrap();
    let sb = base.closure_sampler().unwrap();
    for name in ["chabahar", "khaf_herat_rail", "trans_afghan_rail"] {
        let path = root().join(format!("scenarios/afghanistan/options/{name}.toml"));
        let (_, s) = scenario::load_option(&path).unwrap();
        let so = s.closure_sampler().unwrap();
        let mut extra = 0;
        for run in 0..300 {
            let rng = run_rng(1, run);
            let a = sb.sample(0, base.settings.days, &rng);
            let b = so.sample(0, s.settings.days, &rng);
            assert_eq!(base_part(&base, &b), a, "{name}, run {run}");
            extra += b.len() - a.len();
        }
        match name {
            // Its own processes and the shock's extra target close in some runs.
            "chabahar" | "trans_afghan_rail" => assert!(extra > 0, "{name}"),
            _ => assert_eq!(extra, 0, "{name}"),
        }
    }
    // What the shipped options say about their risks.
    let (_, t) =
        scenario::load_option(root().join("scenarios/afghanistan/options/trans_afghan_rail.toml"))
            .unwrap();
    let crisis = t.shocks.iter().find(|g| g.id == "pakistan_crisis").unwrap();
    let rail = Target::Link(t.link("trans_afghan_rail_kharlachi").unwrap());
    assert!(crisis.targets.contains(&rail));
    assert!(t
        .processes
        .iter()
        .any(|p| p.id == "trans_afghan_kharlachi" && p.target == rail));
    let (_, c) =
        scenario::load_option(root().join("scenarios/afghanistan/options/chabahar.toml")).unwrap();
    let waiver = c
        .processes
        .iter()
        .find(|p| p.id == "chabahar_waiver")
        .unwrap();
    assert_eq!(
        waiver.target,
        Target::Link(c.link("chabahar_zahedan").unwrap())
    );
    let (_, k) =
        scenario::load_option(root().join("scenarios/afghanistan/options/khaf_herat_rail.toml"))
            .unwrap();
    // The base's process on the corridor covers the expanded link.
    let kh = k
        .processes
        .iter()
        .find(|p| p.id == "khaf_herat_rail")
        .unwrap();
    let link = k.link("khaf_herat_rail").unwrap();
    assert!(k.target_links(&kh.target).contains(&link));
    assert!(k.expansions.iter().any(|e| e.link == link));
}

fn chain() -> RegimeChain {
    RegimeChain {
        states: vec![
            RegimeState {
                id: "calm".into(),
                rate_multiplier: 0.5,
            },
            RegimeState {
                id: "tense".into(),
                rate_multiplier: 3.0,
            },
        ],
        transitions: vec![vec![0.97, 0.03], vec![0.1, 0.9]],
        initial: None,
    }
}

fn proc_on(id: &str, c: u32, rate: f64, mean: f64) -> ClosureProcess {
    ClosureProcess {
        id: id.into(),
        target: Target::Corridor(CorridorId(c)),
        rate_per_year: rate,
        duration: DurationDist::exponential(mean).unwrap(),
        capacity_factor: 0.0,
        ramp_days: 0,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Common random numbers: for random options that add processes (on any corridor,
    /// the base's included), add a shock group and put corridors into the base's shock,
    /// every run's closures from the base's processes and shock (on the base's targets)
    /// are exactly the base's.
    #[test]
    fn added_risks_never_change_the_base_draws(
        seed in any::<u64>(),
        base_rates in proptest::collection::vec(0.5f64..20.0, 1..4),
        added in proptest::collection::vec((0u32..5, 0.0f64..30.0, 1.0f64..20.0), 0..4),
        join in proptest::collection::vec(3u32..5, 0..2),
        new_shock in any::<bool>(),
        regimes in any::<bool>(),
    ) {
        let mut base = corridors_scenario(5);
        base.settings.days = 200;
        base.processes = base_rates
            .iter()
            .enumerate()
            .map(|(i, r)| proc_on(&format!("c{i}"), i as u32, *r, 6.0))
            .collect();
        base.shocks = vec![ShockGroup {
            id: "crisis".into(),
            targets: vec![Target::Corridor(CorridorId(0)), Target::Corridor(CorridorId(1))],
            rate_per_year: 4.0,
            duration: DurationDist::empirical(vec![2.0, 9.0]).unwrap(),
            capacity_factor: 0.0,
            ramp_days: 1,
        }];
        if regimes {
            base.regimes = Some(chain());
        }
        let mut opt = base.clone();
        for (k, (c, rate, mean)) in added.iter().enumerate() {
            opt.processes.push(proc_on(&format!("added{k}"), *c, *rate, *mean));
        }
        let mut joined = join.clone();
        joined.dedup();
        opt.shocks[0].targets.extend(joined.iter().map(|c| Target::Corridor(CorridorId(*c))));
        if new_shock {
            opt.shocks.push(ShockGroup {
                id: "added_shock".into(),
                targets: vec![Target::Corridor(CorridorId(2)), Target::Corridor(CorridorId(0))],
                rate_per_year: 10.0,
                duration: DurationDist::exponential(3.0).unwrap(),
                capacity_factor: 0.0,
                ramp_days: 0,
            });
        }
        let (sb, so) = (base.closure_sampler().unwrap(), opt.closure_sampler().unwrap());
        for run in 0..5 {
            let rng = run_rng(seed, run);
            let a = sb.sample(0, 200, &rng);
            let b = so.sample(0, 200, &rng);
            prop_assert_eq!(base_part(&base, &b), a);
        }
    }

    /// A process whose rate an option raises keeps every onset day it had (its uniforms
    /// are the same; a higher rate only adds onsets), and the other processes keep all.
    #[test]
    fn a_higher_rate_only_adds_onsets(seed in any::<u64>(), scale in 1.0f64..5.0) {
        let mut base = corridors_scenario(2);
        base.settings.days = 365;
        base.processes = vec![proc_on("c0", 0, 6.0, 4.0), proc_on("c1", 1, 3.0, 4.0)];
        base.regimes = Some(chain());
        let mut opt = base.clone();
        opt.processes[0].rate_per_year *= scale;
        let rng = run_rng(seed, 0);
        let a = base.closure_sampler().unwrap().sample(0, 365, &rng);
        let b = opt.closure_sampler().unwrap().sample(0, 365, &rng);
        let days = |v: &[ClosureWindow], t: u32| -> Vec<i64> {
            v.iter().filter(|w| w.target == Target::Corridor(CorridorId(t))).map(|w| w.start_day).collect()
        };
        let (a0, b0) = (days(&a, 0), days(&b, 0));
        prop_assert!(a0.iter().all(|d| b0.contains(d)), "{:?} not within {:?}", a0, b0);
        let other = |v: &[ClosureWindow]| -> Vec<ClosureWindow> {
            v.iter().filter(|w| w.target == Target::Corridor(CorridorId(1))).cloned().collect()
        };
        prop_assert_eq!(other(&a), other(&b));
    }
}
