"""Gaps in the store's coverage: days on which its main source delivered nothing.

A day without a single event is a gap in the data, not a quiet day, when the days before it
make an empty day implausible: GDELT has outages, and a collection may lack a month (the
bundled Georgia slice has no March 2013). Counting such days as zeros would show every pair
falling silent at once: a breakdown of communication in the indicators and a deflated
baseline after it. Per source, between its own first and last event, a run of days without
its events is a gap when the median daily count of its ``GAP_NEIGHBOURS`` days before the
run is at least ``GAP_MEDIAN`` (a Poisson count with mean 10 is zero on one day in 22,000)
and it delivered at least ``GAP_SHARE`` of the store's events in those days: the silence of
the source that carries the store is a gap even while a smaller one goes on (the counts that
mix them would fall), the silence of a small one is not. A store with few events a day,
where empty days are ordinary, has no gaps. Only earlier days decide, so whether a day is a
gap never depends on events after it (docs/adr/021). Gaps are the whole store's: a view of
some pairs' events has the gaps of the store it came from.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd

from flashpoint.periods import PANDAS_PERIOD

#: Median daily count before a run of empty days from which the run is a gap.
GAP_MEDIAN = 10
#: Days before a run of empty days whose median daily count is compared.
GAP_NEIGHBOURS = 30
#: Share of the store's events in those days that a silent source must have delivered.
GAP_SHARE = 0.5

#: Runs found per store file and fingerprint of its events (:func:`gap_runs`), a few stores at most.
_FOUND: dict[tuple[object, ...], list[tuple[dt.date, dt.date]]] = {}
_KEPT = 8


def gap_runs(con: duckdb.DuckDBPyConnection, /) -> list[tuple[dt.date, dt.date]]:
    """The store's gaps as runs of days, each its first and last day, in order: the runs in
    which the source that carries the store delivered nothing while the days before were
    busy (see the module's documentation). Empty for a store without gaps.

    Examples
    --------
    A store with about 100 events a day and none on 1–31 March 2013 has the one run
    (2013-03-01, 2013-03-31); a store with two events a week has none.
    """
    # A question of the live watch asks several times per file: the runs are kept per store
    # file and fingerprint of its events (0.002 s to read, against 0.03-0.06 s to find them
    # again on 10M events); an in-memory store is not kept.
    key = con.execute(
        "SELECT (SELECT path FROM duckdb_databases() WHERE database_name = current_database()), "
        "count(*), max(ingest_id), min(event_date), max(event_date) FROM events"
    ).fetchall()[0]
    if key[0] is not None and key in _FOUND:
        return _FOUND[key]
    runs = _find_runs(con)
    if key[0] is not None:
        if len(_FOUND) >= _KEPT:
            del _FOUND[next(iter(_FOUND))]
        _FOUND[key] = runs
    return runs


def _find_runs(con: duckdb.DuckDBPyConnection, /) -> list[tuple[dt.date, dt.date]]:
    """:func:`gap_runs` from the store's daily counts per source."""
    daily = con.sql("SELECT source, event_date, count(*) AS n FROM events WHERE event_date IS NOT NULL GROUP BY ALL").fetchnumpy()
    if not len(daily["n"]):
        return []
    days = daily["event_date"].astype("datetime64[D]")
    first = days.min()
    offsets = (days - first).astype(int)
    _, source = np.unique(daily["source"].astype(str), return_inverse=True)
    counts = np.zeros((source.max() + 1, offsets.max() + 1))
    np.add.at(counts, (source, offsets), daily["n"])
    total = counts.sum(axis=0)
    gap = np.zeros(len(total), dtype=bool)
    for row in counts:  # each source between its own first and last day
        active = np.flatnonzero(row)
        lo, hi = active[0], active[-1] + 1
        for start, end in empty_runs(row[lo:hi], total[lo:hi]):
            gap[lo + start : lo + end] = True
    start_day = first.astype(dt.date)
    return [(start_day + dt.timedelta(days=start), start_day + dt.timedelta(days=end - 1)) for start, end in _runs(gap)]


def _runs(mask: np.ndarray, /) -> list[tuple[int, int]]:
    """Each run of true days in ``mask``: its first day and one past its last."""
    edges = np.flatnonzero(np.diff(np.concatenate([[False], mask, [False]]).astype(np.int8)))
    return [(int(start), int(end)) for start, end in zip(edges[::2], edges[1::2], strict=True)]


def empty_runs(counts: np.ndarray, total: np.ndarray | None = None, /) -> list[tuple[int, int]]:
    """The gaps among one source's daily ``counts`` (day 0 first; its first and last days hold
    events), beside the store's daily ``total`` (default: the source is the store): each run
    of days without its events, as its first day and one past its last, whose
    ``GAP_NEIGHBOURS`` days before have a median count of at least ``GAP_MEDIAN`` and hold at
    least ``GAP_SHARE`` of the store's events."""
    total = counts if total is None else total
    runs = []
    for start, end in _runs(counts == 0):
        before = slice(max(start - GAP_NEIGHBOURS, 0), start)
        if np.median(counts[before]) >= GAP_MEDIAN and counts[before].sum() >= GAP_SHARE * total[before].sum():
            runs.append((start, end))
    return runs


def gap_days(con: duckdb.DuckDBPyConnection, /, *, until: dt.date | None = None) -> list[dt.date]:
    """Every day of the store's gaps (:func:`gap_runs`), sorted; with ``until``, of the gaps known
    by that day only (a gap is known once the source delivers again: its last day before ``until``)."""
    return [
        first + dt.timedelta(days=i)
        for first, last in gap_runs(con)
        if until is None or last < until
        for i in range((last - first).days + 1)
    ]


def gap_periods(con: duckdb.DuckDBPyConnection, freq: str, /, *, until: dt.date | None = None) -> list[dt.date]:
    """The first days of the periods at ``freq`` every day of which is a gap in the store's
    data (:func:`gap_days`; with ``until``, a gap known by that day),
    sorted: for the bundled Georgia data, March 2013 (and its weeks from 4 March on), with no
    event at all."""
    days = gap_days(con, until=until)
    if not days:
        return []
    counted = pd.Series(pd.to_datetime(days)).dt.to_period(PANDAS_PERIOD[freq]).value_counts()
    return sorted(
        period.start_time.date()
        for period, n in counted.items()
        if n == (period.end_time.normalize() - period.start_time).days + 1
    )
