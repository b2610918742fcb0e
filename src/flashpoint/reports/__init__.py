"""Printable briefs: a one-page situation report per pair (Markdown, HTML, PDF).

The package's face: its public names, loaded on first use.
"""

from flashpoint.faces import face

__all__, __getattr__ = face(
    __name__,
    {
        "build_brief": "brief",
        "render_brief": "brief",
    },
)
