"""The dyad-month panel from the event store: warning indicators, ladder stages and their lags.

The escalation ladder runs weekly (the settings' thresholds are per week); a week counts in
the month its last day falls in, so a month's row reads only weeks complete by its end. Each
pair that has incidents in the store gets a row for every month from its first incident to
the store's last complete month (months without incidents are stage 0 with no signal), but
the months that are gaps in the store's data (its main source silent,
:func:`flashpoint.store.coverage.gap_periods`): they have no row, no part in the rolling
features, and a target looking ahead into one is missing unless the other months reach its
stage. Targets look ahead ``horizon``
months: the pair reaches a stage in some week of months t + 1 … t + horizon; they are
missing where those months are not all in the store yet.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import duckdb
import numpy as np
import pandas as pd

from flashpoint.config import Settings
from flashpoint.errors import InvalidInput
from flashpoint.escalation.ladder import event_scores
from flashpoint.forecasts.panels import STRUCTURAL, PanelSpec
from flashpoint.forecasts.targets import EVENT_TARGETS
from flashpoint.indicators.registry import INDICATORS
from flashpoint.store.coverage import gap_periods

#: Features of the dyad-month panel: name → what it is (docs/forecasts.md).
EVENT_FEATURES: Final = {
    "stage": "highest weekly ladder stage of the pair in the month (0 without incidents)",
    "stage_max_12m": "highest weekly ladder stage in the last 12 months, this one included",
    "stage3_now": "1 when the pair reached stage 3 or 4 in the month",
    "escalation_index": "highest weekly escalation index in the month",
    "index_mean_3m": "mean of the monthly highest index over this month and the two before",
    "log_incidents": "log(1 + the pair's incidents in the month)",
    "incidents_trend": "log_incidents minus its mean over the three months before",
    "months_since_stage3": "months since the pair last reached stage 3 or 4 (months observed when never)",
    "months_observed": "months since the pair's first incident in the store",
    **{
        f"{i.name}_z": f"highest weekly z-score of {i.name} against the pair's baseline in the month (0 without)"
        for i in INDICATORS
    },
}
_THRESHOLDS: Final = {"stage3": 3, "stage2": 2}
#: What a structural feature of the event panel is (docs/forecasts.md).
STRUCTURE_NOTE: Final = "the dyad-year feature {} of the latest year before the month's (docs/forecasts.md)"


def month_label(month: int) -> str:
    """A month counted from year 0 as 'YYYY-MM'."""
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def month_number(day: dt.date | pd.Timestamp, /) -> int:
    """The month of ``day`` counted from year 0 (the inverse of :func:`month_label`)."""
    return day.year * 12 + day.month - 1


def parse_month(value: str, option: str = "month") -> int:
    """'YYYY-MM' (or a date in that month) → months counted from year 0."""
    try:
        day = dt.date.fromisoformat(value if len(value) > 7 else f"{value}-01")
    except ValueError:
        raise InvalidInput(f"{option} {value!r}: expected a month as YYYY-MM, e.g. 2012-07.") from None
    return month_number(day)


def event_panel_spec(horizon: int = 3, *, structural: bool = False) -> PanelSpec:
    """The dyad-month panel's description for targets ``horizon`` months ahead (with the pair's
    structural features when ``structural``)."""
    if not 1 <= horizon <= 24:
        raise InvalidInput(f"horizon of {horizon} months: use 1 to 24 months, e.g. --horizon 3m.")
    targets = {name: text.replace("next k months", f"next {horizon} months") for name, text in EVENT_TARGETS.items()}
    features = {**EVENT_FEATURES, **({f"{n}_prev_year": STRUCTURE_NOTE.format(n) for n in STRUCTURAL} if structural else {})}
    return PanelSpec(
        unit="dyad-month",
        keys=("pair",),
        time="month",
        features=features,
        targets=targets,
        state="stage3_now",
        horizon=horizon,
        label=month_label,
        period_name="month",
    )


def _monthly(weeks: pd.DataFrame) -> pd.DataFrame:
    """Weekly scores → one row per pair and month with incidents."""
    as_of = pd.to_datetime(weeks["as_of"])
    weeks = weeks.assign(month=as_of.dt.year * 12 + as_of.dt.month - 1)
    agg = {"stage": "max", "escalation_index": "max", "total": "sum", **{f"{i.name}_z": "max" for i in INDICATORS}}
    return weeks.groupby(["pair", "month"], as_index=False).agg(agg)


def _dense(monthly: pd.DataFrame, last: int, gaps: list[int]) -> pd.DataFrame:
    """Every month of every pair from its first incident to ``last``, zeros where it had none
    and missing in the ``gaps``."""
    first = monthly.groupby("pair")["month"].min()
    grid = pd.DataFrame({"pair": np.repeat(first.index.to_numpy(), (last - first + 1).to_numpy())})
    grid["month"] = np.concatenate([np.arange(f, last + 1) for f in first.to_numpy()]) if len(first) else []
    frame = grid.merge(monthly, on=["pair", "month"], how="left")
    values = [c for c in monthly.columns if c not in ("pair", "month")]
    frame[values] = frame[values].where(frame["month"].isin(gaps), frame[values].fillna(0))
    return frame


def _rolling(grouped: pd.core.groupby.SeriesGroupBy, window: int, how: str) -> pd.Series:
    """Each row's ``how`` ('max', 'mean') over its group's last ``window`` rows up to it (fewer at
    the group's start), in one grouped pass; indexed like the rows."""
    rolled = getattr(grouped.rolling(window, min_periods=1), how)()
    return rolled.reset_index(level=0, drop=True)


def _history(frame: pd.DataFrame) -> pd.DataFrame:
    """Lagged and rolling features of each pair, each from its own month and earlier ones (the
    rolling ones over the months that are not gaps)."""
    g = frame.groupby("pair", sort=False)
    frame["stage3_now"] = (frame["stage"] >= 3).astype("int64")
    frame["stage_max_12m"] = _rolling(g["stage"], 12, "max").fillna(0)
    frame["index_mean_3m"] = _rolling(g["escalation_index"], 3, "mean")
    frame["log_incidents"] = np.log1p(frame["total"].astype("float64"))
    before = _rolling(frame.groupby("pair", sort=False)["log_incidents"].shift(1).groupby(frame["pair"], sort=False), 3, "mean")
    frame["incidents_trend"] = frame["log_incidents"] - before.fillna(0.0)
    frame["months_observed"] = g.cumcount()
    last3 = frame["month"].where(frame["stage3_now"] == 1)
    frame["months_since_stage3"] = (
        (frame["month"] - last3.groupby(frame["pair"]).ffill()).fillna(frame["months_observed"]).astype("int64")
    )
    return frame


def _targets(frame: pd.DataFrame, horizon: int, last: int, gaps: list[int]) -> pd.DataFrame:
    """Each target: the highest stage of months t + 1 … t + horizon reaching its threshold;
    missing when one of those months is after ``last``, and when one is among the ``gaps``
    unless the other months reach the threshold (the gap cannot undo that)."""
    # The highest stage of months t … t + horizon − 1 (a window over the reversed months), then of t + 1 … t + horizon.
    reversed_months = frame.iloc[::-1].groupby("pair", sort=False)["stage"]
    ahead = _rolling(reversed_months, horizon, "max").reindex(frame.index).groupby(frame["pair"], sort=False).shift(-1)
    known = frame["month"] + horizon <= last
    blind = pd.Series(False, index=frame.index)
    for gap in gaps:
        blind |= frame["month"].between(gap - horizon, gap - 1)
    frame["stage_ahead"] = ahead.where(known & ~blind)
    for name, threshold in _THRESHOLDS.items():
        reached = ahead >= threshold
        frame[name] = reached.astype("float64").where(known & (reached | ~blind))
    return frame


def _with_structure(frame: pd.DataFrame, structure: pd.DataFrame) -> pd.DataFrame:
    """Each pair-month with the structural features of the latest year before its own
    (``<name>_prev_year``; missing for pairs of states the tables do not cover)."""
    frame = frame.assign(known_year=frame["month"] // 12 - 1).sort_values("known_year")
    table = structure.rename(columns={n: f"{n}_prev_year" for n in STRUCTURAL}).rename(columns={"year": "known_year"})
    table = table.astype({"known_year": frame["known_year"].dtype}).sort_values("known_year")
    joined = pd.merge_asof(frame, table, on="known_year", by="pair", direction="backward")
    return joined.drop(columns="known_year").sort_values(["pair", "month"], ignore_index=True)


def build_event_panel(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    /,
    *,
    horizon: int = 3,
    until: dt.date | None = None,
    structure: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The dyad-month panel of the store's events dated up to ``until`` (default: all).

    Returns
    -------
    DataFrame: ``pair`` ('GEO-RUS'), ``month`` (months from year 0; :func:`month_label`),
    ``period`` (its first day), the :data:`EVENT_FEATURES`, ``stage_ahead`` (the highest stage
    of the next ``horizon`` months) and the :data:`EVENT_TARGETS` (both missing where the next
    ``horizon`` months are not all in the store); with ``structure``
    (:func:`~flashpoint.forecasts.panels.structural_rows`) the pair's structural features too.

    Raises
    ------
    InvalidInput
        When the store has no events between two countries up to ``until``.
    """
    spec = event_panel_spec(horizon)
    weeks = event_scores(con, settings, freq="week", until=until)
    if weeks.empty:
        raise InvalidInput(
            "the store holds no events between two countries"
            + (f" up to {until}" if until else "")
            + "; ingest some first (flashpoint ingest)."
        )
    last_day = pd.Timestamp(max(weeks["as_of"]))
    last = month_number(last_day) - (0 if last_day.is_month_end else 1)
    monthly = _monthly(weeks)
    gaps = [month_number(day) for day in gap_periods(con, "month", until=until)]
    frame = _targets(_history(_dense(monthly[monthly["month"] <= last], last, gaps)), spec.horizon, last, gaps)
    frame = frame[~frame["month"].isin(gaps)].astype({"stage": "int64", "stage_max_12m": "int64"})
    frame["period"] = pd.to_datetime({"year": frame["month"] // 12, "month": frame["month"] % 12 + 1, "day": 1}).dt.date
    columns = ["pair", "month", "period", *EVENT_FEATURES, "stage_ahead", *EVENT_TARGETS]
    if structure is not None:
        frame = _with_structure(frame, structure)
        columns += [f"{n}_prev_year" for n in STRUCTURAL]
    return frame[columns].reset_index(drop=True)
