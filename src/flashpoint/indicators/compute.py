"""Compute the registry's indicators per country pair and period.

Counting runs in the engine as one Ibis expression for all indicators (rows → incidents →
pair-periods, one pass over the events), so the same definition runs on DuckDB and, later,
Spark or BigQuery. The z-scores against each pair's own trailing baseline are SQL window
functions over the aggregated pair-periods, on a dense grid where empty periods are zeros.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import ibis
import pandas as pd

from flashpoint.errors import InvalidInput
from flashpoint.indicators.registry import INDICATORS, Indicator, indicator
from flashpoint.store.connection import ibis_backend

#: Period names → Ibis truncation unit and pandas frequency.
FREQUENCIES = {"day": ("D", "D"), "week": ("W", "W-MON"), "month": ("M", "MS"), "year": ("Y", "YS")}
#: Fewest earlier periods a z-score needs.
MIN_BASELINE = 4
#: Actor types of non-state armed groups: their statements are not the state's.
NON_STATE = ("REB", "UAF", "INS", "SEP")


@dataclass(frozen=True)
class IndicatorQuery:
    """Which pair-periods to compute.

    ``dyad`` (two ISO3 codes) limits to one pair (both directions unless ``directed``);
    None computes every pair. ``since``/``until`` bound the periods reported; the baseline
    reads earlier periods too.
    """

    freq: str = "month"
    dyad: tuple[str, str] | None = None
    directed: bool = False
    since: dt.date | None = None
    until: dt.date | None = None
    baseline_periods: int = 12

    def __post_init__(self) -> None:
        if self.freq not in FREQUENCIES:
            raise InvalidInput(f"frequency '{self.freq}': use one of {', '.join(FREQUENCIES)}.")
        if self.baseline_periods < MIN_BASELINE:
            raise InvalidInput(f"baseline of {self.baseline_periods} periods: use at least {MIN_BASELINE}.")


def _lookup(value: ibis.Value, weights: dict[str, float], default: float | None) -> ibis.Value:
    """CASE over CAMEO prefixes (longest first) or actor types."""
    branches = [(value.startswith(key) if default is None else value == key, ibis.literal(weight))
                for key, weight in sorted(weights.items(), key=lambda kv: -len(kv[0]))]
    return ibis.cases(*branches, else_=ibis.literal(default, type="float64")) if branches else ibis.literal(default)


def _pair_columns(events: ibis.Table, directed: bool) -> tuple[ibis.Value, ibis.Value]:
    a1, a2 = events.actor1_iso3, events.actor2_iso3
    if directed:
        return a1, a2
    return ibis.least(a1, a2), ibis.greatest(a1, a2)


def _paired(events: ibis.Table, query: IndicatorQuery) -> ibis.Table:
    """Rows between two different countries, up to ``until``, of the queried pair if any."""
    a1, a2 = events.actor1_iso3, events.actor2_iso3
    rows = events.filter(a1.notnull() & a2.notnull() & (a1 != a2))
    if query.until is not None:
        rows = rows.filter(rows.event_date <= query.until)
    if query.dyad is not None:
        first, second = query.dyad
        forward = (rows.actor1_iso3 == first) & (rows.actor2_iso3 == second)
        backward = (rows.actor1_iso3 == second) & (rows.actor2_iso3 == first)
        rows = rows.filter(forward if query.directed else forward | backward)
    return rows


def _weight(rows: ibis.Table, ind: Indicator) -> ibis.Value:
    """The indicator's weight of each row; NULL for rows it does not read."""
    code_weight = _lookup(rows.cameo_code, ind.codes, None)
    if ind.actor_weights:
        code_weight = code_weight * ibis.greatest(_lookup(rows.actor1_type.fill_null(""), ind.actor_weights, 1.0),
                                                  _lookup(rows.actor2_type.fill_null(""), ind.actor_weights, 1.0))
    if ind.shape == "proxy":
        reads = rows.actor2_type.isin(list(ind.proxy_types))
    else:
        reads = rows.actor1_type.isnull() | ~rows.actor1_type.isin(list(NON_STATE))
    return ibis.ifelse(reads, code_weight, ibis.null("float64"))


def _keyed(events: ibis.Table, query: IndicatorQuery) -> ibis.Table:
    rows = _paired(events, query)
    pair_a, pair_b = _pair_columns(rows, query.directed)
    return rows.mutate(pair_a=pair_a, pair_b=pair_b, period=rows.event_date.truncate(FREQUENCIES[query.freq][0]),
                       incident=rows.cluster_id.fill_null(rows.event_id))


def indicator_rows(events: ibis.Table, ind: Indicator, query: IndicatorQuery) -> ibis.Table:
    """The rows an indicator reads, with ``pair_a``, ``pair_b``, ``period``, ``incident`` and ``weight``."""
    rows = _keyed(events, query)
    return rows.mutate(weight=_weight(rows, ind)).filter(ibis._.weight.notnull())


def pair_periods(events: ibis.Table, query: IndicatorQuery) -> ibis.Table:
    """One pass over the events: per pair and period, each indicator's weighted incidents
    (``<name>_value``) and incidents (``<name>_incidents``), and all incidents (``total``)."""
    rows = _keyed(events, query)
    rows = rows.mutate(**{f"w_{ind.name}": _weight(rows, ind) for ind in INDICATORS})
    incidents = rows.group_by(["pair_a", "pair_b", "period", "incident"]).agg(
        **{f"w_{ind.name}": rows[f"w_{ind.name}"].max() for ind in INDICATORS})
    sums = {f"{ind.name}_value": incidents[f"w_{ind.name}"].sum().fill_null(0.0) for ind in INDICATORS}
    counts = {f"{ind.name}_incidents": incidents[f"w_{ind.name}"].count() for ind in INDICATORS}
    return incidents.group_by(["pair_a", "pair_b", "period"]).agg(total=incidents.count(), **sums, **counts)


def _baseline_sql(aggregated: str, query: IndicatorQuery, last: dt.date) -> str:
    """Dense periods per pair (from its first event to ``last``; empty periods are zeros) and
    each indicator's z-score against the pair's trailing baseline, as window functions."""
    step = {"day": "1 DAY", "week": "7 DAYS", "month": "1 MONTH", "year": "1 YEAR"}[query.freq]
    sep = "→" if query.directed else "-"
    window = f"PARTITION BY pair ORDER BY period ROWS BETWEEN {query.baseline_periods} PRECEDING AND 1 PRECEDING"
    filled = ", ".join(f"coalesce(a.{ind.name}_value, 0.0) AS {ind.name}_value, "
                       f"coalesce(a.{ind.name}_incidents, 0) AS {ind.name}_incidents" for ind in INDICATORS)
    per_indicator = [
        f"SELECT pair, period, '{ind.name}' AS indicator, {ind.name}_value AS value, {ind.name}_incidents AS incidents, "
        f"total, CASE WHEN count(*) OVER w >= {MIN_BASELINE} AND stddev_samp({ind.name}_value) OVER w > 0 "
        f"THEN ({ind.name}_value - avg({ind.name}_value) OVER w) / stddev_samp({ind.name}_value) OVER w END AS z "
        f"FROM dense WINDOW w AS ({window})"
        for ind in INDICATORS]
    return f"""
WITH agg AS (SELECT pair_a || '{sep}' || pair_b AS pair, CAST(period AS DATE) AS period, * EXCLUDE (period)
             FROM ({aggregated})),
grid AS (SELECT pair, CAST(unnest(generate_series(min(period), DATE '{last.isoformat()}', INTERVAL {step})) AS DATE)
                AS period FROM agg GROUP BY pair),
dense AS (SELECT g.pair, g.period, coalesce(a.total, 0) AS total, {filled}
          FROM grid g LEFT JOIN agg a ON a.pair = g.pair AND a.period = g.period)
{" UNION ALL ".join(per_indicator)}
"""


def compute_indicators(con: duckdb.DuckDBPyConnection, query: IndicatorQuery, /) -> pd.DataFrame:
    """Every indicator for the queried pairs and periods, computed in the engine.

    Returns
    -------
    DataFrame with columns ``pair`` ('GEO-RUS'; 'GEO→RUS' when directed), ``period`` (first
    day), ``indicator``, ``value`` (weighted incidents), ``incidents``, ``share`` (of the
    pair's incidents in the period), ``z`` (against the pair's trailing ``baseline_periods``;
    NaN without enough history or variation), ``total`` (the pair's incidents), one row per
    pair, period (from the pair's first event on; empty periods included) and indicator.
    """
    counted = pair_periods(ibis_backend(con).table("events"), query)
    columns = ["pair", "period", "indicator", "value", "incidents", "share", "z", "total"]
    last = query.until or con.execute(f"SELECT max(period) FROM ({ibis.to_sql(counted, dialect='duckdb')})"
                                      ).fetchall()[0][0]
    if last is None:
        return pd.DataFrame(columns=columns)
    last = pd.Timestamp(last).to_period({"day": "D", "week": "W-SUN", "month": "M", "year": "Y"}[query.freq]
                                        ).start_time.date()
    since = f"WHERE period >= DATE '{query.since.isoformat()}'" if query.since is not None else ""
    result = con.sql(
        f"SELECT pair, period, indicator, value, CAST(incidents AS BIGINT) AS incidents, "
        f"CASE WHEN total > 0 THEN incidents / total ELSE 0.0 END AS share, z, CAST(total AS BIGINT) AS total "
        f"FROM ({_baseline_sql(ibis.to_sql(counted, dialect='duckdb'), query, last)}) {since} "
        f"ORDER BY pair, period, indicator"
    ).to_arrow_table().to_pandas()
    return result[columns]


def parse_period(text: str, freq: str) -> dt.date:
    """The first day of the period ``text`` names: '2022-W07' (ISO week), '2022-02', '2022', or
    any day 'YYYY-MM-DD' (its period at ``freq``).

    Raises
    ------
    InvalidInput
        Saying which forms are understood.
    """
    text = text.strip()
    try:
        if "-W" in text.upper():
            year, week = text.upper().split("-W")
            day = dt.date.fromisocalendar(int(year), int(week), 1)
        elif len(text) == 4:
            day = dt.date(int(text), 1, 1)
        elif len(text) == 7:
            day = dt.date(int(text[:4]), int(text[5:7]), 1)
        else:
            day = dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"period {text!r}: use 2022-W07 (ISO week), 2022-02 (month), 2022 (year) "
                           "or a day 2022-02-14.") from None
    start = pd.Timestamp(day).to_period({"day": "D", "week": "W-SUN", "month": "M", "year": "Y"}[freq]).start_time
    return start.date()


def explain(con: duckdb.DuckDBPyConnection, query: IndicatorQuery, period: dt.date, name: str, /, *,
            limit: int = 20) -> pd.DataFrame:
    """The events behind one indicator of one pair in one period, most weighty first.

    Returns
    -------
    DataFrame: ``weight``, ``incident`` (cluster), ``event_date``, the actors, ``cameo_code``
    and its name, ``goldstein``, ``num_sources``, ``source``, ``source_url`` or ``source_ref``.
    """
    try:
        ind = indicator(name)
    except KeyError as exc:
        raise InvalidInput(f"{exc.args[0]}.") from None
    backend = ibis_backend(con)
    rows = indicator_rows(backend.table("events"), ind, query)
    rows = rows.filter(rows.period == period)
    codes = backend.table("cameo_codes").select("cameo_code", "cameo_name")
    detail = rows.left_join(codes, "cameo_code").select(
        "weight", "incident", "event_date", "actor1_iso3", "actor1_name", "actor2_iso3", "actor2_name", "cameo_code",
        "cameo_name", "goldstein", "num_sources", "source", "source_url", "source_ref", "event_id")
    ordered = detail.order_by([ibis.desc("weight"), ibis.desc(detail.num_sources.fill_null(0)), "event_date",
                               "event_id"])
    return ordered.limit(limit).to_pyarrow().to_pandas()
