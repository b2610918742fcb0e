"""The simulation as a chart: probability of having reached stage 3 and stage 4, week by week,
with and without the levers, and the range over parameter draws (Vega-Lite via Altair; saved
as SVG or PNG by vl-convert, no browser or network needed)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from flashpoint.simulate.pair import PairSimulation
from flashpoint.simulate.scenario import Summary


def _rows(summary: Summary, scenario: str) -> list[dict[str, object]]:
    rows = []
    for level, p, band in (
        ("stage ≥ 3", summary.reach3, summary.reach3_range),
        ("stage 4", summary.reach4, summary.reach4_range),
    ):
        rows += [
            {
                "week": w,
                "probability": float(p[w]),
                "low": float(band[0, w]),
                "high": float(band[1, w]),
                "series": f"{level}, {scenario}",
            }
            for w in range(len(p))
        ]
    return rows


def simulation_chart(result: PairSimulation, /) -> alt.LayerChart:
    """The chart of ``result`` (see the module documentation)."""
    rows = _rows(result.baseline, "as things are")
    if result.with_levers is not None:
        rows += _rows(result.with_levers, "with " + ", ".join(f"{i.lever}@{i.week}w" for i in result.interventions))
    data = pd.DataFrame(rows)
    base = alt.Chart(data).encode(
        x=alt.X("week:Q", title="weeks ahead"),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom", columns=2, labelLimit=400)),
    )
    band = base.mark_area(opacity=0.15).encode(y="low:Q", y2="high:Q")
    line = base.mark_line().encode(y=alt.Y("probability:Q", title="probability reached", axis=alt.Axis(format="%")))
    # The title in two lines and the legend below the plot: one line of either was cut at the edge.
    title = alt.TitleParams(
        f"{result.pair}: {result.runs:,} runs from stage {result.start_stage} (week of {result.week_of})",
        subtitle="bands: 5–95% over parameter draws",
        anchor="start",
    )
    return (band + line).properties(title=title, width=560, height=300)
