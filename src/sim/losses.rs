//! Losses: a run's metrics, as differences between its accounts and the
//! counterfactual's (see the table in `docs/model.md`, "What a run reports").

use crate::closure::ClosureWindow;
use crate::scenario::Scenario;

use super::accounts::Accounts;
use super::metrics::{CorridorMetrics, CrossingMetrics, Delivered, RunMetrics, RunReport};
use super::network::{tonnes, units, Network};

/// The last closed day + 1 (the reopening day) of the closure that reopens last within
/// the window, if any closure touches the window.
pub(super) fn last_closure_end(closures: &[ClosureWindow], days: u32) -> Option<u32> {
    closures
        .iter()
        .filter(|w| w.capacity_factor < 1.0)
        .map(|w| w.start_day + i64::from(w.duration_days))
        .filter(|&end| end > 0 && end <= i64::from(days))
        .max()
        .map(|e| e as u32)
}

/// The report of a run with accounts `acc` against the counterfactual's `cf`.
pub(super) fn report(
    scn: &Scenario,
    net: &Network,
    cf: &Accounts,
    mut acc: Accounts,
    last_end: Option<u32>,
) -> RunReport {
    let days = scn.settings.days as usize;
    let mut m = RunMetrics::default();

    // Reroute and delay: per (product, destination), against the counterfactual's cost
    // per tonne.
    for d in 0..scn.demands.len() {
        let x = acc.sums.dispatched_units[d] as f64;
        let y = cf.sums.dispatched_units[d] as f64;
        let (paid_cf, hold_cf) = if y > 0.0 {
            (cf.paid_usd[d] * (x / y), cf.sums.holding_usd[d] * (x / y))
        } else {
            (0.0, 0.0)
        };
        m.reroute_cost_usd += acc.paid_usd[d] - paid_cf;
        m.delay_cost_usd += acc.sums.holding_usd[d] - hold_cf;
    }
    m.spoilage_usd = acc.sums.spoilage_usd - cf.sums.spoilage_usd;
    let lost =
        |a: &Accounts| a.sums.lost_orders_usd + a.sums.abandoned_usd + a.sums.spoiled_whole_usd;
    m.lost_trade_usd = lost(&acc) - lost(cf);
    m.total_loss_usd = m.reroute_cost_usd + m.delay_cost_usd + m.spoilage_usd + m.lost_trade_usd;
    for (i, c) in net.countries.iter().enumerate() {
        if cf.revenue_usd[i] != 0.0 || acc.revenue_usd[i] != 0.0 {
            m.revenue_lost_usd
                .insert(c.clone(), cf.revenue_usd[i] - acc.revenue_usd[i]);
        }
    }
    for (slot, &l) in net.crossing_links.iter().enumerate() {
        let (mut halted, mut while_closed, mut closed_days) = (0.0, 0.0, 0u32);
        for day in 0..days {
            let k = slot * days + day;
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
            peak_stranded_trucks: acc.trucks(slot, days).iter().cloned().fold(0.0, f64::max),
            stranded_truck_days: acc.trucks(slot, days).iter().sum(),
        });
    }
    let stranded = acc.stranded(days);
    m.peak_stranded_trucks = stranded.iter().cloned().fold(0.0, f64::max);
    m.stranded_truck_days = stranded.iter().sum();
    m.days_to_recover = last_end.and_then(|end| {
        let tol = units(scn.settings.truck_payload_t);
        let from = end.saturating_sub(1) as usize;
        (from..days)
            .find(|&d| acc.backlog_units[d] <= cf.backlog_units[d] + tol)
            .map(|d| (d - from) as u32)
    });
    for (c, cor) in scn.corridors.iter().enumerate() {
        m.corridors.push(CorridorMetrics {
            corridor: cor.id.clone(),
            closure_days: acc.corridor_closure_days[c],
            delivered_t: tonnes(acc.corridor_units[c]),
            delivered_usd: acc.corridor_usd[c],
            counterfactual_t: tonnes(cf.corridor_units[c]),
            counterfactual_usd: cf.corridor_usd[c],
        });
    }
    for (p, prod) in scn.products.iter().enumerate() {
        m.by_product.insert(
            prod.id.clone(),
            Delivered {
                t: tonnes(acc.product_units[p]),
                usd: acc.product_usd[p],
                counterfactual_t: tonnes(cf.product_units[p]),
                counterfactual_usd: cf.product_usd[p],
            },
        );
    }
    for (i, name) in net.pairs.iter().enumerate() {
        let get = |a: &Accounts| {
            (
                a.pair_units.get(i).copied().unwrap_or(0),
                a.pair_usd.get(i).copied().unwrap_or(0.0),
            )
        };
        let (au, ad) = get(&acc);
        let (cu, cd) = get(cf);
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
        d.stranded_trucks = stranded;
        d.delivered_usd = acc.delivered_usd_daily.clone();
        d.counterfactual_delivered_usd = cf.delivered_usd_daily.clone();
        for (slot, c) in d.crossings.iter_mut().enumerate() {
            c.queue_trucks = acc.trucks(slot, days).to_vec();
        }
        d
    });
    RunReport { metrics: m, daily }
}
