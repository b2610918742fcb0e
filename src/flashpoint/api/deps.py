"""What the API's and the dashboard's handlers receive: a cursor on the process's store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import duckdb
from fastapi import Depends, Request


def cursor(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor of the store the app opened at start-up, closed after the request."""
    con = request.app.state.con.cursor()
    try:
        yield con
    finally:
        con.close()


#: A handler parameter typed ``Con`` gets a store cursor.
Con = Annotated[duckdb.DuckDBPyConnection, Depends(cursor)]
