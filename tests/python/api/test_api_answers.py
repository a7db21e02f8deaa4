"""POST /v1/clients/{client_id}/answers on a real uvicorn over a copy of the shared small demo.

One real build in the module: answers posted (one post answered and the server killed at once
with SIGKILL), then a server restarted with ``--build-every`` builds them in the background and
they appear in the client's scorecard, each counted once.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from cxbench.build import BuildRecord
from cxbench.keys import create_key
from cxbench.settings import PROJECT_DIR, Settings
from tests.python.helpers import WebhookReceiver, make_settings

CLIENT = "c001"  # its label "Store visit" maps to the sales touchpoint; K1 is its NPS question
OTHER = "c002"
HEADER = "client_id,response_id,responded_at,touchpoint,question,answer\n"
MAX_BYTES = 50_000
BUILD_TIMEOUT = 420
SERVER_START_TIMEOUT = 180  # seconds; a server starts in ~3 s, but the test machine is shared


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass
class Served:
    settings: Settings
    env: dict[str, str]
    port: int
    keys: dict[str, str]
    server: subprocess.Popen[bytes]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def post(
        self,
        key: str,
        body: str,
        content_type: str = "text/csv",
        client: str = CLIENT,
        **headers: str,
    ) -> httpx.Response:
        return httpx.post(
            self.url(f"/v1/clients/{client}/answers"),
            content=body.encode(),
            headers={"Authorization": f"Bearer {key}", "Content-Type": content_type, **headers},
            timeout=30,
        )

    def get(self, key: str, path: str) -> httpx.Response:
        return httpx.get(self.url(path), headers={"Authorization": f"Bearer {key}"}, timeout=30)

    def start(self, *extra: str) -> None:
        self.port = free_port()
        self.server = subprocess.Popen(
            [sys.executable, "-m", "cxbench.cli", "serve", "--port", str(self.port), *extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=self.env,
            cwd=PROJECT_DIR,
        )
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            try:
                httpx.get(self.url("/health"), timeout=5)
                return
            except httpx.HTTPError:
                assert self.server.poll() is None, "cxbench serve exited"
                assert time.monotonic() < deadline, "cxbench serve did not start"
                time.sleep(0.2)

    def stop(self) -> None:
        if self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait(timeout=10)


@pytest.fixture(scope="module")
def served(
    built: tuple[Settings, BuildRecord], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    source = built[0]
    root = tmp_path_factory.mktemp("answers")
    settings = make_settings(root)
    shutil.copytree(source.landing, settings.landing)
    shutil.copytree(source.warehouse, settings.warehouse, ignore=shutil.ignore_patterns("*.lock"))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "CXB_HOME": str(settings.home),
        "CXB_LANDING_DIR": str(settings.landing),
        "CXB_WAREHOUSE_DIR": str(settings.warehouse),
        "CXB_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit,
        "CXB_INGEST_MAX_BYTES": str(MAX_BYTES),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    keys = {
        "admin": create_key(settings.keys_file, "admin"),
        "ingest": create_key(settings.keys_file, "ingest", [CLIENT]),
        "client": create_key(settings.keys_file, "client", [CLIENT]),
        "consultant": create_key(settings.keys_file, "consultant", [CLIENT]),
    }
    served = Served(settings, env, 0, keys, None)  # type: ignore[arg-type]
    served.start()
    try:
        yield served
    finally:
        served.stop()


def rows_csv(month: str, prefix: str, answers: list[str], touchpoint: str = "Store visit") -> str:
    lines = [
        f"{CLIENT},{prefix}-{i},{month}-{10 + i % 15:02d}T12:00:00Z,{touchpoint},K1,{answer}\n"
        for i, answer in enumerate(answers)
    ]
    return HEADER + "".join(lines)


def nps_n(served: Served, month: str) -> int:
    """The client's NPS answers at the sales touchpoint in ``month`` (0 when none yet)."""
    query = f"/v1/clients/{CLIENT}/scorecard?metric=nps&period={month}&touchpoint=sales"
    response = served.get(served.keys["admin"], query)
    if response.status_code == 422:  # a period the live snapshot does not have yet
        return 0
    assert response.status_code == 200, response.text
    return sum(item["n"] for item in response.json()["items"] if item["unit"] is None)


def test_bad_rows_get_the_builds_reasons(served: Served) -> None:
    body = (
        HEADER
        + f"{CLIENT},api-bad-1,2026-11-12T08:00:00Z,Store visit,K1,9\n"
        + f"{CLIENT},api-bad-2,2026-11-12,Store visit,K1,11\n"
        + f"{CLIENT},api-bad-3,yesterday,Store visit,K1,5\n"
        + ",api-bad-4,2026-11-12,Store visit,K1,5\n"
        + f"{CLIENT},api-bad-5,2026-11-12,nowhere,K1,5\n"
        + f"{CLIENT},api-bad-6,2026-11-12,Store visit,K1,\n"
        + f"{CLIENT},api-bad-7,2026-11-12,Store visit,NOPE,5\n"
        + f"{CLIENT},api-bad-8,2026-11-12,Store visit,K1,7.5\n"
    )
    response = served.post(served.keys["ingest"], body)
    assert response.status_code == 202, response.text
    receipt = response.json()
    assert receipt["checked"] is True
    assert [r["reason_code"] for r in receipt["rows"]] == [
        None,
        "outside_scale",
        "timestamp_unparseable",
        "missing_client_id",
        "unknown_touchpoint",
        "answer_missing",
        "unknown_question",
        "not_a_scale_point",
    ]
    assert (receipt["rows_accepted"], receipt["rows_quarantined"]) == (1, 7)
    delivery = served.settings.landing / "api" / CLIENT / receipt["delivery"]
    lines = delivery.read_text().splitlines()
    assert len(lines) == 8 and json.loads(lines[1])["answer"] == "11"


def test_an_ingest_key_posts_for_its_client_only_and_reads_nothing(served: Served) -> None:
    ingest = served.keys["ingest"]
    body = rows_csv("2026-11", "api-scope", ["9"])
    assert served.post(ingest, body.replace(CLIENT, OTHER), client=OTHER).status_code == 403
    for path in (
        "/v1/meta",
        "/v1/benchmarks?metric=nps",
        f"/v1/clients/{CLIENT}/scorecard?metric=nps",
        f"/v1/clients/{OTHER}/scorecard?metric=nps",
        "/v1/clients",
    ):
        response = served.get(ingest, path)
        assert response.status_code == 403, (path, response.status_code)
    # A client key reads its scorecard but does not deliver; a consultant only for its clients.
    assert served.post(served.keys["client"], body).status_code == 403
    assert served.post(served.keys["consultant"], body).status_code == 202
    assert served.post(served.keys["consultant"], body, client=OTHER).status_code == 403


def test_bad_bodies_are_problems(served: Served) -> None:
    key = served.keys["ingest"]
    too_big = rows_csv("2026-11", "api-big", ["9"] * 2000)
    assert len(too_big) > MAX_BYTES
    response = served.post(key, too_big)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    chunked = httpx.post(  # no Content-Length: the limit is applied while reading
        served.url(f"/v1/clients/{CLIENT}/answers"),
        content=(line.encode() for line in too_big.splitlines(keepends=True)),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "text/csv"},
        timeout=30,
    )
    assert chunked.status_code == 413 and chunked.request.headers.get("content-length") is None
    assert served.post(key, "<xml/>", content_type="application/xml").status_code == 415
    missing = served.post(key, "client_id,response_id\nc001,r1\n")
    assert missing.status_code == 422 and "responded_at" in missing.json()["detail"]
    other = rows_csv("2026-11", "api-other", ["9"]).replace(f"\n{CLIENT},", f"\n{OTHER},")
    assert served.post(key, other).status_code == 422
    assert served.post(key, "[1, 2]", content_type="application/json").status_code == 422


def test_the_same_idempotency_key_is_stored_once(served: Served) -> None:
    rows = [
        {
            "client_id": CLIENT,
            "response_id": f"api-idem-{i}",
            "responded_at": f"2026-10-{10 + i:02d}",
            "touchpoint": "sales",
            "question": "K1",
            "answer": 10,
        }
        for i in range(3)
    ]
    body = "".join(json.dumps(r) + "\n" for r in rows)
    key = served.keys["ingest"]
    first = served.post(key, body, "application/x-ndjson", **{"Idempotency-Key": "idem-1"})
    second = served.post(key, body, "application/x-ndjson", **{"Idempotency-Key": "idem-1"})
    assert first.status_code == second.status_code == 202
    assert second.headers.get("idempotent-replayed") == "true"
    assert first.json() == second.json()
    assert first.json()["rows_accepted"] == 3
    named = list((served.settings.landing / "api" / CLIENT).glob("idem-*.jsonl"))
    assert [p.name for p in named] == [first.json()["delivery"]]
    changed = served.post(
        key,
        body.replace('"answer": 10', '"answer": 0'),
        "application/x-ndjson",
        **{"Idempotency-Key": "idem-1"},
    )
    assert changed.status_code == 409


def plant_drop_and_noise(served: Served) -> None:
    """c003 (sales): NPS 75 in 2026-10, then −75 in 2026-11 — a drop; within November, its
    latest 7 days (11-22…28: 40 × 0, NPS −100) against the 7 days before (20 × 0, 20 × 7: NPS
    −50, se 7.9, z −6.3) — a 7-day drop too. c004 (sales): the same mix of answers (NPS 30) in
    October, in 11-15…21 and in 11-22…28 — noise, not a drop, in either window."""
    admin = served.keys["admin"]
    mix = ["10"] * 20 + ["8"] * 12 + ["3"] * 8
    plants = [
        (
            "c003",
            "Sales meeting",
            "LikelihoodToRecommend",
            "2026-10",
            1,
            28,
            ["10"] * 60 + ["7"] * 20,
        ),
        (
            "c003",
            "Sales meeting",
            "LikelihoodToRecommend",
            "2026-11",
            15,
            7,
            ["0"] * 20 + ["7"] * 20,
        ),
        ("c003", "Sales meeting", "LikelihoodToRecommend", "2026-11", 22, 7, ["0"] * 40),
        ("c004", "Tarjous", "suositus", "2026-10", 1, 28, mix + mix),
        ("c004", "Tarjous", "suositus", "2026-11", 15, 7, mix),
        ("c004", "Tarjous", "suositus", "2026-11", 22, 7, mix[::-1]),
    ]
    for client, label, question, month, first_day, days, answers in plants:
        lines = [
            f"{client},plant-{month}-{first_day}-{i},{month}-{first_day + i % days:02d}T09:00:00Z,"
            f"{label},{question},{a}\n"
            for i, a in enumerate(answers)
        ]
        response = served.post(admin, HEADER + "".join(lines), client=client)
        assert response.status_code == 202
        assert response.json()["rows_accepted"] == len(answers)


def test_a_delivery_answered_then_killed_is_built_later(served: Served) -> None:
    """SIGKILL right after a 202; a server restarted with --build-every builds it (and the
    idempotent post above once) into the scorecard; the planted drop becomes an alert, served
    and posted to the webhook; the planted noise does not."""
    before_oct, before_sep = nps_n(served, "2026-10"), nps_n(served, "2026-09")
    live = httpx.get(served.url("/health"), timeout=10).json()["build_id"]
    plant_drop_and_noise(served)
    posted = rows_csv("2026-09", "api-kill", ["10", "9", "3", "8", "0"])
    response = served.post(served.keys["ingest"], posted, **{"Idempotency-Key": "kill-1"})
    assert response.status_code == 202 and response.json()["rows_accepted"] == 5
    served.server.send_signal(signal.SIGKILL)
    served.server.wait(timeout=30)

    receiver = WebhookReceiver()
    served.env["CXB_ALERT_WEBHOOK_URL"] = receiver.url
    served.start("--build-every", "1")
    deadline = time.monotonic() + BUILD_TIMEOUT
    health: dict[str, Any] = {}
    while time.monotonic() < deadline:
        try:
            health = httpx.get(served.url("/health"), timeout=30).json()
        except httpx.TimeoutException:  # a loaded machine, while the new snapshot loads
            continue
        if health["build_id"] != live:
            break
        time.sleep(1)
    assert health["build_id"] != live, f"no build published in {BUILD_TIMEOUT} s: {health}"
    assert health["last_build"]["status"] == "published"
    assert health["newest_answer_at"] is not None
    assert nps_n(served, "2026-09") == before_sep + 5
    assert nps_n(served, "2026-10") == before_oct + 3  # posted twice, counted once
    state = json.loads((served.settings.warehouse / "ingest" / "builder.json").read_text())
    assert state["status"] == "published" and state["build_id"] == health["build_id"]
    meta = served.get(served.keys["admin"], "/v1/meta").json()
    assert meta["newest_answer_at"] == health["newest_answer_at"]

    # The planted drop is an alert, against the previous month and the rolling baseline; the
    # planted noise (the same mix of answers in both months) is not.
    admin = served.keys["admin"]
    drops = served.get(admin, "/v1/clients/c003/alerts?metric=nps").json()["items"]
    found = {(a["window"], a["touchpoint"], a["comparison"], a["period"]) for a in drops}
    assert {
        ("month", "sales", "previous_month", "2026-11"),
        ("month", "sales", "rolling_baseline", "2026-11"),
        ("7_days", "sales", "previous_7_days", "2026-11-22…2026-11-28"),
        ("7_days", "sales", "rolling_baseline", "2026-11-22…2026-11-28"),
    } <= found, drops
    assert all(a["change"] < 0 for a in drops)
    # One drop is one episode: its comparisons share the episode, each keeps its own id.
    monthly = [a for a in drops if a["window"] == "month" and a["touchpoint"] == "sales"]
    assert len({a["episode_id"] for a in monthly}) == 1
    assert len({a["alert_id"] for a in monthly}) == len(monthly)
    assert all(a["episode_start"] <= a["window_start"] for a in drops)
    assert all(a["change_z"] < -3.29 for a in drops if a["comparison"] != "cusum")
    weekly = served.get(admin, "/v1/clients/c003/alerts?metric=nps&window=7_days").json()["items"]
    assert weekly and all(a["window"] == "7_days" and a["change_z"] < -3.89 for a in weekly)
    assert {(a["window_start"], a["window_end"]) for a in weekly} == {("2026-11-22", "2026-11-28")}
    previous_7 = [a for a in weekly if a["comparison"] == "previous_7_days"]
    assert {(a["n"], a["value"], a["reference_n"], a["reference_value"]) for a in previous_7} == {
        (40, -100.0, 40, -50.0)
    }
    assert served.get(admin, "/v1/clients/c004/alerts?metric=nps").json()["items"] == []
    assert served.get(admin, "/v1/clients/c004/alerts?window=week").status_code == 422
    csv_answer = httpx.get(
        served.url("/v1/clients/c003/alerts"),
        headers={"Authorization": f"Bearer {admin}", "Accept": "text/csv"},
        timeout=30,
    )
    assert csv_answer.status_code == 200 and "change_z" in csv_answer.text.splitlines()[0]
    assert served.get(served.keys["client"], "/v1/clients/c003/alerts").status_code == 403
    assert served.get(served.keys["ingest"], f"/v1/clients/{CLIENT}/alerts").status_code == 403

    # The webhook: refused once (503), retried after a back-off, then received the new alerts.
    deadline = time.monotonic() + 60
    while not receiver.accepted and time.monotonic() < deadline:
        time.sleep(0.5)
    receiver.close()
    assert receiver.refused == 1 and len(receiver.accepted) == 1, receiver.accepted
    posted_alerts = receiver.accepted[0]["alerts"]
    assert {("c003", "sales", "previous_month"), ("c003", "sales", "previous_7_days")} <= {
        (a["client_id"], a["touchpoint_code"], a["comparison"]) for a in posted_alerts
    }
    assert not [a for a in posted_alerts if a["client_id"] == "c004" and a["metric_code"] == "nps"]


def test_the_builder_does_not_build_without_new_deliveries(served: Served) -> None:
    state_file = served.settings.warehouse / "ingest" / "builder.json"
    before = state_file.read_text()
    time.sleep(3)  # three checks at --build-every 1
    assert state_file.read_text() == before


def test_the_cli_makes_ingest_keys_for_one_client(tmp_path: Path) -> None:
    from cxbench.errors import CxbenchError

    with pytest.raises(CxbenchError):
        create_key(tmp_path / "k.json", "ingest", [CLIENT, OTHER])
    with pytest.raises(CxbenchError):
        create_key(tmp_path / "k.json", "ingest", [])
    assert create_key(tmp_path / "k.json", "ingest", [CLIENT]).startswith("cxb_")


def test_health_shows_a_failed_build_while_the_live_snapshot_stays(
    built: tuple[Settings, BuildRecord], tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from cxbench.api.main import create_app

    settings = make_settings(tmp_path)
    settings.warehouse.mkdir(parents=True)
    (settings.warehouse / "published").symlink_to(built[0].published)
    failed = {
        "build_id": "20261201T000000Z-f00d00",
        "status": "failed",
        "failed_gate": "audit_marts",
    }
    (settings.warehouse / "last_build.json").write_text(json.dumps(failed))
    with TestClient(create_app(settings)) as client:
        health = client.get("/health").json()
    assert health["status"] == "ok" and health["build_id"] == built[1].build_id
    assert health["last_build"]["status"] == "failed"
    assert health["last_build"]["failed_gate"] == "audit_marts"
    assert health["newest_answer_at"] is not None and health["snapshot_age_seconds"] >= 0
