//! A scenario's tables as columns ({column: list}), ids resolved to names, units in
//! column names, for `pandas.DataFrame(...)`.

use chokepoint::closure::{DurationDist, Target};
use chokepoint::montecarlo::ClosureRow;
use chokepoint::Scenario;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::IntoPyObjectExt;

/// The tables a scenario has.
pub const NAMES: [&str; 9] = [
    "nodes",
    "links",
    "corridors",
    "products",
    "supplies",
    "demands",
    "closures",
    "processes",
    "regimes",
];

/// Columns filled row by row.
struct Cols<'py> {
    py: Python<'py>,
    names: Vec<&'static str>,
    values: Vec<Vec<Bound<'py, PyAny>>>,
}

impl<'py> Cols<'py> {
    fn new(py: Python<'py>, names: &[&'static str]) -> Self {
        Cols {
            py,
            names: names.to_vec(),
            values: names.iter().map(|_| Vec::new()).collect(),
        }
    }

    fn row(&mut self, row: Vec<Bound<'py, PyAny>>) {
        for (c, v) in self.values.iter_mut().zip(row) {
            c.push(v);
        }
    }

    fn v<T: IntoPyObject<'py>>(&self, x: T) -> PyResult<Bound<'py, PyAny>> {
        x.into_bound_py_any(self.py)
    }

    fn into_dict(self) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(self.py);
        for (n, v) in self.names.into_iter().zip(self.values) {
            d.set_item(n, v)?;
        }
        Ok(d)
    }
}

fn dist_text(d: &DurationDist) -> String {
    match d {
        DurationDist::Exponential { mean_days } => format!("exponential(mean_days={mean_days})"),
        DurationDist::LogNormal { mu, sigma } => format!("lognormal(mu={mu}, sigma={sigma})"),
        DurationDist::Gamma { shape, scale_days } => {
            format!("gamma(shape={shape}, scale_days={scale_days})")
        }
        DurationDist::Empirical { days } => format!("empirical({} values)", days.len()),
    }
}

fn kind_text<T: serde::Serialize>(x: &T) -> String {
    serde_json::to_value(x)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// Table `name` of `s`, or `None` for an unknown name.
pub fn table<'py>(
    py: Python<'py>,
    s: &Scenario,
    name: &str,
) -> PyResult<Option<Bound<'py, PyDict>>> {
    let node = |i: usize| s.nodes[i].id.clone();
    let country = |i: usize| s.nodes[i].country.clone();
    let product = |i: usize| s.products[i].id.clone();
    let cols = match name {
        "nodes" => {
            let mut c = Cols::new(py, &["id", "name", "country", "kind"]);
            for n in &s.nodes {
                c.row(vec![
                    c.v(&n.id)?,
                    c.v(&n.name)?,
                    c.v(&n.country)?,
                    c.v(kind_text(&n.kind))?,
                ]);
            }
            c
        }
        "links" => {
            let mut c = Cols::new(
                py,
                &[
                    "id",
                    "from",
                    "to",
                    "from_country",
                    "to_country",
                    "mode",
                    "both_ways",
                    "crossing",
                    "capacity_t_per_day",
                    "cost_usd_per_t",
                    "transit_days",
                    "charges_forward_usd_per_t",
                    "charges_backward_usd_per_t",
                ],
            );
            for l in &s.links {
                let (f, t) = (l.from.index(), l.to.index());
                c.row(vec![
                    c.v(&l.id)?,
                    c.v(node(f))?,
                    c.v(node(t))?,
                    c.v(country(f))?,
                    c.v(country(t))?,
                    c.v(kind_text(&l.mode))?,
                    c.v(l.both_ways)?,
                    c.v(l.crossing)?,
                    c.v(l.capacity_t_per_day)?,
                    c.v(l.cost_usd_per_t)?,
                    c.v(l.transit_days)?,
                    c.v(l.charge_usd_per_t(true))?,
                    c.v(if l.both_ways {
                        l.charge_usd_per_t(false)
                    } else {
                        0.0
                    })?,
                ]);
            }
            c
        }
        "corridors" => {
            let mut c = Cols::new(py, &["corridor", "name", "link", "capacity_t_per_day"]);
            for k in &s.corridors {
                for l in &k.links {
                    let l = &s.links[l.index()];
                    c.row(vec![
                        c.v(&k.id)?,
                        c.v(&k.name)?,
                        c.v(&l.id)?,
                        c.v(l.capacity_t_per_day)?,
                    ]);
                }
            }
            c
        }
        "products" => {
            let mut c = Cols::new(
                py,
                &[
                    "id",
                    "name",
                    "value_usd_per_t",
                    "holding_cost_per_day",
                    "priority",
                    "grace_days",
                    "loss_per_day",
                    "shelf_life_days",
                ],
            );
            for p in &s.products {
                let per = p.perishability;
                c.row(vec![
                    c.v(&p.id)?,
                    c.v(&p.name)?,
                    c.v(p.value_usd_per_t)?,
                    c.v(p.holding_cost_per_day)?,
                    c.v(p.priority)?,
                    c.v(per.map_or(f64::NAN, |x| x.grace_days))?,
                    c.v(per.map_or(f64::NAN, |x| x.loss_per_day))?,
                    c.v(per.map_or(f64::NAN, |x| x.shelf_life_days))?,
                ]);
            }
            c
        }
        "supplies" | "demands" => {
            let price = if name == "supplies" {
                "price_usd_per_t"
            } else {
                "value_usd_per_t"
            };
            let mut c = Cols::new(
                py,
                &["product", "node", "country", "t_per_day", price, "seasonal"],
            );
            let rows: Vec<(usize, usize, f64, f64, bool)> = if name == "supplies" {
                s.supplies
                    .iter()
                    .map(|x| {
                        (
                            x.product.index(),
                            x.node.index(),
                            x.t_per_day,
                            x.price_usd_per_t,
                            x.seasonality.is_some(),
                        )
                    })
                    .collect()
            } else {
                s.demands
                    .iter()
                    .map(|x| {
                        (
                            x.product.index(),
                            x.node.index(),
                            x.t_per_day,
                            x.value_usd_per_t,
                            x.seasonality.is_some(),
                        )
                    })
                    .collect()
            };
            for (p, n, t, v, seasonal) in rows {
                c.row(vec![
                    c.v(product(p))?,
                    c.v(node(n))?,
                    c.v(country(n))?,
                    c.v(t)?,
                    c.v(v)?,
                    c.v(seasonal)?,
                ]);
            }
            c
        }
        "closures" => {
            // The columns and cells of montecarlo's closures.csv (after its run).
            let mut c = Cols::new(py, &ClosureRow::COLUMNS);
            for w in &s.closures {
                let r = ClosureRow::of(s, w);
                let (first, reopen) = r.dates(s.date_of(0));
                c.row(vec![
                    c.v(r.target)?,
                    c.v(r.start_day)?,
                    c.v(first.to_string())?,
                    c.v(r.duration_days)?,
                    c.v(reopen.to_string())?,
                    c.v(r.capacity_factor)?,
                    c.v(r.ramp_days)?,
                    c.v(r.label)?,
                ]);
            }
            c
        }
        "processes" => {
            let mut c = Cols::new(
                py,
                &[
                    "kind",
                    "id",
                    "targets",
                    "rate_per_year",
                    "duration",
                    "mean_duration_days",
                    "capacity_factor",
                    "ramp_days",
                ],
            );
            let names = |t: &[Target]| {
                t.iter()
                    .map(|t| s.target_name(*t))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            for p in &s.processes {
                c.row(vec![
                    c.v("process")?,
                    c.v(s.target_name(p.target))?,
                    c.v(s.target_name(p.target))?,
                    c.v(p.rate_per_year)?,
                    c.v(dist_text(&p.duration))?,
                    c.v(p.duration.mean_days())?,
                    c.v(p.capacity_factor)?,
                    c.v(p.ramp_days)?,
                ]);
            }
            for sh in &s.shocks {
                c.row(vec![
                    c.v("shock")?,
                    c.v(&sh.id)?,
                    c.v(names(&sh.targets))?,
                    c.v(sh.rate_per_year)?,
                    c.v(dist_text(&sh.duration))?,
                    c.v(sh.duration.mean_days())?,
                    c.v(sh.capacity_factor)?,
                    c.v(sh.ramp_days)?,
                ]);
            }
            c
        }
        "regimes" => {
            let mut c = Cols::new(
                py,
                &[
                    "state",
                    "rate_multiplier",
                    "long_run_share",
                    "mean_sojourn_days",
                ],
            );
            if let Some(r) = &s.regimes {
                let shares = chokepoint::closure::regime::stationary(r).unwrap_or_default();
                let sojourn = chokepoint::closure::regime::mean_sojourn_days(r);
                for (i, st) in r.states.iter().enumerate() {
                    c.row(vec![
                        c.v(&st.id)?,
                        c.v(st.rate_multiplier)?,
                        c.v(shares.get(i).copied().unwrap_or(f64::NAN))?,
                        c.v(sojourn.get(i).copied().unwrap_or(f64::NAN))?,
                    ]);
                }
            }
            c
        }
        _ => return Ok(None),
    };
    cols.into_dict().map(Some)
}
