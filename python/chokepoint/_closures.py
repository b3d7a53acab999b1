"""Closures as data: every form a closure may take in Python, made into the closure
specs (``corridor:start+days@factor``) that the library parses and a study's manifest
records. The library checks each spec against the scenario."""

from __future__ import annotations

import datetime as _dt
import numbers
import os
from typing import Any, List

from .errors import InvalidArgumentError

ACCEPTED = (
    "closures may be: a spec string 'corridor:2024-09-01+14' (or 'corridor:FROM..TO', "
    "optionally '@FACTOR'), a tuple (corridor, start, days[, factor]), a dict or a "
    "DataFrame row with keys corridor, start, days or end, factor, a pandas DataFrame, "
    "the path of a CSV file with those columns, or a list of any of these; dates as "
    "'YYYY-MM-DD' strings, datetime.date or pandas.Timestamp"
)


def _date(value: Any, what: str) -> str:
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value))  # a day index from the scenario's start
    if isinstance(value, str):
        return value.strip()
    iso = getattr(value, "isoformat", None)  # numpy.datetime64 via pandas, others
    if callable(iso):
        return str(iso())[:10]
    raise TypeError(f"{what}: a date must be 'YYYY-MM-DD', a datetime.date or a pandas.Timestamp, got {type(value).__name__}")


def _days(value: Any, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        if isinstance(value, str) and value.strip().isdigit():
            return value.strip()
        raise TypeError(f"{what}: days must be a whole number, got {value!r}")
    if isinstance(value, numbers.Integral) or float(value).is_integer():
        return str(int(value))
    raise InvalidArgumentError(f"{what}: days = {value!r} is not a whole number of days")


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, NaT (pandas' empty cells)
    except (TypeError, ValueError):
        return False


def _record(raw, record: dict, what: str) -> str:
    keys = {str(k).strip().lower(): v for k, v in record.items()}
    unknown = sorted(set(keys) - {"corridor", "start", "days", "end", "factor"})
    if unknown:
        raise InvalidArgumentError(
            f"{what}: unknown key(s) {', '.join(map(repr, unknown))}; the keys are corridor, start, days or end, factor"
        )
    get = lambda k: None if _missing(keys.get(k)) else keys.get(k)  # noqa: E731
    if get("corridor") is None or get("start") is None:
        raise InvalidArgumentError(f"{what}: needs a corridor and a start; {ACCEPTED}")
    days = None if get("days") is None else _days(get("days"), what)
    end = None if get("end") is None else _date(get("end"), what)
    factor = None if get("factor") is None else repr(float(get("factor")))
    return raw.closure_spec(str(get("corridor")).strip(), _date(get("start"), what), days, end, factor)


def _tuple(raw, t: tuple, what: str) -> str:
    if len(t) not in (3, 4):
        raise TypeError(f"{what}: a closure tuple is (corridor, start, days[, factor]), got {len(t)} items")
    rec = {"corridor": t[0], "start": t[1], "days": t[2]}
    if len(t) == 4:
        rec["factor"] = t[3]
    return _record(raw, rec, what)


def _is_table(obj: Any) -> bool:
    return hasattr(obj, "to_dict") and hasattr(obj, "columns")


def specs(raw, closures: Any) -> List[str]:
    """The closure specs of ``closures`` (see :data:`ACCEPTED`), checked against the
    scenario ``raw`` (a ``_lib.Scenario``)."""
    if closures is None:
        return []
    if isinstance(closures, os.PathLike):
        return list(raw.closures_csv(os.fspath(closures)))
    if isinstance(closures, str):
        if ":" not in closures and (closures.lower().endswith(".csv") or os.path.isfile(closures)):
            return list(raw.closures_csv(closures))
        return [closures]
    if _is_table(closures):
        return [_record(raw, row, f"closures row {i}") for i, row in enumerate(closures.to_dict("records"))]
    if isinstance(closures, dict):
        return [_record(raw, closures, "closure")]
    if isinstance(closures, tuple) and closures and isinstance(closures[0], str) and ":" not in closures[0]:
        return [_tuple(raw, closures, "closure")]
    if isinstance(closures, (list, tuple)):
        out: List[str] = []
        for i, c in enumerate(closures):
            what = f"closures[{i}]"
            if isinstance(c, str):
                out.append(c)
            elif isinstance(c, tuple):
                out.append(_tuple(raw, c, what))
            elif isinstance(c, dict):
                out.append(_record(raw, c, what))
            else:
                raise TypeError(f"{what}: {type(c).__name__} is not a closure; {ACCEPTED}")
        return out
    raise TypeError(f"{type(closures).__name__} is not a closure; {ACCEPTED}")


def count(name: str, value: Any, minimum: int = 1) -> int:
    """``value`` as a whole number >= ``minimum``, or chokepoint's own error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and not isinstance(value, bool) and float(value).is_integer():
            value = int(value)
        else:
            raise InvalidArgumentError(f"{name} = {value!r}: expected a whole number >= {minimum}")
    value = int(value)
    if value < minimum:
        raise InvalidArgumentError(f"{name} = {value}: expected a whole number >= {minimum}")
    return value
