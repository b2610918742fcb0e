"""New events arrived: the one way in for every interface (CLI, API, demo, live watch).

:func:`ingest_files` ingests files with a source reader and, for events, settles them
(:func:`settle`): the new rows clustered into incidents, the stored weekly counts and pair
timelines brought up to date, the events laid out by pair again when enough were appended. A
run that a crash stopped after a file's commit is settled by the next one (docs/adr/024).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from flashpoint.config import Settings
from flashpoint.escalation.timelines import bring_up_to_date
from flashpoint.indicators.weekly import refresh_weeks, store_state_sql, stored_weeks_state, unsettled_ingests
from flashpoint.lake.store_view import refuse_lake_store
from flashpoint.sources.tabular import EVENTS, Reader
from flashpoint.store.dedup import cluster_events
from flashpoint.store.ingest import IngestResult, ingest_paths
from flashpoint.store.layout import lay_out_if_due
from flashpoint.store.queries import copy_pair_events
from flashpoint.wording import quantity

log = logging.getLogger(__name__)


def _state(con: duckdb.DuckDBPyConnection, /, *, without: list[int] | None = None) -> str:
    """The store's state now, or as it was before the ingests ``without``."""
    if without is None:
        return con.execute(store_state_sql()).fetchall()[0][0]
    return con.execute(store_state_sql("WHERE NOT list_contains(?, ingest_id)"), [without]).fetchall()[0][0]


@dataclass(frozen=True)
class Settled:
    """What :func:`settle` did."""

    reassigned: int  # rows (re)assigned to clusters
    pairs: tuple[str, ...] | None  # the new rows' pairs; None when every row was clustered again
    copied: str | None  # a temporary copy of those pairs' events, for the caller to read too, if one was made


def _unsettled(con: duckdb.DuckDBPyConnection, ingest_ids: list[int], /) -> list[int]:
    """Files whose events a crash left unclustered after their commit, besides ``ingest_ids``:
    they are settled with the new ones, as ingesting them again skips them (by checksum)."""
    left = unsettled_ingests(con, besides=ingest_ids)
    if left:
        log.warning(
            "settling %s that an interrupted run left unclustered (ingests %s)",
            quantity(len(left), "earlier file"),
            ", ".join(map(str, left)),
        )
    return left


def _pairs_of(con: duckdb.DuckDBPyConnection, ingest_ids: list[int], /) -> tuple[str, ...]:
    """The pairs of the events of ``ingest_ids``, sorted."""
    found = con.execute(
        "SELECT DISTINCT pair FROM events WHERE list_contains(?, ingest_id) AND pair IS NOT NULL", [ingest_ids]
    ).fetchall()
    return tuple(sorted(r[0] for r in found))


def settle(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    /,
    *,
    ingest_ids: list[int] | None = None,
    lay_out: bool = True,
    timelines: bool = True,
) -> Settled:
    """After new events: cluster the rows of ``ingest_ids`` (every row when None) into incidents,
    bring the stored weeks up to date and, with ``timelines``, the stored pair timelines
    (:func:`~flashpoint.escalation.timelines.bring_up_to_date`), and, with ``lay_out``, lay the
    events out by pair again when enough rows were appended
    (:func:`~flashpoint.store.layout.lay_out_if_due`). The live watch does the last two after
    delivering its alerts.

    When the stored weeks were current before these ingests, the new rows' pairs are copied
    once, re-clustered from the copy and their weeks recomputed from it; otherwise (first
    ingest, a store filled some other way, a full re-clustering) every pair's weeks are, unless
    they already reflect the store (a file ingested again after a crash).
    """
    refuse_lake_store(con)
    if ingest_ids is not None:
        ingest_ids = [*ingest_ids, *_unsettled(con, ingest_ids)]
    if ingest_ids is not None and not ingest_ids:  # nothing new
        stored = stored_weeks_state(con)
        if stored != _state(con):
            # The weeks a crash left behind the clustered events (or timelines behind the weeks,
            # a layout not finished): brought up to date now, as nothing else would.
            log.warning("bringing the weekly counts up to date: an interrupted run left them behind the events")
            refresh_weeks(con)
        if timelines:
            bring_up_to_date(con, settings, pairs=None, weeks_before=stored)
        if lay_out:
            lay_out_if_due(con, settings)
        return Settled(0, (), None)
    pairs = None if ingest_ids is None else _pairs_of(con, ingest_ids)
    stored = stored_weeks_state(con)
    if ingest_ids is None or stored != _state(con, without=ingest_ids):
        reassigned = cluster_events(con, settings, ingest_ids=ingest_ids)
        if ingest_ids is None or stored != _state(con):
            refresh_weeks(con)
        copied = None
    else:
        copied = copy_pair_events(con, pairs)
        reassigned = cluster_events(con, settings, ingest_ids=ingest_ids, copied=copied)
        refresh_weeks(con, pairs=pairs, table=copied)
    if timelines:
        bring_up_to_date(con, settings, pairs=None if copied is None else pairs, weeks_before=stored)
    if lay_out:
        lay_out_if_due(con, settings)
    return Settled(reassigned, pairs, copied)


def ingest_files(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    patterns: list[str],
    /,
    *,
    reader: Reader,
    forced: str = "auto",
    on_start: Callable[[str, int], None] | None = None,
    on_settle: Callable[[], None] | None = None,
) -> list[IngestResult]:
    """Ingest files, globs and folders (:func:`~flashpoint.store.ingest.ingest_paths`) and, for
    events, settle them and whatever an interrupted run left (``on_settle`` is called first);
    with ``settings.engine`` ``spark``, events go to the lake instead
    (:func:`~flashpoint.lake.ingest.ingest_to_lake`), which settles them there.

    Returns
    -------
    list of IngestResult, one per file or zip member.
    """
    if reader.TARGET == EVENTS:
        if settings.engine == "spark":
            from flashpoint.lake.ingest import ingest_to_lake

            return ingest_to_lake(con, settings, patterns, reader=reader, forced=forced, on_start=on_start)
        refuse_lake_store(con)  # before any file: a lake's store takes events from Spark only
    results = ingest_paths(con, patterns, reader=reader, forced=forced, on_start=on_start)
    if reader.TARGET == EVENTS:
        if on_settle is not None:
            on_settle()
        settle(con, settings, ingest_ids=[r.ingest_id for r in results if r.ingest_id is not None])
    return results
