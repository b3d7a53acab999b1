//! What traders believe about the closures of each link (`traders = "weigh"`): the
//! expected remaining duration of a closure by the days it has lasted. Built once per
//! engine from the scenario alone; `decision.rs` weighs waiting against a detour with it.

use crate::closure::{mixture_mean_remaining_days, DurationDist};
use crate::scenario::Scenario;

/// What traders believe about the closures of each link: its expected remaining
/// closure duration by the days the closure has lasted. Empty unless traders weigh.
#[derive(Default)]
pub(super) struct Beliefs {
    /// Per link: the row of `remaining`, or `u32::MAX` (no belief).
    row_of: Vec<u32>,
    /// Expected remaining days by age 0, 1, 2, ... (the last entry holds beyond); empty
    /// for a link whose only beliefs are those the scenario's fixed closures state.
    remaining: Vec<Vec<f64>>,
}

impl Beliefs {
    /// The beliefs of `scn` (none with myopic traders), tabulated for closures up to
    /// `max_age` days old.
    pub(super) fn new(scn: &Scenario, link_corridors: &[Vec<u32>], max_age: u32) -> Beliefs {
        let mut b = Beliefs {
            row_of: vec![u32::MAX; scn.links.len()],
            remaining: Vec::new(),
        };
        if scn.settings.traders.is_myopic() {
            return b;
        }
        for (l, cors) in link_corridors.iter().enumerate() {
            let stated = cors
                .iter()
                .find_map(|&c| scn.corridors[c as usize].expected_closure_days);
            let row: Vec<f64> = if let Some(days) = stated {
                vec![days]
            } else {
                let hits =
                    |t: &crate::closure::Target| scn.target_links(t).iter().any(|x| x.index() == l);
                let sources: Vec<(f64, &DurationDist)> = scn
                    .processes
                    .iter()
                    .filter(|p| hits(&p.target))
                    .map(|p| (p.rate_per_year, &p.duration))
                    .chain(
                        scn.shocks
                            .iter()
                            .filter(|s| s.targets.iter().any(hits))
                            .map(|s| (s.rate_per_year, &s.duration)),
                    )
                    .collect();
                if sources.is_empty() {
                    continue;
                }
                let memoryless = sources
                    .iter()
                    .all(|s| matches!(s.1, DurationDist::Exponential { .. }))
                    && sources.len() == 1;
                let ages = if memoryless { 1 } else { max_age as usize + 1 };
                (0..ages)
                    .map(|a| mixture_mean_remaining_days(&sources, a as f64).unwrap_or(0.0))
                    .collect()
            };
            b.row_of[l] = b.remaining.len() as u32;
            b.remaining.push(row);
        }
        // Links that only a fixed closure's stated belief is about: wait arcs, but no
        // belief of their own.
        for w in scn
            .closures
            .iter()
            .filter(|w| w.expected_closure_days.is_some())
        {
            for &l in scn.target_links(&w.target) {
                let l = l.index();
                if b.row_of.get(l) == Some(&u32::MAX) {
                    b.row_of[l] = b.remaining.len() as u32;
                    b.remaining.push(Vec::new());
                }
            }
        }
        b
    }

    /// Whether traders may hold a belief about link `l`'s closures: one of its own, or
    /// one a closure of it states (its darcs have wait arcs).
    #[inline]
    pub(super) fn has(&self, l: usize) -> bool {
        self.row_of.get(l).is_some_and(|&r| r != u32::MAX)
    }

    /// Whether traders hold a belief about any link.
    pub(super) fn any(&self) -> bool {
        !self.remaining.is_empty()
    }

    /// The expected remaining days of a closure of link `l` that has lasted `age` days
    /// (`None` without a belief of its own).
    pub(super) fn remaining(&self, l: usize, age: u32) -> Option<f64> {
        let r = *self.row_of.get(l)?;
        let row = self.remaining.get(r as usize)?;
        row.get((age as usize).min(row.len().saturating_sub(1)))
            .copied()
    }
}
