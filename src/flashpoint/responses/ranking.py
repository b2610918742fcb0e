"""Recommendations: the levers that fit a pair's current state, ranked by declared rules.

The pair's state comes from the store as of a day: its highest weekly ladder stage and the
warning patterns active in the recent weeks (an indicator's z-score at or above the rules'
threshold; a fall in engagement counts as communication breakdown), its red-line crossings and
alerts. Each lever earns the points of :class:`~flashpoint.responses.catalogue.RankingRules`
(docs/levers.md), with every reason written out, and carries its evidence: the published
ICB and UCDP estimates (docs/evidence.md, shipped as ``responses/data/published_evidence.csv``)
and what the store's own events show.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from importlib.resources import files

import duckdb
import pandas as pd

from flashpoint.config import Settings
from flashpoint.consequences.analogues import pair_consequences, stage_up
from flashpoint.escalation.alerts import list_alerts
from flashpoint.escalation.ladder import pair_ladder, recent_stage, stage_words
from flashpoint.forecasts.panels import pair_structure
from flashpoint.indicators.query import IndicatorQuery
from flashpoint.indicators.redlines import check_rules, load_rules
from flashpoint.indicators.registry import INDICATORS
from flashpoint.pairs import pair_codes
from flashpoint.responses.catalogue import Lever, RankingRules, levers, ranking_rules
from flashpoint.responses.evidence import estimates_frame, levers_evidence
from flashpoint.store.queries import as_of_day


@dataclass(frozen=True)
class PairState:
    """What the ranking reads: the pair, the day, its stage, active patterns (name → why),
    red-line crossings (rule names) and recent alerts (level → count); and, shown as context but
    not ranked on, its structure (alliances, rivalry, trade, IGOs: :data:`~flashpoint.forecasts.
    panels.STRUCTURAL` of the latest year known)."""

    pair: str
    as_of: dt.date
    stage: int | None  # None: not enough data in the recent weeks to call a stage
    stage_name: str
    patterns: dict[str, str]
    crossings: tuple[str, ...] = ()
    alerts: dict[str, int] = field(default_factory=dict)
    structure: dict[str, object] = field(default_factory=dict)
    #: What is at stake a stage up that the pair's analogue disputes signal (name → why), with the
    #: reference_data setting (:func:`~flashpoint.consequences.analogues.pair_consequences`).
    stakes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Recommendation:
    lever: str
    title: str
    points: float
    reasons: list[str]
    actors: list[str]
    evidence: list[str]
    risks: list[str]


@cache
def published_evidence() -> pd.DataFrame:
    """The ICB and UCDP estimates of docs/evidence.md as shipped with Flashpoint."""
    with files("flashpoint.responses").joinpath("data/published_evidence.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh)


def pair_state(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    pair: str,
    /,
    *,
    as_of: dt.date | None = None,
    rules: RankingRules | None = None,
    weeks: pd.DataFrame | None = None,
) -> PairState:
    """The pair's state over the ``recent_weeks`` up to ``as_of`` (default: the store's last
    event); ``weeks`` is the pair's weekly ladder up to ``as_of`` when already computed."""
    rules = rules or ranking_rules()
    as_of = as_of_day(con, as_of)
    since = as_of - dt.timedelta(weeks=rules.recent_weeks)
    if weeks is None:
        weeks = pair_ladder(con, settings, pair, freq="week", until=as_of)
    recent, stage, stage_name = recent_stage(weeks, settings, as_of, rules.recent_weeks)
    patterns: dict[str, str] = {}
    for ind in INDICATORS:
        if recent.empty:
            break
        z = recent[f"{ind.name}_z"].astype("float64")
        if ind.name == "engagement" and z.min() <= -rules.active_z:
            patterns["breakdown"] = f"engagement fell {-z.min():.1f} SD below the pair's baseline"
        elif ind.name != "engagement" and z.max() >= rules.active_z:
            top = recent.loc[z.idxmax()]
            patterns.setdefault(ind.name, f"{ind.name} {z.max():.1f} SD above the pair's baseline (week of {top['period']})")
    query = IndicatorQuery(freq="week", dyad=pair_codes(pair), since=since, until=as_of)
    crossings = check_rules(
        con, load_rules(settings.redlines_file), query, first_lookback_days=settings.redline_first_lookback_days
    )
    alerts = list_alerts(con, dyad=pair_codes(pair), since=since)
    if not alerts.empty:
        alerts = alerts[pd.to_datetime(alerts["as_of"]).dt.date <= as_of]  # none known after the day
    return PairState(
        pair=pair,
        as_of=as_of,
        stage=stage,
        stage_name=stage_name,
        patterns=patterns,
        crossings=tuple(sorted(set(crossings["rule"]))),
        alerts=alerts["level"].value_counts().to_dict() if not alerts.empty else {},
    )


def _evidence_lines(rows: pd.DataFrame) -> list[str]:
    lines = []
    for r in rows.itertuples():
        if pd.isna(r.effect):
            lines.append(f"{r.base}: {r.outcome}: too few cases ({r.n_treated} with, {r.n_control} without)")
            continue
        lines.append(
            f"{r.base}: {r.outcome} {r.effect * 100:+.1f} points ({r.low * 100:+.1f} to "
            f"{r.high * 100:+.1f}; {r.n_treated} with, {r.n_control} without; lower is "
            f"{'better' if r.better == 'lower' else 'worse'}) — {r.verdict}"
        )
    return lines


def rank_levers(
    state: PairState, evidence: pd.DataFrame, /, *, rules: RankingRules | None = None, catalogue: tuple[Lever, ...] | None = None
) -> list[Recommendation]:
    """Every lever with its points and reasons, best first (ties keep the catalogue's order).

    ``evidence`` has the columns of :func:`~flashpoint.responses.evidence.estimates_frame`.
    """
    rules = rules or ranking_rules()
    ranked = []
    for lever in catalogue or levers():
        points, reasons = 0.0, []
        for name in lever.answers:
            if name in state.patterns:
                points += rules.pattern_points
                reasons.append(f"answers {name}: {state.patterns[name]} ({rules.pattern_points:+g})")
        if "redlines" in lever.answers and state.crossings:
            points += rules.redline_points * len(state.crossings)
            reasons.append(
                f"answers red lines crossed: {', '.join(state.crossings)} ({rules.redline_points * len(state.crossings):+g})"
            )
        if state.stage is None:
            reasons.append(f"no stage to fit ({state.stage_name})")
        else:
            fits = state.stage in lever.stages
            points += rules.stage_points if fits else rules.stage_miss_points
            reasons.append(
                f"stage {state.stage} ({state.stage_name}) is {'one' if fits else 'not one'} it fits "
                f"({(rules.stage_points if fits else rules.stage_miss_points):+g})"
            )
        for name in lever.stakes:
            if name in state.stakes:
                points += rules.stakes_points
                reasons.append(f"answers what is at stake ({name}): {state.stakes[name]} ({rules.stakes_points:+g})")
        mine = evidence[evidence["lever"] == lever.name]
        for verdict, gain in (("favourable", rules.evidence_points), ("unfavourable", rules.evidence_harm_points)):
            hits = mine[mine["verdict"] == verdict]
            if not hits.empty:
                points += gain
                reasons.append(f"{verdict} evidence on {', '.join(sorted(set(hits['outcome'])))} ({gain:+g})")
        ranked.append(
            Recommendation(
                lever=lever.name,
                title=lever.title,
                points=points,
                reasons=reasons,
                actors=list(lever.actors),
                evidence=_evidence_lines(mine) or ["no evidence base"],
                risks=list(lever.risks),
            )
        )
    return sorted(ranked, key=lambda r: -r.points)


def recommend(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    pair: str,
    /,
    *,
    as_of: dt.date | None = None,
    n_boot: int = 200,
    structure: pd.DataFrame | None = None,
    weeks: pd.DataFrame | None = None,
) -> tuple[PairState, list[Recommendation]]:
    """The pair's state and the diplomatic levers ranked for it, with the published evidence and
    the store's own.

    Parameters
    ----------
    pair
        'GEO-RUS', the codes in alphabetical order.
    as_of
        The day of the state (default: the store's last event); nothing after it is read.
    n_boot
        Bootstrap draws of the store's own evidence intervals.
    structure
        :func:`~flashpoint.forecasts.panels.structural_rows`: adds the pair's context.
    weeks
        The pair's weekly ladder up to ``as_of``, when already computed.

    Returns
    -------
    tuple of (PairState, list of Recommendation)
        The state (stage, patterns, red lines, alerts) and the levers, best first, each with why,
        who, evidence and risks.

    Raises
    ------
    InvalidInput
        When the store is empty, or ``as_of`` is after its last event or before its first.
    """
    rules = ranking_rules()
    state = pair_state(con, settings, pair, as_of=as_of, rules=rules, weeks=weeks)
    if structure is not None:
        state = replace(state, structure=pair_structure(structure, pair, state.as_of.year))
    if settings.reference_data is not None:
        found = pair_consequences(pair, stage=stage_up(state.stage), data_dir=settings.reference_data, as_of=state.as_of)
        state = replace(state, stakes=found.signals)
    own = levers_evidence(con, settings, levers(), bases=("events",), n_boot=n_boot, until=as_of)
    evidence = pd.concat([published_evidence(), estimates_frame(own)], ignore_index=True)
    return state, rank_levers(state, evidence, rules=rules)


def recommendation_dict(state: PairState, ranked: list[Recommendation]) -> dict[str, object]:
    """State and recommendations as plain data.

    Returns
    -------
    dict
        ``state`` and ``levers``, ready for ``json.dumps(..., default=str)``.
    """
    return {"state": {**asdict(state), "as_of": state.as_of.isoformat()}, "levers": [asdict(r) for r in ranked]}


def render_recommendations_markdown(state: PairState, ranked: list[Recommendation], /) -> str:
    """The pair's state and the ranked levers as Markdown: why, who, evidence, risks, citations."""
    patterns = "; ".join(f"{k}: {v}" for k, v in state.patterns.items()) or "none active"
    alerts = ", ".join(f"{n} {level}" for level, n in state.alerts.items()) or "none"
    lines = [
        f"# Levers for {state.pair} as of {state.as_of}",
        "",
        f"{stage_words(state.stage, state.stage_name)}; warning patterns: {patterns}; red lines crossed: "
        f"{', '.join(state.crossings) or 'none'}; alerts in the recent weeks: {alerts}.",
        "",
    ]
    if state.structure:
        s = state.structure
        lines += [
            f"Structure ({s['year']}, COW/ATOP; context, not ranked on): "
            f"{'contiguous' if s['contiguous'] else 'not contiguous'}; defence pact: "
            f"{'yes' if s['defense_pact'] else 'no'}; any alliance: {'yes' if s['any_alliance'] else 'no'}; "
            f"strategic rivalry: {'yes' if s['rivalry'] else 'no'}; major powers: {s['major_powers']:.0f}; "
            f"log trade of the smaller trader: {_number(s['log_trade_min'])}; IGO memberships of the "
            f"less-joined state: {_number(s['igo_min'])}.",
            "",
        ]
    for rank, r in enumerate(ranked, 1):
        lines += [
            f"## {rank}. {r.title} (`{r.lever}`, {r.points:+g} points)",
            "",
            "Why: " + "; ".join(r.reasons) + ".",
            "",
            "Who could apply it: " + "; ".join(r.actors) + ".",
            "",
            "Evidence:",
            *[f"- {e}" for e in r.evidence],
            "",
            "Risks:",
            *[f"- {x}" for x in r.risks],
            "",
        ]
    lines.append(
        "Evidence: ICB v14 (Brecher, Wilkenfeld et al.; flashpoint cite icb), UCDP Conflict "
        "Termination v3 (Kreutz 2010; flashpoint cite terminations) and the store's events; "
        "method and caveats in docs/evidence.md."
    )
    return "\n".join(lines) + "\n"


def _number(value: object) -> str:
    return "unknown" if value is None else f"{value:.1f}"
