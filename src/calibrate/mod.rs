//! Fitting random closure processes to a log of recorded closures.
//!
//! Input: a CSV closure log, one row per episode (`corridor,start,end,days,censored,...`,
//! see [`read_log`]). Output ([`calibrate`], [`Calibration::to_toml`]): per corridor, the
//! onset rate (maximum likelihood = onsets / open time, with an exact Poisson interval)
//! and the duration distribution (exponential, lognormal, gamma by maximum likelihood,
//! right-censored episodes included, chosen by AIC, checked by Kolmogorov–Smirnov); and
//! whether corridors close together more often than independence predicts (joint onsets
//! → a common-shock group, or a plain statement that the data cannot tell).
//!
//! ```
//! use chokepoint::calibrate::{calibrate, parse_log, Options};
//! let csv = "corridor,start,end\nx,2021-03-01,2021-03-08\nx,2022-05-01,2022-05-04\n";
//! let log = parse_log(csv, std::path::Path::new("log.csv"))?;
//! let cal = calibrate(&log, &Options::default())?;
//! assert_eq!(cal.corridors[0].onsets, 2);
//! println!("{}", cal.to_toml());
//! # Ok::<(), chokepoint::Error>(())
//! ```

pub mod abc;
pub mod episode_fit;
pub mod episodes;
pub mod fit;
mod log;
pub mod metropolis;
pub mod posterior;
pub mod regime;
pub mod stats;
mod toml_out;
mod uncertain_out;

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};

use crate::error::Error;
use fit::{fit_all, DurationFit, Observation};
pub use log::{parse_log, read_log, Episode, COLUMNS};
pub use toml_out::duration_toml;
pub use uncertain_out::{PosteriorOptions, PosteriorTables};

/// Options of [`calibrate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// First day of the observation window (default: 1 January of the first episode's year).
    pub start: Option<NaiveDate>,
    /// End of the window, exclusive (default: 1 January after the last episode's year).
    pub end: Option<NaiveDate>,
    /// Corridors observed over the window with no recorded closure (rate 0, upper bound).
    pub also: Vec<String>,
    /// Corridors tested for joint closures (default: every corridor in the log).
    pub joint: Vec<String>,
    /// Onsets of different corridors within this many days count as one joint event.
    pub joint_window_days: u32,
    /// Confidence level is `1 - alpha`.
    pub alpha: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            start: None,
            end: None,
            also: Vec::new(),
            joint: Vec::new(),
            joint_window_days: 7,
            alpha: 0.05,
        }
    }
}

/// The fit for one corridor.
#[derive(Debug, Clone, PartialEq)]
pub struct CorridorFit {
    /// Corridor id.
    pub corridor: String,
    /// Onsets in the window (all of them, joint ones included).
    pub onsets: u64,
    /// Onsets counted for the corridor's own process (those not in a fitted shock).
    pub own_onsets: u64,
    /// Days open in the window (the exposure: a closure cannot start while shut).
    pub open_days: f64,
    /// Maximum-likelihood onset rate of its own process, per 365 days.
    pub rate_per_year: f64,
    /// Exact (Garwood) interval on that rate.
    pub rate_ci: (f64, f64),
    /// Observed durations.
    pub durations: Vec<Observation>,
    /// Duration fits, best (lowest AIC) first; empty with no complete duration.
    pub fits: Vec<DurationFit>,
    /// Mean capacity factor of its episodes.
    pub capacity_factor: f64,
}

/// A pair of corridors' closures set against independence.
#[derive(Debug, Clone, PartialEq)]
pub struct PairOverlap {
    /// First corridor.
    pub a: String,
    /// Second corridor.
    pub b: String,
    /// Days both were shut.
    pub overlap_days: u32,
    /// Days both would be shut on average if they closed independently: d_a d_b / T.
    pub expected_overlap_days: f64,
    /// Pairs of onsets within the joint window of each other.
    pub joint_onsets: u32,
    /// Expected such pairs under independence: n_a n_b (2w + 1) / T.
    pub expected_joint_onsets: f64,
}

/// Joint closures: events in which several corridors closed within the joint window.
#[derive(Debug, Clone, PartialEq)]
pub struct JointFit {
    /// Corridors tested.
    pub corridors: Vec<String>,
    /// Pairwise comparison with independence.
    pub pairs: Vec<PairOverlap>,
    /// Joint events found (each: the corridors and the onset date of the first).
    pub events: Vec<(NaiveDate, Vec<String>, u32)>,
    /// Rate of joint events, per 365 days.
    pub rate_per_year: f64,
    /// Exact interval on it.
    pub rate_ci: (f64, f64),
    /// Duration of joint events (the longest member closure), if any.
    pub fits: Vec<DurationFit>,
}

/// Everything [`calibrate`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// Window start.
    pub start: NaiveDate,
    /// Window end (exclusive).
    pub end: NaiveDate,
    /// Per corridor, in id order.
    pub corridors: Vec<CorridorFit>,
    /// Joint-closure analysis.
    pub joint: JointFit,
    /// Episodes outside the window (ignored), by CSV line.
    pub ignored_lines: Vec<usize>,
    /// Confidence level is `1 - alpha`.
    pub alpha: f64,
    /// Onsets within this many days of each other formed one joint event.
    pub joint_window_days: u32,
    /// A calm / tense regime chain fitted to the daily onsets of the joint corridors.
    pub regimes: Option<regime::RegimeFit>,
}

fn closed_days(eps: &[&Episode], start: NaiveDate, end: NaiveDate) -> BTreeSet<NaiveDate> {
    let mut s = BTreeSet::new();
    for e in eps {
        for k in 0..e.days {
            let d = e.start + chrono::Duration::days(i64::from(k));
            if d >= start && d < end {
                s.insert(d);
            }
        }
    }
    s
}

/// Fit onset rates, duration distributions and joint closures to a closure log.
pub fn calibrate(log: &[Episode], opts: &Options) -> Result<Calibration, Error> {
    if log.is_empty() {
        return Err(Error::Invalid("the closure log has no episodes".into()));
    }
    if !(opts.alpha > 0.0 && opts.alpha < 1.0) {
        return Err(Error::Invalid(format!(
            "alpha = {} must lie in (0, 1), e.g. 0.05 for 95% intervals",
            opts.alpha
        )));
    }
    let first = log.iter().map(|e| e.start).min().unwrap_or_default();
    let last = log.iter().map(|e| e.start).max().unwrap_or_default();
    let ymd = |y: i32| NaiveDate::from_ymd_opt(y, 1, 1).unwrap_or_default();
    let start = opts.start.unwrap_or_else(|| ymd(first.year()));
    let end = opts.end.unwrap_or_else(|| ymd(last.year() + 1));
    if end <= start {
        return Err(Error::Invalid(format!(
            "the window {start} .. {end} is empty: its end must be after its start"
        )));
    }
    let total_days = (end - start).num_days() as f64;
    let in_window: Vec<&Episode> = log
        .iter()
        .filter(|e| e.start >= start && e.start < end)
        .collect();
    let ignored_lines = log
        .iter()
        .filter(|e| e.start < start || e.start >= end)
        .map(|e| e.line)
        .collect();

    let mut ids: BTreeSet<String> = in_window.iter().map(|e| e.corridor.clone()).collect();
    ids.extend(opts.also.iter().cloned());

    // Joint events: cluster onsets of the tested corridors (greedy, in date order).
    let joint_ids: Vec<String> = if opts.joint.is_empty() {
        in_window
            .iter()
            .map(|e| e.corridor.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    } else {
        opts.joint.clone()
    };
    let w = i64::from(opts.joint_window_days);
    let mut tested: Vec<&Episode> = in_window
        .iter()
        .copied()
        .filter(|e| joint_ids.contains(&e.corridor))
        .collect();
    tested.sort_by_key(|e| e.start);
    let mut events = Vec::new();
    let mut in_joint: BTreeSet<usize> = BTreeSet::new(); // CSV lines
    let mut i = 0;
    while i < tested.len() {
        let mut j = i + 1;
        while j < tested.len() && (tested[j].start - tested[i].start).num_days() <= w {
            j += 1;
        }
        let members: BTreeSet<String> = tested[i..j].iter().map(|e| e.corridor.clone()).collect();
        if members.len() >= 2 {
            let longest = tested[i..j].iter().map(|e| e.days).max().unwrap_or(1);
            events.push((tested[i].start, members.into_iter().collect(), longest));
            in_joint.extend(tested[i..j].iter().map(|e| e.line));
        }
        i = j;
    }

    let years = |days: f64| days / 365.0;
    let mut corridors = Vec::new();
    for id in &ids {
        let eps: Vec<&Episode> = in_window
            .iter()
            .copied()
            .filter(|e| &e.corridor == id)
            .collect();
        let shut = closed_days(&eps, start, end).len() as f64;
        let open_days = (total_days - shut).max(1.0);
        let own = eps.iter().filter(|e| !in_joint.contains(&e.line)).count() as u64;
        let (lo, hi) = stats::garwood_ci(own, opts.alpha);
        let durations: Vec<Observation> = eps
            .iter()
            .map(|e| Observation {
                days: f64::from(e.days),
                censored: e.censored,
            })
            .collect();
        let cf = if eps.is_empty() {
            0.0
        } else {
            eps.iter().map(|e| e.capacity_factor).sum::<f64>() / eps.len() as f64
        };
        corridors.push(CorridorFit {
            corridor: id.clone(),
            onsets: eps.len() as u64,
            own_onsets: own,
            open_days,
            rate_per_year: own as f64 / years(open_days),
            rate_ci: (lo / years(open_days), hi / years(open_days)),
            fits: fit_all(&durations),
            durations,
            capacity_factor: cf,
        });
    }

    let mut pairs = Vec::new();
    for (ai, a) in joint_ids.iter().enumerate() {
        for b in &joint_ids[ai + 1..] {
            let ea: Vec<&Episode> = in_window
                .iter()
                .copied()
                .filter(|e| &e.corridor == a)
                .collect();
            let eb: Vec<&Episode> = in_window
                .iter()
                .copied()
                .filter(|e| &e.corridor == b)
                .collect();
            let (sa, sb) = (closed_days(&ea, start, end), closed_days(&eb, start, end));
            let joint_onsets = ea
                .iter()
                .map(|x| {
                    eb.iter()
                        .filter(|y| (x.start - y.start).num_days().abs() <= w)
                        .count() as u32
                })
                .sum();
            pairs.push(PairOverlap {
                a: a.clone(),
                b: b.clone(),
                overlap_days: sa.intersection(&sb).count() as u32,
                expected_overlap_days: sa.len() as f64 * sb.len() as f64 / total_days,
                joint_onsets,
                expected_joint_onsets: ea.len() as f64 * eb.len() as f64 * (2 * w + 1) as f64
                    / total_days,
            });
        }
    }
    let mut counts = vec![0u32; total_days as usize];
    for e in &tested {
        let d = (e.start - start).num_days();
        if d >= 0 && (d as usize) < counts.len() {
            counts[d as usize] += 1;
        }
    }
    let regimes = regime::fit(&counts);
    let m = events.len() as u64;
    let (lo, hi) = stats::garwood_ci(m, opts.alpha);
    let jd: Vec<Observation> = events
        .iter()
        .map(|e| Observation::complete(f64::from(e.2)))
        .collect();
    let joint = JointFit {
        corridors: joint_ids,
        pairs,
        rate_per_year: m as f64 / years(total_days),
        rate_ci: (lo / years(total_days), hi / years(total_days)),
        fits: fit_all(&jd),
        events,
    };
    Ok(Calibration {
        start,
        end,
        corridors,
        joint,
        ignored_lines,
        alpha: opts.alpha,
        joint_window_days: opts.joint_window_days,
        regimes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::DiagnosticKind;
    use std::path::Path;

    fn log(text: &str) -> Result<Vec<Episode>, Error> {
        parse_log(text, Path::new("t.csv"))
    }

    #[test]
    fn end_and_days_must_agree() {
        let e = log("corridor,start,end,days\nx,2021-01-01,2021-01-05,3\n").unwrap_err();
        let s = e.to_string();
        assert!(s.contains("t.csv:2") && s.contains("days = 3"), "{s}");
    }

    #[test]
    fn every_bad_row_is_reported() {
        let e = log("corridor,start,days,censored,colour\nX,2021-13-01,0,maybe,red\n").unwrap_err();
        let Error::Scenario(errs) = e else { panic!() };
        // unknown column stops row parsing; fix it and see the row errors.
        assert_eq!(errs.diagnostics.len(), 1);
        assert_eq!(errs.diagnostics[0].kind, DiagnosticKind::UnknownKey);
        let e = log("corridor,start,days,censored\nX,2021-13-01,0,maybe\n").unwrap_err();
        let Error::Scenario(errs) = e else { panic!() };
        let kinds: Vec<_> = errs.diagnostics.iter().map(|d| d.kind).collect();
        assert!(kinds.contains(&DiagnosticKind::WrongType));
        assert!(kinds.contains(&DiagnosticKind::BadDate));
        assert!(kinds.contains(&DiagnosticKind::BadNumber));
        assert!(errs.diagnostics.iter().all(|d| d.line == 2));
    }

    #[test]
    fn rate_is_onsets_over_open_time() {
        // Two 5-day closures in a 365-day window: 2 / (355/365) per year.
        let l = log("corridor,start,days\nx,2021-02-01,5\nx,2021-06-01,5\n").unwrap();
        let c = calibrate(&l, &Options::default()).unwrap();
        let x = &c.corridors[0];
        assert_eq!(x.open_days, 355.0);
        assert!((x.rate_per_year - 2.0 * 365.0 / 355.0).abs() < 1e-12);
        // Garwood for n = 2: [0.2422, 7.2247].
        assert!((x.rate_ci.0 - 0.242_209 * 365.0 / 355.0).abs() < 1e-4);
        assert!((x.rate_ci.1 - 7.224_687 * 365.0 / 355.0).abs() < 1e-4);
    }

    #[test]
    fn joint_onsets_become_a_shock_and_leave_the_own_rates() {
        let l = log(
            "corridor,start,days\na,2021-02-01,5\nb,2021-02-03,8\na,2021-09-01,3\nb,2021-11-01,4\n",
        )
        .unwrap();
        let c = calibrate(&l, &Options::default()).unwrap();
        assert_eq!(c.joint.events.len(), 1);
        assert_eq!(c.joint.events[0].2, 8);
        assert!(c
            .corridors
            .iter()
            .all(|k| k.onsets == 2 && k.own_onsets == 1));
        let toml = c.to_toml();
        assert!(
            toml.contains("[[shock]]") && toml.contains("targets = [\"a\", \"b\"]"),
            "{toml}"
        );
        // The pasted blocks parse as TOML.
        let v: toml::Value = toml::from_str(&toml).unwrap();
        assert_eq!(v["process"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn no_joint_onset_says_so_and_gives_an_upper_bound() {
        let l = log("corridor,start,days\na,2021-02-01,5\nb,2021-06-01,8\n").unwrap();
        let c = calibrate(&l, &Options::default()).unwrap();
        assert!(c.joint.events.is_empty());
        assert!((c.joint.rate_ci.1 - (-(0.025f64.ln()))).abs() < 1e-6);
        let t = c.to_toml();
        assert!(t.contains("cannot separate") && !t.contains("\n[[shock]]"));
    }

    #[test]
    fn also_corridors_get_a_zero_rate_with_an_upper_bound() {
        let l = log("corridor,start,days\na,2021-02-01,5\n").unwrap();
        let opts = Options {
            also: vec!["quiet".into()],
            ..Options::default()
        };
        let c = calibrate(&l, &opts).unwrap();
        let q = c.corridors.iter().find(|k| k.corridor == "quiet").unwrap();
        assert_eq!(q.rate_per_year, 0.0);
        assert!(q.rate_ci.1 > 3.6 && q.rate_ci.1 < 3.7);
    }
}
