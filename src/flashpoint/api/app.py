"""The HTTP API: read endpoints over the store, write and admin endpoints behind a bearer token.

``create_app(settings)`` opens the store once for the process and answers each request on a
cursor of it. Every handler parses its input, calls one domain function and returns JSON;
a ``FlashpointError`` becomes a JSON error with a 4xx status whose message says what to fix.
The dashboard (:mod:`flashpoint.web`) is mounted on the same app. OpenAPI: ``/openapi.json``.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, fields
from typing import Annotated, Any

import duckdb
from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from flashpoint import __version__
from flashpoint.api.cache import KEPT_BYTES, AnswerCache, KeptResponses
from flashpoint.api.security import DOCS_ASSETS, SecurityHeaders, allowed_hosts
from flashpoint.config import Settings
from flashpoint.consequences.analogues import pair_consequences
from flashpoint.consequences.tables import reference_folder
from flashpoint.errors import (
    FlashpointError,
    InvalidInput,
    NotPermitted,
    StoreError,
    TooLarge,
    UnknownCountry,
    UnknownSource,
)
from flashpoint.escalation.alerts import alert_records, list_alerts
from flashpoint.escalation.overview import overview
from flashpoint.escalation.timelines import read_into_memory, timelines_current, timelines_json
from flashpoint.events.countries import resolve_country, resolve_pair, search_countries
from flashpoint.forecasts.pair_forecast import forecast_from_store
from flashpoint.indicators.compute import compute_indicators, explain, ranked_pairs
from flashpoint.indicators.metrics import yearly_metrics
from flashpoint.indicators.query import IndicatorQuery
from flashpoint.jsonrows import json_rows, json_text
from flashpoint.pairs import pair_codes
from flashpoint.periods import parse_period, period_kind
from flashpoint.refresh import ingest_files
from flashpoint.reports.brief import build_brief, render_brief
from flashpoint.responses.catalogue import levers
from flashpoint.responses.ranking import recommend, recommendation_dict
from flashpoint.simulate.pair import simulate_pair
from flashpoint.simulate.report import simulation_dict
from flashpoint.sources import get_source
from flashpoint.store.connection import open_store
from flashpoint.store.files import confined_paths
from flashpoint.store.queries import (
    EventFilter,
    count_events,
    select_events,
    store_stats,
)
from flashpoint.web.deps import Con
from flashpoint.web.pages import add_pages, error_page

#: The largest answer the server sends: what it keeps of one answer.
MAX_ANSWER_BYTES = KEPT_BYTES // 8
PAIR = r"^[A-Za-z]{3}-[A-Za-z]{3}$"
FREQ = r"^(day|week|month|year)$"
LEVEL = r"^(watch|warning|critical)$"


def on_cursor(request: Request, compute: Callable[[duckdb.DuckDBPyConnection], Any], /) -> Callable[[], Any]:
    """``compute`` run on a store cursor of its own, for :meth:`AnswerCache.fetch`: the request
    that started the computation may end before it (its own cursor closed), others wait for it."""

    def run() -> Any:
        with request.app.state.con.cursor() as con:
            return compute(con)

    return run


def json_answer(text: str) -> Response:
    """A response of JSON text encoded once: the cached answers are sent as they were encoded,
    without FastAPI encoding their rows again for every request.

    Raises
    ------
    TooLarge
        When the text passes :data:`MAX_ANSWER_BYTES` (what the server keeps of one answer).
    """
    if len(text) > MAX_ANSWER_BYTES:
        raise TooLarge(
            f"the answer would be {len(text) / 1e6:,.0f} MB, over the {MAX_ANSWER_BYTES / 1e6:,.0f} MB the "
            "server sends: ask for less, with since and until, a coarser freq (week, month), or one pair."
        )
    return Response(text, media_type="application/json")


def _status(exc: FlashpointError) -> int:
    if isinstance(exc, (UnknownCountry, UnknownSource)):
        return 404
    if isinstance(exc, StoreError):
        return 503
    if isinstance(exc, NotPermitted):
        return 403
    if isinstance(exc, TooLarge):
        return 413
    return 422 if isinstance(exc, InvalidInput) else 400


def create_app(settings: Settings, /) -> FastAPI:
    """The API and dashboard over the store named by ``settings.db``."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # noqa: ANN202
        with open_store(settings) as con:
            read_into_memory(con, settings)
            app.state.con = con
            yield

    # Swagger UI and ReDoc served from the package (fastapi-offline), not a CDN: /docs works offline.
    app = FastAPIOffline(
        title="Flashpoint",
        version=__version__,
        lifespan=lifespan,
        static_url=DOCS_ASSETS,
        description="Early warning of military escalation between states: events, warning indicators, "
        "alerts, forecasts, diplomatic levers and scenarios.",
    )
    answers = AnswerCache()
    # Every read answer as sent (inside CORS, which adds headers per request): they change only with
    # the store. Not the settings, which an admin token guards.
    app.add_middleware(KeptResponses, answers=answers, paths=r"/api/(?!settings$).+")
    origins = [o.strip() for o in settings.api_cors_origins.split(",") if o.strip()]
    if origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST"], allow_headers=["Authorization", "Content-Type"]
        )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(settings.api_allowed_hosts))

    _add_error_handlers(app)

    def admin(authorization: Annotated[str | None, Header()] = None) -> None:
        expected = settings.api_token
        scheme, _, given = (authorization or "").partition(" ")
        # Bytes, not text: a header of any characters is compared, never raises (a 500).
        if (
            not expected
            or scheme != "Bearer"
            or not given.strip()
            or not secrets.compare_digest(given.strip().encode(), expected.encode())
        ):
            raise _Unauthorized()

    for routes in (
        _store_routes,
        _alert_routes,
        _pair_routes,
        _evidence_routes,
        _outlook_routes,
        _consequence_routes,
        _scenario_routes,
    ):
        routes(app, settings, answers)
    _write_routes(app, settings, admin, answers)
    add_pages(app, settings)
    return app


def _add_error_handlers(app: FastAPI, /) -> None:
    """Every error as ``{"error": ...}`` with its status (a dashboard page: the error page)."""

    @app.exception_handler(FlashpointError)
    async def flashpoint_error(request: Request, exc: FlashpointError) -> Response:
        if not request.url.path.startswith("/api/"):  # a dashboard page
            return error_page(request, _status(exc), str(exc))
        return JSONResponse({"error": str(exc)}, status_code=_status(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}" for e in exc.errors()]
        return JSONResponse(
            {"error": "; ".join(problems), "details": json.loads(json.dumps(exc.errors(), default=str))}, status_code=422
        )

    @app.exception_handler(_Unauthorized)
    async def unauthorized(request: Request, exc: _Unauthorized) -> JSONResponse:
        return JSONResponse(
            {"error": "this endpoint needs 'Authorization: Bearer <api_token>' (the api_token setting, FLASHPOINT_API_TOKEN)."},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    @app.exception_handler(StarletteHTTPException)
    async def no_such_path(request: Request, exc: StarletteHTTPException) -> Response:
        """A path or method that does not exist: said in the API's own error shape."""
        what = {404: f"no such path: {request.url.path}", 405: f"{request.method} is not allowed on {request.url.path}"}.get(
            exc.status_code, str(exc.detail)
        )
        if not request.url.path.startswith("/api/"):
            return error_page(request, exc.status_code, f"{what}. The dashboard starts at /.")
        return JSONResponse(
            {"error": f"{what}; the endpoints are listed at /docs."},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )


class _Unauthorized(Exception):
    """A write or admin request without the right bearer token."""


def _store_routes(app: FastAPI, settings: Settings, answers: AnswerCache) -> None:
    """What the store holds: stats, events, countries, the lever catalogue."""

    @app.get("/api/stats", tags=["store"])
    async def stats(request: Request) -> dict[str, Any]:
        """Events by source, date range, incidents, pairs, quarantined rows."""
        return json_answer(
            await answers.fetch(("stats",), on_cursor(request, lambda con: json.dumps(store_stats(con), default=str)))
        )

    @app.get("/api/events", tags=["events"])
    def events(
        con: Con,
        dyad: Annotated[str | None, Query(pattern=PAIR)] = None,
        country: Annotated[str | None, Query(min_length=2, max_length=60)] = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
        cameo: Annotated[str | None, Query(pattern=r"^\d{2,4}$")] = None,
        source: Annotated[str | None, Query(pattern=r"^[a-z0-9_]{2,20}$")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    ) -> dict[str, Any]:
        """Canonical events, newest first, paginated (``next_offset`` is null on the last page)."""
        pair = pair_codes(resolve_pair(dyad)) if dyad else None
        where = EventFilter(
            dyad=pair,
            country=resolve_country(country) if country else None,
            since=since,
            until=until,
            cameo=cameo,
            source=source,
            limit=limit,
            offset=offset,
        )
        total = count_events(con, where)
        rows = json_rows(select_events(con, where).to_pandas())
        return {
            "total": total,
            "offset": offset,
            "items": rows,
            "next_offset": offset + limit if offset + limit < total else None,
        }

    @app.get("/api/levers", tags=["responses"])
    def lever_catalogue() -> list[dict[str, Any]]:
        """The catalogue of diplomatic levers (docs/levers.md)."""
        return [json.loads(json.dumps(asdict(lv))) for lv in levers()]

    @app.get("/api/countries", tags=["store"])
    def countries(
        search: Annotated[str | None, Query(max_length=60)] = None, limit: Annotated[int, Query(ge=1, le=300)] = 20
    ) -> list[dict[str, Any]]:
        """Countries whose name or code contains ``search``: ISO3, ISO2, FIPS 10-4, name."""
        return [asdict(c) for c in search_countries(search)[:limit]]


def _alert_routes(app: FastAPI, settings: Settings, answers: AnswerCache) -> None:
    """Alerts and the overview of every pair's stage."""

    @app.get("/api/alerts", tags=["alerts"])
    async def alerts(
        request: Request,
        since: dt.date | None = None,
        dyad: Annotated[str | None, Query(pattern=PAIR)] = None,
        level: Annotated[str | None, Query(pattern=LEVEL)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    ) -> list[dict[str, Any]]:
        """Stored alerts, newest first, with why, evidence and the pair's previous alert."""
        pair = pair_codes(resolve_pair(dyad)) if dyad else None
        key = ("alerts", since, pair, level, limit)
        return json_answer(
            await answers.fetch(
                key,
                on_cursor(
                    request,
                    lambda con: json.dumps(alert_records(list_alerts(con, since=since, dyad=pair, level=level, limit=limit))),
                ),
            )
        )

    @app.get("/api/overview", tags=["alerts"])
    async def current(request: Request, weeks: Annotated[int, Query(ge=1, le=52)] = 4) -> dict[str, Any]:
        """Every pair's latest stage and index, the pairs rising fastest, each country's highest stage."""

        def compute(con: duckdb.DuckDBPyConnection) -> str:
            found = overview(con, settings, weeks=weeks)
            return json.dumps(
                {
                    "as_of": found.as_of.isoformat() if found.as_of else None,
                    "pairs": json_rows(found.pairs),
                    "countries": json_rows(found.countries),
                }
            )

        return json_answer(await answers.fetch(("overview", weeks), on_cursor(request, compute)))


def _pair_routes(app: FastAPI, settings: Settings, answers: AnswerCache) -> None:
    """The pair's timeline and indicators, and the pairs ranked on one."""

    @app.get("/api/pairs/{pair}/ladder", tags=["alerts"])
    async def ladder(
        request: Request,
        pair: str,
        freq: Annotated[str, Query(pattern=FREQ)] = "week",
        since: dt.date | None = None,
        until: dt.date | None = None,
    ) -> list[dict[str, Any]]:
        """The pair's timeline: escalation index, stage, indicator z-scores, change points per period."""
        key = ("ladder", resolve_pair(pair), freq, since, until)

        def compute(pairs: list[str]) -> dict[str, str]:
            # The timelines other requests asked for meanwhile, together, on a cursor of their own
            # (the request that started them may end first).
            with request.app.state.con.cursor() as con:
                # Whether the stored timelines are current changes only with the server's own writes.
                stored = answers.get(("timelines current",), lambda: timelines_current(con, settings))
                return timelines_json(con, settings, tuple(pairs), freq=freq, since=since, until=until, stored_current=stored)

        return json_answer(await answers.fetch_many(key, ("ladder", freq, since, until), key[1], compute))

    @app.get("/api/pairs/{pair}/indicators", tags=["indicators"])
    async def indicators(
        request: Request,
        pair: str,
        freq: Annotated[str, Query(pattern=FREQ)] = "month",
        since: dt.date | None = None,
        until: dt.date | None = None,
    ) -> list[dict[str, Any]]:
        """Each warning indicator per period: value, incidents, share of the pair's events, z-score."""
        query = IndicatorQuery(freq=freq, dyad=pair_codes(resolve_pair(pair)), since=since, until=until)
        return json_answer(
            await answers.fetch(("indicators", query), on_cursor(request, lambda con: json_text(compute_indicators(con, query))))
        )

    @app.get("/api/indicators/top", tags=["indicators"])
    async def top_pairs(
        request: Request,
        period: Annotated[str, Query(min_length=4, max_length=10)],
        by: Annotated[str, Query(pattern=r"^[a-z_]{2,20}$")] = "rhetoric",
        freq: Annotated[str | None, Query(pattern=FREQ)] = None,
        top: Annotated[int, Query(ge=1, le=500)] = 20,
    ) -> list[dict[str, Any]]:
        """The ``top`` pairs highest on indicator ``by`` (its z-score) in one period ('2012-W10',
        '2012-03', '2012' or a day with ``freq``), highest first: each pair's indicators then."""
        kind = freq or period_kind(period)
        start = parse_period(period, kind)
        return json_answer(
            await answers.fetch(
                ("top", kind, start, by, top),
                on_cursor(request, lambda con: json_text(ranked_pairs(con, IndicatorQuery(freq=kind), start, by, top=top))),
            )
        )


def _evidence_routes(app: FastAPI, settings: Settings, answers: AnswerCache) -> None:
    """The events behind an indicator, and the yearly diplomacy metrics."""

    @app.get("/api/pairs/{pair}/explain", tags=["indicators"])
    async def explanation(
        request: Request,
        pair: str,
        period: Annotated[str, Query(min_length=4, max_length=10)],
        indicator: Annotated[str, Query(pattern=r"^[a-z_]{2,20}$")],
        freq: Annotated[str | None, Query(pattern=FREQ)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 20,
    ) -> list[dict[str, Any]]:
        """The events behind one indicator of the pair in one period ('2012-W10', '2012-03', '2012' or a
        day with ``freq``), weightiest first, with sources."""
        kind = freq or period_kind(period)
        query = IndicatorQuery(freq=kind, dyad=pair_codes(resolve_pair(pair)))
        start = parse_period(period, kind)
        return json_answer(
            await answers.fetch(
                ("explain", query, start, indicator, limit),
                on_cursor(request, lambda con: json_text(explain(con, query, start, indicator, limit=limit))),
            )
        )

    @app.get("/api/pairs/{pair}/metrics", tags=["indicators"])
    async def metrics(
        request: Request, pair: str, year: Annotated[int | None, Query(ge=1900, le=2100)] = None
    ) -> list[dict[str, Any]]:
        """The yearly diplomacy metrics of the pair, each with its unit and source."""
        dyad = pair_codes(resolve_pair(pair))
        return json_answer(
            await answers.fetch(
                ("metrics", dyad, year), on_cursor(request, lambda con: json_text(yearly_metrics(con, dyad, year=year)))
            )
        )


def _outlook_routes(app: FastAPI, settings: Settings, answers: AnswerCache) -> None:
    """What comes next for a pair: forecast and levers."""

    @app.get("/api/pairs/{pair}/forecast", tags=["forecasts"])
    async def forecast(
        request: Request,
        pair: str,
        target: Annotated[str, Query(pattern=r"^stage[23]$")] = "stage3",
        horizon: Annotated[int, Query(ge=1, le=24)] = 3,
        as_of: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
    ) -> dict[str, Any]:
        """P(the pair reaches the stage within ``horizon`` months), 90% interval, drivers, baselines."""
        key = ("forecast", resolve_pair(pair), target, horizon, as_of)
        return await answers.fetch(
            key,
            on_cursor(
                request,
                lambda con: forecast_from_store(con, settings, key[1], target=target, months=horizon, as_of=as_of).to_dict(),
            ),
        )

    @app.get("/api/pairs/{pair}/respond", tags=["responses"])
    async def respond(request: Request, pair: str, date: dt.date | None = None) -> dict[str, Any]:
        """The levers ranked for the pair's state, each with why, who, evidence and risks."""
        key = ("respond", resolve_pair(pair), date)
        return json_answer(
            await answers.fetch(
                key,
                on_cursor(
                    request,
                    lambda con: json.dumps(recommendation_dict(*recommend(con, settings, key[1], as_of=date)), default=str),
                ),
            )
        )


def _consequence_routes(app: FastAPI, settings: Settings, answers: AnswerCache) -> None:
    """What escalation would bring to a pair, from the analogue disputes (docs/consequences.md)."""

    @app.get("/api/pairs/{pair}/consequences", tags=["consequences"])
    async def consequences(
        pair: str, stage: Annotated[int, Query(ge=3, le=4)] = 3, date: dt.date | None = None
    ) -> dict[str, Any]:
        """If the pair reached stage 3 or 4: deaths, war, refugees, spillover, trade, growth, spending and
        third states over its analogues, each with its spread, count and source; its neighbours, allies
        and trade at stake. Needs the server's reference_data setting."""
        key = ("consequences", resolve_pair(pair), stage, date)
        folder = reference_folder(settings)

        def compute() -> dict[str, Any]:
            try:
                return pair_consequences(key[1], stage=stage, data_dir=folder, as_of=date or dt.date.today()).to_dict()
            except InvalidInput as exc:  # the reference folder's path stays on the server
                raise InvalidInput(str(exc).replace(str(folder), "the server's reference folder")) from None

        return await answers.fetch(key, compute)


def _scenario_routes(app: FastAPI, settings: Settings, answers: AnswerCache) -> None:
    """Scenarios for a pair, and its brief."""

    @app.get("/api/pairs/{pair}/simulate", tags=["simulate"])
    async def simulate(
        request: Request,
        pair: str,
        horizon: Annotated[int, Query(ge=1, le=104)] = 26,
        runs: Annotated[int, Query(ge=100, le=20_000)] = 2000,
        seed: Annotated[int, Query(ge=0)] = 0,
        intervention: Annotated[list[str] | None, Query(max_length=5)] = None,
        miscalculation: Annotated[float, Query(ge=0, lt=1)] = 0.0,
        date: dt.date | None = None,
    ) -> dict[str, Any]:
        """Monte Carlo paths from the pair's stage as of ``date`` (default: the store's last event), with
        and without levers (LEVER@4w or LEVER@4w:0.7); the same seed gives the same answer."""
        levers = tuple(intervention or ())
        key = ("simulate", resolve_pair(pair), horizon, runs, seed, levers, miscalculation, date)
        return await answers.fetch(
            key,
            on_cursor(
                request,
                lambda con: simulation_dict(
                    simulate_pair(
                        con,
                        settings,
                        key[1],
                        horizon=horizon,
                        runs=runs,
                        seed=seed,
                        interventions=levers,
                        miscalculation=miscalculation,
                        as_of=date,
                    )
                ),
            ),
        )

    @app.get("/api/pairs/{pair}/brief", tags=["reports"], response_class=Response)
    async def brief(
        request: Request,
        pair: str,
        date: dt.date | None = None,
        format: Annotated[str, Query(pattern=r"^(md|html|pdf)$")] = "html",
    ) -> Response:
        """A one-page situation report: stage and trend, what changed and why, metrics, forecast, levers."""
        dyad = resolve_pair(pair)
        body, media = await answers.fetch(
            ("brief", dyad, date, format),
            on_cursor(request, lambda con: render_brief(build_brief(con, settings, dyad, as_of=date), format)),
        )
        name = f"flashpoint-brief-{dyad}.{format}"
        return Response(body, media_type=media, headers={"Content-Disposition": f'inline; filename="{name}"'})


class IngestRequest(BaseModel):
    """Files on the server to ingest, with the source that reads them."""

    source: str = Field(pattern=r"^[a-z_]{2,20}$", description="gdelt, acled, ucdp, icews, polecat, milex, …")
    paths: list[str] = Field(
        min_length=1, max_length=100, description="Files, folders or globs inside the server's import folder, relative to it."
    )


def _write_routes(app: FastAPI, settings: Settings, admin: Any, answers: AnswerCache) -> None:
    # One writer at a time: requests that write wait for the one before them (DuckDB's cursors of one
    # process conflict on the same rows, and two ingests of one file stored it twice). Reads go on.
    writer = threading.Lock()

    @app.post("/api/ingest", tags=["admin"], dependencies=[Depends(admin)])
    def ingest(con: Con, body: IngestRequest) -> list[dict[str, Any]]:
        """Ingest files already on the server (bearer token required); each file atomic and idempotent.
        Ingests wait for each other: each request's answer says what it stored, or that a file was
        stored already (``skipped``)."""
        if settings.api_import_dir is None:
            raise NotPermitted(
                "server-side ingest is off: set the api_import_dir setting (FLASHPOINT_API_IMPORT_DIR) "
                "to the folder it may read, and give paths relative to it."
            )
        paths = [str(p) for p in confined_paths(body.paths, settings.api_import_dir)]
        with writer:
            try:
                results = ingest_files(con, settings, paths, reader=get_source(body.source))
            finally:
                answers.store_changed()
        return [json.loads(json.dumps(asdict(r), default=str)) for r in results]

    @app.get("/api/settings", tags=["admin"], dependencies=[Depends(admin)])
    def current_settings() -> dict[str, Any]:
        """The server's settings, secrets left out (bearer token required): the token, the ACLED password
        and the webhook's address, which may carry a key of its own."""
        hidden = {"api_token", "acled_password", "webhook_url"}
        return {
            f.name: (str(v) if v is not None else None)
            for f in fields(settings)
            if f.name not in hidden
            for v in [getattr(settings, f.name)]
        }
