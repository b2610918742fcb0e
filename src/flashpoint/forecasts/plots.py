"""Charts of a backtest: the reliability diagram of every model and baseline and their skill;
for fatalities, the CRPS of the model and the benchmarks; for the warning model, its recall /
false-alarm curve (Vega-Lite via Altair)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from flashpoint.forecasts.backtest import BacktestResult
from flashpoint.forecasts.fatalities import FatalityBacktest
from flashpoint.forecasts.warning_score import ProbabilityCard


def backtest_chart(result: BacktestResult, /) -> alt.HConcatChart:
    """Reliability (mean forecast against observed rate per bin, on log axes where rare events
    live, the diagonal is perfect calibration) beside each model's Brier skill."""
    rows = pd.concat([table.assign(model=name) for name, table in result.reliability.items()], ignore_index=True)
    rows = rows[(rows["forecast"] > 0) & (rows["observed"] > 0)]
    low = float(min(rows["forecast"].min(), rows["observed"].min())) if not rows.empty else 1e-4
    diagonal = pd.DataFrame({"forecast": [low, 1.0], "observed": [low, 1.0]})
    axis = alt.Scale(type="log", domain=[low, 1.0])
    reliability = (
        alt.Chart(diagonal)
        .mark_line(color="#999", strokeDash=[4, 3])
        .encode(
            x=alt.X("forecast:Q", scale=axis, title="mean forecast in the bin"),
            y=alt.Y("observed:Q", scale=axis, title="observed rate"),
        )
        + alt.Chart(rows)
        .mark_line(point=True)
        .encode(
            x="forecast:Q",
            y="observed:Q",
            color=alt.Color("model:N"),
            size=alt.value(2),
            tooltip=["model:N", "bin:N", "n:Q", alt.Tooltip("forecast:Q", format=".4f"), alt.Tooltip("observed:Q", format=".4f")],
        )
    ).properties(title="Reliability", width=320, height=300)
    skill = (
        alt.Chart(result.scores)
        .mark_bar()
        .encode(
            y=alt.Y("model:N", sort="-x", title=None),
            x=alt.X("brier_skill:Q", title="Brier skill vs the best baseline"),
            color=alt.Color("kind:N"),
            tooltip=["model:N", alt.Tooltip("brier:Q", format=".5f"), alt.Tooltip("roc_auc:Q", format=".3f")],
        )
        .properties(title="Skill", width=260, height=300)
    )
    d = result.design
    first, last = d[f"test_{d['period']}s"]
    return alt.hconcat(reliability, skill).properties(title=f"Backtest, target {d['target']}, {first}–{last}")


def fatalities_chart(result: FatalityBacktest, /) -> alt.HConcatChart:
    """Mean CRPS of the model and the benchmarks (lower is better), overall and by horizon."""
    by_horizon = (
        result.by_row.melt(id_vars=["horizon"], value_vars=list(result.scores["model"]), var_name="model", value_name="crps")
        .groupby(["horizon", "model"], as_index=False)["crps"]
        .mean()
    )
    overall = (
        alt.Chart(result.scores)
        .mark_bar()
        .encode(
            y=alt.Y("model:N", sort="x", title=None),
            x=alt.X("crps:Q", title="mean CRPS (deaths)"),
            color=alt.Color("kind:N"),
            tooltip=["model:N", alt.Tooltip("crps:Q", format=".2f"), alt.Tooltip("ratio_to_zero:Q", format=".3f")],
        )
        .properties(title="Overall", width=260, height=160)
    )
    lines = (
        alt.Chart(by_horizon)
        .mark_line(point=True)
        .encode(
            x=alt.X("horizon:O", title="months ahead"),
            y=alt.Y("crps:Q", title="mean CRPS"),
            color="model:N",
            tooltip=["model:N", "horizon:O", alt.Tooltip("crps:Q", format=".2f")],
        )
        .properties(title="By horizon", width=320, height=160)
    )
    d = result.design
    return alt.hconcat(overall, lines).properties(
        title=f"Country-month fatalities, {d['test_months'][0]}–{d['test_months'][1]} from {d['origin']}"
    )


def warning_curve_chart(card: ProbabilityCard, /) -> alt.LayerChart:
    """The warning model's recall / false-alarm curve: onsets warned 7–30 days ahead against false
    alarms per pair-year over thresholds, with alerts at random times and persistence alerts at
    the same rates, and the threshold chosen on training marked."""
    s = card.summary
    curve = card.curve.assign(chosen=card.curve["threshold"] == "chosen on training")
    rows = pd.concat(
        [
            curve.assign(method="warning model", warned=curve["warned_early"]),
            curve.assign(method="random timing", warned=curve["random_early"]),
            curve.assign(method="persistence", warned=curve["persistence_warned_early"]),
        ],
        ignore_index=True,
    )
    rows = rows[~rows["chosen"]].assign(share=rows["warned"] / max(s["onsets"], 1))
    chosen = curve[curve["chosen"]].assign(share=curve["warned_early"] / max(s["onsets"], 1))
    x = alt.X("false_alarms_per_pair_year:Q", title="false alarms per pair-year", scale=alt.Scale(type="symlog"))
    y = alt.Y(
        "share:Q",
        title=f"onsets warned {s['min_lead_days']}–{s['horizon_days']} days ahead",
        scale=alt.Scale(domain=[0, 1]),
        axis=alt.Axis(format="%"),
    )
    lines = (
        alt.Chart(rows)
        .mark_line(point=True)
        .encode(
            x=x,
            y=y,
            color=alt.Color("method:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=[
                "method:N",
                "threshold:N",
                alt.Tooltip("share_flagged:Q", format=".2%"),
                "alerts:Q",
                alt.Tooltip("warned:Q", format=".1f"),
            ],
        )
    )
    mark = (
        alt.Chart(chosen)
        .mark_point(shape="diamond", size=160, filled=True, color="black")
        .encode(x=x, y=y, tooltip=["threshold:N", "false_alarms_per_pair_year:Q", "warned_early:Q"])
    )
    return (lines + mark).properties(
        width=420,
        height=300,
        title=alt.TitleParams(
            f"Warnings on {s['basis']}, {s['first']} to {s['last']} ({s['onsets']} onsets)",
            subtitle="diamond: the threshold chosen on training (the default alerts)",
        ),
    )
