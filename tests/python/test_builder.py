"""``serve --build-every`` on its first start: it builds only when something new has landed.

Real landing (``landing.land`` writes the load log) and the builder's own check; no build runs
here, so a wrong answer would show as a build started (``tick`` returning True).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from cxbench import landing
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
