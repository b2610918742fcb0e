"""Vega-Lite specs of the dashboard's charts, built with Altair from domain results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd
import pycountry

from flashpoint.charts import STAGE_COLOURS
from flashpoint.config import Settings
from flashpoint.escalation.ladder import STAGES, period_stage_words
from flashpoint.wording import span

#: Stage colours, calm to war (also used by the pages' legends).
_STAGE_SCALE = alt.Scale(domain=[f"{k} {v}" for k, v in STAGES.items()], range=STAGE_COLOURS)
#: A week whose few incidents say nothing of its stage: grey, not the green of stable.
_THIN = "too few events"
_WEEK_SCALE = alt.Scale(domain=[_THIN, *_STAGE_SCALE.domain], range=["#9e9e9e", *STAGE_COLOURS])


def _numeric(iso3: str) -> str | None:
    country = pycountry.countries.get(alpha_3=iso3)
    return country.numeric if country is not None else None


def world_map(countries: pd.DataFrame, /, *, topojson_url: str) -> dict[str, Any]:
    """Countries shaded by their highest escalation index with any partner, stage in the tooltip
    (columns iso3, stage, escalation_index, pair); shapes from the local world-atlas TopoJSON;
    a click opens the country's page."""
    rows = countries.assign(
        id=countries["iso3"].map(_numeric), stage_name=countries["stage"].map(lambda s: f"{int(s)} {STAGES[int(s)]}")
    )
    rows = rows.dropna(subset=["id"])[["id", "iso3", "stage_name", "escalation_index", "pair"]]
    shapes = alt.topo_feature(topojson_url, "countries")
    base = alt.Chart(shapes).mark_geoshape(fill="#e9edf1", stroke="white", strokeWidth=0.5)
    shaded = (
        alt.Chart(shapes)
        .mark_geoshape(stroke="white", strokeWidth=0.5)
        .encode(
            color=alt.Color(
                "escalation_index:Q", scale=alt.Scale(scheme="orangered", domainMin=0), title="highest escalation index"
            ),
            tooltip=["iso3:N", "stage_name:N", alt.Tooltip("escalation_index:Q", format=".2f"), "pair:N"],
            href="link:N",
        )
        .transform_lookup(lookup="id", from_=alt.LookupData(rows, "id", ["iso3", "stage_name", "escalation_index", "pair"]))
        .transform_filter("isValid(datum.iso3)")
        .transform_calculate(link="'/country/' + datum.iso3")
    )
    return (base + shaded).project("equalEarth").properties(width="container", height=380).to_dict()


def _gap_bands(gaps: Sequence[tuple[dt.date, dt.date]], periods: pd.Series, x: alt.X) -> list[alt.Chart]:
    """Grey bands over the ``gaps`` in the store's data (first and last day of each run) among
    the chart's ``periods``: no part of its lines (docs/adr/021)."""
    first_period, last_period = pd.Timestamp(periods.min()).date(), pd.Timestamp(periods.max()).date()
    gaps = [(first, last) for first, last in gaps if first <= last_period and last >= first_period]
    if not gaps:
        return []
    spans = pd.DataFrame(
        {
            "period": [first.isoformat() for first, _ in gaps],
            "end": [(last + dt.timedelta(days=1)).isoformat() for _, last in gaps],
            "gap": [f"no data {span(first, last)}: the store's main source delivered nothing" for first, last in gaps],
        }
    )
    band = alt.Chart(spans).mark_rect(color="#9aa5b1", opacity=0.25).encode(x=x, x2="end:T", tooltip=["gap:N"])
    label = (
        alt.Chart(spans)
        .mark_text(align="left", baseline="top", dx=2, dy=2, fontSize=10, color="#52606d")
        .encode(x=x, y=alt.value(0), text=alt.value("no data"))
    )
    return [band, label]


def pair_timeline(
    ladder: pd.DataFrame, alerts: pd.DataFrame, settings: Settings, /, *, gaps: Sequence[tuple[dt.date, dt.date]] = ()
) -> dict[str, Any]:
    """The pair's weekly escalation index (line), stage of the weeks with incidents (coloured
    points, grey where too few incidents say nothing of a stage; selectable: a click picks the
    week whose events the page lists), change points, alerts (rules) and the ``gaps`` in the
    store's data (grey bands)."""
    stages = [f"{int(s)} {STAGES[int(s)]}" for s in ladder["stage"]]
    read = [period_stage_words(int(s), int(t), settings, "week") for s, t in zip(ladder["stage"], ladder["total"])]
    rows = ladder.assign(
        period=pd.to_datetime(ladder["period"]).dt.strftime("%Y-%m-%d"),
        stage_read=read,
        stage_name=[name if name == words else _THIN for name, words in zip(stages, read)],
    )
    rows = rows[["period", "escalation_index", "stage_name", "stage_read", "total", "change_probability", "change_point"]]
    pick = alt.selection_point(name="week", fields=["period"], on="click", empty=False)
    x = alt.X("period:T", title=None, axis=alt.Axis(format="%b %Y", labelOverlap=True))
    line = alt.Chart(rows).mark_line(color="#4a5a6a").encode(x=x, y=alt.Y("escalation_index:Q", title="escalation index"))
    points = (
        alt.Chart(rows[rows["total"] > 0])
        .mark_circle(size=70)
        .encode(
            x=x,
            y="escalation_index:Q",
            color=alt.Color("stage_name:N", scale=_WEEK_SCALE, title="stage"),
            tooltip=[
                "period:T",
                alt.Tooltip("stage_read:N", title="stage"),
                alt.Tooltip("escalation_index:Q", format=".2f"),
                "total:Q",
                alt.Tooltip("change_probability:Q", format=".2f"),
            ],
            opacity=alt.condition(pick, alt.value(1), alt.value(0.75)),
            strokeWidth=alt.condition(pick, alt.value(3), alt.value(0)),
        )
        .add_params(pick)
        .encode(stroke=alt.value("#000"))
    )
    layers = [*_gap_bands(gaps, ladder["period"], x), line, points]
    changes = rows[rows["change_point"]]
    if not changes.empty:
        layers.append(alt.Chart(changes).mark_rule(color="#888", strokeDash=[4, 3]).encode(x=x))
    if not alerts.empty:
        marks = alerts.assign(as_of=pd.to_datetime(alerts["as_of"]).dt.strftime("%Y-%m-%d"))[["as_of", "level", "why"]]
        layers.append(
            alt.Chart(marks)
            .mark_rule(strokeWidth=2)
            .encode(
                x="as_of:T",
                color=alt.Color(
                    "level:N",
                    scale=alt.Scale(domain=["watch", "warning", "critical"], range=["#26a6d1", "#f0a020", "#d32f2f"]),
                    title="alert",
                ),
                tooltip=["as_of:T", "level:N", "why:N"],
            )
        )
    return alt.layer(*layers).resolve_scale(color="independent").properties(width="container", height=260).to_dict()


def indicator_chart(ladder: pd.DataFrame, names: list[str], /, *, gaps: Sequence[tuple[dt.date, dt.date]] = ()) -> dict[str, Any]:
    """Each warning indicator's z-score against the pair's baseline, week by week, and the
    ``gaps`` in the store's data (grey bands)."""
    rows = ladder.assign(period=pd.to_datetime(ladder["period"]).dt.strftime("%Y-%m-%d"))
    long = rows.melt(id_vars=["period"], value_vars=[f"{n}_z" for n in names], var_name="indicator", value_name="z")
    long["indicator"] = long["indicator"].str.removesuffix("_z")
    x = alt.X("period:T", title=None, axis=alt.Axis(format="%b %Y", labelOverlap=True))
    # Seven lines overlap: a click on an indicator in the legend brings it forward, the others fade.
    chosen = alt.selection_point(fields=["indicator"], bind="legend", name="indicator_pick")
    lines = (
        alt.Chart(long.dropna())
        .mark_line(strokeWidth=1.5)
        .encode(
            x=x,
            y=alt.Y("z:Q", title="z-score vs the pair's baseline"),
            color=alt.Color("indicator:N", legend=alt.Legend(title="indicator (click to pick)")),
            opacity=alt.condition(chosen, alt.value(1.0), alt.value(0.12)),
            tooltip=["period:T", "indicator:N", alt.Tooltip("z:Q", format=".2f")],
        )
        .add_params(chosen)
    )
    return alt.layer(*_gap_bands(gaps, ladder["period"], x), lines).properties(width="container", height=220).to_dict()
