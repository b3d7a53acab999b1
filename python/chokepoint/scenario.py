"""Scenarios: load a scenario or option file, read its tables as frames, and derive new
scenarios with parameters changed by name (for sensitivity and robustness studies)."""

from __future__ import annotations

import os
import warnings
from functools import cached_property
from typing import Mapping, Optional, Union

import pandas as pd

from . import _lib
from .errors import ParameterError, ScenarioWarning

PathLike = Union[str, "os.PathLike[str]"]


class Scenario:
    """A validated scenario (or an option applied to its base scenario).

    Units everywhere: tonnes (t), US dollars (USD), days. Tables (``nodes``, ``links``,
    ``corridors``, ``products``, ``supplies``, ``demands``, ``closures``, ``processes``,
    ``regimes``) are pandas frames with units in column names; ``parameters`` lists what
    :meth:`with_changes` can change. A scenario is immutable: :meth:`with_changes`
    returns a new one. It pickles (the whole scenario, not just its path).
    """

    def __init__(self, raw: "_lib.Scenario") -> None:
        self._raw = raw

    @classmethod
    def load(cls, path: PathLike) -> "Scenario":
        """Load and validate a scenario file, or an option file (recognised by its
        ``[option]`` table) applied to its base. Every problem is reported at once as a
        :class:`~chokepoint.errors.ScenarioError` whose ``diagnostics`` carry file, line
        and hint; warnings are issued as :class:`~chokepoint.errors.ScenarioWarning`."""
        raw, found = _lib.Scenario.load(os.fspath(path))
        for d in found:
            from .errors import Diagnostic

            warnings.warn(str(Diagnostic(*d)), ScenarioWarning, stacklevel=2)
        return cls(raw)

    # -- facts ---------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """``[scenario] name``."""
        return self._raw.name

    @property
    def description(self) -> str:
        """``[scenario] description``."""
        return self._raw.description

    @property
    def start(self) -> pd.Timestamp:
        """Date of day 0."""
        return pd.Timestamp(self._raw.start)

    @property
    def days(self) -> int:
        """Days simulated per run."""
        return self._raw.days

    @property
    def source(self) -> Optional[str]:
        """The file it was loaded from, as given."""
        return self._raw.source

    @property
    def checksum(self) -> str:
        """SHA-256 (hex) of its files as loaded (the manifest's ``scenario.sha256``)."""
        return self._raw.checksum

    @property
    def changes(self) -> dict:
        """The overrides applied since loading, ``{name: value}`` in order."""
        return dict(self._raw.changes)

    @property
    def option(self) -> Optional[dict]:
        """For an option file: ``name``, ``description``, ``base``, ``capital_cost_usd``
        (USD), ``annual_cost_usd`` (USD/year), ``horizon_years`` (years),
        ``discount_rate`` (per year) and ``path``; ``None`` for a scenario file."""
        return self._raw.option

    # -- tables --------------------------------------------------------------------------
    def table(self, name: str) -> pd.DataFrame:
        """One of the tables by name (see :attr:`TABLES`)."""
        return pd.DataFrame(self._raw.table(name))

    TABLES = tuple(_lib.TABLES)

    @cached_property
    def nodes(self) -> pd.DataFrame:
        """Nodes: ``id, name, country, kind``."""
        return self.table("nodes")

    @cached_property
    def links(self) -> pd.DataFrame:
        """Links: ``id, from, to, from_country, to_country, mode, both_ways, crossing,
        capacity_t_per_day`` (t/day), ``cost_usd_per_t`` (USD/t), ``transit_days``,
        ``charges_forward_usd_per_t``, ``charges_backward_usd_per_t`` (USD/t)."""
        return self.table("links")

    @cached_property
    def corridors(self) -> pd.DataFrame:
        """Corridors, one row per (corridor, link): ``corridor, name, link,
        capacity_t_per_day`` (t/day)."""
        return self.table("corridors")

    @cached_property
    def products(self) -> pd.DataFrame:
        """Products: ``id, name, value_usd_per_t, holding_cost_per_day`` (fraction of
        value per day), ``priority``, ``grace_days, loss_per_day`` (fraction of value per
        day), ``shelf_life_days`` (NaN for products that do not perish)."""
        return self.table("products")

    @cached_property
    def supplies(self) -> pd.DataFrame:
        """Supplies: ``product, node, country, t_per_day, price_usd_per_t, seasonal``."""
        return self.table("supplies")

    @cached_property
    def demands(self) -> pd.DataFrame:
        """Demands: ``product, node, country, t_per_day, value_usd_per_t, seasonal``."""
        return self.table("demands")

    @cached_property
    def closures(self) -> pd.DataFrame:
        """Fixed closure windows, as ``closures.csv`` has them: ``target, start_day,
        start_date, duration_days, reopen_date, capacity_factor, ramp_days, label``."""
        t = self.table("closures")
        for c in ("start_date", "reopen_date"):
            t[c] = pd.to_datetime(t[c], format="%Y-%m-%d")
        return t

    @cached_property
    def processes(self) -> pd.DataFrame:
        """Random closure processes and common shocks: ``kind`` (process or shock),
        ``id, targets, rate_per_year`` (onsets per year), ``duration``,
        ``mean_duration_days, capacity_factor, ramp_days``."""
        return self.table("processes")

    @cached_property
    def regimes(self) -> pd.DataFrame:
        """The regime chain's states: ``state, rate_multiplier, long_run_share,
        mean_sojourn_days`` (empty without a chain)."""
        return self.table("regimes")

    @cached_property
    def parameters(self) -> pd.DataFrame:
        """Every parameter :meth:`with_changes` takes, indexed by ``name``: ``value``,
        ``unit``, ``description``. A ``*_scale`` is a multiplier (value 1)."""
        rows = self._raw.parameters()
        frame = pd.DataFrame(rows, columns=["name", "value", "unit", "description"])
        return frame.set_index("name")

    def get(self, name: str) -> float:
        """The current value of parameter ``name``."""
        p = self.parameters
        if name not in p.index:
            # Let the library say what is wrong (with a suggestion).
            self.with_changes({name: 0.0})
        return float(p.loc[name, "value"])

    # -- changes -------------------------------------------------------------------------
    def with_changes(self, changes: Optional[Mapping[str, float]] = None, /, **settings: float) -> "Scenario":
        """A new scenario with parameters changed by name, applied in order and then
        checked as a whole (a :class:`~chokepoint.errors.ScenarioError` lists every
        problem; an unknown name raises :class:`~chokepoint.errors.ParameterError` with a
        suggestion).

        ``changes`` maps names from :attr:`parameters` to values, e.g.
        ``{"process.torkham.rate_per_year": 2.0, "link.torkham_road.capacity_t_per_day":
        9000, "corridor.chaman.capacity_scale": 1.5}``; keyword arguments are settings,
        ``reaction_days=3`` meaning ``"settings.reaction_days": 3``. Whole-day
        parameters take whole numbers.
        """
        dotted = [k for k in settings if "." in k]
        if dotted:
            raise ParameterError(
                f"{dotted[0]!r} is a parameter name with dots: pass such names in a dict, "
                f"s.with_changes({{{dotted[0]!r}: ...}}); keyword arguments are settings "
                "(reaction_days=3 means 'settings.reaction_days')"
            )
        items = list((changes or {}).items()) + [(f"settings.{k}", v) for k, v in settings.items()]
        return Scenario(self._raw.with_changes([(str(k), float(v)) for k, v in items]))

    # -- Python protocols ----------------------------------------------------------------
    def __reduce__(self):
        return (_from_json, (self._raw.to_json(),))

    def __repr__(self) -> str:
        changed = f", {len(self.changes)} change(s)" if self.changes else ""
        return f"<chokepoint.Scenario {self.name!r}: {self.days} days from {self._raw.start}{changed}>"

    def _repr_html_(self) -> str:
        html = self._raw.html()
        if self.changes:
            items = "".join(f"<li><code>{k} = {v}</code></li>" for k, v in self.changes.items())
            html += f"<p>changes:</p><ul>{items}</ul>"
        return html

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scenario) and self._raw.to_json() == other._raw.to_json()

    __hash__ = None  # type: ignore[assignment]


def _from_json(text: str) -> Scenario:
    return Scenario(_lib.Scenario.from_json(text))
