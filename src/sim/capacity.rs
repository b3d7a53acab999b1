//! Step 1 of the day: capacities, and what traders see.
//!
//! A link's capacity on day *d* is (base capacity + option expansions on *d*) × its
//! seasonal factor on *d* × the lowest factor of the closure windows covering it on *d*. Traders route with the
//! factors of day *d − lag* and the queues as they stood `lag` days before: a closure,
//! and a reopening, is noticed `lag` days late. The lag is the link's (its corridor's
//! `reaction_days`, the scenario's by default).

use crate::closure::ClosureWindow;
use crate::scenario::Scenario;

use super::network::{Network, UNITS_PER_T};
use super::state::State;

/// Closure factors per link per day, for days `-lag .. horizon` (index `day + lag`): a
/// row for each link a closure touches, none for the others (their factor is 1). Only
/// windows that start inside the window count (no closure starts in the run-out); they
/// last their whole length, into the run-out.
#[derive(Default)]
pub(super) struct Factors {
    /// Row of each link in `rows`, or `u32::MAX`.
    row_of: Vec<u32>,
    rows: Vec<f64>,
    /// Beside `rows` (empty when no window states one): the belief stated by the
    /// windows holding the link below full capacity, days (the longest where several
    /// do), or NaN where none does.
    stated: Vec<f64>,
    /// Links with a row, in row order.
    links: Vec<u32>,
    span: usize,
}

impl Factors {
    /// The factors of `closures` (checked: targets inside the scenario, factors in
    /// [0, 1]) that start before day `window`, over `horizon` days with a reaction lag
    /// of `lag` days.
    pub(super) fn new(
        scn: &Scenario,
        closures: &[ClosureWindow],
        window: u32,
        horizon: u32,
        lag: u32,
    ) -> Factors {
        let span = (horizon + lag) as usize;
        let mut f = Factors {
            row_of: vec![u32::MAX; scn.links.len()],
            rows: Vec::new(),
            stated: Vec::new(),
            links: Vec::new(),
            span,
        };
        let any_stated = closures.iter().any(|w| w.expected_closure_days.is_some());
        for w in closures.iter().filter(|w| w.start_day < i64::from(window)) {
            let lo = w.start_day.max(-i64::from(lag));
            let hi = w.end_day().min(i64::from(horizon));
            for &l in scn.target_links(&w.target) {
                let l = l.index();
                if f.row_of[l] == u32::MAX {
                    f.row_of[l] = f.links.len() as u32;
                    f.links.push(l as u32);
                    f.rows.resize(f.rows.len() + span, 1.0);
                    if any_stated {
                        f.stated.resize(f.rows.len(), f64::NAN);
                    }
                }
                let r = f.row_of[l] as usize;
                let row = &mut f.rows[r * span..(r + 1) * span];
                for day in lo..hi {
                    let x = w.factor_on(day);
                    let slot = &mut row[(day + i64::from(lag)) as usize];
                    if x < *slot {
                        *slot = x;
                    }
                }
                if let Some(e) = w.expected_closure_days {
                    let row = &mut f.stated[r * span..(r + 1) * span];
                    for day in lo..hi {
                        let slot = &mut row[(day + i64::from(lag)) as usize];
                        if w.factor_on(day) < 1.0 && (slot.is_nan() || *slot < e) {
                            *slot = e;
                        }
                    }
                }
            }
        }
        f
    }

    /// Link `l`'s factors, if a closure touches it.
    #[inline]
    pub(super) fn row(&self, l: usize) -> Option<&[f64]> {
        let r = *self.row_of.get(l)?;
        (r != u32::MAX).then(|| &self.rows[r as usize * self.span..(r as usize + 1) * self.span])
    }

    /// The belief stated for link `l` at index `i` (day + lag), if a window holding it
    /// below full capacity there states one.
    #[inline]
    pub(super) fn stated_at(&self, l: usize, i: usize) -> Option<f64> {
        let r = *self.row_of.get(l)?;
        if r == u32::MAX || self.stated.is_empty() {
            return None;
        }
        let x = self.stated[r as usize * self.span + i];
        (!x.is_nan()).then_some(x)
    }

    /// The links closures touch, with their factors.
    pub(super) fn closed(&self) -> impl Iterator<Item = (usize, &[f64])> + '_ {
        self.links
            .iter()
            .zip(self.rows.chunks_exact(self.span.max(1)))
            .map(|(&l, row)| (l as usize, row))
    }

    /// Whether no closure touches any link.
    pub(super) fn is_empty(&self) -> bool {
        self.links.is_empty()
    }
}

/// A run's closures, as the day step reads them.
///
/// Each link has its own reaction lag (`Network::link_lag`: its corridor's
/// `reaction_days`, the scenario's by default); the factor table is indexed by
/// `day + max_lag` (`max_lag` the longest), so the factor in force on day *d* is at
/// `d + max_lag` and the one traders see on link *l* at `d + max_lag − lag(l)`.
pub(super) struct Schedule {
    pub(super) factor: Factors,
    /// The longest reaction lag of any link: the factor table's offset.
    pub(super) max_lag: u32,
    /// Reaction lag of each link.
    link_lag: Vec<u32>,
    /// Per day: the links whose closure factor in force, or the one traders see,
    /// changes that day (their capacities are recomputed in the morning).
    refresh: Vec<Vec<u32>>,
    /// Per day: the first day from it on that the closures differ from the base's (the
    /// closures every run shares; none by default), in the capacity in force or in the
    /// capacity traders see, or (on a link with a belief, when traders weigh) in how
    /// long a closure in force or seen has lasted or in the belief a closure states;
    /// `horizon` if none does. The fast
    /// path skips untouched days.
    pub(super) next_touched: Vec<u32>,
    /// The first day from which no closure holds any link below full capacity, in force
    /// or as traders see it: a run-out may end on it or after it.
    pub(super) quiet_from: u32,
    /// Per day: whether traders see a closure on any link they hold a belief about
    /// (only then do the decision's wait arcs and cargo under way have anything to do).
    pub(super) belief_seen_shut: Vec<bool>,
}

impl Schedule {
    /// The schedule of `closures`, and where it differs from `base`'s factors.
    pub(super) fn new(
        scn: &Scenario,
        net: &Network,
        closures: &[ClosureWindow],
        base: &Factors,
    ) -> Schedule {
        let (window, days) = (net.window, net.horizon);
        let m = net.max_lag;
        let span = (days + m) as usize;
        let factor = Factors::new(scn, closures, window, days, m);
        let mut refresh = vec![Vec::new(); days as usize];
        for (l, row) in factor.closed() {
            let lag = net.link_lag[l];
            for i in 1..span {
                if row[i] != row[i - 1] {
                    // In force on day i - m, seen on day i - m + lag.
                    for d in [
                        i as i64 - i64::from(m),
                        i as i64 - i64::from(m) + i64::from(lag),
                    ] {
                        if (1..i64::from(days)).contains(&d) {
                            let list = &mut refresh[d as usize];
                            if list.last() != Some(&(l as u32)) {
                                list.push(l as u32);
                            }
                        }
                    }
                }
            }
        }
        let mut next_touched = vec![days; days as usize];
        let at = |row: Option<&[f64]>, i: usize| row.map_or(1.0, |r| r[i]);
        // Whether the closure history that ends at index `i` (a run of factors below 1)
        // differs between `row` and the base's `b`.
        let history_differs = |row: &[f64], b: Option<&[f64]>, i: usize| {
            let mut k = i;
            loop {
                let (x, y) = (row[k], at(b, k));
                if x != y {
                    return true;
                }
                if x >= 1.0 || k == 0 {
                    return false;
                }
                k -= 1;
            }
        };
        let touched = |d: usize| {
            let now = d + m as usize;
            factor.closed().any(|(l, row)| {
                let b = base.row(l);
                let seen = now - net.link_lag[l] as usize;
                if net.beliefs.has(l) {
                    history_differs(row, b, now)
                        || history_differs(row, b, seen)
                        || factor.stated_at(l, now) != base.stated_at(l, now)
                        || factor.stated_at(l, seen) != base.stated_at(l, seen)
                } else {
                    row[now] != at(b, now) || row[seen] != at(b, seen)
                }
            }) || base.closed().any(|(l, row)| {
                let seen = now - net.link_lag[l] as usize;
                factor.row(l).is_none() && (row[now] < 1.0 || row[seen] < 1.0)
            })
        };
        for d in (0..days as usize).rev() {
            next_touched[d] = if touched(d) {
                d as u32
            } else {
                next_touched.get(d + 1).copied().unwrap_or(days)
            };
        }
        // The last day a factor is below 1 in force (index day + m) or as seen (index
        // day + m - lag), over all links.
        let quiet_from = factor
            .closed()
            .filter_map(|(l, row)| {
                let i = row.iter().rposition(|&x| x < 1.0)?;
                Some((i as i64 - i64::from(m) + i64::from(net.link_lag[l]) + 1).max(0) as u32)
            })
            .max()
            .unwrap_or(0);
        let mut belief_seen_shut = vec![false; days as usize];
        for (l, row) in factor.closed() {
            if net.beliefs.has(l) {
                let lag = net.link_lag[l] as usize;
                for (d, shut) in belief_seen_shut.iter_mut().enumerate() {
                    *shut |= row[d + m as usize - lag] < 1.0;
                }
            }
        }
        Schedule {
            factor,
            belief_seen_shut,
            max_lag: m,
            link_lag: net.link_lag.clone(),
            refresh,
            next_touched,
            quiet_from,
        }
    }

    /// The closure factor of link `link` on `day` (1 when no closure covers it).
    #[inline]
    pub(super) fn factor_at(&self, link: usize, day: i64) -> f64 {
        let i = day + i64::from(self.max_lag);
        match self.factor.row(link) {
            Some(row) if i >= 0 => row[i as usize],
            _ => 1.0,
        }
    }

    /// The closure factor traders see on link `link` on `day`: the one in force on
    /// `day - lag(link)`.
    #[inline]
    pub(super) fn seen_factor(&self, link: usize, day: u32) -> f64 {
        self.factor_at(link, i64::from(day) - i64::from(self.link_lag[link]))
    }

    /// How many days before `day` a closure of link `link` has held it below full
    /// capacity without a break, in force (`seen` false) or as traders see it on `day`
    /// (`seen` true): 0 on its first day; `None` when it is not below full capacity.
    pub(super) fn closed_age(&self, link: usize, day: u32, seen: bool) -> Option<u32> {
        let row = self.factor.row(link)?;
        let lag = if seen { self.link_lag[link] } else { 0 };
        let i = (day + self.max_lag - lag) as usize;
        if row[i] >= 1.0 {
            return None;
        }
        let start = row[..i]
            .iter()
            .rposition(|&x| x >= 1.0)
            .map_or(0, |k| k + 1);
        Some((i - start) as u32)
    }

    /// The belief stated by the closure holding link `link` shut on `day`, in force
    /// (`seen` false) or as traders see it (`seen` true), days.
    pub(super) fn stated(&self, link: usize, day: u32, seen: bool) -> Option<f64> {
        let lag = if seen { self.link_lag[link] } else { 0 };
        self.factor
            .stated_at(link, (day + self.max_lag - lag) as usize)
    }

    /// Whether a closure touches link `link` at all (else it is never closed).
    pub(super) fn touched(&self, link: usize) -> bool {
        self.factor.row(link).is_some()
    }

    /// Whether a closure holds link `link` below full capacity on `day`.
    pub(super) fn closed_on(&self, link: usize, day: u32) -> bool {
        self.factor
            .row(link)
            .is_some_and(|r| r[(day + self.max_lag) as usize] < 1.0)
    }

    /// Link `link`'s capacity on `day` with the closure factors of `factor_day`, t/day
    /// (a seasonal closure is known in advance: traders see the one of `day`).
    fn capacity_t(
        &self,
        scn: &Scenario,
        net: &Network,
        link: usize,
        day: i64,
        factor_day: i64,
    ) -> f64 {
        net.normal_capacity_t(scn, link, day) * self.factor_at(link, factor_day)
    }

    /// Set today's capacity and the capacity traders see on each direction of link `l`.
    fn refresh_link(&self, scn: &Scenario, net: &Network, state: &mut State, l: usize, d: i64) {
        let floor = |t: f64| (t * UNITS_PER_T + 1e-6).floor() as i64;
        let cap = floor(self.capacity_t(scn, net, l, d, d));
        let lag = i64::from(self.link_lag[l]);
        let seen = floor(self.capacity_t(scn, net, l, d, d - lag));
        for &a in &net.link_darcs[l] {
            state.cap_units[a as usize] = cap;
            state.seen_units[a as usize] = seen;
        }
    }

    /// The morning of `day`: capacities in force and seen (only links whose factor, or
    /// the one traders see, changes today, and every day those with an expansion or a
    /// seasonal closure, are recomputed: most days none), the capacity left today (`left`, all of it), and
    /// the capacity traders see left for new cargo (`perceived`: what they see less the
    /// queue they see, which queued cargo takes first).
    pub(super) fn morning(
        &self,
        scn: &Scenario,
        net: &Network,
        state: &mut State,
        day: u32,
        left: &mut [i64],
        perceived: &mut [i64],
    ) {
        let d = i64::from(day);
        if day == 0 {
            for l in 0..scn.links.len() {
                self.refresh_link(scn, net, state, l, d);
            }
        } else {
            for &l in self.refresh[day as usize].iter().chain(&net.varying_links) {
                self.refresh_link(scn, net, state, l as usize, d);
            }
        }
        left.copy_from_slice(&state.cap_units);
        // The queue traders see on a darc is its queue at the end of day d - 1 - lag:
        // `queue_hist` holds the last max_lag + 1 days, oldest first.
        let m = self.max_lag as usize;
        if state.queue_hist.len() == m + 1 {
            for (i, p) in perceived.iter_mut().enumerate() {
                let seen_queue = state.queue_hist[m - net.darc_lag[i] as usize][i];
                *p = (state.seen_units[i] - seen_queue).max(0);
            }
        }
    }
}
