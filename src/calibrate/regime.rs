//! A two-state regime chain (calm / tense) fitted to daily closure onsets: a Markov-
//! modulated Poisson process, by maximum likelihood (forward algorithm, Nelder–Mead over
//! log-rates and logit transition probabilities), compared with a constant rate by a
//! likelihood-ratio statistic and AIC.

use super::stats::{chi2_cdf, ln_gamma, nelder_mead};

/// A fitted two-state chain.
#[derive(Debug, Clone, PartialEq)]
pub struct RegimeFit {
    /// Days observed.
    pub days: usize,
    /// Onsets observed.
    pub onsets: usize,
    /// Onset rate per day in the calm and the tense state.
    pub rate_per_day: [f64; 2],
    /// Daily probability of leaving each state (calm -> tense, tense -> calm).
    pub leave_per_day: [f64; 2],
    /// Long-run share of each state.
    pub share: [f64; 2],
    /// Rate multipliers relative to the long-run mean rate (their share-weighted mean is 1).
    pub multiplier: [f64; 2],
    /// Maximised log-likelihood of the two-state model.
    pub log_likelihood: f64,
    /// Log-likelihood of a constant rate.
    pub log_likelihood_constant: f64,
    /// Likelihood-ratio statistic 2 (lnL1 - lnL0).
    pub lr: f64,
    /// A rough p-value from chi-square with 3 degrees of freedom (the null sits on the
    /// boundary and leaves parameters unidentified, so treat it as indicative only).
    pub p_rough: f64,
    /// AIC of the two-state model (4 parameters) minus that of the constant rate (1).
    pub delta_aic: f64,
}

fn ln_poisson(k: u32, lambda: f64) -> f64 {
    -lambda + f64::from(k) * lambda.ln() - ln_gamma(f64::from(k) + 1.0)
}

/// Log-likelihood of daily counts under a two-state chain started from its long-run shares.
pub fn log_likelihood(counts: &[u32], rate: [f64; 2], leave: [f64; 2]) -> f64 {
    let (a, b) = (leave[0], leave[1]);
    if !(a > 0.0 && b > 0.0 && a < 1.0 && b < 1.0 && rate[0] > 0.0 && rate[1] > 0.0) {
        return f64::NEG_INFINITY;
    }
    let mut alpha = [b / (a + b), a / (a + b)];
    let zero = [(-rate[0]).exp(), (-rate[1]).exp()]; // P(no onset) per state
    let mut ll = 0.0;
    for (t, &k) in counts.iter().enumerate() {
        if t > 0 {
            alpha = [
                alpha[0] * (1.0 - a) + alpha[1] * b,
                alpha[0] * a + alpha[1] * (1.0 - b),
            ];
        }
        let e = if k == 0 {
            zero
        } else {
            [ln_poisson(k, rate[0]).exp(), ln_poisson(k, rate[1]).exp()]
        };
        alpha = [alpha[0] * e[0], alpha[1] * e[1]];
        let s = alpha[0] + alpha[1];
        if s <= 0.0 || !s.is_finite() {
            return f64::NEG_INFINITY;
        }
        ll += s.ln();
        alpha = [alpha[0] / s, alpha[1] / s];
    }
    ll
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Fit the chain to daily onset counts (`counts[d]` = onsets on day d). `None` with no
/// onset at all or fewer than two days.
pub fn fit(counts: &[u32]) -> Option<RegimeFit> {
    let n: u32 = counts.iter().sum();
    let t = counts.len();
    if n == 0 || t < 2 {
        return None;
    }
    let l0 = f64::from(n) / t as f64;
    let ll0: f64 = counts.iter().map(|&k| ln_poisson(k, l0)).sum();
    let nll = |p: &[f64]| {
        let rate = [p[0].exp(), p[1].exp()];
        let leave = [logistic(p[2]), logistic(p[3])];
        -log_likelihood(counts, rate, leave)
    };
    // Several starts: contrasts 3x and 10x, sojourns of 1 month to 2 years.
    let mut best: Option<(Vec<f64>, f64)> = None;
    for &(lo, hi) in &[(0.5, 2.0), (0.3, 3.0), (0.1, 5.0)] {
        for &(sa, sb) in &[(365.0f64, 180.0f64), (730.0, 365.0), (180.0, 30.0)] {
            let x0 = [
                (l0 * lo).ln(),
                (l0 * hi).ln(),
                -(sa - 1.0f64).ln(),
                -(sb - 1.0f64).ln(),
            ];
            let r = nelder_mead(nll, &x0, 0.5, 3000);
            if best.as_ref().is_none_or(|b| r.1 < b.1) {
                best = Some(r);
            }
        }
    }
    let (p, v) = best?;
    let (mut rate, mut leave) = ([p[0].exp(), p[1].exp()], [logistic(p[2]), logistic(p[3])]);
    if rate[0] > rate[1] {
        rate.swap(0, 1);
        leave.swap(0, 1);
    }
    let ll1 = -v;
    let share = [
        leave[1] / (leave[0] + leave[1]),
        leave[0] / (leave[0] + leave[1]),
    ];
    let mean = share[0] * rate[0] + share[1] * rate[1];
    let lr = (2.0 * (ll1 - ll0)).max(0.0);
    Some(RegimeFit {
        days: t,
        onsets: n as usize,
        rate_per_day: rate,
        leave_per_day: leave,
        share,
        multiplier: [rate[0] / mean, rate[1] / mean],
        log_likelihood: ll1,
        log_likelihood_constant: ll0,
        lr,
        p_rough: 1.0 - chi2_cdf(3.0, lr),
        delta_aic: (2.0 * 4.0 - 2.0 * ll1) - (2.0 - 2.0 * ll0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, Poisson};

    fn simulate(rng: &mut ChaCha8Rng, days: usize, rate: [f64; 2], leave: [f64; 2]) -> Vec<u32> {
        let mut s = 0usize;
        (0..days)
            .map(|_| {
                if rng.random::<f64>() < leave[s] {
                    s = 1 - s;
                }
                Poisson::new(rate[s]).unwrap().sample(rng) as u32
            })
            .collect()
    }

    #[test]
    fn one_state_likelihood_is_the_poisson_likelihood() {
        // Equal rates: the chain is irrelevant, lnL = sum of Poisson log-pmfs (closed form).
        let counts = [0, 1, 0, 0, 2, 0];
        let ll = log_likelihood(&counts, [0.5, 0.5], [0.1, 0.2]);
        let direct: f64 = counts.iter().map(|&k| ln_poisson(k, 0.5)).sum();
        assert!((ll - direct).abs() < 1e-12);
        // 6 days, 3 events at rate 0.5: -3 + 3 ln 0.5 - ln 2.
        assert!((direct - (-3.0 + 3.0 * 0.5f64.ln() - 2f64.ln())).abs() < 1e-12);
    }

    #[test]
    fn recovers_a_strongly_modulated_process() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        // calm: 1 onset per 100 days; tense: 1 per 4 days; sojourns 150 and 75 days.
        let rate = [0.01, 0.25];
        let leave = [1.0 / 150.0, 1.0 / 75.0];
        let counts = simulate(&mut rng, 5000, rate, leave);
        let f = fit(&counts).unwrap();
        // ~45 regime switches and ~450 onsets: the tense rate to ~25% (SE ~ 1/sqrt(420)
        // plus misclassified days), the calm rate to ~60% (~30 onsets), sojourns within
        // 2x (~22 sojourns of each state: SE ~ 1/sqrt(22) = 21%, plus boundary effects).
        assert!((f.rate_per_day[1] / 0.25 - 1.0).abs() < 0.25, "{f:?}");
        assert!((f.rate_per_day[0] / 0.01 - 1.0).abs() < 0.6, "{f:?}");
        let sojourn = [1.0 / f.leave_per_day[0], 1.0 / f.leave_per_day[1]];
        assert!(sojourn[0] > 75.0 && sojourn[0] < 300.0, "{sojourn:?}");
        assert!(sojourn[1] > 37.0 && sojourn[1] < 150.0, "{sojourn:?}");
        assert!(f.lr > 50.0 && f.delta_aic < 0.0);
        // Multipliers average to 1 over the long-run shares.
        let m = f.share[0] * f.multiplier[0] + f.share[1] * f.multiplier[1];
        assert!((m - 1.0).abs() < 1e-12);
    }

    #[test]
    fn a_constant_rate_is_not_mistaken_for_regimes() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let counts = simulate(&mut rng, 4000, [0.02, 0.02], [0.01, 0.01]);
        let f = fit(&counts).unwrap();
        // No evidence for regimes: LR below the chi-square(3) 0.999 quantile (16.27).
        assert!(f.lr < 16.27, "{f:?}");
    }
}
