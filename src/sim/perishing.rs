//! Step 5 of the day, in the evening: what waiting costs. Holding cost on every tonne in
//! the system; perishables age from dispatch (after `grace_days` they lose
//! `loss_per_day` of their value a day, and after `shelf_life_days` they are spoiled
//! whole); cargo that has waited `abandon_after_days` in one queue is abandoned. Lots
//! spoiled whole or abandoned are lost trade at their remaining value.

use super::network::tonnes;
use super::Sim;

impl Sim<'_> {
    /// Holding cost, spoilage, spoiled and abandoned lots at the end of `day`.
    pub(super) fn perish(&mut self, day: u32) {
        // Holding cost: every tonne in the system, per destination.
        for (k, &u) in self.state.in_system.iter().enumerate() {
            self.acc.sums.holding_usd[k] += u as f64 * self.net.demand_holding[k];
        }
        // Perishables age wherever they are.
        let mut list = std::mem::take(&mut self.state.perishable);
        list.retain(|&id| {
            let lot = &self.state.lots[id as usize];
            let prod = &self.scn.products[lot.product as usize];
            let per = match (lot.alive, prod.perishability) {
                (true, Some(per)) => per,
                _ => {
                    self.state.listed[id as usize] = false;
                    return false;
                }
            };
            let age = (i64::from(day) + 1 - lot.dispatched) as f64;
            if age > per.shelf_life_days {
                self.lose(id, true);
                self.state.listed[id as usize] = false;
                return false;
            }
            if age > per.grace_days && lot.decay < 1.0 {
                let step = per.loss_per_day.min(1.0 - lot.decay);
                let usd = tonnes(lot.units) * prod.value_usd_per_t * step;
                self.acc.sums.spoilage_usd += usd;
                self.acc.sums.welfare.spoilage_usd[lot.demand as usize] += usd;
                self.state.lots[id as usize].decay += step;
            }
            true
        });
        self.state.perishable = list;
        // Cargo that has waited too long in a queue is abandoned.
        let abandon = self.scn.settings.abandon_after_days;
        for a in 0..self.state.queues.len() {
            // In arrival order: those waiting too long are a prefix.
            for i in 0..self.state.queues[a].len() {
                let id = self.state.queues[a][i];
                let lot = &self.state.lots[id as usize];
                if i64::from(day) + 1 < lot.queued_since + i64::from(abandon) {
                    break;
                }
                if lot.alive {
                    self.lose(id, false);
                }
            }
        }
        // Drop dead lots from queues.
        let (queues, lots, free) = (
            &mut self.state.queues,
            &self.state.lots,
            &mut self.state.free,
        );
        for q in queues.iter_mut().filter(|q| !q.is_empty()) {
            q.retain(|&id| {
                let keep = lots[id as usize].alive;
                if !keep {
                    free.push(id);
                }
                keep
            });
        }
    }

    /// Remove a lot from the system as spoiled whole or abandoned (lost trade at its
    /// remaining value).
    fn lose(&mut self, id: u32, spoiled: bool) {
        let lot = &self.state.lots[id as usize];
        let (demand, p) = (lot.demand as usize, lot.product as usize);
        let remaining =
            tonnes(lot.units) * self.scn.products[p].value_usd_per_t * (1.0 - lot.decay);
        let sums = &mut self.acc.sums;
        sums.welfare.destroyed_units[demand] += lot.units;
        sums.welfare.destroyed_usd[demand] += remaining;
        if spoiled {
            sums.spoiled[p] += lot.units;
            sums.spoiled_whole_usd += remaining;
        } else {
            sums.abandoned[p] += lot.units;
            sums.abandoned_usd += remaining;
        }
        self.state.in_system[demand] -= lot.units;
        if lot.queued_at != 0 {
            self.state.queue_units[(lot.queued_at - 1) as usize] -= lot.units;
        }
        // Its id is recycled where its last reference (an arrival bucket, the work
        // list or a queue) is dropped, never while one may remain.
        self.state.lots[id as usize].alive = false;
    }
}
