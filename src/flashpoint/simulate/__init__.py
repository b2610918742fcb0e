"""Scenario simulation: a pair's path up and down the escalation ladder, with and without levers.

The package's face: its public names, loaded on first use.
"""

from flashpoint.faces import face

__all__, __getattr__ = face(
    __name__,
    {
        "simulate_pair": "pair",
    },
)
