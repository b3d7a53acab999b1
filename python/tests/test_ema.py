"""The EMA Workbench adapter (chokepoint.ema): uncertainties, the option lever, outcomes,
and replications as common random numbers. Skipped without ema-workbench."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import chokepoint as cp

wb = pytest.importorskip("ema_workbench")
from chokepoint import ema  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
RANDOM = "tests/fixtures/montecarlo/twoland_random_fixed.toml"
OPTION = "tests/fixtures/compare/wider_north.toml"


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def test_experiments_equal_chokepoint_monte_carlos():
    m = ema.model(RANDOM, {"closures.rate_scale": (0.5, 2.0), "settings.reaction_days": (1, 6)},
                  options=[OPTION], runs=10, seed=3)
    assert [u.name for u in m.uncertainties] == ["closures.rate_scale", "settings.reaction_days"]
    assert isinstance(m.uncertainties["settings.reaction_days"], wb.IntegerParameter)
    assert [p.name for p in ema.policies(m)] == ["base", "wider_north"]
    experiments, outcomes = wb.perform_experiments(m, scenarios=3, policies=ema.policies(m))
    assert len(experiments) == 6
    for i in (0, 4):
        row = experiments.iloc[i]
        s = cp.Scenario.load(OPTION if row["option"] == "wider_north" else RANDOM).with_changes(
            {"closures.rate_scale": row["closures.rate_scale"], "settings.reaction_days": row["settings.reaction_days"]}
        )
        mc = cp.montecarlo(s, runs=10, seed=3, fixed_closures=False, fixed_draws=True, progress=False)
        assert outcomes["total_loss_usd.mean"][i] == mc.stat("total_loss_usd", "mean")
        assert outcomes["total_loss_usd.tvar95"][i] == mc.stat("total_loss_usd", "tvar95")


def test_replications_are_common_random_numbers():
    m = ema.model(RANDOM, {"closures.rate_scale": (0.5, 2.0)}, options=[OPTION], runs=8, replications=2, seed=1,
                  outcomes=["total_loss_usd.mean"])
    scen = [wb.Scenario("s", **{"closures.rate_scale": 1.3})] * 2
    experiments, outcomes = wb.perform_experiments(m, scenarios=scen, policies=ema.policies(m))
    y = outcomes["total_loss_usd.mean"]
    # The same state of the world and option gives the same number: no luck between experiments.
    assert y[0] == y[1] and y[2] == y[3]
    s = cp.Scenario.load(RANDOM).with_changes({"closures.rate_scale": 1.3})
    reps = [cp.montecarlo(s, runs=8, seed=k, fixed_closures=False, fixed_draws=True, progress=False).mean_loss_usd for k in (1, 2)]
    assert y[0] == pytest.approx(np.mean(reps), rel=1e-12)


def test_a_bad_model_fails_before_any_experiment():
    with pytest.raises(cp.ParameterError):
        ema.model(RANDOM, {"closures.rate_scal": (0.5, 2.0)})
    with pytest.raises(cp.InvalidArgumentError, match="low < high"):
        ema.model(RANDOM, {"closures.rate_scale": (2.0, 0.5)})
    with pytest.raises(cp.InvalidArgumentError, match="METRIC.STATISTIC"):
        ema.model(RANDOM, {"closures.rate_scale": (0.5, 2.0)}, outcomes=["total_loss_usd"])
    with pytest.raises(cp.InvalidArgumentError, match="whole number"):
        ema.model(RANDOM, {"closures.rate_scale": (0.5, 2.0)}, runs=0)
