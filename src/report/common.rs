//! What every kind of report shares: finding the scenario for the map, and the map's
//! figure.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::html::{Figure, Table};
use super::manifest::ManifestInfo;
use super::{map, Options};
use crate::Scenario;

/// The scenario the folder was made from, or why it cannot be had (a note for the page).
pub(super) fn scenario(
    dir: &Path,
    info: &ManifestInfo,
    options: &Options,
) -> Result<Scenario, String> {
    let (path, given) = match (&options.scenario, &info.scenario_path) {
        (Some(p), _) => (p.clone(), true),
        (None, Some(p)) => (PathBuf::from(p), false),
        (None, None) => {
            return Err(format!(
                "The map is left out: the manifest names no scenario file (scenario: {}). \
                 Give it with `chokepoint report DIR --scenario FILE`.",
                info.scenario.as_deref().unwrap_or("?")
            ))
        }
    };
    // A relative path in a manifest is relative to where the command ran: try the
    // current folder, then the output folder and the folders above it.
    let found = if path.is_absolute() || given || path.is_file() {
        Some(path.clone())
    } else {
        let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        abs.ancestors().map(|a| a.join(&path)).find(|p| p.is_file())
    };
    let Some(found) = found.filter(|p| p.is_file()) else {
        return Err(format!(
            "The map is left out: the scenario file {} was not found (from the current \
             folder nor above the output folder). Give it with `--scenario FILE`.",
            path.display()
        ));
    };
    let s = crate::scenario::load_any(&found).map_err(|e| {
        format!(
            "The map is left out: the scenario file {} does not load ({e}).",
            found.display()
        )
    })?;
    Ok(s)
}

/// The network map's figure, coloured by `values` per corridor; without the scenario,
/// a figure with no chart and a note.
#[allow(clippy::too_many_arguments)]
pub(super) fn map_figure(
    dir: &Path,
    info: &ManifestInfo,
    options: &Options,
    values: &BTreeMap<String, f64>,
    metric: &str,
    coloured_by: &str,
    table: Table,
    notes: &mut Vec<String>,
) -> Figure {
    let id = "map".to_string();
    let title = "Network map".to_string();
    let s = match scenario(dir, info, options) {
        Ok(s) => s,
        Err(note) => {
            notes.push(note.clone());
            return Figure {
                id,
                title,
                svg: None,
                caption: note,
                table,
            };
        }
    };
    let mut caption = String::new();
    if let (Some(want), false) = (&info.checksum, s.checksum.is_empty()) {
        if *want != s.checksum {
            let note = format!(
                "The scenario file {} has changed since this output was written (its \
                 SHA-256 differs from the manifest's): the map shows the file as it is now.",
                s.source
                    .as_deref()
                    .map_or_else(|| "?".into(), |p| p.display().to_string())
            );
            notes.push(note.clone());
            caption.push_str(&note);
            caption.push(' ');
        }
    }
    match map::svg(&id, &s, values, metric, (900, 620)) {
        Ok((svg, geographic, unnamed)) => {
            if !unnamed.is_empty() {
                caption.push_str(&format!(
                    "No room to name on the map (see the table): {}. ",
                    unnamed.join(", ")
                ));
            }
            caption.push_str(coloured_by);
            caption.push_str(if metric.starts_with("USD") {
                "; green: no loss, yellow to dark red: more; where corridors join the same two places they are drawn side by side, the worst on top; grey: links that belong to no corridor. "
            } else {
                "; green: never closed, yellow to dark red: more; where corridors join the same two places they are drawn side by side, the worst on top; grey: links that belong to no corridor. "
            });
            if let Some(src) = &s.source {
                caption.push_str(&format!("Network of {}. ", src.display()));
            }
            caption.push_str(if geographic {
                "Nodes stand at their longitude and latitude seen from the network's centre, with long distances compressed (far partners are pulled in, directions are kept): a schematic, not a map to measure on; it has no axes."
            } else {
                "Some nodes have no lon/lat in the scenario, so the nodes are placed by a force-directed layout: positions show only what connects to what; the picture has no axes."
            });
            Figure {
                id,
                title,
                svg: Some(svg),
                caption,
                table,
            }
        }
        Err(e) => {
            let note = format!("The map is left out: {e}");
            notes.push(note.clone());
            Figure {
                id,
                title,
                svg: None,
                caption: note,
                table,
            }
        }
    }
}
