"""`dbt source freshness` on the load log: a warning when nothing has landed for two days.

One real delivery landed "three days ago" (landing's clock), then dbt's own freshness check
on the `landing.load_log` source — the same command an operator or a scheduler runs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cxbench import landing
from cxbench.dbt_runner import run_dbt
from cxbench.relations import DBT_TARGET
from tests.python.helpers import make_settings

HEADER = "client_id,response_id,responded_at,touchpoint,question,answer\n"


def test_the_load_log_is_stale_after_two_days_without_a_delivery(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    delivery = settings.landing / "c001" / "old.csv"
    delivery.parent.mkdir(parents=True)
    delivery.write_text(HEADER + "c001,r1,2026-11-20,Store visit,K1,9\n")
    landed_at = (datetime.now(UTC) - timedelta(days=3)).replace(tzinfo=None, microsecond=0)
    landing.land(settings.landing, settings.landed, now=lambda: landed_at)
    settings.warehouse.mkdir(parents=True, exist_ok=True)

    run_dbt(settings, ["source", "freshness", "--select", "source:landing.load_log"], quiet=True)

    sources = json.loads((settings.warehouse / DBT_TARGET / "sources.json").read_text())
    [result] = sources["results"]
    assert result["unique_id"] == "source.cxbench.landing.load_log"
    assert result["status"] == "warn"
    assert result["criteria"]["warn_after"] == {"count": 2, "period": "day"}
    assert datetime.fromisoformat(result["max_loaded_at"]).replace(tzinfo=None) == landed_at
    assert 3 * 86400 - 600 < result["max_loaded_at_time_ago_in_s"] < 3 * 86400 + 600
