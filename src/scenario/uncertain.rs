//! `[[uncertain]]` tables: what a scenario (or an option) says we do not know about its
//! parameters, as distributions ([`crate::uncertainty::Dist`]) or joint draws from a CSV
//! file, read into [`crate::uncertainty::Axis`]es.
//!
//! ```toml
//! [[uncertain]]
//! param = "process.chaman.rate_per_year"   # a name `scenario::params::list` gives
//! dist = "gamma"                           # and that law's keys
//! shape = 9.5
//! scale = 0.12
//! source = "calibrate --posterior, closures-2021-2024.csv"
//!
//! [[uncertain]]
//! joint = "posterior/chaman.csv"           # one column per parameter, one row per draw
//! source = "calibrate --posterior (Metropolis, 4,000 draws)"
//! ```
//!
//! Reading has the loader's two stages: [`read`] checks the table's keys and the law's
//! shape (stage one, no scenario needed); [`resolve`] checks the names against the
//! scenario the table belongs to, reads joint CSV files, refuses a parameter named twice,
//! and checks that the law's values are ones the parameter accepts (its 0.1%, 50% and
//! 99.9% quantiles, or every value of a choice, set on a copy of the scenario).

use std::collections::HashSet;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::raw::{did_you_mean, Diags, Item, Loc, Sp};
use super::tree::V;
use super::{Scenario, ScenarioOption};
use crate::error::DiagnosticKind as K;
use crate::uncertainty::{Axis, Dist, DISTS};

/// Every key of an `[[uncertain]]` table.
pub(crate) const UNCERTAIN_KEYS: &[&str] = &[
    "param", "joint", "dist", "source", "lo", "hi", "mode", "mean", "sd", "mu", "sigma", "shape",
    "scale", "alpha", "beta", "values", "weights",
];

/// The parameters of an option itself (not of the scenario it makes), which its own
/// `[[uncertain]]` tables may name: kept on [`ScenarioOption::uncertain`] only, set with
/// [`ScenarioOption::set_param`].
pub const OPTION_PARAMS: &[&str] = &["option.capital_cost_usd", "option.annual_cost_usd"];

/// The quantiles at which a law's values are tried on the scenario.
const PROBES: [f64; 3] = [0.001, 0.5, 0.999];

/// An `[[uncertain]]` table, read but not resolved.
pub(crate) struct RawUncertain {
    kind: RawWhat,
    source: String,
    /// What to call it in messages (`uncertain 2`).
    what: String,
    loc: Loc,
}

enum RawWhat {
    One { param: Sp<String>, dist: Dist },
    Joint { file: Sp<String> },
}

/// Read every `[[uncertain]]` table of a file's top level.
pub(crate) fn read_all(top: &Item<'_>, d: &mut Diags) -> Vec<RawUncertain> {
    let mut out = Vec::new();
    super::raw::for_each_element(top, "uncertain", UNCERTAIN_KEYS, d, |it, d| {
        out.extend(read(it, d));
    });
    out
}

/// Read one `[[uncertain]]` table; `None` when it is unusable (every problem reported).
pub(crate) fn read(it: &Item<'_>, d: &mut Diags) -> Option<RawUncertain> {
    let source = it.text("source", true, d);
    let param = it.get("param").is_some();
    let joint = it.get("joint").is_some();
    let what = match (param, joint) {
        (true, true) => {
            d.err(
                K::Inconsistent,
                it.get("joint").map_or(it.loc, |n| n.loc()),
                format!("{} has both `param` and `joint`", it.what),
                Some("one table per parameter (`param` with a `dist`), or one per CSV of joint draws (`joint`)".into()),
            );
            None
        }
        (false, false) => {
            it.missing(
                "param",
                d,
                "add `param = \"NAME\"` and a `dist`, or `joint = \"draws.csv\"` (`chokepoint info` lists the names)",
            );
            None
        }
        (false, true) => {
            for k in UNCERTAIN_KEYS {
                if !["joint", "source"].contains(k) {
                    if let Some(n) = it.get(k) {
                        d.err(
                            K::UnknownKey,
                            n.loc(),
                            format!("`{k}` does not belong to a joint table in {}", it.what),
                            Some("a `joint` table has only `joint` and `source`: the draws are the CSV's rows".into()),
                        );
                    }
                }
            }
            it.text("joint", true, d)
                .map(|file| RawWhat::Joint { file })
        }
        (true, false) => {
            let param = it.text("param", true, d);
            let dist = dist(it, d);
            match (param, dist) {
                (Some(param), Some(dist)) => Some(RawWhat::One { param, dist }),
                _ => None,
            }
        }
    };
    Some(RawUncertain {
        kind: what?,
        source: source?.v,
        what: it.what.clone(),
        loc: it.loc,
    })
}

/// Read the `dist` of a `param` table and its keys.
fn dist(it: &Item<'_>, d: &mut Diags) -> Option<Dist> {
    let name = it.text("dist", true, d)?;
    let Some((_, keys)) = DISTS.iter().find(|(n, _)| *n == name.v) else {
        let words: Vec<&str> = DISTS.iter().map(|(n, _)| *n).collect();
        let mut hint = format!("expected one of {}", words.join(", "));
        if let Some(m) = did_you_mean(&name.v, words.iter().copied()) {
            hint = format!("{hint}; {m}");
        }
        d.err(
            K::OutOfRange,
            name.loc,
            format!("`dist` = {:?} in {} is not a distribution", name.v, it.what),
            Some(hint),
        );
        return None;
    };
    for k in UNCERTAIN_KEYS {
        if ["param", "joint", "dist", "source"].contains(k) || keys.contains(k) {
            continue;
        }
        if let Some(n) = it.get(k) {
            d.err(
                K::UnknownKey,
                n.loc(),
                format!(
                    "`{k}` does not belong to a {} distribution in {}",
                    name.v, it.what
                ),
                Some(format!(
                    "a {} distribution has: {}",
                    name.v,
                    keys.join(", ")
                )),
            );
        }
    }
    let num = |k: &str, d: &mut Diags| it.num(k, true, super::raw::Rule::Finite, d);
    let built = match name.v.as_str() {
        "uniform" => {
            let (lo, hi) = (num("lo", d), num("hi", d));
            Dist::Uniform { lo: lo?, hi: hi? }
        }
        "triangular" => {
            let (lo, mode, hi) = (num("lo", d), num("mode", d), num("hi", d));
            Dist::Triangular {
                lo: lo?,
                mode: mode?,
                hi: hi?,
            }
        }
        "normal" => {
            let (mean, sd) = (num("mean", d), num("sd", d));
            Dist::Normal {
                mean: mean?,
                sd: sd?,
            }
        }
        "lognormal" => {
            let (mu, sigma) = (num("mu", d), num("sigma", d));
            Dist::LogNormal {
                mu: mu?,
                sigma: sigma?,
            }
        }
        "gamma" | "invgamma" => {
            let (shape, scale) = (num("shape", d), num("scale", d));
            let (shape, scale) = (shape?, scale?);
            if name.v == "gamma" {
                Dist::Gamma { shape, scale }
            } else {
                Dist::InvGamma { shape, scale }
            }
        }
        "beta" => {
            let (alpha, beta, lo, hi) =
                (num("alpha", d), num("beta", d), num("lo", d), num("hi", d));
            Dist::Beta {
                alpha: alpha?,
                beta: beta?,
                lo: lo?,
                hi: hi?,
            }
        }
        _ => {
            let (values, weights) = (numbers(it, "values", d), numbers(it, "weights", d));
            let values = values?;
            let weights = weights.unwrap_or_else(|| vec![1.0; values.len()]);
            Dist::Choice { values, weights }
        }
    };
    match built.check() {
        Ok(()) => Some(built),
        Err(msg) => {
            d.err(
                K::OutOfRange,
                it.loc,
                format!("the {} distribution in {} is invalid", name.v, it.what),
                Some(msg),
            );
            None
        }
    }
}

/// An array of numbers (`values` required, `weights` optional: equal weights).
fn numbers(it: &Item<'_>, key: &str, d: &mut Diags) -> Option<Vec<f64>> {
    let Some(n) = it.get(key) else {
        if key == "values" {
            it.missing(
                key,
                d,
                "add `values = [1.0, 2.0, 3.0]` (and optionally `weights`)",
            );
        }
        return None;
    };
    let V::Array(a) = &n.v else {
        d.err(
            K::WrongType,
            n.loc(),
            format!(
                "`{key}` in {} is {}, not an array of numbers",
                it.what,
                n.v.type_name()
            ),
            Some(format!("write `{key} = [1.0, 2.0]`")),
        );
        return None;
    };
    let mut out = Vec::with_capacity(a.len());
    for e in a {
        match &e.v {
            V::Int(i) => out.push(*i as f64),
            V::Float(x) => out.push(*x),
            _ => {
                d.err(
                    K::WrongType,
                    e.loc(),
                    format!(
                        "`{key}` in {} holds {}, not a number",
                        it.what,
                        e.v.type_name()
                    ),
                    Some(format!("write `{key} = [1.0, 2.0]`")),
                );
                return None;
            }
        }
    }
    Some(out)
}

/// Resolve read tables against the scenario `s` they belong to: check each name with a
/// "did you mean" from [`super::params::list`], read joint CSV files (relative to `dir`,
/// their bytes added to `hasher`), refuse a parameter named twice (also against
/// `taken`, the names of axes already on the scenario, e.g. the base's for an option),
/// and try each law's values on a copy of `s`.
///
/// With `option` (an option file's tables), its costs may be named too
/// ([`OPTION_PARAMS`]).
pub(crate) fn resolve(
    raws: &[RawUncertain],
    s: &Scenario,
    option: Option<&ScenarioOption>,
    dir: &Path,
    taken: &[String],
    hasher: &mut Sha256,
    d: &mut Diags,
) -> Vec<Axis> {
    let mut known: Vec<String> = super::params::list(s).into_iter().map(|p| p.name).collect();
    if option.is_some() {
        known.extend(OPTION_PARAMS.iter().map(|n| n.to_string()));
    }
    let mut seen: Vec<(String, Loc)> = Vec::new();
    let mut out = Vec::new();
    for r in raws {
        let what = r.what.as_str();
        let axis = match &r.kind {
            RawWhat::One { param, dist } => {
                if !name_ok(&param.v, &known, param.loc, what, d) {
                    continue;
                }
                Axis::One {
                    name: param.v.clone(),
                    dist: dist.clone(),
                    source: r.source.clone(),
                }
            }
            RawWhat::Joint { file } => match joint(file, dir, &known, &r.source, what, hasher, d) {
                Some(a) => a,
                None => continue,
            },
        };
        let mut fresh = true;
        for n in axis.names() {
            if taken.iter().any(|t| t == n) {
                fresh = false;
                d.err(
                    K::DuplicateId,
                    r.loc,
                    format!("{what} makes `{n}` uncertain, which the base scenario already does"),
                    Some(
                        "a parameter has one distribution: drop this table, or change the base's"
                            .into(),
                    ),
                );
            } else if let Some((_, at)) = seen.iter().find(|(x, _)| x == n) {
                fresh = false;
                d.err(
                    K::DuplicateId,
                    r.loc,
                    format!("{what} makes `{n}` uncertain a second time"),
                    Some(format!(
                        "a parameter has one distribution; the first is on line {}",
                        at.line
                    )),
                );
            }
        }
        if !fresh {
            continue;
        }
        seen.extend(axis.names().into_iter().map(|n| (n.to_string(), r.loc)));
        if let Err(msg) = feasible(s, option, &axis) {
            d.err(
                K::OutOfRange,
                r.loc,
                format!("{what} gives `{}` values it cannot take: {msg}", axis.label()),
                Some(match &axis {
                    Axis::One { .. } => "choose a law whose 0.1%-99.9% range the parameter accepts (a whole-number parameter takes `dist = \"choice\"` of whole numbers; a positive one a lognormal, gamma or bounded law)".into(),
                    Axis::Joint { .. } => "every row of the CSV must be values the parameters accept".into(),
                }),
            );
            continue;
        }
        out.push(axis);
    }
    out
}

/// Whether `name` is a parameter of the scenario; reports it with a hint if not.
fn name_ok(name: &str, known: &[String], loc: Loc, what: &str, d: &mut Diags) -> bool {
    if known.iter().any(|k| k == name) {
        return true;
    }
    let hint = did_you_mean(name, known.iter().map(String::as_str))
        .unwrap_or_else(|| "`chokepoint info --params SCENARIO` lists every parameter name".into());
    d.err(
        K::UnknownReference,
        loc,
        format!("unknown parameter `{name}` in {what}"),
        Some(hint),
    );
    false
}

/// Try the law's values on a copy of `s`: the probe quantiles (every value of a choice,
/// every row of a joint table); `Err` names the first value refused and why.
fn feasible(s: &Scenario, option: Option<&ScenarioOption>, axis: &Axis) -> Result<(), String> {
    let probes: Vec<(f64, String)> = match axis {
        Axis::One {
            dist: Dist::Choice { values, weights },
            ..
        } => {
            // The midpoint of each value's share of the weight.
            let total: f64 = weights.iter().sum();
            let mut acc = 0.0;
            let mut out = Vec::new();
            for (v, w) in values.iter().zip(weights) {
                if *w > 0.0 {
                    out.push(((acc + w / 2.0) / total, format!("the value {v}")));
                }
                acc += w;
            }
            out
        }
        Axis::One { .. } => PROBES
            .iter()
            .map(|p| (*p, format!("its {}% quantile", p * 100.0)))
            .collect(),
        Axis::Joint { rows, .. } => (0..rows.len())
            .map(|i| {
                let u = (i as f64 + 0.5) / rows.len() as f64;
                (u, format!("row {} of the draws", i + 1))
            })
            .collect(),
    };
    // Values already tried, by their bits: a row repeated (a Markov chain's draws repeat
    // the states it stays in) is refused or accepted as its first copy was, so it is
    // tried once; the first refused row is still the one named.
    let mut tried: HashSet<Vec<u64>> = HashSet::new();
    for (u, what) in probes {
        let values = axis.values_at(u);
        if !tried.insert(values.iter().map(|(_, v)| v.to_bits()).collect()) {
            continue;
        }
        let mut t = s.clone();
        let mut o = option.cloned();
        for (name, v) in values {
            if !v.is_finite() {
                return Err(format!("at {what}, `{name}` is {v}"));
            }
            let set = match o.as_mut() {
                Some(o) if OPTION_PARAMS.contains(&name.as_str()) => o.set_param(&name, v),
                _ => super::params::set(&mut t, &name, v),
            };
            set.map_err(|e| format!("at {what}, {}", e.message))?;
        }
        if let Err(e) = t.check() {
            let msgs: Vec<String> = e
                .diagnostics
                .iter()
                .filter(|x| x.severity == crate::error::Severity::Error)
                .map(|x| x.message.clone())
                .collect();
            return Err(format!("at {what}, {}", msgs.join("; ")));
        }
    }
    Ok(())
}

/// Read a joint CSV: a header of parameter names, then one row of numbers per draw.
fn joint(
    file: &Sp<String>,
    dir: &Path,
    known: &[String],
    source: &str,
    what: &str,
    hasher: &mut Sha256,
    d: &mut Diags,
) -> Option<Axis> {
    let path = dir.join(&file.v);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            d.err(
                K::Io,
                file.loc,
                format!(
                    "cannot read the joint draws {} of {what}: {e}",
                    path.display()
                ),
                Some("`joint` is a CSV path relative to the file it is written in".into()),
            );
            return None;
        }
    };
    hasher.update(&bytes);
    d.files.push(path);
    let f = d.files.len() - 1;
    let at = |line: usize| Loc { file: f, line };
    let errors_before = d.list.len();
    let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .comment(Some(b'#'))
        .from_reader(body);
    let names: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_string()).collect(),
        Err(e) => {
            d.err(K::Syntax, at(1), format!("invalid CSV header: {e}"), None);
            return None;
        }
    };
    if names.is_empty() || names.iter().all(String::is_empty) {
        d.err(
            K::MissingKey,
            at(1),
            "the joint draws have no header".into(),
            Some("the first line names a parameter per column, e.g. `process.chaman.rate_per_year,process.chaman.mean_duration_days`".into()),
        );
        return None;
    }
    for (j, n) in names.iter().enumerate() {
        if names[..j].contains(n) {
            d.err(
                K::DuplicateId,
                at(1),
                format!("column `{n}` appears twice in the joint draws"),
                Some("keep one of them".into()),
            );
        } else {
            name_ok(n, known, at(1), "the joint draws' header", d);
        }
    }
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                d.err(
                    K::Syntax,
                    at(line),
                    format!("invalid CSV row: {e}"),
                    Some(format!(
                        "every row needs {} numbers, like the header",
                        names.len()
                    )),
                );
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line() as usize);
        let mut row = Vec::with_capacity(names.len());
        for (j, cell) in rec.iter().enumerate() {
            match cell.trim().parse::<f64>() {
                Ok(x) if x.is_finite() => row.push(x),
                _ => d.err(
                    K::BadNumber,
                    at(line),
                    format!(
                        "{cell:?} in column {} (`{}`) is not a finite number",
                        j + 1,
                        names[j]
                    ),
                    Some("every cell of joint draws is a number".into()),
                ),
            }
        }
        rows.push(row);
    }
    if d.list.len() > errors_before {
        return None;
    }
    if rows.len() < 2 {
        d.err(
            K::Inconsistent,
            at(1),
            format!("the joint draws hold {} row(s)", rows.len()),
            Some("joint draws need at least 2 rows (one per draw)".into()),
        );
        return None;
    }
    Some(Axis::Joint {
        file: file.v.clone(),
        names,
        rows,
        source: source.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::from_toml_str;

    fn twoland_text() -> String {
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/twoland.toml"
        ))
        .unwrap()
    }

    #[test]
    fn tables_become_axes_and_round_trip_through_json() {
        let text = format!(
            "{}\n[[uncertain]]\nparam = \"settings.order_patience_days\"\ndist = \"choice\"\nvalues = [20, 30, 40]\nsource = \"E\"\n\n[[uncertain]]\nparam = \"closures.rate_scale\"\ndist = \"lognormal\"\nmu = 0.0\nsigma = 0.3\nsource = \"E\"\n",
            twoland_text()
        );
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/t.toml"));
        let (s, _) = from_toml_str(&text, path).unwrap();
        assert_eq!(s.uncertain.len(), 2);
        assert_eq!(s.uncertain[0].label(), "settings.order_patience_days");
        assert_eq!(
            s.uncertain[1],
            Axis::One {
                name: "closures.rate_scale".into(),
                dist: Dist::LogNormal {
                    mu: 0.0,
                    sigma: 0.3
                },
                source: "E".into()
            }
        );
        // Python pickles a scenario as its JSON: the axes survive.
        let back: Scenario = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
        // And a scenario without them writes no `uncertain` key at all.
        let (plain, _) = from_toml_str(&twoland_text(), path).unwrap();
        assert!(!serde_json::to_string(&plain).unwrap().contains("uncertain"));
        assert_eq!(
            plain,
            Scenario {
                uncertain: Vec::new(),
                checksum: plain.checksum.clone(),
                ..s.clone()
            }
        );
    }
}
