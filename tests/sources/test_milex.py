"""Military expenditure: SIPRI sheets and COW NMC on the real shared files."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from flashpoint.config import Settings
from flashpoint.sources import milex
from flashpoint.store.connection import open_store
from flashpoint.store.ingest import ingest_paths


def _numeric_cells(path: Path) -> tuple[int, int]:
    """(values, values with no present-day country) in a SIPRI sheet, by the csv module."""
    values = orphans = 0
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            for column, cell in row.items():
                if column and column.isdigit() and cell and cell.strip() not in ("...", "xxx", ". .", ".."):
                    values += 1
                    orphans += row["Country"] in ("", "German Democratic Republic")
    return values, orphans


@pytest.mark.shared_data
def test_sipri_current_dollars_sheet(shared_data: Path, settings: Settings) -> None:
    path = shared_data / "sipri_milex" / "milex_Current_US.csv"
    values, orphans = _numeric_cells(path)
    with open_store(settings) as con:
        [result] = ingest_paths(con, [str(path)], reader=milex)
        georgia = con.execute("SELECT value, unit FROM milex WHERE iso3 = 'GEO' AND year = 2008").fetchone()
        reasons = con.execute("SELECT DISTINCT reason FROM quarantine").fetchall()
        again = ingest_paths(con, [str(path)], reader=milex)
    assert result.rows_read == values
    assert result.rows_quarantined == orphans > 0  # no present-day country to attach them to
    assert result.rows_stored == values - orphans
    assert ("country German Democratic Republic does not resolve to an ISO3 code",) in reasons
    assert georgia[1] == "current US$ million" and georgia[0] == pytest.approx(1090.160, abs=1e-3)
    assert again[0].skipped


@pytest.mark.shared_data
def test_cow_nmc_military_expenditure(shared_data: Path, settings: Settings) -> None:
    path = shared_data / "peacesciencer" / "cow_nmc.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["milex"] not in ("", "NA", "-9", "-9.0")]
    with open_store(settings) as con:
        [result] = ingest_paths(con, [str(path)], reader=milex)
        stored, yemens = con.execute(
            "SELECT count(*), count(DISTINCT country_name) FILTER (WHERE iso3 = 'YEM' AND year = 1980) FROM milex"
        ).fetchone()
    successors = {"240", "245", "265", "267", "269", "271", "273", "275", "280", "329", "332", "335", "337", "817"}
    kept = [r for r in rows if str(int(float(r["ccode"]))) not in successors]
    assert result.rows_quarantined == 0
    assert stored == len(kept) - sum(1 for r in kept if not r["milex"].strip())
    assert yemens == 2  # North and South Yemen both kept, under their successor's ISO3


def test_a_sipri_file_must_say_its_sheet(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "spending.csv"
    path.write_text("Country,Notes,2020\nGeorgia,,300.5\n", encoding="utf-8")
    with open_store(settings) as con, pytest.raises(Exception, match="name it like milex_<sheet>.csv"):
        ingest_paths(con, [str(path)], reader=milex)
