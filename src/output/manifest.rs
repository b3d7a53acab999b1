//! The manifest: one layout for the output folder of every command (`run`, `montecarlo`,
//! a `montecarlo --shard`, `merge`, and those to come).
//!
//! A manifest holds everything that defines a study, so that two studies can never be
//! merged or mixed in one folder, and nothing that does not (no thread count, no time:
//! those go to `timing.json`). It ends with the list of output files and their SHA-256
//! checksums. It is written last: a folder without one is not a finished study.
//! `docs/outputs.md` describes it field by field.
//!
//! ```
//! use chokepoint::output::Manifest;
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/twoland.toml");
//! let scenario = chokepoint::Scenario::load(path)?;
//! let a = Manifest::new("run", &scenario);
//! let mut b = a.clone();
//! b.closures.no_fixed_closures = true;
//! let d = a.first_difference(&b, &[]).expect("they differ");
//! assert_eq!(d.field, "closures.no_fixed_closures");
//! # Ok::<(), chokepoint::Error>(())
//! ```

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::closure::ClosureWindow;
use crate::error::Error;
use crate::Scenario;

/// The layout version of [`Manifest`]; raised when a field changes meaning.
pub const MANIFEST_FORMAT: u32 = 1;

/// What defines an output folder's study, and the files it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Layout version of this record ([`MANIFEST_FORMAT`]).
    pub manifest_format: u32,
    /// The program that wrote it.
    pub tool: Tool,
    /// The command whose results these are: `run` or `montecarlo` (a merge of shards
    /// writes what one `montecarlo` process would have, manifest included).
    pub command: String,
    /// The scenario simulated.
    pub scenario: ScenarioRecord,
    /// The simulated window.
    pub window: Window,
    /// The fixed closures simulated (in every run, for a Monte Carlo study).
    pub closures: Closures,
    /// Monte Carlo settings; `null` for other commands.
    pub montecarlo: Option<MonteCarlo>,
    /// What a `compare` study compares (the options, the futures, the statistics'
    /// settings); absent for other commands. `scenario` is then the base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compare: Option<CompareRecord>,
    /// Criticality settings (`chokepoint criticality`); left out for other commands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criticality: Option<Criticality>,
    /// The design of an uncertainty study (`chokepoint uncertainty`); left out for other
    /// commands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncertainty: Option<UncertaintyRecord>,
    /// What a calibration to recorded episodes fitted (`chokepoint fit`); left out for
    /// other commands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fit: Option<FitRecord>,
    /// The output files and their checksums (filled when the files are written).
    pub files: Vec<FileRecord>,
}

/// The program that wrote a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    /// `chokepoint`.
    pub name: String,
    /// Its version (`Cargo.toml`).
    pub version: String,
    /// The git commit it was built from (`-dirty` when tracked files had uncommitted
    /// changes), or `null` when not built from a git checkout.
    pub git_commit: Option<String>,
}

impl Tool {
    /// This build of chokepoint.
    pub fn current() -> Tool {
        Tool {
            name: "chokepoint".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            git_commit: option_env!("CHOKEPOINT_GIT_COMMIT").map(String::from),
        }
    }
}

/// The scenario of a study.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioRecord {
    /// The scenario or option file, as given (empty for a scenario built in code).
    pub path: String,
    /// Its `[scenario] name`.
    pub name: String,
    /// SHA-256 (hex) of its files as loaded ([`Scenario::checksum`]); for an option, of
    /// the option file and its base's checksum.
    pub sha256: String,
    /// For an option file: the base scenario it changes; `null` otherwise.
    pub option_base: Option<BaseRecord>,
    /// Parameter overrides applied to the file's scenario before the study, in order,
    /// as `NAME=VALUE` (the Python API's `Scenario.with_changes`). Absent when there are
    /// none (every CLI study), so two studies of one file with different overrides can
    /// never share a folder.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<String>,
}

/// The base scenario of an option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaseRecord {
    /// The base scenario file (resolved against the option file's folder).
    pub path: String,
    /// SHA-256 (hex) of the base scenario's files.
    pub sha256: String,
}

/// The simulated window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// Date of day 0 (`YYYY-MM-DD`), after any change of the start.
    pub start: String,
    /// Days simulated (per run); the run-out after them is not counted here.
    pub days: u32,
}

/// The fixed closures of a study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Closures {
    /// Whether the scenario's own fixed closures were left out.
    pub no_fixed_closures: bool,
    /// The scenario's own fixed closures that were simulated: those that touch the
    /// window (see [`crate::scenario::in_window`]); empty with `no_fixed_closures`.
    pub fixed: Vec<ClosureRecord>,
    /// Ad-hoc closures as given (`ID:FROM..TO[@F]` or `ID:FROM+DAYS[@F]`), in order.
    pub close: Vec<String>,
}

/// One fixed closure window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosureRecord {
    /// Corridor or link id.
    pub target: String,
    /// First closed date.
    pub start: String,
    /// Days closed.
    pub duration_days: u32,
    /// Capacity factor while closed (0 = shut).
    pub capacity_factor: f64,
    /// Days of ramp back to full capacity.
    pub ramp_days: u32,
    /// Its label, if any.
    pub label: Option<String>,
}

impl ClosureRecord {
    /// The record of a window of `scenario`.
    pub fn of(scenario: &Scenario, w: &ClosureWindow) -> ClosureRecord {
        ClosureRecord {
            target: scenario.target_name(w.target).to_string(),
            start: scenario.date_of(w.start_day).to_string(),
            duration_days: w.duration_days,
            capacity_factor: w.capacity_factor,
            ramp_days: w.ramp_days,
            label: w.label.clone(),
        }
    }
}

/// The settings of a Monte Carlo study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonteCarlo {
    /// Base seed.
    pub seed: u64,
    /// Runs asked for (the most, with a target).
    pub runs_requested: u64,
    /// Runs done (of the whole study, for a shard).
    pub runs: u64,
    /// Target relative standard error of the mean total loss, or `null`.
    pub target_rel_error: Option<f64>,
    /// Runs per batch with a target; `null` without one (it changes nothing then).
    pub batch_size: Option<u64>,
    /// How each run's generator is derived.
    pub rng: String,
    /// The shard, in a shard's partial result (`shard.json`); `null` otherwise.
    pub shard: Option<Shard>,
    /// How the regime chain started in every run; `null` without a chain.
    pub regime_start: Option<RegimeStartRecord>,
}

/// What a `compare` study compares, and how its statistics are made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompareRecord {
    /// The options, in the order given, each with its file, checksum and appraisal.
    pub options: Vec<OptionRecord>,
    /// The futures file, or `null` (one future: the scenarios as they are).
    pub futures: Option<FuturesRecord>,
    /// Bootstrap resamples of the runs for the tail measures' confidence intervals and
    /// the ranking's stability.
    pub bootstrap_resamples: u32,
    /// Seed of the bootstrap (resample `b` draws from ChaCha8 seeded with it, on stream
    /// `b`).
    pub bootstrap_seed: u64,
    /// The satisficing threshold on annual total loss, USD, or `null`.
    pub threshold_usd: Option<f64>,
}

/// One option of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionRecord {
    /// Its label in the output files (the option's `name`).
    pub label: String,
    /// The option file, as given.
    pub path: String,
    /// SHA-256 of the option file and its base's checksum ([`Scenario::checksum`]).
    pub sha256: String,
    /// Capital cost, USD (year 0).
    pub capital_cost_usd: f64,
    /// Yearly cost, USD/year.
    pub annual_cost_usd: f64,
    /// Appraisal horizon, years.
    pub horizon_years: f64,
    /// Annual discount rate (the base scenario's `discount_rate`).
    pub discount_rate: f64,
}

/// The futures file of a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FuturesRecord {
    /// The file, as given.
    pub path: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// The futures' names, in file order.
    pub names: Vec<String>,
}

/// The design of an uncertainty study (`chokepoint uncertainty`): what was drawn and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UncertaintyRecord {
    /// `sobol` (a scrambled Sobol' sequence of parameter points) or `saltelli` (a
    /// Saltelli design for Sobol' indices).
    pub design: String,
    /// Parameter points simulated.
    pub points: u64,
    /// Base points of a Saltelli design (`null` for `sobol`).
    pub base_points: Option<u64>,
    /// Simulated years per point and scenario (the same years at every point).
    pub years: u64,
    /// How axes were grouped into the factors of the Sobol' indices (`axis` or
    /// `target`).
    pub groups: String,
    /// The factors, in design order, each with the labels of its axes.
    pub factors: Vec<(String, Vec<String>)>,
    /// The uncertain axes (the union of the base's and the options'), in design order.
    pub axes: Vec<crate::uncertainty::Axis>,
    /// The scramble seed of the Sobol' sequence.
    pub design_seed: u32,
    /// How each year's closures are drawn (the same at every point).
    pub closure_draws: String,
    /// Bootstrap resamples of the intervals.
    pub bootstrap_resamples: u32,
}

/// What `chokepoint fit` fitted, to which episodes, and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FitRecord {
    /// The priors fitted (the scenario's `[[uncertain]]` axes), in order.
    pub axes: Vec<crate::uncertainty::Axis>,
    /// The episode list read.
    pub episodes: String,
    /// The episodes fitted (replay file stems).
    pub fitted: Vec<String>,
    /// The episodes held out (checked, not fitted).
    pub held_out: Vec<String>,
    /// Episodes starting on or after this date are held out.
    pub held_out_from: String,
    /// Particles per ABC-SMC population.
    pub particles: u64,
    /// The tolerance's quantile of the previous distances.
    pub quantile: f64,
    /// The acceptance below which the fit stops.
    pub min_acceptance: f64,
    /// The most generations after the prior's.
    pub max_generations: u64,
    /// Posterior draws written.
    pub draws: u64,
    /// Posterior draws replayed for the predictive intervals.
    pub predictive_draws: u64,
    /// The seed.
    pub seed: u64,
    /// The distance, in words.
    pub distance: String,
}

/// The settings of a criticality study (`chokepoint criticality`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criticality {
    /// Days each set stays closed.
    pub duration_days: u32,
    /// First closed date.
    pub start: String,
    /// Capacity factor while closed (0 = shut).
    pub capacity_factor: f64,
    /// The sets file (`--sets`), or `null`.
    pub sets_file: Option<SetsFile>,
    /// The N-k sets closed (besides every corridor alone).
    pub sets: Vec<CriticalitySet>,
    /// Bootstrap resamples of the Monte Carlo view (`null` without `--runs`); the
    /// bootstrap draws from the base seed's generator on stream 2^64 - 1.
    pub bootstrap_resamples: Option<u64>,
}

/// A sets file, as given and by checksum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetsFile {
    /// The path, as given.
    pub path: String,
    /// SHA-256 (hex) of its bytes.
    pub sha256: String,
}

/// One N-k set of a criticality study.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriticalitySet {
    /// Its name.
    pub name: String,
    /// Its corridors.
    pub corridors: Vec<String>,
}

/// How a Monte Carlo study started its regime chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegimeStartRecord {
    /// `stationary` (the first day's state drawn from the long-run shares: an average
    /// year) or the id of the state every run starts in.
    pub state: String,
    /// Who chose it: `scenario` (its `[regimes] initial`, `stationary` when it has
    /// none) or `command line` (`--regime-start`).
    pub set_by: String,
}

/// One output file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRecord {
    /// File name, in the output folder.
    pub name: String,
    /// Size, bytes.
    pub bytes: u64,
    /// SHA-256 (hex) of its bytes.
    pub sha256: String,
}

impl FileRecord {
    /// The record of `bytes` written as `name`.
    pub fn of_bytes(name: &str, bytes: &[u8]) -> FileRecord {
        FileRecord {
            name: name.to_string(),
            bytes: bytes.len() as u64,
            sha256: sha256_hex(bytes),
        }
    }

    /// The record of the file `dir/name`, read back a block at a time (a large table
    /// is never held in memory whole).
    pub fn of_file(dir: &Path, name: &str) -> Result<FileRecord, Error> {
        use std::io::Read;
        let path = dir.join(name);
        let bad = |source| Error::Io {
            path: path.clone(),
            source,
        };
        let mut file = std::fs::File::open(&path).map_err(bad)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut bytes = 0u64;
        loop {
            let n = file.read(&mut buf).map_err(bad)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            bytes += n as u64;
        }
        Ok(FileRecord {
            name: name.to_string(),
            bytes,
            sha256: hex(&hasher.finalize()),
        })
    }
}

/// A JSON file that is not `what`: [`Error::File`] with the file, line and column.
pub fn json_error(path: &Path, e: &serde_json::Error, what: &str) -> Error {
    let text = e.to_string();
    // serde_json appends " at line L column C": the position has its own fields.
    let message = match text.rfind(" at line ") {
        Some(at) if e.line() > 0 => &text[..at],
        _ => text.as_str(),
    };
    Error::File {
        path: path.to_path_buf(),
        line: e.line() as u64,
        column: (e.line() > 0).then(|| e.column().to_string()),
        message: format!("not {what} of format {MANIFEST_FORMAT}: {message}"),
    }
}

/// SHA-256 of bytes, as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Bytes as lowercase hex.
fn hex(digest: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(2 * digest.len());
    for b in digest {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// One shard of a Monte Carlo run set: runs `i` with `i % n == k - 1`. It cannot hold
/// an invalid pair: [`Shard::new`], parsing (`"2/8"`) and reading a manifest all check
/// `1 <= k <= n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawShard")]
pub struct Shard {
    /// Which shard, 1-based (`1..=n`).
    k: u64,
    /// How many shards.
    n: u64,
}

/// A shard as a manifest holds it, before the check.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShard {
    k: u64,
    n: u64,
}

impl TryFrom<RawShard> for Shard {
    type Error = Error;
    fn try_from(r: RawShard) -> Result<Shard, Error> {
        Shard::new(r.k, r.n)
    }
}

impl Shard {
    /// Shard `k` of `n`; an error unless `1 <= k <= n`.
    pub fn new(k: u64, n: u64) -> Result<Shard, Error> {
        if k == 0 || n == 0 || k > n {
            return Err(Error::Invalid(format!(
                "shard {k}/{n}: expected k/n with 1 <= k <= n, e.g. 2/8"
            )));
        }
        Ok(Shard { k, n })
    }

    /// Which shard, 1-based.
    pub fn k(&self) -> u64 {
        self.k
    }

    /// How many shards.
    pub fn n(&self) -> u64 {
        self.n
    }

    /// Whether run `i` belongs to this shard.
    pub fn contains(&self, i: u64) -> bool {
        i % self.n == self.k - 1
    }
}

impl FromStr for Shard {
    type Err = Error;
    /// `k/n` with `1 <= k <= n`.
    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || {
            Error::Invalid(format!(
                "shard {s:?}: expected k/n with 1 <= k <= n, e.g. 2/8"
            ))
        };
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let k: u64 = k.trim().parse().map_err(|_| bad())?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        Shard::new(k, n).map_err(|_| bad())
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// Where two manifests first differ.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// The field, as a dotted path (`closures.no_fixed_closures`, `closures.close[0]`).
    pub field: String,
    /// Its value in the first manifest (JSON).
    pub ours: String,
    /// Its value in the second manifest (JSON).
    pub theirs: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` ({} vs {})", self.field, self.ours, self.theirs)
    }
}

impl Manifest {
    /// A manifest for `command` on `scenario` as it will be simulated: the tool, the
    /// scenario (path, name, checksum, an option's base), its window and its fixed
    /// closures that touch the window; no `--close`, no Monte Carlo settings, no files.
    pub fn new(command: &str, scenario: &Scenario) -> Self {
        Manifest {
            manifest_format: MANIFEST_FORMAT,
            tool: Tool::current(),
            command: command.to_string(),
            scenario: ScenarioRecord {
                path: scenario
                    .source
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                name: scenario.settings.name.clone(),
                sha256: scenario.checksum.clone(),
                option_base: scenario.base.as_ref().map(|b| BaseRecord {
                    path: b.path.display().to_string(),
                    sha256: b.checksum.clone(),
                }),
                changes: Vec::new(),
            },
            window: Window {
                start: scenario.settings.start.to_string(),
                days: scenario.settings.days,
            },
            closures: Closures {
                no_fixed_closures: false,
                fixed: scenario
                    .closures
                    .iter()
                    .filter(|w| crate::scenario::in_window(scenario, w))
                    .map(|w| ClosureRecord::of(scenario, w))
                    .collect(),
                close: Vec::new(),
            },
            montecarlo: None,
            compare: None,
            criticality: None,
            uncertainty: None,
            fit: None,
            files: Vec::new(),
        }
    }

    /// Leave the scenario's fixed closures out (`no_fixed_closures`), or not.
    pub fn set_no_fixed_closures(&mut self, yes: bool) {
        self.closures.no_fixed_closures = yes;
        if yes {
            self.closures.fixed.clear();
        }
    }

    /// The first field, in the order of the layout, in which `other` differs, leaving
    /// out the fields named in `ignore` (dotted paths, e.g. `files`,
    /// `montecarlo.shard`); `None` when they agree.
    pub fn first_difference(&self, other: &Manifest, ignore: &[&str]) -> Option<Difference> {
        let a = serde_json::to_value(self).unwrap_or(Value::Null);
        let b = serde_json::to_value(other).unwrap_or(Value::Null);
        first_difference(String::new(), &a, &b, ignore)
    }

    /// The manifest as pretty JSON with a final newline.
    pub fn to_json(&self) -> Result<Vec<u8>, Error> {
        let mut v = serde_json::to_vec_pretty(self)
            .map_err(|e| Error::Invalid(format!("cannot write the manifest: {e}")))?;
        v.push(b'\n');
        Ok(v)
    }

    /// Read a manifest file, naming the file in errors.
    pub fn read(path: &Path) -> Result<Manifest, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|e| json_error(path, &e, "a chokepoint manifest"))
    }

    /// Write it (pretty JSON) atomically to `path`.
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        super::write_bytes_atomic(path, &self.to_json()?)
    }
}

fn first_difference(path: String, a: &Value, b: &Value, ignore: &[&str]) -> Option<Difference> {
    if ignore.contains(&path.as_str()) {
        return None;
    }
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys = x.keys().chain(y.keys().filter(|k| !x.contains_key(*k)));
            for k in keys {
                let (va, vb) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                if let Some(d) = first_difference(join(k), va, vb, ignore) {
                    return Some(d);
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (va, vb))| first_difference(format!("{path}[{i}]"), va, vb, ignore)),
        _ if a == b => None,
        _ => {
            let short = |v: &Value| {
                let s = v.to_string();
                if s.chars().count() > 80 {
                    let cut: String = s.chars().take(77).collect();
                    format!("{cut}...")
                } else {
                    s
                }
            };
            Some(Difference {
                field: path,
                ours: short(a),
                theirs: short(b),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        let mut s = Scenario::empty("x");
        s.checksum = "abc".into();
        Manifest::new("montecarlo", &s)
    }

    #[test]
    fn differences_name_the_field() {
        let a = sample();
        let mut b = a.clone();
        assert_eq!(a.first_difference(&b, &[]), None);
        b.closures.close.push("north:0+3".into());
        let d = a.first_difference(&b, &[]).unwrap();
        assert_eq!(d.field, "closures.close");
        let mut c = a.clone();
        c.montecarlo = Some(MonteCarlo {
            seed: 1,
            runs_requested: 10,
            runs: 10,
            target_rel_error: None,
            batch_size: None,
            rng: String::new(),
            shard: Some(Shard::new(1, 2).unwrap()),
            regime_start: None,
        });
        let mut e = c.clone();
        e.montecarlo.as_mut().unwrap().shard = Some(Shard::new(2, 2).unwrap());
        assert_eq!(c.first_difference(&e, &["montecarlo.shard"]), None);
        assert_eq!(
            c.first_difference(&e, &[]).unwrap().field,
            "montecarlo.shard.k"
        );
        e.montecarlo.as_mut().unwrap().seed = 2;
        let d = c.first_difference(&e, &["montecarlo.shard"]).unwrap();
        assert_eq!(
            (d.field.as_str(), d.ours.as_str()),
            ("montecarlo.seed", "1")
        );
        c.files.push(FileRecord::of_bytes("a.csv", b"x"));
        assert_eq!(c.first_difference(&a, &["files", "montecarlo"]), None);
    }

    #[test]
    fn round_trips_through_json() {
        let mut m = sample();
        m.files.push(FileRecord::of_bytes("a.csv", b"abc"));
        m.closures.fixed.push(ClosureRecord {
            target: "t".into(),
            start: "2024-01-02".into(),
            duration_days: 3,
            capacity_factor: 0.1 + 0.2,
            ramp_days: 0,
            label: None,
        });
        let back: Manifest = serde_json::from_slice(&m.to_json().unwrap()).unwrap();
        assert_eq!(back, m);
        assert_eq!(
            m.files[0].sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
