"""dbt's unit tests run once per project fingerprint, not once per warehouse — real builds.

Their verdict depends on the project and the dbt/DuckDB versions alone (cxbench/incremental.py),
so a passing run is recorded beside the project's parse state and a full refresh of another
warehouse under the same fingerprint leaves them out; a changed project runs them again.
The builds use a copy of the project (its own ``target/``, so what other tests recorded for
the checkout plays no part; only the checkout's dbt parse state is copied into it, which saves
the copy a full parse) and a tiny demo.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cxbench import incremental
from cxbench.build import GateFailed
from cxbench.demo import generate_demo
from cxbench.relations import DBT_TARGET
from cxbench.settings import Settings
from tests.python.helpers import (
    TINY_DEMO,
    build,
    copy_project,
    deliver_copy_of_one_file,
    project_copy_settings,
)

EDITED_MACRO = "macros/metrics/metric_points.sql"
# A unit test upstream of almost everything (so a build that fails it skips most nodes).
STAGING_YAML = "models/staging/landing/_landing__models.yml"
RIGHT_ROW = '{source_row: 1, responded_at: "2025-03-01 10:00:00"}'


def unit_test_results(settings: Settings) -> list[tuple[str, str]]:
    results = json.loads((settings.warehouse / DBT_TARGET / "run_results.json").read_text())
    return [
        (r["unique_id"], r["status"])
        for r in results["results"]
        if r["unique_id"].startswith("unit_test.")
    ]


def test_a_second_warehouse_skips_unit_tests_that_passed_and_a_changed_project_runs_them(
    tmp_path: Path,
) -> None:
    project = copy_project(tmp_path / "project")
    landing = tmp_path / "landing"
    generate_demo(landing, project / "seeds", **TINY_DEMO)
    first = project_copy_settings(tmp_path / "a", project, landing)
    # The project as copied passed its unit tests (as a build records it) ...
    unchanged = incremental.project_fingerprint(project)
    incremental.remember_unit_tests(first, unchanged)
    assert incremental.unit_tests_passed_at(first, unchanged) is not None
    # ... and then a macro changed: its fingerprint has no passing run, so they run again.
    macro = project / EDITED_MACRO
    macro.write_text(macro.read_text() + "\n{# edited: the same rule, a new fingerprint #}\n")
    edited = incremental.project_fingerprint(project)
    assert edited != unchanged and incremental.unit_tests_passed_at(first, edited) is None

    record, notes = build(first)
    ran = unit_test_results(first)
    assert ran and all(status == "pass" for _, status in ran), ran
    passed_at = incremental.unit_tests_passed_at(first, edited)
    assert passed_at is not None
    assert record.dbt["unit_tests"] == f"unit tests: {len(ran)} passed at {passed_at}"
    assert not any(n.startswith("unit tests:") for n in notes), notes

    # A second warehouse of the same project: a full refresh without them. It is a copy of the
    # first without its DuckDB file, and a new delivery arrives: the raw audit creates the file
    # again, yet the build must refresh in full (an incremental one would miss the seeds).
    second = project_copy_settings(tmp_path / "b", project, landing)
    shutil.copytree(first.warehouse, second.warehouse, ignore=shutil.ignore_patterns("*.lock"))
    second.database.unlink()
    deliver_copy_of_one_file(landing)
    record, notes = build(second)
    said = f"unit tests: passed under this fingerprint at {passed_at}"
    assert record.dbt["full_refresh"] == "the warehouse's DuckDB file is missing"
    assert record.landing["new_files"] == 1
    assert record.status == "published"
    assert unit_test_results(second) == []
    assert record.dbt["unit_tests"] == said and said in notes
    assert record.dbt["counts"]["success"] > 0  # the models and data tests ran all the same

    # A run in which a unit test fails records nothing: the next full refresh runs them again.
    staging = project / STAGING_YAML
    assert staging.read_text().count(RIGHT_ROW) == 1
    staging.write_text(staging.read_text().replace(RIGHT_ROW, RIGHT_ROW.replace("10:", "11:")))
    broken = incremental.project_fingerprint(project)
    with pytest.raises(GateFailed, match="dbt build failed"):
        build(second)
    failed = json.loads((second.warehouse / "last_build.json").read_text())
    assert failed["dbt"]["unit_tests"].endswith("did not pass"), failed["dbt"]
    assert (
        "unit_test.cxbench.stg_landing__answers.test_iso8601_timestamps_on_every_engine",
        "fail",
    ) in unit_test_results(second)
    assert incremental.unit_tests_passed_at(second, broken) is None
    assert incremental.unit_tests_passed_at(second, edited) == passed_at
