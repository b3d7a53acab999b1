"""CSV bytes (as the library writes them) to pandas frames, floats read back bit for bit."""

from __future__ import annotations

import io
import math

import pandas as pd

# Columns that hold text even where every value looks like a number or is empty.
_TEXT = {
    "scope", "id", "metric", "target", "label", "link", "corridor", "by", "statistic",
    "series", "date", "start_date", "reopen_date",
    # compare and criticality
    "future", "candidate", "option", "against", "measure", "country", "kind", "set",
    "corridors",
}
_DATES = {"date", "start_date", "reopen_date"}


def _column(values: pd.Series) -> pd.Series:
    if values.name in _TEXT or len(values) == 0:
        return values
    texts = values.tolist()
    if all(t in ("true", "false") for t in texts):
        return values == "true"
    if all(t.lstrip("-").isdigit() for t in texts):
        return values.astype("int64")
    if all(t == "" for t in texts):
        return values
    try:
        floats = [math.nan if t == "" else float(t) for t in texts]
    except ValueError:
        return values
    return pd.Series(floats, index=values.index, name=values.name, dtype="float64")


def read_csv(data: bytes) -> pd.DataFrame:
    """A CSV file of chokepoint's as a frame: integers as int64, every other number as
    float64 with the exact bits written (Rust's shortest round-trip text), empty cells of
    number columns as NaN, ``true``/``false`` columns as bool, text as text, dates as
    datetime64."""
    raw = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    frame = pd.DataFrame({c: _column(raw[c]) for c in raw.columns})
    for c in _DATES.intersection(frame.columns):
        frame[c] = pd.to_datetime(frame[c], format="%Y-%m-%d")
    return frame
