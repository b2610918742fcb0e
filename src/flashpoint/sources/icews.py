"""ICEWS (Integrated Crisis Early Warning System) → canonical events.

Two layouts, detected from the file:

- the Harvard Dataverse event files: tab-separated with a header (Event ID, Event Date,
  Source Name, Source Sectors, Source Country, Event Text, CAMEO Code, Intensity, Target
  Name, Target Sectors, Target Country, Story ID, Sentence Number, Publisher, City,
  District, Province, Country, Latitude, Longitude);
- name-based quadruples as used in temporal-knowledge-graph work (``source actor<TAB>event
  text<TAB>target actor<TAB>YYYY-MM-DD``): event texts become CAMEO codes through the
  codebook's names (plus ICEWS's own wordings), actors become countries where they name one
  ("Japan", "Ministry (Afghanistan)", with the sector as the actor type), and people and
  groups their state through the dated actor dictionary (:mod:`flashpoint.events.actors`:
  "Barack Obama" is the US government from 20 January 2009). Quadruples have no id: the
  event id is a hash of the row, so an identical row is one event.

ICEWS is machine-coded (BBN ACCENT), ``coding = machine``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from flashpoint.errors import UnknownFormat
from flashpoint.events.actors import named_actors_sql
from flashpoint.sources.tabular import (
    EVENTS,
    Layout,
    country_join,
    fields_cte,
    header_layout,
    invalid_when,
    scan_sql,
    sector_type_sql,
)
from flashpoint.wording import quantity

__all__ = ["CITATION", "FORMATS", "TARGET", "LICENSE", "canonical_sql", "detect_layout", "scan_sql"]

CITATION: Final = (
    "Boschee, Elizabeth, Jennifer Lautenschlager, Sean O'Brien, Steve Shellman, James Starz and "
    "Michael Ward (2015). ICEWS Coded Event Data. Harvard Dataverse, doi:10.7910/DVN/28075."
)
LICENSE: Final = "ICEWS Coded Event Data: terms of the Harvard Dataverse record (doi:10.7910/DVN/28075)."
#: Where this reader's rows go.
TARGET: Final = EVENTS
FORMATS: Final = ("auto",)

QUADRUPLE_COLUMNS: Final = ("source_actor", "event_text", "target_actor", "event_date")
_DATAVERSE_FIELDS: Final = {
    "eid": "Event ID",
    "edate": "Event Date",
    "a1name": "Source Name",
    "a1sectors": "Source Sectors",
    "a1country": "Source Country",
    "code": "CAMEO Code",
    "a2name": "Target Name",
    "a2sectors": "Target Sectors",
    "a2country": "Target Country",
    "publisher": "Publisher",
    "province": "Province",
    "country": "Country",
    "lat": "Latitude",
    "lon": "Longitude",
}
_QUADRUPLE_FIELDS: Final = {"a1name": "source_actor", "etext": "event_text", "a2name": "target_actor", "edate": "event_date"}


def detect_layout(path: Path, head: bytes, /, *, forced: str = "auto") -> Layout:
    """Layout of an ICEWS file: Dataverse events with a header, or name-based quadruples.

    Raises
    ------
    UnknownFormat
        When the file is neither.
    """
    first = head.decode("utf-8", errors="replace").splitlines()[0] if head.strip() else ""
    fields = first.split("\t")
    if len(fields) == 4 and not first.lower().startswith("event id"):
        return Layout(source="icews", kind="text", columns=QUADRUPLE_COLUMNS)
    try:
        return header_layout(path, head, source="icews", key="CAMEO Code")
    except UnknownFormat:
        raise UnknownFormat(
            f"{path}: not an ICEWS file: expected the Dataverse header (Event ID, Event Date, ..., CAMEO Code, ...) "
            f"or four tab-separated fields (source actor, event text, target actor, date); "
            f"found {quantity(len(fields), 'field')}."
        ) from None


def _sector(name: str) -> str:
    """SQL: the sector a quadruple actor names before its country ('Military' of 'Military (Russia)')."""
    return f"regexp_extract({name}, '^(.*)\\(', 1)"


def _actor_country(name: str) -> str:
    """SQL: the country a quadruple actor names: the whole name, else a trailing '(X)'."""
    return f"lower(coalesce(nullif(regexp_extract({name}, '\\(([^()]+)\\)$', 1), ''), {name}))"


def _dataverse_sql(layout: Layout, scan: str, ingest_id: int, ordinals: bool) -> str:
    reason = f"""CASE
    WHEN v.eid IS NULL THEN 'Event ID is empty'
    WHEN v.edate IS NULL THEN 'Event Date is empty'
    {invalid_when("Event Date", "edate", "try_cast(v.edate AS DATE) IS NULL", "a date (YYYY-MM-DD)")}
    WHEN v.code IS NULL THEN 'CAMEO Code is empty'
    {invalid_when("CAMEO Code", "code", "c.cameo_code IS NULL", "a CAMEO event code")}
    {invalid_when("Latitude", "lat", "try_cast(v.lat AS DOUBLE) IS NULL", "a number")}
    {invalid_when("Longitude", "lon", "try_cast(v.lon AS DOUBLE) IS NULL", "a number")}
  END AS reason"""
    # Some releases store the code as a number, losing its leading zero ('42' for 042).
    return f"""
WITH {fields_cte(layout, scan, _DATAVERSE_FIELDS, ordinals=ordinals)}
SELECT
  v.row_ordinal,
  'icews:' || v.eid AS event_id, 'icews' AS source,
  try_cast(v.edate AS DATE) AS event_date,
  a1.iso3 AS actor1_iso3, {sector_type_sql("v.a1sectors")} AS actor1_type, v.a1name AS actor1_name,
  a2.iso3 AS actor2_iso3, {sector_type_sql("v.a2sectors")} AS actor2_type, v.a2name AS actor2_name,
  c.cameo_code, c.cameo_root, c.quad_class, c.goldstein,
  loc.iso3 AS location_iso3, v.province AS admin1,
  try_cast(v.lat AS DOUBLE) AS lat, try_cast(v.lon AS DOUBLE) AS lon,
  v.publisher AS source_ref, 'machine' AS coding, {int(ingest_id)} AS ingest_id,
  {reason}
FROM v
LEFT JOIN cameo_codes c ON c.cameo_code = (
  CASE WHEN v.code IN (SELECT cameo_code FROM cameo_codes) THEN v.code ELSE '0' || v.code END)
{country_join("a1", "name", "lower(v.a1country)")}
{country_join("a2", "name", "lower(v.a2country)")}
{country_join("loc", "name", "lower(v.country)")}
"""


def _quadruple_sql(layout: Layout, scan: str, ingest_id: int, ordinals: bool) -> str:
    reason = f"""CASE
    WHEN v.a1name IS NULL OR v.etext IS NULL OR v.a2name IS NULL OR v.edate IS NULL
      THEN 'a quadruple needs source actor, event text, target actor and date'
    {invalid_when("date", "edate", "try_cast(v.edate AS DATE) IS NULL", "a date (YYYY-MM-DD)")}
    {invalid_when("event text", "etext", "c.cameo_code IS NULL", "a CAMEO event name")}
  END AS reason"""
    return f"""
WITH {fields_cte(layout, scan, _QUADRUPLE_FIELDS, ordinals=ordinals)},
people AS ({named_actors_sql("SELECT a1name AS name, edate AS day FROM v UNION ALL SELECT a2name, edate FROM v")})
SELECT
  v.row_ordinal,
  'icews:q' || left(md5(concat_ws(chr(9), v.a1name, v.etext, v.a2name, v.edate)), 16) AS event_id,
  'icews' AS source,
  try_cast(v.edate AS DATE) AS event_date,
  coalesce(a1.iso3, p1.iso3) AS actor1_iso3,
  CASE WHEN a1.iso3 IS NOT NULL THEN {sector_type_sql(_sector("v.a1name"))} ELSE p1.actor_type END
    AS actor1_type, v.a1name AS actor1_name,
  coalesce(a2.iso3, p2.iso3) AS actor2_iso3,
  CASE WHEN a2.iso3 IS NOT NULL THEN {sector_type_sql(_sector("v.a2name"))} ELSE p2.actor_type END
    AS actor2_type, v.a2name AS actor2_name,
  c.cameo_code, c.cameo_root, c.quad_class, c.goldstein,
  'machine' AS coding, {int(ingest_id)} AS ingest_id,
  {reason}
FROM v
LEFT JOIN people p1 ON p1.name = v.a1name AND p1.day = v.edate
LEFT JOIN people p2 ON p2.name = v.a2name AND p2.day = v.edate
LEFT JOIN cameo_names n ON n.name = lower(regexp_replace(trim(v.etext), '\\s+', ' ', 'g'))
LEFT JOIN cameo_codes c ON c.cameo_code = n.cameo_code
{country_join("a1", "name", _actor_country("v.a1name"))}
{country_join("a2", "name", _actor_country("v.a2name"))}
"""


def canonical_sql(layout: Layout, scan: str, /, *, ingest_id: int, ordinals: bool = True) -> str:
    """SELECT mapping ICEWS rows to canonical event columns plus ``row_ordinal`` and ``reason``."""
    if layout.columns == QUADRUPLE_COLUMNS:
        return _quadruple_sql(layout, scan, ingest_id, ordinals)
    return _dataverse_sql(layout, scan, ingest_id, ordinals)
