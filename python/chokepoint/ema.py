"""EMA Workbench adapter: a chokepoint scenario as an EMA model, for scenario discovery
(PRIM, CART) and many-objective robust search over options with the exploratory
modelling tools of the field (``pip install './python[ema]'``, which brings
``ema-workbench``).

- **Uncertainties** are chokepoint parameters by name (``Scenario.parameters`` lists
  them with units): ``{"closures.rate_scale": (0.5, 2.0), "settings.reaction_days": (1,
  10)}``; a pair of ints is an integer range, a pair of numbers a real range, a list a
  categorical choice.
- **The lever** is the option: ``options={"khaf_herat": "scenarios/.../khaf_herat_rail.toml",
  ...}`` (the base is the option ``"base"``); each experiment simulates the base scenario
  with that option applied, and the base's parameter changes apply to it too.
- **Outcomes** are chokepoint's Monte Carlo statistics of its metrics, e.g.
  ``"total_loss_usd.mean"``, ``"total_loss_usd.tvar95"``, ``"peak_stranded_trucks.p95"``
  (``summary.csv``'s metrics and statistics), in the metric's unit.
- **Replications are common random numbers**: each experiment is a Monte Carlo of
  ``runs`` years with seed ``seed + k`` for replication ``k``, the same for every
  experiment, with the closure draws held fixed across closure rates and durations
  (``fixed_draws=True``). So two experiments differ only by their parameters and
  option, never by luck, and a paired comparison of options across experiments is
  exact. With ``replications > 1`` an outcome is the mean over the replications.

>>> from chokepoint import ema                                        # doctest: +SKIP
>>> m = ema.model("scenarios/afghanistan/base.toml",
...               uncertainties={"closures.rate_scale": (0.5, 2.0)},
...               options={"trans_afghan": "scenarios/afghanistan/options/trans_afghan_rail.toml"},
...               runs=100)
>>> from ema_workbench import perform_experiments                   # doctest: +SKIP
>>> experiments, outcomes = perform_experiments(m, scenarios=50, policies=ema.policies(m))
"""

from __future__ import annotations

import numbers
import os
from typing import Dict, Iterable, Mapping, Optional, Sequence, Union

from . import _closures
from .errors import InvalidArgumentError, ParameterError
from . import _scenario  # a Scenario or a path, as every call of the package takes it
from .scenario import Scenario

DEFAULT_OUTCOMES = ("total_loss_usd.mean", "total_loss_usd.tvar95", "peak_stranded_trucks.mean")

__all__ = ["model", "policies", "DEFAULT_OUTCOMES"]


def _workbench():
    try:
        import ema_workbench
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("chokepoint.ema needs ema-workbench: pip install ema-workbench (or './python[ema]')") from e
    return ema_workbench


def _uncertainty(wb, name: str, spec):
    if isinstance(spec, (list, tuple)) and len(spec) == 2 and all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) for v in spec
    ):
        low, high = spec
        if not low < high:
            raise InvalidArgumentError(f"uncertainty {name}: the range ({low}, {high}) needs low < high")
        if all(isinstance(v, numbers.Integral) for v in spec):
            return wb.IntegerParameter(name, int(low), int(high))
        return wb.RealParameter(name, float(low), float(high))
    if isinstance(spec, (list, tuple)) and spec:
        return wb.CategoricalParameter(name, list(spec))
    raise TypeError(
        f"uncertainty {name}: expected (low, high) for a range or a list of values, got {spec!r}"
    )


def model(
    scenario,
    uncertainties: Mapping[str, object],
    options: Optional[Union[Mapping[str, object], Sequence[object]]] = None,
    outcomes: Iterable[str] = DEFAULT_OUTCOMES,
    *,
    runs: int = 100,
    replications: int = 1,
    seed: int = 0,
    threads: Optional[int] = None,
    name: str = "chokepoint",
):
    """An EMA model (``ema_workbench.Model``, or ``ReplicatorModel`` when
    ``replications > 1``) of ``scenario`` (see the module docs). ``options`` maps lever
    values to option files (or is a list of them, named by file stem); the lever
    ``option`` takes ``"base"`` and those names. Every uncertainty name is checked
    against the scenario now, so a typo fails here and not in experiment 37."""
    wb = _workbench()
    base = _scenario(scenario)
    runs = _closures.count("runs", runs)
    replications = _closures.count("replications", replications)
    seed = _closures.count("seed", seed, minimum=0)
    if not uncertainties:
        raise InvalidArgumentError("uncertainties: give at least one parameter, e.g. {'closures.rate_scale': (0.5, 2.0)}")
    known = set(base.parameters.index)
    for n in uncertainties:
        if n not in known:
            base.with_changes({n: 0.0})  # raises the library's ParameterError, with a suggestion
            raise ParameterError(f"unknown parameter {n!r}; Scenario.parameters lists every name")
    if options is None:
        options = {}
    if not isinstance(options, Mapping):
        options = {os.path.splitext(os.path.basename(os.fspath(o)))[0]: o for o in options}
    if "base" in options:
        raise InvalidArgumentError("options: 'base' names the base scenario; give the option another name")
    candidates: Dict[str, Scenario] = {"base": base}
    candidates.update({k: _scenario(v) for k, v in options.items()})
    stats = []
    for o in outcomes:
        metric, _, statistic = o.rpartition(".")
        if not metric:
            raise InvalidArgumentError(f"outcome {o!r}: expected METRIC.STATISTIC, e.g. 'total_loss_usd.mean'")
        stats.append((o, metric, statistic))

    def simulate(option: str = "base", replication_seed: int = seed, **params):
        from . import montecarlo

        s = candidates[option]
        if params:
            s = s.with_changes({k: float(v) for k, v in params.items()})
        mc = montecarlo(
            s, runs=runs, seed=int(replication_seed), threads=threads, fixed_closures=False,
            fixed_draws=True, progress=False,
        )
        return {o: mc.stat(metric, statistic) for o, metric, statistic in stats}

    if replications > 1:
        m = wb.ReplicatorModel(name, function=simulate)
        m.replications = [{"replication_seed": seed + k} for k in range(replications)]
        import numpy as np

        m.outcomes = [wb.ScalarOutcome(o, function=np.mean) for o, _, _ in stats]
    else:
        m = wb.Model(name, function=simulate)
        m.outcomes = [wb.ScalarOutcome(o) for o, _, _ in stats]
    m.uncertainties = [_uncertainty(wb, n, spec) for n, spec in uncertainties.items()]
    m.levers = [wb.CategoricalParameter("option", list(candidates))]
    return m


def policies(m) -> list:
    """One EMA policy per option of a model made by :func:`model` (base first), to pass
    as ``perform_experiments(m, scenarios=N, policies=policies(m))``: every option on
    every sampled scenario, so options are compared on the same states of the world."""
    wb = _workbench()
    return [wb.Policy(str(c.value), option=c.value) for c in m.levers["option"].categories]
