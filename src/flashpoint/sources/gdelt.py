"""GDELT 1.0 and 2.0 event files → canonical events.

Reads GDELT as analysts get it: the raw tab-separated daily (1.0, 57 or 58 columns) and
15-minute (2.0, 61 columns) exports, plain, gzipped or zipped; comma-separated exports with a
header row (R/pandas/gdeltPyR/BigQuery downloads, extra columns ignored, ``NA`` as missing);
and Parquet with GDELT's column names. The mapping to canonical events is one SQL query run by
the engine, so parsing is DuckDB's, not Python's.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Final

from flashpoint.errors import UnknownFormat
from flashpoint.sources.tabular import (
    EVENTS,
    EXTRA_COLUMN,
    Layout,
    Parsed,
    column_labels,
    country_join,
    fields_cte,
    invalid_when,
    parquet_names,
    scan_sql,
)

__all__ = [
    "CITATION",
    "FORMATS",
    "GDELT1_COLUMNS",
    "GDELT2_COLUMNS",
    "LICENSE",
    "TARGET",
    "Layout",
    "canonical_sql",
    "detect_layout",
    "scan_sql",
]

CITATION: Final = (
    "Leetaru, Kalev and Philip A. Schrodt (2013). GDELT: Global Data on Events, Location and Tone, "
    "1979-2012. International Studies Association Annual Conference, San Francisco, April 2013. "
    "The GDELT Project, https://www.gdeltproject.org/"
)
LICENSE: Final = (
    "GDELT data are 100% free and open for any use, including commercial; "
    "attribution to the GDELT Project (https://www.gdeltproject.org/) is requested."
)

_ACTOR = (
    "Code",
    "Name",
    "CountryCode",
    "KnownGroupCode",
    "EthnicCode",
    "Religion1Code",
    "Religion2Code",
    "Type1Code",
    "Type2Code",
    "Type3Code",
)


def _geo(prefix: str, *, adm2: bool) -> tuple[str, ...]:
    parts = ("Type", "FullName", "CountryCode", "ADM1Code") + (("ADM2Code",) if adm2 else ()) + ("Lat", "Long", "FeatureID")
    return tuple(f"{prefix}Geo_{p}" for p in parts)


def _columns(*, adm2: bool) -> tuple[str, ...]:
    return (
        ("GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate")
        + tuple(f"Actor1{a}" for a in _ACTOR)
        + tuple(f"Actor2{a}" for a in _ACTOR)
        + (
            "IsRootEvent",
            "EventCode",
            "EventBaseCode",
            "EventRootCode",
            "QuadClass",
            "GoldsteinScale",
            "NumMentions",
            "NumSources",
            "NumArticles",
            "AvgTone",
        )
        + _geo("Actor1", adm2=adm2)
        + _geo("Actor2", adm2=adm2)
        + _geo("Action", adm2=adm2)
        + ("DATEADDED", "SOURCEURL")
    )


#: GDELT 1.0 daily files: 58 columns (the historical back-file rows stop before SOURCEURL: 57).
GDELT1_COLUMNS: Final = _columns(adm2=False)
#: GDELT 2.0 15-minute exports: 61 columns.
GDELT2_COLUMNS: Final = _columns(adm2=True)
#: Where this reader's rows go.
TARGET: Final = EVENTS
FORMATS: Final = ("auto", "gdelt1", "gdelt2")


#: Numeric GDELT fields checked on ingest: (GDELT column, canonical column, DuckDB type).
_NUMERIC_FIELDS: Final = (
    ("NumMentions", "num_mentions", "INTEGER"),
    ("NumSources", "num_sources", "INTEGER"),
    ("NumArticles", "num_articles", "INTEGER"),
    ("AvgTone", "avg_tone", "DOUBLE"),
    ("ActionGeo_Lat", "lat", "DOUBLE"),
    ("ActionGeo_Long", "lon", "DOUBLE"),
)
#: GDELT fields the engine's reader parses in text files: column → (DuckDB type, what a valid
#: value is, as quarantine reasons say). Parsing there is faster than parsing text in the mapping.
_PARSED: Final = {
    "GLOBALEVENTID": ("BIGINT", "a whole number"),
    "SQLDATE": ("DATE", "a date (YYYYMMDD)"),
    "GoldsteinScale": ("DOUBLE", "a number in -10..10"),
    **{name: (kind, "a whole number" if kind == "INTEGER" else "a number") for name, _, kind in _NUMERIC_FIELDS},
}


def _parsed(columns: tuple[str, ...]) -> tuple[Parsed, ...]:
    """The reader's parsed fields among ``columns`` (named as the file names them)."""
    by_name = {name.lower(): spec for name, spec in _PARSED.items()}
    return tuple(Parsed(c, *by_name[c.lower()]) for c in columns if c.lower() in by_name)


def _version_from_names(names: list[str], forced: str) -> str:
    if forced != "auto":
        return forced
    return "gdelt2" if any(n.lower() == "actiongeo_adm2code" for n in names) else "gdelt1"


def _fields(line: str, delimiter: str) -> list[str]:
    """A line's fields as CSV, or split at the delimiter when a field is longer than the csv
    module reads (the engine, not this, parses the rows; this only tells the layout)."""
    try:
        return next(csv.reader(io.StringIO(line), delimiter=delimiter), [])
    except csv.Error:
        return line.split(delimiter)


def _text_layout(first: str, second: str, forced: str, path: Path) -> Layout:
    delimiter = "\t" if "\t" in first else ","
    fields = _fields(first, delimiter)
    if fields and fields[0].strip().lower() == "globaleventid":
        data = _fields(second, delimiter)
        names = column_labels(tuple(["_row_name"] + fields if len(data) == len(fields) + 1 else fields))
        return Layout(
            source=_version_from_names(names, forced),
            kind="text",
            columns=names,
            delimiter=delimiter,
            quote='"',
            header_lines=1,
            null_strings=("", "NA"),
            lenient=True,
            parsed=_parsed(tuple(names)),
            date_format="%Y%m%d",
        )
    count = len(first.rstrip("\r\n").split(delimiter))
    version = forced if forced != "auto" else {57: "gdelt1", 58: "gdelt1", 61: "gdelt2"}.get(count)
    if delimiter != "\t":
        raise UnknownFormat(
            f"{path}: not a GDELT event file: GDELT exports are tab-separated (57/58 columns for GDELT 1.0, 61 for "
            f"2.0, or a header starting with GLOBALEVENTID); its first line has {count} comma-separated fields, and "
            "no --format changes that. An ACLED export goes to 'flashpoint ingest acled', a CSV of your own to "
            "'flashpoint ingest csv --mapping FILE'."
        )
    if version is None:
        raise UnknownFormat(
            f"{path}: not a GDELT event file: expected 57/58 (GDELT 1.0) or 61 (GDELT 2.0) tab-separated columns or "
            f"a header starting with GLOBALEVENTID, found {count}. If it is GDELT with columns added or cut, "
            "--format gdelt1 or --format gdelt2 reads it as that version."
        )
    columns = GDELT1_COLUMNS if version == "gdelt1" else GDELT2_COLUMNS
    return Layout(
        source=version,
        kind="text",
        columns=columns,
        lenient=True,
        parsed=_parsed(columns),
        date_format="%Y%m%d",
        lines_ended=True,
    )


def detect_layout(path: Path, head: bytes, /, *, forced: str = "auto") -> Layout:
    """Detect a GDELT file's layout from its name and first bytes.

    Parameters
    ----------
    path : Path
        The (decompressed) file; Parquet is recognised by its extension.
    head : bytes
        The file's first bytes (at least two lines for text files).
    forced : {"auto", "gdelt1", "gdelt2"}
        Force the GDELT version instead of detecting it.

    Raises
    ------
    UnknownFormat
        When the file is not a GDELT event file.
    """
    if forced not in FORMATS:
        raise UnknownFormat(f"unknown GDELT format '{forced}'; use one of {', '.join(FORMATS)}.")
    if path.suffix.lower() == ".parquet":
        names = parquet_names(path)
        if "globaleventid" not in {n.lower() for n in names}:
            raise UnknownFormat(f"{path}: Parquet file has no GLOBALEVENTID column; not GDELT events.")
        return Layout(source=_version_from_names(names, forced), kind="parquet", columns=tuple(names))
    text = head.decode("utf-8-sig", errors="replace")  # a BOM before GLOBALEVENTID is no part of the name
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise UnknownFormat(f"{path}: the file is empty or starts with an empty line; not GDELT events.")
    return _text_layout(lines[0], lines[1] if len(lines) > 1 else "", forced, path)


#: Text GDELT fields carried over: alias in the query → GDELT column.
_TEXT_FIELDS: Final = {
    "gid": "GLOBALEVENTID",
    "sqldate": "SQLDATE",
    "eventcode": "EventCode",
    "goldstein": "GoldsteinScale",
    "a1name": "Actor1Name",
    "a1country": "Actor1CountryCode",
    "a1type": "Actor1Type1Code",
    "a2name": "Actor2Name",
    "a2country": "Actor2CountryCode",
    "a2type": "Actor2Type1Code",
    "locfips": "ActionGeo_CountryCode",
    "admin1": "ActionGeo_ADM1Code",
    "dateadded": "DATEADDED",
    "url": "SOURCEURL",
    "root": "IsRootEvent",
    "extra": EXTRA_COLUMN,
}


def _reason_sql(layout: Layout) -> str:
    """CASE expression naming what is wrong with a row of the query in :func:`canonical_sql`;
    it reads the values parsed once (``<field>_parsed``)."""
    number_checks = " ".join(
        invalid_when(name, column, f"v.{column}_parsed IS NULL", _PARSED[name][1]) for name, column, _ in _NUMERIC_FIELDS
    )
    return f"""CASE
    WHEN v.dateadded IS NULL THEN 'too few columns: DATEADDED is missing'
    WHEN v.extra IS NOT NULL THEN 'too many columns: expected {len(layout.columns)}'
    WHEN v.gid IS NULL THEN 'GLOBALEVENTID is empty'
    {invalid_when("GLOBALEVENTID", "gid", "v.gid_parsed IS NULL", _PARSED["GLOBALEVENTID"][1])}
    WHEN v.sqldate IS NULL THEN 'SQLDATE is empty'
    {invalid_when("SQLDATE", "sqldate", "v.sqldate_parsed IS NULL", _PARSED["SQLDATE"][1])}
    WHEN v.eventcode IS NULL THEN 'EventCode is empty'
    {invalid_when("EventCode", "eventcode", "c.cameo_code IS NULL", "a CAMEO event code")}
    WHEN v.goldstein IS NULL THEN 'GoldsteinScale is empty'
    {
        invalid_when(
            "GoldsteinScale",
            "goldstein",
            "coalesce(NOT v.goldstein_parsed BETWEEN -10 AND 10, true)",
            _PARSED["GoldsteinScale"][1],
        )
    }
    {number_checks}
    {invalid_when("DATEADDED", "dateadded", "v.dateadded_parsed IS NULL", "a date (YYYYMMDD[HHMMSS])")}
  END AS reason"""


def canonical_sql(layout: Layout, scan: str, /, *, ingest_id: int, ordinals: bool = True) -> str:
    """SELECT mapping the raw scan to canonical event columns plus ``row_ordinal`` and ``reason``.

    ``row_ordinal`` numbers the rows in file order when ``ordinals`` is true (numbering is a
    serial step; without it the column is NULL and the scan runs fully in parallel).
    ``reason`` is NULL for a valid row and says what is wrong otherwise; the CAMEO code,
    its root, quad class and Goldstein value come from the shipped CAMEO codebook, actor
    countries from CAMEO codes and the action location from FIPS 10-4, all as ISO3.
    """
    fields = {**_TEXT_FIELDS, **{column: name for name, column, _ in _NUMERIC_FIELDS}}
    # Casting a value the reader parsed to its own type is no operation; only the date differs.
    typed = ", ".join(f"try_cast(v.{column} AS {kind}) AS {column}_parsed" for _, column, kind in _NUMERIC_FIELDS)
    sqldate = "v.sqldate" if layout.parses("SQLDATE") else "CAST(try_strptime(v.sqldate, '%Y%m%d') AS DATE)"
    source = layout.source
    return f"""
WITH {fields_cte(layout, scan, fields, ordinals=ordinals)},
parsed AS (SELECT *, try_cast(v.gid AS BIGINT) AS gid_parsed,
                  {sqldate} AS sqldate_parsed,
                  try_cast(v.goldstein AS DOUBLE) AS goldstein_parsed, {typed},
                  try_strptime(v.dateadded, ['%Y%m%d%H%M%S', '%Y%m%d']) AS dateadded_parsed
           FROM v)
SELECT
  v.row_ordinal,
  '{source}:' || CAST(v.gid_parsed AS VARCHAR) AS event_id,
  '{source}' AS source,
  v.sqldate_parsed AS event_date,
  a1.iso3 AS actor1_iso3, v.a1type AS actor1_type, v.a1name AS actor1_name,
  a2.iso3 AS actor2_iso3, v.a2type AS actor2_type, v.a2name AS actor2_name,
  c.cameo_code, c.cameo_root, c.quad_class, c.goldstein,
  CAST(NULL AS INTEGER) AS fatalities,
  {", ".join(f"v.{column}_parsed AS {column}" for _, column, _ in _NUMERIC_FIELDS)},
  loc.iso3 AS location_iso3, v.admin1,
  v.url AS source_url,
  CASE trim(v.root) WHEN '1' THEN true WHEN '0' THEN false END AS root_event,
  'machine' AS coding,
  CAST(NULL AS VARCHAR) AS cluster_id,
  v.dateadded_parsed AS date_added,
  {int(ingest_id)} AS ingest_id,
  {_reason_sql(layout)}
FROM parsed AS v
LEFT JOIN cameo_codes c ON c.cameo_code = v.eventcode
{country_join("a1", "cameo", "upper(v.a1country)")}
{country_join("a2", "cameo", "upper(v.a2country)")}
{country_join("loc", "fips", "upper(v.locfips)")}
"""
