"""Change detection: sudden shifts in a pair's escalation index, online and causal.

Bayesian online change-point detection (Adams & MacKay 2007, arXiv:0710.3742): after each
period, the posterior over the *run length* (periods since the last change) of a Gaussian
model with unknown mean and variance (Normal-Gamma prior, Student-t predictive), with a
constant hazard of a change (1 / ``hazard_periods``). The probability that the run is shorter
than ``recent`` periods is the probability that the index changed recently. It reads only
periods up to t, so a change point at t is known at t (docs/adr/005). The run length is
truncated at ``max_run`` (its mass is kept).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
import pandas as pd

from flashpoint.config import Settings
from flashpoint.indicators.query import FREQUENCIES

#: Series from which the recursion runs in two threads.
PARALLEL_SERIES = 64
#: Normal-Gamma prior of a run (the index is on a z-score scale): mean, pseudo-count, shape, rate.
PRIOR = (0.0, 1.0, 1.0, 1.0)


@numba.njit(cache=True, nogil=True)
def _slot_terms(width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Per run slot (index r + 1; 0 is the prior, no value yet): pseudo-count, shape and the
    Student-t terms that depend on them alone. Slot r holds a run of the last r + 1 values."""
    mu0, kappa0, alpha0, beta0 = PRIOR
    kappa, alpha, shape = np.empty(width + 1), np.empty(width + 1), np.empty(width + 1)
    for r in range(-1, width):
        kappa[r + 1], alpha[r + 1] = kappa0 + r + 1, alpha0 + 0.5 * (r + 1)
        shape[r + 1] = (
            math.lgamma(alpha[r + 1] + 0.5)
            - math.lgamma(alpha[r + 1])
            - 0.5 * math.log(2 * math.pi * (kappa[r + 1] + 1) / kappa[r + 1])
        )
    return kappa, alpha, shape


@numba.njit(cache=True, nogil=True)
def _observe(
    x: float, longest: int, terms: tuple, state: tuple, log_hazard: float, log_stay: float
) -> int:  # pragma: no cover - compiled
    """Update one series' run-length posterior (``state``, in place) with its next value ``x``;
    returns its new longest slot with mass.

    A change at t: x is the first value of a new run, scored under the prior; a series' first
    value starts its first run; the longest slot keeps the mass of every longer run. With the
    rate's logarithm kept per slot, the predictive costs one logarithm: −½ log β − (α + ½)
    log(1 + g/β) is α log β − (α + ½) log β', where β' = β + g is the slot's next rate.
    """
    mu0, kappa0, alpha0, beta0 = PRIOR
    kappa, alpha, shape = terms
    log_run, weight, mu, beta, log_beta, new, new_mu, new_beta, new_log_beta = state
    width = len(log_run)
    new_beta[0] = beta0 + (x - mu0) ** 2 * kappa0 / (2 * (kappa0 + 1))
    new_log_beta[0] = math.log(new_beta[0])
    new[0] = 0.0
    if longest >= 0:
        new[0] = log_hazard + shape[0] + alpha0 * math.log(beta0) - (alpha0 + 0.5) * new_log_beta[0]
    new_mu[0] = (kappa0 * mu0 + x) / (kappa0 + 1)
    for r in range(longest + 1):
        k = kappa[r + 1]
        grown_beta = beta[r] + (x - mu[r]) ** 2 * k / (2 * (k + 1))
        grown_log_beta = math.log(grown_beta)
        grown = log_run[r] + log_stay + shape[r + 1] + alpha[r + 1] * log_beta[r] - (alpha[r + 1] + 0.5) * grown_log_beta
        to = min(r + 1, width - 1)
        if to == r:  # the longest slot, already full
            new[to] = np.logaddexp(new[to], grown)
        else:
            new[to], new_mu[to] = grown, (k * mu[r] + x) / (k + 1)
            new_beta[to], new_log_beta[to] = grown_beta, grown_log_beta
    longest = min(longest + 1, width - 1)
    top = new[: longest + 1].max()
    total = 0.0
    for r in range(longest + 1):
        weight[r] = math.exp(new[r] - top)
        total += weight[r]
    norm = top + math.log(total)
    for r in range(longest + 1):
        log_run[r], weight[r] = new[r] - norm, weight[r] / total
        mu[r], beta[r], log_beta[r] = new_mu[r], new_beta[r], new_log_beta[r]
    return longest


@numba.njit(cache=True, nogil=True)
def _changes(
    values: np.ndarray, log_hazard: float, log_stay: float, recent: int, max_run: int
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    mu0 = PRIOR[0]
    n_series, n_periods = values.shape
    width = min(max_run, n_periods) + 1
    terms = _slot_terms(width)
    state = (
        np.empty(width),
        np.empty(width),
        np.empty(width),
        np.empty(width),
        np.empty(width),
        np.empty(width),
        np.empty(width),
        np.empty(width),
        np.empty(width),
    )
    weight, mu = state[1], state[2]
    recent_p, expected = np.full((n_series, n_periods), np.nan), np.empty((n_series, n_periods))
    for i in range(n_series):
        longest = -1  # the longest slot with mass (-1: not started)
        for t in range(n_periods):
            guess = mu0
            if longest >= 0:
                guess = 0.0
                for r in range(longest + 1):
                    guess += weight[r] * mu[r]
            expected[i, t] = guess
            if not math.isnan(values[i, t]):
                longest = _observe(values[i, t], longest, terms, state, log_hazard, log_stay)
                recent_p[i, t] = weight[: min(recent, longest + 1)].sum()
    return recent_p, expected


def change_probabilities(
    values: np.ndarray, /, *, hazard_periods: float, recent: int, max_run: int = 260
) -> tuple[np.ndarray, np.ndarray]:
    """Per series (rows) and period (columns): the probability that the series changed within
    the last ``recent`` periods, and the value the series was expected to take before seeing it.

    ``values`` is (series × periods); NaN marks periods a series does not have (before its
    start, gaps), which leave its state unchanged. Compiled with Numba (the recursion is
    sequential in time; docs/adr/015).
    """
    values = np.ascontiguousarray(values, dtype="float64")
    args = (np.log(1.0 / hazard_periods), np.log1p(-1.0 / hazard_periods), recent, max_run)
    if len(values) < PARALLEL_SERIES:
        return _changes(values, *args)
    with ThreadPoolExecutor(2) as pool:  # the compiled loop releases the GIL: two halves of the series at once
        halves = list(pool.map(lambda part: _changes(part, *args), np.array_split(values, 2)))
    return np.vstack([h[0] for h in halves]), np.vstack([h[1] for h in halves])


def detect_changes(
    scores: pd.DataFrame, /, *, freq: str, hazard_periods: float, recent: int, probability: float, gaps: Sequence[dt.date] = ()
) -> pd.DataFrame:
    """Add ``change_probability`` and ``change_point`` to a pair-period score table.

    Each pair's index is laid on a complete grid of periods from its first to the last period
    of the table; periods without a score count as index 0 for event scores (no incidents: no
    escalation) unless they are among the ``gaps`` in the store's data
    (:func:`flashpoint.store.coverage.gap_periods`), and as missing for a series with
    gaps (``stage`` missing) and for the ``gaps``. A change point fires
    in the first period whose probability of a recent change reaches ``probability`` while
    the index rises above what the model expected. The probability is missing in a pair's
    first ``recent`` periods, which have no earlier periods to have changed from.
    """
    if scores.empty:
        return scores.assign(change_probability=pd.Series(dtype="float64"), change_point=pd.Series(dtype=bool))
    periods = pd.to_datetime(scores["period"]).to_numpy(dtype="datetime64[ns]")
    days = {"day": 1, "week": 7}.get(freq)  # fixed steps: laid out directly (an anchored range is slow to build)
    grid = (
        np.arange(periods.min(), periods.max() + np.timedelta64(days, "D"), np.timedelta64(days, "D"))
        if days
        else pd.date_range(periods.min(), periods.max(), freq=FREQUENCIES[freq][1]).to_numpy(periods.dtype)
    )
    row, pairs = pd.factorize(scores["pair"])
    column = np.searchsorted(grid, periods)
    wide = np.full((len(pairs), len(grid)), np.nan)
    wide[row, column] = scores["escalation_index"].to_numpy(dtype="float64", na_value=np.nan)
    if not scores["stage"].isna().all():  # event scores: no incidents from a pair's first period on is index 0
        first = np.full(len(pairs), len(grid))
        np.minimum.at(first, row, column)
        observed = ~np.isin(grid, np.array(gaps, dtype=grid.dtype))
        wide = np.where(np.isnan(wide) & (np.arange(len(grid))[None, :] >= first[:, None]) & observed, 0.0, wide)
    p_recent, expected = change_probabilities(wide, hazard_periods=hazard_periods, recent=recent)
    fired = (p_recent >= probability) & ~(np.nan_to_num(np.roll(p_recent, 1, axis=1)) >= probability)
    fired[:, 0] = False
    fired &= wide > expected
    # A series' first ``recent`` periods changed "recently" by construction (it starts there):
    # no probability is shown for them.
    started = np.argmax(~np.isnan(wide), axis=1)
    p_recent[np.arange(len(grid))[None, :] < (started + recent)[:, None]] = np.nan
    return scores.assign(change_probability=p_recent[row, column], change_point=fired[row, column])


def change_options(settings: Settings, /) -> dict[str, float | int]:
    """The change detector's settings, as :func:`detect_changes` takes them."""
    return {
        "hazard_periods": settings.changepoint_hazard_periods,
        "recent": settings.changepoint_recent,
        "probability": settings.changepoint_probability,
    }
