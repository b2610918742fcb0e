"""The seven yearly diplomacy metrics of a country pair, each with its unit and source.

The table analysts publish by hand — meetings, military escalation incidents, ceasefires,
confidence-building measures, military spending, sanctions, mediation — computed from the
store: confident incidents (deduplicated, with a row of event confidence 0.5 or more) between
the two states for the event-based metrics, rows of
the ``measures`` table that concern the pair, and the ``milex`` table for spending.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import ibis
import pandas as pd

from flashpoint.events.confidence import CONFIDENT
from flashpoint.indicators.counting import keyed_rows
from flashpoint.indicators.query import IndicatorQuery
from flashpoint.indicators.spending import PUBLICATION_LAG_DAYS, spending
from flashpoint.store.connection import ibis_backend
from flashpoint.wording import quantity


@dataclass(frozen=True)
class Metric:
    """One yearly metric: the CAMEO codes and measure types that count towards it."""

    name: str
    title: str
    unit: str
    codes: tuple[str, ...] = ()
    measures: tuple[str, ...] = ()


METRICS: tuple[Metric, ...] = (
    Metric("meetings", "Diplomatic engagement frequency", "meetings and consultations (incidents)", codes=("036", "04")),
    Metric(
        "escalation_incidents", "Military escalation incidents", "incidents of material conflict", codes=("17", "18", "19", "20")
    ),
    Metric(
        "ceasefires",
        "Ceasefire agreements signed",
        "ceasefires (incidents + recorded measures)",
        codes=("0871",),
        measures=("ceasefire", "peace_agreement"),
    ),
    Metric(
        "cbms",
        "Confidence-building measures implemented",
        "measures (incidents + recorded measures)",
        codes=("0861", "0862", "0863", "087", "062"),
        measures=("cbm", "hotline", "arms_control", "withdrawal"),
    ),
    Metric("sanctions", "Sanctions imposed", "sanctions (incidents + recorded measures)", codes=("163",), measures=("sanction",)),
    Metric(
        "mediation",
        "International mediation efforts",
        "mediation efforts (incidents + recorded measures)",
        codes=("045", "028", "038"),
        measures=("mediation",),
    ),
)


def _starts(column: ibis.Value, codes: tuple[str, ...]) -> ibis.Value:
    return ibis.or_(*[column.startswith(c) for c in codes])


def _counted_rows(between: ibis.Table, measures: ibis.Table, metric: Metric) -> list[dict[str, object]]:
    """Rows of an event- and measure-based metric per year, with where each number came from."""
    counted = {
        r["year"]: r
        for r in between.filter(_starts(between.cameo_code, metric.codes))
        .group_by("year")
        .agg(incidents=ibis._.incident.nunique(), sources=ibis._.source.collect(distinct=True))
        .to_pyarrow()
        .to_pylist()
    }
    recorded = (
        {}
        if not metric.measures
        else {
            r["year"]: r
            for r in measures.filter(measures.measure.isin(list(metric.measures)))
            .group_by("year")
            .agg(n=ibis._.count(), cited=ibis._.source.collect(distinct=True))
            .to_pyarrow()
            .to_pylist()
        }
    )
    rows = []
    for y in sorted(set(counted) | set(recorded)):
        event_part, measure_part = counted.get(y), recorded.get(y)
        sources = []
        if event_part:
            incidents = event_part["incidents"]
            sources.append(
                f"{quantity(incidents, 'incident')} in "
                + ", ".join(sorted(event_part["sources"]))
                + f" (CAMEO {', '.join(metric.codes)})"
            )
        if measure_part:
            recorded_n = measure_part["n"]
            sources.append(f"{quantity(recorded_n, 'measure')}: " + "; ".join(sorted(measure_part["cited"])))
        value = (event_part["incidents"] if event_part else 0) + (measure_part["n"] if measure_part else 0)
        rows.append(
            {
                "year": y,
                "metric": metric.name,
                "title": metric.title,
                "value": float(value),
                "unit": metric.unit,
                "source": " + ".join(sources),
            }
        )
    return rows


def _spending_rows(held: pd.DataFrame, year: int | None, until: dt.date | None) -> list[dict[str, object]]:
    """Each state's military spending per year (the preferred unit; ``held``: the pair's
    :func:`~flashpoint.indicators.spending.spending`) and its growth on the year before, as
    published by ``until`` (a year's figure is known months after it ends)."""
    rows = []
    for r in held.itertuples():
        if (year is not None and r.year != year) or (until is not None and r.known_from > until):
            continue
        rows.append(
            {
                "year": int(r.year),
                "metric": f"military_spending_{r.iso3}",
                "title": f"Military spending, {r.iso3}",
                "value": float(r.value),
                "unit": r.unit,
                "source": r.source,
            }
        )
        if not pd.isna(r.growth):
            rows.append(
                {
                    "year": int(r.year),
                    "metric": f"military_spending_growth_{r.iso3}",
                    "title": f"Military spending growth, {r.iso3}",
                    "value": 100 * float(r.growth),
                    "unit": f"% change on {r.year - 1} ({r.unit})",
                    "source": r.source,
                }
            )
    return rows


def _no_spending(held: pd.DataFrame, iso3: str, year: int, until: dt.date | None) -> str:
    """Why a state's spending for a year is not shown, from what was known by ``until`` only:
    not published by then (SIPRI publishes a year's figure in late April of the next), none in
    the store, or no figure for that year."""
    if until is not None and dt.date(year, 12, 31) + dt.timedelta(days=min(PUBLICATION_LAG_DAYS.values())) > until:
        return f"not published by {until}: a year's figure is known from late April of the next"
    mine = held[(held["iso3"] == iso3) & ((held["known_from"] <= until) if until is not None else True)]
    if mine.empty:
        return "not in the store: flashpoint ingest milex"
    return f"no figure for {year}: the store holds {mine['year'].min()}–{mine['year'].max()}"


def _missing_rows(
    rows: list[dict[str, object]],
    countries: tuple[str, str],
    years: set[int],
    held: pd.DataFrame,
    until: dt.date | None,
    observed: set[int],
) -> list[dict[str, object]]:
    """Zeros for the metrics a year has no row for, so none is hidden — but only in the ``observed``
    years, when the store holds events between the two: in another year no row is no data, not a
    zero (and unknown spending, saying why)."""
    added = []
    for y in years:
        have = {r["metric"] for r in rows if r["year"] == y}
        silent = f"no data: the store holds no event between {countries[0]} and {countries[1]} in {y}"
        added += [
            {
                "year": y,
                "metric": m.name,
                "title": m.title,
                "value": 0.0 if y in observed else float("nan"),
                "unit": m.unit,
                "source": (
                    f"no incidents (CAMEO {', '.join(m.codes)})" + (" and no recorded measures" if m.measures else "")
                    if y in observed
                    else silent
                ),
            }
            for m in METRICS
            if m.name not in have
        ]
        added += [
            {
                "year": y,
                "metric": f"military_spending_{iso3}",
                "title": f"Military spending, {iso3}",
                "value": float("nan"),
                "unit": "",
                "source": _no_spending(held, iso3, y, until),
            }
            for iso3 in countries
            if f"military_spending_{iso3}" not in have
        ]
    return added


def metric_text(metric: str, value: float, /) -> str:
    """A metric's value as a reader takes it in: a growth (in percent) signed to one decimal
    (+4.9), an amount of a thousand or more in whole units with separators (59,760), a smaller
    one to four significant digits, and "n/a" when unknown."""
    if pd.isna(value):
        return "n/a"
    if metric.startswith("military_spending_growth_"):
        return f"{value:+.1f}"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.4g}"


def with_text(metrics: pd.DataFrame, /) -> pd.DataFrame:
    """:func:`yearly_metrics` rows with ``text``, each value as :func:`metric_text` writes it."""
    return metrics.assign(text=[metric_text(m, v) for m, v in zip(metrics["metric"], metrics["value"])])


def yearly_metrics(
    con: duckdb.DuckDBPyConnection, pair: tuple[str, str], /, *, year: int | None = None, until: dt.date | None = None
) -> pd.DataFrame:
    """The metrics of an (unordered) pair per year, from the events and measures dated up to
    ``until`` (default: all; a brief as of a past day counts its year to that day).

    Returns
    -------
    DataFrame: ``year``, ``metric``, ``title``, ``value``, ``unit``, ``source`` (where the
    number came from), every metric for every year with any of them (and for ``year``).
    Military spending gives one row per country (``metric`` = ``military_spending_<ISO3>``;
    NaN when the store has no spending for it), and its growth on the previous year
    (``military_spending_growth_<ISO3>``, in percent) when both years are in the store.
    """
    a, b = sorted(pair)
    backend = ibis_backend(con)
    between = keyed_rows(backend.table("events"), IndicatorQuery(freq="year", dyad=(a, b), until=until))
    # Only confident rows count (docs/events.md): a recalled war or a misplaced report is no incident of the year.
    between = between.filter(between.confidence.fill_null(1.0) >= CONFIDENT).mutate(year=between.period.year())
    measures = backend.table("measures")
    concerns = ((measures.target_iso3 == a) & (measures.target2_iso3 == b)) | (
        (measures.target_iso3 == b) & (measures.target2_iso3 == a)
    )
    measures = measures.filter(concerns).mutate(year=measures.date.year())
    if until is not None:
        measures = measures.filter(measures.date <= until)
    if year is not None:
        between = between.filter(between.year == year)
        measures = measures.filter(measures.year == year)
    rows = [row for metric in METRICS for row in _counted_rows(between, measures, metric)]
    held = spending(con, countries=(a, b))
    rows += _spending_rows(held, year, until)
    years = {r["year"] for r in rows} | ({year} if year is not None else set())
    observed = {
        int(y)
        for (y,) in con.execute(
            "SELECT DISTINCT year(event_date) FROM events WHERE pair = ? AND event_date <= coalesce(?, event_date)",
            [f"{a}-{b}", until],
        ).fetchall()
    }
    rows += _missing_rows(rows, (a, b), years, held, until, observed)
    order = {m.name: i for i, m in enumerate(METRICS)}
    columns = ["year", "metric", "title", "value", "unit", "source"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["order"] = frame.metric.map(order).fillna(len(order))
    return frame.sort_values(["year", "order", "metric"], ignore_index=True)[columns]
