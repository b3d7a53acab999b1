//! Features of a closure plan: numbers computed from a run's closure windows alone,
//! before it is simulated, for use as control variates
//! ([`crate::control_variates`]).
//!
//! For each target `j`, its lost capacity on day `d` is `1 - f` where `f` is the lowest
//! capacity factor of the windows of `j` covering `d` (ramps included;
//! [`ClosureWindow::factor_on`]), as the engine applies it. The features are, for every
//! target in order:
//! - `lost_days`: the lost capacity summed over the window's days `[0, days)`
//!   (a day fully closed counts 1, a day at half capacity 0.5);
//! - `lost_days_after`: the same over the `after` days that follow the window (closures
//!   that run on into a run's run-out).
//!
//! and, with pairs switched on, for every pair of targets the sum over the window's days
//! of the product of their lost capacities (days closed together).

use super::{ClosureWindow, Target};

/// How to compute a plan's features (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanFeatures {
    targets: Vec<Target>,
    days: u32,
    after: u32,
    pairs: bool,
}

impl PlanFeatures {
    /// Features of plans over `targets`, for a window of `days` days followed by `after`
    /// days, with the pairs' overlaps when `pairs`.
    pub fn new(targets: Vec<Target>, days: u32, after: u32, pairs: bool) -> PlanFeatures {
        PlanFeatures {
            targets,
            days,
            after,
            pairs,
        }
    }

    /// The number of features.
    pub fn len(&self) -> usize {
        let t = self.targets.len();
        2 * t
            + if self.pairs {
                t * (t - t.min(1)) / 2
            } else {
                0
            }
    }

    /// Whether there are none (no targets).
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// The features' names, `name` giving a target's id: `lost_days:<id>`,
    /// `lost_days_after:<id>`, `overlap_days:<id>+<id>`.
    pub fn names(&self, name: impl Fn(Target) -> String) -> Vec<String> {
        let ids: Vec<String> = self.targets.iter().map(|t| name(*t)).collect();
        let mut out: Vec<String> = ids.iter().map(|i| format!("lost_days:{i}")).collect();
        out.extend(ids.iter().map(|i| format!("lost_days_after:{i}")));
        if self.pairs {
            for a in 0..ids.len() {
                for b in a + 1..ids.len() {
                    out.push(format!("overlap_days:{}+{}", ids[a], ids[b]));
                }
            }
        }
        out
    }

    /// The features of the plan `windows` (windows of other targets are ignored), into
    /// `out` (of [`PlanFeatures::len`] numbers); `lost` is scratch space.
    pub fn compute(&self, windows: &[ClosureWindow], lost: &mut Vec<f64>, out: &mut [f64]) {
        let t = self.targets.len();
        let span = (self.days + self.after) as i64;
        let days = i64::from(self.days);
        out.iter_mut().for_each(|x| *x = 0.0);
        if self.pairs {
            lost.clear();
            lost.resize(t * span as usize, 0.0);
        } else if lost.len() < span as usize {
            lost.resize(span as usize, 0.0);
        }
        for j in 0..t {
            // The days this target's windows touch, clipped to the span.
            let mut range: Option<(i64, i64)> = None;
            for w in windows.iter().filter(|w| w.target == self.targets[j]) {
                let (from, to) = (w.start_day.max(0), w.end_day().min(span));
                if from < to {
                    range = Some(range.map_or((from, to), |(a, b)| (a.min(from), b.max(to))));
                }
            }
            let Some((from, to)) = range else {
                continue;
            };
            // Without pairs one target's row is enough (zeroed where it was used).
            let row = if self.pairs {
                &mut lost[j * span as usize..(j + 1) * span as usize]
            } else {
                &mut lost[..span as usize]
            };
            for w in windows.iter().filter(|w| w.target == self.targets[j]) {
                for d in w.start_day.max(0)..w.end_day().min(span) {
                    let l = &mut row[d as usize];
                    *l = l.max(1.0 - w.factor_on(d));
                }
            }
            let cut = days.clamp(from, to);
            out[j] = row[from as usize..cut as usize].iter().sum();
            out[t + j] = row[cut as usize..to as usize].iter().sum();
            if !self.pairs {
                row[from as usize..to as usize]
                    .iter_mut()
                    .for_each(|x| *x = 0.0);
            }
        }
        if self.pairs {
            let (mut i, days) = (2 * t, days as usize);
            let span = span as usize;
            for a in 0..t {
                for b in a + 1..t {
                    let (ra, rb) = (
                        &lost[a * span..a * span + days],
                        &lost[b * span..b * span + days],
                    );
                    out[i] = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
                    i += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::CorridorId;

    fn w(c: u32, start: i64, dur: u32, f: f64, ramp: u32) -> ClosureWindow {
        ClosureWindow {
            target: Target::Corridor(CorridorId(c)),
            start_day: start,
            duration_days: dur,
            capacity_factor: f,
            ramp_days: ramp,
            label: None,
            expected_closure_days: None,
        }
    }

    #[test]
    fn with_and_without_pairs_agree() {
        let targets: Vec<Target> = (0..3).map(|i| Target::Corridor(CorridorId(i))).collect();
        let (with, without) = (
            PlanFeatures::new(targets.clone(), 30, 10, true),
            PlanFeatures::new(targets, 30, 10, false),
        );
        let plan = [
            w(0, -3, 10, 0.0, 2),
            w(0, 5, 4, 0.5, 0),
            w(2, 25, 30, 0.3, 5),
            w(1, 12, 1, 0.9, 0),
            w(2, 28, 2, 0.0, 0),
        ];
        let mut lost = Vec::new();
        let (mut a, mut b) = (vec![0.0; with.len()], vec![0.0; without.len()]);
        // Twice, so that scratch left by the first call is seen by the second.
        for _ in 0..2 {
            with.compute(&plan, &mut lost, &mut a);
            without.compute(&plan, &mut lost, &mut b);
            assert_eq!(a[..6], b[..]);
        }
        assert!(b[2] > 0.0 && b[5] > 0.0);
    }

    #[test]
    fn lost_days_by_hand() {
        let f = PlanFeatures::new(
            vec![
                Target::Corridor(CorridorId(0)),
                Target::Corridor(CorridorId(1)),
            ],
            10,
            5,
            true,
        );
        assert_eq!(f.len(), 5);
        let plan = [
            // Days -2..3 shut (3 in the window), overlapping a half closure on 1..4:
            // the lowest factor holds.
            w(0, -2, 5, 0.0, 0),
            w(0, 1, 3, 0.5, 0),
            // Days 8..13 at 0.5: 2 days in the window, 3 after; a ramp of 1 day (0.75).
            w(1, 8, 5, 0.5, 1),
            // Another target: ignored.
            w(7, 0, 10, 0.0, 0),
        ];
        let mut out = vec![0.0; 5];
        f.compute(&plan, &mut Vec::new(), &mut out);
        // Target 0: days 0, 1, 2 fully, day 3 at half.
        assert_eq!(out[0], 3.5);
        assert_eq!(out[1], 1.0);
        assert_eq!(out[2], 0.0);
        assert_eq!(out[3], 1.5 + 0.25);
        // No day closes both.
        assert_eq!(out[4], 0.0);
        let names = f.names(|t| format!("{t:?}"));
        assert_eq!(names.len(), 5);
        assert!(names[4].starts_with("overlap_days:"));
    }
}
