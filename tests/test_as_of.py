"""No look-ahead: every output taken as of a day — brief, levers, forecast, yearly metrics, lever
evidence, alerts raised up to it, simulation — is the same from the full store and from the store
as it was known on that day (events up to it, spending figures published by it)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from flashpoint.config import Settings
from flashpoint.escalation.alerts import list_alerts, raise_alerts
from flashpoint.forecasts.pair_forecast import forecast_from_store
from flashpoint.indicators.metrics import yearly_metrics
from flashpoint.indicators.spending import PUBLICATION_LAG_DAYS
from flashpoint.reports.brief import build_brief, render_brief
from flashpoint.responses.catalogue import levers
from flashpoint.responses.evidence import estimates_frame, levers_evidence
from flashpoint.responses.ranking import recommend, recommendation_dict
from flashpoint.simulate.pair import simulate_pair
from flashpoint.simulate.report import simulation_dict
from flashpoint.store.connection import open_store

PAIR = "GEO-RUS"


def _known_by(db: Path, day: dt.date) -> Path:
    """A copy of the store at ``db`` holding only what was known on ``day``: its events up to it,
    and the spending figures published by it (``PUBLICATION_LAG_DAYS``); no stored alert."""
    folder = Path(tempfile.mkdtemp())
    shutil.copy(db, folder / "cut.duckdb")
    with open_store(Settings(db=folder / "cut.duckdb")) as con:
        con.execute("DELETE FROM events WHERE event_date > ?", [day])
        con.execute(
            "DELETE FROM milex WHERE make_date(year, 12, 31) + CAST(MAP {'sipri': ?, 'cow_nmc': ?}[source] AS INTEGER) > ?",
            [PUBLICATION_LAG_DAYS["sipri"], PUBLICATION_LAG_DAYS["cow_nmc"], day],
        )
        con.execute("DELETE FROM alerts")
    return folder / "cut.duckdb"


def _rounded(value: object) -> object:
    """Plain data with floats to 9 decimals: fits on the same rows agree to rounding, not bits."""
    return json.loads(json.dumps(value, default=str), parse_float=lambda x: round(float(x), 9))


def _as_of(db: Path, day: dt.date) -> dict[str, object]:
    """Every as-of output of the pair from the store at ``db``, as plain data."""
    settings = dataclasses.replace(Settings(db=db), ladder_min_incidents=1.0)  # stages the demo's pairs reach
    month = day.replace(day=1) - dt.timedelta(days=1)  # the last month ended by the day
    with open_store(settings) as con:
        raise_alerts(con, settings, until=day)
        alerts = list_alerts(con).drop(columns=["raised_at", "previous_alert_id"])
        state, ranked = recommend(con, settings, PAIR, as_of=day, n_boot=20)
        chosen = [lv for lv in levers() if any(s.base == "events" for s in lv.evidence)]
        return {
            "brief": render_brief(build_brief(con, settings, PAIR, as_of=day), "md")[0].decode(),
            "respond": json.dumps(recommendation_dict(state, ranked), default=str),
            "forecast": _rounded(forecast_from_store(con, settings, PAIR, target="stage2", as_of=f"{month:%Y-%m}").to_dict()),
            "metrics": yearly_metrics(con, tuple(PAIR.split("-")), year=day.year, until=day).to_json(date_format="iso"),
            "evidence": estimates_frame(levers_evidence(con, settings, chosen, bases=("events",), n_boot=20, until=day)).to_json(
                date_format="iso"
            ),
            "alerts": alerts.sort_values("alert_id").to_json(date_format="iso", default_handler=str),
            "simulate": _rounded(
                simulation_dict(
                    simulate_pair(con, settings, PAIR, horizon=8, runs=500, seed=3, interventions=("mediation@2w",), as_of=day)
                )
            ),
        }


# Days with events on the store as known then (in its March 2013 gap, the store as known that day ends on
# 28 February and refuses the day, as it should).
@given(day=st.dates(min_value=dt.date(2012, 3, 1), max_value=dt.date(2013, 2, 27)))
@hypothesis_settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    phases=[Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_every_as_of_output_reads_only_what_was_known_that_day(demo_db: Path, day: dt.date) -> None:
    full, cut = _as_of(_known_by(demo_db, dt.date(2100, 1, 1)), day), _as_of(_known_by(demo_db, day), day)
    for name, value in full.items():
        assert cut[name] == value, f"{name} as of {day} differs when later data are in the store"
    assert "No stage" in full["brief"] or "Stage" in full["brief"]
    assert json.loads(full["alerts"])["alert_id"]  # alerts were raised: the comparison is not of two empties
