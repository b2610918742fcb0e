"""The dashboard's pages: overview (map, latest alerts, rising pairs), pair, country, alerts,
and search. Each page calls the domain and renders a Jinja2 template; charts are Vega-Lite
specs rendered in the browser by the vendored vega-embed; nothing is loaded from outside."""

from __future__ import annotations

import datetime as dt
from importlib.resources import files
from typing import Annotated, Any

import duckdb
import pandas as pd
from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from flashpoint.charts import STAGE_COLOURS
from flashpoint.config import Settings
from flashpoint.consequences.analogues import stakes_summary
from flashpoint.errors import FlashpointError
from flashpoint.escalation.alerts import alert_records, list_alerts
from flashpoint.escalation.ladder import CURRENT_WEEKS, STAGES, recent_stage
from flashpoint.escalation.overview import overview
from flashpoint.escalation.timelines import weekly_timeline
from flashpoint.events.cameo import cameo_codes
from flashpoint.events.countries import resolve_country, resolve_pair, search_countries
from flashpoint.indicators.metrics import with_text, yearly_metrics
from flashpoint.indicators.registry import INDICATORS
from flashpoint.jsonrows import json_rows
from flashpoint.pairs import pair_codes
from flashpoint.responses.catalogue import levers
from flashpoint.store.coverage import gap_runs
from flashpoint.store.queries import last_event_date
from flashpoint.web.charts import (
    indicator_chart,
    pair_timeline,
    world_map,
)
from flashpoint.web.deps import Con

_TEMPLATES = Jinja2Templates(directory=str(files("flashpoint.web").joinpath("templates")))
_TEMPLATES.env.globals.update(stages=STAGES, colours=STAGE_COLOURS)


def _page(request: Request, template: str, **context: Any) -> HTMLResponse:
    return _TEMPLATES.TemplateResponse(request, template, context)


def error_page(request: Request, status: int, message: str, /) -> HTMLResponse:
    """A dashboard page saying what went wrong (a JSON error is for the API's clients)."""
    title = "Not found" if status == 404 else "Cannot show this page"
    return _TEMPLATES.TemplateResponse(request, "error.html", {"title": title, "message": message}, status_code=status)


def _pair_context(con: duckdb.DuckDBPyConnection, settings: Settings, key: str, /) -> dict[str, Any]:
    """What the pair page shows: its weekly timeline and indicators, its current stage (or that
    there are too few events for one), its yearly metrics as known at the store's last day, its
    latest alerts, the levers, and what is at stake a stage up (docs/consequences.md)."""
    ladder = weekly_timeline(con, settings, key)
    alerts = list_alerts(con, dyad=pair_codes(key), limit=200)
    now = last_event_date(con) or dt.date.today()  # the store's "now": what it knows ends there
    # The year of the pair's latest week, else of the store's "now".
    last_year = pd.Timestamp(ladder["period"].max()).year if not ladder.empty else now.year
    gaps = gap_runs(con)
    _, stage, stage_name = recent_stage(ladder, settings, now, CURRENT_WEEKS)
    metrics = yearly_metrics(con, pair_codes(key), year=last_year, until=now)
    return {
        "pair": key,
        "weeks": len(ladder),
        "stage": stage,
        "stage_name": stage_name,
        "timeline": pair_timeline(ladder, alerts, settings, gaps=gaps) if not ladder.empty else None,
        "indicators": (indicator_chart(ladder, [i.name for i in INDICATORS], gaps=gaps) if not ladder.empty else None),
        "metrics": json_rows(with_text(metrics)),
        "metrics_year": last_year,
        "alerts": json_rows(alerts.head(10)),
        "levers": [lv.name for lv in levers()],
        # The events of a picked week name their event type, not only its CAMEO code.
        "cameo_names": {code: found.cameo_name for code, found in cameo_codes().items()},
        **stakes_summary(settings, key, stage, now),
    }


def add_pages(app: FastAPI, settings: Settings) -> None:
    """Mount the static files and register the pages on ``app``."""
    app.mount("/static", StaticFiles(directory=str(files("flashpoint.web").joinpath("static"))), name="static")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request, con: Con) -> HTMLResponse:
        found = overview(con, settings)
        return _page(
            request,
            "overview.html",
            as_of=found.as_of,
            pairs=json_rows(found.pairs.head(15)),
            alerts=json_rows(list_alerts(con, level="warning", limit=10)),
            map_spec=world_map(found.countries, topojson_url="/static/vendor/countries-110m.json"),
        )

    @app.get("/alerts", response_class=HTMLResponse, include_in_schema=False)
    def alert_history(
        request: Request,
        con: Con,
        level: Annotated[str, Query(pattern=r"^(watch|warning|critical)$")] = "watch",
        pair: Annotated[str, Query(max_length=80)] = "",
        since: dt.date | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> HTMLResponse:
        """The alert history, filtered by pair, lowest level and first day, each alert with its
        evidence events and a link to the pair's previous alert (its date when listed here)."""
        key = resolve_pair(pair) if pair.strip() else None
        records = alert_records(list_alerts(con, level=level, dyad=pair_codes(key) if key else None, since=since, limit=limit))
        dates = {r["alert_id"]: r["as_of"] for r in records}
        return _page(request, "alerts.html", level=level, pair=key or "", since=since, alerts=records, dates=dates)

    @app.get("/pair/{pair}", response_class=HTMLResponse, include_in_schema=False)
    def pair_page(request: Request, con: Con, pair: str) -> HTMLResponse:
        key = resolve_pair(pair)
        if key != pair:
            return RedirectResponse(f"/pair/{key}")
        return _page(request, "pair.html", **_pair_context(con, settings, key))

    _place_pages(app, settings)


def _place_pages(app: FastAPI, settings: Settings) -> None:
    """A country's page, and the search that finds a country or a pair."""

    @app.get("/country/{iso3}", response_class=HTMLResponse, include_in_schema=False)
    def country_page(request: Request, con: Con, iso3: str) -> HTMLResponse:
        code = resolve_country(iso3)
        if code != iso3:
            return RedirectResponse(f"/country/{code}")
        found = overview(con, settings, weeks=52)
        pairs = found.pairs[found.pairs["pair"].str.contains(code)]
        alerts = list_alerts(con, country=code, limit=20)
        name = next((c.name for c in search_countries(code) if c.iso3 == code), code)
        return _page(request, "country.html", iso3=code, name=name, pairs=json_rows(pairs), alerts=json_rows(alerts))

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search(request: Request, q: Annotated[str, Query(min_length=1, max_length=80)]) -> HTMLResponse:
        text = q.strip()
        if "-" in text:
            try:
                return RedirectResponse(f"/pair/{resolve_pair(text)}", status_code=303)
            except FlashpointError:
                pass
        try:
            return RedirectResponse(f"/country/{resolve_country(text)}", status_code=303)
        except FlashpointError:
            return _page(request, "search.html", q=text, found=search_countries(text)[:30])
