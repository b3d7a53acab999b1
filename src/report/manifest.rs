//! Reading an output folder's `manifest.json` leniently: the fields the report shows are
//! looked up under the names of every manifest layout the tool has written (flat, or
//! nested as `scenario.path`, `window.start`, ...), and every field is kept for display.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::Error;

/// What kind of output folder it is, from the manifest's command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// `chokepoint run --out`: `run.csv`, `daily.csv`, `prices.csv`.
    Run,
    /// `chokepoint montecarlo --out` or `chokepoint merge --out`: `summary.csv`,
    /// `exceedance.csv`, `daily_bands.csv`, `convergence.csv`, ...
    MonteCarlo,
    /// `chokepoint compare --out` (or a merge of its shards): `differences.csv`,
    /// `best.csv`, `benefit_cost.csv`, `futures.csv`, ...
    Compare,
    /// `chokepoint criticality --out`: `criticality.csv`, `diversion.csv`, and with
    /// `--runs` `contributions.csv`, ...
    Criticality,
    /// `chokepoint uncertainty --out`: `predictive.csv`, `variance_split.csv`,
    /// `indices.csv`, `options.csv`, `rankings.csv`, ...
    Uncertainty,
}

impl Kind {
    /// The command that writes such a folder.
    pub fn command(self) -> &'static str {
        match self {
            Kind::Run => "run",
            Kind::MonteCarlo => "montecarlo",
            Kind::Compare => "compare",
            Kind::Criticality => "criticality",
            Kind::Uncertainty => "uncertainty",
        }
    }
}

/// What the report shows of a manifest.
#[derive(Debug, Clone)]
pub struct ManifestInfo {
    /// The kind of folder.
    pub kind: Kind,
    /// The manifest file.
    pub path: PathBuf,
    /// Every field, flattened to `key` / `outer.inner` and text, in file order.
    pub fields: Vec<(String, String)>,
    /// The tool and its version, e.g. `chokepoint 0.1.0`.
    pub version: Option<String>,
    /// The scenario's name or path, as the manifest gives it.
    pub scenario: Option<String>,
    /// A scenario path the manifest names (a value ending in `.toml`), if any.
    pub scenario_path: Option<String>,
    /// SHA-256 of the scenario's files.
    pub checksum: Option<String>,
    /// First simulated date.
    pub start: Option<String>,
    /// Days simulated (per run).
    pub days: Option<u64>,
    /// Base seed (Monte Carlo).
    pub seed: Option<u64>,
    /// Runs done (Monte Carlo).
    pub runs: Option<u64>,
}

/// Flatten a JSON value into `(dotted key, text)` pairs.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, x, out);
            }
        }
        Value::Array(items) if items.iter().all(|x| !x.is_object() && !x.is_array()) => {
            let parts: Vec<String> = items.iter().map(text).collect();
            out.push((prefix.to_string(), parts.join("; ")));
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                flatten(&format!("{prefix}.{i}"), x, out);
            }
        }
        _ => out.push((prefix.to_string(), text(v))),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl ManifestInfo {
    /// Read `dir/manifest.json`. A folder without one is not an output folder (a shard's
    /// partial result, with `shard.json`, is named as such).
    pub fn read(dir: &Path) -> Result<ManifestInfo, Error> {
        if !dir.is_dir() {
            return Err(Error::Invalid(format!(
                "{}: not a folder; give the output folder of `chokepoint run --out` or \
                 `chokepoint montecarlo --out`",
                dir.display()
            )));
        }
        let path = dir.join("manifest.json");
        if !path.is_file() {
            if dir.join("shard.json").is_file() {
                return Err(Error::Invalid(format!(
                    "{}: missing; {} holds one shard of a Monte Carlo study: merge the \
                     shards first (`chokepoint merge SHARD... --out DIR`) and report the \
                     merged folder",
                    path.display(),
                    dir.display()
                )));
            }
            return Err(Error::Invalid(format!(
                "{}: missing; {} is not an output folder of chokepoint (every command \
                 that writes one, `run --out`, `montecarlo --out`, `merge --out`, writes \
                 a manifest.json)",
                path.display(),
                dir.display()
            )));
        }
        let bytes = std::fs::read(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
            Error::Invalid(format!(
                "{}: not a chokepoint manifest ({e}); expected the JSON file that \
                 `chokepoint run --out` or `montecarlo --out` writes",
                path.display()
            ))
        })?;
        if !value.is_object() {
            return Err(Error::Invalid(format!(
                "{}: not a chokepoint manifest (not a JSON object)",
                path.display()
            )));
        }
        Self::from_value(path, &value)
    }

    fn from_value(path: PathBuf, value: &Value) -> Result<ManifestInfo, Error> {
        let mut fields = Vec::new();
        flatten("", value, &mut fields);
        let get = |keys: &[&str]| -> Option<String> {
            keys.iter().find_map(|k| {
                fields
                    .iter()
                    .find(|(f, v)| f == k && !v.is_empty())
                    .map(|(_, v)| v.clone())
            })
        };
        let number = |keys: &[&str]| get(keys).and_then(|s| s.parse::<u64>().ok());
        let command = get(&["command", "study.command"]);
        let kind = match command.as_deref() {
            Some("run") => Kind::Run,
            Some("montecarlo" | "merge") => Kind::MonteCarlo,
            Some("compare") => Kind::Compare,
            Some("criticality") => Kind::Criticality,
            Some("uncertainty") => Kind::Uncertainty,
            Some(other) => {
                return Err(Error::Invalid(format!(
                    "{}: a `{other}` folder has no report yet (reports exist for `run`, \
                     `montecarlo`, `compare`, `criticality` and `uncertainty` folders)",
                    path.display()
                )))
            }
            // The first Monte Carlo manifests named no command.
            None if get(&["runs"]).is_some() && get(&["seed"]).is_some() => Kind::MonteCarlo,
            None => {
                return Err(Error::Invalid(format!(
                    "{}: names no command (`run`, `montecarlo`): not a manifest of \
                     chokepoint's outputs",
                    path.display()
                )))
            }
        };
        let version = get(&[
            "tool",
            "tool.version",
            "tool_version",
            "version",
            "chokepoint_version",
        ])
        .map(|v| {
            if v.starts_with("chokepoint") {
                v
            } else {
                format!("chokepoint {v}")
            }
        });
        let scenario = get(&[
            "scenario.name",
            "scenario_name",
            "scenario",
            "scenario.path",
        ]);
        let scenario_path = [
            "scenario_path",
            "scenario.path",
            "scenario.file",
            "scenario",
            "scenario_file",
        ]
        .iter()
        .filter_map(|k| get(&[k]))
        .find(|v| v.ends_with(".toml"));
        Ok(ManifestInfo {
            kind,
            version,
            scenario,
            scenario_path,
            checksum: get(&[
                "scenario_checksum",
                "scenario.checksum",
                "scenario.sha256",
                "scenario_sha256",
            ]),
            start: get(&["start", "window.start"]),
            days: number(&["days", "window.days"]),
            seed: number(&["seed"]),
            runs: number(&["runs", "runs_done"]),
            fields,
            path,
        })
    }

    /// The value of a flattened field, if present and not empty.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(json: &str) -> Result<ManifestInfo, Error> {
        ManifestInfo::from_value(
            PathBuf::from("m.json"),
            &serde_json::from_str(json).unwrap(),
        )
    }

    #[test]
    fn reads_the_run_and_the_first_montecarlo_layouts() {
        let run = info(
            r#"{"tool":"chokepoint 0.1.0","command":"run","scenario":"s/a.toml",
                "scenario_checksum":"ab","start":"2024-01-01","days":366,"closures":["x","y"]}"#,
        )
        .unwrap();
        assert_eq!(run.kind, Kind::Run);
        assert_eq!(run.scenario_path.as_deref(), Some("s/a.toml"));
        assert_eq!(run.days, Some(366));
        assert_eq!(run.field("closures"), Some("x; y"));
        let mc = info(
            r#"{"chokepoint_version":"0.1.0","scenario":"afg","scenario_checksum":"ab",
                "start":"2024-01-01","days":366,"seed":1,"runs":100}"#,
        )
        .unwrap();
        assert_eq!(mc.kind, Kind::MonteCarlo);
        assert_eq!(mc.version.as_deref(), Some("chokepoint 0.1.0"));
        assert_eq!(mc.scenario_path, None);
        assert_eq!((mc.seed, mc.runs), (Some(1), Some(100)));
    }

    #[test]
    fn reads_a_nested_layout() {
        let m = info(
            r#"{"tool":{"name":"chokepoint","version":"0.2.0"},"command":"montecarlo",
                "scenario":{"path":"scenarios/x.toml","checksum":"cd","name":"x"},
                "window":{"start":"2025-01-01","days":30},"seed":7,"runs":10}"#,
        )
        .unwrap();
        assert_eq!(m.kind, Kind::MonteCarlo);
        assert_eq!(m.scenario_path.as_deref(), Some("scenarios/x.toml"));
        assert_eq!(m.scenario.as_deref(), Some("x"));
        assert_eq!(m.checksum.as_deref(), Some("cd"));
        assert_eq!(m.start.as_deref(), Some("2025-01-01"));
        assert_eq!(m.days, Some(30));
    }

    #[test]
    fn other_commands_are_clear_errors() {
        let e = info(r#"{"command":"sightseeing"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`sightseeing` folder has no report yet"), "{e}");
        let e = info(r#"{"hello":1}"#).unwrap_err().to_string();
        assert!(e.contains("names no command"), "{e}");
    }
}
