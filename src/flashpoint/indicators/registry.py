"""The warning indicators, declared once: what each reads and how it weighs it.

An indicator is data, not code: the CAMEO codes it reads (by prefix, each with a weight; the
longest matching prefix wins), the weight of actor types (the larger of the two actors'
weights applies; unlisted types weigh 1), and for ``proxy`` the shape of the events it reads.
:mod:`flashpoint.indicators.compute` turns the registry into engine expressions, and
:func:`render_markdown` into docs/indicators.md.

Every indicator counts **incidents** (deduplicated clusters, docs/dedup.md), not rows: an
incident counts once, with the largest weight among its rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from flashpoint.errors import InvalidInput
from flashpoint.events.cameo import cameo_codes


@dataclass(frozen=True)
class Indicator:
    """One warning indicator."""

    name: str
    title: str
    description: str
    codes: dict[str, float]
    actor_weights: dict[str, float] = field(default_factory=dict)
    #: ``pair``: events between the two states; ``proxy``: a state's events towards non-state
    #: armed actors of the other state.
    shape: str = "pair"
    #: Non-state actor types a ``proxy`` indicator reads as the recipient.
    proxy_types: tuple[str, ...] = ()
    #: Each point of negative average tone (GDELT's avg_tone, -100..+100) adds this much to
    #: the row's multiplier, up to ``tone_cap``; rows without tone are unchanged.
    tone_factor: float = 0.0
    tone_cap: float = 1.0
    #: Weight of the indicator's z-score in the escalation index (docs/escalation.md); a
    #: negative weight reads a fall below the baseline as escalation (engagement).
    index_weight: float = 0.0
    #: Reported with the larger of the two states' military spending growth (auxiliary
    #: ``milex`` table) of the year before the period's, the latest known during the period.
    spending_growth: bool = False
    #: For ``proxy``: reported with the fights (CAMEO roots ``fighting_roots``) by one state's
    #: non-state armed actors that the other backed — with its codes weighing at least
    #: ``backing_min_weight`` — in the ``backing_days`` before (0: not reported).
    backing_days: int = 0
    backing_min_weight: float = 0.0
    fighting_roots: tuple[str, ...] = ()


LEADERSHIP: Final = {"GOV": 1.5, "MIL": 1.5}
#: Actor types of non-state armed groups: their statements are not the state's.
NON_STATE: Final = ("REB", "UAF", "INS", "SEP")

INDICATORS: Final[tuple[Indicator, ...]] = (
    Indicator(
        name="buildup",
        title="Military buildup",
        description="Force posture between the two states: military alerts, mobilisation, shows of force, "
        "police build-ups weighing less.",
        codes={"15": 1.0, "150": 1.0, "151": 0.5, "152": 2.0, "153": 0.5, "154": 2.0},
        index_weight=0.15,
        spending_growth=True,
    ),
    Indicator(
        name="rhetoric",
        title="Inflammatory rhetoric",
        description="Accusations, rejections, threats and ultimatums between the two states; threats of force "
        "weigh most, statements by government and military actors weigh 1.5 times others, and a "
        "hostile tone adds up to half again (5% per point of negative average tone).",
        codes={"111": 1.0, "112": 1.0, "1123": 2.0, "12": 1.0, "13": 2.0, "138": 3.0, "1384": 3.5, "1385": 4.0, "139": 3.0},
        actor_weights=LEADERSHIP,
        tone_factor=0.05,
        tone_cap=1.5,
        index_weight=0.15,
    ),
    Indicator(
        name="breakdown",
        title="Breakdown of diplomatic communication",
        description="Explicit breaks between the two states: relations reduced or cut, negotiations or "
        "mediation halted, threats to do so, meetings or mediation rejected. Read its z-score "
        "with the pair's engagement (meetings), which falls when communication breaks down.",
        codes={"161": 3.0, "164": 2.0, "165": 2.0, "1313": 1.5, "134": 1.5, "125": 1.0, "126": 1.0},
        actor_weights=LEADERSHIP,
        index_weight=0.10,
    ),
    Indicator(
        name="engagement",
        title="Diplomatic engagement",
        description="Consultations, meetings, negotiations and diplomatic cooperation between the two states: "
        "the pair's communication, whose fall below its own baseline (a negative z-score) is a "
        "warning sign.",
        codes={"036": 1.0, "04": 1.0, "05": 1.0},
        index_weight=-0.05,
    ),
    Indicator(
        name="proxy",
        title="Proxy involvement",
        description="One state arming, aiding or backing non-state armed actors (rebels, unaligned armed "
        "groups) of the other state: military aid, military cooperation, endorsement, intent to aid.",
        codes={"072": 3.0, "062": 2.0, "0332": 1.5, "0312": 1.5, "051": 1.0, "07": 1.0},
        shape="proxy",
        proxy_types=("REB", "UAF", "INS", "SEP"),
        index_weight=0.05,
        backing_days=365,
        backing_min_weight=2.0,
        fighting_roots=("18", "19", "20"),
    ),
    Indicator(
        name="coercion",
        title="Coercive signalling",
        description="Threats, force posture, reduced relations and sanctions, expulsions and other coercion "
        "between the two states: the material of ladder stage 2.",
        codes={"13": 1.0, "138": 2.0, "139": 2.0, "15": 1.0, "16": 1.0, "163": 1.5, "166": 1.5, "17": 1.0},
        index_weight=0.20,
    ),
    Indicator(
        name="force",
        title="Use of force",
        description="Force between the two states: assaults, blockades, occupation, clashes, artillery and "
        "aerial attacks, mass violence; heavier weapons weigh more. The material of ladder stages "
        "3 and 4.",
        codes={"18": 1.0, "19": 2.0, "194": 3.0, "195": 3.0, "20": 4.0, "204": 5.0},
        index_weight=0.30,
    ),
)


def indicator(name: str) -> Indicator:
    """The indicator named ``name``.

    Raises
    ------
    InvalidInput
        With the names that exist.
    """
    for found in INDICATORS:
        if found.name == name:
            return found
    raise InvalidInput(f"no indicator '{name}'; indicators are {', '.join(i.name for i in INDICATORS)}.")


def render_markdown() -> str:
    """docs/indicators.md: every indicator with its codes, weights and actor weights."""
    codes = cameo_codes()
    parts = [
        "# Warning indicators\n",
        "Generated from `src/flashpoint/indicators/registry.py` (a test fails when they differ).",
        "Each indicator counts incidents (deduplicated clusters) per country pair and period, each",
        "with the largest weight among its rows (the longest matching CAMEO prefix gives the code",
        "weight; the larger of the two actors' type weights multiplies it). For each pair and period",
        "Flashpoint reports the weighted `value`, the `incidents`, the `share` of the pair's",
        "incidents in the period, and a `z`-score against the pair's own trailing baseline",
        "(`baseline_periods`, default 12; empty periods count as zero; no z-score before 4 periods",
        "of history; the variance is floored at the baseline mean and at 1, as counts vary at least",
        "as a Poisson count does, so one incident in a quiet pair is not ten standard deviations),",
        "because media volume differs by pair and grows over time. A one-pair view lists every",
        "period, empty ones too; an all-pairs view lists the pair-periods with incidents",
        "(docs/adr/004). A period in which the source that carries the store delivered nothing",
        "while the days before it were busy is a gap in the data, not a quiet period: it is no row",
        "of any view and no part of any baseline (docs/adr/021). Red lines are declared in TOML",
        "(docs/redlines.md); the yearly metrics are in docs/metrics.md. The escalation index combines",
        "the z-scores with the weights below (docs/escalation.md).\n",
    ]
    for ind in INDICATORS:
        parts += _section(ind, codes)
    return "\n".join(parts)


def _section(ind: Indicator, codes: dict) -> list[str]:
    """One indicator's part of docs/indicators.md (``codes``: the CAMEO codebook by code): what it
    reads, its weights, what it reports."""
    parts = [f"## `{ind.name}`: {ind.title}\n\n{ind.description}\n"]
    if ind.shape == "proxy":
        parts.append(
            f"Reads events from a state to non-state armed actors ({', '.join(ind.proxy_types)}) "
            "whose country is the other state of the pair, in either direction.\n"
        )
    parts.append("| CAMEO | name | weight |\n|---|---|---|")
    parts += [f"| `{code}` | {codes[code].cameo_name} | {weight:g} |" for code, weight in ind.codes.items()]
    if ind.actor_weights:
        weights = ", ".join(f"{t} × {w:g}" for t, w in ind.actor_weights.items())
        parts.append(f"\nActor weights: {weights}.")
    if ind.tone_factor:
        parts.append(f"\nTone: × (1 + {ind.tone_factor:g} per point of negative `avg_tone`), at most × {ind.tone_cap:g}.")
    if ind.backing_days:
        backing = ", ".join(f"`{c}`" for c, w in ind.codes.items() if w >= ind.backing_min_weight)
        parts.append(
            f"\nReported with `backed_fighting`: the fights (CAMEO roots {', '.join(ind.fighting_roots)}) "
            "by one state's non-state armed actors in a period, when the other state backed such actors "
            f"of the first (codes {backing}: arming, military cooperation) in the {ind.backing_days} days "
            "before the fight. A fight names no second state, so it is not one of the pair's own events: "
            "context beside the count, not part of its z-score."
        )
    if ind.spending_growth:
        parts.append(
            "\nReported with `spending_growth`: the larger of the two states' growth of military "
            "spending (the auxiliary `milex` table, `flashpoint ingest milex`; constant prices "
            "preferred) in the year before the period's, the latest figure known during the period; "
            "empty without spending figures. It is context beside the count, not part of its z-score."
        )
    if ind.index_weight:
        side = "a fall below" if ind.index_weight < 0 else "a rise above"
        parts.append(f"\nEscalation index weight: {abs(ind.index_weight):g} on {side} the baseline (docs/escalation.md).")
    return [*parts, ""]
