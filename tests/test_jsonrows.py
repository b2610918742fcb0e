"""Tables as JSON rows: dates as dates, timestamps as timestamps, gaps as null."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from flashpoint.jsonrows import json_rows


def test_dates_are_days_and_timestamps_keep_their_time() -> None:
    frame = pd.DataFrame(
        {
            "period": pd.to_datetime(["2012-08-01", None]),  # a date column as pandas holds it: midnights
            "event_date": [dt.date(2012, 8, 3), None],  # as Arrow's date32 comes out of to_pandas()
            "raised_at": pd.to_datetime(["2012-08-05 14:03:09", "2012-08-06 00:00:00"]),
            "pair": ["GEO-RUS", None],
            "value": [1.5, float("nan")],
        }
    )
    assert json_rows(frame) == [
        {
            "period": "2012-08-01",
            "event_date": "2012-08-03",
            "raised_at": "2012-08-05T14:03:09.000",
            "pair": "GEO-RUS",
            "value": 1.5,
        },
        {"period": None, "event_date": None, "raised_at": "2012-08-06T00:00:00.000", "pair": None, "value": None},
    ]
