//! Integration tests: reports that state the answer (issue 26, items 4-5).
//!
//! - The compare report and the CLI open with the headline; the option it names best on
//!   mean loss is the argmax of `benefit_cost.csv`; options are listed by avoided loss;
//!   one sign (a loss avoided is positive) in the CLI, the CSVs and the charts.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::common::{cli, fixture};

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A CSV file as a header and rows of strings.
fn table(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let head = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (head, rows)
}

fn col(head: &[String], name: &str) -> usize {
    head.iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {head:?}"))
}

/// The text of the report's section `id`.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<section id=\"{id}\""))
        .unwrap_or_else(|| panic!("no section {id}"));
    let end = html[start..].find("</section>").unwrap() + start;
    &html[start..end]
}

#[test]
fn the_compare_report_and_cli_state_the_answer_from_the_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cmp");
    let o = cli(&[
        "compare",
        p(&fixture("montecarlo/twoland_random_fixed.toml")),
        p(&fixture("options/risk.toml")),
        p(&fixture("compare/wider_north.toml")),
        "--runs",
        "60",
        "--seed",
        "3",
        "--bootstrap",
        "50",
        "--quiet",
        "--out",
        p(&out),
        "--report",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();

    // The avoided loss of each option, from benefit_cost.csv.
    let (h, rows) = table(&out.join("benefit_cost.csv"));
    let (co, ca) = (col(&h, "option"), col(&h, "avoided_loss_usd_per_year"));
    let mut avoided: Vec<(String, f64)> = rows
        .iter()
        .map(|r| (r[co].clone(), r[ca].parse().unwrap()))
        .collect();
    avoided.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    assert!(
        avoided[0].1 > 0.0,
        "the fixture's options should help: {avoided:?}"
    );
    let best = &avoided[0].0;

    // The sign: mean_reduction = base - option, run by run, from compare_runs.csv.
    let (h, rows) = table(&out.join("compare_runs.csv"));
    let (cc, ct) = (col(&h, "candidate"), col(&h, "total_loss_usd"));
    let mut by: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for r in &rows {
        by.entry(r[cc].clone())
            .or_default()
            .push(r[ct].parse().unwrap());
    }
    let (h, rows) = table(&out.join("differences.csv"));
    let (dm, dopt, dag, dv) = (
        col(&h, "metric"),
        col(&h, "option"),
        col(&h, "against"),
        col(&h, "mean_reduction"),
    );
    for (name, _) in &avoided {
        let row = rows
            .iter()
            .find(|r| r[dm] == "total_loss_usd" && &r[dopt] == name && r[dag] == "base")
            .unwrap();
        let n = by["base"].len() as f64;
        let want: f64 = by["base"]
            .iter()
            .zip(&by[name])
            .map(|(b, x)| b - x)
            .sum::<f64>()
            / n;
        let got: f64 = row[dv].parse().unwrap();
        assert!(
            (got - want).abs() <= 1e-6 * want.abs().max(1.0),
            "{name}: {got} vs {want}"
        );
    }
    let (h, rows) = table(&out.join("tail.csv"));
    let (to, ta, tr) = (
        col(&h, "option_usd"),
        col(&h, "against_usd"),
        col(&h, "reduction_usd"),
    );
    for r in &rows {
        let (o, a, red): (f64, f64, f64) = (
            r[to].parse().unwrap(),
            r[ta].parse().unwrap(),
            r[tr].parse().unwrap(),
        );
        assert!((red - (a - o)).abs() <= 1e-6 * a.abs().max(1.0));
    }

    // The CLI: the answer first, naming the argmax; the table by avoided loss.
    let answer = stdout.find("answer:").expect("an answer block");
    let table_at = stdout.find("avoided/yr").expect("the table");
    assert!(answer < table_at, "{stdout}");
    assert!(
        stdout.contains(&format!("Best on mean loss: {best} avoids")),
        "{stdout}"
    );
    let positions: Vec<usize> = avoided
        .iter()
        .map(|(n, _)| stdout[table_at..].find(&format!("\n{n} ")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{stdout}");

    // The report: opens with the same answer, before the first chart.
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    let ans = section(&html, "answer");
    assert!(
        ans.contains(&format!("Best on mean loss: {best} avoids")),
        "{ans}"
    );
    assert!(html.find("id=\"answer\"").unwrap() < html.find("id=\"paired-differences\"").unwrap());
    assert!(!html.contains("as_scenario"), "jargon left on the page");
    // The avoided-loss chart lists the options by benefit, its axis says the sign.
    let chart = section(&html, "paired-differences");
    assert!(chart.contains("base minus option"));
    let pos: Vec<usize> = avoided
        .iter()
        .map(|(n, _)| {
            chart
                .find(&format!("\n{n}\n"))
                .unwrap_or_else(|| panic!("{n} in chart"))
        })
        .collect();
    assert!(
        pos.windows(2).all(|w| w[0] < w[1]),
        "options not by benefit"
    );
}

/// Warnings of a criticality study: raised by the library, printed by the CLI (which
/// still exits 0: a closure longer than the window is a question the run-out can answer),
/// written to warnings.csv and shown in the report beside the ranking.
#[test]
fn criticality_warns_of_a_closure_past_the_window_and_of_negative_components() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("crit");
    let scenario = fixture("criticality/only_route.toml"); // a 120-day window
    let o = cli(&[
        "criticality",
        p(&scenario),
        "--duration",
        "100",
        "--quiet",
        "--out",
        p(&out),
        "--report",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        err.contains("warning: Each closure lasts 100 days from 2024-01-31, to 2024-05-09: past the window's last day 2024-04-29"),
        "{err}"
    );
    // The negative components named are exactly those of criticality.csv.
    let (h, rows) = table(&out.join("criticality.csv"));
    let mut negative = Vec::new();
    for r in &rows {
        for (c, name) in [
            ("reroute_cost_usd", "reroute"),
            ("delay_cost_usd", "delay"),
            ("spoilage_usd", "spoilage"),
            ("lost_trade_usd", "lost trade"),
        ] {
            let v: f64 = r[col(&h, c)].parse().unwrap();
            if v < -0.5 {
                negative.push(format!("{} {name} USD -", r[col(&h, "set")]));
            }
        }
    }
    assert!(
        !negative.is_empty(),
        "the fixture should have a negative component"
    );
    for n in &negative {
        assert!(err.contains(n.as_str()), "{n} in {err}");
    }
    assert!(err.contains("less is shipped"), "the why is printed: {err}");
    let (h, rows) = table(&out.join("warnings.csv"));
    assert_eq!(h, ["concerns", "warning"]);
    assert_eq!(rows.len(), 2, "{rows:?}");
    let manifest = fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"warnings.csv\""));
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    let ranking = section(&html, "ranking");
    assert_eq!(ranking.matches("<p class=\"warning\">").count(), 2);
    assert!(
        ranking.contains("past the window&#39;s last day")
            || ranking.contains("past the window's last day")
    );

    // Inside the window: no warning about it.
    let out2 = tmp.path().join("crit2");
    let o = cli(&[
        "criticality",
        p(&scenario),
        "--duration",
        "20",
        "--quiet",
        "--out",
        p(&out2),
    ]);
    assert!(o.status.success());
    assert!(!String::from_utf8_lossy(&o.stderr).contains("past the window"));
}
