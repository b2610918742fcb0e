"""The event store: one DuckDB file with events, ingests, quarantine and lookup tables."""
