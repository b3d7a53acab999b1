//! Maximum-likelihood fits of closure durations (exponential, lognormal, gamma), with
//! right-censored observations ("still shut when last reported"), confidence intervals,
//! AIC and a Kolmogorov–Smirnov check.

use super::stats::{
    chi2_quantile, digamma, gamma_p, gamma_q, ks_pvalue, ln_gamma, ln_normal_pdf, nelder_mead,
    normal_cdf, trigamma,
};
use crate::closure::DurationDist;

/// One observed closure duration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    /// Days shut (for a censored observation: days shut when last reported).
    pub days: f64,
    /// True when the closure was still going on when last reported (the true duration
    /// is at least `days`).
    pub censored: bool,
}

impl Observation {
    /// A complete (uncensored) duration.
    pub fn complete(days: f64) -> Self {
        Observation {
            days,
            censored: false,
        }
    }
}

/// A fitted duration distribution with its fit statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct DurationFit {
    /// The fitted distribution.
    pub dist: DurationDist,
    /// Maximised log-likelihood (censored points contribute ln S(t)).
    pub log_likelihood: f64,
    /// Number of free parameters.
    pub params: usize,
    /// Akaike information criterion, 2k - 2 lnL.
    pub aic: f64,
    /// Kolmogorov–Smirnov statistic on the complete observations (None if fewer than 2).
    pub ks_d: Option<f64>,
    /// Its asymptotic p-value (too high when, as here, parameters come from the same
    /// data: Lilliefors).
    pub ks_p: Option<f64>,
    /// Confidence statements on the parameters, in words (95%).
    pub ci: String,
    /// How it was fitted ("closed form", "Newton on the shape", "Nelder–Mead (censored)").
    pub method: &'static str,
}

/// The CDF of a parametric duration distribution (empirical: the step function).
pub fn cdf(dist: &DurationDist, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    match dist {
        DurationDist::Exponential { mean_days } => 1.0 - (-x / mean_days).exp(),
        DurationDist::LogNormal { mu, sigma } => normal_cdf((x.ln() - mu) / sigma),
        DurationDist::Gamma { shape, scale_days } => gamma_p(*shape, x / scale_days),
        DurationDist::Empirical { days } => {
            days.iter().filter(|&&d| d <= x).count() as f64 / days.len() as f64
        }
    }
}

/// ln f(x) and ln S(x) of a parametric distribution.
fn ln_pdf(dist: &DurationDist, x: f64) -> f64 {
    match dist {
        DurationDist::Exponential { mean_days } => -mean_days.ln() - x / mean_days,
        DurationDist::LogNormal { mu, sigma } => {
            ln_normal_pdf((x.ln() - mu) / sigma) - sigma.ln() - x.ln()
        }
        DurationDist::Gamma { shape, scale_days } => {
            (shape - 1.0) * x.ln() - x / scale_days - shape * scale_days.ln() - ln_gamma(*shape)
        }
        DurationDist::Empirical { .. } => f64::NAN,
    }
}

fn ln_survival(dist: &DurationDist, x: f64) -> f64 {
    match dist {
        DurationDist::Exponential { mean_days } => -x / mean_days,
        DurationDist::Gamma { shape, scale_days } => gamma_q(*shape, x / scale_days).ln(),
        _ => (1.0 - cdf(dist, x)).ln(),
    }
}

/// Log-likelihood of observations under a distribution (censored: ln S(t)).
pub fn log_likelihood(dist: &DurationDist, obs: &[Observation]) -> f64 {
    obs.iter()
        .map(|o| {
            if o.censored {
                ln_survival(dist, o.days)
            } else {
                ln_pdf(dist, o.days)
            }
        })
        .sum()
}

/// KS statistic of the complete observations against `dist`, with its p-value.
pub fn ks_test(dist: &DurationDist, obs: &[Observation]) -> Option<(f64, f64)> {
    let mut xs: Vec<f64> = obs.iter().filter(|o| !o.censored).map(|o| o.days).collect();
    if xs.len() < 2 {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len() as f64;
    let mut d: f64 = 0.0;
    for (i, &x) in xs.iter().enumerate() {
        let f = cdf(dist, x);
        d = d.max(f - i as f64 / n).max((i as f64 + 1.0) / n - f);
    }
    Some((d, ks_pvalue(d, xs.len())))
}

fn finish(
    dist: DurationDist,
    obs: &[Observation],
    params: usize,
    ci: String,
    method: &'static str,
) -> DurationFit {
    let ll = log_likelihood(&dist, obs);
    let ks = ks_test(&dist, obs);
    DurationFit {
        log_likelihood: ll,
        params,
        aic: 2.0 * params as f64 - 2.0 * ll,
        ks_d: ks.map(|k| k.0),
        ks_p: ks.map(|k| k.1),
        ci,
        method,
        dist,
    }
}

fn valid(obs: &[Observation]) -> bool {
    obs.iter().all(|o| o.days.is_finite() && o.days > 0.0)
}

/// Exponential MLE: mean = total days (complete and censored) / complete count. The 95%
/// interval `[2S/χ²(.975; 2d), 2S/χ²(.025; 2d)]` is exact without censoring and
/// approximate with it. `None` when there is no complete observation.
pub fn fit_exponential(obs: &[Observation]) -> Option<DurationFit> {
    let d = obs.iter().filter(|o| !o.censored).count();
    if d == 0 || !valid(obs) {
        return None;
    }
    let s: f64 = obs.iter().map(|o| o.days).sum();
    let mean = s / d as f64;
    let k = 2.0 * d as f64;
    let (lo, hi) = (
        2.0 * s / chi2_quantile(k, 0.975),
        2.0 * s / chi2_quantile(k, 0.025),
    );
    let exact = if obs.iter().any(|o| o.censored) {
        "approximate with censoring"
    } else {
        "exact chi-square"
    };
    let dist = DurationDist::exponential(mean).ok()?;
    Some(finish(
        dist,
        obs,
        1,
        format!("mean_days 95% CI [{lo:.1}, {hi:.1}] ({exact})"),
        "closed form",
    ))
}

/// Lognormal MLE: closed form `mu = mean(ln x)`, `sigma² = mean((ln x - mu)²)` without
/// censoring; Nelder–Mead on (mu, ln sigma) from that start with it. `None` with fewer
/// than two distinct complete values.
pub fn fit_lognormal(obs: &[Observation]) -> Option<DurationFit> {
    if !valid(obs) || distinct_complete(obs) < 2 {
        return None;
    }
    let logs: Vec<f64> = obs.iter().map(|o| o.days.ln()).collect();
    let n = logs.len() as f64;
    let mu0 = logs.iter().sum::<f64>() / n;
    let s0 = (logs.iter().map(|l| (l - mu0).powi(2)).sum::<f64>() / n).sqrt();
    if !obs.iter().any(|o| o.censored) {
        let dist = DurationDist::lognormal(mu0, s0).ok()?;
        let half = 1.959_963_985 * s0 / n.sqrt();
        let (slo, shi) = (
            (n * s0 * s0 / chi2_quantile(n - 1.0, 0.975)).sqrt(),
            (n * s0 * s0 / chi2_quantile(n - 1.0, 0.025)).sqrt(),
        );
        return Some(finish(
            dist,
            obs,
            2,
            format!(
                "mu 95% CI [{:.2}, {:.2}] (normal approx.), sigma [{slo:.2}, {shi:.2}] (chi-square)",
                mu0 - half,
                mu0 + half
            ),
            "closed form",
        ));
    }
    let nll = |p: &[f64]| match DurationDist::lognormal(p[0], p[1].exp()) {
        Ok(d) => -log_likelihood(&d, obs),
        Err(_) => f64::INFINITY,
    };
    let (p, _) = nelder_mead(nll, &[mu0, s0.max(0.1).ln()], 0.3, 4000);
    let dist = DurationDist::lognormal(p[0], p[1].exp()).ok()?;
    Some(finish(
        dist,
        obs,
        2,
        "no closed-form CI with censoring (few events: treat as wide)".into(),
        "Nelder-Mead (censored likelihood)",
    ))
}

/// Gamma MLE: Newton on the shape k of `ln k - ψ(k) = ln(mean x) - mean(ln x)`, scale =
/// mean / k, without censoring; Nelder–Mead on (ln k, ln scale) with it. The shape's
/// standard error is from the Fisher information `n (ψ'(k) - 1/k)`. `None` with fewer
/// than two distinct complete values.
pub fn fit_gamma(obs: &[Observation]) -> Option<DurationFit> {
    if !valid(obs) || distinct_complete(obs) < 2 {
        return None;
    }
    let n = obs.len() as f64;
    let mean = obs.iter().map(|o| o.days).sum::<f64>() / n;
    let mean_ln = obs.iter().map(|o| o.days.ln()).sum::<f64>() / n;
    let s = mean.ln() - mean_ln;
    if s <= 0.0 {
        return None;
    }
    // Minka's starting point, then Newton (f is convex and decreasing in k).
    let mut k = (3.0 - s + ((s - 3.0).powi(2) + 24.0 * s).sqrt()) / (12.0 * s);
    for _ in 0..100 {
        let f = k.ln() - digamma(k) - s;
        let df = 1.0 / k - trigamma(k);
        let next = k - f / df;
        let next = if next <= 0.0 { k / 2.0 } else { next };
        if (next - k).abs() < 1e-12 * k {
            k = next;
            break;
        }
        k = next;
    }
    if !obs.iter().any(|o| o.censored) {
        let dist = DurationDist::gamma(k, mean / k).ok()?;
        let info = n * (trigamma(k) - 1.0 / k);
        let se = if info > 0.0 {
            1.0 / info.sqrt()
        } else {
            f64::NAN
        };
        return Some(finish(
            dist,
            obs,
            2,
            format!(
                "shape 95% CI [{:.2}, {:.2}] (Fisher information; poor with few events)",
                (k - 1.96 * se).max(0.0),
                k + 1.96 * se
            ),
            "Newton on the shape",
        ));
    }
    let nll = |p: &[f64]| match DurationDist::gamma(p[0].exp(), p[1].exp()) {
        Ok(d) => -log_likelihood(&d, obs),
        Err(_) => f64::INFINITY,
    };
    let (p, _) = nelder_mead(nll, &[k.ln(), (mean / k).ln()], 0.3, 4000);
    let dist = DurationDist::gamma(p[0].exp(), p[1].exp()).ok()?;
    Some(finish(
        dist,
        obs,
        2,
        "no closed-form CI with censoring (few events: treat as wide)".into(),
        "Nelder-Mead (censored likelihood)",
    ))
}

fn distinct_complete(obs: &[Observation]) -> usize {
    let mut v: Vec<f64> = obs.iter().filter(|o| !o.censored).map(|o| o.days).collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    v.len()
}

/// All three fits that are possible, best (lowest AIC) first.
pub fn fit_all(obs: &[Observation]) -> Vec<DurationFit> {
    let mut fits: Vec<DurationFit> = [fit_exponential(obs), fit_lognormal(obs), fit_gamma(obs)]
        .into_iter()
        .flatten()
        .collect();
    fits.sort_by(|a, b| a.aic.total_cmp(&b.aic));
    fits
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, Exp, Gamma, LogNormal};

    fn complete(xs: &[f64]) -> Vec<Observation> {
        xs.iter().map(|&d| Observation::complete(d)).collect()
    }

    #[test]
    fn exponential_closed_form_and_censoring() {
        // MLE mean = sum / complete count: (2 + 4 + 6) / 3 = 4; with a censored 8: 20 / 3.
        let f = fit_exponential(&complete(&[2.0, 4.0, 6.0])).unwrap();
        assert_eq!(f.dist, DurationDist::Exponential { mean_days: 4.0 });
        let mut obs = complete(&[2.0, 4.0, 6.0]);
        obs.push(Observation {
            days: 8.0,
            censored: true,
        });
        let f = fit_exponential(&obs).unwrap();
        assert!((f.dist.mean_days() - 20.0 / 3.0).abs() < 1e-12);
        // lnL = -d ln(mean) - S/mean.
        let m: f64 = 20.0 / 3.0;
        assert!((f.log_likelihood - (-3.0 * m.ln() - 3.0)).abs() < 1e-12);
    }

    #[test]
    fn lognormal_closed_form_on_exact_logs() {
        // ln x = {0, 2}: mu = 1, sigma = 1 (MLE divides by n).
        let f = fit_lognormal(&complete(&[1.0, 2f64.exp()])).unwrap();
        match f.dist {
            DurationDist::LogNormal { mu, sigma } => {
                assert!((mu - 1.0).abs() < 1e-12 && (sigma - 1.0).abs() < 1e-12)
            }
            _ => panic!("not lognormal"),
        }
    }

    #[test]
    fn mles_recover_known_parameters() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let n = 4000usize;
        // Tolerances: 4 standard errors. Exponential mean SE = m/√n; lognormal mu SE =
        // σ/√n, sigma SE = σ/√(2n); gamma shape SE = 1/√(n(ψ'(k) - 1/k)).
        let exp = Exp::new(1.0 / 12.0).unwrap();
        let xs: Vec<f64> = (0..n).map(|_| exp.sample(&mut rng)).collect();
        let f = fit_exponential(&complete(&xs)).unwrap();
        assert!((f.dist.mean_days() - 12.0).abs() < 4.0 * 12.0 / (n as f64).sqrt());

        let ln = LogNormal::new(2.0, 0.8).unwrap();
        let xs: Vec<f64> = (0..n).map(|_| ln.sample(&mut rng)).collect();
        match fit_lognormal(&complete(&xs)).unwrap().dist {
            DurationDist::LogNormal { mu, sigma } => {
                assert!((mu - 2.0).abs() < 4.0 * 0.8 / (n as f64).sqrt(), "mu {mu}");
                assert!(
                    (sigma - 0.8).abs() < 4.0 * 0.8 / (2.0 * n as f64).sqrt(),
                    "sigma {sigma}"
                );
            }
            _ => panic!("not lognormal"),
        }

        let g = Gamma::new(2.5, 4.0).unwrap();
        let xs: Vec<f64> = (0..n).map(|_| g.sample(&mut rng)).collect();
        match fit_gamma(&complete(&xs)).unwrap().dist {
            DurationDist::Gamma { shape, scale_days } => {
                let se = 1.0 / (n as f64 * (trigamma(2.5) - 1.0 / 2.5)).sqrt();
                assert!((shape - 2.5).abs() < 4.0 * se, "shape {shape}");
                assert!((shape * scale_days - 10.0).abs() < 4.0 * 10.0 / (2.5 * n as f64).sqrt());
            }
            _ => panic!("not gamma"),
        }
    }

    #[test]
    fn censored_fits_recover_parameters() {
        // Censor lognormal durations at 15 days; the censored MLE must still find the
        // true parameters, while the naive closed form (treating 15 as complete) is biased.
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let n = 3000usize;
        let ln = LogNormal::new(2.3, 0.7).unwrap();
        let obs: Vec<Observation> = (0..n)
            .map(|_| {
                let x: f64 = ln.sample(&mut rng);
                Observation {
                    days: x.min(15.0),
                    censored: x > 15.0,
                }
            })
            .collect();
        match fit_lognormal(&obs).unwrap().dist {
            DurationDist::LogNormal { mu, sigma } => {
                assert!((mu - 2.3).abs() < 0.06, "mu {mu}");
                assert!((sigma - 0.7).abs() < 0.06, "sigma {sigma}");
            }
            _ => panic!(),
        }
        let g = fit_gamma(&obs).unwrap();
        // The gamma fit to lognormal data must be worse by AIC on this many points.
        let l = fit_lognormal(&obs).unwrap();
        assert!(l.aic < g.aic);
    }

    #[test]
    fn aic_picks_the_generating_family_and_ks_accepts_it() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let g = Gamma::new(6.0, 2.0).unwrap();
        let xs: Vec<f64> = (0..2000).map(|_| g.sample(&mut rng)).collect();
        let fits = fit_all(&complete(&xs));
        assert!(matches!(fits[0].dist, DurationDist::Gamma { .. }));
        assert!(fits[0].ks_p.unwrap() > 0.01);
        // The exponential is far off for shape 6: KS rejects it.
        let e = fits
            .iter()
            .find(|f| matches!(f.dist, DurationDist::Exponential { .. }))
            .unwrap();
        assert!(e.ks_p.unwrap() < 1e-6);
    }

    #[test]
    fn too_few_points_give_no_two_parameter_fit() {
        assert!(fit_lognormal(&complete(&[5.0])).is_none());
        assert!(fit_gamma(&complete(&[5.0, 5.0])).is_none());
        assert!(fit_exponential(&[Observation {
            days: 5.0,
            censored: true
        }])
        .is_none());
        assert_eq!(fit_all(&complete(&[5.0])).len(), 1);
    }
}
