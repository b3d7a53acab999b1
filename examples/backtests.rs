//! Backtests of the Afghanistan scenario: replay every recorded 2021-2024 closure episode
//! (`scenarios/afghanistan/history/*.toml`) and compare the simulated figures with the
//! reported ones, against the bands of `docs/validation.md` §3.
//!
//! `cargo run --example backtests`
//!
//! The episodes, the reported figures, their sources and their bands are data:
//! `scenarios/afghanistan/history/episodes.csv`, read by the library
//! (`chokepoint::calibrate::episodes`, which also measures the figures, for this example,
//! the tests and `chokepoint fit` alike). The tables between the `backtest-bands` markers
//! in `docs/validation.md` repeat each band beside the simulated value and the verdict:
//! this file parses them, fails when a band there differs from the list's, and the
//! integration tests include this file (`#[path]`) and fail when a figure leaves its band
//! or drifts more than 25% from the simulated value the doc states.
//!
//! Figures, per episode (the episode's own closure of its corridor):
//! - `peak_trucks`: most loaded trucks queued at the corridor's crossings at the end of
//!   any closed day of the episode;
//! - `backlog_trucks`: trucks queued at the corridor's crossings at the end of the last
//!   closed day (the day before reopening): the queue the crossing reopens to;
//! - `halted_musd_per_day`: value of trade halted at the corridor's crossings on the days a
//!   closure held them below capacity, divided by those days, USD million per day
//!   (`halted_while_closed_usd / closed_days`: the comparable of the news' "daily losses").

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use chokepoint::calibrate::episodes::{Episode, Episodes, Figure, Simulated};
use chokepoint::scenario::Traders;
use chokepoint::Scenario;

/// The figures compared, as named in the doc's bands table.
pub const FIGURES: &[&str] = &["peak_trucks", "backlog_trucks", "halted_musd_per_day"];

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every replayed episode, as `scenarios/afghanistan/history/episodes.csv` lists them
/// (the library reads the list and measures the figures: `chokepoint::calibrate::episodes`).
pub fn episodes() -> Result<Vec<Episode>, String> {
    Episodes::load(root().join("scenarios/afghanistan/history"))
        .map(|e| e.episodes)
        .map_err(|e| e.to_string())
}

/// Replay an (already loaded, possibly modified) episode scenario and read its figures.
pub fn simulate(s: &Scenario, e: &Episode) -> Result<Simulated, String> {
    e.simulate(s).map_err(|err| format!("{}: {err}", e.stem()))
}

/// A simulated figure by its doc name.
pub fn figure(s: &Simulated, name: &str) -> Option<f64> {
    Figure::parse(name).map(|f| s.get(f))
}

/// How the traders of a replay meet a closure: docs/validation.md §3 has a bands table
/// for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// `traders = "myopic"`.
    Myopic,
    /// `traders = "weigh"`, every trader holding the link's belief (`belief_spread = 0`).
    Weigh,
    /// `traders = "weigh"` with traders who differ: `belief_spread` = [`SPREAD`] in
    /// [`CLASSES`] classes.
    Differ,
}

/// The spread of traders' beliefs of [`Setting::Differ`]: the pooled standard deviation
/// of the log durations of each corridor's closures in the 2021–2024 log (D; that
/// traders' beliefs spread as the closures they have seen is E). docs/validation.md §3,
/// "Traders who differ".
pub const SPREAD: f64 = 0.96;
/// The classes of traders of [`Setting::Differ`].
pub const CLASSES: u32 = 5;

impl Setting {
    /// Set the traders of `s` to this setting.
    pub fn apply(self, s: &mut Scenario) {
        let (traders, spread) = match self {
            Setting::Myopic => (Traders::Myopic, 0.0),
            Setting::Weigh => (Traders::Weigh, 0.0),
            Setting::Differ => (Traders::Weigh, SPREAD),
        };
        s.settings.traders = traders;
        s.settings.belief_spread = spread;
        s.settings.trader_classes = CLASSES;
    }
}

/// Load and replay one episode, with its traders set to `setting`.
pub fn run_episode(e: &Episode, setting: Setting) -> Result<Simulated, String> {
    let mut s = e
        .load()
        .map_err(|err| format!("{}: {err}", e.path.display()))?;
    setting.apply(&mut s);
    simulate(&s, e)
}

/// What the doc says an episode's figure is.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Within its band.
    InBand,
    /// Outside its band: a known miss, explained in the doc.
    Miss,
    /// Reported, but not comparable with what the model counts (no band).
    NotComparable,
    /// Nothing reported (no band): the simulated value is recorded only.
    NoFigure,
}

impl Verdict {
    fn parse(s: &str) -> Option<Verdict> {
        match s.trim().trim_matches('*').to_lowercase().as_str() {
            "in band" => Some(Verdict::InBand),
            "miss" => Some(Verdict::Miss),
            "not comparable" => Some(Verdict::NotComparable),
            "no figure" => Some(Verdict::NoFigure),
            _ => None,
        }
    }

    /// The word used in the doc.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::InBand => "in band",
            Verdict::Miss => "miss",
            Verdict::NotComparable => "not comparable",
            Verdict::NoFigure => "no figure",
        }
    }
}

/// One row of the doc's bands table.
#[derive(Debug, Clone, PartialEq)]
pub struct BandRow {
    /// 1-based line in docs/validation.md.
    pub line: usize,
    /// History file stem.
    pub episode: String,
    /// Figure name (one of [`FIGURES`]).
    pub figure: String,
    /// Reported figure, as text.
    pub reported: String,
    /// Source of the reported figure.
    pub source: String,
    /// The band, when there is one.
    pub band: Option<(f64, f64)>,
    /// The simulated value the doc states.
    pub simulated: f64,
    /// The doc's verdict.
    pub verdict: Verdict,
}

/// Marker lines around the bands table in docs/validation.md.
pub const BEGIN: &str = "<!-- backtest-bands: begin -->";
/// See [`BEGIN`].
pub const END: &str = "<!-- backtest-bands: end -->";
/// The markers of the table of the same figures with weighing traders.
pub const BEGIN_WEIGH: &str = "<!-- backtest-bands-weigh: begin -->";
/// See [`BEGIN_WEIGH`].
pub const END_WEIGH: &str = "<!-- backtest-bands-weigh: end -->";

/// The markers of the table of the same figures with traders who differ.
pub const BEGIN_DIFFER: &str = "<!-- backtest-bands-differ: begin -->";
/// See [`BEGIN_DIFFER`].
pub const END_DIFFER: &str = "<!-- backtest-bands-differ: end -->";

/// The markers of the bands table for `setting`.
pub fn markers(setting: Setting) -> (&'static str, &'static str) {
    match setting {
        Setting::Myopic => (BEGIN, END),
        Setting::Weigh => (BEGIN_WEIGH, END_WEIGH),
        Setting::Differ => (BEGIN_DIFFER, END_DIFFER),
    }
}

fn number(s: &str) -> Option<f64> {
    let t: String = s.chars().filter(|c| *c != ',' && *c != ' ').collect();
    t.parse().ok()
}

/// Parse the bands table for myopic traders out of the text of docs/validation.md.
pub fn parse_bands(doc: &str) -> Result<Vec<BandRow>, String> {
    parse_bands_for(doc, Setting::Myopic)
}

/// Parse the bands table for `setting` out of the text of docs/validation.md.
pub fn parse_bands_for(doc: &str, setting: Setting) -> Result<Vec<BandRow>, String> {
    let (begin, end) = markers(setting);
    let lines: Vec<&str> = doc.lines().collect();
    let b = lines
        .iter()
        .position(|l| l.trim() == begin)
        .ok_or_else(|| format!("docs/validation.md: no `{begin}` marker"))?;
    let e = lines
        .iter()
        .position(|l| l.trim() == end)
        .ok_or_else(|| format!("docs/validation.md: no `{end}` marker"))?;
    let mut rows = Vec::new();
    for (i, l) in lines.iter().enumerate().take(e).skip(b + 1) {
        let line = i + 1;
        let l = l.trim();
        if !l.starts_with('|') || l.starts_with("|---") || l.starts_with("| Episode") {
            continue;
        }
        let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
        if cells.len() < 7 {
            return Err(format!(
                "docs/validation.md:{line}: expected at least 7 cells"
            ));
        }
        let episode = cells[0].trim_matches('`').to_string();
        let figure = cells[1].trim_matches('`').to_string();
        if !FIGURES.contains(&figure.as_str()) {
            return Err(format!(
                "docs/validation.md:{line}: figure `{figure}` is not one of {FIGURES:?}"
            ));
        }
        let band = if matches!(cells[4], "–" | "-" | "") {
            None
        } else {
            let (lo, hi) = cells[4]
                .split_once('–')
                .or_else(|| cells[4].split_once(" - "))
                .ok_or_else(|| {
                    format!(
                        "docs/validation.md:{line}: band `{}` is not LOW–HIGH",
                        cells[4]
                    )
                })?;
            match (number(lo), number(hi)) {
                (Some(lo), Some(hi)) if lo <= hi => Some((lo, hi)),
                _ => {
                    return Err(format!(
                        "docs/validation.md:{line}: band `{}` is not two numbers LOW–HIGH",
                        cells[4]
                    ))
                }
            }
        };
        let simulated = number(cells[5]).ok_or_else(|| {
            format!(
                "docs/validation.md:{line}: simulated `{}` is not a number",
                cells[5]
            )
        })?;
        let verdict = Verdict::parse(cells[6]).ok_or_else(|| {
            format!(
                "docs/validation.md:{line}: verdict `{}` is not one of: in band, miss, not comparable, no figure",
                cells[6]
            )
        })?;
        if matches!(verdict, Verdict::InBand | Verdict::Miss) != band.is_some() {
            return Err(format!(
                "docs/validation.md:{line}: verdict `{}` needs a band exactly when it is `in band` or `miss`",
                cells[6]
            ));
        }
        rows.push(BandRow {
            line,
            episode,
            figure,
            reported: cells[2].to_string(),
            source: cells[3].to_string(),
            band,
            simulated,
            verdict,
        });
    }
    Ok(rows)
}

/// Read and parse the bands table for `setting` of docs/validation.md.
pub fn read_bands(setting: Setting) -> Result<Vec<BandRow>, String> {
    let path = root().join("docs/validation.md");
    let doc = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_bands_for(&doc, setting)
}

/// How far a simulated figure may drift from the value the doc states.
pub const DRIFT: f64 = 0.25;

/// Check one simulated figure against its doc row: `None` if it agrees, else why not.
pub fn check(row: &BandRow, sim: f64) -> Option<String> {
    let at = format!(
        "docs/validation.md:{} {} {}",
        row.line, row.episode, row.figure
    );
    let inside = row.band.map(|(lo, hi)| sim >= lo && sim <= hi);
    match (&row.verdict, inside) {
        (Verdict::InBand, Some(false)) => {
            let (lo, hi) = row.band.unwrap_or_default();
            return Some(format!(
                "{at}: simulated {sim:.2} left its band {lo}–{hi} (the doc says in band)"
            ));
        }
        (Verdict::Miss, Some(true)) => {
            return Some(format!(
                "{at}: simulated {sim:.2} is now inside its band: the doc's `miss` is stale"
            ));
        }
        _ => {}
    }
    let tol = DRIFT * row.simulated.abs();
    if (sim - row.simulated).abs() > tol.max(0.5) {
        return Some(format!(
            "{at}: simulated {sim:.2} is more than {:.0}% from the {} the doc states",
            DRIFT * 100.0,
            row.simulated
        ));
    }
    None
}

/// `None` when a doc row's band is the episode list's band for that figure, else why not.
pub fn band_differs(e: &Episode, row: &BandRow) -> Option<String> {
    let listed = e
        .figures
        .iter()
        .find(|r| r.figure.name() == row.figure)
        .and_then(|r| r.band)
        .map(|b| (b.low, b.high));
    (listed != row.band).then(|| {
        format!(
            "docs/validation.md:{} {} {}: the band is {:?}, the episode list \
             (scenarios/afghanistan/history/episodes.csv) says {listed:?}",
            row.line, row.episode, row.figure, row.band
        )
    })
}

/// The verdict a simulated figure earns against a row's band.
pub fn verdict_of(row: &BandRow, sim: f64) -> Verdict {
    match row.band {
        Some((lo, hi)) if sim >= lo && sim <= hi => Verdict::InBand,
        Some(_) => Verdict::Miss,
        None => row.verdict.clone(),
    }
}

/// Replay every episode with `setting`: figures by file stem.
pub fn run_all(setting: Setting) -> Result<BTreeMap<String, Simulated>, String> {
    episodes()?
        .iter()
        .map(|e| run_episode(e, setting).map(|s| (e.stem(), s)))
        .collect()
}

fn fmt_figure(figure: &str, v: f64) -> String {
    if figure == "halted_musd_per_day" {
        format!("{v:.2}")
    } else {
        format!("{v:.0}")
    }
}

#[allow(dead_code)] // unused where the test includes this file
fn main() -> Result<(), String> {
    // Myopic traders, weighing traders, and traders who differ: a table each.
    let mut problems = Vec::new();
    for setting in [Setting::Myopic, Setting::Weigh, Setting::Differ] {
        println!(
            "== traders: {setting:?} (docs/validation.md `{}`)\n",
            markers(setting).0
        );
        if let Err(e) = backtests(setting) {
            problems.push(e);
        }
        println!();
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// Replay every episode with `setting` and check the figures against their table.
#[allow(dead_code)] // unused where the test includes this file
fn backtests(setting: Setting) -> Result<(), String> {
    let sims = run_all(setting)?;
    println!(
        "{:<24} {:>9} {:>9} {:>10} {:>12}",
        "episode", "normal/d", "peak", "backlog", "halted/d $m"
    );
    let list = episodes()?;
    for e in &list {
        let s = &sims[&e.stem()];
        println!(
            "{:<24} {:>9.0} {:>9.0} {:>10.0} {:>12.2}",
            e.name, s.normal_trucks_per_day, s.peak_trucks, s.backlog_trucks, s.halted_musd_per_day
        );
    }
    println!();
    let bands = read_bands(setting)?;
    println!(
        "{:<16} {:<20} {:>10} {:>14}  {:<15} {:<40} source",
        "episode", "figure", "simulated", "band", "verdict", "reported"
    );
    let mut problems = Vec::new();
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    for row in &bands {
        let Some(e) = list.iter().find(|e| e.stem() == row.episode) else {
            problems.push(format!(
                "docs/validation.md:{}: unknown episode {}",
                row.line, row.episode
            ));
            continue;
        };
        let Some(sim) = figure(&sims[&e.stem()], &row.figure) else {
            continue;
        };
        if let Some(p) = band_differs(e, row) {
            problems.push(p);
        }
        let band = row
            .band
            .map(|(lo, hi)| {
                format!(
                    "{}–{}",
                    fmt_figure(&row.figure, lo),
                    fmt_figure(&row.figure, hi)
                )
            })
            .unwrap_or_else(|| "–".into());
        println!(
            "{:<16} {:<20} {:>10} {:>14}  {:<15} {:<40} {}",
            row.episode,
            row.figure,
            fmt_figure(&row.figure, sim),
            band,
            verdict_of(row, sim).word(),
            row.reported,
            row.source
        );
        let verdict = verdict_of(row, sim);
        if verdict != row.verdict {
            problems.push(format!(
                "docs/validation.md:{} {} {}: the verdict against the band is `{}`, the doc says `{}`",
                row.line,
                row.episode,
                row.figure,
                verdict.word(),
                row.verdict.word()
            ));
        }
        *counts.entry(verdict.word()).or_default() += 1;
        if let Some(p) = check(row, sim) {
            problems.push(p);
        }
    }
    let tally: Vec<String> = counts.iter().map(|(w, n)| format!("{n} {w}")).collect();
    println!("\nverdicts against the bands: {}", tally.join(", "));
    if problems.is_empty() {
        println!(
            "every verdict is the one docs/validation.md records (its misses are explained \
             there), and no figure drifted more than {:.0}% from the value it states",
            DRIFT * 100.0
        );
        Ok(())
    } else {
        Err(format!(
            "disagreements with docs/validation.md:\n{}",
            problems.join("\n")
        ))
    }
}
