//! The plan log: the counterfactual's routing inputs, plans and prices by day and
//! product, recorded by the day step (`day.rs`) and taken over by the fast path
//! (`executor/`) on the days a run's inputs are the counterfactual's. A leaf.

/// A product's routing inputs on a day (`ProductNet::key` layout), its plan
/// (route id, units) and its prices (`ProductNet::prices`: a function of the inputs).
pub(super) type DayPlan = (Vec<i64>, Vec<(u32, i64)>, Vec<i64>);

/// The counterfactual's routing inputs and plans by day and product. A product's inputs
/// and plan are stored once for a stretch of days that repeat them (most days do), so
/// that what runs compare their inputs with is small and stays in cache.
#[derive(Default)]
pub(super) struct PlanLog {
    /// `[day * products + p]`: index into `distinct` (`u32::MAX`: not recorded).
    at: Vec<u32>,
    distinct: Vec<DayPlan>,
}

impl PlanLog {
    /// Record product `p`'s inputs and plan on `day` (of `np` products).
    pub(super) fn record(
        &mut self,
        day: u32,
        np: usize,
        p: usize,
        key: &[i64],
        plan: &[(u32, i64)],
        prices: &[i64],
    ) {
        let (day, i) = (day as usize, day as usize * np + p);
        if self.at.len() < (day + 1) * np {
            self.at.resize((day + 1) * np, u32::MAX);
        }
        let before = day.checked_sub(1).map_or(u32::MAX, |d| self.at[d * np + p]);
        let same = self
            .distinct
            .get(before as usize)
            .is_some_and(|(k, pl, pr)| {
                k[..] == key[..] && pl[..] == plan[..] && pr[..] == prices[..]
            });
        self.at[i] = if same {
            before
        } else {
            self.distinct
                .push((key.to_vec(), plan.to_vec(), prices.to_vec()));
            (self.distinct.len() - 1) as u32
        };
    }

    /// Product `p`'s inputs and plan on `day` (of `np` products), if recorded.
    pub(super) fn get(&self, day: u32, np: usize, p: usize) -> Option<&DayPlan> {
        let i = *self.at.get(day as usize * np + p)?;
        self.distinct.get(i as usize)
    }
}
