"""Every model and baseline keeps the scikit-learn contract; baselines match a hand computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from flashpoint.errors import InvalidInput
from flashpoint.forecasts.models import BASELINES, MODELS, make_model
from flashpoint.forecasts.panels import FEATURES


def _rows(n: int = 600, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({name: rng.random(n) for name in FEATURES})
    frame["dispute_ongoing"] = (rng.random(n) < 0.2).astype(int)
    frame["ccode1"], frame["ccode2"] = rng.integers(1, 5, n), rng.integers(5, 9, n)
    frame["year"] = np.sort(rng.integers(1900, 1990, n))
    frame.loc[::7, "log_min_distance"] = np.nan  # missing values are part of the data
    y = (rng.random(n) < 0.1 + 0.5 * frame["dispute_ongoing"]).astype(int).to_numpy()
    return frame, y


@pytest.mark.parametrize("name", MODELS + BASELINES)
def test_every_model_keeps_the_scikit_learn_contract(name: str) -> None:
    rows, y = _rows()
    model = make_model(name, list(FEATURES), random_state=3, max_iter=20)
    with pytest.raises(NotFittedError):
        model.predict_proba(rows)
    assert model.fit(rows, y) is model
    first = model.predict_proba(rows)
    assert first.shape == (len(rows), 2) and np.allclose(first.sum(axis=1), 1)
    assert ((first >= 0) & (first <= 1)).all()
    again = make_model(name, list(FEATURES), random_state=3, max_iter=20).fit(rows, y).predict_proba(rows)
    assert np.allclose(first, again)  # same random_state, same forecasts


def test_conflictology_shrinks_the_pairs_rate_toward_the_overall_rate() -> None:
    rows = pd.DataFrame({"ccode1": [1] * 10 + [2] * 10, "ccode2": [9] * 20})
    y = np.array([1, 1] + [0] * 8 + [0] * 10)
    model = make_model("conflictology", []).fit(rows, y)
    base = 2 / 20
    probe = pd.DataFrame({"ccode1": [1, 2, 3], "ccode2": [9, 9, 9]})
    expected = [(2 + 10 * base) / (10 + 10), (0 + 10 * base) / (10 + 10), base]
    assert np.allclose(model.predict_proba(probe)[:, 1], expected)


def test_persistence_is_the_rate_given_the_state_now() -> None:
    rows = pd.DataFrame({"dispute_ongoing": [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]})
    y = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0, 1])
    proba = make_model("persistence", []).fit(rows, y).predict_proba(pd.DataFrame({"dispute_ongoing": [1, 0]}))
    assert np.allclose(proba[:, 1], [0.75, 1 / 6])


def test_an_unknown_model_is_named() -> None:
    with pytest.raises(InvalidInput, match="use one of logit, boosting"):
        make_model("oracle", [])
