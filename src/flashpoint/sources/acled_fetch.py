"""Download ACLED events through ACLED's API (OAuth), page by page, respecting rate limits.

ACLED's current API (acleddata.com): an access token from ``POST /oauth/token`` (the
account's e-mail and password, ``grant_type=password``, ``client_id=acled``), then
``GET /api/acled/read`` with ``Authorization: Bearer <token>``, filtered by country and
``event_date`` range, ``limit`` rows per ``page``. Each page is saved as it comes (the API's
JSON, which the ACLED reader ingests), so an interrupted run keeps its pages and ingest
skips the ones already stored. A ``429 Too Many Requests`` is waited out (``Retry-After``)
and retried.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from flashpoint.errors import InvalidInput

log = logging.getLogger(__name__)

TOKEN_PATH = "oauth/token"
READ_PATH = "api/acled/read"


def _token(client: httpx.Client, base_url: str, username: str, password: str) -> str:
    try:
        response = client.post(f"{base_url}/{TOKEN_PATH}", data={
            "username": username, "password": password, "grant_type": "password", "client_id": "acled"})
    except httpx.HTTPError as exc:
        raise InvalidInput(f"cannot reach ACLED at {base_url}: {exc}.") from None
    if response.status_code in (400, 401, 403):
        raise InvalidInput("ACLED refused the credentials: check acled_username and acled_password "
                           "(FLASHPOINT_ACLED_USERNAME, FLASHPOINT_ACLED_PASSWORD).")
    response.raise_for_status()
    return str(response.json()["access_token"])


def _get(client: httpx.Client, url: str, params: dict[str, object], token: str, *, retries: int,
         sleep: Callable[[float], None]) -> dict[str, object]:
    """One page, waiting out rate limits."""
    attempt = 0
    while True:
        response = client.get(url, params=params, headers={"Authorization": f"Bearer {token}"})
        if response.status_code != 429:
            response.raise_for_status()
            return response.json()
        if attempt == retries:
            raise InvalidInput(f"ACLED kept refusing with 'too many requests' after {retries} retries; "
                               "try again later. Pages already saved are kept.")
        wait = float(response.headers.get("Retry-After", 2 ** attempt))
        log.info("ACLED rate limit: waiting %.0f s", wait)
        sleep(wait)
        attempt += 1


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
    sleep: Callable[[float], None] = time.sleep,
    on_page: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Download ACLED events of ``country`` between the dates into page files; returns them.

    Raises
    ------
    InvalidInput
        Without credentials, when ACLED refuses them, or when rate limits persist.
    """
    if not username or not password:
        raise InvalidInput("ACLED needs an account: set acled_username and acled_password in flashpoint.toml, "
                           "or FLASHPOINT_ACLED_USERNAME and FLASHPOINT_ACLED_PASSWORD.")
    if until < since:
        raise InvalidInput(f"--until {until} is before --since {since}.")
    folder.mkdir(parents=True, exist_ok=True)
    base = base_url.rstrip("/")
    pages = []
    with httpx.Client(timeout=120.0, follow_redirects=True) as client:
        token = _token(client, base, username, password)
        page = 1
        while True:
            params = {"_format": "json", "country": country, "event_date": f"{since}|{until}",
                      "event_date_where": "BETWEEN", "limit": page_size, "page": page}
            body = _get(client, f"{base}/{READ_PATH}", params, token, retries=retries, sleep=sleep)
            rows = body.get("data", [])
            if not isinstance(rows, list):
                raise InvalidInput(f"ACLED answered page {page} without a data list: {str(body)[:200]}")
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
