"""Shared fixtures: a fresh store per test, the shared real data, small GDELT files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flashpoint.config import Settings

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    return Path(os.environ.get("FLASHPOINT_SHARED_DATA", REPO.parent / "shared" / "data"))


def kill_at(command: list[str], env: dict[str, str], phase: str) -> None:
    """Run ``command`` (verbose, logging to stderr) and kill -9 it as soon as a log line holds
    ``phase``; fails when it ends before."""
    import signal
    import subprocess

    with subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True) as proc:
        assert proc.stderr is not None
        for line in proc.stderr:
            if phase in line:
                proc.kill()
                break
        assert proc.wait() == -signal.SIGKILL, f"{command[3:]} ended before '{phase}'"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared real datasets; skipped when absent on a user's machine, a failure under CI."""
    path = shared_data_dir()
    if not path.is_dir():
        message = f"shared data not found at {path} (set FLASHPOINT_SHARED_DATA)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + ": CI must exercise the shared-data tests")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def spark_available() -> None:
    """PySpark and Java are here; skipped when not on a user's machine, a failure under CI."""
    import importlib.util
    import shutil

    missing = (
        "pyspark is not installed: pip install -e '.[test]'"
        if importlib.util.find_spec("pyspark") is None
        else "Spark needs Java 17 (java on the PATH)"
        if shutil.which("java") is None and not os.environ.get("JAVA_HOME")
        else None
    )
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(missing + ": CI must run the Spark tests")
        pytest.skip(missing)


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """A store built by ``flashpoint demo`` from the bundled real GDELT slice (read it, don't write)."""
    from typer.testing import CliRunner

    from flashpoint.cli import app

    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    result = CliRunner().invoke(app, ["demo", "--out", str(db)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "105,438" in result.output and "GEO-RUS" in result.output
    return db


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a fresh store file in a temporary folder."""
    return Settings(db=tmp_path / "store.duckdb", memory_limit="2GB", threads=2)


@pytest.fixture(scope="session")
def gdelt1_lines() -> list[str]:
    """Ten real GDELT 1.0 daily rows (58 tab-separated columns), shipped in tests/data."""
    return (REPO / "tests" / "data" / "gdelt1_daily_20160728_head.tsv").read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="session")
def gdelt2_lines() -> list[str]:
    """Ten real GDELT 2.0 export rows (61 tab-separated columns), shipped in tests/data."""
    return (REPO / "tests" / "data" / "gdelt2_export_20170701234500_head.tsv").read_text(encoding="utf-8").splitlines()


class FeedServer:
    """A local HTTP server standing in for a remote feed: serves ``files`` (path → bytes) with
    range requests, and cuts the connection half-way through the first request of any path in
    ``cut_once`` (an interrupted download). ``routes`` (path → function of method, query,
    headers and body, returning status, headers and body) answer like an API."""

    def __init__(self) -> None:
        import http.server
        import threading

        self.files: dict[str, bytes] = {}
        self.routes: dict[str, object] = {}
        self.cut_once: set[str] = set()
        self.requests: list[tuple[str, str | None]] = []
        feed = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _route(self, method: str) -> bool:
                import urllib.parse

                path, _, query = self.path.partition("?")
                if path not in feed.routes:
                    return False
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, headers, payload = feed.routes[path](
                    method, dict(urllib.parse.parse_qsl(query)), dict(self.headers), body
                )
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(payload))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
                return True

            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                if not self._route("POST"):
                    self.send_error(404)

            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                if self._route("GET"):
                    return
                path = self.path.split("?", 1)[0]
                ranged = self.headers.get("Range")
                feed.requests.append((path, ranged))
                body = feed.files.get(path)
                if body is None:
                    self.send_error(404)
                    return
                first, _, last = ranged.split("=", 1)[1].partition("-") if ranged else ("0", "", "")
                start = max(len(body) - int(last), 0) if not first else int(first)  # "bytes=-N": the last N
                if start >= len(body):
                    self.send_response(416)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206 if ranged else 200)
                if ranged:
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                if path in feed.cut_once:
                    feed.cut_once.discard(path)
                    self.wfile.write(body[start : start + (len(body) - start) // 2])
                    self.wfile.flush()
                    self.connection.close()
                    return
                self.wfile.write(body[start:])

            def log_message(self, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def feed_server():
    """A local HTTP server for fetch tests (never the internet)."""
    server = FeedServer()
    yield server
    server.close()
