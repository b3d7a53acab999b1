//! The sets file of `chokepoint criticality --sets FILE`: named N-k sets of corridors that
//! close together.
//!
//! ```toml
//! [[set]]
//! name = "pakistan_all"                 # [a-z0-9_]+, unique, not a corridor id
//! description = "every Pakistani crossing at once"   # optional
//! corridors = ["torkham", "chaman", "ghulam_khan", "angoor_adda", "kharlachi"]
//! ```
//!
//! Every problem is reported at once, each with the file and line: bad TOML, an unknown
//! key, an unknown corridor (with the closest id as a "did you mean"), a name used twice
//! or equal to a corridor id (the N-1 rows carry the corridor ids as names), a set with
//! no corridor or with one corridor twice.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::ClosureSet;
use crate::{Error, Scenario};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    set: Vec<RawSet>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    name: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    corridors: Spanned<Vec<Spanned<String>>>,
}

/// The 1-based line of byte offset `at` in `text`.
fn line_of(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// `; did you mean "x"?` for the corridor id closest to `id`, else the list of corridors.
fn hint(scenario: &Scenario, id: &str) -> String {
    let best = scenario
        .corridors
        .iter()
        .map(|c| (strsim::jaro_winkler(id, &c.id), c.id.as_str()))
        .filter(|(s, _)| *s >= 0.75)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, c)) => format!("did you mean \"{c}\"?"),
        None => format!(
            "the corridors are: {}",
            scenario
                .corridors
                .iter()
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Parse the text of a sets file (`file` names it in messages) against `scenario`'s
/// corridors.
///
/// ```
/// let s = chokepoint::Scenario::load("scenarios/afghanistan/base.toml")?;
/// let text = "[[set]]\nname = \"pk\"\ncorridors = [\"torkham\", \"chaman\"]\n";
/// let sets = chokepoint::criticality::parse_sets(text, "sets.toml", &s)?;
/// assert_eq!(sets[0].corridors, ["torkham", "chaman"]);
/// let bad = "[[set]]\nname = \"pk\"\ncorridors = [\"torkam\"]\n";
/// let e = chokepoint::criticality::parse_sets(bad, "sets.toml", &s).unwrap_err();
/// assert!(e.to_string().contains("sets.toml:3: unknown corridor \"torkam\" in set \"pk\"; did you mean \"torkham\"?"));
/// # Ok::<(), chokepoint::Error>(())
/// ```
pub fn parse_sets(text: &str, file: &str, scenario: &Scenario) -> Result<Vec<ClosureSet>, Error> {
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(0, |s| line_of(text, s.start));
        Error::Invalid(format!(
            "{file}:{line}: invalid sets file: {}; expected [[set]] tables with `name`, \
             `corridors` and an optional `description` (see docs/criticality.md)",
            e.message().trim().replace('\n', ": ")
        ))
    })?;
    let mut problems: Vec<String> = Vec::new();
    let mut out: Vec<ClosureSet> = Vec::new();
    if raw.set.is_empty() {
        problems.push(format!(
            "{file}:1: no [[set]] in the file; each N-k set is a [[set]] table with `name` and \
             `corridors` (see docs/criticality.md)"
        ));
    }
    for s in &raw.set {
        let name = s.name.get_ref().as_str();
        let line = line_of(text, s.name.span().start);
        if !is_id(name) {
            problems.push(format!(
                "{file}:{line}: set name {name:?} is not an id: use lower-case letters, digits \
                 and `_`, e.g. \"pakistan_all\""
            ));
        }
        if out.iter().any(|o| o.name == name) {
            problems.push(format!(
                "{file}:{line}: set name \"{name}\" is used twice; give each set its own name"
            ));
        }
        if scenario.corridor(name).is_some() {
            problems.push(format!(
                "{file}:{line}: set name \"{name}\" is a corridor id (the N-1 rows use the \
                 corridor ids); choose another name, e.g. \"{name}_set\""
            ));
        }
        let mut corridors: Vec<String> = Vec::new();
        if s.corridors.get_ref().is_empty() {
            let line = line_of(text, s.corridors.span().start);
            problems.push(format!(
                "{file}:{line}: set \"{name}\" names no corridor; list at least one in \
                 `corridors`"
            ));
        }
        for c in s.corridors.get_ref() {
            let id = c.get_ref().as_str();
            let line = line_of(text, c.span().start);
            if scenario.corridor(id).is_none() {
                problems.push(format!(
                    "{file}:{line}: unknown corridor \"{id}\" in set \"{name}\"; {}",
                    hint(scenario, id)
                ));
            } else if corridors.iter().any(|x| x == id) {
                problems.push(format!(
                    "{file}:{line}: corridor \"{id}\" is listed twice in set \"{name}\"; list it once"
                ));
            } else {
                corridors.push(id.to_string());
            }
        }
        out.push(ClosureSet {
            name: name.to_string(),
            description: s.description.clone().unwrap_or_default(),
            corridors,
            n_minus_1: false,
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(Error::Invalid(format!(
            "{} problem(s) in the sets file:\n  {}",
            problems.len(),
            problems.join("\n  ")
        )))
    }
}

/// Read and parse a sets file (see [`parse_sets`]); also returns its SHA-256, for the
/// manifest.
pub fn load_sets(path: &Path, scenario: &Scenario) -> Result<(Vec<ClosureSet>, String), Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(bytes.clone()).map_err(|_| {
        Error::Invalid(format!(
            "{}: not UTF-8 text; a sets file is TOML",
            path.display()
        ))
    })?;
    let sets = parse_sets(&text, &path.display().to_string(), scenario)?;
    Ok((sets, crate::output::manifest::sha256_hex(&bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn afg() -> Scenario {
        Scenario::load(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/afghanistan/base.toml"
        ))
        .unwrap()
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let s = afg();
        let text = "[[set]]\nname = \"a\"\ncorridors = [\"torkham\", \"chamn\"]\n\n[[set]]\nname = \"a\"\ncorridors = []\n\n[[set]]\nname = \"torkham\"\ncorridors = [\"air\", \"air\"]\n";
        let e = parse_sets(text, "f.toml", &s).unwrap_err().to_string();
        assert!(e.starts_with("5 problem(s)"), "{e}");
        assert!(
            e.contains(
                "f.toml:3: unknown corridor \"chamn\" in set \"a\"; did you mean \"chaman\"?"
            ),
            "{e}"
        );
        assert!(e.contains("f.toml:6: set name \"a\" is used twice"), "{e}");
        assert!(e.contains("f.toml:7: set \"a\" names no corridor"), "{e}");
        assert!(
            e.contains("f.toml:10: set name \"torkham\" is a corridor id"),
            "{e}"
        );
        assert!(
            e.contains("f.toml:11: corridor \"air\" is listed twice"),
            "{e}"
        );
    }

    #[test]
    fn bad_toml_and_unknown_keys_name_the_line() {
        let s = afg();
        let e = parse_sets(
            "[[set]]\nname = \"a\"\ncorridors = [\"torkham\"\n",
            "f.toml",
            &s,
        )
        .unwrap_err()
        .to_string();
        // The array is still open at the end of the file (line 4).
        assert!(
            e.starts_with("f.toml:4: invalid sets file: invalid array: expected `]`"),
            "{e}"
        );
        let e = parse_sets(
            "[[set]]\nname = \"a\"\ncorridor = [\"torkham\"]\n",
            "f.toml",
            &s,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("unknown field `corridor`"), "{e}");
        let e = parse_sets("", "f.toml", &s).unwrap_err().to_string();
        assert!(e.contains("no [[set]]"), "{e}");
    }
}
