"""UCDP Conflict Termination dataset → the store's ``terminations`` table.

One row per conflict episode (``conflictep_id``) and year, as UCDP publishes it merged with
the Armed Conflict Dataset: the sides, the episode's start and end,
how it ended (on the episode's last year; ``outcome``: 1 peace agreement, 2 ceasefire, 3 victory for the government side,
4 victory for the rebel side, 5 low activity, 6 actor ceases to exist), whether the
conflict recurred, and the location (Gleditsch–Ward, first code when several). Every
column is kept in ``attributes`` (JSON) under UCDP's own names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from flashpoint.errors import UnknownFormat
from flashpoint.sources.tabular import Layout, Target, country_join, header_layout, invalid_when, scan_sql

__all__ = ["CITATION", "FORMATS", "LICENSE", "OUTCOMES", "TARGET", "canonical_sql", "detect_layout", "scan_sql"]

CITATION: Final = (
    "Kreutz, Joakim (2010). How and when armed conflicts end: Introducing the UCDP Conflict Termination "
    "dataset. Journal of Peace Research 47(2): 243-250. UCDP Conflict Termination Dataset v3-2021."
)
LICENSE: Final = "UCDP data are free to use with citation (Creative Commons Attribution 4.0)."
FORMATS: Final = ("auto",)
#: Where this reader's rows go: one row per conflict episode.
TARGET: Final = Target("terminations", ("episode_id", "year"), "conflict-episode years")
#: UCDP's outcome codes.
OUTCOMES: Final = {
    1: "peace agreement",
    2: "ceasefire",
    3: "victory for side A",
    4: "victory for side B",
    5: "low activity",
    6: "actor ceases to exist",
}


def detect_layout(path: Path, head: bytes, /, *, forced: str = "auto") -> Layout:
    """Layout of a UCDP Conflict Termination file (it has a ``conflictep_id`` and an ``ependdate`` column)."""
    layout = header_layout(path, head, source="ucdp_termination", key="conflictep_id")
    if "ependdate" not in {c.lower() for c in layout.columns}:
        raise UnknownFormat(
            f"{path}: a UCDP Conflict Termination file needs an 'ependdate' column (the episode's end); it has none."
        )
    return layout


def _date(value: str) -> str:
    return f"CAST(coalesce(try_strptime({value}, '%m/%d/%Y'), try_strptime({value}, '%Y-%m-%d')) AS DATE)"


def canonical_sql(layout: Layout, scan: str, /, *, ingest_id: int, ordinals: bool = True) -> str:
    """SELECT mapping episodes to ``terminations`` rows plus ``row_ordinal`` and ``reason``."""
    ordinal = "row_number() OVER ()" if ordinals else "CAST(NULL AS BIGINT)"
    outcomes = ", ".join(f"({k}, '{v}')" for k, v in OUTCOMES.items())
    gw = "CAST(try_cast(try_cast(trim(split_part(v.r ->> 'gwno_loc', ',', 1)) AS DOUBLE) AS INTEGER) AS VARCHAR)"
    code = "try_cast(try_cast(v.r ->> 'outcome' AS DOUBLE) AS INTEGER)"
    return f"""
WITH v AS (SELECT {ordinal} AS row_ordinal, to_json(r) AS r, r.conflictep_id AS episode,
                  r.ependdate AS ended FROM {scan} AS r)
SELECT
  v.row_ordinal, 'ucdp' AS source, try_cast(try_cast(v.episode AS DOUBLE) AS BIGINT) AS episode_id,
  try_cast(try_cast(v.r ->> 'year' AS DOUBLE) AS INTEGER) AS year,
  try_cast(try_cast(v.r ->> 'conflict_id' AS DOUBLE) AS BIGINT) AS conflict_id,
  v.r ->> 'side_a' AS side_a, v.r ->> 'side_b' AS side_b, loc.iso3 AS location_iso3,
  {_date("v.r ->> 'start_date2'")} AS start_date, {_date("v.ended")} AS end_date,
  {code} AS outcome, o.label AS outcome_label,
  try_cast(try_cast(v.r ->> 'recur' AS DOUBLE) AS INTEGER) = 1 AS recurred,
  CAST(v.r AS JSON) AS attributes, {int(ingest_id)} AS ingest_id,
  CASE WHEN v.episode IS NULL THEN 'conflictep_id is empty'
       {invalid_when("conflictep_id", "episode", "try_cast(v.episode AS DOUBLE) IS NULL", "a number")}
       {invalid_when("ependdate", "ended", f"{_date('v.ended')} IS NULL", "a date")}
  END AS reason
FROM v
LEFT JOIN (VALUES {outcomes}) AS o(code, label) ON o.code = {code}
{country_join("loc", "gw", gw)}
"""
