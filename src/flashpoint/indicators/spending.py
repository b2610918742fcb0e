"""Military spending from the auxiliary ``milex`` table: each state's yearly figure and growth.

A state's figure for a year is taken in the most comparable unit the store holds (constant
US$ first, :data:`SPENDING_UNITS`), and its growth is measured against the year before in
the same unit and source, so a change of series is never read as a change of spending. The
yearly metrics show them; the indicators that report spending growth (docs/indicators.md)
carry it beside their counts.
"""

from __future__ import annotations

from typing import Final

import duckdb
import numpy as np
import pandas as pd

from flashpoint.indicators.registry import INDICATORS
from flashpoint.sources.tabular import sql_strings

#: Units in order of preference: constant prices compare years, current prices less well.
SPENDING_UNITS: Final = ("constant 2021 US$ million", "current US$ million", "current US$ thousand")
#: Names of the spending sources, for citations.
SOURCE_NAMES: Final = {"sipri": "SIPRI Military Expenditure Database", "cow_nmc": "COW National Material Capabilities"}


def spending(con: duckdb.DuckDBPyConnection, /, *, countries: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Each state's military spending per year, in its preferred unit.

    Returns
    -------
    DataFrame: ``iso3``, ``year``, ``value``, ``unit``, ``source`` (cited name), ``growth`` (on
    the year before in the same unit and source, as a fraction; NaN when that year is absent).
    """
    which = "" if countries is None else "AND list_contains(?, iso3)"
    units = sql_strings(SPENDING_UNITS)
    frame = con.execute(f"""
WITH ranked AS (
  SELECT iso3, year, value, unit, source, list_position([{units}], unit) AS rank FROM milex
  WHERE iso3 IS NOT NULL AND year IS NOT NULL AND value IS NOT NULL AND unit IN ({units}) {which}
),
best AS (SELECT * FROM ranked QUALIFY row_number() OVER (PARTITION BY iso3, year ORDER BY rank, source) = 1)
SELECT b.iso3, b.year, b.value, b.unit, b.source, b.value / nullif(p.value, 0) - 1 AS growth
FROM best b LEFT JOIN ranked p ON p.iso3 = b.iso3 AND p.year = b.year - 1 AND p.unit = b.unit AND p.source = b.source
ORDER BY b.iso3, b.year""", [list(countries)] if countries is not None else []).df()
    frame["source"] = frame["source"].map(lambda s: SOURCE_NAMES.get(s, s))
    return frame


def with_spending_growth(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> pd.DataFrame:
    """``spending_growth`` on the rows of the indicators that report it: the larger of the pair's
    two states' military spending growth in the year before the period's (NaN elsewhere)."""
    frame["spending_growth"] = float("nan")
    reported = frame["indicator"].isin([i.name for i in INDICATORS if i.spending_growth])
    growth = spending(con)[["iso3", "year", "growth"]].dropna()
    if growth.empty or not reported.any():
        return frame
    rows = frame.loc[reported, ["pair", "period"]]
    codes = rows["pair"].str.split("-|→", n=1, expand=True, regex=True)
    year = pd.to_datetime(rows["period"]).dt.year - 1
    by_state = [pd.DataFrame({"iso3": codes[i], "year": year}).merge(growth, on=["iso3", "year"], how="left")["growth"]
                for i in (0, 1)]
    frame.loc[reported, "spending_growth"] = np.fmax(*(g.to_numpy() for g in by_state))
    return frame
