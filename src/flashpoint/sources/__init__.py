"""Data sources: one module per source, each with a reader, CITATION and LICENSE."""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from flashpoint.errors import UnknownSource

#: Registered sources by the name used on the command line → their module in this package
#: (imported when used: listing the names loads no reader).
SOURCES: dict[str, str] = {
    "gdelt": "gdelt",
    "acled": "acled",
    "ucdp": "ucdp",
    "icews": "icews",
    "milex": "milex",
    "crises": "crises",
    "icb": "crises",
    "terminations": "terminations",
    "measures": "measures",
    "polecat": "polecat",
}


def get_source(name: str) -> ModuleType:
    """The source module registered under ``name``.

    Raises
    ------
    UnknownSource
        Naming the sources that exist.
    """
    try:
        module = SOURCES[name.lower()]
    except KeyError:
        raise UnknownSource(f"no data source named '{name}'; available: {', '.join(sorted(SOURCES))}.") from None
    return import_module(f"{__name__}.{module}")
