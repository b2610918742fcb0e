"""Forecasts: panels, models, backtests and scores.

The package's face: its public names, loaded on first use.
"""

from flashpoint.faces import face

__all__, __getattr__ = face(
    __name__,
    {
        "forecast_from_store": "pair_forecast",
    },
)
