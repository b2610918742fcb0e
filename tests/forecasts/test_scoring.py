"""Scoring code cross-checked against independent implementations (scikit-learn, SciPy)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import mannwhitneyu
from sklearn.metrics import brier_score_loss
from sklearn.metrics import log_loss as sklearn_log_loss

from flashpoint.forecasts.scoring import brier_score, log_loss, reliability, score


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.floats(0.001, 0.999)), min_size=2, max_size=200))
def test_brier_and_log_loss_match_scikit_learn(pairs: list[tuple[bool, float]]) -> None:
    y = np.array([int(a) for a, _ in pairs])
    p = np.array([b for _, b in pairs])
    assert np.isclose(brier_score(y, p), brier_score_loss(y, p))
    assert np.isclose(log_loss(y, p), sklearn_log_loss(y, p, labels=[0, 1]))


def test_roc_auc_is_the_mann_whitney_probability() -> None:
    rng = np.random.default_rng(5)
    y = (rng.random(500) < 0.1).astype(int)
    p = np.clip(0.05 + 0.3 * y + rng.normal(0, 0.15, 500), 0, 1)
    u = mannwhitneyu(p[y == 1], p[y == 0]).statistic
    assert np.isclose(score(y, p)["roc_auc"], u / (y.sum() * (len(y) - y.sum())))


def test_reliability_bins_count_every_forecast_once() -> None:
    y = np.array([0, 0, 1, 0, 1, 1])
    p = np.array([0.0005, 0.003, 0.004, 0.3, 0.6, 0.9])
    table = reliability(y, p)
    assert table["n"].sum() == 6
    top = table[table["bin"].str.startswith("(0.5")].iloc[0]
    assert top["n"] == 2 and top["observed"] == 1.0 and np.isclose(top["forecast"], 0.75)
