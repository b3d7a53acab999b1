//! A TOML (or CSV) document as a tree of values that each know their file and line.
//!
//! serde stops at the first error in a document, so the loader does not deserialize
//! scenario files straight into typed structs. Instead the text is read once into this
//! tree (every nested value deserialized as a [`toml::Spanned`], so its byte offset
//! survives), and the raw stage ([`super::raw`]) reads typed fields from it, reporting
//! every problem with its line.

use std::fmt;
use std::ops::Range;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use toml::value::Datetime;

/// One value with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    /// Index of the file in the load's file list.
    pub file: usize,
    /// 1-based line (a byte offset until [`Node::fix_lines`] runs).
    pub line: usize,
    /// The value.
    pub v: V,
}

/// The value of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum V {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Date(Datetime),
    Array(Vec<Node>),
    Table(Vec<(String, Node)>),
    /// Text from a CSV cell: numbers, booleans and dates are parsed on demand.
    Cell(String),
}

impl V {
    /// What kind of value this is, for "expected a number, found a string" messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            V::Str(_) => "a string",
            V::Int(_) => "an integer",
            V::Float(_) => "a float",
            V::Bool(_) => "a boolean",
            V::Date(_) => "a date",
            V::Array(_) => "an array",
            V::Table(_) => "a table",
            V::Cell(_) => "a text cell",
        }
    }
}

impl fmt::Display for V {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            V::Str(s) | V::Cell(s) => write!(f, "{s:?}"),
            V::Int(i) => write!(f, "{i}"),
            V::Float(x) => write!(f, "{x}"),
            V::Bool(b) => write!(f, "{b}"),
            V::Date(d) => write!(f, "{d}"),
            V::Array(a) => {
                write!(f, "[")?;
                for (i, n) in a.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{}", n.v)?;
                }
                write!(f, "]")
            }
            V::Table(_) => write!(f, "{{...}}"),
        }
    }
}

impl Node {
    /// Replace byte offsets by 1-based line numbers, recursively.
    pub fn fix_lines(&mut self, lines: &LineIndex) {
        self.line = lines.line(self.line);
        match &mut self.v {
            V::Array(a) => a.iter_mut().for_each(|n| n.fix_lines(lines)),
            V::Table(t) => t.iter_mut().for_each(|(_, n)| n.fix_lines(lines)),
            _ => {}
        }
    }

    /// Set the file index, recursively.
    pub fn set_file(&mut self, file: usize) {
        self.file = file;
        match &mut self.v {
            V::Array(a) => a.iter_mut().for_each(|n| n.set_file(file)),
            V::Table(t) => t.iter_mut().for_each(|(_, n)| n.set_file(file)),
            _ => {}
        }
    }

    /// The entries when this is a table.
    pub fn table(&self) -> Option<&[(String, Node)]> {
        match &self.v {
            V::Table(t) => Some(t),
            _ => None,
        }
    }

    /// Look up a key when this is a table.
    #[cfg(test)]
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.table()?.iter().find(|(k, _)| k == key).map(|(_, n)| n)
    }
}

/// Byte offset to 1-based line.
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Index the line starts of `text`.
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The 1-based line holding byte `offset`.
    pub fn line(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

/// The first line at or after `offset` that is not blank or a comment: TOML spans of
/// array-of-table elements may start at the end of the previous line.
fn skip_blank(text: &str, offset: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = offset.min(bytes.len());
    loop {
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\r' | b'\n') {
            i += 1;
        }
        if i < bytes.len() && bytes[i] == b'#' {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        return i;
    }
}

/// Parse TOML text into a tree with lines. `Err((line, message))` on a syntax error.
pub(crate) fn parse_toml(text: &str, file: usize) -> Result<Node, (usize, String)> {
    let lines = LineIndex::new(text);
    match toml::from_str::<NodeDe>(text) {
        Ok(root) => {
            let mut node = root.0;
            if let V::Table(t) = &mut node.v {
                for (_, n) in t.iter_mut() {
                    fix_offsets(n, text, 0);
                }
            }
            node.line = 0;
            node.fix_lines(&lines);
            node.line = 1;
            node.set_file(file);
            Ok(node)
        }
        Err(e) => {
            let line = e.span().map_or(1, |r: Range<usize>| lines.line(r.start));
            Err((line, e.message().trim().to_string()))
        }
    }
}

/// Offsets of values without a span (implicit tables of dotted keys) come from their
/// first child, else their parent; array-of-table offsets skip blank and comment lines.
fn fix_offsets(n: &mut Node, text: &str, parent: usize) {
    let own = (n.line != NO_POS).then_some(n.line);
    let here = own.unwrap_or(parent);
    let mut first_child = None;
    let mut visit = |c: &mut Node| {
        fix_offsets(c, text, here);
        first_child = Some(first_child.map_or(c.line, |f: usize| f.min(c.line)));
    };
    match &mut n.v {
        V::Array(a) => a.iter_mut().for_each(&mut visit),
        V::Table(t) => t.iter_mut().for_each(|(_, c)| visit(c)),
        _ => {}
    }
    n.line = match own {
        Some(o) => skip_blank(text, o),
        None => first_child.unwrap_or(parent),
    };
}

/// Marks a value whose position the parser did not give.
const NO_POS: usize = usize::MAX;

/// The private protocol by which `toml::Spanned` asks toml's deserializer for a span
/// (serde_spanned 0.6). Values the parser has a span for answer with a map of these three
/// fields; values without one (implicit tables of dotted keys) answer as themselves. The
/// unit tests below pin this behaviour.
const SPANNED_NAME: &str = "$__serde_spanned_private_Spanned";
const SPANNED_START: &str = "$__serde_spanned_private_start";
const SPANNED_END: &str = "$__serde_spanned_private_end";
const SPANNED_VALUE: &str = "$__serde_spanned_private_value";
const SPANNED_FIELDS: [&str; 3] = [SPANNED_START, SPANNED_END, SPANNED_VALUE];

/// A nested value, with its span when the parser has one.
struct MaybeSpanned(Node);

impl<'de> Deserialize<'de> for MaybeSpanned {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_struct(SPANNED_NAME, &SPANNED_FIELDS, NodeVisitor { spanned: true })
            .map(|n| MaybeSpanned(n.0))
    }
}

/// Deserialization target: a [`Node`] whose nested values carry their spans.
struct NodeDe(Node);

impl<'de> Deserialize<'de> for NodeDe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor { spanned: false })
    }
}

fn leaf(v: V) -> NodeDe {
    NodeDe(Node {
        file: 0,
        line: NO_POS,
        v,
    })
}

struct NodeVisitor {
    /// Whether a span map may come (the value was asked for as a spanned struct).
    spanned: bool,
}

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = NodeDe;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a TOML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<NodeDe, E> {
        Ok(leaf(V::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<NodeDe, E> {
        Ok(leaf(V::Int(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<NodeDe, E> {
        Ok(leaf(match i64::try_from(v) {
            Ok(i) => V::Int(i),
            Err(_) => V::Float(v as f64),
        }))
    }
    fn visit_f64<E>(self, v: f64) -> Result<NodeDe, E> {
        Ok(leaf(V::Float(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<NodeDe, E> {
        Ok(leaf(V::Str(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<NodeDe, E> {
        Ok(leaf(V::Str(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NodeDe, A::Error> {
        let mut out = Vec::new();
        while let Some(MaybeSpanned(n)) = seq.next_element::<MaybeSpanned>()? {
            out.push(n);
        }
        Ok(leaf(V::Array(out)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NodeDe, A::Error> {
        let mut out = Vec::new();
        let mut first = true;
        while let Some(key) = map.next_key::<String>()? {
            if first && self.spanned && key == SPANNED_START {
                let start: usize = map.next_value()?;
                let mut inner = None;
                while let Some(k) = map.next_key::<String>()? {
                    if k == SPANNED_VALUE {
                        inner = Some(map.next_value::<NodeDe>()?.0);
                    } else {
                        let _: de::IgnoredAny = map.next_value()?;
                    }
                }
                let mut n = inner.ok_or_else(|| de::Error::missing_field(SPANNED_VALUE))?;
                n.line = start;
                return Ok(NodeDe(n));
            }
            if first && key == DATETIME_FIELD {
                let s: String = map.next_value()?;
                let d: Datetime = s.parse().map_err(de::Error::custom)?;
                return Ok(leaf(V::Date(d)));
            }
            first = false;
            let MaybeSpanned(n) = map.next_value::<MaybeSpanned>()?;
            out.push((key, n));
        }
        Ok(leaf(V::Table(out)))
    }
}

/// The private key under which toml's deserializer hands out datetimes.
const DATETIME_FIELD: &str = "$__toml_private_datetime";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_nested_values() {
        let text = "# c\n[scenario]\nname = \"x\"\nstart = 2024-01-02\n\n# comment\n[[node]]\nid = \"a\"\n\n[[node]]\nid = \"b\"\nx = { y = [1, 2.5] }\n";
        let t = parse_toml(text, 0).unwrap();
        let s = t.get("scenario").unwrap();
        assert_eq!(s.get("name").unwrap().line, 3);
        assert!(matches!(s.get("start").unwrap().v, V::Date(_)));
        let V::Array(nodes) = &t.get("node").unwrap().v else {
            panic!()
        };
        assert_eq!(nodes[0].line, 7);
        assert_eq!(nodes[1].line, 10);
        assert_eq!(nodes[1].get("id").unwrap().line, 11);
        assert_eq!(nodes[1].get("x").unwrap().get("y").unwrap().line, 12);
    }

    #[test]
    fn dotted_keys_and_implicit_tables_get_lines() {
        let text = "[scenario]\nname = \"x\"\n\n[[node]]\nid = \"a\"\nextra.x = 1\nextra.y = 2\n";
        let t = parse_toml(text, 0).unwrap();
        let V::Array(nodes) = &t.get("node").unwrap().v else {
            panic!()
        };
        let extra = nodes[0].get("extra").unwrap();
        assert_eq!(extra.line, 6);
        assert_eq!(extra.get("y").unwrap().line, 7);
        let t = parse_toml("a.b.c = 1\n\nd = 2\n", 0).unwrap();
        assert_eq!(t.get("a").unwrap().line, 1);
        assert_eq!(t.get("d").unwrap().line, 3);
        assert!(matches!(
            t.get("a").unwrap().get("b").unwrap().get("c").unwrap().v,
            V::Int(1)
        ));
    }

    #[test]
    fn dates_and_errors() {
        let t = parse_toml("d = 2024-01-02\ne = [2024-01-03]\n", 0).unwrap();
        assert!(matches!(t.get("d").unwrap().v, V::Date(_)));
        assert_eq!(parse_toml("a = 1\nb = = 2\n", 0).unwrap_err().0, 2);
        assert_eq!(parse_toml("a = 1\na = 2\n", 0).unwrap_err().0, 2);
    }
}
