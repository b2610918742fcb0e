"""The CAMEO event taxonomy shipped with the package: code, name, root, quad class, Goldstein."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib.resources import files


@dataclass(frozen=True)
class CameoCode:
    """One CAMEO event code."""

    cameo_code: str
    cameo_name: str
    cameo_root: str
    quad_class: int
    goldstein: float


@cache
def cameo_codes() -> dict[str, CameoCode]:
    """Every CAMEO event code (roots included), keyed by code.

    Examples
    --------
    >>> cameo_codes()["138"].cameo_name
    'Threaten to use military force, not specified below'
    """
    text = files("flashpoint.events").joinpath("data/cameo_codes.csv").read_text(encoding="utf-8")
    return {
        row["cameo_code"]: CameoCode(
            cameo_code=row["cameo_code"],
            cameo_name=row["cameo_name"],
            cameo_root=row["cameo_root"],
            quad_class=int(row["quad_class"]),
            goldstein=float(row["goldstein"]),
        )
        for row in csv.DictReader(text.splitlines())
    }


def quad_class_of_root(cameo_root: str) -> int:
    """Quad class of a CAMEO root: 01–05 → 1, 06–08 → 2, 09–13 → 3, 14–20 → 4."""
    root = int(cameo_root)
    if not 1 <= root <= 20:
        raise ValueError(f"CAMEO root must be 01..20, got {cameo_root!r}")
    return 1 if root <= 5 else 2 if root <= 8 else 3 if root <= 13 else 4


@dataclass(frozen=True)
class HumanCodedType:
    """How one event type of a human-coded source (ACLED, UCDP) maps to CAMEO."""

    source: str
    event_type: str
    sub_event_type: str | None
    cameo_code: str
    goldstein: float
    basis: str


@cache
def human_coded_types() -> tuple[HumanCodedType, ...]:
    """The documented table mapping ACLED event/sub-event types and UCDP types of violence to
    CAMEO codes (``events/data/human_coded_cameo.csv``, rendered in docs/event-types.md)."""
    text = files("flashpoint.events").joinpath("data/human_coded_cameo.csv").read_text(encoding="utf-8")
    return tuple(
        HumanCodedType(
            source=row["source"],
            event_type=row["event_type"],
            sub_event_type=row["sub_event_type"] or None,
            cameo_code=row["cameo_code"],
            goldstein=float(row["goldstein"]),
            basis=row["basis"],
        )
        for row in csv.DictReader(text.splitlines())
    )


def _plain_name(name: str) -> str:
    """A CAMEO event name as event texts write it: lower case, without ', not specified below'."""
    return " ".join(name.replace(", not specified below", "").replace(" not specified below", "").split()).lower()


@cache
def cameo_code_by_name() -> dict[str, str]:
    """Lower-case CAMEO event name → code, for sources that give names, not codes (ICEWS
    quadruples). A name shared by a root and its ``x0`` code (e.g. 'consult': 04 and 040)
    maps to the three-digit code; ICEWS's own wordings come from ``icews_event_names.csv``."""
    names: dict[str, str] = {}
    for code in sorted(cameo_codes().values(), key=lambda c: len(c.cameo_code)):
        names[_plain_name(code.cameo_name)] = code.cameo_code
    text = files("flashpoint.events").joinpath("data/icews_event_names.csv").read_text(encoding="utf-8")
    names.update({_plain_name(row["event_text"]): row["cameo_code"] for row in csv.DictReader(text.splitlines())})
    return names
