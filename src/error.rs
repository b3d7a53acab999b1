//! Errors: one enum per phase (loading, solving, simulating, writing) under [`Error`].

use std::fmt;
use std::path::PathBuf;

/// Any error of the library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A scenario or option file has problems (all of them are listed).
    #[error(transparent)]
    Scenario(#[from] ScenarioErrors),
    /// The flow solver failed.
    #[error(transparent)]
    Solve(#[from] SolveError),
    /// The simulation failed.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// Reading or writing a file failed (the OS error is the `source`, which
    /// `{:#}`-style printing appends).
    #[error("cannot read or write {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A bad argument to a library call or command (what is wrong and what would be right).
    #[error("{0}")]
    Invalid(String),
    /// A study was stopped between runs (its stop flag was set, e.g. by Ctrl-C in a
    /// notebook); nothing it would have written was written.
    #[error("stopped before the last run")]
    Cancelled,
    /// The engine panicked in a run of a study: a bug, reported with the run and what
    /// the study knows of it (its seed, its closures) so it can be replayed.
    #[error("the engine panicked in run {run}: {message}; this is a bug{context}")]
    Panicked {
        /// The run index.
        run: u64,
        /// The panic's message.
        message: String,
        /// What the study says of the run (empty, or starting with a separator).
        context: String,
    },
    /// A CSV or JSON file that cannot be read as the table or record it should be: the
    /// file, the 1-based line (and the column, when known) and what is wrong.
    #[error("{}:{line}{}: {message}", path.display(), column.as_ref().map(|c| format!(" (column {c})")).unwrap_or_default())]
    File {
        /// The file.
        path: PathBuf,
        /// 1-based line (0 when unknown).
        line: u64,
        /// The column's name (CSV) or 1-based number (JSON), when known.
        column: Option<String>,
        /// What is wrong and what would be right.
        message: String,
    },
    /// An output folder that holds another study's outputs (or an unfinished study's):
    /// writing there would mix two studies. Choose another folder, or clear
    /// chokepoint's own files there first (`force`).
    #[error("the output folder {} holds {reason}", dir.display())]
    FolderInUse {
        /// The folder.
        dir: PathBuf,
        /// Whose outputs it holds (and the first field in which that study differs).
        reason: String,
    },
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Loads anyway; worth a look.
    Warning,
    /// The file cannot be used.
    Error,
}

/// The kind of a problem found in a scenario file; tests assert on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DiagnosticKind {
    /// The file could not be read.
    Io,
    /// Not valid TOML or CSV syntax.
    Syntax,
    /// A key that the format does not have.
    UnknownKey,
    /// A required key is missing.
    MissingKey,
    /// A value of the wrong type (a string where a number belongs).
    WrongType,
    /// Two items share an id.
    DuplicateId,
    /// An id that is not of the form `[a-z0-9_]+`.
    BadId,
    /// A reference to an id that does not exist.
    UnknownReference,
    /// A number that is negative, zero where it must be positive, NaN or infinite.
    BadNumber,
    /// A probability or factor outside [0, 1], or another value outside its range.
    OutOfRange,
    /// A date that cannot be parsed or lies outside what is allowed.
    BadDate,
    /// A closure that ends before it starts.
    EndsBeforeStart,
    /// A product with demand but no supply.
    NoSupply,
    /// A product with supply but no demand.
    NoDemand,
    /// Demand that no path from any supply of its product can reach (a warning).
    Unreachable,
    /// A scenario with no nodes, links or products.
    Empty,
    /// Anything else that is inconsistent (e.g. a regime row that does not sum to 1).
    Inconsistent,
}

/// One problem in a scenario file: where, what, and what would be right.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// What kind of problem.
    pub kind: DiagnosticKind,
    /// The file.
    pub file: PathBuf,
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// What is wrong, naming the key or id at fault.
    pub message: String,
    /// What would be right, if there is something to say.
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        // Line 0: a problem with the whole file (it cannot be read), not with a line.
        if self.line == 0 {
            write!(f, "{}: {sev}: {}", self.file.display(), self.message)?;
        } else {
            write!(
                f,
                "{}:{}: {sev}: {}",
                self.file.display(),
                self.line,
                self.message
            )?;
        }
        if let Some(h) = &self.hint {
            write!(f, "; {h}")?;
        }
        Ok(())
    }
}

/// Every problem found while loading a scenario (at least one is an error).
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioErrors {
    /// All diagnostics, errors and warnings, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl ScenarioErrors {
    /// The diagnostics that are errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }
}

impl fmt::Display for ScenarioErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors().count();
        writeln!(f, "{n} error{} in scenario:", if n == 1 { "" } else { "s" })?;
        for d in &self.diagnostics {
            writeln!(f, "  {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioErrors {}

/// Errors of the min-cost flow solver.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SolveError {
    /// Supplies cannot be routed within the capacities.
    #[error("the flow problem is infeasible: supplies cannot be routed within the arc capacities")]
    Infeasible,
    /// A negative-cost cycle of unbounded capacity.
    #[error("the flow problem is unbounded: a negative-cost cycle has unlimited capacity")]
    Unbounded,
    /// Numbers too large for exact i64 arithmetic.
    #[error("numbers too large for exact arithmetic: {0}")]
    Overflow(String),
    /// A malformed problem (bad node index, negative capacity, unbalanced supplies).
    #[error("invalid flow problem: {0}")]
    InvalidInput(String),
    /// A DIMACS file that cannot be read.
    #[error("DIMACS line {line}: {message}")]
    Dimacs {
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// Errors of the simulation engine.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A bad simulation request (e.g. an unknown corridor in an ad-hoc closure).
    #[error("{0}")]
    Invalid(String),
    /// The daily routing problem could not be solved.
    #[error("routing product {product} on day {day}: {source}")]
    Routing {
        /// Product id.
        product: String,
        /// Day index.
        day: u32,
        /// Why.
        source: SolveError,
    },
    /// A state the engine should never reach (a bug): reported, never skipped.
    #[error("internal error in the engine (please report it): {0}")]
    Internal(String),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
