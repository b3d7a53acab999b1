"""Sensitivity and uncertainty estimators on arrays (the Rust library's
``chokepoint::uncertainty``): they take numbers and return numbers with their 95%
intervals, and know nothing of scenarios. Tested on the Ishigami and Sobol' G functions
against their analytic indices, and against SALib on the same design.

>>> import numpy as np
>>> from chokepoint import sensitivity as sa
>>> X = sa.saltelli_design(1024, 2, seed=1)            # rows A, B, then each AB_i
>>> y = X[:, 0] + 2 * X[:, 1]
>>> s = sa.sobol_indices(y, n=1024, k=2)
>>> bool(abs(s.loc[1, "ST"] - 0.8) < 0.03)
True
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import pandas as pd

from . import _lib
from ._closures import count

__all__ = ["saltelli_design", "sobol_indices", "chatterjee_xi", "variance_split"]


def saltelli_design(n: int, k: int, seed: int = 0) -> np.ndarray:
    """The points of a Saltelli design on the unit cube, ``n * (k + 2)`` rows of ``k``
    columns: the ``n`` rows of A, the ``n`` rows of B, then for each input ``i`` the rows
    of A with column ``i`` from B. A and B come from an Owen-scrambled Sobol' sequence
    (``seed`` picks the scramble). Scale the columns to each input's range or law."""
    return np.asarray(_lib.saltelli_design(count("n", n), count("k", k), count("seed", seed, minimum=0)))


def sobol_indices(
    y: Sequence[float],
    n: int,
    k: int,
    names: Optional[Sequence[str]] = None,
    resamples: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """First-order (``S1``, Saltelli 2010) and total (``ST``, Jansen 1999) Sobol' indices
    of outputs ``y`` evaluated at :func:`saltelli_design`'s points (in its order), each
    with its 95% bootstrap interval (``resamples`` resamples of the base points). One row
    per input, named by ``names``."""
    first, total, variance = _lib.sobol_indices(
        [float(v) for v in np.asarray(y, dtype=float).ravel()], count("n", n), count("k", k),
        count("resamples", resamples, minimum=0), count("seed", seed, minimum=0),
    )
    rows = [
        {"S1": f[0], "S1_low": f[1], "S1_high": f[2], "ST": t[0], "ST_low": t[1], "ST_high": t[2]}
        for f, t in zip(first, total)
    ]
    out = pd.DataFrame(rows, index=pd.Index(list(names) if names is not None else range(len(rows)), name="input"))
    out.attrs["variance"] = variance
    return out


def chatterjee_xi(x, y: Sequence[float], resamples: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Chatterjee's ξ of ``y`` on each column of ``x`` (a 1-D array, a 2-D array or a
    DataFrame): 0 when ``y`` does not depend on the input, 1 when it is a function of it.
    A given-data index: any draws will do (a study's parameter draws and results). Each
    with its 95% interval (half-sample bootstrap)."""
    frame = x if isinstance(x, pd.DataFrame) else pd.DataFrame(np.asarray(x, dtype=float).reshape(len(y), -1))
    yy = [float(v) for v in np.asarray(y, dtype=float).ravel()]
    rows = {}
    for c in frame.columns:
        est, low, high = _lib.chatterjee_xi(
            [float(v) for v in frame[c]], yy, count("resamples", resamples, minimum=0), count("seed", seed, minimum=0)
        )
        rows[c] = {"xi": est, "xi_low": low, "xi_high": high}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("input")


def variance_split(groups: Sequence[Sequence[float]], resamples: int = 1000, seed: int = 0) -> pd.DataFrame:
    """The law of total variance over parameter draws: ``groups[m]`` are the inner draws
    (e.g. simulated years on common closure draws) of parameter draw ``m``. Rows
    ``between`` (Var E[Y|θ], the parameters', bias-corrected for each draw's finite inner
    sample), ``within`` (E Var(Y|θ), the closure draws') and ``parameter_share``, each with
    its 95% bootstrap interval over the parameter draws."""
    g = [[float(v) for v in grp] for grp in groups]
    b, w, s = _lib.variance_split(g, count("resamples", resamples, minimum=0), count("seed", seed, minimum=0))
    return pd.DataFrame(
        [b, w, s], index=pd.Index(["between", "within", "parameter_share"], name="quantity"),
        columns=["estimate", "low", "high"],
    )
