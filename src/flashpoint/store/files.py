"""Input files as the engine reads them: path expansion, checksums, decompression of zip archives."""

from __future__ import annotations

import csv
import glob
import gzip
import io
import os
import shutil
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import xxhash

from flashpoint.errors import InvalidInput, NotPermitted

#: File name endings read when a folder is given.
DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".zip", ".gz", ".parquet")
HEAD_BYTES = 1 << 16
_CHUNK = 1 << 20
#: A zip member may unpack to this many times its compressed size (text data: 5-20×), or to
#: ZIP_FLOOR_BYTES if more; past it, the archive is refused as a zip bomb before it fills the disk.
ZIP_MAX_RATIO = 100
ZIP_FLOOR_BYTES = 64 << 20
#: Prefix of the temporary folders zip members are extracted to, followed by the owner's PID.
_UNZIP_PREFIX = "flashpoint-unzip-"
_NEWLINE = ord("\n")
_RETURN = ord("\r")


@dataclass(frozen=True)
class InputFile:
    """One unit of ingest: a file, or one member of a zip archive, ready for the engine."""

    name: str  # as shown to the user and stored in ingests.path / quarantine.file
    engine_path: Path  # what the engine reads (gzip is read natively, zip members are extracted)
    checksum: str
    head: bytes
    size: int
    lines: int | None  # physical lines of an uncompressed file; None when the engine decompresses it
    longest_line: int | None = None  # bytes of its longest line; None when the engine decompresses it
    nul_bytes: bool | None = None  # whether it holds a NUL byte; None when the engine decompresses it
    #: Where its last line starts, when no line break ends it (it may have been cut short); else None.
    unended_from: int | None = None


def expand_paths(patterns: list[str]) -> list[Path]:
    """Files named by paths, glob patterns and folders (their data files), sorted, without repeats.

    Raises
    ------
    InvalidInput
        When a path or pattern matches no file.
    """
    found: dict[Path, None] = {}
    for pattern in patterns:
        path = Path(pattern).expanduser()
        if path.is_dir():
            matches = sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(DATA_SUFFIXES))
        elif path.is_file():
            matches = [path]
        else:
            matches = sorted(Path(p) for p in glob.glob(str(path), recursive=True) if Path(p).is_file())
        if not matches:
            raise InvalidInput(f"'{pattern}' matches no file. Give a file, a folder or a glob such as 'data/*.CSV'.")
        found.update(dict.fromkeys(p.resolve() for p in matches))
    return list(found)


def confined_paths(patterns: list[str], root: Path, /) -> list[Path]:
    """The files ``patterns`` (paths, folders or globs, relative to ``root`` or absolute inside
    it) name inside the folder ``root``, resolved: what a server may read on a client's word.

    Raises
    ------
    NotPermitted
        When a pattern reaches outside ``root`` ('..', another absolute path, a link leading
        out), with the same words whether or not it names a file there.
    InvalidInput
        When a pattern inside ``root`` matches no file.
    """
    base = root.expanduser().resolve()
    found: dict[Path, None] = {}
    for pattern in patterns:
        given = Path(pattern)
        outside = NotPermitted(
            f"'{pattern}' is outside the import folder: give a file, folder or glob inside it, "
            "relative to it (the api_import_dir setting)."
        )
        lexical = Path(os.path.normpath(given if given.is_absolute() else base / given))
        if ".." in given.parts or not lexical.is_relative_to(base):
            raise outside
        files = expand_paths([str(lexical)])
        if any(not path.is_relative_to(base) for path in files):  # resolved: a link that leads out
            raise outside
        found.update(dict.fromkeys(files))
    return list(found)


class _Tally:
    """Checksum (XXH3, 128 bits), line count, longest line and NUL bytes of a byte stream, fed
    chunk by chunk. Lines end where the engine's reader ends them: at LF, CR LF or a lone CR.

    XXH3 identifies content as well as SHA-1 for files we read (nobody forges a file to
    collide with one already ingested) at a third of the time on a large file; docs/adr/002.
    """

    def __init__(self) -> None:
        self._digest = xxhash.xxh3_128()
        self._breaks = 0
        self._offset = 0  # bytes seen
        self._line_start = 0  # offset where the current line starts
        self._longest = 0
        self.nul_bytes = False
        self._last = b"\n"

    def update(self, chunk: bytes) -> None:
        self._digest.update(chunk)
        data = np.frombuffer(chunk, np.uint8)
        ends = np.flatnonzero(data == _NEWLINE)  # twice bytes.count's speed
        if self._last == b"\r" and data[0] != _NEWLINE:  # the previous chunk ended with a lone CR
            ends = np.concatenate(([-1], ends))
        if b"\r" in chunk:  # rare: only then look for CRs that end a line alone
            crs = np.flatnonzero(data[:-1] == _RETURN)  # a CR ending the chunk is decided by the next
            ends = np.sort(np.concatenate((ends, crs[data[crs + 1] != _NEWLINE])))
        if len(ends):
            starts = np.concatenate(([self._line_start - self._offset], ends[:-1] + 1))
            self._longest = max(self._longest, int((ends - starts).max()))
            self._line_start = self._offset + int(ends[-1]) + 1
        self._breaks += len(ends)
        self.nul_bytes = self.nul_bytes or b"\x00" in chunk
        self._offset += len(chunk)
        self._last = chunk[-1:]

    @property
    def checksum(self) -> str:
        return "xxh3_128:" + self._digest.hexdigest()

    @property
    def lines(self) -> int:
        """Lines, the last one counted whether or not a line break ends it."""
        return self._breaks + (self._last != b"\n")  # a final lone CR is a break not counted yet

    @property
    def ended(self) -> bool:
        """Whether a line break ends the data (or there is none)."""
        return self._last in (b"\n", b"\r")

    @property
    def last_line_start(self) -> int:
        """The offset where the last line starts."""
        return self._line_start

    @property
    def longest(self) -> int:
        """Bytes of the longest line (with the CR of a CR LF)."""
        return max(self._longest, self._offset - self._line_start - (self._last == b"\r"))


def _head(path: Path) -> bytes:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            return fh.read(HEAD_BYTES)
    except (OSError, EOFError) as exc:
        raise InvalidInput(f"{path}: cannot read the file: {exc}.") from None


def _unit(name: str, path: Path, tally: _Tally, /) -> InputFile:
    if path.name.lower().endswith(".gz"):  # the tally saw compressed bytes
        return InputFile(name, path, tally.checksum, _head(path), path.stat().st_size, None)
    return InputFile(
        name,
        path,
        tally.checksum,
        _head(path),
        path.stat().st_size,
        tally.lines,
        tally.longest,
        tally.nul_bytes,
        None if tally.ended else tally.last_line_start,
    )


@contextmanager
def input_files(path: Path) -> Iterator[list[InputFile]]:
    """The ingest units of ``path``: the file itself, or each member of a zip archive.

    Zip members are extracted (streamed, bounded memory) into a temporary folder that is
    removed when the context exits. The checksum identifies content: a file's bytes, or a
    zip member's uncompressed bytes.
    """
    if not zipfile.is_zipfile(path):
        if path.name.lower().endswith(".zip"):
            raise InvalidInput(
                f"{path}: not a readable zip archive (cut short, or not a zip file); download it "
                "again. Nothing from it was stored."
            )
        tally = _Tally()
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                tally.update(chunk)
        yield [_unit(str(path), path, tally)]
        return
    _remove_stale_extractions()
    with tempfile.TemporaryDirectory(prefix=f"{_UNZIP_PREFIX}{os.getpid()}-") as tmp, zipfile.ZipFile(path) as archive:
        units = []
        for index, member in enumerate(m for m in archive.infolist() if not m.is_dir()):
            target = Path(tmp) / f"{index}-{Path(member.filename).name}"
            # The sizes a zip declares may lie: the bound is checked on the bytes unpacked.
            bound = max(ZIP_FLOOR_BYTES, ZIP_MAX_RATIO * min(member.compress_size, path.stat().st_size))
            tally = _Tally()
            unpacked = 0
            try:
                with archive.open(member) as src, open(target, "wb") as dst:
                    while unpacked <= bound and (chunk := src.read(_CHUNK)):
                        unpacked += len(chunk)
                        tally.update(chunk)
                        dst.write(chunk)
            except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
                raise InvalidInput(
                    f"{path}: member {member.filename} cannot be read ({exc}); download the archive "
                    "again. Nothing from it was stored."
                ) from None
            if unpacked > bound or member.file_size > bound:
                raise InvalidInput(
                    f"{path}: member {member.filename} unpacks to more than {ZIP_MAX_RATIO} times its "
                    f"compressed size ({member.compress_size:,} bytes), which no data file does: "
                    "refused as a zip bomb. Unzip it yourself if you trust it. Nothing from it was "
                    "stored."
                )
            units.append(_unit(f"{path}!{member.filename}", target, tally))
        yield units


def _remove_stale_extractions() -> None:
    """Remove the extraction folders of processes that no longer run (killed mid-ingest)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{_UNZIP_PREFIX}*"):
        pid = folder.name.removeprefix(_UNZIP_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


@contextmanager
def without_last_line(unit: InputFile, /) -> Iterator[tuple[InputFile, str]]:
    """A file that no line break ends, as its lines but the last (copied to a temporary file),
    and the text of that last line: a row the file may have been cut inside."""
    assert unit.unended_from is not None and unit.lines is not None
    _remove_stale_extractions()
    with tempfile.TemporaryDirectory(prefix=f"{_UNZIP_PREFIX}{os.getpid()}-") as tmp:
        target = Path(tmp) / unit.engine_path.name
        with open(unit.engine_path, "rb") as src, open(target, "wb") as dst:
            left = unit.unended_from
            while left and (chunk := src.read(min(_CHUNK, left))):
                dst.write(chunk)
                left -= len(chunk)
            last = src.read().decode("utf-8", errors="replace")
        yield replace(unit, engine_path=target, lines=unit.lines - 1, unended_from=None, size=unit.unended_from), last


class _Tap:
    """Iterator over text lines that remembers the lines taken since the last ``drain``."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self._taken: list[str] = []

    def __iter__(self) -> _Tap:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self._taken.append(line)
        return line

    def drain(self) -> str:
        text, self._taken = "".join(self._taken), []
        return text


def _records(fh, quote: str, delimiter: str) -> Iterator[tuple[int, str]]:  # noqa: ANN001 - binary file
    """(first physical line, raw text) of each record; a quoted field may span lines. Lines end
    at LF, CR LF or a lone CR, as the engine's reader ends them."""
    text = io.TextIOWrapper(fh, encoding="utf-8", errors="replace", newline="")
    if not quote:
        try:
            yield from enumerate(text, start=1)
        finally:
            text.detach()
        return
    # The engine read the records, whatever their fields' length: so must this, or the file would
    # be lost to a field over the csv module's 128 KB default (the limit is the module's; restored after).
    limit = csv.field_size_limit(sys.maxsize)
    try:
        tap = _Tap(iter(text))
        reader = csv.reader(tap, delimiter=delimiter, quotechar=quote)
        start = 1
        for _ in reader:
            yield start, tap.drain()
            start = reader.line_num + 1
    finally:
        csv.field_size_limit(limit)
        text.detach()  # the caller owns and closes the binary file


def locate_rows(
    path: Path, /, *, ordinals: set[int], rejected: set[int], header_lines: int, quote: str = "", delimiter: str = ","
) -> tuple[dict[int, int], dict[int, int], dict[int, str]]:
    """Find data rows of a (possibly gzipped) text file by their position among accepted rows.

    The engine numbers accepted rows in file order, skipping header lines, blank lines and the
    records its reader rejected (which it reports by record number). One pass over the file
    gives each wanted row ordinal, and each rejected record, its first physical line number
    and its text. With a ``quote`` character, records are read as CSV, so a quoted field may
    hold line breaks.

    Returns
    -------
    (line of each wanted ordinal, line of each rejected record, text of each of those lines)
    """
    lines: dict[int, int] = {}
    rejected_lines: dict[int, int] = {}
    text: dict[int, str] = {}
    last_ordinal, last_rejected = max(ordinals, default=0), max(rejected, default=0)
    ordinal = 0
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as fh:
        for record, (line, raw) in enumerate(_records(fh, quote, delimiter), start=1):
            if ordinal >= last_ordinal and record > last_rejected:
                break
            if record in rejected:
                text[line] = raw.rstrip("\r\n")
                rejected_lines[record] = line
                continue
            if record > header_lines and raw.rstrip("\r\n"):
                ordinal += 1
                if ordinal in ordinals:
                    lines[ordinal] = line
                    text[line] = raw.rstrip("\r\n")
    return lines, rejected_lines, text
