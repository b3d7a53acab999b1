//! Checks of a scenario as a whole (empty, products without supply or demand, demand
//! that no supply can reach), shared by the loader and [`Scenario::check`], plus the
//! full check of an in-memory scenario after a notebook edits it.

use std::collections::{HashSet, VecDeque};
use std::path::PathBuf;

use super::raw::{is_valid_id, Diags, Loc};
use super::Scenario;
use crate::closure::{DurationDist, Target, MAX_SEASONAL_DAYS};
use crate::error::{Diagnostic, DiagnosticKind as K, ScenarioErrors};
use crate::network::Seasonality;

/// The shape of a scenario that the whole-scenario checks need, by index.
#[derive(Debug, Default)]
pub(crate) struct View {
    /// Number of nodes.
    pub n_nodes: usize,
    /// Resolved links: (from, to, both ways).
    pub arcs: Vec<(usize, usize, bool)>,
    /// Resolved supplies: (product, node).
    pub supplies: Vec<(usize, usize)>,
    /// Resolved demands: (product, node, where written).
    pub demands: Vec<(usize, usize, Loc)>,
    /// Product ids and where each was written.
    pub products: Vec<(String, Loc)>,
    /// (nodes, links, products) written, resolved or not.
    pub counts: (usize, usize, usize),
    /// Node ids by index, for messages.
    pub node_names: Vec<String>,
    /// Where to point an "empty scenario" error.
    pub empty_loc: Loc,
    /// Some supply names a product that does not exist (already reported): skip the
    /// "no supply" check, which would only echo that mistake.
    pub unresolved_supply: bool,
    /// The same for demand.
    pub unresolved_demand: bool,
}

/// Empty scenario, products with no supply or no demand, unreachable demand (warning).
pub(crate) fn whole(v: &View, d: &mut Diags) {
    let (n, l, p) = v.counts;
    let mut missing = Vec::new();
    if n == 0 {
        missing.push("nodes");
    }
    if l == 0 {
        missing.push("links");
    }
    if p == 0 {
        missing.push("products");
    }
    if !missing.is_empty() {
        d.err(
            K::Empty,
            v.empty_loc,
            format!("the scenario has no {}", missing.join(", no ")),
            Some("a scenario needs at least one [[node]], one [[link]] and one [[product]]".into()),
        );
    }
    for (pi, (id, loc)) in v.products.iter().enumerate() {
        let has_supply = v.supplies.iter().any(|s| s.0 == pi);
        let has_demand = v.demands.iter().any(|s| s.0 == pi);
        if !has_supply && !v.unresolved_supply {
            d.err(
                K::NoSupply,
                *loc,
                format!("product `{id}` has no supply"),
                Some(format!(
                    "add a [[supply]] with product = \"{id}\", or remove the product"
                )),
            );
        }
        if !has_demand && !v.unresolved_demand {
            d.err(
                K::NoDemand,
                *loc,
                format!("product `{id}` has no demand"),
                Some(format!(
                    "add a [[demand]] with product = \"{id}\", or remove the product"
                )),
            );
        }
    }
    // Reachability per product, from all its supply nodes at once.
    let mut adj = vec![Vec::new(); v.n_nodes];
    for &(f, t, both) in &v.arcs {
        if f < v.n_nodes && t < v.n_nodes {
            adj[f].push(t);
            if both {
                adj[t].push(f);
            }
        }
    }
    for (pi, (id, _)) in v.products.iter().enumerate() {
        let sources: Vec<usize> = v
            .supplies
            .iter()
            .filter(|s| s.0 == pi && s.1 < v.n_nodes)
            .map(|s| s.1)
            .collect();
        if sources.is_empty() {
            continue;
        }
        let mut seen = vec![false; v.n_nodes];
        let mut queue: VecDeque<usize> = VecDeque::new();
        for s in sources {
            if !seen[s] {
                seen[s] = true;
                queue.push_back(s);
            }
        }
        while let Some(x) = queue.pop_front() {
            for &y in &adj[x] {
                if !seen[y] {
                    seen[y] = true;
                    queue.push_back(y);
                }
            }
        }
        for &(dp, node, loc) in &v.demands {
            if dp == pi && node < v.n_nodes && !seen[node] {
                let name = v.node_names.get(node).map_or("?", String::as_str);
                d.warn(
                    K::Unreachable,
                    loc,
                    format!(
                        "demand for `{id}` at `{name}` cannot be reached from any supply of `{id}`"
                    ),
                    Some("add a link (or set both_ways = true on one) so a path leads there; this demand will go unmet".into()),
                );
            }
        }
    }
}

impl Scenario {
    /// Check an in-memory scenario (e.g. after a notebook edited one): ids unique and
    /// well formed, every index in range, numbers finite and in range, and the
    /// whole-scenario checks of the loader. Diagnostics have line 0 and name the item.
    ///
    /// Returns the warnings when there is no error.
    ///
    /// ```
    /// let mut s = chokepoint::scenario::load("scenarios/twoland.toml")?;
    /// assert!(s.check().is_ok());
    /// s.links[0].capacity_t_per_day = -1.0;
    /// assert!(s.check().is_err());
    /// # Ok::<(), chokepoint::Error>(())
    /// ```
    pub fn check(&self) -> Result<Vec<Diagnostic>, ScenarioErrors> {
        let file = self
            .source
            .clone()
            .unwrap_or_else(|| PathBuf::from("<in-memory scenario>"));
        let mut d = Diags::new(file);
        check_scenario(self, &mut d);
        if d.has_errors() {
            Err(ScenarioErrors {
                diagnostics: d.sorted(),
            })
        } else {
            Ok(d.sorted())
        }
    }
}

/// Every check of [`Scenario::check`], into `d`.
pub(crate) fn check_scenario(s: &Scenario, d: &mut Diags) {
    let at = Loc::default();
    let bad = |d: &mut Diags, kind: K, msg: String, hint: &str| {
        d.err(kind, at, msg, Some(hint.to_string()));
    };
    let num = |d: &mut Diags, what: String, x: f64, rule: NumRule| {
        if let Some((kind, expected)) = rule.problem(x) {
            d.err(
                kind,
                at,
                format!("{what} = {x} is out of range"),
                Some(expected.into()),
            );
        }
    };

    let st = &s.settings;
    if st.name.trim().is_empty() {
        bad(
            d,
            K::MissingKey,
            "the scenario has no name".into(),
            "set settings.name",
        );
    }
    if !(1..=3660).contains(&st.days) {
        bad(
            d,
            K::OutOfRange,
            format!("settings.days = {}", st.days),
            "expected 1..=3660",
        );
    }
    for (key, v) in [
        ("reaction_days", st.reaction_days),
        ("queue_patience_days", st.queue_patience_days),
        ("order_patience_days", st.order_patience_days),
        ("abandon_after_days", st.abandon_after_days),
        ("runout_max_days", st.runout_max_days),
    ] {
        if v > MAX_SETTING_DAYS {
            bad(
                d,
                K::OutOfRange,
                format!("settings.{key} = {v}"),
                "expected 0..=3660 days",
            );
        }
    }
    num(
        d,
        "settings.truck_payload_t".into(),
        st.truck_payload_t,
        NumRule::Pos,
    );
    num(
        d,
        "settings.discount_rate".into(),
        st.discount_rate,
        NumRule::Unit,
    );
    if !(0.0..=super::MAX_BELIEF_SPREAD).contains(&st.belief_spread) {
        bad(
            d,
            K::OutOfRange,
            format!("settings.belief_spread = {}", st.belief_spread),
            &format!("expected a number in [0, {}]", super::MAX_BELIEF_SPREAD),
        );
    }
    if !(1..=super::MAX_TRADER_CLASSES).contains(&st.trader_classes) {
        bad(
            d,
            K::OutOfRange,
            format!("settings.trader_classes = {}", st.trader_classes),
            &format!(
                "expected a whole number in 1..={}",
                super::MAX_TRADER_CLASSES
            ),
        );
    }
    if st.belief_spread > 0.0 && st.traders.is_myopic() {
        d.warn(
            K::Inconsistent,
            at,
            format!(
                "settings.belief_spread = {} spreads the beliefs of traders who weigh \
                 waiting against a detour; myopic traders hold none",
                st.belief_spread
            ),
            Some("set `traders = \"weigh\"` in [scenario], or drop belief_spread".into()),
        );
    }

    let nn = s.nodes.len();
    let nl = s.links.len();
    let nc = s.corridors.len();
    let np = s.products.len();
    ids(d, "node", s.nodes.iter().map(|x| x.id.as_str()));
    ids(d, "link", s.links.iter().map(|x| x.id.as_str()));
    ids(d, "corridor", s.corridors.iter().map(|x| x.id.as_str()));
    ids(d, "product", s.products.iter().map(|x| x.id.as_str()));
    ids(d, "shock", s.shocks.iter().map(|x| x.id.as_str()));
    ids(d, "process", s.processes.iter().map(|x| x.id.as_str()));

    for n in &s.nodes {
        if n.country.trim().is_empty() {
            bad(
                d,
                K::MissingKey,
                format!("node `{}` has no country", n.id),
                "set its country",
            );
        }
    }
    let mut arcs = Vec::new();
    for l in &s.links {
        let w = |k: &str| format!("link `{}`: {k}", l.id);
        if l.from.index() >= nn || l.to.index() >= nn {
            bad(
                d,
                K::UnknownReference,
                w("from/to is not a node index"),
                &format!("node indices are 0..{nn}"),
            );
        } else {
            arcs.push((l.from.index(), l.to.index(), l.both_ways));
        }
        if l.from == l.to {
            bad(
                d,
                K::Inconsistent,
                w("goes from a node to itself"),
                "`to` must differ from `from`",
            );
        }
        num(
            d,
            w("capacity_t_per_day"),
            l.capacity_t_per_day,
            NumRule::Pos,
        );
        num(d, w("cost_usd_per_t"), l.cost_usd_per_t, NumRule::NonNeg);
        num(d, w("transit_days"), l.transit_days, NumRule::NonNeg);
        for c in &l.charges {
            num(d, w("charge usd_per_t"), c.usd_per_t, NumRule::NonNeg);
        }
    }
    for c in &s.corridors {
        if let Some(v) = c.reaction_days.filter(|&v| v > MAX_SETTING_DAYS) {
            bad(
                d,
                K::OutOfRange,
                format!("corridor `{}`: reaction_days = {v}", c.id),
                "expected 0..=3660 days",
            );
        }
        if let Some(x) = c.expected_closure_days {
            num(
                d,
                format!("corridor `{}`: expected_closure_days", c.id),
                x,
                NumRule::Pos,
            );
            if st.traders.is_myopic() {
                d.warn(
                    K::Inconsistent,
                    at,
                    format!(
                        "corridor `{}` states expected_closure_days, which only traders \
                         who weigh waiting against a detour use",
                        c.id
                    ),
                    Some("set `traders = \"weigh\"` in [scenario], or drop the belief".into()),
                );
            }
        }
        if c.links.is_empty() {
            bad(
                d,
                K::Inconsistent,
                format!("corridor `{}` has no links", c.id),
                "give it at least one link",
            );
        }
        if c.links.iter().any(|l| l.index() >= nl) {
            bad(
                d,
                K::UnknownReference,
                format!("corridor `{}` holds a link index out of range", c.id),
                &format!("link indices are 0..{nl}"),
            );
        }
    }
    for p in &s.products {
        let w = |k: &str| format!("product `{}`: {k}", p.id);
        num(d, w("value_usd_per_t"), p.value_usd_per_t, NumRule::Pos);
        num(
            d,
            w("holding_cost_per_day"),
            p.holding_cost_per_day,
            NumRule::Unit,
        );
        num(
            d,
            w("demand_elasticity"),
            p.demand_elasticity,
            NumRule::Elasticity,
        );
        if let Some(q) = &p.perishability {
            num(d, w("grace_days"), q.grace_days, NumRule::NonNeg);
            num(d, w("loss_per_day"), q.loss_per_day, NumRule::Unit);
            num(d, w("shelf_life_days"), q.shelf_life_days, NumRule::Pos);
        }
    }
    let mut view = View {
        n_nodes: nn,
        arcs,
        counts: (nn, nl, np),
        node_names: s.nodes.iter().map(|n| n.id.clone()).collect(),
        products: s.products.iter().map(|p| (p.id.clone(), at)).collect(),
        ..View::default()
    };
    for (i, x) in s.supplies.iter().enumerate() {
        let w = |k: &str| format!("supply {i}: {k}");
        if x.product.index() >= np || x.node.index() >= nn {
            bad(
                d,
                K::UnknownReference,
                w("product or node index out of range"),
                "use an index of an existing product and node",
            );
        } else {
            view.supplies.push((x.product.index(), x.node.index()));
        }
        num(d, w("t_per_day"), x.t_per_day, NumRule::NonNeg);
        num(d, w("price_usd_per_t"), x.price_usd_per_t, NumRule::NonNeg);
        season(d, &w("seasonality"), &x.seasonality);
    }
    for (i, x) in s.demands.iter().enumerate() {
        let w = |k: &str| format!("demand {i}: {k}");
        if x.product.index() >= np || x.node.index() >= nn {
            bad(
                d,
                K::UnknownReference,
                w("product or node index out of range"),
                "use an index of an existing product and node",
            );
        } else {
            view.demands.push((x.product.index(), x.node.index(), at));
        }
        num(d, w("t_per_day"), x.t_per_day, NumRule::NonNeg);
        num(d, w("value_usd_per_t"), x.value_usd_per_t, NumRule::Pos);
        season(d, &w("seasonality"), &x.seasonality);
    }
    for (i, l) in s.trade_levels.iter().enumerate() {
        let w = |k: &str| format!("trade level {i}: {k}");
        num(d, w("factor"), l.factor, NumRule::NonNeg);
        if l.factor > super::raw::MAX_LEVEL_FACTOR {
            bad(
                d,
                K::OutOfRange,
                w(&format!("factor = {} is out of range", l.factor)),
                "expected a number in [0, 100]",
            );
        }
        if l.product.is_some_and(|p| p.index() >= np) {
            bad(
                d,
                K::UnknownReference,
                w("product index out of range"),
                "use an index of an existing product",
            );
        }
        if let Some(c) = &l.country {
            if !s.nodes.iter().any(|n| &n.country == c) {
                bad(
                    d,
                    K::UnknownReference,
                    w(&format!("no node has the country `{c}`")),
                    "name the country of a node",
                );
            }
        }
        if let (Some(f), Some(t)) = (l.from, l.to) {
            if t < f {
                bad(
                    d,
                    K::EndsBeforeStart,
                    w(&format!("`to` {t} is before `from` {f}")),
                    "`to` is the last day the level applies (inclusive)",
                );
            }
        }
    }
    let target_ok = |t: &Target| match t {
        Target::Corridor(c) => c.index() < nc,
        Target::Link(l) => l.index() < nl,
    };
    let fixed = s.closures.iter().enumerate().map(|(i, c)| (i, c, false));
    let seasonal = s.seasonal.iter().enumerate().map(|(i, c)| (i, c, true));
    for (i, c, seasonal) in fixed.chain(seasonal) {
        let kind = if seasonal {
            "seasonal closure"
        } else {
            "closure"
        };
        let w = |k: &str| format!("{kind} {i}: {k}");
        if seasonal && c.duration_days + c.ramp_days > MAX_SEASONAL_DAYS {
            bad(
                d,
                K::OutOfRange,
                w("duration_days + ramp_days is more than a year"),
                &format!(
                    "a seasonal closure lasts at most {MAX_SEASONAL_DAYS} days, ramp included"
                ),
            );
        }
        if seasonal && c.start_day.unsigned_abs() > 36_600 {
            bad(
                d,
                K::OutOfRange,
                w(&format!(
                    "start_day {} is more than 100 years away",
                    c.start_day
                )),
                "a seasonal closure's first occurrence is dated within 100 years of the start",
            );
        }
        if seasonal && c.expected_closure_days.is_some() {
            bad(
                d,
                K::Inconsistent,
                w("states expected_closure_days"),
                "traders know when a seasonal closure ends: drop the belief",
            );
        }
        if !target_ok(&c.target) {
            bad(
                d,
                K::UnknownReference,
                w("target index out of range"),
                "target an existing corridor or link",
            );
        }
        if c.duration_days == 0 {
            bad(
                d,
                K::EndsBeforeStart,
                w("duration_days is 0"),
                "a closure lasts at least one day",
            );
        }
        num(d, w("capacity_factor"), c.capacity_factor, NumRule::Unit);
        if let Some(x) = c.expected_closure_days {
            num(d, w("expected_closure_days"), x, NumRule::Pos);
        }
    }
    for (i, p) in s.processes.iter().enumerate() {
        let w = |k: &str| format!("process {i}: {k}");
        if !target_ok(&p.target) {
            bad(
                d,
                K::UnknownReference,
                w("target index out of range"),
                "target an existing corridor or link",
            );
        }
        num(d, w("rate_per_year"), p.rate_per_year, NumRule::NonNeg);
        num(d, w("capacity_factor"), p.capacity_factor, NumRule::Unit);
        dist(d, &w("duration"), &p.duration);
    }
    for g in &s.shocks {
        let w = |k: &str| format!("shock `{}`: {k}", g.id);
        if g.targets.len() < 2 {
            bad(
                d,
                K::Inconsistent,
                w("fewer than two targets"),
                "a shock closes at least two targets",
            );
        }
        if g.targets.iter().any(|t| !target_ok(t)) {
            bad(
                d,
                K::UnknownReference,
                w("target index out of range"),
                "target existing corridors or links",
            );
        }
        let distinct: HashSet<&Target> = g.targets.iter().collect();
        if distinct.len() != g.targets.len() {
            bad(
                d,
                K::Inconsistent,
                w("a target is listed twice"),
                "list each target once",
            );
        }
        num(d, w("rate_per_year"), g.rate_per_year, NumRule::NonNeg);
        num(d, w("capacity_factor"), g.capacity_factor, NumRule::Unit);
        dist(d, &w("duration"), &g.duration);
    }
    if let Some(r) = &s.regimes {
        let n = r.states.len();
        ids(d, "regime state", r.states.iter().map(|x| x.id.as_str()));
        if n == 0 {
            bad(
                d,
                K::Empty,
                "the regime chain has no states".into(),
                "add states or set regimes to None",
            );
        }
        if r.transitions.len() != n || r.transitions.iter().any(|row| row.len() != n) {
            bad(
                d,
                K::Inconsistent,
                format!("the regime transition matrix is not {n} x {n}"),
                "one row and one column per state",
            );
        } else {
            for (i, row) in r.transitions.iter().enumerate() {
                for &p in row {
                    num(
                        d,
                        format!("regime `{}` transition", r.states[i].id),
                        p,
                        NumRule::Unit,
                    );
                }
                let sum: f64 = row.iter().sum();
                if (sum - 1.0).abs() > 1e-9 {
                    bad(
                        d,
                        K::Inconsistent,
                        format!(
                            "the transitions of regime `{}` sum to {sum}",
                            r.states[i].id
                        ),
                        "each row must sum to 1",
                    );
                }
            }
        }
        for st in &r.states {
            num(
                d,
                format!("regime `{}` rate_multiplier", st.id),
                st.rate_multiplier,
                NumRule::NonNeg,
            );
        }
        if r.initial.is_some_and(|i| i >= n) {
            bad(
                d,
                K::UnknownReference,
                "the initial regime index is out of range".into(),
                &format!("state indices are 0..{n}"),
            );
        }
    }
    for (i, e) in s.expansions.iter().enumerate() {
        if e.link.index() >= nl {
            bad(
                d,
                K::UnknownReference,
                format!("expansion {i}: link index out of range"),
                "expand an existing link",
            );
        }
        num(
            d,
            format!("expansion {i}: extra_t_per_day"),
            e.extra_t_per_day,
            NumRule::Pos,
        );
    }
    whole(&view, d);
}

#[derive(Clone, Copy)]
enum NumRule {
    NonNeg,
    Elasticity,
    Pos,
    Unit,
}

/// The largest quantity (t/day, USD/t, days) a scenario may hold: the engine counts
/// tonnes in integers of 0.01 t and costs in integers of 0.01 USD/t, and its sums must
/// stay exact.
pub(crate) const MAX_QUANTITY: f64 = 1e9;

/// The longest lag or patience (days) a scenario may set: ten years.
pub(crate) const MAX_SETTING_DAYS: u32 = 3660;

impl NumRule {
    fn problem(self, x: f64) -> Option<(K, &'static str)> {
        match self {
            _ if !x.is_finite() => Some((K::BadNumber, "expected a finite number")),
            _ if x.abs() > MAX_QUANTITY => Some((
                K::OutOfRange,
                "expected a number of at most 1e9 (the engine's integer units hold no more)",
            )),
            NumRule::NonNeg if x < 0.0 => Some((K::BadNumber, "expected a number >= 0")),
            NumRule::Pos if x <= 0.0 => Some((K::BadNumber, "expected a number > 0")),
            NumRule::Elasticity if !(-50.0..=0.0).contains(&x) => Some((
                K::OutOfRange,
                "expected a number in [-50, 0] (orders fall as the landed price rises)",
            )),
            NumRule::Unit if !(0.0..=1.0).contains(&x) => {
                Some((K::OutOfRange, "expected a number in [0, 1]"))
            }
            _ => None,
        }
    }
}

fn ids<'a>(d: &mut Diags, kind: &str, ids: impl Iterator<Item = &'a str>) {
    let mut seen = HashSet::new();
    for id in ids {
        if !is_valid_id(id) {
            d.err(
                K::BadId,
                Loc::default(),
                format!("{kind} id {id:?} is not a valid id"),
                Some("ids use lower-case letters, digits and `_` only".into()),
            );
        }
        if !seen.insert(id) {
            d.err(
                K::DuplicateId,
                Loc::default(),
                format!("duplicate {kind} id `{id}`"),
                Some("ids must be unique".into()),
            );
        }
    }
}

fn season(d: &mut Diags, what: &str, s: &Option<Seasonality>) {
    if let Some(m) = s {
        if m.iter().any(|x| !x.is_finite() || *x < 0.0 || *x > 1000.0) {
            d.err(
                K::BadNumber,
                Loc::default(),
                format!("{what} has a negative, non-finite or huge factor"),
                Some("monthly factors are numbers in [0, 1000]".into()),
            );
        }
    }
}

fn dist(d: &mut Diags, what: &str, x: &DurationDist) {
    let rebuilt = match x {
        DurationDist::Exponential { mean_days } => DurationDist::exponential(*mean_days),
        DurationDist::LogNormal { mu, sigma } => DurationDist::lognormal(*mu, *sigma),
        DurationDist::Gamma { shape, scale_days } => DurationDist::gamma(*shape, *scale_days),
        DurationDist::Empirical { days } => DurationDist::empirical(days.clone()),
    };
    if let Err(msg) = rebuilt {
        d.err(K::BadNumber, Loc::default(), format!("{what}: {msg}"), None);
    }
}
