"""The alert webhook's delivery guarantees, against a real receiver on 127.0.0.1.

The live snapshot here is a ``published/<build_id>/fct_client_alerts.parquet`` written by
DuckDB with the columns the notifier reads, so no build is needed (the end-to-end path, a
planted drop built and posted by ``serve --build-every``, is in test_api_answers.py).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import duckdb

from cxbench.publish import MANIFEST, POINTER
from cxbench.settings import Settings
from cxbench.status import render_status
from cxbench.webhook import ALERTS_FILE, FIELDS, AlertNotifier
from tests.python.helpers import WebhookReceiver, make_settings

WAIT = 20.0  # seconds: a bound on every wait for the sender thread


def publish_alerts(
    settings: Settings, build_id: str, alert_ids: list[str], episode_ids: list[str] | None = None
) -> None:
    """A live snapshot whose fct_client_alerts holds one nps drop per id (each its own episode
    unless ``episode_ids`` says which episode each belongs to)."""
    folder = settings.published / build_id
    folder.mkdir(parents=True)
    rows = (
        "select alert_id, episode_id, date '2026-11-20' as episode_start, "
        "'c001' as client_id, 'sales' as touchpoint_code, "
        "'nps' as metric_code, '7_days' as alert_window, '2026-11-22…2026-11-28' as period, "
        "date '2026-11-22' as window_start, date '2026-11-28' as window_end, "
        "'previous_7_days' as comparison, 80 as n, -40.0 as value, "
        "'2026-11-15…2026-11-21' as reference_period, 30.0 as reference_value, "
        "-70.0 as change, -5.2 as change_z "
        "from (select unnest(cast(? as varchar[])) as alert_id, "
        "unnest(cast(? as varchar[])) as episode_id)"
    )
    episodes = alert_ids if episode_ids is None else episode_ids
    con = duckdb.connect()
    try:
        con.execute(
            f"copy ({rows}) to '{folder / ALERTS_FILE}' (format parquet)", [alert_ids, episodes]
        )
        written = con.execute("select * from read_parquet(?)", [str(folder / ALERTS_FILE)])
        names = [d[0] for d in written.description]
    finally:
        con.close()
    assert tuple(names) == FIELDS
    manifest = {"build_id": build_id, "published_at": "2026-12-01T00:00:00+00:00", "row_counts": {}}
    (folder / MANIFEST).write_text(json.dumps(manifest))
    (settings.published / POINTER).write_text(build_id)


def notifier(settings: Settings, url: str, requeue_after: float = 3600.0) -> AlertNotifier:
    return AlertNotifier(settings, url, attempts=2, first_delay=0.05, requeue_after=requeue_after)


def outbox(settings: Settings) -> list[Path]:
    return sorted((settings.warehouse / "ingest" / "webhook_outbox").glob("*.json"))


def test_exhausted_retries_are_queued_durably_and_arrive_once(tmp_path: Path) -> None:
    """Refused three times: the first round (two attempts) fails and is kept in the outbox; a
    restarted server waits for the delay, then after the next build tries again (refused once
    more, taken after the back-off). The alert arrives exactly once."""
    settings = make_settings(tmp_path)
    receiver = WebhookReceiver(refuse=3)
    try:
        publish_alerts(settings, "b1", ["old"])
        first = notifier(settings, receiver.url)
        first.check()  # the alerts live when the webhook is set up are history, not news
        publish_alerts(settings, "b2", ["old", "new"])
        first.check(built=True)
        first.wait(WAIT)
        assert (receiver.refused, receiver.accepted) == (2, [])
        [queued] = outbox(settings)
        delivery = json.loads(queued.read_text())
        assert delivery["failed_rounds"] == 1 and delivery["last_error"] == "HTTP 503"
        assert [a["alert_id"] for a in delivery["payload"]["alerts"]] == ["new"]
        assert (
            f"Alert webhook: 1 deliveries (1 alerts) waiting in the outbox since "
            f"{delivery['created_at']}; last error: HTTP 503"
        ) in render_status(settings)

        restarted = notifier(settings, receiver.url)  # a new process: only the files remain
        restarted.check()  # not due before the delay, and no second delivery of "new"
        restarted.wait(WAIT)
        assert receiver.refused == 2 and outbox(settings) == [queued]
        restarted.check(built=True)
        restarted.wait(WAIT)
        assert receiver.refused == 3 and len(receiver.accepted) == 1
        assert outbox(settings) == []
        assert "Alert webhook" not in render_status(settings)

        for built in (False, True, False):
            restarted.check(built=built)
            restarted.wait(WAIT)
    finally:
        receiver.close()
    [payload] = receiver.accepted
    assert [a["alert_id"] for a in payload["alerts"]] == ["new"]
    assert payload["event"] == "cxbench.alerts" and payload["build_id"] == "b2"
    assert receiver.keys == [payload["delivery_id"]]
    assert payload["alerts"][0]["window_start"] == "2026-11-22"


def test_a_queued_delivery_is_retried_after_the_delay_without_a_build(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    receiver = WebhookReceiver(refuse=2)
    try:
        publish_alerts(settings, "b1", [])
        sender = notifier(settings, receiver.url, requeue_after=0.5)
        sender.check()
        publish_alerts(settings, "b2", ["a"])
        sender.check()
        sender.wait(WAIT)
        assert receiver.accepted == [] and len(outbox(settings)) == 1
        deadline = time.monotonic() + WAIT
        while not receiver.accepted and time.monotonic() < deadline:
            sender.check()  # what the builder does every --build-every seconds
            sender.wait(WAIT)
            time.sleep(0.1)
    finally:
        receiver.close()
    assert len(receiver.accepted) == 1 and outbox(settings) == []


def test_a_delivery_written_before_a_crash_is_not_queued_twice(tmp_path: Path) -> None:
    """Killed between writing the delivery and recording its alerts as queued: the outbox
    file is the record, so the next check sends it once and queues nothing new."""
    settings = make_settings(tmp_path)
    receiver = WebhookReceiver(refuse=0)
    try:
        publish_alerts(settings, "b1", [])
        sender = notifier(settings, receiver.url)
        sender.check()
        publish_alerts(settings, "b2", ["a"])
        sent_file = sender.sent_path
        before = sent_file.read_text()
        sender._enqueue()
        sent_file.write_text(before)  # as if the process died before the record was written
        restarted = notifier(settings, receiver.url)
        restarted.check(built=True)
        restarted.wait(WAIT)
        restarted.check(built=True)
        restarted.wait(WAIT)
    finally:
        receiver.close()
    assert [[a["alert_id"] for a in p["alerts"]] for p in receiver.accepted] == [["a"]]
    assert json.loads(sent_file.read_text()) == ["a"]


def test_a_hanging_receiver_never_holds_up_the_check(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    receiver = WebhookReceiver(refuse=0, hang=1.5)
    try:
        publish_alerts(settings, "b1", [])
        sender = notifier(settings, receiver.url)
        sender.check()
        publish_alerts(settings, "b2", ["a"])
        started = time.monotonic()
        sender.check(built=True)
        sender.check(built=True)  # the sender is busy: nothing more starts, nothing waits
        assert time.monotonic() - started < 1.0
        sender.wait(WAIT)
    finally:
        receiver.close()
    assert len(receiver.accepted) == 1


def test_a_lasting_drop_is_announced_once_per_episode(tmp_path: Path) -> None:
    """A drop that lasts stays one episode while the latest day moves on, even when another
    comparison of it starts alerting; the series' next episode is announced again."""
    settings = make_settings(tmp_path)
    receiver = WebhookReceiver(refuse=0)
    try:
        publish_alerts(settings, "b1", [])
        sender = notifier(settings, receiver.url)
        sender.check()
        builds = [
            (["prev", "base"], ["e1", "e1"]),  # the day the drop is first seen
            (["prev", "base"], ["e1", "e1"]),  # the next latest day, same episode
            (["base", "cusum"], ["e1", "e1"]),  # one comparison stops, another starts
            (["base2"], ["e2"]),  # after a quiet day, a new episode
        ]
        for number, (alert_ids, episode_ids) in enumerate(builds, start=2):
            publish_alerts(settings, f"b{number}", alert_ids, episode_ids)
            sender.check(built=True)
            sender.wait(WAIT)
    finally:
        receiver.close()
    assert [[a["alert_id"] for a in p["alerts"]] for p in receiver.accepted] == [
        ["base", "prev"],
        ["base2"],
    ]
