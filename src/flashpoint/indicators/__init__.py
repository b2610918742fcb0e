"""Warning indicators per country pair and period, declared once and computed in the engine.

The package's face: its public names, loaded on first use.
"""

from flashpoint.faces import face

__all__, __getattr__ = face(
    __name__,
    {
        "IndicatorQuery": "query",
        "compute_indicators": "compute",
        "explain": "compute",
        "ranked_pairs": "compute",
        "yearly_metrics": "metrics",
    },
)
