"""A one-page situation brief for a pair: stage and trend, what changed and why (with the
evidence and its sources), the yearly metrics, the forecast, the recommended levers, citations.

``build_brief`` gathers it from the store as of a day; ``render_brief`` writes Markdown, HTML
(Jinja2 templates in ``reports/templates``) or PDF (WeasyPrint from the HTML).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Final

import altair as alt
import duckdb
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from flashpoint.charts import NO_STAGE_COLOUR, STAGE_COLOURS, chart_svg
from flashpoint.config import Settings
from flashpoint.consequences.analogues import stakes_summary
from flashpoint.errors import InvalidInput, UnknownSource
from flashpoint.escalation.alerts import list_alerts
from flashpoint.escalation.ladder import CURRENT_WEEKS, pair_ladder, recent_stage
from flashpoint.forecasts.pair_forecast import forecast_from_store
from flashpoint.indicators.metrics import with_text, yearly_metrics
from flashpoint.jsonrows import json_rows
from flashpoint.pairs import pair_codes
from flashpoint.responses.ranking import recommend
from flashpoint.sources import get_source
from flashpoint.store.coverage import gap_runs
from flashpoint.store.queries import as_of_day, last_event_date
from flashpoint.wording import span

#: Weeks of the trend shown, and the weeks it compares.
TREND_WEEKS = CURRENT_WEEKS


@dataclass(frozen=True)
class Brief:
    pair: str
    as_of: dt.date
    stage: int | None  # None: not enough data in the brief's weeks to call a stage
    stage_name: str
    trend: str
    weeks: list[dict[str, Any]]
    change: str
    evidence: list[dict[str, Any]]
    metrics_year: int | None
    metrics: list[dict[str, Any]]
    forecast: dict[str, Any] | None
    forecast_note: str
    levers: list[dict[str, Any]]
    citations: list[str] = field(default_factory=list)
    #: The gaps in the store's data in the year to ``as_of`` ('2013-03-01 to 2013-03-31'), docs/adr/021.
    data_gaps: list[str] = field(default_factory=list)
    #: What is at stake if the pair went a stage up: the stage, a few figures from its analogues
    #: (docs/consequences.md), or why there are none.
    stakes_stage: int | None = None
    stakes: list[str] = field(default_factory=list)
    stakes_note: str = ""
    #: The pair's weekly escalation index over :data:`CHART_WEEKS` to ``as_of``, as SVG (HTML and PDF).
    chart_svg: str = ""

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self), default=str))


def _trend(weeks: pd.DataFrame) -> str:
    if weeks.empty:
        return "no incidents between the two in the last weeks"
    half = len(weeks) // 2 or 1
    before, now = weeks["escalation_index"].iloc[:half].mean(), weeks["escalation_index"].iloc[half:].mean()
    word = "rising" if now > before + 0.25 else "falling" if now < before - 0.25 else "steady"
    return f"{word}: mean escalation index {now:.2f} in the latest weeks against {before:.2f} before"


def _change(con: duckdb.DuckDBPyConnection, pair: str, since: dt.date, until: dt.date) -> tuple[str, list]:
    alerts = list_alerts(con, dyad=pair_codes(pair), since=since, limit=20)
    alerts = alerts[pd.to_datetime(alerts["as_of"]).dt.date <= until] if not alerts.empty else alerts
    if alerts.empty:
        return "no alert in the last weeks", []
    top = alerts.sort_values(["level_rank", "as_of"], ascending=False).iloc[0]
    text = f"{top['level']} alert for the week ending {pd.Timestamp(top['as_of']).date()}: {top['why']}"
    return text, json.loads(top["evidence"] or "[]")[:5]


#: Weeks the brief's chart shows.
CHART_WEEKS: Final = 52


def _index_chart(ladder: pd.DataFrame, as_of: dt.date) -> str:
    """The pair's weekly escalation index over the :data:`CHART_WEEKS` to ``as_of``, its stage as the
    points' colour, small enough for the printed page; empty without weeks."""
    weeks = ladder[pd.to_datetime(ladder["period"]) > pd.Timestamp(as_of - dt.timedelta(weeks=CHART_WEEKS))]
    if weeks.empty:
        return ""
    rows = weeks.assign(period=pd.to_datetime(weeks["period"]).dt.strftime("%Y-%m-%d"))[["period", "escalation_index", "stage"]]
    x = alt.X("period:T", title=None, axis=alt.Axis(format="%b %Y", labelOverlap=True, labelFontSize=8))
    line = (
        alt.Chart(rows)
        .mark_line(color="#5f6b7a", strokeWidth=1)
        .encode(x=x, y=alt.Y("escalation_index:Q", title="index", axis=alt.Axis(labelFontSize=8, titleFontSize=8)))
    )
    stage = alt.Color("stage:O", scale=alt.Scale(domain=list(range(len(STAGE_COLOURS))), range=STAGE_COLOURS), legend=None)
    points = alt.Chart(rows).mark_circle(size=14).encode(x=x, y="escalation_index:Q", color=stage)
    return chart_svg(alt.layer(line, points).properties(width=560, height=45))


def _forecast(con: duckdb.DuckDBPyConnection, settings: Settings, pair: str, as_of: dt.date) -> tuple[dict[str, Any] | None, str]:
    """The pair's forecast as known on ``as_of``, or None and why there is none. The forecast is
    monthly: as of the day's month when nothing later is stored, else as of the last month that
    ended by the day, so nothing after the day is read."""
    latest = as_of >= last_event_date(con, required=True) or (as_of + dt.timedelta(days=1)).day == 1
    month = as_of if latest else as_of.replace(day=1) - dt.timedelta(days=1)
    try:
        found = forecast_from_store(con, settings, pair, as_of=f"{month:%Y-%m}")
    except InvalidInput as exc:
        return None, str(exc)
    return (found.to_dict(), "") if found.probability is not None else (None, found.note)


def build_brief(con: duckdb.DuckDBPyConnection, settings: Settings, pair: str, /, *, as_of: dt.date | None = None) -> Brief:
    """The one-page brief of ``pair`` as of a day, reading nothing after it.

    Parameters
    ----------
    pair
        'GEO-RUS', the codes in alphabetical order.
    as_of
        The day of the brief (default: the store's last event).

    Returns
    -------
    Brief
        Stage and trend, what changed and why with its evidence, the yearly metrics, the forecast
        (or why there is none), the ranked levers and the sources; render it with :func:`render_brief`.

    Raises
    ------
    InvalidInput
        When the store is empty, or ``as_of`` is after its last event or before its first.
    """
    as_of = as_of_day(con, as_of)
    since = as_of - dt.timedelta(weeks=TREND_WEEKS)
    ladder = pair_ladder(con, settings, pair, freq="week", until=as_of)
    weeks, stage, stage_name = recent_stage(ladder, settings, as_of, TREND_WEEKS)
    change, evidence = _change(con, pair, since, as_of)
    metrics = yearly_metrics(con, pair_codes(pair), year=as_of.year, until=as_of)
    forecast, note = _forecast(con, settings, pair, as_of)
    _, ranked = recommend(con, settings, pair, as_of=as_of, weeks=ladder)
    sources = sorted(set(con.sql("SELECT DISTINCT source FROM events WHERE pair = ?", params=[pair]).df()["source"]))
    citations = [_citation(s) for s in sources] + [_citation("icb"), _citation("terminations")]
    keep = ["period", "total", "escalation_index", "stage", "change_point"]
    return Brief(
        pair=pair,
        as_of=as_of,
        stage=stage,
        stage_name=stage_name,
        trend=_trend(weeks),
        weeks=json_rows(weeks[keep]),
        change=change,
        evidence=evidence,
        metrics_year=as_of.year,
        metrics=json_rows(with_text(metrics)[["title", "value", "text", "unit", "source"]]),
        forecast=forecast,
        forecast_note=note,
        levers=[
            {
                "title": r.title,
                "points": r.points,
                "why": "; ".join(r.reasons),
                "evidence": r.evidence[:1],
                "risk": r.risks[0] if r.risks else "",
            }
            for r in ranked[:3]
        ],
        citations=list(dict.fromkeys(citations)),
        data_gaps=_data_gaps(con, as_of),
        **stakes_summary(settings, pair, stage, as_of),
        chart_svg=_index_chart(ladder, as_of),
    )


def _data_gaps(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> list[str]:
    """The store's gaps that ended in the year to ``as_of`` (known by then: events followed
    them), each as its first day (to its last)."""
    return [span(first, last) for first, last in gap_runs(con) if as_of - dt.timedelta(days=365) < last < as_of]


def _citation(source: str) -> str:
    """The citation of a store source name ('gdelt1' is GDELT's); a mapped CSV's own name otherwise."""
    try:
        return get_source("gdelt" if source.startswith("gdelt") else source).CITATION
    except UnknownSource:
        return f"{source}: see the citation in its CSV mapping."


_ENV = Environment(
    loader=PackageLoader("flashpoint.reports", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",)),
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.globals.update(colours=STAGE_COLOURS, no_stage_colour=NO_STAGE_COLOUR)


def render_brief(brief: Brief, fmt: str, /) -> tuple[bytes, str]:
    """The brief as ``md``, ``html`` or ``pdf``: its bytes and media type.

    Raises
    ------
    InvalidInput
        For another format.
    """
    if fmt == "md":
        return _ENV.get_template("brief.md").render(b=brief).encode(), "text/markdown; charset=utf-8"
    if fmt not in ("html", "pdf"):
        raise InvalidInput(f"brief format '{fmt}': use md, html or pdf.")
    html = _ENV.get_template("brief.html").render(b=brief)
    if fmt == "html":
        return html.encode(), "text/html; charset=utf-8"
    from weasyprint import HTML

    return HTML(string=html).write_pdf(), "application/pdf"
