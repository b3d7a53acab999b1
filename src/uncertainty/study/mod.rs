//! The uncertainty study: parameter points drawn over the scenarios' `[[uncertain]]`
//! axes, a Monte Carlo of the same simulated years at every point for the base and each
//! option, and what the parameters do to the results.
//!
//! # Design
//!
//! - **Points.** Each axis is one coordinate of the unit cube, mapped to its values by
//!   [`Axis::values_at`]. By default ([`DesignKind::Random`]) the points are independent
//!   uniform draws, so every bootstrap over points and Chatterjee's ξ apply; with
//!   [`DesignKind::Sobol`] the first rows of an Owen-scrambled Sobol' sequence
//!   (`sobol_burley`); with [`DesignKind::Saltelli`] a Saltelli design (random A and B,
//!   and one AB block per *factor*) for Sobol' indices. A factor is one axis, or (with [`Grouping::Target`])
//!   the axes of one target (`process.chaman.rate_per_year` and
//!   `process.chaman.mean_duration_days` are factor `process.chaman`): group indices,
//!   so a design of `n (G + 2)` points with G factors instead of `n (k + 2)`.
//! - **Common closure draws.** Year `i` at every point and for every scenario draws its
//!   closures from the same generator, [`montecarlo::run_rng`]`(seed, i)`, with
//!   [`crate::closure::ClosureSampler::sample_fixed_draws`]: every (day, process) takes
//!   one uniform number and one duration draw whether or not it has an onset, so the
//!   random numbers of year `i` do not depend on the parameters. A higher onset rate
//!   gives more closures on the same stream (those whose uniform falls below the higher
//!   daily probability), a longer mean duration lengthens the same closures. Differences
//!   between points are the parameters' alone, and between scenarios the options' (as
//!   in [`crate::compare`]).
//! - **Runs.** A run of the study layer's [`Runner`] is one (point, scenario) cell: the
//!   scenario with the point's values set ([`apply`]), then the years of
//!   [`montecarlo::simulate_with`] on that cell. Cells are delivered in order, so the
//!   files are identical for any thread count.
//! - **Which axes a scenario takes.** The design's axes are the union of the base's and
//!   the options' (by label, base first). The base takes its own axes; an option takes
//!   the base's and its own, set on the option's scenario (its changes already applied),
//!   as `Scenario.with_changes` sets them: a `*_scale` multiplies what the option made,
//!   an absolute value replaces it. An option's own axis does nothing to the other
//!   scenarios.
//!
//! # What it reports
//!
//! See [`analyse`] and docs/uncertainty.md: per point and scenario the mean loss, TVaR95,
//! avoided loss, the share of years each scenario is best and the tail share; the
//! predictive loss distribution; the variance split between parameters and closure
//! draws; Sobol' indices (with `Saltelli`) and Chatterjee's ξ; the options across
//! parameter points and how often each pairwise ranking holds.

use std::sync::atomic::AtomicBool;

pub mod analysis;
pub mod output;
pub mod shard;

pub use analysis::{analyse, Analysis};

use super::{apply, Axis};
use crate::compare::{stats::Appraisal, Candidate};
use crate::montecarlo::{self, Draws, Progress};
use crate::output::manifest::UncertaintyRecord;
use crate::output::Manifest;
use crate::sim::Engine;
use crate::study::{Flow, Runner};
use crate::{Error, Scenario};

/// How the parameter points are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DesignKind {
    /// `points` independent uniform draws of the coordinates (ChaCha8 on a stream of its
    /// own): the predictive distribution, the variance split, Chatterjee's ξ and the
    /// options' robustness, every interval a bootstrap over independent points.
    Random {
        /// Points (>= 8).
        points: usize,
    },
    /// The first `points` rows of an Owen-scrambled Sobol' sequence (`sobol_burley`):
    /// more even in the cube than `Random`, so means converge faster, but its points are
    /// not independent: Chatterjee's ξ (which sorts the points by one coordinate and
    /// reads the others' stratification as dependence) is not computed on it, and the
    /// bootstrap intervals over points are conservative at best.
    Sobol {
        /// Points (>= 8).
        points: usize,
    },
    /// A Saltelli design of `base_points` independent uniform rows of A and of B, and one
    /// block AB_g per factor: everything `Random` gives (on the rows of A and B) and
    /// Sobol' indices.
    Saltelli {
        /// Base points (>= 4).
        base_points: usize,
    },
}

impl DesignKind {
    /// `random`, `sobol` or `saltelli`.
    pub fn name(&self) -> &'static str {
        match self {
            DesignKind::Random { .. } => "random",
            DesignKind::Sobol { .. } => "sobol",
            DesignKind::Saltelli { .. } => "saltelli",
        }
    }

    /// Whether the draw points are independent (ξ and the bootstrap over points apply).
    pub fn independent(&self) -> bool {
        !matches!(self, DesignKind::Sobol { .. })
    }

    /// The design a study asks for, as both front ends name it: with `indices` a
    /// Saltelli design of `base_points` (whatever `design` says), else `design`
    /// (`random` or `sobol`) of `points`. Another name is an error listing the two.
    ///
    /// ```
    /// use chokepoint::uncertainty::study::DesignKind;
    /// assert_eq!(DesignKind::of("sobol", false, 64, 16)?, DesignKind::Sobol { points: 64 });
    /// assert_eq!(DesignKind::of("sobol", true, 64, 16)?, DesignKind::Saltelli { base_points: 16 });
    /// assert!(DesignKind::of("lhs", false, 64, 16).is_err());
    /// # Ok::<(), chokepoint::Error>(())
    /// ```
    pub fn of(
        design: &str,
        indices: bool,
        points: usize,
        base_points: usize,
    ) -> Result<DesignKind, Error> {
        match (indices, design) {
            (true, _) => Ok(DesignKind::Saltelli { base_points }),
            (false, "random") => Ok(DesignKind::Random { points }),
            (false, "sobol") => Ok(DesignKind::Sobol { points }),
            (false, d) => Err(Error::Invalid(format!(
                "design {d:?}: expected \"random\" or \"sobol\""
            ))),
        }
    }
}

/// How axes are grouped into the factors of Sobol' indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Grouping {
    /// One factor per axis.
    Axis,
    /// One factor per target: the label up to its last `.` (`process.chaman`), a joint
    /// axis alone.
    #[default]
    Target,
}

impl Grouping {
    /// `axis` or `target`.
    pub fn name(&self) -> &'static str {
        match self {
            Grouping::Axis => "axis",
            Grouping::Target => "target",
        }
    }

    /// The grouping of this name (`target` or `axis`); another name is an error listing
    /// the two.
    pub fn of(name: &str) -> Result<Grouping, Error> {
        match name {
            "target" => Ok(Grouping::Target),
            "axis" => Ok(Grouping::Axis),
            g => Err(Error::Invalid(format!(
                "groups {g:?}: expected \"target\" or \"axis\""
            ))),
        }
    }

    /// The factor an axis of this label belongs to.
    pub fn factor_of(&self, label: &str) -> String {
        match self {
            Grouping::Axis => label.to_string(),
            Grouping::Target if label.starts_with("joint:") => label.to_string(),
            Grouping::Target => match label.rsplit_once('.') {
                Some((head, _)) => head.to_string(),
                None => label.to_string(),
            },
        }
    }
}

/// How to run an uncertainty study.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Simulated years per point and scenario (>= 2), the same years at every point.
    pub years: u64,
    /// Seed of the closure draws (year `i` uses stream `i`), of the design's scramble
    /// and of the bootstrap.
    pub seed: u64,
    /// Worker threads (>= 1). Results do not depend on it.
    pub threads: usize,
    /// The design.
    pub design: DesignKind,
    /// The factors of the Sobol' indices.
    pub grouping: Grouping,
    /// Bootstrap resamples of every interval (>= 1).
    pub bootstrap_resamples: u32,
    /// Leave out the scenarios' own fixed closures.
    pub no_fixed_closures: bool,
    /// Simulate only the points `p` with `p % n == k - 1` (every scenario and year of
    /// each) and give a partial result to write with [`shard::write_partial`] and merge
    /// with [`shard::merge`]; `None`: every point.
    pub shard: Option<crate::output::Shard>,
}

impl Default for Config {
    /// The default study: 64 random points of 200 years.
    fn default() -> Self {
        Config {
            years: Self::YEARS,
            seed: 0,
            threads: 1,
            design: DesignKind::Random {
                points: Self::POINTS as usize,
            },
            grouping: Grouping::Target,
            bootstrap_resamples: Self::BOOTSTRAP,
            no_fixed_closures: false,
            shard: None,
        }
    }
}

impl Config {
    /// Simulated years per point and scenario, unless told otherwise.
    pub const YEARS: u64 = 200;
    /// Parameter points of a random or Sobol' design, unless told otherwise.
    pub const POINTS: u64 = 64;
    /// Base points of a Saltelli design (Sobol' indices), unless told otherwise.
    pub const BASE_POINTS: u64 = 16;
    /// The design without indices, unless told otherwise (a name [`DesignKind::of`] takes).
    pub const DESIGN: &'static str = "random";
    /// The factors of the indices, unless told otherwise (a name [`Grouping::of`] takes).
    pub const GROUPS: &'static str = "target";
    /// Bootstrap resamples of every interval, unless told otherwise.
    pub const BOOTSTRAP: u32 = 1000;

    /// Refuse settings that cannot give a study.
    pub fn check(&self) -> Result<(), Error> {
        if self.years < 2 {
            return Err(Error::Invalid(format!(
                "years {}: an uncertainty study needs at least 2 years per point",
                self.years
            )));
        }
        if self.threads == 0 {
            return Err(Error::Invalid("threads is 0: it must be at least 1".into()));
        }
        if self.bootstrap_resamples == 0 {
            return Err(Error::Invalid(
                "bootstrap 0: at least 1 resample is needed".into(),
            ));
        }
        match self.design {
            DesignKind::Random { points } | DesignKind::Sobol { points }
                if !(8..=65_536).contains(&points) =>
            {
                Err(Error::Invalid(format!(
                    "points {points}: a design takes 8 to 65536 points"
                )))
            }
            DesignKind::Saltelli { base_points } if !(4..=65_536).contains(&base_points) => {
                Err(Error::Invalid(format!(
                    "base points {base_points}: a Saltelli design takes 4 to 65536"
                )))
            }
            _ => Ok(()),
        }
    }
}

/// A factor of the Sobol' indices: its label and the indices of its axes.
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    /// `process.chaman`, or an axis label.
    pub label: String,
    /// Indices into [`Study::axes`].
    pub axes: Vec<usize>,
}

/// What an uncertainty study varies and runs: the base, the options, the axes.
#[derive(Debug, Clone)]
pub struct Study {
    /// The base, then the options.
    pub candidates: Vec<Candidate>,
    /// The axes, the union of the candidates' (by label, base first).
    pub axes: Vec<Axis>,
    /// `uses[c][j]`: whether candidate `c` takes axis `j`.
    pub uses: Vec<Vec<bool>>,
}

impl Study {
    /// Assemble a study of `base` and `options` (checked as [`crate::compare::Study`]
    /// checks a comparison). Errors if no scenario has an `[[uncertain]]` axis, naming
    /// what to add.
    pub fn new(base: Candidate, options: Vec<Candidate>) -> Result<Study, Error> {
        let candidates: Vec<Candidate> = if options.is_empty() {
            if base.scenario.base.is_some() {
                return Err(Error::Invalid(format!(
                    "{} is an option file: an uncertainty study's first file is the base \
                     scenario (the option's `base`), then its options",
                    base.path.display()
                )));
            }
            vec![base]
        } else {
            let s = crate::compare::Study::new(base, options)?;
            s.candidates().cloned().collect()
        };
        let mut axes: Vec<Axis> = Vec::new();
        for c in &candidates {
            for a in &c.scenario.uncertain {
                if !axes.iter().any(|x| x.label() == a.label()) {
                    axes.push(a.clone());
                }
            }
        }
        if axes.is_empty() {
            return Err(Error::Invalid(format!(
                "{} has no uncertain parameter: add an [[uncertain]] table naming a parameter \
                 and its law to the base (or an option), e.g.\n  [[uncertain]]\n  \
                 param = \"process.ID.rate_per_year\"\n  dist = \"uniform\"\n  lo = 0.5\n  \
                 hi = 2.0\n  source = \"E: why this range\"\n(`chokepoint info --params FILE` \
                 lists the parameters; docs/uncertainty.md describes the study)",
                candidates[0].path.display()
            )));
        }
        let base_labels: Vec<String> = candidates[0]
            .scenario
            .uncertain
            .iter()
            .map(Axis::label)
            .collect();
        let uses = candidates
            .iter()
            .map(|c| {
                axes.iter()
                    .map(|a| {
                        let l = a.label();
                        base_labels.contains(&l)
                            || c.scenario.uncertain.iter().any(|x| x.label() == l)
                    })
                    .collect()
            })
            .collect();
        Ok(Study {
            candidates,
            axes,
            uses,
        })
    }

    /// The candidates' labels: `base`, then the options.
    pub fn labels(&self) -> Vec<String> {
        self.candidates.iter().map(|c| c.label.clone()).collect()
    }

    /// The factors of the Sobol' indices under `grouping`, in order of first axis.
    pub fn factors(&self, grouping: Grouping) -> Vec<Factor> {
        let mut out: Vec<Factor> = Vec::new();
        for (j, a) in self.axes.iter().enumerate() {
            let label = grouping.factor_of(&a.label());
            match out.iter_mut().find(|f| f.label == label) {
                Some(f) => f.axes.push(j),
                None => out.push(Factor {
                    label,
                    axes: vec![j],
                }),
            }
        }
        out
    }

    /// Candidate `c`'s scenario at the point `u` (one coordinate per axis).
    pub fn scenario_at(&self, c: usize, u: &[f64]) -> Result<Scenario, Error> {
        let (axes, coords): (Vec<Axis>, Vec<f64>) = self
            .axes
            .iter()
            .zip(u)
            .zip(&self.uses[c])
            .filter(|(_, used)| **used)
            .map(|((a, x), _)| (a.clone(), *x))
            .unzip();
        let s = apply(&self.candidates[c].scenario, &axes, &coords)?;
        s.check().map_err(|e| {
            Error::Invalid(format!(
                "{} at a drawn parameter point: {}",
                self.candidates[c].label,
                Error::from(e)
            ))
        })?;
        Ok(s)
    }
}

/// Which block of the design a point belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A point of a random design.
    Draw,
    /// A point of a Sobol' sequence.
    Sobol,
    /// A row of A.
    A,
    /// A row of B.
    B,
    /// A row of A with the columns of factor `g` from B.
    Ab(usize),
}

impl Block {
    /// `sobol`, `A`, `B` or `AB:<factor>`.
    pub fn name(&self, factors: &[Factor]) -> String {
        match self {
            Block::Draw => "draw".into(),
            Block::Sobol => "sobol".into(),
            Block::A => "A".into(),
            Block::B => "B".into(),
            Block::Ab(g) => format!("AB:{}", factors[*g].label),
        }
    }

    /// Whether the point is a draw from the parameters' law on its own (a random or
    /// Sobol' point, a row of A or of B): the points the predictive distribution, the variance split,
    /// ξ and the options' robustness read.
    pub fn is_draw(&self) -> bool {
        !matches!(self, Block::Ab(_))
    }
}

/// The points of a design: coordinates in [0, 1) per axis, and their blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct Points {
    /// One row per point, one coordinate per axis.
    pub u: Vec<Vec<f64>>,
    /// The block of each point.
    pub block: Vec<Block>,
}

/// The scramble seed of the design for a study seed.
pub fn design_seed(seed: u64) -> u32 {
    (seed ^ (seed >> 32)) as u32
}

/// `n` independent uniform points in `[0, 1)^k` from `rng`.
fn uniform_rows(n: usize, k: usize, rng: &mut rand_chacha::ChaCha8Rng) -> Vec<Vec<f64>> {
    use rand::Rng;
    (0..n)
        .map(|_| (0..k).map(|_| rng.random::<f64>()).collect())
        .collect()
}

/// The generator of a study's random design: a substream of its own, apart from every
/// year's closure streams.
pub fn design_rng(seed: u64) -> rand_chacha::ChaCha8Rng {
    crate::closure::substream(&montecarlo::run_rng(seed, u64::MAX), "uncertainty/design")
}

/// The points of `design` over `k` axes grouped into `factors`: random ones from
/// [`design_rng`]`(seed)`, a Sobol' sequence scrambled with [`design_seed`]`(seed)`.
pub fn points(
    design: DesignKind,
    k: usize,
    factors: &[Factor],
    seed: u64,
) -> Result<Points, Error> {
    match design {
        DesignKind::Random { points } => Ok(Points {
            u: uniform_rows(points, k, &mut design_rng(seed)),
            block: vec![Block::Draw; points],
        }),
        DesignKind::Sobol { points } => {
            if k > sobol_burley::NUM_DIMENSIONS as usize {
                return Err(Error::Invalid(format!(
                    "{k} uncertain axes: a Sobol' design takes at most {}",
                    sobol_burley::NUM_DIMENSIONS
                )));
            }
            let scramble = design_seed(seed);
            let u = (0..points)
                .map(|r| {
                    (0..k)
                        .map(|d| f64::from(sobol_burley::sample(r as u32, d as u32, scramble)))
                        .collect()
                })
                .collect();
            Ok(Points {
                u,
                block: vec![Block::Sobol; points],
            })
        }
        DesignKind::Saltelli { base_points: n } => {
            let mut rng = design_rng(seed);
            let a = uniform_rows(n, k, &mut rng);
            let b = uniform_rows(n, k, &mut rng);
            let mut u: Vec<Vec<f64>> = a.iter().chain(&b).cloned().collect();
            let mut block = vec![Block::A; n];
            block.extend(vec![Block::B; n]);
            for (g, f) in factors.iter().enumerate() {
                for (ra, rb) in a.iter().zip(&b) {
                    let mut row = ra.clone();
                    for &j in &f.axes {
                        row[j] = rb[j];
                    }
                    u.push(row);
                    block.push(Block::Ab(g));
                }
            }
            Ok(Points { u, block })
        }
    }
}

/// The result of an uncertainty study: its manifest, the points and every cell's years.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// What identifies it (command `uncertainty`).
    pub manifest: Manifest,
    /// The candidates' labels: `base`, then the options.
    pub labels: Vec<String>,
    /// The axes' labels, in design order.
    pub axes: Vec<String>,
    /// The factors of the indices.
    pub factors: Vec<Factor>,
    /// The points.
    pub points: Points,
    /// `values[p][j]`: the parameter values axis `j` sets at point `p` (name, value).
    pub values: Vec<Vec<Vec<(String, f64)>>>,
    /// `losses[p][c][i]`: total loss of candidate `c` at point `p` in year `i`, USD.
    pub losses: Vec<Vec<Vec<f64>>>,
    /// `appraisal[p][c]`: an option's costs and discount rate at point `p` (`None` for
    /// the base).
    pub appraisal: Vec<Vec<Option<Appraisal>>>,
    /// Bootstrap resamples and seed (from the config).
    pub bootstrap: (u32, u64),
    /// Whether the draw points are independent ([`DesignKind::independent`]).
    pub independent: bool,
}

/// What the manifest's `uncertainty.closure_draws` says.
pub const CLOSURE_DRAWS: &str = "year i at every point and for every scenario: \
     rand_chacha::ChaCha8Rng::seed_from_u64(seed), set_stream(i), closures by \
     ClosureSampler::sample_fixed_draws (one uniform and one duration draw per day and \
     process, whatever the parameters)";

/// The manifest of `study` with `config`, as [`simulate`] writes it.
pub fn manifest(study: &Study, config: &Config) -> Result<Manifest, Error> {
    let mc = mc_config(config);
    let compare = if study.candidates.len() > 1 {
        let s = crate::compare::Study {
            base: study.candidates[0].clone(),
            options: study.candidates[1..].to_vec(),
            futures: None,
        };
        let c = crate::compare::Config {
            mc: mc.clone(),
            bootstrap_resamples: config.bootstrap_resamples,
            threshold_usd: None,
        };
        crate::compare::manifest(&s, &c).compare
    } else {
        None
    };
    let mut m = montecarlo::manifest(&study.candidates[0].scenario, &mc);
    m.command = "uncertainty".into();
    m.compare = compare;
    if let Some(r) = &mut m.montecarlo {
        r.rng = CLOSURE_DRAWS.into();
        r.shard = config.shard;
    }
    let factors = study.factors(config.grouping);
    let n_points = points(config.design, study.axes.len(), &factors, config.seed)?
        .u
        .len();
    m.uncertainty = Some(UncertaintyRecord {
        design: config.design.name().into(),
        points: n_points as u64,
        base_points: match config.design {
            DesignKind::Saltelli { base_points } => Some(base_points as u64),
            _ => None,
        },
        years: config.years,
        groups: config.grouping.name().into(),
        factors: factors
            .iter()
            .map(|f| {
                (
                    f.label.clone(),
                    f.axes.iter().map(|&j| study.axes[j].label()).collect(),
                )
            })
            .collect(),
        axes: study.axes.clone(),
        design_seed: design_seed(config.seed),
        closure_draws: CLOSURE_DRAWS.into(),
        bootstrap_resamples: config.bootstrap_resamples,
    });
    Ok(m)
}

fn mc_config(config: &Config) -> montecarlo::Config {
    montecarlo::Config {
        runs: config.years,
        seed: config.seed,
        threads: 1,
        shard: None,
        target_rel_error: None,
        batch_size: 100,
        no_fixed_closures: config.no_fixed_closures,
        extra_closures: Vec::new(),
        close_specs: Vec::new(),
        record_daily: false,
        regime_start: None,
    }
}

/// Run the study: every (point, scenario) cell on the study layer's runner, on
/// `config.threads` workers, each cell the same `config.years` years (see the module
/// docs). Gives up between cells once `stop` is set ([`Error::Cancelled`]). `progress`
/// hears of one run per cell.
pub fn simulate(
    study: &Study,
    config: &Config,
    progress: &dyn Progress,
    stop: &AtomicBool,
) -> Result<Outcome, Error> {
    config.check()?;
    let factors = study.factors(config.grouping);
    let pts = points(config.design, study.axes.len(), &factors, config.seed)?;
    let c_n = study.candidates.len();
    // A shard simulates its points' cells only; the others stay empty.
    let cells: Vec<u64> = (0..(pts.u.len() * c_n) as u64)
        .filter(|r| config.shard.is_none_or(|s| s.contains(*r / c_n as u64)))
        .collect();
    let mc = mc_config(config);
    let labels = study.labels();
    let describe = |r: u64| {
        let (p, c) = (r as usize / c_n, r as usize % c_n);
        let values: Vec<String> = study
            .axes
            .iter()
            .zip(&pts.u[p])
            .flat_map(|(a, &x)| a.values_at(x))
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        format!(
            " (point {p}, scenario {}, seed {}, {})",
            labels[c],
            config.seed,
            values.join(" ")
        )
    };
    let work = |_: &mut (), r: u64| -> Result<(Vec<f64>, Option<Appraisal>), Error> {
        let (p, c) = (r as usize / c_n, r as usize % c_n);
        let scenario = study.scenario_at(c, &pts.u[p])?;
        let fixed = montecarlo::fixed_closures(&scenario, &mc);
        let out = montecarlo::simulate_with(
            &scenario,
            &mc,
            || Engine::with_base(&scenario, &fixed),
            &montecarlo::NoProgress,
            Some(stop),
            Draws::Fixed,
        )?;
        let losses = out.runs.losses().into_owned();
        let appraisal = study.candidates[c].appraisal.map(|a| Appraisal {
            discount_rate: scenario.settings.discount_rate,
            ..a
        });
        Ok((losses, appraisal))
    };
    let mut losses: Vec<Vec<Vec<f64>>> = vec![Vec::with_capacity(c_n); pts.u.len()];
    let mut appraisal: Vec<Vec<Option<Appraisal>>> = vec![Vec::with_capacity(c_n); pts.u.len()];
    let runner = Runner::new(config.threads)?
        .progress(progress)
        .stop_on(stop);
    runner.run(
        &cells,
        || Ok(()),
        work,
        &describe,
        |r, (l, a)| {
            let p = r as usize / c_n;
            losses[p].push(l);
            appraisal[p].push(a);
            Ok(Flow::Continue)
        },
    )?;
    let values = pts
        .u
        .iter()
        .map(|u| {
            study
                .axes
                .iter()
                .zip(u)
                .map(|(a, &x)| a.values_at(x))
                .collect()
        })
        .collect();
    Ok(Outcome {
        manifest: manifest(study, config)?,
        labels,
        axes: study.axes.iter().map(Axis::label).collect(),
        factors,
        points: pts,
        values,
        losses,
        appraisal,
        bootstrap: (config.bootstrap_resamples, config.seed),
        independent: config.design.independent(),
    })
}
