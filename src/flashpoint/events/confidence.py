"""Event confidence: how far one stored row can be trusted as a current incident, rightly placed.

Machine coding misreads: a story about a market bomb in Afghanistan datelined in Tbilisi is
coded as Afghanistan using force against Russia in Georgia; a minister recalling the 2008 war
in a friendly interview becomes "ethnic cleansing" today. Each row therefore gets a
``confidence`` in [0, 1] — the product of the factors below that apply to it — and
``confidence_reasons``, the factors in words. A human-coded row (ACLED, UCDP) is 1. The
factors read only what the row itself offers, so the confidence is fixed at ingest and never
looks at other rows; corroboration by other reports of the same incident is counted where an
alert is decided (:mod:`flashpoint.escalation.alerts`).

The factors and the threshold were chosen on the bundled Georgia data and checked against a
hand-classified sample of its material-conflict rows (docs/evaluation.md).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Final

__all__ = ["CONFIDENT", "FACTORS", "OUTSIDE", "Factor", "confidence_sql", "neighbour_joins", "neighbour_pairs", "render_markdown"]

#: Rows (and incidents) at or above this confidence count as confident: they enter the
#: incident counts of the ladder and the red lines; below it they only add their weighted
#: share to the indicator values.
CONFIDENT: Final = 0.5

#: Average tone (GDELT, -100..+100) from which a material-conflict row reads as a positive
#: story: about the top quarter of the Georgia data's material-conflict rows (median +3.3).
POSITIVE_TONE: Final = 5.0


@dataclass(frozen=True)
class Factor:
    """One reason to trust a row less: ``when`` (SQL over the row's canonical columns, written
    with ``{r}`` before each column) multiplies its confidence by ``factor``; ``reason`` is SQL
    of the words said of it."""

    name: str
    factor: float
    when: str
    reason: str
    description: str


#: SQL over a row (columns prefixed ``{r}``): a physical action placed outside both its states, the
#: only rows whose confidence reads the neighbours.
OUTSIDE: Final = (
    "{r}location_iso3 IS NOT NULL AND {r}actor1_iso3 IS NOT NULL AND {r}actor2_iso3 IS NOT NULL "
    "AND {r}actor1_iso3 <> {r}actor2_iso3 AND {r}location_iso3 NOT IN ({r}actor1_iso3, {r}actor2_iso3) "
    "AND {r}quad_class IN (2, 4)"
)
#: The place borders one of the two states. ``{near}`` is filled by :func:`confidence_sql`: the joins
#: of :func:`neighbour_joins` where they are in scope, else false (see :data:`OUTSIDE`).
_NEAR = "{near}"

FACTORS: Final[tuple[Factor, ...]] = (
    Factor(
        "not_lead",
        0.8,
        "{r}root_event = false",
        "'not the lead event of its article'",
        "GDELT's `IsRootEvent` is 0: the event comes from a later paragraph of the article, where "
        "background and history are told.",
    ),
    Factor("one_article", 0.6, "{r}num_articles = 1", "'one article'", "Only one article reports it (`num_articles` = 1)."),
    Factor(
        "one_source",
        0.8,
        "{r}num_articles > 1 AND {r}num_sources = 1",
        "'one source'",
        "Several articles, all from one information source (`num_sources` = 1).",
    ),
    Factor(
        "no_counts",
        0.8,
        "{r}coding = 'machine' AND {r}num_articles IS NULL AND {r}num_sources IS NULL",
        "'machine-coded, without report counts'",
        "A machine-coded row whose source gives no report counts (ICEWS and POLECAT rows as published).",
    ),
    Factor(
        "near_place",
        0.45,
        f"{OUTSIDE} AND {_NEAR}",
        "'physical action placed in ' || {r}location_iso3 || ', a neighbour, not in ' || {r}actor1_iso3 "
        "|| ' or ' || {r}actor2_iso3",
        "A physical action (material cooperation or conflict) between two states placed in a third "
        "country that borders one of them (COW direct contiguity, land or up to 24 miles of water).",
    ),
    Factor(
        "far_place",
        0.25,
        f"{OUTSIDE} AND NOT {_NEAR}",
        "'physical action placed in ' || {r}location_iso3 || ', away from ' || {r}actor1_iso3 || ' and ' || {r}actor2_iso3",
        "A physical action between two states placed in a third country bordering neither: most often a "
        "misplaced report (the story's dateline, a namesake such as the US state of Georgia).",
    ),
    Factor(
        "positive_tone",
        0.4,
        f"{{r}}quad_class = 4 AND {{r}}avg_tone >= {POSITIVE_TONE:g}",
        "'material conflict in a story of positive tone (' || round({r}avg_tone, 1) || ')'",
        f"Material conflict coded from a story whose average tone is +{POSITIVE_TONE:g} or more: a "
        "historical mention, a commemoration or a metaphor more often than a current incident.",
    ),
)


def neighbour_joins(row: str = "", /) -> str:
    """SQL of the LEFT JOINs of the store's ``country_neighbours`` that :func:`confidence_sql`
    reads, for rows whose columns are written with the prefix ``row``: put them after the FROM
    of the rows (each pair of states is listed once, so no row is repeated)."""
    return " ".join(
        f"LEFT JOIN country_neighbours near{i} ON near{i}.iso3 = {row}location_iso3 AND near{i}.neighbour = {row}actor{i}_iso3"
        for i in (1, 2)
    )


def confidence_sql(row: str = "", /, *, neighbours: bool = True) -> tuple[str, str]:
    """SQL of (``confidence``, ``confidence_reasons``) of a row of canonical columns, each column
    written with the prefix ``row`` ('s.' for ``FROM ... s``), with the joins of
    :func:`neighbour_joins` in scope; without ``neighbours`` (no joins) every place outside both
    states reads as far, and the rows :data:`OUTSIDE` selects must be computed again with them.
    Human-coded rows have confidence 1 and no reasons."""
    product = " * ".join(f"(CASE WHEN coalesce({f.when}, false) THEN {f.factor} ELSE 1.0 END)" for f in FACTORS)
    reasons = ", ".join(f"CASE WHEN coalesce({f.when}, false) THEN {f.reason} END" for f in FACTORS)
    near = "(near1.iso3 IS NOT NULL OR near2.iso3 IS NOT NULL)" if neighbours else "false"
    product, reasons = product.replace("{near}", near), reasons.replace("{near}", near)
    human = "{r}coding = 'human'"
    confidence = f"CASE WHEN {human} THEN 1.0 ELSE round({product}, 4) END"
    words = f"CASE WHEN {human} THEN 'human-coded' ELSE nullif(concat_ws('; ', {reasons}), '') END"
    return confidence.replace("{r}", row), words.replace("{r}", row)


@cache
def neighbour_pairs() -> tuple[tuple[str, str], ...]:
    """Contiguous states (ISO3, both orders): COW Direct Contiguity 3.2, land borders and up to
    24 miles of water, as in force at the data's end (2016); ``events/data/contiguity.csv``."""
    text = files("flashpoint.events").joinpath("data/contiguity.csv").read_text(encoding="utf-8")
    pairs = [(r["iso3_a"], r["iso3_b"]) for r in csv.DictReader(text.splitlines())]
    return tuple(pairs + [(b, a) for a, b in pairs])


def render_markdown() -> str:
    """The confidence factors as a Markdown table (docs/events.md)."""
    rows = [f"| `{f.name}` | × {f.factor:g} | {f.description} |" for f in FACTORS]
    return "\n".join(["| factor | multiplies by | when |", "|---|---|---|", *rows])
