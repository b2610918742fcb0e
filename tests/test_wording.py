from __future__ import annotations

from flashpoint.wording import quantity, span


def test_a_count_is_written_with_its_noun_plural_unless_one() -> None:
    assert [quantity(n, "incident") for n in (0, 1, 2, 1204)] == ["0 incidents", "1 incident", "2 incidents", "1,204 incidents"]


def test_a_span_of_one_day_or_period_is_written_once() -> None:
    assert span("2013-03-01", "2013-03-31") == "2013-03-01 to 2013-03-31"
    assert span("2012-08-25", "2012-08-25") == "2012-08-25"
