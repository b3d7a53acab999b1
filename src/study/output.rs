//! The output set every study writes through: a CSV table as bytes, the files written
//! atomically with the manifest (their checksums) last, and whether a manifest is a
//! shard's. Montecarlo, compare and criticality all write here, so a folder is complete
//! exactly when its manifest is there.

use std::path::Path;

use crate::output::manifest::{FileRecord, Manifest};
use crate::Error;

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
