//! Reading the fields of one table ([`Item`]): each key checked against its table's key
//! list, each value against its type and range ([`Rule`]), every problem with its line.

use chrono::NaiveDate;

use super::diags::{did_you_mean, is_valid_id, Diags, Loc, Sp};
use crate::error::DiagnosticKind as K;
use crate::network::Seasonality;
use crate::scenario::tree::{Node, V};

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
    pub(super) entries: &'a [(String, Node)],
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
    pub(super) fn one_of(
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

    pub(super) fn wrong_type(&self, key: &str, n: &Node, expected: &str, d: &mut Diags) {
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
