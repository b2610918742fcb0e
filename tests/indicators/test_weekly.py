"""The stored weekly pair aggregates give the same indicators as counting the events."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from flashpoint.config import Settings
from flashpoint.indicators.compute import _in_order, _listed_sql, compute_indicators, indicator_table
from flashpoint.indicators.query import IndicatorQuery
from flashpoint.indicators.weekly import stored_weeks_sql, weeks_current
from flashpoint.refresh import settle
from flashpoint.sources import gdelt
from flashpoint.store.connection import open_store
from flashpoint.store.ingest import ingest_paths
from flashpoint.store.schema import WEEKLY_STATE

DATA = Path(__file__).resolve().parents[1] / "data"
WEEKLY = IndicatorQuery(freq="week", dyad=("RUS", "GEO"))
EVERY_PAIR = IndicatorQuery(freq="week")


def _stored_in_order(con) -> bool:  # noqa: ANN001 - a DuckDB connection
    """Whether every pair's stored weeks lie in pair and period order (read without sorting)."""
    stored = stored_weeks_sql(con, EVERY_PAIR, "events")
    return _in_order(con.sql(_listed_sql(stored, EVERY_PAIR, ordered=False)).to_arrow_table())


def _sorted_by_pair_and_period(con) -> bool:  # noqa: ANN001 - a DuckDB connection
    """Whether every pair's weekly indicators come sorted by pair and period, as promised."""
    frame = indicator_table(con, EVERY_PAIR).select(["pair", "period"]).to_pandas()
    return frame.equals(frame.sort_values(["pair", "period"], ignore_index=True))


def _counted_from_events(con, query: IndicatorQuery) -> pd.DataFrame:  # noqa: ANN001 - a DuckDB connection
    """The indicators with the stored weeks set aside (as for a store they do not reflect)."""
    state = con.execute("SELECT value FROM store_meta WHERE key = ?", [WEEKLY_STATE]).fetchall()
    con.execute("DELETE FROM store_meta WHERE key = ?", [WEEKLY_STATE])
    try:
        assert stored_weeks_sql(con, query, "events") is None
        return compute_indicators(con, query)
    finally:
        con.execute("INSERT INTO store_meta VALUES (?, ?)", [WEEKLY_STATE, state[0][0]])


@pytest.fixture
def demo_copy(demo_db: Path, tmp_path: Path) -> Settings:
    shutil.copy(demo_db, tmp_path / "demo.duckdb")
    return Settings(db=tmp_path / "demo.duckdb", memory_limit="2GB", threads=2)


def test_a_pairs_weeks_are_read_from_the_store_and_match_the_events(demo_copy: Settings) -> None:
    with open_store(demo_copy) as con:
        assert stored_weeks_sql(con, WEEKLY, "events") is not None  # the demo's ingest stored them
        stored = compute_indicators(con, WEEKLY)
        assert stored["period"].nunique() > 52 and stored["z"].notna().any()
        pd.testing.assert_frame_equal(stored, _counted_from_events(con, WEEKLY))
        # Every pair's weeks, as the demo's one ingest stored them in order, are read without sorting.
        assert _stored_in_order(con) and _sorted_by_pair_and_period(con)
        pd.testing.assert_frame_equal(compute_indicators(con, EVERY_PAIR), _counted_from_events(con, EVERY_PAIR))
        # A month, an end date or a directed pair is counted from the events.
        for other in (
            IndicatorQuery(freq="month", dyad=("GEO", "RUS")),
            IndicatorQuery(freq="week", dyad=("GEO", "RUS"), until=pd.Timestamp("2012-06-30").date()),
            IndicatorQuery(freq="week", dyad=("GEO", "RUS"), directed=True),
        ):
            assert stored_weeks_sql(con, other, "events") is None


def test_new_events_refresh_their_pairs_weeks_and_other_writes_are_not_trusted(demo_copy: Settings) -> None:
    every_pair = EVERY_PAIR
    with open_store(demo_copy) as con:
        [result] = ingest_paths(con, [str(DATA / "gdelt2_export_20170701234500_head.tsv")], reader=gdelt)
        assert stored_weeks_sql(con, every_pair, "events") is None  # stored, not settled yet
        settle(con, demo_copy, ingest_ids=[result.ingest_id])
        assert stored_weeks_sql(con, every_pair, "events") is not None
        new_pairs = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT pair FROM events WHERE ingest_id = ? AND pair IS NOT NULL", [result.ingest_id]
            ).fetchall()
        ]
        assert new_pairs
        assert not _stored_in_order(con)  # the new pairs' weeks were appended: sorted when read
        assert _sorted_by_pair_and_period(con)
        stored = compute_indicators(con, every_pair)
        assert set(new_pairs) <= set(stored["pair"])
        pd.testing.assert_frame_equal(stored, _counted_from_events(con, every_pair))
        con.execute("INSERT INTO events SELECT * REPLACE ('copy:' || event_id AS event_id) FROM events LIMIT 1")
        assert stored_weeks_sql(con, every_pair, "events") is None


def test_events_a_crash_left_unclustered_are_settled_by_the_next_ingest(demo_copy: Settings) -> None:
    from typer.testing import CliRunner

    from flashpoint.cli import app

    path = str(DATA / "gdelt2_export_20170701234500_head.tsv")
    with open_store(demo_copy) as con:
        ingest_paths(con, [path], reader=gdelt)  # committed, then the process died before settling
        assert con.execute("SELECT count(*) FROM events WHERE cluster_id IS NULL").fetchone()[0] == 10
        assert not weeks_current(con)
    again = CliRunner().invoke(app, ["--db", str(demo_copy.db), "ingest", "gdelt", path], env={"COLUMNS": "200"})
    assert again.exit_code == 0 and "1 file skipped" in again.output  # the file is not read twice
    with open_store(demo_copy, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM events WHERE cluster_id IS NULL").fetchone()[0] == 0
        assert weeks_current(con)  # and the indicators count them
