"""ACLED and UCDP readers on the real shared files, and their malformed rows."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from flashpoint.config import Settings
from flashpoint.sources import acled, ucdp
from flashpoint.store.connection import open_store
from flashpoint.store.ingest import ingest_paths

ACLED_HEADER = (
    "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,"
    "assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,iso,region,country,"
    "admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,notes,"
    "fatalities,tags,timestamp"
)


def _distinct(path: Path, key: str) -> set[str]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {row[key] for row in csv.DictReader(fh)}


@pytest.mark.shared_data
def test_acled_exports_store_every_distinct_event(shared_data: Path, settings: Settings) -> None:
    files = sorted((shared_data / "acled_acledR").glob("acled_old*.csv"))
    expected = set().union(*(_distinct(f, "event_id_cnty") for f in files))
    with open_store(settings) as con:
        results = ingest_paths(con, [str(f) for f in files], reader=acled)
        stored = con.execute("SELECT count(*), count(DISTINCT event_id) FROM events WHERE coding = 'human'").fetchone()
        invasion = con.execute(
            "SELECT actor1_iso3, actor1_type, actor2_iso3, cameo_code, goldstein, location_iso3, num_sources "
            "FROM events WHERE event_id = 'acled:UKR52237'"
        ).fetchone()
        again = ingest_paths(con, [str(f) for f in files], reader=acled)
    assert len(expected) == 9_316
    assert stored == (9_316, 9_316)
    assert sum(r.rows_quarantined for r in results) == 0
    # 25 February 2022: Russian forces clash with Ukrainian forces (ACLED "Battles / Armed clash").
    assert invasion == ("RUS", "MIL", "UKR", "190", -10.0, "UKR", 1)
    assert all(r.skipped for r in again)


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("folder", "name", "events"),
    [
        ("ucdp_ged_syria", "ucdp_ged191_syria.csv", 16_566),
        ("ucdp_misc", "ucdp_ged_ethiopia_extract.csv", 3_808),
    ],
)
def test_ucdp_ged_files_store_every_event(shared_data: Path, settings: Settings, folder: str, name: str, events: int) -> None:
    path = shared_data / folder / name
    assert len(_distinct(path, "id")) == events  # the files hold quoted line breaks: rows ≠ lines
    with open_store(settings) as con:
        [result] = ingest_paths(con, [str(path)], reader=ucdp)
        unresolved_governments = con.execute(
            "SELECT count(*) FROM events WHERE actor1_type = 'GOV' AND actor1_iso3 IS NULL"
        ).fetchone()[0]
        estimates = con.execute("SELECT sum(fatalities_low), sum(fatalities), sum(fatalities_high) FROM events").fetchone()
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    expected = tuple(sum(int(float(r[k])) for r in rows) for k in ("low", "best", "high"))
    assert (result.rows_stored, result.rows_quarantined) == (events, 0)
    assert unresolved_governments == 0
    assert estimates == expected  # UCDP's estimates as published (some rows have low > best)


@pytest.mark.shared_data
def test_ucdp_interstate_side_resolves_both_states(shared_data: Path, settings: Settings) -> None:
    path = shared_data / "ucdp_misc" / "ucdp_ged_ethiopia_extract.csv"
    with open_store(settings) as con:
        ingest_paths(con, [str(path)], reader=ucdp)
        row = con.execute(
            "SELECT actor1_iso3, actor2_iso3, actor2_type, cameo_code, fatalities, fatalities_high "
            "FROM events WHERE event_id = 'ucdp:20477'"
        ).fetchone()
    # Eritrean government forces kill civilians in Ethiopia (one-sided violence).
    assert row == ("ERI", "ETH", "CVL", "180", 0, 13)


def test_malformed_acled_rows_are_quarantined_with_line_and_reason(settings: Settings, tmp_path: Path) -> None:
    good = (
        "UKR1,2022-02-24,2022,1,Political violence,Battles,Armed clash,Military Forces of Russia (2000-),,8,"
        "Military Forces of Ukraine (2019-),,1,18,,804,Europe,Ukraine,Kharkiv,,,Kharkiv,49.99,36.23,1,"
        'Reuters; BBC,International,"Fighting, with notes\nover two lines",3,,1646000000'
    )
    rows = [
        good,
        good.replace("UKR1,2022-02-24", "UKR2,2022-02-31"),
        good.replace("UKR1,", "UKR3,").replace("Armed clash", "Dance-off"),
        good.replace("UKR1,", "UKR4,").replace(",3,,1646000000", ",many,,1646000000"),
        "UKR5,2022-02-24,too,few",
    ]
    path = tmp_path / "acled.csv"
    path.write_text(ACLED_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with open_store(settings) as con:
        [result] = ingest_paths(con, [str(path)], reader=acled)
        stored = con.execute(
            "SELECT event_id, actor1_iso3, actor2_iso3, fatalities, num_sources, date_added FROM events"
        ).fetchall()
        quarantined = con.execute("SELECT line_number, raw_line, reason FROM quarantine ORDER BY line_number").fetchall()
    assert (result.rows_read, result.rows_stored, result.rows_quarantined) == (5, 1, 4)
    assert stored[0][:5] == ("acled:UKR1", "RUS", "UKR", 3, 2)
    # Physical lines: the header is line 1 and every good-looking row spans two lines (quoted line break).
    assert [line for line, _, _ in quarantined] == [4, 6, 8, 10]
    assert [raw.split(",", 1)[0] for _, raw, _ in quarantined] == ["UKR2", "UKR3", "UKR4", "UKR5"]
    reasons = " | ".join(r for _, _, r in quarantined)
    for expected in (
        "event_date 2022-02-31 is not a date",
        "Battles / Dance-off has no CAMEO mapping",
        "fatalities many is not a number",
    ):
        assert expected in reasons
    assert "column" in reasons.lower()  # the short row


def test_acled_api_json_rows(settings: Settings, tmp_path: Path) -> None:
    record = dict(zip(ACLED_HEADER.split(","), [""] * 31))
    record.update(
        event_id_cnty="SYR9",
        event_date="2023-10-05",
        event_type="Explosions/Remote violence",
        sub_event_type="Air/drone strike",
        actor1="Military Forces of Turkey (2016-)",
        actor2="QSD: Syrian Democratic Forces",
        iso="760",
        country="Syria",
        latitude="36.5",
        longitude="40.7",
        source="SOHR",
        fatalities="2",
        timestamp="1696600000",
    )
    path = tmp_path / "acled_api.json"
    path.write_text(json.dumps({"status": 200, "success": True, "count": 1, "data": [record]}), encoding="utf-8")
    with open_store(settings) as con:
        [result] = ingest_paths(con, [str(path)], reader=acled)
        row = con.execute("SELECT actor1_iso3, actor1_type, location_iso3, cameo_code, fatalities FROM events").fetchone()
    assert result.format == "acled/json"
    assert row == ("TUR", "MIL", "SYR", "195", 2)
