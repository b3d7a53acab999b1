//! Reading the CSV files of an output folder, with errors that name the file, the line
//! and the column.

use std::path::{Path, PathBuf};

use crate::Error;

/// A CSV file read whole: its header and rows of text.
pub(crate) struct Csv {
    /// The file.
    pub path: PathBuf,
    headers: Vec<String>,
    /// The rows, without the header.
    pub rows: Vec<csv::StringRecord>,
}

impl Csv {
    /// Read `dir/name`, which a report of a `kind` folder needs (`kind`: the command that
    /// writes it, for the message).
    pub fn read(dir: &Path, name: &str, kind: &str) -> Result<Csv, Error> {
        let path = dir.join(name);
        if !path.is_file() {
            return Err(Error::Invalid(format!(
                "{}: missing; the report of a `{kind}` folder needs {name} (written by \
                 `chokepoint {kind} --out`): is the folder complete?",
                path.display()
            )));
        }
        let bad =
            |e: csv::Error| Error::Invalid(format!("{}: not a CSV file ({e})", path.display()));
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_path(&path)
            .map_err(bad)?;
        let headers = reader
            .headers()
            .map_err(bad)?
            .iter()
            .map(str::to_string)
            .collect();
        let rows = reader
            .records()
            .collect::<Result<Vec<_>, _>>()
            .map_err(bad)?;
        Ok(Csv {
            path,
            headers,
            rows,
        })
    }

    /// The index of column `name`.
    pub fn col(&self, name: &str) -> Result<usize, Error> {
        self.headers.iter().position(|h| h == name).ok_or_else(|| {
            Error::Invalid(format!(
                "{}: has no column `{name}` (columns: {}); was it written by another \
                 version of chokepoint?",
                self.path.display(),
                self.headers.join(", ")
            ))
        })
    }

    /// The columns named, in order.
    pub fn cols<const N: usize>(&self, names: [&str; N]) -> Result<[usize; N], Error> {
        let mut out = [0; N];
        for (o, n) in out.iter_mut().zip(names) {
            *o = self.col(n)?;
        }
        Ok(out)
    }

    /// The text in row `row`, column `col` (empty when the row is short).
    pub fn text(&self, row: usize, col: usize) -> &str {
        self.rows
            .get(row)
            .and_then(|r| r.get(col))
            .unwrap_or_default()
    }

    /// The number in row `row`, column `col`; an empty cell is NaN.
    pub fn num(&self, row: usize, col: usize) -> Result<f64, Error> {
        let t = self.text(row, col).trim();
        if t.is_empty() {
            return Ok(f64::NAN);
        }
        t.parse::<f64>().map_err(|_| {
            Error::Invalid(format!(
                "{}: line {}, column `{}`: {t:?} is not a number",
                self.path.display(),
                row + 2,
                self.headers.get(col).map_or("?", String::as_str)
            ))
        })
    }

    /// A whole number (a day index, a count) in row `row`, column `col`.
    pub fn whole(&self, row: usize, col: usize) -> Result<usize, Error> {
        let t = self.text(row, col).trim();
        t.parse::<usize>().map_err(|_| {
            Error::Invalid(format!(
                "{}: line {}, column `{}`: {t:?} is not a whole number",
                self.path.display(),
                row + 2,
                self.headers.get(col).map_or("?", String::as_str)
            ))
        })
    }

    /// An error about this file.
    pub fn error(&self, what: &str) -> Error {
        Error::Invalid(format!("{}: {what}", self.path.display()))
    }
}

/// Ids in order of first appearance.
#[derive(Default)]
pub(crate) struct Order(Vec<String>);

impl Order {
    /// The index of `id`, added at the end when new.
    pub fn index(&mut self, id: &str) -> usize {
        match self.0.iter().position(|x| x == id) {
            Some(i) => i,
            None => {
                self.0.push(id.to_string());
                self.0.len() - 1
            }
        }
    }

    /// The ids.
    pub fn ids(&self) -> &[String] {
        &self.0
    }
}
