//! The calibration's posteriors as `[[uncertain]]` tables of the scenario format
//! (`chokepoint calibrate --posterior`): for each corridor's process, its onset rate's
//! exact Gamma posterior (Jeffreys prior, open time as exposure), and its duration law's
//! posterior: exact inverse gamma for an exponential's mean (Jeffreys' scale prior,
//! censored durations in the exposure), posterior draws by random-walk Metropolis for a
//! lognormal or gamma law ([`super::metropolis`]), written to a CSV of joint draws.

use std::fmt::Write as _;

use super::fit::Observation;
use super::metropolis::{duration_posterior, Family, SamplerOptions};
use super::posterior::{exponential_mean, onset_rate, GammaPrior};
use super::Calibration;
use crate::closure::DurationDist;
use crate::study::output::num;
use crate::Error;

/// Options of [`Calibration::posterior_tables`].
#[derive(Debug, Clone, PartialEq)]
pub struct PosteriorOptions {
    /// Draws of each sampled duration law (default 4,000).
    pub draws: usize,
    /// Seed of the sampler; corridor `i` (in id order) uses `seed + i` (default 1).
    pub seed: u64,
    /// The folder of the joint CSV files as it is to be written in `joint = "..."`
    /// (relative to the scenario file that will hold the tables).
    pub dir: String,
    /// What to call the log in `source` (its file name).
    pub log_name: String,
}

impl Default for PosteriorOptions {
    fn default() -> Self {
        PosteriorOptions {
            draws: 4000,
            seed: 1,
            dir: "posterior".into(),
            log_name: "the closure log".into(),
        }
    }
}

/// `[[uncertain]]` tables and the joint CSV files they name.
#[derive(Debug, Clone, PartialEq)]
pub struct PosteriorTables {
    /// The tables, with the evidence in comments.
    pub toml: String,
    /// Each joint CSV: its path as written in `joint = "..."`, and its text.
    pub files: Vec<(String, String)>,
}

impl Calibration {
    /// The posteriors of every fitted process's parameters as `[[uncertain]]` tables
    /// (see the module's documentation for the laws and priors). A corridor with no
    /// complete duration gets its rate's table only, and a comment.
    ///
    /// ```
    /// use chokepoint::calibrate::{calibrate, parse_log, Options, PosteriorOptions};
    /// let csv = "corridor,start,days\nx,2021-03-01,7\nx,2022-05-01,3\nx,2023-02-01,12\n";
    /// let log = parse_log(csv, std::path::Path::new("log.csv"))?;
    /// let cal = calibrate(&log, &Options::default())?;
    /// let t = cal.posterior_tables(&PosteriorOptions::default())?;
    /// assert!(t.toml.contains("param = \"process.x.rate_per_year\"\ndist = \"gamma\""));
    /// # Ok::<(), chokepoint::Error>(())
    /// ```
    pub fn posterior_tables(&self, opts: &PosteriorOptions) -> Result<PosteriorTables, Error> {
        let mut out = String::new();
        let mut files = Vec::new();
        let window = format!("{} .. {}", self.start, self.end);
        let _ = writeln!(
            out,
            "# Posterior [[uncertain]] tables (calibrate --posterior), {} {window}.\n\
             # Onset rate: Gamma(k + 1/2, T) for k own onsets in T open years (Jeffreys prior lambda^-1/2).\n\
             # Exponential mean: inverse gamma (n complete durations, S days of all durations, censored\n\
             # included; Jeffreys scale prior 1/theta). Lognormal / gamma laws: random-walk Metropolis,\n\
             # priors flat in (mu, ln sigma) / (ln shape, ln scale), {} draws, seed {} + corridor index.\n\
             # Joint CSV paths are written as given (--posterior-out): relative to the scenario file.",
            opts.log_name, opts.draws, opts.seed
        );
        for (i, c) in self.corridors.iter().enumerate() {
            let id = &c.corridor;
            let years = c.open_days / 365.0;
            let k = u32::try_from(c.own_onsets).unwrap_or(u32::MAX);
            let rate = onset_rate(k, years, GammaPrior::JEFFREYS_RATE)?;
            let (lo, hi) = rate.interval(0.95);
            let _ = writeln!(
                out,
                "\n# {id}: {k} own onset(s) in {:.0} open days: rate posterior mean {:.3}/yr, 95% [{lo:.3}, {hi:.3}]",
                c.open_days,
                rate.mean()
            );
            let _ = writeln!(
                out,
                "[[uncertain]]\nparam = \"process.{id}.rate_per_year\"\ndist = \"gamma\"\nshape = {}\nscale = {}\nsource = \"calibrate --posterior, {}: {k} onsets in {:.0} open days {window}, Jeffreys prior\"",
                num(rate.shape),
                num(1.0 / rate.rate),
                opts.log_name,
                c.open_days
            );
            let Some(best) = c.fits.first() else {
                let _ = writeln!(
                    out,
                    "# {id}: no complete duration: no posterior for its duration law (choose one, mark it E)."
                );
                continue;
            };
            let complete = c.durations.iter().filter(|o| !o.censored).count();
            let shown = durations_text(&c.durations);
            match &best.dist {
                DurationDist::Exponential { .. } => {
                    let m = exponential_mean(&c.durations, GammaPrior::JEFFREYS_SCALE)?;
                    let (lo, hi) = m.interval(0.95);
                    let _ = writeln!(
                        out,
                        "# {id}: exponential durations {shown}: mean posterior median {:.1} days, 95% [{lo:.1}, {hi:.1}]",
                        m.quantile(0.5)
                    );
                    let _ = writeln!(
                        out,
                        "[[uncertain]]\nparam = \"process.{id}.mean_duration_days\"\ndist = \"invgamma\"\nshape = {}\nscale = {}\nsource = \"calibrate --posterior, {}: {complete} complete of {} durations ({shown} days), exponential, Jeffreys scale prior\"",
                        num(m.rate.shape),
                        num(m.rate.rate),
                        opts.log_name,
                        c.durations.len()
                    );
                }
                DurationDist::LogNormal { .. } | DurationDist::Gamma { .. } => {
                    let (family, second, name) = match best.dist {
                        DurationDist::LogNormal { .. } => {
                            (Family::LogNormal, "duration_sigma", "lognormal")
                        }
                        _ => (Family::Gamma, "duration_shape", "gamma"),
                    };
                    let sampler = SamplerOptions {
                        draws: opts.draws,
                        seed: opts.seed.wrapping_add(i as u64),
                        ..SamplerOptions::default()
                    };
                    let post = match duration_posterior(&c.durations, family, &sampler) {
                        Ok(p) => p,
                        Err(e) => {
                            let _ = writeln!(out, "# {id}: no {name} posterior: {e}");
                            continue;
                        }
                    };
                    let (lo, hi) = post.interval(0.95, DurationDist::mean_days);
                    let path = if opts.dir.is_empty() {
                        format!("{id}_duration.csv")
                    } else {
                        format!("{}/{id}_duration.csv", opts.dir.trim_end_matches('/'))
                    };
                    let mut csv =
                        format!("process.{id}.{second},process.{id}.mean_duration_days\n");
                    for d in &post.draws {
                        let s = match d {
                            DurationDist::LogNormal { sigma, .. } => *sigma,
                            DurationDist::Gamma { shape, .. } => *shape,
                            _ => f64::NAN,
                        };
                        let _ = writeln!(csv, "{},{}", num(s), num(d.mean_days()));
                    }
                    let _ = writeln!(
                        out,
                        "# {id}: {name} durations {shown}: mean 95% [{lo:.1}, {hi:.1}] days; Metropolis acceptance {:.2}",
                        post.acceptance
                    );
                    let _ = writeln!(
                        out,
                        "[[uncertain]]\njoint = \"{path}\"\nsource = \"calibrate --posterior, {}: {complete} complete of {} durations ({shown} days), {name}, random-walk Metropolis, {} draws, seed {}\"",
                        opts.log_name,
                        c.durations.len(),
                        opts.draws,
                        sampler.seed
                    );
                    files.push((path, csv));
                }
                DurationDist::Empirical { .. } => {}
            }
        }
        if !self.joint.events.is_empty() || !self.joint.corridors.is_empty() {
            let _ = writeln!(
                out,
                "\n# Common shocks and regimes: no posterior is written (the log holds {} joint event(s)); \
                 give a shock's rate a stated range (E).",
                self.joint.events.len()
            );
        }
        Ok(PosteriorTables { toml: out, files })
    }
}

/// Durations as `2 6 9 13+` (`+`: censored).
fn durations_text(obs: &[Observation]) -> String {
    obs.iter()
        .map(|o| format!("{}{}", o.days, if o.censored { "+" } else { "" }))
        .collect::<Vec<_>>()
        .join(" ")
}
