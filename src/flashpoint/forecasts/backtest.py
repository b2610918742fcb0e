"""Rolling-origin backtests: expanding window, a gap equal to the horizon, never shuffled.

A row of period t forecasts its target over periods t + 1 … t + h (the panel's horizon h; one
year for the dyad-year panel). At each origin O (the first target period forecast), every
model is fitted on the rows whose targets are known by then (t + h ≤ O − 1) and forecasts the
rows whose first target period falls in the next ``step`` periods from O. The forecasts of all
origins are scored together against the outcomes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from flashpoint.errors import InvalidInput
from flashpoint.forecasts.models import BASELINES, MODELS, make_model
from flashpoint.forecasts.panels import DYAD_YEAR, PanelSpec
from flashpoint.forecasts.scoring import reliability, score


@dataclass(frozen=True)
class BacktestResult:
    """Scores per model (``brier_skill`` against the best baseline), reliability tables,
    every forecast, and the design (target, origins, training sizes)."""

    scores: pd.DataFrame
    reliability: dict[str, pd.DataFrame]
    predictions: pd.DataFrame
    design: dict[str, object] = field(default_factory=dict)


def _test_end(rows: pd.DataFrame, spec: PanelSpec, test_start: int, test_end: int | None) -> int:
    """The last target period to test: ``test_end``, or the last with outcomes when earlier or not given.

    Raises
    ------
    InvalidInput
        When it comes before ``test_start``.
    """
    label = spec.label
    last = int(rows[spec.time].max()) + 1 if len(rows) else test_start - 1
    test_end = last if test_end is None else min(test_end, last)
    if test_end < test_start:
        raise InvalidInput(
            f"test {spec.period_name}s {label(test_start)}–{label(test_end)}: the outcomes of this panel end in {label(last)}."
        )
    return test_end


def backtest(
    panel: pd.DataFrame,
    /,
    *,
    target: str,
    test_start: int,
    test_end: int | None = None,
    step: int = 5,
    spec: PanelSpec = DYAD_YEAR,
    models: tuple[str, ...] = MODELS,
    first_year: int | None = None,
    random_state: int = 0,
    max_iter: int = 200,
    on_fit: Callable[[int, int, str], None] | None = None,
) -> BacktestResult:
    """Backtest ``models`` and the baselines on ``panel`` (described by ``spec``) for the target
    periods ``test_start`` to ``test_end`` (default: the last with outcomes), refitting every
    ``step`` periods.

    ``first_year`` drops rows of earlier periods (a reduced run). ``on_fit(done, total, what)`` is
    called after each model's fit at each origin (a progress bar's).

    Raises
    ------
    InvalidInput
        For an unknown target, a test period without outcomes, or no training rows.
    """
    if target not in spec.targets:
        raise InvalidInput(f"target '{target}': use one of {', '.join(spec.targets)}.")
    t, h, label = spec.time, spec.horizon, spec.label
    rows = panel[panel[target].notna()]
    if first_year is not None:
        rows = rows[rows[t] >= first_year]
    test_end = _test_end(rows, spec, test_start, test_end)
    features, keys = list(spec.features), list(spec.keys)
    forecasts, tested = [], [label(test_start), label(test_end)]
    design = {"target": target, f"test_{spec.period_name}s": tested, "step": step, "origins": [], "period": spec.period_name}
    origins, done = range(test_start, test_end + 1, step), 0
    for origin in origins:
        train = rows[rows[t] + h <= origin - 1].sort_values([t, *keys])
        test = rows[(rows[t] + 1 >= origin) & (rows[t] + 1 <= min(origin + step - 1, test_end))]
        if train.empty or train[target].nunique() < 2:
            raise InvalidInput(f"origin {label(origin)}: no training rows with both outcomes before it.")
        y = train[target].astype("int64").to_numpy()
        out = test[[*keys, t]].assign(**{f"target_{spec.period_name}": test[t] + 1}, outcome=test[target].astype(int))
        for name in (*models, *BASELINES):
            model = make_model(
                name, features, keys=spec.keys, state=spec.state, random_state=random_state, max_iter=max_iter
            ).fit(train, y)
            out[name] = model.predict_proba(test)[:, 1]
            done += 1
            if on_fit is not None:
                on_fit(done, len(origins) * len((*models, *BASELINES)), f"origin {label(origin)}: {name}")
        forecasts.append(out)
        design["origins"].append(
            {"origin": label(origin), "train_rows": len(train), "train_positives": int(y.sum()), "test_rows": len(test)}
        )
    return _scored(pd.concat(forecasts, ignore_index=True), models, design)


def _scored(predictions: pd.DataFrame, models: tuple[str, ...], design: dict[str, Any]) -> BacktestResult:
    """The backtest's scores and reliability curves of ``models`` and the baselines from its ``predictions``."""
    outcome = predictions["outcome"].to_numpy()
    table = pd.DataFrame([{"model": name, **score(outcome, predictions[name].to_numpy())} for name in (*models, *BASELINES)])
    best = table[table["model"].isin(BASELINES)]["brier"].min()
    table["brier_skill"] = 1 - table["brier"] / best
    table["kind"] = np.where(table["model"].isin(BASELINES), "baseline", "model")
    curves = {name: reliability(outcome, predictions[name].to_numpy()) for name in (*models, *BASELINES)}
    return BacktestResult(scores=table, reliability=curves, predictions=predictions, design=design)


def render_markdown(result: BacktestResult, /) -> str:
    """A backtest as Markdown: the design, the scores of every model and baseline, and the
    reliability of the best model."""
    d = result.design
    period = d["period"]
    origins = ", ".join(
        f"{o['origin']} ({o['train_rows']:,} training rows, {o['train_positives']:,} positive)" for o in d["origins"]
    )
    first, last = d[f"test_{period}s"]
    lines = [
        f"Target `{d['target']}`, target {period}s {first}–{last}, refit every {d['step']} {period}s; origins {origins}.",
        "",
        "| model | kind | Brier | Brier skill | log loss | ROC-AUC | PR-AUC | mean forecast | base rate | rows |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result.scores.itertuples():
        lines.append(
            f"| {r.model} | {r.kind} | {r.brier:.5f} | {r.brier_skill:+.4f} | {r.log_loss:.4f} | "
            f"{r.roc_auc:.3f} | {r.pr_auc:.3f} | {r.mean_forecast:.4f} | {r.base_rate:.4f} | {r.n:,} |"
        )
    models = result.scores[result.scores["kind"] == "model"]
    best = models.sort_values("brier").iloc[0]["model"]
    lines += ["", f"Reliability of `{best}`:", "", "| forecast bin | rows | mean forecast | observed rate |", "|---|---|---|---|"]
    for r in result.reliability[best].itertuples():
        lines.append(f"| {r.bin} | {r.n:,} | {r.forecast:.4f} | {r.observed:.4f} |")
    return "\n".join(lines) + "\n"
