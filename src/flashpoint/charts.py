"""Rendering a chart: to a file (SVG or PNG) or to SVG text, by vl-convert (no browser, no network)."""

from __future__ import annotations

from pathlib import Path

import altair as alt

from flashpoint.errors import InvalidInput

#: Each ladder stage's colour (0 stable … 4 war), on the dashboard and in the brief; grey says no stage.
STAGE_COLOURS = ["#2e7d32", "#f9a825", "#ef6c00", "#c62828", "#6a1b9a"]
NO_STAGE_COLOUR = "#757575"


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


def chart_svg(chart: alt.TopLevelMixin, /) -> str:
    """``chart`` as SVG text, for a page printed without a browser (the brief's PDF)."""
    import vl_convert

    return vl_convert.vegalite_to_svg(chart.to_dict())
