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
from flashpoint.sql import sql_strings

#: Units in order of preference: constant prices compare years, current prices less well.
SPENDING_UNITS: Final = ("constant 2021 US$ million", "current US$ million", "current US$ thousand")
#: Names of the spending sources, for citations.
SOURCE_NAMES: Final = {"sipri": "SIPRI Military Expenditure Database", "cow_nmc": "COW National Material Capabilities"}
#: Days after a year's end until its figure is published, per source: SIPRI releases the
#: year's figures in late April of the next; COW NMC's versions came four to five years after
#: their last year (5.0 in 2017 ended in 2012, 6.0 in 2021 in 2016). A figure is read as of a
#: day only from then on (docs/auxiliary.md); an unknown source gets the longest lag.
PUBLICATION_LAG_DAYS: Final = {"sipri": 120, "cow_nmc": 4 * 365}


def spending(con: duckdb.DuckDBPyConnection, /, *, countries: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Each state's military spending per year, in its preferred unit.

    Returns
    -------
    DataFrame: ``iso3``, ``year``, ``value``, ``unit``, ``source`` (cited name), ``growth`` (on
    the year before in the same unit and source, as a fraction; NaN when that year is absent),
    ``known_from`` (the day the figure was published, :data:`PUBLICATION_LAG_DAYS`).
    """
    which = "" if countries is None else "AND list_contains(?, iso3)"
    units = sql_strings(SPENDING_UNITS)
    lags = ", ".join(f"{sql_strings([name])}: {days}" for name, days in PUBLICATION_LAG_DAYS.items())
    longest = max(PUBLICATION_LAG_DAYS.values())
    frame = con.execute(
        f"""
WITH ranked AS (
  SELECT iso3, year, value, unit, source, list_position([{units}], unit) AS rank FROM milex
  WHERE iso3 IS NOT NULL AND year IS NOT NULL AND value IS NOT NULL AND unit IN ({units}) {which}
),
best AS (SELECT * FROM ranked QUALIFY row_number() OVER (PARTITION BY iso3, year ORDER BY rank, source) = 1)
SELECT b.iso3, b.year, b.value, b.unit, b.source, b.value / nullif(p.value, 0) - 1 AS growth,
       make_date(b.year, 12, 31) + CAST(coalesce(MAP {{{lags}}}[b.source], {longest}) AS INTEGER) AS known_from
FROM best b LEFT JOIN ranked p ON p.iso3 = b.iso3 AND p.year = b.year - 1 AND p.unit = b.unit AND p.source = b.source
ORDER BY b.iso3, b.year""",
        [list(countries)] if countries is not None else [],
    ).df()
    frame["source"] = frame["source"].map(lambda s: SOURCE_NAMES.get(s, s))
    frame["known_from"] = pd.to_datetime(frame["known_from"]).dt.date
    return frame


def with_spending_growth(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, ends: pd.Series) -> pd.DataFrame:
    """``spending_growth`` on the rows of the indicators that report it: the larger of the pair's
    two states' latest military spending growth published by the period's last day (``ends``,
    one per row; NaN elsewhere, and where none was published yet)."""
    frame["spending_growth"] = float("nan")
    reported = frame["indicator"].isin([i.name for i in INDICATORS if i.spending_growth])
    growth = spending(con)[["iso3", "known_from", "growth"]].dropna()
    if growth.empty or not reported.any():
        return frame
    growth["known_from"] = pd.to_datetime(growth["known_from"])
    growth = growth.sort_values("known_from")
    rows = frame.loc[reported, ["pair", "period"]]
    codes = rows["pair"].str.split("-|→", n=1, expand=True, regex=True)
    ends = pd.to_datetime(ends[reported])
    by_state = []
    for i in (0, 1):
        asked = pd.DataFrame({"iso3": codes[i].to_numpy(), "day": ends.to_numpy(), "row": range(len(rows))})
        found = pd.merge_asof(asked.sort_values("day"), growth, left_on="day", right_on="known_from", by="iso3")
        by_state.append(found.sort_values("row")["growth"].to_numpy())
    frame.loc[reported, "spending_growth"] = np.fmax(*by_state)
    return frame
