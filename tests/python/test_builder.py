"""``serve --build-every`` on its first start: it builds only when something new has landed.

Real landing (``landing.land`` writes the load log) and the builder's own check; no build runs
here, so a wrong answer would show as a build started (``tick`` returning True).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from cxbench import ingest, landing
from cxbench.build import LAST_BUILD
from cxbench.builder import BackgroundBuilder, already_built, read_state
from tests.python.helpers import make_settings

HEADER = "client_id,response_id,responded_at,touchpoint,question,answer\n"


def test_a_first_start_does_not_rebuild_what_is_already_built(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    delivery = settings.landing / "c001" / "a.csv"
    delivery.parent.mkdir(parents=True)
    delivery.write_text(HEADER + "c001,r1,2026-11-20,Store visit,K1,9\n")
    old = delivery.stat().st_mtime - 60
    os.utime(delivery, (old, old))
    landing.land(settings.landing, settings.landed)
    assert not already_built(settings)  # no published build yet
    last = settings.warehouse / LAST_BUILD
    last.write_text(json.dumps({"build_id": "b1", "status": "failed"}))
    assert not already_built(settings)  # the last build failed: a first start retries it
    last.write_text(json.dumps({"build_id": "b1", "status": "published"}))
    assert already_built(settings)

    assert BackgroundBuilder(settings, 1).tick() is False
    assert (read_state(settings) or {}).get("already_built") is True

    other = settings.landing / "c001" / "b.csv"
    other.write_text(HEADER + "c001,r2,2026-11-21,Store visit,K1,7\n")
    assert not already_built(settings)  # a file the load log does not hold
    other.unlink()
    delivery.write_text(HEADER + "c001,r1,2026-11-20,Store visit,K1,8\n")
    assert not already_built(settings)  # rewritten after it was landed


class _IdleWorker:
    """Stands in for the build worker process: this test times checks, not builds."""

    def start(self) -> bool:
        return True

    def close(self) -> None:
        return None


def test_a_post_starts_the_next_check_at_once(tmp_path: Path) -> None:
    """`--build-every 3600`: a post stored in this process wakes the builder, which checks
    (and so builds) at once rather than an hour later."""
    settings = make_settings(tmp_path)
    builder = BackgroundBuilder(settings, 3600)
    checks: list[float] = []
    builder.worker = _IdleWorker()  # type: ignore[assignment]
    builder.tick = lambda: checks.append(time.monotonic()) is None  # type: ignore[method-assign]
    builder.start()
    try:
        deadline = time.monotonic() + 30
        while not checks and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(checks) == 1
        row = {
            "client_id": "c001",
            "response_id": "r1",
            "responded_at": "2026-11-20T12:00:00Z",
            "touchpoint": "Store visit",
            "question": "K1",
            "answer": "9",
        }
        ingest.store_delivery(settings, "c001", [row], None)
        while len(checks) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(checks) == 2, "the post did not wake the builder"
    finally:
        builder.stop()
        builder._thread.join(timeout=30)
    assert not builder._thread.is_alive()
