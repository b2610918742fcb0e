"""The store reads the lake: its ``events`` a view over the committed Parquet files.

After a Spark ingest the store file (``db``) holds no events of its own: ``events`` is a view
over the lake's committed event folders with the lake's current clusters, ``pair_weeks`` the
lake's weekly counts, ``ingests`` and ``quarantine`` the lake's rows; the pair timelines are
brought up to date from them as after any ingest. Every command then reads the store as it
reads one DuckDB filled. ``store_meta`` names the lake (key ``lake``), and the store refuses
the DuckDB engine's writes to its events.
"""

from __future__ import annotations

import duckdb

from flashpoint.config import Settings
from flashpoint.errors import InvalidInput, StoreError
from flashpoint.events.schema import EVENT_COLUMNS
from flashpoint.indicators.weekly import store_state_sql
from flashpoint.lake.folders import Lake
from flashpoint.sql import sql_string, sql_strings
from flashpoint.store.connection import transaction
from flashpoint.store.schema import WEEKLY_STATE, WEEKLY_TABLE

#: The key in ``store_meta`` naming the lake a store reads.
LAKE_KEY = "lake"


def store_lake(con: duckdb.DuckDBPyConnection, /) -> str | None:
    """The lake the store reads (its folder), or None for a store of its own events."""
    found = con.execute("SELECT value FROM store_meta WHERE key = ?", [LAKE_KEY]).fetchall()
    return found[0][0] if found else None


def refuse_lake_store(con: duckdb.DuckDBPyConnection, /) -> None:
    """Raise when the store reads a lake: its events are written by Spark ingests only.

    Raises
    ------
    InvalidInput
        Saying to ingest with ``--engine spark``.
    """
    lake = store_lake(con)
    if lake is not None:
        raise InvalidInput(
            f"this store reads the Parquet lake {lake}, whose events only Spark ingests write: ingest with "
            "'flashpoint --engine spark ingest …' (or FLASHPOINT_ENGINE=spark), or use another store (--db)."
        )


def _events_is_a_table(con: duckdb.DuckDBPyConnection, /) -> bool:
    """Whether the store's ``events`` is its own table (not yet a view over a lake)."""
    kind = con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = 'events'").fetchall()
    return bool(kind) and kind[0][0] == "BASE TABLE"


def check_store(con: duckdb.DuckDBPyConnection, /) -> None:
    """Raise before a Spark ingest when the store holds events of its own.

    Raises
    ------
    StoreError
        Saying to give the lake another store.
    """
    if _events_is_a_table(con) and con.execute("SELECT count(*) FROM events").fetchall()[0][0]:
        raise StoreError(
            "this store holds events ingested with the DuckDB engine; a Parquet lake needs a store of its own: "
            "name a new one with --db (the lake goes beside it), or ingest with the DuckDB engine."
        )


def _events_view(con: duckdb.DuckDBPyConnection, lake: Lake, /) -> None:
    """``events`` as a view over the lake's committed events with its current clusters, typed as
    the store's table is."""
    folders = lake.event_folders()
    clusters = lake.current("clusters")
    if not folders or clusters is None:
        return
    columns = ", ".join(
        f"CAST({'c' if name in ('cluster_id', 'cluster_size') else 'e'}.{name} AS {kind}) AS {name}"
        for name, kind, _ in EVENT_COLUMNS
    )
    files = sql_strings([str(folder / "**" / "*.parquet") for folder in folders])
    if _events_is_a_table(con):
        con.execute("DROP TABLE events")
    con.execute(
        f"CREATE OR REPLACE VIEW events AS SELECT {columns} FROM read_parquet([{files}], hive_partitioning = false) e "
        f"LEFT JOIN read_parquet({sql_string(str(clusters / '*.parquet'))}) c USING (event_id)"
    )


def _lake_tables(con: duckdb.DuckDBPyConnection, lake: Lake, /) -> None:
    """The store's ``ingests``, ``quarantine`` and ``pair_weeks`` rows of the lake."""
    manifests = lake.manifests()
    rows = [row for m in manifests for row in m.ingests]
    ids = [int(row["ingest_id"]) for row in rows]
    con.execute("DELETE FROM quarantine WHERE list_contains(?, ingest_id)", [ids])
    con.execute("DELETE FROM ingests WHERE list_contains(?, ingest_id)", [ids])
    names = [
        r[0]
        for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'ingests' ORDER BY column_index"
        ).fetchall()
    ]
    if rows:  # none before the first batch (a first file that could not be ingested)
        con.executemany(f"INSERT INTO ingests VALUES ({', '.join('?' * len(names))})", [[row[n] for n in names] for row in rows])
    quarantined = [lake.root / m.tables["quarantine"] / "*.parquet" for m in manifests if m.tables.get("quarantine")]
    if quarantined:
        con.execute(
            f"INSERT INTO quarantine SELECT ingest_id, file, line_number, raw_line, reason FROM "
            f"read_parquet([{sql_strings([str(q) for q in quarantined])}]) ORDER BY ingest_id, line_number"
        )
    weeks = lake.current("pair_weeks")
    if weeks is not None:
        con.execute(
            f"CREATE OR REPLACE TABLE {WEEKLY_TABLE} AS SELECT * FROM read_parquet({sql_string(str(weeks / '*.parquet'))}) "
            "ORDER BY pair, period"
        )
        con.execute(f"INSERT OR REPLACE INTO store_meta SELECT ?, ({store_state_sql()})", [WEEKLY_STATE])


def read_lake(con: duckdb.DuckDBPyConnection, settings: Settings, lake: Lake, /) -> None:
    """Point the store at the lake as it is committed now, in one transaction, and bring the
    pair timelines up to date (run after each Spark ingest; running it again changes nothing).

    Parameters
    ----------
    con : the store, open for writing.
    settings : the ladder's settings for the timelines.
    lake : the lake.
    """
    from flashpoint.escalation.timelines import bring_up_to_date
    from flashpoint.indicators.weekly import stored_weeks_state

    before = stored_weeks_state(con)
    with transaction(con):
        _events_view(con, lake)
        _lake_tables(con, lake)
        con.execute("INSERT OR REPLACE INTO store_meta VALUES (?, ?)", [LAKE_KEY, str(lake.root)])
    bring_up_to_date(con, settings, pairs=None, weeks_before=before)
