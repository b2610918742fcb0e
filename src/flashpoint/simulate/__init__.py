"""Scenario simulation: a pair's path up and down the escalation ladder, with and without levers."""
