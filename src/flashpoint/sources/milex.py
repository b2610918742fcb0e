"""Military expenditure → the store's ``milex`` table (country, year, value, unit, source).

Two sources, detected from the header:

- SIPRI Military Expenditure Database sheets exported to CSV (one row per country, one
  column per year; ``...`` not available, ``xxx`` the country did not exist). The unit
  comes from the sheet, named in the file (``milex_Constant_2021_US.csv`` → constant 2021
  US$ million); region headings carry no values and are skipped.
- Correlates of War National Material Capabilities (``ccode, year, milex, ...``; thousands
  of current US$, ``-9`` missing).

One row per country, year, unit and source; a value that is neither a number nor a
"not available" mark, or a country that does not resolve, is quarantined.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Final

from flashpoint.errors import UnknownFormat
from flashpoint.sources.tabular import Layout, Target, country_join, header_layout, scan_sql
from flashpoint.sql import sql_string, sql_strings

__all__ = ["CITATION", "FORMATS", "LICENSE", "SIPRI_UNITS", "TARGET", "canonical_sql", "detect_layout", "scan_sql"]

CITATION: Final = (
    "SIPRI Military Expenditure Database, Stockholm International Peace Research Institute, "
    "https://www.sipri.org/databases/milex. Singer, J. David, Stuart Bremer and John Stuckey (1972). "
    "Capability Distribution, Uncertainty, and Major Power War, 1820-1965. In Bruce Russett (ed.), "
    "Peace, War, and Numbers, 19-48 (COW National Material Capabilities v6.0)."
)
LICENSE: Final = "SIPRI data: free for non-commercial use with attribution. COW data: free to use with citation."
FORMATS: Final = ("auto",)
#: Where this reader's rows go: one value per source's country, year and unit (two source countries
#: can share a successor's ISO3, e.g. North and South Yemen).
TARGET: Final = Target("milex", ("source", "country_name", "year", "unit"), "military expenditure values")

#: SIPRI sheet (as named in the exported file) → unit of its values.
SIPRI_UNITS: Final = {
    "constant_2021_us": "constant 2021 US$ million",
    "current_us": "current US$ million",
    "local_currency_calendar_years": "local currency (calendar year)",
    "local_currency_financial_years": "local currency (financial year)",
    "per_capita": "current US$ per capita",
    "share_of_gdp": "share of GDP (fraction)",
    "share_of_govt_spending": "share of government spending (fraction)",
}
_NMC_UNIT: Final = "current US$ thousand"
_NOT_AVAILABLE: Final = ("...", "xxx", ". .", "..")


def detect_layout(path: Path, head: bytes, /, *, forced: str = "auto") -> Layout:
    """Layout of a SIPRI sheet export or a COW NMC file.

    Raises
    ------
    UnknownFormat
        When the file is neither, or a SIPRI file's name does not say which sheet it is.
    """
    try:
        layout = header_layout(path, head, source="sipri", key="Country")
    except UnknownFormat:
        layout = header_layout(path, head, source="cow_nmc", key="milex")
        missing = {"ccode", "year"} - {c.lower() for c in layout.columns}
        if missing:
            raise UnknownFormat(
                f"{path}: a COW NMC file needs columns ccode, year and milex; it lacks {', '.join(sorted(missing))}."
            ) from None
        return replace(layout, unit=_NMC_UNIT)
    stem = path.stem.lower().removeprefix("milex_")
    unit = next((unit for sheet, unit in SIPRI_UNITS.items() if stem.endswith(sheet)), None)
    if unit is None:
        raise UnknownFormat(
            f"{path}: a SIPRI sheet, but its name does not say which one; name it like "
            f"milex_<sheet>.csv with <sheet> one of {', '.join(SIPRI_UNITS)}."
        )
    if not _years(layout):
        raise UnknownFormat(f"{path}: a SIPRI sheet without a column of a year (1949, 1950, ...): nothing to read.")
    return replace(layout, unit=unit)


def _years(layout: Layout) -> list[str]:
    """The columns of a SIPRI sheet that hold a year's values."""
    return [c for c in layout.columns if c.isdigit() and len(c) == 4]


def _sipri_sql(layout: Layout, scan: str, ingest_id: int, ordinals: bool) -> str:
    years = _years(layout)
    ordinal = "row_number() OVER ()" if ordinals else "CAST(NULL AS BIGINT)"
    pairs = ", ".join(f'({int(y)}, v."{y}")' for y in years)
    marks = sql_strings(_NOT_AVAILABLE)
    return f"""
WITH v AS (SELECT {ordinal} AS row_ordinal, trim(r."Country") AS country, r.* FROM {scan} AS r),
long AS (
  SELECT v.row_ordinal, v.country, y.year, trim(y.raw) AS raw
  FROM v, (VALUES {pairs}) AS y(year, raw)
  WHERE nullif(trim(y.raw), '') IS NOT NULL AND trim(y.raw) NOT IN ({marks})
)
SELECT
  long.row_ordinal, 'sipri' AS source, n.iso3, long.year, try_cast(long.raw AS DOUBLE) AS value,
  {sql_string(layout.unit or "")} AS unit, long.country AS country_name, {int(ingest_id)} AS ingest_id,
  CASE WHEN long.country IS NULL THEN format('{{}} value {{}} has no country', long.year, long.raw)
       WHEN n.iso3 IS NULL THEN format('country {{}} does not resolve to an ISO3 code', long.country)
       WHEN try_cast(long.raw AS DOUBLE) IS NULL THEN format('{{}} value {{}} is not a number', long.year, long.raw)
  END AS reason
FROM long
{country_join("n", "name", "lower(long.country)")}
"""


def _nmc_sql(layout: Layout, scan: str, ingest_id: int, ordinals: bool) -> str:
    ordinal = "row_number() OVER ()" if ordinals else "CAST(NULL AS BIGINT)"
    code = "CAST(try_cast(try_cast(v.ccode AS DOUBLE) AS INTEGER) AS VARCHAR)"
    return f"""
WITH v AS (SELECT {ordinal} AS row_ordinal, r.ccode, r.year, trim(r.milex) AS raw FROM {scan} AS r)
SELECT
  v.row_ordinal, 'cow_nmc' AS source, c.iso3, try_cast(try_cast(v.year AS DOUBLE) AS INTEGER) AS year,
  try_cast(v.raw AS DOUBLE) AS value, {sql_string(layout.unit or "")} AS unit, 'COW ' || {code} AS country_name,
  {int(ingest_id)} AS ingest_id,
  CASE WHEN c.code IS NULL THEN format('COW state number {{}} is not in the COW state list', v.ccode)
       WHEN try_cast(v.year AS DOUBLE) IS NULL THEN format('year {{}} is not a number', v.year)
       WHEN try_cast(v.raw AS DOUBLE) IS NULL THEN format('milex {{}} is not a number', v.raw)
  END AS reason
FROM v
{country_join("c", "cow", code)}
WHERE v.raw IS NOT NULL AND v.raw NOT IN ('-9', '-9.0') AND (c.iso3 IS NOT NULL OR c.code IS NULL)
"""


def canonical_sql(layout: Layout, scan: str, /, *, ingest_id: int, ordinals: bool = True) -> str:
    """SELECT mapping the file to ``milex`` rows plus ``row_ordinal`` and ``reason``.

    COW states with no present-day successor (e.g. Bavaria) are skipped: they have no ISO3
    and belong to no pair Flashpoint watches.
    """
    if layout.source == "cow_nmc":
        return _nmc_sql(layout, scan, ingest_id, ordinals)
    return _sipri_sql(layout, scan, ingest_id, ordinals)
