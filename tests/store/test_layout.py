"""The events' layout by pair: every row kept, the table's definition kept, laid out again when due."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from flashpoint.config import Settings
from flashpoint.refresh import settle
from flashpoint.sources import gdelt
from flashpoint.store.connection import open_store
from flashpoint.store.ingest import ingest_paths
from flashpoint.store.layout import LAID_OUT, lay_out_events, lay_out_if_due

ALL_ROWS = "SELECT * FROM events ORDER BY event_id"


def _rows_by_rowid(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT pair, event_date, event_id FROM events ORDER BY rowid").fetchall()


def _ingest(con: duckdb.DuckDBPyConnection, settings: Settings, path: Path) -> None:
    results = ingest_paths(con, [str(path)], reader=gdelt)
    settle(con, settings, ingest_ids=[r.ingest_id for r in results if r.ingest_id is not None])


def test_the_first_ingest_lays_the_events_out_by_pair_and_keeps_every_row(
    settings: Settings, tmp_path: Path, gdelt2_lines: list[str]
) -> None:
    path = tmp_path / "a.tsv"
    path.write_text("\n".join(gdelt2_lines) + "\n")
    with open_store(settings) as con:
        _ingest(con, replace(settings, layout_share=1.0), path)  # a share of 1: never due
        before = con.execute(ALL_ROWS).fetchall()
        stored_order = _rows_by_rowid(con)
    with open_store(settings) as con:
        assert lay_out_if_due(con, settings)  # nothing was laid out yet
        after, laid_out = con.execute(ALL_ROWS).fetchall(), _rows_by_rowid(con)
        assert not lay_out_if_due(con, settings)  # nothing appended since
        count = int(con.execute("SELECT value FROM store_meta WHERE key = ?", [LAID_OUT]).fetchall()[0][0])
        clusters = con.execute("SELECT sum(rows) FROM clusters").fetchall()[0][0]
    assert after == before and count == len(before) == 10
    assert laid_out != stored_order  # the file's order is not the pairs' (NULL pairs last)
    assert laid_out == sorted(laid_out, key=lambda r: (r[0] is None, r[0] or "", r[1], r[2]))
    assert clusters == 10  # the view over events still reads it


def test_the_table_keeps_its_definition_and_a_failed_layout_changes_nothing(settings: Settings) -> None:
    with open_store(settings) as con:
        definition = con.execute("SELECT sql FROM duckdb_tables() WHERE table_name = 'events'").fetchall()
        con.execute("CREATE TABLE events_laid_out (x INTEGER)")  # the name the layout writes to is taken
        with pytest.raises(duckdb.CatalogException):
            lay_out_events(con)
        con.execute("DROP TABLE events_laid_out")
        lay_out_events(con)
        assert con.execute("SELECT sql FROM duckdb_tables() WHERE table_name = 'events'").fetchall() == definition
        with pytest.raises(duckdb.ConstraintException):
            con.execute("INSERT INTO events (event_id) VALUES ('x')")  # NOT NULL columns still required


def test_the_events_are_laid_out_again_when_the_rows_appended_exceed_the_share(
    settings: Settings, tmp_path: Path, gdelt2_lines: list[str]
) -> None:
    first, second = tmp_path / "a.tsv", tmp_path / "b.tsv"
    first.write_text("\n".join(gdelt2_lines[:8]) + "\n")
    second.write_text("\n".join(gdelt2_lines[8:]) + "\n")
    with open_store(replace(settings, layout_share=0.5)) as con:
        _ingest(con, replace(settings, layout_share=0.5), first)  # 8 rows, none laid out: due
        assert con.execute("SELECT value FROM store_meta WHERE key = ?", [LAID_OUT]).fetchall() == [("8",)]
        _ingest(con, replace(settings, layout_share=0.5), second)  # 2 of 10 appended: not due
        assert con.execute("SELECT value FROM store_meta WHERE key = ?", [LAID_OUT]).fetchall() == [("8",)]
        assert lay_out_if_due(con, replace(settings, layout_share=0.1))  # 2 of 10 exceed a tenth
        assert con.execute("SELECT value FROM store_meta WHERE key = ?", [LAID_OUT]).fetchall() == [("10",)]


def test_the_stored_weeks_are_laid_out_with_the_events(settings: Settings, tmp_path: Path, gdelt2_lines: list[str]) -> None:
    weeks_by_rowid = "SELECT pair, period FROM pair_weeks ORDER BY rowid"
    never = replace(settings, layout_share=1.0)
    row = gdelt2_lines[9].split("\t")  # Egypt and Saudi Arabia consult (043)
    earlier = "\t".join([str(int(row[0]) + 1), *row[1:7], "AFG", *row[8:17], "USA", *row[18:]])  # AFG-USA
    (tmp_path / "a.tsv").write_text("\n".join(gdelt2_lines) + "\n")
    (tmp_path / "b.tsv").write_text(earlier + "\n")
    with open_store(settings) as con:
        _ingest(con, never, tmp_path / "a.tsv")
        _ingest(con, never, tmp_path / "b.tsv")  # its pairs' weeks are appended
        weeks = con.execute("SELECT * FROM pair_weeks ORDER BY pair, period").fetchall()
        appended = con.execute(weeks_by_rowid).fetchall()
        lay_out_events(con)
        laid_out = con.execute(weeks_by_rowid).fetchall()
        assert con.execute("SELECT * FROM pair_weeks ORDER BY pair, period").fetchall() == weeks
    assert appended != sorted(appended) and laid_out == sorted(appended)
