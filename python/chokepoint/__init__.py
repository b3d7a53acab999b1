"""chokepoint: simulate how closures of trade corridors disrupt a country's trade, and
what they cost. Python bindings of the Rust library; results are pandas frames in the
CLI's long layout, units in column names (t, USD, days).

>>> import chokepoint as cp
>>> s = cp.Scenario.load("scenarios/afghanistan/base.toml")
>>> r = cp.run(s, closures=["torkham:2024-09-01+14"], fixed_closures=False)
>>> r.totals["total_loss_usd"]                                   # doctest: +SKIP
>>> mc = cp.montecarlo(s, runs=200, seed=1, fixed_closures=False)
>>> mc.losses.describe()                                        # doctest: +SKIP
"""

from __future__ import annotations

import os
import warnings as _warnings
from typing import Optional, Sequence

from . import _lib
from ._progress import Bar as _Bar
from ._progress import options
from .errors import (
    ChokepointError,
    Diagnostic,
    FolderInUseError,
    InvalidArgumentError,
    OutputError,
    ParameterError,
    ScenarioError,
    ScenarioWarning,
    SimulationError,
)
from .results import MonteCarloResult, RunResult
from .scenario import Scenario

__version__ = _lib.version()

__all__ = [
    "Scenario",
    "run",
    "montecarlo",
    "RunResult",
    "MonteCarloResult",
    "options",
    "ChokepointError",
    "Diagnostic",
    "FolderInUseError",
    "InvalidArgumentError",
    "OutputError",
    "ParameterError",
    "ScenarioError",
    "ScenarioWarning",
    "SimulationError",
]


def _scenario(scenario) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, (str, os.PathLike)):
        return Scenario.load(scenario)
    raise TypeError(f"expected a chokepoint.Scenario or a path, got {type(scenario).__name__}")


def _warn(messages) -> None:
    for m in messages:
        _warnings.warn(m, UserWarning, stacklevel=3)


def run(
    scenario,
    closures: Sequence[str] = (),
    *,
    fixed_closures: bool = True,
    start: Optional[str] = None,
    days: Optional[int] = None,
) -> RunResult:
    """One deterministic run, as ``chokepoint run``: the scenario's own fixed closures
    (unless ``fixed_closures=False``, the CLI's ``--no-fixed-closures``) plus
    ``closures``, each ``ID:FROM..TO`` (TO = reopening date) or ``ID:FROM+DAYS`` with
    an optional ``@FACTOR`` (0 = shut), e.g. ``"torkham:2024-09-01+14"``. ``start``
    (``YYYY-MM-DD``) and ``days`` move the simulated window. The GIL is released while
    it runs.

    Returns a :class:`RunResult` whose ``metrics`` and ``daily`` frames are the CLI's
    ``run.csv`` and ``daily.csv``.
    """
    s = _scenario(scenario)
    files, summary, found = _lib.run(s._raw, [str(c) for c in closures], fixed_closures, start, days)
    _warn(found)
    return RunResult(files, found, summary)


def montecarlo(
    scenario,
    runs: int = 1000,
    seed: int = 0,
    *,
    threads: Optional[int] = None,
    closures: Sequence[str] = (),
    fixed_closures: bool = True,
    start: Optional[str] = None,
    days: Optional[int] = None,
    target_rel_error: Optional[float] = None,
    batch_size: int = 100,
    fixed_draws: bool = False,
    progress: Optional[bool] = None,
) -> MonteCarloResult:
    """A Monte Carlo study, as ``chokepoint montecarlo``: ``runs`` simulated windows
    (years), run ``i`` drawing its random closures from stream ``i`` of ``seed``, so the
    result depends on (scenario, seed, runs) only, never on ``threads`` (default: all
    cores). Every run also has the fixed closures (the scenario's own unless
    ``fixed_closures=False``, plus ``closures``). With ``target_rel_error`` it stops
    once the relative standard error of the mean total loss is at most that (checked
    every ``batch_size`` runs).

    The runs go on without the GIL; a tqdm bar shows progress unless ``progress=False``
    (or ``chokepoint.options.progress = False``); Ctrl-C stops it between runs.
    Common random numbers: two calls with the same seed simulate the same closures
    whatever changed in the scenario outside its closure processes (capacities,
    reaction days, costs). With ``fixed_draws=True`` they stay paired across the closure
    processes' own parameters too: every day and process takes the same random numbers
    whether or not a closure starts, so a higher rate only adds closures and a longer
    mean duration lengthens each one (for sensitivity studies; the closures differ from
    the CLI's for the same seed, and the manifest's ``montecarlo.rng`` says so).
    """
    s = _scenario(scenario)
    if threads is None:
        threads = os.cpu_count() or 1
    with _Bar("Monte Carlo", "run", progress) as callback:
        files, found = _lib.montecarlo(
            s._raw,
            int(runs),
            int(seed),
            int(threads),
            [str(c) for c in closures],
            fixed_closures,
            start,
            days,
            target_rel_error,
            int(batch_size),
            bool(fixed_draws),
            callback,
        )
    _warn(found)
    return MonteCarloResult(files, found)
