"""Escalation: index, ladder stage, change detection and alerts.

The package's face: its public names, loaded on first use.
"""

from flashpoint.faces import face

__all__, __getattr__ = face(
    __name__,
    {
        "pair_ladder": "ladder",
        "list_alerts": "alerts",
        "raise_alerts": "alerts",
    },
)
