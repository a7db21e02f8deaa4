"""The target store under the real server: ``cxbench serve --workers 2`` (two uvicorn worker
processes on 127.0.0.1) with two writers at once loses nothing, and a write answered 2xx
survives ``kill -9`` of every server process. One server per test module, plus its restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from cxbench.build import BuildRecord
from cxbench.keys import create_key
from cxbench.settings import Settings
from tests.python.api.fixtures import auth

CLIENT = "c001"
TOUCHPOINTS = ("*", "delivery", "onboarding", "billing", "customer_service")
ROUNDS = 8  # per target: one create, then changes with If-Match


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    env: dict[str, str]
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        cli = Path(sys.executable).parent / "cxbench"
        self.process = subprocess.Popen(
            [str(cli), "serve", "--port", str(self.port), "--workers", "2"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: the supervisor and its workers
        )
        with httpx.Client(base_url=self.url, trust_env=False) as http:
            for _ in range(200):  # at most ~40 s
                try:
                    if http.get("/health").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
        raise AssertionError("cxbench serve did not come up")

    def kill_hard(self) -> None:
        """SIGKILL to the server's whole process group: no shutdown, no flush."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=20)


@pytest.fixture(scope="module")
def server(
    built: tuple[Settings, BuildRecord], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    settings = built[0]
    root = tmp_path_factory.mktemp("targets-server")
    # A warehouse of our own sharing the built snapshot: keys and targets stay in this module.
    warehouse = root / "warehouse"
    warehouse.mkdir()
    (warehouse / "published").symlink_to(settings.published)
    env = {
        **os.environ,
        "CXB_HOME": str(root),
        "CXB_WAREHOUSE_DIR": str(warehouse),
        "CXB_LANDING_DIR": str(root / "landing"),
    }
    env.pop("CXB_TARGETS_URL", None)
    running = Server(env, _free_port())
    running.start()
    try:
        yield running
    finally:
        running.stop()


def _key(server: Server, role: str, *clients: str) -> dict[str, str]:
    return auth(create_key(Path(server.env["CXB_WAREHOUSE_DIR"]) / "api_keys.json", role, clients))


def _baseline(server: Server, key: dict[str, str]) -> str:
    with httpx.Client(base_url=server.url, trust_env=False) as http:
        quarters: list[str] = http.get("/v1/meta", headers=key).json()["periods"]["quarter"]
    return quarters[-2]


def test_two_writers_on_two_workers_lose_nothing(server: Server) -> None:
    writers = {"nps": _key(server, "consultant", CLIENT), "csat": _key(server, "admin")}
    baseline = _baseline(server, writers["nps"])
    failures: list[str] = []
    start = threading.Barrier(len(writers))

    def write(metric: str, key: dict[str, str]) -> None:
        # No keep-alive: every request a new connection, so both workers take writes.
        limits = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(base_url=server.url, trust_env=False, limits=limits, timeout=30) as http:
            start.wait(timeout=30)
            etags: dict[str, str] = {}
            for round_ in range(ROUNDS):
                for touchpoint in TOUCHPOINTS:
                    headers = dict(key)
                    if touchpoint in etags:
                        headers["If-Match"] = etags[touchpoint]
                    answer = http.put(
                        f"/v1/clients/{CLIENT}/targets/{touchpoint}/{metric}",
                        json={
                            "target_value": 50 + round_,
                            "due_period": "2030-Q4",
                            "baseline_period": baseline,
                        },
                        headers=headers,
                    )
                    if answer.status_code not in (200, 201):
                        failures.append(
                            f"{metric} {touchpoint}: {answer.status_code} {answer.text}"
                        )
                        return
                    etags[touchpoint] = answer.headers["etag"]

    threads = [threading.Thread(target=write, args=item) for item in writers.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []

    reader = _key(server, "client", CLIENT)
    with httpx.Client(base_url=server.url, trust_env=False) as http:
        agreed = http.get(f"/v1/clients/{CLIENT}/targets/agreed", headers=reader).json()["items"]
        history = http.get(f"/v1/clients/{CLIENT}/targets/history", headers=reader).json()["items"]
    assert len(agreed) == 2 * len(TOUCHPOINTS)
    assert {(t["version"], t["target_value"]) for t in agreed} == {(ROUNDS, 50 + ROUNDS - 1)}
    assert len(history) == 2 * len(TOUCHPOINTS) * ROUNDS
    for metric in writers:
        for touchpoint in TOUCHPOINTS:
            versions = [
                e["version"]
                for e in history
                if (e["metric"], e["touchpoint"]) == (metric, touchpoint)
            ]
            assert versions == list(range(1, ROUNDS + 1)), (metric, touchpoint)


def test_a_write_answered_2xx_survives_kill_9(server: Server) -> None:
    key = _key(server, "admin")
    path = f"/v1/clients/{CLIENT}/targets/*/ces"
    with httpx.Client(base_url=server.url, trust_env=False) as http:
        answer = http.put(
            path,
            json={
                "target_value": 5.5,
                "due_period": "2030-Q4",
                "baseline_period": _baseline(server, key),
            },
            headers=key,
        )
    assert answer.status_code == 201
    server.kill_hard()  # at once: no graceful shutdown, no checkpoint
    assert Path(server.env["CXB_WAREHOUSE_DIR"], "targets.sqlite3").exists()
    server.start()
    with httpx.Client(base_url=server.url, trust_env=False) as http:
        again = http.get(path, headers=key)
        history = http.get(
            f"/v1/clients/{CLIENT}/targets/history", params={"metric": "ces"}, headers=key
        ).json()["items"]
    assert again.status_code == 200 and again.headers["etag"] == answer.headers["etag"]
    assert again.json()["target_value"] == 5.5
    assert [e["action"] for e in history] == ["created"]
