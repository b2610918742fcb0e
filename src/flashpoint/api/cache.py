"""Answers kept until the store changes.

The server is the store's only writer while it runs (DuckDB locks the file for its process),
and its write requests are its only changes: each one clears the answers it keeps, so an
answer stays right until then, and no request reads the store to learn whether it changed.
The most asked answers are also kept as the HTTP responses that carried them
(:class:`KeptResponses`), and sent again without the framework's routing and validation.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Bytes the kept answers of one server may take, by default.
KEPT_BYTES = 256 << 20


def answer_bytes(answer: Any, /) -> int:
    """About how many bytes an answer takes: its text, and the texts inside its containers (a
    kept response: its body), with a little for each container and other value."""
    if isinstance(answer, (str, bytes)):
        return len(answer)
    if isinstance(answer, dict):
        return 64 + sum(answer_bytes(key) + answer_bytes(value) for key, value in answer.items())
    if isinstance(answer, (list, tuple)):
        return 64 + sum(answer_bytes(value) for value in answer)
    return 16


class AnswerCache:
    """A thread-safe least-recently-used map of at most ``size`` answers taking at most
    ``max_bytes`` (:func:`answer_bytes`), cleared when the store changes. An answer larger than
    an eighth of ``max_bytes`` is returned but not kept: one would push out many."""

    def __init__(self, size: int = 2048, *, max_bytes: int = KEPT_BYTES) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self.kept_bytes = 0
        self._sizes: dict[Hashable, int] = {}
        self._answers: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = 0  # how many times the store changed
        self._pending: dict[Hashable, asyncio.Future] = {}  # answers being computed
        self._waiting: dict[Hashable, dict[Hashable, asyncio.Future]] = {}  # per group, items not started yet
        self._computing: asyncio.Semaphore | None = None  # made in the server's event loop

    def get(self, key: Hashable, compute: Callable[[], Any], /) -> Any:
        """The answer for ``key``, computed (outside the lock) when absent."""
        found, generation = self._find(key)
        return self._keep(key, compute(), generation) if found is _MISSING else found

    async def fetch(self, key: Hashable, compute: Callable[[], Any], /) -> Any:
        """As :meth:`get` from an async handler (all on the server's one event loop): a kept
        answer is returned at once, without a worker thread; a missing one is computed in a
        worker thread while the server goes on, once however many requests ask for it meanwhile."""
        return await self.fetch_many(key, key, key, lambda _: {key: compute()})

    async def fetch_many(
        self, key: Hashable, group: Hashable, item: Hashable, compute: Callable[[list[Hashable]], dict[Hashable, Any]], /
    ) -> Any:
        """As :meth:`fetch`, for answers that are cheaper computed together: the missing items
        of one ``group`` (the same question of other pairs) that wait for a worker are computed
        in one call of ``compute`` (items → their answers). The first request of a burst is
        computed at once, and the ones arriving meanwhile together after it. When that call
        fails, each item is computed alone, so a bad item fails only its own requests."""
        found, generation = self._find(key)
        if found is not _MISSING:
            return found
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = asyncio.get_running_loop().create_future()
            pending.add_done_callback(lambda _: self._pending.pop(key, None))
            waiting = self._waiting.setdefault(group, {})
            waiting[item] = pending
            if len(waiting) == 1:  # the group's first waiter starts its batch
                asyncio.ensure_future(self._compute_many(group, compute))
        return self._keep(key, await pending, generation)

    async def _compute_many(self, group: Hashable, compute: Callable[[list[Hashable]], dict[Hashable, Any]]) -> None:
        async with self._workers():
            waiting = self._waiting.pop(group)  # every item that arrived while no worker was free
            try:
                answers = await run_in_threadpool(compute, list(waiting))
                results = {item: (answers[item], None) for item in waiting}
            except Exception as exc:  # noqa: BLE001 - each item again alone: one bad item fails only its own requests
                results = {item: (None, exc) for item in waiting}
                for item in waiting if len(waiting) > 1 else ():
                    try:
                        results[item] = ((await run_in_threadpool(compute, [item]))[item], None)
                    except Exception as alone:  # noqa: BLE001 - handed to the requests that asked
                        results[item] = (None, alone)
        for item, future in waiting.items():
            answer, error = results[item]
            if future.done():  # its requests went away
                continue
            if error is None:
                future.set_result(answer)
            else:
                future.set_exception(error)

    def _workers(self) -> asyncio.Semaphore:
        """One slot per core for the computations (made in the server's event loop): more would
        share the cores and the interpreter, and all finish late, while the kept answers wait
        behind them."""
        if self._computing is None:
            self._computing = asyncio.Semaphore(os.cpu_count() or 1)
        return self._computing

    def store_changed(self) -> None:
        """Forget every answer; one being computed meanwhile is returned but not kept."""
        with self._lock:
            self._answers.clear()
            self._sizes.clear()
            self.kept_bytes = 0
            self._generation += 1

    def _find(self, key: Hashable) -> tuple[Any, int]:
        with self._lock:
            if key not in self._answers:
                return _MISSING, self._generation
            self._answers.move_to_end(key)
            return self._answers[key], self._generation

    def _keep(self, key: Hashable, answer: Any, generation: int) -> Any:
        size = answer_bytes(answer)
        if size > self.max_bytes // 8:
            return answer
        with self._lock:
            if generation == self._generation:
                self.kept_bytes += size - self._sizes.get(key, 0)
                self._answers[key], self._sizes[key] = answer, size
                self._answers.move_to_end(key)
                while len(self._answers) > self.size or self.kept_bytes > self.max_bytes:
                    old, _ = self._answers.popitem(last=False)
                    self.kept_bytes -= self._sizes.pop(old)
        return answer


_MISSING = object()


class KeptResponses:
    """ASGI middleware: the successful responses to GET requests for ``paths`` (a pattern of the
    whole path) kept in ``answers`` by path and query string, and sent again as they were while
    the store has not changed.

    FastAPI's routing, parameter validation and response building cost about 0.2 ms a request,
    five times what uvicorn takes to send a kept answer: on two cores, under 50 clients, kept
    answers queued behind one another. A request whose query is written differently (another
    order) goes through FastAPI, which validates it; an error is never kept. Put it inside any
    middleware that adds headers per request (CORS).
    """

    def __init__(self, app: ASGIApp, *, answers: AnswerCache, paths: str) -> None:
        self.app = app
        self.answers = answers
        self.paths = re.compile(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not self.paths.fullmatch(scope["path"]):
            await self.app(scope, receive, send)
            return
        key = ("response", scope["path"], scope["query_string"])
        kept, generation = self.answers._find(key)
        if kept is not _MISSING:
            for message in kept:
                await send(_copy(message))  # the middleware around adds its headers to the message
            return
        sent: list[Message] = []

        async def send_and_note(message: Message) -> None:
            sent.append(_copy(message))
            await send(message)

        await self.app(scope, receive, send_and_note)
        start, *body = sent
        if (
            start["type"] == "http.response.start"
            and start["status"] == 200
            and body
            and all(m["type"] == "http.response.body" for m in body)
            and not body[-1].get("more_body")
        ):
            self.answers._keep(
                key, (start, {"type": "http.response.body", "body": b"".join(m.get("body", b"") for m in body)}), generation
            )


def _copy(message: Message) -> Message:
    """An ASGI message with a list of headers of its own."""
    return {**message, "headers": list(message["headers"])} if "headers" in message else dict(message)
