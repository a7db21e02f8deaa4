"""The alert webhook: a JSON POST to ``CXB_ALERT_WEBHOOK_URL`` when new alerts are published.

Run by the background builder of ``cxbench serve --build-every`` after each check, whoever
published the snapshot. The alerts of the live snapshot (``fct_client_alerts.parquet``) are
compared with those already sent (``<warehouse>/ingest/alerts_sent.json``); the new ones go out
in one POST from a sender thread, so a slow or dead receiver never holds up a build. A failed
POST (no answer, or not 2xx) is retried with exponential back-off; the alerts are recorded as
sent once the receiver took them, or once every attempt failed (then the failure is reported
and they are not sent again). The first time, the alerts already live are recorded without a
POST: the webhook announces alerts that appear, not the history.

The URL is the operator's (one receiver for every client's alerts), so the payload may name
clients; it never leaves the machine unless the operator points it elsewhere.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import httpx

from cxbench.files import write_atomically
from cxbench.publish import current_build_id
from cxbench.settings import Settings

SENT_FILE = "alerts_sent.json"
ALERTS_FILE = "fct_client_alerts.parquet"
FIELDS = (
    "alert_id",
    "client_id",
    "touchpoint_code",
    "metric_code",
    "period",
    "comparison",
    "n",
    "value",
    "reference_period",
    "reference_value",
    "change",
    "change_z",
)


def live_alerts(settings: Settings) -> tuple[str | None, list[dict[str, Any]]]:
    build_id = current_build_id(settings.published)
    if build_id is None:
        return None, []
    path = settings.published / build_id / ALERTS_FILE
    if not path.exists():
        return build_id, []
    con = duckdb.connect()
    try:
        cursor = con.execute(
            f"select {', '.join(FIELDS)} from read_parquet(?) order by alert_id",  # noqa: S608 - fixed names
            [str(path)],
        )
        rows = [dict(zip(FIELDS, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()
    return build_id, rows


class AlertNotifier:
    """Finds alerts not yet sent and posts them from its own thread, with back-off."""

    def __init__(
        self,
        settings: Settings,
        url: str,
        *,
        attempts: int = 5,
        first_delay: float = 1.0,
        report: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.settings = settings
        self.url = url
        self.attempts = attempts
        self.first_delay = first_delay
        self.report = report
        self._sending: threading.Thread | None = None

    @property
    def sent_path(self) -> Path:
        return self.settings.warehouse / "ingest" / SENT_FILE

    def _sent(self) -> set[str] | None:
        try:
            return set(json.loads(self.sent_path.read_text()))
        except (FileNotFoundError, ValueError):
            return None

    def _record(self, ids: set[str]) -> None:
        self.sent_path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.sent_path, json.dumps(sorted(ids)))

    def check(self) -> None:
        """Queue a POST of the live snapshot's new alerts; never waits for the receiver."""
        if self._sending is not None and self._sending.is_alive():
            return  # the previous POST is still being retried; its alerts are not yet recorded
        build_id, alerts = live_alerts(self.settings)
        sent = self._sent()
        if sent is None:
            self._record({a["alert_id"] for a in alerts})
            return
        new = [a for a in alerts if a["alert_id"] not in sent]
        if not new:
            return
        payload = {"event": "cxbench.alerts", "build_id": build_id, "alerts": new}
        self._sending = threading.Thread(
            target=self._send, args=(payload, sent), name="cxbench-webhook", daemon=True
        )
        self._sending.start()

    def _send(self, payload: dict[str, Any], sent: set[str]) -> None:
        delay = self.first_delay
        body = json.dumps(payload, default=str)
        for attempt in range(1, self.attempts + 1):
            try:
                response = httpx.post(
                    self.url,
                    content=body,
                    headers={"Content-Type": "application/json"},
                    timeout=10,
                )
                if 200 <= response.status_code < 300:
                    break
                problem = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                problem = type(exc).__name__
            if attempt == self.attempts:
                self.report(f"alert webhook failed {attempt} times ({problem}); giving up")
                break
            time.sleep(delay)
            delay *= 2
        self._record(sent | {a["alert_id"] for a in payload["alerts"]})
