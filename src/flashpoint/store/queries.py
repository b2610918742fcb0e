"""Queries over the store, written as Ibis expressions so they run on every engine."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import ibis
import pyarrow as pa

from flashpoint.errors import InvalidInput
from flashpoint.events.confidence import CONFIDENT
from flashpoint.periods import check_span
from flashpoint.store.connection import ibis_backend
from flashpoint.store.coverage import gap_runs


@dataclass(frozen=True)
class EventFilter:
    """Which events to select.

    ``dyad`` is a pair of ISO3 codes; both directions match unless ``directed``.
    ``country`` matches either actor. ``cameo`` is a code prefix ('13' = every threat).

    Attributes
    ----------
    dyad, directed, country
        Which actors, as above.
    since, until
        The first and last event days.
    cameo, source
        A CAMEO code prefix; a source ('gdelt', 'acled', 'icews', ...).
    limit, offset
        The page of the newest-first listing (``limit`` None or 0: every event).

    Raises
    ------
    InvalidInput
        When ``since`` is after ``until``.
    """

    dyad: tuple[str, str] | None = None
    directed: bool = False
    country: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    cameo: str | None = None
    source: str | None = None
    limit: int | None = 50
    offset: int = 0

    def __post_init__(self) -> None:
        check_span(self.since, self.until)


def filter_events(events: ibis.Table, where: EventFilter, /) -> ibis.Table:
    """Apply an EventFilter to a table of canonical events (lazy)."""
    a1, a2 = events.actor1_iso3, events.actor2_iso3
    if where.dyad is not None:
        first, second = where.dyad
        forward = (a1 == first) & (a2 == second)
        events = events.filter(forward if where.directed else forward | ((a1 == second) & (a2 == first)))
    if where.country is not None:
        events = events.filter((a1 == where.country) | (a2 == where.country))
    if where.since is not None:
        events = events.filter(events.event_date >= where.since)
    if where.until is not None:
        events = events.filter(events.event_date <= where.until)
    if where.cameo is not None:
        events = events.filter(events.cameo_code.startswith(where.cameo))
    if where.source is not None:
        events = events.filter(events.source == where.source)
    return events


def select_events(con: duckdb.DuckDBPyConnection, where: EventFilter, /) -> pa.Table:
    """Canonical events matching ``where``, newest first.

    Returns
    -------
    pyarrow.Table
        At most ``where.limit`` rows from ``where.offset``, with the canonical columns
        (docs/events.md).
    """
    events = filter_events(ibis_backend(con).table("events"), where)
    events = events.order_by([ibis.desc("event_date"), "event_id"])
    if where.limit:
        events = events.limit(where.limit, offset=where.offset)
    return events.to_pyarrow()


def count_events(con: duckdb.DuckDBPyConnection, where: EventFilter, /) -> int:
    """How many canonical events match ``where``.

    Returns
    -------
    int
        The count, limit and offset aside (the total of a paged listing).
    """
    return int(filter_events(ibis_backend(con).table("events"), where).count().to_pyarrow().as_py())


def cluster_rows(con: duckdb.DuckDBPyConnection, cluster_ids: list[str], /) -> pa.Table:
    """Every source row of the given incidents (clusters), with its link or citation."""
    events = ibis_backend(con).table("events")
    rows = events.filter(events.cluster_id.isin(cluster_ids))
    return (
        rows.select(
            "cluster_id",
            "event_id",
            "source",
            "coding",
            "event_date",
            "actor1_iso3",
            "actor1_name",
            "actor2_iso3",
            "actor2_name",
            "cameo_code",
            "fatalities",
            "source_url",
            "source_ref",
        )
        .order_by(["cluster_id", "event_date", "event_id"])
        .to_pyarrow()
    )


def select_quarantine(con: duckdb.DuckDBPyConnection, /, *, file: str | None = None, limit: int | None = 50) -> pa.Table:
    """Quarantined rows (file, line, reason, raw text), in ingest and line order; a line with
    several problems (a spreadsheet row with a bad value in each year's column) is listed once,
    its reasons joined ('3 problems: …').

    ``file`` keeps rows whose file path contains that text.
    """
    rows = ibis_backend(con).table("quarantine")
    if file:
        rows = rows.filter(rows.file.contains(file))
    rows = rows.group_by(["ingest_id", "file", "line_number", "raw_line"]).aggregate(
        problems=rows.count(), reasons=rows.reason.group_concat("; ", order_by=rows.reason)
    )
    reason = ibis.cases((rows.problems > 1, rows.problems.cast("string") + " problems: " + rows.reasons), else_=rows.reasons)
    rows = rows.order_by(["ingest_id", "line_number"]).select("file", "line_number", reason.name("reason"), "raw_line")
    if limit:
        rows = rows.limit(limit)
    return rows.to_pyarrow()


def last_event_date(con: duckdb.DuckDBPyConnection, /, *, required: bool = False) -> dt.date | None:
    """The day of the store's latest event (what "now" is for a store), None when it is empty.

    Raises
    ------
    InvalidInput
        When ``required`` and the store holds no events.
    """
    day = con.sql("SELECT max(event_date) FROM events").fetchall()[0][0]
    if day is None and required:
        raise InvalidInput("the store holds no events; ingest some first (flashpoint ingest).")
    return day


def as_of_day(con: duckdb.DuckDBPyConnection, day: dt.date | None, /) -> dt.date:
    """The day an as-of output is for: ``day``, or the store's last event's when None.

    Raises
    ------
    InvalidInput
        When the store is empty, or ``day`` is after its last event (nothing is known of it yet)
        or before its first.
    """
    last = last_event_date(con, required=True)
    if day is not None and day > last:
        raise InvalidInput(
            f"{day} is after the store's last event ({last}): nothing is known of that day yet. "
            f"Give a date up to {last}, or ingest newer events."
        )
    first = con.sql("SELECT min(event_date) FROM events").fetchall()[0][0]
    if day is not None and day < first:
        raise InvalidInput(
            f"{day} is before the store's first event ({first}): the store knows nothing of that "
            f"day. Give a date from {first} to {last}."
        )
    return day or last


#: The temporary copy :func:`copy_pair_events` makes.
PAIR_EVENTS_COPY = "pair_events_copy"


def copy_pair_events(con: duckdb.DuckDBPyConnection, pairs: tuple[str, ...], /) -> str:
    """Copy the events of ``pairs`` ('GEO-RUS'), with their row ids (``row_id``), into a
    temporary table and return its name.

    A few pairs' events lie all over a store ingested file by file, so reading them costs a
    scan of the store: the live watch reads them once, and its deduplication, weekly counts,
    scores, red lines and evidence all read the copy (their compiled queries are the same
    whatever the pairs). With no pairs, the copy is empty.
    """
    keep = "WHERE pair IN (SELECT unnest(?))" if pairs else "LIMIT 0"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {PAIR_EVENTS_COPY} AS SELECT rowid AS row_id, * FROM events {keep}",
        [list(pairs)] if pairs else [],
    )
    return PAIR_EVENTS_COPY


def store_stats(con: duckdb.DuckDBPyConnection, /) -> dict[str, object]:
    """What the store holds: events by source with date ranges, dyads, files, quarantine.

    Returns
    -------
    dict with keys ``events`` (int), ``sources`` (list of dicts: source, coding, events,
    first_date, last_date), ``incidents`` (deduplicated clusters), ``dyads`` (distinct
    unordered country pairs), ``countries``, ``files``, ``quarantined`` (rows), ``milex``
    (military expenditure values), ``top_dyads`` (the ten pairs with most events) and
    ``gaps`` (runs of days in which the store's main source fell silent, :mod:`flashpoint.store.coverage`:
    ``first`` and ``last`` day, ``days``) and ``actors`` (:func:`actor_coverage`).
    """
    backend = ibis_backend(con)
    events = backend.table("events")
    by_source = (
        events.group_by(["source", "coding"])
        .agg(events=events.count(), first_date=events.event_date.min(), last_date=events.event_date.max())
        .order_by(["source", "coding"])
        .to_pyarrow()
        .to_pylist()
    )
    paired = events.filter(
        events.actor1_iso3.notnull() & events.actor2_iso3.notnull() & (events.actor1_iso3 != events.actor2_iso3)
    )
    low = ibis.least(paired.actor1_iso3, paired.actor2_iso3)
    high = ibis.greatest(paired.actor1_iso3, paired.actor2_iso3)
    dyads = paired.mutate(dyad=low.concat("-", high)).group_by("dyad").agg(events=ibis._.count())
    countries = events.select(iso3=events.actor1_iso3).union(events.select(iso3=events.actor2_iso3), distinct=True)
    return {
        "events": int(events.count().to_pyarrow().as_py()),
        "incidents": int(events.cluster_id.nunique().to_pyarrow().as_py()),
        "sources": [{**row, "first_date": _iso(row["first_date"]), "last_date": _iso(row["last_date"])} for row in by_source],
        "dyads": int(dyads.count().to_pyarrow().as_py()),
        "countries": int(countries.filter(countries.iso3.notnull()).count().to_pyarrow().as_py()),
        "files": int(backend.table("ingests").count().to_pyarrow().as_py()),
        "quarantined": int(backend.table("quarantine").count().to_pyarrow().as_py()),
        "milex": int(backend.table("milex").count().to_pyarrow().as_py()),
        "top_dyads": dyads.order_by([ibis.desc("events"), "dyad"]).limit(10).to_pyarrow().to_pylist(),
        "gaps": [
            {"first": first.isoformat(), "last": last.isoformat(), "days": (last - first).days + 1}
            for first, last in gap_runs(con)
        ],
        "actors": actor_coverage(con),
    }


def actor_coverage(con: duckdb.DuckDBPyConnection, /, *, ingest_ids: list[int] | None = None, top: int = 10) -> dict[str, object]:
    """How far the events (of ``ingest_ids``, else all) were placed between states.

    Returns
    -------
    dict with ``rows``; ``in_pair`` (rows between two different countries, which the
    indicators read); ``both_countries`` (rows whose two actors have a country);
    ``no_country`` (rows with an actor of no country: an IGO, a region, a name no dictionary
    resolves); ``low_confidence`` (rows below the confidence threshold, docs/events.md) and
    ``unresolved`` (the ``top`` actor names without a country, with their ``rows``).
    """
    where = "" if ingest_ids is None else "WHERE list_contains(?, ingest_id)"
    params = [] if ingest_ids is None else [ingest_ids]
    rows, in_pair, both, low = con.execute(
        f"SELECT count(*), count(pair), count(*) FILTER (WHERE actor1_iso3 IS NOT NULL AND actor2_iso3 IS NOT NULL), "
        f"count(*) FILTER (WHERE confidence < {CONFIDENT}) FROM events {where}",
        params,
    ).fetchall()[0]
    unresolved = con.execute(
        f"SELECT name, count(*) AS n FROM (SELECT actor1_name AS name FROM events {where} "
        f"{'AND' if where else 'WHERE'} actor1_iso3 IS NULL UNION ALL SELECT actor2_name FROM events {where} "
        f"{'AND' if where else 'WHERE'} actor2_iso3 IS NULL) WHERE name IS NOT NULL GROUP BY name "
        f"ORDER BY n DESC, name LIMIT {int(top)}",
        params * 2,
    ).fetchall()
    return {
        "rows": rows,
        "in_pair": in_pair,
        "both_countries": both,
        "no_country": rows - both,
        "low_confidence": low,
        "unresolved": [{"name": name, "rows": n} for name, n in unresolved],
    }


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None
