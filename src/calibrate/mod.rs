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

pub mod fit;
pub mod posterior;
pub mod regime;
pub mod stats;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use chrono::{Datelike, NaiveDate};

use crate::closure::DurationDist;
use crate::error::{Diagnostic, DiagnosticKind, Error, ScenarioErrors, Severity};
use fit::{fit_all, DurationFit, Observation};

/// One recorded closure episode.
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    /// Corridor (or link) id.
    pub corridor: String,
    /// First closed day.
    pub start: NaiveDate,
    /// Days shut (a lower bound when `censored`).
    pub days: u32,
    /// Still shut when last reported: the true duration is at least `days`.
    pub censored: bool,
    /// Capacity factor while shut (default 0).
    pub capacity_factor: f64,
    /// 1-based line in the CSV file.
    pub line: usize,
}

/// The columns a closure log may have. `corridor`, `start` and one of `end`/`days` are
/// required; `end` is the reopening date (first open day), as in scenario closures.
pub const COLUMNS: [&str; 10] = [
    "corridor",
    "start",
    "end",
    "days",
    "censored",
    "capacity_factor",
    "trucks_stranded",
    "date_quality",
    "source",
    "notes",
];

/// Read a closure log from a file. Every problem is reported with its line.
pub fn read_log(path: &Path) -> Result<Vec<Episode>, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_log(&text, path)
}

/// Parse a closure log (CSV text); `file` is used in messages.
pub fn parse_log(text: &str, file: &Path) -> Result<Vec<Episode>, Error> {
    let mut dg = Diags {
        file,
        list: Vec::new(),
    };
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            dg.err(
                1,
                DiagnosticKind::Syntax,
                format!("cannot read the header row: {e}"),
                None,
            );
            return Err(ScenarioErrors {
                diagnostics: dg.list,
            }
            .into());
        }
    };
    let mut col = BTreeMap::new();
    for (i, h) in headers.iter().enumerate() {
        if COLUMNS.contains(&h) {
            col.insert(h.to_string(), i);
        } else {
            let near = COLUMNS
                .iter()
                .max_by(|a, b| strsim::jaro_winkler(a, h).total_cmp(&strsim::jaro_winkler(b, h)))
                .filter(|c| strsim::jaro_winkler(c, h) > 0.8);
            dg.err(
                1,
                DiagnosticKind::UnknownKey,
                format!("unknown column \"{h}\""),
                Some(match near {
                    Some(c) => format!("did you mean \"{c}\"?"),
                    None => format!("known columns: {}", COLUMNS.join(", ")),
                }),
            );
        }
    }
    for req in ["corridor", "start"] {
        if !col.contains_key(req) {
            dg.err(
                1,
                DiagnosticKind::MissingKey,
                format!("missing column \"{req}\""),
                None,
            );
        }
    }
    if !col.contains_key("end") && !col.contains_key("days") {
        dg.err(
            1,
            DiagnosticKind::MissingKey,
            "missing column \"end\" or \"days\"".into(),
            Some("give the reopening date (end) or the number of days shut (days)".into()),
        );
    }
    let mut out = Vec::new();
    if dg.list.is_empty() {
        for rec in rdr.records() {
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line() as usize);
                    dg.err(
                        line,
                        DiagnosticKind::Syntax,
                        format!("bad CSV row: {e}"),
                        None,
                    );
                    continue;
                }
            };
            let line = rec.position().map_or(0, |p| p.line() as usize);
            let get = |c: &str| col.get(c).and_then(|&i| rec.get(i)).unwrap_or("");
            let corridor = get("corridor").to_string();
            let id_ok = !corridor.is_empty()
                && corridor
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !id_ok {
                dg.err(
                    line,
                    DiagnosticKind::WrongType,
                    format!("corridor \"{corridor}\" is not an id"),
                    Some("use lower-case letters, digits and _ (e.g. torkham)".into()),
                );
            }
            let date = |c: &str, v: &str| {
                NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
                    (
                        DiagnosticKind::BadDate,
                        format!("{c} \"{v}\" is not a date"),
                        Some("write dates as YYYY-MM-DD, e.g. 2024-01-13".to_string()),
                    )
                })
            };
            let start = match date("start", get("start")) {
                Ok(d) => Some(d),
                Err((k, m, h)) => {
                    dg.err(line, k, m, h);
                    None
                }
            };
            let end = match get("end") {
                "" => None,
                v => match date("end", v) {
                    Ok(d) => Some(d),
                    Err((k, m, h)) => {
                        dg.err(line, k, m, h);
                        None
                    }
                },
            };
            let days = match get("days") {
                "" => None,
                v => match v.parse::<u32>() {
                    Ok(d) if d >= 1 => Some(d),
                    _ => {
                        dg.err(
                            line,
                            DiagnosticKind::BadNumber,
                            format!("days \"{v}\" is not a whole number of days >= 1"),
                            None,
                        );
                        None
                    }
                },
            };
            let censored = match get("censored").to_ascii_lowercase().as_str() {
                "" | "no" | "false" | "0" => false,
                "yes" | "true" | "1" => true,
                v => {
                    dg.err(
                        line,
                        DiagnosticKind::WrongType,
                        format!("censored \"{v}\" is not yes/no"),
                        Some(
                            "write yes when the closure was still going on when last reported"
                                .into(),
                        ),
                    );
                    false
                }
            };
            let capacity_factor = match get("capacity_factor") {
                "" => 0.0,
                v => match v.parse::<f64>() {
                    Ok(f) if (0.0..1.0).contains(&f) => f,
                    _ => {
                        dg.err(
                            line,
                            DiagnosticKind::OutOfRange,
                            format!("capacity_factor \"{v}\" is not a number in [0, 1)"),
                            None,
                        );
                        0.0
                    }
                },
            };
            let Some(start) = start else { continue };
            let days = match (end, days) {
                (Some(e), d) => {
                    let span = (e - start).num_days();
                    if span < 1 {
                        dg.err(
                            line,
                            DiagnosticKind::EndsBeforeStart,
                            format!("end {e} is not after start {start}"),
                            Some("end is the reopening date (first open day)".into()),
                        );
                        continue;
                    }
                    if let Some(d) = d {
                        if i64::from(d) != span {
                            dg.err(
                                line,
                                DiagnosticKind::Inconsistent,
                                format!("days = {d} but {start} .. {e} is {span} days"),
                                Some("end is the reopening date: days = end - start".into()),
                            );
                            continue;
                        }
                    }
                    span as u32
                }
                (None, Some(d)) => d,
                (None, None) => {
                    dg.err(
                        line,
                        DiagnosticKind::MissingKey,
                        "neither end nor days given".into(),
                        Some("give the reopening date or the days shut (a lower bound with censored = yes)".into()),
                    );
                    continue;
                }
            };
            if id_ok {
                out.push(Episode {
                    corridor,
                    start,
                    days,
                    censored,
                    capacity_factor,
                    line,
                });
            }
        }
    }
    if dg.list.is_empty() && out.is_empty() {
        dg.err(
            1,
            DiagnosticKind::Empty,
            "the closure log has no episodes".into(),
            None,
        );
    }
    if dg.list.is_empty() {
        Ok(out)
    } else {
        Err(ScenarioErrors {
            diagnostics: dg.list,
        }
        .into())
    }
}

struct Diags<'a> {
    file: &'a Path,
    list: Vec<Diagnostic>,
}

impl Diags<'_> {
    fn err(&mut self, line: usize, kind: DiagnosticKind, message: String, hint: Option<String>) {
        self.list.push(Diagnostic {
            severity: Severity::Error,
            kind,
            file: self.file.to_path_buf(),
            line,
            message,
            hint,
        });
    }
}

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

/// A duration distribution as an inline TOML table of the scenario format.
pub fn duration_toml(d: &DurationDist) -> String {
    match d {
        DurationDist::Exponential { mean_days } => {
            format!("{{ dist = \"exponential\", mean_days = {mean_days:.3} }}")
        }
        DurationDist::LogNormal { mu, sigma } => {
            format!("{{ dist = \"lognormal\", mu = {mu:.4}, sigma = {sigma:.4} }}")
        }
        DurationDist::Gamma { shape, scale_days } => {
            format!("{{ dist = \"gamma\", shape = {shape:.4}, scale_days = {scale_days:.3} }}")
        }
        DurationDist::Empirical { days } => {
            let v: Vec<String> = days.iter().map(|d| format!("{d}")).collect();
            format!("{{ dist = \"empirical\", days = [{}] }}", v.join(", "))
        }
    }
}

fn describe(d: &DurationDist) -> String {
    match d {
        DurationDist::Exponential { mean_days } => format!("exponential mean_days {mean_days:.2}"),
        DurationDist::LogNormal { mu, sigma } => format!("lognormal mu {mu:.3} sigma {sigma:.3}"),
        DurationDist::Gamma { shape, scale_days } => {
            format!("gamma shape {shape:.3} scale_days {scale_days:.2}")
        }
        DurationDist::Empirical { .. } => "empirical".into(),
    }
}

fn fits_comment(out: &mut String, fits: &[DurationFit], n_complete: usize) {
    for f in fits {
        let ks = match (f.ks_d, f.ks_p) {
            (Some(d), Some(p)) => format!("KS D {d:.3} p {p:.2}"),
            _ => "KS: too few complete durations".into(),
        };
        let _ = writeln!(
            out,
            "#   {:<42} lnL {:>8.3}  AIC {:>7.2}  {ks}  [{}; {}]",
            describe(&f.dist),
            f.log_likelihood,
            f.aic,
            f.method,
            f.ci
        );
    }
    if n_complete < 5 {
        let _ = writeln!(
            out,
            "#   caution: {n_complete} complete duration(s): AIC and KS can barely tell the families apart, \
             and KS p-values are too high when parameters come from the same data (Lilliefors)."
        );
    }
}

impl Calibration {
    /// TOML ready to paste into a scenario: `[[process]]` per corridor and `[[shock]]`
    /// for joint events (or a comment saying why none), the estimates and intervals in
    /// comments.
    pub fn to_toml(&self) -> String {
        let pct = ((1.0 - self.alpha) * 100.0).round();
        let total = (self.end - self.start).num_days();
        let mut o = String::new();
        let _ = writeln!(
            o,
            "# chokepoint calibrate: window {} .. {} (end exclusive, {total} days = {:.2} years of 365 days)",
            self.start,
            self.end,
            total as f64 / 365.0
        );
        let _ = writeln!(
            o,
            "# Onset rate = onsets / open days (a closure cannot start while shut), per 365 days; \
             {pct}% CI exact Poisson (Garwood)."
        );
        let _ = writeln!(
            o,
            "# Durations: maximum likelihood; '+' marks right-censored durations (still shut when last reported)."
        );
        if !self.ignored_lines.is_empty() {
            let _ = writeln!(
                o,
                "# Ignored (outside the window): CSV lines {:?}",
                self.ignored_lines
            );
        }
        for c in &self.corridors {
            let _ = writeln!(o);
            let durs: Vec<String> = c
                .durations
                .iter()
                .map(|d| format!("{}{}", d.days, if d.censored { "+" } else { "" }))
                .collect();
            let joint_note = if c.own_onsets != c.onsets {
                format!(
                    " ({} in joint events, counted in the shock)",
                    c.onsets - c.own_onsets
                )
            } else {
                String::new()
            };
            let _ = writeln!(
                o,
                "# {}: {} onset(s){joint_note} in {:.0} open days: rate {:.3}/yr, {pct}% CI [{:.3}, {:.3}]",
                c.corridor, c.onsets, c.open_days, c.rate_per_year, c.rate_ci.0, c.rate_ci.1
            );
            if c.durations.is_empty() {
                let _ = writeln!(
                    o,
                    "#   no closure recorded: the rate's upper bound is what the data allow; \
                     no duration can be fitted (choose one, mark it E)."
                );
                continue;
            }
            let _ = writeln!(o, "#   durations (days): {}", durs.join(" "));
            let complete = c.durations.iter().filter(|d| !d.censored).count();
            fits_comment(&mut o, &c.fits, complete);
            let Some(best) = c.fits.first() else {
                let _ = writeln!(o, "#   no complete duration: no fit possible.");
                continue;
            };
            let _ = writeln!(o, "#   chosen by AIC: {}", describe(&best.dist));
            let _ = writeln!(o, "[[process]]");
            let _ = writeln!(o, "target = \"{}\"", c.corridor);
            let _ = writeln!(o, "rate_per_year = {:.4}", c.rate_per_year);
            let _ = writeln!(o, "duration = {}", duration_toml(&best.dist));
            let _ = writeln!(o, "capacity_factor = {:.3}", c.capacity_factor);
        }
        let j = &self.joint;
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "# Joint closures among {} (onsets within {} days = one event; pairs where one never closed omitted):",
            j.corridors.join(", "),
            self.joint_window_days
        );
        for p in &j.pairs {
            if p.expected_overlap_days == 0.0 && p.overlap_days == 0 {
                continue; // one of the two never closed: nothing to compare
            }
            let ratio = if p.expected_overlap_days > 0.0 {
                format!(
                    "{:.1}x",
                    f64::from(p.overlap_days) / p.expected_overlap_days
                )
            } else {
                "-".into()
            };
            let _ = writeln!(
                o,
                "#   {} & {}: both shut {} days vs {:.1} expected if independent ({ratio}); \
                 joint onsets {} vs {:.2} expected",
                p.a,
                p.b,
                p.overlap_days,
                p.expected_overlap_days,
                p.joint_onsets,
                p.expected_joint_onsets
            );
        }
        if j.events.is_empty() {
            let _ = writeln!(
                o,
                "#   no joint onset in the log: rate 0/yr, {pct}% CI [0, {:.3}]/yr. The data cannot separate a \
                 common shock from independent closures; overlapping closed days come from long closures \
                 that started apart. Model the co-movement with a regime chain, or a shock at a rate you \
                 choose (E) below the upper bound.",
                j.rate_ci.1
            );
            let _ = writeln!(o, "# [[shock]]");
            let _ = writeln!(o, "# id = \"joint\"");
            let _ = writeln!(o, "# targets = [{}]", quoted(&j.corridors));
            let _ = writeln!(
                o,
                "# rate_per_year = 0.0   # (E) choose in [0, {:.3}]",
                j.rate_ci.1
            );
            let _ = writeln!(
                o,
                "# duration = {{ dist = \"exponential\", mean_days = 10.0 }}   # (E)"
            );
        } else {
            for (d, members, days) in &j.events {
                let _ = writeln!(
                    o,
                    "#   joint event {d}: {} (longest {days} days)",
                    members.join(", ")
                );
            }
            let _ = writeln!(
                o,
                "#   {} joint event(s): rate {:.3}/yr, {pct}% CI [{:.3}, {:.3}]",
                j.events.len(),
                j.rate_per_year,
                j.rate_ci.0,
                j.rate_ci.1
            );
            fits_comment(&mut o, &j.fits, j.events.len());
            let targets: BTreeSet<&String> = j.events.iter().flat_map(|e| e.1.iter()).collect();
            let targets: Vec<String> = targets.into_iter().cloned().collect();
            let _ = writeln!(o, "[[shock]]");
            let _ = writeln!(o, "id = \"joint\"");
            let _ = writeln!(o, "targets = [{}]", quoted(&targets));
            let _ = writeln!(o, "rate_per_year = {:.4}", j.rate_per_year);
            let dist = j
                .fits
                .iter()
                .find(|f| matches!(f.dist, DurationDist::Exponential { .. }))
                .or(j.fits.first())
                .map(|f| f.dist.clone())
                .unwrap_or(DurationDist::Exponential { mean_days: 1.0 });
            let _ = writeln!(o, "duration = {}", duration_toml(&dist));
            let _ = writeln!(o, "capacity_factor = 0.0");
        }
        if let Some(r) = &self.regimes {
            regimes_toml(&mut o, r, &j.corridors);
        }
        o
    }
}

fn regimes_toml(o: &mut String, r: &regime::RegimeFit, ids: &[String]) {
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "# Regimes: a two-state Markov-modulated Poisson process fitted to the {} daily onsets of {} over {} days:",
        r.onsets,
        ids.join(", "),
        r.days
    );
    for (i, name) in ["calm", "tense"].iter().enumerate() {
        let _ = writeln!(
            o,
            "#   {name}: {:.3} onsets/yr, mean sojourn {:.0} days, long-run share {:.2}, rate multiplier {:.3}",
            r.rate_per_day[i] * 365.0,
            1.0 / r.leave_per_day[i],
            r.share[i],
            r.multiplier[i]
        );
    }
    let favoured = r.delta_aic < 0.0;
    let _ = writeln!(
        o,
        "#   lnL {:.3} vs {:.3} for a constant rate: LR {:.2} (rough p {:.2}, chi-square 3 df), AIC difference {:+.2}: {}",
        r.log_likelihood,
        r.log_likelihood_constant,
        r.lr,
        r.p_rough,
        r.delta_aic,
        if favoured {
            "the data favour regimes."
        } else {
            "the data do not favour regimes over a constant rate; the block is commented out."
        }
    );
    let _ = writeln!(
        o,
        "#   The multipliers average 1 over the long-run shares, so the processes' fitted rates are kept; they scale every process and shock."
    );
    let c = if favoured { "" } else { "# " };
    let round8 = |x: f64| (x * 1e8).round() / 1e8;
    let (a, b) = (round8(r.leave_per_day[0]), round8(r.leave_per_day[1]));
    let _ = writeln!(o, "{c}[regimes]");
    let _ = writeln!(o, "{c}[[regimes.state]]");
    let _ = writeln!(o, "{c}id = \"calm\"");
    let _ = writeln!(o, "{c}rate_multiplier = {:.4}", r.multiplier[0]);
    let _ = writeln!(
        o,
        "{c}transitions = {{ calm = {:.8}, tense = {a:.8} }}",
        1.0 - a
    );
    let _ = writeln!(o, "{c}[[regimes.state]]");
    let _ = writeln!(o, "{c}id = \"tense\"");
    let _ = writeln!(o, "{c}rate_multiplier = {:.4}", r.multiplier[1]);
    let _ = writeln!(
        o,
        "{c}transitions = {{ calm = {b:.8}, tense = {:.8} }}",
        1.0 - b
    );
}

fn quoted(ids: &[String]) -> String {
    ids.iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

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
