"""International Crisis Behavior (ICB) crises → the store's ``crises`` table.

Reads ICB's system-level file (one row per international crisis: ``icb1, crisno, crisname,
yrtrig, motrig, datrig, yrterm, ...``). The columns levers and forecasts read are named
(dates, gravity, violence, great-power, global- and regional-organisation involvement,
mediation, form of outcome, tension after the crisis); every column of the row is kept in
``attributes`` (JSON) under ICB's own names, so nothing is lost. A missing or unknown
trigger or termination day is taken as the first of the month (``*_day_known`` says which).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from flashpoint.sources.tabular import Layout, Target, header_layout, invalid_when, scan_sql

__all__ = ["CITATION", "FORMATS", "LICENSE", "TARGET", "canonical_sql", "detect_layout", "scan_sql"]

CITATION: Final = (
    "Brecher, Michael, Jonathan Wilkenfeld, Kyle Beardsley, Patrick James and David Quinn (2021). "
    "International Crisis Behavior Data Codebook, Version 14. http://sites.duke.edu/icbdata/"
)
LICENSE: Final = "ICB data are freely available for research with citation to the ICB project."
FORMATS: Final = ("auto",)
#: Where this reader's rows go: one row per ICB crisis.
TARGET: Final = Target("crises", ("crisis_id",), "crises")

#: Named columns: canonical name → ICB variable (see the ICB codebook for their codes).
NAMED: Final = {
    "gravity": "gravcr",
    "violence": "viol",
    "great_power_involvement": "gpinv",
    "global_org_involvement": "globorg",
    "regional_org_involvement": "regorg",
    "mediation": "mediate",
    "outcome_form": "forout",
    "tension_after": "outesr",
}


def detect_layout(path: Path, head: bytes, /, *, forced: str = "auto") -> Layout:
    """Layout of an ICB system-level file (it has a ``crisno`` and a ``crisname`` column)."""
    return header_layout(path, head, source="icb", key="crisname")


def _day_known(year: str, month: str, day: str) -> str:
    y, m, d = (f"try_cast(try_cast(v.r ->> '{c}' AS DOUBLE) AS INTEGER)" for c in (year, month, day))
    return f"try_strptime(format('{{}}-{{}}-{{}}', {y}, {m}, {d}), '%Y-%m-%d') IS NOT NULL"


def _date(year: str, month: str, day: str) -> str:
    """SQL: the date of ICB's year, month and day columns; the first of the month when the day
    is missing or not a day of that month (ICB codes unknown days with out-of-range values)."""
    y, m, d = (f"try_cast(try_cast(v.r ->> '{c}' AS DOUBLE) AS INTEGER)" for c in (year, month, day))
    return (
        f"CAST(coalesce(try_strptime(format('{{}}-{{}}-{{}}', {y}, {m}, {d}), '%Y-%m-%d'), "
        f"try_strptime(format('{{}}-{{}}-1', {y}, {m}), '%Y-%m-%d')) AS DATE)"
    )


def canonical_sql(layout: Layout, scan: str, /, *, ingest_id: int, ordinals: bool = True) -> str:
    """SELECT mapping ICB rows to ``crises`` rows plus ``row_ordinal`` and ``reason``."""
    ordinal = "row_number() OVER ()" if ordinals else "CAST(NULL AS BIGINT)"
    named = ", ".join(f"try_cast(try_cast(v.r ->> '{column}' AS DOUBLE) AS INTEGER) AS {name}" for name, column in NAMED.items())
    start, end = _date("yrtrig", "motrig", "datrig"), _date("yrterm", "moterm", "daterm")
    return f"""
WITH v AS (SELECT {ordinal} AS row_ordinal, to_json(r) AS r, r.crisno AS crisno FROM {scan} AS r)
SELECT
  v.row_ordinal, 'icb' AS source, try_cast(try_cast(v.crisno AS DOUBLE) AS INTEGER) AS crisis_id,
  v.r ->> 'crisname' AS name, {start} AS start_date, {_day_known("yrtrig", "motrig", "datrig")} AS start_day_known,
  {end} AS end_date, {_day_known("yrterm", "moterm", "daterm")} AS end_day_known, {named},
  CAST(v.r AS JSON) AS attributes, {int(ingest_id)} AS ingest_id,
  CASE WHEN v.crisno IS NULL THEN 'crisno is empty'
       {invalid_when("crisno", "crisno", "try_cast(v.crisno AS DOUBLE) IS NULL", "a number")}
       WHEN {start} IS NULL THEN 'the trigger date (yrtrig, motrig) is not a date'
  END AS reason
FROM v
"""
