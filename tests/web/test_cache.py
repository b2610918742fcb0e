"""The API's answer cache and kept responses: kept until the store changes, never a stale answer."""

from __future__ import annotations

import asyncio
import time

import httpx

from flashpoint.api.cache import AnswerCache, KeptResponses


def test_answers_are_kept_until_the_store_changes() -> None:
    cache = AnswerCache(size=2)
    assert cache.get("a", lambda: 1) == 1
    assert cache.get("a", lambda: 2) == 1
    cache.store_changed()
    assert cache.get("a", lambda: 3) == 3
    assert asyncio.run(cache.fetch("a", lambda: 4)) == 3
    cache.get("b", lambda: 5), cache.get("c", lambda: 6)  # the least recently used ('a') goes
    assert cache.get("a", lambda: 7) == 7


def test_an_answer_computed_while_the_store_changed_is_not_kept() -> None:
    cache = AnswerCache()

    def computed_during_an_ingest() -> str:
        cache.store_changed()
        return "read before the change"

    assert asyncio.run(cache.fetch("k", computed_during_an_ingest)) == "read before the change"
    assert cache.get("k", lambda: "read after") == "read after"
    assert cache.get("k", lambda: "not computed again") == "read after"


def test_requests_for_an_answer_being_computed_wait_for_that_computation() -> None:
    cache = AnswerCache()
    computed = []

    def slow() -> int:
        computed.append(1)
        return len(computed)

    async def many() -> list[int]:
        return await asyncio.gather(*(cache.fetch("k", slow) for _ in range(20)))

    assert asyncio.run(many()) == [1] * 20 and computed == [1]


def test_answers_asked_for_while_a_worker_is_busy_are_computed_together() -> None:
    cache = AnswerCache()
    calls: list[list[str]] = []

    def timelines(pairs: list[str]) -> dict[str, str]:
        calls.append(sorted(pairs))
        if "BAD" in pairs:
            raise ValueError("no such pair")
        return {pair: pair.lower() for pair in pairs}

    async def burst() -> list[object]:
        async def one(pair: str) -> object:
            try:
                return await cache.fetch_many(("ladder", pair), "ladder", pair, timelines)
            except ValueError as exc:
                return str(exc)

        return await asyncio.gather(*(one(p) for p in ["A", "B", "A", "C", "BAD", "D"]))

    answers = asyncio.run(burst())
    assert answers == ["a", "b", "a", "c", "no such pair", "d"]
    # All asked within one turn of the loop: one batch of the five items, then, as it failed,
    # each item alone (the bad one fails only its own request).
    assert calls[0] == ["A", "B", "BAD", "C", "D"] and sorted(calls[1:]) == [["A"], ["B"], ["BAD"], ["C"], ["D"]]
    calls.clear()
    assert asyncio.run(cache.fetch_many(("ladder", "C"), "ladder", "C", timelines)) == "c" and calls == []


def test_a_burst_of_missing_answers_takes_few_computations() -> None:
    cache = AnswerCache()
    calls: list[int] = []

    def timelines(pairs: list[int]) -> dict[int, int]:
        calls.append(len(pairs))
        time.sleep(0.05)  # a computation outlasts many arrivals, however fast the machine
        return {p: p * p for p in pairs}

    async def requests() -> list[int]:
        async def one(p: int) -> int:
            await asyncio.sleep(p / 1000)  # arriving one after another, a millisecond apart
            return await cache.fetch_many(("sq", p), "sq", p, timelines)

        return await asyncio.gather(*(one(p) for p in range(60)))

    assert asyncio.run(requests()) == [p * p for p in range(60)]
    assert sum(calls) == 60 and len(calls) < 60


def _responses_app(calls: list[str]):  # noqa: ANN202
    """An ASGI app answering '/a?...' with its query (an error for 'bad'), its calls noted."""

    async def app(scope, receive, send) -> None:  # noqa: ANN001
        query = scope["query_string"].decode()
        calls.append(f"{scope['path']}?{query}")
        status = 422 if query == "bad" else 200
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"answer ", "more_body": True})
        await send({"type": "http.response.body", "body": query.encode()})

    return app


def _get(app, *paths: str) -> list[tuple[int, str]]:  # noqa: ANN001
    async def run() -> list[tuple[int, str]]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            return [((r := await client.get(p)).status_code, r.text) for p in paths]

    return asyncio.run(run())


def test_kept_responses_are_sent_again_until_the_store_changes() -> None:
    answers, calls = AnswerCache(), []
    app = KeptResponses(_responses_app(calls), answers=answers, paths="/a")
    assert _get(app, "/a?x=1", "/a?x=1", "/a?x=2", "/b?x=1", "/b?x=1") == [
        (200, "answer x=1"),
        (200, "answer x=1"),
        (200, "answer x=2"),
        (200, "answer x=1"),
        (200, "answer x=1"),
    ]
    assert calls == ["/a?x=1", "/a?x=2", "/b?x=1", "/b?x=1"]  # /a?x=1 answered once; /b is not kept
    answers.store_changed()
    assert _get(app, "/a?x=1") == [(200, "answer x=1")] and calls[-1] == "/a?x=1"


def test_errors_and_responses_sent_while_the_store_changed_are_not_kept() -> None:
    answers, calls = AnswerCache(), []
    app = KeptResponses(_responses_app(calls), answers=answers, paths="/a")
    assert _get(app, "/a?bad", "/a?bad") == [(422, "answer bad")] * 2 and calls == ["/a?bad"] * 2
    inner = _responses_app(calls)

    async def during_an_ingest(scope, receive, send) -> None:  # noqa: ANN001
        answers.store_changed()
        await inner(scope, receive, send)

    app = KeptResponses(during_an_ingest, answers=answers, paths="/a")
    _get(app, "/a?y", "/a?y")
    assert calls[-2:] == ["/a?y", "/a?y"]


def test_kept_answers_are_bounded_by_bytes_and_an_answer_too_large_is_not_kept() -> None:
    cache = AnswerCache(size=1000, max_bytes=8_000)
    for i in range(20):
        cache.get(i, lambda: "x" * 900)  # 900 bytes each: 8 fit
    assert cache.kept_bytes <= 8_000
    assert cache.get(19, lambda: "computed again") == "x" * 900  # the most recent are kept
    assert cache.get(0, lambda: "computed again") == "computed again"  # the oldest went
    assert cache.get("big", lambda: "y" * 2_000) == "y" * 2_000
    assert cache.get("big", lambda: "not kept") == "not kept"  # over an eighth of the bound
    cache = AnswerCache(max_bytes=100_000)
    cache.get("rows", lambda: {"rows": ["x" * 1000] * 3})  # an answer of Python values counts its texts
    assert 3_000 < cache.kept_bytes < 3_400
    cache.store_changed()
    assert cache.kept_bytes == 0
