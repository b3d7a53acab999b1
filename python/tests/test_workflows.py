"""Closures as data, a Python surface without surprises (progress=, counts, paths,
with_changes' message) and ``.plot()`` on results (issue 26, items 1 and 2)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest

import chokepoint as cp

ROOT = Path(__file__).resolve().parents[2]
TWOLAND = "scenarios/twoland.toml"
RANDOM = "tests/fixtures/montecarlo/twoland_random_fixed.toml"
OPTION = "tests/fixtures/compare/wider_north.toml"
NOTHING = "tests/fixtures/compare/nothing.toml"


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="module")
def twoland() -> cp.Scenario:
    return cp.Scenario.load(ROOT / TWOLAND)


def run_csv(s, closures) -> bytes:
    return cp.run(s, closures=closures, fixed_closures=False).files["run.csv"]


# -- closures as data ----------------------------------------------------------------------


def test_every_form_of_a_closure_gives_the_specs_run(twoland, tmp_path):
    spec = ["north:2024-02-01+14", "south:2024-02-10..2024-02-20@0.1"]
    expected = run_csv(twoland, spec)
    table = tmp_path / "closures.csv"
    table.write_text("corridor,start,days,end,factor\nnorth,2024-02-01,14,,\nsouth,2024-02-10,,2024-02-20,0.1\n")
    frame = pd.DataFrame(
        {
            "corridor": ["north", "south"],
            "start": pd.to_datetime(["2024-02-01", "2024-02-10"]),
            "days": [14, None],
            "end": [None, "2024-02-20"],
            "factor": [None, 0.1],
        }
    )
    forms = {
        "tuples": [("north", "2024-02-01", 14), ("south", dt.date(2024, 2, 10), 10, 0.1)],
        "dicts": [
            {"corridor": "north", "start": pd.Timestamp("2024-02-01"), "days": 14},
            {"corridor": "south", "start": "2024-02-10", "end": dt.date(2024, 2, 20), "factor": 0.1},
        ],
        "frame": frame,
        "csv path": table,
        "csv str": str(table),
        "mixed": ["north:2024-02-01+14", ("south", "2024-02-10", 10, 0.1)],
    }
    for name, closures in forms.items():
        assert run_csv(twoland, closures) == expected, name
    # One closure alone, as a bare string or tuple, is one closure (not its characters).
    one = run_csv(twoland, ["north:2024-02-01+14"])
    assert run_csv(twoland, "north:2024-02-01+14") == one
    assert run_csv(twoland, ("north", "2024-02-01", 14)) == one
    assert one != run_csv(twoland, [])


def test_closures_as_data_reach_every_study(twoland):
    closure = ("north", "2024-02-01", 14)
    a = cp.montecarlo(RANDOM, fixed_closures=False, runs=3, seed=1, closures=closure, progress=False)
    b = cp.montecarlo(RANDOM, fixed_closures=False, runs=3, seed=1, closures=["north:2024-02-01+14"], progress=False)
    assert a.files["runs.csv"] == b.files["runs.csv"]
    assert a.manifest["closures"]["close"] == ["north:2024-02-01+14"]
    c = cp.compare(RANDOM, [OPTION], fixed_closures=False, runs=3, seed=1, closures=[closure], progress=False)
    assert c.manifest["closures"]["close"] == ["north:2024-02-01+14"]


def test_criticality_takes_background_closures_as_the_cli_does(tmp_path):
    """Closures in any form are in force in every run of a criticality study: each
    corridor closes on top of them, ranked by the loss it adds; the files equal the
    CLI's with --closures."""
    scen = "tests/fixtures/criticality/only_route.toml"
    r = cp.criticality(scen, 20, closures=pd.DataFrame(
        {"corridor": ["north"], "start": ["2024-01-21"], "days": [40]}), progress=False)
    assert r.manifest["closures"]["close"] == ["north:2024-01-21+40"]
    table = r.table("criticality.csv")
    assert table.iloc[0]["set"] == "south"
    assert (table["added_loss_usd"] <= table["total_loss_usd"]).all()
    csv = tmp_path / "c.csv"
    csv.write_text("corridor,start,days\nnorth,2024-01-21,40\n")
    out = tmp_path / "crit"
    subprocess.run([os.environ.get("CHOKEPOINT_BIN", "chokepoint"), "criticality", scen,
                    "--duration", "20", "--closures", str(csv), "--out", str(out)],
                   check=True, capture_output=True)
    assert r.files["criticality.csv"] == (out / "criticality.csv").read_bytes()


def test_a_wrong_closure_says_what_is_accepted(twoland):
    for bad in (42, [3.5], {1, 2}, [object()]):
        with pytest.raises(TypeError, match="closures may be"):
            cp.run(twoland, closures=bad)
    with pytest.raises(TypeError, match=r"\(corridor, start, days\[, factor\]\)"):
        cp.run(twoland, closures=("north", "2024-02-01"))
    with pytest.raises(cp.InvalidArgumentError, match="unknown key"):
        cp.run(twoland, closures={"corridor": "north", "start": "2024-02-01", "days": 3, "length": 3})
    with pytest.raises(cp.InvalidArgumentError, match='did you mean "north"'):
        cp.run(twoland, closures=("nort", "2024-02-01", 3))
    with pytest.raises(cp.InvalidArgumentError, match="not a whole number"):
        cp.run(twoland, closures=("north", "2024-02-01", 2.5))


def test_a_bad_closures_table_names_its_lines(twoland, tmp_path):
    table = tmp_path / "bad.csv"
    table.write_text("corridor,start,days\nnort,2024-02-01,3\nnorth,2024-02-01,0\n")
    with pytest.raises(cp.ChokepointError) as e:
        cp.run(twoland, closures=table)
    lines = [d.line for d in e.value.errors]
    assert lines == [2, 3], str(e.value)
    assert all(d.file == str(table) for d in e.value.errors)


# -- a surface without surprises -------------------------------------------------------------


def test_every_long_call_takes_progress(twoland):
    cp.run(twoland, closures=[], progress=False)
    cp.montecarlo(RANDOM, fixed_closures=False, runs=2, progress=False)
    cp.compare(RANDOM, [OPTION], fixed_closures=False, runs=2, progress=False)
    cp.criticality(RANDOM, duration_days=5, runs=2, progress=False)


@pytest.mark.parametrize(
    "call",
    [
        lambda: cp.montecarlo(RANDOM, fixed_closures=False, runs=2.5),
        lambda: cp.montecarlo(RANDOM, fixed_closures=False, runs=-1),
        lambda: cp.montecarlo(RANDOM, fixed_closures=False, runs=0),
        lambda: cp.montecarlo(RANDOM, fixed_closures=False, runs=True),
        lambda: cp.montecarlo(RANDOM, fixed_closures=False, runs="10"),
        lambda: cp.montecarlo(RANDOM, fixed_closures=False, runs=2, seed=-1),
        lambda: cp.montecarlo(RANDOM, fixed_closures=False, runs=2, threads=0),
        lambda: cp.montecarlo(RANDOM, fixed_closures=False, runs=2, batch_size=0),
        lambda: cp.compare(RANDOM, [OPTION], fixed_closures=False, runs=2, bootstrap=0),
        lambda: cp.criticality(TWOLAND, duration_days=0),
        lambda: cp.criticality(TWOLAND, duration_days=5, runs=1.5),
        lambda: cp.run(TWOLAND, days=0),
    ],
)
def test_counts_are_whole_numbers_checked_by_chokepoint(call):
    with pytest.raises(cp.InvalidArgumentError, match="expected a whole number"):
        call()


def test_a_whole_float_count_is_taken(twoland):
    a = cp.montecarlo(RANDOM, fixed_closures=False, runs=3.0, seed=1, progress=False)
    b = cp.montecarlo(RANDOM, fixed_closures=False, runs=3, seed=1, progress=False)
    assert a.files["runs.csv"] == b.files["runs.csv"]


def test_paths_are_taken_wherever_a_scenario_is():
    s = cp.Scenario.load(RANDOM)
    by_path = cp.compare(RANDOM, OPTION, fixed_closures=False, runs=2, seed=1, progress=False)
    by_object = cp.compare(s, [cp.Scenario.load(OPTION)], fixed_closures=False, runs=2, seed=1, progress=False)
    assert by_path.files["differences.csv"] == by_object.files["differences.csv"]
    assert cp.run(Path(TWOLAND)).files["run.csv"] == cp.run(TWOLAND).files["run.csv"]


def test_with_changes_says_to_pass_dotted_names_in_a_dict(twoland):
    name = "link.north_road.capacity_t_per_day"
    with pytest.raises(cp.ParameterError, match=r"pass such names in a dict"):
        twoland.with_changes(**{name: 20000})


# -- .plot() -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plt():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_run_plot_draws_the_daily_series(twoland, plt):
    r = cp.run(twoland, closures="north:2024-02-01+14", fixed_closures=False)
    ax = r.plot("stranded_trucks")
    line = ax.get_lines()[0]
    d = r.daily
    want = d[(d["metric"] == "stranded_trucks") & (d["scope"] == "total")]["value"].to_list()
    assert list(line.get_ydata()) == want and max(want) > 0
    assert "trucks" in ax.get_ylabel()
    with pytest.raises(KeyError, match="the series are"):
        r.plot("no_such_series")


def test_montecarlo_plot_draws_exceedance_and_fan(plt):
    mc = cp.montecarlo(RANDOM, fixed_closures=False, runs=20, seed=1, progress=False)
    ax = mc.plot()
    assert ax.get_xscale() == "log" and "USD m" in ax.get_ylabel()
    assert list(ax.get_lines()[0].get_ydata()) == list(mc.exceedance["total_loss_usd"] / 1e6)
    ax = mc.plot("fan")
    assert [l.get_label() for l in ax.get_lines()] == ["median", "mean"]
    with pytest.raises(ValueError):
        mc.plot("pie")


def test_compare_plot_sorts_options_by_benefit(plt):
    c = cp.compare(RANDOM, [OPTION, NOTHING], fixed_closures=False, runs=20, seed=1, progress=False)
    ax = c.plot()
    bars = {t.get_text(): p.get_width() for t, p in zip(ax.get_yticklabels(), ax.patches)}
    bc = c.benefit_cost.set_index("option")["avoided_loss_usd_per_year"] / 1e6
    assert bars == pytest.approx(bc.to_dict())
    widths = [p.get_width() for p in ax.patches]
    assert widths == sorted(widths)  # the most beneficial on top (last bar)
    assert "avoided loss" in ax.get_xlabel()


def test_criticality_plot_ranks_corridors(twoland, plt):
    k = cp.criticality(twoland, duration_days=10)
    ax = k.plot()
    widths = [p.get_width() for p in ax.patches]
    n1 = k.sets[k.sets["kind"] == "N-1"]
    assert sorted(widths) == sorted(n1["total_loss_usd"] / 1e6) and widths == sorted(widths)
