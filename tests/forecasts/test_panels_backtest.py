"""The dyad-year panel and the backtest on the real peacesciencer data."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest

from flashpoint.errors import InvalidInput
from flashpoint.forecasts.backtest import backtest, render_markdown
from flashpoint.forecasts.panels import FEATURES, build_panel

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def panel(shared_data: Path) -> pd.DataFrame:
    return build_panel(data_dir=shared_data)


@pytest.mark.shared_data
def test_targets_and_features_match_the_raw_tables(panel: pd.DataFrame, shared_data: Path) -> None:
    with open(shared_data / "peacesciencer" / "gml_mid_ddydisps.csv", encoding="utf-8") as fh:
        raw = [r for r in csv.DictReader(fh) if float(r["ccode1"]) < float(r["ccode2"])]
    onsets = {
        (int(float(r["ccode1"])), int(float(r["ccode2"])), int(float(r["year"]))) for r in raw if float(r["gmlmidonset"]) == 1
    }
    rows = panel[(panel.year >= 1950) & (panel.year < 2000)]
    expected = {(a, b, y - 1) for a, b, y in onsets if 1951 <= y <= 2000}
    got = set(map(tuple, rows.loc[rows.onset == 1, ["ccode1", "ccode2", "year"]].to_numpy().tolist()))
    present = set(map(tuple, rows[["ccode1", "ccode2", "year"]].to_numpy().tolist()))
    assert got == expected & present and len(got) > 1000
    usa_can = panel[(panel.ccode1 == 2) & (panel.ccode2 == 20) & (panel.year == 1978)].iloc[0]
    assert usa_can.onset == 1 and usa_can.land_border == 1 and usa_can.contiguous == 1  # GML dispute 2968, 1979


@pytest.mark.shared_data
@pytest.mark.slow
@pytest.mark.parametrize("last_year", [1913, 1985])
def test_features_of_a_year_use_nothing_after_it(panel: pd.DataFrame, shared_data: Path, last_year: int) -> None:
    known = build_panel(data_dir=shared_data, last_year=last_year)
    keys = ["ccode1", "ccode2", "year"]
    full = panel[panel.year <= last_year].set_index(keys)[list(FEATURES)].sort_index()
    then = known.set_index(keys)[list(FEATURES)].sort_index()
    assert len(then) == len(full) > 1000
    pd.testing.assert_frame_equal(then, full, check_dtype=False)


@pytest.mark.shared_data
@pytest.mark.slow
def test_the_published_reduced_backtest_still_holds(panel: pd.DataFrame) -> None:
    result = backtest(panel, target="onset", test_start=1986, step=15, first_year=1946)
    [origin] = result.design["origins"]
    assert origin["train_rows"] == int(((panel.year >= 1946) & (panel.year <= 1984) & panel.onset.notna()).sum())
    assert result.predictions["target_year"].between(1986, 2000).all()
    text = (DOCS / "evaluation.md").read_text(encoding="utf-8")
    published = re.search(r"<!-- forecast:reduced -->\n(.*?)<!-- /forecast:reduced -->", text, re.S)
    assert published and render_markdown(result) == published.group(1)


def test_a_folder_without_the_tables_says_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="peacesciencer/cow_states.csv"):
        build_panel(data_dir=tmp_path)
    with pytest.raises(InvalidInput, match="panels built from a data folder"):
        build_panel("country-month", data_dir=tmp_path)
