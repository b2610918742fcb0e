"""The measures table: a generic CSV of sanctions, ceasefires, mediation, hotlines..."""

from __future__ import annotations

from pathlib import Path

import duckdb
from typer.testing import CliRunner

from flashpoint.cli import app
from flashpoint.config import Settings
from flashpoint.sources import measures
from flashpoint.store.connection import open_store
from flashpoint.store.ingest import ingest_paths

# Real measures, with their public sources; rows 5-8 are malformed on purpose.
TABLE = """date,actor,target,measure,source,end_date,note
2008-08-12,France,GEO-RUS,ceasefire,"Six-point ceasefire agreement brokered by the French EU presidency, 12 Aug 2008",,
2008-10-01,EU,GEO,peacekeeping,"Council Joint Action 2008/736/CFSP (EU Monitoring Mission in Georgia)",,
2014-03-17,EU,RUS,sanction,"Council Decision 2014/145/CFSP",,
2015-02-12,OSCE,RUS-UKR,ceasefire,"Package of Measures for the Implementation of the Minsk Agreements, 12 Feb 2015",,
2015-02-30,OSCE,RUS-UKR,ceasefire,a source,,bad date
2015-02-12,OSCE,RUS-UKR,handshake,a source,,unknown measure type
2015-02-12,OSCE,Atlantis,talks,a source,,unknown country
2015-02-12,OSCE,RUS-UKR,talks,,,no source
"""


def test_measures_are_stored_and_bad_rows_quarantined(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "measures.csv"
    path.write_text(TABLE, encoding="utf-8")
    with open_store(settings) as con:
        [result] = ingest_paths(con, [str(path)], reader=measures)
        rows = con.execute("SELECT actor_iso3, target_iso3, target2_iso3, measure FROM measures ORDER BY date").fetchall()
        reasons = con.execute("SELECT line_number, reason FROM quarantine ORDER BY line_number").fetchall()
    assert (result.rows_stored, result.rows_quarantined) == (4, 4)
    assert rows == [
        ("FRA", "GEO", "RUS", "ceasefire"),
        (None, "GEO", None, "peacekeeping"),
        (None, "RUS", None, "sanction"),
        (None, "RUS", "UKR", "ceasefire"),
    ]
    assert reasons == [
        (6, "date 2015-02-30 is not a date (YYYY-MM-DD)"),
        (7, "measure handshake is not a known measure type"),
        (8, "target Atlantis is not a country or pair"),
        (9, "source is empty: every measure needs its citation"),
    ]


def test_the_ingest_command_stores_measures_and_reports_the_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "measures.csv"
    path.write_text(TABLE, encoding="utf-8")
    db = tmp_path / "cli.duckdb"
    result = CliRunner().invoke(app, ["--db", str(db), "ingest", "measures", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"4 measures stored in {db}; 4 rows quarantined" in result.output
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM measures").fetchall() == [(4,)]


def test_rows_the_csv_reader_rejects_are_quarantined_in_plain_words(settings: Settings, tmp_path: Path) -> None:
    good = "2014-03-17,EU,RUS,sanction,Council Decision 2014/145/CFSP,,"
    path = tmp_path / "measures.csv"
    path.write_bytes(
        "\n".join(
            [
                "date,actor,target,measure,source,end_date,note",
                good,
                "2014-03-17,EU,RUS,sanction",
                good + ",extra",
            ]
        ).encode()
        + b"\n2014-03-17,EU,RUS,sanction,\xff\xfe,,\n"
        + f'{good}\n2015-02-12,OSCE,RUS-UKR,ceasefire,"Minsk II,,\n{good}\n'.encode()
    )
    with open_store(settings) as con:
        [result] = ingest_paths(con, [str(path)], reader=measures)
        reasons = con.execute("SELECT line_number, reason, raw_line FROM quarantine ORDER BY line_number").fetchall()
    assert [(line, reason) for line, reason, _ in reasons] == [
        (3, "too few columns: 4 where the file has 7"),
        (4, "too many columns: 8 where the file has 7"),
        (5, "bytes that are not UTF-8 text"),
        (
            7,
            "a quote that is not closed where its value ends: the row runs on to the next quote in the file "
            "(the raw line shows how far); fix the quote and ingest the file again",
        ),
    ]
    assert reasons[-1][2].endswith(good)  # the row it swallowed is kept in the raw line
    # Read: lines 2-7; the good row of line 6 repeats line 2's measure.
    assert (result.rows_read, result.rows_stored, result.rows_duplicate, result.rows_quarantined) == (6, 1, 1, 4)
