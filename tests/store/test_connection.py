"""The store connection: transactions, and a store another process holds."""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from flashpoint.config import Settings
from flashpoint.errors import StoreError
from flashpoint.store.connection import open_store, transaction


@pytest.mark.parametrize("failure", [ValueError("a bug"), KeyboardInterrupt()])
def test_a_transaction_that_fails_or_is_interrupted_leaves_nothing(failure: BaseException) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (x INTEGER)")
    with transaction(con):
        con.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(type(failure)):
        with transaction(con):
            con.execute("INSERT INTO t VALUES (2)")
            raise failure
    assert con.execute("SELECT x FROM t").fetchall() == [(1,)]
    with transaction(con):  # the connection is usable again
        con.execute("INSERT INTO t VALUES (3)")
    assert con.execute("SELECT x FROM t ORDER BY x").fetchall() == [(1,), (3,)]


def test_a_store_another_process_holds_is_refused_naming_the_process(settings: Settings) -> None:
    with open_store(settings):
        pass  # the store exists
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('open', flush=True); sys.stdin.read()",
            str(settings.db),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(StoreError, match=rf"open in another process \(PID {holder.pid}\).*'flashpoint serve'"):
            with open_store(settings, read_only=True):
                pass
    finally:
        holder.communicate("", timeout=60)


def _limit_file_size(limit: int):  # noqa: ANN202 - a preexec_fn
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_store_that_cannot_be_written_during_deduplication_says_so_and_a_rerun_settles_it(
    tmp_path: Path, shared_data: Path
) -> None:
    db = tmp_path / "store.duckdb"
    flashpoint = [sys.executable, "-m", "flashpoint", "--db", str(db)]
    subprocess.run(
        [*flashpoint, "ingest", "gdelt", str(shared_data / "gdelt1_georgia_2011_2013" / "aug2012.csv")],
        check=True,
        capture_output=True,
    )
    with duckdb.connect(str(db)) as con:
        expected = con.execute("SELECT count(DISTINCT cluster_id) FROM events").fetchone()[0]
        con.execute("UPDATE events SET cluster_id = NULL, cluster_size = NULL")
    full = subprocess.run([*flashpoint, "dedup"], preexec_fn=_limit_file_size(10_000), capture_output=True, text=True)
    assert full.returncode == 1, full.stderr
    assert "could not be written" in full.stderr and "File too large" in full.stderr
    assert "Traceback" not in full.stderr and "cannot rollback" not in full.stderr
    with duckdb.connect(str(db)) as con:  # rolled back: nothing half-assigned
        assert con.execute("SELECT count(cluster_id) FROM events").fetchone()[0] == 0
    subprocess.run([*flashpoint, "dedup"], check=True, capture_output=True)
    with duckdb.connect(str(db)) as con:
        assert con.execute("SELECT count(*) - count(cluster_id), count(DISTINCT cluster_id) FROM events").fetchone() == (
            0,
            expected,
        )
