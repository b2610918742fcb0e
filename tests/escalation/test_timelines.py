"""The stored pair timelines answer exactly what computing them gives, and only when they may."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from flashpoint.config import Settings
from flashpoint.escalation import timelines
from flashpoint.escalation.ladder import ladder_frame, pair_ladder
from flashpoint.escalation.timelines import (
    STATE,
    TABLE,
    read_into_memory,
    timelines_current,
    timelines_json,
    weekly_timeline,
)
from flashpoint.refresh import settle
from flashpoint.sources import gdelt
from flashpoint.store.connection import open_store
from flashpoint.store.ingest import ingest_paths

DATA = Path(__file__).resolve().parents[1] / "data"
SINCE = dt.date(2012, 6, 1)


@pytest.fixture
def demo_copy(demo_db: Path, tmp_path: Path) -> Settings:
    shutil.copy(demo_db, tmp_path / "demo.duckdb")
    return Settings(db=tmp_path / "demo.duckdb", memory_limit="2GB", threads=2)


def _computed(con, settings: Settings, pairs: tuple[str, ...], since: dt.date | None) -> dict[str, str]:  # noqa: ANN001
    """The answers with the stored timelines set aside (as for a store they do not reflect)."""
    state = con.execute("SELECT value FROM store_meta WHERE key = ?", [STATE]).fetchall()
    con.execute("DELETE FROM store_meta WHERE key = ?", [STATE])
    try:
        assert not timelines_current(con, settings)
        return timelines_json(con, settings, pairs, freq="week", since=since)
    finally:
        con.execute("INSERT INTO store_meta VALUES (?, ?)", [STATE, state[0][0]])


def _same(stored: dict[str, str], computed: dict[str, str]) -> None:
    assert stored.keys() == computed.keys()
    for pair in stored:
        got, want = json.loads(stored[pair]), json.loads(computed[pair])
        assert len(got) == len(want), pair
        for row, expected in zip(got, want):
            assert row.keys() == expected.keys()
            for key, value in row.items():
                assert value == (
                    pytest.approx(expected[key], rel=1e-12, abs=1e-12) if isinstance(value, float) else expected[key]
                ), (pair, row["period"], key)


def test_the_stored_timelines_answer_as_computed_and_as_the_ladder(demo_copy: Settings) -> None:
    with open_store(demo_copy) as con:
        assert timelines_current(con, demo_copy)  # the demo's ingest stored them
        busiest = tuple(
            r[0]
            for r in con.execute(
                "SELECT pair FROM events WHERE pair IS NOT NULL GROUP BY pair ORDER BY count(*) DESC LIMIT 6"
            ).fetchall()
        )
        pairs = tuple(dict.fromkeys((*busiest, "GEO-RUS", "ABW-ZWE")))  # ABW-ZWE has no events: an empty timeline
        for since in (None, SINCE):
            stored = timelines_json(con, demo_copy, pairs, freq="week", since=since)
            _same(stored, _computed(con, demo_copy, pairs, since))
            assert stored["ABW-ZWE"] == "[]"
        every = [row for pair in pairs for row in json.loads(timelines_json(con, demo_copy, pairs, freq="week")[pair])]
        assert sum(r["change_point"] for r in every) > 0 and len({r["stage"] for r in every}) > 1  # not trivial
        ladder = pair_ladder(con, demo_copy, "GEO-RUS", freq="week", since=SINCE)
        rows = json.loads(stored["GEO-RUS"])
        assert [r["period"] for r in rows] == [p.isoformat() for p in ladder["period"]]
        assert [r["escalation_index"] for r in rows] == pytest.approx(list(ladder["escalation_index"]))
        assert [r["change_point"] for r in rows] == list(ladder["change_point"])


def test_new_events_refresh_their_pairs_timelines(demo_copy: Settings) -> None:
    with open_store(demo_copy) as con:
        [result] = ingest_paths(con, [str(DATA / "gdelt2_export_20170701234500_head.tsv")], reader=gdelt)
        assert not timelines_current(con, demo_copy)  # stored, not settled yet
        settle(con, demo_copy, ingest_ids=[result.ingest_id])
        assert timelines_current(con, demo_copy)
        touched = tuple(
            r[0]
            for r in con.execute(
                "SELECT DISTINCT pair FROM events WHERE ingest_id = ? AND pair IS NOT NULL ORDER BY pair", [result.ingest_id]
            ).fetchall()
        )
        assert touched
        stored = timelines_json(con, demo_copy, (*touched, "GEO-RUS"), freq="week")
        assert all(json.loads(stored[p]) for p in touched)
        _same(stored, _computed(con, demo_copy, (*touched, "GEO-RUS"), None))
        con.execute("INSERT INTO events SELECT * REPLACE ('copy:' || event_id AS event_id) FROM events LIMIT 1")
        assert not timelines_current(con, demo_copy)  # a store changed some other way is computed from


def test_other_settings_or_an_end_date_are_computed_not_read(demo_copy: Settings) -> None:
    other = replace(demo_copy, alert_baseline_periods=8, ladder_min_incidents=1.0)
    with open_store(demo_copy) as con:
        assert timelines_current(con, demo_copy) and not timelines_current(con, other)
        answer = json.loads(timelines_json(con, other, ("GEO-RUS",), freq="week", since=SINCE)["GEO-RUS"])
        ladder = pair_ladder(con, other, "GEO-RUS", freq="week", since=SINCE)
        assert [r["stage"] for r in answer] == list(ladder["stage"])
        assert [r["stage"] for r in answer] != [
            r["stage"] for r in json.loads(timelines_json(con, demo_copy, ("GEO-RUS",), freq="week", since=SINCE)["GEO-RUS"])
        ]
        until = dt.date(2012, 12, 31)
        ended = json.loads(timelines_json(con, demo_copy, ("GEO-RUS",), freq="week", until=until)["GEO-RUS"])
        assert ended[-1]["period"] <= until.isoformat()


def test_a_failed_build_leaves_the_stored_timelines_as_they_were(demo_copy: Settings, monkeypatch) -> None:  # noqa: ANN001
    with open_store(demo_copy) as con:
        before = con.execute(f"SELECT * FROM {TABLE} ORDER BY pair, period").fetchall()
        state = con.execute("SELECT value FROM store_meta WHERE key = ?", [STATE]).fetchall()
        calls = []

        def failing(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - ladder_frame's signature
            calls.append(args[2])
            if len(calls) > 2:  # the empty frame, one chunk, then a failure
                raise RuntimeError("interrupted")
            return ladder_frame(*args, **kwargs)

        monkeypatch.setattr(timelines, "CHUNK", 3)
        monkeypatch.setattr(timelines, "ladder_frame", failing)
        with pytest.raises(RuntimeError):
            timelines.refresh_timelines(con, demo_copy)
        assert len(calls) == 3
        assert con.execute(f"SELECT * FROM {TABLE} ORDER BY pair, period").fetchall() == before
        assert con.execute("SELECT value FROM store_meta WHERE key = ?", [STATE]).fetchall() == state
        assert timelines_current(con, demo_copy)


def test_the_stored_numbers_are_not_run_length_encoded(demo_copy: Settings) -> None:
    """Run-length encoding makes reading one pair's rows step through a whole segment (ADR 018)."""
    with open_store(demo_copy) as con:
        timelines.refresh_timelines(con, demo_copy)
        con.execute("CHECKPOINT")
        used = {r[0] for r in con.execute(f"SELECT DISTINCT compression FROM pragma_storage_info('{TABLE}')").fetchall()}
        assert "RLE" not in used and {"ALP", "BitPacking"} <= used


def test_the_server_reads_the_stored_timelines_into_memory_when_they_answer_and_fit(demo_copy: Settings, monkeypatch) -> None:  # noqa: ANN001
    with open_store(demo_copy) as con:
        assert read_into_memory(con, demo_copy)
        monkeypatch.setattr(timelines, "MEMORY_SHARE", 1e-4)  # 1.3 MB are more than 1e-4 of 2 GB
        assert not read_into_memory(con, demo_copy)
        monkeypatch.undo()
        con.execute("DELETE FROM store_meta WHERE key = ?", [STATE])
        assert not read_into_memory(con, demo_copy)  # they would not be read


def test_a_pairs_stored_timeline_is_its_ladder(demo_copy: Settings) -> None:
    """The dashboard's pair page reads the stored rows: the same frame as the computed ladder."""
    with open_store(demo_copy) as con:
        for pair in ("GEO-RUS", "RUS-USA", "ABW-ZWE"):
            pd.testing.assert_frame_equal(weekly_timeline(con, demo_copy, pair), pair_ladder(con, demo_copy, pair, freq="week"))
        con.execute("DELETE FROM pair_timelines WHERE pair = 'GEO-RUS'")  # what is read, while current
        assert weekly_timeline(con, demo_copy, "GEO-RUS").empty


@pytest.mark.shared_data
def test_a_batch_that_changes_the_stores_gaps_rebuilds_every_pairs_timeline(shared_data: Path, tmp_path: Path) -> None:
    """Four Georgia GDELT months of 2011–2012 and a GDELT day of 2016 leave the years between as gaps
    of the source; ICEWS rows of 2012 then end some of them (GDELT no longer carries the store
    there): the timelines of pairs the new rows do not touch change too, and must equal the
    timelines computed at once."""
    from flashpoint.refresh import ingest_files
    from flashpoint.sources import icews
    from flashpoint.store.coverage import gap_periods

    gdelt1 = [str(shared_data / "gdelt1_georgia_2011_2013" / f"{n}.csv") for n in ("aug2011", "nov2011", "mar2012", "aug2012")]
    gdelt1.append(str(shared_data / "gdelt_raw_samples" / "gdelt1_daily_20160728_sample_reed9999.tsv"))
    rows = (shared_data / "icews_events_2012_2015" / "icews05-15_2012-08-07_to_2014-06-16.tsv").read_text(encoding="utf-8")
    (tmp_path / "icews.tsv").write_text("".join(rows.splitlines(keepends=True)[:10_000]), encoding="utf-8")
    settings = Settings(db=tmp_path / "store.duckdb", threads=2)
    with open_store(settings) as con:
        ingest_files(con, settings, gdelt1, reader=gdelt)
        gaps_before = gap_periods(con, "week")
        ingest_files(con, settings, [str(tmp_path / "icews.tsv")], reader=icews)
        assert len(gap_periods(con, "week")) < len(gaps_before)
        kept = con.execute(f"SELECT * FROM {TABLE} ORDER BY pair, period").fetchall()
        timelines._store(con, settings, None)
        assert con.execute(f"SELECT * FROM {TABLE} ORDER BY pair, period").fetchall() == kept
