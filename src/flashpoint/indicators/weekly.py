"""The store's weekly pair aggregates, kept up to date as events arrive.

Every pair's incidents per week, per indicator (:func:`flashpoint.indicators.counting.pair_periods`
at weekly frequency, the counts before any baseline), are stored in ``pair_weeks``. The
weekly indicators of one pair or a list of pairs — the timeline of the dashboard, the API
and the briefs — then read the pair's few hundred stored weeks instead of scanning the
events for its rows, which lie all over a store ingested file by file.

:func:`flashpoint.refresh.settle` runs after every ingest of events: it clusters the new rows
into incidents and recomputes the weeks of the pairs they touched (deduplication changes
incidents only within the new rows' pairs). ``store_meta`` records the store state the weeks
reflect (its events and latest ingest); a store changed some other way is read from its
events, as before, until the next refresh. See docs/adr/012-weekly-aggregates.md.
"""

from __future__ import annotations

import duckdb

from flashpoint.indicators.counting import counted_sql
from flashpoint.indicators.query import IndicatorQuery
from flashpoint.sql import sql_string, sql_strings
from flashpoint.store.connection import transaction
from flashpoint.store.schema import WEEKLY_STATE, WEEKLY_TABLE


def store_state_sql(where: str = "") -> str:
    """SQL of the store state the weekly aggregates are checked against: how many events, and
    the latest ingest among them (of the events ``where`` selects)."""
    return f"SELECT count(*) || ':' || coalesce(max(ingest_id), 0) FROM events {where}"


def stored_weeks_state(con: duckdb.DuckDBPyConnection, /) -> str | None:
    """The store state the stored weekly aggregates reflect (None before the first refresh)."""
    found = con.execute("SELECT value FROM store_meta WHERE key = ?", [WEEKLY_STATE]).fetchall()
    return found[0][0] if found else None


def weeks_current(con: duckdb.DuckDBPyConnection, /) -> bool:
    """Whether the stored weekly aggregates reflect the store as it is now."""
    state = stored_weeks_state(con)
    return state is not None and state == con.execute(store_state_sql()).fetchall()[0][0]


def stored_weeks_sql(con: duckdb.DuckDBPyConnection, query: IndicatorQuery, table: str) -> str | None:
    """The stored weekly aggregates of the query's pairs, when they can answer it: weekly,
    undirected, pairs (not a country view), no end date (the week holding it would be cut),
    over the whole store, and stored for the store as it is now. None otherwise."""
    if (
        table != "events"
        or query.freq != "week"
        or query.directed
        or query.country is not None
        or query.until is not None
        or not weeks_current(con)
    ):
        return None
    if query.dyad is not None:
        return f"SELECT * FROM {WEEKLY_TABLE} WHERE pair = {sql_string('-'.join(sorted(query.dyad)))}"
    if query.pairs is not None and len(query.pairs) == 1:
        return f"SELECT * FROM {WEEKLY_TABLE} WHERE pair = {sql_string(query.pairs[0])}"
    if query.pairs is not None:  # a semi join: a long IN list of constants is compared row by row
        return f"SELECT * FROM {WEEKLY_TABLE} WHERE pair IN (SELECT unnest([{sql_strings(query.pairs)}]))"
    return f"SELECT * FROM {WEEKLY_TABLE}"


def refresh_weeks(con: duckdb.DuckDBPyConnection, /, *, pairs: tuple[str, ...] | None = None, table: str = "events") -> None:
    """Recompute the stored weeks of ``pairs`` ('GEO-RUS'), or of every pair, in one transaction,
    from the store's ``table`` (``events``, or a copy holding every event of ``pairs``)."""
    query = IndicatorQuery(freq="week", pairs=pairs)
    counted = (
        f"SELECT pair, CAST(period AS DATE) AS period, * EXCLUDE (pair, period) FROM ({counted_sql(con, query, table=table)})"
    )
    with transaction(con):
        if pairs is None:
            con.execute(f"CREATE OR REPLACE TABLE {WEEKLY_TABLE} AS {counted} ORDER BY pair, period")
        else:
            con.execute(f"DELETE FROM {WEEKLY_TABLE} WHERE pair IN (SELECT unnest(?))", [list(pairs)])
            con.execute(f"INSERT INTO {WEEKLY_TABLE} {counted}")
        con.execute(f"INSERT OR REPLACE INTO store_meta SELECT ?, ({store_state_sql()})", [WEEKLY_STATE])


def unsettled_ingests(con: duckdb.DuckDBPyConnection, /, *, besides: list[int] = ()) -> list[int]:
    """The ingests (files) with events not yet clustered, other than ``besides``: what a crash
    between a file's commit and its settling leaves."""
    return [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT ingest_id FROM events WHERE cluster_id IS NULL AND NOT list_contains(?, ingest_id) "
            "ORDER BY ingest_id",
            [list(besides)],
        ).fetchall()
    ]
