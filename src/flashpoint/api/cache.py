"""Answers kept until the store changes: the store's version is its latest ingest (the alerts'
is their count and latest time), and the server is the store's only writer while it runs (it
holds the file), so an answer computed for a version stays right until the next change."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import duckdb


def store_version(con: duckdb.DuckDBPyConnection, /) -> int:
    """The id of the store's latest ingest (0 when empty)."""
    return int(con.sql("SELECT coalesce(max(ingest_id), 0) FROM ingests").fetchall()[0][0])


def alerts_version(con: duckdb.DuckDBPyConnection, /) -> tuple[int, object]:
    """How many alerts are stored and when the latest was raised or upgraded."""
    count, latest = con.sql("SELECT count(*), max(raised_at) FROM alerts").fetchall()[0]
    return int(count), latest


class AnswerCache:
    """A thread-safe least-recently-used map of at most ``size`` answers."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._answers: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], Any], /) -> Any:
        """The answer for ``key``, computed (outside the lock) when absent."""
        with self._lock:
            if key in self._answers:
                self._answers.move_to_end(key)
                return self._answers[key]
        answer = compute()
        with self._lock:
            self._answers[key] = answer
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)
        return answer
