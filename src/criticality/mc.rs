//! The Monte Carlo view of criticality: each corridor's contribution to the expected
//! annual loss and to TVaR 95%, on common draws, with paired and bootstrap intervals.

use std::sync::atomic::AtomicBool;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::closure::{ClosureSampler, ClosureWindow, RegimeStart, Target};
use crate::montecarlo::stats::{self, Stats};
use crate::montecarlo::{run_rng, Progress};
use crate::network::CorridorId;
use crate::sim::{Engine, Record};
use crate::{Error, Scenario};

/// How to run the Monte Carlo view.
#[derive(Debug, Clone, PartialEq)]
pub struct McConfig {
    /// Runs (simulated years), >= 2.
    pub runs: u64,
    /// Base seed: run `i` draws from `ChaCha8Rng::seed_from_u64(seed)` on stream `i`, each
    /// process, shock and the regime chain on its own substream (as `montecarlo`).
    pub seed: u64,
    /// Worker threads (>= 1); results do not depend on it.
    pub threads: usize,
    /// Bootstrap resamples for the TVaR intervals and the ranking's stability (default
    /// 1000). The bootstrap draws from `ChaCha8Rng::seed_from_u64(seed)` on stream
    /// `u64::MAX` (no run uses that stream): a fixed generator, so the intervals are
    /// reproducible.
    pub bootstrap_resamples: usize,
    /// How the regime chain starts in every run (`None`: the scenario's `initial`,
    /// stationary by default).
    pub regime_start: Option<RegimeStart>,
    /// Closures in force in every run (`--close`, `--closures`), besides the random ones;
    /// switching a corridor's processes off leaves them in place.
    pub background: Vec<ClosureWindow>,
}

impl Default for McConfig {
    fn default() -> Self {
        McConfig {
            runs: 1000,
            seed: 0,
            threads: 1,
            bootstrap_resamples: 1000,
            regime_start: None,
            background: Vec::new(),
        }
    }
}

/// The bootstrap's stream of the base seed's generator.
pub const BOOTSTRAP_STREAM: u64 = u64::MAX;

/// One corridor's contribution.
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    /// Corridor id.
    pub corridor: String,
    /// 1-based rank by mean contribution (largest first; ties by corridor id).
    pub rank: usize,
    /// Runs in which the corridor closed (its processes or shocks drew a closure of
    /// it): the only runs whose loss changes when they are switched off.
    pub runs_closed: u64,
    /// Mean over runs of (base loss - loss without the corridor's closures), USD per
    /// year, with its standard error and paired 95% CI.
    pub mean: Stats,
    /// Mean contribution / base mean loss (shares need not add to 1: closures interact).
    pub share_of_mean: f64,
    /// Base TVaR95 - TVaR95 without the corridor's closures, USD.
    pub tvar95_usd: f64,
    /// Its bootstrap 95% interval (2.5% and 97.5% type-7 percentiles over resamples).
    pub tvar95_ci: (f64, f64),
    /// Share of bootstrap resamples in which the corridor keeps this rank.
    pub p_rank_holds: f64,
    /// Share of bootstrap resamples in which its mean contribution exceeds that of the
    /// corridor ranked next (NaN for the last).
    pub p_above_next: f64,
}

/// One run of the Monte Carlo view.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    /// Run index.
    pub run: u64,
    /// Total loss of the base run, USD.
    pub base_loss_usd: f64,
    /// Per corridor (scenario order): the total loss with its closures switched off.
    pub without_usd: Vec<f64>,
    /// Per corridor: whether the run had a closure of it.
    pub closed: Vec<bool>,
}

/// The Monte Carlo view's results.
#[derive(Debug, Clone, PartialEq)]
pub struct McView {
    /// The base study's total loss statistics (mean with CI, TVaR95, ...).
    pub base: Stats,
    /// Contributions, ranked (largest mean first).
    pub contributions: Vec<Contribution>,
    /// Share of bootstrap resamples whose whole ranking equals the one reported.
    pub p_order_holds: f64,
    /// Bootstrap resamples used.
    pub resamples: usize,
    /// Every run, by index.
    pub runs: Vec<RunRow>,
}

/// `scenario`'s closure processes and shock groups with corridor `c` switched off: the
/// processes that close `c` or one of its links are dropped, and `c` (and its links) leave
/// every shock group (a group left with no target is dropped). Every other process and
/// shock keeps its id, hence its random stream.
pub fn switched_off(
    scenario: &Scenario,
    c: CorridorId,
) -> (
    Vec<crate::closure::ClosureProcess>,
    Vec<crate::closure::ShockGroup>,
) {
    let links = &scenario.corridors[c.index()].links;
    let hits = |t: &Target| match t {
        Target::Corridor(x) => *x == c,
        Target::Link(l) => links.contains(l),
    };
    let processes = scenario
        .processes
        .iter()
        .filter(|p| !hits(&p.target))
        .cloned()
        .collect();
    let shocks = scenario
        .shocks
        .iter()
        .cloned()
        .filter_map(|mut g| {
            g.targets.retain(|t| !hits(t));
            (!g.targets.is_empty()).then_some(g)
        })
        .collect();
    (processes, shocks)
}

fn sampler(
    scenario: &Scenario,
    processes: &[crate::closure::ClosureProcess],
    shocks: &[crate::closure::ShockGroup],
    start: Option<RegimeStart>,
) -> Result<ClosureSampler, Error> {
    let s = ClosureSampler::new(processes, shocks, scenario.regimes.as_ref(), |t| {
        scenario.target_name(t).to_string()
    })?;
    match start {
        Some(st) => s.with_regime_start(st),
        None => Ok(s),
    }
}

/// Whether a window closes corridor `c` (or one of its links).
fn closes(scenario: &Scenario, w: &ClosureWindow, c: CorridorId) -> bool {
    match w.target {
        Target::Corridor(x) => x == c,
        Target::Link(l) => scenario.corridors[c.index()].links.contains(&l),
    }
}

/// Each corridor's contribution to the expected annual loss and TVaR 95% of `scenario`'s
/// random closures (its fixed closures left out; `config.background` in every run), on common draws. The engine (network
/// and traders) is the base's in every variant: only the closure draws differ. A run in
/// which a corridor never closed has the same closures with and without it, so its loss
/// is the base's (the engine is deterministic) and is not simulated again.
pub fn contributions(
    scenario: &Scenario,
    config: &McConfig,
    progress: &dyn Progress,
) -> Result<McView, Error> {
    contributions_stoppable(scenario, config, progress, &AtomicBool::new(false))
}

/// [`contributions`] that gives up between runs once `stop` is set (by another thread:
/// a Ctrl-C in a notebook), returning [`Error::Cancelled`]. Until then, and
/// when it is never set, the same as [`contributions`].
pub fn contributions_stoppable(
    scenario: &Scenario,
    config: &McConfig,
    progress: &dyn Progress,
    stop: &AtomicBool,
) -> Result<McView, Error> {
    if config.runs < 2 {
        return Err(Error::Invalid(format!(
            "runs {}: the Monte Carlo view needs at least 2 runs (a confidence interval)",
            config.runs
        )));
    }
    if config.threads == 0 {
        return Err(Error::Invalid("threads is 0: it must be at least 1".into()));
    }
    if config.bootstrap_resamples == 0 {
        return Err(Error::Invalid(
            "bootstrap resamples is 0: it must be at least 1".into(),
        ));
    }
    let base_sampler = sampler(
        scenario,
        &scenario.processes,
        &scenario.shocks,
        config.regime_start,
    )?;
    if base_sampler.is_empty() {
        return Err(Error::Invalid(format!(
            "scenario {}: no random closure process ([[process]] or [[shock]]): the Monte \
             Carlo view has nothing to switch off; run without --runs",
            scenario.settings.name
        )));
    }
    let n_c = scenario.corridors.len();
    let samplers: Vec<ClosureSampler> = (0..n_c)
        .map(|c| {
            let (p, s) = switched_off(scenario, CorridorId(c as _));
            sampler(scenario, &p, &s, config.regime_start)
        })
        .collect::<Result<_, _>>()?;
    let days = scenario.settings.days;
    let background = &config.background;
    let make = || Engine::with_base(scenario, background);
    let with_background = |w: Vec<ClosureWindow>| -> Vec<ClosureWindow> {
        background.iter().cloned().chain(w).collect()
    };
    let idx: Vec<u64> = (0..config.runs).collect();
    let describe = |_: u64| format!(" (seed {}, the Monte Carlo view)", config.seed);
    let work = |engine: &mut Engine, i: u64| {
        let rng = run_rng(config.seed, i);
        let base_w = base_sampler.sample(0, days, &rng);
        let base = engine
            .run(&with_background(base_w.clone()), Record::Totals)?
            .metrics
            .total_loss_usd;
        let mut without = Vec::with_capacity(n_c);
        let mut closed = Vec::with_capacity(n_c);
        for (c, s) in samplers.iter().enumerate() {
            let did = base_w
                .iter()
                .any(|w| closes(scenario, w, CorridorId(c as _)));
            closed.push(did);
            if did {
                let w = with_background(s.sample(0, days, &rng));
                without.push(engine.run(&w, Record::Totals)?.metrics.total_loss_usd);
            } else {
                without.push(base);
            }
        }
        Ok(RunRow {
            run: i,
            base_loss_usd: base,
            without_usd: without,
            closed,
        })
    };
    let runs = super::par_with_engine(
        config.threads,
        &idx,
        &make,
        &describe,
        Some(stop),
        progress,
        work,
    )?;
    Ok(summarise(scenario, runs, config))
}

/// TVaR 95% of `values` (mean of those at or above the type-7 95th percentile).
fn tvar95(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let var = stats::quantile_sorted(values, 0.95);
    let start = values.partition_point(|v| *v < var);
    let tail = &values[start..];
    if tail.is_empty() {
        var
    } else {
        tail.iter().sum::<f64>() / tail.len() as f64
    }
}

/// The order of corridors by `v` (largest first, ties by id).
fn order(ids: &[&str], v: &[f64]) -> Vec<usize> {
    let mut o: Vec<usize> = (0..v.len()).collect();
    o.sort_by(|&a, &b| v[b].total_cmp(&v[a]).then_with(|| ids[a].cmp(ids[b])));
    o
}

fn summarise(scenario: &Scenario, runs: Vec<RunRow>, config: &McConfig) -> McView {
    let n = runs.len();
    let n_c = scenario.corridors.len();
    let ids: Vec<&str> = scenario.corridors.iter().map(|c| c.id.as_str()).collect();
    let base: Vec<f64> = runs.iter().map(|r| r.base_loss_usd).collect();
    let base_stats = Stats::of(&base).unwrap_or_else(unreachable_stats);
    let diffs: Vec<Vec<f64>> = (0..n_c)
        .map(|c| {
            runs.iter()
                .map(|r| r.base_loss_usd - r.without_usd[c])
                .collect()
        })
        .collect();
    let means: Vec<f64> = diffs.iter().map(|d| stats::mean_sd(d).0).collect();
    let tvar_base = tvar95(&mut base.clone());
    let tvars: Vec<f64> = (0..n_c)
        .map(|c| {
            let mut w: Vec<f64> = runs.iter().map(|r| r.without_usd[c]).collect();
            tvar_base - tvar95(&mut w)
        })
        .collect();
    let point = order(&ids, &means);
    let mut rank_of = vec![0; n_c];
    for (r, &c) in point.iter().enumerate() {
        rank_of[c] = r;
    }

    // Bootstrap over runs (paired: one resample of run indices for every corridor).
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    rng.set_stream(BOOTSTRAP_STREAM);
    let b = config.bootstrap_resamples;
    let mut boot_tvar: Vec<Vec<f64>> = vec![Vec::with_capacity(b); n_c];
    let mut same_rank = vec![0usize; n_c];
    let mut above_next = vec![0usize; n_c];
    let mut whole = 0usize;
    let mut pick = vec![0usize; n];
    let mut buf = vec![0.0; n];
    for _ in 0..b {
        for p in pick.iter_mut() {
            *p = rng.random_range(0..n);
        }
        for (k, &i) in pick.iter().enumerate() {
            buf[k] = base[i];
        }
        let tb = tvar95(&mut buf);
        let mut m = vec![0.0; n_c];
        for c in 0..n_c {
            m[c] = pick.iter().map(|&i| diffs[c][i]).sum::<f64>() / n as f64;
            for (k, &i) in pick.iter().enumerate() {
                buf[k] = runs[i].without_usd[c];
            }
            boot_tvar[c].push(tb - tvar95(&mut buf));
        }
        let o = order(&ids, &m);
        if o == point {
            whole += 1;
        }
        for (r, &c) in o.iter().enumerate() {
            if rank_of[c] == r {
                same_rank[c] += 1;
            }
        }
        for w in point.windows(2) {
            if m[w[0]] > m[w[1]] {
                above_next[w[0]] += 1;
            }
        }
    }
    let contributions = point
        .iter()
        .enumerate()
        .map(|(r, &c)| {
            let mut t = boot_tvar[c].clone();
            t.sort_by(f64::total_cmp);
            Contribution {
                corridor: ids[c].to_string(),
                rank: r + 1,
                runs_closed: runs.iter().filter(|x| x.closed[c]).count() as u64,
                mean: Stats::of(&diffs[c]).unwrap_or_else(unreachable_stats),
                share_of_mean: if base_stats.mean == 0.0 {
                    f64::NAN
                } else {
                    means[c] / base_stats.mean
                },
                tvar95_usd: tvars[c],
                tvar95_ci: (
                    stats::quantile_sorted(&t, 0.025),
                    stats::quantile_sorted(&t, 0.975),
                ),
                p_rank_holds: same_rank[c] as f64 / b as f64,
                p_above_next: if r + 1 < point.len() {
                    above_next[c] as f64 / b as f64
                } else {
                    f64::NAN
                },
            }
        })
        .collect();
    McView {
        base: base_stats,
        contributions,
        p_order_holds: whole as f64 / b as f64,
        resamples: b,
        runs,
    }
}

/// Statistics of no values (never reached: runs >= 2 is checked first).
fn unreachable_stats() -> Stats {
    Stats {
        n: 0,
        mean: f64::NAN,
        sd: f64::NAN,
        se: f64::NAN,
        ci_low: f64::NAN,
        ci_high: f64::NAN,
        min: f64::NAN,
        p5: f64::NAN,
        p50: f64::NAN,
        p95: f64::NAN,
        p99: f64::NAN,
        max: f64::NAN,
        tvar95: f64::NAN,
        tvar99: f64::NAN,
    }
}
