//! The checks every study's merge makes on a set of shard folders: each holds a
//! complete shard (`shard.json`, files as it recorded them), all are shards of one study
//! (their manifests agree in everything but the shard and the files), and together they
//! are shards `1/n..n/n`, each once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::output::{FileRecord, Manifest, Shard};
use crate::Error;

/// Read `dir/shard.json`, checking that its files are the ones it records and, when
/// `command` is given, that it is a shard of that command. `shard_of` reads the shard
/// from the manifest.
pub fn read_shard(
    dir: &Path,
    command: Option<&str>,
    shard_of: impl Fn(&Manifest) -> Option<Shard>,
) -> Result<(Manifest, Shard), Error> {
    let mpath = dir.join("shard.json");
    if !mpath.is_file() {
        let hint = if dir.join("manifest.json").is_file() {
            "it holds a finished study, not a shard"
        } else {
            "no shard.json: not a shard's partial result, or an unfinished one"
        };
        return Err(Error::Invalid(format!(
            "{}: {hint}; merge takes the folders of shards 1/n..n/n",
            dir.display()
        )));
    }
    let manifest = Manifest::read(&mpath)?;
    if let Some(command) = command.filter(|c| *c != manifest.command) {
        return Err(Error::Invalid(format!(
            "{}: a shard of `{}`, not of `{command}`: merge only the shards of one study",
            mpath.display(),
            manifest.command
        )));
    }
    let shard = shard_of(&manifest).ok_or_else(|| {
        Error::Invalid(format!("{}: the manifest names no shard", mpath.display()))
    })?;
    for f in &manifest.files {
        let now = FileRecord::of_file(dir, &f.name)?;
        if now.sha256 != f.sha256 {
            return Err(Error::Invalid(format!(
                "{}: its checksum is not the one {} records: the file changed after the \
                 shard was written",
                dir.join(&f.name).display(),
                mpath.display()
            )));
        }
    }
    Ok((manifest, shard))
}

/// Check that `shards` (folder, manifest, shard) are the shards `1/n..n/n` of one study,
/// each once: their manifests may differ only in the fields named in `ignore` (the
/// shard's own field, `files`).
pub fn check_set(shards: &[(PathBuf, Manifest, Shard)], ignore: &[&str]) -> Result<(), Error> {
    let Some((first_dir, first, first_shard)) = shards.first() else {
        return Err(Error::Invalid(
            "merge needs the folders of shards 1/n..n/n".into(),
        ));
    };
    let n = first_shard.n();
    let mut seen: BTreeMap<u64, &PathBuf> = BTreeMap::new();
    for (d, m, s) in shards {
        if let Some(diff) = first.first_difference(m, ignore) {
            return Err(Error::Invalid(format!(
                "{} and {} are shards of different studies: their shard.json differ in {diff}; \
                 merge only the shards of one study",
                first_dir.display(),
                d.display()
            )));
        }
        if s.n() != n {
            return Err(Error::Invalid(format!(
                "{} is shard {s} but {} is shard {first_shard}: the shards of one study \
                 share their n",
                d.display(),
                first_dir.display()
            )));
        }
        if let Some(prev) = seen.insert(s.k(), d) {
            return Err(Error::Invalid(format!(
                "shard {s} appears twice: {} and {}",
                prev.display(),
                d.display()
            )));
        }
    }
    let missing: Vec<String> = (1..=n)
        .filter(|k| !seen.contains_key(k))
        .map(|k| format!("{k}/{n}"))
        .collect();
    if !missing.is_empty() {
        return Err(Error::Invalid(format!(
            "missing shard(s) {}: merge needs all {n} shards",
            missing.join(", ")
        )));
    }
    Ok(())
}
