"""Yearly metrics from recorded measures and military spending, with their sources."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flashpoint.config import Settings
from flashpoint.indicators.compute import compute_indicators
from flashpoint.indicators.metrics import metric_text, yearly_metrics
from flashpoint.indicators.query import IndicatorQuery
from flashpoint.indicators.spending import PUBLICATION_LAG_DAYS
from flashpoint.sources import measures, milex
from flashpoint.store.connection import open_store
from flashpoint.store.ingest import ingest_paths


@pytest.mark.shared_data
def test_measures_and_spending_enter_the_metrics(shared_data: Path, settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "measures.csv").write_text(
        "date,actor,target,measure,source\n"
        "2008-08-12,France,GEO-RUS,ceasefire,Six-point ceasefire agreement (12 Aug 2008)\n"
        "2008-10-01,EU,RUS-GEO,cbm,EU Monitoring Mission in Georgia (Council Joint Action 2008/736/CFSP)\n",
        encoding="utf-8",
    )
    with open_store(settings) as con:
        ingest_paths(con, [str(tmp_path / "measures.csv")], reader=measures)
        ingest_paths(con, [str(shared_data / "sipri_milex" / "milex_Constant_2021_US.csv")], reader=milex)
        frame = yearly_metrics(con, ("GEO", "RUS"), year=2008).set_index("metric")
    assert frame.loc["ceasefires", "value"] == 1
    assert frame.loc["ceasefires", "source"] == "1 measure: Six-point ceasefire agreement (12 Aug 2008)"
    assert frame.loc["cbms", "value"] == 1
    assert frame.loc["military_spending_GEO", "unit"] == "constant 2021 US$ million"
    assert frame.loc["military_spending_GEO", "value"] == pytest.approx(805.546, abs=1e-3)
    assert frame.loc["military_spending_GEO", "source"] == "SIPRI Military Expenditure Database"
    # No event between the two in this store: the counts are no data, not zeros (no data is not calm).
    assert np.isnan(frame.loc["meetings", "value"])
    assert frame.loc["meetings", "source"] == "no data: the store holds no event between GEO and RUS in 2008"
    # Georgia's spending in constant 2021 US$ million: 805.5 in 2008 after 2007's value in the sheet.
    with open(shared_data / "sipri_milex" / "milex_Constant_2021_US.csv", newline="", encoding="utf-8") as fh:
        georgia = next(row for row in csv.DictReader(fh) if row["Country"] == "Georgia")
    growth = float(georgia["2008"]) / float(georgia["2007"]) - 1
    assert frame.loc["military_spending_growth_GEO", "value"] == pytest.approx(100 * growth)
    assert frame.loc["military_spending_growth_GEO", "unit"] == "% change on 2007 (constant 2021 US$ million)"


def test_buildup_reports_the_spending_growth_known_in_its_period(demo_db: Path, tmp_path: Path) -> None:
    shutil.copy(demo_db, tmp_path / "demo.duckdb")  # the demo ingests SIPRI's figures for Georgia and Russia
    monthly = IndicatorQuery(freq="month", dyad=("GEO", "RUS"))
    with open_store(Settings(db=tmp_path / "demo.duckdb", memory_limit="2GB", threads=2)) as con:
        found = compute_indicators(con, monthly)
        metrics = {y: yearly_metrics(con, ("GEO", "RUS"), year=y).set_index("metric")["value"] for y in (2009, 2010, 2011, 2012)}
        con.execute("DELETE FROM milex")
        without = compute_indicators(con, monthly)
    buildup = found[found.indicator == "buildup"].set_index("period")["spending_growth"]
    assert buildup.notna().all() and found.loc[found.indicator != "buildup", "spending_growth"].isna().all()
    lag = dt.timedelta(days=PUBLICATION_LAG_DAYS["sipri"])
    for period, growth in buildup.items():  # the latest growth SIPRI had published by the period's last day
        end = (pd.Timestamp(period) + pd.offsets.MonthEnd(0)).date()
        year = period.year - 1 if dt.date(period.year - 1, 12, 31) + lag <= end else period.year - 2
        known = metrics[year]
        assert 100 * growth == pytest.approx(max(known["military_spending_growth_GEO"], known["military_spending_growth_RUS"]))
    assert buildup[dt.date(2012, 3, 1)] != buildup[dt.date(2012, 4, 1)]  # 2011's figure, published in April 2012
    assert without["spending_growth"].isna().all()
    pd.testing.assert_frame_equal(found.drop(columns="spending_growth"), without.drop(columns="spending_growth"))


def test_values_are_written_as_a_reader_takes_them_in() -> None:
    # Russia's spending in constant 2021 US$ million and its growth, Georgia's, a count, a gap.
    assert metric_text("military_spending_RUS", 59763.2) == "59,763"
    assert metric_text("military_spending_growth_GEO", -9.0613) == "-9.1"
    assert metric_text("military_spending_GEO", 312.615) == "312.6"
    assert metric_text("meetings", 4.0) == "4"
    assert metric_text("military_spending_GEO", float("nan")) == "n/a"
