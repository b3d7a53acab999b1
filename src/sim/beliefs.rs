//! What traders believe about the closures of each link (`traders = "weigh"`): the
//! expected remaining duration of a closure by the days it has lasted. Built once per
//! engine from the scenario alone; `decision.rs` weighs waiting against a detour with it.
//!
//! Traders who differ (`belief_spread` σ > 0): the cargo is split into K classes
//! (`trader_classes`) whose beliefs are the link's × a factor per class,
//! fₖ = exp(σ zₖ) / mean_j exp(σ zⱼ), zₖ the standard normal quantile at (k + ½)/K:
//! fixed quantiles of a lognormal spread, so nothing random is drawn, and the classes'
//! mean belief is the link's. With σ = 0 there is one class of factor 1 (exactly the
//! weighing traders).

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
    /// Per class of traders, the factor on every belief (`[1.0]` without a spread).
    factors: Vec<f64>,
}

/// The factors of `k` classes of traders whose log beliefs are spread by `sigma` (see
/// the module's documentation): `[1.0]` when `sigma` is 0 or `k` is 1.
pub(crate) fn class_factors(sigma: f64, k: u32) -> Vec<f64> {
    use statrs::distribution::{ContinuousCDF, Normal};
    if sigma <= 0.0 || k <= 1 {
        return vec![1.0];
    }
    let n = Normal::standard();
    let raw: Vec<f64> = (0..k)
        .map(|i| (sigma * n.inverse_cdf((f64::from(i) + 0.5) / f64::from(k))).exp())
        .collect();
    let mean = raw.iter().sum::<f64>() / f64::from(k);
    raw.iter().map(|x| x / mean).collect()
}

impl Beliefs {
    /// The beliefs of `scn` (none with myopic traders), tabulated for closures up to
    /// `max_age` days old.
    pub(super) fn new(scn: &Scenario, link_corridors: &[Vec<u32>], max_age: u32) -> Beliefs {
        let mut b = Beliefs {
            row_of: vec![u32::MAX; scn.links.len()],
            remaining: Vec::new(),
            factors: class_factors(scn.settings.belief_spread, scn.settings.trader_classes),
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

    /// The factor on the beliefs of each class of traders, lowest first (one class of
    /// factor 1 unless traders differ).
    #[inline]
    pub(super) fn factors(&self) -> &[f64] {
        if self.factors.is_empty() {
            &[1.0]
        } else {
            &self.factors
        }
    }

    /// The number of classes of traders.
    #[inline]
    pub(super) fn classes(&self) -> usize {
        self.factors().len()
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

#[cfg(test)]
mod tests {
    use super::class_factors;

    /// Two classes at the quartiles ±0.6745 of the standard normal, spread 1: e^∓0.6745
    /// = 0.50942 and 1.96303, over their mean 1.23622: 0.41207 and 1.58793. No spread, or
    /// one class: a single factor of exactly 1.
    #[test]
    fn class_factors_are_fixed_quantiles_of_a_lognormal_with_mean_one() {
        let f = class_factors(1.0, 2);
        assert_eq!(f.len(), 2);
        assert!((f[0] - 0.41207).abs() < 1e-4, "{f:?}");
        assert!((f[1] - 1.58793).abs() < 1e-4, "{f:?}");
        assert_eq!(class_factors(0.0, 5), vec![1.0]);
        assert_eq!(class_factors(1.5, 1), vec![1.0]);
        // Five classes: the middle one is e^0 over the mean, the mean is 1, and they rise.
        let f = class_factors(0.96, 5);
        assert!((f.iter().sum::<f64>() / 5.0 - 1.0).abs() < 1e-12, "{f:?}");
        assert!(f.windows(2).all(|w| w[0] < w[1]), "{f:?}");
    }
}
