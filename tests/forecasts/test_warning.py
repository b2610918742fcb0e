"""The 30-day warning model: no look-ahead, a planted lead recovered, calibrated probabilities,
and the threshold's false-alarm budget."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

from flashpoint.cli import app
from flashpoint.config import Settings
from flashpoint.escalation.scorecard import read_onsets
from flashpoint.forecasts.warning import choose_threshold, make_warning_model, warning_probabilities
from flashpoint.forecasts.warning_features import WarningSpec, training_onsets, warning_frame
from flashpoint.sources.series import SeriesReader
from flashpoint.store.connection import open_store
from flashpoint.store.ingest import ingest_paths

#: Pairs of states no shipped onset list names.
PAIRS = [
    ("ARG", "BRA"),
    ("AUT", "DEU"),
    ("BEL", "NLD"),
    ("CHL", "PER"),
    ("CZE", "SVK"),
    ("DNK", "SWE"),
    ("ESP", "PRT"),
    ("EST", "LVA"),
    ("FIN", "NOR"),
    ("HUN", "ROU"),
    ("ISL", "IRL"),
    ("LTU", "LVA"),
    ("MEX", "GTM"),
    ("NZL", "AUS"),
    ("PRY", "URY"),
    ("SEN", "GMB"),
    ("BOL", "PER"),
    ("CAN", "DNK"),
]


def _planted(tmp_path: Path, *, seed: int = 3) -> tuple[Path, Path, pd.DataFrame]:
    """Six years of daily scores for 18 pairs, noise only, but for the five weeks before each of
    36 onsets, when the pair's score falls (conflict rises); the series CSV and the onsets CSV."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2017-01-01", "2022-12-31", freq="D")
    onset_days = pd.to_datetime(rng.choice(days[120:-60].to_numpy(), size=36, replace=False))
    onsets = pd.DataFrame({"pair": [PAIRS[i % len(PAIRS)] for i in range(36)], "onset_date": onset_days})
    rows = []
    for a, b in PAIRS:
        values = rng.normal(0.0, 1.0, len(days))
        for day in onsets.loc[onsets["pair"] == (a, b), "onset_date"]:
            values[(days >= day - pd.Timedelta(days=35)) & (days < day - pd.Timedelta(days=3))] -= 4.0
        rows.append(pd.DataFrame({"date": days.date, "iso3_a": a, "iso3_b": b, "edge_weight": values}))
    series, dated = tmp_path / "series.csv", tmp_path / "onsets.csv"
    pd.concat(rows).to_csv(series, index=False)
    pd.DataFrame(
        {
            "iso3_a": [p[0] for p in onsets["pair"]],
            "iso3_b": [p[1] for p in onsets["pair"]],
            "onset_date": onsets["onset_date"].dt.date,
        }
    ).to_csv(dated, index=False)
    return series, dated, onsets


@pytest.mark.slow
def test_the_model_recovers_a_planted_lead(tmp_path: Path, settings: Settings) -> None:
    series, dated, _ = _planted(tmp_path)
    with open_store(settings) as con:
        ingest_paths(con, [str(series)], reader=SeriesReader("edge_weight"))
        spec = WarningSpec.from_settings(settings, basis="series:edge_weight")
        known = training_onsets((dated,))
        run = warning_probabilities(warning_frame(con, settings, spec, known), spec, known)
    scored = run.probabilities.merge(
        warning_frame(duckdb.connect(str(settings.db), read_only=True), settings, spec, known)[["pair", "period", "target"]],
        on=["pair", "period"],
    )
    scored = scored.dropna(subset=["target"])
    assert roc_auc_score(scored["target"], scored["probability"]) > 0.9
    # The warnings it raises come 7-30 days before most onsets.
    flagged = scored[scored["probability"] >= scored["threshold"]]
    onsets = read_onsets(dated)
    onsets = onsets[pd.to_datetime(onsets["onset_date"]) > pd.to_datetime(scored["as_of"]).min() + pd.Timedelta(days=30)]
    lead = {
        o.Index: (pd.Timestamp(o.onset_date) - pd.to_datetime(flagged.loc[flagged["pair"] == o.pair, "as_of"])).dt.days
        for o in onsets.itertuples()
    }
    early = sum(bool(((days >= 7) & (days <= 30)).any()) for days in lead.values())
    assert early >= 0.6 * len(onsets), (early, len(onsets))


def test_features_at_a_date_do_not_change_when_later_events_arrive(demo_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, db)
    settings = Settings(db=db, memory_limit="2GB", threads=2)
    spec = WarningSpec.from_settings(settings)
    known = training_onsets()
    cut = pd.Timestamp("2012-06-30")
    with open_store(settings, read_only=True) as con:
        everything = warning_frame(con, settings, spec, known)
        then = warning_frame(con, settings, spec, known, until=cut.date())
    columns = ["pair", "period", "as_of", *spec.features]
    before = everything.loc[everything["as_of"] <= cut, columns].reset_index(drop=True)
    pd.testing.assert_frame_equal(before, then.loc[then["as_of"] <= cut, columns].reset_index(drop=True))
    assert len(before) > 1000


def test_probabilities_are_calibrated_on_generated_data() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(60_000, 3))
    truth = 1 / (1 + np.exp(-(-4.0 + 1.2 * x[:, 0] - 0.8 * x[:, 1])))
    y = rng.random(len(truth)) < truth
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    for name in ("logit", "boosting"):
        model = make_warning_model(name).fit(frame[:40_000], y[:40_000])
        p = model.predict_proba(frame[40_000:])[:, 1]
        bins = pd.qcut(p, 10, duplicates="drop")
        table = pd.DataFrame({"p": p, "y": y[40_000:]}).groupby(bins, observed=True).mean()
        assert (table["p"] - table["y"]).abs().max() < 0.03, (name, table)


@given(st.lists(st.tuples(st.floats(0, 1), st.booleans()), min_size=1, max_size=200), st.floats(0, 5), st.floats(0.1, 50))
@hypothesis_settings(max_examples=200, deadline=None)
def test_the_threshold_keeps_false_alarms_within_the_budget(rows, budget: float, years: float) -> None:
    p = np.array([r[0] for r in rows])
    y = np.array([float(r[1]) for r in rows])
    threshold = choose_threshold(p, y, years, budget)
    assert ((p >= threshold) & (y == 0)).sum() <= max(budget * years, 0) or not (y == 0).any()


def test_an_unknown_model_or_frequency_is_refused(settings: Settings) -> None:
    from flashpoint.errors import InvalidInput

    with pytest.raises(InvalidInput, match="warning model 'forest'"):
        dataclasses.replace(WarningSpec.from_settings(settings), model="forest").check()
    with pytest.raises(InvalidInput, match="not by year"):
        WarningSpec.from_settings(settings, freq="year").check()


@pytest.mark.slow
def test_alerts_raise_gives_probability_warnings_and_evaluate_scores_them(tmp_path: Path) -> None:
    series, dated, _ = _planted(tmp_path)
    db = tmp_path / "s.duckdb"
    run = CliRunner().invoke
    env = {"COLUMNS": "200"}
    assert run(app, ["--db", str(db), "ingest", "series", str(series), "--value-column", "edge_weight"], env=env).exit_code == 0
    raised = run(app, ["--db", str(db), "alerts", "raise", "--series", "edge_weight", "--onsets", str(dated)], env=env)
    assert raised.exit_code == 0, raised.output
    assert "given a probability" in raised.output
    shown = run(app, ["--db", str(db), "alerts", "--level", "warning", "--limit", "3"], env=env)
    assert "probability" in shown.output and "base rate" in shown.output, shown.output
    assert shown.output.count("series:edge_weight") == 3  # each alert says it comes from the series, not events
    scored = run(
        app,
        [
            "--db",
            str(db),
            "evaluate",
            "alerts",
            "--onsets",
            str(dated),
            "--basis",
            "series:edge_weight",
            "--plot",
            str(tmp_path / "curve.svg"),
        ],
        env=env,
    )
    assert scored.exit_code == 0, scored.output
    assert "Brier skill vs persistence" in scored.output and "warned 7–30 d" in scored.output
    assert (tmp_path / "curve.svg").read_text().startswith("<svg") and "false alarms per pair-year" in (
        tmp_path / "curve.svg"
    ).read_text()


def _warning_section(settings: Settings, onsets: Path, basis: str) -> str:
    """docs/evaluation.md's section of the warning model on ``basis``: the stored warnings'
    summary and the probabilities' scorecard."""
    from flashpoint.escalation.scorecard import render_markdown, score_alerts
    from flashpoint.forecasts.warning_score import render_probability_markdown, score_probabilities

    dated = read_onsets(onsets)
    with open_store(settings, read_only=True) as con:
        card = score_alerts(con, dated, basis=basis, freq="week", min_level="warning")
        chances = score_probabilities(con, dated, basis=basis)
    return "\n".join(render_markdown(card).split("\n")[:4]) + "\n\n" + render_probability_markdown(chances)


def _published(basis: str) -> str:
    import re

    text = (Path(__file__).resolve().parents[2] / "docs" / "evaluation.md").read_text(encoding="utf-8")
    found = re.search(rf"<!-- warning:{basis} -->\n(.*?)<!-- /warning:{basis} -->", text, re.S)
    assert found, f"docs/evaluation.md has no section 'warning:{basis}'"
    return found.group(1)


@pytest.mark.shared_data
@pytest.mark.slow
@pytest.mark.parametrize("basis", ["events", "series:edge_weight"])
def test_the_published_warning_scorecards_still_hold(shared_data: Path, tmp_path: Path, basis: str) -> None:
    from flashpoint.forecasts.warning import raise_warnings
    from flashpoint.refresh import ingest_files
    from flashpoint.sources import icews

    settings = Settings(db=tmp_path / "store.duckdb", memory_limit="2GB", threads=2)
    with open_store(settings) as con:
        if basis == "events":
            files = sorted((shared_data / "icews_events_2012_2015").glob("*.tsv"))
            ingest_files(con, settings, [str(f) for f in files], reader=icews)
            raise_warnings(con, settings)
        else:
            series = shared_data / "gdelt_dyad_daily_2018_2024" / "dyad_daily_selected_2018_2024.csv"
            ingest_paths(con, [str(series)], reader=SeriesReader("edge_weight"))
            raise_warnings(con, settings, series="edge_weight")
    onsets = shared_data / "escalation_onsets" / ("onsets_2012_2015.csv" if basis == "events" else "onsets_2018_2024.csv")
    assert _warning_section(settings, onsets, basis) == _published(basis)


def test_the_live_watch_applies_the_stored_fit_as_the_batch_did(demo_db: Path, tmp_path: Path) -> None:
    """The watch's probabilities of a few pairs (their events only, a year back) are the batch's,
    by the latest fit ``alerts raise`` stored; before any fit, the watch has none."""
    from flashpoint.forecasts.warning import live_warnings, raise_warnings, stored_fit

    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, db)
    settings = Settings(db=db, memory_limit="2GB", threads=2)
    pairs = ("GEO-RUS", "ISR-PSE", "IRN-ISR", "RUS-USA")
    with open_store(settings) as con:
        con.execute("DELETE FROM warning_models")
        assert live_warnings(con, settings, pairs, dt.date(2013, 1, 1)).empty
        _, run = raise_warnings(con, settings)
        fit, _ = stored_fit(con, "events", "week")
        since = fit.origin
        batch = con.execute(
            "SELECT pair, period, probability FROM pair_warnings WHERE pair IN (SELECT unnest(?)) AND period >= ? ORDER BY ALL",
            [list(pairs), since],
        ).df()
        flagged = live_warnings(con, settings, pairs, since)
        live = con.execute(
            "SELECT pair, period, probability FROM pair_warnings WHERE pair IN (SELECT unnest(?)) AND period >= ? ORDER BY ALL",
            [list(pairs), since],
        ).df()
    assert len(batch) >= 8
    pd.testing.assert_frame_equal(batch, live, rtol=1e-9)
    assert set(flagged["pair"]) <= set(pairs) and {"reason", "probability", "base_rate"} <= set(flagged.columns)


@pytest.mark.shared_data
def test_weeks_the_store_covers_without_any_event_count_none_in_the_worlds_attention(shared_data: Path, tmp_path: Path) -> None:
    """Georgia's GDELT months of 2011–2012, a GDELT day of 2016 and ACLED's rows of June 2022: weeks
    inside the store's coverage (not gaps of any source) where no source reported anything held no
    world count, and the attention feature was NaN — the model's fit failed on it."""
    from flashpoint.refresh import ingest_files
    from flashpoint.sources import acled, gdelt

    gdelt1 = [str(shared_data / "gdelt1_georgia_2011_2013" / f"{n}.csv") for n in ("aug2011", "nov2011", "mar2012", "aug2012")]
    gdelt1.append(str(shared_data / "gdelt_raw_samples" / "gdelt1_daily_20160728_sample_reed9999.tsv"))
    settings = Settings(db=tmp_path / "store.duckdb", threads=2)
    with open_store(settings) as con:
        ingest_files(con, settings, gdelt1, reader=gdelt)
        ingest_files(con, settings, [str(shared_data / "acled_acledR" / "acled_old_dummy.csv")], reader=acled)
        spec = WarningSpec.from_settings(settings, basis="events")
        frame = warning_frame(con, settings, spec, training_onsets((), settings=settings))
    assert len(frame) > 10_000
    assert not frame[list(spec.features)].isna().any().any()
