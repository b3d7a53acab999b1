//! The calibration as TOML: the `[[process]]`, `[[shock]]` and `[regimes]` tables of
//! the scenario format, each with the evidence behind it in comments.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::closure::DurationDist;

use super::fit::DurationFit;
use super::{regime, Calibration};

/// A duration distribution as an inline TOML table of the scenario format.
pub fn duration_toml(d: &DurationDist) -> String {
    match d {
        DurationDist::Exponential { mean_days } => {
            format!("{{ dist = \"exponential\", mean_days = {mean_days:.3} }}")
        }
        DurationDist::LogNormal { mu, sigma } => {
            format!("{{ dist = \"lognormal\", mu = {mu:.4}, sigma = {sigma:.4} }}")
        }
        DurationDist::Gamma { shape, scale_days } => {
            format!("{{ dist = \"gamma\", shape = {shape:.4}, scale_days = {scale_days:.3} }}")
        }
        DurationDist::Empirical { days } => {
            let v: Vec<String> = days.iter().map(|d| format!("{d}")).collect();
            format!("{{ dist = \"empirical\", days = [{}] }}", v.join(", "))
        }
    }
}

fn describe(d: &DurationDist) -> String {
    match d {
        DurationDist::Exponential { mean_days } => format!("exponential mean_days {mean_days:.2}"),
        DurationDist::LogNormal { mu, sigma } => format!("lognormal mu {mu:.3} sigma {sigma:.3}"),
        DurationDist::Gamma { shape, scale_days } => {
            format!("gamma shape {shape:.3} scale_days {scale_days:.2}")
        }
        DurationDist::Empirical { .. } => "empirical".into(),
    }
}

fn fits_comment(out: &mut String, fits: &[DurationFit], n_complete: usize) {
    for f in fits {
        let ks = match (f.ks_d, f.ks_p) {
            (Some(d), Some(p)) => format!("KS D {d:.3} p {p:.2}"),
            _ => "KS: too few complete durations".into(),
        };
        let _ = writeln!(
            out,
            "#   {:<42} lnL {:>8.3}  AIC {:>7.2}  {ks}  [{}; {}]",
            describe(&f.dist),
            f.log_likelihood,
            f.aic,
            f.method,
            f.ci
        );
    }
    if n_complete < 5 {
        let _ = writeln!(
            out,
            "#   caution: {n_complete} complete duration(s): AIC and KS can barely tell the families apart, \
             and KS p-values are too high when parameters come from the same data (Lilliefors)."
        );
    }
}

impl Calibration {
    /// TOML ready to paste into a scenario: `[[process]]` per corridor and `[[shock]]`
    /// for joint events (or a comment saying why none), the estimates and intervals in
    /// comments.
    pub fn to_toml(&self) -> String {
        let pct = ((1.0 - self.alpha) * 100.0).round();
        let total = (self.end - self.start).num_days();
        let mut o = String::new();
        let _ = writeln!(
            o,
            "# chokepoint calibrate: window {} .. {} (end exclusive, {total} days = {:.2} years of 365 days)",
            self.start,
            self.end,
            total as f64 / 365.0
        );
        let _ = writeln!(
            o,
            "# Onset rate = onsets / open days (a closure cannot start while shut), per 365 days; \
             {pct}% CI exact Poisson (Garwood)."
        );
        let _ = writeln!(
            o,
            "# Durations: maximum likelihood; '+' marks right-censored durations (still shut when last reported)."
        );
        if !self.ignored_lines.is_empty() {
            let _ = writeln!(
                o,
                "# Ignored (outside the window): CSV lines {:?}",
                self.ignored_lines
            );
        }
        for c in &self.corridors {
            let _ = writeln!(o);
            let durs: Vec<String> = c
                .durations
                .iter()
                .map(|d| format!("{}{}", d.days, if d.censored { "+" } else { "" }))
                .collect();
            let joint_note = if c.own_onsets != c.onsets {
                format!(
                    " ({} in joint events, counted in the shock)",
                    c.onsets - c.own_onsets
                )
            } else {
                String::new()
            };
            let _ = writeln!(
                o,
                "# {}: {} onset(s){joint_note} in {:.0} open days: rate {:.3}/yr, {pct}% CI [{:.3}, {:.3}]",
                c.corridor, c.onsets, c.open_days, c.rate_per_year, c.rate_ci.0, c.rate_ci.1
            );
            if c.durations.is_empty() {
                let _ = writeln!(
                    o,
                    "#   no closure recorded: the rate's upper bound is what the data allow; \
                     no duration can be fitted (choose one, mark it E)."
                );
                continue;
            }
            let _ = writeln!(o, "#   durations (days): {}", durs.join(" "));
            let complete = c.durations.iter().filter(|d| !d.censored).count();
            fits_comment(&mut o, &c.fits, complete);
            let Some(best) = c.fits.first() else {
                let _ = writeln!(o, "#   no complete duration: no fit possible.");
                continue;
            };
            let _ = writeln!(o, "#   chosen by AIC: {}", describe(&best.dist));
            let _ = writeln!(o, "[[process]]");
            let _ = writeln!(o, "target = \"{}\"", c.corridor);
            let _ = writeln!(o, "rate_per_year = {:.4}", c.rate_per_year);
            let _ = writeln!(o, "duration = {}", duration_toml(&best.dist));
            let _ = writeln!(o, "capacity_factor = {:.3}", c.capacity_factor);
        }
        let j = &self.joint;
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "# Joint closures among {} (onsets within {} days = one event; pairs where one never closed omitted):",
            j.corridors.join(", "),
            self.joint_window_days
        );
        for p in &j.pairs {
            if p.expected_overlap_days == 0.0 && p.overlap_days == 0 {
                continue; // one of the two never closed: nothing to compare
            }
            let ratio = if p.expected_overlap_days > 0.0 {
                format!(
                    "{:.1}x",
                    f64::from(p.overlap_days) / p.expected_overlap_days
                )
            } else {
                "-".into()
            };
            let _ = writeln!(
                o,
                "#   {} & {}: both shut {} days vs {:.1} expected if independent ({ratio}); \
                 joint onsets {} vs {:.2} expected",
                p.a,
                p.b,
                p.overlap_days,
                p.expected_overlap_days,
                p.joint_onsets,
                p.expected_joint_onsets
            );
        }
        if j.events.is_empty() {
            let _ = writeln!(
                o,
                "#   no joint onset in the log: rate 0/yr, {pct}% CI [0, {:.3}]/yr. The data cannot separate a \
                 common shock from independent closures; overlapping closed days come from long closures \
                 that started apart. Model the co-movement with a regime chain, or a shock at a rate you \
                 choose (E) below the upper bound.",
                j.rate_ci.1
            );
            let _ = writeln!(o, "# [[shock]]");
            let _ = writeln!(o, "# id = \"joint\"");
            let _ = writeln!(o, "# targets = [{}]", quoted(&j.corridors));
            let _ = writeln!(
                o,
                "# rate_per_year = 0.0   # (E) choose in [0, {:.3}]",
                j.rate_ci.1
            );
            let _ = writeln!(
                o,
                "# duration = {{ dist = \"exponential\", mean_days = 10.0 }}   # (E)"
            );
        } else {
            for (d, members, days) in &j.events {
                let _ = writeln!(
                    o,
                    "#   joint event {d}: {} (longest {days} days)",
                    members.join(", ")
                );
            }
            let _ = writeln!(
                o,
                "#   {} joint event(s): rate {:.3}/yr, {pct}% CI [{:.3}, {:.3}]",
                j.events.len(),
                j.rate_per_year,
                j.rate_ci.0,
                j.rate_ci.1
            );
            fits_comment(&mut o, &j.fits, j.events.len());
            let targets: BTreeSet<&String> = j.events.iter().flat_map(|e| e.1.iter()).collect();
            let targets: Vec<String> = targets.into_iter().cloned().collect();
            let _ = writeln!(o, "[[shock]]");
            let _ = writeln!(o, "id = \"joint\"");
            let _ = writeln!(o, "targets = [{}]", quoted(&targets));
            let _ = writeln!(o, "rate_per_year = {:.4}", j.rate_per_year);
            let dist = j
                .fits
                .iter()
                .find(|f| matches!(f.dist, DurationDist::Exponential { .. }))
                .or(j.fits.first())
                .map(|f| f.dist.clone())
                .unwrap_or(DurationDist::Exponential { mean_days: 1.0 });
            let _ = writeln!(o, "duration = {}", duration_toml(&dist));
            let _ = writeln!(o, "capacity_factor = 0.0");
        }
        if let Some(r) = &self.regimes {
            regimes_toml(&mut o, r, &j.corridors);
        }
        o
    }
}

fn regimes_toml(o: &mut String, r: &regime::RegimeFit, ids: &[String]) {
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "# Regimes: a two-state Markov-modulated Poisson process fitted to the {} daily onsets of {} over {} days:",
        r.onsets,
        ids.join(", "),
        r.days
    );
    for (i, name) in ["calm", "tense"].iter().enumerate() {
        let _ = writeln!(
            o,
            "#   {name}: {:.3} onsets/yr, mean sojourn {:.0} days, long-run share {:.2}, rate multiplier {:.3}",
            r.rate_per_day[i] * 365.0,
            1.0 / r.leave_per_day[i],
            r.share[i],
            r.multiplier[i]
        );
    }
    let favoured = r.delta_aic < 0.0;
    let _ = writeln!(
        o,
        "#   lnL {:.3} vs {:.3} for a constant rate: LR {:.2} (rough p {:.2}, chi-square 3 df), AIC difference {:+.2}: {}",
        r.log_likelihood,
        r.log_likelihood_constant,
        r.lr,
        r.p_rough,
        r.delta_aic,
        if favoured {
            "the data favour regimes."
        } else {
            "the data do not favour regimes over a constant rate; the block is commented out."
        }
    );
    let _ = writeln!(
        o,
        "#   The multipliers average 1 over the long-run shares, so the processes' fitted rates are kept; they scale every process and shock."
    );
    let c = if favoured { "" } else { "# " };
    let round8 = |x: f64| (x * 1e8).round() / 1e8;
    let (a, b) = (round8(r.leave_per_day[0]), round8(r.leave_per_day[1]));
    let _ = writeln!(o, "{c}[regimes]");
    let _ = writeln!(o, "{c}[[regimes.state]]");
    let _ = writeln!(o, "{c}id = \"calm\"");
    let _ = writeln!(o, "{c}rate_multiplier = {:.4}", r.multiplier[0]);
    let _ = writeln!(
        o,
        "{c}transitions = {{ calm = {:.8}, tense = {a:.8} }}",
        1.0 - a
    );
    let _ = writeln!(o, "{c}[[regimes.state]]");
    let _ = writeln!(o, "{c}id = \"tense\"");
    let _ = writeln!(o, "{c}rate_multiplier = {:.4}", r.multiplier[1]);
    let _ = writeln!(
        o,
        "{c}transitions = {{ calm = {b:.8}, tense = {:.8} }}",
        1.0 - b
    );
}

fn quoted(ids: &[String]) -> String {
    ids.iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ")
}
