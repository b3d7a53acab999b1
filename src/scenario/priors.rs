//! Priors files: `[[uncertain]]` tables and nothing else, the priors a calibration
//! (`chokepoint fit --priors`) starts from when the scenario's own tables already hold
//! what an earlier fit learnt (its posterior), so that a refit does not count the data
//! twice.

use std::path::Path;

use sha2::Sha256;

use super::load::{fail, parse_root, read_text};
use super::raw::{Diags, Item};
use super::uncertain;
use super::Scenario;
use crate::error::Error;
use crate::uncertainty::Axis;

/// The keys a priors file may hold at its top level.
pub(crate) const PRIORS_TOP_KEYS: &[&str] = &["uncertain"];

/// Read a priors file's `[[uncertain]]` tables and check them against `s` exactly as a
/// scenario's own tables are checked (names, laws, joint CSVs relative to the file, each
/// law's values tried on a copy of `s`). Every problem is reported with its line.
///
/// ```
/// let s = chokepoint::scenario::load("scenarios/afghanistan/base.toml")?;
/// let priors = chokepoint::scenario::load_priors("scenarios/afghanistan/priors.toml", &s)?;
/// assert!(priors.iter().any(|a| a.names().contains(&"settings.queue_patience_days")));
/// # Ok::<(), chokepoint::Error>(())
/// ```
pub fn load_priors(path: impl AsRef<Path>, s: &Scenario) -> Result<Vec<Axis>, Error> {
    let path = path.as_ref();
    let text = read_text(path)?;
    let (root, mut d) = parse_root(&text, Diags::new(path.to_path_buf()), "priors file format")?;
    let Some(top) = Item::new(&root, "the priors file".into(), PRIORS_TOP_KEYS, &mut d) else {
        return Err(fail(d));
    };
    let raws = uncertain::read_all(&top, &mut d);
    if d.has_errors() {
        return Err(fail(d));
    }
    if raws.is_empty() {
        return Err(Error::Invalid(format!(
            "{}: the priors file has no [[uncertain]] table; write one per parameter to fit",
            path.display()
        )));
    }
    let dir = path.parent().unwrap_or(Path::new(""));
    let axes = uncertain::resolve(&raws, s, None, dir, &[], &mut Sha256::default(), &mut d);
    if d.has_errors() {
        return Err(fail(d));
    }
    Ok(axes)
}

/// `s` with `priors` in place of its own tables for the same parameters. A table of `s`
/// none of whose parameters the priors name is kept; one all of whose parameters they
/// name is replaced; a joint table only some of whose columns they name is an error (a
/// joint draw cannot be split), which names the columns left out.
pub fn with_priors(s: &Scenario, priors: &[Axis]) -> Result<Scenario, Error> {
    let named: Vec<&str> = priors.iter().flat_map(Axis::names).collect();
    let mut kept = Vec::new();
    for a in &s.uncertain {
        let names = a.names();
        let covered = names.iter().filter(|n| named.contains(n)).count();
        if covered == 0 {
            kept.push(a.clone());
        } else if covered < names.len() {
            let left: Vec<&str> = names
                .iter()
                .copied()
                .filter(|n| !named.contains(n))
                .collect();
            return Err(Error::Invalid(format!(
                "the priors replace part of the scenario's table {}: it also holds {}, \
                 which the priors do not name; a priors file replaces a joint table whole, \
                 so give a prior for every one of its columns",
                a.label(),
                left.join(", ")
            )));
        }
    }
    let mut out = s.clone();
    kept.extend(priors.iter().cloned());
    out.uncertain = kept;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    const STARTER: &str = "scenarios/starter.toml";

    #[test]
    fn priors_replace_the_scenarios_tables_for_the_same_parameters() {
        let mut s = crate::scenario::load(STARTER).unwrap();
        s.uncertain = vec![
            Axis::Joint {
                file: "post.csv".into(),
                names: vec![
                    "settings.reaction_days".into(),
                    "settings.queue_patience_days".into(),
                ],
                rows: vec![vec![3.0, 4.0], vec![5.0, 6.0]],
                source: "a fit".into(),
            },
            Axis::One {
                name: "settings.order_patience_days".into(),
                dist: crate::uncertainty::Dist::Choice {
                    values: vec![10.0, 20.0],
                    weights: vec![1.0, 1.0],
                },
                source: "E".into(),
            },
        ];
        let dir = tempfile::tempdir().unwrap();
        let whole = write(
            dir.path(),
            "priors.toml",
            "# the priors\n[[uncertain]]\nparam = \"settings.reaction_days\"\ndist = \"choice\"\n\
             values = [1, 2, 3]\nsource = \"E\"\n\n[[uncertain]]\n\
             param = \"settings.queue_patience_days\"\ndist = \"choice\"\nvalues = [1, 9]\n\
             source = \"E\"\n",
        );
        let priors = load_priors(&whole, &s).unwrap();
        assert_eq!(priors.len(), 2);
        let t = with_priors(&s, &priors).unwrap();
        let labels: Vec<String> = t.uncertain.iter().map(Axis::label).collect();
        assert_eq!(
            labels,
            [
                "settings.order_patience_days",
                "settings.reaction_days",
                "settings.queue_patience_days"
            ]
        );
        // Half a joint table cannot be replaced: the message names the column left out.
        let err = with_priors(&s, &priors[..1]).unwrap_err().to_string();
        assert!(err.contains("settings.queue_patience_days"), "{err}");
        assert!(err.contains("joint"), "{err}");
    }

    #[test]
    fn a_bad_priors_file_names_its_line() {
        let s = crate::scenario::load(STARTER).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let other = write(dir.path(), "p.toml", "[scenario]\nname = \"x\"\n");
        let err = load_priors(&other, &s).unwrap_err().to_string();
        assert!(err.contains("p.toml:1"), "{err}");
        assert!(err.contains("uncertain"), "{err}");
        let typo = write(
            dir.path(),
            "q.toml",
            "[[uncertain]]\nparam = \"settings.reaction_dayz\"\ndist = \"choice\"\n\
             values = [1, 2]\nsource = \"E\"\n",
        );
        let err = load_priors(&typo, &s).unwrap_err().to_string();
        assert!(err.contains("q.toml:2"), "{err}");
        assert!(err.contains("settings.reaction_days"), "{err}");
        let empty = write(dir.path(), "r.toml", "# nothing\n");
        let err = load_priors(&empty, &s).unwrap_err().to_string();
        assert!(err.contains("no [[uncertain]] table"), "{err}");
    }
}
