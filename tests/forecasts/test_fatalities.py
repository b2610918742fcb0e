"""Country-month fatalities: features from the past only, CRPS cross-checked, published figures."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import properscoring
import pytest

from flashpoint.errors import InvalidInput
from flashpoint.forecasts.event_panel import parse_month
from flashpoint.forecasts.fatalities import (
    FATALITY_FEATURES,
    HurdleFatalities,
    backtest_fatalities,
    features_at,
    read_actuals,
    render_fatalities_markdown,
    training_rows,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def actuals(shared_data: Path) -> pd.DataFrame:
    return read_actuals(shared_data)


@pytest.fixture(scope="module")
def result(actuals: pd.DataFrame):  # noqa: ANN201
    return backtest_fatalities(actuals, test_start=parse_month("2022-01"))


@pytest.mark.shared_data
def test_features_at_an_origin_read_nothing_after_it(actuals: pd.DataFrame) -> None:
    wide = actuals.pivot(index="country_id", columns="month", values="deaths")
    origin = parse_month("2020-06")
    changed = wide.copy()
    changed.loc[:, changed.columns > origin] = 99_999.0
    pd.testing.assert_frame_equal(features_at(wide, origin), features_at(changed, origin))
    rows = training_rows(wide, origin, horizon=12)
    assert rows["month"].max() == origin and (rows["origin"] + rows["horizon"] == rows["month"]).all()


@pytest.mark.shared_data
def test_baseline_crps_matches_properscoring_on_the_raw_files(result, shared_data: Path) -> None:  # noqa: ANN001
    deaths: dict[tuple[int, int], float] = {}
    for path in sorted((shared_data / "views_competition_cm").glob("cm_actuals_*.csv")):
        with open(path, encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                deaths[(int(row["country_id"]), int(row["month_id"]))] = float(row.get("ged_sb") or row["outcome"])
    rows = result.by_row
    views_month = rows["month"] - 1980 * 12 + 1  # ViEWS month_id
    observed = np.array([deaths[(c, m)] for c, m in zip(rows["country_id"], views_month)])
    history = np.array([[deaths[(c, m)] for m in range(493, 505)] for c in rows["country_id"]])  # 2021
    assert np.allclose(rows["conflictology"], properscoring.crps_ensemble(observed, history))
    assert np.allclose(rows["zero"], properscoring.crps_ensemble(observed, np.zeros_like(observed)))
    assert np.allclose(rows["zero"], observed)  # CRPS of a point forecast of 0 is the absolute error


@pytest.mark.shared_data
def test_the_published_fatalities_evaluation_still_holds(result) -> None:  # noqa: ANN001
    text = (DOCS / "evaluation.md").read_text(encoding="utf-8")
    published = re.search(r"<!-- forecast:fatalities -->\n(.*?)<!-- /forecast:fatalities -->", text, re.S)
    assert published and render_fatalities_markdown(result) == published.group(1)
    assert result.design["test_rows"] == 191 * 12


def test_the_hurdle_model_samples_the_planted_rate_and_repeats_with_its_seed() -> None:
    rng = np.random.default_rng(2)
    n = 4000
    rows = pd.DataFrame({name: rng.random(n) for name in FATALITY_FEATURES})
    any_deaths = rng.random(n) < np.where(rows["log_deaths"] > 0.5, 0.8, 0.1)
    y = np.where(any_deaths, np.rint(np.expm1(3 + 0.5 * rng.standard_normal(n))).clip(1), 0)
    model = HurdleFatalities(samples=500, random_state=7)
    with pytest.raises(InvalidInput, match="fit the model"):
        model.sample(rows)
    draws = model.fit(rows, y).sample(rows)
    hot = rows["log_deaths"].to_numpy() > 0.5
    assert abs((draws[hot] > 0).mean() - 0.8) < 0.05 and abs((draws[~hot] > 0).mean() - 0.1) < 0.05
    assert abs(np.median(np.log1p(draws[draws > 0])) - 3) < 0.2
    assert np.array_equal(draws, HurdleFatalities(samples=500, random_state=7).fit(rows, y).sample(rows))


def test_a_folder_without_actuals_says_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="views_competition_cm/cm_actuals"):
        read_actuals(tmp_path)


@pytest.mark.shared_data
def test_the_fatalities_backtest_command_draws_its_scores(shared_data: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from flashpoint.cli import app

    chart = tmp_path / "crps.svg"
    result = CliRunner().invoke(
        app,
        [
            "backtest",
            "--panel",
            "country-month",
            "--test-start",
            "2022-01",
            "--data-dir",
            str(shared_data),
            "--plot",
            str(chart),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert {r["model"] for r in json.loads(result.output)["scores"]} == {"hurdle", "zero", "conflictology"}
    svg = chart.read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "By horizon" in svg and "hurdle" in svg
