"""The store connection's transactions."""

from __future__ import annotations

import duckdb
import pytest

from flashpoint.store.connection import transaction


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
