"""chokepoint.sensitivity: the estimators against analytic indices and against SALib on
the same design."""

from __future__ import annotations

import numpy as np
import pytest

import chokepoint as cp
from chokepoint import sensitivity as sa


def ishigami(x: np.ndarray) -> np.ndarray:
    u = -np.pi + 2 * np.pi * x
    return np.sin(u[:, 0]) + 7 * np.sin(u[:, 1]) ** 2 + 0.1 * u[:, 2] ** 4 * np.sin(u[:, 0])


def ishigami_truth():
    a, b = 7.0, 0.1
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a * a / 8
    v13 = b * b * np.pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0]) / v, np.array([v1 + v13, v2, v13]) / v


def test_sobol_indices_of_ishigami():
    n = 4096
    X = sa.saltelli_design(n, 3, seed=2)
    assert X.shape == (n * 5, 3) and X.min() >= 0 and X.max() < 1
    s = sa.sobol_indices(ishigami(X), n, 3, names=["x1", "x2", "x3"], resamples=300)
    first, total = ishigami_truth()
    assert np.allclose(s["S1"], first, atol=0.03) and np.allclose(s["ST"], total, atol=0.03)
    assert ((s["S1_low"] <= s["S1"]) & (s["S1"] <= s["S1_high"])).all()


def test_agrees_with_salib_on_the_same_design():
    salib = pytest.importorskip("SALib")
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[0, 1]] * 3}
    n, k = 1024, 3
    X = sample.sample(problem, n, calc_second_order=False, seed=3)
    Y = ishigami(X)
    theirs = analyze.analyze(problem, Y, calc_second_order=False, num_resamples=200, seed=3)
    # SALib lays each base point's rows out as A, AB_1..AB_k, B; chokepoint as A, B, AB_i.
    step = k + 2
    ours_order = np.concatenate([Y[0::step], Y[step - 1 :: step]] + [Y[1 + i :: step] for i in range(k)])
    ours = sa.sobol_indices(ours_order, n, k, resamples=200)
    # The total index (Jansen) is the same formula; the first order differs only by the
    # constant the output is centred on (SALib: the mean of every row; chokepoint: of A and B).
    assert np.allclose(ours["ST"], theirs["ST"], atol=1e-12)
    assert np.allclose(ours["S1"], theirs["S1"], atol=2e-3)


def test_chatterjee_and_variance_split():
    rng = np.random.default_rng(1)
    x = rng.random((2000, 2))
    y = np.sin(6 * x[:, 0])                 # a function of x0, independent of x1
    xi = sa.chatterjee_xi(x, y, resamples=200)
    # x0: y is a function of it; x1: independent, xi near 0 (its sd is sqrt(2 / 5n) = 0.014;
    # the intervals' coverage is tested over 200 studies in the Rust library's tests).
    assert xi.loc[0, "xi"] > 0.98 and abs(xi.loc[1, "xi"]) < 0.06
    assert xi.loc[1, "xi_high"] < xi.loc[0, "xi_low"]
    theta = rng.normal(0, 2, 300)
    groups = [t + rng.normal(0, 3, 20) for t in theta]
    split = sa.variance_split(groups, resamples=300)
    row = split.loc["parameter_share"]
    assert row["low"] <= 4 / 13 <= row["high"]


def test_bad_input_is_chokepoints_error():
    with pytest.raises(cp.ChokepointError):
        sa.sobol_indices(np.ones(10), 2, 3)
    with pytest.raises(cp.InvalidArgumentError):
        sa.saltelli_design(0, 3)
