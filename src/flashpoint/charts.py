"""Writing a chart to a file: SVG or PNG, rendered by vl-convert (no browser, no network)."""

from __future__ import annotations

from pathlib import Path

import altair as alt

from flashpoint.errors import InvalidInput


def save_chart(chart: alt.TopLevelMixin, path: Path, /) -> Path:
    """Write ``chart`` to ``path`` (.svg or .png).

    Raises
    ------
    InvalidInput
        For another file type.
    """
    path = Path(path)
    if path.suffix.lower() not in (".svg", ".png"):
        raise InvalidInput(f"--plot {path}: name a .svg or .png file.")
    chart.save(str(path))
    return path
