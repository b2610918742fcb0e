"""Charts of a backtest: the reliability diagram of every model and baseline and their skill;
for fatalities, the CRPS of the model and the benchmarks (Vega-Lite via Altair)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from flashpoint.forecasts.backtest import BacktestResult
from flashpoint.forecasts.fatalities import FatalityBacktest


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


def fatalities_chart(result: FatalityBacktest, /) -> alt.HConcatChart:
    """Mean CRPS of the model and the benchmarks (lower is better), overall and by horizon."""
    by_horizon = result.by_row.melt(id_vars=["horizon"], value_vars=list(result.scores["model"]), var_name="model",
                                    value_name="crps").groupby(["horizon", "model"], as_index=False)["crps"].mean()
    overall = alt.Chart(result.scores).mark_bar().encode(
        y=alt.Y("model:N", sort="x", title=None), x=alt.X("crps:Q", title="mean CRPS (deaths)"),
        color=alt.Color("kind:N"), tooltip=["model:N", alt.Tooltip("crps:Q", format=".2f"),
                                            alt.Tooltip("ratio_to_zero:Q", format=".3f")],
    ).properties(title="Overall", width=260, height=160)
    lines = alt.Chart(by_horizon).mark_line(point=True).encode(
        x=alt.X("horizon:O", title="months ahead"), y=alt.Y("crps:Q", title="mean CRPS"), color="model:N",
        tooltip=["model:N", "horizon:O", alt.Tooltip("crps:Q", format=".2f")],
    ).properties(title="By horizon", width=320, height=160)
    d = result.design
    return alt.hconcat(overall, lines).properties(
        title=f"Country-month fatalities, {d['test_months'][0]}–{d['test_months'][1]} from {d['origin']}")
