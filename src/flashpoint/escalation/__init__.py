"""Escalation: index, ladder stage, change detection and alerts."""
