"""An alert's evidence: the events it rests on, and what stands behind them.

The evidence of an alert is the events that crossed its red lines, then the weightiest incidents of
the indicator that drove its index most (at most :data:`EVIDENCE`); an alert on a score series
lists its most conflictual days. What stands behind the events — their independent reports, a
human-coded source, their confidence — decides whether the alert is corroborated
(:func:`flashpoint.escalation.alerts.raise_alerts`).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import duckdb
import ibis
import pandas as pd

from flashpoint.indicators.counting import compiled_sql, indicator_rows
from flashpoint.indicators.query import IndicatorQuery
from flashpoint.indicators.registry import INDICATORS, indicator
from flashpoint.jsonrows import json_rows

#: Evidence events kept per alert.
EVIDENCE: Final = 5

_EVIDENCE_COLUMNS: Final = [
    "event_id",
    "event_date",
    "actor1_iso3",
    "actor2_iso3",
    "cameo_code",
    "cameo_name",
    "goldstein",
    "num_sources",
    "confidence",
    "source",
    "source_url",
]


def _top_events(events: ibis.Table, name: str, freq: str) -> ibis.Table:
    """The weightiest events of indicator ``name`` in each pair-period listed in ``alert_keys``."""
    backend = events.get_backend()
    rows = indicator_rows(events, indicator(name), IndicatorQuery(freq=freq))
    rows = rows.semi_join(backend.table("alert_keys"), ["pair", "period"])
    rows = rows.left_join(backend.table("cameo_codes").select("cameo_code", "cameo_name"), "cameo_code")
    order = [ibis.desc("weight"), ibis.desc(rows.num_sources.fill_null(0)), "event_date", "event_id"]
    ranked = rows.mutate(rank=ibis.row_number().over(group_by=["pair", "period"], order_by=order))
    return (
        ranked.filter(ranked["rank"] < EVIDENCE).order_by(["pair", "period", "rank"]).select("pair", "period", *_EVIDENCE_COLUMNS)
    )


def compile_evidence_queries(con: duckdb.DuckDBPyConnection, table: str, freq: str, /) -> None:
    """Compile every indicator's evidence query over ``table`` ahead of the alerts that need them
    (the live watch, before its first file)."""
    con.execute("CREATE OR REPLACE TEMP TABLE alert_keys (pair VARCHAR, period DATE)")
    for ind in INDICATORS:
        compiled_sql(con, table, ("evidence", ind.name, freq), lambda events, name=ind.name: _top_events(events, name, freq))


def alert_evidence(
    con: duckdb.DuckDBPyConnection, alerts: pd.DataFrame, freq: str, table: str
) -> dict[tuple[str, dt.date], list]:
    """Each alert's top events: those that crossed its red lines, then the weightiest incidents of
    the indicator that drove its index most; one query per indicator, not per alert."""
    found: dict[tuple[str, dt.date], pd.DataFrame] = {}
    crossed = [(p, d, i) for p, d, ids in zip(alerts["pair"], alerts["period"], alerts["event_ids"]) for i in ids]
    if crossed:
        con.register("crossed", pd.DataFrame(crossed, columns=["pair", "period", "event_id"]))
        frame = con.execute(
            "SELECT x.pair, x.period, e.event_id, e.event_date, e.actor1_iso3, e.actor2_iso3, e.cameo_code, "
            "c.cameo_name, e.goldstein, e.num_sources, e.confidence, e.source, e.source_url FROM crossed x JOIN events e "
            "USING (event_id) LEFT JOIN cameo_codes c ON c.cameo_code = e.cameo_code "
            "ORDER BY e.num_sources DESC NULLS LAST, e.event_date"
        ).df()
        con.unregister("crossed")
        frame["period"] = pd.to_datetime(frame["period"]).dt.date
        found.update({key: group for key, group in frame.groupby(["pair", "period"])})
    con.register("new_alert_keys", alerts[["pair", "period"]].drop_duplicates())
    con.execute("CREATE OR REPLACE TEMP TABLE alert_keys AS SELECT pair, CAST(period AS DATE) AS period FROM new_alert_keys")
    con.unregister("new_alert_keys")
    for name in sorted(set(alerts["driver"])):
        sql = compiled_sql(con, table, ("evidence", name, freq), lambda events: _top_events(events, name, freq))
        frame = con.sql(sql).to_arrow_table().to_pandas()
        frame = frame.merge(
            alerts.loc[alerts["driver"] == name, ["pair", "period"]].assign(period=lambda f: pd.to_datetime(f["period"])),
            on=["pair", "period"],
        )
        frame["period"] = frame["period"].dt.date
        for key, rows_of in frame.groupby(["pair", "period"]):
            found[key] = pd.concat([found[key], rows_of]) if key in found else rows_of
    return {key: json_rows(frame.drop_duplicates("event_id").head(EVIDENCE)[_EVIDENCE_COLUMNS]) for key, frame in found.items()}


def series_evidence(con: duckdb.DuckDBPyConnection, series: str, alert) -> list[dict]:  # noqa: ANN001
    """The most conflictual days of the alert's period in the series."""
    values = con.execute(
        "SELECT date, value FROM pair_series WHERE series = ? AND pair = ? AND date BETWEEN ? AND ? ORDER BY value LIMIT ?",
        [series, alert.pair, alert.period, alert.as_of, EVIDENCE],
    ).df()
    return json_rows(values)


def evidence_support(
    con: duckdb.DuckDBPyConnection, evidence: dict[tuple[str, dt.date], list], min_confidence: float, table: str
) -> pd.DataFrame:
    """What stands behind each alert's evidence events, per (``pair``, ``period``): ``reports``,
    the independent reports of its confident incidents (per incident, the larger of GDELT's
    NumSources and its distinct sources; incidents whose best row's confidence is below
    ``min_confidence`` count none), ``human`` (a human-coded source reports one of them) and
    ``confidence`` (the best row's)."""
    keyed = [(pair, period, row["event_id"]) for (pair, period), rows in evidence.items() for row in rows]
    if not keyed:
        return pd.DataFrame(columns=["pair", "period", "reports", "human", "confidence"])
    con.register("alert_evidence", pd.DataFrame(keyed, columns=["pair", "period", "event_id"]))
    try:
        return con.execute(
            f"""
WITH behind AS (SELECT DISTINCT k.pair, k.period, coalesce(e.cluster_id, e.event_id) AS incident
                FROM alert_evidence k JOIN {table} e USING (event_id)),
incidents AS (SELECT b.pair, b.period, b.incident,
                     greatest(max(coalesce(e.num_sources, 1)), count(DISTINCT e.source)) AS sources,
                     bool_or(e.coding = 'human') AS human, max(coalesce(e.confidence, 1.0)) AS confidence
              FROM behind b JOIN {table} e ON coalesce(e.cluster_id, e.event_id) = b.incident
              GROUP BY ALL)
SELECT pair, period, CAST(sum(CASE WHEN confidence >= ? THEN sources ELSE 0 END) AS INTEGER) AS reports,
       bool_or(human) AS human, max(confidence) AS confidence
FROM incidents GROUP BY ALL""",
            [min_confidence],
        ).df()
    finally:
        con.unregister("alert_evidence")
