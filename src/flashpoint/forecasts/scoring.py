"""Scores of probability forecasts of rare events, and their reliability."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

#: Bin edges of the reliability table: fine at the low probabilities rare events live at.
RELIABILITY_EDGES: Final = (0.0, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
_EPS: Final = 1e-15


def brier_score(y: np.ndarray, p: np.ndarray) -> float:
    """Mean squared difference between the outcome (0/1) and its probability."""
    y, p = np.asarray(y, dtype="float64"), np.asarray(p, dtype="float64")
    return float(np.mean((p - y) ** 2))


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    """Mean negative log-likelihood of the outcomes (probabilities clipped away from 0 and 1)."""
    y, p = np.asarray(y, dtype="float64"), np.clip(np.asarray(p, dtype="float64"), _EPS, 1 - _EPS)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def score(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Brier score, log loss, ROC-AUC, PR-AUC (average precision), mean forecast and base rate."""
    y = np.asarray(y, dtype="int64")
    both = len(set(y.tolist())) == 2
    return {
        "brier": brier_score(y, p),
        "log_loss": log_loss(y, p),
        "roc_auc": float(roc_auc_score(y, p)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, p)) if both else float("nan"),
        "mean_forecast": float(np.mean(p)),
        "base_rate": float(np.mean(y)),
        "n": int(len(y)),
    }


def reliability(y: np.ndarray, p: np.ndarray, /) -> pd.DataFrame:
    """Per bin of forecast probability: rows, mean forecast, observed rate."""
    frame = pd.DataFrame({"y": np.asarray(y, dtype="float64"), "p": np.asarray(p, dtype="float64")})
    frame["bin"] = pd.cut(frame["p"], bins=list(RELIABILITY_EDGES), include_lowest=True)
    table = frame.groupby("bin", observed=True).agg(n=("y", "size"), forecast=("p", "mean"), observed=("y", "mean"))
    return table.reset_index().assign(bin=lambda t: t["bin"].astype(str))
