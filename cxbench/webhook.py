"""The alert webhook: a JSON POST to ``CXB_ALERT_WEBHOOK_URL`` when new alerts are published.

Run by the background builder of ``cxbench serve --build-every`` at each check, whoever
published the snapshot. The alerts of the live snapshot (``fct_client_alerts.parquet``) are
compared by **episode** with those already queued (``<warehouse>/ingest/alerts_sent.json``):
a drop that lasts keeps its ``episode_id`` from one latest day or month to the next
(fct_client_alerts), so it is announced once, when it first appears. The alerts of new
episodes become one **delivery**, a file in the outbox ``<warehouse>/ingest/webhook_outbox/``
written (fsync'd) before the alerts count as queued, so a server killed at any point loses none.

A sender thread posts the deliveries that are due, so a slow or dead receiver never holds up a
build: each POST is retried with exponential back-off (1, 2, 4 s …); when every attempt failed
the delivery stays in the outbox and is tried again after the next build, or after
``requeue_after`` seconds, also by a restarted server. A delivery leaves the outbox only once the
receiver answered 2xx. That is at-least-once: a receiver that took a POST but whose answer was
lost gets it again, with the same ``delivery_id`` (also the ``Idempotency-Key`` header) to
recognise it. The first time, the alerts already live are recorded without a POST: the
webhook announces alerts that appear, not the history.

The URL is the operator's (one receiver for every client's alerts), so the payload may name
clients; it never leaves the machine unless the operator points it elsewhere.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import httpx

from cxbench.files import TMP_PREFIX, fsync_dir, write_atomically
from cxbench.publish import current_build_id
from cxbench.settings import Settings

SENT_FILE = "alerts_sent.json"
OUTBOX = "webhook_outbox"
ALERTS_FILE = "fct_client_alerts.parquet"
EVENT = "cxbench.alerts"
FIELDS = (
    "alert_id",
    "episode_id",
    "episode_start",
    "client_id",
    "touchpoint_code",
    "metric_code",
    "alert_window",
    "period",
    "window_start",
    "window_end",
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


def episode_of(alert: dict[str, Any]) -> str:
    """What the webhook announces once: the alert's episode (a delivery queued before alerts
    had episodes carries only its alert_id)."""
    return str(alert.get("episode_id") or alert["alert_id"])


def _now() -> float:
    return time.time()


def outbox_dir(settings: Settings) -> Path:
    return settings.warehouse / "ingest" / OUTBOX


def pending_deliveries(settings: Settings) -> list[dict[str, Any]]:
    """The deliveries waiting in the outbox, oldest first (also for ``cxbench status``)."""
    folder = outbox_dir(settings)
    if not folder.is_dir():
        return []
    deliveries = []
    for path in sorted(folder.glob("*.json")):
        if path.name.startswith(TMP_PREFIX):
            continue
        try:
            delivery = json.loads(path.read_text())
        except (FileNotFoundError, ValueError):
            continue  # sent and removed meanwhile, or not ours
        if isinstance(delivery, dict) and "payload" in delivery:
            deliveries.append(delivery)
    return deliveries


class AlertNotifier:
    """Queues new alerts as durable deliveries and posts them from its own thread."""

    def __init__(
        self,
        settings: Settings,
        url: str,
        *,
        attempts: int = 4,
        first_delay: float = 1.0,
        requeue_after: float = 300.0,
        timeout: float = 10.0,
        report: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.settings = settings
        self.url = url
        self.attempts = attempts
        self.first_delay = first_delay
        self.requeue_after = requeue_after
        self.timeout = timeout
        self.report = report
        self._sending: threading.Thread | None = None

    @property
    def sent_path(self) -> Path:
        return self.settings.warehouse / "ingest" / SENT_FILE

    @property
    def outbox(self) -> Path:
        return outbox_dir(self.settings)

    def _sent(self) -> set[str] | None:
        try:
            return set(json.loads(self.sent_path.read_text()))
        except (FileNotFoundError, ValueError):
            return None

    def _record(self, ids: set[str]) -> None:
        self.sent_path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.sent_path, json.dumps(sorted(ids)))

    def pending(self) -> list[dict[str, Any]]:
        return pending_deliveries(self.settings)

    def _path(self, delivery: dict[str, Any]) -> Path:
        return self.outbox / f"{delivery['delivery_id']}.json"

    def _save(self, delivery: dict[str, Any]) -> None:
        self.outbox.mkdir(parents=True, exist_ok=True)
        write_atomically(self._path(delivery), json.dumps(delivery, default=str))

    def check(self, *, built: bool = False) -> None:
        """Queue the live snapshot's new alerts and start sending what is due; never waits for
        the receiver. ``built``: a build just ran, so deliveries that failed are tried again now
        instead of after ``requeue_after``."""
        self._enqueue()
        if self._sending is not None and self._sending.is_alive():
            return
        now = _now()
        due = [d for d in self.pending() if built or d["next_attempt_at"] <= now]
        if not due:
            return
        self._sending = threading.Thread(
            target=self._send_all, args=(due,), name="cxbench-webhook", daemon=True
        )
        self._sending.start()

    def _enqueue(self) -> None:
        build_id, alerts = live_alerts(self.settings)
        sent = self._sent()
        if sent is None:
            self._record({episode_of(a) for a in alerts})
            return
        # A delivery written just before a crash counts as queued even if the record was not
        # updated; folding it in now keeps it from being queued twice once it is sent.
        queued = sent | {episode_of(a) for d in self.pending() for a in d["payload"]["alerts"]}
        new = [a for a in alerts if episode_of(a) not in queued]
        if new:
            stamp = datetime.now(UTC)
            delivery_id = f"{stamp:%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}"
            self._save(
                {
                    "delivery_id": delivery_id,
                    "created_at": stamp.isoformat(),
                    "failed_rounds": 0,
                    "next_attempt_at": 0.0,
                    "last_error": None,
                    "payload": {
                        "event": EVENT,
                        "delivery_id": delivery_id,
                        "build_id": build_id,
                        "alerts": new,
                    },
                }
            )
        if queued | {episode_of(a) for a in new} != sent:
            self._record(queued | {episode_of(a) for a in new})

    def _send_all(self, deliveries: list[dict[str, Any]]) -> None:
        for delivery in deliveries:
            problem = self._post(delivery)
            if problem is None:
                self._path(delivery).unlink(missing_ok=True)
                fsync_dir(self.outbox)
                continue
            delivery["failed_rounds"] += 1
            delivery["last_error"] = problem
            delivery["next_attempt_at"] = _now() + self.requeue_after
            self._save(delivery)
            self.report(
                f"alert webhook: delivery {delivery['delivery_id']} failed {self.attempts} times "
                f"({problem}); kept in the outbox, tried again after the next build or in "
                f"{self.requeue_after:.0f} s"
            )

    def _post(self, delivery: dict[str, Any]) -> str | None:
        """POST with back-off; None once the receiver answered 2xx, else the last problem."""
        body = json.dumps(delivery["payload"], default=str)
        headers = {"Content-Type": "application/json", "Idempotency-Key": delivery["delivery_id"]}
        delay = self.first_delay
        problem = "not tried"
        for attempt in range(1, self.attempts + 1):
            try:
                response = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout)
                if 200 <= response.status_code < 300:
                    return None
                problem = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                problem = type(exc).__name__
            if attempt < self.attempts:
                time.sleep(delay)
                delay *= 2
        return problem

    def wait(self, timeout: float) -> None:
        """Wait (bounded) for the sender thread: for tests and a clean shutdown."""
        if self._sending is not None:
            self._sending.join(timeout)
