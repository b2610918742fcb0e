"""Download GDELT event files from GDELT's servers (or a mirror), checked and resumable.

GDELT publishes, next to its files, a list with each file's MD5: GDELT 2.0's
``gdeltv2/masterfilelist.txt`` (``size md5 url`` per line, every 15-minute export, mentions
and GKG file) and GDELT 1.0's ``events/md5sums`` (``md5  filename`` per line, daily exports).
:func:`fetch` reads the list, picks the event exports in the date range, downloads those not
already downloaded into a folder, resuming a partial download with an HTTP range request,
and checks every file against its MD5. A file whose MD5 does not match is deleted and
reported, never returned for ingest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from flashpoint.errors import InvalidInput

log = logging.getLogger(__name__)

#: Where each GDELT version lists its files, relative to the base URL.
LISTS = {1: "events/md5sums", 2: "gdeltv2/masterfilelist.txt"}
#: Where GDELT 1.0 files are, relative to the base URL (its list gives bare names).
V1_FOLDER = "events/"
_EXPORT = {1: re.compile(r"^(\d{8})\.export\.CSV\.zip$"), 2: re.compile(r"^(\d{14})\.export\.CSV\.zip$")}
_CHUNK = 1 << 20
#: Bytes read from the end of GDELT 2.0's list to find recent files' MD5: 1,024 lines of about
#: 120 bytes cover five days of 15-minute exports, mentions and GKG files.
LIST_TAIL_BYTES = 1 << 20


@dataclass(frozen=True)
class ListedFile:
    """One event export in GDELT's list."""

    url: str
    name: str
    md5: str
    day: dt.date


@dataclass(frozen=True)
class FetchResult:
    """What :func:`fetch` did: files ready for ingest, and files refused with the reason."""

    ready: list[Path]
    downloaded: list[str]
    refused: list[tuple[str, str]]


def parse_list(text: str, version: int, base_url: str) -> list[ListedFile]:
    """The event exports named in GDELT's file list (other files and malformed lines are skipped)."""
    found = []
    for line in text.splitlines():
        parts = line.split()
        if version == 2 and len(parts) == 3:
            md5, url = parts[1], parts[2]
            name = url.rsplit("/", 1)[-1]
        elif version == 1 and len(parts) == 2:
            md5, name = parts
            url = f"{base_url.rstrip('/')}/{V1_FOLDER}{name}"
        else:
            continue
        match = _EXPORT[version].match(name)
        if match is None or not re.fullmatch(r"[0-9a-fA-F]{32}", md5):
            continue
        stamp = match.group(1)
        found.append(
            ListedFile(url=url, name=name, md5=md5.lower(), day=dt.date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:8])))
        )
    return found


def recent_exports(client: httpx.Client, base_url: str, /, *, tail_bytes: int = LIST_TAIL_BYTES) -> list[ListedFile]:
    """The GDELT 2.0 event exports named in the last ``tail_bytes`` of ``masterfilelist.txt``
    (the list only grows at its end), with their MD5: a range request, or the end of the
    whole list from a server that ignores ranges.

    Raises
    ------
    httpx.HTTPError
        When the list cannot be read.
    """
    url = f"{base_url.rstrip('/')}/{LISTS[2]}"
    tail = b""
    with client.stream("GET", url, headers={"Range": f"bytes=-{tail_bytes}"}) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            tail = (tail + chunk)[-tail_bytes:]
    lines = tail.decode("utf-8", errors="replace").splitlines()
    return parse_list("\n".join(lines[1:]), 2, base_url)  # the first line may be cut


def file_md5(path: Path) -> str:
    """The MD5 hex digest of a file, read in chunks."""
    digest = hashlib.md5()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def download(client: httpx.Client, listed: ListedFile, target: Path) -> None:
    """Download to ``target.part``, resuming what is there, then move it to ``target``."""
    part = target.with_name(target.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    with client.stream("GET", listed.url, headers=headers) as response:
        if response.status_code == 416:  # the part is already complete
            part.rename(target)
            return
        response.raise_for_status()
        mode = "ab" if have and response.status_code == 206 else "wb"
        with open(part, mode) as fh:
            for chunk in response.iter_bytes():
                fh.write(chunk)
    part.rename(target)


def fetch(
    *,
    base_url: str,
    version: int,
    since: dt.date,
    until: dt.date,
    folder: Path,
    timeout: float = 60.0,
    on_file: Callable[[str], None] | None = None,
) -> FetchResult:
    """Download GDELT event exports dated ``since``..``until`` into ``folder``.

    Files already there with the right MD5 are not downloaded again; a partial download
    (``name.part``) is resumed. Every file is checked against the list's MD5.

    Raises
    ------
    InvalidInput
        When the list cannot be fetched or the dates are reversed.
    """
    if version not in LISTS:
        raise InvalidInput(f"GDELT version {version}: use 1 or 2.")
    if until < since:
        raise InvalidInput(f"--until {until} is before --since {since}.")
    folder.mkdir(parents=True, exist_ok=True)
    list_url = f"{base_url.rstrip('/')}/{LISTS[version]}"
    with httpx.Client(timeout=timeout, follow_redirects=True) as client:
        try:
            response = client.get(list_url)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise InvalidInput(
                f"cannot read GDELT's file list at {list_url}: {exc}. Check the network or the gdelt_base_url setting."
            ) from None
        wanted = [f for f in parse_list(response.text, version, base_url) if since <= f.day <= until]
        ready, downloaded, refused = [], [], []
        for listed in wanted:
            target = folder / listed.name
            if on_file is not None:
                on_file(listed.name)
            if not (target.exists() and file_md5(target) == listed.md5):
                target.unlink(missing_ok=True)
                try:
                    download(client, listed, target)
                except httpx.HTTPError as exc:
                    refused.append((listed.name, f"download failed: {exc}"))
                    continue
                downloaded.append(listed.name)
                if (actual := file_md5(target)) != listed.md5:
                    target.unlink()
                    refused.append(
                        (listed.name, f"MD5 {actual} does not match GDELT's list ({listed.md5}); the file was deleted")
                    )
                    continue
            ready.append(target)
    log.info("GDELT %d: %d files in range, %d downloaded, %d refused", version, len(wanted), len(downloaded), len(refused))
    return FetchResult(ready=ready, downloaded=downloaded, refused=refused)
