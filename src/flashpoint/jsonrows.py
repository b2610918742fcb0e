"""Tables as JSON rows, written one way everywhere (API, CLI, stored evidence, briefs).

Dates are ``YYYY-MM-DD``; timestamps ISO 8601; missing values ``null``. A date column comes
into pandas either as ``datetime.date`` objects or as midnight timestamps; a column of either
is written as dates: ``"2012-08-01"``, not ``"2012-08-01T00:00:00.000"``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd


def _as_dates(column: pd.Series) -> pd.Series | None:
    """The column as date texts when it holds dates, else None."""
    known = column.dropna()
    if pd.api.types.is_datetime64_any_dtype(column):
        return column.dt.strftime("%Y-%m-%d") if (known == known.dt.normalize()).all() else None
    if column.dtype == object and len(known) and type(known.iloc[0]) is dt.date:
        return column.map(lambda day: None if pd.isna(day) else day.isoformat())
    return None


def json_text(frame: pd.DataFrame, /) -> str:
    """The frame's rows as JSON text."""
    dates = {name: found for name in frame.columns if (found := _as_dates(frame[name])) is not None}
    return frame.assign(**dates).to_json(orient="records", date_format="iso", default_handler=str)


def json_rows(frame: pd.DataFrame, /) -> list[dict[str, Any]]:
    """The frame's rows as JSON-ready dicts."""
    return json.loads(json_text(frame))
