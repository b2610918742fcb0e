"""One indicator definition for every engine: the same Ibis expressions on Spark (local mode)
and on DuckDB give identical results (docs/adr/013)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import ibis
import pandas as pd
import pytest

from flashpoint.indicators.counting import pair_periods
from flashpoint.indicators.query import IndicatorQuery
from flashpoint.indicators.redlines import _crossings, load_rules

# PySpark 4.0's conversion to pandas uses options and keywords that pandas 3 deprecates for
# pandas 4, and Py4J leaves its sockets to the collector; nothing of the project's is concerned.
pytestmark = [
    pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
    pytest.mark.filterwarnings("ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning"),
]

QUERIES = {
    "every pair, weekly": IndicatorQuery(freq="week"),
    "every pair, monthly, up to a day": IndicatorQuery(freq="month", until=dt.date(2012, 8, 20)),
    "every pair, daily": IndicatorQuery(freq="day"),
    "one pair, yearly": IndicatorQuery(freq="year", dyad=("RUS", "GEO")),
    "one direction, weekly": IndicatorQuery(freq="week", dyad=("RUS", "GEO"), directed=True),
    "one country, monthly": IndicatorQuery(freq="month", country="GEO"),
    "listed pairs, weekly": IndicatorQuery(freq="week", pairs=("GEO-RUS", "ARM-AZE", "GEO-USA")),
}


@pytest.fixture(scope="module")
def spark(spark_available):  # noqa: ANN001, ANN201 - a SparkSession
    """Spark in local mode on two cores, as the project's scale-out engine runs on a laptop."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("flashpoint-conformance")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.fixture(scope="module")
def engines(spark, demo_db: Path, tmp_path_factory) -> dict[str, ibis.Table]:  # noqa: ANN001
    """The demo store's events as Parquet, read by each engine with the CAMEO codebook the
    indicators join (a lookup table of the store)."""
    folder = tmp_path_factory.mktemp("conformance")
    with duckdb.connect(str(demo_db), read_only=True) as con:
        for table in ("events", "cameo_codes"):
            con.execute(f"COPY (SELECT * FROM {table} ORDER BY ALL) TO '{folder / table}.parquet' (FORMAT parquet)")
    backends = {"duckdb": ibis.duckdb.connect(), "spark": ibis.pyspark.connect(spark)}
    for backend in backends.values():
        backend.read_parquet(str(folder / "cameo_codes.parquet"), table_name="cameo_codes")
    return {
        engine: backend.read_parquet(str(folder / "events.parquet"), table_name="events") for engine, backend in backends.items()
    }


def _ordered(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys).reset_index(drop=True)


@pytest.mark.parametrize("name", list(QUERIES))
def test_the_indicator_counts_are_identical_on_spark_and_duckdb(engines: dict[str, ibis.Table], name: str) -> None:
    query = QUERIES[name]
    found = {engine: _ordered(pair_periods(events, query).to_pandas(), ["pair", "period"]) for engine, events in engines.items()}
    assert len(found["duckdb"]) > 0 and found["duckdb"]["total"].sum() > 0
    pd.testing.assert_frame_equal(found["spark"], found["duckdb"], check_dtype=False)


def test_the_red_line_crossings_are_identical_on_spark_and_duckdb(engines: dict[str, ibis.Table]) -> None:
    rules = tuple(load_rules(None))
    found = {}
    for engine, events in engines.items():
        frame = _crossings(events, rules, IndicatorQuery(freq="month")).to_pandas()
        frame["event_ids"] = [sorted(ids) for ids in frame["event_ids"]]
        found[engine] = _ordered(frame, ["rule", "pair", "period"])
    assert len(found["duckdb"]) > 0
    pd.testing.assert_frame_equal(found["spark"], found["duckdb"], check_dtype=False)
