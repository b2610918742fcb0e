"""Canonical events: schema, CAMEO taxonomy, country codes."""
