"""A real Flashpoint server (uvicorn, on loopback) over a copy of the demo store."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn

from flashpoint.api.app import create_app
from flashpoint.config import Settings

TOKEN = "test-token-7f3a"
#: The tests' HTTP client: an explicit, generous timeout (a brief on a busy machine takes seconds; httpx's
#: default of 5 s failed one).
http = httpx.Client(timeout=httpx.Timeout(120.0))


def _serve(db: Path, **more: object):  # noqa: ANN202
    """Start a server over ``db`` (with ``more`` settings); yields its base URL, stops it after."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings(db=db, threads=2, api_token=TOKEN, **more)
    instance = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not instance.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.1)
    assert httpx.get(f"{url}/api/stats", timeout=30).status_code == 200
    yield url
    instance.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="session")
def server(demo_db: Path, tmp_path_factory) -> str:  # noqa: ANN001
    """A server over a copy of the demo store that no test writes to."""
    db = tmp_path_factory.mktemp("served") / "store.duckdb"
    shutil.copy(demo_db, db)
    yield from _serve(db)


@pytest.fixture
def writable_server(demo_db: Path, tmp_path: Path) -> str:
    """A server over a copy of the demo store of its own, for a test that writes; its import folder
    (``api_import_dir``) is ``tmp_path / "import"``, a copy of tests/data."""
    shutil.copy(demo_db, tmp_path / "store.duckdb")
    shutil.copytree(Path(__file__).resolve().parents[1] / "data", tmp_path / "import")  # the import folder
    yield from _serve(tmp_path / "store.duckdb", api_import_dir=tmp_path / "import")


@pytest.fixture(scope="session")
def reference_server(demo_db: Path, shared_data: Path, tmp_path_factory) -> str:  # noqa: ANN001
    """A server over a copy of the demo store whose reference_data is the shared data folder."""
    db = tmp_path_factory.mktemp("reference") / "store.duckdb"
    shutil.copy(demo_db, db)
    yield from _serve(db, reference_data=shared_data)


#: The origin ``cors_server`` allows.
ORIGIN = "http://analyst.example"


@pytest.fixture
def cors_server(demo_db: Path, tmp_path: Path) -> str:
    """A server over a copy of the demo store that allows requests from ``ORIGIN``."""
    shutil.copy(demo_db, tmp_path / "store.duckdb")
    yield from _serve(tmp_path / "store.duckdb", api_cors_origins=ORIGIN)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Close the tests' HTTP client (its connections) when the run ends."""
    http.close()
