"""One country resolver: every code system a reader meets → ISO 3166-1 alpha-3.

Systems: CAMEO actor country codes, FIPS 10-4 (GDELT geography), ISO numeric (ACLED),
Gleditsch–Ward (UCDP), Correlates of War state numbers, and country names. pycountry
resolves every ISO code and country_converter's name patterns resolve names; the package's
small tables (``events/data/``) cover only what they lack: FIPS 10-4, CAMEO's region and
historical codes, and the COW and Gleditsch–Ward state lists.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import pycountry

from flashpoint.errors import InvalidInput, UnknownCountry
from flashpoint.pairs import pair_key


@dataclass(frozen=True)
class Country:
    """A country Flashpoint can name, with its codes in the systems readers meet."""

    iso3: str
    name: str
    iso2: str
    fips10_4: str | None


def _read_table(name: str) -> list[dict[str, str]]:
    text = files("flashpoint.events").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def fips_to_iso3_table() -> dict[str, str | None]:
    """FIPS 10-4 code → ISO3 (None for territories without an ISO country)."""
    return {row["fips10_4"]: row["iso3"] or None for row in _read_table("fips10_4.csv")}


@cache
def cameo_country_table() -> dict[str, str | None]:
    """Every CAMEO actor country code Flashpoint resolves → ISO3 (None for regions)."""
    table: dict[str, str | None] = {c.alpha_3: c.alpha_3 for c in pycountry.countries}
    table.update({row["cameo_country_code"]: row["iso3"] or None for row in _read_table("cameo_country_extras.csv")})
    return table


#: Code systems of :func:`country_code_rows`, as named in the store's ``country_codes`` table.
CODE_SYSTEMS = ("cameo", "fips", "iso_numeric", "gw", "cow", "name")


@cache
def _converter_rows() -> tuple[dict[str, str], ...]:
    """country_converter's country table (its classifier cannot run on pandas 3, its data can)."""
    text = files("country_converter").joinpath("country_data.tsv").read_text(encoding="utf-8")
    return tuple(csv.DictReader(text.splitlines(), delimiter="\t"))


@cache
def _name_patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """country_converter's name regular expressions with the ISO3 each identifies."""
    return tuple((re.compile(row["regex"], re.IGNORECASE), row["ISO3"]) for row in _converter_rows() if row["regex"])


@cache
def iso3_from_name(name: str) -> str | None:
    """ISO3 of a country named in free text ('Syria', 'Democratic Republic of Congo'); None
    when no country or several match. Uses country_converter's name patterns."""
    found = {iso3 for pattern, iso3 in _name_patterns() if pattern.search(name)}
    if len(found) != 1:
        return None
    iso3 = found.pop()
    return iso3 if iso3 == "XKX" or pycountry.countries.get(alpha_3=iso3) is not None else None


@cache
def state_system_table(system: str) -> dict[str, str | None]:
    """COW (``cow``) or Gleditsch–Ward (``gw``) state number → ISO3 (None for states with no
    present-day successor, e.g. Bavaria)."""
    return {row["code"]: row["iso3"] or None for row in _read_table("state_system_codes.csv") if row["system"] == system}


def state_numbers(iso3: str, system: str = "cow") -> tuple[int, ...]:
    """The COW (or Gleditsch–Ward) state numbers of a present-day country, oldest-listed first
    (Germany: 255 and the Federal Republic's 260)."""
    return tuple(int(code) for code, found in state_system_table(system).items() if found == iso3)


@cache
def country_code_rows() -> tuple[tuple[str, str, str | None], ...]:
    """(system, code, ISO3) for every code Flashpoint resolves; names are lower-case.

    This is the store's ``country_codes`` lookup table, which readers join in the engine.
    """
    rows: dict[tuple[str, str], str | None] = {}
    rows.update({("cameo", code): iso3 for code, iso3 in cameo_country_table().items()})
    rows.update({("fips", code): iso3 for code, iso3 in fips_to_iso3_table().items()})
    rows.update({("iso_numeric", str(int(c.numeric))): c.alpha_3 for c in pycountry.countries})
    for system in ("gw", "cow"):
        rows.update({(system, code): iso3 for code, iso3 in state_system_table(system).items()})
    names: dict[str, set[str]] = {}
    for c in pycountry.countries:
        for name in (c.name, getattr(c, "official_name", None), getattr(c, "common_name", None)):
            if name:
                names.setdefault(name.lower(), set()).add(c.alpha_3)
    for row in _converter_rows():
        for name in (row["name_short"], row["name_official"]):
            names.setdefault(name.lower(), set()).add(row["ISO3"])
    for table in ("state_system_codes.csv", "country_name_extras.csv"):
        for row in _read_table(table):
            if row["iso3"]:
                names.setdefault(row["name"].lower(), set()).add(row["iso3"])
    known = {c.alpha_3 for c in pycountry.countries} | {"XKX"}
    rows.update({("name", name): found.pop() for name, found in names.items() if len(found) == 1 and found <= known})
    return tuple((system, code, iso3) for (system, code), iso3 in sorted(rows.items()))


def iso3_from_cameo(code: str | None) -> str | None:
    """ISO3 for a CAMEO actor country code; None for empty codes and regions.

    Raises
    ------
    UnknownCountry
        When the code is neither ISO alpha-3 nor a documented CAMEO region/historical code.
    """
    if code is None or not code.strip():
        return None
    key = code.strip().upper()
    table = cameo_country_table()
    if key not in table:
        raise UnknownCountry(
            f"'{code}' is not a known CAMEO country code (ISO alpha-3 or a CAMEO region). "
            f"Try 'flashpoint countries --search {code.strip().lower()}'."
        )
    return table[key]


def iso3_from_fips(code: str | None) -> str | None:
    """ISO3 for a FIPS 10-4 country code (GDELT geography); None for empty codes or no country.

    Raises
    ------
    UnknownCountry
        When the code is not a FIPS 10-4 country code.
    """
    if code is None or not code.strip():
        return None
    key = code.strip().upper()
    table = fips_to_iso3_table()
    if key not in table:
        raise UnknownCountry(f"'{code}' is not a FIPS 10-4 country code.")
    return table[key]


@cache
def countries() -> tuple[Country, ...]:
    """Every ISO 3166-1 country plus Kosovo (XKX), with its FIPS 10-4 code where it has one."""
    fips_of: dict[str, str] = {}
    for fips, iso3 in sorted(fips_to_iso3_table().items()):
        if iso3 is not None:
            fips_of.setdefault(iso3, fips)
    found = [
        Country(iso3=c.alpha_3, name=getattr(c, "common_name", c.name), iso2=c.alpha_2, fips10_4=fips_of.get(c.alpha_3))
        for c in pycountry.countries
    ]
    found.append(Country(iso3="XKX", name="Kosovo", iso2="XK", fips10_4="KV"))
    return tuple(sorted(found, key=lambda c: c.iso3))


def search_countries(text: str | None = None) -> list[Country]:
    """Countries whose name or any code contains ``text`` (case-insensitive); all when empty."""
    if not text:
        return list(countries())
    needle = text.strip().lower()
    return [
        c
        for c in countries()
        if needle in c.name.lower() or needle in {c.iso3.lower(), c.iso2.lower(), (c.fips10_4 or "").lower()}
    ]


def resolve_country(text: str) -> str:
    """ISO3 for a user-typed country: ISO3, ISO2, CAMEO code or an unambiguous name.

    Raises
    ------
    UnknownCountry
        With a hint to ``flashpoint countries --search`` when nothing or several match.
    """
    key = text.strip().upper()
    table = cameo_country_table()
    if table.get(key):
        return table[key]  # type: ignore[return-value]
    if key == "XKX" or (len(key) == 3 and pycountry.countries.get(alpha_3=key) is not None):
        return key  # an ISO3 code that is no CAMEO code (Kosovo's user-assigned XKX among them)
    if (country := pycountry.countries.get(alpha_2=key)) is not None:
        return country.alpha_3
    matches = [c for c in countries() if text.strip().lower() == c.name.lower()] or [
        c for c in countries() if text.strip().lower() in c.name.lower()
    ]
    if len(matches) == 1:
        return matches[0].iso3
    hint = f"Try 'flashpoint countries --search {text.strip().lower()}'."
    if matches:
        names = ", ".join(f"{c.iso3} ({c.name})" for c in matches[:5])
        raise UnknownCountry(f"'{text}' matches several countries: {names}. Use an ISO3 code. {hint}")
    raise UnknownCountry(f"'{text}' is not a known country code (ISO3, ISO2 or CAMEO) or name. {hint}")


def resolve_dyad(text: str, /, *, label: str = "pair") -> tuple[str, str]:
    """'geo-rus' → ('GEO', 'RUS'): the two countries of a pair, in the order written (for a
    directed dyad). ``label`` names the input in messages (a CLI option, say).

    Raises
    ------
    InvalidInput
        When ``text`` is not two different countries joined by '-'.
    """
    parts = text.split("-")
    if len(parts) != 2 or not all(parts):
        raise InvalidInput(f"{label} {text!r}: expected two countries joined by '-', e.g. GEO-RUS.")
    first, second = resolve_country(parts[0]), resolve_country(parts[1])
    if first == second:
        raise InvalidInput(f"{label} {text!r}: a pair needs two different countries, e.g. GEO-RUS.")
    return first, second


def resolve_pair(text: str) -> str:
    """'geo-rus' or 'RUS-GEO' → 'GEO-RUS' (ISO3 codes, sorted).

    Raises
    ------
    InvalidInput
        When ``text`` is not two different countries joined by '-'.
    """
    return pair_key(resolve_dyad(text))
