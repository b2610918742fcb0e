"""Download ACLED events through ACLED's API (OAuth), page by page, respecting rate limits.

ACLED's current API (acleddata.com): an access token from ``POST /oauth/token`` (the
account's e-mail and password, ``grant_type=password``, ``client_id=acled``), then
``GET /api/acled/read`` with ``Authorization: Bearer <token>``, filtered by country and
``event_date`` range, ``limit`` rows per ``page``. Each page is saved as it comes (the API's
JSON, which the ACLED reader ingests), so an interrupted run keeps its pages and ingest
skips the ones already stored. A ``429 Too Many Requests`` or a server error is waited out
(``Retry-After``, in seconds or as a date, up to :data:`MAX_WAIT_SECONDS`) and retried; any
other unexpected answer stops the fetch with a :class:`~flashpoint.errors.RemoteError`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from flashpoint.errors import InvalidInput, RemoteError

log = logging.getLogger(__name__)

TOKEN_PATH = "oauth/token"
READ_PATH = "api/acled/read"
#: The longest wait a rate limit or a server error may ask for; a longer one stops the fetch.
MAX_WAIT_SECONDS = 300.0
_SHOWN = 120  # characters of an unexpected answer quoted in an error


def _send(client: httpx.Client, method: str, url: str, /, **kwargs: object) -> httpx.Response:
    try:
        return client.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        raise RemoteError(
            f"cannot reach ACLED at {url}: {exc}. Check the network or the acled_base_url setting; pages already saved are kept."
        ) from exc


def _json(response: httpx.Response, what: str, /) -> dict[str, object]:
    """The JSON object of an answer, or a RemoteError that says what came instead."""
    if response.is_error:
        raise RemoteError(
            f"ACLED answered {what} with HTTP {response.status_code} "
            f"({response.text[:_SHOWN]!r}); try again later. Pages already saved are kept."
        )
    try:
        body = response.json()
    except ValueError as exc:
        raise RemoteError(
            f"ACLED answered {what} with something that is not JSON ({response.text[:_SHOWN]!r}); try again later."
        ) from exc
    if not isinstance(body, dict):
        raise RemoteError(f"ACLED answered {what} with a JSON {type(body).__name__}, not an object ({response.text[:_SHOWN]!r}).")
    return body


def _token(client: httpx.Client, base_url: str, username: str, password: str) -> str:
    response = _send(
        client,
        "POST",
        f"{base_url}/{TOKEN_PATH}",
        data={"username": username, "password": password, "grant_type": "password", "client_id": "acled"},
    )
    if response.status_code in (400, 401, 403):
        raise InvalidInput(
            "ACLED refused the credentials: check acled_username and acled_password "
            "(FLASHPOINT_ACLED_USERNAME, FLASHPOINT_ACLED_PASSWORD)."
        )
    token = _json(response, "the token request").get("access_token")
    if not isinstance(token, str) or not token:
        raise RemoteError("ACLED answered the token request without an access token; try again later.")
    return token


def _wait_seconds(response: httpx.Response, attempt: int, /) -> float:
    """What ``Retry-After`` asks (seconds or an HTTP date), else an exponential backoff."""
    given = response.headers.get("Retry-After", "").strip()
    if given.isdigit():
        return float(given)
    if given:
        try:
            when = email.utils.parsedate_to_datetime(given)
        except (TypeError, ValueError):
            when = None
        if when is not None and when.tzinfo is not None:
            return max((when - dt.datetime.now(dt.UTC)).total_seconds(), 0.0)
    return float(2**attempt)


def _get(
    client: httpx.Client, url: str, params: dict[str, object], token: str, *, retries: int, sleep: Callable[[float], None]
) -> dict[str, object]:
    """One page, waiting out rate limits and server errors (``retries`` times, each wait at
    most :data:`MAX_WAIT_SECONDS`)."""
    attempt = 0
    while True:
        response = _send(client, "GET", url, params=params, headers={"Authorization": f"Bearer {token}"})
        if response.status_code != 429 and response.status_code < 500:
            return _json(response, f"page {params['page']}")
        problem = "too many requests" if response.status_code == 429 else f"HTTP {response.status_code}"
        if attempt == retries:
            raise RemoteError(
                f"ACLED kept answering '{problem}' after {retries} retries; try again later. Pages already saved are kept."
            )
        wait = _wait_seconds(response, attempt)
        if wait > MAX_WAIT_SECONDS:
            raise RemoteError(
                f"ACLED asks to wait {wait:,.0f} s ('{problem}'), more than {MAX_WAIT_SECONDS:.0f} s; "
                "try again later. Pages already saved are kept."
            )
        log.info("ACLED %s: waiting %.0f s", problem, wait)
        sleep(wait)
        attempt += 1


def _page_rows(body: dict[str, object], page: int, seen: set[str], /, *, saved: int) -> list[object]:
    """The events of one page, added to ``seen`` (each event as its JSON text).

    Raises
    ------
    RemoteError
        For a page without a data list, or whose events were all ``seen`` on earlier pages.
    """
    rows = body.get("data", [])
    if not isinstance(rows, list):
        raise RemoteError(f"ACLED answered page {page} without a data list: {str(body)[:_SHOWN]}")
    ids = {json.dumps(row, sort_keys=True) for row in rows}
    if rows and ids <= seen:
        raise RemoteError(
            f"ACLED answered page {page} with no event not seen on earlier pages: the server "
            f"ignores paging. The {saved} pages saved are kept."
        )
    seen |= ids
    return rows


def fetch(
    *,
    base_url: str,
    username: str | None,
    password: str | None,
    country: str,
    since: dt.date,
    until: dt.date,
    folder: Path,
    page_size: int = 5000,
    retries: int = 5,
    sleep: Callable[[float], None] | None = None,
    on_page: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Download ACLED events of ``country`` between the dates into page files; returns them.

    Raises
    ------
    InvalidInput
        Without credentials, or when ACLED refuses them.
    RemoteError
        When ACLED cannot be reached, answers an error, something that is not a page of events,
        a page with no event not seen before (a server that ignores paging), or asks for a
        longer wait than :data:`MAX_WAIT_SECONDS`. Pages saved before are kept.
    """
    if not username or not password:
        raise InvalidInput(
            "ACLED needs an account: set acled_username and acled_password in flashpoint.toml, "
            "or FLASHPOINT_ACLED_USERNAME and FLASHPOINT_ACLED_PASSWORD."
        )
    if until < since:
        raise InvalidInput(f"--until {until} is before --since {since}.")
    folder.mkdir(parents=True, exist_ok=True)
    base = base_url.rstrip("/")
    pages, seen = [], set()
    with httpx.Client(timeout=120.0, follow_redirects=True) as client:
        token = _token(client, base, username, password)
        page = 1
        while True:
            params = {
                "_format": "json",
                "country": country,
                "event_date": f"{since}|{until}",
                "event_date_where": "BETWEEN",
                "limit": page_size,
                "page": page,
            }
            body = _get(client, f"{base}/{READ_PATH}", params, token, retries=retries, sleep=sleep or time.sleep)
            rows = _page_rows(body, page, seen, saved=len(pages))
            if not rows:
                break
            path = folder / f"acled_{country.replace(' ', '_')}_{since}_{until}_p{page:04d}.json"
            path.write_text(json.dumps({"data": rows}), encoding="utf-8")
            pages.append(path)
            if on_page is not None:
                on_page(page, len(rows))
            if len(rows) < page_size:
                break
            page += 1
    log.info("ACLED %s %s..%s: %d page(s)", country, since, until, len(pages))
    return pages
