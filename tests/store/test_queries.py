"""What the store's read queries give back."""

from __future__ import annotations

from flashpoint.config import Settings
from flashpoint.store.connection import open_store
from flashpoint.store.queries import select_quarantine


def test_a_line_with_several_problems_is_listed_once_with_every_reason(settings: Settings) -> None:
    # A spreadsheet row with a bad value in each year's column used to be listed once per column.
    with open_store(settings) as con:
        con.execute(
            "INSERT INTO quarantine (ingest_id, file, line_number, raw_line, reason) VALUES "
            "(1, 'milex.xlsx', 7, 'Chad,..,xx', 'year 1991: xx is not a number'), "
            "(1, 'milex.xlsx', 7, 'Chad,..,xx', 'year 1990: .. is not a number'), "
            "(1, 'milex.xlsx', 9, 'Mali,1', 'country Mali: no ISO3 code'), "
            "(2, 'b.csv', NULL, NULL, 'the file is empty')"
        )
        rows = select_quarantine(con).to_pylist()
    assert [(r["file"], r["line_number"], r["reason"]) for r in rows] == [
        ("milex.xlsx", 7, "2 problems: year 1990: .. is not a number; year 1991: xx is not a number"),
        ("milex.xlsx", 9, "country Mali: no ISO3 code"),
        ("b.csv", None, "the file is empty"),
    ]
