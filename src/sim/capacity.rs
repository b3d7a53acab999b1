//! Step 1 of the day: capacities, and what traders see.
//!
//! A link's capacity on day *d* is (base capacity + option expansions on *d*) × the
//! lowest factor of the closure windows covering it on *d*. Traders route with the
//! factors of day *d − lag* (`reaction_days`) and the queues as they stood `lag` days
//! before: a closure, and a reopening, is noticed `lag` days late.

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
            links: Vec::new(),
            span,
        };
        for w in closures.iter().filter(|w| w.start_day < i64::from(window)) {
            let lo = w.start_day.max(-i64::from(lag));
            let hi = w.end_day().min(i64::from(horizon));
            for &l in scn.target_links(&w.target) {
                let l = l.index();
                if f.row_of[l] == u32::MAX {
                    f.row_of[l] = f.links.len() as u32;
                    f.links.push(l as u32);
                    f.rows.resize(f.rows.len() + span, 1.0);
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
pub(super) struct Schedule {
    pub(super) factor: Factors,
    pub(super) lag: u32,
    /// Links whose closure factor changes at factor-table index `i` (day `i - lag`).
    changes_at: Vec<Vec<u32>>,
    /// Per day: the first day from it on that the closures differ from the base's (the
    /// closures every run shares; none by default), in the capacity in force or in the
    /// capacity traders see; `horizon` if none does. The fast path skips untouched days.
    pub(super) next_touched: Vec<u32>,
    /// The first day from which no closure holds any link below full capacity, in force
    /// or as traders see it: a run-out may end on it or after it.
    pub(super) quiet_from: u32,
}

impl Schedule {
    /// The schedule of `closures`, and where it differs from `base`'s factors.
    pub(super) fn new(scn: &Scenario, closures: &[ClosureWindow], base: &Factors) -> Schedule {
        let (window, days) = (
            scn.settings.days,
            scn.settings.days + scn.settings.runout_max_days,
        );
        let lag = scn.settings.reaction_days;
        let span = (days + lag) as usize;
        let factor = Factors::new(scn, closures, window, days, lag);
        let mut changes_at = vec![Vec::new(); span];
        for (l, row) in factor.closed() {
            for i in 1..span {
                if row[i] != row[i - 1] {
                    changes_at[i].push(l as u32);
                }
            }
        }
        let mut next_touched = vec![days; days as usize];
        let at = |row: Option<&[f64]>, i: usize| row.map_or(1.0, |r| r[i]);
        let touched = |d: usize| {
            let (now, seen) = (d + lag as usize, d);
            factor.closed().any(|(l, row)| {
                let b = base.row(l);
                row[now] != at(b, now) || row[seen] != at(b, seen)
            }) || base
                .closed()
                .any(|(l, row)| factor.row(l).is_none() && (row[now] < 1.0 || row[seen] < 1.0))
        };
        for d in (0..days as usize).rev() {
            next_touched[d] = if touched(d) {
                d as u32
            } else {
                next_touched.get(d + 1).copied().unwrap_or(days)
            };
        }
        // The last day a factor is below 1 in force (index day + lag) or as seen (index
        // day), over all links.
        let quiet_from = factor
            .closed()
            .filter_map(|(_, row)| row.iter().rposition(|&x| x < 1.0))
            .map(|i| i as u32 + 1)
            .max()
            .unwrap_or(0);
        Schedule {
            factor,
            lag,
            changes_at,
            next_touched,
            quiet_from,
        }
    }

    /// The closure factor of link `link` on `day` (1 when no closure covers it).
    #[inline]
    pub(super) fn factor_at(&self, link: usize, day: i64) -> f64 {
        let i = day + i64::from(self.lag);
        match self.factor.row(link) {
            Some(row) if i >= 0 => row[i as usize],
            _ => 1.0,
        }
    }

    /// Whether a closure holds link `link` below full capacity on `day`.
    pub(super) fn closed_on(&self, link: usize, day: u32) -> bool {
        self.factor
            .row(link)
            .is_some_and(|r| r[(day + self.lag) as usize] < 1.0)
    }

    /// Link `link`'s capacity on `day` with the closure factors of `factor_day`, t/day.
    fn capacity_t(
        &self,
        scn: &Scenario,
        net: &Network,
        link: usize,
        day: i64,
        factor_day: i64,
    ) -> f64 {
        let base = scn.links[link].capacity_t_per_day
            + net.link_expansions[link]
                .iter()
                .map(|&e| scn.expansions[e].extra_on(day))
                .sum::<f64>();
        base * self.factor_at(link, factor_day)
    }

    /// Set today's capacity and the capacity traders see on each direction of link `l`.
    fn refresh_link(&self, scn: &Scenario, net: &Network, state: &mut State, l: usize, d: i64) {
        let floor = |t: f64| (t * UNITS_PER_T + 1e-6).floor() as i64;
        let cap = floor(self.capacity_t(scn, net, l, d, d));
        let seen = floor(self.capacity_t(scn, net, l, d, d - i64::from(self.lag)));
        for &a in &net.link_darcs[l] {
            state.cap_units[a as usize] = cap;
            state.seen_units[a as usize] = seen;
        }
    }

    /// The morning of `day`: capacities in force and seen (only links whose factor, or
    /// the one traders see, changes today, or with an expansion ramping in, are
    /// recomputed: most days none), the capacity left today (`left`, all of it), and
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
            let lag = self.lag as usize;
            for &l in self.changes_at[day as usize + lag]
                .iter()
                .chain(&self.changes_at[day as usize])
                .chain(&net.expanding_links)
            {
                self.refresh_link(scn, net, state, l as usize, d);
            }
        }
        left.copy_from_slice(&state.cap_units);
        if let Some(oldest) = state.queue_hist.front() {
            for (i, p) in perceived.iter_mut().enumerate() {
                *p = (state.seen_units[i] - oldest[i]).max(0);
            }
        }
    }
}
