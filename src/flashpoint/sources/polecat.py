"""POLECAT (PLOVER-coded events, ICEWS's successor) → canonical events.

Reads POLECAT's tab-separated weekly files (Harvard Dataverse): ``Event ID, Event Date,
Event Type, Event Mode, Intensity, Quad Code, Contexts, Actor Name, Actor Country, ...,
Recipient Name, Recipient Country, ..., Country, Latitude, Longitude, ..., Source,
Publication Date, ...``. PLOVER event types (and, for FIGHT, the mode) map to CAMEO through
the documented table in docs/event-types.md. POLECAT gives countries as ISO3 codes (names
are resolved too) and a publication date, kept as ``date_added``. Machine-coded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from flashpoint.sources.tabular import (
    EVENTS,
    Layout,
    fields_cte,
    header_layout,
    invalid_when,
    iso3_or_name,
    scan_sql,
    sector_type_sql,
)

__all__ = ["CITATION", "FORMATS", "LICENSE", "TARGET", "canonical_sql", "detect_layout", "scan_sql"]

CITATION: Final = (
    "Halterman, Andrew, Philip A. Schrodt, Andreas Beger, Benjamin E. Bagozzi and Grace I. Scarborough (2023). "
    "Creating Custom Event Data Without Dictionaries: A Bag-of-Tricks. POLECAT Global Political Event Dataset, "
    "Harvard Dataverse, doi:10.7910/DVN/AJGVIT."
)
LICENSE: Final = "POLECAT: terms of the Harvard Dataverse record (doi:10.7910/DVN/AJGVIT)."
#: Where this reader's rows go.
TARGET: Final = EVENTS
FORMATS: Final = ("auto",)

_FIELDS: Final = {
    "eid": "Event ID",
    "edate": "Event Date",
    "etype": "Event Type",
    "emode": "Event Mode",
    "a1name": "Actor Name",
    "a1country": "Actor Country",
    "a1sector": "Primary Actor Sector",
    "a2name": "Recipient Name",
    "a2country": "Recipient Country",
    "a2sector": "Primary Recipient Sector",
    "country": "Country",
    "admin1": "State",
    "lat": "Latitude",
    "lon": "Longitude",
    "publisher": "Source",
    "published": "Publication Date",
}


def detect_layout(path: Path, head: bytes, /, *, forced: str = "auto") -> Layout:
    """Layout of a POLECAT file (it has an ``Event Type`` and a ``Recipient Name`` column)."""
    return header_layout(path, head, source="polecat", key="Recipient Name")


def canonical_sql(layout: Layout, scan: str, /, *, ingest_id: int, ordinals: bool = True) -> str:
    """SELECT mapping POLECAT rows to canonical event columns plus ``row_ordinal`` and ``reason``."""
    reason = f"""CASE
    WHEN v.eid IS NULL THEN 'Event ID is empty'
    WHEN v.edate IS NULL THEN 'Event Date is empty'
    {invalid_when("Event Date", "edate", "try_cast(left(v.edate, 10) AS DATE) IS NULL", "a date")}
    WHEN v.etype IS NULL THEN 'Event Type is empty'
    {invalid_when("Event Type", "etype", "c.cameo_code IS NULL", "a PLOVER event type")}
    {invalid_when("Latitude", "lat", "try_cast(v.lat AS DOUBLE) IS NULL", "a number")}
    {invalid_when("Longitude", "lon", "try_cast(v.lon AS DOUBLE) IS NULL", "a number")}
  END AS reason"""
    a1, a1_joins = iso3_or_name("a1", "v.a1country")
    a2, a2_joins = iso3_or_name("a2", "v.a2country")
    loc, loc_joins = iso3_or_name("l", "v.country")
    return f"""
WITH {fields_cte(layout, scan, _FIELDS, ordinals=ordinals)}
SELECT
  v.row_ordinal, 'polecat:' || v.eid AS event_id, 'polecat' AS source,
  try_cast(left(v.edate, 10) AS DATE) AS event_date,
  {a1} AS actor1_iso3, {sector_type_sql("v.a1sector")} AS actor1_type, v.a1name AS actor1_name,
  {a2} AS actor2_iso3, {sector_type_sql("v.a2sector")} AS actor2_type, v.a2name AS actor2_name,
  c.cameo_code, c.cameo_root, c.quad_class, c.goldstein,
  {loc} AS location_iso3, v.admin1,
  try_cast(v.lat AS DOUBLE) AS lat, try_cast(v.lon AS DOUBLE) AS lon,
  v.publisher AS source_ref, 'machine' AS coding,
  try_cast(v.published AS TIMESTAMP) AS date_added, {int(ingest_id)} AS ingest_id,
  {reason}
FROM v
LEFT JOIN human_coded_cameo m1 ON m1.source = 'polecat' AND m1.event_type = upper(v.etype)
  AND m1.sub_event_type = lower(v.emode)
LEFT JOIN human_coded_cameo m0 ON m0.source = 'polecat' AND m0.event_type = upper(v.etype)
  AND m0.sub_event_type IS NULL
LEFT JOIN cameo_codes c ON c.cameo_code = coalesce(m1.cameo_code, m0.cameo_code)
{a1_joins}
{a2_joins}
{loc_joins}
"""
