//! `chokepoint fit` and the calibration to recorded episodes
//! (`chokepoint::calibrate::{episodes, episode_fit}`): the posterior covers the truth on
//! synthetic episodes, results do not depend on threads, the CLI's files and its errors.

use std::path::Path;

use chokepoint::calibrate::episode_fit::{self, FitConfig, Replay};
use chokepoint::calibrate::episodes::{Band, Episode, Episodes, Figure, Reported};
use chokepoint::uncertainty::{Axis, Dist};
use chokepoint::Scenario;
use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::common::{cli, fixture, root};

fn twoland() -> Scenario {
    Scenario::load(fixture("fit/twoland.toml")).unwrap()
}

/// The fixture's north closure (2024-01-31, 10 days) as an episode reporting `figure` in
/// `band`, on `scenario` with its window cut to 2024-01-25 .. 2024-02-11 to keep the test
/// fast (runs start in the steady state, so the days before the closure only settle it).
fn synthetic(scenario: &Scenario, figure: Figure, band: Band) -> Replay {
    let mut s = scenario.clone();
    s.settings.start = NaiveDate::from_ymd_opt(2024, 1, 25).unwrap();
    s.settings.days = 17;
    for w in &mut s.closures {
        w.start_day -= 24;
    }
    let episode = Episode {
        replay: "twoland.toml".into(),
        path: fixture("fit/twoland.toml"),
        corridor: "north".into(),
        start: NaiveDate::from_ymd_opt(2024, 1, 31).unwrap(),
        name: "North".into(),
        figures: vec![Reported {
            figure,
            reported: "synthetic".into(),
            source: "the test".into(),
            band: Some(band),
            band_basis: "the truth's figure times a log-uniform error of ±w".into(),
            line: 2,
        }],
        held_out: false,
    };
    Replay {
        episode,
        scenario: s,
    }
}

fn grain_prior() -> Axis {
    Axis::One {
        name: "product.grain.value_usd_per_t".into(),
        dist: Dist::Uniform {
            lo: 200.0,
            hi: 500.0,
        },
        source: "test".into(),
    }
}

/// Coverage of the fit's 95% posterior intervals on synthetic episodes whose truth is
/// known. Each of N fits draws the truth θ (grain's value per tonne) from its prior,
/// replays the fixture's north closure at θ, and reports the trade halted per day as the
/// simulated figure times a log-uniform error on ±w; the band is that report times
/// exp(±w). The band then holds the simulated figure exactly when the error could have
/// produced the report, so the posterior at tolerance 0 (prior restricted to the band)
/// is the exact Bayesian posterior of that error model, and its 95% intervals should
/// cover θ in about 95% of fits. Release only (100 fits of about 400 replays each);
/// .ci/run runs it.
#[test]
#[ignore = "release only: cargo test --release --test integration -- --ignored fit::"]
fn fit_posterior_covers_the_truth_in_about_95_percent_of_synthetic_fits() {
    const N: u64 = 100;
    const W: f64 = 0.1;
    let base = twoland();
    let axes = vec![grain_prior()];
    let probe = synthetic(
        &base,
        Figure::HaltedMusdPerDay,
        Band::new(1.0, 1.0).unwrap(),
    );
    let mut covered = 0;
    let mut widths = Vec::new();
    for i in 0..N {
        let mut rng = ChaCha8Rng::seed_from_u64(1000 + i);
        let u_true: f64 = rng.random_range(0.01..0.99);
        let theta = grain_prior().values_at(u_true)[0].1;
        let f = probe
            .simulate(&axes, &[u_true])
            .unwrap()
            .halted_musd_per_day;
        let report = f * (W * (2.0 * rng.random::<f64>() - 1.0)).exp();
        let band = Band::new(report * (-W).exp(), report * W.exp()).unwrap();
        let replay = synthetic(&base, Figure::HaltedMusdPerDay, band);
        let config = FitConfig {
            particles: 60,
            seed: i,
            threads: 2,
            draws: 10,
            ..FitConfig::default()
        };
        let fit = episode_fit::fit(&axes, &[replay], &config).unwrap();
        let q = |p| {
            fit.population
                .quantile(p, |u| grain_prior().values_at(u[0])[0].1)
        };
        let (lo, hi) = (q(0.025), q(0.975));
        widths.push(hi - lo);
        if lo <= theta && theta <= hi {
            covered += 1;
        }
    }
    let rate = covered as f64 / N as f64;
    let mean_width = widths.iter().sum::<f64>() / widths.len() as f64;
    eprintln!("coverage {covered}/{N}, mean 95% width {mean_width:.1} USD/t of a 300 prior range");
    assert!((0.90..=0.99).contains(&rate), "coverage {covered}/{N}");
    // The data inform: intervals much narrower than the prior's 95% range (285).
    assert!(mean_width < 150.0, "mean width {mean_width}");
}

/// The same fit gives the same posterior on 1 and 2 threads, and from the same seed; the
/// posterior of a parameter the band pins is narrower than its prior.
#[test]
fn fit_is_reproducible_and_independent_of_threads() {
    let base = twoland();
    let axes = base.uncertain.clone();
    assert_eq!(axes.len(), 2);
    let probe = synthetic(&base, Figure::PeakTrucks, Band::new(1.0, 1.0).unwrap());
    // The truth: grain at 350, reaction 3 days; bands ±10% around its figures.
    let truth = [0.5, 0.4];
    let f = probe.simulate(&axes, &truth).unwrap();
    let mut replay = synthetic(
        &base,
        Figure::PeakTrucks,
        Band::new(f.peak_trucks * 0.9, f.peak_trucks * 1.1).unwrap(),
    );
    replay.episode.figures.push(Reported {
        figure: Figure::HaltedMusdPerDay,
        reported: "synthetic".into(),
        source: "the test".into(),
        band: Some(Band::new(f.halted_musd_per_day * 0.9, f.halted_musd_per_day * 1.1).unwrap()),
        band_basis: "±10%".into(),
        line: 3,
    });
    let replays = [replay];
    let run = |threads, seed| {
        let config = FitConfig {
            particles: 30,
            max_generations: 4,
            draws: 50,
            seed,
            threads,
            ..FitConfig::default()
        };
        episode_fit::fit(&axes, &replays, &config).unwrap()
    };
    let one = run(1, 7);
    let two = run(2, 7);
    assert_eq!(one.population, two.population);
    assert_eq!(one.draws, two.draws);
    assert_eq!(one.summary, two.summary);
    let other = run(2, 8);
    assert_ne!(one.draws, other.draws);
    // The reaction days are pinned by the stranded trucks.
    let reaction = one
        .summary
        .iter()
        .find(|s| s.parameter == "settings.reaction_days")
        .unwrap();
    assert!(
        reaction.posterior[2] - reaction.posterior[0] < reaction.prior[2] - reaction.prior[0],
        "{reaction:?}"
    );
    // The predictive intervals come from the draws, one row per figure.
    let rows = episode_fit::predictive(
        &axes,
        &replays,
        &one.draws,
        NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        2,
    )
    .unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows
        .iter()
        .all(|r| r.interval[0] <= r.interval[1] && r.interval[1] <= r.interval[2]));
    assert!(rows
        .iter()
        .all(|r| r.verdict() == "overlaps" && !r.held_out));
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("chokepoint-fit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `chokepoint fit` on the fixture writes its files with a manifest; posterior.csv is a
/// joint CSV that an `[[uncertain]]` table reads; the same command again is allowed, a
/// folder with a foreign file is refused.
#[test]
fn fit_cli_writes_a_posterior_that_uncertain_reads() {
    let out = tmp("cli");
    let o = out.to_str().unwrap();
    let scenario = fixture("fit/twoland.toml");
    let args = [
        "fit",
        scenario.to_str().unwrap(),
        "--params",
        "settings.reaction_days",
        "--particles",
        "20",
        "--draws",
        "40",
        "--predictive-draws",
        "20",
        "--threads",
        "2",
        "--out",
        o,
    ];
    let r = cli(&args);
    assert!(r.status.success(), "{}", stderr(&r));
    for f in episode_fit::FILES.iter().chain(&["manifest.json"]) {
        assert!(out.join(f).is_file(), "{f}");
    }
    let posterior = std::fs::read_to_string(out.join("posterior.csv")).unwrap();
    assert_eq!(posterior.lines().next(), Some("settings.reaction_days"));
    assert_eq!(posterior.lines().count(), 41);
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(summary.starts_with("parameter,prior_p5,prior_p50,prior_p95,posterior_p5"));
    let predictive = std::fs::read_to_string(out.join("predictive.csv")).unwrap();
    assert_eq!(predictive.lines().count(), 4, "{predictive}");
    // A scenario reads the draws back as a joint table.
    let text = std::fs::read_to_string(&scenario).unwrap();
    let cut = text.find("[[uncertain]]").unwrap();
    let with_joint = format!(
        "{}[[uncertain]]\njoint = \"posterior.csv\"\nsource = \"chokepoint fit, the test\"\n",
        &text[..cut]
    );
    let sdir = tmp("joint");
    std::fs::create_dir_all(&sdir).unwrap();
    std::fs::copy(out.join("posterior.csv"), sdir.join("posterior.csv")).unwrap();
    std::fs::write(sdir.join("s.toml"), with_joint).unwrap();
    let s = Scenario::load(sdir.join("s.toml")).unwrap();
    match &s.uncertain[..] {
        [Axis::Joint { names, rows, .. }] => {
            assert_eq!(names, &["settings.reaction_days"]);
            assert_eq!(rows.len(), 40);
        }
        other => panic!("{other:?}"),
    }
    // The same study again: allowed. A user's file in the folder: refused, exit 2.
    let r = cli(&args);
    assert!(r.status.success(), "{}", stderr(&r));
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let r = cli(&args);
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert!(stderr(&r).contains("notes.txt"), "{}", stderr(&r));
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(&sdir);
}

/// Bad input exits 2 with what is wrong: an unknown parameter, a band that does not
/// parse (file and line), an empty episode list, every episode held out.
#[test]
fn fit_cli_rejects_bad_input_with_exit_2() {
    let scenario = fixture("fit/twoland.toml");
    let s = scenario.to_str().unwrap();
    let out = tmp("bad");
    let o = out.to_str().unwrap();
    let r = cli(&["fit", s, "--params", "settings.reaction_dayz", "--out", o]);
    assert_eq!(r.status.code(), Some(2));
    assert!(
        stderr(&r).contains("settings.reaction_dayz")
            && stderr(&r).contains("settings.reaction_days"),
        "{}",
        stderr(&r)
    );
    let dir = tmp("bad-list");
    std::fs::create_dir_all(&dir).unwrap();
    let list = dir.join("episodes.csv");
    let good = std::fs::read_to_string(fixture("fit/history/episodes.csv")).unwrap();
    let fixed = good.replace("../twoland.toml", scenario.to_str().unwrap());
    std::fs::write(&list, fixed.replace("1.2,1.8", "1.2,lots")).unwrap();
    let r = cli(&["fit", s, "--episodes", list.to_str().unwrap(), "--out", o]);
    assert_eq!(r.status.code(), Some(2));
    assert!(
        stderr(&r).contains("episodes.csv:4 (column band_high)"),
        "{}",
        stderr(&r)
    );
    std::fs::write(&list, good.lines().next().unwrap()).unwrap();
    let r = cli(&["fit", s, "--episodes", list.to_str().unwrap(), "--out", o]);
    assert_eq!(r.status.code(), Some(2));
    assert!(stderr(&r).contains("no episodes"), "{}", stderr(&r));
    std::fs::write(&list, &fixed).unwrap();
    let r = cli(&[
        "fit",
        s,
        "--episodes",
        list.to_str().unwrap(),
        "--held-out-from",
        "2020-01-01",
        "--out",
        o,
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(stderr(&r).contains("no episode to fit"), "{}", stderr(&r));
    assert!(!out.join("manifest.json").exists());
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&out);
}

/// The Afghanistan episode list reads, every replay it names exists, and every figure
/// states the rule behind its band (or why it has none).
#[test]
fn the_afghanistan_episode_list_reads() {
    let e = Episodes::load(root().join("scenarios/afghanistan/history")).unwrap();
    assert_eq!(e.episodes.len(), 11);
    for ep in &e.episodes {
        assert!(ep.path.is_file(), "{}", ep.path.display());
        assert_eq!(ep.figures.len(), 3);
        for r in &ep.figures {
            assert!(!r.band_basis.is_empty(), "{}:{}", ep.replay, r.line);
        }
    }
    let banded: usize = e.episodes.iter().map(|x| x.banded().count()).sum();
    assert_eq!(banded, 15);
    assert!(Path::new(&e.path).ends_with("history/episodes.csv"));
}

/// The 2025 episodes are held out: marked so in the list, they are never fitted, neither
/// by default (`--held-out-from 2025-01-01`) nor with a later date; the 2021-2024 ones are
/// fitted by default and held out only by the date.
#[test]
fn the_2025_episodes_are_held_out_by_default_and_by_their_mark() {
    let e = Episodes::load(root().join("scenarios/afghanistan/history")).unwrap();
    let default = FitConfig::default().held_out_from;
    let later = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
    let held: Vec<String> = e
        .episodes
        .iter()
        .filter(|x| episode_fit::is_held_out(x, default))
        .map(Episode::stem)
        .collect();
    assert_eq!(
        held,
        ["torkham_2025_02", "torkham_2025_10", "chaman_2025_10"]
    );
    for x in &e.episodes {
        let y2025 = x.start.format("%Y").to_string() == "2025";
        assert_eq!(x.held_out, y2025, "{}", x.replay);
        assert_eq!(episode_fit::is_held_out(x, later), y2025, "{}", x.replay);
    }
    // Every row of one replay says the same; a value other than yes/no is an error
    // naming the line and column.
    let text = std::fs::read_to_string(&e.path).unwrap();
    let last = text.trim_end().rsplit_once(',').unwrap().0.to_string() + ",maybe\n";
    let err = Episodes::parse(&last, &e.path).unwrap_err().to_string();
    assert!(
        err.contains("(column held_out)") && err.contains("maybe"),
        "{err}"
    );
    let mixed = text.replacen(",nothing reported,yes", ",nothing reported,no", 1);
    let err = Episodes::parse(&mixed, &e.path).unwrap_err().to_string();
    assert!(err.contains("(column held_out)"), "{err}");
}

/// The rows of a markdown table between `<!-- NAME: begin -->` and `<!-- NAME: end -->` in
/// docs/validation.md, as trimmed cells, without the header and the rule.
fn doc_table(name: &str) -> Vec<Vec<String>> {
    let doc = std::fs::read_to_string(root().join("docs/validation.md")).unwrap();
    let (b, e) = (
        format!("<!-- {name}: begin -->"),
        format!("<!-- {name}: end -->"),
    );
    let start = doc
        .find(&b)
        .unwrap_or_else(|| panic!("no {b} in docs/validation.md"));
    let end = doc
        .find(&e)
        .unwrap_or_else(|| panic!("no {e} in docs/validation.md"));
    doc[start + b.len()..end]
        .lines()
        .filter(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            l.trim()
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

/// A number as the doc writes it: `1,390` or `4.82`.
fn doc_number(s: &str) -> f64 {
    s.replace(',', "")
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {s:?}"))
}

/// A shipped fit output (scenarios/afghanistan/posterior/NAME) as rows of named cells.
fn shipped(name: &str) -> Vec<std::collections::HashMap<String, String>> {
    let path = root().join("scenarios/afghanistan/posterior").join(name);
    let mut r = csv::Reader::from_path(&path).unwrap();
    let head: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|row| {
            let row = row.unwrap();
            head.iter()
                .cloned()
                .zip(row.iter().map(String::from))
                .collect()
        })
        .collect()
}

/// Issue 27 item 4: base.toml adopts the fit. Its behavioural point values are the
/// posterior medians of the shipped fit (posterior/summary.csv), its `[[uncertain]]` joint
/// table is the shipped posterior draws (whose medians are the same), and docs/validation.md
/// §3a states the shipped summary and predictive checks, figure by figure, with the point
/// values base.toml now has.
#[test]
fn the_shipped_scenario_carries_the_fitted_posterior_and_the_doc_states_it() {
    let s = Scenario::load(root().join("scenarios/afghanistan/base.toml")).unwrap();
    let params = chokepoint::scenario::params::list(&s);
    let value = |name: &str| params.iter().find(|p| p.name == name).unwrap().value;
    let summary = shipped("summary.csv");
    assert_eq!(summary.len(), 4, "the four behavioural parameters");
    let joint = s
        .uncertain
        .iter()
        .find(|a| matches!(a, Axis::Joint { .. }) && a.names().contains(&"settings.reaction_days"))
        .expect("base.toml's behaviour is a joint table");
    let Axis::Joint { file, rows, .. } = joint else {
        unreachable!()
    };
    assert_eq!(file, "posterior/behaviour.csv");
    assert_eq!(rows.len(), 1000);
    let medians = joint.marginal_quantiles(0.5);
    let posterior = doc_table("posterior-summary");
    assert_eq!(posterior.len(), summary.len());
    for (row, doc) in summary.iter().zip(&posterior) {
        let name = &row["parameter"];
        let p50: f64 = row["posterior_p50"].parse().unwrap();
        assert_eq!(
            value(name),
            p50,
            "{name}: base.toml's point value is the posterior median"
        );
        let m = medians.iter().find(|(n, _)| n == name).unwrap().1;
        assert_eq!(m, p50, "{name}: the joint table's median");
        assert_eq!(doc[0], format!("`{name}`"));
        let q = |k: &str| row[k].parse::<f64>().unwrap();
        assert_eq!(
            doc[1],
            format!(
                "{} / {} / {}",
                q("prior_p5"),
                q("prior_p50"),
                q("prior_p95")
            ),
            "{name}: the doc's prior"
        );
        assert_eq!(
            doc[2],
            format!(
                "{} / {} / {}",
                q("posterior_p5"),
                q("posterior_p50"),
                q("posterior_p95")
            ),
            "{name}: the doc's posterior"
        );
    }
    // The predictive checks: every banded figure of the shipped predictive.csv, in order.
    let predictive: Vec<_> = shipped("predictive.csv")
        .into_iter()
        .filter(|r| !r["band_low"].is_empty())
        .collect();
    let table = doc_table("predictive-checks");
    assert_eq!(table.len(), predictive.len(), "{table:?}");
    // §3's bands table states each figure at base.toml's point values (the backtests test
    // replays them); the predictive table's point column must be the same.
    let bands: std::collections::HashMap<(String, String), String> = doc_table("backtest-bands")
        .into_iter()
        .map(|c| ((c[0].clone(), c[1].clone()), c[5].clone()))
        .collect();
    for (r, d) in predictive.iter().zip(&table) {
        let what = format!("{} {}", r["episode"], r["figure"]);
        assert_eq!(d[0], r["name"], "{what}");
        assert_eq!(d[1], r["figure"], "{what}");
        let usd = r["figure"] == "halted_musd_per_day";
        let close = |doc: &str, csv: &str| {
            let (a, b) = (doc_number(doc), csv.parse::<f64>().unwrap());
            let tol = if usd { 0.006 } else { 0.51 };
            assert!(
                (a - b).abs() <= tol,
                "{what}: the doc says {doc}, the fit {csv}"
            );
        };
        let point = d[3].split(' ').next().unwrap();
        close(point, &r["point"]);
        // The fit's point value is base.toml's: the replays were regenerated after adoption.
        let now = &bands[&(r["episode"].clone(), r["figure"].clone())];
        assert_eq!(point, now, "{what}: §3's table and §3a's point value");
        let (interval, p50) = d[4].split_once(" (").unwrap();
        let (p5, p95) = interval.split_once('–').unwrap();
        close(p5, &r["p5"]);
        close(p95, &r["p95"]);
        close(p50.trim_end_matches(')'), &r["p50"]);
        assert_eq!(d[5].split(' ').next().unwrap(), r["verdict"], "{what}");
    }
}
