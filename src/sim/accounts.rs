//! Step 6 of the day: the accounts. Running sums of every tonne and dollar (what a run
//! that rejoins the counterfactual adds over the days it takes from it), the day's
//! records (value crossing each crossing, trucks queued, backlog, daily series), and at
//! the end of a run the money sums made from the unit counters.

use crate::scenario::Scenario;

use super::capacity::Schedule;
use super::metrics::{CorridorDaily, CrossingDaily, DailySeries, ProductDaily};
use super::network::{tonnes, units, Network};
use super::routes::RouteBook;
use super::welfare_sums::{WelfareSums, WelfareTotals};
use super::Sim;

/// What a run records beyond its totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Record {
    /// The metrics only.
    #[default]
    Totals,
    /// The metrics and every daily series ([`DailySeries`]: per corridor, product and
    /// crossing, and the totals).
    Daily,
    /// The metrics and the daily totals only (trucks stranded and value delivered per
    /// day, with the counterfactual's): what a Monte Carlo keeps of each run.
    DailyTotals,
}

/// Running sums of a simulation.
#[derive(Debug, Clone, Default)]
pub(super) struct Sums {
    /// Per product: supplied, delivered, spoiled, abandoned units.
    pub(super) supplied: Vec<i64>,
    pub(super) delivered: Vec<i64>,
    pub(super) spoiled: Vec<i64>,
    pub(super) abandoned: Vec<i64>,
    /// Per demand index.
    pub(super) holding_usd: Vec<f64>,
    pub(super) dispatched_units: Vec<i64>,
    pub(super) spoilage_usd: f64,
    pub(super) lost_orders_usd: f64,
    pub(super) abandoned_usd: f64,
    pub(super) spoiled_whole_usd: f64,
    /// Units admitted at each step of each route: `[position in RouteBook::darcs]` (the
    /// positions of one route are adjacent, so a day's admissions touch few cache
    /// lines). The money sums of the accounts (paid, revenue, corridors) are made from
    /// these at the end.
    pub(super) step_units: Vec<i64>,
    /// Units delivered per (pair, product): `[pair * products + product]`.
    pub(super) pair_product_units: Vec<i64>,
    /// The welfare accounts' own sums (`welfare.rs`).
    pub(super) welfare: WelfareSums,
}

/// The money and unit totals of a simulation up to a day, made from its running sums
/// (the unit counters of every route step and trade pair).
#[derive(Debug, Clone, Default)]
pub(super) struct Totals {
    /// Freight and charges paid, per demand index.
    pub(super) paid_usd: Vec<f64>,
    /// Border charges collected, per country.
    pub(super) revenue_usd: Vec<f64>,
    pub(super) corridor_units: Vec<i64>,
    pub(super) corridor_usd: Vec<f64>,
    pub(super) product_units: Vec<i64>,
    pub(super) product_usd: Vec<f64>,
    pub(super) pair_units: Vec<i64>,
    pub(super) pair_usd: Vec<f64>,
    /// The welfare accounts' totals (`welfare.rs`).
    pub(super) welfare: WelfareTotals,
}

/// The accounts of one simulation (a run or the counterfactual).
#[derive(Debug, Clone, Default)]
pub(super) struct Accounts {
    pub(super) sums: Sums,
    /// The totals made from `sums` at the end (see [`Accounts::finish`]).
    pub(super) totals: Totals,
    /// Days the per-day arrays hold (the horizon: window and longest run-out).
    pub(super) horizon: usize,
    /// The day the simulation ended (the window's end, or later after a run-out): the
    /// accounts cover days `0..end`.
    pub(super) end: u32,
    /// Value crossing each crossing link per day: `[crossing_slot * days + day]`.
    pub(super) cross_value: Vec<f64>,
    /// Whether a closure held the crossing below full capacity: `[slot * days + day]`.
    pub(super) cross_closed: Vec<bool>,
    /// Units queued plus open orders at the end of each day.
    pub(super) backlog_units: Vec<i64>,
    pub(super) corridor_closure_days: Vec<u32>,
    pub(super) delivered_usd_daily: Vec<f64>,
    pub(super) daily: Option<DailySeries>,
    /// Trucks queued at each crossing at the end of each day: `[slot * days + day]`
    /// (peaks, truck-days and the daily totals are made from these).
    pub(super) slot_trucks: Vec<f64>,
    /// Delivered units per product at the end of the last recorded day.
    delivered_before: Vec<i64>,
    /// Prices of each price point each day, 0.01 USD/t: `[day * points + point]`
    /// (`prices.rs`); on the days in `prices_taken`, the simulation's a run took those
    /// days from holds them instead (they are not copied).
    pub(super) prices: Vec<i64>,
    pub(super) prices_taken: Vec<bool>,
}

/// `v` as `rows` rows of `days` zeros, in its buffer: when it has that shape already
/// and only days `0..used` of each row may be other than zero, only those are cleared.
fn zero_days<T: Copy + Default>(v: &mut Vec<T>, rows: usize, days: usize, used: usize) {
    if v.len() != rows * days {
        v.clear();
        v.resize(rows * days, T::default());
        return;
    }
    for r in 0..rows {
        v[r * days..r * days + used].fill(T::default());
    }
}

impl Accounts {
    /// Empty accounts of a run under `sched`, recording the daily series if `daily`, in
    /// the buffers of `old`: the accounts of the engine's last run (only the days it
    /// covered are cleared), or `Accounts::default()`.
    pub(super) fn new(
        scn: &Scenario,
        net: &Network,
        sched: &Schedule,
        routes: &RouteBook,
        daily: bool,
        old: Accounts,
    ) -> Accounts {
        let days = net.horizon as usize;
        let nc = net.crossing_links.len();
        let np = scn.products.len();
        let nk = scn.demands.len();
        let npts = net.prices.len();
        // The last run wrote days `0..end` of its per-day arrays, no later one (a run
        // ends on the day it stops being simulated or taken from the base).
        let used = if old.horizon == days {
            (old.end as usize).min(days)
        } else {
            days
        };
        let Accounts {
            mut cross_value,
            mut cross_closed,
            mut backlog_units,
            mut delivered_usd_daily,
            mut slot_trucks,
            mut prices,
            mut prices_taken,
            ..
        } = old;
        zero_days(&mut cross_value, nc, days, used);
        zero_days(&mut slot_trucks, nc, days, used);
        zero_days(&mut backlog_units, 1, days, used);
        zero_days(&mut delivered_usd_daily, 1, days, used);
        zero_days(&mut prices_taken, 1, days, used);
        zero_days(&mut prices, 1, days * npts, used * npts);
        #[cfg(debug_assertions)]
        {
            let zero = |v: &[f64]| v.iter().all(|x| x.to_bits() == 0);
            debug_assert!(
                zero(&cross_value)
                    && zero(&slot_trucks)
                    && zero(&delivered_usd_daily)
                    && backlog_units.iter().all(|&x| x == 0)
                    && prices.iter().all(|&x| x == 0)
                    && prices_taken.iter().all(|&x| !x),
                "a run wrote its accounts past the day it ended"
            );
        }
        // Only links a closure touches are looked at day by day (most are not).
        let closed_days = |links: &[crate::network::LinkId]| {
            if !links.iter().any(|l| sched.touched(l.index())) {
                return 0;
            }
            (0..days as u32)
                .filter(|&d| links.iter().any(|l| sched.closed_on(l.index(), d)))
                .count() as u32
        };
        cross_closed.clear();
        for &l in &net.crossing_links {
            if sched.touched(l) {
                cross_closed.extend((0..days as u32).map(|d| sched.closed_on(l, d)));
            } else {
                cross_closed.resize(cross_closed.len() + days, false);
            }
        }
        Accounts {
            horizon: days,
            end: net.horizon,
            totals: Totals::default(),
            sums: Sums {
                supplied: vec![0; np],
                delivered: vec![0; np],
                spoiled: vec![0; np],
                abandoned: vec![0; np],
                holding_usd: vec![0.0; nk],
                dispatched_units: vec![0; nk],
                step_units: vec![0; routes.darcs.len()],
                pair_product_units: vec![0; net.pairs.len() * np],
                welfare: WelfareSums::new(nk),
                ..Default::default()
            },
            cross_value,
            cross_closed,
            backlog_units,
            corridor_closure_days: scn
                .corridors
                .iter()
                .map(|c| closed_days(&c.links))
                .collect(),
            delivered_usd_daily,
            slot_trucks,
            delivered_before: vec![0; np],
            prices,
            prices_taken,
            daily: daily.then(|| DailySeries {
                corridors: scn
                    .corridors
                    .iter()
                    .map(|c| CorridorDaily {
                        corridor: c.id.clone(),
                        flow_t: vec![0.0; days],
                        ..Default::default()
                    })
                    .collect(),
                products: scn
                    .products
                    .iter()
                    .map(|p| ProductDaily {
                        product: p.id.clone(),
                        delivered_t: vec![0.0; days],
                        ..Default::default()
                    })
                    .collect(),
                crossings: net
                    .crossing_links
                    .iter()
                    .map(|&l| CrossingDaily {
                        link: scn.links[l].id.clone(),
                        queue_trucks: Vec::new(),
                    })
                    .collect(),
                ..Default::default()
            }),
        }
    }

    /// Trucks queued at crossing `slot` at the end of each day `0..end`.
    pub(super) fn trucks(&self, slot: usize) -> &[f64] {
        let h = self.horizon;
        &self.slot_trucks[slot * h..slot * h + self.end as usize]
    }

    /// Trucks queued at all crossings together at the end of each day `0..end`.
    pub(super) fn stranded(&self) -> Vec<f64> {
        let h = self.horizon;
        let slots = self.slot_trucks.len() / h.max(1);
        (0..self.end as usize)
            .map(|d| (0..slots).fold(0.0, |s, slot| s + self.slot_trucks[slot * h + d]))
            .collect()
    }

    /// Copy `from`'s daily values of days `f..t` (a run taking those days from the
    /// counterfactual), and note the delivered units as recorded.
    pub(super) fn copy_days(&mut self, from: &Accounts, f: usize, t: usize) {
        let days = self.horizon;
        for slot in 0..self.slot_trucks.len() / days.max(1) {
            let r = slot * days + f..slot * days + t;
            self.cross_value[r.clone()].copy_from_slice(&from.cross_value[r.clone()]);
            self.slot_trucks[r.clone()].copy_from_slice(&from.slot_trucks[r]);
        }
        self.backlog_units[f..t].copy_from_slice(&from.backlog_units[f..t]);
        self.delivered_usd_daily[f..t].copy_from_slice(&from.delivered_usd_daily[f..t]);
        self.prices_taken[f..t].fill(true);
        if let (Some(mine), Some(theirs)) = (self.daily.as_mut(), from.daily.as_ref()) {
            for (m, c) in mine.corridors.iter_mut().zip(&theirs.corridors) {
                m.capacity_factor
                    .extend_from_slice(&c.capacity_factor[f..t]);
                m.flow_t[f..t].copy_from_slice(&c.flow_t[f..t]);
                m.queue_trucks.extend_from_slice(&c.queue_trucks[f..t]);
            }
            for (m, c) in mine.products.iter_mut().zip(&theirs.products) {
                m.delivered_t[f..t].copy_from_slice(&c.delivered_t[f..t]);
                m.open_orders_t.extend_from_slice(&c.open_orders_t[f..t]);
                m.in_system_t.extend_from_slice(&c.in_system_t[f..t]);
            }
        }
        self.delivered_before.clone_from(&self.sums.delivered);
    }

    /// The accounts of a simulation that ended on day `end`, with the totals made from
    /// the unit counters.
    pub(super) fn finish(
        mut self,
        scn: &Scenario,
        net: &Network,
        routes: &RouteBook,
        end: u32,
    ) -> Accounts {
        self.end = end;
        self.totals = Totals::of(&self.sums, scn, net, routes);
        self
    }
}

impl Totals {
    /// The totals of running sums `sums`.
    pub(super) fn of(sums: &Sums, scn: &Scenario, net: &Network, routes: &RouteBook) -> Totals {
        let nd = net.darcs.len();
        let np = net.value.len();
        let nc = scn.corridors.len();
        let mut t = Totals {
            paid_usd: vec![0.0; scn.demands.len()],
            revenue_usd: vec![0.0; net.countries.len()],
            corridor_units: vec![0; nc],
            corridor_usd: vec![0.0; nc],
            product_units: vec![0; np],
            product_usd: vec![0.0; np],
            pair_units: vec![0; net.pairs.len()],
            pair_usd: vec![0.0; net.pairs.len()],
            welfare: WelfareTotals::of(&sums.welfare, scn, net, routes),
        };
        // Units per (destination, darc), from the units per route step.
        let mut darc_units = vec![0i64; scn.demands.len() * nd];
        for route in &routes.routes {
            let (a, b) = (route.start as usize, (route.start + route.len) as usize);
            let steps = sums.step_units.get(a..b).unwrap_or(&[]);
            for (&d, &u) in routes.darcs[a..b].iter().zip(steps) {
                darc_units[route.demand as usize * nd + d as usize] += u;
            }
        }
        let mut darc_total = vec![0i64; nd];
        for (k, row) in darc_units.chunks_exact(nd.max(1)).enumerate() {
            let p = scn.demands[k].product.index();
            let mut paid = 0.0;
            for (a, &u) in row.iter().enumerate() {
                if u == 0 {
                    continue;
                }
                let tn = tonnes(u);
                paid += tn * net.darcs[a].paid_usd_per_t;
                darc_total[a] += u;
                for &c in &net.link_corridors[net.darcs[a].link as usize] {
                    t.corridor_usd[c as usize] += tn * net.value[p];
                }
            }
            t.paid_usd[k] = paid;
        }
        for (a, &u) in darc_total.iter().enumerate() {
            for &(c, usd) in &net.darc_charges[a] {
                t.revenue_usd[c as usize] += tonnes(u) * usd;
            }
            for &c in &net.link_corridors[net.darcs[a].link as usize] {
                t.corridor_units[c as usize] += u;
            }
        }
        for (pair, row) in sums.pair_product_units.chunks_exact(np.max(1)).enumerate() {
            for (p, &u) in row.iter().enumerate() {
                let usd = tonnes(u) * net.value[p];
                t.pair_units[pair] += u;
                t.pair_usd[pair] += usd;
                t.product_units[p] += u;
                t.product_usd[p] += usd;
            }
        }
        t
    }
}

impl Sim<'_> {
    /// The day's records: trucks queued at each crossing, the backlog, the queues traders
    /// will see, and the daily series when recorded.
    pub(super) fn keep_records(&mut self, day: u32) {
        let payload = units(self.scn.settings.truck_payload_t).max(1) as f64;
        let di = day as usize;
        let days = self.acc.horizon;
        for (slot, &l) in self.net.crossing_links.iter().enumerate() {
            let q: i64 = self.net.link_darcs[l]
                .iter()
                .map(|&a| self.state.queue_units[a as usize])
                .sum();
            self.acc.slot_trucks[slot * days + di] = q as f64 / payload;
        }
        self.acc.backlog_units[di] =
            self.state.queue_units.iter().sum::<i64>() + self.state.open_units.iter().sum::<i64>();
        if let Some(mut oldest) = self.state.queue_hist.pop_front() {
            oldest.copy_from_slice(&self.state.queue_units);
            self.state.queue_hist.push_back(oldest);
        }
        if self.acc.daily.is_some() {
            self.record_daily(day, payload);
        }
    }

    fn record_daily(&mut self, day: u32, payload: f64) {
        let di = day as usize;
        let (scn, net, state) = (self.scn, self.net, &self.state);
        let acc = &mut self.acc;
        let Some(dl) = acc.daily.as_mut() else {
            return;
        };
        for (c, cor) in scn.corridors.iter().enumerate() {
            let cd = &mut dl.corridors[c];
            let f = cor
                .links
                .iter()
                .map(|l| self.sched.factor_at(l.index(), i64::from(day)))
                .fold(1.0, f64::min);
            cd.capacity_factor.push(f);
            let q: i64 = cor
                .links
                .iter()
                .filter(|l| scn.links[l.index()].crossing)
                .flat_map(|l| net.link_darcs[l.index()].iter())
                .map(|&a| state.queue_units[a as usize])
                .sum();
            cd.queue_trucks.push(q as f64 / payload);
            let entered: i64 = cor
                .links
                .iter()
                .flat_map(|l| net.link_darcs[l.index()].iter())
                .map(|&a| state.cap_units[a as usize] - self.left[a as usize])
                .sum();
            cd.flow_t[di] = tonnes(entered);
        }
        for (p, pd) in dl.products.iter_mut().enumerate() {
            pd.delivered_t[di] = tonnes(acc.sums.delivered[p] - acc.delivered_before[p]);
            acc.delivered_before[p] = acc.sums.delivered[p];
            let ks = &net.product_demands[p];
            let open: i64 = ks.iter().map(|&k| state.open_units[k]).sum();
            pd.open_orders_t.push(tonnes(open));
            let inside: i64 = ks.iter().map(|&k| state.in_system[k]).sum();
            pd.in_system_t.push(tonnes(inside));
        }
    }
}
