//! Losses: a run's metrics, as differences between its accounts and the
//! counterfactual's (see the table in `docs/model.md`, "What a run reports").

use crate::closure::ClosureWindow;
use crate::scenario::Scenario;

use super::accounts::{Accounts, Sums, Totals};
use super::metrics::{
    CorridorMetrics, CrossingMetrics, Delivered, OrderBook, RunMetrics, RunReport,
};
use super::network::{tonnes, units, Network};
use super::welfare;

/// The last closed day + 1 (the reopening day) of the closure that reopens last by day
/// `end`, among those that start before day `window` (none starts in the run-out).
pub(super) fn last_closure_end(closures: &[ClosureWindow], window: u32, end: u32) -> Option<u32> {
    closures
        .iter()
        .filter(|w| w.capacity_factor < 1.0 && w.start_day < i64::from(window))
        .map(|w| w.start_day + i64::from(w.duration_days))
        .filter(|&e| e > 0 && e <= i64::from(end))
        .max()
        .map(|e| e as u32)
}

/// What the counterfactual had by the day a run ended: its running sums and their
/// totals (the run is compared with it over the same days).
pub(super) struct CfAt<'a> {
    pub(super) sums: &'a Sums,
    pub(super) totals: &'a Totals,
}

/// Open orders per demand: at the start of day 0 (the same for a run and its
/// counterfactual), and at a run's end for the run and the counterfactual.
pub(super) struct OpenOrders<'a> {
    pub(super) at_start: &'a [i64],
    pub(super) run_end: &'a [i64],
    pub(super) cf_end: &'a [i64],
}

/// The report of a run with accounts `acc` against the counterfactual's: its per-day
/// records `cf` (over the whole horizon) and its sums at the day the run ended, `at`.
/// Everything covers days `0..acc.end`: the window and the run's run-out. Orders the
/// run still holds at its end beyond the counterfactual's (a capped run-out) are
/// counted as lapsed there: lost trade at the product's value.
#[allow(clippy::too_many_arguments)]
pub(super) fn report(
    scn: &Scenario,
    net: &Network,
    cf: &Accounts,
    at: CfAt<'_>,
    acc: &mut Accounts,
    last_end: Option<u32>,
    runout_capped: bool,
    open: &OpenOrders<'_>,
) -> RunReport {
    let end = acc.end as usize;
    let h = acc.horizon;
    let sum_t = |v: &[i64]| tonnes(v.iter().sum());
    let mut m = RunMetrics {
        runout_days: acc.end.saturating_sub(net.window),
        runout_capped,
        orders: OrderBook {
            at_start_t: sum_t(open.at_start),
            placed_t: sum_t(&acc.sums.welfare.placed_units),
            served_t: sum_t(&acc.sums.dispatched_units),
            lapsed_t: sum_t(&acc.sums.welfare.lost_order_units),
            open_at_end_t: sum_t(open.run_end),
        },
        ..RunMetrics::default()
    };
    // Open at the end beyond the counterfactual's: lapsed at the cap.
    for (k, (&r, &c)) in open.run_end.iter().zip(open.cf_end).enumerate() {
        let more = r - c;
        if more != 0 {
            let usd = tonnes(more) * net.value[net.demand_product[k]];
            m.runout_open_t += tonnes(more);
            m.runout_open_usd += usd;
            acc.sums.welfare.lost_order_units[k] += more;
            acc.sums.lost_orders_usd += usd;
        }
    }
    let (tot, cft) = (&acc.totals, at.totals);

    // Reroute and delay: per (product, destination), against the counterfactual's cost
    // per tonne.
    for d in 0..scn.demands.len() {
        let x = acc.sums.dispatched_units[d] as f64;
        let y = at.sums.dispatched_units[d] as f64;
        // When the counterfactual dispatched nothing to `d` over these days, what it paid
        // is for the cargo under way at the start (the steady start), which the run had
        // too: it is compared whole.
        let (paid_cf, hold_cf) = if y > 0.0 {
            (cft.paid_usd[d] * (x / y), at.sums.holding_usd[d] * (x / y))
        } else {
            (cft.paid_usd[d], at.sums.holding_usd[d])
        };
        m.reroute_cost_usd += tot.paid_usd[d] - paid_cf;
        m.delay_cost_usd += acc.sums.holding_usd[d] - hold_cf;
    }
    m.spoilage_usd = acc.sums.spoilage_usd - at.sums.spoilage_usd;
    let forgone = |s: &Sums| s.welfare.forgone_usd.iter().sum::<f64>();
    m.demand_forgone_t = tonnes(
        acc.sums.welfare.forgone_units.iter().sum::<i64>()
            - at.sums.welfare.forgone_units.iter().sum::<i64>(),
    );
    m.demand_forgone_usd = forgone(&acc.sums) - forgone(at.sums);
    let lost = |s: &Sums| s.lost_orders_usd + s.abandoned_usd + s.spoiled_whole_usd;
    m.lost_trade_usd = lost(&acc.sums) - lost(at.sums) + m.demand_forgone_usd;
    m.total_loss_usd = m.reroute_cost_usd + m.delay_cost_usd + m.spoilage_usd + m.lost_trade_usd;
    let w = welfare::measure(scn, net, (&acc.sums, tot), (at.sums, cft));
    m.welfare_loss_usd = w.loss_usd;
    m.welfare_by_buyer = w.by_buyer;
    m.welfare_by_seller = w.by_seller;
    for (i, c) in net.countries.iter().enumerate() {
        if cft.revenue_usd[i] != 0.0 || tot.revenue_usd[i] != 0.0 {
            m.revenue_lost_usd
                .insert(c.clone(), cft.revenue_usd[i] - tot.revenue_usd[i]);
        }
    }
    for (slot, &l) in net.crossing_links.iter().enumerate() {
        let (mut halted, mut while_closed, mut closed_days) = (0.0, 0.0, 0u32);
        for day in 0..end {
            let k = slot * h + day;
            let short = (cf.cross_value[k] - acc.cross_value[k]).max(0.0);
            halted += short;
            if acc.cross_closed[k] {
                while_closed += short;
                closed_days += 1;
            }
        }
        m.trade_value_halted_usd += halted;
        m.crossings.push(CrossingMetrics {
            link: scn.links[l].id.clone(),
            trade_value_halted_usd: halted,
            halted_while_closed_usd: while_closed,
            closed_days,
            peak_stranded_trucks: acc.trucks(slot).iter().cloned().fold(0.0, f64::max),
            stranded_truck_days: acc.trucks(slot).iter().sum(),
        });
    }
    let stranded = acc.stranded();
    m.peak_stranded_trucks = stranded.iter().cloned().fold(0.0, f64::max);
    m.stranded_truck_days = stranded.iter().sum();
    m.days_to_recover = last_end.and_then(|last| {
        let tol = units(scn.settings.truck_payload_t);
        let from = last.saturating_sub(1) as usize;
        (from..end)
            .find(|&d| acc.backlog_units[d] <= cf.backlog_units[d] + tol)
            .map(|d| (d - from) as u32)
    });
    for (c, cor) in scn.corridors.iter().enumerate() {
        m.corridors.push(CorridorMetrics {
            corridor: cor.id.clone(),
            closure_days: acc.corridor_closure_days[c],
            delivered_t: tonnes(tot.corridor_units[c]),
            delivered_usd: tot.corridor_usd[c],
            counterfactual_t: tonnes(cft.corridor_units[c]),
            counterfactual_usd: cft.corridor_usd[c],
        });
    }
    for (p, prod) in scn.products.iter().enumerate() {
        m.by_product.insert(
            prod.id.clone(),
            Delivered {
                t: tonnes(tot.product_units[p]),
                usd: tot.product_usd[p],
                counterfactual_t: tonnes(cft.product_units[p]),
                counterfactual_usd: cft.product_usd[p],
            },
        );
    }
    for (i, name) in net.pairs.iter().enumerate() {
        let get = |a: &Totals| {
            (
                a.pair_units.get(i).copied().unwrap_or(0),
                a.pair_usd.get(i).copied().unwrap_or(0.0),
            )
        };
        let (au, ad) = get(tot);
        let (cu, cd) = get(cft);
        if au == 0 && cu == 0 {
            continue;
        }
        m.by_partner.insert(
            name.clone(),
            Delivered {
                t: tonnes(au),
                usd: ad,
                counterfactual_t: tonnes(cu),
                counterfactual_usd: cd,
            },
        );
    }
    let daily = acc.daily.take().map(|mut d| {
        d.window_days = net.window;
        d.stranded_trucks = stranded;
        d.delivered_usd = acc.delivered_usd_daily[..end].to_vec();
        d.counterfactual_delivered_usd = cf.delivered_usd_daily[..end].to_vec();
        for (slot, c) in d.crossings.iter_mut().enumerate() {
            c.queue_trucks = acc.trucks(slot).to_vec();
        }
        // Series kept by index over the horizon: the days the run covers.
        for c in &mut d.corridors {
            c.flow_t.truncate(end);
        }
        for p in &mut d.products {
            p.delivered_t.truncate(end);
        }
        d
    });
    RunReport { metrics: m, daily }
}
