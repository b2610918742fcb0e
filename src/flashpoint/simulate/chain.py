"""Stage transitions fitted to real weekly ladder histories.

A history is a pair's stage (0–4) week by week. Transitions are counted per **band** of the
pair's situation at the start of the week — for event histories the escalation index band
(below the watch threshold, between watch and warning, above warning), for score series the
four-week trend of the conflict (falling, flat, rising) — so a pair is simulated with the
transitions of weeks like its own. Each row of a band's matrix has a Dirichlet posterior (the
counts plus ``prior`` pseudo-counts spread over the pooled row's shape): its mean is the
fitted matrix, and draws from it carry the parameter uncertainty into the simulation. The
pooled chain (every band together) is the pure Markov baseline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import duckdb
import numpy as np
import pandas as pd

from flashpoint.config import Settings
from flashpoint.errors import InvalidInput
from flashpoint.escalation.ladder import event_scores
from flashpoint.store.coverage import gap_periods

N_STAGES: Final = 5
BANDS: Final = {"events": ("low", "elevated", "high"), "series": ("falling", "flat", "rising")}
#: Monday of week 0: weeks are counted as the indicators count them (``period_index``).
WEEK_ZERO: Final = pd.Timestamp("1970-01-05")


def week_number(days: pd.Series) -> pd.Series:
    """The week number of each day (weeks from :data:`WEEK_ZERO`, Monday to Sunday)."""
    return (pd.to_datetime(days) - WEEK_ZERO).dt.days // 7


def week_start(weeks: pd.Series) -> pd.Series:
    """The Monday of each week number."""
    return WEEK_ZERO + pd.to_timedelta(weeks * 7, unit="D")


@dataclass(frozen=True)
class StageChain:
    """Transition counts per band (``counts[band, from, to]``), the band names and the prior."""

    counts: np.ndarray
    bands: tuple[str, ...]
    prior: float = 1.0

    def _band(self, band: str | None) -> np.ndarray:
        if band is None:
            return self.counts.sum(axis=0)
        if band not in self.bands:
            raise InvalidInput(f"band '{band}': use one of {', '.join(self.bands)}.")
        return self.counts[self.bands.index(band)]

    def alphas(self, band: str | None = None) -> np.ndarray:
        """Dirichlet parameters of each row: the band's counts plus ``prior`` pseudo-counts
        shaped like the pooled row (uniform where the pooled row is empty)."""
        pooled = self.counts.sum(axis=0) + 1e-9
        shape = pooled / pooled.sum(axis=1, keepdims=True)
        return self._band(band) + self.prior * shape

    def matrix(self, band: str | None = None) -> np.ndarray:
        """The posterior mean transition matrix of ``band`` (None: pooled)."""
        alpha = self.alphas(band)
        return alpha / alpha.sum(axis=1, keepdims=True)

    def draw(self, band: str | None, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` transition matrices drawn from the posterior (n × 5 × 5)."""
        alpha = self.alphas(band)
        gammas = rng.gamma(alpha[None, :, :], size=(n, N_STAGES, N_STAGES))
        return gammas / gammas.sum(axis=2, keepdims=True)


def count_transitions(histories: pd.DataFrame, bands: tuple[str, ...], /, *, prior: float = 1.0) -> StageChain:
    """Count week-to-week transitions of ``histories`` (columns ``pair``, ``week`` as consecutive
    integers, ``stage``, ``band``) per band of the starting week."""
    h = histories.sort_values(["pair", "week"])
    nxt = h.groupby("pair")["stage"].shift(-1)
    step = h.groupby("pair")["week"].shift(-1) - h["week"]
    rows = h[(step == 1) & nxt.notna()]
    counts = np.zeros((len(bands), N_STAGES, N_STAGES))
    band_idx = rows["band"].map({b: i for i, b in enumerate(bands)}).to_numpy()
    np.add.at(counts, (band_idx, rows["stage"].to_numpy(dtype=int), nxt[rows.index].to_numpy(dtype=int)), 1)
    return StageChain(counts=counts, bands=bands, prior=prior)


def index_band(index: pd.Series, settings: Settings) -> pd.Series:
    """'low' below the watch index, 'elevated' up to the warning index, 'high' above."""
    return pd.Series(
        np.select([index >= settings.alert_warning_index, index >= settings.alert_watch_index], ["high", "elevated"], "low"),
        index=index.index,
    )


def event_histories(con: duckdb.DuckDBPyConnection, settings: Settings, /, *, until: dt.date | None = None) -> pd.DataFrame:
    """Every pair's weekly stage and index band from its first incident to the store's last
    week (weeks without incidents: stage 0, band low), but the weeks that are gaps in the
    store's data (:func:`flashpoint.store.coverage.gap_periods`): no transition into or
    out of one is counted."""
    weeks = event_scores(con, settings, freq="week", until=until)
    if weeks.empty:
        raise InvalidInput("the store holds no events between two countries; ingest some first.")
    weeks["week"] = week_number(weeks["period"])
    last = int(weeks["week"].max())
    first = weeks.groupby("pair")["week"].min()
    grid = pd.DataFrame({"pair": np.repeat(first.index.to_numpy(), (last - first + 1).to_numpy())})
    grid["week"] = np.concatenate([np.arange(f, last + 1) for f in first.to_numpy()])
    frame = grid.merge(weeks[["pair", "week", "stage", "escalation_index"]], on=["pair", "week"], how="left")
    gaps = gap_periods(con, "week", until=until)
    frame = frame[~frame["week"].isin(week_number(pd.Series(gaps, dtype="datetime64[s]")))]
    frame = frame.fillna({"stage": 0, "escalation_index": 0.0})
    frame["stage"] = frame["stage"].astype("int64")
    frame["band"] = index_band(frame["escalation_index"], settings)
    return frame


def series_stage(conflict_z: pd.Series) -> pd.Series:
    """The ladder of a score series (it has no event profile): the week's conflict z-score in
    whole standard deviations above the pair's baseline, 0 to 4."""
    return conflict_z.fillna(0.0).clip(lower=0.0, upper=4.0).astype("int64")


def series_band(conflict_z: pd.Series, pairs: pd.Series) -> pd.Series:
    """'rising', 'flat' or 'falling': the change of the conflict z-score over four weeks (±0.5)."""
    change = conflict_z.fillna(0.0) - conflict_z.fillna(0.0).groupby(pairs).shift(4).fillna(0.0)
    return pd.Series(np.select([change > 0.5, change < -0.5], ["rising", "falling"], "flat"), index=conflict_z.index)
