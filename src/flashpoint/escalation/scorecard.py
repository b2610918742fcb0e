"""The alert scorecard: stored alerts against dated escalation onsets.

For each onset (a pair, unordered, and the day the escalation became public): did an alert
of at least ``min_level`` come in the ``window_days`` before it, and how many days before
(lead time, from the day the alert's period was complete)? For each such alert: was it
followed by an onset of its pair within ``window_days``? Alerts that were not are false
alarms, reported per pair-year of coverage (the days each pair was scored).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from flashpoint.errors import InvalidInput
from flashpoint.escalation.alerts import EVENTS_BASIS, RANK
from flashpoint.pairs import pair_key

ONSET_COLUMNS = ("iso3_a", "iso3_b", "onset_date")


@dataclass(frozen=True)
class Scorecard:
    """Per onset, per pair, and overall figures (see :func:`score_alerts`)."""

    onsets: pd.DataFrame
    pairs: pd.DataFrame
    summary: dict[str, object]


def read_onsets(path: Path, /) -> pd.DataFrame:
    """Onsets from a CSV with ``iso3_a``, ``iso3_b``, ``onset_date`` (and optionally ``kind``,
    ``what_happened``), with ``pair`` ('A-B', sorted).

    Raises
    ------
    InvalidInput
        When the file cannot be read, lacks a column, or has a bad date.
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"onsets {path}: cannot read it as CSV: {exc}.") from None
    missing = [c for c in ONSET_COLUMNS if c not in frame.columns]
    if missing:
        raise InvalidInput(
            f"onsets {path}: missing column(s) {', '.join(missing)}; expected {', '.join(ONSET_COLUMNS)}"
            f" (and optionally kind, what_happened)."
        )
    dates = pd.to_datetime(frame["onset_date"], format="%Y-%m-%d", errors="coerce")
    if dates.isna().any():
        line = int(dates.isna().to_numpy().argmax()) + 2
        raise InvalidInput(
            f"onsets {path}, line {line}: onset_date {frame['onset_date'].iloc[line - 2]!r} is not a date (YYYY-MM-DD)."
        )
    frame["onset_date"] = dates.dt.date
    frame["pair"] = [pair_key((a.strip().upper(), b.strip().upper())) for a, b in zip(frame["iso3_a"], frame["iso3_b"])]
    for column in ("kind", "what_happened"):
        if column not in frame.columns:
            frame[column] = ""
    return frame[["pair", "onset_date", "kind", "what_happened"]]


def _coverage(con: duckdb.DuckDBPyConnection, basis: str) -> pd.DataFrame:
    """Per pair, the first and last day the basis scores."""
    if basis == EVENTS_BASIS:
        return con.execute(
            "SELECT pair, min(event_date) AS first_day, max(event_date) AS last_day FROM events "
            "WHERE pair IS NOT NULL GROUP BY pair"
        ).df()
    return con.execute(
        "SELECT pair, min(date) AS first_day, max(date) AS last_day FROM pair_series WHERE series = ? GROUP BY pair",
        [basis.removeprefix("series:")],
    ).df()


def onset_warnings(
    onsets: pd.DataFrame, alerts: pd.DataFrame, window: pd.Timedelta, /, *, covered: set[str], min_lead_days: int = 7
) -> pd.DataFrame:
    """Each onset: whether its pair is ``covered`` by the basis, and the alerts in the ``window``
    before it (whether any, the first, its lead in days, how many, and whether one came at
    least ``min_lead_days`` before: ``warned_early``)."""
    rows = []
    for onset in onsets.itertuples():
        day = pd.Timestamp(onset.onset_date)
        before = alerts[(alerts["pair"] == onset.pair) & (alerts["as_of"] < day) & (alerts["as_of"] >= day - window)]
        first = before["as_of"].min() if len(before) else None
        rows.append(
            {
                "pair": onset.pair,
                "onset_date": onset.onset_date,
                "kind": onset.kind,
                "covered": onset.pair in covered,
                "warned": first is not None,
                "warned_early": bool((before["as_of"] <= day - pd.Timedelta(days=min_lead_days)).any()),
                "first_alert": None if first is None else first.date(),
                "lead_days": None if first is None else int((day - first).days),
                "alerts_in_window": len(before),
            }
        )
    return pd.DataFrame(rows)


def _per_pair(coverage: pd.DataFrame, alerts: pd.DataFrame, onsets: pd.DataFrame, window: pd.Timedelta, /) -> pd.DataFrame:
    """Each pair the basis covers: its years of coverage, its alerts, and the false alarms among
    them (alerts no onset of the pair followed within ``window``), also per year."""
    onset_days = onsets.assign(onset_date=pd.to_datetime(onsets["onset_date"]))
    followed = alerts.merge(onset_days[["pair", "onset_date"]], on="pair", how="left")
    followed["hit"] = (followed["onset_date"] > followed["as_of"]) & (followed["onset_date"] <= followed["as_of"] + window)
    true_alarm = followed.groupby(["pair", "as_of"])["hit"].any().rename("followed").reset_index()
    per_pair = (
        coverage[["pair"]]
        .assign(years=((coverage["last_day"] - coverage["first_day"]).dt.days + 1) / 365.25)
        .merge(
            true_alarm.groupby("pair").agg(alerts=("followed", "size"), false_alarms=("followed", lambda f: int((~f).sum()))),
            on="pair",
            how="left",
        )
        .fillna({"alerts": 0, "false_alarms": 0})
    )
    per_pair["false_alarms_per_year"] = per_pair["false_alarms"] / per_pair["years"]
    return per_pair


def warned_by_chance(alerts_per_pair_year: float, window_days: int, /) -> float:
    """The share of onsets alerts arriving at random times (Poisson, at this rate per pair-year)
    would warn within a window of ``window_days`` before them."""
    return 1.0 - math.exp(-alerts_per_pair_year * window_days / 365.25)


def _summary(
    per_onset: pd.DataFrame,
    per_pair: pd.DataFrame,
    *,
    basis: str,
    freq: str | None,
    window_days: int,
    min_level: str,
    min_lead_days: int,
) -> dict[str, Any]:
    """The scorecard's summary (see :func:`score_alerts`) from its per-onset and per-pair tables."""
    leads = per_onset.loc[per_onset["warned"], "lead_days"]
    years = float(per_pair["years"].sum())
    summary = {
        "basis": basis,
        "freq": freq,
        "window_days": window_days,
        "min_level": min_level,
        "onsets": len(per_onset),
        "covered": int(per_onset["covered"].sum()) if len(per_onset) else 0,
        "warned": int(per_onset["warned"].sum()) if len(per_onset) else 0,
        "median_lead_days": float(leads.median()) if len(leads) else None,
        "alerts": int(per_pair["alerts"].sum()),
        "false_alarms": int(per_pair["false_alarms"].sum()),
        "pair_years": round(years, 2),
        "false_alarms_per_pair_year": round(float(per_pair["false_alarms"].sum()) / years, 3) if years else None,
    }
    # Alerts as frequent, at random times, would warn this share of onsets (Poisson arrivals).
    rate = summary["alerts"] / years if years else 0.0
    summary["warned_by_chance"] = round(warned_by_chance(rate, window_days), 3)
    summary["min_lead_days"] = min_lead_days
    summary["warned_early"] = int(per_onset["warned_early"].sum()) if len(per_onset) else 0
    summary["warned_early_by_chance"] = round(warned_by_chance(rate, window_days - min_lead_days + 1), 3)
    return summary


def score_alerts(
    con: duckdb.DuckDBPyConnection,
    onsets: pd.DataFrame,
    /,
    *,
    basis: str = EVENTS_BASIS,
    freq: str | None = None,
    window_days: int = 30,
    min_level: str = "warning",
    min_lead_days: int = 7,
) -> Scorecard:
    """Score the stored alerts of ``basis`` (and ``freq``, when given) against ``onsets`` (from
    :func:`read_onsets`).

    Returns
    -------
    Scorecard: ``onsets`` (pair, onset_date, kind, covered, warned, first_alert, lead_days,
    alerts_in_window), ``pairs`` (pair, years, alerts, false_alarms, false_alarms_per_year)
    for every pair the basis scores, and ``summary`` (onsets, covered, warned, median lead,
    alerts, false alarms, pair-years, false alarms per pair-year, and ``warned_by_chance``:
    the share of onsets as many alerts at random times would warn; ``warned_early`` and
    ``warned_early_by_chance`` the same from ``min_lead_days`` before).
    """
    if window_days < 1:
        raise InvalidInput(f"window of {window_days} days: use at least 1.")
    if min_level not in RANK:
        raise InvalidInput(f"level '{min_level}': use one of {', '.join(RANK)}.")
    alerts = con.execute(
        "SELECT pair, as_of, level FROM alerts WHERE basis = ? AND level_rank >= ? AND freq = coalesce(?, freq)",
        [basis, RANK[min_level], freq],
    ).df()
    alerts["as_of"] = pd.to_datetime(alerts["as_of"])
    coverage = _coverage(con, basis)
    for column in ("first_day", "last_day"):
        coverage[column] = pd.to_datetime(coverage[column])
    window = pd.Timedelta(days=window_days)
    if not 0 < min_lead_days <= window_days:
        raise InvalidInput(f"lead of {min_lead_days} days: use 1 to the window ({window_days} days).")
    per_onset = onset_warnings(onsets, alerts, window, covered=set(coverage["pair"]), min_lead_days=min_lead_days)
    per_pair = _per_pair(coverage, alerts, onsets, window)
    summary = _summary(
        per_onset, per_pair, basis=basis, freq=freq, window_days=window_days, min_level=min_level, min_lead_days=min_lead_days
    )
    return Scorecard(onsets=per_onset, pairs=per_pair.sort_values("pair", ignore_index=True), summary=summary)


def render_markdown(card: Scorecard, /) -> str:
    """A scorecard as Markdown: the summary, every onset, and false alarms per pair."""
    s = card.summary
    lead = "—" if s["median_lead_days"] is None else f"{s['median_lead_days']:g} days"
    lines = [
        f"- onsets warned: **{s['warned']} of {s['onsets']}** ({s['covered']} covered by the basis); median lead time {lead}",
        f"- warned {s['min_lead_days']}–{s['window_days']} days ahead: **{s['warned_early']} of {s['onsets']}**",
        f"- as many alerts at random times would warn {s['warned_by_chance']:.0%} of onsets "
        f"({s['warned_by_chance'] * s['onsets']:.1f} of {s['onsets']}), "
        f"{s['warned_early_by_chance'] * s['onsets']:.1f} of them {s['min_lead_days']}–{s['window_days']} days ahead",
        f"- alerts of `{s['min_level']}` or higher: {s['alerts']:,}; false alarms (no onset of the pair in the "
        f"{s['window_days']} days after): {s['false_alarms']:,}, **{s['false_alarms_per_pair_year']} per "
        f"pair-year** over {s['pair_years']} pair-years",
        "",
        "| pair | onset | kind | warned | first alert | lead (days) | alerts in window |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in card.onsets.itertuples():
        warned = "yes" if r.warned else ("no" if r.covered else "not covered")
        lead_days = "" if pd.isna(r.lead_days) else str(int(r.lead_days))
        lines.append(
            f"| {r.pair} | {r.onset_date} | {r.kind} | {warned} | {r.first_alert or ''} | {lead_days} | {r.alerts_in_window} |"
        )
    lines += ["", "| pair | years | alerts | false alarms | per year |", "|---|---|---|---|---|"]
    for r in card.pairs.itertuples():
        lines.append(f"| {r.pair} | {r.years:.2f} | {int(r.alerts)} | {int(r.false_alarms)} | {r.false_alarms_per_year:.2f} |")
    return "\n".join(lines) + "\n"
