//! `chokepoint info`: what a scenario holds.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use chokepoint::closure::{DurationDist, RegimeChain};
use chokepoint::network::Mode;
use chokepoint::uncertainty::{Axis, Dist, FieldValue};
use chokepoint::{scenario, Scenario};

/// Arguments of `chokepoint info`.
#[derive(clap::Args)]
#[command(after_help = "\
Prints counts, capacity by corridor (t/day and trucks/day), supply and demand per product
and partner country, the value of trade per day under normal conditions (no closures, no
seasonality), the closures and random processes, the regime chain, and the uncertain
parameters (`[[uncertain]]`: each law with its 5%, 50% and 95% quantiles and its source).
An option file is shown applied to its base scenario (its uncertain parameters after the
base's).

With --params, prints every parameter name an `[[uncertain]]` table can give a law, with
its value now and its unit.

With --json, prints the ids a script needs instead (corridors with their links, crossings,
links, nodes, products, countries, random processes, shocks, regime states, fixed closures,
and the uncertain parameters with their laws and quantiles): see docs/outputs.md. With
--params --json, the parameter list as JSON.

Examples:
  chokepoint info scenarios/starter.toml
  chokepoint info --params scenarios/afghanistan/base.toml
  chokepoint info --json scenarios/afghanistan/base.toml")]
pub struct Args {
    /// A scenario or option file (TOML).
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Print the scenario's ids as JSON (for scripts) instead of the text summary.
    #[arg(long)]
    json: bool,
    /// Print every parameter an `[[uncertain]]` table (or Python's `with_changes`) can
    /// name, with its value and unit, instead of the text summary (as JSON with --json).
    #[arg(long)]
    params: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.params && args.json {
        let s = scenario::load_any(&args.file)?;
        println!("{}", serde_json::to_string_pretty(&params_json(&s))?);
        return Ok(ExitCode::SUCCESS);
    }
    if args.params {
        print_params(&scenario::load_any(&args.file)?);
        return Ok(ExitCode::SUCCESS);
    }
    if args.json {
        let s = scenario::load_any(&args.file)?;
        println!("{}", serde_json::to_string_pretty(&ids_json(&s))?);
        return Ok(ExitCode::SUCCESS);
    }
    let is_option = std::fs::read(&args.file)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .is_some_and(|t| scenario::looks_like_option(&t));
    if is_option {
        let (opt, s) = scenario::load_option(&args.file)?;
        println!(
            "option {}: {} (base {}, capital cost {} USD, horizon {} years)",
            opt.name,
            opt.description,
            opt.base.display(),
            money(opt.capital_cost_usd),
            opt.horizon_years
        );
        println!(
            "{} change(s); the scenario with them applied:\n",
            opt.changes.len()
        );
        print_info(&s);
        let costs: Vec<Axis> = opt
            .uncertain
            .iter()
            .filter(|a| !opt.scenario_axes().any(|b| b == *a))
            .cloned()
            .collect();
        let extra = [
            ("option.capital_cost_usd".to_string(), opt.capital_cost_usd),
            ("option.annual_cost_usd".to_string(), opt.annual_cost_usd),
        ];
        print_uncertain(&s, &costs, &extra, "Uncertain costs of the option");
    } else {
        let s = scenario::load(&args.file)?;
        print_info(&s);
    }
    Ok(ExitCode::SUCCESS)
}

fn money(x: f64) -> String {
    let neg = x < 0.0;
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if neg {
        format!("-{out}")
    } else {
        out
    }
}

fn mode_name(m: Mode) -> &'static str {
    match m {
        Mode::Road => "road",
        Mode::Rail => "rail",
        Mode::Sea => "sea",
        Mode::Air => "air",
    }
}

fn dist_text(d: &DurationDist) -> String {
    let shape = match d {
        DurationDist::Exponential { mean_days } => format!("exponential(mean {mean_days} d)"),
        DurationDist::LogNormal { mu, sigma } => format!("lognormal(mu {mu}, sigma {sigma})"),
        DurationDist::Gamma { shape, scale_days } => {
            format!("gamma(shape {shape}, scale {scale_days} d)")
        }
        DurationDist::Empirical { days } => format!("empirical({} values)", days.len()),
    };
    format!("{shape}, mean {:.1} days", d.mean_days())
}

fn print_info(s: &Scenario) {
    let st = &s.settings;
    println!("scenario {}", st.name);
    if !st.description.is_empty() {
        println!("  {}", st.description);
    }
    if let Some(p) = &s.source {
        println!("  file {}", p.display());
    }
    println!("  checksum sha256 {}", s.checksum);
    println!(
        "  {} days from {} to {}; truck payload {} t",
        st.days,
        st.start,
        s.date_of(i64::from(st.days) - 1),
        st.truck_payload_t
    );

    // Counts.
    let countries: std::collections::BTreeSet<&str> =
        s.nodes.iter().map(|n| n.country.as_str()).collect();
    let mut modes: BTreeMap<&str, usize> = BTreeMap::new();
    for l in &s.links {
        *modes.entry(mode_name(l.mode)).or_default() += 1;
    }
    let modes: Vec<String> = modes.iter().map(|(m, n)| format!("{m} {n}")).collect();
    println!("\nCounts");
    println!(
        "  {} nodes in {} countries ({})",
        s.nodes.len(),
        countries.len(),
        countries.iter().copied().collect::<Vec<_>>().join(", ")
    );
    println!(
        "  {} links ({}), {} crossings",
        s.links.len(),
        modes.join(", "),
        s.links.iter().filter(|l| l.crossing).count()
    );
    println!(
        "  {} corridors, {} products, {} supplies, {} demands",
        s.corridors.len(),
        s.products.len(),
        s.supplies.len(),
        s.demands.len()
    );
    println!(
        "  {} fixed closures{}, {} random processes, {} shock(s), {}",
        s.closures.len(),
        match s.seasonal.len() {
            0 => String::new(),
            n => format!(" (and {n} seasonal: normal conditions, in the counterfactual too)"),
        },
        s.processes.len(),
        s.shocks.len(),
        match &s.regimes {
            Some(r) => format!("{} regimes", r.states.len()),
            None => "no regime chain".into(),
        }
    );

    // Capacity by corridor.
    println!("\nCapacity by corridor (per direction, fully open)");
    println!(
        "  {:<20} {:>6} {:>14} {:>12}",
        "corridor", "links", "t/day", "trucks/day"
    );
    for c in &s.corridors {
        let cap: f64 = c
            .links
            .iter()
            .map(|l| s.links[l.index()].capacity_t_per_day)
            .sum();
        println!(
            "  {:<20} {:>6} {:>14} {:>12}",
            c.id,
            c.links.len(),
            money(cap),
            money(cap / st.truck_payload_t)
        );
    }

    // Supply and demand per product and partner country.
    println!("\nSupply and demand per product and partner country (normal day, no seasonality)");
    println!(
        "  {:<18} {:<8} {:>12} {:>16} {:>12} {:>16}",
        "product", "country", "supply t/d", "supply USD/d", "demand t/d", "demand USD/d"
    );
    let mut rows: BTreeMap<(usize, &str), [f64; 4]> = BTreeMap::new();
    for x in &s.supplies {
        let c = s.nodes[x.node.index()].country.as_str();
        let r = rows.entry((x.product.index(), c)).or_default();
        r[0] += x.t_per_day;
        r[1] += x.t_per_day * x.price_usd_per_t;
    }
    for x in &s.demands {
        let c = s.nodes[x.node.index()].country.as_str();
        let r = rows.entry((x.product.index(), c)).or_default();
        r[2] += x.t_per_day;
        r[3] += x.t_per_day * x.value_usd_per_t;
    }
    for ((p, c), r) in &rows {
        println!(
            "  {:<18} {:<8} {:>12} {:>16} {:>12} {:>16}",
            s.products[*p].id,
            c,
            money(r[0]),
            money(r[1]),
            money(r[2]),
            money(r[3])
        );
    }
    let trade: f64 = s
        .demands
        .iter()
        .map(|d| d.t_per_day * d.value_usd_per_t)
        .sum();
    let tonnes: f64 = s.demands.iter().map(|d| d.t_per_day).sum();
    println!(
        "\nValue of trade per day under normal conditions: {} USD/day ({} t/day demanded, at the buyers' values)",
        money(trade),
        money(tonnes)
    );

    if !s.trade_levels.is_empty() {
        print_levels(s);
    }

    // Closures.
    if !s.closures.is_empty() {
        println!("\nFixed closures");
        for c in &s.closures {
            let end = c.start_day + i64::from(c.duration_days);
            println!(
                "  {:<20} {} to {} ({} days, reopens {}), capacity x{}, ramp {} days{}",
                s.target_name(c.target),
                s.date_of(c.start_day),
                s.date_of(end - 1),
                c.duration_days,
                s.date_of(end),
                c.capacity_factor,
                c.ramp_days,
                c.label.as_ref().map_or(String::new(), |l| format!(": {l}"))
            );
        }
    }
    if !s.processes.is_empty() {
        println!("\nRandom closure processes");
        for p in &s.processes {
            let target = s.target_name(p.target);
            let name = if p.id == target {
                p.id.clone()
            } else {
                format!("{} ({target})", p.id)
            };
            println!(
                "  {:<20} {}/year, {}, capacity x{}, ramp {} days",
                name,
                p.rate_per_year,
                dist_text(&p.duration),
                p.capacity_factor,
                p.ramp_days
            );
        }
    }
    if !s.shocks.is_empty() {
        println!("\nCommon shocks");
        for g in &s.shocks {
            let targets: Vec<&str> = g.targets.iter().map(|t| s.target_name(*t)).collect();
            println!(
                "  {:<20} closes {} together, {}/year, {}, capacity x{}, ramp {} days",
                g.id,
                targets.join(" + "),
                g.rate_per_year,
                dist_text(&g.duration),
                g.capacity_factor,
                g.ramp_days
            );
        }
    }
    if let Some(r) = &s.regimes {
        print_regimes(r, s.settings.days);
    }
    if !s.expansions.is_empty() {
        println!("\nCapacity expansions");
        for e in &s.expansions {
            println!(
                "  {:<20} +{} t/day from {}, ramp {} days",
                s.links[e.link.index()].id,
                money(e.extra_t_per_day),
                s.date_of(e.start_day),
                e.ramp_days
            );
        }
    }
    print_uncertain(s, &s.uncertain, &[], "Uncertain parameters");
}

/// `[[uncertain]]` parameters: name, value now, law, its 5%, 50% and 95% quantiles,
/// source. `extra` gives the values of names that are not the scenario's (an option's
/// costs).
fn print_uncertain(s: &Scenario, axes: &[Axis], extra: &[(String, f64)], title: &str) {
    if axes.is_empty() {
        return;
    }
    let mut values: Vec<(String, String)> = chokepoint::scenario::params::list(s)
        .into_iter()
        .map(|p| (p.name, format!("{} {}", sig(p.value), p.unit)))
        .collect();
    values.extend(
        extra
            .iter()
            .map(|(n, v)| (n.clone(), format!("{} USD", sig(*v)))),
    );
    println!(
        "\n{title} ({} axes; value now, law, p5 - p50 - p95 of the law, source)",
        axes.len()
    );
    for a in axes {
        let law = match a {
            Axis::One { dist, .. } => dist_law(dist),
            Axis::Joint { file, rows, .. } => format!("joint draws, {} rows of {file}", rows.len()),
        };
        if let Axis::Joint { .. } = a {
            println!("  {}: {law}, {}", a.label(), a.source());
        }
        let (p5, p50, p95) = (
            a.marginal_quantiles(0.05),
            a.marginal_quantiles(0.5),
            a.marginal_quantiles(0.95),
        );
        for (i, (name, lo)) in p5.iter().enumerate() {
            let now = values
                .iter()
                .find(|(n, _)| n == name)
                .map_or(String::from("?"), |(_, v)| v.clone());
            let q = format!("{} - {} - {}", sig(*lo), sig(p50[i].1), sig(p95[i].1));
            if let Axis::One { .. } = a {
                println!("  {name:<44} {now:>16}  {law:<34} {q:<28} {}", a.source());
            } else {
                println!("    {name:<42} {now:>16}  {:<34} {q}", "(its column)");
            }
        }
    }
}

/// A law as written, short.
fn dist_law(d: &Dist) -> String {
    let fields: Vec<String> = d
        .fields()
        .into_iter()
        .map(|(k, v)| match v {
            FieldValue::Num(x) => format!("{k} {}", sig(x)),
            FieldValue::List(xs) => {
                let xs: Vec<String> = xs.iter().map(|x| sig(*x)).collect();
                format!("{k} [{}]", xs.join(", "))
            }
        })
        .collect();
    format!("{}({})", d.name(), fields.join(", "))
}

/// A number to 4 significant digits, without trailing zeros.
fn sig(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = (3 - x.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Every parameter `[[uncertain]]` (and `with_changes`) can name, with its value.
fn print_params(s: &Scenario) {
    println!(
        "{:<48} {:>14}  {:<22} description",
        "parameter", "value", "unit"
    );
    for p in chokepoint::scenario::params::list(s) {
        println!(
            "{:<48} {:>14}  {:<22} {}",
            p.name,
            sig(p.value),
            p.unit,
            p.description
        );
    }
}

/// The dated trade levels, each with the days of the window it is in force.
fn print_levels(s: &Scenario) {
    println!("\nTrade levels (x t/day of the supplies and demands selected; overlapping levels multiply)");
    let window: Vec<chrono::NaiveDate> = (0..s.settings.days)
        .map(|d| s.date_of(i64::from(d)))
        .collect();
    for l in &s.trade_levels {
        let from = l.from.map_or("any day".to_string(), |d| d.to_string());
        let to = l.to.map_or("any day".to_string(), |d| d.to_string());
        let mut sel = Vec::new();
        if let Some(c) = &l.country {
            sel.push(format!("country {c}"));
        }
        if let Some(p) = l.product {
            sel.push(s.products[p.index()].id.clone());
        }
        sel.push(match l.side {
            scenario::LevelSide::Supply => "supply".to_string(),
            scenario::LevelSide::Demand => "demand".to_string(),
            scenario::LevelSide::Both => "supply and demand".to_string(),
        });
        let days = window.iter().filter(|&&d| l.applies_on(d)).count();
        println!(
            "  {from} to {to}  x{}  {}  ({days} days of the window){}",
            l.factor,
            sel.join(", "),
            l.label.as_ref().map_or(String::new(), |x| format!(": {x}"))
        );
    }
}

fn print_regimes(r: &RegimeChain, days: u32) {
    println!("\nRegime chain (daily transitions)");
    let initial = r.initial.and_then(|i| r.states.get(i)).map_or(
        "stationary (drawn from the long-run shares: an average year)".to_string(),
        |s| format!("{} (every Monte Carlo year begins in it)", s.id),
    );
    println!("  initial state: {initial}");
    print!("  {:<12} {:>8}", "from \\ to", "rate x");
    for s in &r.states {
        print!(" {:>10}", s.id);
    }
    println!();
    for (i, s) in r.states.iter().enumerate() {
        print!("  {:<12} {:>8}", s.id, s.rate_multiplier);
        for p in &r.transitions[i] {
            print!(" {:>10.4}", p);
        }
        println!();
    }
    // Long-run shares and mean sojourn times, exact (nalgebra linear solve).
    match chokepoint::closure::regime::stationary(r) {
        Ok(shares) => {
            let sojourn = chokepoint::closure::regime::mean_sojourn_days(r);
            println!(
                "\n  {:<12} {:>14} {:>18}",
                "state", "long-run share", "mean stay (days)"
            );
            for (i, s) in r.states.iter().enumerate() {
                println!("  {:<12} {:>14.4} {:>18.1}", s.id, shares[i], sojourn[i]);
            }
            let mean_mult: f64 = shares
                .iter()
                .zip(&r.states)
                .map(|(p, s)| p * s.rate_multiplier)
                .sum();
            let start = chokepoint::closure::RegimeStart::of(r);
            let implied =
                chokepoint::closure::regime::mean_multiplier(r, start, days).unwrap_or(f64::NAN);
            println!(
                "  long-run mean rate multiplier: {mean_mult:.3} (a year begun in a state \
                 drawn from the long-run shares: initial = stationary)"
            );
            println!(
                "  mean rate multiplier over the {days} simulated days from the initial state \
                 ({}): {implied:.3}; what each Monte Carlo year has",
                start.name(r)
            );
            let by_state: Vec<String> = (0..r.states.len())
                .filter_map(|i| {
                    let st = chokepoint::closure::RegimeStart::State(i);
                    chokepoint::closure::regime::mean_multiplier(r, st, days)
                        .ok()
                        .map(|m| format!("{} {m:.3}", r.states[i].id))
                })
                .collect();
            println!(
                "  ... from a year begun in each state (--regime-start STATE): {}",
                by_state.join(", ")
            );
        }
        Err(e) => println!("  long-run shares: {e}"),
    }
}

/// Every parameter name with its value, unit and meaning, for `info --params --json`.
fn params_json(s: &Scenario) -> serde_json::Value {
    use serde_json::json;
    chokepoint::scenario::params::list(s)
        .into_iter()
        .map(|p| {
            json!({
                "name": p.name,
                "value": p.value,
                "unit": p.unit,
                "description": p.description,
            })
        })
        .collect()
}

/// One `[[uncertain]]` axis: its law (or joint file), source, and each parameter's value
/// now with the 5%, 50% and 95% quantiles of its marginal law.
fn uncertain_json(a: &Axis, values: &[chokepoint::scenario::params::Param]) -> serde_json::Value {
    use serde_json::json;
    let (p5, p50, p95) = (
        a.marginal_quantiles(0.05),
        a.marginal_quantiles(0.5),
        a.marginal_quantiles(0.95),
    );
    let params: Vec<serde_json::Value> = p5
        .iter()
        .zip(&p50)
        .zip(&p95)
        .map(|(((name, lo), (_, mid)), (_, hi))| {
            json!({
                "name": name,
                "value": values.iter().find(|p| p.name == *name).map(|p| p.value),
                "p5": lo,
                "p50": mid,
                "p95": hi,
            })
        })
        .collect();
    let law = match a {
        Axis::One { dist, .. } => {
            let fields: serde_json::Map<String, serde_json::Value> = dist
                .fields()
                .into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        FieldValue::Num(x) => json!(x),
                        FieldValue::List(xs) => json!(xs),
                    };
                    (k.to_string(), v)
                })
                .collect();
            json!({ "dist": dist.name(), "fields": fields })
        }
        Axis::Joint { file, rows, .. } => json!({ "joint": file, "rows": rows.len() }),
    };
    json!({
        "label": a.label(),
        "law": law,
        "source": a.source(),
        "params": params,
    })
}

/// The ids of a scenario, for `info --json`.
fn ids_json(s: &Scenario) -> serde_json::Value {
    use serde_json::json;
    let node = |n: chokepoint::network::NodeId| s.nodes[n.index()].id.clone();
    let mut countries: Vec<&str> = s.nodes.iter().map(|n| n.country.as_str()).collect();
    countries.sort_unstable();
    countries.dedup();
    let values = chokepoint::scenario::params::list(s);
    let window = |w: &chokepoint::closure::ClosureWindow| {
        json!({
            "target": s.target_name(w.target),
            "start": s.date_of(w.start_day).to_string(),
            "duration_days": w.duration_days,
            "capacity_factor": w.capacity_factor,
            "ramp_days": w.ramp_days,
            "label": w.label,
        })
    };
    json!({
        "scenario": {
            "name": s.settings.name,
            "path": s.source.as_ref().map(|p| p.display().to_string()),
            "sha256": s.checksum,
            "start": s.settings.start.to_string(),
            "days": s.settings.days,
        },
        "corridors": s.corridors.iter().map(|c| json!({
            "id": c.id,
            "name": c.name,
            "links": c.links.iter().map(|l| s.links[l.index()].id.clone()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "links": s.links.iter().map(|l| json!({
            "id": l.id,
            "from": node(l.from),
            "to": node(l.to),
            "mode": format!("{:?}", l.mode).to_lowercase(),
            "capacity_t_per_day": l.capacity_t_per_day,
            "crossing": l.crossing,
        })).collect::<Vec<_>>(),
        "crossings": s.links.iter().filter(|l| l.crossing).map(|l| l.id.clone()).collect::<Vec<_>>(),
        "nodes": s.nodes.iter().map(|n| json!({
            "id": n.id,
            "name": n.name,
            "country": n.country,
            "kind": format!("{:?}", n.kind).to_lowercase(),
        })).collect::<Vec<_>>(),
        "countries": countries,
        "products": s.products.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
        "processes": s.processes.iter().map(|p| json!({
            "id": p.id,
            "target": s.target_name(p.target),
            "rate_per_year": p.rate_per_year,
        })).collect::<Vec<_>>(),
        "shocks": s.shocks.iter().map(|g| json!({
            "id": g.id,
            "targets": g.targets.iter().map(|t| s.target_name(*t)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "regime_states": s.regimes.as_ref().map(|r| r.states.iter().map(|x| x.id.clone()).collect::<Vec<_>>()).unwrap_or_default(),
        "uncertain": s.uncertain.iter().map(|a| uncertain_json(a, &values)).collect::<Vec<_>>(),
        "closures": s.closures.iter().map(window).collect::<Vec<_>>(),
        "seasonal_closures": s.seasonal.iter().map(window).collect::<Vec<_>>(),
    })
}
