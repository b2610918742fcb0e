"""Backtest of the simulator on a stored pair score series: did pairs reach stage 3 when it said?

A score series has no event profile, so its ladder is the weekly conflict z-score in whole
standard deviations (:func:`~flashpoint.simulate.chain.series_stage`) and its band the
four-week trend (:func:`~flashpoint.simulate.chain.series_band`). Chains are fitted on the weeks
before ``train_until``; from then on, every ``step`` weeks, each pair below stage 3 gets the
simulator's probability of reaching stage 3 or above within ``horizon`` weeks — the mean over
posterior draws of the exact probability the Monte Carlo estimates — from the chain of its
band (the simulator) and from the pooled chain (the pure Markov baseline), and the outcome is
whether it did. Scores: Brier, Brier skill against the baseline, and reliability.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from flashpoint.config import Settings
from flashpoint.errors import InvalidInput
from flashpoint.escalation.ladder import series_scores
from flashpoint.forecasts.scoring import reliability, score
from flashpoint.simulate.chain import (
    BANDS,
    StageChain,
    count_transitions,
    series_band,
    series_stage,
    week_number,
)
from flashpoint.simulate.scenario import exact_reach


@dataclass(frozen=True)
class SimulatorBacktest:
    scores: pd.DataFrame
    reliability: pd.DataFrame
    forecasts: pd.DataFrame
    design: dict[str, object]


def series_histories(
    con: duckdb.DuckDBPyConnection, settings: Settings, series: str, /, *, baseline_periods: int = 12
) -> pd.DataFrame:
    """Weekly ``pair``, ``week`` (consecutive integers), ``period``, ``stage`` and ``band`` of a series."""
    scores = series_scores(con, settings, series, freq="week", baseline_periods=baseline_periods)
    if scores.empty:
        raise InvalidInput(f"series '{series}': nothing stored; ingest it with flashpoint ingest series.")
    frame = scores[["pair", "period", "conflict_z"]].sort_values(["pair", "period"], ignore_index=True)
    frame["week"] = week_number(frame["period"])
    frame["stage"] = series_stage(frame["conflict_z"].astype("float64"))
    frame["band"] = series_band(frame["conflict_z"].astype("float64"), frame["pair"])
    return frame


def _probabilities(
    chain: StageChain, rows: pd.DataFrame, *, conditioned: bool, horizon: int, draws: int, seed: int
) -> np.ndarray:
    """Mean over ``draws`` posterior matrices (of the row's band, or pooled) of P(stage ≥ 3
    within ``horizon`` weeks) for each row."""
    rng = np.random.default_rng(seed)
    found = np.empty(len(rows))
    for (stage, band), index in rows.groupby(["stage", "band"]).groups.items():
        matrices = chain.draw(band if conditioned else None, draws, rng)
        found[rows.index.get_indexer(index)] = exact_reach(matrices, int(stage), 3, factors=np.ones(horizon + 1))[:, -1].mean()
    return found


def backtest_simulator(
    histories: pd.DataFrame, /, *, train_until: dt.date, horizon: int = 12, step: int = 4, draws: int = 200, seed: int = 0
) -> SimulatorBacktest:
    """Score the simulator against the pure Markov chain on ``histories`` after ``train_until``.

    Raises
    ------
    InvalidInput
        When either side of ``train_until`` has no weeks.
    """
    cut = int(week_number(pd.Series([train_until])).iloc[0])
    train = histories[histories["week"] < cut]
    if train.empty or histories["week"].max() < cut + horizon:
        raise InvalidInput(f"train until {train_until}: the series needs weeks before it and {horizon} after.")
    chain = count_transitions(train, BANDS["series"])
    by_week = histories.set_index(["pair", "week"])["stage"]
    last = int(histories["week"].max())
    origins = histories[
        (histories["week"] >= cut)
        & (histories["week"] + horizon <= last)
        & ((histories["week"] - cut) % step == 0)
        & (histories["stage"] < 3)
    ].copy()
    ahead = [by_week.reindex([(p, w + k) for k in range(1, horizon + 1)]).max() for p, w in zip(origins["pair"], origins["week"])]
    origins["outcome"] = (np.asarray(ahead, dtype="float64") >= 3).astype("int64")
    origins = origins.reset_index(drop=True)
    origins["simulator"] = _probabilities(chain, origins, conditioned=True, horizon=horizon, draws=draws, seed=seed)
    origins["markov"] = _probabilities(chain, origins, conditioned=False, horizon=horizon, draws=draws, seed=seed)
    y = origins["outcome"].to_numpy()
    table = pd.DataFrame([{"model": name, **score(y, origins[name].to_numpy())} for name in ("simulator", "markov")])
    table["brier_skill"] = 1 - table["brier"] / table.loc[table["model"] == "markov", "brier"].iloc[0]
    design = {
        "train_until": train_until.isoformat(),
        "horizon_weeks": horizon,
        "step_weeks": step,
        "pairs": int(origins["pair"].nunique()),
        "origins": len(origins),
        "train_weeks": len(train),
        "first_origin": str(origins["period"].min()),
        "last_origin": str(origins["period"].max()),
    }
    return SimulatorBacktest(
        scores=table, reliability=reliability(y, origins["simulator"].to_numpy()), forecasts=origins, design=design
    )


def render_markdown(result: SimulatorBacktest, /) -> str:
    """The backtest as Markdown: design, scores, reliability of the simulator."""
    d = result.design
    lines = [
        f"Trained on {d['train_weeks']:,} pair-weeks before {d['train_until']}; {d['origins']:,} forecasts "
        f"({d['pairs']} pairs below stage 3, every {d['step_weeks']} weeks from {d['first_origin']} to "
        f"{d['last_origin']}) of reaching stage 3 or above within {d['horizon_weeks']} weeks.",
        "",
        "| chain | Brier | Brier skill vs Markov | log loss | ROC-AUC | PR-AUC | mean forecast | base rate |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in result.scores.itertuples():
        lines.append(
            f"| {r.model} | {r.brier:.5f} | {r.brier_skill:+.4f} | {r.log_loss:.4f} | {r.roc_auc:.3f} | "
            f"{r.pr_auc:.3f} | {r.mean_forecast:.4f} | {r.base_rate:.4f} |"
        )
    lines += [
        "",
        "Reliability of the simulator:",
        "",
        "| forecast bin | forecasts | mean forecast | observed rate |",
        "|---|---|---|---|",
    ]
    for r in result.reliability.itertuples():
        lines.append(f"| {r.bin} | {r.n:,} | {r.forecast:.4f} | {r.observed:.4f} |")
    return "\n".join(lines) + "\n"
