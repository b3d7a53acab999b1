//! Stage one of loading: raw, unresolved records read from the value tree
//! ([`super::tree`]), with every key checked against the format and every value
//! against its type and range. References (node ids, corridor ids...) are still strings
//! here; stage two ([`super::load`]) resolves them.
//!
//! Every problem is recorded in [`Diags`] with its file and line; reading goes on, so one
//! pass reports every mistake. A required value that is missing or wrong is `None`.

use std::path::PathBuf;

use chrono::NaiveDate;

use super::tree::{Node, V};
use crate::closure::DurationDist;
use crate::error::{Diagnostic, DiagnosticKind as K, Severity};
use crate::network::{Charge, Direction, Mode, NodeKind, Perishability, Position, Seasonality};

/// Every key the loader accepts, per table: `(table, keys)`. Table names are written as
/// in the files (`scenario`, `node`, `link.charges`, `process.duration`, `regimes.state`,
/// `option`, ...); CSV-only columns are listed under `csv.<table>`. The scenario
/// reference (`docs/scenario-reference.md`) documents each one; a test checks it.
pub const ACCEPTED_KEYS: &[(&str, &[&str])] = &[
    ("(top level of a scenario file)", TOP_KEYS),
    ("(top level of an option file)", OPTION_TOP_KEYS),
    ("scenario", SETTINGS_KEYS),
    ("tables", TABLES_KEYS),
    ("node", NODE_KEYS),
    ("link", LINK_KEYS),
    ("link.charges", CHARGE_KEYS),
    ("corridor", CORRIDOR_KEYS),
    ("product", PRODUCT_KEYS),
    ("product.perishability", PERISH_KEYS),
    ("supply", SUPPLY_KEYS),
    ("demand", DEMAND_KEYS),
    ("trade_level", TRADE_LEVEL_KEYS),
    ("closure", CLOSURE_KEYS),
    ("process", PROCESS_KEYS),
    ("process.duration", DURATION_KEYS),
    ("shock", SHOCK_KEYS),
    ("regimes", REGIMES_KEYS),
    ("regimes.state", STATE_KEYS),
    ("option", OPTION_KEYS),
    ("add_node", NODE_KEYS),
    ("add_link", ADD_LINK_KEYS),
    ("expand", EXPAND_KEYS),
    ("set_cost", SET_COST_KEYS),
    ("add_closure", CLOSURE_KEYS),
    ("remove_closure", REMOVE_CLOSURE_KEYS),
    ("add_process", PROCESS_KEYS),
    ("add_process.duration", DURATION_KEYS),
    ("add_shock", SHOCK_KEYS),
    ("add_shock.duration", DURATION_KEYS),
    ("join_shock", JOIN_SHOCK_KEYS),
    ("set_process", SET_PROCESS_KEYS),
    ("set_process.duration", DURATION_KEYS),
    ("uncertain", super::uncertain::UNCERTAIN_KEYS),
    ("csv.link", CSV_LINK_EXTRA),
    ("csv.product", CSV_PRODUCT_EXTRA),
];

pub(crate) const TOP_KEYS: &[&str] = &[
    "scenario",
    "tables",
    "node",
    "link",
    "corridor",
    "product",
    "supply",
    "demand",
    "closure",
    "process",
    "shock",
    "regimes",
    "trade_level",
    "uncertain",
];
pub(crate) const OPTION_TOP_KEYS: &[&str] = &[
    "option",
    "add_node",
    "add_link",
    "expand",
    "set_cost",
    "add_closure",
    "remove_closure",
    "add_process",
    "add_shock",
    "join_shock",
    "set_process",
    "uncertain",
];
pub(crate) const SETTINGS_KEYS: &[&str] = &[
    "name",
    "description",
    "start",
    "days",
    "truck_payload_t",
    "reaction_days",
    "queue_patience_days",
    "order_patience_days",
    "abandon_after_days",
    "runout_max_days",
    "discount_rate",
    "traders",
    "belief_spread",
    "trader_classes",
    "steady_start",
];
pub(crate) const TABLES_KEYS: &[&str] = &["node", "link", "product", "supply", "demand", "closure"];
pub(crate) const NODE_KEYS: &[&str] = &["id", "name", "country", "kind", "lon", "lat"];
pub(crate) const LINK_KEYS: &[&str] = &[
    "id",
    "from",
    "to",
    "both_ways",
    "mode",
    "capacity_t_per_day",
    "cost_usd_per_t",
    "transit_days",
    "crossing",
    "charges",
];
pub(crate) const ADD_LINK_KEYS: &[&str] = &[
    "id",
    "from",
    "to",
    "both_ways",
    "mode",
    "capacity_t_per_day",
    "cost_usd_per_t",
    "transit_days",
    "crossing",
    "charges",
    "corridor",
];
pub(crate) const CHARGE_KEYS: &[&str] = &["country", "usd_per_t", "direction"];
pub(crate) const CORRIDOR_KEYS: &[&str] = &[
    "id",
    "name",
    "links",
    "reaction_days",
    "expected_closure_days",
];
pub(crate) const PRODUCT_KEYS: &[&str] = &[
    "id",
    "name",
    "value_usd_per_t",
    "holding_cost_per_day",
    "priority",
    "perishability",
    "demand_elasticity",
];
pub(crate) const PERISH_KEYS: &[&str] = &["grace_days", "loss_per_day", "shelf_life_days"];
pub(crate) const SUPPLY_KEYS: &[&str] = &[
    "product",
    "node",
    "t_per_day",
    "price_usd_per_t",
    "seasonality",
];
pub(crate) const DEMAND_KEYS: &[&str] = &[
    "product",
    "node",
    "t_per_day",
    "value_usd_per_t",
    "seasonality",
];
pub(crate) const TRADE_LEVEL_KEYS: &[&str] = &[
    "from", "to", "factor", "country", "product", "side", "label", "corridor",
];
pub(crate) const CLOSURE_KEYS: &[&str] = &[
    "target",
    "start",
    "start_day",
    "end",
    "duration_days",
    "capacity_factor",
    "ramp_days",
    "label",
    "expected_closure_days",
    "seasonal",
];
pub(crate) const PROCESS_KEYS: &[&str] = &[
    "id",
    "target",
    "rate_per_year",
    "duration",
    "capacity_factor",
    "ramp_days",
];
pub(crate) const DURATION_KEYS: &[&str] = &[
    "dist",
    "mean_days",
    "mu",
    "sigma",
    "shape",
    "scale_days",
    "days",
];
pub(crate) const SHOCK_KEYS: &[&str] = &[
    "id",
    "targets",
    "rate_per_year",
    "duration",
    "capacity_factor",
    "ramp_days",
];
pub(crate) const REGIMES_KEYS: &[&str] = &["initial", "state"];
pub(crate) const STATE_KEYS: &[&str] = &["id", "rate_multiplier", "transitions"];
pub(crate) const OPTION_KEYS: &[&str] = &[
    "name",
    "description",
    "base",
    "capital_cost_usd",
    "annual_cost_usd",
    "horizon_years",
];
pub(crate) const EXPAND_KEYS: &[&str] =
    &["link", "extra_t_per_day", "start", "start_day", "ramp_days"];
pub(crate) const SET_COST_KEYS: &[&str] = &["link", "cost_usd_per_t"];
pub(crate) const REMOVE_CLOSURE_KEYS: &[&str] = &["target", "label"];
pub(crate) const JOIN_SHOCK_KEYS: &[&str] = &["shock", "targets"];
pub(crate) const SET_PROCESS_KEYS: &[&str] = &[
    "process",
    "shock",
    "rate_per_year",
    "rate_scale",
    "duration",
    "duration_scale",
    "capacity_factor",
    "ramp_days",
];
/// CSV-only columns of a link table (one charge per row).
pub(crate) const CSV_LINK_EXTRA: &[&str] =
    &["charge_country", "charge_usd_per_t", "charge_direction"];
/// CSV-only columns of a product table (perishability, flat).
pub(crate) const CSV_PRODUCT_EXTRA: &[&str] = &["grace_days", "loss_per_day", "shelf_life_days"];

// ---------------------------------------------------------------------------------------
// Diagnostics

/// The problems found so far, and the files they refer to.
#[derive(Debug, Default)]
pub(crate) struct Diags {
    /// Files by index (0 = the TOML file).
    pub files: Vec<PathBuf>,
    /// The problems, in the order found.
    pub list: Vec<Diagnostic>,
    /// Where each problem is, for sorting.
    order: Vec<Loc>,
}

impl Diags {
    /// A collector whose file 0 is `path`.
    pub fn new(path: PathBuf) -> Self {
        Diags {
            files: vec![path],
            list: Vec::new(),
            order: Vec::new(),
        }
    }

    /// Record a problem.
    pub fn push(
        &mut self,
        severity: Severity,
        kind: K,
        loc: Loc,
        message: String,
        hint: Option<String>,
    ) {
        let file = self.files.get(loc.file).cloned().unwrap_or_default();
        self.list.push(Diagnostic {
            severity,
            kind,
            file,
            line: loc.line,
            message,
            hint,
        });
        self.order.push(loc);
    }

    /// Record an error.
    pub fn err(&mut self, kind: K, loc: Loc, message: String, hint: Option<String>) {
        self.push(Severity::Error, kind, loc, message, hint);
    }

    /// Record a warning.
    pub fn warn(&mut self, kind: K, loc: Loc, message: String, hint: Option<String>) {
        self.push(Severity::Warning, kind, loc, message, hint);
    }

    /// Move `other`'s problems here (its file 0 is this collector's file 0; its other
    /// files are added after this one's).
    pub fn append(&mut self, other: Diags) {
        let offset = self.files.len();
        self.files.extend(other.files.into_iter().skip(1));
        for (diag, mut loc) in other.list.into_iter().zip(other.order) {
            if loc.file > 0 {
                loc.file += offset - 1;
            }
            self.list.push(diag);
            self.order.push(loc);
        }
    }

    /// Whether any error (not warning) was recorded.
    pub fn has_errors(&self) -> bool {
        self.list.iter().any(|d| d.severity == Severity::Error)
    }

    /// All diagnostics in file order (file index, then line; stable).
    pub fn sorted(mut self) -> Vec<Diagnostic> {
        let mut idx: Vec<usize> = (0..self.list.len()).collect();
        idx.sort_by_key(|&i| (self.order[i].file, self.order[i].line));
        let mut out = Vec::with_capacity(idx.len());
        let mut taken: Vec<Option<Diagnostic>> = self.list.drain(..).map(Some).collect();
        for i in idx {
            if let Some(d) = taken[i].take() {
                out.push(d);
            }
        }
        out
    }
}

/// Where something was written: file index and 1-based line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Loc {
    /// Index into [`Diags::files`].
    pub file: usize,
    /// 1-based line (0 = unknown).
    pub line: usize,
}

impl Node {
    /// Where this value was written.
    pub fn loc(&self) -> Loc {
        Loc {
            file: self.file,
            line: self.line,
        }
    }
}

/// A value with where it was written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Sp<T> {
    /// The value.
    pub v: T,
    /// Where.
    pub loc: Loc,
}

/// The closest candidate to `got`, as a "did you mean" hint.
pub(crate) fn did_you_mean<'a>(
    got: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(got, c);
        if score > best.map_or(0.0, |b| b.0) {
            best = Some((score, c));
        }
    }
    match best {
        Some((s, c)) if s >= 0.75 => Some(format!("did you mean `{c}`?")),
        _ => None,
    }
}

/// Whether `id` has the id form `[a-z0-9_]+`.
pub(crate) fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

// ---------------------------------------------------------------------------------------
// Reading fields of one table

/// How a number must lie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rule {
    /// Any finite number.
    Finite,
    /// Finite and >= 0.
    NonNeg,
    /// In [-50, 0] (a demand elasticity).
    Elasticity,
    /// Finite and > 0.
    Pos,
    /// In [0, 1].
    Unit,
    /// In [0, 1).
    UnitOpen,
}

impl Rule {
    fn expected(self) -> &'static str {
        match self {
            Rule::Finite => "expected a finite number",
            Rule::NonNeg => "expected a number >= 0",
            Rule::Elasticity => {
                "expected a number in [-50, 0] (orders fall as the landed price rises)"
            }
            Rule::Pos => "expected a number > 0",
            Rule::Unit => "expected a number in [0, 1]",
            Rule::UnitOpen => "expected a number in [0, 1) (1 would mean no closure)",
        }
    }

    /// `None` when `x` is fine, else the kind of problem.
    fn check(self, x: f64) -> Option<K> {
        if !x.is_finite() {
            return Some(K::BadNumber);
        }
        match self {
            Rule::Finite => None,
            Rule::NonNeg if x < 0.0 => Some(K::BadNumber),
            Rule::Elasticity if !(-50.0..=0.0).contains(&x) => Some(K::OutOfRange),
            Rule::Pos if x <= 0.0 => Some(K::BadNumber),
            Rule::Unit if !(0.0..=1.0).contains(&x) => Some(K::OutOfRange),
            Rule::UnitOpen if !(0.0..1.0).contains(&x) => Some(K::OutOfRange),
            _ => None,
        }
    }
}

/// One table (a `[[node]]` element, the `[scenario]` table, an inline table, a CSV row)
/// being read, with what to call it in messages.
pub(crate) struct Item<'a> {
    /// Where the table starts.
    pub loc: Loc,
    /// What to call it: "node `kabul`", "[scenario]", "link.csv row"...
    pub what: String,
    entries: &'a [(String, Node)],
}

impl<'a> Item<'a> {
    /// Start reading `node` as a table that may hold `allowed` keys. Reports a value that
    /// is not a table and every unknown key.
    pub fn new(node: &'a Node, what: String, allowed: &[&str], d: &mut Diags) -> Option<Self> {
        let Some(entries) = node.table() else {
            d.err(
                K::WrongType,
                node.loc(),
                format!("{what} must be a table, found {}", node.v.type_name()),
                None,
            );
            return None;
        };
        let mut item = Item {
            loc: node.loc(),
            what,
            entries,
        };
        // Name the item by its id when it has one that reads as text.
        if let Some(Node {
            v: V::Str(id) | V::Cell(id),
            ..
        }) = item.get("id")
        {
            if !id.is_empty() && id.len() <= 64 {
                item.what = format!("{} `{id}`", item.what);
            }
        }
        for (k, n) in entries {
            if !allowed.contains(&k.as_str()) {
                let what = &item.what;
                let hint = did_you_mean(k, allowed.iter().copied())
                    .unwrap_or_else(|| format!("allowed keys: {}", allowed.join(", ")));
                d.err(
                    K::UnknownKey,
                    n.loc(),
                    format!("unknown key `{k}` in {what}"),
                    Some(hint),
                );
            }
        }
        Some(item)
    }

    /// The same table under another name in messages.
    pub fn renamed(self, what: &str) -> Self {
        Item {
            what: what.to_string(),
            ..self
        }
    }

    /// The value of `key`, if written.
    pub fn get(&self, key: &str) -> Option<&'a Node> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, n)| n)
    }

    /// Whether `key` is written.
    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Report a missing required key.
    pub fn missing(&self, key: &str, d: &mut Diags, hint: &str) {
        d.err(
            K::MissingKey,
            self.loc,
            format!("{} has no `{key}`", self.what),
            Some(hint.to_string()),
        );
    }

    /// Which of the alternative keys `a` and `b` is written, exactly one being
    /// required: `Some(false)` for `a`, `Some(true)` for `b`; `None` when both are
    /// (reported at `b`, hint `both`) or neither is (reported as `missing` lacking, hint
    /// `neither`).
    fn one_of(
        &self,
        (a, b): (&str, &str),
        missing: &str,
        (both, neither): (&str, &str),
        d: &mut Diags,
    ) -> Option<bool> {
        match (self.has(a), self.has(b)) {
            (true, true) => {
                d.err(
                    K::Inconsistent,
                    self.get(b).map_or(self.loc, Node::loc),
                    format!("{} has both `{a}` and `{b}`", self.what),
                    Some(both.into()),
                );
                None
            }
            (false, false) => {
                self.missing(missing, d, neither);
                None
            }
            (_, is_b) => Some(is_b),
        }
    }

    fn wrong_type(&self, key: &str, n: &Node, expected: &str, d: &mut Diags) {
        d.err(
            K::WrongType,
            n.loc(),
            format!(
                "`{key}` in {} is {} ({}), not {expected}",
                self.what,
                n.v.type_name(),
                short(&n.v)
            ),
            Some(format!("write {expected}")),
        );
    }

    /// A string. `required` reports a missing key.
    pub fn string(&self, key: &str, required: bool, d: &mut Diags) -> Option<Sp<String>> {
        let Some(n) = self.get(key) else {
            if required {
                self.missing(key, d, &format!("add `{key} = \"...\"`"));
            }
            return None;
        };
        match &n.v {
            V::Str(s) | V::Cell(s) => Some(Sp {
                v: s.clone(),
                loc: n.loc(),
            }),
            _ => {
                self.wrong_type(key, n, "a string", d);
                None
            }
        }
    }

    /// A non-empty string.
    pub fn text(&self, key: &str, required: bool, d: &mut Diags) -> Option<Sp<String>> {
        let s = self.string(key, required, d)?;
        if s.v.trim().is_empty() {
            d.err(
                K::OutOfRange,
                s.loc,
                format!("`{key}` in {} is empty", self.what),
                Some("write a non-empty text".into()),
            );
            return None;
        }
        Some(s)
    }

    /// An id: a string of `[a-z0-9_]+`.
    pub fn id(&self, key: &str, required: bool, d: &mut Diags) -> Option<Sp<String>> {
        let s = self.string(key, required, d)?;
        if !is_valid_id(&s.v) {
            let fixed: String =
                s.v.trim()
                    .to_lowercase()
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                    .collect();
            d.err(
                K::BadId,
                s.loc,
                format!("`{key}` {:?} in {} is not a valid id", s.v, self.what),
                Some(format!(
                    "ids use lower-case letters, digits and `_` only, e.g. `{fixed}`"
                )),
            );
            return None;
        }
        Some(s)
    }

    /// A number obeying `rule`.
    pub fn num(&self, key: &str, required: bool, rule: Rule, d: &mut Diags) -> Option<f64> {
        let Some(n) = self.get(key) else {
            if required {
                self.missing(key, d, &format!("add `{key} = <number>`"));
            }
            return None;
        };
        let x = match &n.v {
            V::Int(i) => *i as f64,
            V::Float(x) => *x,
            V::Cell(s) => match s.trim().parse::<f64>() {
                Ok(x) => x,
                Err(_) => {
                    self.wrong_type(key, n, "a number", d);
                    return None;
                }
            },
            _ => {
                self.wrong_type(key, n, "a number", d);
                return None;
            }
        };
        if let Some(kind) = rule.check(x) {
            d.err(
                kind,
                n.loc(),
                format!("`{key}` = {x} in {} is out of range", self.what),
                Some(if x.is_finite() {
                    rule.expected().to_string()
                } else {
                    format!("{} (not NaN or infinity)", rule.expected())
                }),
            );
            return None;
        }
        Some(x)
    }

    /// A whole number in `min..=max`.
    pub fn int(&self, key: &str, required: bool, min: i64, max: i64, d: &mut Diags) -> Option<i64> {
        let Some(n) = self.get(key) else {
            if required {
                self.missing(key, d, &format!("add `{key} = <whole number>`"));
            }
            return None;
        };
        let i = match &n.v {
            V::Int(i) => *i,
            V::Cell(s) if s.trim().parse::<i64>().is_ok() => s.trim().parse::<i64>().ok()?,
            _ => {
                self.wrong_type(key, n, "a whole number", d);
                return None;
            }
        };
        if i < min || i > max {
            let kind = if i < min && min <= 1 {
                K::BadNumber
            } else {
                K::OutOfRange
            };
            let expected = if max == i64::MAX {
                format!("expected a whole number >= {min}")
            } else {
                format!("expected a whole number in {min}..={max}")
            };
            d.err(
                kind,
                n.loc(),
                format!("`{key}` = {i} in {} is out of range", self.what),
                Some(expected),
            );
            return None;
        }
        Some(i)
    }

    /// A whole number of days >= 0 (at most 100 years).
    pub fn days(&self, key: &str, d: &mut Diags) -> Option<u32> {
        self.int(key, false, 0, 36_600, d).map(|i| i as u32)
    }

    /// A boolean.
    pub fn boolean(&self, key: &str, d: &mut Diags) -> Option<bool> {
        let n = self.get(key)?;
        match &n.v {
            V::Bool(b) => Some(*b),
            V::Cell(s) if s.trim().eq_ignore_ascii_case("true") => Some(true),
            V::Cell(s) if s.trim().eq_ignore_ascii_case("false") => Some(false),
            _ => {
                self.wrong_type(key, n, "true or false", d);
                None
            }
        }
    }

    /// A date: a TOML date or a "YYYY-MM-DD" string.
    pub fn date(&self, key: &str, d: &mut Diags) -> Option<Sp<NaiveDate>> {
        let n = self.get(key)?;
        let parsed = match &n.v {
            V::Date(dt) => match (dt.date, dt.time) {
                (Some(dd), None) => NaiveDate::from_ymd_opt(
                    i32::from(dd.year),
                    u32::from(dd.month),
                    u32::from(dd.day),
                ),
                _ => None,
            },
            V::Str(s) | V::Cell(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok(),
            _ => None,
        };
        match parsed {
            Some(date) if (1900..=2200).contains(&chrono::Datelike::year(&date)) => Some(Sp {
                v: date,
                loc: n.loc(),
            }),
            _ => {
                d.err(
                    K::BadDate,
                    n.loc(),
                    format!("`{key}` = {} in {} is not a date", short(&n.v), self.what),
                    Some(
                        "write a date between 1900 and 2200 as 2024-01-13 or \"2024-01-13\"".into(),
                    ),
                );
                None
            }
        }
    }

    /// One of several words.
    pub fn choice<T: Copy>(&self, key: &str, choices: &[(&str, T)], d: &mut Diags) -> Option<T> {
        let s = self.string(key, false, d)?;
        if let Some((_, t)) = choices.iter().find(|(w, _)| *w == s.v) {
            return Some(*t);
        }
        let words: Vec<&str> = choices.iter().map(|(w, _)| *w).collect();
        let mut hint = format!("expected one of {}", words.join(", "));
        if let Some(m) = did_you_mean(&s.v, words.iter().copied()) {
            hint = format!("{hint}; {m}");
        }
        d.err(
            K::OutOfRange,
            s.loc,
            format!("`{key}` = {:?} in {} is not allowed", s.v, self.what),
            Some(hint),
        );
        None
    }

    /// An array of strings.
    pub fn strings(&self, key: &str, required: bool, d: &mut Diags) -> Option<Vec<Sp<String>>> {
        let Some(n) = self.get(key) else {
            if required {
                self.missing(key, d, &format!("add `{key} = [\"...\"]`"));
            }
            return None;
        };
        let V::Array(a) = &n.v else {
            self.wrong_type(key, n, "an array of strings", d);
            return None;
        };
        let mut out = Vec::new();
        for e in a {
            match &e.v {
                V::Str(s) | V::Cell(s) => out.push(Sp {
                    v: s.clone(),
                    loc: e.loc(),
                }),
                _ => self.wrong_type(key, e, "a string in the array", d),
            }
        }
        Some(out)
    }

    /// Twelve monthly factors >= 0.
    pub fn seasonality(&self, key: &str, d: &mut Diags) -> Option<Seasonality> {
        let n = self.get(key)?;
        let V::Array(a) = &n.v else {
            self.wrong_type(key, n, "an array of 12 numbers", d);
            return None;
        };
        if a.len() != 12 {
            d.err(
                K::Inconsistent,
                n.loc(),
                format!("`{key}` in {} has {} numbers, not 12", self.what, a.len()),
                Some("write 12 monthly factors, January first".into()),
            );
            return None;
        }
        let mut out = [0.0; 12];
        let mut ok = true;
        for (i, e) in a.iter().enumerate() {
            let x = match &e.v {
                V::Int(i) => Some(*i as f64),
                V::Float(x) => Some(*x),
                V::Cell(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            };
            match x {
                Some(x) if x.is_finite() && x >= 0.0 => out[i] = x,
                Some(x) => {
                    ok = false;
                    d.err(
                        K::BadNumber,
                        e.loc(),
                        format!(
                            "`{key}` month {} = {x} in {} is out of range",
                            i + 1,
                            self.what
                        ),
                        Some("expected a number >= 0".into()),
                    );
                }
                None => {
                    ok = false;
                    self.wrong_type(key, e, "a number", d);
                }
            }
        }
        ok.then_some(out)
    }

    /// A nested table.
    pub fn sub(&self, key: &str, allowed: &[&str], d: &mut Diags) -> Option<Item<'a>> {
        let n = self.get(key)?;
        Item::new(n, format!("`{key}` of {}", self.what), allowed, d)
    }
}

/// A value shortened for messages.
fn short(v: &V) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        let cut: String = s.chars().take(37).collect();
        format!("{cut}...")
    } else {
        s
    }
}

// ---------------------------------------------------------------------------------------
// Raw records

/// `[scenario]` with defaults filled in, and where it was.
pub(crate) struct RawSettings {
    pub settings: crate::scenario::Settings,
    pub loc: Loc,
}

/// A `[[node]]` (or `[[add_node]]`).
pub(crate) struct RawNode {
    pub id: Option<Sp<String>>,
    pub name: Option<String>,
    pub country: Option<String>,
    pub kind: NodeKind,
    /// Longitude and latitude (degrees), only for drawing maps.
    pub position: Option<Position>,
}

/// A `[[link]]` (or `[[add_link]]`).
pub(crate) struct RawLink {
    pub id: Option<Sp<String>>,
    pub from: Option<Sp<String>>,
    pub to: Option<Sp<String>>,
    pub both_ways: bool,
    pub mode: Option<Mode>,
    pub capacity_t_per_day: Option<f64>,
    pub cost_usd_per_t: Option<f64>,
    pub transit_days: Option<f64>,
    pub crossing: Option<bool>,
    pub charges: Vec<Charge>,
    /// Only in `[[add_link]]`.
    pub corridor: Option<Sp<String>>,
}

/// A `[[corridor]]`.
pub(crate) struct RawCorridor {
    pub id: Option<Sp<String>>,
    pub name: Option<String>,
    pub links: Vec<Sp<String>>,
    pub reaction_days: Option<u32>,
    pub expected_closure_days: Option<f64>,
}

/// A `[[product]]`.
pub(crate) struct RawProduct {
    pub id: Option<Sp<String>>,
    pub name: Option<String>,
    pub value_usd_per_t: Option<f64>,
    pub holding_cost_per_day: f64,
    pub priority: i32,
    pub perishability: Option<Perishability>,
    pub demand_elasticity: f64,
    pub loc: Loc,
}

/// A `[[supply]]` or `[[demand]]`.
pub(crate) struct RawPoint {
    pub product: Option<Sp<String>>,
    pub node: Option<Sp<String>>,
    pub t_per_day: Option<f64>,
    /// `price_usd_per_t` of a supply, `value_usd_per_t` of a demand.
    pub usd_per_t: Option<f64>,
    pub seasonality: Option<Seasonality>,
    pub loc: Loc,
}

/// A `[[trade_level]]`.
pub(crate) struct RawTradeLevel {
    pub from: Option<Sp<NaiveDate>>,
    pub to: Option<Sp<NaiveDate>>,
    pub factor: Option<f64>,
    pub country: Option<Sp<String>>,
    pub product: Option<Sp<String>>,
    pub side: crate::scenario::LevelSide,
    pub label: Option<String>,
    pub loc: Loc,
}

/// When something starts: a date or a day index.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Start {
    Date(NaiveDate),
    Day(i64),
}

/// When a closure ends: the reopening date or a duration.
#[derive(Debug, Clone, Copy)]
pub(crate) enum End {
    Date(Sp<NaiveDate>),
    Days(u32),
}

/// A `[[closure]]`.
pub(crate) struct RawClosure {
    pub target: Option<Sp<String>>,
    pub start: Option<Start>,
    pub end: Option<End>,
    pub capacity_factor: f64,
    pub ramp_days: u32,
    pub label: Option<String>,
    pub expected_closure_days: Option<f64>,
    /// `seasonal = true`: it recurs every year and belongs to normal conditions.
    pub seasonal: bool,
    /// Where the table starts.
    pub loc: Loc,
}

/// A `[[process]]` or `[[shock]]`.
pub(crate) struct RawProcess {
    /// Shock id, or a process's id when written (a process's default is its target).
    pub id: Option<Sp<String>>,
    pub targets: Vec<Sp<String>>,
    pub rate_per_year: Option<f64>,
    pub duration: Option<DurationDist>,
    pub capacity_factor: f64,
    pub ramp_days: u32,
    pub loc: Loc,
}

/// One `[[regimes.state]]`.
pub(crate) struct RawState {
    pub id: Option<Sp<String>>,
    pub rate_multiplier: Option<f64>,
    pub transitions: Vec<(Sp<String>, f64)>,
    pub loc: Loc,
}

/// `[regimes]`.
pub(crate) struct RawRegimes {
    pub initial: Option<Sp<String>>,
    pub states: Vec<RawState>,
}

/// An `[[expand]]`.
pub(crate) struct RawExpand {
    pub link: Option<Sp<String>>,
    pub extra_t_per_day: Option<f64>,
    pub start: Option<Start>,
    pub ramp_days: u32,
}

/// A `[[set_cost]]`.
pub(crate) struct RawSetCost {
    pub link: Option<Sp<String>>,
    pub cost_usd_per_t: Option<f64>,
}

/// A `[[remove_closure]]`: the base's fixed closures of `target` (with `label`, only
/// those with that label).
pub(crate) struct RawRemoveClosure {
    pub target: Option<Sp<String>>,
    pub label: Option<Sp<String>>,
    pub loc: Loc,
}

/// A `[[join_shock]]`: more targets for a shock group.
pub(crate) struct RawJoinShock {
    pub shock: Option<Sp<String>>,
    pub targets: Vec<Sp<String>>,
}

/// A `[[set_process]]`: a change to a process's or a shock's law.
pub(crate) struct RawSetProcess {
    /// `process = ...` (false) or `shock = ...` (true), and the id.
    pub which: Option<(bool, Sp<String>)>,
    pub rate_per_year: Option<f64>,
    pub rate_scale: Option<f64>,
    pub duration: Option<DurationDist>,
    pub duration_scale: Option<f64>,
    pub capacity_factor: Option<f64>,
    pub ramp_days: Option<u32>,
}

/// `[option]` and its changes.
pub(crate) struct RawOption {
    pub name: Option<String>,
    pub description: String,
    pub base: Option<Sp<String>>,
    pub capital_cost_usd: Option<f64>,
    pub annual_cost_usd: Option<f64>,
    pub horizon_years: Option<f64>,
    pub add_node: Vec<RawNode>,
    pub add_link: Vec<RawLink>,
    pub expand: Vec<RawExpand>,
    pub set_cost: Vec<RawSetCost>,
    pub add_closure: Vec<RawClosure>,
    pub remove_closure: Vec<RawRemoveClosure>,
    pub add_process: Vec<RawProcess>,
    pub add_shock: Vec<RawProcess>,
    pub join_shock: Vec<RawJoinShock>,
    pub set_process: Vec<RawSetProcess>,
    /// The changes in file order: (kind, index into its list).
    pub order: Vec<(ChangeKind, usize, Loc)>,
}

/// Which list of [`RawOption`] a change is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChangeKind {
    AddNode,
    AddLink,
    Expand,
    SetCost,
    AddClosure,
    RemoveClosure,
    AddProcess,
    AddShock,
    JoinShock,
    SetProcess,
}

// ---------------------------------------------------------------------------------------
// Readers

const NODE_KINDS: &[(&str, NodeKind)] = &[
    ("market", NodeKind::Market),
    ("border", NodeKind::Border),
    ("port", NodeKind::Port),
    ("rail_terminal", NodeKind::RailTerminal),
    ("junction", NodeKind::Junction),
];
const MODES: &[(&str, Mode)] = &[
    ("road", Mode::Road),
    ("rail", Mode::Rail),
    ("sea", Mode::Sea),
    ("air", Mode::Air),
];
const TRADERS: &[(&str, crate::scenario::Traders)] = &[
    ("myopic", crate::scenario::Traders::Myopic),
    ("weigh", crate::scenario::Traders::Weigh),
];
const DIRECTIONS: &[(&str, Direction)] = &[
    ("forward", Direction::Forward),
    ("backward", Direction::Backward),
    ("both", Direction::Both),
];

/// Read `[scenario]`.
pub(crate) fn settings(it: &Item<'_>, d: &mut Diags) -> RawSettings {
    let mut s = crate::scenario::Settings::named("");
    match it.text("name", true, d) {
        Some(n) => s.name = n.v,
        None => s.name = String::new(),
    }
    if let Some(x) = it.string("description", false, d) {
        s.description = x.v;
    }
    if let Some(x) = it.date("start", d) {
        s.start = x.v;
    }
    if let Some(x) = it.int("days", false, 1, 3660, d) {
        s.days = x as u32;
    }
    if let Some(x) = it.num("truck_payload_t", false, Rule::Pos, d) {
        s.truck_payload_t = x;
    }
    if let Some(x) = it.days("reaction_days", d) {
        s.reaction_days = x;
    }
    if let Some(x) = it.days("queue_patience_days", d) {
        s.queue_patience_days = x;
    }
    if let Some(x) = it.days("order_patience_days", d) {
        s.order_patience_days = x;
    }
    if let Some(x) = it.days("abandon_after_days", d) {
        s.abandon_after_days = x;
    }
    if let Some(x) = it.days("runout_max_days", d) {
        s.runout_max_days = x;
    }
    if let Some(x) = it.num("discount_rate", false, Rule::Unit, d) {
        s.discount_rate = x;
    }
    if let Some(x) = it.choice("traders", TRADERS, d) {
        s.traders = x;
    }
    if let Some(x) = it.num("belief_spread", false, Rule::NonNeg, d) {
        if x > crate::scenario::MAX_BELIEF_SPREAD {
            if let Some(n) = it.get("belief_spread") {
                d.err(
                    K::OutOfRange,
                    n.loc(),
                    format!("`belief_spread` = {x} in {} is out of range", it.what),
                    Some(format!(
                        "expected a spread of log beliefs in [0, {}] (1 is already a factor \
                         of 3.6 between the middle and the top class of five)",
                        crate::scenario::MAX_BELIEF_SPREAD
                    )),
                );
            }
        } else {
            s.belief_spread = x;
        }
    }
    let most = i64::from(crate::scenario::MAX_TRADER_CLASSES);
    if let Some(x) = it.int("trader_classes", false, 1, most, d) {
        s.trader_classes = x as u32;
    }
    if let Some(x) = it.boolean("steady_start", d) {
        s.steady_start = x;
    }
    if s.belief_spread > 0.0 && s.traders.is_myopic() {
        if let Some(n) = it.get("belief_spread") {
            d.warn(
                K::Inconsistent,
                n.loc(),
                format!(
                    "`belief_spread` = {} in {} spreads the beliefs of traders who weigh \
                     waiting against a detour; myopic traders hold none",
                    s.belief_spread, it.what
                ),
                Some("set `traders = \"weigh\"`, or drop belief_spread".into()),
            );
        }
    }
    RawSettings {
        settings: s,
        loc: it.loc,
    }
}

/// Read a `[[node]]`.
pub(crate) fn node(it: &Item<'_>, d: &mut Diags) -> RawNode {
    RawNode {
        id: it.id("id", true, d),
        name: it.string("name", false, d).map(|s| s.v),
        country: it.text("country", true, d).map(|s| s.v),
        kind: it.choice("kind", NODE_KINDS, d).unwrap_or_default(),
        position: position(it, d),
    }
}

/// A node's optional `lon` and `lat` (degrees): both or neither, in range.
fn position(it: &Item<'_>, d: &mut Diags) -> Option<Position> {
    let mut coordinate = |key: &str, limit: f64| {
        let x = it.num(key, false, Rule::Finite, d)?;
        if x.abs() > limit {
            if let Some(n) = it.get(key) {
                d.err(
                    K::OutOfRange,
                    n.loc(),
                    format!("`{key}` = {x} in {} is out of range", it.what),
                    Some(format!("expected degrees in [-{limit}, {limit}]")),
                );
            }
            return None;
        }
        Some(x)
    };
    let lon = coordinate("lon", 180.0);
    let lat = coordinate("lat", 90.0);
    match (it.has("lon"), it.has("lat")) {
        (true, false) => it.missing("lat", d, "give `lat` with `lon` (or neither)"),
        (false, true) => it.missing("lon", d, "give `lon` with `lat` (or neither)"),
        _ => {}
    }
    Some(Position {
        lon: lon?,
        lat: lat?,
    })
}

/// Read a `[[link]]` (with `corridor` when `add` is set: an `[[add_link]]`).
pub(crate) fn link(it: &Item<'_>, add: bool, d: &mut Diags) -> RawLink {
    let mode = it.choice("mode", MODES, d);
    if !it.has("mode") {
        it.missing("mode", d, "add `mode = \"road\"` (road, rail, sea or air)");
    }
    let mut charges = Vec::new();
    if let Some(n) = it.get("charges") {
        match &n.v {
            V::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    let what = format!("charge {} of {}", i + 1, it.what);
                    if let Some(ci) = Item::new(c, what, CHARGE_KEYS, d) {
                        charges.extend(charge(&ci, d));
                    }
                }
            }
            _ => {
                it.wrong_type("charges", n, "an array of tables", d);
            }
        }
    }
    let from = it.id("from", true, d);
    let to = it.id("to", true, d);
    if let (Some(f), Some(t)) = (&from, &to) {
        if f.v == t.v {
            d.err(
                K::Inconsistent,
                t.loc,
                format!("{} goes from `{}` to itself", it.what, f.v),
                Some("`to` must differ from `from`".into()),
            );
        }
    }
    RawLink {
        id: it.id("id", true, d),
        from,
        to,
        both_ways: it.boolean("both_ways", d).unwrap_or(false),
        mode,
        capacity_t_per_day: it.num("capacity_t_per_day", true, Rule::Pos, d),
        cost_usd_per_t: it.num("cost_usd_per_t", true, Rule::NonNeg, d),
        transit_days: it.num("transit_days", true, Rule::NonNeg, d),
        crossing: it.boolean("crossing", d),
        charges,
        corridor: if add {
            it.id("corridor", false, d)
        } else {
            None
        },
    }
}

/// Read one border charge.
pub(crate) fn charge(it: &Item<'_>, d: &mut Diags) -> Option<Charge> {
    let country = it.text("country", true, d);
    let usd = it.num("usd_per_t", true, Rule::NonNeg, d);
    let direction = it.choice("direction", DIRECTIONS, d).unwrap_or_default();
    Some(Charge {
        country: country?.v,
        usd_per_t: usd?,
        direction,
    })
}

/// Read a `[[corridor]]`.
pub(crate) fn corridor(it: &Item<'_>, d: &mut Diags) -> RawCorridor {
    let links = it.strings("links", true, d).unwrap_or_default();
    if links.is_empty() && it.has("links") {
        d.err(
            K::Inconsistent,
            it.loc,
            format!("{} has no links", it.what),
            Some("list at least one link id in `links`".into()),
        );
    }
    RawCorridor {
        id: it.id("id", true, d),
        name: it.string("name", false, d).map(|s| s.v),
        links,
        reaction_days: it.days("reaction_days", d),
        expected_closure_days: it.num("expected_closure_days", false, Rule::Pos, d),
    }
}

/// Read a `[[product]]`.
pub(crate) fn product(it: &Item<'_>, d: &mut Diags) -> RawProduct {
    let perishability = it.sub("perishability", PERISH_KEYS, d).and_then(|p| {
        let g = p.num("grace_days", true, Rule::NonNeg, d);
        let l = p.num("loss_per_day", true, Rule::Unit, d);
        let s = p.num("shelf_life_days", true, Rule::Pos, d);
        Some(Perishability {
            grace_days: g?,
            loss_per_day: l?,
            shelf_life_days: s?,
        })
    });
    RawProduct {
        id: it.id("id", true, d),
        name: it.string("name", false, d).map(|s| s.v),
        value_usd_per_t: it.num("value_usd_per_t", true, Rule::Pos, d),
        holding_cost_per_day: it
            .num("holding_cost_per_day", false, Rule::Unit, d)
            .unwrap_or(0.0),
        priority: it
            .int(
                "priority",
                false,
                i64::from(i32::MIN),
                i64::from(i32::MAX),
                d,
            )
            .unwrap_or(0) as i32,
        perishability,
        demand_elasticity: it
            .num("demand_elasticity", false, Rule::Elasticity, d)
            .unwrap_or(0.0),
        loc: it.loc,
    }
}

/// Read a `[[supply]]` (`demand` false) or `[[demand]]`.
pub(crate) fn point(it: &Item<'_>, demand: bool, d: &mut Diags) -> RawPoint {
    let usd = if demand {
        it.num("value_usd_per_t", false, Rule::Pos, d)
    } else {
        it.num("price_usd_per_t", false, Rule::NonNeg, d)
    };
    RawPoint {
        product: it.id("product", true, d),
        node: it.id("node", true, d),
        t_per_day: it.num("t_per_day", true, Rule::NonNeg, d),
        usd_per_t: usd,
        seasonality: it.seasonality("seasonality", d),
        loc: it.loc,
    }
}

/// The largest factor a trade level may have (the engine's quantities must stay exact,
/// see `check::MAX_QUANTITY`).
pub(crate) const MAX_LEVEL_FACTOR: f64 = 100.0;

const LEVEL_SIDES: &[(&str, crate::scenario::LevelSide)] = &[
    ("supply", crate::scenario::LevelSide::Supply),
    ("demand", crate::scenario::LevelSide::Demand),
    ("both", crate::scenario::LevelSide::Both),
];

/// Read a `[[trade_level]]`: dates in order, a factor >= 0.
pub(crate) fn trade_level(it: &Item<'_>, d: &mut Diags) -> RawTradeLevel {
    let from = it.date("from", d);
    let to = it.date("to", d);
    if let (Some(f), Some(t)) = (&from, &to) {
        if t.v < f.v {
            d.err(
                K::EndsBeforeStart,
                t.loc,
                format!("{} ends on {} before it begins ({})", it.what, t.v, f.v),
                Some(
                    "`to` is the last day the level applies (inclusive): on or after `from`".into(),
                ),
            );
        }
    }
    if let Some(n) = it.get("corridor") {
        d.err(
            K::UnknownKey,
            n.loc(),
            format!(
                "{} is by corridor: trade levels select by `country` and `product` only",
                it.what
            ),
            Some(
                "which corridor a tonne takes is what the engine computes each day; write a \
                 corridor's trade as levels of the countries and products that use it \
                 (docs/scenario-reference.md, [[trade_level]])"
                    .into(),
            ),
        );
    }
    let mut factor = it.num("factor", true, Rule::NonNeg, d);
    if let (Some(x), Some(n)) = (factor, it.get("factor")) {
        if x > MAX_LEVEL_FACTOR {
            d.err(
                K::OutOfRange,
                n.loc(),
                format!("`factor` = {x} in {} is out of range", it.what),
                Some(format!(
                    "expected a number in [0, {MAX_LEVEL_FACTOR}] (a multiplier of t/day)"
                )),
            );
            factor = None;
        }
    }
    RawTradeLevel {
        from,
        to,
        factor,
        country: it.text("country", false, d),
        product: it.id("product", false, d),
        side: it.choice("side", LEVEL_SIDES, d).unwrap_or_default(),
        label: it.string("label", false, d).map(|s| s.v),
        loc: it.loc,
    }
}

/// Read `start` / `start_day` (exactly one).
fn start(it: &Item<'_>, d: &mut Diags) -> Option<Start> {
    let day = it.one_of(
        ("start", "start_day"),
        "start",
        (
            "keep one of them",
            "add `start = 2024-01-13` (a date) or `start_day = 12` (a day index)",
        ),
        d,
    )?;
    if day {
        it.int("start_day", false, -36_600, 36_600, d)
            .map(Start::Day)
    } else {
        it.date("start", d).map(|s| Start::Date(s.v))
    }
}

/// Read a `[[closure]]`.
pub(crate) fn closure(it: &Item<'_>, d: &mut Diags) -> RawClosure {
    let target = it.id("target", true, d);
    let start = start(it, d);
    let end = it
        .one_of(
            ("end", "duration_days"),
            "duration_days",
            (
                "keep one of them",
                "add `duration_days = 10` or `end = 2024-01-23` (the day it reopens)",
            ),
            d,
        )
        .and_then(|days| {
            if days {
                it.int("duration_days", false, 1, 36_600, d)
                    .map(|x| End::Days(x as u32))
            } else {
                it.date("end", d).map(End::Date)
            }
        });
    RawClosure {
        target,
        start,
        end,
        capacity_factor: it
            .num("capacity_factor", false, Rule::UnitOpen, d)
            .unwrap_or(0.0),
        ramp_days: it.days("ramp_days", d).unwrap_or(0),
        label: it.string("label", false, d).map(|s| s.v),
        expected_closure_days: it.num("expected_closure_days", false, Rule::Pos, d),
        seasonal: seasonal(it, d),
        loc: it.loc,
    }
}

/// Read a closure's `seasonal` flag: a seasonal closure is known in advance, so it
/// states no belief about how long it lasts.
fn seasonal(it: &Item<'_>, d: &mut Diags) -> bool {
    let seasonal = it.boolean("seasonal", d).unwrap_or(false);
    if let Some(n) = it.get("expected_closure_days").filter(|_| seasonal) {
        d.err(
            K::Inconsistent,
            n.loc(),
            format!(
                "{} is seasonal and states expected_closure_days: traders know when a \
                 seasonal closure ends",
                it.what
            ),
            Some("drop `expected_closure_days`, or `seasonal = true` for a disruption".into()),
        );
    }
    seasonal
}

/// Read a duration distribution table.
fn duration(it: &Item<'_>, d: &mut Diags) -> Option<DurationDist> {
    let dist = it.string("dist", true, d)?;
    let keys: &[&str] = match dist.v.as_str() {
        "exponential" => &["dist", "mean_days"],
        "lognormal" => &["dist", "mu", "sigma"],
        "gamma" => &["dist", "shape", "scale_days"],
        "empirical" => &["dist", "days"],
        other => {
            let words = ["exponential", "lognormal", "gamma", "empirical"];
            let mut hint = format!("expected one of {}", words.join(", "));
            if let Some(m) = did_you_mean(other, words) {
                hint = format!("{hint}; {m}");
            }
            d.err(
                K::OutOfRange,
                dist.loc,
                format!("`dist` = {other:?} in {} is not a distribution", it.what),
                Some(hint),
            );
            return None;
        }
    };
    for (k, n) in it.entries {
        if DURATION_KEYS.contains(&k.as_str()) && !keys.contains(&k.as_str()) {
            d.err(
                K::UnknownKey,
                n.loc(),
                format!(
                    "`{k}` does not belong to a {} duration in {}",
                    dist.v, it.what
                ),
                Some(format!(
                    "a {} duration has: {}",
                    dist.v,
                    keys[1..].join(", ")
                )),
            );
        }
    }
    let built = match dist.v.as_str() {
        "exponential" => DurationDist::exponential(it.num("mean_days", true, Rule::Pos, d)?),
        "lognormal" => {
            let mu = it.num("mu", true, Rule::Finite, d);
            let sigma = it.num("sigma", true, Rule::Pos, d);
            DurationDist::lognormal(mu?, sigma?)
        }
        "gamma" => {
            let shape = it.num("shape", true, Rule::Pos, d);
            let scale = it.num("scale_days", true, Rule::Pos, d);
            DurationDist::gamma(shape?, scale?)
        }
        _ => {
            let n = it.get("days");
            let Some(n) = n else {
                it.missing("days", d, "add `days = [6, 9, 10]` (observed durations)");
                return None;
            };
            let V::Array(a) = &n.v else {
                it.wrong_type("days", n, "an array of numbers", d);
                return None;
            };
            let mut days = Vec::new();
            for e in a {
                match &e.v {
                    V::Int(i) => days.push(*i as f64),
                    V::Float(x) => days.push(*x),
                    _ => {
                        it.wrong_type("days", e, "a number", d);
                        return None;
                    }
                }
            }
            DurationDist::empirical(days)
        }
    };
    match built {
        Ok(dd) => Some(dd),
        Err(msg) => {
            d.err(
                K::BadNumber,
                it.loc,
                format!("{}: {msg}", it.what),
                Some("durations must be positive numbers of days".into()),
            );
            None
        }
    }
}

/// Read a `[[process]]` (`shock` false) or `[[shock]]`.
pub(crate) fn process(it: &Item<'_>, shock: bool, d: &mut Diags) -> RawProcess {
    let (id, targets) = if shock {
        let id = it.id("id", true, d);
        let targets = it.strings("targets", true, d).unwrap_or_default();
        (id, targets)
    } else {
        (
            it.id("id", false, d),
            it.id("target", true, d).into_iter().collect(),
        )
    };
    let dur = match it.sub("duration", DURATION_KEYS, d) {
        Some(di) => duration(&di, d),
        None => {
            if !it.has("duration") {
                it.missing(
                    "duration",
                    d,
                    "add `duration = { dist = \"exponential\", mean_days = 7.0 }`",
                );
            }
            None
        }
    };
    RawProcess {
        id,
        targets,
        rate_per_year: it.num("rate_per_year", true, Rule::NonNeg, d),
        duration: dur,
        capacity_factor: it
            .num("capacity_factor", false, Rule::UnitOpen, d)
            .unwrap_or(0.0),
        ramp_days: it.days("ramp_days", d).unwrap_or(0),
        loc: it.loc,
    }
}

/// Read `[regimes]`.
pub(crate) fn regimes(it: &Item<'_>, d: &mut Diags) -> RawRegimes {
    let mut states = Vec::new();
    match it.get("state") {
        Some(Node { v: V::Array(a), .. }) => {
            for (i, n) in a.iter().enumerate() {
                let what = format!("regime state {}", i + 1);
                let Some(si) = Item::new(n, what, STATE_KEYS, d) else {
                    continue;
                };
                let mut transitions = Vec::new();
                if let Some(ti) = si.get("transitions") {
                    match ti.table() {
                        Some(entries) => {
                            for (k, v) in entries {
                                let p = match &v.v {
                                    V::Int(i) => Some(*i as f64),
                                    V::Float(x) => Some(*x),
                                    _ => None,
                                };
                                match p {
                                    Some(p) if (0.0..=1.0).contains(&p) => transitions.push((
                                        Sp {
                                            v: k.clone(),
                                            loc: v.loc(),
                                        },
                                        p,
                                    )),
                                    Some(p) => d.err(
                                        K::OutOfRange,
                                        v.loc(),
                                        format!(
                                            "transition probability to `{k}` = {p} in {} is out of range",
                                            si.what
                                        ),
                                        Some("expected a probability in [0, 1]".into()),
                                    ),
                                    None => si.wrong_type("transitions", v, "a number", d),
                                }
                            }
                        }
                        None => si.wrong_type(
                            "transitions",
                            ti,
                            "a table like { calm = 0.99, tense = 0.01 }",
                            d,
                        ),
                    }
                } else {
                    si.missing(
                        "transitions",
                        d,
                        "add `transitions = { calm = 0.99, tense = 0.01 }`",
                    );
                }
                states.push(RawState {
                    id: si.id("id", true, d),
                    rate_multiplier: si.num("rate_multiplier", true, Rule::NonNeg, d),
                    transitions,
                    loc: si.loc,
                });
            }
        }
        Some(n) => it.wrong_type("state", n, "an array of [[regimes.state]] tables", d),
        None => it.missing("state", d, "add [[regimes.state]] tables"),
    }
    RawRegimes {
        initial: it.id("initial", false, d),
        states,
    }
}

/// Read an `[[expand]]`.
pub(crate) fn expand(it: &Item<'_>, d: &mut Diags) -> RawExpand {
    RawExpand {
        link: it.id("link", true, d),
        extra_t_per_day: it.num("extra_t_per_day", true, Rule::Pos, d),
        start: start(it, d),
        ramp_days: it.days("ramp_days", d).unwrap_or(0),
    }
}

/// Read a `[[set_cost]]`.
pub(crate) fn set_cost(it: &Item<'_>, d: &mut Diags) -> RawSetCost {
    RawSetCost {
        link: it.id("link", true, d),
        cost_usd_per_t: it.num("cost_usd_per_t", true, Rule::NonNeg, d),
    }
}

/// Read a `[[set_process]]`: exactly one of `process` / `shock`, at most one of
/// `rate_per_year` / `rate_scale` and of `duration` / `duration_scale`, and at least one
/// change.
fn set_process(it: &Item<'_>, d: &mut Diags) -> RawSetProcess {
    let which = it
        .one_of(
            ("process", "shock"),
            "process",
            (
                "a [[set_process]] changes one process or one shock: keep one",
                "add `process = \"<process id>\"` or `shock = \"<shock id>\"`",
            ),
            d,
        )
        .and_then(|shock| {
            let key = if shock { "shock" } else { "process" };
            it.id(key, false, d).map(|x| (shock, x))
        });
    for (a, b) in [
        ("rate_per_year", "rate_scale"),
        ("duration", "duration_scale"),
    ] {
        if it.has(a) && it.has(b) {
            d.err(
                K::Inconsistent,
                it.get(b).map_or(it.loc, Node::loc),
                format!("{} has both `{a}` and `{b}`", it.what),
                Some(format!("`{a}` replaces, `{b}` multiplies: keep one")),
            );
        }
    }
    let changes = [
        "rate_per_year",
        "rate_scale",
        "duration",
        "duration_scale",
        "capacity_factor",
        "ramp_days",
    ];
    if !changes.iter().any(|k| it.has(k)) {
        d.err(
            K::MissingKey,
            it.loc,
            format!("{} changes nothing", it.what),
            Some(format!("give at least one of {}", changes.join(", "))),
        );
    }
    RawSetProcess {
        which,
        rate_per_year: it.num("rate_per_year", false, Rule::NonNeg, d),
        rate_scale: it.num("rate_scale", false, Rule::NonNeg, d),
        duration: it
            .sub("duration", DURATION_KEYS, d)
            .and_then(|di| duration(&di, d)),
        duration_scale: it.num("duration_scale", false, Rule::Pos, d),
        capacity_factor: it.num("capacity_factor", false, Rule::UnitOpen, d),
        ramp_days: it.days("ramp_days", d),
    }
}

/// Read `[option]` and its change tables from the top-level table of an option file.
pub(crate) fn option(top: &Item<'_>, d: &mut Diags) -> RawOption {
    let mut o = RawOption {
        name: None,
        description: String::new(),
        base: None,
        capital_cost_usd: None,
        annual_cost_usd: None,
        horizon_years: None,
        add_node: Vec::new(),
        add_link: Vec::new(),
        expand: Vec::new(),
        set_cost: Vec::new(),
        add_closure: Vec::new(),
        remove_closure: Vec::new(),
        add_process: Vec::new(),
        add_shock: Vec::new(),
        join_shock: Vec::new(),
        set_process: Vec::new(),
        order: Vec::new(),
    };
    match top.sub("option", OPTION_KEYS, d) {
        Some(it) => {
            let it = it.renamed("[option]");
            o.name = it.text("name", true, d).map(|s| s.v);
            o.description = it
                .string("description", false, d)
                .map_or(String::new(), |s| s.v);
            o.base = it.text("base", true, d);
            o.capital_cost_usd = it.num("capital_cost_usd", true, Rule::NonNeg, d);
            o.annual_cost_usd = it.num("annual_cost_usd", false, Rule::NonNeg, d);
            o.horizon_years = it.num("horizon_years", true, Rule::Pos, d);
        }
        None => {
            if !top.has("option") {
                top.missing("option", d, "an option file starts with an [option] table");
            }
        }
    }
    for_each_element(top, "add_node", NODE_KEYS, d, |it, d| {
        o.order
            .push((ChangeKind::AddNode, o.add_node.len(), it.loc));
        o.add_node.push(node(it, d));
    });
    for_each_element(top, "add_link", ADD_LINK_KEYS, d, |it, d| {
        o.order
            .push((ChangeKind::AddLink, o.add_link.len(), it.loc));
        o.add_link.push(link(it, true, d));
    });
    for_each_element(top, "expand", EXPAND_KEYS, d, |it, d| {
        o.order.push((ChangeKind::Expand, o.expand.len(), it.loc));
        o.expand.push(expand(it, d));
    });
    for_each_element(top, "set_cost", SET_COST_KEYS, d, |it, d| {
        o.order
            .push((ChangeKind::SetCost, o.set_cost.len(), it.loc));
        o.set_cost.push(set_cost(it, d));
    });
    for_each_element(top, "add_closure", CLOSURE_KEYS, d, |it, d| {
        o.order
            .push((ChangeKind::AddClosure, o.add_closure.len(), it.loc));
        o.add_closure.push(closure(it, d));
    });
    for_each_element(top, "remove_closure", REMOVE_CLOSURE_KEYS, d, |it, d| {
        o.order
            .push((ChangeKind::RemoveClosure, o.remove_closure.len(), it.loc));
        o.remove_closure.push(RawRemoveClosure {
            target: it.id("target", true, d),
            label: it.text("label", false, d),
            loc: it.loc,
        });
    });
    for_each_element(top, "add_process", PROCESS_KEYS, d, |it, d| {
        o.order
            .push((ChangeKind::AddProcess, o.add_process.len(), it.loc));
        o.add_process.push(process(it, false, d));
    });
    for_each_element(top, "add_shock", SHOCK_KEYS, d, |it, d| {
        o.order
            .push((ChangeKind::AddShock, o.add_shock.len(), it.loc));
        o.add_shock.push(process(it, true, d));
    });
    for_each_element(top, "join_shock", JOIN_SHOCK_KEYS, d, |it, d| {
        o.order
            .push((ChangeKind::JoinShock, o.join_shock.len(), it.loc));
        let targets = it.strings("targets", true, d).unwrap_or_default();
        if targets.is_empty() && it.has("targets") {
            d.err(
                K::Inconsistent,
                it.loc,
                format!("{} lists no targets", it.what),
                Some("list the corridors or links that join the shock in `targets`".into()),
            );
        }
        o.join_shock.push(RawJoinShock {
            shock: it.id("shock", true, d),
            targets,
        });
    });
    for_each_element(top, "set_process", SET_PROCESS_KEYS, d, |it, d| {
        o.order
            .push((ChangeKind::SetProcess, o.set_process.len(), it.loc));
        o.set_process.push(set_process(it, d));
    });
    o.order.sort_by_key(|(_, _, loc)| (loc.file, loc.line));
    o
}

/// Call `f` on each element of the array of tables `key` of `top`.
pub(crate) fn for_each_element<'a>(
    top: &Item<'a>,
    key: &str,
    allowed: &[&str],
    d: &mut Diags,
    mut f: impl FnMut(&Item<'a>, &mut Diags),
) {
    let Some(n) = top.get(key) else { return };
    let V::Array(a) = &n.v else {
        top.wrong_type(key, n, &format!("an array of tables ([[{key}]])"), d);
        return;
    };
    for (i, e) in a.iter().enumerate() {
        if let Some(it) = Item::new(e, format!("{key} {}", i + 1), allowed, d) {
            f(&it, d);
        }
    }
}
