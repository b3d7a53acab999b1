//! Special functions shared by the closure duration laws (their survival and expected
//! remaining duration, `closure`) and the closure fits (`calibrate`): log-gamma and the
//! incomplete gamma function, one implementation each, tested against tabulated values
//! in `calibrate::stats`.

use std::f64::consts::PI;

/// ln Γ(x) for x > 0 (Lanczos approximation, g = 7, 9 terms; relative error < 1e-14).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 - x) = π / sin(π x).
        return (PI / (PI * x).sin()).abs().ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// ln P(a, x), the regularised lower incomplete gamma function, by its series
/// (converges fast for x < a + 1): P = e^{-x} x^a / Γ(a+1) Σ x^n / ((a+1)...(a+n)).
fn ln_lower_series(a: f64, x: f64) -> f64 {
    let mut sum = 1.0 / a;
    let mut term = sum;
    let mut ap = a;
    for _ in 0..10_000 {
        ap += 1.0;
        term *= x / ap;
        sum += term;
        if term.abs() < sum.abs() * 1e-16 {
            break;
        }
    }
    sum.ln() + a * x.ln() - x - ln_gamma(a)
}

/// ln Q(a, x), the regularised upper incomplete gamma function, by its continued
/// fraction (modified Lentz; converges fast for x >= a + 1). In logs, so a far tail
/// does not underflow.
fn ln_upper_fraction(a: f64, x: f64) -> f64 {
    let tiny = 1e-300;
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / tiny;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..10_000 {
        let an = -(i as f64) * (i as f64 - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < tiny {
            d = tiny;
        }
        c = b + an / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-16 {
            break;
        }
    }
    a * x.ln() - x - ln_gamma(a) + h.ln()
}

/// Regularised lower incomplete gamma function P(a, x) = γ(a, x) / Γ(a), a > 0, x >= 0.
pub fn gamma_p(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if !x.is_finite() {
        return 1.0;
    }
    if x < a + 1.0 {
        ln_lower_series(a, x).exp().min(1.0)
    } else {
        (1.0 - ln_upper_fraction(a, x).exp()).max(0.0)
    }
}

/// Regularised upper incomplete gamma Q(a, x) = 1 - P(a, x).
pub fn gamma_q(a: f64, x: f64) -> f64 {
    1.0 - gamma_p(a, x)
}

/// ln Γ(a, x), the (unregularised) upper incomplete gamma function, for a > 0 and
/// x > 0, in logs (it underflows far in the tail otherwise).
pub fn ln_upper_gamma(a: f64, x: f64) -> f64 {
    let ln_q = if x < a + 1.0 {
        (1.0 - ln_lower_series(a, x).exp())
            .max(f64::MIN_POSITIVE)
            .ln()
    } else {
        ln_upper_fraction(a, x)
    };
    ln_gamma(a) + ln_q
}
