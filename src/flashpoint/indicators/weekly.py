"""The store's weekly pair aggregates, kept up to date as events arrive.

Every pair's incidents per week, per indicator (:func:`flashpoint.indicators.compute.pair_periods`
at weekly frequency, the counts before any baseline), are stored in ``pair_weeks``. The
weekly indicators of one pair or a list of pairs — the timeline of the dashboard, the API
and the briefs — then read the pair's few hundred stored weeks instead of scanning the
events for its rows, which lie all over a store ingested file by file.

:func:`settle` runs after every ingest of events: it clusters the new rows into incidents
and recomputes the weeks of the pairs they touched (deduplication changes incidents only
within the new rows' pairs). ``store_meta`` records the store state the weeks reflect (its
events and latest ingest); a store changed some other way is read from its events, as
before, until the next refresh. See docs/adr/012-weekly-aggregates.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb

from flashpoint.config import Settings
from flashpoint.escalation.timelines import bring_up_to_date
from flashpoint.indicators.compute import (
    IndicatorQuery,
    counted_sql,
    store_state_sql,
    stored_weeks_state,
)
from flashpoint.store.connection import transaction
from flashpoint.store.dedup import cluster_events
from flashpoint.store.layout import lay_out_if_due
from flashpoint.store.queries import copy_pair_events
from flashpoint.store.schema import WEEKLY_STATE, WEEKLY_TABLE
from flashpoint.wording import quantity

log = logging.getLogger(__name__)


def _state(con: duckdb.DuckDBPyConnection, /, *, without: list[int] | None = None) -> str:
    """The store's state now, or as it was before the ingests ``without``."""
    if without is None:
        return con.execute(store_state_sql()).fetchall()[0][0]
    return con.execute(store_state_sql("WHERE NOT list_contains(?, ingest_id)"), [without]).fetchall()[0][0]


def refresh_weeks(con: duckdb.DuckDBPyConnection, /, *, pairs: tuple[str, ...] | None = None,
                  table: str = "events") -> None:
    """Recompute the stored weeks of ``pairs`` ('GEO-RUS'), or of every pair, in one transaction,
    from the store's ``table`` (``events``, or a copy holding every event of ``pairs``)."""
    query = IndicatorQuery(freq="week", pairs=pairs)
    counted = (f"SELECT pair, CAST(period AS DATE) AS period, * EXCLUDE (pair, period) "
               f"FROM ({counted_sql(con, query, table=table)})")
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
    return [r[0] for r in con.execute(
        "SELECT DISTINCT ingest_id FROM events WHERE cluster_id IS NULL AND NOT list_contains(?, ingest_id) "
        "ORDER BY ingest_id", [list(besides)]).fetchall()]


@dataclass(frozen=True)
class Settled:
    """What :func:`settle` did."""

    reassigned: int  # rows (re)assigned to clusters
    pairs: tuple[str, ...] | None  # the new rows' pairs; None when every row was clustered again
    copied: str | None  # a temporary copy of those pairs' events, for the caller to read too, if one was made


def settle(con: duckdb.DuckDBPyConnection, settings: Settings, /, *,
           ingest_ids: list[int] | None = None, lay_out: bool = True, timelines: bool = True) -> Settled:
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
    if ingest_ids is not None:
        # Files whose events a crash left unclustered after their commit are settled with the new ones:
        # ingesting them again skips them (by checksum), so nothing else would.
        left = unsettled_ingests(con, besides=ingest_ids)
        if left:
            log.warning("settling %s that an interrupted run left unclustered (ingests %s)",
                        quantity(len(left), "earlier file"), ", ".join(map(str, left)))
        ingest_ids = [*ingest_ids, *left]
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
    pairs = None if ingest_ids is None else tuple(sorted(r[0] for r in con.execute(
        "SELECT DISTINCT pair FROM events WHERE list_contains(?, ingest_id) AND pair IS NOT NULL",
        [ingest_ids]).fetchall()))
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
