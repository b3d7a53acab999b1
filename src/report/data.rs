//! Reading the CSV files of an output folder, with errors that name the file, the line
//! and the column.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::study::output::read_table;
use crate::Error;

/// A CSV file read whole into typed rows (serde, by column name): a bad cell is an
/// [`Error::File`] naming the file, the line, the column and the cell.
pub(crate) struct Csv<T> {
    /// The file.
    pub path: PathBuf,
    /// The rows, without the header.
    pub rows: Vec<T>,
}

impl<T: DeserializeOwned> Csv<T> {
    /// Read `dir/name`, which a report of a `kind` folder needs (`kind`: the command that
    /// writes it, for the message). Every field of `T` must be a column.
    pub fn read(dir: &Path, name: &str, kind: &str) -> Result<Csv<T>, Error> {
        Csv::read_with(dir, name, kind, &[])
    }

    /// [`Csv::read`], where the fields named in `optional` may be missing columns (an
    /// older version did not write them).
    pub fn read_with(
        dir: &Path,
        name: &str,
        kind: &str,
        optional: &[&str],
    ) -> Result<Csv<T>, Error> {
        let path = dir.join(name);
        if !path.is_file() {
            return Err(Error::Invalid(format!(
                "{}: missing; the report of a `{kind}` folder needs {name} (written by \
                 `chokepoint {kind} --out`): is the folder complete?",
                path.display()
            )));
        }
        let rows = read_table(&path, optional)?;
        Ok(Csv { path, rows })
    }
}

impl<T> Csv<T> {
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
