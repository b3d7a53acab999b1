"""``.plot()`` on results: the HTML report's main charts, drawn with matplotlib (an
optional dependency: ``pip install './python[plot]'``). Each function draws on ``ax``
(a new figure's axes when None) from the result's own tables and returns the axes, so
what is drawn is exactly what the CSV files hold; axes carry their units."""

from __future__ import annotations

from typing import Optional

import pandas as pd

MUSD = 1e6


def _axes(ax):
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            "plotting needs matplotlib: pip install matplotlib (or './python[plot]')"
        ) from e
    _, ax = plt.subplots(figsize=(8, 4.5))
    return ax


def run_series(result, metric: str = "stranded_trucks", scope: str = "total", id: str = "", ax=None):
    """A daily series of a run (``daily.csv``): ``metric`` of ``scope``/``id`` by date,
    the window and its run-out (the run-out shaded)."""
    d = result.daily
    rows = d[(d["metric"] == metric) & (d["scope"] == scope) & (d["id"].fillna("") == id)]
    if rows.empty:
        known = sorted(d.loc[d["scope"] == scope, "metric"].unique())
        raise KeyError(f"no daily series {metric!r} for {scope} {id!r}; the series are {', '.join(known)}")
    ax = _axes(ax)
    dates = pd.to_datetime(rows["date"])
    ax.plot(dates, rows["value"], color="#1f77b4", label=metric)
    runout = rows["phase"] != "window"
    if runout.any():
        ax.axvspan(dates[runout].min(), dates[runout].max(), color="0.9", label="run-out (no new closure)")
    ax.set_xlabel("date")
    _dates(ax)
    ax.set_ylabel(_unit_label(metric))
    ax.set_title(f"{metric.replace('_', ' ')}, {scope}{' ' + id if id else ''}")
    ax.legend(loc="best")
    return ax


def exceedance(result, ax=None):
    """The loss exceedance curve (``exceedance.csv``): total loss (USD m) reached or
    exceeded once in T years, T on a log axis."""
    e = result.exceedance
    ax = _axes(ax)
    ax.step(e["return_period_years"], e["total_loss_usd"] / MUSD, where="post", color="#1f77b4")
    ax.set_xscale("log")
    ax.set_xlabel("return period (years, log scale)")
    ax.set_ylabel("total loss (USD m)")
    ax.set_title(f"loss exceedance, {len(result.runs)} simulated years")
    return ax


def fan(result, series: str = "stranded_trucks", ax=None):
    """A daily fan chart (``daily_bands.csv``): p5-p95 band, median and mean of
    ``series`` over the runs, by date."""
    b = result.daily_bands
    rows = b[b["series"] == series]
    if rows.empty:
        raise KeyError(f"no daily band {series!r}; the series are {', '.join(sorted(b['series'].unique()))}")
    ax = _axes(ax)
    dates = pd.to_datetime(rows["date"])
    ax.fill_between(dates, rows["p5"], rows["p95"], color="#aec7e8", label="p5-p95 of runs")
    ax.plot(dates, rows["p50"], color="#1f77b4", label="median")
    ax.plot(dates, rows["mean"], color="#ff7f0e", linestyle="--", label="mean")
    ax.set_xlabel("date")
    _dates(ax)
    ax.set_ylabel(_unit_label(series))
    ax.set_title(f"{series.replace('_', ' ')} across runs")
    ax.legend(loc="best")
    return ax


def avoided_loss(result, future: Optional[str] = None, ax=None):
    """Each option's avoided loss (base minus option, USD m a year; positive = the
    option helps) with its 95% paired interval, options sorted by benefit
    (``benefit_cost.csv``)."""
    bc = result.benefit_cost
    future = future or bc["future"].iloc[0]
    t = bc[bc["future"] == future].sort_values("avoided_loss_usd_per_year", ascending=True)
    ax = _axes(ax)
    mid = t["avoided_loss_usd_per_year"] / MUSD
    err = [mid - t["avoided_loss_ci_low_usd_per_year"] / MUSD, t["avoided_loss_ci_high_usd_per_year"] / MUSD - mid]
    ax.barh(t["option"], mid, xerr=err, color="#2ca02c", capsize=3)
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.set_xlabel("avoided loss (USD m a year; 95% paired CI)")
    # "as_scenario" is the one future of a study without futures: no need to name it.
    ax.set_title("avoided loss by option" + ("" if future == "as_scenario" else f", future {future}"))
    return ax


def ranking(result, kind: str = "N-1", ax=None):
    """Corridors (or sets) ranked by the total loss of their closure (``criticality.csv``),
    the worst on top."""
    c = result.sets
    t = c[c["kind"] == kind].sort_values("total_loss_usd", ascending=True)
    if t.empty:
        raise KeyError(f"no {kind!r} rows; the kinds are {', '.join(sorted(c['kind'].unique()))}")
    ax = _axes(ax)
    ax.barh(t["set"], t["total_loss_usd"] / MUSD, color="#d62728")
    d = int(t["duration_days"].iloc[0])
    ax.set_xlabel(f"total loss of a {d}-day closure (USD m)")
    ax.set_title(f"criticality ({kind})")
    return ax


def _dates(ax) -> None:
    """Short date labels that do not overlap."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _unit_label(metric: str) -> str:
    for suffix, unit in (("_usd", "USD"), ("_t", "t"), ("_trucks", "trucks"), ("_t_per_day", "t/day")):
        if metric.endswith(suffix):
            return f"{metric.replace('_', ' ')} ({unit})"
    return metric.replace("_", " ")
