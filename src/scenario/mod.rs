//! Scenarios: the whole model of one study, loaded from TOML (and CSV) files and
//! validated, and options (change sets over a base scenario).

mod check;
mod closures_file;
mod level;
mod load;
mod option;
pub mod params;
mod priors;
mod raw;
mod tree;
mod uncertain;
mod window;

pub use closures_file::{closure_spec, closures_from_csv, read_closures_csv, CLOSURE_COLUMNS};
pub use level::{LevelSide, TradeLevel};
pub use load::{from_toml_str, load, load_with_warnings, looks_like_option};
pub use option::load_option;
pub use priors::{load_priors, with_priors};
pub use raw::ACCEPTED_KEYS;
pub use uncertain::OPTION_PARAMS;
pub use window::{
    apply_window, did_you_mean, in_window, parse_close_spec, parse_date, window_text,
    StudyClosures, WindowWarning,
};

use std::path::PathBuf;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::closure::{
    ClosureProcess, ClosureSampler, ClosureWindow, RegimeChain, RegimeStart, ShockGroup, Target,
};
use crate::network::{Corridor, Demand, Link, LinkId, Node, Product, Supply};

/// Load a scenario file, or an option file applied to its base scenario (an option
/// file is recognised by its `[option]` table).
///
/// ```
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
/// let base = chokepoint::scenario::load_any(format!("{dir}/starter.toml"))?;
/// let with_option = chokepoint::scenario::load_any(format!("{dir}/starter-option.toml"))?;
/// assert!(with_option.links.len() > base.links.len());
/// # Ok::<(), chokepoint::Error>(())
/// ```
pub fn load_any(path: impl AsRef<std::path::Path>) -> Result<Scenario, crate::Error> {
    let path = path.as_ref();
    let is_option = std::fs::read_to_string(path).is_ok_and(|t| looks_like_option(&t));
    if is_option {
        Ok(load_option(path)?.1)
    } else {
        load(path)
    }
}

/// Scenario-wide settings (the `[scenario]` table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Short name.
    pub name: String,
    /// What the scenario is for, where its numbers come from.
    pub description: String,
    /// Date of day 0 (default 2024-01-01).
    pub start: NaiveDate,
    /// Days simulated (default 365).
    pub days: u32,
    /// Tonnes per truck, for stranded-truck counts (default 25).
    pub truck_payload_t: f64,
    /// Days before traders react to a change in a link's capacity (default 2). Until
    /// then they route as if the link were as it was: that lag is why trucks pile up.
    pub reaction_days: u32,
    /// Days cargo waits in a queue at a crossing before it turns back to reroute
    /// (default 7).
    pub queue_patience_days: u32,
    /// Days an unmet order stays open before it is lost trade (default 30).
    pub order_patience_days: u32,
    /// Days a lot may wait in one link's queue (counting the day it joined it) before it
    /// is abandoned at the end of that day as lost trade (default 30); the count starts
    /// again when it turns back and joins another queue.
    pub abandon_after_days: u32,
    /// The most days a run simulates after its window (the run-out), until its queues,
    /// cargo and open orders are back to the counterfactual's (default 365; see
    /// `docs/model.md`, "What a year's loss holds").
    pub runout_max_days: u32,
    /// Annual discount rate for option appraisal (default 0.05).
    pub discount_rate: f64,
    /// How traders meet a closure (default [`Traders::Myopic`]).
    #[serde(default, skip_serializing_if = "Traders::is_myopic")]
    pub traders: Traders,
    /// Traders who differ (with `traders = "weigh"`): the spread σ ≥ 0 of their beliefs
    /// about a closure's remaining length around the link's belief (default 0: every
    /// trader holds it). Each corridor's cargo is split into `trader_classes` equal
    /// classes whose beliefs are the link's belief × exp(σ zₖ), zₖ the standard normal
    /// quantiles at (k + ½)/K, scaled so that the classes' mean belief is the link's;
    /// each class decides as the weighing trader does on its share (`docs/model.md`,
    /// "Traders who differ").
    #[serde(default, skip_serializing_if = "is_zero")]
    pub belief_spread: f64,
    /// The number of classes of traders who differ (1..=32, default 5); with
    /// `belief_spread = 0` it changes nothing.
    #[serde(default = "five", skip_serializing_if = "is_five")]
    pub trader_classes: u32,
    /// Whether every run and its counterfactual start in the counterfactual's steady
    /// state for day 0 (cargo under way, queues and open orders as on a normal day: a
    /// spin-up of the counterfactual before the window; default `true`), or empty
    /// (`false`: no cargo, no orders on day 0). See `docs/model.md`, "A steady start".
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub steady_start: bool,
}

fn yes() -> bool {
    true
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

fn five() -> u32 {
    5
}

fn is_five(x: &u32) -> bool {
    *x == 5
}

fn is_true(b: &bool) -> bool {
    *b
}

/// The most classes of traders who differ (`[scenario] trader_classes`).
pub const MAX_TRADER_CLASSES: u32 = 32;

/// The largest spread of traders' beliefs (`[scenario] belief_spread`).
pub const MAX_BELIEF_SPREAD: f64 = 5.0;

/// How traders meet a crossing they know is shut (`[scenario] traders`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Traders {
    /// They route on the capacity they see and wait only when no route pays; queued
    /// cargo turns back after `queue_patience_days` (the default).
    #[default]
    Myopic,
    /// Where a corridor has a belief about how long its closures last (a closure
    /// process, a shock, or a stated `expected_closure_days`), cargo bound for it weighs
    /// the expected cost of waiting against the extra cost of the cheapest open detour
    /// and takes the cheaper (`docs/model.md`, "Waiting or a detour").
    Weigh,
}

impl Traders {
    /// Whether this is the default.
    pub fn is_myopic(&self) -> bool {
        *self == Traders::Myopic
    }
}

impl Settings {
    /// Settings with every default and this name.
    pub fn named(name: &str) -> Self {
        Settings {
            name: name.to_string(),
            description: String::new(),
            start: NaiveDate::from_ymd_opt(2024, 1, 1).expect("valid date"),
            days: 365,
            truck_payload_t: 25.0,
            reaction_days: 2,
            queue_patience_days: 7,
            order_patience_days: 30,
            abandon_after_days: 30,
            runout_max_days: 365,
            discount_rate: 0.05,
            traders: Traders::Myopic,
            belief_spread: 0.0,
            trader_classes: 5,
            steady_start: true,
        }
    }
}

/// A capacity expansion on a link that ramps in linearly (from an option).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expansion {
    /// The link.
    pub link: LinkId,
    /// Extra capacity once fully ramped, t/day.
    pub extra_t_per_day: f64,
    /// First day of the ramp (0-based day index).
    pub start_day: i64,
    /// Days to reach the full extra capacity (0 = at once).
    pub ramp_days: u32,
}

impl Expansion {
    /// Extra capacity on `day`, t/day.
    pub fn extra_on(&self, day: i64) -> f64 {
        if day < self.start_day {
            0.0
        } else if self.ramp_days == 0 {
            self.extra_t_per_day
        } else {
            let k = (day - self.start_day + 1) as f64;
            self.extra_t_per_day * (k / f64::from(self.ramp_days)).min(1.0)
        }
    }
}

/// A validated scenario: everything a simulation needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// Scenario-wide settings.
    pub settings: Settings,
    /// Markets, border posts, ports, terminals, junctions.
    pub nodes: Vec<Node>,
    /// Transport links (border crossings among them).
    pub links: Vec<Link>,
    /// Named sets of links that close together.
    pub corridors: Vec<Corridor>,
    /// Goods.
    pub products: Vec<Product>,
    /// Where goods are available.
    pub supplies: Vec<Supply>,
    /// Where goods are wanted.
    pub demands: Vec<Demand>,
    /// Dated multipliers of supply and demand (`[[trade_level]]`), in file order.
    #[serde(default)]
    pub trade_levels: Vec<TradeLevel>,
    /// Fixed closure windows (history, or a "what if").
    pub closures: Vec<ClosureWindow>,
    /// Seasonal closures (`[[closure]]` with `seasonal = true`): each recurs every
    /// calendar year on the dates of its window ([`ClosureWindow::seasonal_factor_on`])
    /// and is part of normal conditions: it shuts its links in every run *and* in the
    /// counterfactual, so it is not a disruption and costs no loss by itself. Runs
    /// always keep them (`--no-fixed-closures` drops only `closures`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seasonal: Vec<ClosureWindow>,
    /// Random closure processes (Monte Carlo only).
    pub processes: Vec<ClosureProcess>,
    /// Common-shock groups (Monte Carlo only).
    pub shocks: Vec<ShockGroup>,
    /// Optional regime chain scaling the random onset rates (Monte Carlo only).
    pub regimes: Option<RegimeChain>,
    /// Capacity expansions (added by options).
    pub expansions: Vec<Expansion>,
    /// The file it was loaded from, if any.
    pub source: Option<PathBuf>,
    /// SHA-256 (hex) of the scenario's files as loaded, for manifests.
    pub checksum: String,
    /// When it is an option applied to a base scenario: that base (for manifests).
    #[serde(default)]
    pub base: Option<BaseScenario>,
    /// Its uncertain parameters (`[[uncertain]]` tables; an option's own follow the
    /// base's), for parameter-uncertainty studies. Nothing else reads them: a scenario
    /// runs at its point values whatever they say.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uncertain: Vec<crate::uncertainty::Axis>,
}

/// The base scenario an option was applied to: its file and checksum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseScenario {
    /// The base scenario file (the option's `base`, resolved against the option file).
    pub path: PathBuf,
    /// SHA-256 (hex) of the base scenario's files, as [`Scenario::checksum`].
    pub checksum: String,
}

impl Scenario {
    /// An empty scenario with default settings and this name, to fill by hand (tests,
    /// notebooks); call [`Scenario::check`] once it is filled.
    pub fn empty(name: &str) -> Scenario {
        Scenario {
            settings: Settings::named(name),
            nodes: Vec::new(),
            links: Vec::new(),
            corridors: Vec::new(),
            products: Vec::new(),
            supplies: Vec::new(),
            demands: Vec::new(),
            trade_levels: Vec::new(),
            closures: Vec::new(),
            seasonal: Vec::new(),
            processes: Vec::new(),
            shocks: Vec::new(),
            regimes: None,
            expansions: Vec::new(),
            source: None,
            checksum: String::new(),
            base: None,
            uncertain: Vec::new(),
        }
    }

    /// Load and validate a scenario file: the same as [`load`].
    ///
    /// ```
    /// let s = chokepoint::Scenario::load("scenarios/twoland.toml")?;
    /// assert_eq!(s.settings.name, "twoland");
    /// # Ok::<(), chokepoint::Error>(())
    /// ```
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<Scenario, crate::Error> {
        load::load(path)
    }

    /// The links a closure target covers.
    pub fn target_links<'a>(&'a self, target: &'a Target) -> &'a [LinkId] {
        match target {
            Target::Corridor(c) => &self.corridors[c.index()].links,
            Target::Link(l) => std::slice::from_ref(l),
        }
    }

    /// The id of the corridor or link a target names, for messages and outputs.
    pub fn target_name(&self, target: Target) -> &str {
        match target {
            Target::Corridor(c) => &self.corridors[c.index()].id,
            Target::Link(l) => &self.links[l.index()].id,
        }
    }

    /// The longest reaction lag of any link, days: the scenario's `reaction_days` and
    /// every corridor's own.
    pub fn max_reaction_days(&self) -> u32 {
        self.corridors
            .iter()
            .filter_map(|c| c.reaction_days)
            .fold(self.settings.reaction_days, u32::max)
    }

    /// Look up a corridor by id.
    pub fn corridor(&self, id: &str) -> Option<crate::network::CorridorId> {
        self.corridors
            .iter()
            .position(|c| c.id == id)
            .map(|i| crate::network::CorridorId(i as u32))
    }

    /// Look up a link by id.
    pub fn link(&self, id: &str) -> Option<LinkId> {
        self.links
            .iter()
            .position(|l| l.id == id)
            .map(|i| LinkId(i as u32))
    }

    /// Look up a corridor or link by id (corridors first).
    pub fn target(&self, id: &str) -> Option<Target> {
        self.corridor(id)
            .map(Target::Corridor)
            .or_else(|| self.link(id).map(Target::Link))
    }

    /// The sampler of this scenario's random closures (processes, shocks, regime chain),
    /// the regime chain started as its `initial` says.
    ///
    /// ```
    /// let s = chokepoint::Scenario::load("scenarios/afghanistan/base.toml")?;
    /// let sampler = s.closure_sampler()?;
    /// let run = chokepoint::montecarlo::run_rng(1, 0);
    /// let windows = sampler.sample(0, s.settings.days, &run);
    /// assert!(windows.iter().all(|w| (0..366).contains(&w.start_day)));
    /// # Ok::<(), chokepoint::Error>(())
    /// ```
    pub fn closure_sampler(&self) -> Result<ClosureSampler, crate::Error> {
        ClosureSampler::new(&self.processes, &self.shocks, self.regimes.as_ref(), |t| {
            self.target_name(t).to_string()
        })
    }

    /// Resolve a regime start as written on a command line: `stationary` (drawn from
    /// the long-run shares) or the id of a state of the regime chain. Errors, with a
    /// "did you mean", on an unknown state or when there is no chain.
    ///
    /// ```
    /// use chokepoint::closure::RegimeStart;
    /// let s = chokepoint::Scenario::load("scenarios/afghanistan/base.toml")?;
    /// assert_eq!(s.regime_start("stationary")?, RegimeStart::Stationary);
    /// assert_eq!(s.regime_start("tense")?, RegimeStart::State(1));
    /// assert!(s.regime_start("tens").unwrap_err().to_string().contains("did you mean `tense`"));
    /// # Ok::<(), chokepoint::Error>(())
    /// ```
    pub fn regime_start(&self, spec: &str) -> Result<RegimeStart, crate::Error> {
        let spec = spec.trim();
        let Some(chain) = &self.regimes else {
            return Err(crate::Error::Invalid(format!(
                "regime start {spec:?}: the scenario has no regime chain ([regimes])"
            )));
        };
        if spec == "stationary" {
            return Ok(RegimeStart::Stationary);
        }
        if let Some(i) = chain.states.iter().position(|s| s.id == spec) {
            return Ok(RegimeStart::State(i));
        }
        let words = std::iter::once("stationary").chain(chain.states.iter().map(|s| s.id.as_str()));
        let hint = raw::did_you_mean(spec, words.clone())
            .unwrap_or_else(|| format!("expected one of {}", words.collect::<Vec<_>>().join(", ")));
        Err(crate::Error::Invalid(format!(
            "regime start {spec:?} is neither `stationary` nor a regime state; {hint}"
        )))
    }

    /// The factor the seasonal closures (`seasonal`) put on link `link`'s capacity on
    /// `day`: the lowest of those covering it, 1 when none does.
    pub fn seasonal_factor(&self, link: LinkId, day: i64) -> f64 {
        self.seasonal
            .iter()
            .filter(|w| self.target_links(&w.target).contains(&link))
            .map(|w| w.seasonal_factor_on(self.settings.start, day))
            .fold(1.0, f64::min)
    }

    /// The 0-based day index of a date (negative before the start).
    pub fn day_of(&self, date: NaiveDate) -> i64 {
        (date - self.settings.start).num_days()
    }

    /// The date of a 0-based day index.
    pub fn date_of(&self, day: i64) -> NaiveDate {
        self.settings.start + chrono::Duration::days(day)
    }
}

/// One change an option makes to its base scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Change {
    /// Add a node.
    AddNode(Node),
    /// Add a link, optionally into a corridor (new or existing).
    AddLink {
        /// The link (its `from`/`to` resolved against the base plus added nodes).
        link: Link,
        /// Corridor to put it in, if any.
        corridor: Option<String>,
    },
    /// Expand a link's capacity, ramping in.
    Expand(Expansion),
    /// Set a link's freight cost, USD/t.
    SetCost {
        /// The link.
        link: LinkId,
        /// New cost, USD/t.
        cost_usd_per_t: f64,
    },
    /// Add a fixed closure window.
    AddClosure(ClosureWindow),
    /// Add a seasonal closure (see [`Scenario::seasonal`]).
    AddSeasonal(ClosureWindow),
    /// Remove the fixed closures of a target (with a label: only those with it).
    RemoveClosures {
        /// Their target.
        target: Target,
        /// Only the windows with this label.
        label: Option<String>,
    },
    /// Add a random closure process (it draws from its own random stream, named by its
    /// id, so the base's processes keep their draws).
    AddProcess(ClosureProcess),
    /// Add a common-shock group.
    AddShock(ShockGroup),
    /// Add targets (e.g. a corridor the option adds) to a shock group: they close with
    /// the group's own onsets and durations.
    JoinShock {
        /// The shock group's id.
        shock: String,
        /// The targets that join it.
        targets: Vec<Target>,
    },
    /// Change the law of a process or shock (its random stream is kept).
    SetProcess(SetProcess),
}

/// A process or a shock group, by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RandomSource {
    /// A `[[process]]`, by its id.
    Process(String),
    /// A `[[shock]]`, by its id.
    Shock(String),
}

/// A change to the law of a closure process or shock group ([`Change::SetProcess`]).
/// A rate is replaced (`rate_per_year`) or multiplied (`rate_scale`), a duration law
/// replaced (`duration`) or its durations multiplied (`duration_scale`, see
/// [`crate::closure::DurationDist::scaled`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetProcess {
    /// What changes.
    pub source: RandomSource,
    /// New onset rate, per 365 days.
    pub rate_per_year: Option<f64>,
    /// Factor on the onset rate (>= 0).
    pub rate_scale: Option<f64>,
    /// New duration law.
    pub duration: Option<crate::closure::DurationDist>,
    /// Factor on every duration (> 0).
    pub duration_scale: Option<f64>,
    /// New capacity factor while closed.
    pub capacity_factor: Option<f64>,
    /// New ramp, days.
    pub ramp_days: Option<u32>,
}

/// An option: a change set over a base scenario, with its capital cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioOption {
    /// Short name, e.g. `khaf_herat_phase4`.
    pub name: String,
    /// What it is.
    pub description: String,
    /// The base scenario file, as written in the option file (relative to it).
    pub base: PathBuf,
    /// Capital cost, USD, spent at the start (year 0).
    pub capital_cost_usd: f64,
    /// Yearly cost of running and maintaining it, USD/year, paid at the end of each year
    /// of the horizon (default 0).
    #[serde(default)]
    pub annual_cost_usd: f64,
    /// Appraisal horizon, years.
    pub horizon_years: f64,
    /// The changes, in order.
    pub changes: Vec<Change>,
    /// The option's own uncertain parameters (its `[[uncertain]]` tables, e.g. an added
    /// link's capacity), checked against the scenario with the option applied;
    /// [`ScenarioOption::apply`] appends them to the scenario's
    /// [`Scenario::uncertain`], after the base's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uncertain: Vec<crate::uncertainty::Axis>,
}
