"""The event store: one DuckDB file with events, ingests, quarantine and lookup tables.

The package's face: its public names, loaded on first use.
"""

from flashpoint.faces import face

__all__, __getattr__ = face(
    __name__,
    {
        "connect_store": "connection",
        "open_store": "connection",
        "EventFilter": "queries",
        "select_events": "queries",
        "count_events": "queries",
        "store_stats": "queries",
        "ingest_paths": "ingest",
        "IngestResult": "ingest",
    },
)
