"""Charts of a backtest: the reliability diagram of every model and baseline, and their scores
(Vega-Lite via Altair, saved as SVG or PNG by vl-convert)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from flashpoint.forecasts.backtest import BacktestResult


def backtest_chart(result: BacktestResult, /) -> alt.HConcatChart:
    """Reliability (mean forecast against observed rate per bin, on log axes where rare events
    live, the diagonal is perfect calibration) beside each model's Brier skill."""
    rows = pd.concat([table.assign(model=name) for name, table in result.reliability.items()], ignore_index=True)
    rows = rows[(rows["forecast"] > 0) & (rows["observed"] > 0)]
    low = float(min(rows["forecast"].min(), rows["observed"].min())) if not rows.empty else 1e-4
    diagonal = pd.DataFrame({"forecast": [low, 1.0], "observed": [low, 1.0]})
    axis = alt.Scale(type="log", domain=[low, 1.0])
    reliability = (alt.Chart(diagonal).mark_line(color="#999", strokeDash=[4, 3]).encode(
        x=alt.X("forecast:Q", scale=axis, title="mean forecast in the bin"),
        y=alt.Y("observed:Q", scale=axis, title="observed rate")) + alt.Chart(rows).mark_line(point=True).encode(
        x="forecast:Q", y="observed:Q", color=alt.Color("model:N"), size=alt.value(2),
        tooltip=["model:N", "bin:N", "n:Q", alt.Tooltip("forecast:Q", format=".4f"),
                 alt.Tooltip("observed:Q", format=".4f")])).properties(title="Reliability", width=320, height=300)
    skill = alt.Chart(result.scores).mark_bar().encode(
        y=alt.Y("model:N", sort="-x", title=None), x=alt.X("brier_skill:Q", title="Brier skill vs the best baseline"),
        color=alt.Color("kind:N"), tooltip=["model:N", alt.Tooltip("brier:Q", format=".5f"),
                                            alt.Tooltip("roc_auc:Q", format=".3f")],
    ).properties(title="Skill", width=260, height=300)
    d = result.design
    first, last = d[f"test_{d['period']}s"]
    return alt.hconcat(reliability, skill).properties(title=f"Backtest, target {d['target']}, {first}–{last}")
