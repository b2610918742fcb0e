"""What the 30-day warning model reads (docs/adr/025): its specification, the onsets it learns from,
and the features of every pair-period, each from that period and the ones before it only.

Events: the pair's conflict volume over several windows, its trend and volatility, the share of it
confident, the pair's share of the world's attention, the onsets of the pair known by then and
whether the two states share a border. A score series: its conflict on a signed log scale, trend,
z-score and volatility, and the pair's known onsets. The target of a row is an onset of its pair
within the horizon after the period's last day. Periods that are gaps in the store's data have no row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Final

import duckdb
import numpy as np
import pandas as pd

from flashpoint.config import Settings
from flashpoint.errors import InvalidInput
from flashpoint.escalation.alerts import EVENTS_BASIS
from flashpoint.escalation.scorecard import read_onsets
from flashpoint.pairs import pair_key
from flashpoint.periods import PANDAS_PERIOD
from flashpoint.sql import sql_strings
from flashpoint.store.coverage import gap_periods

#: Days in a period of each frequency the model runs at (windows are written in days).
PERIOD_DAYS: Final = {"day": 1, "week": 7, "month": 30}
#: Windows of the rolling features, in days.
WINDOWS: Final = {"month": 28, "quarter": 91, "year": 364}
#: The models the warning can use (docs/adr/025: chosen on the development data).
MODELS: Final = ("logit", "boosting")
#: What each feature is, in the words a warning's drivers use.
FEATURES: Final = {
    "material_quarter": "material conflict over the last quarter",
    "verbal_quarter": "verbal conflict over the last quarter",
    "material_trend": "material conflict this month against its year",
    "verbal_trend": "verbal conflict this month against its year",
    "attention_year": "the pair's share of the world's reports over the year",
    "confident_share": "share of the quarter's conflict reports that are confident",
    "volatility": "week-to-week swings in the pair's conflict",
    "prior_onsets": "escalation onsets of the pair before",
    "contiguous": "the two states share a border",
}
#: The features of a score series (negative values are conflict; no event profile).
SERIES_FEATURES: Final = {
    "conflict_month": "conflict score over the last month",
    "conflict_quarter": "conflict score over the last quarter",
    "conflict_trend": "conflict this month against its year",
    "conflict_z": "this month's conflict against the pair's own history",
    "volatility": "swings in the pair's conflict score",
    "prior_onsets": "escalation onsets of the pair before",
}
#: Pseudo-periods of the overall rate a pair's own base rate is shrunk toward.
PRIOR_PERIODS: Final = 52
#: The shipped onset lists the model learns from by default (forecasts/data/PROVENANCE.md).
SHIPPED_ONSETS: Final = ("onsets_2012_2015.csv", "onsets_2018_2024.csv")


@dataclass(frozen=True)
class WarningSpec:
    """What the warning model is asked: the basis ('events' or 'series:NAME'), the period, the
    horizon, the false-alarm budget, the model, how often it is refitted and how many onsets it
    needs before it answers."""

    basis: str = EVENTS_BASIS
    freq: str = "week"
    horizon_days: int = 30
    budget: float = 1.0
    model: str = "logit"
    refit_days: int = 91
    min_onsets: int = 3

    @classmethod
    def from_settings(cls, settings: Settings, /, *, basis: str = EVENTS_BASIS, freq: str | None = None) -> WarningSpec:
        """The spec the settings give (``warning_*`` and ``alert_freq``)."""
        return cls(
            basis=basis,
            freq=freq or settings.alert_freq,
            horizon_days=settings.warning_horizon_days,
            budget=settings.warning_false_alarms,
            model=settings.warning_model,
            refit_days=settings.warning_refit_days,
            min_onsets=settings.warning_min_onsets,
        )

    def check(self) -> None:
        """Raise InvalidInput for a frequency or model the warning does not run."""
        if self.freq not in PERIOD_DAYS:
            raise InvalidInput(f"the warning model runs by {', '.join(PERIOD_DAYS)}, not by {self.freq}.")
        if self.model not in MODELS:
            raise InvalidInput(f"warning model '{self.model}': use one of {', '.join(MODELS)}.")

    @property
    def features(self) -> dict[str, str]:
        return FEATURES if self.basis == EVENTS_BASIS else SERIES_FEATURES


def training_onsets(files: tuple[Path, ...] = (), /, *, settings: Settings | None = None) -> pd.DataFrame:
    """The onsets the model learns from: the shipped lists, the ``warning_onsets`` file of
    ``settings`` and ``files`` (same columns), one row per pair and day."""
    shipped = resources.files("flashpoint.forecasts") / "data"
    if settings is not None and settings.warning_onsets:
        files = (settings.warning_onsets, *files)
    frames = [read_onsets(Path(str(shipped / name))) for name in SHIPPED_ONSETS]
    frames += [read_onsets(path) for path in files]
    return pd.concat(frames, ignore_index=True).drop_duplicates(["pair", "onset_date"], ignore_index=True)


def _event_signals(
    con: duckdb.DuckDBPyConnection,
    freq: str,
    min_confidence: float,
    /,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    pairs: tuple[str, ...] | None = None,
) -> tuple[pd.DataFrame, pd.Series]:
    """Per pair (of ``pairs``, when given) and period, incidents (clusters counted once): all,
    verbal conflict (quad class 3), material conflict (4), confident conflict; and, per period,
    the world's incidents (every event's)."""
    window = " ".join(
        f"AND event_date {op} DATE '{day.isoformat()}'" for op, day in ((">=", since), ("<=", until)) if day is not None
    )
    chosen = "" if pairs is None else f"AND pair IN ({sql_strings(pairs) or 'NULL'})"
    period = f"CAST(date_trunc('{freq}', event_date) AS DATE)"
    world = con.sql(
        f"SELECT {period} AS period, count(DISTINCT coalesce(cluster_id, event_id)) AS world FROM events "
        f"WHERE TRUE {window} GROUP BY ALL"
    ).df()
    rows = con.sql(f"""
SELECT pair, {period} AS period, count(DISTINCT coalesce(cluster_id, event_id)) AS events,
       count(DISTINCT coalesce(cluster_id, event_id)) FILTER (quad_class = 3) AS verbal,
       count(DISTINCT coalesce(cluster_id, event_id)) FILTER (quad_class = 4) AS material,
       count(DISTINCT coalesce(cluster_id, event_id)) FILTER (quad_class IN (3, 4)
           AND coalesce(confidence, 1) >= {float(min_confidence)}) AS confident
FROM events WHERE pair IS NOT NULL {window} {chosen} GROUP BY ALL""").df()
    return rows, world.set_index(pd.to_datetime(world["period"]))["world"].sort_index()


def _series_signals(con: duckdb.DuckDBPyConnection, series: str, freq: str, until: dt.date | None) -> pd.DataFrame:
    """Per pair and period, the series' conflict: minus the sum of its values."""
    where = "" if until is None else f" AND date <= DATE '{until.isoformat()}'"
    frame = con.execute(
        f"SELECT pair, CAST(date_trunc('{freq}', date) AS DATE) AS period, -sum(value) AS conflict "
        f"FROM pair_series WHERE series = ?{where} GROUP BY ALL",
        [series],
    ).df()
    if frame.empty:
        raise InvalidInput(
            f"no stored series named '{series}'. Load one with 'flashpoint ingest series PATH --value-column COLUMN'."
        )
    return frame


def _dense(signals: pd.DataFrame, freq: str, gaps: list[dt.date], periods: pd.DatetimeIndex) -> pd.DataFrame:
    """Every period of ``periods`` (the store's, in order) of each pair from its first, gaps left
    out; periods with no row are zero."""
    signals = signals.assign(period=pd.to_datetime(signals["period"]))
    periods = pd.period_range(periods.min(), periods.max(), freq=PANDAS_PERIOD[freq]).start_time.normalize()
    periods = periods[~periods.isin(pd.to_datetime(gaps))] if gaps else periods
    first = signals.groupby("pair")["period"].min()
    index = np.searchsorted(periods.to_numpy(), first.to_numpy())
    counts = len(periods) - index
    grid = pd.DataFrame(
        {
            "pair": np.repeat(first.index.to_numpy(), counts),
            "period": np.concatenate([periods.to_numpy()[i:] for i in index]) if len(index) else [],
        }
    )
    frame = grid.merge(signals, on=["pair", "period"], how="left")
    return frame.fillna({c: 0.0 for c in frame.columns if c not in ("pair", "period")}).sort_values(
        ["pair", "period"], ignore_index=True
    )


def _rolling(frame: pd.DataFrame, column: str | pd.Series, periods: int, how: str = "mean", *, min_periods: int = 1) -> pd.Series:
    """Per pair (``frame`` sorted by pair and period), the rolling ``how`` of ``column`` over the
    ``periods`` up to each row."""
    values = frame[column] if isinstance(column, str) else column
    rolled = getattr(values.groupby(frame["pair"], sort=False).rolling(periods, min_periods=min_periods), how)()
    return rolled.reset_index(level=0, drop=True).reindex(frame.index)


def _prior_onsets(frame: pd.DataFrame, onsets: pd.DataFrame) -> pd.Series:
    """Per row, the onsets of its pair on or before its last day (known then)."""
    days = onsets.assign(onset_date=pd.to_datetime(onsets["onset_date"])).sort_values("onset_date")
    found = np.zeros(len(frame))
    for pair, rows in frame.groupby("pair", sort=False).groups.items():
        mine = days.loc[days["pair"] == pair, "onset_date"].to_numpy()
        if len(mine):
            found[frame.index.get_indexer(rows)] = np.searchsorted(mine, frame.loc[rows, "as_of"].to_numpy(), side="right")
    return pd.Series(found, index=frame.index)


def _event_features(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    freq: str,
    window: dict[str, int],
    *,
    since: dt.date | None,
    until: dt.date | None,
    pairs: tuple[str, ...] | None,
) -> pd.DataFrame:
    """Every pair-period of the events with the features of :data:`FEATURES` read from them (all
    but volatility and the pair's onsets), ``window`` the periods of a month, a quarter and a year."""
    signals, world = _event_signals(con, freq, settings.alert_min_confidence, since=since, until=until, pairs=pairs)
    if signals.empty:
        raise InvalidInput("the store holds no event between two states: ingest events first.")
    frame = _dense(signals, freq, gap_periods(con, freq, until=until), world.index)
    for name in ("events", "verbal", "material", "confident"):
        frame[name] = np.log1p(frame[name])
    frame["material_quarter"] = _rolling(frame, "material", window["quarter"])
    frame["verbal_quarter"] = _rolling(frame, "verbal", window["quarter"])
    frame["material_trend"] = _rolling(frame, "material", window["month"]) - _rolling(frame, "material", window["year"])
    frame["verbal_trend"] = _rolling(frame, "verbal", window["month"]) - _rolling(frame, "verbal", window["year"])
    # The world's incidents over the periods of the grid: a covered period without any event
    # counts as none (a store of several sources can cover periods where none reported anything).
    covered = pd.DatetimeIndex(frame["period"].unique()).sort_values()
    world_year = np.log1p(world.reindex(covered, fill_value=0).rolling(window["year"], min_periods=1).mean())
    frame["attention_year"] = _rolling(frame, "events", window["year"]) - frame["period"].map(world_year)
    conflict = np.expm1(frame["verbal"]) + np.expm1(frame["material"])
    frame["conflict"] = np.log1p(conflict)
    frame["confident_share"] = (
        _rolling(frame, np.expm1(frame["confident"]), window["quarter"], "sum")
        / _rolling(frame, conflict, window["quarter"], "sum")
    ).fillna(0.0)
    borders = {pair_key(pair) for pair in con.execute("SELECT iso3, neighbour FROM country_neighbours").fetchall()}
    frame["contiguous"] = frame["pair"].isin(borders).astype("float64")
    return frame


def _series_features(
    con: duckdb.DuckDBPyConnection, series: str, freq: str, window: dict[str, int], until: dt.date | None
) -> pd.DataFrame:
    """Every pair-period of the stored ``series`` with the features of :data:`SERIES_FEATURES` read
    from it (all but volatility and the pair's onsets)."""
    signals = _series_signals(con, series, freq, until)
    frame = _dense(signals, freq, [], pd.DatetimeIndex(pd.to_datetime(signals["period"])))
    # On a signed log scale: raw scores run to thousands on a few pairs and would decide the fit.
    frame["conflict"] = np.sign(frame["conflict"]) * np.log1p(frame["conflict"].abs())
    frame["conflict_month"] = _rolling(frame, "conflict", window["month"])
    frame["conflict_quarter"] = _rolling(frame, "conflict", window["quarter"])
    frame["conflict_trend"] = frame["conflict_month"] - _rolling(frame, "conflict", window["year"])
    history = frame.groupby("pair", sort=False)["conflict"]
    mean = history.expanding().mean().reset_index(level=0, drop=True).reindex(frame.index)
    sd = history.expanding(min_periods=4).std().reset_index(level=0, drop=True).reindex(frame.index)
    frame["conflict_z"] = ((frame["conflict_month"] - mean) / sd.where(sd > 1e-12)).fillna(0.0).clip(-10, 10)
    return frame


def warning_frame(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    spec: WarningSpec,
    onsets: pd.DataFrame,
    /,
    *,
    until: dt.date | None = None,
    since: dt.date | None = None,
    pairs: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Every pair-period of the basis with its features (:data:`FEATURES` or
    :data:`SERIES_FEATURES`), ``as_of`` (the period's last day) and ``target`` (an onset of the
    pair within the horizon after ``as_of``; missing where the data end before the horizon does).
    Rows read only their period and earlier ones, and only the events (or values) up to ``until``.
    Events only: ``pairs`` limits the rows to those pairs, and ``since`` reads the events from that
    day on (the rows a year after it have the features of the whole store's)."""
    spec.check()
    step = PERIOD_DAYS[spec.freq]
    window = {name: max(1, round(days / step)) for name, days in WINDOWS.items()}
    if spec.basis == EVENTS_BASIS:
        frame = _event_features(con, settings, spec.freq, window, since=since, until=until, pairs=pairs)
    else:
        frame = _series_features(con, spec.basis.removeprefix("series:"), spec.freq, window, until)
    frame["volatility"] = _rolling(frame, "conflict", window["quarter"], "std", min_periods=2).fillna(0.0)
    frame["as_of"] = (
        frame["period"] + pd.to_timedelta(step - 1, unit="D")
        if spec.freq != "month"
        else frame["period"] + pd.offsets.MonthEnd(0)
    )
    frame["prior_onsets"] = _prior_onsets(frame, onsets)
    frame["target"] = onset_targets(frame, onsets, spec.horizon_days)
    return frame[["pair", "period", "as_of", *spec.features, "target"]]


def onset_targets(frame: pd.DataFrame, onsets: pd.DataFrame, horizon_days: int, /) -> pd.Series:
    """1 when an onset of the row's pair falls in (as_of, as_of + horizon]; missing when the
    data end before as_of + horizon and no onset came."""
    target = np.zeros(len(frame))
    horizon = pd.Timedelta(days=horizon_days)
    for onset in onsets.assign(day=pd.to_datetime(onsets["onset_date"])).itertuples():
        hit = (frame["pair"] == onset.pair) & (frame["as_of"] < onset.day) & (frame["as_of"] + horizon >= onset.day)
        target[hit.to_numpy()] = 1.0
    last = frame["as_of"].max()
    open_ended = (frame["as_of"] + horizon > last).to_numpy() & (target == 0)
    target[open_ended] = np.nan
    return pd.Series(target, index=frame.index)
