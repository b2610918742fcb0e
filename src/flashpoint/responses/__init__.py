"""Diplomatic responses: the lever catalogue, the evidence behind each lever, and recommendations.

The package's face: its public names, loaded on first use.
"""

from flashpoint.faces import face

__all__, __getattr__ = face(
    __name__,
    {
        "recommend": "ranking",
        "recommendation_dict": "ranking",
        "levers": "catalogue",
    },
)
