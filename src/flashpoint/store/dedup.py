"""Deduplication: group the rows that describe one incident into clusters, in the engine.

GDELT re-emits an incident once per set of articles, and ACLED, UCDP and GDELT report the
same battle. Rows are *blocked* on what must agree — the unordered country pair (or the
one country named, with the country where it happened; or, with no actor country, the
actors' names and the country where it happened), the CAMEO root (roots that sources
use interchangeably form one family, :data:`FAMILIES`), and, among machine-coded rows, a grid
cell of the coordinates (``dedup_cell_degrees``; rows without coordinates fall back to the
country of the action). Within a block, rows ordered by date form one incident while each is
at most ``dedup_window_days`` after the previous one, cut so that no incident spans more than
that window from its first day. Human-coded
sources (ACLED, UCDP) have deduplicated their own rows, so two rows of one such source are
never merged. A human-coded row joins the nearest row (in date, within the window and one
cell size, ``dedup_cell_degrees`` × 111 km) of the same group from a human-coded source
earlier in alphabetical order (a UCDP battle joins ACLED's report of it), following such
links up to two sources back. A cluster of machine-coded rows joins the cluster of the
human-coded row nearest in date within the window and one cell size of the cluster's mean
position (ties: smallest event id).

Every source row is kept; each gets ``cluster_id``: the anchoring human-coded row's event
id when one is in the cluster, else the smallest event id of the cluster; and
``cluster_size``, its cluster's number of rows. Clustering is incremental:
only the groups that new rows fall in are recomputed, with all their rows, so a new batch
joins the clusters already there. The ``clusters`` view gives each cluster's rows,
independent sources and whether a human-coded source confirms it.
See docs/dedup.md for the figures on real data.
"""

from __future__ import annotations

import logging

import duckdb

from flashpoint.config import Settings
from flashpoint.store.connection import transaction

log = logging.getLogger(__name__)

#: CAMEO roots that different sources use for one kind of incident: a battle is 190 in ACLED
#: and UCDP, and 190, 193 or 195 in GDELT depending on the article. Every other root is its
#: own family.
FAMILIES: dict[str, tuple[str, ...]] = {
    "violence": ("18", "19", "20"),
}


def _family_sql() -> str:
    cases = " ".join(
        f"WHEN cameo_root IN ({', '.join(repr(r) for r in roots)}) THEN '{name}'" for name, roots in FAMILIES.items()
    )
    return f"CASE {cases} ELSE cameo_root END"


def _group_sql() -> str:
    """SQL: who and what must agree — the country pair; or the one country named and the
    country of action; or, when no actor has a country, the actors' names and the country of
    action — and the CAMEO family. NULL when the row names no country at all."""
    names = (
        "least(coalesce(lower(actor1_name), ''), coalesce(lower(actor2_name), '')) || '/' || "
        "greatest(coalesce(lower(actor1_name), ''), coalesce(lower(actor2_name), ''))"
    )
    countries = (
        "CASE WHEN pair IS NOT NULL THEN pair "
        "WHEN actor1_iso3 IS NOT NULL AND actor2_iso3 IS NOT NULL THEN actor1_iso3 || '-' || actor2_iso3 "
        "WHEN coalesce(actor1_iso3, actor2_iso3) IS NOT NULL "
        "THEN coalesce(actor1_iso3, actor2_iso3) || '@' || coalesce(location_iso3, '') "
        f"ELSE '@' || location_iso3 || ':' || {names} END"
    )
    return (
        f"CASE WHEN coalesce(actor1_iso3, actor2_iso3, location_iso3) IS NULL THEN NULL "
        f"ELSE {countries} || '|' || {_family_sql()} END"
    )


def _located_sql() -> str:
    return "(lat IS NOT NULL AND lon IS NOT NULL AND NOT (lat = 0 AND lon = 0))"


def _cell_sql(cell: float) -> str:
    """SQL: the grid cell of the row's coordinates, or its country of action without them."""
    return (
        f"CASE WHEN {_located_sql()} "
        f"THEN CAST(floor(lat / {cell}) AS BIGINT) || ',' || CAST(floor(lon / {cell}) AS BIGINT) "
        f"ELSE coalesce(location_iso3, '') END"
    )


def _near(a: str, b: str, radius_km: float) -> str:
    """SQL: rows (or clusters) ``a`` and ``b`` are within ``radius_km`` (great circle), or one has no position."""
    return (
        f"({a}.lat IS NULL OR {b}.lat IS NULL OR 2 * 6371 * asin(sqrt("
        f"pow(sin(radians({b}.lat - {a}.lat) / 2), 2) + cos(radians({a}.lat)) * cos(radians({b}.lat)) "
        f"* pow(sin(radians({b}.lon - {a}.lon) / 2), 2))) <= {radius_km})"
    )


def _rows_sql(copied: str | None) -> str:
    """The rows that may fall in the groups of ``dedup_groups``, with ``row_id``: from the store,
    or from ``copied`` (every row of the groups' pairs, with their row ids) and the store's rows
    without a pair, which it reads only when some group has none."""
    if copied is None:
        # The stored pair rules out most rows before their group key is built.
        return (
            "(SELECT rowid AS row_id, * FROM events WHERE pair IS NULL "
            "OR pair IN (SELECT pair FROM dedup_groups WHERE pair IS NOT NULL))"
        )
    return (
        f"(SELECT * FROM {copied} UNION ALL BY NAME SELECT rowid AS row_id, * FROM events WHERE pair IS NULL "
        "AND EXISTS (SELECT 1 FROM dedup_groups WHERE pair IS NULL))"
    )


def _machine_sessions_sql(window: int) -> str:
    """CTEs over ``keyed``'s machine-coded rows: ``machine_spans``, the sessions of each group
    and cell (rows at most ``window`` days apart, cut every ``window`` + 1 days from the
    session's first day) with their first id, dates and mean position, and
    ``machine_clusters``, each row's span (``machine_cluster``, the span's first id)."""
    return f"""
machine AS (SELECT * FROM keyed WHERE coding <> 'human'),
gaps AS (
  SELECT *, CASE WHEN date_diff('day', lag(event_date) OVER w, event_date) <= {window} THEN 0 ELSE 1 END AS fresh
  FROM machine WINDOW w AS (PARTITION BY grp, cell ORDER BY event_date, event_id)
),
sessions AS (
  -- In date order, a session starts on the date of its latest fresh row: one pass gives both.
  SELECT *, sum(fresh) OVER s AS session, max(CASE WHEN fresh = 1 THEN event_date END) OVER s AS session_start
  FROM gaps WINDOW s AS (PARTITION BY grp, cell ORDER BY event_date, event_id ROWS UNBOUNDED PRECEDING)
),
spans AS (SELECT *, date_diff('day', session_start, event_date) // ({window} + 1) AS part FROM sessions),
machine_spans AS (
  SELECT grp, cell, session, part, min(event_id) AS machine_cluster, min(event_date) AS first_date,
         max(event_date) AS last_date, avg(lat) AS lat, avg(lon) AS lon
  FROM spans GROUP BY grp, cell, session, part
),
machine_clusters AS (
  SELECT s.row_id, m.machine_cluster FROM spans s JOIN machine_spans m USING (grp, cell, session, part)
)"""


def _human_links_sql(window: int, radius_km: float) -> str:
    """CTEs over ``keyed``'s human-coded rows: ``anchors``, the human-coded row nearest in time
    to each machine span's first day within ``window`` days and ``radius_km``, and
    ``human_clusters``, each human-coded row linked to an earlier source's nearest row (and
    that row's own link)."""
    return f"""
anchors AS (
  SELECT m.machine_cluster, arg_min(h.event_id, (abs(date_diff('day', m.first_date, h.event_date)), h.event_id))
         AS anchor
  FROM machine_spans m
  JOIN keyed h ON h.coding = 'human' AND h.grp = m.grp
   AND h.event_date BETWEEN m.first_date - {window} AND m.last_date + {window}
   AND {_near("m", "h", radius_km)}
  GROUP BY m.machine_cluster
),
human AS (SELECT * FROM keyed WHERE coding = 'human'),
human_links AS (
  SELECT h.event_id, arg_min(e.event_id, (abs(date_diff('day', h.event_date, e.event_date)), e.event_id)) AS link
  FROM human h JOIN human e ON e.grp = h.grp AND e.source < h.source
   AND abs(date_diff('day', h.event_date, e.event_date)) <= {window} AND {_near("h", "e", radius_km)}
  GROUP BY h.event_id
),
human_clusters AS (
  SELECT h.row_id, h.event_id, coalesce(l2.link, l1.link, h.event_id) AS cluster_id
  FROM human h LEFT JOIN human_links l1 USING (event_id) LEFT JOIN human_links l2 ON l2.event_id = l1.link
)"""


def _assigned_sql(group: str, cell: float, window: int, rows: str, /, *, every_group: bool = False) -> str:
    """SELECT of (row_id, cluster_id, cluster_size) for every row of the groups in ``dedup_groups``
    (of every group, with ``every_group``) among ``rows``: machine-coded sessions per cell,
    joined to the nearest human-coded row; human-coded rows linked to earlier human-coded
    sources."""
    radius_km = cell * 111.2
    return f"""
WITH assigned AS (
WITH keyed AS (
  SELECT row_id, event_id, source, event_date, coding, {group} AS grp, {_cell_sql(cell)} AS cell,
         CASE WHEN {_located_sql()} THEN lat END AS lat, CASE WHEN {_located_sql()} THEN lon END AS lon
  FROM {rows}
  WHERE {f"{group} IS NOT NULL" if every_group else f"{group} IN (SELECT grp FROM dedup_groups)"}
),
{_machine_sessions_sql(window)},
{_human_links_sql(window, radius_km)}
SELECT m.row_id, coalesce(hc.cluster_id, m.machine_cluster) AS cluster_id
FROM machine_clusters m LEFT JOIN anchors a USING (machine_cluster)
LEFT JOIN human_clusters hc ON hc.event_id = a.anchor
UNION ALL
SELECT row_id, cluster_id FROM human_clusters
),
sizes AS (SELECT cluster_id, CAST(count(*) AS INTEGER) AS cluster_size FROM assigned GROUP BY cluster_id)
SELECT row_id, cluster_id, cluster_size FROM assigned JOIN sizes USING (cluster_id)"""


def clusters_sql(settings: Settings, rows: str, /) -> str:
    """SELECT of (row_id, cluster_id, cluster_size) clustering every row of the relation ``rows``
    (SQL with the event columns and a unique ``row_id``) that names a country; the rows that
    name none stand alone (cluster of their own id, size 1) and are not in it. DuckDB's
    dialect; the lake's job runs it on Spark (:mod:`flashpoint.lake.jobs`)."""
    group = _group_sql()
    return _assigned_sql(group, float(settings.dedup_cell_degrees), int(settings.dedup_window_days), rows, every_group=True)


def _assign_sql(group: str, cell: float, window: int, rows: str, /, *, every_group: bool = False) -> str:
    """SQL creating ``dedup_assign`` from :func:`_assigned_sql`, in row order (the updates that
    write the clusters back then run in the tables' order)."""
    return (
        f"CREATE OR REPLACE TEMP TABLE dedup_assign AS {_assigned_sql(group, cell, window, rows, every_group=every_group)} "
        "ORDER BY row_id"
    )


def cluster_events(
    con: duckdb.DuckDBPyConnection, settings: Settings, /, *, ingest_ids: list[int] | None = None, copied: str | None = None
) -> int:
    """Assign ``cluster_id`` to the rows of the given ingests and every row of their groups.

    Parameters
    ----------
    con : DuckDB connection to an open store.
    settings : the dedup window and cell size.
    ingest_ids : the new batch; None clusters the whole store again.
    copied : a temporary copy of every stored row of the new rows' pairs, with their row ids
        (``row_id``; :func:`flashpoint.store.queries.copy_pair_events`), read instead of the
        store for those pairs, and updated with the store.

    Returns
    -------
    The number of rows (re)assigned.
    """
    window = int(settings.dedup_window_days)
    cell = float(settings.dedup_cell_degrees)
    group = _group_sql()
    batch = None if ingest_ids is None else f"ingest_id IN ({', '.join(str(int(i)) for i in ingest_ids)})"
    scope = "" if batch is None else f"WHERE {batch}"
    with transaction(con):
        # A batch that is the whole store (a first ingest, a full re-clustering) has every group:
        # no list of its groups to build and filter the rows by.
        whole = copied is None and (
            batch is None or not con.execute(f"SELECT count(*) FROM events WHERE NOT ({batch})").fetchone()[0]
        )
        if whole:
            con.execute(_assign_sql(group, cell, window, "(SELECT rowid AS row_id, * FROM events)", every_group=True))
        else:
            con.execute(f"CREATE OR REPLACE TEMP TABLE dedup_groups AS SELECT DISTINCT {group} AS grp, pair FROM events {scope}")
            con.execute(_assign_sql(group, cell, window, _rows_sql(copied)))
        # Rows that name no country anywhere stand alone. Rows are written back by row id: a
        # join on the event id would read every stored id.
        con.execute(f"INSERT INTO dedup_assign SELECT rowid, event_id, 1 FROM events {scope or 'WHERE true'} AND {group} IS NULL")
        changed = con.execute(
            "UPDATE events SET cluster_id = a.cluster_id, cluster_size = a.cluster_size FROM dedup_assign a "
            "WHERE events.rowid = a.row_id AND (events.cluster_id IS DISTINCT FROM a.cluster_id "
            "OR events.cluster_size IS DISTINCT FROM a.cluster_size)"
        ).fetchone()[0]
        if copied is not None:
            con.execute(
                f"UPDATE {copied} SET cluster_id = a.cluster_id, cluster_size = a.cluster_size "
                f"FROM dedup_assign a WHERE {copied}.row_id = a.row_id"
            )
        con.execute("DROP TABLE dedup_assign; DROP TABLE IF EXISTS dedup_groups")
    log.info("deduplication: %d rows (re)assigned to clusters", changed)
    return changed
