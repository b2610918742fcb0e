"""Forecasts: panels, models, backtests and scores."""
