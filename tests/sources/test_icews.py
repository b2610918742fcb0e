"""ICEWS readers: the name-based quadruples on the real shared subsets, and the Dataverse layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from flashpoint.config import Settings
from flashpoint.sources import icews
from flashpoint.store.connection import open_store
from flashpoint.store.ingest import ingest_paths

DATAVERSE_HEADER = (
    "Event ID\tEvent Date\tSource Name\tSource Sectors\tSource Country\tEvent Text\tCAMEO Code\t"
    "Intensity\tTarget Name\tTarget Sectors\tTarget Country\tStory ID\tSentence Number\tPublisher\t"
    "City\tDistrict\tProvince\tCountry\tLatitude\tLongitude"
)


@pytest.mark.shared_data
def test_quadruples_store_every_distinct_row_once(shared_data: Path, settings: Settings) -> None:
    files = sorted((shared_data / "icews_tkg_subsets").glob("*.txt"))
    distinct: set[str] = set()
    for path in files:
        with open(path, encoding="utf-8") as fh:
            distinct.update(line.rstrip("\n") for line in fh if line.strip())
    with open_store(settings) as con:
        results = ingest_paths(con, [str(f) for f in files], reader=icews)
        stored = con.execute("SELECT count(*) FROM events WHERE source = 'icews'").fetchone()[0]
        kerry = con.execute(
            "SELECT actor1_iso3, actor1_type, actor2_iso3, cameo_code, quad_class FROM events WHERE actor1_name = "
            "'John Kerry' AND actor2_name = 'China' AND event_date = DATE '2014-11-04' AND cameo_code = '036'"
        ).fetchone()
        # Dated: Netanyahu is Israel's government from April 2009, an Israeli elite before (Phoenix dictionary).
        netanyahu = con.execute(
            "SELECT DISTINCT actor1_iso3, actor1_type, event_date >= DATE '2009-04-01' FROM events "
            "WHERE actor1_name = 'Benjamin Netanyahu' ORDER BY ALL"
        ).fetchall()
        military = con.execute(
            "SELECT DISTINCT actor1_iso3, actor1_type FROM events WHERE actor1_name = 'Military (Russia)'"
        ).fetchall()
        ministry = con.execute("SELECT DISTINCT actor1_iso3 FROM events WHERE actor1_name = 'Ministry (Afghanistan)'").fetchall()
    assert len(distinct) == 108_756
    assert stored == 108_756  # ICEWS14 repeats rows of ICEWS05-15: counted as duplicates
    assert sum(r.rows_quarantined for r in results) == 0  # every event text maps to a CAMEO code
    assert kerry == ("USA", "GOV", "CHN", "036", 1)  # the Secretary of State from February 2013
    assert netanyahu == [("ISR", "ELI", False), ("ISR", "GOV", True)] and military == [("RUS", "MIL")]
    assert ministry == [("AFG",)]


def test_dataverse_layout_with_lost_leading_zeros(settings: Settings, tmp_path: Path) -> None:
    # Constructed in the Dataverse layout from the real quadruple "Japan / Make a visit / Thailand /
    # 2014-09-22"; ids, sectors and places are illustrative.
    rows = [
        "1\t2014-09-22\tJapan\tGovernment\tJapan\tMake a visit\t42\t1.9\tThailand\tGovernment\tThailand\t7\t1\t"
        "Kyodo\tBangkok\t\tBangkok\tThailand\t13.75\t100.5",
        "2\t2014-09-22\tJapan\tMilitary\tJapan\tMake a visit\t999\t1.9\tThailand\t\tThailand\t7\t2\t"
        "Kyodo\tBangkok\t\tBangkok\tThailand\t13.75\t100.5",
    ]
    path = tmp_path / "events.2014.tab"
    path.write_text(DATAVERSE_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with open_store(settings) as con:
        [result] = ingest_paths(con, [str(path)], reader=icews)
        row = con.execute(
            "SELECT event_id, actor1_iso3, actor1_type, actor2_iso3, cameo_code, location_iso3, lat FROM events"
        ).fetchone()
        reason = con.execute("SELECT line_number, reason FROM quarantine").fetchone()
    assert (result.rows_stored, result.rows_quarantined) == (1, 1)
    assert row == ("icews:1", "JPN", "GOV", "THA", "042", "THA", 13.75)
    assert reason == (3, "CAMEO Code 999 is not a CAMEO event code")


def test_a_person_is_the_state_only_in_the_spans_the_dictionary_dates(settings: Settings, tmp_path: Path) -> None:
    # Real names; Netanyahu's dictionary entry: ISRGOV 1996-06-18 to 1999-07-06 and from 2009-04-01,
    # ISRELI otherwise. 'Dmitry Anatolyevich Medvedev' is listed as 'DMITRI MEDVEDEV'.
    rows = [
        "Benjamin Netanyahu\tMake statement\tUnited States\t1998-01-01",
        "Benjamin Netanyahu\tMake statement\tUnited States\t2005-01-01",
        "Benjamin Netanyahu\tMake statement\tUnited States\t2012-01-01",
        "Dmitry Anatolyevich Medvedev\tMake statement\tUkraine\t2014-03-01",
        "Israeli Defense Forces\tMake statement\tEgypt\t2014-03-01",
        "UN Security Council\tMake statement\tSyria\t2014-03-01",
    ]
    (tmp_path / "q.txt").write_text("\n".join(rows) + "\n", encoding="utf-8")
    with open_store(settings) as con:
        ingest_paths(con, [str(tmp_path / "q.txt")], reader=icews)
        got = con.execute(
            "SELECT actor1_name, event_date, actor1_iso3, actor1_type, pair FROM events ORDER BY actor1_name, event_date"
        ).fetchall()
    assert [(name, str(day), iso3, kind, pair) for name, day, iso3, kind, pair in got] == [
        ("Benjamin Netanyahu", "1998-01-01", "ISR", "GOV", "ISR-USA"),
        ("Benjamin Netanyahu", "2005-01-01", "ISR", "ELI", "ISR-USA"),
        ("Benjamin Netanyahu", "2012-01-01", "ISR", "GOV", "ISR-USA"),
        ("Dmitry Anatolyevich Medvedev", "2014-03-01", "RUS", "GOV", "RUS-UKR"),
        ("Israeli Defense Forces", "2014-03-01", "ISR", None, "EGY-ISR"),
        ("UN Security Council", "2014-03-01", None, None, None),
    ]
