"""ICB crises and UCDP conflict terminations on the real shared files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from flashpoint.config import Settings
from flashpoint.sources import crises, terminations
from flashpoint.store.connection import open_store
from flashpoint.store.ingest import ingest_paths


@pytest.mark.shared_data
def test_icb_crises(shared_data: Path, settings: Settings) -> None:
    path = shared_data / "icb_v14" / "icb1v14_system_level.csv"
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    empty = [(line, r["crisno"]) for line, r in enumerate(rows, start=2) if not r["yrtrig"]]
    with open_store(settings) as con:
        [result] = ingest_paths(con, [str(path)], reader=crises)
        first = con.execute(
            "SELECT name, start_date, start_day_known, end_date, violence, attributes FROM crises WHERE crisis_id = 1"
        ).fetchone()
        quarantined = con.execute("SELECT line_number, reason FROM quarantine").fetchall()
    assert empty == [(475, "474")]
    assert (result.rows_read, result.rows_stored, result.rows_quarantined) == (len(rows), len(rows) - 1, 1)
    assert first[0] == "RUSSIAN CIVIL WAR I" and first[1].isoformat() == "1918-05-01" and first[2] is False
    assert first[3].isoformat() == "1920-04-01" and first[4] == int(rows[0]["viol"])
    assert json.loads(first[5])["gpinv"] == rows[0]["gpinv"]  # the whole row is kept
    assert quarantined == [(475, "the trigger date (yrtrig, motrig) is not a date")]


@pytest.mark.shared_data
def test_ucdp_conflict_terminations(shared_data: Path, settings: Settings) -> None:
    path = shared_data / "ucdp_misc" / "ucdp_conflict_termination_v3_2021.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    ended = sum(1 for r in rows if r["ependdate"])
    with open_store(settings) as con:
        [result] = ingest_paths(con, [str(path)], reader=terminations)
        counts = con.execute("SELECT count(*), count(end_date), count(DISTINCT episode_id) FROM terminations").fetchone()
        bolivia = con.execute(
            "SELECT side_b, location_iso3, end_date, outcome_label, recurred FROM terminations WHERE episode_id = 20002"
        ).fetchone()
    assert result.rows_stored == len(rows) and result.rows_quarantined == 0
    assert counts == (len(rows), ended, len({r["conflictep_id"] for r in rows}))
    assert bolivia[0] == "MNR" and bolivia[1] == "BOL" and bolivia[2].isoformat() == "1952-04-12"
    assert bolivia[3:] == ("victory for side B", True)
