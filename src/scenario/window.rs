//! Ad-hoc closures and simulation windows from the command line, shared by
//! `chokepoint run` and `chokepoint montecarlo`: what needs a [`Scenario`] to resolve
//! an id or a date. (They lived in `closure::spec` before; `closure` no longer depends
//! on `scenario`.)
//!
//! A closure spec is `ID:FROM..TO` (TO is the date the target reopens: the first open
//! day), or `ID:FROM+DAYS`, each with an optional `@FACTOR` capacity factor (default 0,
//! shut). `ID` is a corridor id or a link id (corridors first); `FROM` and `TO` are dates
//! (`2024-01-13`) or 0-based day indices from the scenario's start (`12`, `-3`).
//!
//! ```
//! use chokepoint::scenario::parse_close_spec;
//! let mut scenario = chokepoint::Scenario::empty("x");
//! scenario.corridors.push(chokepoint::network::Corridor {
//!     id: "torkham".into(), name: "Torkham".into(), links: vec![],
//!     reaction_days: None, expected_closure_days: None });
//! let w = parse_close_spec(&scenario, "torkham:2024-01-13..2024-01-23@0.1")?;
//! assert_eq!((w.start_day, w.duration_days, w.capacity_factor), (12, 10, 0.1));
//! let err = parse_close_spec(&scenario, "torkam:2024-01-13+10").unwrap_err();
//! assert!(err.to_string().contains("did you mean \"torkham\""));
//! # Ok::<(), chokepoint::Error>(())
//! ```

use chrono::NaiveDate;

pub use crate::closure::parse_date;
use crate::closure::ClosureWindow;
use crate::{Error, Scenario};

const FORMAT: &str = "ID:FROM..TO or ID:FROM+DAYS, optionally followed by @FACTOR, \
                      e.g. torkham:2024-01-13..2024-01-23 or torkham:2024-01-13+10@0.1";

/// Parse one closure spec (what `chokepoint run --close` takes) against a scenario (see the module docs for the format).
pub fn parse_close_spec(scenario: &Scenario, spec: &str) -> Result<ClosureWindow, Error> {
    let bad = |what: String| Error::Invalid(format!("closure {spec:?}: {what}; expected {FORMAT}"));
    let (id, rest) = spec
        .split_once(':')
        .ok_or_else(|| bad("missing ':' after the corridor id".into()))?;
    let id = id.trim();
    let target = scenario.target(id).ok_or_else(|| {
        Error::Invalid(format!(
            "closure {spec:?}: unknown corridor or link {id:?}{}",
            did_you_mean(scenario, id)
        ))
    })?;
    let (range, factor) = match rest.split_once('@') {
        Some((r, f)) => {
            let f: f64 = f
                .trim()
                .parse()
                .map_err(|_| bad(format!("capacity factor {f:?} is not a number")))?;
            if !(0.0..1.0).contains(&f) {
                return Err(bad(format!(
                    "capacity factor {f} must be in [0, 1) (0 = shut, 0.1 = trickle)"
                )));
            }
            (r, f)
        }
        None => (rest, 0.0),
    };
    let (start_day, duration_days) = if let Some((from, to)) = range.split_once("..") {
        let a = day_of(scenario, from).map_err(&bad)?;
        let b = day_of(scenario, to).map_err(&bad)?;
        if b <= a {
            return Err(bad(format!(
                "it reopens ({}) on or before it closes ({}); TO is the first open day",
                to.trim(),
                from.trim()
            )));
        }
        let d = u32::try_from(b - a).map_err(|_| bad("the closure is too long".into()))?;
        (a, d)
    } else if let Some((from, n)) = range.split_once('+') {
        let a = day_of(scenario, from).map_err(&bad)?;
        let d: u32 = n.trim().parse().ok().filter(|d| *d >= 1).ok_or_else(|| {
            bad(format!(
                "duration {:?} is not a whole number of days >= 1",
                n.trim()
            ))
        })?;
        (a, d)
    } else {
        return Err(bad("missing '..' or '+' in the date range".into()));
    };
    Ok(ClosureWindow {
        target,
        start_day,
        duration_days,
        capacity_factor: factor,
        ramp_days: 0,
        label: Some(format!("ad hoc {spec}")),
        expected_closure_days: None,
    })
}

/// A date (`2024-01-13`) or a 0-based day index from the scenario's start.
fn day_of(scenario: &Scenario, s: &str) -> Result<i64, String> {
    let s = s.trim();
    if let Ok(d) = s.parse::<i64>() {
        return Ok(d);
    }
    parse_date(s)
        .map(|d| scenario.day_of(d))
        .map_err(|_| format!("{s:?} is neither a date (YYYY-MM-DD) nor a day index"))
}

/// `; did you mean "x"?` for the corridor or link id closest to `id`, or nothing.
pub fn did_you_mean(scenario: &Scenario, id: &str) -> String {
    let best = scenario
        .corridors
        .iter()
        .map(|c| c.id.as_str())
        .chain(scenario.links.iter().map(|l| l.id.as_str()))
        .map(|c| (strsim::jaro_winkler(id, c), c))
        .filter(|(s, _)| *s >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, c)) => format!("; did you mean {c:?}?"),
        None => {
            let ids: Vec<&str> = scenario.corridors.iter().map(|c| c.id.as_str()).collect();
            if ids.is_empty() {
                String::new()
            } else {
                format!("; corridors are: {}", ids.join(", "))
            }
        }
    }
}

/// Whether a closure window can change a simulation of `scenario`'s window: some of its
/// days (closed or ramping) fall in `[-lag, days)`, `lag` the longest reaction lag of
/// any link ([`Scenario::max_reaction_days`]). (Traders see a change `lag` days late, so a closure that ends just before day 0 still shapes the
/// first days; one that ends earlier, or starts on or after the last day, does nothing:
/// the run-out after the window starts no closure.)
pub fn in_window(scenario: &Scenario, w: &ClosureWindow) -> bool {
    let lag = scenario.max_reaction_days();
    w.end_day() > -i64::from(lag) && w.start_day < i64::from(scenario.settings.days)
}

/// Move a scenario's simulated window: a new first day (`start`) and/or length (`days`,
/// 1..=3660). Day indices of its fixed and seasonal closures and expansions are shifted so they keep
/// their calendar dates.
pub fn apply_window(
    scenario: &mut Scenario,
    start: Option<NaiveDate>,
    days: Option<u32>,
) -> Result<(), Error> {
    if let Some(d) = days {
        if !(1..=3660).contains(&d) {
            return Err(Error::Invalid(format!(
                "days {d}: the simulated window must be 1..=3660 days"
            )));
        }
        scenario.settings.days = d;
    }
    if let Some(s) = start {
        let shift = scenario.day_of(s);
        scenario.settings.start = s;
        for w in scenario.closures.iter_mut().chain(&mut scenario.seasonal) {
            w.start_day -= shift;
        }
        for e in &mut scenario.expansions {
            e.start_day -= shift;
        }
    }
    Ok(())
}

/// `2024-01-01 .. 2024-12-31 (366 days)`: the simulated window of `scenario`, as the
/// warnings about it name it.
pub fn window_text(scenario: &Scenario) -> String {
    format!(
        "{} .. {} ({} days)",
        scenario.settings.start,
        scenario.date_of(i64::from(scenario.settings.days) - 1),
        scenario.settings.days
    )
}

/// A closure that does nothing in the simulated window: what a front end (the CLI on
/// stderr, Python as a `UserWarning`) tells its user, in these words
/// ([`std::fmt::Display`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum WindowWarning {
    /// Some of the scenario's own fixed closures fall outside the window.
    FixedOutside {
        /// How many fall outside.
        outside: usize,
        /// How many the scenario has.
        total: usize,
        /// The window ([`window_text`]).
        window: String,
        /// The target of the first that falls outside.
        first_target: String,
        /// The first day of the first that falls outside.
        first_start: NaiveDate,
    },
    /// A closure given with the study (a spec, as the manifest records it) lies wholly
    /// outside the window.
    CloseOutside {
        /// The closure's spec.
        spec: String,
        /// The window ([`window_text`]).
        window: String,
    },
}

impl WindowWarning {
    /// `spec` lies wholly outside `scenario`'s window.
    pub fn close_outside(scenario: &Scenario, spec: &str) -> WindowWarning {
        WindowWarning::CloseOutside {
            spec: spec.to_string(),
            window: window_text(scenario),
        }
    }
}

impl std::fmt::Display for WindowWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WindowWarning::FixedOutside {
                outside,
                total,
                window,
                first_target,
                first_start,
            } => write!(
                f,
                "{outside} of the scenario's {total} fixed closure(s) fall outside the \
                 simulated window {window} and do nothing (the first: {first_target} from \
                 {first_start}); {} apply",
                total - outside
            ),
            WindowWarning::CloseOutside { spec, window } => write!(
                f,
                "closure {spec} lies wholly outside the simulated window {window}: it does \
                 nothing"
            ),
        }
    }
}

/// The closures in force in every run of a study, on a scenario whose window is moved
/// already: the scenario's own fixed closures that touch the window, the given ones, and
/// a warning for every closure that does nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyClosures {
    /// The scenario's own fixed closures that touch the window (none without
    /// `fixed_closures`).
    pub fixed: Vec<ClosureWindow>,
    /// The given closures, in order (also those that do nothing).
    pub extra: Vec<ClosureWindow>,
    /// How many of `extra` touch the window.
    pub extra_in_window: usize,
    /// What does nothing in the window.
    pub warnings: Vec<WindowWarning>,
}

impl StudyClosures {
    /// The closures of a study of `scenario` (its window moved already) with its own
    /// fixed closures (unless not `fixed_closures`) and `close`, closure specs (an error
    /// names the spec that cannot be read).
    ///
    /// ```
    /// use chokepoint::scenario::{StudyClosures, WindowWarning};
    /// let mut scenario = chokepoint::Scenario::empty("x");
    /// scenario.corridors.push(chokepoint::network::Corridor {
    ///     id: "torkham".into(), name: "Torkham".into(), links: vec![],
    ///     reaction_days: None, expected_closure_days: None });
    /// let c = StudyClosures::of(&scenario, true, &["torkham:2031-01-01+5".into()])?;
    /// assert_eq!((c.extra.len(), c.extra_in_window), (1, 0));
    /// assert!(c.warnings[0].to_string().starts_with("closure torkham:2031-01-01+5 lies"));
    /// # Ok::<(), chokepoint::Error>(())
    /// ```
    pub fn of(
        scenario: &Scenario,
        fixed_closures: bool,
        close: &[String],
    ) -> Result<StudyClosures, Error> {
        let mut warnings = Vec::new();
        let mut fixed = Vec::new();
        if fixed_closures {
            let (inside, outside): (Vec<_>, Vec<_>) = scenario
                .closures
                .iter()
                .partition(|w| in_window(scenario, w));
            if let Some(first) = outside.first() {
                warnings.push(WindowWarning::FixedOutside {
                    outside: outside.len(),
                    total: scenario.closures.len(),
                    window: window_text(scenario),
                    first_target: scenario.target_name(first.target).to_string(),
                    first_start: scenario.date_of(first.start_day),
                });
            }
            fixed = inside.into_iter().cloned().collect();
        }
        let mut extra = Vec::new();
        let mut extra_in_window = 0;
        for spec in close {
            let w = parse_close_spec(scenario, spec)?;
            if in_window(scenario, &w) {
                extra_in_window += 1;
            } else {
                warnings.push(WindowWarning::close_outside(scenario, spec));
            }
            extra.push(w);
        }
        Ok(StudyClosures {
            fixed,
            extra,
            extra_in_window,
            warnings,
        })
    }
}
