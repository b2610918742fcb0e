"""Every pair's weekly timeline, stored as events arrive.

A pair's weekly timeline (:func:`flashpoint.escalation.ladder.ladder_frame`: index, stage,
z-scores, contributions, change points) costs milliseconds per pair, most of it in the
interpreter. Computed when the API is asked for it, the first minutes of a server made every
request wait behind those computations (docs/adr/018). So the timelines are computed with the
weekly aggregates they read, for the pairs new events touched, and stored in
``pair_timelines``; ``store_meta`` records the weekly aggregates' state and the settings they
were computed with. A weekly timeline with no end date, asked with the same settings, is read
from there, and sent as JSON that DuckDB writes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import asdict

import duckdb
import pandas as pd
import pyarrow as pa

from flashpoint.config import Settings
from flashpoint.escalation.ladder import ladder_frame, pair_ladder
from flashpoint.indicators.weekly import stored_weeks_state, weeks_current
from flashpoint.sql import sql_string, sql_strings
from flashpoint.store.connection import transaction
from flashpoint.store.coverage import gap_periods
from flashpoint.store.schema import WEEKLY_TABLE

log = logging.getLogger(__name__)

TABLE = "pair_timelines"
#: Key in ``store_meta`` of what the stored timelines reflect.
STATE = "pair_timelines_state"
#: Key in ``store_meta`` of the store's weekly gaps that the stored timelines left out.
GAPS = "pair_timelines_gaps"
#: Pairs computed together when every pair's timeline is built (bounds the memory).
CHUNK = 4000
#: The settings a timeline depends on.
_SHAPING = ("alert_baseline_periods", "changepoint_", "ladder_")


def _state_of(weeks_state: str | None, settings: Settings, /) -> str:
    """The state of timelines computed from weekly aggregates in ``weeks_state`` with ``settings``."""
    shaping = {k: v for k, v in sorted(asdict(settings).items()) if k.startswith(_SHAPING)}
    return f"{weeks_state}|{json.dumps(shaping, default=str)}"


def _gaps(con: duckdb.DuckDBPyConnection, /) -> str:
    """The store's weekly gaps now (:func:`~flashpoint.store.coverage.gap_periods`), as text."""
    return ",".join(day.isoformat() for day in gap_periods(con, "week"))


def _stored_gaps(con: duckdb.DuckDBPyConnection, /) -> str | None:
    """The weekly gaps the stored timelines left out (None before they were first built)."""
    found = con.execute("SELECT value FROM store_meta WHERE key = ?", [GAPS]).fetchall()
    return found[0][0] if found else None


def stored_state(con: duckdb.DuckDBPyConnection, /) -> str | None:
    """What the stored timelines reflect (None before they were first built)."""
    found = con.execute("SELECT value FROM store_meta WHERE key = ?", [STATE]).fetchall()
    return found[0][0] if found else None


def timelines_current(con: duckdb.DuckDBPyConnection, settings: Settings, /) -> bool:
    """Whether the stored timelines answer for the store as it is now, with these settings."""
    return weeks_current(con) and stored_state(con) == _state_of(stored_weeks_state(con), settings)


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """A ladder frame as Arrow, its dates typed as dates even when it has no rows."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for name in ("period", "as_of"):
        table = table.set_column(table.schema.get_field_index(name), name, table[name].cast(pa.date32()))
    return table


#: Compression of the stored numbers: without run-length encoding, which DuckDB picks for series
#: that repeat a value but must step through from the start of a segment to reach a pair's rows.
_COMPRESSION = {"DOUBLE": "alp", "BIGINT": "bitpacking", "DATE": "bitpacking", "BOOLEAN": "bitpacking"}


def _create(con: duckdb.DuckDBPyConnection, empty: pa.Table, /) -> None:
    """(Re)create the stored timelines' table with the columns of ``empty`` (docs/adr/018: reading
    30 pairs takes a fifth less time than with the compression DuckDB would choose)."""
    columns = con.from_arrow(empty).query("chunk", "DESCRIBE chunk").fetchall()
    con.execute(
        f"CREATE OR REPLACE TABLE {TABLE} ("
        + ", ".join(
            f"{name} {kind}" + (f" USING COMPRESSION {_COMPRESSION[kind]}" if kind in _COMPRESSION else "")
            for name, kind, *_ in columns
        )
        + ")"
    )


def refresh_timelines(con: duckdb.DuckDBPyConnection, settings: Settings, /, *, pairs: tuple[str, ...] | None = None) -> bool:
    """Compute and store the weekly timelines of ``pairs`` ('GEO-RUS'), or of every pair, in one
    transaction; returns whether it did. Only from current weekly aggregates (they are what is
    read); ``pairs`` only when the other pairs' stored timelines are current, which the caller
    knows (:func:`bring_up_to_date`)."""
    if not weeks_current(con):
        return False
    _store(con, settings, pairs)
    return True


def _store(con: duckdb.DuckDBPyConnection, settings: Settings, pairs: tuple[str, ...] | None, /) -> None:
    """:func:`refresh_timelines` once the weekly aggregates are known to be current."""
    everything = pairs is None
    if everything:
        pairs = tuple(r[0] for r in con.execute(f"SELECT DISTINCT pair FROM {WEEKLY_TABLE} ORDER BY pair").fetchall())
    with transaction(con):
        if everything:  # typed by an empty frame, then filled a chunk of pairs at a time (bounded memory)
            _create(con, _arrow(ladder_frame(con, settings, (), freq="week")))
        else:
            con.execute(f"DELETE FROM {TABLE} WHERE pair IN (SELECT unnest(?))", [list(pairs)])
        for i in range(0, len(pairs), CHUNK):
            chunk = _arrow(ladder_frame(con, settings, pairs[i : i + CHUNK], freq="week"))
            con.from_arrow(chunk).query("chunk", f"INSERT INTO {TABLE} BY NAME SELECT * FROM chunk")
        con.execute(
            "INSERT OR REPLACE INTO store_meta VALUES (?, ?), (?, ?)",
            [STATE, _state_of(stored_weeks_state(con), settings), GAPS, _gaps(con)],
        )


#: The largest share of DuckDB's memory limit the stored timelines are read into.
MEMORY_SHARE = 0.5


def read_into_memory(con: duckdb.DuckDBPyConnection, settings: Settings, /) -> bool:
    """Read every stored timeline once, so that DuckDB keeps their blocks in memory and the first
    request for each pair does not wait for its blocks to be read and checked (a server's first
    200 pairs of a 10M-event store: 125 ms instead of 250 ms). Only when they are current and
    take at most ``MEMORY_SHARE`` of DuckDB's memory limit; returns whether it read them."""
    if not timelines_current(con, settings):
        return False
    size, limit = con.execute(  # the limit as DuckDB shows it ('3.7 GiB'); NULL past BIGINT ('16383.9 PiB')
        f"SELECT count(DISTINCT block_id) * (SELECT block_size FROM pragma_database_size()), "
        f"try(parse_formatted_bytes(current_setting('memory_limit'))) FROM pragma_storage_info('{TABLE}')"
    ).fetchone()
    if limit is None or size > limit * MEMORY_SHARE:
        log.info(
            "stored pair timelines (%d bytes) not read into memory: more than %.0f%% of the memory limit",
            size,
            MEMORY_SHARE * 100,
        )
        return False
    started = time.perf_counter()
    con.execute(f"SELECT max(hash(COLUMNS(*))) FROM {TABLE}").fetchall()
    log.info("stored pair timelines (%d bytes) read into memory in %.2f s", size, time.perf_counter() - started)
    return True


def bring_up_to_date(
    con: duckdb.DuckDBPyConnection, settings: Settings, /, *, pairs: tuple[str, ...] | None, weeks_before: str | None
) -> bool:
    """After the weekly aggregates of ``pairs`` (of every pair when None) were recomputed from
    the state ``weeks_before``: recompute those pairs' timelines when the stored ones reflected
    ``weeks_before`` with these settings, every pair's otherwise; nothing when they are current
    or the weekly aggregates are not. Returns whether it computed any."""
    if not weeks_current(con):
        return False
    stored = stored_state(con)
    if stored == _state_of(stored_weeks_state(con), settings):
        return False
    # A timeline leaves out the store's gaps: when new events change the gaps (a source now
    # covering weeks no source covered), every pair's timeline changes, not only the new rows' pairs'.
    same_gaps = _stored_gaps(con) == _gaps(con)
    _store(con, settings, pairs if pairs is not None and same_gaps and stored == _state_of(weeks_before, settings) else None)
    return True


def weekly_timeline(con: duckdb.DuckDBPyConnection, settings: Settings, pair: str, /) -> pd.DataFrame:
    """One pair's ('GEO-RUS') weekly timeline, its whole history: the frame of
    :func:`~flashpoint.escalation.ladder.pair_ladder`, read from the stored timelines when they
    are current, else computed."""
    if not timelines_current(con, settings):
        return pair_ladder(con, settings, pair, freq="week")
    rows = con.sql(f"SELECT * FROM {TABLE} WHERE pair = {sql_string(pair)} ORDER BY period")
    return rows.to_arrow_table().to_pandas()  # dates as dates, as the ladder has them


def _json_sql(rows: str, pairs: tuple[str, ...], /) -> str:
    """SQL of each of ``pairs``' rows of the relation ``rows`` as one JSON array, in period order
    (one pair by equality, which skips the row groups without it; several by a semi join: an
    IN list of constants is compared row by row). Each row is written as JSON before the rows
    are put in order: sorting their text costs less than sorting the rows (30 busy pairs of a
    10M-event store: 45 ms of CPU instead of 49)."""
    chosen = f"= {sql_string(pairs[0])}" if len(pairs) == 1 else f"IN (SELECT unnest([{sql_strings(pairs)}]))"
    return (
        f"SELECT pair, '[' || string_agg(CAST(to_json(t) AS VARCHAR), ',' ORDER BY t.period) || ']' "
        f"FROM {rows} t WHERE pair {chosen} GROUP BY pair"
    )


def timelines_json(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    pairs: tuple[str, ...],
    /,
    *,
    freq: str,
    since: dt.date | None = None,
    until: dt.date | None = None,
    stored_current: bool | None = None,
) -> dict[str, str]:
    """Per pair, its timeline at ``freq`` from ``since`` on (up to ``until``) as JSON text ('[]'
    when it has none): read from the stored timelines when they answer (weekly, no end date,
    current), else computed. The same rows either way (tested), written by DuckDB (dates as
    YYYY-MM-DD, missing values as null). ``stored_current`` is :func:`timelines_current`, when
    the caller knows it (the API server, the store's only writer while it runs)."""
    if not pairs:
        return {}
    readable = freq == "week" and until is None  # what the stored timelines hold
    if readable and stored_current is None:
        stored_current = timelines_current(con, settings)
    if readable and stored_current:
        after = "" if since is None else f" WHERE period >= DATE '{since.isoformat()}'"
        found = con.execute(_json_sql(f"(SELECT * FROM {TABLE}{after})", pairs)).fetchall()
    else:
        frame = ladder_frame(con, settings, pairs, freq=freq, since=since, until=until)
        found = con.from_arrow(_arrow(frame)).query("computed", _json_sql("computed", pairs)).fetchall()
    answers = dict(found)
    return {pair: answers.get(pair, "[]") for pair in pairs}
