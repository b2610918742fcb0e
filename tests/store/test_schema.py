"""Opening stores made by earlier versions."""

from __future__ import annotations

from pathlib import Path

import pytest

from flashpoint.config import Settings
from flashpoint.errors import StoreError
from flashpoint.sources import gdelt
from flashpoint.store.connection import open_store
from flashpoint.store.ingest import ingest_paths


def test_a_schema_4_store_is_upgraded_in_place_and_keeps_its_events(settings: Settings, tmp_path: Path, gdelt2_lines) -> None:  # noqa: ANN001
    (tmp_path / "a.tsv").write_text("\n".join(gdelt2_lines) + "\n")
    with open_store(settings) as con:
        ingest_paths(con, [str(tmp_path / "a.tsv")], reader=gdelt)
        expected = con.execute("SELECT event_id, pair FROM events ORDER BY event_id").fetchall()
        # What a schema-4 store looked like: no pair column, no alert tables.
        con.execute(
            "ALTER TABLE events DROP COLUMN pair; DROP TABLE alerts; DROP TABLE pair_series; "
            "UPDATE store_meta SET value = '4' WHERE key = 'schema_version'"
        )
    with pytest.raises(StoreError, match="upgrades in place"):
        with open_store(settings, read_only=True):
            pass
    with open_store(settings) as con:
        assert con.execute("SELECT event_id, pair FROM events ORDER BY event_id").fetchall() == expected
        assert con.execute("SELECT count(*) FROM alerts").fetchall() == [(0,)]
        assert con.execute("SELECT value FROM store_meta WHERE key = 'schema_version'").fetchall() == [("8",)]
    assert any(pair is not None for _, pair in expected)


def test_a_schema_6_store_gets_event_confidence_and_alert_reports(settings: Settings, tmp_path: Path, gdelt2_lines) -> None:  # noqa: ANN001
    (tmp_path / "a.tsv").write_text("\n".join(gdelt2_lines) + "\n")
    with open_store(settings) as con:
        ingest_paths(con, [str(tmp_path / "a.tsv")], reader=gdelt)
        # Without the lead-event flag, which a schema-6 store never kept, the confidence is the same or higher.
        expected = con.execute(
            "SELECT event_id, confidence, confidence_reasons FROM events "
            "WHERE root_event IS DISTINCT FROM false ORDER BY event_id"
        ).fetchall()
        con.execute(
            "ALTER TABLE events DROP COLUMN root_event; ALTER TABLE events DROP COLUMN confidence; "
            "ALTER TABLE events DROP COLUMN confidence_reasons; ALTER TABLE alerts DROP COLUMN reports; "
            "ALTER TABLE alerts DROP COLUMN corroborated; "
            "UPDATE store_meta SET value = '6' WHERE key = 'schema_version'"
        )
    with open_store(settings) as con:
        upgraded = dict(
            (r[0], r[1:]) for r in con.execute("SELECT event_id, confidence, confidence_reasons FROM events").fetchall()
        )
        assert [(i, *upgraded[i]) for i, _, _ in expected] == expected
        assert all(0 < confidence <= 1 for confidence, _ in upgraded.values())
        assert con.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'alerts' AND column_name IN ('reports', 'corroborated')"
        ).fetchall() == [(2,)]


def test_a_store_of_an_unknown_schema_is_refused(settings: Settings) -> None:
    with open_store(settings) as con:
        con.execute("UPDATE store_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="another Flashpoint version"):
        with open_store(settings):
            pass
