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
use toml::Spanned;

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
    match toml::from_str::<Spanned<NodeDe>>(text) {
        Ok(sp) => {
            let mut node = sp.into_inner().0;
            node.line = 0;
            if let V::Table(t) = &mut node.v {
                for (_, n) in t.iter_mut() {
                    fix_offsets(n, text);
                }
            }
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

fn fix_offsets(n: &mut Node, text: &str) {
    n.line = skip_blank(text, n.line);
    match &mut n.v {
        V::Array(a) => a.iter_mut().for_each(|n| fix_offsets(n, text)),
        V::Table(t) => t.iter_mut().for_each(|(_, n)| fix_offsets(n, text)),
        _ => {}
    }
}

/// Deserialization target: a [`Node`] whose nested values are read as `Spanned`.
struct NodeDe(Node);

impl<'de> Deserialize<'de> for NodeDe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

fn spanned_node(sp: Spanned<NodeDe>) -> Node {
    let start = sp.span().start;
    let mut n = sp.into_inner().0;
    n.line = start;
    n
}

fn leaf(v: V) -> NodeDe {
    NodeDe(Node {
        file: 0,
        line: 0,
        v,
    })
}

struct NodeVisitor;

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
        while let Some(sp) = seq.next_element::<Spanned<NodeDe>>()? {
            out.push(spanned_node(sp));
        }
        Ok(leaf(V::Array(out)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NodeDe, A::Error> {
        let mut out = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == DATETIME_FIELD {
                let s: String = map.next_value()?;
                let d: Datetime = s.parse().map_err(de::Error::custom)?;
                return Ok(leaf(V::Date(d)));
            }
            let sp = map.next_value::<Spanned<NodeDe>>()?;
            out.push((key, spanned_node(sp)));
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
}
