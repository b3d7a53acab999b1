//! Regime chains: exact long-run shares and mean sojourn times (nalgebra), and daily
//! simulation of a chain's path for the Monte Carlo sampler.
//!
//! A [`RegimeChain`] is a daily Markov chain: `transitions[i][j]` is the probability of
//! being in state `j` tomorrow given state `i` today.
//!
//! ```
//! use chokepoint::closure::{regime, RegimeChain, RegimeState};
//! let chain = RegimeChain {
//!     states: vec![
//!         RegimeState { id: "calm".into(), rate_multiplier: 0.5 },
//!         RegimeState { id: "tense".into(), rate_multiplier: 3.0 },
//!     ],
//!     transitions: vec![vec![0.99, 0.01], vec![0.05, 0.95]],
//!     initial: None,
//! };
//! let pi = regime::stationary(&chain)?;
//! assert!((pi[0] - 5.0 / 6.0).abs() < 1e-12);
//! assert!((regime::mean_sojourn_days(&chain)[1] - 20.0).abs() < 1e-9);
//! # Ok::<(), chokepoint::Error>(())
//! ```

use nalgebra::{DMatrix, DVector};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::RegimeChain;
use crate::Error;

/// Tolerance on a transition row's sum (the scenario format allows 1e-9).
const ROW_SUM_TOL: f64 = 1e-9;

/// Check that a chain is well formed: at least one state, a square matrix of
/// probabilities in [0, 1] whose rows sum to 1, multipliers finite and >= 0, and an
/// initial state that exists.
pub fn check(chain: &RegimeChain) -> Result<(), Error> {
    let n = chain.states.len();
    if n == 0 {
        return Err(Error::Invalid(
            "a regime chain needs at least one state".into(),
        ));
    }
    if chain.transitions.len() != n {
        return Err(Error::Invalid(format!(
            "a regime chain with {n} states needs {n} transition rows, got {}",
            chain.transitions.len()
        )));
    }
    for (i, row) in chain.transitions.iter().enumerate() {
        let id = &chain.states[i].id;
        if row.len() != n {
            return Err(Error::Invalid(format!(
                "regime state {id:?}: transition row has {} entries, expected {n}",
                row.len()
            )));
        }
        if let Some(p) = row
            .iter()
            .find(|p| !p.is_finite() || **p < 0.0 || **p > 1.0)
        {
            return Err(Error::Invalid(format!(
                "regime state {id:?}: transition probability {p} is not in [0, 1]"
            )));
        }
        let s: f64 = row.iter().sum();
        if (s - 1.0).abs() > ROW_SUM_TOL {
            return Err(Error::Invalid(format!(
                "regime state {id:?}: transition probabilities sum to {s}, they must sum to 1"
            )));
        }
    }
    for st in &chain.states {
        if !st.rate_multiplier.is_finite() || st.rate_multiplier < 0.0 {
            return Err(Error::Invalid(format!(
                "regime state {:?}: rate_multiplier must be a finite number >= 0, got {}",
                st.id, st.rate_multiplier
            )));
        }
    }
    if let Some(i) = chain.initial {
        if i >= n {
            return Err(Error::Invalid(format!(
                "regime chain: initial state index {i} out of range (0..{n})"
            )));
        }
    }
    Ok(())
}

/// The chain's exact long-run shares (stationary distribution) `pi`, with
/// `pi P = pi` and `sum(pi) = 1`.
///
/// Solved as one linear system: the equations `(P^T - I) pi = 0` with one of them (they
/// are linearly dependent) replaced by `sum(pi) = 1`. The system has a unique solution
/// exactly when the chain has one closed class; a chain with two or more closed classes
/// (e.g. two absorbing states) has no unique long-run shares and is an error, because
/// then the shares depend on where the chain starts.
pub fn stationary(chain: &RegimeChain) -> Result<Vec<f64>, Error> {
    check(chain)?;
    let n = chain.states.len();
    let p = &chain.transitions;
    // a[i][j] = P[j][i] - delta_ij, last row replaced by ones.
    let a = DMatrix::from_fn(n, n, |i, j| {
        if i == n - 1 {
            1.0
        } else {
            p[j][i] - if i == j { 1.0 } else { 0.0 }
        }
    });
    let mut b = DVector::zeros(n);
    b[n - 1] = 1.0;
    let sv = a.clone().singular_values();
    let max = sv.max();
    let min = sv.min();
    if min.is_nan() || min <= 1e-10 * max.max(1.0) {
        return Err(Error::Invalid(format!(
            "the regime chain ({}) has no unique long-run shares: it has more than one \
             closed class of states (e.g. two absorbing states), so its long-run shares \
             depend on the starting state; make every state reachable from the others",
            chain
                .states
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let x = a.lu().solve(&b).ok_or_else(|| {
        Error::Invalid("the regime chain's long-run shares cannot be computed".into())
    })?;
    // Round-off can leave tiny negative shares for transient states: clamp and renormalise.
    let mut pi: Vec<f64> = x.iter().map(|v| v.max(0.0)).collect();
    let s: f64 = pi.iter().sum();
    for v in &mut pi {
        *v /= s;
    }
    Ok(pi)
}

/// Mean number of consecutive days the chain stays in each state once it is there:
/// `1 / (1 - P_ii)` (a geometric sojourn), `f64::INFINITY` for an absorbing state.
pub fn mean_sojourn_days(chain: &RegimeChain) -> Vec<f64> {
    chain
        .transitions
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let stay = row.get(i).copied().unwrap_or(0.0);
            if stay >= 1.0 {
                f64::INFINITY
            } else {
                1.0 / (1.0 - stay)
            }
        })
        .collect()
}

/// How a regime chain's first simulated day is chosen.
///
/// The default of a Monte Carlo study is [`RegimeStart::Stationary`]: the first day's
/// state is drawn from the chain's long-run shares, so every simulated year is an
/// average year (the chain is in its long run from the first day on, and the mean onset
/// rate over the year is the long-run one). [`RegimeStart::State`] starts every year in
/// one state: a year conditioned on how it begins (e.g. a replay of a year that began in
/// a crisis), whose mean rate differs from the long-run one until the chain forgets its
/// start (see [`mean_multiplier`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegimeStart {
    /// Drawn from the long-run shares (an average year).
    Stationary,
    /// This state (an index into the chain's states).
    State(usize),
}

impl RegimeStart {
    /// The start a chain's `initial` field gives (`None` = stationary).
    pub fn of(chain: &RegimeChain) -> RegimeStart {
        chain
            .initial
            .map_or(RegimeStart::Stationary, RegimeStart::State)
    }

    /// `stationary` or the state's id, for messages and manifests.
    pub fn name(self, chain: &RegimeChain) -> String {
        match self {
            RegimeStart::Stationary => "stationary".into(),
            RegimeStart::State(i) => chain
                .states
                .get(i)
                .map_or_else(|| format!("state {i}"), |s| s.id.clone()),
        }
    }
}

/// The expected rate multiplier averaged over the first `days` days of a chain started
/// as `start`: `(1/days) sum_t (pi_0 P^t) m`, exactly (no simulation). With
/// [`RegimeStart::Stationary`] it is the long-run mean multiplier for any `days`.
///
/// ```
/// use chokepoint::closure::{regime, RegimeChain, RegimeStart, RegimeState};
/// let chain = RegimeChain {
///     states: vec![
///         RegimeState { id: "calm".into(), rate_multiplier: 0.5 },
///         RegimeState { id: "tense".into(), rate_multiplier: 2.0 },
///     ],
///     transitions: vec![vec![0.99, 0.01], vec![0.01, 0.99]],
///     initial: None,
/// };
/// let long_run = regime::mean_multiplier(&chain, RegimeStart::Stationary, 365)?;
/// assert!((long_run - 1.25).abs() < 1e-9);
/// let tense = regime::mean_multiplier(&chain, RegimeStart::State(1), 365)?;
/// assert!(tense > long_run && tense < 2.0);
/// # Ok::<(), chokepoint::Error>(())
/// ```
pub fn mean_multiplier(chain: &RegimeChain, start: RegimeStart, days: u32) -> Result<f64, Error> {
    check(chain)?;
    let n = chain.states.len();
    let m: Vec<f64> = chain.states.iter().map(|s| s.rate_multiplier).collect();
    let mut dist = match start {
        RegimeStart::Stationary => stationary(chain)?,
        RegimeStart::State(i) if i < n => {
            let mut v = vec![0.0; n];
            v[i] = 1.0;
            v
        }
        RegimeStart::State(i) => {
            return Err(Error::Invalid(format!(
                "regime start: state index {i} out of range (0..{n})"
            )))
        }
    };
    let days = days.max(1);
    let mut total = 0.0;
    for _ in 0..days {
        total += dist.iter().zip(&m).map(|(p, x)| p * x).sum::<f64>();
        let mut next = vec![0.0; n];
        for (i, p) in dist.iter().enumerate() {
            for (j, q) in chain.transitions[i].iter().enumerate() {
                next[j] += p * q;
            }
        }
        dist = next;
    }
    Ok(total / f64::from(days))
}

/// A chain prepared for fast daily simulation: cumulative transition rows and the
/// distribution of the first day's state.
#[derive(Debug, Clone)]
pub struct RegimeSimulator {
    cumulative: Vec<Vec<f64>>,
    /// Cumulative long-run shares.
    stationary: Vec<f64>,
    start: RegimeStart,
    multipliers: Vec<f64>,
}

impl RegimeSimulator {
    /// Prepare a chain: checks it and computes its long-run shares. It starts as the
    /// chain's `initial` says ([`RegimeStart::of`]).
    pub fn new(chain: &RegimeChain) -> Result<Self, Error> {
        check(chain)?;
        Ok(Self {
            cumulative: chain.transitions.iter().map(|r| cumulate(r)).collect(),
            stationary: cumulate(&stationary(chain)?),
            start: RegimeStart::of(chain),
            multipliers: chain.states.iter().map(|s| s.rate_multiplier).collect(),
        })
    }

    /// The same chain started as `start`. Errors on a state out of range.
    pub fn with_start(mut self, start: RegimeStart) -> Result<Self, Error> {
        if let RegimeStart::State(i) = start {
            if i >= self.multipliers.len() {
                return Err(Error::Invalid(format!(
                    "regime start: state index {i} out of range (0..{})",
                    self.multipliers.len()
                )));
            }
        }
        self.start = start;
        Ok(self)
    }

    /// How the first day's state is chosen.
    pub fn start(&self) -> RegimeStart {
        self.start
    }

    /// The rate multiplier of each state.
    pub fn multipliers(&self) -> &[f64] {
        &self.multipliers
    }

    /// The state of each of `days` consecutive days. Draws one uniform number from
    /// `initial` for the first day when its state is drawn from the long-run shares,
    /// then one from `transitions` per later day (two streams, so that a fixed and a
    /// drawn start use the same transition draws).
    pub fn sample_path(
        &self,
        days: u32,
        initial: &mut ChaCha8Rng,
        transitions: &mut ChaCha8Rng,
    ) -> Vec<usize> {
        let mut path = Vec::with_capacity(days as usize);
        if days == 0 {
            return path;
        }
        let mut s = match self.start {
            RegimeStart::State(i) => i,
            RegimeStart::Stationary => pick(&self.stationary, initial.random::<f64>()),
        };
        path.push(s);
        for _ in 1..days {
            s = pick(&self.cumulative[s], transitions.random::<f64>());
            path.push(s);
        }
        path
    }
}

/// Running sums of a probability vector, the last one forced to exactly 1.
fn cumulate(p: &[f64]) -> Vec<f64> {
    let mut acc = 0.0;
    let mut c: Vec<f64> = p
        .iter()
        .map(|v| {
            acc += v;
            acc
        })
        .collect();
    // Make sure a uniform draw in [0, 1) always lands: the last state with a positive
    // probability takes everything up to 1.
    if let Some(last) = p.iter().rposition(|v| *v > 0.0) {
        for v in c.iter_mut().skip(last) {
            *v = 1.0;
        }
    }
    c
}

/// The first index whose cumulative probability exceeds `u` (u in [0, 1)).
fn pick(cum: &[f64], u: f64) -> usize {
    cum.iter()
        .position(|c| u < *c)
        .unwrap_or(cum.len().saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::closure::RegimeState;
    use rand::SeedableRng;

    fn chain(p: Vec<Vec<f64>>) -> RegimeChain {
        RegimeChain {
            states: (0..p.len())
                .map(|i| RegimeState {
                    id: format!("s{i}"),
                    rate_multiplier: 1.0 + i as f64,
                })
                .collect(),
            transitions: p,
            initial: None,
        }
    }

    #[test]
    fn two_state_closed_form() {
        // pi_0 = b / (a + b) for P = [[1-a, a], [b, 1-b]].
        let (a, b) = (0.02, 0.1);
        let c = chain(vec![vec![1.0 - a, a], vec![b, 1.0 - b]]);
        let pi = stationary(&c).unwrap();
        assert!((pi[0] - b / (a + b)).abs() < 1e-12);
        assert!((pi[1] - a / (a + b)).abs() < 1e-12);
        let m = mean_sojourn_days(&c);
        assert!((m[0] - 50.0).abs() < 1e-9 && (m[1] - 10.0).abs() < 1e-9);
    }

    #[test]
    fn three_state_satisfies_balance() {
        let c = chain(vec![
            vec![0.9, 0.08, 0.02],
            vec![0.1, 0.8, 0.1],
            vec![0.05, 0.15, 0.8],
        ]);
        let pi = stationary(&c).unwrap();
        for j in 0..3 {
            let v: f64 = (0..3).map(|i| pi[i] * c.transitions[i][j]).sum();
            assert!((v - pi[j]).abs() < 1e-12);
        }
        assert!((pi.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn transient_state_gets_zero_share() {
        // State 0 leaks into the closed class {1, 2} and is never re-entered.
        let c = chain(vec![
            vec![0.5, 0.5, 0.0],
            vec![0.0, 0.9, 0.1],
            vec![0.0, 0.2, 0.8],
        ]);
        let pi = stationary(&c).unwrap();
        assert_eq!(pi[0], 0.0);
        assert!((pi[1] - 2.0 / 3.0).abs() < 1e-12);
        assert!(mean_sojourn_days(&c)[0] == 2.0);
    }

    #[test]
    fn two_absorbing_states_is_an_error() {
        let c = chain(vec![
            vec![1.0, 0.0, 0.0],
            vec![0.3, 0.4, 0.3],
            vec![0.0, 0.0, 1.0],
        ]);
        let e = stationary(&c).unwrap_err().to_string();
        assert!(e.contains("no unique long-run shares"), "{e}");
        assert_eq!(mean_sojourn_days(&c)[0], f64::INFINITY);
    }

    #[test]
    fn bad_rows_are_errors() {
        assert!(stationary(&chain(vec![vec![0.5, 0.6], vec![0.5, 0.5]])).is_err());
        assert!(stationary(&chain(vec![vec![1.0], vec![1.0]])).is_err());
        assert!(stationary(&chain(vec![])).is_err());
    }

    #[test]
    fn single_state() {
        assert_eq!(stationary(&chain(vec![vec![1.0]])).unwrap(), vec![1.0]);
    }

    #[test]
    fn fixed_initial_state_starts_the_path() {
        let mut c = chain(vec![vec![0.0, 1.0], vec![1.0, 0.0]]);
        c.initial = Some(1);
        let sim = RegimeSimulator::new(&c).unwrap();
        let mut a = ChaCha8Rng::seed_from_u64(1);
        let mut b = ChaCha8Rng::seed_from_u64(2);
        assert_eq!(sim.sample_path(5, &mut a, &mut b), vec![1, 0, 1, 0, 1]);
        let sim = sim.with_start(RegimeStart::State(0)).unwrap();
        assert_eq!(sim.sample_path(3, &mut a, &mut b), vec![0, 1, 0]);
        assert!(RegimeSimulator::new(&c)
            .unwrap()
            .with_start(RegimeStart::State(2))
            .is_err());
    }

    #[test]
    fn mean_multiplier_from_a_state_matches_the_two_state_closed_form() {
        // P = [[1-a, a], [b, 1-b]]: P(state 1 on day t | state 1 on day 0)
        // = pi_1 + (1 - pi_1) (1 - a - b)^t.
        let (a, b) = (0.002, 0.004);
        let mut c = chain(vec![vec![1.0 - a, a], vec![b, 1.0 - b]]);
        c.states[0].rate_multiplier = 0.625;
        c.states[1].rate_multiplier = 1.75;
        let pi1 = a / (a + b);
        let days = 366;
        let lambda: f64 = 1.0 - a - b;
        let mut expect = 0.0;
        for t in 0..days {
            let p1 = pi1 + (1.0 - pi1) * lambda.powi(t);
            expect += 0.625 * (1.0 - p1) + 1.75 * p1;
        }
        expect /= f64::from(days);
        let got = mean_multiplier(&c, RegimeStart::State(1), days as u32).unwrap();
        assert!((got - expect).abs() < 1e-12, "{got} vs {expect}");
        let lr = mean_multiplier(&c, RegimeStart::Stationary, days as u32).unwrap();
        assert!((lr - 1.0).abs() < 1e-12, "{lr}");
        assert!(mean_multiplier(&c, RegimeStart::State(5), 10).is_err());
    }
}
