"""The warning model's scorecard: its stored probabilities against dated onsets.

For the pair-periods given a probability (``pair_warnings``), the target is an onset of the
pair within the horizon after the period's last day, read from the onset file scored against.
Reported: Brier score and log loss of the probabilities and of two baselines (persistence:
the training rate of onsets among pair-periods with as much recent conflict; the pair's own
base rate), their reliability, and the recall / false-alarm curve over thresholds, with the
onsets alerts at random times and persistence alerts would warn at the same alert rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import duckdb
import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, log_loss

from flashpoint.errors import InvalidInput
from flashpoint.escalation.scorecard import onset_warnings, warned_by_chance
from flashpoint.forecasts.warning_features import PERIOD_DAYS, onset_targets

#: Bins of the reliability table.
RELIABILITY_BINS: Final = (0.0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 1.0)
#: Shares of the scored pair-periods flagged at the points of the curve.
CURVE_SHARES: Final = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1)


@dataclass(frozen=True)
class ProbabilityCard:
    """Scores of the probabilities, their reliability, and the recall / false-alarm curve."""

    scores: pd.DataFrame
    reliability: pd.DataFrame
    curve: pd.DataFrame
    summary: dict[str, object]


def _point(
    frame: pd.DataFrame, flag: np.ndarray, onsets: pd.DataFrame, years: float, horizon_days: int, min_lead_days: int
) -> dict[str, object]:
    """What alerting the flagged pair-periods would give: onsets warned, false alarms per pair-year."""
    flagged = frame.loc[flag, ["pair", "as_of"]]
    warned = onset_warnings(
        onsets, flagged, pd.Timedelta(days=horizon_days), covered=set(frame["pair"]), min_lead_days=min_lead_days
    )
    rate = len(flagged) / years
    return {
        "alerts": len(flagged),
        "false_alarms_per_pair_year": round(int((frame.loc[flag, "target"] == 0).sum()) / years, 3),
        "warned": int(warned["warned"].sum()),
        "warned_early": int(warned["warned_early"].sum()),
        "random_early": round(len(onsets) * warned_by_chance(rate, horizon_days - min_lead_days + 1), 2),
    }


def _flag_top(values: np.ndarray, count: int) -> np.ndarray:
    """The ``count`` highest values flagged, ties broken at random (seeded): a baseline whose
    values tie in bands must not flag the pairs that sort first."""
    flag = np.zeros(len(values), dtype=bool)
    if count > 0:
        tiebreak = np.random.default_rng(0).random(len(values))
        flag[np.lexsort((tiebreak, -values))[:count]] = True
    return flag


def _skill(frame: pd.DataFrame) -> pd.DataFrame:
    """Brier score, log loss and mean of the model, persistence and the pair base rate, with the
    Brier skill against persistence."""
    y = frame["target"].to_numpy()
    scores = pd.DataFrame(
        [
            {
                "forecast": name,
                "brier": brier_score_loss(y, frame[column]),
                "log_loss": log_loss(y, frame[column].clip(1e-6, 1 - 1e-6), labels=[0, 1]),
                "mean": float(frame[column].mean()),
            }
            for name, column in (("model", "probability"), ("persistence", "persistence"), ("pair base rate", "base_rate"))
        ]
    )
    reference = float(scores.loc[scores["forecast"] == "persistence", "brier"].iloc[0])
    scores["brier_skill_vs_persistence"] = 1 - scores["brier"] / reference if reference else np.nan
    return scores


def _reliability(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows, mean probability and observed rate per probability bin."""
    bins = pd.cut(frame["probability"], RELIABILITY_BINS, include_lowest=True)
    reliability = (
        frame.groupby(bins, observed=True)
        .agg(rows=("target", "size"), mean_probability=("probability", "mean"), observed_rate=("target", "mean"))
        .reset_index(names="bin")
    )
    reliability["bin"] = reliability["bin"].astype(str)
    return reliability


def _curve(frame: pd.DataFrame, scored: pd.DataFrame, years: float, horizon_days: int, min_lead_days: int) -> pd.DataFrame:
    """The threshold chosen on training, then the top :data:`CURVE_SHARES` of pair-periods flagged:
    onsets warned and false alarms of each, beside persistence flagging as many."""

    def point(threshold: str, share: float, flag: np.ndarray) -> dict[str, Any]:
        count = int(flag.sum())
        return {
            "threshold": threshold,
            "share_flagged": share,
            **_point(frame, flag, scored, years, horizon_days, min_lead_days),
            "persistence_warned_early": _point(
                frame, _flag_top(frame["persistence"].to_numpy(), count), scored, years, horizon_days, min_lead_days
            )["warned_early"],
        }

    chosen = (frame["probability"] >= frame["threshold"]).to_numpy()
    points = [point("chosen on training", round(chosen.mean(), 4), chosen)]
    for share in CURVE_SHARES:
        count = int(round(share * len(frame)))
        flag = _flag_top(frame["probability"].to_numpy(), count)
        points.append(point(f"{frame['probability'].to_numpy()[flag].min():.4f}" if count else "—", share, flag))
    return pd.DataFrame(points)


def score_probabilities(
    con: duckdb.DuckDBPyConnection, onsets: pd.DataFrame, /, *, basis: str, freq: str = "week", min_lead_days: int = 7
) -> ProbabilityCard:
    """Score the stored warning probabilities of ``basis`` and ``freq`` against ``onsets`` (from
    :func:`~flashpoint.escalation.scorecard.read_onsets`); only onsets after the first scored
    period count, and only pair-periods whose horizon ends within the scored data.

    Raises
    ------
    InvalidInput
        When no probability of the basis is stored.
    """
    frame = con.execute(
        "SELECT pair, as_of, probability, base_rate, threshold, persistence, horizon_days "
        "FROM pair_warnings WHERE basis = ? AND freq = ? ORDER BY pair, as_of",
        [basis, freq],
    ).df()
    if frame.empty:
        raise InvalidInput(
            f"no warning probability of '{basis}' by {freq} is stored: run 'flashpoint alerts raise"
            + (f" --series {basis.removeprefix('series:')}'" if basis != "events" else "'")
            + " first."
        )
    horizon_days = int(frame["horizon_days"].iloc[0])
    frame["as_of"] = pd.to_datetime(frame["as_of"])
    frame = frame[frame["as_of"] + pd.Timedelta(days=horizon_days) <= frame["as_of"].max()].reset_index(drop=True)
    # Every row's horizon ends within the scored data (filtered above): none is open-ended.
    frame["target"] = onset_targets(frame, onsets, horizon_days).fillna(0.0).to_numpy()
    scored = onsets[
        (pd.to_datetime(onsets["onset_date"]) > frame["as_of"].min() + pd.Timedelta(days=horizon_days))
        & (pd.to_datetime(onsets["onset_date"]) <= frame["as_of"].max())
    ]
    years = len(frame) * PERIOD_DAYS[freq] / 365.25
    curve = _curve(frame, scored, years, horizon_days, min_lead_days)
    summary = {
        "basis": basis,
        "freq": freq,
        "horizon_days": horizon_days,
        "min_lead_days": min_lead_days,
        "pair_periods": len(frame),
        "pair_years": round(years, 1),
        "onsets": len(scored),
        "first": frame["as_of"].min().date().isoformat(),
        "last": frame["as_of"].max().date().isoformat(),
    }
    return ProbabilityCard(scores=_skill(frame), reliability=_reliability(frame), curve=curve, summary=summary)


def render_probability_markdown(card: ProbabilityCard, /) -> str:
    """A probability scorecard as Markdown: the scores, the curve, the reliability."""
    s = card.summary
    lines = [
        f"{s['pair_periods']:,} pair-periods scored ({s['pair_years']:,} pair-years, {s['first']} to {s['last']}); "
        f"{s['onsets']} onsets after the first horizon; horizon {s['horizon_days']} days.",
        "",
        "| forecast | Brier | Brier skill vs persistence | log loss | mean |",
        "|---|---|---|---|---|",
    ]
    for r in card.scores.itertuples():
        lines.append(f"| {r.forecast} | {r.brier:.6f} | {r.brier_skill_vs_persistence:+.4f} | {r.log_loss:.5f} | {r.mean:.5f} |")
    lines += [
        "",
        f"| threshold | share flagged | alerts | false alarms per pair-year | warned 1–{s['horizon_days']} d | "
        f"warned {s['min_lead_days']}–{s['horizon_days']} d | random, {s['min_lead_days']}–{s['horizon_days']} d | "
        f"persistence, {s['min_lead_days']}–{s['horizon_days']} d |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in card.curve.itertuples():
        lines.append(
            f"| {r.threshold} | {r.share_flagged:.2%} | {r.alerts:,} | {r.false_alarms_per_pair_year} | "
            f"{r.warned} of {s['onsets']} | {r.warned_early} of {s['onsets']} | {r.random_early} | "
            f"{r.persistence_warned_early} |"
        )
    lines += ["", "| probability | pair-periods | mean probability | observed rate |", "|---|---|---|---|"]
    for r in card.reliability.itertuples():
        lines.append(f"| {r.bin} | {r.rows:,} | {r.mean_probability:.4f} | {r.observed_rate:.4f} |")
    return "\n".join(lines) + "\n"
