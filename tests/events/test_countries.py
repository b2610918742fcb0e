from __future__ import annotations

import csv

import pytest

from flashpoint.errors import InvalidInput, UnknownCountry
from flashpoint.events.countries import (
    country_code_rows,
    iso3_from_cameo,
    iso3_from_fips,
    iso3_from_name,
    resolve_country,
    resolve_pair,
    search_countries,
)


@pytest.mark.parametrize(
    ("fips", "iso3"),
    [("GG", "GEO"), ("RS", "RUS"), ("UP", "UKR"), ("GM", "DEU"), ("IS", "ISR"), ("WE", "PSE"), ("KV", "XKX"), ("PG", None)],
)
def test_fips_to_iso3(fips: str, iso3: str | None) -> None:
    assert iso3_from_fips(fips) == iso3


@pytest.mark.parametrize(
    ("cameo", "iso3"),
    [("GEO", "GEO"), ("RUS", "RUS"), ("ZAR", "COD"), ("ROM", "ROU"), ("EUR", None), ("WST", None), (None, None), ("", None)],
)
def test_cameo_country_to_iso3(cameo: str | None, iso3: str | None) -> None:
    assert iso3_from_cameo(cameo) == iso3


def test_unknown_codes_raise_with_a_hint() -> None:
    with pytest.raises(UnknownCountry, match="flashpoint countries --search xyz"):
        iso3_from_cameo("XYZ")
    with pytest.raises(UnknownCountry, match="not a FIPS 10-4"):
        iso3_from_fips("QQ")


@pytest.mark.parametrize(
    ("text", "iso3"), [("GEO", "GEO"), ("ge", "GEO"), ("Georgia", "GEO"), ("russia", "RUS"), ("ukraine", "UKR")]
)
def test_resolve_country(text: str, iso3: str) -> None:
    assert resolve_country(text) == iso3


def test_resolve_country_ambiguous_or_unknown() -> None:
    with pytest.raises(UnknownCountry, match="several countries"):
        resolve_country("korea")
    with pytest.raises(UnknownCountry, match="not a known country"):
        resolve_country("XYZ")


def test_search_finds_by_name_and_code() -> None:
    assert [c.iso3 for c in search_countries("georgia")] == ["GEO", "SGS"]
    assert [c.iso3 for c in search_countries("gg")] == ["GEO", "GGY"]


def test_one_resolver_covers_every_code_system() -> None:
    table = {(system, code): iso3 for system, code, iso3 in country_code_rows()}
    assert table[("iso_numeric", "804")] == "UKR"  # ACLED's iso
    assert table[("gw", "652")] == "SYR" and table[("gw", "365")] == "RUS"  # UCDP's country_id
    assert table[("gw", "260")] == "DEU"  # German Federal Republic → its successor
    assert table[("cow", "255")] == "DEU" and table[("cow", "732")] == "KOR"
    assert table[("cow", "245")] is None  # Bavaria: no present-day state
    assert table[("name", "democratic republic of congo")] == "COD"
    assert iso3_from_name("Military Forces of Russia (2000-)") == "RUS"
    assert iso3_from_name("Niger") == "NER" and iso3_from_name("Nigeria") == "NGA"


@pytest.mark.shared_data
def test_every_acled_country_and_state_system_member_resolves(shared_data) -> None:  # noqa: ANN001
    table = {(system, code): iso3 for system, code, iso3 in country_code_rows()}
    with open(shared_data / "acled_acledR" / "acled_countries.csv", newline="", encoding="utf-8") as fh:
        names = [row["country"] for row in csv.DictReader(fh)]
    assert [n for n in names if not table.get(("name", n.lower()))] == []
    with open(shared_data / "peacesciencer" / "gw_states.csv", newline="", encoding="utf-8") as fh:
        current = {str(int(float(r["gwcode"]))) for r in csv.DictReader(fh) if r["enddate"] >= "2017"}
    assert [c for c in current if not table.get(("gw", c))] == []


def test_every_iso3_code_resolves_to_itself_kosovos_xkx_included() -> None:
    from flashpoint.events.countries import resolve_country

    assert resolve_country("XKX") == "XKX" and resolve_country("xkx") == "XKX"
    assert resolve_country("SSD") == "SSD" and resolve_country("GEO") == "GEO"


def test_a_pair_is_two_different_countries_in_code_order() -> None:
    assert resolve_pair("russia-geo") == "GEO-RUS"
    with pytest.raises(InvalidInput, match="a pair needs two different countries"):
        resolve_pair("GEO-georgia")
    with pytest.raises(InvalidInput, match="expected two countries joined by '-'"):
        resolve_pair("GEO")
