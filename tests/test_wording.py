from __future__ import annotations

from flashpoint.wording import quantity


def test_a_count_is_written_with_its_noun_plural_unless_one() -> None:
    assert [quantity(n, "incident") for n in (0, 1, 2, 1204)] == [
        "0 incidents", "1 incident", "2 incidents", "1,204 incidents"]
