"""Delivering alerts: to the terminal (a callback), a JSON-lines file and an HTTP webhook.

Each delivery is recorded in ``alert_deliveries`` (alert, sink, level), so a restarted watch
delivers what it had not and repeats nothing; an alert upgraded to a higher level is
delivered again, once. A webhook POST is retried with exponential back-off; an alert it
still refuses stays undelivered to that sink and is tried again in the next cycle.

A process killed between sending an alert and recording it sends that alert again when it
restarts: the JSON-lines file does not take it twice (it is then the file's last line), and
each webhook POST carries ``Idempotency-Key: <alert_id>:<level>``, the same for a repeat, so
that the receiver can drop it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import httpx
import pandas as pd

from flashpoint.config import Settings
from flashpoint.escalation.alerts import ALERT_HISTORY_SQL, decoded

log = logging.getLogger(__name__)

#: Seconds before the first webhook retry; each retry doubles it.
BACKOFF_SECONDS = 0.5


def alert_payload(row: dict) -> dict:
    """An alert as the JSON object every sink receives."""
    record = decoded(row)
    payload = {
        k: record.get(k)
        for k in (
            "alert_id",
            "basis",
            "freq",
            "pair",
            "level",
            "stage",
            "previous_stage",
            "escalation_index",
            "probability",
            "base_rate",
            "why",
            "raised_by",
            "previous_alert_id",
            "contributions",
            "evidence",
        )
    }
    payload.update(period=str(row["period"])[:10], as_of=str(row["as_of"])[:10], triggers=list(row["triggers"]))
    return {k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in payload.items()}


def _pending(con: duckdb.DuckDBPyConnection, sink: str) -> list[dict]:
    frame = con.execute(
        f"SELECT * FROM ({ALERT_HISTORY_SQL}) a WHERE a.raised_by = 'watch' AND NOT EXISTS (SELECT 1 FROM alert_deliveries d "
        "WHERE d.alert_id = a.alert_id AND d.sink = ? AND d.level_rank >= a.level_rank) ORDER BY a.raised_at, a.alert_id",
        [sink],
    ).df()
    frame["previous_alert_id"] = frame["previous_alert_id"].astype(object).where(frame["previous_alert_id"].notna(), None)
    return frame.to_dict("records")


def _key(payload: dict) -> str:
    """What identifies one delivery of an alert: the alert and its level."""
    return f"{payload['alert_id']}:{payload['level']}"


def _tail(path: Path) -> tuple[bytes, bool]:
    """The last line of a file (empty when there is none), read from its end, and whether a
    line break ends the file."""
    if not path.exists() or not path.stat().st_size:
        return b"", True
    with open(path, "rb") as fh:
        end = fh.seek(0, 2)
        fh.seek(max(end - (1 << 20), 0))
        tail = fh.read()
    return tail.rstrip(b"\n").rsplit(b"\n", 1)[-1], tail.endswith(b"\n")


def _post(client: httpx.Client, url: str, payload: dict, attempts: int) -> bool:
    for attempt in range(attempts):
        try:
            response = client.post(url, json=payload, headers={"Idempotency-Key": _key(payload)})
            if response.status_code < 300:
                return True
            log.warning("webhook %s answered %d for alert %s", url, response.status_code, payload["alert_id"])
        except httpx.HTTPError as exc:
            log.warning("webhook %s failed for alert %s: %s", url, payload["alert_id"], exc)
        if attempt + 1 < attempts:
            time.sleep(BACKOFF_SECONDS * 2**attempt)
    return False


def deliver_alerts(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    /,
    *,
    on_alert: Callable[[dict], None] | None = None,
    client: httpx.Client | None = None,
) -> int:
    """Deliver the watch's undelivered alerts to every configured sink; returns deliveries made."""
    sinks: dict[str, Callable[[dict], bool]] = {}
    if on_alert is not None:

        def show(payload: dict) -> bool:
            on_alert(payload)
            return True

        sinks["terminal"] = show
    if settings.alerts_jsonl is not None:
        path = Path(settings.alerts_jsonl)

        fresh = [True]  # the file's end is read once per run: later alerts follow this run's own lines

        def append(payload: dict) -> bool:
            path.parent.mkdir(parents=True, exist_ok=True)
            start = ""
            if fresh[0]:
                fresh[0] = False
                last, ended = _tail(path)
                start = "" if ended else "\n"  # a line a kill cut mid-write: ours starts on a line of its own
                try:
                    previous = json.loads(last or b"{}") if ended else {}
                except ValueError:
                    previous = {}
                if isinstance(previous, dict) and previous.get("alert_id") and _key(previous) == _key(payload):
                    return True  # written before a kill stopped its recording
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(start + json.dumps(payload) + "\n")
            return True

        sinks["jsonl"] = append
    own = client is None and settings.webhook_url is not None
    if settings.webhook_url is not None:
        client = client or httpx.Client(timeout=10.0)
        sinks["webhook"] = lambda payload: _post(client, settings.webhook_url, payload, settings.webhook_retries)
    delivered = 0
    try:
        for sink, send in sinks.items():
            for row in _pending(con, sink):
                if not send(alert_payload(row)):
                    break  # keep the order: later alerts wait for this one
                con.execute(
                    "INSERT INTO alert_deliveries VALUES (?, ?, ?, localtimestamp)",
                    [row["alert_id"], sink, int(row["level_rank"])],
                )
                delivered += 1
    finally:
        if own:
            client.close()
    return delivered
