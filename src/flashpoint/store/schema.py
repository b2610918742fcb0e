"""DDL of the event store and the lookup tables it joins against."""

from __future__ import annotations

import hashlib
from functools import cache

import duckdb
import pyarrow as pa

from flashpoint.errors import StoreError
from flashpoint.events.actors import actor_table
from flashpoint.events.cameo import cameo_code_by_name, cameo_codes, human_coded_types
from flashpoint.events.confidence import confidence_sql, neighbour_joins, neighbour_pairs
from flashpoint.events.countries import country_code_rows
from flashpoint.events.schema import EVENT_COLUMNS, PAIR_SQL

SCHEMA_VERSION = "8"
#: The stored weekly pair aggregates (:mod:`flashpoint.indicators.weekly`, which creates the
#: table) and the key in ``store_meta`` of the store state they reflect.
WEEKLY_TABLE = "pair_weeks"
WEEKLY_STATE = "pair_weeks_state"
#: Earlier store schemas this version upgrades in place (:func:`_upgrade`).
UPGRADES_FROM = frozenset({"4", "5", "6", "7"})

#: Event columns no reader may leave empty: a reader bug fails the file instead of storing a bad event.
REQUIRED = frozenset(
    {"event_id", "source", "event_date", "cameo_code", "cameo_root", "quad_class", "goldstein", "coding", "ingest_id"}
)
_EVENTS = ",\n  ".join(f"{name} {kind}{' NOT NULL' if name in REQUIRED else ''}" for name, kind, _ in EVENT_COLUMNS)

DDL = f"""
CREATE SEQUENCE IF NOT EXISTS ingest_ids START 1;
CREATE TABLE IF NOT EXISTS events (
  {_EVENTS}
);
CREATE TABLE IF NOT EXISTS ingests (
  ingest_id BIGINT PRIMARY KEY,
  source VARCHAR NOT NULL,
  path VARCHAR NOT NULL,
  checksum VARCHAR NOT NULL,
  format VARCHAR NOT NULL,
  rows_read BIGINT NOT NULL,
  rows_stored BIGINT NOT NULL,
  rows_duplicate BIGINT NOT NULL,
  rows_quarantined BIGINT NOT NULL,
  started TIMESTAMP NOT NULL,
  finished TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS quarantine (
  ingest_id BIGINT NOT NULL,
  file VARCHAR NOT NULL,
  line_number BIGINT,
  raw_line VARCHAR,
  reason VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS milex (
  source VARCHAR NOT NULL,
  iso3 VARCHAR,
  year INTEGER,
  value DOUBLE,
  unit VARCHAR NOT NULL,
  country_name VARCHAR,
  ingest_id BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS crises (
  source VARCHAR NOT NULL, crisis_id INTEGER NOT NULL, name VARCHAR, start_date DATE, start_day_known BOOLEAN,
  end_date DATE, end_day_known BOOLEAN, gravity INTEGER, violence INTEGER, great_power_involvement INTEGER,
  global_org_involvement INTEGER, regional_org_involvement INTEGER, mediation INTEGER, outcome_form INTEGER,
  tension_after INTEGER, attributes JSON, ingest_id BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS terminations (
  source VARCHAR NOT NULL, episode_id BIGINT NOT NULL, year INTEGER, conflict_id BIGINT, side_a VARCHAR, side_b VARCHAR,
  location_iso3 VARCHAR, start_date DATE, end_date DATE, outcome INTEGER, outcome_label VARCHAR,
  recurred BOOLEAN, attributes JSON, ingest_id BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS measures (
  date DATE NOT NULL, end_date DATE, actor VARCHAR NOT NULL, actor_iso3 VARCHAR, target VARCHAR NOT NULL,
  target_iso3 VARCHAR, target2_iso3 VARCHAR, measure VARCHAR NOT NULL, source VARCHAR NOT NULL, note VARCHAR,
  ingest_id BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS redline_crossings (
  rule VARCHAR NOT NULL, pair VARCHAR NOT NULL, freq VARCHAR NOT NULL, period DATE NOT NULL, incidents BIGINT,
  event_ids VARCHAR[], first_date DATE, checked TIMESTAMP
);
CREATE TABLE IF NOT EXISTS pair_series (
  series VARCHAR NOT NULL, pair VARCHAR NOT NULL, date DATE NOT NULL, value DOUBLE NOT NULL,
  ingest_id BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS alerts (
  alert_id VARCHAR PRIMARY KEY, basis VARCHAR NOT NULL, freq VARCHAR NOT NULL, pair VARCHAR NOT NULL,
  period DATE NOT NULL, as_of DATE NOT NULL, level VARCHAR NOT NULL, level_rank INTEGER NOT NULL,
  stage INTEGER, previous_stage INTEGER, escalation_index DOUBLE, triggers VARCHAR[] NOT NULL,
  why VARCHAR NOT NULL, contributions JSON, evidence JSON, raised_by VARCHAR NOT NULL, raised_at TIMESTAMP NOT NULL,
  reports INTEGER, corroborated BOOLEAN, probability DOUBLE, base_rate DOUBLE
);
CREATE TABLE IF NOT EXISTS pair_warnings (
  basis VARCHAR NOT NULL, freq VARCHAR NOT NULL, pair VARCHAR NOT NULL, period DATE NOT NULL, as_of DATE NOT NULL,
  probability DOUBLE NOT NULL, base_rate DOUBLE, threshold DOUBLE, persistence DOUBLE, drivers VARCHAR, origin DATE,
  model VARCHAR, horizon_days INTEGER
);
CREATE TABLE IF NOT EXISTS warning_models (
  basis VARCHAR NOT NULL, freq VARCHAR NOT NULL, origin DATE NOT NULL, threshold DOUBLE NOT NULL,
  overall_rate DOUBLE NOT NULL, base_rates JSON NOT NULL, spec JSON NOT NULL, model BLOB NOT NULL,
  fitted_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS alert_deliveries (
  alert_id VARCHAR NOT NULL, sink VARCHAR NOT NULL, level_rank INTEGER NOT NULL, delivered_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS watch_files (
  url VARCHAR PRIMARY KEY, status VARCHAR NOT NULL, attempts INTEGER NOT NULL, message VARCHAR,
  updated_at TIMESTAMP NOT NULL
);
CREATE OR REPLACE VIEW clusters AS
SELECT cluster_id, count(*) AS rows, count(DISTINCT source) AS sources,
       bool_or(coding = 'human') AS human_confirmed, min(event_date) AS first_date, max(event_date) AS last_date,
       list(DISTINCT source ORDER BY source) AS source_names
FROM events WHERE cluster_id IS NOT NULL GROUP BY cluster_id;
CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
"""


@cache
def lookup_tables() -> dict[str, pa.Table]:
    codes = list(cameo_codes().values())
    country_rows = country_code_rows()
    return {
        "cameo_codes": pa.table(
            {
                "cameo_code": [c.cameo_code for c in codes],
                "cameo_name": [c.cameo_name for c in codes],
                "cameo_root": [c.cameo_root for c in codes],
                "quad_class": pa.array([c.quad_class for c in codes], pa.int8()),
                "goldstein": [c.goldstein for c in codes],
            }
        ),
        "cameo_names": pa.table(
            {
                "name": list(cameo_code_by_name()),
                "cameo_code": list(cameo_code_by_name().values()),
            }
        ),
        "human_coded_cameo": pa.table(
            {
                "source": [t.source for t in human_coded_types()],
                "event_type": [t.event_type for t in human_coded_types()],
                "sub_event_type": pa.array([t.sub_event_type for t in human_coded_types()], pa.string()),
                "cameo_code": [t.cameo_code for t in human_coded_types()],
            }
        ),
        "actor_names": actor_table(),
        "country_neighbours": pa.table(
            {
                "iso3": [a for a, _ in neighbour_pairs()],
                "neighbour": [b for _, b in neighbour_pairs()],
            }
        ),
        "country_codes": pa.table(
            {
                "system": [system for system, _, _ in country_rows],
                "code": [code for _, code, _ in country_rows],
                "iso3": pa.array([iso3 for _, _, iso3 in country_rows], pa.string()),
            }
        ),
    }


def _fingerprint(tables: dict[str, pa.Table]) -> str:
    digest = hashlib.sha256(SCHEMA_VERSION.encode())
    for name, table in sorted(tables.items()):
        digest.update(name.encode())
        for batch in table.to_batches():
            digest.update(batch.serialize())
    return digest.hexdigest()


def check_version(con: duckdb.DuckDBPyConnection, *, read_only: bool = True) -> None:
    """Raise StoreError when the store was made by a Flashpoint with another store schema
    (one this version upgrades passes when the store is opened for writing)."""
    version = con.execute("SELECT value FROM store_meta WHERE key = 'schema_version'").fetchall()
    if version and version[0][0] in UPGRADES_FROM:
        if read_only:
            raise StoreError(
                f"this store has store schema {version[0][0]}, which this version upgrades in place "
                "when it opens the store for writing: run 'flashpoint dedup' once."
            )
        return
    if version and version[0][0] != SCHEMA_VERSION:
        raise StoreError(
            f"this store was made by another Flashpoint version (store schema {version[0][0]}, this "
            f"version reads {SCHEMA_VERSION}); ingest its files into a new store."
        )


def _upgrade(con: duckdb.DuckDBPyConnection) -> None:
    """Bring a store of an earlier schema to this one (inside the caller's transaction): schema 5
    added the alert and series tables (created by the DDL), schema 6 the events' ``pair``,
    schema 7 the events' confidence (computed for the stored rows, which kept no ``root_event``)
    and the alerts' corroboration, schema 8 the warning probabilities and the latest fit
    (``pair_warnings``, ``warning_models``, created by the DDL) and the alerts' probability and
    base rate; the stored weeks and timelines, which weigh confidence, are recomputed by the
    next settle."""
    version = con.execute("SELECT value FROM store_meta WHERE key = 'schema_version'").fetchall()
    if not version or version[0][0] == SCHEMA_VERSION:
        return
    columns = {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'events'").fetchall()}
    if "pair" not in columns:
        con.execute("ALTER TABLE events ADD COLUMN pair VARCHAR")
        con.execute(f"UPDATE events SET pair = {PAIR_SQL}")
    if "confidence" not in columns:
        _load_lookups(con, {"country_neighbours": lookup_tables()["country_neighbours"]})
        con.execute("ALTER TABLE events ADD COLUMN root_event BOOLEAN")
        con.execute("ALTER TABLE events ADD COLUMN confidence DOUBLE")
        con.execute("ALTER TABLE events ADD COLUMN confidence_reasons VARCHAR")
        update_confidence(con)
        con.execute("DELETE FROM store_meta WHERE key = ?", [WEEKLY_STATE])  # the timelines follow the weeks
    alert_columns = {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'alerts'").fetchall()}
    if "reports" not in alert_columns:
        con.execute("ALTER TABLE alerts ADD COLUMN reports INTEGER")
        con.execute("ALTER TABLE alerts ADD COLUMN corroborated BOOLEAN")
    if "probability" not in alert_columns:
        con.execute("ALTER TABLE alerts ADD COLUMN probability DOUBLE")
        con.execute("ALTER TABLE alerts ADD COLUMN base_rate DOUBLE")
    con.execute("INSERT OR REPLACE INTO store_meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])


def update_confidence(con: duckdb.DuckDBPyConnection, /, *, where: str = "true", params: list | None = None) -> None:
    """Compute the confidence of the stored events ``where`` selects (SQL over ``e``, with
    ``params``) with the neighbours table in scope (docs/events.md): the whole store when it is
    upgraded, a file's rows placed outside both states after their insert."""
    confidence, reasons = confidence_sql("e.")
    con.execute(
        f"UPDATE events SET confidence = c.confidence, confidence_reasons = c.reasons FROM (SELECT "
        f"e.event_id, e.ingest_id, {confidence} AS confidence, {reasons} AS reasons FROM events e "
        f"{neighbour_joins('e.')} WHERE {where}) c "
        f"WHERE events.event_id = c.event_id AND events.ingest_id = c.ingest_id",
        params or [],
    )


def _load_lookups(con: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table]) -> None:
    for name, table in tables.items():
        con.register("lookup_rows", table)
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM lookup_rows")
        con.unregister("lookup_rows")


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the store's tables if missing and load the CAMEO and country lookup tables.

    Lookup tables are rewritten only when the shipped tables changed since the last open.
    """
    tables = lookup_tables()
    fingerprint = _fingerprint(tables)
    con.execute("BEGIN TRANSACTION")
    con.execute(DDL)
    try:
        check_version(con, read_only=False)
    except StoreError:
        con.execute("ROLLBACK")
        raise
    _upgrade(con)
    stored = con.execute("SELECT value FROM store_meta WHERE key = 'lookups'").fetchall()
    if not stored or stored[0][0] != fingerprint:
        _load_lookups(con, tables)
        con.execute(
            "INSERT OR REPLACE INTO store_meta VALUES ('schema_version', ?), ('lookups', ?)", [SCHEMA_VERSION, fingerprint]
        )
    con.execute("COMMIT")
