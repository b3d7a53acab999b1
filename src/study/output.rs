//! The output set every study writes through: a CSV table as bytes, the files written
//! atomically with the manifest (their checksums) last, and whether a manifest is a
//! shard's. Montecarlo, compare and criticality all write here, so a folder is complete
//! exactly when its manifest is there.

use std::path::Path;

use crate::output::manifest::{FileRecord, Manifest};
use crate::Error;

/// A float as every file of chokepoint writes it (CSV cells, TOML values): the one
/// number format of the tool.
///
/// - a finite number: the shortest text that reads back to the same bits, always with a
///   decimal point or an exponent (`0.0`, `1.0`, `0.1`, `1234.5`, `1e-7`, `1.5e20`), so
///   a column of floats reads as floats in pandas and R even when every value is whole;
/// - zero of either sign: `0.0` (never `-0.0`);
/// - NaN (a figure that is not defined: no recovery, a ratio of nothing): an empty cell,
///   which pandas (`read_csv`), R (`read.csv`, `readr::read_csv`) and polars read as
///   missing without options;
/// - infinities: `inf` and `-inf`, which pandas, R and Rust read as infinities.
///
/// Readers ([`nan_if_empty`], `Option<f64>`) also accept the forms older versions wrote
/// (`0`, `NaN`, `1` from a plain `{}`), so old folders still merge and report.
///
/// ```
/// use chokepoint::study::output::num;
/// assert_eq!(num(0.0), "0.0");
/// assert_eq!(num(-0.0), "0.0");
/// assert_eq!(num(2.0), "2.0");
/// assert_eq!(num(0.1 + 0.2), "0.30000000000000004");
/// assert_eq!(num(f64::NAN), "");
/// assert_eq!(num(f64::NEG_INFINITY), "-inf");
/// ```
pub fn num(v: f64) -> String {
    if v.is_nan() {
        String::new()
    } else if v == 0.0 {
        "0.0".to_string()
    } else {
        // `{:?}` is Rust's shortest round-trip form, with `.0` or an exponent, and
        // `inf` / `-inf` for the infinities.
        format!("{v:?}")
    }
}

/// A CSV table (header, then rows) as bytes, in the `csv` crate's default dialect.
pub fn csv_bytes<H, I, R>(header: &[H], rows: I) -> Vec<u8>
where
    H: AsRef<[u8]>,
    I: IntoIterator<Item = R>,
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = w.write_record(header);
    for r in rows {
        let _ = w.write_record(r);
    }
    w.into_inner().unwrap_or_default()
}

/// Write `files` (name, bytes) into `dir`, each atomically, then the manifest with their
/// checksums as `manifest_name` (`manifest.json`, or `shard.json` for a shard), last.
pub fn write_with_manifest(
    dir: &Path,
    files: Vec<(&str, Vec<u8>)>,
    manifest: &Manifest,
    manifest_name: &str,
) -> Result<(), Error> {
    let mut manifest = manifest.clone();
    manifest.files.clear();
    for (name, bytes) in files {
        crate::output::write_bytes_atomic(&dir.join(name), &bytes)?;
        manifest.files.push(FileRecord::of_bytes(name, &bytes));
    }
    crate::output::write_bytes_atomic(&dir.join(manifest_name), &manifest.to_json()?)
}

/// Whether `m` is the manifest of one shard's partial result.
pub fn is_shard(m: &Manifest) -> bool {
    m.montecarlo.as_ref().and_then(|m| m.shard).is_some()
}

/// Read the CSV table `path` row by row into `T` (serde, by column name), handing each
/// row with its 1-based line to `each`. `columns` are the columns the table must have
/// (others are ignored). A file that is not such a table is an [`Error::File`] naming
/// the file, the line and the column: a missing column, a cell that is not what its
/// column holds (text in a number column), a row of the wrong length.
pub fn read_rows<T, F>(path: &Path, columns: &[&str], mut each: F) -> Result<(), Error>
where
    T: serde::de::DeserializeOwned,
    F: FnMut(u64, T) -> Result<(), Error>,
{
    let mut rows = Rows::open(path, columns)?;
    while let Some((line, row)) = rows.next()? {
        each(line, row)?;
    }
    Ok(())
}

/// A CSV table read one row at a time, as [`read_rows`] reads it (the same checks and
/// errors), for a reader that takes rows from several tables in turn (a merge reading
/// its shards' tables run by run) and so cannot hand them to a callback.
pub struct Rows {
    path: std::path::PathBuf,
    reader: csv::Reader<std::io::BufReader<std::fs::File>>,
    header: csv::StringRecord,
    record: csv::StringRecord,
}

impl Rows {
    /// Open the table `path`, which must have `columns` (others are ignored).
    pub fn open(path: &Path, columns: &[&str]) -> Result<Rows, Error> {
        let file = std::fs::File::open(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut reader = csv::Reader::from_reader(std::io::BufReader::new(file));
        let header = reader
            .headers()
            .map_err(|e| csv_file_error(path, &e, None, None))?
            .clone();
        if let Some(missing) = columns.iter().find(|c| !header.iter().any(|h| h == **c)) {
            return Err(Error::File {
                path: path.to_path_buf(),
                line: 1,
                column: Some((*missing).to_string()),
                message: format!(
                    "missing column {missing:?}; the header must hold {}",
                    columns.join(",")
                ),
            });
        }
        Ok(Rows {
            path: path.to_path_buf(),
            reader,
            header,
            record: csv::StringRecord::new(),
        })
    }

    /// The table's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Read the next row: `false` at the end of the table.
    pub fn advance(&mut self) -> Result<bool, Error> {
        self.reader
            .read_record(&mut self.record)
            .map_err(|e| csv_file_error(&self.path, &e, Some(&self.header), None))
    }

    /// The 1-based line of the row read last.
    pub fn line(&self) -> u64 {
        self.record.position().map_or(0, |p| p.line())
    }

    /// The row read last, as `T`.
    pub fn get<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        self.record
            .deserialize(Some(&self.header))
            .map_err(|e| csv_file_error(&self.path, &e, Some(&self.header), Some(&self.record)))
    }

    /// The next row as `T` with its line; `None` at the end of the table.
    #[allow(clippy::should_implement_trait)]
    pub fn next<T: serde::de::DeserializeOwned>(&mut self) -> Result<Option<(u64, T)>, Error> {
        if !self.advance()? {
            return Ok(None);
        }
        Ok(Some((self.line(), self.get()?)))
    }
}

/// An [`Error::File`] at `line` of `path`, in `column`: a row that reads but does not
/// fit (a run of another shard, a year out of order).
pub fn error_at(path: &Path, line: u64, column: &str, message: String) -> Error {
    Error::File {
        path: path.to_path_buf(),
        line,
        column: Some(column.to_string()),
        message,
    }
}

/// A CSV error as [`Error::File`]: the line from its position, the column's name from
/// the header when the error names a field, and the cell from the record.
fn csv_file_error(
    path: &Path,
    e: &csv::Error,
    header: Option<&csv::StringRecord>,
    record: Option<&csv::StringRecord>,
) -> Error {
    let line = e.position().map_or(0, |p| p.line());
    let (column, message) = match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => {
            let at = |r: Option<&csv::StringRecord>| {
                err.field()
                    .and_then(|i| r.and_then(|r| r.get(i as usize)))
                    .map(String::from)
            };
            let cell = at(record).unwrap_or_default();
            let message = match err.kind() {
                csv::DeserializeErrorKind::ParseInt(_) => {
                    format!("{cell:?} is not a whole number (0, 1, 2, ...)")
                }
                csv::DeserializeErrorKind::ParseFloat(_) => {
                    format!("{cell:?} is not a number (such as 12.5 or 0)")
                }
                csv::DeserializeErrorKind::ParseBool(_) => {
                    format!("{cell:?} is not true or false")
                }
                k if err.field().is_some() => format!("{cell:?}: {k}"),
                k => k.to_string(),
            };
            let column = at(header);
            (column, message)
        }
        _ => (None, e.to_string()),
    };
    Error::File {
        path: path.to_path_buf(),
        line,
        column,
        message,
    }
}

/// Read the whole CSV table `path` into rows of `T` (serde, by column name), as
/// [`read_rows`] does: every field of `T` (its serde names) must be a column, except
/// those named in `optional` (columns an older version did not write; such a field
/// is an `Option` or has a `#[serde(default)]`).
pub fn read_table<T>(path: &Path, optional: &[&str]) -> Result<Vec<T>, Error>
where
    T: serde::de::DeserializeOwned,
{
    let columns: Vec<&str> = columns_of::<T>()
        .iter()
        .copied()
        .filter(|c| !optional.contains(c))
        .collect();
    let mut out = Vec::new();
    read_rows(path, &columns, |_, row: T| {
        out.push(row);
        Ok(())
    })?;
    Ok(out)
}

/// A number cell in which empty means NaN (`#[serde(deserialize_with = "...")]`): the
/// writers leave a cell empty where a figure is undefined ([`num`]); `NaN`, as older
/// versions wrote, reads as NaN too. Text that is not a number is still an error naming
/// its line and column.
pub fn nan_if_empty<'de, D>(d: D) -> Result<f64, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Ok(<Option<f64> as serde::Deserialize>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// The serde names of the fields of the struct `T` (the columns its rows read), found
/// by asking `T` to deserialise itself from a probe that records the field list.
/// Empty for a type that is not a plain struct (a map reads any columns).
pub fn columns_of<T: serde::de::DeserializeOwned>() -> &'static [&'static str] {
    use serde::de::{Error as _, Visitor};

    #[derive(Debug)]
    struct Stop;
    impl std::fmt::Display for Stop {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("probe")
        }
    }
    impl std::error::Error for Stop {}
    impl serde::de::Error for Stop {
        fn custom<M: std::fmt::Display>(_: M) -> Stop {
            Stop
        }
    }

    struct Probe<'a>(&'a mut &'static [&'static str]);
    impl<'de> serde::Deserializer<'de> for Probe<'_> {
        type Error = Stop;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
            Err(Stop::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Stop> {
            *self.0 = fields;
            Err(Stop)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
            enum identifier ignored_any
        }
    }

    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Probe(&mut fields));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A row with one float, read as every reader of the tool reads a float cell.
    #[derive(Debug, serde::Deserialize)]
    struct Cell {
        #[serde(deserialize_with = "nan_if_empty")]
        x: f64,
        #[allow(dead_code)]
        k: String,
    }

    fn read_back(text: &str) -> f64 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, format!("x,k\n{text},k\n")).unwrap();
        let rows: Vec<Cell> = read_table(&path, &[]).unwrap();
        rows[0].x
    }

    proptest! {
        /// Every float reads back to the same bits (NaN to a NaN, -0 to 0), and its text
        /// always holds a decimal point or an exponent (a float column stays float).
        #[test]
        fn every_float_reads_back_exactly(bits in any::<u64>()) {
            let v = f64::from_bits(bits);
            let s = num(v);
            if v.is_nan() {
                prop_assert_eq!(s.as_str(), "");
            } else if v == 0.0 {
                prop_assert_eq!(s.as_str(), "0.0");
            } else {
                prop_assert_eq!(s.parse::<f64>().unwrap().to_bits(), bits);
                prop_assert!(v.is_infinite() || s.contains('.') || s.contains('e'), "{}", s);
            }
        }
    }

    #[test]
    fn zero_nan_and_infinities_have_one_form() {
        assert_eq!(num(0.0), "0.0");
        assert_eq!(num(-0.0), "0.0");
        assert_eq!(num(1.0), "1.0");
        assert_eq!(num(-2.5), "-2.5");
        assert_eq!(num(1e-7), "1e-7");
        assert_eq!(num(f64::NAN), "");
        assert_eq!(num(f64::INFINITY), "inf");
        assert_eq!(num(f64::NEG_INFINITY), "-inf");
    }

    /// The readers take what this version writes and what older versions wrote (`0`,
    /// `NaN`, a plain `1`), and still refuse text that is no number, naming its line.
    #[test]
    fn readers_take_the_new_and_the_old_forms() {
        for (text, want) in [
            ("0.0", 0.0),
            ("0", 0.0),
            ("1", 1.0),
            ("1.0", 1.0),
            ("1e-7", 1e-7),
            ("inf", f64::INFINITY),
            ("-inf", f64::NEG_INFINITY),
        ] {
            assert_eq!(read_back(text), want, "{text}");
        }
        assert!(read_back("").is_nan());
        assert!(read_back("NaN").is_nan());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "x,k\n1.0,k\nabc,k\n").unwrap();
        let e = read_table::<Cell>(&path, &[]).unwrap_err().to_string();
        assert!(
            e.contains("t.csv:3 (column x)") && e.contains("\"abc\""),
            "{e}"
        );
    }
}
