"""Forecast models and the baselines they must beat, all with the scikit-learn contract.

A model is fitted on a panel's rows (a DataFrame with the unit's keys and the panel's
features) and a 0/1 target, and gives ``predict_proba``. Two models —

- ``logit``: L2-regularised logistic regression on the standardised features (missing values
  imputed with the median, plus an indicator of missingness);
- ``boosting``: scikit-learn's histogram gradient boosting, calibrated with isotonic
  regression on later years of the training data (time-ordered folds, never shuffled);

— and two baselines computed the same way:

- ``conflictology``: the pair's own rate of positive years in the training data, shrunk toward
  the overall rate by ``prior_years`` pseudo-years (a pair never seen gets the overall rate);
- ``persistence``: the rate of positive next periods among training rows in the same state now
  (a dispute ongoing or not; for the event panel, the pair at ladder stage 3 or above or not).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from flashpoint.errors import InvalidInput
from flashpoint.forecasts.panels import DYAD_YEAR


class Conflictology(ClassifierMixin, BaseEstimator):
    """The pair's historical rate of positive years, shrunk toward the overall rate."""

    def __init__(self, *, keys: tuple[str, ...] = DYAD_YEAR.keys, prior_years: float = 10.0) -> None:
        self.keys = keys
        self.prior_years = prior_years

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> Conflictology:  # noqa: N803 - scikit-learn's name
        y = np.asarray(y, dtype="float64")
        self.base_rate_ = float(y.mean())
        frame = X[list(self.keys)].assign(y=y).groupby(list(self.keys))["y"].agg(["sum", "count"])
        self.rates_ = ((frame["sum"] + self.prior_years * self.base_rate_) / (frame["count"] + self.prior_years)).rename("rate")
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        check_is_fitted(self, "rates_")
        rate = X[list(self.keys)].join(self.rates_, on=list(self.keys))["rate"].fillna(self.base_rate_).to_numpy()
        return np.column_stack([1 - rate, rate])


class Persistence(ClassifierMixin, BaseEstimator):
    """The rate of positive next years among training rows in the same state now."""

    def __init__(self, *, state: str = DYAD_YEAR.state) -> None:
        self.state = state

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> Persistence:  # noqa: N803
        frame = pd.DataFrame({"state": X[self.state].to_numpy(), "y": np.asarray(y, dtype="float64")})
        self.rates_ = frame.groupby("state")["y"].mean()
        self.base_rate_ = float(frame["y"].mean())
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        check_is_fitted(self, "rates_")
        rate = X[self.state].map(self.rates_).fillna(self.base_rate_).to_numpy(dtype="float64")
        return np.column_stack([1 - rate, rate])


def _features(features: list[str], scaled: bool) -> ColumnTransformer:
    steps = [SimpleImputer(strategy="median", add_indicator=True)] + ([StandardScaler()] if scaled else [])
    return ColumnTransformer([("features", make_pipeline(*steps), features)])


#: Models and baselines by name; baselines are what a model's skill is measured against.
MODELS: Final = ("logit", "boosting")
BASELINES: Final = ("conflictology", "persistence")


def make_model(  # noqa: ANN201
    name: str,
    features: list[str],
    /,
    *,
    keys: tuple[str, ...] = DYAD_YEAR.keys,
    state: str = DYAD_YEAR.state,
    random_state: int = 0,
    max_iter: int = 200,
):
    """A fresh, unfitted model or baseline named ``name`` over the columns ``features``; the
    conflictology baseline groups rows by ``keys``, persistence by the 0/1 column ``state``.

    Raises
    ------
    InvalidInput
        For an unknown name, listing the known ones.
    """
    if name == "logit":
        return make_pipeline(_features(features, scaled=True), LogisticRegression(C=1.0, max_iter=2000))
    if name == "boosting":
        boosted = make_pipeline(
            _features(features, scaled=False),
            HistGradientBoostingClassifier(
                max_iter=max_iter,
                learning_rate=0.05,
                max_leaf_nodes=31,
                l2_regularization=1.0,
                early_stopping=False,
                random_state=random_state,
            ),
        )
        return CalibratedClassifierCV(boosted, method="isotonic", cv=TimeSeriesSplit(n_splits=3))
    if name == "conflictology":
        return Conflictology(keys=keys)
    if name == "persistence":
        return Persistence(state=state)
    raise InvalidInput(f"model '{name}': use one of {', '.join(MODELS + BASELINES)}.")
