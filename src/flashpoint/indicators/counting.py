"""Count the registry's indicators per country pair and period in the engine.

One Ibis expression counts all indicators (rows → incidents → pair-periods, one pass over the
events), so the same definition runs on DuckDB and, later, Spark or BigQuery; its SQL is
compiled once per shape of query.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import replace

import duckdb
import ibis

from flashpoint.errors import InvalidInput
from flashpoint.events.confidence import CONFIDENT
from flashpoint.indicators.query import FREQUENCIES, IndicatorQuery
from flashpoint.indicators.registry import INDICATORS, NON_STATE, Indicator
from flashpoint.pairs import pair_key
from flashpoint.sql import sql_strings
from flashpoint.store.connection import ibis_backend

#: Decimal places of the indicators' weighted sums.
VALUE_DIGITS = 9


def _lookup(value: ibis.Value, weights: dict[str, float], default: float | None) -> ibis.Value:
    """CASE over CAMEO prefixes (longest first) or actor types."""
    branches = [
        (value.startswith(key) if default is None else value == key, ibis.literal(weight))
        for key, weight in sorted(weights.items(), key=lambda kv: -len(kv[0]))
    ]
    return ibis.cases(*branches, else_=ibis.literal(default, type="float64")) if branches else ibis.literal(default)


def _pair_key(events: ibis.Table, query: IndicatorQuery) -> ibis.Value:
    """'GEO-RUS' (the stored unordered pair), 'GEO→RUS' when directed, 'GEO-*' for a country view."""
    if query.country is not None:
        return ibis.literal(f"{query.country}-*")
    if query.directed:
        return events.actor1_iso3.concat("→", events.actor2_iso3)
    return events.pair


def _paired(events: ibis.Table, query: IndicatorQuery) -> ibis.Table:
    """Rows between two different countries, up to ``until``, of the queried pair if any."""
    rows = events.filter(events.pair.notnull())
    if query.until is not None:
        rows = rows.filter(rows.event_date <= query.until)
    if query.dyad is not None:
        first, second = query.dyad
        if query.directed:
            rows = rows.filter((rows.actor1_iso3 == first) & (rows.actor2_iso3 == second))
        else:
            rows = rows.filter(rows.pair == pair_key((first, second)))
    if query.country is not None:
        rows = rows.filter((rows.actor1_iso3 == query.country) | (rows.actor2_iso3 == query.country))
    if query.pairs is not None:
        rows = rows.filter(rows.pair.isin(list(query.pairs)))
    return rows


def _code_weights(rows: ibis.Table, indicators: tuple[Indicator, ...]) -> ibis.Table:
    """The codebook's CAMEO codes (``weighed_code``) with their weight in each of
    ``indicators`` (``code_<name>``; NULL for a code it does not read): the prefix lookups
    run over a few hundred codes and the events join the result, instead of every event
    running them (docs/adr/004)."""
    codebook = rows.get_backend().table("cameo_codes")
    return codebook.select(
        weighed_code=codebook.cameo_code,
        **{f"code_{ind.name}": _lookup(codebook.cameo_code, ind.codes, None) for ind in indicators},
    )


def _weight(rows: ibis.Table, ind: Indicator) -> ibis.Value:
    """The indicator's weight of each row (its code's weight ``code_<name>`` times its actor
    and tone factors); NULL for rows it does not read."""
    weight = rows[f"code_{ind.name}"]
    if ind.actor_weights:
        weight = weight * ibis.greatest(
            _lookup(rows.actor1_type.fill_null(""), ind.actor_weights, 1.0),
            _lookup(rows.actor2_type.fill_null(""), ind.actor_weights, 1.0),
        )
    if ind.tone_factor:
        hostility = ibis.greatest(-rows.avg_tone.fill_null(0.0), ibis.literal(0.0))
        weight = weight * ibis.least(1.0 + ind.tone_factor * hostility, ibis.literal(ind.tone_cap))
    if ind.shape == "proxy":
        reads = rows.actor2_type.isin(list(ind.proxy_types))
    else:
        reads = rows.actor1_type.isnull() | ~rows.actor1_type.isin(list(NON_STATE))
    # Factors, not a CASE around the weight: the engine computes a factor that several
    # indicators share once per row. A row weighs as much as it can be trusted (docs/events.md).
    return weight * rows.confidence.fill_null(1.0) * ibis.ifelse(reads, ibis.literal(1.0), ibis.null("float64"))


def _weighted(rows: ibis.Table, indicators: tuple[Indicator, ...]) -> ibis.Table:
    """``rows`` with each indicator's weight ``w_<name>`` (NULL for rows it does not read)."""
    codes = _code_weights(rows, indicators)
    joined = rows.left_join(codes, rows.cameo_code == codes.weighed_code)
    return joined.mutate(**{f"w_{ind.name}": _weight(joined, ind) for ind in indicators}).drop(
        "weighed_code", *[f"code_{ind.name}" for ind in indicators]
    )


def keyed_rows(events: ibis.Table, query: IndicatorQuery, /) -> ibis.Table:
    """The events a query reads, with ``pair`` ('GEO-RUS'; 'GEO→RUS' when directed; 'GEO-*'
    for a country view), ``period`` (its first day) and ``incident`` (the row's cluster)."""
    rows = _paired(events, query)
    return rows.mutate(
        pair=_pair_key(rows, query),
        period=rows.event_date.truncate(FREQUENCIES[query.freq][0]),
        incident=rows.cluster_id.fill_null(rows.event_id),
    )


def indicator_rows(events: ibis.Table, ind: Indicator, query: IndicatorQuery) -> ibis.Table:
    """The rows an indicator reads, with ``pair``, ``period``, ``incident`` and ``weight``."""
    rows = _weighted(keyed_rows(events, query), (ind,))
    return rows.rename(weight=f"w_{ind.name}").filter(ibis._.weight.notnull())


def pair_periods(events: ibis.Table, query: IndicatorQuery) -> ibis.Table:
    """One pass over the events: per pair and period, each indicator's weighted incidents
    (``<name>_value``: each incident with its weightiest row, weighed by that row's
    confidence), its confident incidents (``<name>_incidents``: those with a row of
    confidence at least :data:`~flashpoint.events.confidence.CONFIDENT`), and all incidents
    (``total``, whatever their confidence: how much the store holds of the pair)."""
    rows = _weighted(keyed_rows(events, query), INDICATORS).mutate(trust=ibis._.confidence.fill_null(1.0))
    weights = [f"w_{ind.name}" for ind in INDICATORS]
    # A row that is its own incident needs no grouping into incidents: most rows, and the
    # costly step (a key per incident) is kept for the rows of larger incidents.
    alone = rows.cluster_size.fill_null(1) <= 1
    shared = rows.filter(~alone)
    grouped = shared.group_by(["pair", "period", "incident"]).agg(
        trust=shared.trust.max(), **{w: shared[w].max() for w in weights}
    )
    incidents = rows.filter(alone).select("pair", "period", "incident", "trust", *weights).union(grouped)
    # Sums rounded to 1e-9: an engine that adds the weights in another order (Spark) then stores
    # the same values, not ones differing in the last bits of a double.
    sums = {f"{ind.name}_value": incidents[f"w_{ind.name}"].sum().fill_null(0.0).round(VALUE_DIGITS) for ind in INDICATORS}
    confident = incidents.trust >= CONFIDENT
    counts = {f"{ind.name}_incidents": incidents[f"w_{ind.name}"].count(where=confident) for ind in INDICATORS}
    return incidents.group_by(["pair", "period"]).agg(total=incidents.count(), **sums, **counts)


_COMPILED: dict[tuple[Hashable, ...], str] = {}


def compiled_sql(
    con: duckdb.DuckDBPyConnection, table: str, key: tuple[Hashable, ...], build: Callable[[ibis.Table], ibis.Expr], /
) -> str:
    """The SQL of the expression ``build`` makes over the store table (or view) ``table``,
    compiled once per ``key`` and table: compiling an expression costs more than running it
    on a few pairs, which the live watch does every 15 minutes."""
    cache_key = (table, *key)
    if cache_key not in _COMPILED:
        _COMPILED[cache_key] = ibis.to_sql(build(ibis_backend(con).table(table)), dialect="duckdb")
    return _COMPILED[cache_key]


def _template(query: IndicatorQuery) -> tuple[IndicatorQuery, dict[str, str]]:
    """The query with its countries and pairs replaced by placeholder names, and the values
    they stand for: one compiled SQL then serves every pair (a dyad's codes in pair order
    unless directed)."""
    values: dict[str, str] = {}
    dyad = pairs = country = None
    if query.dyad is not None:
        codes = query.dyad if query.directed else tuple(sorted(query.dyad))
        dyad = tuple(f"__dyad{i}__" for i in range(2))
        values.update(zip(dyad, codes))
    if query.pairs is not None:
        pairs = ("__pairs__",)  # one placeholder for the whole list: one compile for any number of pairs
        values["'__pairs__'"] = sql_strings(query.pairs) or "NULL"
    if query.country is not None:
        country = "__country__"
        values[country] = query.country
    return replace(query, since=None, dyad=dyad, pairs=pairs, country=country), values


def counted_sql(con: duckdb.DuckDBPyConnection, query: IndicatorQuery, /, *, table: str = "events") -> str:
    """The SQL of :func:`pair_periods` for the query over the store's ``table``, compiled once
    per shape of query (its countries and pairs enter as values)."""
    template, values = _template(query)
    counted = compiled_sql(con, table, ("pair_periods", template), lambda events: pair_periods(events, template))
    for placeholder, value in values.items():
        if not value.replace("-", "").replace("'", "").replace(", ", "").isalnum() and value != "NULL":
            raise InvalidInput(f"pair or country {value!r}: expected ISO3 codes such as GEO or GEO-RUS.")
        counted = counted.replace(placeholder, value)
    return counted
