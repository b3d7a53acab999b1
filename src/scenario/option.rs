//! Option files: a change set over a base scenario (add nodes and links, expand a link's
//! capacity with a ramp, change a cost; add or remove fixed closures; add closure
//! processes and shock groups, put targets into a shock group, change a process's law)
//! with its capital cost.
//!
//! An option changes risk as well as capacity. Its processes and shocks draw from their
//! own random streams, named by their ids (see [`crate::closure::random`]), so the base's
//! processes draw the same closures with and without the option, run by run.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::load::{
    fail, hex, parse_root, read_text, resolve_closure, resolve_process, resolve_shock,
    resolve_target, Ids, ProcessIds,
};
use super::raw::{self, ChangeKind, Diags, Item, Loc, Sp, Start};
use super::uncertain;
use super::{Change, Expansion, RandomSource, Scenario, ScenarioOption, SetProcess};
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
    // The uncertain tables' problems are collected apart and reported with the option's
    // (see `load::build`).
    let mut du = Diags::new(path.to_path_buf());
    let unc = uncertain::read_all(&top, &mut du);
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
        d.append(du);
        return Err(fail(d));
    }
    let Some(mut opt) = opt else {
        return Err(fail(d));
    };
    let mut s = opt.apply(&base)?;
    let mut h = Sha256::new();
    h.update(text.as_bytes());
    // The option's own uncertain parameters, checked on the scenario with it applied.
    let taken: Vec<String> = base
        .uncertain
        .iter()
        .flat_map(|a| a.names())
        .map(String::from)
        .collect();
    let dir = path.parent().unwrap_or(Path::new(""));
    let axes = uncertain::resolve(&unc, &s, Some(&opt), dir, &taken, &mut h, &mut du);
    d.append(du);
    if d.has_errors() {
        return Err(fail(d));
    }
    opt.uncertain = axes;
    s.uncertain.extend(opt.scenario_axes().cloned());
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
    let risk = resolve_risk(&ro, base, &link_ids, d);
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
            ChangeKind::AddClosure => risk.add_closure.get(*i).cloned().flatten(),
            ChangeKind::RemoveClosure => risk.remove_closure.get(*i).cloned().flatten(),
            ChangeKind::AddProcess => risk.add_process.get(*i).cloned().flatten(),
            ChangeKind::AddShock => risk.add_shock.get(*i).cloned().flatten(),
            ChangeKind::JoinShock => risk.join_shock.get(*i).cloned().flatten(),
            ChangeKind::SetProcess => risk.set_process.get(*i).cloned().flatten(),
        };
        changes.extend(change);
    }
    Some(ScenarioOption {
        name: ro.name?,
        description: ro.description,
        base: PathBuf::from(ro.base?.v),
        capital_cost_usd: ro.capital_cost_usd?,
        annual_cost_usd: ro.annual_cost_usd.unwrap_or(0.0),
        horizon_years: ro.horizon_years?,
        changes,
        uncertain: Vec::new(),
    })
}

/// The resolved risk changes of an option, by kind, in file order (`None`: not resolved,
/// already reported).
struct Risk {
    add_closure: Vec<Option<Change>>,
    remove_closure: Vec<Option<Change>>,
    add_process: Vec<Option<Change>>,
    add_shock: Vec<Option<Change>>,
    join_shock: Vec<Option<Change>>,
    set_process: Vec<Option<Change>>,
}

/// Resolve the option's risk changes against the base and the option's own additions:
/// targets may be the option's new links and corridors (`add_link ... corridor = ...`),
/// process and shock references the base's or the option's own.
fn resolve_risk(ro: &raw::RawOption, base: &Scenario, link_ids: &Ids, d: &mut Diags) -> Risk {
    let in_base = Loc { file: 1, line: 0 };
    let known = |v: &str| Sp {
        v: v.to_string(),
        loc: in_base,
    };
    // Corridors: the base's, then those the option's links create, in order.
    let mut corridor_ids = Ids::new("corridor");
    for (i, c) in base.corridors.iter().enumerate() {
        corridor_ids.add(&known(&c.id), i, d);
    }
    let mut n_corridors = base.corridors.len();
    for l in &ro.add_link {
        if let Some(c) = &l.corridor {
            if corridor_ids.get(&c.v).is_none() {
                corridor_ids.add(c, n_corridors, d);
                n_corridors += 1;
            }
        }
    }
    let target = |t: &Sp<String>, what: &str, d: &mut Diags| {
        resolve_target(t, what, &corridor_ids, link_ids, d)
    };

    // Fixed closures.
    let add_closure: Vec<Option<Change>> = ro
        .add_closure
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let what = format!("add_closure {}", i + 1);
            resolve_closure(c, &what, &base.settings, &corridor_ids, link_ids, d).map(|w| {
                if c.seasonal {
                    Change::AddSeasonal(w)
                } else {
                    Change::AddClosure(w)
                }
            })
        })
        .collect();
    let added_windows: Vec<&crate::closure::ClosureWindow> = add_closure
        .iter()
        .flatten()
        .filter_map(|c| match c {
            Change::AddClosure(w) => Some(w),
            _ => None,
        })
        .collect();
    let mut remove_closure = Vec::new();
    for (i, r) in ro.remove_closure.iter().enumerate() {
        let what = format!("remove_closure {}", i + 1);
        let Some(t) = r.target.as_ref().and_then(|t| target(t, &what, d)) else {
            remove_closure.push(None);
            continue;
        };
        let label = r.label.as_ref().map(|l| l.v.clone());
        let of_target: Vec<&crate::closure::ClosureWindow> = base
            .closures
            .iter()
            .chain(added_windows.iter().copied())
            .filter(|w| w.target == t)
            .collect();
        let matching = of_target
            .iter()
            .filter(|w| label.is_none() || w.label == label)
            .count();
        if matching == 0 {
            let name = r.target.as_ref().map_or("", |x| x.v.as_str());
            let hint = if of_target.is_empty() {
                format!("the base has no fixed closure of `{name}`")
            } else {
                let labels: Vec<String> = of_target
                    .iter()
                    .map(|w| format!("{:?}", w.label.clone().unwrap_or_default()))
                    .collect();
                let mut h = format!(
                    "the labels of `{name}`'s fixed closures: {}",
                    labels.join(", ")
                );
                if let Some(l) = &label {
                    let words = of_target.iter().filter_map(|w| w.label.as_deref());
                    if let Some(m) = raw::did_you_mean(l, words) {
                        h = format!("{m} ({h})");
                    }
                }
                h
            };
            d.err(
                K::UnknownReference,
                r.label.as_ref().map_or(r.loc, |l| l.loc),
                format!("{what} removes no fixed closure"),
                Some(hint),
            );
            remove_closure.push(None);
            continue;
        }
        remove_closure.push(Some(Change::RemoveClosures { target: t, label }));
    }

    // Processes: ids are unique across the base's and the option's.
    let mut process_ids = ProcessIds::default();
    let mut process_refs = Ids::new("process");
    for (i, p) in base.processes.iter().enumerate() {
        process_ids.add_known(&p.id, in_base);
        if process_refs.get(&p.id).is_none() {
            process_refs.add(&known(&p.id), i, d);
        }
    }
    let mut add_process = Vec::new();
    for (i, p) in ro.add_process.iter().enumerate() {
        let what = format!("add_process {}", i + 1);
        process_ids.add(p, d);
        if let Some(id) = p.id.as_ref().or(p.targets.first()) {
            if process_refs.get(&id.v).is_none() {
                process_refs.add(id, base.processes.len() + i, d);
            }
        }
        add_process
            .push(resolve_process(p, &what, &corridor_ids, link_ids, d).map(Change::AddProcess));
    }
    let mut shock_ids = Ids::new("shock");
    for (i, g) in base.shocks.iter().enumerate() {
        shock_ids.add(&known(&g.id), i, d);
    }
    let mut add_shock = Vec::new();
    for (i, p) in ro.add_shock.iter().enumerate() {
        if let Some(id) = &p.id {
            shock_ids.add(id, base.shocks.len() + i, d);
        }
        add_shock.push(resolve_shock(p, &corridor_ids, link_ids, d).map(Change::AddShock));
    }
    let mut join_shock = Vec::new();
    for (i, j) in ro.join_shock.iter().enumerate() {
        let what = format!("join_shock {}", i + 1);
        let shock = j
            .shock
            .as_ref()
            .and_then(|x| shock_ids.resolve(x, &what, d).map(|_| x.v.clone()));
        let mut targets = Vec::new();
        let mut ok = true;
        for t in &j.targets {
            match target(t, &what, d) {
                Some(tt) => targets.push(tt),
                None => ok = false,
            }
        }
        join_shock.push(match shock {
            Some(shock) if ok && !targets.is_empty() => Some(Change::JoinShock { shock, targets }),
            _ => None,
        });
    }
    let mut set_process = Vec::new();
    for (i, c) in ro.set_process.iter().enumerate() {
        let what = format!("set_process {}", i + 1);
        let source = match &c.which {
            Some((false, id)) => process_refs
                .resolve(id, &what, d)
                .map(|_| RandomSource::Process(id.v.clone())),
            Some((true, id)) => shock_ids
                .resolve(id, &what, d)
                .map(|_| RandomSource::Shock(id.v.clone())),
            None => None,
        };
        set_process.push(source.map(|source| {
            Change::SetProcess(SetProcess {
                source,
                rate_per_year: c.rate_per_year,
                rate_scale: c.rate_scale,
                duration: c.duration.clone(),
                duration_scale: c.duration_scale,
                capacity_factor: c.capacity_factor,
                ramp_days: c.ramp_days,
            })
        }));
    }
    Risk {
        add_closure,
        remove_closure,
        add_process,
        add_shock,
        join_shock,
        set_process,
    }
}

impl ScenarioOption {
    /// Apply the changes to `base`, giving a new, validated scenario (its
    /// [`Scenario::uncertain`]: the base's, then the option's own). Added links that
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
                                reaction_days: None,
                                expected_closure_days: None,
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
                Change::AddClosure(w) => s.closures.push(w.clone()),
                Change::AddSeasonal(w) => s.seasonal.push(w.clone()),
                Change::RemoveClosures { target, label } => {
                    let before = s.closures.len();
                    s.closures.retain(|w| {
                        !(w.target == *target && (label.is_none() || w.label == *label))
                    });
                    if s.closures.len() == before {
                        d.err(
                            K::UnknownReference,
                            at,
                            format!(
                                "option `{}` removes a fixed closure that does not exist",
                                self.name
                            ),
                            Some(
                                "name the target (and label) of one of the base's fixed closures"
                                    .into(),
                            ),
                        );
                    }
                }
                Change::AddProcess(p) => {
                    if s.processes.iter().any(|x| x.id == p.id) {
                        d.err(
                            K::DuplicateId,
                            at,
                            format!(
                                "option `{}` adds process `{}`, which exists",
                                self.name, p.id
                            ),
                            Some("give the new process another `id`".into()),
                        );
                    }
                    s.processes.push(p.clone());
                }
                Change::AddShock(g) => {
                    if s.shocks.iter().any(|x| x.id == g.id) {
                        d.err(
                            K::DuplicateId,
                            at,
                            format!("option `{}` adds shock `{}`, which exists", self.name, g.id),
                            Some("give the new shock another id".into()),
                        );
                    }
                    s.shocks.push(g.clone());
                }
                Change::JoinShock { shock, targets } => {
                    match s.shocks.iter_mut().find(|g| g.id == *shock) {
                        Some(g) => g.targets.extend(targets.iter().copied()),
                        None => d.err(
                            K::UnknownReference,
                            at,
                            format!(
                                "option `{}` joins shock `{shock}`, which does not exist",
                                self.name
                            ),
                            None,
                        ),
                    }
                }
                Change::SetProcess(c) => {
                    if let Err(msg) = set_law(&mut s, c) {
                        d.err(
                            K::UnknownReference,
                            at,
                            format!("option `{}`: {msg}", self.name),
                            None,
                        );
                    }
                }
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
        s.uncertain.extend(self.scenario_axes().cloned());
        Ok(s)
    }

    /// The option's uncertain axes that name parameters of the scenario it makes (all
    /// but those of its costs, `option.capital_cost_usd` and `option.annual_cost_usd`).
    pub fn scenario_axes(&self) -> impl Iterator<Item = &crate::uncertainty::Axis> {
        self.uncertain.iter().filter(|a| {
            a.names()
                .iter()
                .all(|n| !uncertain::OPTION_PARAMS.contains(n))
        })
    }

    /// Set one of the option's own parameters (`option.capital_cost_usd`,
    /// `option.annual_cost_usd`), e.g. at a draw of its `[[uncertain]]` cost.
    ///
    /// ```
    /// let (mut opt, _) = chokepoint::scenario::load_option("scenarios/starter-option.toml")?;
    /// opt.set_param("option.capital_cost_usd", 2.5e8)?;
    /// assert_eq!(opt.capital_cost_usd, 2.5e8);
    /// assert!(opt.set_param("option.capital_cost", 1.0).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_param(&mut self, name: &str, v: f64) -> Result<(), super::params::ParamError> {
        let slot = match name {
            "option.capital_cost_usd" => &mut self.capital_cost_usd,
            "option.annual_cost_usd" => &mut self.annual_cost_usd,
            _ => {
                let hint = raw::did_you_mean(name, uncertain::OPTION_PARAMS.iter().copied())
                    .map_or(String::new(), |h| format!("; {h}"));
                return Err(super::params::ParamError {
                    unknown: true,
                    message: format!(
                        "unknown option parameter {name:?}: expected one of {}{hint}",
                        uncertain::OPTION_PARAMS.join(", ")
                    ),
                });
            }
        };
        if !(v.is_finite() && v >= 0.0) {
            return Err(super::params::ParamError {
                unknown: false,
                message: format!("{name} = {v}: expected a number >= 0"),
            });
        }
        *slot = v;
        Ok(())
    }
}

/// Apply a [`SetProcess`] to the process or shock it names.
fn set_law(s: &mut Scenario, c: &SetProcess) -> Result<(), String> {
    let (rate, duration, factor, ramp) = match &c.source {
        RandomSource::Process(id) => {
            let p = s
                .processes
                .iter_mut()
                .find(|p| p.id == *id)
                .ok_or_else(|| format!("there is no process `{id}`"))?;
            (
                &mut p.rate_per_year,
                &mut p.duration,
                &mut p.capacity_factor,
                &mut p.ramp_days,
            )
        }
        RandomSource::Shock(id) => {
            let g = s
                .shocks
                .iter_mut()
                .find(|g| g.id == *id)
                .ok_or_else(|| format!("there is no shock `{id}`"))?;
            (
                &mut g.rate_per_year,
                &mut g.duration,
                &mut g.capacity_factor,
                &mut g.ramp_days,
            )
        }
    };
    if let Some(r) = c.rate_per_year {
        *rate = r;
    }
    if let Some(k) = c.rate_scale {
        *rate *= k;
    }
    if let Some(dd) = &c.duration {
        *duration = dd.clone();
    }
    if let Some(k) = c.duration_scale {
        *duration = duration.scaled(k)?;
    }
    if let Some(f) = c.capacity_factor {
        *factor = f;
    }
    if let Some(r) = c.ramp_days {
        *ramp = r;
    }
    Ok(())
}
