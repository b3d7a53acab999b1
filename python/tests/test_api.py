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
    assert set(r.files) == set(theirs) == {"run.csv", "daily.csv", "manifest.json", "timing.json"}
    assert r.files["run.csv"] == theirs["run.csv"]
    assert r.files["daily.csv"] == theirs["daily.csv"]
    assert without_tool(r.files["manifest.json"]) == without_tool(theirs["manifest.json"])
    # The frames are the CLI's files read back exactly.
    pd.testing.assert_frame_equal(r.metrics, read_csv(theirs["run.csv"]))
    cli_total = pd.read_csv(out / "run.csv")
    cli_loss = cli_total.query("scope == 'total' and metric == 'total_loss_usd'")["value"].item()
    assert r.totals["total_loss_usd"] == cli_loss > 0
    assert r.series("stranded_trucks").max() == r.totals["peak_stranded_trucks"] > 0


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
    assert p.loc["settings.reaction_days", "value"] == 5
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


def test_montecarlo_releases_the_gil():
    s = cp.Scenario.load(RANDOM)
    done = threading.Event()
    ticks = 0

    def work():
        cp.montecarlo(s, runs=3000, seed=1, threads=1, progress=False)
        done.set()

    t = threading.Thread(target=work)
    start = time.perf_counter()
    t.start()
    while not done.is_set():
        ticks += 1
        time.sleep(0.001)
    t.join()
    elapsed = time.perf_counter() - start
    # Python kept running beside the runs: about one tick per millisecond.
    assert elapsed > 0.05 and ticks > 0.3 * elapsed * 1000


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
