"""The catalogue of diplomatic levers (``responses/data/levers.toml``), and its ranking rules.

Each lever says what it is, which warning patterns (indicator names, or ``redlines``) and
ladder stages it answers, who can apply it, the CAMEO codes and measure types that record
its use, its known risks, and the historical bases its evidence is estimated on. The
catalogue is data: docs/levers.md is rendered from it (:func:`render_levers_markdown`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Final

from flashpoint.consequences.analogues import STAKE_SIGNALS
from flashpoint.errors import InvalidInput
from flashpoint.escalation.ladder import STAGES
from flashpoint.indicators.registry import INDICATORS
from flashpoint.sources.measures import MEASURE_TYPES

#: Historical bases of evidence (docs/evidence.md).
BASES: Final = {
    "icb": "International Crisis Behavior v14: interstate crises 1918–2017 (the store's crises table)",
    "ucdp": "UCDP Conflict Termination v3: how armed-conflict episodes ended, 1946–2020 (the terminations table)",
    "events": "the event store: pair-months at ladder stage 2–3 with and without the lever's events",
}
PATTERNS: Final = (*(i.name for i in INDICATORS), "redlines")


@dataclass(frozen=True)
class EvidenceSpec:
    """Where a lever's evidence comes from: a base and the predicates (in the base's own
    variables) of treated and control situations; for ``events``, use of the lever's codes."""

    base: str
    treated: str
    control: str | None = None


@dataclass(frozen=True)
class Lever:
    name: str
    title: str
    description: str
    answers: tuple[str, ...]
    stages: tuple[int, ...]
    actors: tuple[str, ...]
    cameo: tuple[str, ...]
    measures: tuple[str, ...]
    risks: tuple[str, ...]
    evidence: tuple[EvidenceSpec, ...] = ()
    #: What is at stake the lever answers (:data:`~flashpoint.consequences.analogues.STAKE_SIGNALS`).
    stakes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RankingRules:
    """The declared points of :func:`flashpoint.responses.ranking.recommend` (docs/levers.md)."""

    active_z: float
    recent_weeks: int
    pattern_points: float
    stage_points: float
    stage_miss_points: float
    evidence_points: float
    evidence_harm_points: float
    redline_points: float
    stakes_points: float


def _check(lever: Lever) -> Lever:
    where = f"lever '{lever.name}' in levers.toml"
    bad = [a for a in lever.answers if a not in PATTERNS]
    if bad:
        raise InvalidInput(f"{where}: answers '{bad[0]}', not a pattern; use {', '.join(PATTERNS)}.")
    if not set(lever.stages) <= set(STAGES):
        raise InvalidInput(f"{where}: stages must be among {', '.join(map(str, STAGES))}.")
    if not set(lever.stakes) <= set(STAKE_SIGNALS):
        raise InvalidInput(f"{where}: stakes must be among {', '.join(STAKE_SIGNALS)}.")
    unknown = [m for m in lever.measures if m not in MEASURE_TYPES]
    if unknown:
        raise InvalidInput(f"{where}: measure '{unknown[0]}' is not a measure type.")
    for spec in lever.evidence:
        if spec.base not in BASES or (spec.base != "events") != (spec.control is not None):
            raise InvalidInput(
                f"{where}: evidence on base '{spec.base}' needs a known base ({', '.join(BASES)}) "
                "and, except for events, a control predicate."
            )
    return lever


@cache
def _catalogue() -> dict[str, object]:
    return tomllib.loads(files("flashpoint.responses").joinpath("data/levers.toml").read_text(encoding="utf-8"))


@cache
def levers() -> tuple[Lever, ...]:
    """Every lever of the catalogue, in its order.

    Returns
    -------
    tuple of Lever
        Read once from the packaged catalogue (``responses/data/levers.toml``, docs/levers.md).
    """
    found = []
    for raw in _catalogue()["lever"]:
        specs = tuple(EvidenceSpec(**spec) for spec in raw.get("evidence", ()))
        fields = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items() if k != "evidence"}
        found.append(_check(Lever(**fields, evidence=specs)))
    return tuple(found)


def get_lever(name: str) -> Lever:
    """The lever named ``name``.

    Raises
    ------
    InvalidInput
        Naming the levers that exist.
    """
    for lever in levers():
        if lever.name == name:
            return lever
    raise InvalidInput(f"no lever named '{name}'; levers: {', '.join(lv.name for lv in levers())}.")


def ranking_rules() -> RankingRules:
    """The catalogue's ``[ranking]`` table."""
    return RankingRules(**_catalogue()["ranking"])


def render_levers_markdown() -> str:
    """The catalogue as Markdown (docs/levers.md)."""
    rules = ranking_rules()
    lines = [
        "# Diplomatic levers",
        "",
        "Generated from `src/flashpoint/responses/data/levers.toml` (`flashpoint levers --format markdown`);",
        "the evidence behind each lever is in [evidence.md](evidence.md).",
        "",
        "## Ranking rules",
        "",
        "`flashpoint respond --dyad A-B` ranks the levers by points, each reason spelled out:",
        "",
        f"- an indicator is **active** when its highest z-score in the last {rules.recent_weeks} weeks reaches "
        f"{rules.active_z:g} (for engagement, a fall to −{rules.active_z:g});",
        f"- {rules.pattern_points:+g} for each active pattern the lever answers, {rules.redline_points:+g} for "
        "each recent red-line crossing when it answers red lines;",
        f"- {rules.stage_points:+g} when the pair's current stage is one it fits, {rules.stage_miss_points:+g} when it is not;",
        f"- {rules.evidence_points:+g} when its evidence shows a favourable effect whose 95% interval excludes "
        f"zero, {rules.evidence_harm_points:+g} for an unfavourable one;",
        f"- {rules.stakes_points:+g} for each stake it answers that the pair's analogue disputes signal "
        "(docs/consequences.md; with the reference_data setting): **displacement** when their refugees exceed "
        "those of every dispute at the stage, **third_powers** when major powers joined them more often;",
        "- ties keep the catalogue's order.",
        "",
    ]
    for lever in levers():
        stages = ", ".join(f"{s} {STAGES[s]}" for s in lever.stages)
        bases = (
            "; ".join(f"{s.base}: {s.treated}" + (f" against {s.control}" if s.control else "") for s in lever.evidence)
            or "no evidence base"
        )
        lines += [
            f"## `{lever.name}`: {lever.title}",
            "",
            lever.description,
            "",
            f"- **Answers**: {', '.join((*lever.answers, *lever.stakes))}",
            f"- **Stages**: {stages}",
            f"- **Who can apply it**: {', '.join(lever.actors)}",
            f"- **Recorded by**: CAMEO {', '.join(lever.cameo) or '—'}; measures {', '.join(lever.measures) or '—'}",
            f"- **Evidence**: {bases}",
            "- **Risks**:",
            *[f"  - {risk}" for risk in lever.risks],
            "",
        ]
    return "\n".join(lines)
