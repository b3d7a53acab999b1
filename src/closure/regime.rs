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

/// A chain prepared for fast daily simulation: cumulative transition rows and the
/// distribution of the first day's state.
#[derive(Debug, Clone)]
pub struct RegimeSimulator {
    cumulative: Vec<Vec<f64>>,
    initial: Initial,
    multipliers: Vec<f64>,
}

#[derive(Debug, Clone)]
enum Initial {
    Fixed(usize),
    Drawn(Vec<f64>),
}

impl RegimeSimulator {
    /// Prepare a chain: checks it, and computes its long-run shares when the first
    /// state is drawn from them (`initial = None`).
    pub fn new(chain: &RegimeChain) -> Result<Self, Error> {
        check(chain)?;
        let initial = match chain.initial {
            Some(i) => Initial::Fixed(i),
            None => Initial::Drawn(cumulate(&stationary(chain)?)),
        };
        Ok(Self {
            cumulative: chain.transitions.iter().map(|r| cumulate(r)).collect(),
            initial,
            multipliers: chain.states.iter().map(|s| s.rate_multiplier).collect(),
        })
    }

    /// The rate multiplier of each state.
    pub fn multipliers(&self) -> &[f64] {
        &self.multipliers
    }

    /// The state of each of `days` consecutive days. Draws one uniform number for the
    /// first day when its state is drawn from the long-run shares, then one per later
    /// day for the transition.
    pub fn sample_path(&self, days: u32, rng: &mut ChaCha8Rng) -> Vec<usize> {
        let mut path = Vec::with_capacity(days as usize);
        if days == 0 {
            return path;
        }
        let mut s = match &self.initial {
            Initial::Fixed(i) => *i,
            Initial::Drawn(cum) => pick(cum, rng.random::<f64>()),
        };
        path.push(s);
        for _ in 1..days {
            s = pick(&self.cumulative[s], rng.random::<f64>());
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
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert_eq!(sim.sample_path(5, &mut rng), vec![1, 0, 1, 0, 1]);
    }
}
