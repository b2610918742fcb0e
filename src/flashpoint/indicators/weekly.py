"""The store's weekly pair aggregates, kept up to date as events arrive.

Every pair's incidents per week, per indicator (:func:`flashpoint.indicators.compute.pair_periods`
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

from flashpoint.indicators.compute import counted_sql, store_state_sql
from flashpoint.indicators.query import IndicatorQuery
from flashpoint.store.connection import transaction
from flashpoint.store.schema import WEEKLY_STATE, WEEKLY_TABLE


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
