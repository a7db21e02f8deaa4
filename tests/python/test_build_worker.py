"""The warm build worker of ``serve --build-every`` (cxbench/build_worker.py).

A copy of the shared small demo's warehouse, real dbt, real builds. dbt in-process keeps its
parsed manifest while nothing it reads changed; a worker killed with SIGKILL at the worst moment
(the new snapshot complete, not yet live) leaves the live snapshot as it was, and the builder's
next check builds the same delivery in a new worker.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from cxbench.build import BuildRecord
from cxbench.builder import BackgroundBuilder, landing_signature, read_state
from cxbench.dbt_runner import WarmDbt, run_dbt
from cxbench.progress import Event, NodeFinished
from cxbench.publish import current_build_id
from cxbench.relations import DBT_TARGET, connect_read_only
from cxbench.settings import Settings
from cxbench.testhook import ENV as PAUSE_ENV
from tests.python.helpers import copy_of_built

HEADER = "client_id,response_id,responded_at,touchpoint,question,answer\n"
WAIT = 600.0  # seconds: a bound on a build on a loaded shared machine


def test_warm_dbt_parses_once_while_nothing_it_reads_changed(
    built: tuple[Settings, BuildRecord], tmp_path: Path
) -> None:
    settings = copy_of_built(built[0], tmp_path)
    warm = WarmDbt()
    folder = Path.cwd()
    events: list[Event] = []
    run_one = ["run", "--select", "dim_industries"]
    first = run_dbt(settings, run_one, warm=warm, report=events.append)
    second = run_dbt(settings, run_one, warm=warm, report=events.append)
    assert first.success and second.success, (first, second)
    assert warm.parses == 1  # the second run reused the manifest
    assert [e.name for e in events if isinstance(e, NodeFinished)] == ["marts.dim_industries"] * 2
    # Something dbt reads (here its memory limit) differs: parsed afresh, not served stale.
    third = run_dbt(settings, run_one, warm=warm, extra_env={"CXB_DUCKDB_MEMORY_LIMIT": "700MB"})
    assert third.success and warm.parses == 2
    assert Path.cwd() == folder  # dbt ran in the warehouse folder, then this process went back


def test_a_warehouse_in_another_folder_parses_nothing_again(
    built: tuple[Settings, BuildRecord], tmp_path: Path
) -> None:
    # The copy's parse state is the shared demo's, whose landed folder was another: nothing
    # dbt parses names it (the landing views are made when dbt runs), so dbt parses no file,
    # and the views read the copy's own landed files.
    settings = copy_of_built(built[0], tmp_path)
    result = run_dbt(settings, ["run", "--select", "dim_industries"], quiet=True)
    assert result.success, result
    perf = json.loads((settings.warehouse / DBT_TARGET / "perf_info.json").read_text())
    assert perf["is_partial_parse_enabled"] and perf["parsed_path_count"] == 0
    con = connect_read_only(settings.database)
    try:
        views = dict(
            con.execute(
                "select view_name, sql from duckdb_views() where schema_name = 'landing'"
            ).fetchall()
        )
    finally:
        con.close()
    assert sorted(views) == ["landed_answers", "load_log", "rejected_lines"]
    assert all(f"'{settings.landed}/" in sql for sql in views.values()), views


def test_a_worker_killed_before_the_switch_leaves_the_live_snapshot_and_is_replaced(
    built: tuple[Settings, BuildRecord], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = copy_of_built(built[0], tmp_path)
    live = current_build_id(settings.published)
    builder = BackgroundBuilder(settings, 1)
    assert builder.tick() is False  # a first start: everything is built already
    delivery = settings.landing / "demo" / "c001" / "worker-kill.csv"
    delivery.write_text(HEADER + "c001,worker-kill-1,2026-11-20T12:00:00Z,Store visit,K1,9\n")

    monkeypatch.setenv(PAUSE_ENV, "publish.switch")  # the worker inherits it
    ticked: list[bool] = []
    thread = threading.Thread(target=lambda: ticked.append(builder.tick()), daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT
    while not [p for p in settings.published.iterdir() if p.is_dir() and p.name != live]:
        assert time.monotonic() < deadline, "the build never reached the switch"
        assert thread.is_alive(), "the worker's build ended before the switch"
        time.sleep(0.5)
    assert builder.worker.pid is not None
    os.kill(builder.worker.pid, signal.SIGKILL)
    thread.join(60)
    assert ticked == [True]
    assert current_build_id(settings.published) == live  # untouched
    # Not recorded as attempted: the next check builds it again.
    assert (read_state(settings) or {}).get("signature") != landing_signature(settings.landing)

    monkeypatch.delenv(PAUSE_ENV)
    assert builder.tick() is True  # a new worker
    try:
        last = json.loads((settings.warehouse / "last_build.json").read_text())
        assert last["status"] == "published", last
        assert current_build_id(settings.published) == last["build_id"] != live
        assert any("interrupted" in c for c in last["cleaned_up"]), last["cleaned_up"]
        built_files = {f["source_file"]: f for f in last["reconciliation"]["files"]}
        assert built_files["demo/c001/worker-kill.csv"]["rows_accepted"] == 1
        assert builder.tick() is False  # recorded now
    finally:
        builder.worker.close()
