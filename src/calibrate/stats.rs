//! Special functions and a small optimiser for the closure fits: log-gamma, digamma,
//! trigamma, the regularised incomplete gamma function, chi-square and normal
//! distribution functions, the Kolmogorov distribution, and Nelder–Mead.
//!
//! Written here rather than pulled from a statistics crate: they are short, and each is
//! tested against tabulated values (Abramowitz & Stegun; standard chi-square tables).

use std::f64::consts::PI;

pub use crate::special::{gamma_p, gamma_q, ln_gamma};

/// The digamma function ψ(x) = d/dx ln Γ(x), for x > 0.
pub fn digamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 10.0 {
        acc -= 1.0 / x;
        x += 1.0;
    }
    let f = 1.0 / (x * x);
    acc + x.ln()
        - 0.5 / x
        - f * (1.0 / 12.0 - f * (1.0 / 120.0 - f * (1.0 / 252.0 - f * (1.0 / 240.0 - f / 132.0))))
}

/// The trigamma function ψ'(x), for x > 0.
pub fn trigamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 10.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let f = 1.0 / (x * x);
    acc + 1.0 / x + f / 2.0 + f / x * (1.0 / 6.0 - f * (1.0 / 30.0 - f * (1.0 / 42.0 - f / 30.0)))
}

/// Chi-square CDF with `k` degrees of freedom.
pub fn chi2_cdf(k: f64, x: f64) -> f64 {
    gamma_p(k / 2.0, x / 2.0)
}

/// Chi-square quantile: the x with `chi2_cdf(k, x) = p`, for p in (0, 1) (bisection to
/// machine precision; monotone, so always converges).
pub fn chi2_quantile(k: f64, p: f64) -> f64 {
    if p <= 0.0 {
        return 0.0;
    }
    let mut hi = k.max(1.0);
    while chi2_cdf(k, hi) < p {
        hi *= 2.0;
        if hi > 1e12 {
            return f64::INFINITY;
        }
    }
    let mut lo = 0.0;
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if chi2_cdf(k, mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-13 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// Exact (Garwood) two-sided confidence interval for a Poisson mean given `n` observed
/// events, at level `1 - alpha`: `[χ²(α/2; 2n) / 2, χ²(1 - α/2; 2n + 2) / 2]`.
pub fn garwood_ci(n: u64, alpha: f64) -> (f64, f64) {
    let lo = if n == 0 {
        0.0
    } else {
        chi2_quantile(2.0 * n as f64, alpha / 2.0) / 2.0
    };
    let hi = chi2_quantile(2.0 * n as f64 + 2.0, 1.0 - alpha / 2.0) / 2.0;
    (lo, hi)
}

/// erf(x), through the incomplete gamma function: erf(x) = sign(x) P(1/2, x²).
pub fn erf(x: f64) -> f64 {
    let v = gamma_p(0.5, x * x);
    if x < 0.0 {
        -v
    } else {
        v
    }
}

/// Standard normal CDF Φ(z).
pub fn normal_cdf(z: f64) -> f64 {
    if z < 0.0 {
        0.5 * gamma_q(0.5, z * z / 2.0)
    } else {
        0.5 + 0.5 * erf(z / std::f64::consts::SQRT_2)
    }
}

/// ln of the standard normal density.
pub fn ln_normal_pdf(z: f64) -> f64 {
    -0.5 * z * z - 0.5 * (2.0 * PI).ln()
}

/// Kolmogorov survival function Q_KS(λ) = 2 Σ_{j≥1} (-1)^{j-1} exp(-2 j² λ²): the
/// asymptotic p-value of the KS statistic.
pub fn kolmogorov_q(lambda: f64) -> f64 {
    if lambda < 0.2 {
        return 1.0;
    }
    let mut sum = 0.0;
    let mut sign = 1.0;
    for j in 1..=100 {
        let jf = f64::from(j);
        let term = sign * (-2.0 * jf * jf * lambda * lambda).exp();
        sum += term;
        if term.abs() < 1e-12 {
            break;
        }
        sign = -sign;
    }
    (2.0 * sum).clamp(0.0, 1.0)
}

/// p-value of a one-sample KS statistic `d` on `n` points (Stephens' small-sample
/// correction λ = (√n + 0.12 + 0.11/√n) d, Numerical Recipes §14.3).
pub fn ks_pvalue(d: f64, n: usize) -> f64 {
    let sn = (n as f64).sqrt();
    kolmogorov_q((sn + 0.12 + 0.11 / sn) * d)
}

/// Minimise `f` from `x0` with the Nelder–Mead simplex (standard coefficients), for
/// small smooth problems (2–4 parameters). Returns the best point and its value.
pub fn nelder_mead(
    f: impl Fn(&[f64]) -> f64,
    x0: &[f64],
    step: f64,
    iters: usize,
) -> (Vec<f64>, f64) {
    let n = x0.len();
    let eval = |x: &[f64]| {
        let v = f(x);
        if v.is_finite() {
            v
        } else {
            f64::INFINITY
        }
    };
    let mut pts: Vec<Vec<f64>> = vec![x0.to_vec()];
    for i in 0..n {
        let mut p = x0.to_vec();
        p[i] += step;
        pts.push(p);
    }
    let mut vals: Vec<f64> = pts.iter().map(|p| eval(p)).collect();
    for _ in 0..iters {
        let mut idx: Vec<usize> = (0..=n).collect();
        idx.sort_by(|&a, &b| vals[a].total_cmp(&vals[b]));
        pts = idx.iter().map(|&i| pts[i].clone()).collect();
        vals = idx.iter().map(|&i| vals[i]).collect();
        if (vals[n] - vals[0]).abs() <= 1e-12 * (1.0 + vals[0].abs()) {
            break;
        }
        let centroid: Vec<f64> = (0..n)
            .map(|j| pts[..n].iter().map(|p| p[j]).sum::<f64>() / n as f64)
            .collect();
        let along = |t: f64| -> Vec<f64> {
            (0..n)
                .map(|j| centroid[j] + t * (pts[n][j] - centroid[j]))
                .collect()
        };
        let xr = along(-1.0);
        let fr = eval(&xr);
        if fr < vals[0] {
            let xe = along(-2.0);
            let fe = eval(&xe);
            if fe < fr {
                pts[n] = xe;
                vals[n] = fe;
            } else {
                pts[n] = xr;
                vals[n] = fr;
            }
        } else if fr < vals[n - 1] {
            pts[n] = xr;
            vals[n] = fr;
        } else {
            let xc = if fr < vals[n] {
                along(-0.5)
            } else {
                along(0.5)
            };
            let fc = eval(&xc);
            if fc < vals[n].min(fr) {
                pts[n] = xc;
                vals[n] = fc;
            } else {
                for i in 1..=n {
                    let p: Vec<f64> = (0..n)
                        .map(|j| pts[0][j] + 0.5 * (pts[i][j] - pts[0][j]))
                        .collect();
                    vals[i] = eval(&p);
                    pts[i] = p;
                }
            }
        }
    }
    let best = (0..=n)
        .min_by(|&a, &b| vals[a].total_cmp(&vals[b]))
        .unwrap_or(0);
    (pts[best].clone(), vals[best])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
    }

    #[test]
    fn ln_gamma_matches_factorials_and_half() {
        // Γ(n) = (n-1)!, Γ(1/2) = √π.
        assert!(close(ln_gamma(1.0), 0.0, 1e-13));
        assert!(close(ln_gamma(5.0), 24f64.ln(), 1e-13));
        assert!(close(ln_gamma(11.0), 3_628_800f64.ln(), 1e-13));
        assert!(close(ln_gamma(0.5), PI.sqrt().ln(), 1e-13));
        assert!(close(ln_gamma(0.1), 9.513_507_698_668_732f64.ln(), 1e-12));
    }

    #[test]
    fn digamma_and_trigamma_known_values() {
        let euler = 0.577_215_664_901_532_9;
        assert!(close(digamma(1.0), -euler, 1e-12));
        assert!(close(digamma(0.5), -euler - 2.0 * 2f64.ln(), 1e-12));
        assert!(close(digamma(10.0), 2.251_752_589_066_721, 1e-12));
        assert!(close(trigamma(1.0), PI * PI / 6.0, 1e-12));
        assert!(close(trigamma(0.5), PI * PI / 2.0, 1e-12));
    }

    #[test]
    fn chi2_quantiles_match_tables() {
        // Standard table values.
        assert!(close(chi2_quantile(1.0, 0.95), 3.841_458_820_694_124, 1e-9));
        assert!(close(
            chi2_quantile(2.0, 0.975),
            7.377_758_908_227_871,
            1e-9
        ));
        assert!(close(
            chi2_quantile(10.0, 0.025),
            3.246_972_780_236_841,
            1e-9
        ));
        assert!(close(chi2_quantile(20.0, 0.5), 19.337_429_229_428_14, 1e-9));
        // chi2 with 2 dof is exponential with mean 2: closed form.
        assert!(close(chi2_cdf(2.0, 3.0), 1.0 - (-1.5f64).exp(), 1e-13));
    }

    #[test]
    fn garwood_known_cases() {
        // 0 events: upper 95% limit -ln(0.025) = 3.689; 1 event: [0.0253, 5.572].
        let (lo, hi) = garwood_ci(0, 0.05);
        assert_eq!(lo, 0.0);
        assert!(close(hi, -(0.025f64.ln()), 1e-9));
        let (lo, hi) = garwood_ci(1, 0.05);
        assert!(close(lo, -(0.975f64.ln()), 1e-9));
        assert!(close(hi, 5.571_643_390_938_6, 1e-8));
    }

    #[test]
    fn normal_cdf_known_values() {
        assert!(close(normal_cdf(0.0), 0.5, 1e-14));
        assert!(close(normal_cdf(1.959_963_984_540_054), 0.975, 1e-12));
        assert!(close(normal_cdf(-1.0), 0.158_655_253_931_457_05, 1e-12));
    }

    #[test]
    fn kolmogorov_known_values() {
        // Q_KS(1.358) ≈ 0.05, Q_KS(1.628) ≈ 0.01 (asymptotic critical values).
        assert!((kolmogorov_q(1.358_098) - 0.05).abs() < 1e-4);
        assert!((kolmogorov_q(1.627_624) - 0.01).abs() < 1e-4);
    }

    #[test]
    fn nelder_mead_finds_a_quadratic_minimum() {
        let (x, v) = nelder_mead(
            |p| (p[0] - 3.0).powi(2) + 2.0 * (p[1] + 1.0).powi(2),
            &[0.0, 0.0],
            1.0,
            2000,
        );
        assert!(
            (x[0] - 3.0).abs() < 1e-5 && (x[1] + 1.0).abs() < 1e-5,
            "{x:?}"
        );
        assert!(v < 1e-9);
    }
}
