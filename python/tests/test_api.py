"""The Python API against the CLI on the same inputs, errors, pickling and overrides.

Run from anywhere: ``pytest python/tests``. The CLI binary is ``$CHOKEPOINT_BIN`` or
``target/release/chokepoint`` (built with ``cargo build --release`` when missing).
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import pickle
import subprocess
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

import chokepoint as cp
from chokepoint._tables import read_csv

ROOT = Path(__file__).resolve().parents[2]
TWOLAND = "scenarios/twoland.toml"
RANDOM = "tests/fixtures/montecarlo/twoland_random.toml"
AFGHANISTAN = "scenarios/afghanistan/base.toml"


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    """Paths as a user at the repository root types them (the manifest records them)."""
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="session")
def cli() -> str:
    exe = os.environ.get("CHOKEPOINT_BIN") or str(ROOT / "target/release/chokepoint")
    if not Path(exe).exists():
        subprocess.run(["cargo", "build", "--release", "--bin", "chokepoint"], cwd=ROOT, check=True)
    return exe


def run_cli(cli: str, *args: str) -> None:
    subprocess.run([cli, *args], cwd=ROOT, check=True, capture_output=True)


def folder_files(d: Path) -> dict:
    return {p.name: p.read_bytes() for p in d.iterdir() if p.is_file()}


def without_tool(manifest: bytes) -> dict:
    m = json.loads(manifest)
    m.pop("tool")
    return m


# -- the same numbers as the CLI -------------------------------------------------------------


def test_run_equals_cli_byte_for_byte(cli, tmp_path):
    out = tmp_path / "cli"
    run_cli(cli, "run", TWOLAND, "--close", "north:2024-02-01+14", "--out", str(out))
    r = cp.run(cp.Scenario.load(TWOLAND), closures=["north:2024-02-01+14"])
    theirs = folder_files(out)
    assert set(r.files) == set(theirs) == {
        "run.csv",
        "welfare.csv",
        "daily.csv",
        "prices.csv",
        "manifest.json",
        "timing.json",
    }
    for name in ["run.csv", "welfare.csv", "daily.csv", "prices.csv"]:
        assert r.files[name] == theirs[name], name
    assert without_tool(r.files["manifest.json"]) == without_tool(theirs["manifest.json"])
    # The frames are the CLI's files read back exactly.
    pd.testing.assert_frame_equal(r.metrics, read_csv(theirs["run.csv"]))
    cli_total = pd.read_csv(out / "run.csv")
    cli_loss = cli_total.query("scope == 'total' and metric == 'total_loss_usd'")["value"].item()
    assert r.totals["total_loss_usd"] == cli_loss > 0
    assert r.series("stranded_trucks").max() == r.totals["peak_stranded_trucks"] > 0
    # Welfare: each side sums to the run's welfare loss; prices: run minus counterfactual.
    w = r.welfare
    for side in ["buyer", "seller"]:
        assert w.query("side == @side")["welfare_loss_usd"].sum() == pytest.approx(
            r.totals["welfare_loss_usd"], rel=1e-9, abs=1e-6
        )
    p = r.prices
    assert len(p) > 0 and set(p["side"]) <= {"market", "farm_gate"}
    assert (p["price_usd_per_t"] - p["counterfactual_usd_per_t"]).to_numpy() == pytest.approx(
        p["change_usd_per_t"].to_numpy(), abs=1e-6
    )


def test_montecarlo_equals_cli_byte_for_byte(cli, tmp_path):
    out = tmp_path / "cli"
    run_cli(cli, "montecarlo", RANDOM, "--runs", "60", "--seed", "7", "--threads", "2", "--quiet", "--out", str(out))
    mc = cp.montecarlo(RANDOM, runs=60, seed=7, threads=2, progress=False)
    theirs = folder_files(out)
    assert set(mc.files) == set(theirs)
    for name in theirs:
        if name.endswith(".csv"):
            assert mc.files[name] == theirs[name], name
    assert without_tool(mc.files["manifest.json"]) == without_tool(theirs["manifest.json"])
    assert len(mc.runs) == 60 and list(mc.runs["run"]) == list(range(60))
    cli_runs = pd.read_csv(out / "runs.csv")
    assert list(mc.losses) == list(cli_runs["total_loss_usd"])
    assert mc.mean_loss_usd == pytest.approx(cli_runs["total_loss_usd"].mean(), rel=1e-12)


def test_saved_folder_is_the_cli_folder(cli, tmp_path):
    out = tmp_path / "cli"
    run_cli(cli, "montecarlo", RANDOM, "--runs", "30", "--seed", "2", "--quiet", "--out", str(out))
    mc = cp.montecarlo(RANDOM, runs=30, seed=2, threads=1, progress=False)
    mine = tmp_path / "py"
    mc.save(mine)
    a, b = folder_files(mine), folder_files(out)
    assert set(a) == set(b)
    assert all(a[n] == b[n] for n in a if n.endswith(".csv"))
    # The folder holds the same study: we may write into it again, and so may the CLI when
    # it was built from the same source (the manifest records the tool's commit).
    mc.save(mine)
    if json.loads(a["manifest.json"])["tool"] == json.loads(b["manifest.json"])["tool"]:
        run_cli(cli, "montecarlo", RANDOM, "--runs", "30", "--seed", "2", "--quiet", "--out", str(mine))
        mc.save(out)


def test_results_do_not_depend_on_threads():
    one = cp.montecarlo(RANDOM, runs=40, seed=5, threads=1, progress=False)
    two = cp.montecarlo(RANDOM, runs=40, seed=5, threads=2, progress=False)
    assert one == two
    assert one.timing["threads"] == 1 and two.timing["threads"] == 2


# -- scenarios ---------------------------------------------------------------------------------


def test_scenario_tables():
    s = cp.Scenario.load(AFGHANISTAN)
    assert s.name == "afghanistan_2024" and s.days == 366 and s.start == pd.Timestamp("2024-01-01")
    assert "torkham" in set(s.corridors["corridor"])
    assert {"id", "from", "to", "capacity_t_per_day", "cost_usd_per_t"} <= set(s.links.columns)
    assert (s.links["capacity_t_per_day"] > 0).all()
    assert len(s.nodes) > 10 and len(s.products) > 3
    assert set(s.supplies["product"]) <= set(s.products["id"])
    procs = s.processes.set_index("id")
    assert procs.loc["torkham", "rate_per_year"] == pytest.approx(1.2843)
    assert procs.loc["torkham", "mean_duration_days"] == pytest.approx(10.0)
    assert procs.loc["pakistan_crisis", "kind"] == "shock"
    assert len(s.closures) > 0 and s.closures["start_date"].dt.year.max() == 2024
    assert s.regimes["long_run_share"].sum() == pytest.approx(1.0)
    p = s.parameters
    # base.toml's behaviour is the fit's posterior median (docs/validation.md §3a)
    fit = pd.read_csv("scenarios/afghanistan/posterior/summary.csv").set_index("parameter")
    assert p.loc["settings.reaction_days", "value"] == fit.loc["settings.reaction_days", "posterior_p50"]
    assert p.loc["process.torkham.rate_per_year", "unit"] == "1/year"
    assert s.option is None


def test_option_file_loads_on_its_base():
    o = cp.Scenario.load("scenarios/afghanistan/options/chabahar.toml")
    base = cp.Scenario.load(AFGHANISTAN)
    assert o.option["capital_cost_usd"] > 0 and o.option["horizon_years"] > 0
    assert o.name == base.name
    assert o.links["capacity_t_per_day"].sum() >= base.links["capacity_t_per_day"].sum()


def test_overrides_change_results_as_expected():
    s = cp.Scenario.load(TWOLAND)
    close = ["north:2024-02-01+14"]
    base = cp.run(s, close).totals
    quick = cp.run(s.with_changes(reaction_days=0), close).totals
    # Traders who react at once strand fewer trucks (the library's quick start).
    assert quick["peak_stranded_trucks"] < base["peak_stranded_trucks"]
    # Dearer waiting: a higher holding cost of cloth raises the delay cost.
    h = s.get("product.cloth.holding_cost_per_day")
    dear = cp.run(s.with_changes({"product.cloth.holding_cost_per_day": 2 * h}), close).totals
    assert dear["delay_cost_usd"] > base["delay_cost_usd"] > 0
    # A fifth of the detour's capacity: its daily flow (both directions) stays within it.
    narrow = s.with_changes({"corridor.south.capacity_scale": 0.2})
    cap = s.links.set_index("id").loc["south_crossing", "capacity_t_per_day"]
    assert narrow.links.set_index("id").loc["south_crossing", "capacity_t_per_day"] == pytest.approx(0.2 * cap)
    south = lambda r: r.daily.query("scope == 'corridor' and id == 'south' and metric == 'flow_t'")["value"]  # noqa: E731
    assert south(cp.run(narrow, close)).max() <= 2 * 0.2 * cap + 1e-6
    assert south(cp.run(s, close)).max() > 2 * 0.2 * cap
    # The original is untouched, and the overrides are on record.
    assert s.get("settings.reaction_days") == 2 and s.changes == {}
    r = cp.run(s.with_changes(reaction_days=0), close)
    assert r.manifest["scenario"]["changes"] == ["settings.reaction_days=0"]
    assert "changes" not in cp.run(s, close).manifest["scenario"]


def test_closure_rate_overrides_with_common_random_numbers():
    s = cp.Scenario.load(RANDOM)
    base = cp.montecarlo(s, runs=60, seed=11, progress=False)
    none = cp.montecarlo(s.with_changes({"closures.rate_scale": 0.0}), runs=60, seed=11, progress=False)
    assert len(none.closures) == 0 and (none.losses == 0).all()
    more = cp.montecarlo(s.with_changes({"closures.rate_scale": 3.0}), runs=60, seed=11, progress=False)
    assert more.closures.groupby("run").size().sum() > base.closures.groupby("run").size().sum()
    assert more.mean_loss_usd > base.mean_loss_usd
    # A parameter outside the closure model keeps every closure draw (same seed).
    slow = cp.montecarlo(s.with_changes(reaction_days=6), runs=60, seed=11, progress=False)
    pd.testing.assert_frame_equal(slow.closures, base.closures)
    longer = s.with_changes({"process.north.mean_duration_days": 2 * s.get("process.north.mean_duration_days")})
    assert longer.processes.set_index("id").loc["north", "mean_duration_days"] == pytest.approx(
        2 * s.processes.set_index("id").loc["north", "mean_duration_days"]
    )


def test_fixed_draws_hold_closures_across_closure_parameters():
    s = cp.Scenario.load(RANDOM)

    def windows(mc):
        return set(zip(mc.closures["run"], mc.closures["target"], mc.closures["start_day"]))

    base = cp.montecarlo(s, runs=60, seed=4, fixed_draws=True, progress=False)
    more = cp.montecarlo(s.with_changes({"closures.rate_scale": 1.5}), runs=60, seed=4, fixed_draws=True, progress=False)
    # Every closure of the base study is still there at 1.5 times the rates, and more.
    assert windows(base) < windows(more)
    assert more.mean_loss_usd > base.mean_loss_usd
    longer = cp.montecarlo(s.with_changes({"closures.duration_scale": 2.0}), runs=60, seed=4, fixed_draws=True, progress=False)
    assert windows(longer) == windows(base)
    assert longer.closures["duration_days"].sum() > 1.8 * base.closures["duration_days"].sum()
    assert "fixed draws" in base.manifest["montecarlo"]["rng"]
    assert base != cp.montecarlo(s, runs=60, seed=4, progress=False)


def test_bad_overrides():
    s = cp.Scenario.load(TWOLAND)
    with pytest.raises(cp.ParameterError, match="did you mean \"settings.reaction_days\""):
        s.with_changes({"settings.reaction_dayz": 1})
    with pytest.raises(cp.InvalidArgumentError, match="whole number"):
        s.with_changes(reaction_days=2.5)
    with pytest.raises(cp.ScenarioError) as e:
        s.with_changes({"link.north_crossing.capacity_t_per_day": -5})
    assert "north_crossing" in str(e.value) and e.value.diagnostics


# -- errors --------------------------------------------------------------------------------------


def test_scenario_errors_carry_file_line_and_hint():
    with pytest.raises(cp.ScenarioError) as e:
        cp.Scenario.load("tests/fixtures/five_mistakes.toml")
    err = e.value
    assert len(err.errors) >= 5
    assert err.file.endswith("five_mistakes.toml") and err.line == 4
    lines = {d.line for d in err.errors}
    assert {4, 17, 20, 22} <= lines
    bx = next(d for d in err.errors if "bx" in d.message)
    assert bx.line == 17 and bx.kind == "UnknownReference"
    assert any(d.hint for d in err.errors)
    assert "five_mistakes.toml:17" in str(err)
    assert isinstance(err, ValueError)


def test_bad_closure_spec_suggests():
    s = cp.Scenario.load(AFGHANISTAN)
    with pytest.raises(cp.InvalidArgumentError, match='did you mean "torkham"'):
        cp.run(s, ["torkam:2024-09-01+14"], fixed_closures=False)


def test_missing_file():
    with pytest.raises(cp.ChokepointError, match="no_such.toml"):
        cp.Scenario.load("no_such.toml")


def _load_in_worker(path: str):
    return cp.Scenario.load(path)


def test_errors_pickle_and_cross_processes():
    with pytest.raises(cp.ScenarioError) as e:
        cp.Scenario.load("tests/fixtures/five_mistakes.toml")
    back = pickle.loads(pickle.dumps(e.value))
    assert type(back) is cp.ScenarioError
    assert str(back) == str(e.value) and back.diagnostics == e.value.diagnostics
    assert back.line == 4
    with concurrent.futures.ProcessPoolExecutor(1) as pool:
        with pytest.raises(cp.ScenarioError) as remote:
            pool.submit(_load_in_worker, "tests/fixtures/five_mistakes.toml").result()
    assert remote.value.diagnostics == e.value.diagnostics


def test_folder_of_another_study_is_refused(tmp_path):
    s = cp.Scenario.load(TWOLAND)
    cp.run(s, ["north:2024-02-01+14"]).save(tmp_path)
    other = cp.run(s, ["north:2024-02-01+21"])
    with pytest.raises(cp.FolderInUseError, match="close"):
        other.save(tmp_path)
    changed = cp.run(s.with_changes(reaction_days=0), ["north:2024-02-01+14"])
    with pytest.raises(cp.FolderInUseError, match="changes"):
        changed.save(tmp_path)
    other.save(tmp_path, force=True)
    assert json.loads((tmp_path / "manifest.json").read_bytes())["closures"]["close"] == ["north:2024-02-01+21"]
    assert (tmp_path / "run.csv").read_bytes() == other.files["run.csv"]


# -- pickling --------------------------------------------------------------------------------------


def _mc_in_worker(s: cp.Scenario):
    return cp.montecarlo(s, runs=20, seed=3, threads=1, progress=False)


def test_results_and_scenarios_pickle():
    s = cp.Scenario.load(RANDOM).with_changes(reaction_days=1)
    s2 = pickle.loads(pickle.dumps(s))
    assert s2 == s and s2.changes == {"settings.reaction_days": 1.0}
    r = cp.run(s, ["north:2024-02-01+14"])
    r2 = pickle.loads(pickle.dumps(r))
    assert r2 == r and r2.summary() == r.summary()
    pd.testing.assert_frame_equal(r2.daily, r.daily)
    mc = _mc_in_worker(s)
    with concurrent.futures.ProcessPoolExecutor(1) as pool:
        remote = pool.submit(_mc_in_worker, s).result()
    assert remote == mc
    pd.testing.assert_frame_equal(remote.summary, mc.summary)


# -- the GIL and the progress bar -----------------------------------------------------------------


def test_montecarlo_releases_the_gil(monkeypatch):
    # The event, not a clock: the main thread ticks while the runs are under way. Each
    # progress report (the first comes after ~0.1 s of runs, the last when they end)
    # records the main thread's tick count; a held GIL would leave it where it was when
    # the call began.
    s = cp.Scenario.load(RANDOM)
    done = threading.Event()
    ticks = 0
    at_call = []
    seen = []

    class Fake:
        def __init__(self, **kw):
            self.total, self.n = None, 0

        def update(self, k):
            self.n += k
            seen.append(ticks)

        def close(self):
            pass

    monkeypatch.setattr(cp._progress, "_tqdm", lambda: Fake)

    def work():
        try:
            at_call.append(ticks)
            cp.montecarlo(s, runs=3000, seed=1, threads=1, progress=True)
        finally:
            done.set()

    t = threading.Thread(target=work)
    t.start()
    while not done.is_set():
        ticks += 1
        time.sleep(0.001)
    t.join()
    assert seen, "the runs reported progress"
    assert seen[-1] > at_call[0], "Python kept running beside the runs"


def test_progress_callback_counts_every_run(monkeypatch):
    seen = []

    class Fake:
        def __init__(self, **kw):
            self.total, self.n = None, 0

        def update(self, k):
            self.n += k
            seen.append(self.n)

        def close(self):
            pass

    monkeypatch.setattr(cp._progress, "_tqdm", lambda: Fake)
    cp.montecarlo(RANDOM, runs=50, seed=1, threads=1, progress=True)
    assert seen and seen[-1] == 50
    seen.clear()
    cp.options.progress = False
    try:
        cp.montecarlo(RANDOM, runs=10, seed=1, threads=1)
    finally:
        cp.options.progress = True
    assert seen == []


def test_progress_errors_stop_the_study(monkeypatch):
    class Boom:
        def __init__(self, **kw):
            self.total, self.n = None, 0

        def update(self, k):
            raise RuntimeError("bar broke")

        def close(self):
            pass

    monkeypatch.setattr(cp._progress, "_tqdm", lambda: Boom)
    with pytest.raises(RuntimeError, match="bar broke"):
        cp.montecarlo(RANDOM, runs=3000, seed=1, threads=1, progress=True)


# -- compare and criticality ---------------------------------------------------------------------

CBASE = "tests/fixtures/montecarlo/twoland_random_fixed.toml"
WIDER = "tests/fixtures/compare/wider_north.toml"
NOTHING = "tests/fixtures/compare/nothing.toml"
RISK = "tests/fixtures/options/risk.toml"
CFUTURES = "tests/fixtures/compare/futures.toml"
ONLY_ROUTE = "tests/fixtures/criticality/only_route.toml"
CSETS = "tests/fixtures/criticality/sets.toml"


def assert_same_folder(mine: dict, theirs: dict) -> None:
    assert set(mine) == set(theirs)
    for name in theirs:
        if name.endswith(".csv"):
            assert mine[name] == theirs[name], name
    assert without_tool(mine["manifest.json"]) == without_tool(theirs["manifest.json"])


@pytest.mark.parametrize("futures", [False, True])
def test_compare_equals_cli_byte_for_byte(cli, tmp_path, futures):
    out = tmp_path / "cli"
    extra = ["--futures", CFUTURES, "--threshold", "2e6"] if futures else []
    run_cli(
        cli, "compare", CBASE, WIDER, NOTHING, RISK, "--runs", "40", "--seed", "3", "--threads", "2",
        "--bootstrap", "200", "--no-fixed-closures", "--quiet", "--out", str(out), *extra,
    )
    c = cp.compare(
        CBASE, [WIDER, cp.Scenario.load(NOTHING), RISK], runs=40, seed=3, threads=2, bootstrap=200,
        fixed_closures=False, progress=False,
        **({"futures": CFUTURES, "threshold_usd": 2e6} if futures else {}),
    )
    theirs = folder_files(out)
    assert "benefit_cost.csv" in theirs
    assert_same_folder(c.files, theirs)
    # timing.json counts the runs done (it counted none once the records went).
    assert c.timing["threads"] == 2 and c.timing["runs_per_second"] > 0
    # The frames are the CLI's tables, read back exactly.
    cli_bc = pd.read_csv(out / "benefit_cost.csv")
    assert list(c.benefit_cost["avoided_loss_usd_per_year"]) == list(cli_bc["avoided_loss_usd_per_year"])
    assert c.labels == ["base", "wider_north", "nothing", cp.Scenario.load(RISK).option["name"]]
    assert set(c.runs["future"]) == ({"calm", "crisis"} if futures else {"as_scenario"})
    # Facts that hold whatever the numbers: P(beats) in [0, 1] with its CI around it; the
    # do-nothing option ties the base in every run and never beats it; the avoided loss is
    # the base's mean loss minus the option's, run by run, per year (a run of this fixture
    # is shorter than a year: runs_per_year = 365 / days).
    w = c.wins
    assert ((w["p_beats_ci_low"] <= w["p_beats"]) & (w["p_beats"] <= w["p_beats_ci_high"])).all()
    assert ((0 <= w["p_beats"]) & (w["p_beats"] <= 1)).all()
    assert (w["wins"] + w["ties"] + w["losses"] == 40).all()
    nothing = w[(w["option"] == "nothing") & (w["against"] == "base")]
    assert (nothing["wins"] == 0).all() and (nothing["ties"] == 40).all()
    f0 = c.runs["future"].iloc[0]
    bc = c.benefit_cost.set_index(["future", "option"]).loc[(f0, "wider_north")]
    avoided = (c.losses("base", f0) - c.losses("wider_north", f0)).mean()
    assert bc["runs_per_year"] == pytest.approx(365 / cp.Scenario.load(CBASE).days)
    assert bc["avoided_loss_usd_per_year"] == pytest.approx(avoided * bc["runs_per_year"], rel=1e-9)
    assert bc["npv_usd"] == pytest.approx(bc["pv_benefit_usd"] - bc["pv_cost_usd"], rel=1e-9)
    if futures:
        assert set(c.robustness["candidate"]) == set(c.labels)
        assert c.robustness["least_max_regret"].sum() == 1


def test_compare_base_runs_are_the_montecarlo_and_overrides_apply_to_options():
    base = cp.Scenario.load(CBASE).with_changes(reaction_days=0)
    c = cp.compare(base, [WIDER], runs=30, seed=9, fixed_closures=False, bootstrap=50, progress=False)
    # Common random numbers: the base's runs are the Monte Carlo's of the same seed, and
    # the option's are those of the option with the base's overrides.
    mc = cp.montecarlo(base, runs=30, seed=9, fixed_closures=False, progress=False)
    assert list(c.losses("base")) == list(mc.losses)
    opt = cp.montecarlo(cp.Scenario.load(WIDER).with_changes(reaction_days=0), runs=30, seed=9,
                        fixed_closures=False, progress=False)
    assert list(c.losses("wider_north")) == list(opt.losses)
    plain = cp.montecarlo(WIDER, runs=30, seed=9, fixed_closures=False, progress=False)
    assert list(c.losses("wider_north")) != list(plain.losses)
    assert c.manifest["scenario"]["changes"] == ["settings.reaction_days=0"]


def test_compare_errors():
    base = cp.Scenario.load(CBASE)
    with pytest.raises(cp.InvalidArgumentError, match="option of another base"):
        cp.compare(base, ["tests/fixtures/compare/other_base.toml"], runs=5, progress=False)
    with pytest.raises(cp.InvalidArgumentError, match="not an option file"):
        cp.compare(base, [TWOLAND], runs=5, progress=False)
    with pytest.raises(cp.InvalidArgumentError, match="is an option file"):
        cp.compare(WIDER, [NOTHING], runs=5, progress=False)
    with pytest.raises(cp.InvalidArgumentError, match="no option"):
        cp.compare(base, [], runs=5, progress=False)
    with pytest.raises(cp.InvalidArgumentError, match="overrides of its own"):
        cp.compare(base, [cp.Scenario.load(WIDER).with_changes(reaction_days=1)], runs=5, progress=False)
    with pytest.raises(cp.InvalidArgumentError, match="at least 2 runs"):
        cp.compare(base, [WIDER], runs=1, progress=False)
    with pytest.raises(cp.InvalidArgumentError, match="five_mistakes.toml: not a futures file"):
        cp.compare(base, [WIDER], runs=5, futures="tests/fixtures/five_mistakes.toml", progress=False)
    with pytest.raises(cp.InvalidArgumentError, match="line 10: future `crisis`.*bypass_faults"):
        cp.compare(base, [WIDER], runs=5, futures=CFUTURES, progress=False)


def test_criticality_equals_cli_byte_for_byte(cli, tmp_path):
    out = tmp_path / "cli"
    run_cli(
        cli, "criticality", ONLY_ROUTE, "--duration", "15", "--sets", CSETS, "--runs", "30",
        "--seed", "2", "--bootstrap", "100", "--threads", "2", "--quiet", "--out", str(out),
    )
    k = cp.criticality(ONLY_ROUTE, 15, sets=CSETS, runs=30, seed=2, bootstrap=100, threads=2, progress=False)
    theirs = folder_files(out)
    assert "contributions.csv" in theirs
    assert_same_folder(k.files, theirs)
    sets = k.sets
    assert set(sets["kind"]) == {"N-1", "N-k"}
    n1 = sets[sets["kind"] == "N-1"]
    assert list(n1["total_loss_usd"]) == sorted(n1["total_loss_usd"], reverse=True)
    assert len(n1) == len(cp.Scenario.load(ONLY_ROUTE).corridors["corridor"].unique())
    contrib = k.contributions
    assert ((contrib["p_rank_holds"] >= 0) & (contrib["p_rank_holds"] <= 1)).all()
    runs = k.contribution_runs
    assert (runs["contribution_usd"] == runs["base_total_loss_usd"] - runs["total_loss_without_usd"]).all()
    assert "N-1" in k.summary()
    # Without runs: no Monte Carlo view, and its tables say how to get them.
    k0 = cp.criticality(ONLY_ROUTE, 15)
    pd.testing.assert_frame_equal(k0.sets, n1)
    with pytest.raises(KeyError, match="runs=N"):
        k0.contributions


def test_criticality_errors():
    with pytest.raises(cp.InvalidArgumentError, match="outside the simulated window"):
        cp.criticality(ONLY_ROUTE, 15, start="2031-01-01")
    with pytest.raises(cp.InvalidArgumentError, match="capacity factor"):
        cp.criticality(ONLY_ROUTE, 15, capacity_factor=1.5)
    with pytest.raises(cp.InvalidArgumentError, match='bad_sets.toml:3: unknown corridor "sout".*did you mean "south"'):
        cp.criticality(ONLY_ROUTE, 15, sets="tests/fixtures/criticality/bad_sets.toml")
    with pytest.raises(cp.InvalidArgumentError, match="no random closure process"):
        cp.criticality(TWOLAND, 15, runs=10, progress=False)


def _compare_in_worker(n: int):
    return cp.compare(CBASE, [WIDER], runs=n, seed=1, threads=1, bootstrap=50, progress=False)


def test_compare_and_criticality_results_pickle_and_save(tmp_path):
    c = _compare_in_worker(12)
    back = pickle.loads(pickle.dumps(c))
    assert back == c
    pd.testing.assert_frame_equal(back.benefit_cost, c.benefit_cost)
    with concurrent.futures.ProcessPoolExecutor(1) as pool:
        assert pool.submit(_compare_in_worker, 12).result() == c
    k = cp.criticality(ONLY_ROUTE, 10, runs=10, seed=1, bootstrap=20, progress=False)
    k2 = pickle.loads(pickle.dumps(k))
    assert k2 == k and k2.summary() == k.summary()
    c.save(tmp_path / "c")
    k.save(tmp_path / "k")
    assert (tmp_path / "c" / "benefit_cost.csv").read_bytes() == c.files["benefit_cost.csv"]
    with pytest.raises(cp.FolderInUseError):
        k.save(tmp_path / "c")


def test_compare_progress_counts_every_run(monkeypatch):
    seen = []

    class Fake:
        def __init__(self, **kw):
            self.total, self.n = None, 0

        def update(self, k):
            self.n += k
            seen.append(self.n)

        def close(self):
            pass

    monkeypatch.setattr(cp._progress, "_tqdm", lambda: Fake)
    cp.compare(CBASE, [WIDER], runs=25, seed=1, threads=1, bootstrap=20, progress=True)
    assert seen and seen[-1] == 25


def test_compare_and_criticality_stop_when_the_progress_bar_fails(monkeypatch):
    # The event, not a clock: the bar is asked to update once, raises, and is never asked
    # again; runs that went on to the end would report again (1,500 runs, many reports).
    calls = []

    class Boom:
        def __init__(self, **kw):
            self.total, self.n = None, 0

        def update(self, k):
            calls.append(k)
            raise RuntimeError("bar broke")

        def close(self):
            pass

    monkeypatch.setattr(cp._progress, "_tqdm", lambda: Boom)
    with pytest.raises(RuntimeError, match="bar broke"):
        cp.compare(CBASE, [WIDER], runs=1500, seed=1, threads=1, bootstrap=20, progress=True)
    assert len(calls) == 1, calls
    calls.clear()
    with pytest.raises(RuntimeError, match="bar broke"):
        cp.criticality(ONLY_ROUTE, 10, runs=1500, seed=1, threads=1, bootstrap=20, progress=True)
    assert len(calls) == 1, calls


def test_from_json_checks_the_scenario():
    """A pickled scenario is checked when read back: a bad id is a ScenarioError, not a
    panic in the engine later."""
    from chokepoint.scenario import _from_json

    s = cp.Scenario.load(TWOLAND)
    raw = json.loads(s._raw.to_json())
    assert _from_json(json.dumps(raw)) == s
    raw["scenario"]["corridors"][0]["links"] = [999]
    with pytest.raises(cp.ScenarioError, match="999|link"):
        _from_json(json.dumps(raw))


def test_each_error_kind_has_its_own_class():
    from chokepoint import errors

    assert issubclass(errors.CancelledError, cp.ChokepointError)
    assert issubclass(errors.EnginePanicError, cp.SimulationError)
    assert issubclass(errors.FileFormatError, cp.OutputError)


def test_metric_table_is_what_each_study_writes():
    """``cp.metrics()`` is the library's metric table: each study's metrics, in its
    order, are the metric columns of the file it writes."""
    t = cp.metrics()
    assert list(t.columns[:3]) == ["metric", "unit", "description"]
    assert t["metric"].is_unique and (t["unit"] != "").all()

    def of(study):
        rows = t[t[study].notna()].sort_values(study)
        assert list(rows[study]) == list(range(len(rows))), study
        return list(rows["metric"])

    mc = cp.montecarlo(RANDOM, runs=5, seed=1, progress=False)
    runs = list(mc.table("runs.csv").columns)
    start = runs.index("closure_windows") + 1
    assert runs[start : start + len(of("montecarlo"))] == of("montecarlo")
    k = cp.criticality(ONLY_ROUTE, 15)
    cols = list(k.sets.columns)
    start = cols.index("duration_days") + 1
    assert cols[start : start + len(of("criticality"))] == of("criticality")
    r = cp.run(TWOLAND)
    metrics = r.table("run.csv")
    total = list(metrics[metrics["scope"] == "total"]["metric"])
    assert total == of("run")


def test_controls_are_on_by_default_as_the_cli(cli, tmp_path):
    none = tmp_path / "none"
    run_cli(cli, "montecarlo", RANDOM, "--runs", "40", "--seed", "5", "--quiet", "--no-controls", "--out", str(none))
    mc = cp.montecarlo(RANDOM, runs=40, seed=5, threads=1, progress=False)
    off = cp.montecarlo(RANDOM, runs=40, seed=5, threads=1, progress=False, controls=False)
    # controls=False is the CLI's --no-controls; the default adds two files and changes none.
    assert set(off.files) == set(folder_files(none))
    assert set(mc.files) - set(off.files) == {"controlled.csv", "controls.csv"}
    for name in off.files:
        if name.endswith(".csv"):
            assert mc.files[name] == off.files[name], name
    # The plain and the controlled estimate side by side.
    c = mc.controlled.set_index(["metric", "estimator"])
    plain = c.loc[("total_loss_usd", "plain")]
    assert plain["mean"] == pytest.approx(mc.mean_loss_usd, rel=1e-12)
    assert plain["variance_reduction"] == 1.0
    vrf = mc.controlled_stat(column="variance_reduction")
    assert mc.controlled_stat(column="effective_runs") == pytest.approx(40 * vrf, rel=1e-12)
    assert mc.controlled_stat() == c.loc[("total_loss_usd", "controlled"), "mean"]
    assert "controlled USD" in repr(mc) and "control variates" in mc._repr_html_()
    assert set(mc.controls["control"]) >= {"lost_days:north"}
    assert off.controlled is None and off.controls is None and "controlled" not in repr(off)
    with pytest.raises(KeyError):
        off.controlled_stat()
    with pytest.raises(cp.InvalidArgumentError):
        cp.montecarlo(RANDOM, runs=5, seed=5, progress=False, control_draws=1)
    # compare: controlled.csv by default, none with controls=False.
    cmp = cp.compare(CBASE, [WIDER], runs=30, seed=9, fixed_closures=False, bootstrap=50, progress=False)
    assert set(cmp.controlled["quantity"]) == {"total_loss_usd", "avoided_loss_usd"}
    cmp_off = cp.compare(
        CBASE, [WIDER], runs=30, seed=9, fixed_closures=False, bootstrap=50, progress=False, controls=False
    )
    assert cmp_off.controlled is None
    assert set(cmp.files) - set(cmp_off.files) == {"controlled.csv"}


def _cli_warnings(cli, *args) -> list[str]:
    out = subprocess.run([cli, *args], capture_output=True, text=True, check=True)
    return [line.removeprefix("warning: ") for line in out.stderr.splitlines() if line.startswith("warning: ")]


def test_closures_that_do_nothing_warn_in_the_cli_words(cli):
    """The window warnings are worded once, in the library: Python warns with the lines the CLI
    prints on stderr, for the scenario's own closures and the given ones alike."""
    expected = _cli_warnings(cli, "run", TWOLAND, "--start", "2024-06-01", "--close", "north:2030-01-01+10")
    assert len(expected) == 2
    assert expected[0].startswith("1 of the scenario's 1 fixed closure(s) fall outside the simulated window")
    assert expected[1].startswith("closure north:2030-01-01+10 lies wholly outside the simulated window")
    with pytest.warns(UserWarning) as caught:
        r = cp.run(TWOLAND, ["north:2030-01-01+10"], start="2024-06-01")
    assert [str(w.message) for w in caught] == expected
    assert r.warnings == expected
    # Criticality's closures in force in every run: the same words.
    expected = _cli_warnings(cli, "criticality", ONLY_ROUTE, "--duration", "15", "--close", "north:2023-01-01+5")
    with pytest.warns(UserWarning) as caught:
        k = cp.criticality(ONLY_ROUTE, 15, closures=["north:2023-01-01+5"])
    got = [str(w.message) for w in caught]
    assert expected and expected[0].startswith("closure north:2023-01-01+5 lies wholly outside")
    assert got[: len(expected)] == expected and k.warnings[: len(expected)] == expected


def test_criticality_warns_in_the_cli_words(cli):
    """The warnings the CLI prints under the criticality table (a closure past the window, negative
    components...) are the library's: Python warns with the same lines."""
    expected = _cli_warnings(cli, "criticality", ONLY_ROUTE, "--duration", "200")
    assert len(expected) >= 1 and expected[0].startswith("Each closure lasts 200 days")
    with pytest.warns(UserWarning) as caught:
        k = cp.criticality(ONLY_ROUTE, 200)
    assert [str(w.message) for w in caught] == expected
    assert k.warnings == expected
