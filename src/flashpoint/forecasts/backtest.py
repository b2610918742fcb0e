"""Rolling-origin backtests: expanding window, a gap equal to the horizon, never shuffled.

A row of year t forecasts its target in year t + 1. At each origin O (a target year), every
model is fitted on the rows whose targets are known by then (years up to O - 2, targets up
to O - 1) and forecasts the rows whose targets fall in the next ``step`` years from O. The
forecasts of all origins are scored together against the outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from flashpoint.errors import InvalidInput
from flashpoint.forecasts.models import BASELINES, MODELS, make_model
from flashpoint.forecasts.panels import FEATURES, TARGETS
from flashpoint.forecasts.scoring import reliability, score


@dataclass(frozen=True)
class BacktestResult:
    """Scores per model (``brier_skill`` against the best baseline), reliability tables,
    every forecast, and the design (target, origins, training sizes)."""

    scores: pd.DataFrame
    reliability: dict[str, pd.DataFrame]
    predictions: pd.DataFrame
    design: dict[str, object] = field(default_factory=dict)


def backtest(panel: pd.DataFrame, /, *, target: str, test_start: int, test_end: int | None = None, step: int = 5,
             models: tuple[str, ...] = MODELS, first_year: int | None = None, random_state: int = 0,
             max_iter: int = 200) -> BacktestResult:
    """Backtest ``models`` and the baselines on ``panel`` for the target years ``test_start`` to
    ``test_end`` (default: the last with outcomes), refitting every ``step`` years.

    ``first_year`` drops earlier rows (a reduced run).

    Raises
    ------
    InvalidInput
        For an unknown target, a test period without outcomes, or no training rows.
    """
    if target not in TARGETS:
        raise InvalidInput(f"target '{target}': use one of {', '.join(TARGETS)}.")
    rows = panel[panel[target].notna()]
    if first_year is not None:
        rows = rows[rows["year"] >= first_year]
    last = int(rows["year"].max()) + 1 if len(rows) else test_start - 1
    test_end = last if test_end is None else min(test_end, last)
    if test_end < test_start:
        raise InvalidInput(f"test years {test_start}–{test_end}: the outcomes of this panel end in {last}.")
    features = list(FEATURES)
    forecasts, design = [], {"target": target, "test_years": [test_start, test_end], "step": step, "origins": []}
    for origin in range(test_start, test_end + 1, step):
        train = rows[rows["year"] <= origin - 2].sort_values(["year", "ccode1", "ccode2"])
        test = rows[(rows["year"] + 1 >= origin) & (rows["year"] + 1 <= min(origin + step - 1, test_end))]
        if train.empty or train[target].nunique() < 2:
            raise InvalidInput(f"origin {origin}: no training rows with both outcomes before it.")
        y = train[target].astype("int64").to_numpy()
        out = test[["ccode1", "ccode2", "year"]].assign(target_year=test["year"] + 1, outcome=test[target].astype(int))
        for name in (*models, *BASELINES):
            model = make_model(name, features, random_state=random_state, max_iter=max_iter).fit(train, y)
            out[name] = model.predict_proba(test)[:, 1]
        forecasts.append(out)
        design["origins"].append({"origin": origin, "train_rows": len(train), "train_positives": int(y.sum()),
                                  "test_rows": len(test)})
    predictions = pd.concat(forecasts, ignore_index=True)
    outcome = predictions["outcome"].to_numpy()
    table = pd.DataFrame([{"model": name, **score(outcome, predictions[name].to_numpy())}
                          for name in (*models, *BASELINES)])
    best = table[table["model"].isin(BASELINES)]["brier"].min()
    table["brier_skill"] = 1 - table["brier"] / best
    table["kind"] = np.where(table["model"].isin(BASELINES), "baseline", "model")
    curves = {name: reliability(outcome, predictions[name].to_numpy()) for name in (*models, *BASELINES)}
    return BacktestResult(scores=table, reliability=curves, predictions=predictions, design=design)


def render_markdown(result: BacktestResult, /) -> str:
    """A backtest as Markdown: the design, the scores of every model and baseline, and the
    reliability of the best model."""
    d = result.design
    origins = ", ".join(f"{o['origin']} ({o['train_rows']:,} training rows, {o['train_positives']:,} positive)"
                        for o in d["origins"])
    lines = [f"Target `{d['target']}`, target years {d['test_years'][0]}–{d['test_years'][1]}, refit every "
             f"{d['step']} years; origins {origins}.", "",
             "| model | kind | Brier | Brier skill | log loss | ROC-AUC | PR-AUC | mean forecast | base rate | rows |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in result.scores.itertuples():
        lines.append(f"| {r.model} | {r.kind} | {r.brier:.5f} | {r.brier_skill:+.4f} | {r.log_loss:.4f} | "
                     f"{r.roc_auc:.3f} | {r.pr_auc:.3f} | {r.mean_forecast:.4f} | {r.base_rate:.4f} | {r.n:,} |")
    models = result.scores[result.scores["kind"] == "model"]
    best = models.sort_values("brier").iloc[0]["model"]
    lines += ["", f"Reliability of `{best}`:", "", "| forecast bin | rows | mean forecast | observed rate |",
              "|---|---|---|---|"]
    for r in result.reliability[best].itertuples():
        lines.append(f"| {r.bin} | {r.n:,} | {r.forecast:.4f} | {r.observed:.4f} |")
    return "\n".join(lines) + "\n"
