//! Option files: a change set over a base scenario (add nodes and links, expand a link's
//! capacity with a ramp, change a cost) with its capital cost.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::load::{fail, hex, parse_root, read_text, Ids};
use super::raw::{self, ChangeKind, Diags, Item, Loc, Start};
use super::{Change, Expansion, Scenario, ScenarioOption};
use crate::error::{DiagnosticKind as K, Error};
use crate::network::{Corridor, Link, LinkId, Node, NodeId};

/// Load an option file, load its base scenario (relative to the option file), resolve
/// the changes against it and apply them. Returns the option and the changed scenario,
/// which is validated like a loaded one.
///
/// ```
/// let (opt, s) = chokepoint::scenario::load_option("scenarios/starter-option.toml")?;
/// assert!(opt.capital_cost_usd > 0.0);
/// assert!(!s.expansions.is_empty());
/// # Ok::<(), chokepoint::Error>(())
/// ```
pub fn load_option(path: impl AsRef<Path>) -> Result<(ScenarioOption, Scenario), Error> {
    let path = path.as_ref();
    let text = read_text(path)?;
    let (root, mut d) = parse_root(&text, Diags::new(path.to_path_buf()), "option file format")?;
    let Some(top) = Item::new(
        &root,
        "the option file".into(),
        raw::OPTION_TOP_KEYS,
        &mut d,
    ) else {
        return Err(fail(d));
    };
    let ro = raw::option(&top, &mut d);
    let Some(base_rel) = ro.base.clone() else {
        return Err(fail(d));
    };
    let base_path = path.parent().unwrap_or(Path::new("")).join(&base_rel.v);
    if !base_path.is_file() {
        d.err(
            K::Io,
            base_rel.loc,
            format!(
                "the base scenario {} is not a readable file",
                base_path.display()
            ),
            Some("`base` is a path relative to the option file".into()),
        );
        return Err(fail(d));
    }
    let base = match super::load(&base_path) {
        Ok(b) => b,
        Err(Error::Scenario(mut e)) => {
            // The option's own problems first, then the base's.
            let mut all = d.sorted();
            all.append(&mut e.diagnostics);
            e.diagnostics = all;
            return Err(Error::Scenario(e));
        }
        Err(e) => return Err(e),
    };
    d.files.push(base_path.clone());
    let opt = resolve(ro, &base, &mut d);
    if d.has_errors() {
        return Err(fail(d));
    }
    let Some(opt) = opt else {
        return Err(fail(d));
    };
    let mut s = opt.apply(&base)?;
    let mut h = Sha256::new();
    h.update(text.as_bytes());
    h.update(base.checksum.as_bytes());
    s.checksum = hex(&h.finalize());
    s.source = Some(path.to_path_buf());
    s.base = Some(super::BaseScenario {
        path: base_path,
        checksum: base.checksum.clone(),
    });
    Ok((opt, s))
}

/// Resolve the raw option against its base scenario.
fn resolve(ro: raw::RawOption, base: &Scenario, d: &mut Diags) -> Option<ScenarioOption> {
    let in_base = Loc { file: 1, line: 0 };
    let mut node_ids = Ids::new("node");
    for (i, n) in base.nodes.iter().enumerate() {
        node_ids.add(
            &raw::Sp {
                v: n.id.clone(),
                loc: in_base,
            },
            i,
            d,
        );
    }
    let mut added_nodes = Vec::new();
    for n in &ro.add_node {
        if let Some(id) = &n.id {
            node_ids.add(id, base.nodes.len() + added_nodes.len(), d);
        }
        let id = n.id.as_ref().map_or(String::new(), |s| s.v.clone());
        added_nodes.push(Node {
            name: n.name.clone().unwrap_or_else(|| id.clone()),
            id,
            country: n.country.clone().unwrap_or_default(),
            kind: n.kind,
            position: n.position,
        });
    }
    let country = |i: usize| -> Option<&str> {
        base.nodes
            .get(i)
            .or_else(|| added_nodes.get(i.wrapping_sub(base.nodes.len())))
            .map(|n| n.country.as_str())
    };
    let mut link_ids = Ids::new("link");
    for (i, l) in base.links.iter().enumerate() {
        link_ids.add(
            &raw::Sp {
                v: l.id.clone(),
                loc: in_base,
            },
            i,
            d,
        );
    }
    let mut added_links = Vec::new();
    for (k, l) in ro.add_link.iter().enumerate() {
        if let Some(id) = &l.id {
            link_ids.add(id, base.links.len() + k, d);
        }
        let id = l.id.as_ref().map_or(String::new(), |s| s.v.clone());
        let from = l
            .from
            .as_ref()
            .and_then(|x| node_ids.resolve(x, &format!("`from` of added link `{id}`"), d));
        let to =
            l.to.as_ref()
                .and_then(|x| node_ids.resolve(x, &format!("`to` of added link `{id}`"), d));
        let (f, t) = (from.unwrap_or(0), to.unwrap_or(0));
        let crossing = l
            .crossing
            .unwrap_or_else(|| match (country(f), country(t)) {
                (Some(a), Some(b)) => crate::network::default_crossing(
                    l.mode.unwrap_or(crate::network::Mode::Road),
                    a,
                    b,
                ),
                _ => false,
            });
        added_links.push((
            Link {
                id,
                from: NodeId(f as u32),
                to: NodeId(t as u32),
                both_ways: l.both_ways,
                mode: l.mode.unwrap_or(crate::network::Mode::Road),
                capacity_t_per_day: l.capacity_t_per_day.unwrap_or(0.0),
                cost_usd_per_t: l.cost_usd_per_t.unwrap_or(0.0),
                transit_days: l.transit_days.unwrap_or(0.0),
                charges: l.charges.clone(),
                crossing,
            },
            l.corridor.as_ref().map(|c| c.v.clone()),
        ));
    }
    let mut expansions = Vec::new();
    for e in &ro.expand {
        let link = e
            .link
            .as_ref()
            .and_then(|x| link_ids.resolve(x, "[[expand]]", d));
        let start_day = e.start.map(|s| match s {
            Start::Day(k) => k,
            Start::Date(date) => (date - base.settings.start).num_days(),
        });
        expansions.push(Expansion {
            link: LinkId(link.unwrap_or(0) as u32),
            extra_t_per_day: e.extra_t_per_day.unwrap_or(0.0),
            start_day: start_day.unwrap_or(0),
            ramp_days: e.ramp_days,
        });
    }
    let mut costs = Vec::new();
    for c in &ro.set_cost {
        let link = c
            .link
            .as_ref()
            .and_then(|x| link_ids.resolve(x, "[[set_cost]]", d));
        costs.push(Change::SetCost {
            link: LinkId(link.unwrap_or(0) as u32),
            cost_usd_per_t: c.cost_usd_per_t.unwrap_or(0.0),
        });
    }
    let mut changes = Vec::new();
    for (kind, i, _) in &ro.order {
        let change = match kind {
            ChangeKind::AddNode => added_nodes.get(*i).cloned().map(Change::AddNode),
            ChangeKind::AddLink => added_links
                .get(*i)
                .cloned()
                .map(|(link, corridor)| Change::AddLink { link, corridor }),
            ChangeKind::Expand => expansions.get(*i).cloned().map(Change::Expand),
            ChangeKind::SetCost => costs.get(*i).cloned(),
        };
        changes.extend(change);
    }
    Some(ScenarioOption {
        name: ro.name?,
        description: ro.description,
        base: PathBuf::from(ro.base?.v),
        capital_cost_usd: ro.capital_cost_usd?,
        horizon_years: ro.horizon_years?,
        changes,
    })
}

impl ScenarioOption {
    /// Apply the changes to `base`, giving a new, validated scenario. Added links that
    /// name a corridor join it (a new corridor is created when none has that id);
    /// expansions go to [`Scenario::expansions`]. The result's checksum covers the base's
    /// checksum and the option.
    pub fn apply(&self, base: &Scenario) -> Result<Scenario, Error> {
        let mut s = base.clone();
        let mut d = Diags::new(base.source.clone().unwrap_or_else(|| self.base.clone()));
        let at = Loc::default();
        for c in &self.changes {
            match c {
                Change::AddNode(n) => {
                    if s.nodes.iter().any(|x| x.id == n.id) {
                        d.err(
                            K::DuplicateId,
                            at,
                            format!("option `{}` adds node `{}`, which exists", self.name, n.id),
                            Some("give the new node another id".into()),
                        );
                    }
                    s.nodes.push(n.clone());
                }
                Change::AddLink { link, corridor } => {
                    if s.links.iter().any(|x| x.id == link.id) {
                        d.err(
                            K::DuplicateId,
                            at,
                            format!(
                                "option `{}` adds link `{}`, which exists",
                                self.name, link.id
                            ),
                            Some("give the new link another id".into()),
                        );
                    }
                    s.links.push(link.clone());
                    let li = LinkId((s.links.len() - 1) as u32);
                    if let Some(cid) = corridor {
                        match s.corridor(cid) {
                            Some(c) => s.corridors[c.index()].links.push(li),
                            None => s.corridors.push(Corridor {
                                id: cid.clone(),
                                name: cid.clone(),
                                links: vec![li],
                            }),
                        }
                    }
                }
                Change::Expand(e) => s.expansions.push(e.clone()),
                Change::SetCost {
                    link,
                    cost_usd_per_t,
                } => match s.links.get_mut(link.index()) {
                    Some(l) => l.cost_usd_per_t = *cost_usd_per_t,
                    None => d.err(
                        K::UnknownReference,
                        at,
                        format!(
                            "option `{}` sets the cost of link index {}, which does not exist",
                            self.name,
                            link.index()
                        ),
                        None,
                    ),
                },
            }
        }
        if d.has_errors() {
            return Err(fail(d));
        }
        let mut h = Sha256::new();
        h.update(base.checksum.as_bytes());
        h.update(serde_json::to_string(self).unwrap_or_default().as_bytes());
        s.checksum = hex(&h.finalize());
        s.base = Some(super::BaseScenario {
            path: base.source.clone().unwrap_or_default(),
            checksum: base.checksum.clone(),
        });
        s.check().map_err(Error::Scenario)?;
        Ok(s)
    }
}
