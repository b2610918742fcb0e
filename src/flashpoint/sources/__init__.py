"""Data sources: one module per source, each with a reader, CITATION and LICENSE."""

from __future__ import annotations

from types import ModuleType

from flashpoint.errors import UnknownSource
from flashpoint.sources import acled, crises, gdelt, icews, measures, milex, polecat, terminations, ucdp

#: Registered sources by the name used on the command line.
SOURCES: dict[str, ModuleType] = {
    "gdelt": gdelt,
    "acled": acled,
    "ucdp": ucdp,
    "icews": icews,
    "milex": milex,
    "crises": crises,
    "icb": crises,
    "terminations": terminations,
    "measures": measures,
    "polecat": polecat,
}


def get_source(name: str) -> ModuleType:
    """The source module registered under ``name``.

    Raises
    ------
    UnknownSource
        Naming the sources that exist.
    """
    try:
        return SOURCES[name.lower()]
    except KeyError:
        raise UnknownSource(f"no data source named '{name}'; available: {', '.join(sorted(SOURCES))}.") from None
