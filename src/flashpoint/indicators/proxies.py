"""Fighting by non-state armed actors that a third state backs, attributed to the backer's pair.

The proxy indicator counts a state's events towards the other state's non-state armed
actors. Its second part is what those actors then do: a fight by a non-state armed actor of
country H counts for the pair (S, H) when state S armed or cooperated militarily with H's
non-state armed actors in the days before (the proxy indicator's ``backing_days``,
``backing_min_weight`` and ``fighting_roots``, docs/indicators.md). The fight names no
second state, so it is not one of the pair's own events: it is reported beside the proxy
count (``backed_fighting``, incidents), on the periods the view lists, not in its z-score.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from flashpoint.indicators.query import IndicatorQuery
from flashpoint.indicators.registry import INDICATORS, NON_STATE
from flashpoint.sql import sql_string, sql_strings

#: The indicator whose rows carry ``backed_fighting``.
PROXY = next(i for i in INDICATORS if i.backing_days)


def backed_fighting(con: duckdb.DuckDBPyConnection, query: IndicatorQuery, /) -> pd.DataFrame:
    """Per pair (keyed as the query keys them) and period: ``backed_fighting``, the incidents of
    fighting by non-state armed actors of one state that the other backed in the days before."""
    codes = [c for c, w in PROXY.codes.items() if w >= PROXY.backing_min_weight]
    backing_codes = " OR ".join(f"starts_with(cameo_code, {sql_string(c)})" for c in codes)
    types = sql_strings(PROXY.proxy_types)
    until = "" if query.until is None else f"AND event_date <= DATE '{query.until.isoformat()}'"
    backers = hosts = ""  # for one pair, only its two states' rows are read
    if query.country is not None:
        key, keep = f"{sql_string(query.country)} || '-*'", f"{sql_string(query.country)} IN (b.backer, f.host)"
    elif query.directed:
        key, keep = "b.backer || '→' || f.host", "true"
    else:
        key, keep = "least(b.backer, f.host) || '-' || greatest(b.backer, f.host)", "true"
    if query.dyad is not None:
        first, second = (sql_string(code) for code in query.dyad)
        backers = hosts = f"AND actor1_iso3 IN ({first}, {second})"
        backers += f" AND actor2_iso3 IN ({first}, {second})"
        keep = f"b.backer = {first} AND f.host = {second}"
        if not query.directed:
            keep = f"({keep}) OR (b.backer = {second} AND f.host = {first})"
    if query.pairs is not None:
        keep = f"least(b.backer, f.host) || '-' || greatest(b.backer, f.host) IN ({sql_strings(query.pairs) or 'NULL'})"
    return con.execute(f"""
WITH backing AS (
  SELECT DISTINCT actor1_iso3 AS backer, actor2_iso3 AS host, event_date AS backed_on FROM events
  WHERE actor2_type IN ({types}) AND actor1_iso3 IS NOT NULL AND actor2_iso3 IS NOT NULL
    AND actor1_iso3 <> actor2_iso3 AND (actor1_type IS NULL OR actor1_type NOT IN ({sql_strings(NON_STATE)}))
    AND ({backing_codes}) {until} {backers}
),
fights AS (
  SELECT coalesce(cluster_id, event_id) AS incident, actor1_iso3 AS host, event_date FROM events
  WHERE actor1_type IN ({types}) AND actor1_iso3 IS NOT NULL AND cameo_root IN ({sql_strings(PROXY.fighting_roots)})
    {until} {hosts}
)
SELECT {key} AS pair, CAST(date_trunc('{query.freq}', f.event_date) AS DATE) AS period,
       count(DISTINCT f.incident) AS backed_fighting
FROM fights f JOIN backing b ON b.host = f.host
 AND b.backed_on BETWEEN f.event_date - INTERVAL {PROXY.backing_days} DAY AND f.event_date
WHERE {keep}
GROUP BY ALL""").df()


def with_backed_fighting(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, query: IndicatorQuery, /) -> pd.DataFrame:
    """``backed_fighting`` on the proxy rows of an indicator frame (0 when none; NaN on other rows)."""
    found = backed_fighting(con, query).assign(period=lambda f: pd.to_datetime(f["period"]))
    proxy = frame["indicator"] == PROXY.name
    keys = pd.DataFrame({"pair": frame["pair"], "period": pd.to_datetime(frame["period"])})
    merged = keys.merge(found, on=["pair", "period"], how="left")["backed_fighting"]
    frame["backed_fighting"] = merged.fillna(0).where(proxy.to_numpy()).to_numpy()
    return frame
