"""Ingest: files → canonical events, idempotent, atomic per file, streaming.

Each file (or zip member) is one transaction: its events, its quarantined rows and its
``ingests`` row are committed together or not at all, so a crash or Ctrl-C mid-file leaves
the store exactly as it was before that file. Event ids are the key: an event already in the
store is counted as a duplicate, never stored twice, and a file whose checksum was already
ingested is skipped. Parsing, validation and mapping run inside DuckDB, which streams the
file and spills to disk past its memory limit. See docs/adr/002 for why ids are unique by
construction rather than by a key index.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import duckdb

from flashpoint.errors import InvalidInput
from flashpoint.events.confidence import OUTSIDE, confidence_sql
from flashpoint.events.schema import EVENT_COLUMNS, PAIR_SQL
from flashpoint.sources.tabular import EVENTS, MAX_LINE_BYTES, Reader, Target, shown
from flashpoint.sql import sql_string
from flashpoint.store.connection import transaction
from flashpoint.store.files import InputFile, expand_paths, input_files, locate_rows, without_last_line
from flashpoint.store.schema import update_confidence

log = logging.getLogger(__name__)

#: Event columns the ingest derives from the others.
_DERIVED = frozenset({"pair", "confidence", "confidence_reasons"})
#: Files up to this size are read once more to bound the stored ids they are checked against.
SMALL_FILE_BYTES = 64 << 20
#: The longest line a text file may have at all (the reader holds twice as much in memory).
LONGEST_LINE_READ = 1 << 30
#: The reason of a row holding a NUL byte in a text value (no text data holds one).
NUL_REASON = "a NUL byte in a text value"
#: The reason of the last line of a feed's file (every line of which ends with a line break) that none ends.
UNENDED_REASON = (
    "the file ends inside this line, without a line break: it was cut short (a download "
    "interrupted). Download the file again and ingest it"
)
#: Characters of a quarantined row's raw text and reason that are kept.
RAW_KEPT = 1 << 16
REASON_KEPT = 400
_REJECTS = "flashpoint_rejects"
_REJECT_SCANS = "flashpoint_reject_scans"
#: The engine reader's words when a strict layout's quotes or line breaks lose it.
_UNFOLLOWED = "CSV Parser state machine reached an invalid state"
#: The value in the engine reader's message for a value it could not parse.
_UNPARSED = re.compile(r'Could not convert string "(.*)" to \'')
#: The counts in the engine reader's message for a row with a wrong number of columns.
_COLUMN_COUNTS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
#: The engine reader's kinds of rejected row, in the words of the readers' own reasons.
_READER_REASONS = {
    "INVALID ENCODING": "bytes that are not UTF-8 text",
    "UNQUOTED VALUE": "a quote that is not closed where its value ends: the row runs on to the next quote "
    "in the file (the raw line shows how far); fix the quote and ingest the file again",
    "LINE SIZE OVER MAXIMUM": f"a line longer than {MAX_LINE_BYTES >> 20} MB",
}


def _reader_reason(kind: str, message: str) -> str:
    """Why the engine's reader rejected a row (``kind`` and ``message`` as it reports them):
    'too few columns: 30 where the file has 31', or its own words for a kind it names."""
    counts = _COLUMN_COUNTS.search(message)
    if kind in ("MISSING COLUMNS", "TOO MANY COLUMNS") and counts is not None:
        return (
            f"{'too few' if kind == 'MISSING COLUMNS' else 'too many'} columns: {counts.group(2)} where the "
            f"file has {counts.group(1)}"
        )
    return _READER_REASONS.get(kind, f"{kind.lower()}: {message}")


class _RepeatedIds(Exception):
    """A file loaded without numbering its rows repeats an event id."""


@dataclass(frozen=True)
class IngestResult:
    """What happened to one file.

    Attributes
    ----------
    path, format
        The file's name and how it was read ('gdelt/text', 'acled/json', ...).
    rows_read, rows_stored, rows_duplicate, rows_quarantined
        Its data rows; those stored; those already in the store (or repeated in the file); those
        set aside in the quarantine with their line and reason. Read = stored + duplicate +
        quarantined.
    ingest_id
        The file's ingest, None when skipped.
    skipped
        The file was ingested before (the same checksum): nothing was read.
    unended_line
        The last line, stored, of a file that no line break ends (it may have been cut short).
    """

    path: str
    format: str
    rows_read: int
    rows_stored: int
    rows_duplicate: int
    rows_quarantined: int
    ingest_id: int | None = None  # None when skipped
    skipped: bool = False
    #: The last line, stored, of a file that no line break ends (it may have been cut short).
    unended_line: int | None = None


def _already_ingested(con: duckdb.DuckDBPyConnection, unit: InputFile, source: str) -> IngestResult | None:
    row = con.execute("SELECT format FROM ingests WHERE checksum = ? AND source = ? LIMIT 1", [unit.checksum, source]).fetchone()
    if row is None:
        return None
    return IngestResult(unit.name, row[0], 0, 0, 0, 0, skipped=True)


def _reader_rejects(con: duckdb.DuckDBPyConnection, layout) -> list[tuple[int, str]]:  # noqa: ANN001
    """(line, reason) for rows the engine's reader rejected: a wrong number of columns, bytes
    that are not text, or a value of a column it parses that is not of that column's type
    ("SQLDATE 20161399 is not a date (YYYYMMDD)", for the row's first such column)."""
    exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND temporary", [_REJECTS]).fetchone()[0]
    if not exists:
        return []
    expected = {p.column: p.expected for p in layout.parsed}
    reasons: dict[int, dict[str, str]] = {}
    rejected = con.execute(
        f"SELECT line, error_type, column_name, error_message FROM {_REJECTS} ORDER BY line, column_idx"
    ).fetchall()
    for line, kind, column, message in rejected:
        found = reasons.setdefault(line, {})
        value = _UNPARSED.search(message) if kind == "CAST" else None
        if value is not None and column in expected:
            found.setdefault(
                kind,
                f"{column} {shown(value.group(1))} is not {expected[column]}"
                if value.group(1).strip()
                else f"{column} is blank (spaces only)",
            )
        else:  # a short row is reported once per missing column, the first with the count it has
            found.setdefault(kind, _reader_reason(kind, message))
    # What is wrong with the row as a whole (its bytes, its columns) comes before its values.
    return [
        (line, "; ".join(found[kind] for kind in sorted(found, key=lambda k: (k == "CAST", k))))
        for line, found in sorted(reasons.items())
    ]


def _text_rows(
    con: duckdb.DuckDBPyConnection,
    unit: InputFile,
    layout,  # noqa: ANN001
    ingest_id: int,
    invalid: list[tuple[int, str]],
    rejects: list[tuple[int, str]],
) -> list[tuple[int, str, int | None, str | None, str]]:
    """The quarantine rows of a text file's invalid and rejected rows (see :func:`_quarantine`),
    each with its physical line and text, in line order."""
    lines, rejected_lines, text = locate_rows(
        unit.engine_path,
        ordinals={o for o, _ in invalid},
        rejected={record for record, _ in rejects},
        header_lines=layout.header_lines,
        quote=layout.quote,
        delimiter=layout.delimiter,
    )
    # A record the engine counted other than a line reader would (line breaks of mixed kinds)
    # keeps the engine's line number and its own copy of the record's text, never another line's.
    unlocated = [record for record, _ in rejects if record not in rejected_lines]
    engine_text = (
        dict(
            con.execute(
                f"SELECT line, first(csv_line) FROM {_REJECTS} WHERE list_contains(?, line) GROUP BY line", [unlocated]
            ).fetchall()
        )
        if unlocated
        else {}
    )
    found = [
        (rejected_lines[record], text.get(rejected_lines[record]), reason)
        if record in rejected_lines
        else (record, engine_text.get(record), reason)
        for record, reason in rejects
    ]
    found += [(lines.get(o), text.get(lines.get(o)), reason) for o, reason in invalid]
    return [(ingest_id, unit.name, line, raw, reason) for line, raw, reason in sorted(found, key=lambda f: f[0] or 0)]


def _quarantine(
    con: duckdb.DuckDBPyConnection,
    unit: InputFile,
    layout,  # noqa: ANN001
    scan: str,
    ingest_id: int,
    invalid: list[tuple[int, str]],
    rejects: list[tuple[int, str]],
    cut: tuple[int, str] | None,
) -> int:
    """Store a file's rejected and invalid rows in ``quarantine``; returns how many.

    ``invalid`` holds (row ordinal, reason) of rows the mapping found invalid, ``rejects``
    (record number, reason) of rows the engine's reader rejected, ``cut`` (line, text) the last
    line of a file no line break ends. Text rows are stored with their physical line; Parquet
    and JSON rows with their position and as JSON.
    """
    if not invalid and not rejects:
        rows = []
    elif layout.kind != "text":
        ordinals = [o for o, _ in invalid]
        raw = dict(
            con.execute(
                f"SELECT o, raw FROM (SELECT row_number() OVER () AS o, CAST(to_json(s) AS VARCHAR) AS raw "
                f"FROM {scan} AS s) WHERE o IN (SELECT unnest(?))",
                [ordinals],
            ).fetchall()
        )
        rows = [(ingest_id, unit.name, o, raw.get(o), reason) for o, reason in invalid]
    else:
        rows = _text_rows(con, unit, layout, ingest_id, invalid, rejects)
    if cut is not None:
        rows.append((ingest_id, unit.name, cut[0], cut[1], UNENDED_REASON))
    if rows:
        # A reason quotes a value, cut by the readers; a raw line is kept up to what an analyst reads.
        con.executemany(
            "INSERT INTO quarantine VALUES (?, ?, ?, ?, ?)",
            [
                (i, file, line, None if raw is None else _cut(raw, RAW_KEPT), _cut(reason, REASON_KEPT))
                for i, file, line, raw, reason in rows
            ],
        )
    return len(rows)


def _cut(text: str, limit: int, /) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… (cut: {len(text):,} characters)"


def _data_rows(con: duckdb.DuckDBPyConnection, unit: InputFile, layout) -> int | None:  # noqa: ANN001
    """The file's number of data rows, counted without the reader; None when not cheap to know."""
    if layout.kind == "parquet":
        return con.execute("SELECT sum(num_rows) FROM parquet_file_metadata(?)", [str(unit.engine_path)]).fetchone()[0]
    return None if unit.lines is None else unit.lines - layout.header_lines


def _stored_keys(con: duckdb.DuckDBPyConnection, target: Target, mapped: str, small: bool) -> str:
    """The stored rows a file's rows are checked against: for a small file of events, only the
    stored ids within the range of its ids (the engine skips the row groups outside it, so a
    15-minute file against a store of millions reads few of them); else the whole table."""
    if not (small and target == EVENTS):
        return target.table
    low, high = con.execute(f"SELECT min(event_id), max(event_id) FROM ({mapped}) WHERE reason IS NULL").fetchall()[0]
    if low is None:
        return target.table
    return f"(SELECT event_id FROM {target.table} WHERE event_id BETWEEN {sql_string(low)} AND {sql_string(high)})"


def _insert_rows(con: duckdb.DuckDBPyConnection, target: Target, mapped: str, /, *, keep_first: bool, small: bool) -> int:
    """Insert the valid rows of the mapping query that are not in the store yet; returns how many.

    With ``keep_first`` the first row of each key in the file is kept (the mapping must
    number its rows); without it, every row of a key repeated within the file is inserted,
    which :func:`_load` detects. ``small`` says the file is small enough to read twice.
    """
    key = ", ".join(f"s.{k}" for k in target.key)
    first = f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY s.row_ordinal) = 1" if keep_first else ""
    same = " AND ".join(f"e.{k} IS NOT DISTINCT FROM s.{k}" for k in target.key)
    derived = ""
    if target == EVENTS:
        # The confidence reads canonical columns a reader may leave out (stored as NULL): they are named here.
        present = {row[0] for row in con.execute(f"DESCRIBE ({mapped})").fetchall()}
        absent = [
            f"CAST(NULL AS {kind}) AS {name}" for name, kind, _ in EVENT_COLUMNS if name not in present and name not in _DERIVED
        ]
        mapped = f"SELECT *{''.join(', ' + column for column in absent)} FROM ({mapped})" if absent else mapped
        confidence, reasons = confidence_sql("s.", neighbours=False)  # the few rows placed outside: below
        derived = f", {PAIR_SQL} AS pair, {confidence} AS confidence, {reasons} AS confidence_reasons"
    stored = _stored_keys(con, target, mapped, small)
    return con.execute(
        f"INSERT INTO {target.table} BY NAME SELECT s.* EXCLUDE (row_ordinal, reason){derived} FROM ({mapped}) s "
        f"ANTI JOIN {stored} e ON {same} WHERE s.reason IS NULL {first}"
    ).fetchone()[0]


def _refusing_nul_bytes(con: duckdb.DuckDBPyConnection, mapped: str, /) -> str:
    """The mapping query with rows holding a NUL byte in a text column given :data:`NUL_REASON`."""
    text = [name for name, kind, *_ in con.execute(f"DESCRIBE ({mapped})").fetchall() if kind == "VARCHAR" and name != "reason"]
    if not text:
        return mapped
    found = " OR ".join(f'contains("{name}", chr(0))' for name in text)
    return f"SELECT * REPLACE (coalesce(reason, CASE WHEN {found} THEN {sql_string(NUL_REASON)} END) AS reason) FROM ({mapped})"


def _refuse_repeated_ids(con: duckdb.DuckDBPyConnection, target: Target, ingest_id: int, /) -> None:
    """Raise :class:`_RepeatedIds` when the file's stored rows repeat a key (the insert kept them all)."""
    # Repeated keys have equal hashes; two keys whose hashes collide only cost the second attempt.
    key = ", ".join(target.key)
    if con.execute(
        f"SELECT count(*) > count(DISTINCT hash({key})) FROM {target.table} WHERE ingest_id = ?", [ingest_id]
    ).fetchone()[0]:
        raise _RepeatedIds


def _record_ingest(
    con: duckdb.DuckDBPyConnection, result: IngestResult, source: str, checksum: str, started: dt.datetime
) -> None:
    """The file's row in ``ingests``: what was read, stored, repeated and quarantined."""
    con.execute(
        "INSERT INTO ingests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, localtimestamp)",
        [
            result.ingest_id,
            source,
            result.path,
            checksum,
            result.format,
            result.rows_read,
            result.rows_stored,
            result.rows_duplicate,
            result.rows_quarantined,
            started,
        ],
    )


def _load(
    con: duckdb.DuckDBPyConnection,
    unit: InputFile,
    reader: Reader,
    layout,  # noqa: ANN001
    ingest_id: int,
    *,
    keep_first: bool,
    cut: tuple[int, str] | None = None,
) -> IngestResult:
    """Ingest one file inside the caller's transaction.

    One pass maps and inserts the valid rows. When every data row of the file was stored
    (counted independently of the reader), nothing was invalid or repeated and the file is
    done; otherwise a second pass finds the invalid rows for the quarantine.
    """
    con.execute(f"DROP TABLE IF EXISTS temp.{_REJECTS}; DROP TABLE IF EXISTS temp.{_REJECT_SCANS}")
    started = con.execute("SELECT localtimestamp").fetchone()[0]
    log.info("ingesting %s as %s (ingest %d)", unit.name, layout.source, ingest_id)
    scan = reader.scan_sql(unit.engine_path, layout, rejects_table=_REJECTS, rejects_scan=_REJECT_SCANS)
    target: Target = reader.TARGET
    nul_bytes = layout.kind != "text" or unit.nul_bytes is not False  # JSON escapes them; Parquet, gzip: unknown

    def mapped(*, ordinals: bool) -> str:
        query = reader.canonical_sql(layout, scan, ingest_id=ingest_id, ordinals=ordinals)
        return _refusing_nul_bytes(con, query) if nul_bytes else query

    stored = _insert_rows(con, target, mapped(ordinals=keep_first), keep_first=keep_first, small=unit.size <= SMALL_FILE_BYTES)
    if target == EVENTS and stored:
        # Joins in the streaming insert would hold the file in memory: the rows placed outside both their
        # states, the only ones whose confidence reads the neighbours, are computed again after it.
        update_confidence(con, where=f"e.ingest_id = ? AND {OUTSIDE.replace('{r}', 'e.')}", params=[ingest_id])
    if not keep_first:
        _refuse_repeated_ids(con, target, ingest_id)
    rejects = _reader_rejects(con, layout)
    if not rejects and _data_rows(con, unit, layout) == stored:
        accepted, invalid = stored, []
    else:
        # The filter reads every mapped column, as the insert did: the reader checks a value's
        # encoding only when it reads its column, so counting without them would count (and
        # number) a row the insert's read rejected.
        accepted, invalid = con.execute(
            f"SELECT count(*) FILTER (WHERE s IS NOT NULL), coalesce(list((row_ordinal, reason) ORDER BY row_ordinal) "
            f"FILTER (WHERE reason IS NOT NULL), []) FROM ({mapped(ordinals=True)}) s"
        ).fetchone()
    quarantined = _quarantine(con, unit, layout, scan, ingest_id, invalid, rejects, cut)
    result = IngestResult(
        unit.name,
        f"{layout.source}/{layout.kind}",
        accepted + len(rejects) + (cut is not None),
        stored,
        accepted - len(invalid) - stored,
        quarantined,
        ingest_id,
    )
    _record_ingest(con, result, layout.source, unit.checksum, started)
    return result


def _attempt(
    con: duckdb.DuckDBPyConnection,
    unit: InputFile,
    reader: Reader,
    layout,  # noqa: ANN001
    ingest_id: int,
    *,
    keep_first: bool,
    cut: tuple[int, str] | None,
) -> IngestResult | None:
    """Load one file in its own transaction; None when it repeats an event id and not ``keep_first``."""
    try:
        with transaction(con):
            result = _load(con, unit, reader, layout, ingest_id, keep_first=keep_first, cut=cut)
    except _RepeatedIds:
        log.info("%s repeats event ids; loading it again keeping the first row of each", unit.name)
        return None
    except duckdb.Error as exc:
        if _UNFOLLOWED in str(exc):
            raise InvalidInput(
                f"{unit.name}: cannot ingest as {layout.source}: the reader cannot follow its line "
                "breaks or quotes (a carriage return alone among line feeds, or a quote opened inside "
                "a value). Nothing from this file was stored: make its line breaks one kind (such as "
                "with dos2unix) or fix the quote, and ingest it again."
            ) from exc
        raise InvalidInput(f"{unit.name}: cannot ingest as {layout.source}: {exc}. Nothing from this file was stored.") from exc
    log.info("ingested %s: %s", unit.name, result)
    return result


def _ingest_unit(con: duckdb.DuckDBPyConnection, unit: InputFile, reader: Reader, forced: str) -> IngestResult:
    layout = reader.detect_layout(unit.engine_path, unit.head, forced=forced)
    if layout.kind == "text" and (unit.longest_line or 0) > MAX_LINE_BYTES:
        # The reader skips, without a word, a line longer than its buffer (16 MB): with room
        # for the longest line it sees the line, and rejects it as too long, in its place.
        if unit.longest_line > LONGEST_LINE_READ:
            raise InvalidInput(
                f"{unit.name}: a line of {unit.longest_line:,} bytes, which no data file has; "
                "split or fix the file. Nothing from it was stored."
            )
        layout = replace(layout, buffer_bytes=2 * unit.longest_line + MAX_LINE_BYTES)
    if (done := _already_ingested(con, unit, layout.source)) is not None:
        return done
    if layout.kind == "text" and unit.unended_from is not None and (unit.lines or 0) > layout.header_lines:
        if layout.lines_ended:  # a feed that ends every line: its last row was cut
            with without_last_line(unit) as (whole_lines, last):
                return _ingest_lines(con, whole_lines, reader, layout, cut=(unit.lines, last))
        # Published tables (ICB's, an analyst's) may end without a line break: the row is stored, and named.
        log.warning(
            "%s ends without a line break: its last row (line %d) was stored; if the file was cut short, that row may be cut",
            unit.name,
            unit.lines,
        )
        return replace(_ingest_lines(con, unit, reader, layout), unended_line=unit.lines)
    return _ingest_lines(con, unit, reader, layout)


def _ingest_lines(
    con: duckdb.DuckDBPyConnection,
    unit: InputFile,
    reader: Reader,
    layout,  # noqa: ANN001
    *,
    cut: tuple[int, str] | None = None,
) -> IngestResult:
    """Ingest a file whose layout is known; ``cut``: the line (number, text) that ended the file
    without a line break, left out of ``unit`` and quarantined."""
    ingest_id = con.execute("SELECT nextval('ingest_ids')").fetchone()[0]
    # Without sampling, the engine guesses a few dozen rows for the file scan and would build
    # its hash joins on the file; keeping the written join order builds them on the lookups.
    con.execute("SET disabled_optimizers = 'join_order,build_side_probe_side'")
    try:
        # Files rarely repeat an event id, so the first attempt skips numbering the rows (a serial
        # step); a file that does repeat one is rolled back and loaded keeping the first row of each.
        return _attempt(con, unit, reader, layout, ingest_id, keep_first=False, cut=cut) or _attempt(
            con, unit, reader, layout, ingest_id, keep_first=True, cut=cut
        )
    finally:
        con.execute("RESET disabled_optimizers")


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    patterns: list[str],
    /,
    *,
    reader: Reader,
    forced: str = "auto",
    on_file: Callable[[IngestResult, int], None] | None = None,
    on_start: Callable[[str, int], None] | None = None,
) -> list[IngestResult]:
    """Ingest files, globs and folders with a source reader; one transaction per file.

    Parameters
    ----------
    con : DuckDB connection to an open store.
    patterns : paths, glob patterns or folders.
    reader : source module (or object) with ``TARGET``, ``detect_layout``, ``scan_sql`` and ``canonical_sql``.
    forced : format name to force instead of auto-detection.
    on_file : called after each file with its result and its size in bytes (progress).
    on_start : called before each file with its name and size in bytes (progress).

    Returns
    -------
    list of IngestResult, one per file or zip member.

    Raises
    ------
    InvalidInput, UnknownFormat
        Before touching the store when a path matches nothing; for a file that is not in the
        reader's format (files before it stay ingested).
    """
    results = []
    for path in expand_paths(patterns):
        with input_files(path) as units:
            for unit in units:
                if on_start is not None:
                    on_start(unit.name, unit.size)
                result = _ingest_unit(con, unit, reader, forced)
                results.append(result)
                if on_file is not None:
                    on_file(result, unit.size)
    return results
