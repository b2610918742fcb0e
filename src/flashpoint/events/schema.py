"""The canonical event: one row per event, whatever the source (see ARCHITECTURE.md)."""

from __future__ import annotations

from typing import Final

#: Canonical event columns in store order: (name, DuckDB type, description).
EVENT_COLUMNS: Final[tuple[tuple[str, str, str], ...]] = (
    ("event_id", "VARCHAR", "source-prefixed unique id, e.g. 'gdelt2:669666350'"),
    ("source", "VARCHAR", "data source: gdelt1, gdelt2, acled, ucdp, icews, polecat, or a mapped CSV's name"),
    ("event_date", "DATE", "day the event took place"),
    ("actor1_iso3", "VARCHAR", "ISO 3166-1 alpha-3 country of the initiating actor"),
    ("actor1_type", "VARCHAR", "CAMEO actor type of actor 1 (GOV, MIL, REB, ...)"),
    ("actor1_name", "VARCHAR", "actor 1 as named by the source"),
    ("actor2_iso3", "VARCHAR", "ISO 3166-1 alpha-3 country of the target actor"),
    ("actor2_type", "VARCHAR", "CAMEO actor type of actor 2"),
    ("actor2_name", "VARCHAR", "actor 2 as named by the source"),
    (
        "pair",
        "VARCHAR",
        "the unordered country pair, 'GEO-RUS' (codes in alphabetical order); NULL unless the "
        "two actors have two different countries; set at ingest",
    ),
    ("cameo_code", "VARCHAR", "CAMEO event code, e.g. '138'"),
    ("cameo_root", "VARCHAR", "CAMEO root code, e.g. '13'"),
    ("quad_class", "TINYINT", "1 verbal coop., 2 material coop., 3 verbal conflict, 4 material conflict"),
    ("goldstein", "DOUBLE", "Goldstein scale, -10..+10"),
    ("fatalities", "INTEGER", "reported fatalities (sources that count them; UCDP's best estimate), else NULL"),
    ("fatalities_low", "INTEGER", "low estimate of fatalities (UCDP), else NULL"),
    ("fatalities_high", "INTEGER", "high estimate of fatalities (UCDP), else NULL"),
    ("num_mentions", "INTEGER", "mentions of the event across documents"),
    ("num_sources", "INTEGER", "distinct information sources reporting it"),
    ("num_articles", "INTEGER", "source documents reporting it"),
    ("avg_tone", "DOUBLE", "average tone of those documents, -100..+100"),
    ("location_iso3", "VARCHAR", "ISO3 of the country where the action took place"),
    ("admin1", "VARCHAR", "first-order administrative division code of the action"),
    ("lat", "DOUBLE", "latitude of the action"),
    ("lon", "DOUBLE", "longitude of the action"),
    ("source_url", "VARCHAR", "link to the source document"),
    ("source_ref", "VARCHAR", "the source row's own citation when it has no link: publications (ACLED), article (UCDP)"),
    ("coding", "VARCHAR", "'machine' (GDELT, ICEWS, POLECAT, text) or 'human' (ACLED, UCDP)"),
    ("cluster_id", "VARCHAR", "incident the row belongs to after deduplication (docs/dedup.md); set by every ingest"),
    ("cluster_size", "INTEGER", "rows in the row's incident (1: it stands alone); set with cluster_id"),
    ("date_added", "TIMESTAMP", "when the source published the row (availability time, no-leakage key)"),
    ("ingest_id", "BIGINT", "the ingests row (file) this event came from"),
    ("root_event", "BOOLEAN", "GDELT's IsRootEvent: the event of the article's lead paragraph (NULL for other sources)"),
    (
        "confidence",
        "DOUBLE",
        "how far the row can be trusted as a current incident, rightly placed, 0..1 (docs/events.md); set at ingest",
    ),
    (
        "confidence_reasons",
        "VARCHAR",
        "why the confidence is below 1, in words ('one article; physical action "
        "placed in GEO, away from MEX and USA'); 'human-coded' for ACLED and UCDP",
    ),
)

#: SQL of ``pair`` from the actor columns.
PAIR_SQL: Final = (
    "CASE WHEN actor1_iso3 <> actor2_iso3 THEN least(actor1_iso3, actor2_iso3) || '-' || greatest(actor1_iso3, actor2_iso3) END"
)

EVENT_COLUMN_NAMES: Final[tuple[str, ...]] = tuple(name for name, _, _ in EVENT_COLUMNS)
