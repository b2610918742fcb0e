"""What every tabular reader shares: file layouts, the engine scan, field and check SQL.

A reader turns a file into canonical events with one SQL query run by the engine: the
scan (:func:`scan_sql`) reads every column as text, and the reader's ``canonical_sql``
maps it, computing a ``reason`` that is NULL for a valid row and says what is wrong
otherwise. These helpers keep that SQL uniform across sources.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from flashpoint.errors import UnknownFormat
from flashpoint.sql import sql_string, sql_strings
from flashpoint.wording import quantity


@dataclass(frozen=True)
class Target:
    """The store table a reader fills, the columns that identify one of its rows, and what
    its rows are called in messages."""

    table: str
    key: tuple[str, ...]
    noun: str


#: Canonical events, identified by their source-prefixed id.
EVENTS: Final = Target("events", ("event_id",), "events")


class Reader(Protocol):
    """What ingest needs from a source: a source module (``gdelt``, ``acled``, …) or an object."""

    TARGET: Target

    def detect_layout(self, path: Path, head: bytes, /, *, forced: str = "auto") -> Layout: ...

    def scan_sql(self, path: Path, layout: Layout, /, *, rejects_table: str, rejects_scan: str) -> str: ...

    def canonical_sql(self, layout: Layout, scan: str, /, *, ingest_id: int, ordinals: bool = True) -> str: ...


#: Extra column declared after a text file's own: a value there means the row has too many columns.
EXTRA_COLUMN: Final = "_extra_fields"


@dataclass(frozen=True)
class Parsed:
    """A column of a text file that the engine's reader parses to ``type`` (a DATE with the
    layout's ``date_format``). A row whose value does not parse is rejected by the reader and
    quarantined as "<column> <value> is not <expected>"."""

    column: str
    type: str
    expected: str


@dataclass(frozen=True)
class Layout:
    """How a file is laid out, as detected (or forced).

    ``kind`` is ``text`` (delimited), ``parquet`` or ``json`` (an array of records, or an
    object whose ``data`` member is one, as APIs return). ``columns`` are the file's column
    names in order; ``header_lines`` counts lines before the first data row. A ``lenient``
    text file may have short rows (padded with nulls) and stray carriage returns, and gets
    one extra column declared so over-long rows are seen; a strict one leaves rows with the
    wrong number of columns to the reader, which rejects them. ``parsed`` are text columns the
    reader parses to their type (the others it reads as text, for the mapping to check).
    """

    source: str
    kind: str
    columns: tuple[str, ...]
    delimiter: str = "\t"
    quote: str = ""
    header_lines: int = 0
    null_strings: tuple[str, ...] = ("",)
    lenient: bool = False
    unit: str | None = None  # unit of the values, for tables that say it in the file name (SIPRI sheets)
    parsed: tuple[Parsed, ...] = ()
    date_format: str | None = None  # strptime format of the parsed DATE columns
    buffer_bytes: int | None = None  # the reader's buffer, for a text file with lines past MAX_LINE_BYTES
    #: The publisher ends every line with a line break: a file whose last line has none was cut short.
    lines_ended: bool = False

    def parses(self, column: str, /) -> bool:
        """Whether the reader parses ``column`` (any case; a text file's column in ``parsed``) to its type."""
        return self.kind == "text" and any(p.column.lower() == column.lower() for p in self.parsed)


#: Longest line of a text file the reader takes as a row; a longer one is quarantined.
MAX_LINE_BYTES: Final = 1 << 20
#: Characters of a value quoted in a quarantine reason; a longer value is cut, its length given.
SHOWN_CHARACTERS: Final = 80


def shown(value: str) -> str:
    """A value as a reason quotes it: whole, or its start and its length."""
    return value if len(value) <= SHOWN_CHARACTERS else f"{value[:SHOWN_CHARACTERS]}… ({len(value):,} characters)"


def shown_sql(value: str) -> str:
    """SQL of :func:`shown`, for a value of any type."""
    text = f"CAST({value} AS VARCHAR)"
    return (
        f"CASE WHEN length({text}) <= {SHOWN_CHARACTERS} THEN {text} ELSE left({text}, {SHOWN_CHARACTERS}) "
        f"|| '… (' || format('{{:,}}', length({text})) || ' characters)' END"
    )


def parquet_names(path: Path, /) -> tuple[str, ...]:
    """The column names of a Parquet file.

    Raises
    ------
    UnknownFormat
        When the file is not Parquet (a file named .parquet that holds something else).
    """
    try:
        return tuple(pq.read_schema(path).names)
    except (pa.ArrowException, OSError, ValueError) as exc:  # ValueError: a column name that is not UTF-8
        raise UnknownFormat(f"{path}: named .parquet but not a Parquet file ({type(exc).__name__}).") from None


def _json_records(head: bytes) -> list[dict[str, object]] | None:
    text = head.decode("utf-8", errors="replace").lstrip()
    if not text.startswith(("{", "[")):
        return None
    try:
        value = json.loads(text)
    except RecursionError:  # nested deeper than Python parses: no records of columns
        return []
    except ValueError:  # the head of a longer file, or a number past Python's 4,300 digits
        # Only the head of the file: read the column names of the first record.
        start = text.find("{", 1 if text.startswith("{") and '"data"' in text[:200] else 0)
        end = text.find("}", start)
        try:
            return [json.loads(text[start : end + 1])] if start >= 0 and end > start else []
        except (ValueError, RecursionError):
            return []
    records = value.get("data", []) if isinstance(value, dict) else value
    return [r for r in records if isinstance(r, dict)] if isinstance(records, list) else []


def header_layout(path: Path, head: bytes, /, *, source: str, key: str, null_strings: tuple[str, ...] = ("", "NA")) -> Layout:
    """Layout of a file with named columns: CSV/TSV with a header row, Parquet, or JSON records.

    ``key`` is a column the source always has (checked case-insensitively).

    Raises
    ------
    UnknownFormat
        When the file lacks ``key``.
    """
    if path.suffix.lower() == ".parquet":
        names = parquet_names(path)
        kind, delimiter = "parquet", ","
    elif (records := _json_records(head)) is not None:
        names = tuple(records[0]) if records else ()
        kind, delimiter = "json", ","
    else:
        lines = head.decode("utf-8-sig", errors="replace").splitlines()  # a file of only a BOM has none
        first = lines[0] if lines else ""
        delimiter = "\t" if first.count("\t") > first.count(",") else ","
        try:
            names = tuple(next(csv.reader(io.StringIO(first), delimiter=delimiter), []))
        except csv.Error:  # a field longer than the csv module reads: no header
            raise UnknownFormat(
                f"{path}: not {source} data: its first line is no header (a field of {len(first):,} characters)."
            ) from None
        kind = "text"
    if key.lower() not in {n.strip().lower() for n in names}:
        raise UnknownFormat(f"{path}: not {source} data: expected a column named '{key}', found {_columns_seen(names)}.")
    return Layout(
        source=source,
        kind=kind,
        columns=column_labels(names),
        delimiter=delimiter,
        quote='"',
        header_lines=1 if kind == "text" else 0,
        null_strings=null_strings,
    )


_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: What a column name looks like; a first line of other text is not echoed back (it may be a secret).
_COLUMN_NAME: Final = re.compile(r"[\w .()/#%-]{1,40}")


def column_labels(names: tuple[str, ...], /) -> tuple[str, ...]:
    """The reader's labels of a header's columns: its names trimmed, without control characters
    (a NUL ends a SQL string), an empty one called ``column<n>`` and a repeated one (in any case)
    given a suffix, so that the first column of a name is the one read."""
    labels: list[str] = []
    seen: set[str] = set()
    for number, name in enumerate(names, start=1):
        label = _CONTROL.sub("", name).strip() or f"column{number}"
        while label.lower() in seen:
            label = f"{label}_{number}"
        seen.add(label.lower())
        labels.append(label)
    return tuple(labels)


def _columns_seen(names: tuple[str, ...], /) -> str:
    """The first columns of a header, or how many fields a first line that is no header has:
    a message names column names, never a file's other contents."""
    if not names:
        return "no columns"
    if all(_COLUMN_NAME.fullmatch(n.strip()) for n in names[:8]):
        return f"{', '.join(n.strip() for n in names[:8])}{', ...' if len(names) > 8 else ''}"
    return f"a first line that is no header ({quantity(len(names), 'field')})"


def scan_sql(path: Path, layout: Layout, /, *, rejects_table: str, rejects_scan: str) -> str:
    """The DuckDB table expression that reads the raw file.

    Text files are read with every column as text but the layout's ``parsed`` ones; rows the
    reader cannot take (undecodable, a wrong number of columns in a strict layout, a parsed
    value that is not of its type) go to ``rejects_table`` with their line. Parquet and JSON
    are read with their own types.
    """
    if layout.kind == "parquet":
        return f"read_parquet({sql_string(str(path))})"
    if layout.kind == "json":
        return (
            f"(SELECT unnest(CASE WHEN json_type(j) = 'ARRAY' THEN j ELSE j -> '$.data' END "
            f"::JSON[]) AS r FROM read_json_objects({sql_string(str(path))}, format='auto') AS t(j))"
        )
    names = (*layout.columns, EXTRA_COLUMN) if layout.lenient else layout.columns
    types = {p.column: p.type for p in layout.parsed}
    columns = "{" + ", ".join(f"{sql_string(c)}: {sql_string(types.get(c, 'VARCHAR'))}" for c in names) + "}"
    nulls = "[" + sql_strings(layout.null_strings) + "]"
    lenient = str(layout.lenient).lower()
    return (
        f"read_csv({sql_string(str(path))}, columns={columns}, delim={sql_string(layout.delimiter)}, "
        f"quote={sql_string(layout.quote)}, escape={sql_string(layout.quote)}, strict_mode={str(not layout.lenient).lower()}, "
        f"skip={layout.header_lines}, header=false, nullstr={nulls}, "
        f"null_padding={lenient}, auto_detect=false, "
        f"{f'dateformat={sql_string(layout.date_format)}, ' if layout.date_format else ''}"
        f"store_rejects=true, rejects_table={sql_string(rejects_table)}, "
        f"{f'buffer_size={layout.buffer_bytes}, ' if layout.buffer_bytes else ''}"
        f"rejects_scan={sql_string(rejects_scan)}, max_line_size={MAX_LINE_BYTES})"
    )


def field_sql(layout: Layout, name: str, /) -> str:
    """Text of column ``name`` of the scan aliased ``r`` (trimmed, empty → NULL; NULL when absent);
    the value itself for a column the reader parses."""
    actual = {c.lower(): c for c in layout.columns}
    if layout.lenient:
        actual[EXTRA_COLUMN.lower()] = EXTRA_COLUMN
    if name.lower() not in actual:
        return "CAST(NULL AS VARCHAR)"
    if layout.parses(name):
        return f'r."{actual[name.lower()]}"'
    if layout.kind == "json":
        value = f"r ->> {sql_string(actual[name.lower()])}"
    else:
        value = f'CAST(r."{actual[name.lower()]}" AS VARCHAR)'
    nulls = sql_strings(s for s in layout.null_strings if s)
    # The reader ends lines at CR LF as at LF; spaces are trimmed only from values that have
    # them (trimming every value costs more than reading the file).
    text = f"CASE WHEN {value} LIKE ' %' OR {value} LIKE '% ' THEN nullif(trim({value}), '') ELSE nullif({value}, '') END"
    return f"CASE WHEN {text} IN ({nulls}) THEN NULL ELSE {text} END" if nulls else text


def invalid_when(field: str, alias: str, check: str, expected: str) -> str:
    """A WHEN clause of a ``reason`` CASE: the value of ``alias`` (column ``field``) fails ``check``."""
    return f"WHEN v.{alias} IS NOT NULL AND {check} THEN format('{field} {{}} is not {expected}', {shown_sql(f'v.{alias}')})"


def fields_cte(layout: Layout, scan: str, fields: dict[str, str], /, *, ordinals: bool) -> str:
    """``v AS (...)``: the scan's columns by alias (``fields`` maps alias → column), as text,
    plus ``row_ordinal`` numbering rows in file order when ``ordinals`` (NULL otherwise: numbering
    is a serial step, and without it the scan runs fully in parallel)."""
    ordinal = "row_number() OVER ()" if ordinals else "CAST(NULL AS BIGINT)"
    carried = ", ".join(f"{field_sql(layout, column)} AS {alias}" for alias, column in fields.items())
    return f"v AS (SELECT {ordinal} AS row_ordinal, {carried} FROM {scan} AS r)"


def human_coded_join(source: str, event_type: str, sub_event_type: str) -> str:
    """LEFT JOIN of the documented human-coded type → CAMEO table (``m``) and the codebook (``c``)."""
    return (
        f"LEFT JOIN human_coded_cameo m ON m.source = {sql_string(source)} AND m.event_type = {event_type} "
        f"AND m.sub_event_type IS NOT DISTINCT FROM {sub_event_type} "
        f"LEFT JOIN cameo_codes c ON c.cameo_code = m.cameo_code"
    )


def country_join(alias: str, system: str, code: str) -> str:
    """LEFT JOIN of the store's country resolver as ``alias`` for ``code`` in ``system``."""
    return f"LEFT JOIN country_codes {alias} ON {alias}.system = {sql_string(system)} AND {alias}.code = {code}"


def iso3_join(alias: str, code: str) -> str:
    """LEFT JOIN as ``alias`` of the country whose ISO3 code is ``code`` (any case)."""
    return f"LEFT JOIN (SELECT DISTINCT iso3 FROM country_codes) {alias} ON {alias}.iso3 = upper({code})"


def iso3_or_name(alias: str, value: str) -> tuple[str, str]:
    """(SQL of the ISO3, LEFT JOINs) for a value that is an ISO3 code or a country name."""
    joins = f"{iso3_join(alias + '_c', value)} {country_join(alias + '_n', 'name', f'lower({value})')}"
    return f"coalesce({alias}_c.iso3, {alias}_n.iso3)", joins


def sector_type_sql(sectors: str) -> str:
    """SQL: a CAMEO actor type from a sector list ('Government,Military,...'; ICEWS, POLECAT)."""
    return (
        f"CASE WHEN {sectors} ILIKE '%military%' THEN 'MIL' WHEN {sectors} ILIKE '%police%' THEN 'COP' "
        f"WHEN {sectors} ILIKE '%rebel%' OR {sectors} ILIKE '%insurg%' THEN 'REB' "
        f"WHEN {sectors} ILIKE '%government%' OR {sectors} ILIKE '%executive%' THEN 'GOV' END"
    )
