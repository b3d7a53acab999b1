"""chokepoint: simulate how closures of trade corridors disrupt a country's trade, and
what they cost. Python bindings of the Rust library; results are pandas frames in the
CLI's long layout, units in column names (t, USD, days).

>>> import chokepoint as cp
>>> s = cp.Scenario.load("scenarios/afghanistan/base.toml")
>>> r = cp.run(s, closures=["torkham:2024-09-01+14"], fixed_closures=False)
>>> r.totals["total_loss_usd"]                                   # doctest: +SKIP
>>> mc = cp.montecarlo(s, runs=200, seed=1, fixed_closures=False)
>>> mc.losses.describe()                                        # doctest: +SKIP
>>> c = cp.compare(s, ["scenarios/afghanistan/options/chabahar.toml"], runs=200, seed=1)
>>> c.benefit_cost[["option", "avoided_loss_usd_per_year", "npv_usd"]]  # doctest: +SKIP
>>> k = cp.criticality(s, duration_days=30)
>>> k.sets.head()                                               # doctest: +SKIP
"""

from __future__ import annotations

import os
import warnings as _warnings
from typing import Any, Optional, Sequence

from . import _closures, _lib
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
from .results import (
    CompareResult,
    CriticalityResult,
    MonteCarloResult,
    RunResult,
    UncertaintyResult,
)
from .scenario import Scenario

__version__ = _lib.version()

__all__ = [
    "Scenario",
    "run",
    "montecarlo",
    "compare",
    "criticality",
    "uncertainty",
    "metrics",
    "RunResult",
    "MonteCarloResult",
    "CompareResult",
    "CriticalityResult",
    "UncertaintyResult",
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


def metrics():
    """The metric table, one row per whole-run metric: ``metric`` (its column, or
    ``metric`` value, in every file that reports it), ``unit``, ``description``, and for
    each study (``run``, ``montecarlo``, ``compare``, ``criticality``, ``controlled``) the
    metric's position among that study's metrics, empty where it does not report it.
    The library's own table (``chokepoint::study::metrics``), so it is what the files
    hold."""
    import pandas as pd

    frame = pd.DataFrame(_lib.metric_table())
    for study in ("run", "montecarlo", "compare", "criticality", "controlled"):
        frame[study] = frame[study].astype("Int64")
    return frame


def _scenario(scenario) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, (str, os.PathLike)):
        return Scenario.load(scenario)
    raise TypeError(f"expected a chokepoint.Scenario or a path, got {type(scenario).__name__}")


def _counts(runs, seed, threads, days):
    """The counts every study takes, validated: whole numbers, runs and threads >= 1,
    seed >= 0; threads default to the machine's cores; days (the window) None or >= 1."""
    threads = (os.cpu_count() or 1) if threads is None else _closures.count("threads", threads)
    return (
        _closures.count("runs", runs),
        _closures.count("seed", seed, minimum=0),
        threads,
        None if days is None else _closures.count("days", days),
    )


def _warn(messages) -> None:
    for m in messages:
        _warnings.warn(m, UserWarning, stacklevel=3)


def run(
    scenario,
    closures: Any = (),
    *,
    fixed_closures: bool = True,
    start: Optional[str] = None,
    days: Optional[int] = None,
    progress: Optional[bool] = None,
) -> RunResult:
    """One deterministic run, as ``chokepoint run``: the scenario's own fixed closures
    (unless ``fixed_closures=False``, the CLI's ``--no-fixed-closures``) plus
    ``closures``, each ``ID:FROM..TO`` (TO = reopening date) or ``ID:FROM+DAYS`` with
    an optional ``@FACTOR`` (0 = shut), e.g. ``"torkham:2024-09-01+14"``, or closures
    as data: tuples ``(corridor, start, days[, factor])``, dicts, a DataFrame or the
    path of a CSV file with columns ``corridor, start, days | end, factor`` (dates as
    strings, ``datetime.date`` or ``pandas.Timestamp``). ``start`` (``YYYY-MM-DD``) and
    ``days`` move the simulated window. The GIL is released while it runs; one run
    shows no progress bar (``progress`` is accepted like the longer calls').

    Returns a :class:`RunResult` whose ``metrics`` and ``daily`` frames are the CLI's
    ``run.csv`` and ``daily.csv``.
    """
    s = _scenario(scenario)
    days = None if days is None else _closures.count("days", days)
    files, summary, found = _lib.run(s._raw, _closures.specs(s._raw, closures), fixed_closures, start, days)
    _warn(found)
    return RunResult(files, found, summary)


def montecarlo(
    scenario,
    runs: int = _lib.DEFAULT_RUNS,
    seed: int = _lib.DEFAULT_SEED,
    *,
    threads: Optional[int] = None,
    closures: Any = (),
    fixed_closures: bool = True,
    start: Optional[str] = None,
    days: Optional[int] = None,
    target_rel_error: Optional[float] = None,
    batch_size: int = _lib.DEFAULT_BATCH_SIZE,
    fixed_draws: bool = False,
    progress: Optional[bool] = None,
    controls: bool = True,
    control_draws: Optional[int] = None,
) -> MonteCarloResult:
    """A Monte Carlo study, as ``chokepoint montecarlo``: ``runs`` simulated windows
    (years), run ``i`` drawing its random closures from stream ``i`` of ``seed``, so the
    result depends on (scenario, seed, runs) only, never on ``threads`` (default: all
    cores). Every run also has the fixed closures (the scenario's own unless
    ``fixed_closures=False``, plus ``closures``, in any form :func:`run` takes). With ``target_rel_error`` it stops
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

    With ``controls`` (the default, as the CLI's; ``controls=False`` is its
    ``--no-controls``) the means are also estimated with control variates, features of
    each run's closure plan whose means come from ``control_draws`` cheap plan draws
    (default 50 per run, at least 50,000): ``controlled.csv`` and ``controls.csv``, the
    result's ``controlled`` and ``controls``, with the variance reduction factor and the
    effective number of runs. Not with ``fixed_draws`` (its plans are not the
    sampler's), nor without random closures (a warning says so).
    """
    s = _scenario(scenario)
    runs, seed, threads, days = _counts(runs, seed, threads, days)
    batch_size = _closures.count("batch_size", batch_size)
    with _Bar("Monte Carlo", "run", progress) as callback:
        files, found = _lib.montecarlo(
            s._raw,
            runs,
            seed,
            threads,
            _closures.specs(s._raw, closures),
            fixed_closures,
            start,
            days,
            target_rel_error,
            batch_size,
            bool(fixed_draws),
            callback,
            bool(controls),
            None if control_draws is None else _closures.count("control_draws", control_draws, minimum=2),
        )
    _warn(found)
    return MonteCarloResult(files, found)


def compare(
    base,
    options: Sequence,
    runs: int = _lib.DEFAULT_RUNS,
    seed: int = _lib.DEFAULT_SEED,
    *,
    threads: Optional[int] = None,
    closures: Any = (),
    fixed_closures: bool = True,
    start: Optional[str] = None,
    days: Optional[int] = None,
    futures=None,
    threshold_usd: Optional[float] = None,
    bootstrap: int = _lib.DEFAULT_COMPARE_BOOTSTRAP,
    regime_start: Optional[str] = None,
    progress: Optional[bool] = None,
    controls: bool = True,
    control_draws: Optional[int] = None,
) -> CompareResult:
    """Compare options against a base on common random numbers, as ``chokepoint
    compare``: ``runs`` simulated years of the base and of every option (option files,
    as paths or loaded :class:`Scenario` objects of that base), run ``i`` of each drawing
    the same closures of the base's processes, so each run gives a paired difference.
    The result depends on (scenarios, seed, runs) only, never on ``threads``.

    ``closures`` (any form :func:`run` takes), ``fixed_closures``, ``start``, ``days`` and ``regime_start``
    (``"stationary"`` or a state id) are as for :func:`montecarlo` and apply to every
    candidate; ``futures`` is a futures file (TOML) to run every option in every future,
    with regret; ``threshold_usd`` a satisficing threshold on annual total loss (USD);
    ``bootstrap`` the resamples of the tail intervals and the ranking's stability.
    Overrides of ``base`` (:meth:`Scenario.with_changes`) apply to every option too; an
    option may have none of its own.

    The runs go on without the GIL, with a tqdm bar unless ``progress=False``; Ctrl-C
    stops them between runs. Returns a :class:`CompareResult` (``benefit_cost``,
    ``differences``, ``wins``, ``best``, ``tail``, ... in USD and USD/year).

    With ``controls`` (the default, as the CLI's; ``controls=False`` is its
    ``--no-controls``) each candidate's mean loss and each option's mean avoided loss
    are also estimated with control variates (``controlled.csv``, the result's
    ``controlled``), their means from ``control_draws`` plan draws (default 50 per run,
    at least 50,000).
    """
    b = _scenario(base)
    if isinstance(options, (str, os.PathLike, Scenario)):
        options = [options]
    opts = [_scenario(o) for o in options]
    runs, seed, threads, days = _counts(runs, seed, threads, days)
    bootstrap = _closures.count("bootstrap", bootstrap)
    with _Bar("compare", "run", progress) as callback:
        files, found = _lib.compare(
            b._raw,
            [o._raw for o in opts],
            runs,
            seed,
            threads,
            _closures.specs(b._raw, closures),
            fixed_closures,
            start,
            days,
            None if futures is None else os.fspath(futures),
            None if threshold_usd is None else float(threshold_usd),
            bootstrap,
            regime_start,
            callback,
            bool(controls),
            None if control_draws is None else _closures.count("control_draws", control_draws, minimum=2),
        )
    _warn(found)
    return CompareResult(files, found)


def uncertainty(
    base,
    options: Sequence = (),
    points: int = _lib.DEFAULT_UNCERTAINTY_POINTS,
    years: int = _lib.DEFAULT_UNCERTAINTY_YEARS,
    seed: int = _lib.DEFAULT_SEED,
    *,
    indices: bool = False,
    design: str = _lib.DEFAULT_UNCERTAINTY_DESIGN,
    base_points: int = _lib.DEFAULT_UNCERTAINTY_BASE_POINTS,
    groups: str = _lib.DEFAULT_UNCERTAINTY_GROUPS,
    threads: Optional[int] = None,
    bootstrap: int = _lib.DEFAULT_UNCERTAINTY_BOOTSTRAP,
    fixed_closures: bool = True,
    progress: Optional[bool] = None,
) -> UncertaintyResult:
    """Parameter uncertainty, as ``chokepoint uncertainty``: the base and its options
    (paths or loaded :class:`Scenario` objects) at parameter points drawn over their
    ``[[uncertain]]`` tables, ``years`` simulated years at each point, the same years
    (common closure draws) at every point and for every scenario. ``points`` independent
    random points by default (``design="sobol"``: a scrambled Sobol' sequence, no ξ); with ``indices=True`` a Saltelli design of ``base_points`` x
    (factors + 2) points for Sobol' indices, factors grouped by ``groups`` (``"target"``
    or ``"axis"``). The result depends on (files, seed, design) only, never on
    ``threads``; runs go on without the GIL, with a bar unless ``progress=False``, and
    Ctrl-C stops them. Returns an :class:`UncertaintyResult`."""
    b = _scenario(base)
    if isinstance(options, (str, os.PathLike, Scenario)):
        options = [options]
    opts = [_scenario(o) for o in options]
    points = _closures.count("points", points, minimum=8)
    years = _closures.count("years", years, minimum=2)
    base_points = _closures.count("base_points", base_points, minimum=4)
    bootstrap = _closures.count("bootstrap", bootstrap)
    _, seed, threads, _ = _counts(1, seed, threads, None)
    with _Bar("uncertainty", "cell", progress) as callback:
        files = _lib.uncertainty(
            b._raw,
            [o._raw for o in opts],
            points,
            years,
            seed,
            threads,
            bool(indices),
            base_points,
            str(groups),
            bootstrap,
            fixed_closures,
            str(design),
            callback,
        )
    return UncertaintyResult(files)


def criticality(
    scenario,
    duration_days: int = 30,
    *,
    sets=None,
    start: Optional[str] = None,
    capacity_factor: float = _lib.DEFAULT_CRITICALITY_CAPACITY_FACTOR,
    runs: Optional[int] = None,
    seed: int = _lib.DEFAULT_SEED,
    threads: Optional[int] = None,
    bootstrap: int = _lib.DEFAULT_CRITICALITY_BOOTSTRAP,
    regime_start: Optional[str] = None,
    progress: Optional[bool] = None,
    closures: Any = (),
) -> CriticalityResult:
    """Which corridors matter most, as ``chokepoint criticality``: every corridor closed
    alone (N-1), and each set of the ``sets`` file (TOML, ``[[set]]`` with ``name`` and
    ``corridors``) with all its corridors at once (N-k), for ``duration_days`` days from
    ``start`` (``YYYY-MM-DD``; default a month after the window's start) at
    ``capacity_factor`` (0 = shut), on an otherwise open network (the scenario's own
    fixed closures are left out), ranked by total loss (USD).

    With ``runs``, also each corridor's contribution to the Monte Carlo's mean annual
    loss and TVaR95 (USD): the base study minus the same runs with that corridor's
    closure processes switched off (common draws; ``seed``, ``bootstrap`` resamples,
    ``regime_start`` as for :func:`compare`). Without the GIL, with a tqdm bar unless
    ``progress=False``. Returns a :class:`CriticalityResult`.

    ``closures`` (in any form :func:`run` takes) are in force in every run, deterministic
    and Monte Carlo alike: each set then closes on top of them and is ranked by the loss
    it adds (``added_loss_usd`` in ``criticality.csv``), as ``--close``/``--closures``.
    """
    s = _scenario(scenario)
    duration_days = _closures.count("duration_days", duration_days)
    if runs is not None:
        runs = _closures.count("runs", runs)
    _, seed, threads, _ = _counts(1, seed, threads, None)
    bootstrap = _closures.count("bootstrap", bootstrap)
    with _Bar("criticality", "run", progress if runs is not None else False) as callback:
        files, text, found = _lib.criticality(
            s._raw,
            duration_days,
            threads,
            None if sets is None else os.fspath(sets),
            start,
            float(capacity_factor),
            runs,
            seed,
            bootstrap,
            regime_start,
            callback,
            _closures.specs(s._raw, closures),
        )
    _warn(found)
    return CriticalityResult(files, found, text)
