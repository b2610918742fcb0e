"""Package faces: what a notebook imports from ``flashpoint.store``, ``flashpoint.indicators``
and the other packages, loaded when first used (a command that does not use a package does
not pay for its imports)."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any


def face(package: str, names: dict[str, str], /) -> tuple[list[str], Callable[[str], Any]]:
    """``__all__`` and the module ``__getattr__`` of a package whose public ``names`` (name →
    the module of the package that defines it) are imported on first use."""

    def attribute(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(f"{package}.{names[name]}"), name)

    return sorted(names), attribute
