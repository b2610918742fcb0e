"""Daily pair score series → the store's ``pair_series`` table.

Many analysts hold aggregates rather than events: one score per country pair and day, such
as the GDELT-derived relation scores of ``gzemo/gdelt-graph-data`` (negative = conflict,
positive = cooperation). A series file has a header row with ``date`` (YYYY-MM-DD),
``iso3_a``, ``iso3_b`` (ISO3 codes or country names; the pair is unordered) and the value
column named on the command line. Each file's rows join the named series (default: the value
column's name); a pair and day already in the series keep their first value. A bad date, an
unknown country, a pair of one country with itself or a value that is not a number is
quarantined with its line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from flashpoint.errors import InvalidInput
from flashpoint.sources.tabular import (
    Layout,
    Target,
    fields_cte,
    header_layout,
    invalid_when,
    iso3_or_name,
    scan_sql,
)
from flashpoint.sql import sql_string as _s

CITATION: Final = "Cite the data set the series comes from."
LICENSE: Final = "The licence of the data set the series comes from."


class SeriesReader:
    """A reader (the interface of the source modules) for daily pair score series."""

    TARGET = Target("pair_series", ("series", "pair", "date"), "series values")
    scan_sql = staticmethod(scan_sql)

    def __init__(self, value_column: str, /, *, series: str | None = None) -> None:
        name = (series or value_column).strip()
        if not name or not value_column.strip():
            raise InvalidInput("series: give the value column (--value-column edge_weight).")
        self.value_column = value_column.strip()
        self.series = name

    def detect_layout(self, path: Path, head: bytes, /, *, forced: str = "auto") -> Layout:
        """Layout of the file; it needs ``date``, ``iso3_a``, ``iso3_b`` and the value column."""
        layout = header_layout(path, head, source="series", key="date")
        present = {c.lower() for c in layout.columns}
        missing = [c for c in ("iso3_a", "iso3_b", self.value_column) if c.lower() not in present]
        if missing:
            raise InvalidInput(
                f"{path}: a pair series needs columns date, iso3_a, iso3_b and the value column; "
                f"missing {', '.join(missing)} (its columns are {', '.join(layout.columns)})."
            )
        return layout

    def canonical_sql(self, layout: Layout, scan: str, /, *, ingest_id: int, ordinals: bool = True) -> str:
        """SELECT mapping the file to ``pair_series`` rows plus ``row_ordinal`` and ``reason``."""
        fields = {"date": "date", "a": "iso3_a", "b": "iso3_b", "value": self.value_column}
        first, first_joins = iso3_or_name("ca", "v.a")
        second, second_joins = iso3_or_name("cb", "v.b")
        return f"""
WITH {fields_cte(layout, scan, fields, ordinals=ordinals)}
SELECT
  v.row_ordinal, {_s(self.series)} AS series,
  least({first}, {second}) || '-' || greatest({first}, {second}) AS pair,
  try_cast(v.date AS DATE) AS date, try_cast(v.value AS DOUBLE) AS value, {int(ingest_id)} AS ingest_id,
  CASE WHEN v.date IS NULL THEN 'date is empty'
       {invalid_when("date", "date", "try_cast(v.date AS DATE) IS NULL", "a date (YYYY-MM-DD)")}
       WHEN v.a IS NULL OR v.b IS NULL THEN 'iso3_a or iso3_b is empty'
       WHEN {first} IS NULL THEN format('iso3_a {{}} is not a known country', v.a)
       WHEN {second} IS NULL THEN format('iso3_b {{}} is not a known country', v.b)
       WHEN {first} = {second} THEN format('the pair {{}}-{{}} is one country', v.a, v.b)
       WHEN v.value IS NULL THEN '{self.value_column} is empty'
       {invalid_when(self.value_column, "value", "try_cast(v.value AS DOUBLE) IS NULL", "a number")}
  END AS reason
FROM v
{first_joins}
{second_joins}
"""
