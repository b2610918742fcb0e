"""Flashpoint: early warning and decision support for military escalation between states."""

from __future__ import annotations

__version__ = "0.1.0"
