from __future__ import annotations

import pytest

from flashpoint.errors import UnknownCountry
from flashpoint.events.countries import iso3_from_cameo, iso3_from_fips, resolve_country, search_countries


@pytest.mark.parametrize(("fips", "iso3"), [("GG", "GEO"), ("RS", "RUS"), ("UP", "UKR"), ("GM", "DEU"),
                                            ("IS", "ISR"), ("WE", "PSE"), ("KV", "XKX"), ("PG", None)])
def test_fips_to_iso3(fips: str, iso3: str | None) -> None:
    assert iso3_from_fips(fips) == iso3


@pytest.mark.parametrize(("cameo", "iso3"), [("GEO", "GEO"), ("RUS", "RUS"), ("ZAR", "COD"), ("ROM", "ROU"),
                                             ("EUR", None), ("WST", None), (None, None), ("", None)])
def test_cameo_country_to_iso3(cameo: str | None, iso3: str | None) -> None:
    assert iso3_from_cameo(cameo) == iso3


def test_unknown_codes_raise_with_a_hint() -> None:
    with pytest.raises(UnknownCountry, match="flashpoint countries --search xyz"):
        iso3_from_cameo("XYZ")
    with pytest.raises(UnknownCountry, match="not a FIPS 10-4"):
        iso3_from_fips("QQ")


@pytest.mark.parametrize(("text", "iso3"), [("GEO", "GEO"), ("ge", "GEO"), ("Georgia", "GEO"), ("russia", "RUS"),
                                            ("ukraine", "UKR")])
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
