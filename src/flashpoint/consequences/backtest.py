"""Do the analogue estimates hold? Each dispute from a cut-off year on is estimated as
:func:`~flashpoint.consequences.analogues.pair_consequences` would have estimated it the year
before its onset — from the analogues known then, matched on its pair's structure then — and its
realised outcome is compared with the estimate:

- an amount (deaths, duration, refugees, trade, growth, spending) should fall within the range
  stated for 80% of the analogues about 80% of the time (its coverage);
- an event (a war, a neighbour's new conflict, other states or a major power joining) is scored by
  the Brier score of the analogues' share as its probability, against the share over every dispute
  known then (no matching: the base rate).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from flashpoint.consequences.analogues import (
    EVENTS,
    FIGURES,
    STAGE_HOSTILITY,
    pair_structure,
    select_analogues,
    summarise_analogues,
)
from flashpoint.consequences.episodes import episode_table


def backtest_consequences(data_dir: Path, /, *, stage: int = 3, cutoff: int = 1946) -> pd.DataFrame:
    """Score the estimates of every dispute at the stage from ``cutoff`` on (see the module documentation).

    Returns
    -------
    pandas.DataFrame
        One row per figure: ``figure``, ``kind`` (amount or event), ``disputes`` scored, and
        ``coverage`` (amounts: the share of realised values within the stated 80% range) or
        ``brier`` and ``brier_base_rate`` (events).
    """
    episodes = episode_table(Path(data_dir))
    outcomes = {spec.key: spec.column for spec in FIGURES if spec.outcome}
    tested = episodes[episodes["hostlev"].isin(STAGE_HOSTILITY[stage]) & (episodes["year"] >= cutoff)]
    rows: list[dict[str, object]] = []
    base_rates_by_year: dict[int, dict[str, float | None]] = {}
    for episode in tested.itertuples():
        known_by = episode.year - 1
        mine = pair_structure(Path(data_dir), (episode.a,), (episode.b,), known_by)
        analogues, _ = select_analogues(episodes, stage=stage, known_by=known_by, structure=mine)
        if analogues.empty:
            continue
        if known_by not in base_rates_by_year:  # every dispute known then, unmatched
            base, _ = select_analogues(episodes, stage=stage, known_by=known_by, structure=None)
            base_rates_by_year[known_by] = {f.key: f.value for f in summarise_analogues(base, stage) if f.key in EVENTS}
        base_rates = base_rates_by_year[known_by]
        for figure in summarise_analogues(analogues, stage):
            realised = getattr(episode, outcomes[figure.key]) if figure.key in outcomes else None
            if figure.value is None or realised is None or pd.isna(realised):
                continue
            if figure.key in EVENTS:
                base_rate = base_rates.get(figure.key)
                rows.append(
                    {
                        "figure": figure.key,
                        "kind": "event",
                        "hit": np.nan,
                        "sq": (figure.value - realised) ** 2,
                        "sq_base": np.nan if base_rate is None else (base_rate - realised) ** 2,
                    }
                )
            else:
                rows.append(
                    {
                        "figure": figure.key,
                        "kind": "amount",
                        "hit": float(figure.low <= realised <= figure.high),
                        "sq": np.nan,
                        "sq_base": np.nan,
                    }
                )
    scored = pd.DataFrame(rows, columns=["figure", "kind", "hit", "sq", "sq_base"])
    table = scored.groupby(["figure", "kind"], sort=False).agg(
        disputes=("figure", "size"), coverage=("hit", "mean"), brier=("sq", "mean"), brier_base_rate=("sq_base", "mean")
    )
    return table.reset_index()


def render_backtest_markdown(table: pd.DataFrame, /) -> str:
    """The backtest as a Markdown table (docs/consequences.md)."""
    lines = [
        "| figure | kind | disputes | coverage of the 80% range | Brier | Brier of the base rate |",
        "|---|---|---|---|---|---|",
    ]
    for row in table.itertuples():
        coverage = "" if pd.isna(row.coverage) else f"{row.coverage:.0%}"
        brier = "" if pd.isna(row.brier) else f"{row.brier:.3f}"
        base = "" if pd.isna(row.brier_base_rate) else f"{row.brier_base_rate:.3f}"
        lines.append(f"| {row.figure} | {row.kind} | {row.disputes} | {coverage} | {brier} | {base} |")
    return "\n".join(lines) + "\n"
