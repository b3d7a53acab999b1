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

/// `chokepoint uncertainty` and `chokepoint compare` of the same base and options.
fn studies(
    dir: &Path,
    options: &[&str],
    unc_options: &[&str],
) -> (std::path::PathBuf, std::path::PathBuf) {
    let (cmp, unc) = (dir.join("cmp"), dir.join("unc"));
    let base = fixture("uncertainty/base.toml");
    let mut args = vec!["compare".to_string(), p(&base).to_string()];
    args.extend(
        options
            .iter()
            .map(|o| p(&fixture(&format!("uncertainty/{o}.toml"))).to_string()),
    );
    args.extend(
        [
            "--runs",
            "40",
            "--seed",
            "3",
            "--bootstrap",
            "20",
            "-q",
            "--out",
        ]
        .map(String::from),
    );
    args.push(p(&cmp).to_string());
    let o = cli(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut args = vec!["uncertainty".to_string(), p(&base).to_string()];
    args.extend(
        unc_options
            .iter()
            .map(|o| p(&fixture(&format!("uncertainty/{o}.toml"))).to_string()),
    );
    args.extend(
        [
            "--points",
            "12",
            "--years",
            "8",
            "--seed",
            "5",
            "--bootstrap",
            "20",
            "-q",
            "--out",
        ]
        .map(String::from),
    );
    args.push(p(&unc).to_string());
    let o = cli(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (cmp, unc)
}

#[test]
fn the_headline_says_how_often_each_statement_holds_across_an_uncertainty_study() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = ["wider_north", "wider_south"];
    let (cmp, unc) = studies(tmp.path(), &opts, &opts);
    let o = cli(&["report", p(&cmp), "--uncertainty", p(&unc)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();

    // The shares, recounted here from point_results.csv: in each draw point, the option
    // with the largest positive avoided loss is best; one with B/C >= 1 pays.
    let (h, rows) = table(&unc.join("point_results.csv"));
    let (cp, cb, cs, ca, cr) = (
        col(&h, "point"),
        col(&h, "block"),
        col(&h, "scenario"),
        col(&h, "avoided_loss_usd"),
        col(&h, "benefit_cost_ratio"),
    );
    let mut by: BTreeMap<String, Vec<(String, f64, f64)>> = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| opts.contains(&r[cs].as_str()) && r[cb] == "draw")
    {
        by.entry(r[cp].clone()).or_default().push((
            r[cs].clone(),
            r[ca].parse().unwrap(),
            r[cr].parse().unwrap_or(f64::NAN),
        ));
    }
    assert_eq!(by.len(), 12);
    let mut best: BTreeMap<&str, usize> = BTreeMap::new();
    let mut none_pays = 0;
    for v in by.values() {
        let top = v
            .iter()
            .filter(|x| x.1 > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        if let Some(t) = top {
            *best
                .entry(if t.0 == "wider_north" {
                    "wider_north"
                } else {
                    "wider_south"
                })
                .or_default() += 1;
        }
        if !v.iter().any(|x| x.2 >= 1.0) {
            none_pays += 1;
        }
    }
    let pct = |k: usize| format!("{:.0}%", 100.0 * k as f64 / 12.0);

    // The compare study's own best on mean loss, from its benefit_cost.csv.
    let (h, rows) = table(&cmp.join("benefit_cost.csv"));
    let (co, cav) = (col(&h, "option"), col(&h, "avoided_loss_usd_per_year"));
    let top = rows
        .iter()
        .max_by(|a, b| {
            let (x, y): (f64, f64) = (a[cav].parse().unwrap(), b[cav].parse().unwrap());
            x.total_cmp(&y).then(b[co].cmp(&a[co]))
        })
        .unwrap()[co]
        .clone();
    let first = stdout
        .lines()
        .find(|l| l.contains("Best on mean loss:"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        first.contains(&format!("Best on mean loss: {top} avoids")),
        "{first}"
    );
    let want = format!(
        "It holds in {} of 12 draws of the uncertain parameters.",
        pct(best.get(top.as_str()).copied().unwrap_or(0))
    );
    assert!(first.ends_with(&want), "{first}\nwant: {want}");
    // Whether anything pays: the share of draws in which nothing does, or in which the
    // paying option does.
    let pays_line = stdout
        .lines()
        .find(|l| l.contains("ays for itself"))
        .unwrap_or_else(|| panic!("{stdout}"));
    if pays_line.trim_start().starts_with("No option pays") {
        assert!(
            pays_line.contains(&format!("in {} of 12 draws", pct(none_pays))),
            "{pays_line}"
        );
    } else {
        let payer = opts
            .iter()
            .find(|o| pays_line.contains(&format!(": {o} (")))
            .unwrap();
        let k = by
            .values()
            .filter(|v| v.iter().any(|x| x.0 == *payer && x.2 >= 1.0))
            .count();
        assert!(
            pays_line.contains(&format!("in {} of 12 draws", pct(k))),
            "{pays_line}"
        );
    }
    assert!(
        !stdout.contains("sampling noise of the simulated years only"),
        "{stdout}"
    );

    // The report opens with the same sentences.
    let html = fs::read_to_string(cmp.join("report.html")).unwrap();
    let answer = section(&html, "answer");
    assert!(answer.contains(&want), "{answer}");
    assert!(
        html.contains("robustness from")
            && html.contains("12 parameter draws of the same base and options")
    );
}

#[test]
fn an_uncertainty_study_of_another_question_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (cmp, unc) = studies(
        tmp.path(),
        &["wider_north", "wider_south"],
        &["wider_north"],
    );
    let o = cli(&["report", p(&cmp), "--uncertainty", p(&unc)]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("is not an uncertainty study of the comparison")
            && err.contains("`wider_south`"),
        "{err}"
    );
    assert!(
        !cmp.join("report.html").exists(),
        "nothing written on an error"
    );
    // A folder of another command.
    let o = cli(&["report", p(&cmp), "--uncertainty", p(&cmp)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr)
        .contains("needs a `chokepoint uncertainty` output folder"));
    // The flag belongs to a comparison's report.
    let o = cli(&["report", p(&unc), "--uncertainty", p(&unc)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("adds to the report of a comparison only"));
}

/// 200 runs of the random twoland fixture, seed 1 (some of its runs have a negative
/// component), into `out`.
fn twoland_random_study(out: &Path, extra: &[&str]) {
    let scenario = fixture("montecarlo/twoland_random.toml");
    let mut args = vec![
        "montecarlo",
        p(&scenario),
        "--runs",
        "200",
        "--seed",
        "1",
        "-q",
        "--out",
        p(out),
    ];
    args.extend_from_slice(extra);
    let o = cli(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn the_montecarlo_report_warns_beside_the_figure_of_what_its_runs_show() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("mc");
    twoland_random_study(&out, &["--report"]);
    // Recount from runs.csv what the report must say.
    let (h, rows) = table(&out.join("runs.csv"));
    let count = |name: &str| {
        let c = col(&h, name);
        rows.iter()
            .filter(|r| r[c].parse::<f64>().unwrap() < -0.5)
            .count()
    };
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    let components = section(&html, "components");
    let mut any = false;
    for (label, column) in [
        ("reroute cost", "reroute_cost_usd"),
        ("delay cost", "delay_cost_usd"),
        ("spoilage", "spoilage_usd"),
        ("lost trade", "lost_trade_usd"),
    ] {
        let k = count(column);
        let said = format!("{label} in {k} of 200 runs");
        assert_eq!(k > 0, components.contains(&said), "{column}: {k}");
        any |= k > 0;
    }
    assert!(any, "the fixture's runs should have a negative component");
    assert!(components.contains("class=\"warning\""));
    let capped = {
        let c = col(&h, "runout_capped");
        rows.iter().filter(|r| r[c] != "0").count()
    };
    let exceedance = section(&html, "exceedance");
    assert_eq!(
        capped > 0,
        exceedance.contains(&format!("{capped} of 200 runs")) && exceedance.contains("cut off"),
    );
    assert_eq!(
        count("total_loss_usd") > 0,
        exceedance.contains("total loss below zero")
    );
    // The summary line gives every figure with its unit, each read from summary.csv.
    let (h, rows) = table(&out.join("summary.csv"));
    let (cm, cs, cv) = (col(&h, "metric"), col(&h, "statistic"), col(&h, "value"));
    let stat = |s: &str| -> f64 {
        rows.iter()
            .find(|r| r[cm] == "total_loss_usd" && r[cs] == s)
            .unwrap()[cv]
            .parse()
            .unwrap()
    };
    for (label, s) in [
        ("mean USD", "mean"),
        ("p95 USD", "p95"),
        ("TVaR 95% USD", "tvar95"),
    ] {
        let want = format!("{label} {:.2} m", stat(s) / 1e6);
        assert!(html.contains(&want), "{want}");
    }
}

#[test]
fn a_run_report_warns_beside_its_components_when_one_is_negative() {
    let tmp = tempfile::tempdir().unwrap();
    let mc = tmp.path().join("mc");
    twoland_random_study(&mc, &[]);
    // A run with a negative reroute cost and one without any negative figure.
    let (h, rows) = table(&mc.join("runs.csv"));
    let cols: Vec<usize> = [
        "reroute_cost_usd",
        "delay_cost_usd",
        "spoilage_usd",
        "lost_trade_usd",
        "total_loss_usd",
    ]
    .iter()
    .map(|c| col(&h, c))
    .collect();
    let value = |r: &Vec<String>, i: usize| r[cols[i]].parse::<f64>().unwrap();
    let negative = rows
        .iter()
        .position(|r| value(r, 0) < -0.5)
        .expect("a run with a negative reroute cost");
    let clean = rows
        .iter()
        .position(|r| (0..5).all(|i| value(r, i) >= -0.5) && value(r, 4) > 0.0)
        .expect("a run that loses and has no negative figure");
    for (run, warned) in [(negative, true), (clean, false)] {
        let out = tmp.path().join(format!("run{run}"));
        let o = cli(&[
            "run",
            "--replay",
            p(&mc),
            "--run",
            &run.to_string(),
            "--out",
            p(&out),
            "--report",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let html = fs::read_to_string(out.join("report.html")).unwrap();
        let components = section(&html, "components");
        assert_eq!(
            components.contains("Below zero: reroute cost USD -"),
            warned,
            "run {run}"
        );
        assert_eq!(html.contains("class=\"warning\""), warned, "run {run}");
    }
}
