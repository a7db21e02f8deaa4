"""What a killed DuckDB process leaves on disk, and the next build removing it — real processes.

The chained fault-injection run (test_wap.py) works on a warehouse too small to spill; here a
real DuckDB process with a tiny memory limit spills to the warehouse's temp folder and is killed
with SIGKILL, as a build's dbt is when the build dies during a large query.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cxbench import incremental
from cxbench.build import BuildRecord, _settled, run_build
from cxbench.errors import CxbenchError
from cxbench.relations import dbt_manifest_path
from tests.python.helpers import make_settings

# A grouping too large for 40 MB: DuckDB spills it to <database>.tmp/.
SPILLING_QUERY = """
import duckdb, sys
con = duckdb.connect(sys.argv[1], config={"memory_limit": "40MB", "threads": 1})
con.execute("create table t as select md5(range::varchar) as s from range(3000000)")
con.execute("select s, count(*) from t group by s order by s").fetchall()
"""


def spill_and_die(database: Path) -> int:
    """Run a DuckDB process until it has spilled, SIGKILL it, and return its pid."""
    database.parent.mkdir(parents=True)
    proc = subprocess.Popen([sys.executable, "-c", SPILLING_QUERY, str(database)])
    spill = database.with_name(database.name + ".tmp")
    deadline = time.monotonic() + 120
    while not any(p.stat().st_size for p in spill.glob(f"duckdb_temp_{proc.pid}_*")):
        assert proc.poll() is None, "DuckDB finished without spilling"
        assert time.monotonic() < deadline, "DuckDB never spilled"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return proc.pid


def test_next_build_removes_what_a_killed_duckdb_spilled(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    dead = spill_and_die(settings.database)
    spill = settings.database.with_name(settings.database.name + ".tmp")
    left = sorted(p.name for p in spill.glob(f"duckdb_temp_{dead}_*"))
    assert left, "a killed DuckDB leaves its spill files"
    # A process that is still running (this one) keeps its files.
    alive = spill / f"duckdb_temp_{os.getpid()}_0_owner"
    alive.touch()

    settings.landing.mkdir()
    with pytest.raises(CxbenchError, match="No readable landing files"):
        run_build(settings)  # cleans up first, then stops: nothing to land

    assert not list(spill.glob(f"duckdb_temp_{dead}_*"))
    assert alive.exists()
    record = json.loads((settings.warehouse / "last_build.json").read_text())
    said = [line for line in record["cleaned_up"] if "spill" in line]
    assert len(said) == 1, record["cleaned_up"]
    assert said[0].startswith(f"DuckDB spill files of dead process {dead} ("), said


def test_a_record_is_known_settled_from_its_head_and_running_ones_are_read(
    tmp_path: Path,
) -> None:
    """The clean-up before each build parses only records that may still say "running" (a dead
    build's): a settled record is told from its first lines, as BuildRecord.save writes it."""
    warehouse = tmp_path / "warehouse"
    records = {}
    for status in ("running", "published", "failed", "interrupted"):
        record = BuildRecord(build_id=f"b-{status}", started_at="2026-12-02T00:00:00+00:00")
        record.status = status
        record.reconciliation = {"files": [{"source_file": f"f{i}.csv"} for i in range(5000)]}
        record.save(warehouse)
        records[status] = warehouse / "builds" / f"b-{status}.json"
    assert not _settled(records["running"])
    assert all(_settled(records[s]) for s in ("published", "failed", "interrupted"))
    odd = warehouse / "builds" / "odd.json"
    odd.write_text(json.dumps({"build_id": "odd", "status": "published"}))
    assert not _settled(odd)  # another layout: read whole, as before


def test_a_full_refresh_that_did_not_finish_is_followed_by_another(tmp_path: Path) -> None:
    """An incremental build leaves the seeds and what is built from them alone as they are;
    after a full refresh killed half-way (a seed dropped, not yet loaded again) the next build
    must refresh again, whatever the fingerprint — and a warehouse without its DuckDB file, or
    without the dbt manifest of its last full refresh (incremental builds write none), too."""
    settings = make_settings(tmp_path)
    settings.warehouse.mkdir(parents=True)
    assert incremental.full_refresh_reason(settings, "f1") == "first build of this warehouse"
    incremental.full_refresh_started(settings)  # nothing stored yet: stays a first build
    assert incremental.full_refresh_reason(settings, "f1") == "first build of this warehouse"
    incremental.remember_project(settings, "f1")
    assert (
        incremental.full_refresh_reason(settings, "f1") == "the warehouse's DuckDB file is missing"
    )
    settings.database.touch()
    assert (
        incremental.full_refresh_reason(settings, "f1")
        == "the dbt manifest of the last full refresh is missing"
    )
    dbt_manifest_path(settings.warehouse).parent.mkdir()
    dbt_manifest_path(settings.warehouse).touch()
    assert incremental.full_refresh_reason(settings, "f1") is None
    incremental.full_refresh_started(settings)
    assert incremental.full_refresh_reason(settings, "f1") == "the last full refresh did not finish"
    incremental.remember_project(settings, "f1")
    assert incremental.full_refresh_reason(settings, "f1") is None
    assert incremental.full_refresh_reason(settings, "f2") is not None
