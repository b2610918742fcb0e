"""`flashpoint fetch acled` against a local server speaking ACLED's API, with real ACLED rows."""

from __future__ import annotations

import csv
import json
import urllib.parse
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flashpoint.cli import app
from flashpoint.errors import FlashpointError

runner = CliRunner()


@pytest.mark.shared_data
def test_fetch_acled_pages_through_the_api(shared_data: Path, tmp_path: Path, feed_server) -> None:
    with open(shared_data / "acled_acledR" / "acled_old_dummy.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))  # 326 real ACLED rows, Argentina, June 2022
    issued, limited = [], []

    def token(method, query, headers, body):  # noqa: ANN001, ANN202
        form = dict(urllib.parse.parse_qsl(body.decode()))
        if method != "POST" or form.get("grant_type") != "password" or form.get("client_id") != "acled":
            return 400, {}, b"{}"
        if (form.get("username"), form.get("password")) != ("analyst@example.org", "s3cret"):
            return 401, {}, b'{"error": "invalid_grant"}'
        issued.append(form["username"])
        return 200, {"Content-Type": "application/json"}, json.dumps({"access_token": "tok-1"}).encode()

    def read(method, query, headers, body):  # noqa: ANN001, ANN202
        if headers.get("Authorization") != "Bearer tok-1":
            return 401, {}, b"{}"
        if query["page"] == "2" and not limited:
            limited.append(True)
            return 429, {"Retry-After": "0"}, b"{}"
        assert query["country"] == "Argentina" and query["event_date"] == "2022-06-01|2022-06-30"
        page, size = int(query["page"]), int(query["limit"])
        data = rows[(page - 1) * size : page * size]
        return 200, {"Content-Type": "application/json"}, json.dumps({"status": 200, "data": data}).encode()

    feed_server.routes = {"/oauth/token": token, "/api/acled/read": read}
    env = {
        "FLASHPOINT_ACLED_BASE_URL": feed_server.url,
        "FLASHPOINT_ACLED_USERNAME": "analyst@example.org",
        "FLASHPOINT_ACLED_PASSWORD": "s3cret",
        "FLASHPOINT_DOWNLOAD_DIR": str(tmp_path / "dl"),
        "COLUMNS": "200",
    }
    db = str(tmp_path / "store.duckdb")
    args = [
        "--db",
        db,
        "fetch",
        "acled",
        "--country",
        "Argentina",
        "--since",
        "2022-06-01",
        "--until",
        "2022-06-30",
        "--page-size",
        "100",
    ]
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert "4 pages saved" in result.output  # 100 + 100 + 100 + 26 rows
    assert limited == [True]  # page 2 was rate-limited once, waited out and retried
    with duckdb.connect(db, read_only=True) as con:
        stored = con.execute("SELECT count(*), count(DISTINCT event_id) FROM events WHERE source = 'acled'").fetchone()
    assert stored == (len({r["event_id_cnty"] for r in rows}),) * 2
    assert issued == ["analyst@example.org"]

    again = runner.invoke(app, args, env=env)  # the same pages again: nothing new is stored
    assert again.exit_code == 0 and "0 events stored" in again.output.replace("\n", " ")

    wrong = runner.invoke(app, args, env={**env, "FLASHPOINT_ACLED_PASSWORD": "nope"})
    assert wrong.exit_code == 1 and "refused the credentials" in str(wrong.exception)


def test_fetch_acled_needs_credentials(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["--db", str(tmp_path / "s.duckdb"), "fetch", "acled", "--country", "Chad", "--since", "2024-01-01"],
        env={"FLASHPOINT_ACLED_USERNAME": "", "FLASHPOINT_ACLED_PASSWORD": ""},
    )
    assert result.exit_code == 1 and "ACLED needs an account" in str(result.exception)


def _json_answer(body: object, status: int = 200, headers: dict | None = None):  # noqa: ANN202
    return lambda method, query, request_headers, payload: (
        status,
        {"Content-Type": "application/json", **(headers or {})},
        body if isinstance(body, bytes) else json.dumps(body).encode(),
    )


_TOKEN = _json_answer({"access_token": "tok-1"})
_PAGE = _json_answer({"data": [{"event_id_cnty": "ARG1", "country": "Argentina"}] * 2})


@pytest.mark.parametrize(
    ("token", "read", "words"),
    [
        (_json_answer({}, 500), _PAGE, "token request with HTTP 500"),
        (_json_answer({}, 404), _PAGE, "token request with HTTP 404"),
        (_json_answer(b"<html>maintenance</html>"), _PAGE, "token request with something that is not JSON"),
        (_json_answer({"token_type": "bearer"}), _PAGE, "without an access token"),
        (_TOKEN, _json_answer({}, 500), "kept answering 'HTTP 500' after 5 retries"),
        (_TOKEN, _json_answer(b"<html>"), "page 1 with something that is not JSON"),
        (_TOKEN, _json_answer([{"event_id_cnty": "ARG1"}]), "page 1 with a JSON list, not an object"),
        (_TOKEN, _json_answer({}, 429, {"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"}), "asks to wait"),
        (_TOKEN, _json_answer({}, 429, {"Retry-After": "86400"}), "asks to wait 86,400 s"),
        (_TOKEN, _PAGE, "page 2 with no event not seen on earlier pages: the server ignores paging"),
    ],
    ids=[
        "token-500",
        "token-404",
        "token-html",
        "token-missing",
        "page-500",
        "page-html",
        "page-list",
        "retry-after-date",
        "retry-after-a-day",
        "paging-ignored",
    ],
)
def test_fetch_acled_on_a_misbehaving_server_stops_with_a_clear_error(
    tmp_path: Path, feed_server, token, read, words: str, monkeypatch
) -> None:
    from flashpoint.sources import acled_fetch

    monkeypatch.setattr(acled_fetch, "MAX_WAIT_SECONDS", 60.0)
    feed_server.routes = {"/oauth/token": token, "/api/acled/read": read}
    env = {
        "FLASHPOINT_ACLED_BASE_URL": feed_server.url,
        "FLASHPOINT_ACLED_USERNAME": "analyst@example.org",
        "FLASHPOINT_ACLED_PASSWORD": "s3cret",
        "FLASHPOINT_DOWNLOAD_DIR": str(tmp_path / "dl"),
    }
    waits: list[float] = []
    monkeypatch.setattr("time.sleep", waits.append)
    result = runner.invoke(
        app,
        [
            "--db",
            str(tmp_path / "s.duckdb"),
            "fetch",
            "acled",
            "--country",
            "Argentina",
            "--since",
            "2022-06-01",
            "--until",
            "2022-06-30",
            "--page-size",
            "2",
        ],
        env=env,
    )
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, FlashpointError) and words in str(result.exception)
    assert all(wait <= 60 for wait in waits)
