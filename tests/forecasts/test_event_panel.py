"""The dyad-month panel from the event store, and one pair's forecast from it."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from flashpoint.cli import app
from flashpoint.config import Settings
from flashpoint.errors import InvalidInput
from flashpoint.escalation.ladder import event_scores
from flashpoint.forecasts.backtest import backtest
from flashpoint.forecasts.event_panel import EVENT_FEATURES, build_event_panel, event_panel_spec, parse_month
from flashpoint.forecasts.pair_forecast import MIN_POSITIVES, forecast_pair
from flashpoint.forecasts.panels import PanelSpec
from flashpoint.store.connection import open_store

#: The demo's confident incidents reach the default ladder thresholds in 8 weeks, none above stage
#: 1 (docs/evaluation.md): the panel's mechanics are tested with one incident a week.
LOWERED = {"FLASHPOINT_LADDER_MIN_INCIDENTS": "1"}


@pytest.fixture(scope="module")
def demo(demo_db: Path):  # noqa: ANN201
    settings = Settings(db=demo_db, ladder_min_incidents=1.0)
    with open_store(settings, read_only=True) as con:  # the CLI's configuration, so both can read at once
        yield con, settings


def test_targets_are_the_highest_weekly_stage_of_the_next_months(demo) -> None:  # noqa: ANN001
    con, settings = demo
    panel = build_event_panel(con, settings, horizon=3)
    weeks = event_scores(con, settings, freq="week")
    highest: dict[tuple[str, int], int] = {}
    for r in weeks.itertuples():
        key = (r.pair, r.as_of.year * 12 + r.as_of.month - 1)  # a week counts in the month it ends in
        highest[key] = max(highest.get(key, 0), r.stage)
    known = panel[panel["stage2"].notna()]
    expected = [
        max((highest.get((r.pair, m), 0) for m in range(r.month + 1, r.month + 4)), default=0) >= 2 for r in known.itertuples()
    ]
    assert known["stage2"].astype(bool).tolist() == expected
    assert sum(expected) > 5  # the demo has coercive weeks to forecast
    last = panel["month"].max()
    assert panel.loc[panel["month"] > last - 3, "stage2"].isna().all()  # the next months are not in the store yet


def test_features_of_a_month_use_nothing_after_it(demo) -> None:  # noqa: ANN001
    con, settings = demo
    full = build_event_panel(con, settings)
    cut = build_event_panel(con, settings, until=dt.date(2012, 9, 30))
    month = parse_month("2012-09")
    assert cut["month"].max() == month
    keys = ["pair", "month"]
    then = cut.set_index(keys)[list(EVENT_FEATURES)].sort_index()
    now = full[full["month"] <= month].set_index(keys)[list(EVENT_FEATURES)].sort_index()
    pd.testing.assert_frame_equal(then, now, check_dtype=False)


def _planted(n_pairs: int = 60, months: int = 40, seed: int = 4) -> tuple[pd.DataFrame, PanelSpec]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {"pair": np.repeat([f"P{i:02d}" for i in range(n_pairs)], months), "month": np.tile(np.arange(months), n_pairs)}
    )
    frame["signal"] = rng.normal(size=len(frame))
    frame["noise"] = rng.normal(size=len(frame))
    frame["now"] = (rng.random(len(frame)) < 0.1).astype(int)
    frame["y"] = (rng.random(len(frame)) < 1 / (1 + np.exp(-(-2.5 + 2.0 * frame["signal"])))).astype(float)
    spec = PanelSpec(
        unit="test",
        keys=("pair",),
        time="month",
        features={"signal": "", "noise": ""},
        targets={"y": "planted"},
        state="now",
        horizon=1,
    )
    return frame, spec


def test_a_planted_driver_leads_and_the_interval_holds_the_probability() -> None:
    panel, spec = _planted()
    row = panel[(panel.pair == "P00") & (panel.month == 39)].index[0]
    panel.loc[row, ["signal", "noise"]] = [2.5, 0.0]
    result = forecast_pair(panel, spec=spec, target="y", unit={"pair": "P00"})
    assert result.as_of == "39" and result.train_rows == int(((panel.month + 1) <= 39).sum())
    assert result.drivers[0]["feature"] == "signal" and result.drivers[0]["log_odds"] > 3
    low, high = result.interval
    assert low < result.probability < high and result.probability > 0.5
    truth = 1 / (1 + np.exp(-(-2.5 + 2.0 * 2.5)))
    assert low < truth < high
    earlier = forecast_pair(panel, spec=spec, target="y", unit={"pair": "P00"}, as_of=20)
    assert earlier.as_of == "20" and earlier.train_rows < result.train_rows


def test_a_forecast_needs_a_known_pair_and_both_outcomes() -> None:
    panel, spec = _planted()
    with pytest.raises(InvalidInput, match="no row for pair NOPE;"):
        forecast_pair(panel, spec=spec, target="y", unit={"pair": "NOPE"})
    empty = forecast_pair(panel.assign(y=0.0), spec=spec, target="y", unit={"pair": "P00"})
    assert empty.probability is None and empty.interval is None and empty.note.startswith("too few cases (n = 0 ")
    rare = panel.assign(y=0.0)
    rare.loc[rare.index[: MIN_POSITIVES - 1], "y"] = 1.0
    told = forecast_pair(rare, spec=spec, target="y", unit={"pair": "P00"})
    assert told.probability is None and f"n = {told.train_positives} positive" in told.note
    assert forecast_pair(panel, spec=spec, target="y", unit={"pair": "P00"}).probability is not None
    with pytest.raises(InvalidInput, match="use one of y"):
        forecast_pair(panel, spec=spec, target="onset", unit={"pair": "P00"})


def test_the_monthly_backtest_keeps_a_gap_equal_to_the_horizon(demo) -> None:  # noqa: ANN001
    con, settings = demo
    spec = event_panel_spec(3)
    panel = build_event_panel(con, settings, horizon=3)
    start = parse_month("2012-10")
    steps = []
    result = backtest(
        panel, spec=spec, target="stage2", test_start=start, step=3, models=("logit",), on_fit=lambda *s: steps.append(s)
    )
    origins = len(result.design["origins"])
    # One step per origin and model (the logit and the two baselines), counted to the end.
    assert [s[:2] for s in steps] == [(i, origins * 3) for i in range(1, origins * 3 + 1)]
    assert steps[0][2] == "origin 2012-10: logit" and steps[-1][2].endswith(": persistence")
    first = result.design["origins"][0]
    assert first["origin"] == "2012-10"
    assert first["train_rows"] == int((panel["stage2"].notna() & (panel["month"] + 3 <= start - 1)).sum())
    assert result.predictions["target_month"].min() == start


def test_forecast_command_on_the_demo_store(demo_db: Path) -> None:
    runner = CliRunner()
    few = runner.invoke(app, ["--db", str(demo_db), "forecast", "--dyad", "GEO-RUS"], env={"COLUMNS": "200"})
    assert few.exit_code == 0 and "too few cases (n = 0 positive of " in few.output and "%" not in few.output
    result = runner.invoke(
        app, ["--db", str(demo_db), "forecast", "--dyad", "GEO-RUS", "--target", "stage2", "--format", "json"], env=LOWERED
    )
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    assert got["unit"] == {"pair": "GEO-RUS"} and got["as_of"] == "2013-05" and got["horizon"] == 3
    assert got["interval"][0] <= got["probability"] <= got["interval"][1]
    assert set(got["baselines"]) == {"conflictology", "persistence"} and got["train_positives"] > 0
    table = runner.invoke(
        app,
        [
            "--db",
            str(demo_db),
            "forecast",
            "--dyad",
            "georgia-russia",
            "--target",
            "stage2",
            "--horizon",
            "6m",
            "--as-of",
            "2012-10",
        ],
        env={"COLUMNS": "200", **LOWERED},
    )
    assert table.exit_code == 0, table.output
    assert "as of 2012-10" in table.output and "next 6 months" in table.output and "baselines:" in table.output
    chart = demo_db.parent / "backtest.svg"
    backtest_run = runner.invoke(
        app,
        [
            "--db",
            str(demo_db),
            "backtest",
            "--panel",
            "dyad-month",
            "--target",
            "stage2",
            "--test-start",
            "2012-07",
            "--step",
            "3",
            "--models",
            "logit",
            "--plot",
            str(chart),
        ],
        env={"COLUMNS": "200", **LOWERED},
    )
    assert backtest_run.exit_code == 0, backtest_run.output
    svg = chart.read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "Reliability" in svg and "conflictology" in svg
    bad = runner.invoke(app, ["--db", str(demo_db), "forecast", "--dyad", "GEO-RUS", "--horizon", "3w"])
    assert bad.exit_code != 0 and "expected months such as 3m" in str(bad.exception)


@pytest.mark.shared_data
@pytest.mark.slow
def test_the_published_icews_dyad_month_backtest_still_holds(shared_data: Path, tmp_path: Path) -> None:
    from flashpoint.forecasts.backtest import render_markdown
    from flashpoint.sources import icews
    from flashpoint.store.dedup import cluster_events
    from flashpoint.store.ingest import ingest_paths

    settings = Settings(db=tmp_path / "icews.duckdb", threads=2)
    files = sorted(str(f) for f in (shared_data / "icews_tkg_subsets").glob("icews05-15_*.txt"))
    with open_store(settings) as con:
        results = ingest_paths(con, files, reader=icews)
        cluster_events(con, settings, ingest_ids=[r.ingest_id for r in results])
        panel = build_event_panel(con, settings, horizon=3)
    result = backtest(panel, spec=event_panel_spec(3), target="stage2", test_start=parse_month("2010-01"), step=12)
    text = (Path(__file__).resolve().parents[2] / "docs" / "evaluation.md").read_text(encoding="utf-8")
    published = re.search(r"<!-- forecast:icews-stage2 -->\n(.*?)<!-- /forecast:icews-stage2 -->", text, re.S)
    assert published and render_markdown(result) == published.group(1)


@pytest.mark.shared_data
@pytest.mark.slow
def test_a_months_structure_is_the_latest_year_before_its_own(demo, shared_data: Path) -> None:  # noqa: ANN001
    from flashpoint.forecasts.panels import STRUCTURAL, structural_rows

    con, settings = demo
    structure = structural_rows(shared_data)
    panel = build_event_panel(con, settings, structure=structure)
    known = structure[structure["pair"] == "GEO-RUS"].set_index("year")
    for month, year in (("2012-07", 2011), ("2013-02", 2012)):
        row = panel[(panel["pair"] == "GEO-RUS") & (panel["month"] == parse_month(month))].iloc[0]
        for name in STRUCTURAL:
            expected = known.loc[year, name]
            assert (pd.isna(expected) and pd.isna(row[f"{name}_prev_year"])) or row[f"{name}_prev_year"] == expected
    assert known.loc[2012, "contiguous"] == 1  # Georgia and Russia share a land border
    result = forecast_pair(panel, spec=event_panel_spec(3, structural=True), target="stage2", unit={"pair": "GEO-RUS"})
    assert result.train_rows > 0 and 0 <= result.probability <= 1
    runner = CliRunner()
    text = runner.invoke(
        app, ["--db", str(settings.db), "respond", "--dyad", "GEO-RUS", "--data-dir", str(shared_data), "--format", "markdown"]
    )
    assert text.exit_code == 0 and "Structure (2013, COW/ATOP; context, not ranked on): contiguous" in text.output
