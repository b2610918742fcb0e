"""The store connection: transactions, and a store another process holds."""

from __future__ import annotations

import subprocess
import sys

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
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys; con = duckdb.connect(sys.argv[1]); "
                               "print('open', flush=True); sys.stdin.read()", str(settings.db)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(StoreError, match=rf"open in another process \(PID {holder.pid}\).*'flashpoint serve'"):
            with open_store(settings, read_only=True):
                pass
    finally:
        holder.communicate("", timeout=60)
