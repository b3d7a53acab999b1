//! The problem collector ([`Diags`]) and where things were written ([`Loc`], [`Sp`]), with
//! the id and "did you mean" helpers every reader uses.

use std::path::PathBuf;

use crate::error::{Diagnostic, DiagnosticKind as K, Severity};
use crate::scenario::tree::Node;

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
