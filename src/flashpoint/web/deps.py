"""What the API's and the dashboard's handlers receive: a cursor on the process's store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import duckdb
from fastapi import Depends, Request


async def cursor(request: Request) -> AsyncIterator[duckdb.DuckDBPyConnection]:
    """A cursor of the store the app opened at start-up, closed after the request (made in the
    event loop: a cursor costs less than handing the work to a worker thread)."""
    con = request.app.state.con.cursor()
    try:
        yield con
    finally:
        con.close()


#: A handler parameter typed ``Con`` gets a store cursor.
Con = Annotated[duckdb.DuckDBPyConnection, Depends(cursor)]
