//! The answer of a comparison in words and numbers: which option is best on mean loss,
//! which buys the most tail-risk reduction per USD, and whether any pays for itself on
//! closure losses alone. The CLI prints it first, the HTML report opens with it, and
//! Python's `CompareResult.headline` returns it; all three call [`headline`] on the same
//! [`OptionFigures`] (from an [`Analysis`] in memory, or from a folder's
//! `benefit_cost.csv` and `wins.csv` with [`from_dir`]), so they cannot disagree.
//!
//! One sign convention throughout: **avoided loss is positive** (base minus option); an
//! option that raises the loss has a negative avoided loss.
//!
//! A statement's robustness to the model's uncertain parameters (the `uncertainty`
//! study) is added by passing a [`Robustness`] summary to [`headline`]: each statement
//! then says in what share of the parameter draws it holds. Without one, the statements
//! carry only the sampling uncertainty of the closure draws (their 95% intervals).
//!
//! ```
//! use chokepoint::compare::headline::{headline, OptionFigures};
//! let opt = |label: &str, avoided: f64, cost: f64, tvar: f64| OptionFigures {
//!     label: label.into(),
//!     avoided_usd_per_year: (avoided, avoided - 1e6, avoided + 1e6),
//!     pv_benefit_usd: avoided * 10.0,
//!     pv_cost_usd: cost,
//!     benefit_cost_ratio: (avoided * 10.0 / cost, f64::NAN, f64::NAN),
//!     tvar95_reduction_usd: tvar,
//!     tvar95_reduction_usd_per_musd: tvar / (cost / 1e6),
//!     p_beats: 0.5,
//! };
//! let h = headline("as_scenario", &[opt("road", 2e6, 50e6, 4e6), opt("rail", 5e6, 400e6, 9e6)], None);
//! assert_eq!(h.best_mean.as_deref(), Some("rail"));
//! assert_eq!(h.best_tail_per_usd.as_deref(), Some("road"));
//! assert!(h.paying.is_empty());
//! assert_eq!(h.order, vec!["rail", "road"]); // by avoided loss, largest first
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use super::Analysis;
use crate::output::{money, Manifest};
use crate::Error;

/// One option's figures against the base in one future: what the headline reads.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionFigures {
    /// The option's label.
    pub label: String,
    /// Mean avoided loss a year (base minus option; positive = the option helps), with
    /// its paired 95% interval, USD/year.
    pub avoided_usd_per_year: (f64, f64, f64),
    /// Present value of the avoided loss over the option's horizon, USD.
    pub pv_benefit_usd: f64,
    /// Present value of its costs, USD.
    pub pv_cost_usd: f64,
    /// Benefit/cost ratio with its 95% interval (NaN without cost).
    pub benefit_cost_ratio: (f64, f64, f64),
    /// TVaR95 reduction (base minus option), USD.
    pub tvar95_reduction_usd: f64,
    /// TVaR95 reduction per million USD of present cost (NaN without cost).
    pub tvar95_reduction_usd_per_musd: f64,
    /// Share of runs in which it loses strictly less than the base.
    pub p_beats: f64,
}

/// How robust each statement is to the model's uncertain parameters: shares of the
/// parameter draws of an uncertainty study (0..=1), per option label. What the
/// `uncertainty` study's files give; [`headline`] adds it to each statement.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Robustness {
    /// Parameter draws the shares are over.
    pub draws: usize,
    /// Share of draws in which the option has the largest mean avoided loss.
    pub best_mean: BTreeMap<String, f64>,
    /// Share of draws in which it has the largest TVaR95 reduction per USD.
    pub best_tail_per_usd: BTreeMap<String, f64>,
    /// Share of draws in which its benefit/cost ratio is at least 1.
    pub pays: BTreeMap<String, f64>,
    /// Share of draws in which no option's benefit/cost ratio reaches 1.
    pub none_pays: Option<f64>,
}

/// The answer of a comparison in one future.
#[derive(Debug, Clone, PartialEq)]
pub struct Headline {
    /// The future (`as_scenario` when the study has none).
    pub future: String,
    /// Option labels sorted by mean avoided loss, largest first (ties by label).
    pub order: Vec<String>,
    /// The option with the largest mean avoided loss, if any avoids a loss at all.
    pub best_mean: Option<String>,
    /// The option with the largest TVaR95 reduction per USD of cost, if any has a cost
    /// and a positive reduction.
    pub best_tail_per_usd: Option<String>,
    /// Options whose benefit/cost ratio is at least 1, in [`Headline::order`].
    pub paying: Vec<String>,
    /// The statements, in words and numbers, in the order they are shown.
    pub sentences: Vec<String>,
}

fn musd_plain(v: f64) -> String {
    money(v)
}

fn share(p: f64) -> String {
    format!("{:.0}%", 100.0 * p)
}

/// The sentence a robustness share adds to a statement.
fn robust_clause(r: Option<&Robustness>, pick: impl Fn(&Robustness) -> Option<f64>) -> String {
    match r.and_then(|r| pick(r).map(|p| (p, r.draws))) {
        Some((p, n)) => format!(
            " It holds in {} of {n} draws of the uncertain parameters.",
            share(p)
        ),
        None => String::new(),
    }
}

/// The headline of `options` (one future's figures, any order). `robustness`, when an
/// uncertainty study is at hand, adds to each statement the share of parameter draws in
/// which it holds.
pub fn headline(
    future: &str,
    options: &[OptionFigures],
    robustness: Option<&Robustness>,
) -> Headline {
    let mut sorted: Vec<&OptionFigures> = options.iter().collect();
    sorted.sort_by(|a, b| {
        b.avoided_usd_per_year
            .0
            .total_cmp(&a.avoided_usd_per_year.0)
            .then_with(|| a.label.cmp(&b.label))
    });
    let order: Vec<String> = sorted.iter().map(|o| o.label.clone()).collect();
    let mut sentences = Vec::new();

    // 1. Mean loss.
    let helping: Vec<&&OptionFigures> = sorted
        .iter()
        .filter(|o| o.avoided_usd_per_year.0 > 0.0)
        .collect();
    let best_mean = helping.first().map(|o| o.label.clone());
    match helping.first() {
        Some(b) => {
            let (m, lo, hi) = b.avoided_usd_per_year;
            let sure = if lo > 0.0 {
                "its 95% interval is above zero"
            } else {
                "but its 95% interval reaches zero, so it may avoid nothing"
            };
            let next = match helping.get(1) {
                Some(n) => format!(
                    "; next is {} with {}",
                    n.label,
                    musd_plain(n.avoided_usd_per_year.0)
                ),
                None => String::new(),
            };
            sentences.push(format!(
                "Best on mean loss: {} avoids {} a year ({} to {}; {sure}){next}.{}",
                b.label,
                musd_plain(m),
                musd_plain(lo),
                musd_plain(hi),
                robust_clause(robustness, |r| r.best_mean.get(&b.label).copied())
            ));
        }
        None => sentences.push(format!(
            "No option lowers the mean loss: the least harmful, {}, changes it by {} a year.",
            order.first().map_or("-", String::as_str),
            sorted
                .first()
                .map_or_else(|| "-".into(), |o| musd_plain(-o.avoided_usd_per_year.0))
        )),
    }
    let raising: Vec<&str> = sorted
        .iter()
        .filter(|o| o.avoided_usd_per_year.2 < 0.0)
        .map(|o| o.label.as_str())
        .collect();
    if !raising.is_empty() {
        sentences.push(format!(
            "{} the mean loss (95% interval below zero): {} (diversion.csv shows \
             where their trade went).",
            if raising.len() == 1 {
                "One option raises"
            } else {
                "These options raise"
            },
            raising.join(", ")
        ));
    }

    // 2. Tail risk per USD.
    let best_tail = sorted
        .iter()
        .filter(|o| {
            o.tvar95_reduction_usd_per_musd.is_finite()
                && o.tvar95_reduction_usd_per_musd > 0.0
                && o.pv_cost_usd > 0.0
        })
        .max_by(|a, b| {
            a.tvar95_reduction_usd_per_musd
                .total_cmp(&b.tvar95_reduction_usd_per_musd)
                .then_with(|| b.label.cmp(&a.label))
        });
    let best_tail_per_usd = best_tail.map(|o| o.label.clone());
    match best_tail {
        Some(t) => sentences.push(format!(
            "Best on tail risk per USD: {} cuts TVaR95 (the mean loss of the worst 5% of \
             years) by {} per USD 1 m of present cost ({} in all, for {}).{}",
            t.label,
            money(t.tvar95_reduction_usd_per_musd),
            musd_plain(t.tvar95_reduction_usd),
            musd_plain(t.pv_cost_usd),
            robust_clause(robustness, |r| r.best_tail_per_usd.get(&t.label).copied())
        )),
        None => sentences.push(
            "No option with a cost lowers TVaR95 (the mean loss of the worst 5% of years).".into(),
        ),
    }

    // 3. Does any pay for itself?
    let paying: Vec<&&OptionFigures> = sorted
        .iter()
        .filter(|o| o.benefit_cost_ratio.0 >= 1.0)
        .collect();
    if paying.is_empty() {
        let top = sorted
            .iter()
            .filter(|o| o.benefit_cost_ratio.0.is_finite())
            .max_by(|a, b| {
                a.benefit_cost_ratio
                    .0
                    .total_cmp(&b.benefit_cost_ratio.0)
                    .then_with(|| b.label.cmp(&a.label))
            });
        match top {
            Some(t) => sentences.push(format!(
                "No option pays for itself on closure losses alone (benefit/cost >= 1): the \
                 highest ratio is {:.2} ({}, 95% interval {:.2} to {:.2}); it avoids {} of \
                 present loss for {} of present cost.{}",
                t.benefit_cost_ratio.0,
                t.label,
                t.benefit_cost_ratio.1,
                t.benefit_cost_ratio.2,
                musd_plain(t.pv_benefit_usd),
                musd_plain(t.pv_cost_usd),
                robust_clause(robustness, |r| r.none_pays)
            )),
            None => {
                sentences.push("No option has a cost, so none has a benefit/cost ratio.".into())
            }
        }
    } else {
        let list: Vec<String> = paying
            .iter()
            .map(|o| {
                format!(
                    "{} (benefit/cost {:.2}, 95% interval {:.2} to {:.2}){}",
                    o.label,
                    o.benefit_cost_ratio.0,
                    o.benefit_cost_ratio.1,
                    o.benefit_cost_ratio.2,
                    robust_clause(robustness, |r| r.pays.get(&o.label).copied())
                        .trim_end_matches('.')
                        .replace(" It holds in", "; holds in")
                )
            })
            .collect();
        sentences.push(format!(
            "Pays for itself on closure losses alone (benefit/cost >= 1): {}.",
            list.join("; ")
        ));
    }
    if robustness.is_none() {
        sentences.push(
            "These intervals carry the sampling noise of the simulated years only, not the \
             uncertainty of the model's parameters (run an uncertainty study for that)."
                .into(),
        );
    }
    Headline {
        future: future.to_string(),
        order,
        best_mean,
        best_tail_per_usd,
        paying: paying.iter().map(|o| o.label.clone()).collect(),
        sentences,
    }
}

/// Each future's option figures from an analysis in memory, in the analysis' future
/// order: (future name, figures in option order).
pub fn from_analysis(a: &Analysis) -> Vec<(String, Vec<OptionFigures>)> {
    a.futures
        .iter()
        .enumerate()
        .map(|(fi, name)| {
            let figures = a
                .benefit_cost
                .iter()
                .filter(|b| b.future == fi)
                .map(|b| {
                    let ap = b.appraisal;
                    let bcr = b.through(|x| ap.bcr(x).unwrap_or(f64::NAN));
                    let p_beats = a
                        .wins
                        .iter()
                        .find(|w| w.future == fi && w.option == b.option && w.against == 0)
                        .map_or(f64::NAN, |w| w.wins.p());
                    OptionFigures {
                        label: a.labels[b.option].clone(),
                        avoided_usd_per_year: b.avoided,
                        pv_benefit_usd: ap.pv_benefit(b.avoided.0),
                        pv_cost_usd: ap.pv_cost(),
                        benefit_cost_ratio: bcr,
                        tvar95_reduction_usd: b.tvar95_reduction.0,
                        tvar95_reduction_usd_per_musd: ap
                            .per_million(b.tvar95_reduction.0)
                            .unwrap_or(f64::NAN),
                        p_beats,
                    }
                })
                .collect();
            (name.clone(), figures)
        })
        .collect()
}

/// The headline of every future of an analysis in memory.
pub fn of_analysis(a: &Analysis, robustness: Option<&Robustness>) -> Vec<Headline> {
    from_analysis(a)
        .iter()
        .map(|(f, o)| headline(f, o, robustness))
        .collect()
}

#[derive(serde::Deserialize)]
struct BcRow {
    future: String,
    option: String,
    avoided_loss_usd_per_year: f64,
    avoided_loss_ci_low_usd_per_year: f64,
    avoided_loss_ci_high_usd_per_year: f64,
    pv_benefit_usd: f64,
    pv_cost_usd: f64,
    benefit_cost_ratio: Option<f64>,
    benefit_cost_ratio_ci_low: Option<f64>,
    benefit_cost_ratio_ci_high: Option<f64>,
    tvar95_reduction_usd: f64,
    tvar95_reduction_usd_per_musd: Option<f64>,
}

#[derive(serde::Deserialize)]
struct WinsRow {
    future: String,
    option: String,
    against: String,
    p_beats: f64,
}

/// The rows of `path`, typed ([`crate::study::output::read_table`]): a bad cell is an
/// [`Error::File`] naming the file, line and column.
fn read_rows<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, Error> {
    if !path.is_file() {
        return Err(Error::Invalid(format!(
            "{}: missing; is the output folder complete?",
            path.display()
        )));
    }
    crate::study::output::read_table(path, &[])
}

/// Each future's option figures read from a compare output folder's `benefit_cost.csv`
/// and `wins.csv`, futures in file order. Errors name the file and line.
pub fn from_dir(dir: &Path) -> Result<Vec<(String, Vec<OptionFigures>)>, Error> {
    let bc: Vec<BcRow> = read_rows(&dir.join("benefit_cost.csv"))?;
    let wins: Vec<WinsRow> = read_rows(&dir.join("wins.csv"))?;
    let mut out: Vec<(String, Vec<OptionFigures>)> = Vec::new();
    for r in bc {
        let p_beats = wins
            .iter()
            .find(|w| w.future == r.future && w.option == r.option && w.against == "base")
            .map_or(f64::NAN, |w| w.p_beats);
        let nan = |x: Option<f64>| x.unwrap_or(f64::NAN);
        let fig = OptionFigures {
            label: r.option,
            avoided_usd_per_year: (
                r.avoided_loss_usd_per_year,
                r.avoided_loss_ci_low_usd_per_year,
                r.avoided_loss_ci_high_usd_per_year,
            ),
            pv_benefit_usd: r.pv_benefit_usd,
            pv_cost_usd: r.pv_cost_usd,
            benefit_cost_ratio: (
                nan(r.benefit_cost_ratio),
                nan(r.benefit_cost_ratio_ci_low),
                nan(r.benefit_cost_ratio_ci_high),
            ),
            tvar95_reduction_usd: r.tvar95_reduction_usd,
            tvar95_reduction_usd_per_musd: nan(r.tvar95_reduction_usd_per_musd),
            p_beats,
        };
        match out.iter_mut().find(|(f, _)| *f == r.future) {
            Some((_, v)) => v.push(fig),
            None => out.push((r.future, vec![fig])),
        }
    }
    Ok(out)
}

/// The headline of every future of a compare output folder (see [`from_dir`]).
pub fn of_dir(dir: &Path, robustness: Option<&Robustness>) -> Result<Vec<Headline>, Error> {
    Ok(from_dir(dir)?
        .iter()
        .map(|(f, o)| headline(f, o, robustness))
        .collect())
}

#[derive(serde::Deserialize)]
struct PointResultRow {
    point: usize,
    block: String,
    scenario: String,
    avoided_loss_usd: Option<f64>,
    benefit_cost_ratio: Option<f64>,
    tvar95_cut_per_musd: Option<f64>,
}

fn read_manifest(dir: &Path, command: &str, flag: &str) -> Result<Manifest, Error> {
    let path = dir.join("manifest.json");
    let m = Manifest::read(&path)?;
    if m.command != command {
        return Err(Error::Invalid(format!(
            "{}: {flag} needs a `chokepoint {command}` output folder; this one holds `{}`",
            dir.display(),
            m.command
        )));
    }
    Ok(m)
}

/// The label in each set of the largest finite value, ties by label; `None` when no
/// value passes `keep`.
fn arg_max<'a>(v: &[(&'a str, f64)], keep: impl Fn(f64) -> bool) -> Option<&'a str> {
    v.iter()
        .filter(|(_, x)| x.is_finite() && keep(*x))
        .min_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)))
        .map(|(l, _)| *l)
}

/// How robust a comparison's headline is to the model's uncertain parameters, read from
/// an uncertainty study (`chokepoint uncertainty`) of the same base and options.
///
/// The study must match the comparison: the same base scenario and the same option
/// files (by checksum), the same window and fixed closures, and no futures (an
/// uncertainty study simulates the scenarios as written). Anything else is an error
/// that names the difference, so a headline never borrows the robustness of another
/// question.
///
/// The shares are over the study's draw points (a Saltelli design's AB rows, which are
/// not draws from the parameters' law on their own, are left out). In each draw, the
/// best on mean loss is the option with the largest positive avoided loss, the best on
/// tail risk per USD the one with the largest positive TVaR95 cut per USD of cost
/// (options without a cost take no part), both with ties broken by label as
/// [`headline`] does; an option pays when its benefit/cost ratio is at least 1.
pub fn robustness_from_dirs(
    compare_dir: &Path,
    uncertainty_dir: &Path,
) -> Result<Robustness, Error> {
    let c = read_manifest(compare_dir, "compare", "the comparison")?;
    let u = read_manifest(uncertainty_dir, "uncertainty", "--uncertainty")?;
    let mismatch = |what: String| {
        Err(Error::Invalid(format!(
            "{} is not an uncertainty study of the comparison in {}: {what}",
            uncertainty_dir.display(),
            compare_dir.display()
        )))
    };
    if c.scenario.sha256 != u.scenario.sha256 {
        return mismatch(format!(
            "its base is {} (checksum {}), the comparison's {} (checksum {})",
            u.scenario.path,
            &u.scenario.sha256[..u.scenario.sha256.len().min(12)],
            c.scenario.path,
            &c.scenario.sha256[..c.scenario.sha256.len().min(12)]
        ));
    }
    if c.window != u.window {
        return mismatch("the simulated windows differ".into());
    }
    if c.closures != u.closures {
        return mismatch(
            "the fixed closures differ (one was run with --no-fixed-closures, or with other --close)"
                .into(),
        );
    }
    let (Some(cc), Some(uc)) = (&c.compare, &u.compare) else {
        return mismatch("the uncertainty study has no options".into());
    };
    if let Some(f) = &cc.futures {
        return mismatch(format!(
            "the comparison has futures ({}); an uncertainty study simulates the scenarios as written",
            f.path
        ));
    }
    for o in &cc.options {
        match uc.options.iter().find(|x| x.label == o.label) {
            None => {
                return mismatch(format!(
                    "option `{}` is not in the uncertainty study",
                    o.label
                ))
            }
            Some(x) if x.sha256 != o.sha256 => {
                return mismatch(format!(
                    "option `{}` was changed between the two studies (its checksum differs)",
                    o.label
                ))
            }
            Some(_) => {}
        }
    }
    if uc.options.len() != cc.options.len() {
        return mismatch(format!(
            "the uncertainty study compares {} options, the comparison {}",
            uc.options.len(),
            cc.options.len()
        ));
    }

    let rows: Vec<PointResultRow> = read_rows(&uncertainty_dir.join("point_results.csv"))?;
    let options: Vec<&str> = cc.options.iter().map(|o| o.label.as_str()).collect();
    let mut by_point: BTreeMap<usize, Vec<&PointResultRow>> = BTreeMap::new();
    for r in rows.iter().filter(|r| !r.block.starts_with("AB")) {
        if options.contains(&r.scenario.as_str()) {
            by_point.entry(r.point).or_default().push(r);
        }
    }
    let mut out = Robustness {
        draws: by_point.len(),
        ..Default::default()
    };
    if out.draws == 0 {
        return Err(Error::Invalid(format!(
            "{}: no draw point holds the options' results",
            uncertainty_dir.join("point_results.csv").display()
        )));
    }
    for label in &options {
        out.best_mean.insert(label.to_string(), 0.0);
        out.best_tail_per_usd.insert(label.to_string(), 0.0);
        out.pays.insert(label.to_string(), 0.0);
    }
    let mut none_pays = 0usize;
    for (point, rs) in &by_point {
        if rs.len() != options.len() {
            return Err(Error::Invalid(format!(
                "{}: point {point} holds {} of the {} options",
                uncertainty_dir.join("point_results.csv").display(),
                rs.len(),
                options.len()
            )));
        }
        let nan = |x: Option<f64>| x.unwrap_or(f64::NAN);
        let avoided: Vec<(&str, f64)> = rs
            .iter()
            .map(|r| (r.scenario.as_str(), nan(r.avoided_loss_usd)))
            .collect();
        let tail: Vec<(&str, f64)> = rs
            .iter()
            .map(|r| (r.scenario.as_str(), nan(r.tvar95_cut_per_musd)))
            .collect();
        if let Some(b) = arg_max(&avoided, |x| x > 0.0) {
            *out.best_mean.entry(b.to_string()).or_default() += 1.0;
        }
        if let Some(b) = arg_max(&tail, |x| x > 0.0) {
            *out.best_tail_per_usd.entry(b.to_string()).or_default() += 1.0;
        }
        let mut any = false;
        for r in rs {
            if nan(r.benefit_cost_ratio) >= 1.0 {
                any = true;
                *out.pays.entry(r.scenario.clone()).or_default() += 1.0;
            }
        }
        if !any {
            none_pays += 1;
        }
    }
    let n = out.draws as f64;
    for m in [
        &mut out.best_mean,
        &mut out.best_tail_per_usd,
        &mut out.pays,
    ] {
        for v in m.values_mut() {
            *v /= n;
        }
    }
    out.none_pays = Some(none_pays as f64 / n);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opt(label: &str, avoided: (f64, f64, f64), cost: f64, tvar: f64) -> OptionFigures {
        let bcr = |x: f64| {
            if cost > 0.0 {
                x * 10.0 / cost
            } else {
                f64::NAN
            }
        };
        OptionFigures {
            label: label.into(),
            avoided_usd_per_year: avoided,
            pv_benefit_usd: avoided.0 * 10.0,
            pv_cost_usd: cost,
            benefit_cost_ratio: (bcr(avoided.0), bcr(avoided.1), bcr(avoided.2)),
            tvar95_reduction_usd: tvar,
            tvar95_reduction_usd_per_musd: if cost > 0.0 {
                tvar / (cost / 1e6)
            } else {
                f64::NAN
            },
            p_beats: 0.5,
        }
    }

    #[test]
    fn the_statements_follow_the_figures() {
        let o = [
            opt("a", (1e6, 0.5e6, 1.5e6), 100e6, 5e6),
            opt("b", (3e6, 2e6, 4e6), 20e6, 1e6),
            opt("c", (-2e6, -3e6, -1e6), 50e6, -1e6),
        ];
        let h = headline("f", &o, None);
        assert_eq!(h.order, ["b", "a", "c"]);
        assert_eq!(h.best_mean.as_deref(), Some("b"));
        // a: 5e6 / 100 = 50 k per USD m; b: 1e6 / 20 = 50 k too: tie broken by label.
        assert_eq!(h.best_tail_per_usd.as_deref(), Some("a"));
        assert_eq!(h.paying, ["b"]); // 30e6 / 20e6 = 1.5
        assert!(h.sentences[0].starts_with("Best on mean loss: b avoids USD 3.00 m a year"));
        assert!(
            h.sentences[1].contains("raises the mean loss") && h.sentences[1].contains(": c (")
        );
        assert!(h
            .sentences
            .iter()
            .any(|s| s.starts_with("Pays for itself") && s.contains("b (benefit/cost 1.50")));
    }

    #[test]
    fn nothing_helps_and_nothing_pays() {
        let o = [
            opt("x", (-1e6, -2e6, 0.5e6), 10e6, -1.0),
            opt("y", (0.0, 0.0, 0.0), 0.0, 0.0),
        ];
        let h = headline("f", &o, None);
        assert_eq!(h.best_mean, None);
        assert_eq!(h.best_tail_per_usd, None);
        assert!(h.paying.is_empty());
        assert!(h.sentences[0].starts_with("No option lowers the mean loss: the least harmful, y"));
        assert!(h
            .sentences
            .iter()
            .any(|s| s.starts_with("No option pays for itself") && s.contains("(x,")));
    }

    #[test]
    fn robustness_is_added_to_each_statement() {
        let o = [opt("a", (3e6, 2e6, 4e6), 20e6, 2e6)];
        let mut r = Robustness {
            draws: 64,
            ..Default::default()
        };
        r.best_mean.insert("a".into(), 0.75);
        r.best_tail_per_usd.insert("a".into(), 0.5);
        r.pays.insert("a".into(), 0.25);
        r.none_pays = Some(0.75);
        let h = headline("f", &o, Some(&r));
        assert!(
            h.sentences[0].ends_with("It holds in 75% of 64 draws of the uncertain parameters.")
        );
        assert!(
            h.sentences[1].ends_with("It holds in 50% of 64 draws of the uncertain parameters.")
        );
        assert!(h.sentences[2].contains("holds in 25% of 64 draws"));
        assert!(!h.sentences.iter().any(|s| s.contains("sampling noise")));
    }
}
