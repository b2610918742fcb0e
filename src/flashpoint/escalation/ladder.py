"""The escalation index and ladder stage of each country pair and period.

The **index** is a weighted sum of the indicators' z-scores against the pair's own trailing
baseline (weights declared once in the indicator registry, docs/escalation.md): each
z-score counts only above zero (a fall for engagement, whose weight is negative), capped
at :data:`Z_CAP`, and no pair has a multiplier of its own. The **stage** (0–4) comes from the
pair's event profile in the period: the share of its incidents that are hostile rhetoric,
coercion or force, and how many there are (thresholds in the settings, per week and scaled
to the period's length). A pair score series (``flashpoint ingest series``) has an index —
the z-score of its conflict (the negated score) against its own baseline — and no stage.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import duckdb
import numpy as np
import pandas as pd

from flashpoint.config import Settings
from flashpoint.escalation.changes import change_options, detect_changes
from flashpoint.indicators.compute import indicator_table
from flashpoint.indicators.query import IndicatorQuery
from flashpoint.indicators.registry import INDICATORS
from flashpoint.periods import period_end, period_index
from flashpoint.sql import sql_string, sql_strings
from flashpoint.store.coverage import gap_periods
from flashpoint.store.queries import as_of_day
from flashpoint.wording import quantity

#: Ladder stages (ARCHITECTURE.md).
STAGES: Final = {
    0: "stable",
    1: "verbal hostility",
    2: "coercive signalling",
    3: "limited use of force",
    4: "major armed conflict",
}
#: Largest z-score one indicator adds to the index (one freak period cannot swamp it).
Z_CAP: Final = 10.0
#: Length of a period in weeks, to scale the ladder's per-week thresholds.
WEEKS: Final = {"day": 1 / 7, "week": 1.0, "month": 30.44 / 7, "year": 365.25 / 7}
WEIGHTED: Final = tuple(i for i in INDICATORS if i.index_weight)
#: Weeks a pair's current stage is read from, in a brief and on the pair's page.
CURRENT_WEEKS: Final = 8


def contributions(frame: pd.DataFrame) -> pd.DataFrame:
    """Each weighted indicator's part of the index: ``weight × z`` (above the baseline, or
    below it for a negative weight), capped; zero without a z-score."""
    parts = {}
    for ind in WEIGHTED:
        z = np.nan_to_num(_floats(frame[f"{ind.name}_z"]), nan=0.0) * np.sign(ind.index_weight)
        parts[ind.name] = abs(ind.index_weight) * np.clip(z, 0.0, Z_CAP)
    return pd.DataFrame(parts, index=frame.index)


def ladder_stage(frame: pd.DataFrame, settings: Settings, freq: str) -> pd.Series:
    """Stage 0–4 of each pair-period from its incidents (columns ``total``, ``<name>_incidents``)."""
    scale = WEEKS[freq]
    total = _floats(frame["total"])
    force, coercion, rhetoric = (_floats(frame[f"{n}_incidents"]) for n in ("force", "coercion", "rhetoric"))
    enough = settings.ladder_min_incidents * scale
    with np.errstate(divide="ignore", invalid="ignore"):  # no incidents: every share is NaN, no rule holds
        rules = [
            (force >= settings.ladder_major_incidents * scale) & (force / total >= settings.ladder_major_share),
            (force >= enough) & (force / total >= settings.ladder_force_share),
            (coercion >= enough) & (coercion / total >= settings.ladder_coercion_share),
            (rhetoric >= enough) & (rhetoric / total >= settings.ladder_verbal_share),
        ]
    return pd.Series(np.select(rules, [4, 3, 2, 1], default=0), index=frame.index, dtype="int64")


def _floats(column: pd.Series) -> np.ndarray:
    return column.to_numpy(dtype="float64", na_value=np.nan)


def event_scores(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    /,
    *,
    freq: str,
    pairs: tuple[str, ...] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    table: str = "events",
) -> pd.DataFrame:
    """Index and stage of every pair-period with incidents (of ``pairs`` when given, every
    period of theirs) in the store's ``table`` (``events`` or a view of some of them).

    Returns
    -------
    DataFrame: ``pair``, ``period``, ``as_of`` (its last day), ``total``, ``escalation_index``,
    ``stage``, per indicator ``<name>_z`` and ``<name>_incidents``, and per weighted
    indicator ``<name>_contribution`` (its part of the index).
    """
    query = IndicatorQuery(freq=freq, since=since, until=until, pairs=pairs, baseline_periods=settings.alert_baseline_periods)
    frame = indicator_table(con, query, table=table).to_pandas()  # sorted by pair and period; dates as dates
    frame["as_of"] = period_end(frame["period"], freq)
    parts = contributions(frame)
    frame["escalation_index"] = parts.sum(axis=1)
    frame["stage"] = ladder_stage(frame, settings, freq)
    frame = frame.join(parts.add_suffix("_contribution"))
    keep = ["pair", "period", "as_of", "total", "escalation_index", "stage"]
    keep += [f"{i.name}_{part}" for i in INDICATORS for part in ("z", "incidents")]
    keep += [f"{i.name}_contribution" for i in WEIGHTED]
    return frame[keep]


def series_scores(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    series: str,
    /,
    *,
    freq: str,
    baseline_periods: int,
    pairs: tuple[str, ...] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """Index of every pair-period of a stored score series: the z-score of the period's
    conflict (minus the sum of its values) against the pair's previous ``baseline_periods``
    periods present in the series.

    Returns
    -------
    DataFrame: ``pair``, ``period``, ``as_of``, ``conflict``, ``conflict_z``,
    ``escalation_index`` (``conflict_z`` above zero, capped), ``stage`` (missing: a series has no
    event profile).
    """
    where = [f"series = {sql_string(series)}"]
    if pairs is not None:
        where.append(f"pair IN ({sql_strings(pairs) or 'NULL'})")
    if until is not None:
        where.append(f"date <= DATE '{until.isoformat()}'")
    window = f"PARTITION BY pair ORDER BY idx RANGE BETWEEN {int(baseline_periods)} PRECEDING AND 1 PRECEDING"
    frame = (
        con.sql(f"""
WITH agg AS (SELECT pair, CAST(date_trunc('{freq}', date) AS DATE) AS period, -sum(value) AS conflict
             FROM pair_series WHERE {" AND ".join(where)} GROUP BY ALL),
indexed AS (SELECT *, {period_index(freq)} AS idx FROM agg),
stats AS (SELECT *, avg(conflict) OVER w AS mean, stddev_samp(conflict) OVER w AS sd, count(*) OVER w AS n
          FROM indexed WINDOW w AS ({window}))
SELECT pair, period, conflict,
       CASE WHEN n >= 4 AND sd > 1e-12 THEN (conflict - mean) / sd END AS conflict_z
FROM stats {f"WHERE period >= DATE '{since.isoformat()}'" if since is not None else ""}
ORDER BY pair, period""")
        .to_arrow_table()
        .to_pandas()
    )
    frame["period"] = pd.to_datetime(frame["period"]).dt.date
    frame["as_of"] = period_end(frame["period"], freq)
    frame["escalation_index"] = frame["conflict_z"].astype("float64").fillna(0.0).clip(lower=0.0, upper=Z_CAP)
    frame["stage"] = pd.array([pd.NA] * len(frame), dtype="Int64")
    return frame


def ladder_frame(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    pairs: tuple[str, ...],
    /,
    *,
    freq: str,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """Every period of each of ``pairs`` ('GEO-RUS'), computed together, in one frame sorted by
    pair and period: :func:`event_scores` with ``change_probability`` and ``change_point``; each
    pair's rows are those :func:`pair_ladder` gives for it alone (its periods end at its own
    last period with incidents; the change detection reads only earlier periods)."""
    scores = event_scores(con, settings, freq=freq, pairs=tuple(pairs), until=until)
    scores = detect_changes(scores, freq=freq, **change_options(settings), gaps=gap_periods(con, freq, until=until))
    if until is None:  # alone, a pair's periods end at its last one with incidents, not the others'
        last = scores["period"].where(scores["total"] > 0).groupby(scores["pair"]).transform("max")
        scores = scores[scores["period"] <= last]
    if since is not None:
        scores = scores[scores["period"] >= since]
    return scores.reset_index(drop=True)


def recent_stage(
    ladder: pd.DataFrame, settings: Settings, as_of: dt.date, span_weeks: int, /
) -> tuple[pd.DataFrame, int | None, str]:
    """A pair's weekly ``ladder`` rows ending in the ``span_weeks`` up to ``as_of``, their highest
    stage and its name; the stage is None, named 'not enough data: 2 incidents in 8 weeks', when
    the rows hold fewer than ``stage_min_incidents`` incidents: too little to call the pair stable."""
    since = pd.Timestamp(as_of - dt.timedelta(weeks=span_weeks))
    recent = ladder[pd.to_datetime(ladder["as_of"]) > since] if not ladder.empty else ladder
    incidents = int(recent["total"].sum()) if not recent.empty else 0
    if incidents < settings.stage_min_incidents:
        return recent, None, f"not enough data: {quantity(incidents, 'incident')} in {span_weeks} weeks"
    stage = int(recent["stage"].max())
    return recent, stage, STAGES[stage]


def period_stage_words(stage: int, incidents: int, settings: Settings, freq: str, /) -> str:
    """One period's stage in words: '2 coercive signalling'; a stage 0 read from fewer incidents
    than a stage needs ('ladder_min_incidents') is 'no events' or 'too few events (2)', not stable."""
    if stage == 0 and incidents < settings.ladder_min_incidents * WEEKS[freq]:
        return "no events" if incidents == 0 else f"too few events ({incidents})"
    return f"{stage} {STAGES[stage]}"


def stage_words(stage: int | None, name: str, /) -> str:
    """'Stage 2 (coercive signalling)', or 'No stage (not enough data: 2 incidents in 8 weeks)'."""
    return f"No stage ({name})" if stage is None else f"Stage {stage} ({name})"


def pair_ladders(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    pairs: tuple[str, ...],
    /,
    *,
    freq: str,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> dict[str, pd.DataFrame]:
    """:func:`ladder_frame` split by pair: per pair, the frame :func:`pair_ladder` gives for it alone."""
    scores = ladder_frame(con, settings, pairs, freq=freq, since=since, until=until)
    empty = scores.iloc[:0]
    found = {pair: rows.reset_index(drop=True) for pair, rows in scores.groupby("pair", sort=False)}
    return {pair: found.get(pair, empty) for pair in pairs}


def pair_ladder(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    pair: str,
    /,
    *,
    freq: str,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> pd.DataFrame:
    """Every period of one pair: its escalation index, stage and change points.

    Parameters
    ----------
    con, settings
        The store and the settings (thresholds, baseline, change detection).
    pair
        'GEO-RUS', the codes in alphabetical order.
    freq
        'day', 'week', 'month' or 'year'.
    since, until
        The first and last periods listed; the change detection reads the earlier periods too,
        nothing after ``until``.

    Returns
    -------
    pandas.DataFrame
        One row per period: :func:`event_scores` with ``change_probability`` and ``change_point``.
    """
    return pair_ladders(con, settings, (pair,), freq=freq, since=since, until=until)[pair]


def current_stage(con: duckdb.DuckDBPyConnection, settings: Settings, pair: str, as_of: dt.date | None, /) -> int | None:
    """The pair's stage in the store over the :data:`CURRENT_WEEKS` to
    ``as_of`` (default: the store's last event); None with too few incidents to call one."""
    day = as_of_day(con, as_of)
    ladder = pair_ladder(con, settings, pair, freq="week", until=day)
    return recent_stage(ladder, settings, day, CURRENT_WEEKS)[1]
