"""Consequences: what followed comparable escalations in the past — casualties, war, displacement,
spillover, trade, growth, military spending and third states.

The package's face: its public names, loaded on first use.
"""

from flashpoint.faces import face

__all__, __getattr__ = face(
    __name__,
    {
        "pair_consequences": "analogues",
    },
)
