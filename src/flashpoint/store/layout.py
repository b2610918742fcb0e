"""The events' physical order: by pair, then date.

A store ingested file by file holds every pair's rows in every row group, so reading a few
pairs' events — the live watch's copy of the pairs a new file touched, their evidence —
fetches every vector of the table (0.35 s of a 10M-event store, docs/adr/016). Laid out by
pair, a pair's rows lie in a few vectors, and the same read takes 0.14 s.

New rows are appended at the end, out of that order. The store is laid out again, in one
transaction, when the rows appended since the last layout exceed ``layout_share`` of it:
after an ingest has settled, and by the live watch after a cycle's alerts are delivered, so
no alert waits for it. The stored weekly pair aggregates are laid out with the events, by
pair and week: every pair's weekly indicators read them without sorting when they lie in
that order (docs/adr/012), which each ingest's refresh of its pairs' weeks undoes.
"""

from __future__ import annotations

import logging

import duckdb

from flashpoint.config import Settings
from flashpoint.store.connection import transaction
from flashpoint.store.schema import WEEKLY_TABLE

log = logging.getLogger(__name__)

#: Key in ``store_meta`` of the number of events at the last layout.
LAID_OUT = "events_laid_out"


#: The tables laid out and their order; a table the store does not have yet is skipped.
ORDERS = {"events": "pair, event_date, event_id", WEEKLY_TABLE: "pair, period"}


def lay_out_events(con: duckdb.DuckDBPyConnection, /) -> None:
    """Rewrite ``events`` ordered by pair and date, and the stored weeks by pair and week (the
    same table definitions), atomically."""
    with transaction(con):
        for table, order in ORDERS.items():
            found = con.execute("SELECT sql FROM duckdb_tables() WHERE table_name = ? AND NOT temporary", [table]).fetchall()
            if not found:
                continue
            ddl = found[0][0]
            con.execute(ddl.replace(f"CREATE TABLE {table}", f"CREATE TABLE {table}_laid_out", 1))
            con.execute(f"INSERT INTO {table}_laid_out SELECT * FROM {table} ORDER BY {order}")
            con.execute(f"DROP TABLE {table}")
            con.execute(f"ALTER TABLE {table}_laid_out RENAME TO {table}")
        con.execute("INSERT OR REPLACE INTO store_meta SELECT ?, CAST(count(*) AS VARCHAR) FROM events", [LAID_OUT])
    con.execute("CHECKPOINT")


def lay_out_if_due(con: duckdb.DuckDBPyConnection, settings: Settings, /) -> bool:
    """Lay the events out again when the rows appended since the last layout exceed
    ``settings.layout_share`` of the store; returns whether it did."""
    total = con.execute("SELECT count(*) FROM events").fetchall()[0][0]
    found = con.execute("SELECT value FROM store_meta WHERE key = ?", [LAID_OUT]).fetchall()
    appended = total - (int(found[0][0]) if found else 0)
    if total == 0 or appended <= settings.layout_share * total:
        return False
    log.info("laying the events out by pair (%d of %d rows appended since the last layout)", appended, total)
    lay_out_events(con)
    return True
