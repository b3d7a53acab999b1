//! Recorded closure episodes as data: which replay scenario re-enacts each one, what the
//! sources reported about it (each figure with its band and source), and how each figure
//! is measured on a simulated run. `examples/backtests.rs`, the tests and `chokepoint fit`
//! all read episodes and measure figures here, so they agree by construction.
//!
//! An episode list is a CSV, `episodes.csv` beside the replay files (for Afghanistan:
//! `scenarios/afghanistan/history/episodes.csv`), one row per episode and figure:
//!
//! ```text
//! replay,corridor,start,name,figure,reported,source,band_low,band_high,band_basis
//! chaman_2021_10.toml,chaman,2021-10-05,Chaman 2021,peak_trucks,"""hundreds""",cal §2 Samaa; EFE (S),100,1000,"""hundreds"": the word, 100-1,000"
//! ```
//!
//! - `replay`: the scenario file (relative to the CSV) whose `[[closure]]` of `corridor`
//!   starting on `start` is the episode; `name` labels it in tables. The three agree on
//!   every row of one replay.
//! - `figure`: one of [`Figure::ALL`] (every episode lists each figure once).
//! - `reported`, `source`: what was reported and where (text), or `–` when nothing was.
//! - `band_low`, `band_high`: the band a simulated figure should fall in, in the figure's
//!   unit; both empty when the report gives no comparable number (nothing reported, or a
//!   number the model does not count, such as empty trucks or revenue). Words become bands
//!   here: "hundreds" of trucks is 100–1,000, "thousands" 1,000–10,000, an anecdotal count
//!   half to twice itself; `band_basis` says which rule made each band.
//! - `held_out` (optional column): `yes` marks an episode kept for checking only:
//!   `chokepoint fit` never fits it, whatever its `--held-out-from` date (episodes that
//!   start on or after that date are held out too); empty or `no` otherwise. Every row of
//!   one replay says the same.
//!
//! A figure's distance from its band ([`Band::distance`]) is 0 inside it and the log-ratio
//! to the nearer edge outside; `chokepoint fit` sums it over figures and episodes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::closure::Target;
use crate::sim::{Engine, Record};
use crate::{Error, Scenario};

/// The episode list's file name inside a history folder.
pub const EPISODES_FILE: &str = "episodes.csv";

/// The columns of an episode list, in order (`held_out`, the last, may be left out).
pub const COLUMNS: &[&str] = &[
    "replay",
    "corridor",
    "start",
    "name",
    "figure",
    "reported",
    "source",
    "band_low",
    "band_high",
    "band_basis",
    "held_out",
];

/// A figure measured on an episode's replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    /// The most loaded trucks queued at the corridor's crossing links at the end of any
    /// closed day of the episode.
    PeakTrucks,
    /// Loaded trucks queued at the corridor's crossings at the end of the last closed day
    /// (the queue the crossing reopens to).
    BacklogTrucks,
    /// Value of trade halted at the corridor's crossings on the days a closure held them
    /// below capacity, per such day, USD million (`halted_while_closed_usd / closed_days`).
    HaltedMusdPerDay,
}

impl Figure {
    /// Every figure, in table order.
    pub const ALL: [Figure; 3] = [
        Figure::PeakTrucks,
        Figure::BacklogTrucks,
        Figure::HaltedMusdPerDay,
    ];

    /// Its name in files and tables.
    pub fn name(self) -> &'static str {
        match self {
            Figure::PeakTrucks => "peak_trucks",
            Figure::BacklogTrucks => "backlog_trucks",
            Figure::HaltedMusdPerDay => "halted_musd_per_day",
        }
    }

    /// The figure of that name.
    pub fn parse(name: &str) -> Option<Figure> {
        Figure::ALL.into_iter().find(|f| f.name() == name.trim())
    }

    /// The value rounded as tables show it (trucks whole, USD m to the cent).
    pub fn format(self, v: f64) -> String {
        match self {
            Figure::HaltedMusdPerDay => format!("{v:.2}"),
            _ => format!("{v:.0}"),
        }
    }
}

/// The band a simulated figure should fall in (its unit is the figure's).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// Lower edge (> 0).
    pub low: f64,
    /// Upper edge (>= low).
    pub high: f64,
}

impl Band {
    /// A value below `low · FLOOR` counts as `low · FLOOR` in [`Band::distance`], so a
    /// figure of 0 is a finite distance (ln 1000 ≈ 6.9) below its band.
    pub const FLOOR: f64 = 1e-3;

    /// A band, checked: finite edges, `0 < low <= high`.
    pub fn new(low: f64, high: f64) -> Result<Band, String> {
        if low.is_finite() && high.is_finite() && low > 0.0 && low <= high {
            Ok(Band { low, high })
        } else {
            Err(format!(
                "band {low}–{high}: expected two finite numbers with 0 < low <= high"
            ))
        }
    }

    /// Whether `x` lies inside (edges included).
    pub fn contains(&self, x: f64) -> bool {
        x >= self.low && x <= self.high
    }

    /// The distance of `x` from the band: 0 inside; `ln(low / max(x, low · FLOOR))`
    /// below; `ln(x / high)` above. So a figure twice the band's top is as far as one
    /// half its bottom (ln 2), whatever the figure's unit.
    pub fn distance(&self, x: f64) -> f64 {
        if x.is_nan() {
            f64::INFINITY
        } else if x < self.low {
            (self.low / x.max(self.low * Self::FLOOR)).ln()
        } else if x > self.high {
            (x / self.high).ln()
        } else {
            0.0
        }
    }
}

/// One figure of an episode as reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reported {
    /// Which figure.
    pub figure: Figure,
    /// What was reported (text), `–` for nothing.
    pub reported: String,
    /// Where it was reported.
    pub source: String,
    /// The band, when the report gives a number the model counts.
    pub band: Option<Band>,
    /// The rule that made the band (or why there is none).
    pub band_basis: String,
    /// 1-based line of its row in the episode list.
    pub line: u64,
}

/// One recorded episode and its replay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Episode {
    /// The replay scenario, as written in the list (relative to it).
    pub replay: String,
    /// The replay scenario's path.
    pub path: PathBuf,
    /// The corridor that closed.
    pub corridor: String,
    /// The first closed day (the replay's `[[closure]]` of `corridor` starts on it).
    pub start: NaiveDate,
    /// Its label in tables.
    pub name: String,
    /// Each figure as reported, in [`Figure::ALL`] order.
    pub figures: Vec<Reported>,
    /// Marked held out in the list (`held_out = yes`): checked, never fitted.
    #[serde(default)]
    pub held_out: bool,
}

impl Episode {
    /// The replay's file stem (`chaman_2021_10`).
    pub fn stem(&self) -> String {
        Path::new(&self.replay)
            .file_stem()
            .map_or_else(|| self.replay.clone(), |s| s.to_string_lossy().into_owned())
    }

    /// The figures that have a band (the ones a fit compares).
    pub fn banded(&self) -> impl Iterator<Item = (Figure, Band)> + '_ {
        self.figures
            .iter()
            .filter_map(|r| r.band.map(|b| (r.figure, b)))
    }

    /// How far `sim`'s figures are from their bands: the sum of [`Band::distance`] over
    /// the banded figures.
    pub fn distance(&self, sim: &Simulated) -> f64 {
        self.banded().map(|(f, b)| b.distance(sim.get(f))).sum()
    }

    /// Load the replay scenario.
    pub fn load(&self) -> Result<Scenario, Error> {
        Scenario::load(&self.path)
    }

    /// Replay the episode on `s` (its replay scenario, possibly with parameters changed)
    /// and measure its figures ([`measure`]).
    pub fn simulate(&self, s: &Scenario) -> Result<Simulated, Error> {
        measure(s, &self.corridor, self.start).map_err(|e| match e {
            Error::Invalid(m) => Error::Invalid(format!("{}: {m}", self.replay)),
            e => e,
        })
    }
}

/// An episode list ([`EPISODES_FILE`]), read and checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Episodes {
    /// The list's path.
    pub path: PathBuf,
    /// Its episodes in the order of their first rows.
    pub episodes: Vec<Episode>,
}

/// One row of an episode list, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    replay: String,
    corridor: String,
    start: String,
    name: String,
    figure: String,
    reported: String,
    source: String,
    band_low: Option<f64>,
    band_high: Option<f64>,
    band_basis: String,
    #[serde(default)]
    held_out: String,
}

impl Episodes {
    /// Read `path`, or `path/episodes.csv` when `path` is a folder.
    ///
    /// # Errors
    /// An unreadable file, or a row that does not parse or check: [`Error::File`] with the
    /// file, its line, the column and what would be right.
    pub fn load(path: impl AsRef<Path>) -> Result<Episodes, Error> {
        let path = path.as_ref();
        let path = if path.is_dir() {
            path.join(EPISODES_FILE)
        } else {
            path.to_path_buf()
        };
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        Episodes::parse(&text, &path)
    }

    /// Parse the text of an episode list read from `path` (replays resolve against its
    /// folder).
    pub fn parse(text: &str, path: &Path) -> Result<Episodes, Error> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let bad = |line: u64, column: &str, message: String| Error::File {
            path: path.to_path_buf(),
            line,
            column: Some(column.to_string()),
            message,
        };
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let header: Vec<String> = rdr
            .headers()
            .map_err(|e| bad(1, "header", e.to_string()))?
            .iter()
            .map(str::to_string)
            .collect();
        let columns = if header == COLUMNS {
            COLUMNS
        } else if header == COLUMNS[..COLUMNS.len() - 1] {
            &COLUMNS[..COLUMNS.len() - 1]
        } else {
            return Err(Error::File {
                path: path.to_path_buf(),
                line: 1,
                column: None,
                message: format!(
                    "the header is {header:?}; expected the columns {} (the last optional)",
                    COLUMNS.join(",")
                ),
            });
        };
        let mut episodes: Vec<Episode> = Vec::new();
        let mut first_line: BTreeMap<String, u64> = BTreeMap::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                bad(line, "row", e.to_string())
            })?;
            let line = rec.position().map_or(0, |p| p.line());
            let row: Row = rec
                .deserialize(Some(&csv::StringRecord::from(columns.to_vec())))
                .map_err(|e| {
                    let column = match e.kind() {
                        csv::ErrorKind::Deserialize { err, .. } => err
                            .field()
                            .and_then(|i| columns.get(i as usize))
                            .copied()
                            .unwrap_or("row"),
                        _ => "row",
                    };
                    bad(
                        line,
                        column,
                        format!("{e}; band_low and band_high are numbers or both empty"),
                    )
                })?;
            let figure = Figure::parse(&row.figure).ok_or_else(|| {
                bad(
                    line,
                    "figure",
                    format!(
                        "`{}` is not a figure; expected one of {}",
                        row.figure,
                        Figure::ALL.map(Figure::name).join(", ")
                    ),
                )
            })?;
            let start = NaiveDate::parse_from_str(&row.start, "%Y-%m-%d").map_err(|e| {
                bad(
                    line,
                    "start",
                    format!("`{}` is not a date YYYY-MM-DD ({e})", row.start),
                )
            })?;
            let band = match (row.band_low, row.band_high) {
                (None, None) => None,
                (Some(lo), Some(hi)) => {
                    Some(Band::new(lo, hi).map_err(|m| bad(line, "band_low", m))?)
                }
                _ => {
                    return Err(bad(
                        line,
                        "band_low",
                        "one band edge is empty: give both band_low and band_high, or \
                         neither (no comparable figure)"
                            .into(),
                    ))
                }
            };
            let held_out = match row.held_out.as_str() {
                "yes" => true,
                "" | "no" => false,
                other => {
                    return Err(bad(
                        line,
                        "held_out",
                        format!("`{other}`: expected `yes`, `no` or empty"),
                    ))
                }
            };
            if row.replay.is_empty() {
                return Err(bad(
                    line,
                    "replay",
                    "empty: name the replay scenario".into(),
                ));
            }
            let reported = Reported {
                figure,
                reported: row.reported,
                source: row.source,
                band,
                band_basis: row.band_basis,
                line,
            };
            match episodes.iter_mut().find(|e| e.replay == row.replay) {
                Some(e) => {
                    let first = first_line[&row.replay];
                    for (column, ours, theirs) in [
                        ("corridor", &row.corridor, &e.corridor),
                        ("name", &row.name, &e.name),
                    ] {
                        if ours != theirs {
                            return Err(bad(
                                line,
                                column,
                                format!(
                                    "`{ours}` differs from `{theirs}` on line {first} for the \
                                     same replay {}; one episode per replay",
                                    row.replay
                                ),
                            ));
                        }
                    }
                    if held_out != e.held_out {
                        return Err(bad(
                            line,
                            "held_out",
                            format!(
                                "differs from line {first} for the same replay {}; one \
                                 episode per replay",
                                row.replay
                            ),
                        ));
                    }
                    if start != e.start {
                        return Err(bad(
                            line,
                            "start",
                            format!(
                                "{start} differs from {} on line {first} for the same replay {}; \
                                 one episode per replay",
                                e.start, row.replay
                            ),
                        ));
                    }
                    if let Some(r) = e.figures.iter().find(|r| r.figure == figure) {
                        return Err(bad(
                            line,
                            "figure",
                            format!(
                                "{} of {} is already on line {}; one row per episode and figure",
                                figure.name(),
                                row.replay,
                                r.line
                            ),
                        ));
                    }
                    e.figures.push(reported);
                }
                None => {
                    first_line.insert(row.replay.clone(), line);
                    episodes.push(Episode {
                        path: dir.join(&row.replay),
                        replay: row.replay,
                        corridor: row.corridor,
                        start,
                        name: row.name,
                        figures: vec![reported],
                        held_out,
                    });
                }
            }
        }
        if episodes.is_empty() {
            return Err(Error::File {
                path: path.to_path_buf(),
                line: 0,
                column: None,
                message: "no episodes: expected one row per episode and figure after the header"
                    .into(),
            });
        }
        for e in &mut episodes {
            e.figures.sort_by_key(|r| r.figure);
        }
        Ok(Episodes {
            path: path.to_path_buf(),
            episodes,
        })
    }

    /// The episode whose replay has file stem `stem`.
    pub fn get(&self, stem: &str) -> Option<&Episode> {
        self.episodes.iter().find(|e| e.stem() == stem)
    }
}

/// The figures measured on one replay.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Simulated {
    /// Peak loaded trucks queued at the crossing on a closed day.
    pub peak_trucks: f64,
    /// Trucks queued at the end of the last closed day.
    pub backlog_trucks: f64,
    /// Trade value halted at the crossing per closed day, USD million.
    pub halted_musd_per_day: f64,
    /// Loaded trucks per day through the corridor in the counterfactual (no closures).
    pub normal_trucks_per_day: f64,
}

impl Simulated {
    /// One figure.
    pub fn get(&self, figure: Figure) -> f64 {
        match figure {
            Figure::PeakTrucks => self.peak_trucks,
            Figure::BacklogTrucks => self.backlog_trucks,
            Figure::HaltedMusdPerDay => self.halted_musd_per_day,
        }
    }
}

/// Replay `s` (its fixed closures) and measure the figures of its closure of `corridor`
/// that starts on `start` (see [`Figure`]).
///
/// # Errors
/// No such corridor or closure, a closure not inside the window, or an engine error.
pub fn measure(s: &Scenario, corridor: &str, start: NaiveDate) -> Result<Simulated, Error> {
    let cid = s
        .corridor(corridor)
        .ok_or_else(|| Error::Invalid(format!("no corridor `{corridor}` in the scenario")))?;
    let day0 = s.day_of(start);
    let w = s
        .closures
        .iter()
        .find(|w| w.target == Target::Corridor(cid) && w.start_day == day0)
        .ok_or_else(|| {
            Error::Invalid(format!(
                "no [[closure]] of `{corridor}` starting on {start}: the episode list and the \
                 replay disagree"
            ))
        })?;
    let reopen = w.start_day + i64::from(w.duration_days);
    let days = i64::from(s.settings.days);
    if w.start_day < 0 || reopen > days || reopen <= w.start_day {
        return Err(Error::Invalid(format!(
            "the closure of `{corridor}` from {start} is not inside the window"
        )));
    }
    let report = Engine::new(s)?.run(&s.closures, Record::Daily)?;
    let daily = report
        .daily
        .as_ref()
        .ok_or_else(|| Error::Invalid("the engine kept no daily series".into()))?;
    let cd = daily
        .corridors
        .iter()
        .find(|c| c.corridor == corridor)
        .ok_or_else(|| Error::Invalid(format!("no daily series for `{corridor}`")))?;
    let closed = &cd.queue_trucks[w.start_day as usize..reopen as usize];
    let peak_trucks = closed.iter().copied().fold(0.0, f64::max);
    let backlog_trucks = closed.last().copied().unwrap_or(0.0);
    let crossing_links: Vec<&str> = s.corridors[cid.index()]
        .links
        .iter()
        .map(|l| &s.links[l.index()])
        .filter(|l| l.crossing)
        .map(|l| l.id.as_str())
        .collect();
    let mut halted = 0.0;
    let mut closed_days = 0u32;
    for c in &report.metrics.crossings {
        if crossing_links.contains(&c.link.as_str()) {
            halted += c.halted_while_closed_usd;
            closed_days = closed_days.max(c.closed_days);
        }
    }
    let cm = report
        .metrics
        .corridors
        .iter()
        .find(|c| c.corridor == corridor)
        .ok_or_else(|| Error::Invalid(format!("no metrics for `{corridor}`")))?;
    Ok(Simulated {
        peak_trucks,
        backlog_trucks,
        halted_musd_per_day: if closed_days > 0 {
            halted / f64::from(closed_days) / 1e6
        } else {
            0.0
        },
        normal_trucks_per_day: cm.counterfactual_t / days as f64 / s.settings.truck_payload_t,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "replay,corridor,start,name,figure,reported,source,band_low,band_high,band_basis\n";

    fn parse(rows: &str) -> Result<Episodes, Error> {
        Episodes::parse(&format!("{HEADER}{rows}"), Path::new("h/episodes.csv"))
    }

    #[test]
    fn band_distance_is_zero_inside_and_the_log_ratio_outside() {
        let b = Band::new(100.0, 1000.0).unwrap();
        assert_eq!(b.distance(100.0), 0.0);
        assert_eq!(b.distance(1000.0), 0.0);
        assert!((b.distance(2000.0) - 2f64.ln()).abs() < 1e-12);
        assert!((b.distance(50.0) - 2f64.ln()).abs() < 1e-12);
        assert!((b.distance(0.0) - 1000f64.ln()).abs() < 1e-12);
        assert!(b.distance(f64::NAN).is_infinite());
        assert!(Band::new(0.0, 1.0).is_err());
        assert!(Band::new(2.0, 1.0).is_err());
        assert!(Band::new(1.0, f64::INFINITY).is_err());
    }

    #[test]
    fn an_episode_list_reads_and_groups_rows() {
        let e = parse(
            "a.toml,x,2021-10-05,A,peak_trucks,\"\"\"hundreds\"\"\",s,100,1000,the word\n\
             a.toml,x,2021-10-05,A,backlog_trucks,–,–,,,nothing reported\n\
             b.toml,y,2022-01-02,B,halted_musd_per_day,4.3m,t,2.6,6.0,± 40%\n",
        )
        .unwrap();
        assert_eq!(e.episodes.len(), 2);
        let a = &e.episodes[0];
        assert_eq!(a.path, Path::new("h/a.toml"));
        assert_eq!(a.stem(), "a");
        assert_eq!(a.figures.len(), 2);
        assert_eq!(a.figures[0].reported, "\"hundreds\"");
        assert_eq!(a.figures[0].line, 2);
        assert_eq!(a.banded().count(), 1);
        let sim = Simulated {
            peak_trucks: 2000.0,
            backlog_trucks: 0.0,
            halted_musd_per_day: 0.0,
            normal_trucks_per_day: 0.0,
        };
        assert!((a.distance(&sim) - 2f64.ln()).abs() < 1e-12);
        assert_eq!(e.get("b").unwrap().start.to_string(), "2022-01-02");
    }

    #[test]
    fn bad_rows_name_the_line_and_column() {
        let msg = |rows: &str| parse(rows).unwrap_err().to_string();
        let m = msg("a.toml,x,2021-10-05,A,peak,r,s,1,2,b\n");
        assert!(
            m.contains("h/episodes.csv:2 (column figure)") && m.contains("peak_trucks"),
            "{m}"
        );
        let m = msg("a.toml,x,2021-10-05,A,peak_trucks,r,s,lots,2,b\n");
        assert!(m.contains(":2 (column band_low)"), "{m}");
        let m = msg("a.toml,x,2021-10-05,A,peak_trucks,r,s,5,2,b\n");
        assert!(
            m.contains(":2 (column band_low)") && m.contains("low <= high"),
            "{m}"
        );
        let m = msg("a.toml,x,2021-10-05,A,peak_trucks,r,s,5,,b\n");
        assert!(m.contains("both"), "{m}");
        let m = msg("a.toml,x,2021-13-05,A,peak_trucks,r,s,,,b\n");
        assert!(m.contains(":2 (column start)"), "{m}");
        let m = msg("a.toml,x,2021-10-05,A,peak_trucks,r,s,,,b\n\
             a.toml,y,2021-10-05,A,backlog_trucks,r,s,,,b\n");
        assert!(
            m.contains(":3 (column corridor)") && m.contains("line 2"),
            "{m}"
        );
        let m = msg("a.toml,x,2021-10-05,A,peak_trucks,r,s,,,b\n\
             a.toml,x,2021-10-05,A,peak_trucks,r,s,,,b\n");
        assert!(m.contains(":3 (column figure)"), "{m}");
        let m = msg("");
        assert!(m.contains("no episodes"), "{m}");
        let m = Episodes::parse("replay,corridor\n", Path::new("e.csv"))
            .unwrap_err()
            .to_string();
        assert!(m.contains("e.csv:1") && m.contains("band_basis"), "{m}");
    }
}
