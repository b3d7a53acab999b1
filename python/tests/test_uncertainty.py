"""cp.uncertainty: frames of the CLI's files, progress, counts, bad input.

Run from anywhere: ``pytest python/tests``. The CLI binary is ``$CHOKEPOINT_BIN`` or
``target/release/chokepoint``.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest

import chokepoint as cp

ROOT = Path(__file__).resolve().parents[2]
BASE = "tests/fixtures/uncertainty/base.toml"
OPTION = "tests/fixtures/uncertainty/wider_north.toml"
NO_TABLES = "tests/fixtures/montecarlo/twoland_random.toml"


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def cli() -> str:
    return os.environ.get("CHOKEPOINT_BIN") or str(ROOT / "target/release/chokepoint")


def without_tool(b: bytes) -> dict:
    m = json.loads(b)
    m.pop("tool")
    m.pop("files")
    return m


def test_the_result_is_frames_equal_to_the_cli_files(tmp_path):
    r = cp.uncertainty(BASE, [OPTION], points=8, years=4, seed=2, threads=2, bootstrap=50,
                       progress=False)
    out = tmp_path / "u"
    subprocess.run([cli(), "uncertainty", BASE, OPTION, "--points", "8", "--years", "4", "--seed", "2",
                    "--bootstrap", "50", "--threads", "1", "-q", "--out", str(out)],
                   cwd=ROOT, check=True, capture_output=True)
    for name in ["points.csv", "losses.csv", "point_results.csv", "predictive.csv",
                 "variance_split.csv", "indices.csv", "options.csv", "rankings.csv"]:
        assert r.files[name] == (out / name).read_bytes(), name
    assert without_tool(r.files["manifest.json"]) == without_tool((out / "manifest.json").read_bytes())
    for frame in [r.points, r.losses, r.point_results, r.predictive, r.variance_split, r.indices,
                  r.options]:
        assert isinstance(frame, pd.DataFrame) and len(frame) > 0
    # One option: no pair to rank.
    assert len(r.rankings) == 0
    assert set(r.losses["scenario"]) == {"base", "wider_north"}
    assert len(r.losses) == 8 * 2 * 4
    assert "UncertaintyResult" in repr(r)


def test_counts_are_validated():
    for kw in [{"points": 2}, {"points": 8.5}, {"years": 1}, {"years": True}, {"seed": -1},
               {"base_points": 2}, {"bootstrap": 0}, {"threads": 0}]:
        with pytest.raises(cp.InvalidArgumentError):
            cp.uncertainty(BASE, [], **{"points": 8, "years": 2, **kw}, progress=False)
    with pytest.raises(cp.InvalidArgumentError, match="target"):
        cp.uncertainty(BASE, [], points=8, years=2, groups="corridor", progress=False)


def test_an_option_as_the_base_is_refused_in_the_librarys_words():
    """The check is the library's (compare::Study, uncertainty::Study), as the CLI's."""
    for options in ([], [OPTION]):
        with pytest.raises(cp.InvalidArgumentError, match="is an option file"):
            cp.uncertainty(OPTION, options, points=8, years=2, progress=False)


def test_a_scenario_without_uncertain_tables_says_what_to_add():
    with pytest.raises(cp.ChokepointError, match=r"\[\[uncertain\]\]"):
        cp.uncertainty(NO_TABLES, [], points=8, years=2, progress=False)


def test_the_compare_headline_carries_an_uncertainty_study_as_the_cli_report_does(tmp_path):
    options = [OPTION, "tests/fixtures/uncertainty/wider_south.toml"]
    c = cp.compare(BASE, options, runs=40, seed=3, bootstrap=20, progress=False)
    u = cp.uncertainty(BASE, options, points=12, years=8, seed=5, bootstrap=20, progress=False)
    plain = c.headline()
    assert len(plain) == 1 and plain[0]["draws"] == 0
    assert any("sampling noise" in s for s in plain[0]["sentences"])
    robust = c.headline(uncertainty=u)[0]
    assert robust["draws"] == 12
    assert robust["best_mean"] == plain[0]["best_mean"] and robust["order"] == plain[0]["order"]
    assert robust["sentences"][0].endswith("draws of the uncertain parameters.")
    # The CLI on the saved folders prints the same sentences.
    c.save(tmp_path / "cmp")
    u.save(tmp_path / "unc")
    assert c.headline(uncertainty=tmp_path / "unc") == [robust]
    out = subprocess.run(
        [cli(), "report", str(tmp_path / "cmp"), "--uncertainty", str(tmp_path / "unc")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    printed = [l.strip() for l in out.splitlines() if l.startswith("  ")]
    assert printed == robust["sentences"]
    # An uncertainty study of another question is refused, by name.
    other = cp.uncertainty(BASE, [OPTION], points=8, years=4, seed=5, bootstrap=20, progress=False)
    with pytest.raises(cp.ChokepointError, match="wider_south"):
        c.headline(uncertainty=other)
    with pytest.raises(TypeError, match="UncertaintyResult"):
        c.headline(uncertainty=3)


def test_progress_counts_every_cell_of_the_design(monkeypatch):
    # One report per (point, scenario) cell: 8 points x 2 scenarios, in any thread order
    # but counted up to the total, which the bar learns from the study.
    bars = []

    class Fake:
        def __init__(self, **kw):
            self.total, self.n, self.seen, self.closed = None, 0, [], False
            bars.append(self)

        def update(self, k):
            assert k > 0, "the count only goes up"
            self.n += k
            self.seen.append(self.n)

        def close(self):
            self.closed = True

    monkeypatch.setattr(cp._progress, "_tqdm", lambda: Fake)
    cp.uncertainty(BASE, [OPTION], points=8, years=2, seed=1, threads=2, bootstrap=20,
                   progress=True)
    assert len(bars) == 1 and bars[0].closed
    assert bars[0].total == 16 and bars[0].seen[-1] == 16, bars[0].seen
    cp.uncertainty(BASE, [OPTION], points=8, years=2, seed=1, threads=2, bootstrap=20,
                   progress=False)
    assert len(bars) == 1, "no bar when progress=False"
