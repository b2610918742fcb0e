"""Compute the registry's indicators per country pair and period.

Counting runs in the engine as one Ibis expression per indicator (rows → incidents →
pair-periods), so the same definition runs on DuckDB and, later, Spark or BigQuery. The
z-scores against each pair's own trailing baseline run on the aggregated series (small:
one row per pair, period and indicator), where empty periods become zeros.
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


def indicator_rows(events: ibis.Table, ind: Indicator, query: IndicatorQuery) -> ibis.Table:
    """The rows an indicator reads, with ``pair_a``, ``pair_b``, ``period``, ``incident`` and ``weight``."""
    rows = _paired(events, query)
    if ind.shape == "proxy":
        rows = rows.filter(rows.actor2_type.isin(list(ind.proxy_types)))
    else:
        rows = rows.filter(rows.actor1_type.isnull() | ~rows.actor1_type.isin(["REB", "UAF", "INS", "SEP"]))
    code_weight = _lookup(rows.cameo_code, ind.codes, None)
    if ind.actor_weights:
        actor_weight = ibis.greatest(_lookup(rows.actor1_type.fill_null(""), ind.actor_weights, 1.0),
                                     _lookup(rows.actor2_type.fill_null(""), ind.actor_weights, 1.0))
    else:
        actor_weight = ibis.literal(1.0)
    pair_a, pair_b = _pair_columns(rows, query.directed)
    unit = FREQUENCIES[query.freq][0]
    return rows.mutate(pair_a=pair_a, pair_b=pair_b, period=rows.event_date.truncate(unit),
                       incident=rows.cluster_id.fill_null(rows.event_id),
                       weight=code_weight * actor_weight).filter(ibis._.weight.notnull())


def _counts(con: duckdb.DuckDBPyConnection, query: IndicatorQuery) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(weighted incidents per pair, period and indicator; all incidents per pair and period)."""
    events = ibis_backend(con).table("events")
    parts = []
    for ind in INDICATORS:
        rows = indicator_rows(events, ind, query)
        incidents = rows.group_by(["pair_a", "pair_b", "period", "incident"]).agg(weight=rows.weight.max())
        parts.append(incidents.group_by(["pair_a", "pair_b", "period"])
                     .agg(value=incidents.weight.sum(), incidents=incidents.count())
                     .mutate(indicator=ibis.literal(ind.name)))
    everything = _paired(events, query)
    pair_a, pair_b = _pair_columns(everything, query.directed)
    totals = (everything.mutate(pair_a=pair_a, pair_b=pair_b,
                                period=everything.event_date.truncate(FREQUENCIES[query.freq][0]),
                                incident=everything.cluster_id.fill_null(everything.event_id))
              .group_by(["pair_a", "pair_b", "period"]).agg(total=ibis._.incident.nunique()))
    return ibis.union(*parts).to_pyarrow().to_pandas(), totals.to_pyarrow().to_pandas()


def compute_indicators(con: duckdb.DuckDBPyConnection, query: IndicatorQuery, /) -> pd.DataFrame:
    """Every indicator for the queried pairs and periods.

    Returns
    -------
    DataFrame with columns ``pair`` ('GEO-RUS'; 'GEO→RUS' when directed), ``period`` (first
    day), ``indicator``, ``value`` (weighted incidents), ``incidents``, ``share`` (of the
    pair's incidents in the period), ``z`` (against the pair's trailing ``baseline_periods``;
    NaN without enough history or variation), ``total`` (the pair's incidents), one row per
    pair, period (from the pair's first event on; empty periods included) and indicator.
    """
    counted, totals = _counts(con, query)
    columns = ["pair", "period", "indicator", "value", "incidents", "share", "z", "total"]
    if totals.empty:
        return pd.DataFrame(columns=columns)
    sep = "→" if query.directed else "-"
    for frame in (totals, counted):
        frame["pair"] = frame.pair_a + sep + frame.pair_b
        frame["period"] = pd.to_datetime(frame.period)
    last = pd.Timestamp(query.until) if query.until is not None else totals.period.max()
    freq = FREQUENCIES[query.freq][1]
    starts = totals.groupby("pair").period.min()
    spans = [pd.date_range(start, last, freq=freq) for start in starts]
    grid = pd.DataFrame({"pair": starts.index.repeat([len(s) for s in spans]),
                         "period": pd.DatetimeIndex([p for s in spans for p in s])})
    grid = grid.merge(pd.DataFrame({"indicator": [i.name for i in INDICATORS]}), how="cross")
    result = (grid.merge(counted[["pair", "period", "indicator", "value", "incidents"]], how="left",
                         on=["pair", "period", "indicator"])
              .merge(totals[["pair", "period", "total"]], how="left", on=["pair", "period"])
              .fillna({"value": 0.0, "incidents": 0, "total": 0})
              .sort_values(["pair", "indicator", "period"], ignore_index=True))
    keys = [result.pair, result.indicator]
    previous = result.groupby(["pair", "indicator"]).value.shift(1)
    rolling = previous.groupby(keys).rolling(query.baseline_periods, min_periods=MIN_BASELINE)
    mean = rolling.mean().reset_index(level=[0, 1], drop=True)
    sd = rolling.std().reset_index(level=[0, 1], drop=True)
    result["z"] = (result.value - mean) / sd.where(sd > 0)
    result["incidents"] = result.incidents.astype(int)
    result["total"] = result.total.astype(int)
    result["share"] = (result.incidents / result.total.where(result.total > 0)).fillna(0.0)
    result["period"] = result.period.dt.date
    if query.since is not None:
        result = result[result.period >= query.since]
    return result.sort_values(["pair", "period", "indicator"], ignore_index=True)[columns]


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
