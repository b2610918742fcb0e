"""UCDP Georeferenced Event Dataset (GED) → canonical events.

Reads GED CSV exports (columns by name, so GED 19.1 and later releases both work),
Parquet and JSON rows of the UCDP API. UCDP is coded by people (``coding = human``); its
type of violence maps to CAMEO through the documented table in docs/event-types.md. Sides
that are governments resolve to their state (Gleditsch–Ward code where the row gives one,
else the name); non-state sides and civilians take the country where the event happened,
as CAMEO codes a domestic rebel group with its country. Fatalities keep UCDP's best, low
and high estimates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from flashpoint.sources.tabular import (
    EVENTS,
    Layout,
    country_join,
    fields_cte,
    header_layout,
    human_coded_join,
    invalid_when,
    scan_sql,
)

__all__ = ["CITATION", "FORMATS", "TARGET", "LICENSE", "canonical_sql", "detect_layout", "scan_sql"]

CITATION: Final = (
    "Sundberg, Ralph and Erik Melander (2013). Introducing the UCDP Georeferenced Event Dataset. "
    "Journal of Peace Research 50(4): 523-532. Högbladh, Stina (2019). UCDP GED Codebook version 19.1. "
    "Department of Peace and Conflict Research, Uppsala University. https://ucdp.uu.se"
)
LICENSE: Final = "UCDP data are free to use with citation (Creative Commons Attribution 4.0)."
#: Where this reader's rows go.
TARGET: Final = EVENTS
FORMATS: Final = ("auto",)

_FIELDS: Final = {
    "eid": "id",
    "start": "date_start",
    "violence": "type_of_violence",
    "side_a": "side_a",
    "side_b": "side_b",
    "gwnoa": "gwnoa",
    "gwnob": "gwnob",
    "country_id": "country_id",
    "country": "country",
    "admin1": "adm_1",
    "lat": "latitude",
    "lon": "longitude",
    "best": "best",
    "low": "low",
    "high": "high",
    "nsources": "number_of_sources",
    "article": "source_article",
}


def detect_layout(path: Path, head: bytes, /, *, forced: str = "auto") -> Layout:
    """Layout of a UCDP GED export: CSV with a header, Parquet, or API JSON rows.

    Raises
    ------
    UnknownFormat
        When the file has no ``type_of_violence`` column.
    """
    return header_layout(path, head, source="ucdp", key="type_of_violence")


def _gw(code: str) -> str:
    """SQL: the first Gleditsch–Ward number of a GED code field ('652', '652.0', '2, 200')."""
    first = f"trim(split_part({code}, ',', 1))"
    return f"CAST(try_cast(try_cast({first} AS DOUBLE) AS INTEGER) AS VARCHAR)"


def _government(side: str) -> str:
    """SQL: the (first) state named by a side 'Government of X (...)[, Government of Y]', else NULL."""
    return f"nullif(regexp_extract({side}, '^Government of ([^(,]+?)\\s*(?:[(,].*)?$', 1), '')"


def _actor_type(side: str, violence: str, *, target: bool) -> str:
    non_state = "CASE WHEN v.violence_code = 3 THEN 'CVL' ELSE 'UAF' END" if target else "'UAF'"
    rebel = "'REB'" if target else "'UAF'"
    return f"CASE WHEN {side} LIKE 'Government of %' THEN 'GOV' WHEN {violence} = 1 THEN {rebel} ELSE {non_state} END"


def _reason_sql() -> str:
    return f"""CASE
    WHEN v.eid IS NULL THEN 'id is empty'
    {invalid_when("id", "eid", "try_cast(v.eid AS DOUBLE) IS NULL", "a number")}
    WHEN v.start IS NULL THEN 'date_start is empty'
    {invalid_when("date_start", "start", "try_cast(left(v.start, 10) AS DATE) IS NULL", "a date (YYYY-MM-DD)")}
    WHEN v.violence IS NULL THEN 'type_of_violence is empty'
    {invalid_when("type_of_violence", "violence", "m.cameo_code IS NULL", "1, 2 or 3")}
    {invalid_when("best", "best", "try_cast(v.best AS DOUBLE) IS NULL", "a number")}
    {invalid_when("low", "low", "try_cast(v.low AS DOUBLE) IS NULL", "a number")}
    {invalid_when("high", "high", "try_cast(v.high AS DOUBLE) IS NULL", "a number")}
    {invalid_when("latitude", "lat", "try_cast(v.lat AS DOUBLE) IS NULL", "a number")}
    {invalid_when("longitude", "lon", "try_cast(v.lon AS DOUBLE) IS NULL", "a number")}
  END AS reason"""


def canonical_sql(layout: Layout, scan: str, /, *, ingest_id: int, ordinals: bool = True) -> str:
    """SELECT mapping GED rows to canonical event columns plus ``row_ordinal`` and ``reason``."""
    return f"""
WITH {fields_cte(layout, scan, _FIELDS, ordinals=ordinals)},
w AS (SELECT *, try_cast(try_cast(violence AS DOUBLE) AS INTEGER) AS violence_code FROM v)
SELECT
  v.row_ordinal,
  'ucdp:' || CAST(try_cast(try_cast(v.eid AS DOUBLE) AS BIGINT) AS VARCHAR) AS event_id,
  'ucdp' AS source,
  try_cast(left(v.start, 10) AS DATE) AS event_date,
  CASE WHEN v.side_a LIKE 'Government of %' THEN coalesce(ga.iso3, na.iso3) ELSE loc.iso3 END AS actor1_iso3,
  {_actor_type("v.side_a", "v.violence_code", target=False)} AS actor1_type, v.side_a AS actor1_name,
  CASE WHEN v.side_b LIKE 'Government of %' THEN coalesce(gb.iso3, nb.iso3) ELSE loc.iso3 END AS actor2_iso3,
  {_actor_type("v.side_b", "v.violence_code", target=True)} AS actor2_type, v.side_b AS actor2_name,
  c.cameo_code, c.cameo_root, c.quad_class, c.goldstein,
  try_cast(try_cast(v.best AS DOUBLE) AS INTEGER) AS fatalities,
  try_cast(try_cast(v.low AS DOUBLE) AS INTEGER) AS fatalities_low,
  try_cast(try_cast(v.high AS DOUBLE) AS INTEGER) AS fatalities_high,
  try_cast(try_cast(v.nsources AS DOUBLE) AS INTEGER) AS num_sources,
  loc.iso3 AS location_iso3, v.admin1,
  try_cast(v.lat AS DOUBLE) AS lat, try_cast(v.lon AS DOUBLE) AS lon,
  v.article AS source_ref,
  'human' AS coding,
  {int(ingest_id)} AS ingest_id,
  {_reason_sql()}
FROM w AS v
{human_coded_join("ucdp", "CAST(v.violence_code AS VARCHAR)", "CAST(NULL AS VARCHAR)")}
{country_join("ga", "gw", _gw("v.gwnoa"))}
{country_join("gb", "gw", _gw("v.gwnob"))}
{country_join("na", "name", f"lower({_government('v.side_a')})")}
{country_join("nb", "name", f"lower({_government('v.side_b')})")}
LEFT JOIN country_codes loc ON loc.system = 'gw' AND loc.code = {_gw("v.country_id")}
"""
