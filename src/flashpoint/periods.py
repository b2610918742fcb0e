"""Periods: a day, an ISO week (Monday first), a month or a year, named as analysts write them
('2022-02-14', '2022-W07', '2022-02', '2022') and known by their first day."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Final

from flashpoint.errors import InvalidInput

if TYPE_CHECKING:  # pandas loads when a series of periods is read: parsing one needs none
    import pandas as pd

#: pandas' period codes of each frequency.
PANDAS_PERIOD: Final = {"day": "D", "week": "W-SUN", "month": "M", "year": "Y"}


def period_kind(text: str) -> str:
    """The frequency a period text names: 'week' (2022-W07), 'year' (2022), 'month' (2022-02), else 'day'."""
    text = text.strip()
    return "week" if "-W" in text.upper() else "year" if len(text) == 4 else "month" if len(text) == 7 else "day"


def parse_period(text: str, freq: str) -> dt.date:
    """The first day of the period ``text`` names: '2022-W07' (ISO week), '2022-02', '2022', or
    any day 'YYYY-MM-DD' (its period at ``freq``).

    Raises
    ------
    InvalidInput
        Saying which forms are understood.
    """
    text = text.strip()
    kind = period_kind(text)
    try:
        if kind == "week":
            year, week = text.upper().split("-W")
            day = dt.date.fromisocalendar(int(year), int(week), 1)
            dt.date.fromisocalendar(int(year), int(week), 7)  # the week ends within the calendar
        elif kind == "year":
            day = dt.date(int(text), 1, 1)
        elif kind == "month":
            day = dt.date(int(text[:4]), int(text[5:7]), 1)
        else:
            day = dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"period {text!r}: use 2022-W07 (ISO week), 2022-02 (month), 2022 (year) or a day 2022-02-14."
        ) from None
    return period_start(day, freq)


def period_start(day: dt.date, freq: str) -> dt.date:
    """The first day of the period at ``freq`` that holds ``day`` (weeks begin on Monday)."""
    return {
        "day": day,
        "week": day - dt.timedelta(days=day.weekday()),
        "month": day.replace(day=1),
        "year": day.replace(month=1, day=1),
    }[freq]


def period_end(period: pd.Series, freq: str) -> pd.Series:
    """The last day of each period (first days at ``freq``): when its data are complete."""
    import pandas as pd

    return pd.to_datetime(period).dt.to_period(PANDAS_PERIOD[freq]).dt.end_time.dt.date


def period_label(start: dt.date, freq: str) -> str:
    """The period that begins on ``start`` as :func:`parse_period` reads it: '2022-W07', '2022-02',
    '2022' or '2022-02-14'."""
    if freq == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return {"day": start.isoformat(), "month": start.isoformat()[:7], "year": str(start.year)}[freq]


def check_span(since: dt.date | None, until: dt.date | None, /) -> None:
    """Raise InvalidInput when ``since`` comes after ``until``: such a span holds nothing, and an
    empty answer would read as a quiet one."""
    if since is not None and until is not None and since > until:
        raise InvalidInput(f"since {since} is after until {until}: nothing to count; swap them.")


def period_index(freq: str, column: str = "period") -> str:
    """SQL numbering the periods of ``column`` (their first days) consecutively."""
    return {
        "day": f"({column} - DATE '1970-01-01')",
        "week": f"(({column} - DATE '1970-01-05') // 7)",
        "month": f"(year({column}) * 12 + month({column}))",
        "year": f"year({column})",
    }[freq]
