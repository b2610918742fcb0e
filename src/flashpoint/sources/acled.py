"""ACLED (Armed Conflict Location & Event Data) → canonical events.

Reads ACLED's CSV export (the 31-column format: event_id_cnty, event_date, ..., timestamp)
and the rows of its current API as JSON (``{"data": [...]}`` or a bare array). ACLED is
coded by people (``coding = human``); its event and sub-event types map to CAMEO through the
documented table in docs/event-types.md. Actor countries come from ACLED's actor names
("Military Forces of Russia (2000-)", "Civilians (Ukraine)"), the event's country from its
ISO numeric code.
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
    "Raleigh, Clionadh, Andrew Linke, Håvard Hegre and Joakim Karlsen (2010). Introducing ACLED: "
    "An Armed Conflict Location and Event Dataset. Journal of Peace Research 47(5): 651-660. "
    "Armed Conflict Location & Event Data Project (ACLED), https://acleddata.com"
)
LICENSE: Final = (
    "ACLED Terms of Use (https://acleddata.com/terms-of-use/): free for non-commercial use with "
    "attribution; commercial use needs a licence from ACLED."
)
#: Where this reader's rows go.
TARGET: Final = EVENTS
FORMATS: Final = ("auto",)

_FIELDS: Final = {
    "eid": "event_id_cnty",
    "edate": "event_date",
    "etype": "event_type",
    "subtype": "sub_event_type",
    "actor1": "actor1",
    "inter1": "inter1",
    "actor2": "actor2",
    "inter2": "inter2",
    "iso": "iso",
    "country": "country",
    "admin1": "admin1",
    "lat": "latitude",
    "lon": "longitude",
    "sources": "source",
    "fatalities": "fatalities",
    "stamp": "timestamp",
}
_DATE_FORMATS: Final = "['%Y-%m-%d', '%d %B %Y', '%d-%B-%Y', '%m/%d/%Y']"


def detect_layout(path: Path, head: bytes, /, *, forced: str = "auto") -> Layout:
    """Layout of an ACLED export: CSV/TSV with a header, Parquet, or API JSON rows.

    Raises
    ------
    UnknownFormat
        When the file has no ``event_id_cnty`` column.
    """
    return header_layout(path, head, source="acled", key="event_id_cnty")


def _actor_country(name: str) -> str:
    """SQL: the country an ACLED actor name carries ('Military Forces of X (...)', '... (X)')."""
    return (
        f"coalesce(nullif(regexp_extract({name}, '^(?:Military|Police) Forces of (?:the )?(.+?) \\(', 1), ''), "
        f"nullif(regexp_extract({name}, '^Government of (?:the )?(.+?) \\(', 1), ''), "
        f"nullif(regexp_extract({name}, '\\(([^()]*[A-Za-z][^()]*)\\)$', 1), ''))"
    )


def _actor_type(name: str, inter: str) -> str:
    """SQL: a CAMEO actor type from ACLED's actor name and interaction code (docs/event-types.md)."""
    return (
        f"CASE WHEN {name} LIKE 'Military Forces of %' THEN 'MIL' WHEN {name} LIKE 'Police Forces of %' THEN 'COP' "
        f"WHEN {name} LIKE 'Government of %' THEN 'GOV' "
        f"ELSE CASE try_cast(try_cast({inter} AS DOUBLE) AS INTEGER) WHEN 1 THEN 'MIL' WHEN 2 THEN 'REB' "
        f"WHEN 3 THEN 'UAF' WHEN 4 THEN 'UAF' WHEN 5 THEN 'CVL' WHEN 6 THEN 'CVL' WHEN 7 THEN 'CVL' END END"
    )


def _reason_sql() -> str:
    return f"""CASE
    WHEN v.eid IS NULL THEN 'event_id_cnty is empty'
    WHEN v.edate IS NULL THEN 'event_date is empty'
    {invalid_when("event_date", "edate", f"try_strptime(v.edate, {_DATE_FORMATS}) IS NULL", "a date")}
    WHEN v.etype IS NULL THEN 'event_type is empty'
    WHEN m.cameo_code IS NULL THEN format('event type {{}} / {{}} has no CAMEO mapping', v.etype, coalesce(v.subtype, '-'))
    {invalid_when("fatalities", "fatalities", "try_cast(v.fatalities AS DOUBLE) IS NULL", "a number")}
    {invalid_when("latitude", "lat", "try_cast(v.lat AS DOUBLE) IS NULL", "a number")}
    {invalid_when("longitude", "lon", "try_cast(v.lon AS DOUBLE) IS NULL", "a number")}
  END AS reason"""


def canonical_sql(layout: Layout, scan: str, /, *, ingest_id: int, ordinals: bool = True) -> str:
    """SELECT mapping ACLED rows to canonical event columns plus ``row_ordinal`` and ``reason``."""
    return f"""
WITH {fields_cte(layout, scan, _FIELDS, ordinals=ordinals)}
SELECT
  v.row_ordinal,
  'acled:' || v.eid AS event_id,
  'acled' AS source,
  CAST(try_strptime(v.edate, {_DATE_FORMATS}) AS DATE) AS event_date,
  a1.iso3 AS actor1_iso3, {_actor_type("v.actor1", "v.inter1")} AS actor1_type, v.actor1 AS actor1_name,
  a2.iso3 AS actor2_iso3, {_actor_type("v.actor2", "v.inter2")} AS actor2_type, v.actor2 AS actor2_name,
  c.cameo_code, c.cameo_root, c.quad_class, c.goldstein,
  try_cast(try_cast(v.fatalities AS DOUBLE) AS INTEGER) AS fatalities,
  len(string_split(v.sources, ';')) AS num_sources,
  coalesce(iso.iso3, cn.iso3) AS location_iso3, v.admin1,
  try_cast(v.lat AS DOUBLE) AS lat, try_cast(v.lon AS DOUBLE) AS lon,
  v.sources AS source_ref,
  'human' AS coding,
  CAST(to_timestamp(try_cast(v.stamp AS DOUBLE)) AT TIME ZONE 'UTC' AS TIMESTAMP) AS date_added,
  {int(ingest_id)} AS ingest_id,
  {_reason_sql()}
FROM v
{human_coded_join("acled", "v.etype", "v.subtype")}
{country_join("a1", "name", f"lower({_actor_country('v.actor1')})")}
{country_join("a2", "name", f"lower({_actor_country('v.actor2')})")}
{country_join("iso", "iso_numeric", "CAST(try_cast(try_cast(v.iso AS DOUBLE) AS INTEGER) AS VARCHAR)")}
{country_join("cn", "name", "lower(v.country)")}
"""
