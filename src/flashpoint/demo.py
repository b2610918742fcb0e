"""The demo: a fresh store built from the bundled real GDELT slice (and the demo pair's SIPRI
military expenditure), and what it holds:
sources, incidents, the busiest pairs, the latest GEO-RUS events, the pair's warning
indicators for its last six months and its red-line crossings, the alerts of the latest
weeks across all pairs, the pair's forecast and the levers ranked for it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib.resources import as_file, files
from pathlib import Path

import pandas as pd
import platformdirs
import pyarrow as pa

from flashpoint.config import Settings
from flashpoint.escalation.alerts import list_alerts, raise_alerts
from flashpoint.forecasts.event_panel import build_event_panel, event_panel_spec
from flashpoint.forecasts.pair_forecast import PairForecast, forecast_pair
from flashpoint.forecasts.warning import raise_warnings
from flashpoint.indicators.compute import compute_indicators
from flashpoint.indicators.query import IndicatorQuery
from flashpoint.indicators.redlines import check_rules, load_rules, record_crossings
from flashpoint.refresh import ingest_files
from flashpoint.responses.ranking import Recommendation, recommend
from flashpoint.sources import gdelt, milex
from flashpoint.store.connection import open_store
from flashpoint.store.coverage import gap_periods
from flashpoint.store.ingest import IngestResult
from flashpoint.store.queries import EventFilter, select_events, store_stats

DEMO_DATASET = "gdelt1_georgia_2011_2013.parquet"
#: SIPRI military expenditure of the demo pair (its README gives the provenance).
DEMO_MILEX = "milex_Constant_2021_US.csv"
DEMO_DYAD = ("GEO", "RUS")


def default_demo_db() -> Path:
    """Where ``flashpoint demo`` builds its store unless told otherwise."""
    return Path(platformdirs.user_data_dir("flashpoint")) / "flashpoint-demo.duckdb"


@dataclass(frozen=True)
class DemoSummary:
    """What the demo built: the store, the ingest result, its statistics, sample events, the
    demo pair's recent indicators (and the months that are gaps in the data) and red-line
    crossings, the latest warning alerts, the pair's forecast (stage 3 within 3 months) and the
    levers ranked for it."""

    db: Path
    ingest: list[IngestResult]
    stats: dict[str, object]
    dyad: tuple[str, str]
    dyad_events: pa.Table
    indicators: pd.DataFrame
    gap_months: list[dt.date]
    crossings: pd.DataFrame
    alerts: pd.DataFrame
    forecast: PairForecast
    levers: list[Recommendation]


def run_demo(settings: Settings, /) -> DemoSummary:
    """Build a fresh store at ``settings.db`` from the bundled dataset and summarise it.

    Any previous store at that path is replaced.
    """
    db = Path(settings.db)
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    demo = files("flashpoint").joinpath("data/demo")
    with as_file(demo / DEMO_DATASET) as dataset, as_file(demo / DEMO_MILEX) as spending, open_store(settings) as con:
        ingest_files(con, settings, [str(spending)], reader=milex)  # before the events: their timelines read it
        results = ingest_files(con, settings, [str(dataset)], reader=gdelt)
        stats = store_stats(con)
        sample = select_events(con, EventFilter(dyad=DEMO_DYAD, limit=10))
        monthly = compute_indicators(con, IndicatorQuery(freq="month", dyad=DEMO_DYAD))
        gap_months = gap_periods(con, "month")
        crossings = check_rules(
            con,
            load_rules(settings.redlines_file),
            IndicatorQuery(freq="month", dyad=DEMO_DYAD),
            first_lookback_days=settings.redline_first_lookback_days,
        )
        record_crossings(con, crossings, "month")
        if settings.alert_method == "probability":
            raise_warnings(con, settings)
        else:
            raise_alerts(con, settings)
        alerts = list_alerts(con, level="warning", limit=5)
        pair = "-".join(DEMO_DYAD)
        forecast = forecast_pair(build_event_panel(con, settings), spec=event_panel_spec(), target="stage3", unit={"pair": pair})
        _, ranked = recommend(con, settings, pair)
    recent = monthly[monthly.period >= sorted(monthly.period.unique())[-6]] if not monthly.empty else monthly
    return DemoSummary(
        db=db,
        ingest=results,
        stats=stats,
        dyad=DEMO_DYAD,
        dyad_events=sample,
        indicators=recent,
        gap_months=gap_months,
        crossings=crossings,
        alerts=alerts,
        forecast=forecast,
        levers=ranked,
    )
