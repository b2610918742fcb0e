"""Panels: one row per unit and period, features known at the period, targets after it.

``build_panel(unit="dyad-year", data_dir=...)`` builds the non-directed dyad-year panel of the
Correlates of War state system from the peacesciencer tables (a folder laid out like
``../shared/data``: ``peacesciencer/*.csv``), in one DuckDB query:

- every pair of system members in every year both are members (COW state system);
- features of year t, each from information available at the end of year t (:data:`FEATURES`);
- targets of year t+1: a new militarised interstate dispute (GML MID), and a dispute-year that
  reaches hostility level 4 (use of force) or 5 (war).

The dispute tables of the shared copy end in 2000, so targets exist for years up to 1999.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import duckdb
import pandas as pd

from flashpoint.errors import InvalidInput
from flashpoint.events.countries import state_system_table
from flashpoint.forecasts.targets import TARGETS
from flashpoint.sql import sql_string

#: Features of the dyad-year panel: name → what it is (docs/forecasts.md).
FEATURES: Final = {
    "contiguous": "1 when the two states share a land border or are separated by at most 400 miles of water "
    "(COW direct contiguity type 1–5 in force in the year)",
    "land_border": "1 when they share a land border (COW contiguity type 1)",
    "log_min_distance": "log(1 + minimum distance in km between the two states' territories; Cshapes, from 1886)",
    "log_capability_ratio": "log of the stronger state's CINC over the weaker's (COW NMC)",
    "milex_growth_max": "the larger of the two states' growth of military expenditure on the previous year "
    "(a share, capped at 5: +500%)",
    "defense_pact": "1 when an ATOP defence pact links them in the year",
    "any_alliance": "1 when any ATOP alliance (defence, offence, neutrality, non-aggression, consultation) links them",
    "major_powers": "how many of the two are COW major powers (0–2)",
    "rivalry": "1 when a Thompson–Dreyer strategic rivalry between them is active",
    "arms_race": "1 when a Gibler–Rider–Hutchison arms race between them is active",
    "log_trade_min": "log(1 + the smaller of the two states' total trade, imports plus exports; COW trade)",
    "igo_min": "the smaller of the two states' full IGO memberships (COW IGOs)",
    "peace_years": "years since the dyad's last dispute onset (or since both became members)",
    "dispute_ongoing": "1 when a dispute between them is ongoing in the year",
    "disputes_past": "dispute onsets between them up to and including the year",
}


@dataclass(frozen=True)
class PanelSpec:
    """What a backtest and a forecast need to know of a panel.

    ``keys`` name the unit, ``time`` is the integer period column (years, or months counted
    from year 0), ``horizon`` the periods a target looks ahead (t + 1 … t + horizon), ``state``
    the 0/1 column the persistence baseline conditions on, and ``label`` renders a period.
    """

    unit: str
    keys: tuple[str, ...]
    time: str
    features: Mapping[str, str]
    targets: Mapping[str, str]
    state: str
    horizon: int = 1
    label: Callable[[int], str] = str
    period_name: str = "year"


#: The dyad-year panel's description.
DYAD_YEAR: Final = PanelSpec(
    unit="dyad-year", keys=("ccode1", "ccode2"), time="year", features=FEATURES, targets=TARGETS, state="dispute_ongoing"
)
#: The dyad-year features that describe a pair's structure (not its dispute history, whose
#: tables end in 2000): what the event panel and the recommendations add as context.
STRUCTURAL: Final = (
    "contiguous",
    "log_min_distance",
    "log_capability_ratio",
    "defense_pact",
    "any_alliance",
    "major_powers",
    "rivalry",
    "arms_race",
    "log_trade_min",
    "igo_min",
)
_TABLES: Final = (
    "cow_states",
    "cow_contdir",
    "cow_mindist",
    "cow_nmc",
    "atop_alliance",
    "cow_majors",
    "td_rivalries",
    "grh_arms_races",
    "cow_trade_sy",
    "cow_igo_sy",
    "gml_mid_ddydisps",
)


#: The column that dates each table's rows (a spell's start for spells).
_DATED: Final = {
    "cow_states": "styear",
    "cow_contdir": "year(CAST(stdate AS DATE))",
    "cow_majors": "styear",
    "td_rivalries": "styear",
    "grh_arms_races": "styear",
}


def _sources(data_dir: Path, last_year: int | None) -> dict[str, str]:
    """Each table as a scan, without the rows dated after ``last_year`` when given."""
    folder = Path(data_dir) / "peacesciencer"
    missing = [t for t in _TABLES if not (folder / f"{t}.csv").is_file()]
    if missing:
        names = ", ".join(f"peacesciencer/{t}.csv" for t in missing)
        raise InvalidInput(f"data folder {data_dir}: {names} missing; give --data-dir a folder laid out like the shared data.")
    scans = {}
    for table in _TABLES:
        scan = f"read_csv({sql_string(str(folder / f'{table}.csv'))}, header=true)"
        if last_year is not None:
            scan = f"(SELECT * FROM {scan} WHERE {_DATED.get(table, 'year')} <= {int(last_year)})"
        scans[table] = scan
    return scans


def _inputs_sql(src: dict[str, str], last_year: int | None) -> str:
    """CTEs of the inputs, each keyed by state-year or dyad-year: ``dyads`` (system members
    paired), ``states`` (a state's capabilities, spending growth, major-power status, trade and
    IGOs), ``contig``, ``distance``, ``atop``, ``spells`` (rivalries, arms races) and ``mids``."""
    return f"{_state_inputs_sql(src, last_year)},{_dyad_inputs_sql(src)}"


def _state_inputs_sql(src: dict[str, str], last_year: int | None) -> str:
    """CTEs ``members``, ``dyads`` (members paired, up to ``last_year``) and ``states``."""
    return f"""
members AS (
  SELECT DISTINCT CAST(ccode AS INTEGER) AS ccode, CAST(y AS INTEGER) AS year
  FROM {src["cow_states"]}, range(CAST(styear AS INTEGER), CAST(endyear AS INTEGER) + 1) r(y)
),
dyads AS (
  SELECT a.ccode AS ccode1, b.ccode AS ccode2, a.year FROM members a JOIN members b
    ON a.year = b.year AND a.ccode < b.ccode{"" if last_year is None else f" AND a.year <= {int(last_year)}"}
),
nmc AS (
  SELECT CAST(ccode AS INTEGER) AS ccode, CAST(year AS INTEGER) AS year, cinc,
         milex / nullif(lag(milex) OVER (PARTITION BY ccode ORDER BY year), 0) - 1 AS milex_growth
  FROM {src["cow_nmc"]}
),
majors AS (
  SELECT DISTINCT CAST(ccode AS INTEGER) AS ccode, CAST(y AS INTEGER) AS year
  FROM {src["cow_majors"]}, range(CAST(styear AS INTEGER), CAST(endyear AS INTEGER) + 1) r(y)
),
states AS (
  SELECT m.ccode, m.year, n.cinc, n.milex_growth, (mj.ccode IS NOT NULL)::INTEGER AS major,
         t.trade, i.sum_igo_full AS igo
  FROM members m
  LEFT JOIN nmc n USING (ccode, year)
  LEFT JOIN majors mj USING (ccode, year)
  LEFT JOIN (SELECT CAST(ccode AS INTEGER) AS ccode, CAST(year AS INTEGER) AS year,
                    coalesce(imports, 0) + coalesce(exports, 0) AS trade FROM {src["cow_trade_sy"]}) t USING (ccode, year)
  LEFT JOIN (SELECT CAST(ccode AS INTEGER) AS ccode, CAST(year AS INTEGER) AS year, sum_igo_full
             FROM {src["cow_igo_sy"]}) i USING (ccode, year)
)"""


def _dyad_inputs_sql(src: dict[str, str]) -> str:
    """CTEs keyed by dyad-year: ``contig``, ``distance``, ``atop``, ``spells`` and ``mids``
    (``spells`` reads ``members`` for open-ended spells)."""
    return f"""
contig AS (
  SELECT least(ccode1, ccode2) AS ccode1, greatest(ccode1, ccode2) AS ccode2, CAST(y AS INTEGER) AS year,
         min(conttype) AS conttype
  FROM {src["cow_contdir"]}, range(year(CAST(stdate AS DATE)), year(CAST(enddate AS DATE)) + 1) r(y)
  GROUP BY ALL
),
distance AS (
  SELECT CAST(ccode1 AS INTEGER) AS ccode1, CAST(ccode2 AS INTEGER) AS ccode2, CAST(year AS INTEGER) AS year, mindist
  FROM {src["cow_mindist"]}
),
atop AS (
  SELECT least(ccode1, ccode2) AS ccode1, greatest(ccode1, ccode2) AS ccode2, CAST(year AS INTEGER) AS year,
         max(atop_defense) AS defense, max(greatest(atop_defense, atop_offense, atop_neutral, atop_nonagg,
                                                    atop_consul)) AS any_alliance
  FROM {src["atop_alliance"]} GROUP BY ALL
),
spells AS (
  SELECT ccode1, ccode2, CAST(y AS INTEGER) AS year, bool_or(kind = 'rivalry')::INTEGER AS rivalry,
         bool_or(kind = 'arms_race')::INTEGER AS arms_race
  FROM (SELECT least(ccode1, ccode2) AS ccode1, greatest(ccode1, ccode2) AS ccode2, CAST(styear AS INTEGER) AS st,
               least(CAST(coalesce(endyear, 9999) AS INTEGER), (SELECT max(year) FROM members)) AS en,
               'rivalry' AS kind FROM {src["td_rivalries"]}
        UNION ALL
        SELECT least(ccode1, ccode2), greatest(ccode1, ccode2), CAST(styear AS INTEGER), CAST(endyear AS INTEGER),
               'arms_race' FROM {src["grh_arms_races"]}), range(st, en + 1) r(y)
  GROUP BY ALL
),
mids AS (
  SELECT CAST(ccode1 AS INTEGER) AS ccode1, CAST(ccode2 AS INTEGER) AS ccode2, CAST(year AS INTEGER) AS year,
         max(gmlmidonset) AS onset, max(hostlev) AS hostlev
  FROM {src["gml_mid_ddydisps"]} WHERE ccode1 < ccode2 GROUP BY ALL
)"""


def _dyad_year_sql(src: dict[str, str], last_year: int | None) -> str:
    """The panel's SQL over the table scans ``src``, up to ``last_year`` when given: the
    features of each dyad-year from its inputs, then its history (peace years, past disputes)
    and its next year's outcomes."""
    return f"""
WITH {_inputs_sql(src, last_year)},
joined AS (
  SELECT d.ccode1, d.ccode2, d.year,
    CASE WHEN c.conttype BETWEEN 1 AND 5 THEN 1 ELSE 0 END AS contiguous,
    CASE WHEN c.conttype = 1 THEN 1 ELSE 0 END AS land_border,
    ln(1 + dist.mindist) AS log_min_distance,
    ln(greatest(s1.cinc, s2.cinc) / nullif(least(s1.cinc, s2.cinc), 0)) AS log_capability_ratio,
    least(greatest(s1.milex_growth, s2.milex_growth), 5.0) AS milex_growth_max,
    coalesce(al.defense, 0) AS defense_pact, coalesce(al.any_alliance, 0) AS any_alliance,
    s1.major + s2.major AS major_powers, coalesce(sp.rivalry, 0) AS rivalry, coalesce(sp.arms_race, 0) AS arms_race,
    ln(1 + least(s1.trade, s2.trade)) AS log_trade_min, least(s1.igo, s2.igo) AS igo_min,
    coalesce(mi.onset, 0) AS onset_now, (mi.ccode1 IS NOT NULL)::INTEGER AS dispute_ongoing,
    coalesce(mi.hostlev, 0) AS hostlev_now
  FROM dyads d
  LEFT JOIN contig c USING (ccode1, ccode2, year)
  LEFT JOIN distance dist USING (ccode1, ccode2, year)
  LEFT JOIN atop al USING (ccode1, ccode2, year)
  LEFT JOIN spells sp USING (ccode1, ccode2, year)
  LEFT JOIN mids mi USING (ccode1, ccode2, year)
  JOIN states s1 ON s1.ccode = d.ccode1 AND s1.year = d.year
  JOIN states s2 ON s2.ccode = d.ccode2 AND s2.year = d.year
),
histories AS (
  SELECT *,
    year - coalesce(max(CASE WHEN onset_now = 1 THEN year END) OVER w,
                    min(year) OVER (PARTITION BY ccode1, ccode2)) AS peace_years,
    sum(onset_now) OVER w AS disputes_past,
    lead(onset_now) OVER n AS onset_next_raw, lead(hostlev_now) OVER n AS hostlev_next,
    lead(year) OVER n AS next_year
  FROM joined
  WINDOW w AS (PARTITION BY ccode1, ccode2 ORDER BY year ROWS UNBOUNDED PRECEDING),
         n AS (PARTITION BY ccode1, ccode2 ORDER BY year)
)
SELECT ccode1, ccode2, year, {", ".join(FEATURES)},
  CASE WHEN next_year = year + 1 AND year < (SELECT max(year) FROM mids) THEN onset_next_raw END AS onset,
  CASE WHEN next_year = year + 1 AND year < (SELECT max(year) FROM mids)
       THEN (hostlev_next >= 4)::INTEGER END AS force
FROM histories ORDER BY year, ccode1, ccode2
"""


def build_panel(unit: str = "dyad-year", /, *, data_dir: Path, last_year: int | None = None) -> pd.DataFrame:
    """The panel of ``unit`` from the tables in ``data_dir``.

    Parameters
    ----------
    unit : ``"dyad-year"`` (the only panel built so far).
    data_dir : a folder laid out like the shared data (``peacesciencer/*.csv``).
    last_year : ignore every source row dated after this year (what was known then).

    Returns
    -------
    DataFrame: ``ccode1``, ``ccode2`` (COW codes, ccode1 < ccode2), ``year``, the
    :data:`FEATURES`, and the :data:`TARGETS` (of year + 1; missing where the dispute data end).

    Raises
    ------
    InvalidInput
        For another unit, or a folder without the tables.
    """
    if unit != DYAD_YEAR.unit:
        raise InvalidInput(
            f"panel '{unit}': the panels built from a data folder are {DYAD_YEAR.unit}; "
            "dyad-month is built from the event store (build_event_panel)."
        )
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")  # the engine's bar would print amid a command's output
        return con.sql(_dyad_year_sql(_sources(data_dir, last_year), last_year)).to_arrow_table().to_pandas()
    finally:
        con.close()


def structural_rows(data_dir: Path, /) -> pd.DataFrame:
    """The :data:`STRUCTURAL` features of every pair of states and year, keyed by the ISO3 pair
    ('GEO-RUS', first code first) and ``year``; states with no present-day ISO3 are left out.

    Raises
    ------
    InvalidInput
        For a folder without the tables.
    """
    panel = build_panel("dyad-year", data_dir=data_dir)
    iso3 = {int(code): found for code, found in state_system_table("cow").items() if found}
    first, second = panel["ccode1"].map(iso3), panel["ccode2"].map(iso3)
    rows = panel.assign(a=first, b=second).dropna(subset=["a", "b"])
    rows = rows[rows["a"] != rows["b"]]
    rows["pair"] = [f"{min(a, b)}-{max(a, b)}" for a, b in zip(rows["a"], rows["b"])]
    return rows[["pair", "year", *STRUCTURAL]].drop_duplicates(["pair", "year"]).reset_index(drop=True)


def pair_structure(structure: pd.DataFrame, pair: str, year: int, /) -> dict[str, object]:
    """The pair's :data:`STRUCTURAL` features of the latest year up to ``year`` (an empty dict
    when the tables do not cover the pair), with ``year``."""
    rows = structure[(structure["pair"] == pair) & (structure["year"] <= year)]
    if rows.empty:
        return {}
    latest = rows.sort_values("year").iloc[-1]
    return {"year": int(latest["year"]), **{n: None if pd.isna(latest[n]) else float(latest[n]) for n in STRUCTURAL}}
