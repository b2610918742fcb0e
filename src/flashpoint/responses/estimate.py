"""What followed a lever: a weighted comparison of situations with and without it.

The estimate is the difference in an outcome's rate between situations where the lever was
used and comparable ones where it was not, weighted by the inverse of each situation's
propensity to receive the lever (a logistic regression on the situation's covariates, known
before or at the time of the lever, fitted on every situation; propensities clipped to [0.05, 0.95]; Hájek-normalised
weights). Its 95% interval is the percentile interval of a bootstrap that refits the
propensity model on every resample. The raw difference, the group sizes and the largest
standardised mean difference of a covariate after weighting (balance; below 0.1 is good)
come with it. It is an association adjusted for what the covariates capture, not a causal
effect: who receives a lever is chosen, and the caveats of each base say how.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Final

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

#: Propensities are clipped to this range (extreme weights would let a few cases decide).
CLIP: Final = (0.05, 0.95)
#: Fewest situations in each group for an estimate.
MIN_GROUP: Final = 5


@dataclass(frozen=True)
class Effect:
    """A weighted difference in an outcome's rate (``effect``) with its 95% interval; ``None``
    values when a group is too small."""

    effect: float | None
    low: float | None
    high: float | None
    raw_difference: float | None
    treated_rate: float | None
    control_rate: float | None
    n_treated: int
    n_control: int
    balance: float | None
    method: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _propensity(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    model = make_pipeline(
        SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(C=1.0, max_iter=1000, solver="newton-cholesky")
    )
    return np.clip(model.fit(x, t).predict_proba(x)[:, 1], *CLIP) if x.shape[1] else np.full(len(t), t.mean())


def _weighted_rates(y: np.ndarray, t: np.ndarray, e: np.ndarray) -> tuple[float, float]:
    w1, w0 = t / e, (1 - t) / (1 - e)
    return float((w1 * y).sum() / w1.sum()), float((w0 * y).sum() / w0.sum())


def _balance(x: np.ndarray, t: np.ndarray, e: np.ndarray) -> float:
    """Largest absolute standardised mean difference of a covariate after weighting."""
    if not x.shape[1]:
        return 0.0
    x = SimpleImputer(strategy="median").fit_transform(x)
    w = np.where(t == 1, 1 / e, 1 / (1 - e))
    worst = 0.0
    for column in x.T:
        m1 = np.average(column[t == 1], weights=w[t == 1])
        m0 = np.average(column[t == 0], weights=w[t == 0])
        sd = np.sqrt((column[t == 1].var() + column[t == 0].var()) / 2)
        worst = max(worst, abs(m1 - m0) / sd if sd > 0 else 0.0)
    return float(worst)


def weighted_effects(
    frame: pd.DataFrame, /, *, treated: str, outcomes: list[str], covariates: list[str], n_boot: int = 500, random_state: int = 0
) -> dict[str, Effect]:
    """The inverse-propensity-weighted difference in each of ``outcomes`` (0/1; rows where it is
    missing are left out of its rates) between rows with ``treated`` 1 and 0, adjusted for
    ``covariates``. One propensity model per bootstrap resample serves every outcome."""
    t = frame[treated].to_numpy(dtype="int64")
    x = frame[covariates].to_numpy(dtype="float64")
    ys = {name: frame[name].to_numpy(dtype="float64") for name in outcomes}
    method = f"inverse-propensity weighting on {', '.join(covariates) or 'nothing'}; bootstrap {n_boot}"
    known = {name: ~np.isnan(y) for name, y in ys.items()}
    sizes = {name: (int(t[k].sum()), int((1 - t[k]).sum())) for name, k in known.items()}
    if min(min(n) for n in sizes.values()) < MIN_GROUP:
        return {name: Effect(None, None, None, None, None, None, *sizes[name], None, method) for name in outcomes}
    e = _propensity(x, t)
    rng = np.random.default_rng(random_state)
    draws: dict[str, list[float]] = {name: [] for name in outcomes}
    for _ in range(n_boot):
        pick = rng.integers(0, len(t), len(t))
        tb = t[pick]
        if not 0 < tb.sum() < len(tb):
            continue
        eb = _propensity(x[pick], tb)
        for name, y in ys.items():
            k = known[name][pick]
            if 0 < tb[k].sum() < k.sum():
                b1, b0 = _weighted_rates(y[pick][k], tb[k], eb[k])
                draws[name].append(b1 - b0)
    found = {}
    for name, y in ys.items():
        k = known[name]
        r1, r0 = _weighted_rates(y[k], t[k], e[k])
        low, high = np.percentile(draws[name], [2.5, 97.5])
        found[name] = Effect(
            effect=r1 - r0,
            low=float(low),
            high=float(high),
            raw_difference=float(y[k & (t == 1)].mean() - y[k & (t == 0)].mean()),
            treated_rate=r1,
            control_rate=r0,
            n_treated=sizes[name][0],
            n_control=sizes[name][1],
            balance=_balance(x[k], t[k], e[k]),
            method=method,
        )
    return found
