"""Alerts: raised, stored, upgraded, listed and explained; on a literal series and the real Georgia events."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from flashpoint.cli import app
from flashpoint.config import Settings
from flashpoint.errors import InvalidInput
from flashpoint.escalation.alerts import list_alerts, raise_alerts
from flashpoint.escalation.ladder import series_scores
from flashpoint.sources import gdelt
from flashpoint.sources.series import SeriesReader
from flashpoint.store.connection import open_store
from flashpoint.store.ingest import ingest_paths

START = dt.date(2021, 1, 1)
SPIKE = 100  # day of GEO-RUS's conflict spike


@pytest.fixture
def series_store(settings: Settings, tmp_path: Path) -> Settings:
    """120 days of two pairs' scores (calm noise; GEO-RUS turns hostile on day 100), plus bad rows;
    alerts by the escalation index (the levels these tests check; the warning model's are in
    tests/forecasts/test_warning.py)."""
    rng = np.random.default_rng(3)
    lines = ["date,iso3_a,iso3_b,edge_weight"]
    for day in range(120):
        date = START + dt.timedelta(days=day)
        hostile = -400.0 if day >= SPIKE else 0.0
        lines.append(f"{date},RUS,GEO,{50 + rng.normal(0, 10) + hostile:.3f}")
        lines.append(f"{date},Armenia,AZE,{20 + rng.normal(0, 5):.3f}")
    lines += ["2021-13-01,RUS,GEO,1", "2021-01-01,XXX,GEO,1", "2021-01-01,GEO,GEO,1", "2021-01-01,RUS,GEO,lots"]
    path = tmp_path / "scores.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with open_store(settings) as con:
        [result] = ingest_paths(con, [str(path)], reader=SeriesReader("edge_weight"))
        assert (result.rows_stored, result.rows_quarantined) == (240, 4)
        reasons = [r[0] for r in con.execute("SELECT reason FROM quarantine ORDER BY line_number").fetchall()]
    assert reasons == [
        "date 2021-13-01 is not a date (YYYY-MM-DD)",
        "iso3_a XXX is not a known country",
        "the pair GEO-GEO is one country",
        "edge_weight lots is not a number",
    ]
    return replace(settings, alert_method="index")


def test_series_index_is_the_z_score_of_conflict_against_the_pairs_own_baseline(series_store: Settings) -> None:
    with open_store(series_store, read_only=True) as con:
        scores = series_scores(con, series_store, "edge_weight", freq="day", baseline_periods=30)
        raw = con.execute("SELECT date, value FROM pair_series WHERE pair = 'GEO-RUS' ORDER BY date").df()
    conflict = -raw["value"].to_numpy()
    t = SPIKE
    expected = (conflict[t] - conflict[t - 30 : t].mean()) / conflict[t - 30 : t].std(ddof=1)
    got = scores[(scores.pair == "GEO-RUS") & (scores.period == START + dt.timedelta(days=t))]
    assert got.conflict_z.iloc[0] == pytest.approx(expected)
    assert got.escalation_index.iloc[0] == pytest.approx(min(expected, 10.0))
    assert scores.stage.isna().all()  # a series has no event profile


def test_a_shift_raises_one_explained_alert_and_raising_again_adds_nothing(series_store: Settings) -> None:
    with open_store(series_store) as con:
        run = raise_alerts(con, series_store, series="edge_weight", freq="day", baseline_periods=30)
        again = raise_alerts(con, series_store, series="edge_weight", freq="day", baseline_periods=30)
        alerts = list_alerts(con, dyad=("RUS", "GEO"))
    assert run.raised and again.raised == []
    # The shift raises a critical alert on its day (noise may raise others: false alarms).
    first = alerts[alerts.period.dt.date == START + dt.timedelta(days=SPIKE)].iloc[0]
    assert first.level == "critical"
    assert list(first.triggers) == ["change_point"] and "sudden shift" in first.why and "SD above" in first.why
    assert json.loads(first.evidence)[0]["value"] < -300  # the day itself
    assert (alerts.pair == "GEO-RUS").all()


def test_thresholds_come_from_the_settings(series_store: Settings) -> None:
    strict = replace(series_store, alert_watch_index=50.0, alert_warning_index=60.0, alert_critical_index=70.0)
    with open_store(strict) as con:
        assert raise_alerts(con, strict, series="edge_weight", freq="day", baseline_periods=30).raised == []
        muddled = replace(series_store, alert_watch_index=5.0, alert_warning_index=2.0)
        with pytest.raises(InvalidInput, match="alert_watch_index"):
            raise_alerts(con, muddled, series="edge_weight")


def test_a_higher_level_later_upgrades_the_alert_and_levels_filter(series_store: Settings) -> None:
    low = replace(series_store, alert_critical_index=1000.0, alert_warning_index=1000.0)
    with open_store(low) as con:
        raise_alerts(con, low, series="edge_weight", freq="day", baseline_periods=30)
        before = list_alerts(con)
        upgraded = raise_alerts(con, series_store, series="edge_weight", freq="day", baseline_periods=30).raised
        after = list_alerts(con)
        critical = list_alerts(con, level="critical")
    assert set(before.level) == {"watch"} and set(upgraded) <= set(before.alert_id) and upgraded
    assert set(after.alert_id) == set(before.alert_id) and "critical" in set(after.level)
    assert set(critical.level) == {"critical"}
    with pytest.raises(InvalidInput, match="use one of watch, warning, critical"):
        with open_store(series_store, read_only=True) as con:
            list_alerts(con, level="severe")


def test_unknown_series_says_how_to_load_one(settings: Settings) -> None:
    with open_store(settings) as con, pytest.raises(InvalidInput, match="flashpoint ingest series"):
        raise_alerts(con, settings, series="nope")


def test_cli_ingests_raises_and_lists_alerts_as_json(series_store: Settings, tmp_path: Path) -> None:
    runner = CliRunner()
    db = ["--db", str(series_store.db)]
    raised = runner.invoke(app, [*db, "alerts", "raise", "--series", "edge_weight", "--freq", "day", "--baseline", "30"])
    assert raised.exit_code == 0, raised.output
    listed = runner.invoke(app, [*db, "alerts", "--dyad", "GEO-RUS", "--format", "json", "--limit", "500"])
    assert listed.exit_code == 0, listed.output
    records = json.loads(listed.output)
    assert records and all(r["pair"] == "GEO-RUS" for r in records)
    by_id = {r["alert_id"]: r for r in records}
    chain = [r for r in records if r["previous_alert_id"] is not None]
    assert all(by_id[r["previous_alert_id"]]["period"] < r["period"] for r in chain)
    assert len(chain) == len(records) - 1  # every alert but the first links to the pair's previous one


@pytest.fixture(scope="module")
def georgia_alerts(shared_data: Path, tmp_path_factory) -> tuple[Settings, pd.DataFrame]:  # noqa: ANN001
    settings = Settings(
        db=tmp_path_factory.mktemp("georgia_alerts") / "store.duckdb", memory_limit="2GB", threads=2, alert_method="index"
    )
    files = sorted((shared_data / "gdelt1_georgia_2011_2013").glob("*.csv"))
    with open_store(settings) as con:
        ingest_paths(con, [str(f) for f in files], reader=gdelt)
        raise_alerts(con, settings)
        alerts = list_alerts(con)
    return settings, alerts


@pytest.mark.shared_data
def test_event_alerts_on_georgia_are_explained_by_their_pairs_events(georgia_alerts) -> None:  # noqa: ANN001
    settings, alerts = georgia_alerts
    assert "stage_rise" in {t for ts in alerts.triggers for t in ts}
    assert len(alerts) > 5
    with open_store(settings, read_only=True) as con:
        for alert in alerts.itertuples():
            assert "independent report" in alert.why
            assert alert.level == "watch" or alert.reports >= 1
            assert alert.level != "critical" or alert.corroborated
            evidence = json.loads(alert.evidence)
            assert evidence, alert.alert_id
            for event in evidence:
                row = con.execute(
                    "SELECT actor1_iso3, actor2_iso3, event_date FROM events WHERE event_id = ?", [event["event_id"]]
                ).fetchall()[0]
                assert "-".join(sorted(row[:2])) == alert.pair
                assert alert.period.date() <= row[2] <= alert.as_of.date()
            if "stage_rise" in alert.triggers:
                assert alert.stage > alert.previous_stage


@pytest.mark.shared_data
def test_a_verbal_hostility_stage_matches_a_count_of_the_raw_confident_events(georgia_alerts) -> None:  # noqa: ANN001
    settings, alerts = georgia_alerts
    verbal = alerts[alerts.stage == 1].iloc[0]
    first, second = verbal.pair.split("-")
    with open_store(settings, read_only=True) as con:
        incidents, total = con.execute(
            "SELECT count(DISTINCT coalesce(cluster_id, event_id)) FILTER (WHERE (cameo_code LIKE '111%' OR "
            "cameo_code LIKE '112%' OR cameo_root IN ('12', '13')) AND confidence >= 0.5 "
            "AND (actor1_type IS NULL OR actor1_type NOT IN ('REB', 'UAF', 'INS', 'SEP'))), "
            "count(DISTINCT coalesce(cluster_id, event_id)) FROM events WHERE event_date BETWEEN ? AND ? "
            "AND ((actor1_iso3 = ? AND actor2_iso3 = ?) OR (actor1_iso3 = ? AND actor2_iso3 = ?))",
            [verbal.period.date(), verbal.as_of.date(), first, second, second, first],
        ).fetchall()[0]
    assert incidents >= settings.ladder_min_incidents and incidents / total >= settings.ladder_verbal_share


def test_scorecard_counts_warnings_lead_times_and_false_alarms(series_store: Settings, tmp_path: Path) -> None:
    onset = START + dt.timedelta(days=SPIKE + 5)
    onsets = tmp_path / "onsets.csv"
    onsets.write_text(
        f"iso3_a,iso3_b,onset_date,kind,what_happened\nRUS,GEO,{onset},use_of_force,test\n"
        f"ARM,AZE,2021-01-02,use_of_force,before any alert\n",
        encoding="utf-8",
    )
    with open_store(series_store) as con:
        raise_alerts(con, series_store, series="edge_weight", freq="day", baseline_periods=30)
        alerts = list_alerts(con, level="warning")
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "--db",
            str(series_store.db),
            "evaluate",
            "alerts",
            "--onsets",
            str(onsets),
            "--basis",
            "series:edge_weight",
            "--window-days",
            "10",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    card = json.loads(result.output)
    # Counted here from the listed alerts: warnings of GEO-RUS complete 1-10 days before the onset.
    before = sorted(
        a.date()
        for a, p in zip(alerts.as_of, alerts.pair)
        if p == "GEO-RUS" and dt.timedelta(days=1) <= onset - a.date() <= dt.timedelta(days=10)
    )
    geo_rus, arm_aze = card["onsets"]
    assert geo_rus["warned"] and geo_rus["lead_days"] == (onset - before[0]).days >= 5
    assert geo_rus["alerts_in_window"] == len(before)
    assert not arm_aze["warned"] and arm_aze["covered"]
    followed = sum(
        1
        for a, p in zip(alerts.as_of, alerts.pair)
        if p == "GEO-RUS" and dt.timedelta(days=0) < onset - a.date() <= dt.timedelta(days=10)
    )
    assert card["summary"]["alerts"] == len(alerts)
    assert card["summary"]["false_alarms"] == len(alerts) - followed
    years = 120 / 365.25
    assert card["summary"]["pair_years"] == round(2 * years, 2)
    unwarned = tmp_path / "unwarned.csv"
    unwarned.write_text("iso3_a,iso3_b,onset_date\nARM,AZE,2021-01-02\n", encoding="utf-8")
    table = runner.invoke(
        app,
        ["--db", str(series_store.db), "evaluate", "alerts", "--onsets", str(unwarned), "--basis", "series:edge_weight"],
        env={"COLUMNS": "200"},
    )
    assert "0 of 1 onsets warned (1 covered), median lead none warned;" in table.output


def test_ladder_command_shows_each_period_of_a_pair(series_store: Settings, tmp_path: Path, gdelt2_lines) -> None:  # noqa: ANN001
    (tmp_path / "a.tsv").write_text("\n".join(gdelt2_lines) + "\n")
    with open_store(series_store) as con:
        ingest_paths(con, [str(tmp_path / "a.tsv")], reader=gdelt)
        pair = con.execute("SELECT pair FROM events WHERE pair IS NOT NULL LIMIT 1").fetchall()[0][0]
    result = CliRunner().invoke(app, ["--db", str(series_store.db), "ladder", "--dyad", pair, "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows and {"escalation_index", "stage", "change_probability"} <= set(rows[0])
    bad = CliRunner().invoke(app, ["--db", str(series_store.db), "ladder", "--dyad", "GEO"])
    assert bad.exit_code != 0


@pytest.mark.shared_data
def test_alerts_of_one_country_are_those_of_its_pairs(georgia_alerts) -> None:  # noqa: ANN001
    settings, alerts = georgia_alerts
    with open_store(settings, read_only=True) as con:
        georgia = list_alerts(con, country="GEO")
        armenia = list_alerts(con, country="ARM", limit=2)
    mine = alerts[alerts.pair.str.split("-").map(lambda codes: "GEO" in codes)]
    assert len(georgia) and list(georgia.alert_id) == list(mine.alert_id)
    assert len(armenia) <= 2 and all("ARM" in pair.split("-") for pair in armenia.pair)
