//! Stage two of loading: read the files (TOML and the CSV tables it names), build the raw
//! records ([`super::raw`]), resolve every reference, check the scenario as a whole
//! ([`super::check`]) and build the validated [`Scenario`].

use std::collections::HashMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::check::{self, View};
use super::raw::{self, did_you_mean, Diags, End, Item, Loc, RawLink, RawNode, Sp, Start};
use super::tree::{self, Node, V};
use super::uncertain;
use super::{Scenario, Settings};
use crate::closure::{
    ClosureProcess, ClosureWindow, RegimeChain, RegimeState, ShockGroup, Target, MAX_SEASONAL_DAYS,
};
use crate::error::{Diagnostic, DiagnosticKind as K, Error, ScenarioErrors};
use crate::network::{
    Corridor, CorridorId, Demand, Link, LinkId, Node as NetNode, NodeId, Product, ProductId, Supply,
};

/// Load and validate a scenario file (and the CSV tables it names). Warnings are dropped;
/// use [`load_with_warnings`] to see them.
///
/// ```
/// let s = chokepoint::scenario::load("scenarios/twoland.toml")?;
/// assert!(!s.nodes.is_empty());
/// # Ok::<(), chokepoint::Error>(())
/// ```
pub fn load(path: impl AsRef<Path>) -> Result<Scenario, Error> {
    load_with_warnings(path).map(|(s, _)| s)
}

/// Load and validate a scenario file, returning its warnings too (e.g. demand that no
/// supply can reach). On failure the error lists every problem found, in file order.
pub fn load_with_warnings(path: impl AsRef<Path>) -> Result<(Scenario, Vec<Diagnostic>), Error> {
    let path = path.as_ref();
    let text = read_text(path)?;
    from_toml_str(&text, path)
}

/// Load a scenario from TOML text. CSV tables are read relative to `path`'s folder, and
/// `path` names the file in messages and in [`Scenario::source`].
///
/// ```
/// use std::path::Path;
/// let text = r#"[scenario]
/// name = "inline"
/// [[node]]
/// id = "a"
/// country = "X"
/// [[node]]
/// id = "b"
/// country = "Y"
/// [[link]]
/// id = "ab"
/// from = "a"
/// to = "b"
/// mode = "road"
/// capacity_t_per_day = 100.0
/// cost_usd_per_t = 2.0
/// transit_days = 1.0
/// [[product]]
/// id = "p"
/// value_usd_per_t = 10.0
/// [[supply]]
/// product = "p"
/// node = "a"
/// t_per_day = 5.0
/// [[demand]]
/// product = "p"
/// node = "b"
/// t_per_day = 5.0
/// "#;
/// let (s, warnings) = chokepoint::scenario::from_toml_str(text, Path::new("inline.toml"))?;
/// assert_eq!(s.links.len(), 1);
/// assert!(warnings.is_empty());
///
/// // Every problem comes back at once, each with its line and a hint.
/// let bad = text.replace(r#"to = "b""#, r#"to = "bb""#).replace("2.0", "-2.0");
/// let err = chokepoint::scenario::from_toml_str(&bad, Path::new("inline.toml")).unwrap_err();
/// let shown = err.to_string();
/// assert!(shown.contains("inline.toml:12: error: unknown node `bb`"), "{shown}");
/// assert!(shown.contains("inline.toml:15: error: `cost_usd_per_t` = -2"), "{shown}");
/// # Ok::<(), chokepoint::Error>(())
/// ```
pub fn from_toml_str(text: &str, path: &Path) -> Result<(Scenario, Vec<Diagnostic>), Error> {
    let mut hasher = Sha256::new();
    hasher.update(text.as_bytes());
    let (root, mut d) = parse_root(text, Diags::new(path.to_path_buf()), "file format")?;
    let built = build(&root, path, &mut d, &mut hasher);
    match built {
        Some(mut s) if !d.has_errors() => {
            s.source = Some(path.to_path_buf());
            s.checksum = hex(&hasher.finalize());
            Ok((s, d.sorted()))
        }
        _ => Err(fail(d)),
    }
}

/// The error for a collector that holds at least one error.
/// Parse a file's TOML into a tree with lines; a syntax error becomes the file's one
/// diagnostic (`what` names the format in the hint, e.g. "option file format").
pub(crate) fn parse_root(text: &str, mut d: Diags, what: &str) -> Result<(Node, Diags), Error> {
    match tree::parse_toml(text, 0) {
        Ok(root) => Ok((root, d)),
        Err((line, msg)) => {
            d.err(
                K::Syntax,
                Loc { file: 0, line },
                format!("invalid TOML: {msg}"),
                Some(format!("see docs/scenario-reference.md for the {what}")),
            );
            Err(fail(d))
        }
    }
}

pub(crate) fn fail(d: Diags) -> Error {
    Error::Scenario(ScenarioErrors {
        diagnostics: d.sorted(),
    })
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Read a file as UTF-8 text; failures become a one-diagnostic scenario error naming
/// the file (line 0, so the CLI prints `file: error: ...`).
pub(crate) fn read_text(path: &Path) -> Result<String, Error> {
    let bytes = read_bytes(path)?;
    match String::from_utf8(bytes) {
        Ok(t) => Ok(t),
        Err(e) => {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            let mut d = Diags::new(path.to_path_buf());
            d.err(
                K::Syntax,
                Loc { file: 0, line },
                "the file is not UTF-8 text".into(),
                Some("save it as UTF-8 (a scenario is a TOML text file)".into()),
            );
            Err(fail(d))
        }
    }
}

/// Read a file's bytes; failures become a one-diagnostic scenario error.
pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| {
        let mut d = Diags::new(path.to_path_buf());
        d.err(
            K::Io,
            Loc { file: 0, line: 0 },
            format!("cannot read the file: {e}"),
            None,
        );
        fail(d)
    })
}

/// Whether `text` is an option file (its top level has an `[option]` table). Text that
/// is not TOML is not an option file.
pub fn looks_like_option(text: &str) -> bool {
    toml::from_str::<toml::Table>(text).is_ok_and(|t| t.contains_key("option"))
}

// ---------------------------------------------------------------------------------------

/// Everything read from the files, not yet resolved.
#[derive(Default)]
struct Raws {
    nodes: Vec<RawNode>,
    links: Vec<RawLink>,
    corridors: Vec<raw::RawCorridor>,
    products: Vec<raw::RawProduct>,
    supplies: Vec<raw::RawPoint>,
    demands: Vec<raw::RawPoint>,
    trade_levels: Vec<raw::RawTradeLevel>,
    closures: Vec<raw::RawClosure>,
    processes: Vec<raw::RawProcess>,
    shocks: Vec<raw::RawProcess>,
    regimes: Option<raw::RawRegimes>,
}

/// Read every table, resolve, check; `None` when something required is missing.
fn build(root: &Node, path: &Path, d: &mut Diags, hasher: &mut Sha256) -> Option<Scenario> {
    let top = Item::new(root, "the scenario file".into(), raw::TOP_KEYS, d)?;
    if top.has("option") {
        d.err(
            K::Inconsistent,
            top.get("option").map_or(top.loc, Node::loc),
            "this is an option file ([option]), not a scenario".into(),
            Some("load it with scenario::load_option (the CLI does this by itself)".into()),
        );
        return None;
    }
    let settings = match top.sub("scenario", raw::SETTINGS_KEYS, d) {
        Some(it) => {
            let it = it.renamed("[scenario]");
            raw::settings(&it, d)
        }
        None => {
            if !top.has("scenario") {
                top.missing("scenario", d, "add a [scenario] table with at least `name`");
            }
            raw::RawSettings {
                settings: Settings::named(""),
                loc: Loc { file: 0, line: 1 },
            }
        }
    };

    // CSV tables, read into the same tree form as TOML rows.
    let mut csv_rows: HashMap<&'static str, Vec<Node>> = HashMap::new();
    if let Some(tables) = top.sub("tables", raw::TABLES_KEYS, d) {
        let tables = tables.renamed("[tables]");
        for &kind in raw::TABLES_KEYS {
            let Some(rel) = tables.text(kind, false, d) else {
                continue;
            };
            let csv_path = path.parent().unwrap_or(Path::new("")).join(&rel.v);
            match std::fs::read(&csv_path) {
                Ok(bytes) => {
                    hasher.update(&bytes);
                    d.files.push(csv_path);
                    let file = d.files.len() - 1;
                    let rows = csv_table(&bytes, kind, file, d);
                    csv_rows.insert(kind, rows);
                }
                Err(e) => d.err(
                    K::Io,
                    rel.loc,
                    format!("cannot read the {kind} table {}: {e}", csv_path.display()),
                    Some("paths in [tables] are relative to the scenario file".into()),
                ),
            }
        }
    }

    let mut r = Raws::default();
    let each = |key: &'static str,
                allowed: &[&str],
                d: &mut Diags,
                f: &mut dyn FnMut(&Item<'_>, &mut Diags)| {
        raw::for_each_element(&top, key, allowed, d, |it, d| f(it, d));
        if let Some(rows) = csv_rows.get(key) {
            for row in rows {
                let what = format!("{key} row");
                if let Some(it) = Item::new(row, what, allowed, d) {
                    f(&it, d);
                }
            }
        }
    };
    each("node", raw::NODE_KEYS, d, &mut |it, d| {
        r.nodes.push(raw::node(it, d))
    });
    each("link", raw::LINK_KEYS, d, &mut |it, d| {
        r.links.push(raw::link(it, false, d))
    });
    each("corridor", raw::CORRIDOR_KEYS, d, &mut |it, d| {
        r.corridors.push(raw::corridor(it, d))
    });
    each("product", raw::PRODUCT_KEYS, d, &mut |it, d| {
        r.products.push(raw::product(it, d))
    });
    each("supply", raw::SUPPLY_KEYS, d, &mut |it, d| {
        r.supplies.push(raw::point(it, false, d))
    });
    each("demand", raw::DEMAND_KEYS, d, &mut |it, d| {
        r.demands.push(raw::point(it, true, d))
    });
    each("trade_level", raw::TRADE_LEVEL_KEYS, d, &mut |it, d| {
        r.trade_levels.push(raw::trade_level(it, d))
    });
    each("closure", raw::CLOSURE_KEYS, d, &mut |it, d| {
        r.closures.push(raw::closure(it, d))
    });
    each("process", raw::PROCESS_KEYS, d, &mut |it, d| {
        r.processes.push(raw::process(it, false, d))
    });
    each("shock", raw::SHOCK_KEYS, d, &mut |it, d| {
        r.shocks.push(raw::process(it, true, d))
    });
    if let Some(it) = top.sub("regimes", raw::REGIMES_KEYS, d) {
        let it = it.renamed("[regimes]");
        r.regimes = Some(raw::regimes(&it, d));
    }
    // The uncertain tables' problems are collected apart, so that the scenario's own
    // checks run whatever they hold, and theirs run on the resolved scenario.
    let mut du = Diags::new(path.to_path_buf());
    let unc = uncertain::read_all(&top, &mut du);

    let s = resolve(r, settings, d);
    let s = s.map(|mut s| {
        let dir = path.parent().unwrap_or(Path::new(""));
        s.uncertain = uncertain::resolve(&unc, &s, None, dir, &[], hasher, &mut du);
        s
    });
    d.append(du);
    s
}

/// Read one CSV table into rows of cells (TOML keys), reporting bad columns and syntax.
fn csv_table(bytes: &[u8], kind: &str, file: usize, d: &mut Diags) -> Vec<Node> {
    let at = |line: usize| Loc { file, line };
    let mut allowed: Vec<&str> = match kind {
        "node" => raw::NODE_KEYS.to_vec(),
        "link" => raw::LINK_KEYS.to_vec(),
        "product" => raw::PRODUCT_KEYS.to_vec(),
        "supply" => raw::SUPPLY_KEYS.to_vec(),
        "demand" => raw::DEMAND_KEYS.to_vec(),
        _ => raw::CLOSURE_KEYS.to_vec(),
    };
    // Nested values are flat columns in CSV.
    allowed.retain(|k| *k != "charges" && *k != "perishability");
    if kind == "link" {
        allowed.extend(raw::CSV_LINK_EXTRA);
    }
    if kind == "product" {
        allowed.extend(raw::CSV_PRODUCT_EXTRA);
    }
    // Spreadsheets often save a byte-order mark first.
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(bytes);
    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_string()).collect(),
        Err(e) => {
            d.err(K::Syntax, at(1), format!("invalid CSV header: {e}"), None);
            return Vec::new();
        }
    };
    let mut keep = vec![true; headers.len()];
    for (i, h) in headers.iter().enumerate() {
        if !allowed.contains(&h.as_str()) {
            keep[i] = false;
            let hint = if h.contains(';') || h.contains('\t') {
                "separate the fields with commas (`,`)".to_string()
            } else {
                did_you_mean(h, allowed.iter().copied())
                    .unwrap_or_else(|| format!("allowed columns: {}", allowed.join(", ")))
            };
            d.err(
                K::UnknownKey,
                at(1),
                format!("unknown column `{h}` in the {kind} table"),
                Some(hint),
            );
        } else if headers[..i].contains(h) {
            keep[i] = false;
            d.err(
                K::DuplicateId,
                at(1),
                format!("column `{h}` appears twice in the {kind} table"),
                Some("keep one of them".into()),
            );
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
                        "every row needs {} fields, like the header",
                        headers.len()
                    )),
                );
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line() as usize);
        let cell = |v: V| Node { file, line, v };
        let mut entries: Vec<(String, Node)> = Vec::new();
        let mut charge: Vec<(String, Node)> = Vec::new();
        let mut perish: Vec<(String, Node)> = Vec::new();
        for (i, value) in rec.iter().enumerate() {
            let value = value.trim();
            if value.is_empty() || !keep.get(i).copied().unwrap_or(false) {
                continue;
            }
            let key = headers[i].as_str();
            let v = V::Cell(value.to_string());
            match key {
                "seasonality" => {
                    let parts = value
                        .split(';')
                        .map(|p| cell(V::Cell(p.trim().to_string())));
                    entries.push((key.into(), cell(V::Array(parts.collect()))));
                }
                "charge_country" | "charge_usd_per_t" | "charge_direction" => {
                    charge.push((key["charge_".len()..].to_string(), cell(v)));
                }
                "grace_days" | "loss_per_day" | "shelf_life_days" => {
                    perish.push((key.into(), cell(v)));
                }
                _ => entries.push((key.into(), cell(v))),
            }
        }
        if !charge.is_empty() {
            let t = cell(V::Table(charge));
            entries.push(("charges".into(), cell(V::Array(vec![t]))));
        }
        if !perish.is_empty() {
            entries.push(("perishability".into(), cell(V::Table(perish))));
        }
        rows.push(cell(V::Table(entries)));
    }
    rows
}

/// Ids of one kind: index by id, with where each was defined. Reports duplicates.
pub(crate) struct Ids {
    kind: &'static str,
    map: HashMap<String, (usize, Loc)>,
    pub order: Vec<String>,
}

impl Ids {
    pub(crate) fn new(kind: &'static str) -> Self {
        Ids {
            kind,
            map: HashMap::new(),
            order: Vec::new(),
        }
    }

    /// Register `id` for item `index`; a duplicate is reported.
    pub(crate) fn add(&mut self, id: &Sp<String>, index: usize, d: &mut Diags) {
        if let Some((_, first)) = self.map.get(&id.v) {
            let file = d.files.get(first.file).cloned().unwrap_or_default();
            d.err(
                K::DuplicateId,
                id.loc,
                format!("duplicate {} id `{}`", self.kind, id.v),
                Some(format!(
                    "it is already defined at {}:{}; ids must be unique",
                    file.display(),
                    first.line
                )),
            );
        } else {
            self.map.insert(id.v.clone(), (index, id.loc));
            self.order.push(id.v.clone());
        }
    }

    /// The index of `id`.
    pub(crate) fn get(&self, id: &str) -> Option<usize> {
        self.map.get(id).map(|(i, _)| *i)
    }

    /// Resolve a reference, reporting an unknown one (in `what`, e.g. "`from` of link 3").
    pub(crate) fn resolve(&self, r: &Sp<String>, what: &str, d: &mut Diags) -> Option<usize> {
        if let Some(i) = self.get(&r.v) {
            return Some(i);
        }
        let hint = did_you_mean(&r.v, self.order.iter().map(String::as_str)).or_else(|| {
            Some(match self.order.len() {
                0 => format!("there are no {}s", self.kind),
                1..=8 => format!("known {}s: {}", self.kind, self.order.join(", ")),
                _ => format!("no {} has a similar id", self.kind),
            })
        });
        d.err(
            K::UnknownReference,
            r.loc,
            format!("unknown {} `{}` in {what}", self.kind, r.v),
            hint,
        );
        None
    }
}

/// Resolve a closure target: a corridor id, else a link id.
pub(crate) fn resolve_target(
    r: &Sp<String>,
    what: &str,
    corridors: &Ids,
    links: &Ids,
    d: &mut Diags,
) -> Option<Target> {
    if let Some(c) = corridors.get(&r.v) {
        return Some(Target::Corridor(CorridorId(c as u32)));
    }
    if let Some(l) = links.get(&r.v) {
        return Some(Target::Link(LinkId(l as u32)));
    }
    let all = corridors
        .order
        .iter()
        .chain(links.order.iter())
        .map(String::as_str);
    d.err(
        K::UnknownReference,
        r.loc,
        format!("unknown corridor or link `{}` in {what}", r.v),
        did_you_mean(&r.v, all),
    );
    None
}

/// Resolve a `[[closure]]` (`what` names it in messages) against the scenario's start.
pub(crate) fn resolve_closure(
    c: &raw::RawClosure,
    what: &str,
    s: &Settings,
    corridor_ids: &Ids,
    link_ids: &Ids,
    d: &mut Diags,
) -> Option<ClosureWindow> {
    let target = c
        .target
        .as_ref()
        .and_then(|t| resolve_target(t, what, corridor_ids, link_ids, d));
    let start = c.start.map(|x| start_day(x, s));
    let duration = match (start, c.end) {
        (_, Some(End::Days(n))) => Some(n),
        (Some(st), Some(End::Date(end))) => {
            let end_day = (end.v - s.start).num_days();
            if end_day <= st {
                d.err(
                    K::EndsBeforeStart,
                    end.loc,
                    format!(
                        "{what} ends on {} (day {end_day}), not after it starts (day {st})",
                        end.v
                    ),
                    Some("`end` is the first open day and must come after the start; or give `duration_days`".into()),
                );
                None
            } else {
                u32::try_from(end_day - st).ok()
            }
        }
        _ => None,
    };
    if let Some(n) = duration.filter(|&n| c.seasonal && n + c.ramp_days > MAX_SEASONAL_DAYS) {
        d.err(
            K::OutOfRange,
            c.loc,
            format!(
                "{what} is seasonal and lasts {n} days with {} of ramp: more than a year",
                c.ramp_days
            ),
            Some(format!(
                "a seasonal closure recurs every year: its duration and ramp add up to at \
                 most {MAX_SEASONAL_DAYS} days"
            )),
        );
        return None;
    }
    Some(ClosureWindow {
        target: target?,
        start_day: start?,
        duration_days: duration?,
        capacity_factor: c.capacity_factor,
        ramp_days: c.ramp_days,
        label: c.label.clone(),
        expected_closure_days: c.expected_closure_days,
    })
}

/// Process ids seen so far (a process's id is its target's id unless it gives one),
/// reporting duplicates with a hint that fits how the id came about.
#[derive(Default)]
pub(crate) struct ProcessIds {
    seen: HashMap<String, Loc>,
}

impl ProcessIds {
    /// Register an existing process (of a base scenario) by id.
    pub(crate) fn add_known(&mut self, id: &str, loc: Loc) {
        self.seen.insert(id.to_string(), loc);
    }

    /// Register a process read from a file; a duplicate id is reported.
    pub(crate) fn add(&mut self, p: &raw::RawProcess, d: &mut Diags) {
        let (id, explicit) = match (&p.id, p.targets.first()) {
            (Some(id), _) => (id, true),
            (None, Some(t)) => (t, false),
            (None, None) => return,
        };
        if let Some(first) = self.seen.get(&id.v) {
            let file = d.files.get(first.file).cloned().unwrap_or_default();
            let at = if first.line == 0 {
                format!("{}", file.display())
            } else {
                format!("{}:{}", file.display(), first.line)
            };
            let hint = if explicit {
                format!("it is already a process id ({at}); process ids must be unique")
            } else {
                format!(
                    "a process's id is its target unless it has `id = \"...\"`, and `{}` \
                     is already a process id ({at}); give this one an `id` (it names the \
                     process's random stream)",
                    id.v
                )
            };
            d.err(
                K::DuplicateId,
                id.loc,
                format!("duplicate process id `{}`", id.v),
                Some(hint),
            );
        } else {
            self.seen.insert(id.v.clone(), id.loc);
        }
    }
}

/// Resolve a `[[process]]` (`what` names it in messages): its target and its id (the
/// target's id unless it gives one). `None` when something is missing or unknown (already
/// reported).
pub(crate) fn resolve_process(
    p: &raw::RawProcess,
    what: &str,
    corridors: &Ids,
    links: &Ids,
    d: &mut Diags,
) -> Option<ClosureProcess> {
    let target = p
        .targets
        .first()
        .and_then(|t| resolve_target(t, what, corridors, links, d));
    let id = p.id.as_ref().or(p.targets.first())?.v.clone();
    Some(ClosureProcess {
        id,
        target: target?,
        rate_per_year: p.rate_per_year?,
        duration: p.duration.clone()?,
        capacity_factor: p.capacity_factor,
        ramp_days: p.ramp_days,
    })
}

/// Resolve a `[[shock]]`: at least two targets, each known and listed once.
pub(crate) fn resolve_shock(
    p: &raw::RawProcess,
    corridors: &Ids,
    links: &Ids,
    d: &mut Diags,
) -> Option<ShockGroup> {
    let id = p.id.as_ref().map_or(String::new(), |s| s.v.clone());
    let what = format!("shock `{id}`");
    if p.targets.len() < 2 {
        d.err(
            K::Inconsistent,
            p.loc,
            format!(
                "{what} has {} target(s); a shock closes at least two",
                p.targets.len()
            ),
            Some(
                "list two or more corridors or links in `targets`, or use a [[process]] for one"
                    .into(),
            ),
        );
    }
    let mut targets = Vec::new();
    for t in &p.targets {
        if let Some(tt) = resolve_target(t, &what, corridors, links, d) {
            if targets.contains(&tt) {
                d.err(
                    K::Inconsistent,
                    t.loc,
                    format!("{what} lists `{}` twice", t.v),
                    Some("list each target once".into()),
                );
            }
            targets.push(tt);
        }
    }
    Some(ShockGroup {
        id,
        targets,
        rate_per_year: p.rate_per_year?,
        duration: p.duration.clone()?,
        capacity_factor: p.capacity_factor,
        ramp_days: p.ramp_days,
    })
}

/// Day index of a start.
pub(crate) fn start_day(s: Start, settings: &Settings) -> i64 {
    match s {
        Start::Day(d) => d,
        Start::Date(date) => (date - settings.start).num_days(),
    }
}

/// Resolve every reference and build the scenario (`None` if anything failed).
fn resolve(r: Raws, settings: raw::RawSettings, d: &mut Diags) -> Option<Scenario> {
    let s = &settings.settings;
    let mut node_ids = Ids::new("node");
    for (i, n) in r.nodes.iter().enumerate() {
        if let Some(id) = &n.id {
            node_ids.add(id, i, d);
        }
    }
    let mut link_ids = Ids::new("link");
    for (i, l) in r.links.iter().enumerate() {
        if let Some(id) = &l.id {
            link_ids.add(id, i, d);
        }
    }
    let mut corridor_ids = Ids::new("corridor");
    for (i, c) in r.corridors.iter().enumerate() {
        if let Some(id) = &c.id {
            corridor_ids.add(id, i, d);
        }
    }
    let mut product_ids = Ids::new("product");
    for (i, p) in r.products.iter().enumerate() {
        if let Some(id) = &p.id {
            product_ids.add(id, i, d);
        }
    }

    // Nodes.
    let nodes: Vec<NetNode> = r
        .nodes
        .iter()
        .map(|n| {
            let id = n.id.as_ref().map_or(String::new(), |s| s.v.clone());
            NetNode {
                name: n.name.clone().unwrap_or_else(|| id.clone()),
                id,
                country: n.country.clone().unwrap_or_default(),
                kind: n.kind,
                position: n.position,
            }
        })
        .collect();

    // Links.
    let mut links = Vec::with_capacity(r.links.len());
    let mut arcs = Vec::new();
    for l in &r.links {
        let id = l.id.as_ref().map_or("?", |s| s.v.as_str());
        let what_from = format!("`from` of link `{id}`");
        let what_to = format!("`to` of link `{id}`");
        let from = l
            .from
            .as_ref()
            .and_then(|f| node_ids.resolve(f, &what_from, d));
        let to = l.to.as_ref().and_then(|t| node_ids.resolve(t, &what_to, d));
        if let (Some(f), Some(t)) = (from, to) {
            arcs.push((f, t, l.both_ways));
        }
        let (f, t) = (from.unwrap_or(0), to.unwrap_or(0));
        let mode = l.mode.unwrap_or(crate::network::Mode::Road);
        let crossing = l
            .crossing
            .unwrap_or_else(|| match (nodes.get(f), nodes.get(t)) {
                (Some(a), Some(b)) => {
                    crate::network::default_crossing(mode, &a.country, &b.country)
                }
                _ => false,
            });
        links.push(Link {
            id: id.to_string(),
            from: NodeId(f as u32),
            to: NodeId(t as u32),
            both_ways: l.both_ways,
            mode,
            capacity_t_per_day: l.capacity_t_per_day.unwrap_or(0.0),
            cost_usd_per_t: l.cost_usd_per_t.unwrap_or(0.0),
            transit_days: l.transit_days.unwrap_or(0.0),
            charges: l.charges.clone(),
            crossing,
        });
    }

    // Corridors.
    let mut corridors = Vec::new();
    for c in &r.corridors {
        let id = c.id.as_ref().map_or(String::new(), |s| s.v.clone());
        let what = format!("corridor `{id}`");
        if c.expected_closure_days.is_some() && settings.settings.traders.is_myopic() {
            d.warn(
                K::Inconsistent,
                c.id.as_ref().map_or(settings.loc, |s| s.loc),
                format!(
                    "{what} states expected_closure_days, which only traders who weigh \
                     waiting against a detour use"
                ),
                Some("set `traders = \"weigh\"` in [scenario], or drop the belief".into()),
            );
        }
        let mut ls: Vec<LinkId> = Vec::new();
        for l in &c.links {
            if let Some(i) = link_ids.resolve(l, &what, d) {
                let li = LinkId(i as u32);
                if ls.contains(&li) {
                    d.err(
                        K::Inconsistent,
                        l.loc,
                        format!("corridor `{id}` lists link `{}` twice", l.v),
                        Some("list each link once".into()),
                    );
                }
                ls.push(li);
            }
        }
        corridors.push(Corridor {
            name: c.name.clone().unwrap_or_else(|| id.clone()),
            id,
            links: ls,
            reaction_days: c.reaction_days,
            expected_closure_days: c.expected_closure_days,
        });
    }

    // Products.
    let products: Vec<Product> = r
        .products
        .iter()
        .map(|p| {
            let id = p.id.as_ref().map_or(String::new(), |s| s.v.clone());
            Product {
                name: p.name.clone().unwrap_or_else(|| id.clone()),
                id,
                value_usd_per_t: p.value_usd_per_t.unwrap_or(1.0),
                perishability: p.perishability,
                holding_cost_per_day: p.holding_cost_per_day,
                priority: p.priority,
                demand_elasticity: p.demand_elasticity,
            }
        })
        .collect();

    // Supply and demand.
    let mut view = View {
        n_nodes: nodes.len(),
        arcs,
        ..View::default()
    };
    let mut supplies = Vec::new();
    for (i, p) in r.supplies.iter().enumerate() {
        let what = format!("supply {}", i + 1);
        let prod = p
            .product
            .as_ref()
            .and_then(|x| product_ids.resolve(x, &what, d));
        let node = p.node.as_ref().and_then(|x| node_ids.resolve(x, &what, d));
        if let (Some(pr), Some(n)) = (prod, node) {
            view.supplies.push((pr, n));
        }
        view.unresolved_supply |= p.product.is_some() && prod.is_none();
        let pr = prod.unwrap_or(0);
        supplies.push(Supply {
            product: ProductId(pr as u32),
            node: NodeId(node.unwrap_or(0) as u32),
            t_per_day: p.t_per_day.unwrap_or(0.0),
            price_usd_per_t: p
                .usd_per_t
                .or_else(|| products.get(pr).map(|x| x.value_usd_per_t))
                .unwrap_or(0.0),
            seasonality: p.seasonality,
        });
    }
    let mut demands = Vec::new();
    for (i, p) in r.demands.iter().enumerate() {
        let what = format!("demand {}", i + 1);
        let prod = p
            .product
            .as_ref()
            .and_then(|x| product_ids.resolve(x, &what, d));
        let node = p.node.as_ref().and_then(|x| node_ids.resolve(x, &what, d));
        if let (Some(pr), Some(n)) = (prod, node) {
            view.demands.push((pr, n, p.loc));
        }
        view.unresolved_demand |= p.product.is_some() && prod.is_none();
        let pr = prod.unwrap_or(0);
        demands.push(Demand {
            product: ProductId(pr as u32),
            node: NodeId(node.unwrap_or(0) as u32),
            t_per_day: p.t_per_day.unwrap_or(0.0),
            value_usd_per_t: p
                .usd_per_t
                .or_else(|| products.get(pr).map(|x| x.value_usd_per_t))
                .unwrap_or(1.0),
            seasonality: p.seasonality,
        });
    }

    // Trade levels.
    let trade_levels = trade_levels(&r.trade_levels, &nodes, &product_ids, d);

    // Closures.
    let mut closures = Vec::new();
    let mut seasonal = Vec::new();
    for (i, c) in r.closures.iter().enumerate() {
        let what = format!("closure {}", i + 1);
        let w = resolve_closure(c, &what, s, &corridor_ids, &link_ids, d);
        if c.seasonal {
            seasonal.extend(w);
        } else {
            closures.extend(w);
        }
    }

    // Processes and shocks.
    let mut processes = Vec::new();
    let mut process_ids = ProcessIds::default();
    for (i, p) in r.processes.iter().enumerate() {
        let what = format!("process {}", i + 1);
        process_ids.add(p, d);
        processes.extend(resolve_process(p, &what, &corridor_ids, &link_ids, d));
    }
    let mut shocks = Vec::new();
    let mut shock_ids = Ids::new("shock");
    for (i, p) in r.shocks.iter().enumerate() {
        if let Some(id) = &p.id {
            shock_ids.add(id, i, d);
        }
        shocks.extend(resolve_shock(p, &corridor_ids, &link_ids, d));
    }

    // Regimes.
    let regimes = r.regimes.as_ref().and_then(|rg| regime_chain(rg, d));

    // Whole-scenario checks (empty, no supply/demand, reachability).
    view.products = r
        .products
        .iter()
        .map(|p| (p.id.as_ref().map_or(String::new(), |s| s.v.clone()), p.loc))
        .collect();
    view.counts = (r.nodes.len(), r.links.len(), r.products.len());
    view.node_names = nodes.iter().map(|n| n.id.clone()).collect();
    view.empty_loc = settings.loc;
    check::whole(&view, d);

    if d.has_errors() {
        return None;
    }
    Some(Scenario {
        settings: settings.settings,
        nodes,
        links,
        corridors,
        products,
        supplies,
        demands,
        trade_levels,
        closures,
        seasonal,
        processes,
        shocks,
        regimes,
        expansions: Vec::new(),
        source: None,
        checksum: String::new(),
        base: None,
        uncertain: Vec::new(),
    })
}

/// Resolve the `[[trade_level]]`s: a known country (one of the nodes') and product. Two
/// levels that select the same flows (same country, product and side) on a common day
/// multiply there: legal, but more often a slip (e.g. a `to` one day too late), so it is
/// a warning.
fn trade_levels(
    raws: &[raw::RawTradeLevel],
    nodes: &[NetNode],
    product_ids: &Ids,
    d: &mut Diags,
) -> Vec<super::TradeLevel> {
    let mut countries: Vec<&str> = nodes.iter().map(|n| n.country.as_str()).collect();
    countries.sort_unstable();
    countries.dedup();
    let mut out = Vec::new();
    for (i, l) in raws.iter().enumerate() {
        let what = format!("trade_level {}", i + 1);
        if let Some(c) = &l.country {
            if !countries.contains(&c.v.as_str()) {
                let hint = did_you_mean(&c.v, countries.iter().copied()).unwrap_or_else(|| {
                    format!("the nodes' countries are {}", countries.join(", "))
                });
                d.err(
                    K::UnknownReference,
                    c.loc,
                    format!("unknown country `{}` in {what}: no node has it", c.v),
                    Some(hint),
                );
            }
        }
        let product = match &l.product {
            None => None,
            Some(p) => match product_ids.resolve(p, &what, d) {
                Some(k) => Some(ProductId(k as u32)),
                None => continue,
            },
        };
        let Some(factor) = l.factor else { continue };
        out.push((
            i,
            super::TradeLevel {
                from: l.from.map(|x| x.v),
                to: l.to.map(|x| x.v),
                factor,
                country: l.country.as_ref().map(|c| c.v.clone()),
                product,
                side: l.side,
                label: l.label.clone(),
            },
        ));
    }
    for (k, (i, a)) in out.iter().enumerate() {
        for (j, b) in &out[..k] {
            let same = a.country == b.country && a.product == b.product && a.side == b.side;
            let first = match (a.from, b.from) {
                (Some(x), Some(y)) => Some(x.max(y)),
                (x, y) => x.or(y),
            };
            let last = match (a.to, b.to) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            };
            let overlap = match (first, last) {
                (Some(f), Some(t)) => f <= t,
                _ => true,
            };
            if same && overlap {
                let span = match (first, last) {
                    (Some(f), Some(t)) => format!("from {f} to {t}"),
                    (Some(f), None) => format!("from {f} on"),
                    (None, Some(t)) => format!("up to {t}"),
                    (None, None) => "on every day".into(),
                };
                d.warn(
                    K::Inconsistent,
                    raws[*i].loc,
                    format!(
                        "trade_level {} and trade_level {} scale the same flows {span}: \
                         their factors multiply there ({} x {})",
                        j + 1,
                        i + 1,
                        b.factor,
                        a.factor
                    ),
                    Some(
                        "if one should end where the other begins, note that `to` is \
                         inclusive (the last day the level applies)"
                            .into(),
                    ),
                );
            }
        }
    }
    out.into_iter().map(|(_, l)| l).collect()
}

/// Build the regime chain: unique states, known transition targets, rows summing to 1.
fn regime_chain(rg: &raw::RawRegimes, d: &mut Diags) -> Option<RegimeChain> {
    if rg.states.is_empty() {
        // Already reported by the raw stage (missing, wrong type or empty).
        return None;
    }
    let mut ids = Ids::new("regime state");
    for (i, st) in rg.states.iter().enumerate() {
        if let Some(id) = &st.id {
            if id.v == "stationary" {
                d.err(
                    K::BadId,
                    id.loc,
                    "a regime state cannot be called `stationary`".into(),
                    Some(
                        "`initial = \"stationary\"` means \"drawn from the long-run shares\"; \
                         give the state another id"
                            .into(),
                    ),
                );
            }
            ids.add(id, i, d);
        }
    }
    let n = rg.states.len();
    let mut states = Vec::with_capacity(n);
    let mut matrix = vec![vec![0.0; n]; n];
    for (i, st) in rg.states.iter().enumerate() {
        let id = st.id.as_ref().map_or(String::new(), |s| s.v.clone());
        let what = format!("the transitions of regime `{id}`");
        let mut sum = 0.0;
        for (to, p) in &st.transitions {
            if let Some(j) = ids.resolve(to, &what, d) {
                matrix[i][j] = *p;
                sum += p;
            }
        }
        if (sum - 1.0).abs() > 1e-9 {
            d.err(
                K::Inconsistent,
                st.transitions.first().map_or(st.loc, |(k, _)| k.loc),
                format!("the transition probabilities of regime `{id}` sum to {sum}, not 1"),
                Some(
                    "each state's daily transition probabilities (staying included) must sum to 1"
                        .into(),
                ),
            );
        }
        states.push(RegimeState {
            id,
            rate_multiplier: st.rate_multiplier.unwrap_or(1.0),
        });
    }
    // `stationary` (the default): the first day's state is drawn from the long-run
    // shares, so a simulated year is an average year.
    let fixed = rg.initial.as_ref().filter(|x| x.v != "stationary");
    let initial = fixed.and_then(|x| ids.resolve(x, "`initial` of [regimes]", d));
    if fixed.is_some() && initial.is_none() {
        return None;
    }
    Some(RegimeChain {
        states,
        transitions: matrix,
        initial,
    })
}
