//! What the benches share: the shipped scenarios they time.

use std::path::Path;

use chokepoint::scenario::Scenario;

/// The shipped scenarios (paths from the crate root), then `extra` ones.
const SHIPPED: &[&str] = &[
    "scenarios/afghanistan/base.toml",
    "scenarios/starter.toml",
    "scenarios/twoland.toml",
];

/// Each scenario that exists, loaded, with its name: its path without `scenarios/` and
/// `.toml` (e.g. `afghanistan/base`), or the file name for others.
pub fn scenarios(extra: &[&str]) -> Vec<(String, Scenario)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    SHIPPED
        .iter()
        .chain(extra)
        .map(|rel| (rel, root.join(rel)))
        .filter(|(_, path)| path.exists())
        .map(|(rel, path)| {
            let scenario = chokepoint::scenario::load(&path).expect("shipped scenarios load");
            let name = match rel.strip_prefix("scenarios/") {
                Some(r) => r.trim_end_matches(".toml").to_string(),
                None => path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            };
            (name, scenario)
        })
        .collect()
}
