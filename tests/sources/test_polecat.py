"""POLECAT reader: PLOVER types (and FIGHT modes) to CAMEO, ISO3 countries, quarantine."""

from __future__ import annotations

from pathlib import Path

from flashpoint.config import Settings
from flashpoint.sources import polecat
from flashpoint.store.connection import open_store
from flashpoint.store.ingest import ingest_paths

HEADER = [
    "Event ID",
    "Event Date",
    "Event Type",
    "Event Mode",
    "Intensity",
    "Quad Code",
    "Contexts",
    "Actor Name",
    "Actor Country",
    "Actor COW",
    "Primary Actor Sector",
    "Actor Sectors",
    "Actor Title",
    "Actor Name Raw",
    "Wikipedia Actor ID",
    "Recipient Name",
    "Recipient Country",
    "Recipient COW",
    "Primary Recipient Sector",
    "Recipient Sectors",
    "Recipient Title",
    "Recipient Name Raw",
    "Wikipedia Recipient ID",
    "Placename",
    "City",
    "State",
    "Country",
    "Latitude",
    "Longitude",
    "GeoNames ID",
    "Raw Placename",
    "Feature Type",
    "Source",
    "Publication Date",
    "Story People",
    "Story Organizations",
    "Story Locations",
    "Language",
    "Version",
]


def _row(**values: str) -> str:
    return "\t".join(values.get(name, "") for name in HEADER)


def test_polecat_rows(settings: Settings, tmp_path: Path) -> None:
    # Constructed in POLECAT's layout; the events restate widely reported ones of 2022.
    rows = [
        _row(
            **{
                "Event ID": "p1",
                "Event Date": "2022-10-10",
                "Event Type": "FIGHT",
                "Event Mode": "aerial",
                "Actor Name": "Russian Armed Forces",
                "Actor Country": "RUS",
                "Primary Actor Sector": "Military",
                "Recipient Name": "Kyiv",
                "Recipient Country": "UKR",
                "Country": "UKR",
                "Latitude": "50.45",
                "Longitude": "30.52",
                "Source": "Reuters",
                "Publication Date": "2022-10-10",
            }
        ),
        _row(
            **{
                "Event ID": "p2",
                "Event Date": "2022-09-21",
                "Event Type": "MOBILIZE",
                "Actor Name": "Vladimir Putin",
                "Actor Country": "Russia",
                "Primary Actor Sector": "Government",
                "Recipient Country": "UKR",
                "Source": "AP",
            }
        ),
        _row(**{"Event ID": "p3", "Event Date": "2022-09-21", "Event Type": "WOBBLE", "Actor Country": "RUS"}),
    ]
    path = tmp_path / "ngec_coded_all_2022-10-10.txt"
    path.write_text("\t".join(HEADER) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with open_store(settings) as con:
        [result] = ingest_paths(con, [str(path)], reader=polecat)
        stored = con.execute(
            "SELECT event_id, actor1_iso3, actor1_type, actor2_iso3, cameo_code, goldstein, "
            "date_added IS NOT NULL FROM events ORDER BY event_id"
        ).fetchall()
        reason = con.execute("SELECT line_number, reason FROM quarantine").fetchone()
    assert (result.rows_stored, result.rows_quarantined) == (2, 1)
    assert stored == [
        ("polecat:p1", "RUS", "MIL", "UKR", "195", -10.0, True),
        ("polecat:p2", "RUS", "GOV", "UKR", "154", -7.2, False),
    ]
    assert reason == (4, "Event Type WOBBLE is not a PLOVER event type")
