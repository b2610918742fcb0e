"""Opening the store: a DuckDB file with the schema in place, and an Ibis view of it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import ibis

from flashpoint.config import Settings
from flashpoint.errors import StoreError
from flashpoint.store.schema import check_version, create_schema

#: The process holding a store's lock, in DuckDB's message when it cannot take the lock.
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in .* \(PID (\d+)\)")


def connect_store(settings: Settings, /, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the store file named by ``settings.db``, created if needed (a notebook
    keeps it open and closes it; a command uses :func:`open_store`).

    The connection has the settings' memory limit, spill directory and thread count.

    Raises
    ------
    StoreError
        When the file cannot be opened (locked by another process, not a DuckDB file, ...).
    """
    path = Path(settings.db)
    if read_only and not path.exists():
        raise StoreError(f"no event store at {path}. Create one with 'flashpoint ingest gdelt PATH' or 'flashpoint demo'.")
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = settings.temp_directory or path.with_name(path.name + ".tmp")
    config: dict[str, object] = {"memory_limit": settings.memory_limit, "temp_directory": str(temp)}
    if settings.threads > 0:
        config["threads"] = settings.threads
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.Error as exc:
        holder = _LOCK_HOLDER.search(str(exc))
        if holder is not None:
            raise StoreError(
                f"the event store {path} is open in another process (PID {holder.group(1)}), such as "
                "a running 'flashpoint serve' or 'flashpoint watch': stop it, or work through its "
                "HTTP API."
            ) from None
        raise StoreError(f"cannot open the event store {path}: {exc}") from None
    try:
        con.execute("SET enable_progress_bar = false")
        if read_only:
            check_version(con)
        else:
            create_schema(con)
    except BaseException:
        con.close()
        raise
    return con


@contextmanager
def open_store(settings: Settings, /, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the store named by ``settings.db``, closed when the ``with`` block ends.

    Parameters
    ----------
    settings
        Names the file and its memory limit, spill directory and threads.
    read_only
        Open for reading only: other readers may open the file meanwhile.

    Yields
    ------
    duckdb.DuckDBPyConnection
        See :func:`connect_store`.

    Raises
    ------
    StoreError
        When the file cannot be opened (locked by another process, not a DuckDB file, absent
        when read only, of another store schema).
    """
    con = connect_store(settings, read_only=read_only)
    try:
        yield con
    finally:
        con.close()


#: What DuckDB raises when the store cannot be written: a full disk, a file size limit, memory.
_WRITE_FAILURES = (duckdb.IOException, duckdb.OutOfMemoryException)
#: How DuckDB words a COMMIT that failed to write (a TransactionException): the transaction is gone.
_FAILED_COMMIT = "Failed to commit"


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection, /) -> Iterator[None]:
    """Run the block in one transaction: committed when it ends, rolled back when it fails or
    is interrupted (the error is raised again).

    Raises
    ------
    StoreError
        When the store cannot be written (a full disk, a file size limit, out of memory), with
        DuckDB's words and what to do; the block's writes are not kept.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException as exc:
        try:
            con.execute("ROLLBACK")
        except duckdb.TransactionException:
            pass  # a COMMIT that failed to write has ended the transaction already: nothing to undo
        if isinstance(exc, _WRITE_FAILURES) or (isinstance(exc, duckdb.TransactionException) and _FAILED_COMMIT in str(exc)):
            raise StoreError(
                f"the store could not be written ({exc}); this step was rolled back. Free disk space "
                "(or raise memory_limit) and run the command again: files already ingested are "
                "skipped and their events settled."
            ) from exc
        raise


def ibis_backend(con: duckdb.DuckDBPyConnection) -> ibis.BaseBackend:
    """An Ibis backend over an open store connection, for engine-portable queries."""
    return ibis.duckdb.from_connection(con)
