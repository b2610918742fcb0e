"""Diplomatic and coercive measures → the store's ``measures`` table.

A generic CSV for what event data code poorly: sanctions, ceasefires, confidence-building
measures, mediation, hotlines and the like. Columns (header row, any order, names as here):
``date`` (YYYY-MM-DD), ``actor`` (who applies it: a country as ISO3 or name, or an
organisation such as UN, EU, AU, OSCE), ``target`` (the country or pair it concerns; for a
pair, ``A-B``), ``measure`` (one of :data:`MEASURE_TYPES`), ``source`` (citation or link);
optional ``end_date`` and ``note``. An unknown measure type, a bad date or an empty source
is quarantined.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from flashpoint.sources.tabular import Layout, Target, fields_cte, header_layout, invalid_when, iso3_or_name, scan_sql

__all__ = ["CITATION", "FORMATS", "LICENSE", "MEASURE_TYPES", "TARGET", "canonical_sql", "detect_layout", "scan_sql"]

CITATION: Final = "Cite the sources named in each row's 'source' column."
LICENSE: Final = "The licence of the sources named in each row."
FORMATS: Final = ("auto",)
#: Where this reader's rows go.
TARGET: Final = Target("measures", ("date", "actor", "target", "measure"), "measures")

#: Measure types and what they mean.
MEASURE_TYPES: Final = {
    "sanction": "economic or diplomatic sanctions imposed",
    "sanction_lifted": "sanctions eased or lifted",
    "incentive": "economic incentive or aid offered in exchange for restraint",
    "ceasefire": "ceasefire agreed or declared",
    "peace_agreement": "peace or settlement agreement signed",
    "talks": "direct talks or negotiations held",
    "backchannel": "unofficial or secret talks",
    "mediation": "third-party mediation offered, accepted or held",
    "hotline": "crisis communication line set up or used",
    "cbm": "confidence-building measure (notification, observers, data exchange)",
    "arms_control": "arms control agreement or inspection",
    "withdrawal": "forces withdrawn or demobilised",
    "peacekeeping": "peacekeeping or monitoring mission deployed",
    "multilateral": "taken to the UN or a regional organisation",
    "humanitarian": "humanitarian corridor, pause or aid",
    "alliance": "alliance or security guarantee formed or invoked",
}
_FIELDS: Final = {
    "date": "date",
    "actor": "actor",
    "target": "target",
    "measure": "measure",
    "source": "source",
    "end_date": "end_date",
    "note": "note",
}


def detect_layout(path: Path, head: bytes, /, *, forced: str = "auto") -> Layout:
    """Layout of a measures CSV (it has a ``measure`` column)."""
    return header_layout(path, head, source="measures", key="measure")


def canonical_sql(layout: Layout, scan: str, /, *, ingest_id: int, ordinals: bool = True) -> str:
    """SELECT mapping the file to ``measures`` rows plus ``row_ordinal`` and ``reason``."""
    types = ", ".join(f"('{t}')" for t in MEASURE_TYPES)
    first, second = "trim(split_part(v.target, '-', 1))", "nullif(trim(split_part(v.target, '-', 2)), '')"
    actor, actor_joins = iso3_or_name("a", "v.actor")
    target, target_joins = iso3_or_name("t1", first)
    target2, target2_joins = iso3_or_name("t2", second)
    return f"""
WITH {fields_cte(layout, scan, _FIELDS, ordinals=ordinals)}
SELECT
  v.row_ordinal, try_cast(v.date AS DATE) AS date, try_cast(v.end_date AS DATE) AS end_date,
  v.actor, {actor} AS actor_iso3, v.target, {target} AS target_iso3, {target2} AS target2_iso3,
  lower(v.measure) AS measure, v.source, v.note, {int(ingest_id)} AS ingest_id,
  CASE WHEN v.date IS NULL THEN 'date is empty'
       {invalid_when("date", "date", "try_cast(v.date AS DATE) IS NULL", "a date (YYYY-MM-DD)")}
       {invalid_when("end_date", "end_date", "try_cast(v.end_date AS DATE) IS NULL", "a date (YYYY-MM-DD)")}
       WHEN v.measure IS NULL THEN 'measure is empty'
       {invalid_when("measure", "measure", f"lower(v.measure) NOT IN (SELECT * FROM (VALUES {types}))", "a known measure type")}
       WHEN v.actor IS NULL THEN 'actor is empty'
       WHEN v.target IS NULL THEN 'target is empty'
       WHEN {target} IS NULL THEN format('target {{}} is not a country or pair', v.target)
       WHEN {second} IS NOT NULL AND {target2} IS NULL
         THEN format('target {{}} is not a country or pair', v.target)
       WHEN v.source IS NULL THEN 'source is empty: every measure needs its citation'
  END AS reason
FROM v
{actor_joins}
{target_joins}
{target2_joins}
"""
