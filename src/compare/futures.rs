//! Futures: named states of the world, each a set of changes a scenario or option can
//! already express, applied alike to the base and to every option of a comparison.
//!
//! A futures file (TOML) lists `[[future]]` tables:
//!
//! | key | type | unit | default | meaning |
//! |---|---|---|---|---|
//! | `name` | id | | required | Its name in the output files (`[a-z0-9_]+`, unique). |
//! | `description` | string | | `""` | What it stands for. |
//! | `basis` | string | | `""` | What its numbers rest on (sources, or "estimate"). |
//! | `rate_scale` | number | | `1` | Multiplies the onset rate of every closure process and shock. |
//! | `duration_scale` | number | | `1` | Scales every closure duration distribution (its mean scales by this). |
//! | `regime_start` | word | | the study's | `stationary` or a regime state: how each simulated year begins. |
//! | `regime_multiplier` | table | | | State id -> new rate multiplier of that regime state. |
//! | `regime_stay_days` | table | | | State id -> mean days in that state before it leaves (the daily leaving probability becomes 1/days, shared among the other states as in the scenario). |
//! | `trade_scale` | number | | `1` | Multiplies every supply's and demand's tonnes per day. |
//! | `reaction_days` | integer | days | the scenario's | Traders' reaction lag. |
//! | `queue_patience_days` | integer | days | the scenario's | Days in a queue before cargo turns back. |
//! | `[[future.process]]` | tables | | | `id` (a process or shock of the base or of an option), `rate_scale`, `duration_scale`: for that source only, after the global scales. |
//!
//! Every future draws on the same random numbers (run `i`'s stream, each source on its
//! own substream): a scaled rate keeps the uniforms and only moves the threshold, so
//! futures are paired with each other as options are with the base.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::closure::RegimeStart;
use crate::{Error, Scenario};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    future: Vec<toml::Spanned<RawFuture>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFuture {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    basis: String,
    rate_scale: Option<f64>,
    duration_scale: Option<f64>,
    regime_start: Option<String>,
    #[serde(default)]
    regime_multiplier: BTreeMap<String, f64>,
    #[serde(default)]
    regime_stay_days: BTreeMap<String, f64>,
    trade_scale: Option<f64>,
    reaction_days: Option<u32>,
    queue_patience_days: Option<u32>,
    #[serde(default)]
    process: Vec<RawSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    id: String,
    rate_scale: Option<f64>,
    duration_scale: Option<f64>,
}

/// The change of one process's or shock's law in a future.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceChange {
    /// The process or shock id.
    pub id: String,
    /// Multiplies its onset rate.
    pub rate_scale: f64,
    /// Scales its durations.
    pub duration_scale: f64,
}

/// One state of the world.
#[derive(Debug, Clone, PartialEq)]
pub struct Future {
    /// Its name.
    pub name: String,
    /// What it stands for.
    pub description: String,
    /// What its numbers rest on.
    pub basis: String,
    /// Multiplies every onset rate.
    pub rate_scale: f64,
    /// Scales every duration distribution.
    pub duration_scale: f64,
    /// How each year's regime chain begins (`None`: as the study says).
    pub regime_start: Option<String>,
    /// New rate multipliers of regime states.
    pub regime_multiplier: BTreeMap<String, f64>,
    /// New mean sojourns of regime states, days.
    pub regime_stay_days: BTreeMap<String, f64>,
    /// Multiplies supplies and demands.
    pub trade_scale: f64,
    /// Traders' reaction lag, days.
    pub reaction_days: Option<u32>,
    /// Queue patience, days.
    pub queue_patience_days: Option<u32>,
    /// Per-source changes.
    pub sources: Vec<SourceChange>,
}

impl Future {
    /// The future that changes nothing, named `name` (a comparison without a futures
    /// file has this one future, `as_scenario`).
    pub fn unchanged(name: &str) -> Future {
        Future {
            name: name.into(),
            description: "the scenarios as they are".into(),
            basis: String::new(),
            rate_scale: 1.0,
            duration_scale: 1.0,
            regime_start: None,
            regime_multiplier: BTreeMap::new(),
            regime_stay_days: BTreeMap::new(),
            trade_scale: 1.0,
            reaction_days: None,
            queue_patience_days: None,
            sources: Vec::new(),
        }
    }

    /// `scenario` in this future. Sources it names that `scenario` does not hold (an
    /// option's own process, looked at from the base) are skipped. The result is
    /// validated like a loaded scenario.
    pub fn apply(&self, scenario: &Scenario) -> Result<Scenario, Error> {
        let mut s = scenario.clone();
        let what = |e: String| Error::Invalid(format!("future `{}`: {e}", self.name));
        for p in &mut s.processes {
            p.rate_per_year *= self.rate_scale;
            if self.duration_scale != 1.0 {
                p.duration = p.duration.scaled(self.duration_scale).map_err(what)?;
            }
        }
        for g in &mut s.shocks {
            g.rate_per_year *= self.rate_scale;
            if self.duration_scale != 1.0 {
                g.duration = g.duration.scaled(self.duration_scale).map_err(what)?;
            }
        }
        for c in &self.sources {
            let law = s
                .processes
                .iter_mut()
                .find(|p| p.id == c.id)
                .map(|p| (&mut p.rate_per_year, &mut p.duration))
                .or_else(|| {
                    s.shocks
                        .iter_mut()
                        .find(|g| g.id == c.id)
                        .map(|g| (&mut g.rate_per_year, &mut g.duration))
                });
            if let Some((rate, duration)) = law {
                *rate *= c.rate_scale;
                if c.duration_scale != 1.0 {
                    *duration = duration.scaled(c.duration_scale).map_err(what)?;
                }
            }
        }
        if let Some(chain) = &mut s.regimes {
            for st in &mut chain.states {
                if let Some(m) = self.regime_multiplier.get(&st.id) {
                    st.rate_multiplier = *m;
                }
            }
            let ids: Vec<String> = chain.states.iter().map(|st| st.id.clone()).collect();
            for (i, id) in ids.iter().enumerate() {
                let Some(days) = self.regime_stay_days.get(id) else {
                    continue;
                };
                let row = &mut chain.transitions[i];
                let leave: f64 = row
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, p)| p)
                    .sum();
                let new_leave = 1.0 / days;
                let others = row.len().saturating_sub(1).max(1) as f64;
                for (j, p) in row.iter_mut().enumerate() {
                    if j == i {
                        *p = 1.0 - new_leave;
                    } else if leave > 0.0 {
                        *p *= new_leave / leave;
                    } else {
                        *p = new_leave / others;
                    }
                }
            }
            if let Some(start) = &self.regime_start {
                chain.initial = match scenario.regime_start(start)? {
                    RegimeStart::Stationary => None,
                    RegimeStart::State(i) => Some(i),
                };
            }
        }
        for x in &mut s.supplies {
            x.t_per_day *= self.trade_scale;
        }
        for x in &mut s.demands {
            x.t_per_day *= self.trade_scale;
        }
        if let Some(r) = self.reaction_days {
            s.settings.reaction_days = r;
        }
        if let Some(q) = self.queue_patience_days {
            s.settings.queue_patience_days = q;
        }
        s.check().map_err(Error::Scenario)?;
        Ok(s)
    }
}

/// A futures file, loaded and checked against the scenarios it will change.
#[derive(Debug, Clone, PartialEq)]
pub struct Futures {
    /// The file.
    pub path: PathBuf,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// The futures, in file order.
    pub futures: Vec<Future>,
}

/// A positive scale, 1 when absent; a problem (and 1) when not positive and finite.
fn scale(at: &str, key: &str, v: Option<f64>, problems: &mut Vec<String>) -> f64 {
    match v {
        Some(x) if !(x.is_finite() && x > 0.0) => {
            problems.push(format!("{at}: `{key}` = {x}: expected a positive number"));
            1.0
        }
        Some(x) => x,
        None => 1.0,
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl Futures {
    /// Load `path` and check every future against `scenarios` (the base and the
    /// options): every id it names must be a process, shock or regime state of one of
    /// them, every scale positive and finite, names unique. Every problem is reported
    /// at once, each with its line.
    pub fn load(path: &Path, scenarios: &[&Scenario]) -> Result<Futures, Error> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let raw: RawFile = toml::from_str(&text).map_err(|e| {
            Error::Invalid(format!(
                "{}: not a futures file: {}",
                path.display(),
                e.to_string().trim_end()
            ))
        })?;
        let mut problems = Vec::new();
        let mut futures = Vec::new();
        let processes: Vec<&str> = scenarios
            .iter()
            .flat_map(|s| {
                s.processes
                    .iter()
                    .map(|p| p.id.as_str())
                    .chain(s.shocks.iter().map(|g| g.id.as_str()))
            })
            .collect();
        let states: Vec<&str> = scenarios
            .iter()
            .flat_map(|s| s.regimes.iter().flat_map(|c| c.states.iter()))
            .map(|st| st.id.as_str())
            .collect();
        let hint = |id: &str, words: &[&str]| -> String {
            let best = words
                .iter()
                .map(|w| (strsim::levenshtein(id, w), *w))
                .min()
                .filter(|(d, _)| *d <= 3);
            match best {
                Some((_, w)) => format!("; did you mean `{w}`?"),
                None if words.is_empty() => "; the scenarios have none".into(),
                None => format!("; expected one of {}", words.join(", ")),
            }
        };
        if raw.future.is_empty() {
            problems.push("it holds no [[future]] table".to_string());
        }
        for f in raw.future {
            let line = line_of(&text, f.span().start);
            let f = f.into_inner();
            let at = format!("line {line}: future `{}`", f.name);
            if f.name.is_empty()
                || !f
                    .name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                problems.push(format!(
                    "{at}: its name must be a non-empty id of a-z, 0-9 and _"
                ));
            }
            if futures.iter().any(|g: &Future| g.name == f.name) {
                problems.push(format!("{at}: the name is used twice"));
            }
            let rate_scale = scale(&at, "rate_scale", f.rate_scale, &mut problems);
            let duration_scale = scale(&at, "duration_scale", f.duration_scale, &mut problems);
            let trade_scale = scale(&at, "trade_scale", f.trade_scale, &mut problems);
            let mut sources = Vec::new();
            for p in &f.process {
                let rs = scale(&at, "process.rate_scale", p.rate_scale, &mut problems);
                let ds = scale(
                    &at,
                    "process.duration_scale",
                    p.duration_scale,
                    &mut problems,
                );
                if !processes.contains(&p.id.as_str()) {
                    problems.push(format!(
                        "{at}: [[future.process]] `{}` is neither a process nor a shock of the \
                         base or an option{}",
                        p.id,
                        hint(&p.id, &processes)
                    ));
                }
                sources.push(SourceChange {
                    id: p.id.clone(),
                    rate_scale: rs,
                    duration_scale: ds,
                });
            }
            for (id, m) in &f.regime_multiplier {
                if !states.contains(&id.as_str()) {
                    problems.push(format!(
                        "{at}: regime_multiplier names `{id}`, not a regime state{}",
                        hint(id, &states)
                    ));
                }
                if !(m.is_finite() && *m >= 0.0) {
                    problems.push(format!(
                        "{at}: regime_multiplier.{id} = {m}: expected a number >= 0"
                    ));
                }
            }
            for (id, d) in &f.regime_stay_days {
                if !states.contains(&id.as_str()) {
                    problems.push(format!(
                        "{at}: regime_stay_days names `{id}`, not a regime state{}",
                        hint(id, &states)
                    ));
                }
                if !(d.is_finite() && *d >= 1.0) {
                    problems.push(format!(
                        "{at}: regime_stay_days.{id} = {d}: expected days >= 1"
                    ));
                }
            }
            if let Some(st) = &f.regime_start {
                if st != "stationary" && !states.contains(&st.as_str()) {
                    let mut words = vec!["stationary"];
                    words.extend(states.iter().copied());
                    problems.push(format!(
                        "{at}: regime_start `{st}` is neither `stationary` nor a regime state{}",
                        hint(st, &words)
                    ));
                }
            }
            futures.push(Future {
                name: f.name,
                description: f.description,
                basis: f.basis,
                rate_scale,
                duration_scale,
                regime_start: f.regime_start,
                regime_multiplier: f.regime_multiplier,
                regime_stay_days: f.regime_stay_days,
                trade_scale,
                reaction_days: f.reaction_days,
                queue_patience_days: f.queue_patience_days,
                sources,
            });
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(format!(
                "{}: {} problem(s):\n  {}",
                path.display(),
                problems.len(),
                problems.join("\n  ")
            )));
        }
        Ok(Futures {
            path: path.to_path_buf(),
            sha256: crate::output::manifest::sha256_hex(&bytes),
            futures,
        })
    }
}
