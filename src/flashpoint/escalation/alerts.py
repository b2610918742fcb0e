"""Alerts: raised when a pair's stage rises, a red line is crossed or a change point fires.

One alert per pair and period (and basis: the event store, or a named score series), with
the highest level its triggers reach, why in plain words (the triggers and the indicators
that drove the index), the top evidence events with their source links, and a link to the
pair's previous alert. Stored in ``alerts``; raising again is idempotent, and an alert whose
period gains a higher level (a week still in progress) is upgraded in place.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Final

import duckdb
import numpy as np
import pandas as pd

from flashpoint.config import Settings
from flashpoint.errors import InvalidInput
from flashpoint.escalation.changes import change_options, change_probabilities, detect_changes
from flashpoint.escalation.evidence import alert_evidence, compile_evidence_queries, evidence_support, series_evidence
from flashpoint.escalation.ladder import STAGES, WEIGHTED, event_scores, series_scores
from flashpoint.indicators.counting import counted_sql
from flashpoint.indicators.query import FREQUENCIES, IndicatorQuery
from flashpoint.indicators.redlines import (
    ALERT_LEVELS,
    check_rules,
    load_rules,
    record_crossings,
)
from flashpoint.indicators.weekly import weeks_current
from flashpoint.jsonrows import json_rows
from flashpoint.pairs import pair_key
from flashpoint.store.connection import transaction
from flashpoint.store.coverage import gap_periods
from flashpoint.store.queries import copy_pair_events
from flashpoint.wording import quantity

#: Rank of each level (0: no alert).
RANK: Final = {level: rank for rank, level in enumerate(ALERT_LEVELS, start=1)}
#: Level a stage rise raises, by the new stage.
STAGE_LEVEL: Final = {1: "watch", 2: "watch", 3: "warning", 4: "critical"}
#: The indicator whose events show a stage, for alerts no index contribution explains.
STAGE_INDICATOR: Final = {1: "rhetoric", 2: "coercion", 3: "force", 4: "force"}
#: Periods of history read before the first period alerted on (baselines, change detection).
HISTORY_PERIODS: Final = 104
EVENTS_BASIS: Final = "events"
#: Stored alerts, each with ``previous_alert_id``: the pair's previous alert on the same basis
#: and frequency (derived when read, so it is right however the alerts were raised).
ALERT_HISTORY_SQL: Final = (
    "SELECT *, lag(alert_id) OVER (PARTITION BY basis, freq, pair ORDER BY period) AS previous_alert_id FROM alerts"
)


@dataclass(frozen=True)
class AlertRun:
    """What one ``raise_alerts`` call did: pair-periods scored, alerts new or upgraded."""

    scored: int
    raised: list[str]


def index_level(index: float, settings: Settings) -> str | None:
    """The level an index reaches (None below the watch threshold)."""
    for level, threshold in (
        ("critical", settings.alert_critical_index),
        ("warning", settings.alert_warning_index),
        ("watch", settings.alert_watch_index),
    ):
        if index >= threshold:
            return level
    return None


def _top_drivers(row: pd.Series, count: int = 3) -> list[str]:
    """The weighted indicators that raised a scored row's index most, largest first."""
    parts = {ind.name: row[f"{ind.name}_contribution"] for ind in WEIGHTED}
    return [name for name, value in sorted(parts.items(), key=lambda kv: -kv[1]) if value > 0][:count]


def _drivers(row: pd.Series, freq: str) -> str:
    words = []
    for name in _top_drivers(row):
        z, incidents = float(row[f"{name}_z"]), int(row[f"{name}_incidents"])
        side = "below" if z < 0 else "above"
        words.append(f"{name} {abs(z):.1f} SD {side} its baseline ({quantity(incidents, 'confident incident')} this {freq})")
    return "the escalation index driven by " + ", ".join(words) if words else ""


def _triggers(scores: pd.DataFrame, settings: Settings, freq: str) -> pd.DataFrame:
    """Stage rises and change points of a scored table, one row per trigger; with the
    ``probability`` alert method they are watch signals whatever the stage or index."""
    scores = scores.sort_values(["pair", "period"])
    found = []
    if scores["stage"].notna().any():
        previous = scores.groupby("pair")["stage"].shift(1).fillna(0).astype("int64")
        before = pd.to_datetime(scores.groupby("pair")["period"].shift(1))
        # A period without incidents between the two is stage 0.
        previous = previous.where(before == pd.to_datetime(scores["period"]) - _periods(freq, 1), 0)
        rises = scores.assign(previous_stage=previous)
        rises = rises[(rises["stage"] > rises["previous_stage"]) & (rises["stage"] >= 1)]
        found.append(
            rises.assign(
                trigger="stage_rise",
                level=rises["stage"].map(STAGE_LEVEL),
                reason=[
                    f"stage rose from {p} ({STAGES[p]}) to {s} ({STAGES[s]})"
                    for p, s in zip(rises["previous_stage"], rises["stage"])
                ],
            )
        )
    changes = scores[scores["change_point"].astype(bool)].copy()
    changes["level"] = [index_level(v, settings) for v in changes["escalation_index"]]
    changes = changes[changes["level"].notna()]
    found.append(
        changes.assign(
            trigger="change_point",
            reason=[
                f"sudden shift: escalation index {v:.1f} (probability {p:.2f} of a change in the last "
                f"{settings.changepoint_recent} periods)"
                for v, p in zip(changes["escalation_index"], changes["change_probability"])
            ],
        )
    )
    found = pd.concat(found, ignore_index=True) if found else pd.DataFrame()
    if settings.alert_method == "probability" and not found.empty:
        found["level"] = "watch"
    return found


def _probability_triggers(warnings: pd.DataFrame, /) -> pd.DataFrame:
    """A warning trigger for each pair-period whose probability crossed its threshold."""
    return warnings.assign(trigger="probability", level="warning")[
        ["pair", "period", "trigger", "level", "reason", "probability", "base_rate"]
    ]


def _with_periods(scores: pd.DataFrame, keys: pd.DataFrame, /) -> pd.DataFrame:
    """``scores`` with a row of zeros for each pair-period of ``keys`` it lacks (a warning in a
    week without incidents), its ``as_of`` the period's last day."""
    missing = keys.merge(scores[["pair", "period"]], how="left", indicator=True)
    missing = missing.loc[missing["_merge"] == "left_only", ["pair", "period", "as_of"]]
    if missing.empty:
        return scores
    zeros = {c: 0 for c in scores.columns if c not in ("pair", "period", "as_of") and scores[c].dtype.kind in "biuf"}
    return pd.concat([scores, missing.assign(**zeros)], ignore_index=True)


def _alert_id(basis: str, freq: str, pair: str, period: dt.date) -> str:
    return hashlib.sha1(f"{basis}|{freq}|{pair}|{period.isoformat()}".encode()).hexdigest()[:16]


def _alert_row(row: pd.Series, group: pd.DataFrame, basis: str, freq: str, raised_by: str) -> dict[str, Any]:
    """The alert of one pair-period (``row``, its scores, named by the index) from its ``group`` of triggers."""
    pair, period = row.name
    weighted = basis == EVENTS_BASIS
    level = max(group["level"], key=RANK.__getitem__)
    detail = (
        _drivers(row, freq)
        if weighted
        else f"conflict score {row['conflict']:.1f}, {row['conflict_z']:.1f} SD above the pair's baseline"
    )
    previous = group["previous_stage"].dropna() if "previous_stage" in group else pd.Series(dtype="float64")
    parts = (
        {
            ind.name: {
                "z": None if pd.isna(row[f"{ind.name}_z"]) else round(float(row[f"{ind.name}_z"]), 3),
                "incidents": int(row[f"{ind.name}_incidents"]),
                "weight": ind.index_weight,
            }
            for ind in WEIGHTED
        }
        if weighted
        else {"conflict": float(row["conflict"])}
    )
    chances = group["probability"].dropna() if "probability" in group else pd.Series(dtype="float64")
    return {
        "probability": float(chances.iloc[0]) if len(chances) else None,
        "base_rate": float(group["base_rate"].dropna().iloc[0]) if len(chances) else None,
        "alert_id": _alert_id(basis, freq, pair, period),
        "basis": basis,
        "freq": freq,
        "pair": pair,
        "period": period,
        "as_of": row["as_of"],
        "level": level,
        "level_rank": RANK[level],
        "stage": None if pd.isna(row["stage"]) else int(row["stage"]),
        "previous_stage": int(previous.iloc[0]) if len(previous) else None,
        "escalation_index": round(float(row["escalation_index"]), 4),
        "triggers": sorted(set(group["trigger"])),
        "why": "; ".join(part for part in [*group["reason"], detail] if part),
        "contributions": json.dumps(parts),
        "raised_by": raised_by,
        "event_ids": [i for ids in group.get("event_ids", pd.Series(dtype=object)).dropna() for i in ids],
        "driver": next(iter(_top_drivers(row, 1)), STAGE_INDICATOR.get(row["stage"], "force")) if weighted else None,
    }


def _assemble(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    scores: pd.DataFrame,
    triggers: pd.DataFrame,
    basis: str,
    freq: str,
    raised_by: str,
    table: str,
) -> pd.DataFrame:
    """One alert per pair-period from its triggers."""
    weighted = basis == EVENTS_BASIS
    indexed = scores.set_index(["pair", "period"])
    rows = [
        _alert_row(indexed.loc[(pair, period)], group, basis, freq, raised_by)
        for (pair, period), group in triggers.groupby(["pair", "period"], sort=True)
        if (pair, period) in indexed.index
    ]
    alerts = pd.DataFrame(rows)
    if alerts.empty:
        return alerts
    evidence = (
        alert_evidence(con, alerts, freq, table)
        if weighted
        else {(r.pair, r.period): series_evidence(con, basis.removeprefix("series:"), r) for r in alerts.itertuples()}
    )
    alerts["evidence"] = [json.dumps(evidence.get((p, d), [])) for p, d in zip(alerts["pair"], alerts["period"])]
    if weighted:
        alerts = _weigh_support(alerts, evidence_support(con, evidence, settings.alert_min_confidence, table), settings)
    else:
        alerts = alerts.assign(reports=None, corroborated=None)
    return alerts.drop(columns=["event_ids", "driver"])


def _weigh_support(alerts: pd.DataFrame, support: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Alerts with ``reports`` and ``corroborated``, and their level held back where the evidence is
    thin: a critical alert needs ``alert_critical_reports`` independent reports or a human-coded
    source (else warning); a warning needs one report of confidence ``alert_min_confidence``
    (else watch). The ``why`` says so."""
    support = support.assign(period=pd.to_datetime(support["period"]).dt.date).set_index(["pair", "period"])
    rows = []
    for alert in alerts.to_dict("records"):
        found = support.loc[(alert["pair"], alert["period"])] if (alert["pair"], alert["period"]) in support.index else None
        reports = 0 if found is None else int(found["reports"])
        human = found is not None and bool(found["human"])
        confidence = None if found is None else float(found["confidence"])
        corroborated = human or reports >= settings.alert_critical_reports
        level, note = alert["level"], f"{quantity(reports, 'independent report')} behind it"
        if "probability" in alert["triggers"] and settings.alert_method == "probability":
            if level in ("warning", "critical"):  # the probability is the basis; corroboration makes it critical
                level = "critical" if corroborated and reports > 0 else "warning"
                note += (
                    "; critical: corroborated"
                    if level == "critical"
                    else (f"; critical needs {settings.alert_critical_reports} independent reports or a human-coded source")
                )
        else:
            if level == "critical" and not corroborated:
                level, note = (
                    "warning",
                    (f"{note}; held at warning: critical needs {settings.alert_critical_reports} or a human-coded source"),
                )
            if RANK[level] >= RANK["warning"] and reports == 0:
                best = "no event" if confidence is None else f"reports of confidence {confidence:.2f} at best"
                level, note = "watch", f"held at watch: rests on {best} (below {settings.alert_min_confidence:g})"
        rows.append(
            {
                **alert,
                "level": level,
                "level_rank": RANK[level],
                "reports": reports,
                "corroborated": corroborated,
                "why": f"{alert['why']} ({note})",
            }
        )
    return pd.DataFrame(rows)


def store_alerts(con: duckdb.DuckDBPyConnection, alerts: pd.DataFrame, /) -> list[str]:
    """Insert new alerts and upgrade stored ones that reached a higher level; returns their ids."""
    if alerts.empty:
        return []
    con.register("new_alerts", alerts)
    try:
        with transaction(con):
            changed = [
                r[0]
                for r in con.execute(
                    "SELECT n.alert_id FROM new_alerts n LEFT JOIN alerts a USING (alert_id) "
                    "WHERE a.alert_id IS NULL OR n.level_rank > a.level_rank"
                ).fetchall()
            ]
            con.execute("DELETE FROM alerts WHERE alert_id IN (SELECT unnest(?))", [changed])
            con.execute(
                "INSERT INTO alerts BY NAME SELECT * EXCLUDE (contributions, evidence), "
                "CAST(contributions AS JSON) AS contributions, CAST(evidence AS JSON) AS evidence, "
                "localtimestamp AS raised_at FROM new_alerts WHERE alert_id IN (SELECT unnest(?))",
                [changed],
            )
    finally:
        con.unregister("new_alerts")
    return changed


def _scores(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    series: str | None,
    freq: str,
    pairs: tuple[str, ...] | None,
    start: dt.date | None,
    until: dt.date | None,
    table: str,
    baseline_periods: int | None,
) -> pd.DataFrame:
    """The pair-period scores alerts are raised on: from the events (in ``table``) or the stored ``series``."""
    if series is None:
        # A few pairs' weekly scores read their stored weeks when those are current (a live
        # watch's, just refreshed), else the copy of their events.
        stored = pairs is not None and freq == "week" and until is None and weeks_current(con)
        return event_scores(
            con,
            settings,
            freq=freq,
            pairs=pairs if stored else None,
            since=start,
            until=until,
            table="events" if stored else table,
        )
    if not con.execute("SELECT count(*) FROM pair_series WHERE series = ?", [series]).fetchall()[0][0]:
        raise InvalidInput(
            f"no stored series named '{series}'. Load one with 'flashpoint ingest series PATH "
            "--value-column COLUMN' (the series is named after the column unless --name says)."
        )
    return series_scores(
        con,
        settings,
        series,
        freq=freq,
        pairs=pairs,
        since=start,
        until=until,
        baseline_periods=baseline_periods or settings.alert_baseline_periods,
    )


def _checked_request(settings: Settings, freq: str, /) -> str:
    """``freq``, once it and the alert thresholds are checked.

    Raises
    ------
    InvalidInput
        For thresholds out of order (index alerts) or an unknown frequency.
    """
    if settings.alert_method == "index" and not (
        settings.alert_watch_index <= settings.alert_warning_index <= settings.alert_critical_index
    ):
        raise InvalidInput(
            f"alert thresholds: alert_watch_index ({settings.alert_watch_index:g}) ≤ alert_warning_index "
            f"({settings.alert_warning_index:g}) ≤ alert_critical_index "
            f"({settings.alert_critical_index:g}) must hold; fix the settings."
        )
    if freq not in FREQUENCIES:
        raise InvalidInput(f"frequency '{freq}': use one of {', '.join(FREQUENCIES)}.")
    return freq


def _gathered(
    scores: pd.DataFrame, crossings: pd.DataFrame | None, warnings: pd.DataFrame | None, since: dt.date | None, /
) -> pd.DataFrame:
    """The triggers of scores, red-line crossings and warning probabilities (the last as
    :func:`_probability_triggers` reads them), from period ``since`` on."""
    parts = [scores, crossings, None if warnings is None or warnings.empty else _probability_triggers(warnings)]
    triggers = pd.concat([part for part in parts if part is not None], ignore_index=True)
    if since is not None and not triggers.empty:
        triggers = triggers[triggers["period"] >= pd.Timestamp(since).date()]
    return triggers


def raise_alerts(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    /,
    *,
    series: str | None = None,
    freq: str | None = None,
    baseline_periods: int | None = None,
    pairs: tuple[str, ...] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    raised_by: str = "batch",
    copied: str | None = None,
    warnings: pd.DataFrame | None = None,
) -> AlertRun:
    """Score pairs, detect change points, check red lines, and store the alerts they raise: on the
    event store by default, on the stored score ``series`` when named.

    Parameters
    ----------
    since, until
        Only periods from ``since`` raise alerts; up to :data:`HISTORY_PERIODS` earlier ones are read
        for the baselines and the change detection.
    warnings
        The pair-periods whose warning probability crossed its threshold (``pair``, ``period``,
        ``as_of``, ``probability``, ``base_rate``, ``reason``: :mod:`flashpoint.forecasts.warning`);
        each raises a warning, critical when its evidence is corroborated.
    copied
        A copy of the ``pairs``' events already made (:func:`~flashpoint.store.queries.copy_pair_events`).
    freq, baseline_periods
        The period of the alerts and the baseline of a series' z-scores (default: the settings').
    pairs
        Only these pairs ('GEO-RUS'), as the live watch raises them; default every pair.
    raised_by
        'batch' or 'watch', stored with each alert.

    Returns
    -------
    AlertRun
        How many pair-periods were scored and how many alerts stored (new or changed).

    Raises
    ------
    InvalidInput
        For thresholds out of order, an unknown frequency, or a ``series`` not stored.
    """
    freq = _checked_request(settings, freq or settings.alert_freq)
    start = None if since is None else (pd.Timestamp(since) - _periods(freq, HISTORY_PERIODS)).date()
    table = "events" if series is not None or pairs is None else copied or copy_pair_events(con, pairs)
    scores = _scores(con, settings, series, freq, pairs, start, until, table, baseline_periods)
    gaps = gap_periods(con, freq, until=until) if series is None else ()
    scores = detect_changes(scores, freq=freq, **change_options(settings), gaps=gaps)
    crossings = _crossings(con, settings, freq, table, start, until) if series is None else None
    if warnings is not None and not warnings.empty:
        scores = _with_periods(scores, warnings[["pair", "period", "as_of"]])
    triggers = _gathered(_triggers(scores, settings, freq), crossings, warnings, since)
    basis = EVENTS_BASIS if series is None else f"series:{series}"
    alerts = _assemble(con, settings, scores, triggers, basis, freq, raised_by, table) if not triggers.empty else pd.DataFrame()
    return AlertRun(scored=len(scores), raised=store_alerts(con, alerts))


def compile_watch_queries(con: duckdb.DuckDBPyConnection, settings: Settings, /) -> None:
    """Compile the engine queries of a watch cycle — the weekly counts, the scores, the red
    lines and every indicator's evidence, over the touched pairs' copy — and load the compiled
    change detection, before the first file arrives: compiling one costs more than running
    it on a few pairs, and no file should wait for it."""
    freq = settings.alert_freq
    change_probabilities(np.zeros((1, 1)), hazard_periods=settings.changepoint_hazard_periods, recent=settings.changepoint_recent)
    table = copy_pair_events(con, ())
    counted_sql(con, IndicatorQuery(freq="week", pairs=()), table=table)  # the weekly counts' refresh
    event_scores(con, settings, freq=freq, table=table)
    check_rules(con, load_rules(settings.redlines_file), IndicatorQuery(freq=freq), table=table)
    compile_evidence_queries(con, table, freq)


def _crossings(
    con: duckdb.DuckDBPyConnection, settings: Settings, freq: str, table: str, since: dt.date | None, until: dt.date | None
) -> pd.DataFrame:
    rules = {r.name: r for r in load_rules(settings.redlines_file)}
    crossings = check_rules(
        con,
        list(rules.values()),
        IndicatorQuery(freq=freq, since=since, until=until),
        table=table,
        first_lookback_days=settings.redline_first_lookback_days,
    )
    record_crossings(con, crossings, freq)
    return crossings.assign(
        trigger="redline",
        level=[rules[r].level for r in crossings["rule"]],
        reason=[f"red line '{r}' crossed ({quantity(n, 'incident')})" for r, n in zip(crossings["rule"], crossings["incidents"])],
    )


def _periods(freq: str, n: int) -> pd.DateOffset:
    return {
        "day": pd.DateOffset(days=n),
        "week": pd.DateOffset(weeks=n),
        "month": pd.DateOffset(months=n),
        "year": pd.DateOffset(years=n),
    }[freq]


def decoded(record: dict, /) -> dict:
    """A stored alert's record with its JSON columns, ``contributions`` and ``evidence``, decoded."""
    return {
        **record,
        "contributions": json.loads(record.get("contributions") or "null"),
        "evidence": json.loads(record.get("evidence") or "[]"),
    }


def alert_records(frame: pd.DataFrame, /) -> list[dict]:
    """Alerts (rows of ``alerts`` or :func:`list_alerts`) as JSON-ready records, decoded
    (:func:`decoded`): what the CLI and the API send."""
    return [decoded(record) for record in json_rows(frame)]


def list_alerts(
    con: duckdb.DuckDBPyConnection,
    /,
    *,
    since: dt.date | None = None,
    dyad: tuple[str, str] | None = None,
    country: str | None = None,
    level: str | None = None,
    basis: str | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Stored alerts, newest first, each with ``previous_alert_id`` (the pair's previous alert
    on the same basis and frequency, at any level); of one pair (``dyad``) or of the pairs of
    one ``country`` (ISO3) if given.

    Raises
    ------
    InvalidInput
        For an unknown level.
    """
    if level is not None and level not in RANK:
        raise InvalidInput(f"level '{level}': use one of {', '.join(ALERT_LEVELS)}.")
    where, params = ["TRUE"], []
    if since is not None:
        where.append("as_of >= ?")
        params.append(since)
    if dyad is not None:
        where.append("pair = ?")
        params.append(pair_key(dyad))
    if country is not None:
        where.append("? IN (split_part(pair, '-', 1), split_part(pair, '-', 2))")
        params.append(country)
    if level is not None:
        where.append("level_rank >= ?")
        params.append(RANK[level])
    if basis is not None:
        where.append("basis = ?")
        params.append(basis)
    return con.execute(
        f"SELECT * FROM ({ALERT_HISTORY_SQL}) WHERE "
        + " AND ".join(where)
        + " ORDER BY as_of DESC, level_rank DESC, pair"
        + (f" LIMIT {int(limit)}" if limit else ""),
        params,
    ).df()
