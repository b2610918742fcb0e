"""Change detection: sudden shifts in a pair's escalation index, online and causal.

Bayesian online change-point detection (Adams & MacKay 2007, arXiv:0710.3742): after each
period, the posterior over the *run length* (periods since the last change) of a Gaussian
model with unknown mean and variance (Normal-Gamma prior, Student-t predictive), with a
constant hazard of a change (1 / ``hazard_periods``). The probability that the run is shorter
than ``recent`` periods is the probability that the index changed recently. It reads only
periods up to t, so a change point at t is known at t (docs/adr/005). NumPy, vectorised over
pairs and run lengths; the run length is truncated at ``max_run`` (its mass is kept).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import gammaln

from flashpoint.indicators.compute import FREQUENCIES

#: Normal-Gamma prior of a run (the index is on a z-score scale): mean, pseudo-count, shape, rate.
PRIOR = (0.0, 1.0, 1.0, 1.0)


def _student_logpdf(x: np.ndarray, mu: np.ndarray, kappa: np.ndarray, alpha: np.ndarray, beta: np.ndarray,
                    log_gamma_ratio: np.ndarray) -> np.ndarray:
    """Student-t log density of the Normal-Gamma predictive; ``log_gamma_ratio`` is
    gammaln(alpha + 1/2) - gammaln(alpha), passed in because it depends on the run length only."""
    scale2 = beta * (kappa + 1.0) / (alpha * kappa)
    nu = 2.0 * alpha
    return log_gamma_ratio - 0.5 * np.log(np.pi * nu * scale2) - (nu + 1) / 2 * np.log1p((x - mu) ** 2 / (nu * scale2))


def change_probabilities(values: np.ndarray, /, *, hazard_periods: float, recent: int,
                         max_run: int = 260) -> tuple[np.ndarray, np.ndarray]:
    """Per series (rows) and period (columns): the probability that the series changed within
    the last ``recent`` periods, and the value the series was expected to take before seeing it.

    ``values`` is (series × periods); NaN marks periods a series does not have (before its
    start, gaps), which leave its state unchanged.
    """
    values = np.asarray(values, dtype="float64")
    n_series, n_periods = values.shape
    width = min(max_run, n_periods) + 1
    log_hazard, log_stay = np.log(1.0 / hazard_periods), np.log1p(-1.0 / hazard_periods)
    mu0, kappa0, alpha0, beta0 = PRIOR
    log_run = np.full((n_series, width), -np.inf)
    log_run[:, 0] = 0.0
    mu, kappa = np.full((n_series, width), mu0), np.full((n_series, width), kappa0)
    alpha, beta = np.full((n_series, width), alpha0), np.full((n_series, width), beta0)
    # Slot r holds a run of r + 1 values (r = 0: the newest alone), so alpha = alpha0 + (r + 1) / 2
    # whatever the values, and its gamma terms are fixed.
    slot_alpha = alpha0 + 0.5 * (np.arange(width) + 1)
    slot_gamma = gammaln(slot_alpha + 0.5) - gammaln(slot_alpha)
    prior_gamma = gammaln(alpha0 + 0.5) - gammaln(alpha0)
    started = np.zeros(n_series, dtype=bool)
    recent_p, expected = np.full(values.shape, np.nan), np.full(values.shape, np.nan)
    for t in range(n_periods):
        x = values[:, t]
        seen = ~np.isnan(x)
        xs = np.where(seen, x, 0.0)[:, None]
        weights = np.exp(log_run)
        expected[:, t] = np.where(started, (weights * mu).sum(axis=1), mu0)
        pred = _student_logpdf(xs, mu, kappa, alpha, beta, slot_gamma)
        prior_pred = _student_logpdf(xs[:, 0], mu0, kappa0, alpha0, beta0, prior_gamma)
        grown = log_run + pred + log_stay
        new = np.full_like(log_run, -np.inf)
        new[:, 1:] = grown[:, :-1]
        new[:, -1] = np.logaddexp(new[:, -1], grown[:, -1])
        # A change at t: x_t is the first value of a new run, scored under the prior. A series'
        # first value starts its first run.
        new[:, 0] = np.where(started, log_hazard + prior_pred, 0.0)
        new[~started, 1:] = -np.inf
        new -= np.logaddexp.reduce(new, axis=1, keepdims=True)
        shifted = [np.concatenate([np.full((n_series, 1), p0), p[:, :-1]], axis=1) for p, p0 in
                   ((mu, mu0), (kappa, kappa0), (alpha, alpha0), (beta, beta0))]
        m, k, a, b = shifted
        m_new = (k * m + xs) / (k + 1)
        b_new = b + k * (xs - m) ** 2 / (2 * (k + 1))
        keep = seen[:, None]
        log_run = np.where(keep, new, log_run)
        mu, kappa = np.where(keep, m_new, mu), np.where(keep, k + 1, kappa)
        alpha, beta = np.where(keep, a + 0.5, alpha), np.where(keep, b_new, beta)
        started |= seen
        recent_p[:, t] = np.where(seen, np.exp(log_run[:, :recent]).sum(axis=1), np.nan)
    return recent_p, expected


def detect_changes(scores: pd.DataFrame, /, *, freq: str, hazard_periods: float, recent: int,
                   probability: float) -> pd.DataFrame:
    """Add ``change_probability`` and ``change_point`` to a pair-period score table.

    Each pair's index is laid on a complete grid of periods from its first to the last period
    of the table; periods without a score count as index 0 for event scores (no incidents: no
    escalation) and as missing for a series with gaps (``stage`` missing). A change point fires
    in the first period whose probability of a recent change reaches ``probability`` while
    the index rises above what the model expected.
    """
    if scores.empty:
        return scores.assign(change_probability=pd.Series(dtype="float64"), change_point=pd.Series(dtype=bool))
    step = FREQUENCIES[freq][1]
    grid = pd.date_range(pd.Timestamp(min(scores["period"])), pd.Timestamp(max(scores["period"])), freq=step).date
    wide = scores.pivot(index="pair", columns="period", values="escalation_index").reindex(columns=grid)
    is_series = scores["stage"].isna().all()
    if not is_series:
        firsts = scores.groupby("pair")["period"].min().reindex(wide.index)
        before = np.asarray(grid)[None, :] < np.asarray(firsts)[:, None]
        wide = wide.fillna(0.0).mask(before)
    p_recent, expected = change_probabilities(wide.to_numpy(), hazard_periods=hazard_periods, recent=recent)
    fired = (p_recent >= probability) & ~(np.nan_to_num(np.roll(p_recent, 1, axis=1)) >= probability)
    fired[:, 0] = False
    fired &= wide.to_numpy() > expected
    flags = pd.DataFrame({"pair": np.repeat(wide.index, len(grid)), "period": np.tile(grid, len(wide.index)),
                          "change_probability": p_recent.ravel(), "change_point": fired.ravel()})
    return scores.merge(flags, on=["pair", "period"], how="left").fillna({"change_point": False})
