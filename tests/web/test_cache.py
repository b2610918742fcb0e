"""The API's answer cache: kept until the store changes, never a stale answer."""

from __future__ import annotations

import asyncio

from flashpoint.api.cache import AnswerCache


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
