"""Results of ``run`` and ``montecarlo``: the output files the CLI writes (kept as the
library's bytes), their tables as pandas frames, and ``save`` to an output folder."""

from __future__ import annotations

import json
import os
import tempfile
from typing import Dict, List, Mapping, Optional, Union

import pandas as pd

from . import _lib, _plot
from ._tables import read_csv

PathLike = Union[str, "os.PathLike[str]"]


class _Result:
    """What both results share: ``files`` (name -> bytes, exactly the CLI's), the
    ``manifest`` and ``timing``, tables as frames, ``save``. Pickles as its files."""

    _TABLES: Mapping[str, str] = {}

    def __init__(self, files: Mapping[str, bytes], warnings=()) -> None:
        self._files: Dict[str, bytes] = dict(files)
        self.warnings = list(warnings)
        self._frames: Dict[str, pd.DataFrame] = {}

    @property
    def files(self) -> Dict[str, bytes]:
        """The output files by name, as ``chokepoint`` writes them into ``--out``."""
        return dict(self._files)

    @property
    def manifest(self) -> dict:
        """``manifest.json``: what defines the study (see docs/outputs.md)."""
        return json.loads(self._files["manifest.json"])

    @property
    def timing(self) -> dict:
        """``timing.json``: ``threads``, ``seconds`` (wall), ``runs_per_second``."""
        return json.loads(self._files["timing.json"])

    def table(self, file: str) -> pd.DataFrame:
        """The frame of one CSV file by name (e.g. ``"runs.csv"``); a fresh copy."""
        if file not in self._frames:
            if file not in self._files:
                have = ", ".join(n for n in self._files if n.endswith(".csv"))
                raise KeyError(f"no file {file!r} in this result; it has {have}")
            self._frames[file] = read_csv(self._files[file])
        return self._frames[file].copy()

    def save(self, folder: PathLike, force: bool = False) -> None:
        """Write the result into ``folder`` as the CLI's ``--out`` would: the folder is
        checked first (it may hold only this same study's files; ``force=True`` replaces
        chokepoint's own files there), files are written atomically, the manifest last.
        Raises :class:`~chokepoint.errors.FolderInUseError` for another study's folder."""
        _lib.save(os.fspath(folder), list(self._files.items()), force)

    def __getstate__(self):
        return {"files": self._files, "warnings": self.warnings}

    def __setstate__(self, state) -> None:
        _Result.__init__(self, state["files"], state["warnings"])

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        strip = lambda f: {k: v for k, v in f.items() if k != "timing.json"}  # noqa: E731
        return strip(self._files) == strip(other._files)  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]


class RunResult(_Result):
    """One deterministic run (``cp.run``): ``metrics`` (``run.csv``) and ``daily``
    (``daily.csv``) in the CLI's long layout, units in metric names (USD, t, trucks,
    days)."""

    def __init__(self, files, warnings=(), summary_text: str = "") -> None:
        super().__init__(files, warnings)
        self._summary = summary_text

    def __getstate__(self):
        return {**super().__getstate__(), "summary": self._summary}

    def __setstate__(self, state) -> None:
        RunResult.__init__(self, state["files"], state["warnings"], state["summary"])

    def plot(self, metric: str = "stranded_trucks", scope: str = "total", id: str = "", ax=None):
        """A daily series (``daily.csv``), as the run report draws it (matplotlib)."""
        return _plot.run_series(self, metric, scope, id, ax)

    @property
    def metrics(self) -> pd.DataFrame:
        """``run.csv``: ``scope, id, metric, value``. Scopes ``total``, ``country``,
        ``crossing``, ``corridor``, ``product``, ``partner``; units in ``metric``."""
        return self.table("run.csv")

    @property
    def daily(self) -> pd.DataFrame:
        """``daily.csv``: ``day, date, scope, id, metric, value`` (e.g. ``total``
        ``stranded_trucks``, ``delivered_usd``; ``corridor`` ``flow_t``, ...)."""
        return self.table("daily.csv")

    @property
    def welfare(self) -> pd.DataFrame:
        """``welfare.csv``: ``country, side`` (``buyer`` or ``seller``),
        ``welfare_loss_usd`` (the lost gains from trade), ``lost_trade_usd``; each side
        sums to the run's totals."""
        return self.table("welfare.csv")

    @property
    def prices(self) -> pd.DataFrame:
        """``prices.csv`` (with the daily series): ``day, date, phase, product, node,
        side`` (``market``: the marginal landed cost, at most the buyer's value;
        ``farm_gate``: the value of one more tonne at a supply point, at least the origin
        price), ``price_usd_per_t``, ``counterfactual_usd_per_t``, ``change_usd_per_t``
        (docs/model.md, "Prices")."""
        return self.table("prices.csv")

    @property
    def totals(self) -> pd.Series:
        """The ``total`` scope of ``metrics`` as a Series by metric (``total_loss_usd``
        in USD, ``peak_stranded_trucks`` in trucks, ...)."""
        m = self.metrics
        return m[m["scope"] == "total"].set_index("metric")["value"]

    def series(self, metric: str, scope: str = "total", id: str = "") -> pd.Series:
        """One daily series as a Series indexed by date, e.g.
        ``series("stranded_trucks")`` or ``series("flow_t", "corridor", "torkham")``."""
        d = self.daily
        sel = d[(d["scope"] == scope) & (d["id"] == id) & (d["metric"] == metric)]
        if sel.empty:
            raise KeyError(f"no daily series {scope}/{id}/{metric}")
        return sel.set_index("date")["value"].rename(metric)

    def summary(self) -> str:
        """The summary ``chokepoint run`` prints."""
        return self._summary

    def __repr__(self) -> str:
        t = self.totals
        return (
            f"<chokepoint.RunResult: total loss USD {t['total_loss_usd']:,.0f}, "
            f"peak {t['peak_stranded_trucks']:,.0f} stranded trucks>"
        )

    def _repr_html_(self) -> str:
        return "<p>chokepoint run: totals</p>" + self.totals.to_frame().to_html()


class MonteCarloResult(_Result):
    """A Monte Carlo study (``cp.montecarlo``): the CLI's files as frames. Per run:
    ``runs`` (wide, one column per metric), ``corridors``, ``crossings``, ``trade``,
    ``welfare``, ``price_runs``, ``closures``; over runs: ``prices``, ``summary``, ``exceedance``, ``daily_bands``,
    ``convergence``. Money in USD, tonnes in t, durations in days."""

    def plot(self, kind: str = "exceedance", series: str = "stranded_trucks", ax=None):
        """The report's charts (matplotlib): ``kind="exceedance"``, the loss exceedance
        curve; ``kind="fan"``, the daily fan chart of ``series``."""
        if kind == "exceedance":
            return _plot.exceedance(self, ax)
        if kind == "fan":
            return _plot.fan(self, series, ax)
        raise ValueError(f"kind={kind!r}: expected 'exceedance' or 'fan'")

    @property
    def runs(self) -> pd.DataFrame:
        """``runs.csv``: one row per run; ``total_loss_usd`` and every scalar metric."""
        return self.table("runs.csv")

    @property
    def corridors(self) -> pd.DataFrame:
        """``corridors.csv``: run x corridor; closure days, delivered t and USD."""
        return self.table("corridors.csv")

    @property
    def crossings(self) -> pd.DataFrame:
        """``crossings.csv``: run x crossing; trade halted (USD), stranded trucks."""
        return self.table("crossings.csv")

    @property
    def trade(self) -> pd.DataFrame:
        """``trade.csv``: run x product or partner; delivered t and USD."""
        return self.table("trade.csv")

    @property
    def welfare(self) -> pd.DataFrame:
        """``welfare.csv``: run x country x side (``buyer``, ``seller``); the welfare
        loss (lost gains from trade) and lost trade, USD."""
        return self.table("welfare.csv")

    @property
    def prices(self) -> pd.DataFrame:
        """``prices.csv``: per price point that changed in any run (product, node, side),
        the distribution over runs of its peak change, USD/t (mean, min, p5, p50, p95,
        max) and the mean of its mean change."""
        return self.table("prices.csv")

    @property
    def price_runs(self) -> pd.DataFrame:
        """``price_runs.csv``: run x price point that changed in it; its peak change,
        mean change and the counterfactual's mean price, USD/t, and the day of the peak."""
        return self.table("price_runs.csv")

    @property
    def closures(self) -> pd.DataFrame:
        """``closures.csv``: run x closure window simulated (fixed and random)."""
        return self.table("closures.csv")

    @property
    def summary(self) -> pd.DataFrame:
        """``summary.csv``: ``metric, statistic, value, ci_low, ci_high`` (mean, se, sd,
        percentiles, VaR and TVaR at 95% and 99%)."""
        return self.table("summary.csv")

    @property
    def exceedance(self) -> pd.DataFrame:
        """``exceedance.csv``: the loss exceedance curve (USD, probability, years)."""
        return self.table("exceedance.csv")

    @property
    def daily_bands(self) -> pd.DataFrame:
        """``daily_bands.csv``: per day and series (``stranded_trucks``,
        ``delivered_usd``), ``p5, p50, p95, mean`` for fan charts."""
        return self.table("daily_bands.csv")

    @property
    def convergence(self) -> pd.DataFrame:
        """``convergence.csv``: mean total loss (USD) and its error as runs accrue."""
        return self.table("convergence.csv")

    @property
    def losses(self) -> pd.Series:
        """Total loss of each run (USD), indexed by run."""
        return self.runs.set_index("run")["total_loss_usd"]

    @property
    def controlled(self) -> Optional[pd.DataFrame]:
        """``controlled.csv``: per metric, the ``plain`` and the ``controlled`` estimate
        of its mean side by side (``mean, se, ci_low, ci_high``, the
        ``variance_reduction`` factor and the ``effective_runs``); ``None`` for a study
        without controls (``controls=False``, no random closures, too few runs)."""
        return self.table("controlled.csv") if "controlled.csv" in self._files else None

    @property
    def controls(self) -> Optional[pd.DataFrame]:
        """``controls.csv``: each control (a plan feature), its mean and that mean's
        error, its coefficient and share of the variance of the total loss; ``None``
        without controls."""
        return self.table("controls.csv") if "controls.csv" in self._files else None

    def controlled_stat(self, metric: str = "total_loss_usd", column: str = "mean") -> float:
        """One value of the controlled estimate of ``controlled``, e.g.
        ``controlled_stat("total_loss_usd", "variance_reduction")``; raises ``KeyError``
        without controls."""
        c = self.controlled
        if c is None:
            raise KeyError("no controlled.csv in this result (controls=False, or nothing to control for)")
        sel = c[(c["metric"] == metric) & (c["estimator"] == "controlled")]
        if sel.empty:
            raise KeyError(f"no controlled estimate of {metric!r} in controlled.csv")
        return float(sel[column].iloc[0])

    def stat(self, metric: str = "total_loss_usd", statistic: str = "mean") -> float:
        """One value of ``summary``, e.g. ``stat("total_loss_usd", "tvar95")`` (USD)."""
        s = self.summary
        sel = s[(s["metric"] == metric) & (s["statistic"] == statistic)]
        if sel.empty:
            raise KeyError(f"no statistic {statistic!r} of {metric!r} in summary.csv")
        return float(sel["value"].iloc[0])

    @property
    def mean_loss_usd(self) -> float:
        """Mean total loss per run (per simulated year), USD."""
        return self.stat("total_loss_usd", "mean")

    def __repr__(self) -> str:
        controlled = ""
        if self.controlled is not None:
            controlled = (
                f", controlled USD {self.controlled_stat():,.0f} (variance reduction "
                f"{self.controlled_stat(column='variance_reduction'):.1f}, as "
                f"{self.controlled_stat(column='effective_runs'):,.0f} plain runs)"
            )
        return (
            f"<chokepoint.MonteCarloResult: {self.manifest['montecarlo']['runs']} runs, "
            f"mean loss USD {self.mean_loss_usd:,.0f}{controlled}>"
        )

    def _repr_html_(self) -> str:
        s = self.summary
        s = s[s["metric"] == "total_loss_usd"].set_index("statistic")[["value", "ci_low", "ci_high"]]
        runs = self.manifest["montecarlo"]["runs"]
        html = f"<p>chokepoint Monte Carlo: total_loss_usd over {runs} runs</p>" + s.to_html()
        c = self.controlled
        if c is not None:
            cols = ["estimator", "mean", "se", "ci_low", "ci_high", "variance_reduction", "effective_runs"]
            c = c[c["metric"] == "total_loss_usd"][cols].set_index("estimator")
            html += "<p>its mean, plain and with control variates (controlled.csv)</p>" + c.to_html()
        return html


class CompareResult(_Result):
    """A comparison of options against a base (``cp.compare``), the files of
    ``chokepoint compare`` as frames, long format, one row per future x option (x pair,
    metric, corridor, ...). Money in USD, ``_per_year`` per simulated year, shares and
    probabilities in [0, 1]. See docs/options.md for what each table means."""

    def plot(self, future: Optional[str] = None, ax=None):
        """Avoided loss by option with its 95% paired interval, sorted by benefit
        (matplotlib)."""
        return _plot.avoided_loss(self, future, ax)

    def headline(self, uncertainty=None) -> List[dict]:
        """The answer, as the CLI prints it and the report opens with it, per future: a
        dict with ``future``, ``order`` (options by avoided loss, largest first),
        ``best_mean``, ``best_tail_per_usd``, ``paying`` (options with benefit/cost >=
        1), ``sentences`` (the statements in words and numbers) and ``draws``.

        ``uncertainty``: an :class:`UncertaintyResult` (``cp.uncertainty`` of the same
        base and options) or the folder of one; each statement then says in what share
        of its ``draws`` parameter draws it holds. A study of another base, other options
        or another window raises :class:`~chokepoint.errors.ChokepointError` naming the
        difference."""
        with tempfile.TemporaryDirectory(prefix="chokepoint-headline-") as tmp:
            here = os.path.join(tmp, "compare")
            self.save(here)
            unc = None
            if isinstance(uncertainty, UncertaintyResult):
                unc = os.path.join(tmp, "uncertainty")
                uncertainty.save(unc)
            elif uncertainty is not None:
                if not isinstance(uncertainty, (str, os.PathLike)):
                    raise TypeError(
                        "uncertainty= takes an UncertaintyResult or the folder of one, "
                        f"not {type(uncertainty).__name__}"
                    )
                unc = os.fspath(uncertainty)
            return _lib.compare_headline(here, unc)

    @property
    def runs(self) -> pd.DataFrame:
        """``compare_runs.csv``: future x run x candidate; ``total_loss_usd`` and its
        components (USD), stranded trucks. Run ``i`` of every candidate saw the same
        random closures of the base's processes (common random numbers)."""
        return self.table("compare_runs.csv")

    @property
    def differences(self) -> pd.DataFrame:
        """``differences.csv``: future x (option, against) x metric; ``mean_reduction``
        (against minus option, the metric's unit: positive = the option loses less) with
        its paired (``reduction_ci_*``) and unpaired (``reduction_unpaired_ci_*``) 95% CIs,
        ``ci_width_ratio`` (paired / unpaired) and ``variance_removed_share``."""
        return self.table("differences.csv")

    @property
    def wins(self) -> pd.DataFrame:
        """``wins.csv``: future x (option, against); runs won (strictly lower total
        loss), tied, lost; ``p_beats`` with its 95% CI (Wilson), ``p_ties``."""
        return self.table("wins.csv")

    @property
    def best(self) -> pd.DataFrame:
        """``best.csv``: future x candidate; ``mean_total_loss_usd``, ``rank_by_mean``,
        ``p_best`` (share of runs it alone is best) with its CI, bootstrap stability."""
        return self.table("best.csv")

    @property
    def tail(self) -> pd.DataFrame:
        """``tail.csv``: future x (option, against) x measure (``var95``, ``tvar95``,
        ...): both values and ``reduction_usd`` (against minus option) with its bootstrap
        95% CI."""
        return self.table("tail.csv")

    @property
    def diversion(self) -> pd.DataFrame:
        """``diversion.csv``: future x option x corridor; mean tonnes (t) and value (USD)
        delivered over the corridor, option minus base, with paired 95% CIs."""
        return self.table("diversion.csv")

    @property
    def revenue(self) -> pd.DataFrame:
        """``revenue.csv``: future x option x country; mean border revenue lost (USD) of
        base and option, ``mean_reduction_usd`` (base minus option) with its paired 95%
        CI."""
        return self.table("revenue.csv")

    @property
    def controlled(self) -> Optional[pd.DataFrame]:
        """``controlled.csv``: per future, candidate and quantity (``total_loss_usd``,
        the candidate's mean loss; ``avoided_loss_usd``, the option's mean avoided loss)
        the ``plain`` and the ``controlled`` estimate side by side, with the
        ``variance_reduction`` factor and the ``effective_runs``; ``None`` for a
        comparison without controls (``controls=False``, no random closures)."""
        return self.table("controlled.csv") if "controlled.csv" in self._files else None

    @property
    def benefit_cost(self) -> pd.DataFrame:
        """``benefit_cost.csv``: future x option; costs (USD, USD/year), horizon (years),
        discount rate (/year), ``avoided_loss_usd_per_year`` with its CI, present values
        (USD), ``npv_usd``, ``benefit_cost_ratio``, TVaR95 reduction (USD, and USD per
        million USD spent), each with 95% CIs."""
        return self.table("benefit_cost.csv")

    @property
    def futures(self) -> pd.DataFrame:
        """``futures.csv``: future x candidate; mean annual loss (USD/year) with its CI,
        regret, equivalent annual cost, loss plus cost, regret with cost (USD/year),
        share of runs below the threshold."""
        return self.table("futures.csv")

    @property
    def robustness(self) -> pd.DataFrame:
        """``robustness.csv``: candidate; largest regret over the futures (USD/year), with
        and without cost, the least-max-regret choice, share below the threshold."""
        return self.table("robustness.csv")

    @property
    def labels(self) -> list:
        """The candidates: ``"base"`` then the options' names, in the order given."""
        return list(dict.fromkeys(self.runs["candidate"]))

    def losses(self, candidate: str = "base", future: Optional[str] = None) -> pd.Series:
        """Total loss of each run (USD) of one candidate in one future (default: the
        first), indexed by run."""
        r = self.runs
        future = r["future"].iloc[0] if future is None else future
        sel = r[(r["candidate"] == candidate) & (r["future"] == future)]
        if sel.empty:
            raise KeyError(f"no runs of {candidate!r} in future {future!r}; candidates: {self.labels}")
        return sel.set_index("run")["total_loss_usd"].rename(candidate)

    def __repr__(self) -> str:
        m = self.manifest
        return (
            f"<chokepoint.CompareResult: {len(m['compare']['options'])} option(s) against the "
            f"base, {m['montecarlo']['runs']} runs, {self.runs['future'].nunique()} future(s)>"
        )

    def _repr_html_(self) -> str:
        cols = [
            "future", "option", "avoided_loss_usd_per_year", "avoided_loss_ci_low_usd_per_year",
            "avoided_loss_ci_high_usd_per_year", "npv_usd", "benefit_cost_ratio",
        ]
        return "<p>chokepoint comparison: benefit and cost</p>" + self.benefit_cost[cols].to_html(index=False)


class CriticalityResult(_Result):
    """A criticality study (``cp.criticality``), the files of ``chokepoint
    criticality`` as frames: ``sets`` (each corridor closed alone, N-1, and each N-k set,
    ranked by the loss each adds to the background closures', which without any is the
    total loss, USD), ``diversion`` (t/day); with ``runs``, ``contributions``
    of each corridor to the Monte Carlo's mean annual loss and TVaR95 (USD),
    ``contribution_summary`` and ``contribution_runs``. See docs/criticality.md."""

    def __init__(self, files, warnings=(), text: str = "") -> None:
        super().__init__(files, warnings)
        self._text = text

    def __getstate__(self):
        return {**super().__getstate__(), "text": self._text}

    def __setstate__(self, state) -> None:
        CriticalityResult.__init__(self, state["files"], state["warnings"], state["text"])

    def plot(self, kind: str = "N-1", ax=None):
        """Corridors (``kind="N-1"``) or sets (``"N-k"``) ranked by loss (matplotlib)."""
        return _plot.ranking(self, kind, ax)

    @property
    def sets(self) -> pd.DataFrame:
        """``criticality.csv``: one row per closure set (``kind`` N-1 or N-k), ranked by
        ``total_loss_usd`` within its kind; losses by component (USD), peak stranded
        trucks, stranded truck-days, days to recover."""
        return self.table("criticality.csv")

    @property
    def diversion(self) -> pd.DataFrame:
        """``diversion.csv``: set x corridor; t/day before, during and after the closure
        against the counterfactual, ``diverted_t_per_day``, t over the run."""
        return self.table("diversion.csv")

    def _mc(self, file: str) -> pd.DataFrame:
        if file not in self._files:
            raise KeyError(f"{file} is written only with the Monte Carlo view: pass runs=N")
        return self.table(file)

    @property
    def contributions(self) -> pd.DataFrame:
        """``contributions.csv`` (with ``runs``): corridor, ranked; mean contribution to
        the annual loss (USD/year) with se and 95% CI, share of the mean loss, TVaR95
        contribution (USD) with its bootstrap CI, ranking stability."""
        return self._mc("contributions.csv")

    @property
    def contribution_summary(self) -> pd.DataFrame:
        """``contribution_summary.csv`` (with ``runs``): the base study's mean and TVaR95
        (USD), the probability that the whole ranking holds."""
        return self._mc("contribution_summary.csv")

    @property
    def contribution_runs(self) -> pd.DataFrame:
        """``contribution_runs.csv`` (with ``runs``): run x corridor; base loss, loss
        without the corridor's closures, their difference (USD)."""
        return self._mc("contribution_runs.csv")

    def summary(self) -> str:
        """The table ``chokepoint criticality`` prints."""
        return self._text

    def __repr__(self) -> str:
        top = self.sets.iloc[0]
        return (
            f"<chokepoint.CriticalityResult: {len(self.sets)} closure set(s); worst "
            f"{top['set']} (total loss USD {top['total_loss_usd']:,.0f})>"
        )

    def _repr_html_(self) -> str:
        cols = ["kind", "rank", "set", "total_loss_usd", "peak_stranded_trucks", "days_to_recover"]
        return "<p>chokepoint criticality: closure sets by total loss</p>" + self.sets[cols].to_html(index=False)


class UncertaintyResult(_Result):
    """A parameter-uncertainty study (``cp.uncertainty``), the files of ``chokepoint
    uncertainty`` as frames, long format. Money in USD (variances in USD²), shares in
    [0, 1]. See docs/uncertainty.md for what each table means."""

    @property
    def points(self) -> pd.DataFrame:
        """``points.csv``: point x parameter; ``block``, ``axis``, ``name``, ``u`` (the
        coordinate in [0, 1)) and the ``value`` set."""
        return self.table("points.csv")

    @property
    def losses(self) -> pd.DataFrame:
        """``losses.csv``: point x scenario x year; ``total_loss_usd``. Year ``i`` drew the
        same closures at every point (common closure draws)."""
        return self.table("losses.csv")

    @property
    def point_results(self) -> pd.DataFrame:
        """``point_results.csv``: point x scenario; mean, VaR95 and TVaR95 of the annual
        loss, avoided loss, best share, tail share, benefit/cost."""
        return self.table("point_results.csv")

    @property
    def predictive(self) -> pd.DataFrame:
        """``predictive.csv``: scenario x statistic; the pooled predictive value and its
        5th, 50th and 95th percentile across parameter points."""
        return self.table("predictive.csv")

    @property
    def variance_split(self) -> pd.DataFrame:
        """``variance_split.csv``: output; variance from the parameters and from the
        closure draws (USD²), the parameters' share, each with its 95% CI."""
        return self.table("variance_split.csv")

    @property
    def indices(self) -> pd.DataFrame:
        """``indices.csv``: output x factor x index (``sobol_first``, ``sobol_total``,
        ``chatterjee_xi``); estimate, 95% CI, the inner noise's share."""
        return self.table("indices.csv")

    @property
    def options(self) -> pd.DataFrame:
        """``options.csv``: option x measure; mean, p5, p50, p95 across parameter draws."""
        return self.table("options.csv")

    @property
    def rankings(self) -> pd.DataFrame:
        """``rankings.csv``: pairs of options; the share of parameter draws in which the
        ranking holds, on the mean and on TVaR95 removed per USD."""
        return self.table("rankings.csv")

    def __repr__(self) -> str:
        m = self.manifest.get("uncertainty", {})
        return (
            f"<chokepoint.UncertaintyResult: {m.get('design')} design, {m.get('points')} "
            f"point(s) x {m.get('years')} years>"
        )
