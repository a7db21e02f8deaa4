"""Real builds of a copy of the project on a small demo, two warehouses of it:

- dbt's unit tests run once per project fingerprint, not once per warehouse. Their verdict
  depends on the project and the dbt/DuckDB versions alone (cxbench/incremental.py), so a
  passing run is recorded beside the project's parse state and a full refresh of another
  warehouse under the same fingerprint leaves them out; a changed project runs them again.
- An incremental build gives exactly the marts of a full refresh over the same landing files,
  disclosure decisions included, when a delivery touches some years and not others (the
  benchmark marts recompute the touched years only).
- The incremental build gives each DuckDB query a share of the cores (the set_run_threads
  hook); the full refresh keeps them all.

Both share the builds: a full refresh of warehouse a, then a delivery, a full refresh of
warehouse b (its DuckDB file removed) and an incremental build of a. The copy of the project
has its own ``target/`` (so what other tests recorded for the checkout plays no part; only the
checkout's dbt parse state is copied into it, which saves the copy a full parse).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from cxbench import incremental
from cxbench.build import BuildRecord, GateFailed
from cxbench.demo import generate_demo
from cxbench.relations import DBT_TARGET, INTERMEDIATE, MARTS
from cxbench.settings import Settings
from tests.python.helpers import (
    build,
    copy_project,
    deliver_copy_of_one_file,
    marts_differences,
    project_copy_settings,
)

EDITED_MACRO = "macros/metrics/metric_points.sql"
# A unit test upstream of almost everything (so a build that fails it skips most nodes).
STAGING_YAML = "models/staging/landing/_landing__models.yml"
RIGHT_ROW = '{source_row: 1, responded_at: "2025-03-01 10:00:00"}'
# Enough answers for published cells and complementary suppression in every year of the demo
# (2024-11 to 2026-10): the redelivered file (its first) touches 2024 and 2025, not 2026.
DEMO = {"clients": 24, "answers": 30_000, "seed": 5}
BENCHMARK_MARTS = ("fct_benchmark_cells", "fct_driver_benchmark_cells", "fct_theme_benchmark_cells")


def run_results(settings: Settings) -> list[dict[str, Any]]:
    results = json.loads((settings.warehouse / DBT_TARGET / "run_results.json").read_text())
    return list(results["results"])


def unit_test_results(settings: Settings) -> list[tuple[str, str]]:
    return [
        (r["unique_id"], r["status"])
        for r in run_results(settings)
        if r["unique_id"].startswith("unit_test.")
    ]


@dataclass
class Builds:
    project: Path
    edited: str  # the fingerprint of the edited project
    first: Settings
    second: Settings
    first_build: tuple[BuildRecord, list[str]]
    first_unit_tests: list[tuple[str, str]]
    second_build: tuple[BuildRecord, list[str]]
    incremental_build: BuildRecord


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    tmp_path = tmp_path_factory.mktemp("project_copy")
    project = copy_project(tmp_path / "project")
    landing = tmp_path / "landing"
    generate_demo(landing, project / "seeds", **DEMO)
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
    first_build = build(first)
    first_unit_tests = unit_test_results(first)

    # A second warehouse of the same project: a full refresh without them. It is a copy of the
    # first without its DuckDB file, and a new delivery arrives: the raw audit creates the file
    # again, yet the build must refresh in full (an incremental one would miss the seeds).
    second = project_copy_settings(tmp_path / "b", project, landing)
    shutil.copytree(first.warehouse, second.warehouse, ignore=shutil.ignore_patterns("*.lock"))
    second.database.unlink()
    deliver_copy_of_one_file(landing)
    second_build = build(second)
    # The first warehouse takes the same delivery incrementally.
    incremental_build, _ = build(first)
    return Builds(
        project,
        edited,
        first,
        second,
        first_build,
        first_unit_tests,
        second_build,
        incremental_build,
    )


# Before the test below, which breaks the project and fails a build of the second warehouse.
def test_an_incremental_build_gives_the_marts_of_a_full_refresh(builds: Builds) -> None:
    assert builds.incremental_build.status == "published"
    assert builds.incremental_build.dbt["full_refresh"] is None
    assert builds.incremental_build.landing["new_files"] == 1
    # Each warehouse landed the delivered file itself, at its own time.
    differences = marts_differences(
        builds.first.database,
        builds.second.database,
        ignore={"fct_file_reconciliation": {"loaded_at"}},
    )
    assert set(BENCHMARK_MARTS) <= set(differences)
    assert {table: n for table, n in differences.items() if n} == {}

    # The delivery touched some years, not all: the incremental build kept 2026's cells, and
    # what it kept holds published cells and a complementary decision.
    con = duckdb.connect(str(builds.first.database), read_only=True)
    try:
        touched = {
            year
            for (year,) in con.execute(
                f"select distinct year(month_start) from {INTERMEDIATE}.int_delivery_touched_months"  # noqa: S608
            ).fetchall()
        }
        kept = con.execute(
            f"select count(*) filter (where is_published), "  # noqa: S608
            f"count(*) filter (where suppressed_reason = 'complementary') "
            f"from {MARTS}.fct_benchmark_cells where period like '2026%'"
        ).fetchone()
    finally:
        con.close()
    assert touched == {2024, 2025}
    assert kept is not None and kept[0] > 0 and kept[1] > 0, kept


def test_an_incremental_build_gives_each_query_a_share_of_the_cores(builds: Builds) -> None:
    """The first on-run-start hook (set_run_threads): the incremental build set DuckDB's
    threads to the machine's (DuckDB's default, as the profile sets none) divided by dbt's
    threads; the full refresh of the second warehouse left them alone."""
    profile = yaml.safe_load((builds.project / "profiles.yml").read_text())
    dbt_threads = profile["cxbench"]["outputs"]["dev"]["threads"]
    with duckdb.connect() as con:
        (cores,) = con.execute("select current_setting('threads')").fetchone() or (0,)
    hook = "operation.cxbench.cxbench-on-run-start-0"

    def compiled(settings: Settings) -> str:
        (result,) = [r for r in run_results(settings) if r["unique_id"] == hook]
        assert result["status"] == "success", result
        return str(result["compiled_code"]).strip()

    assert compiled(builds.first) == f"set threads = {max(1, int(cores) // dbt_threads)}"
    assert builds.second_build[0].dbt["full_refresh"]
    assert compiled(builds.second) == ""


def test_a_second_warehouse_skips_unit_tests_that_passed_and_a_changed_project_runs_them(
    builds: Builds,
) -> None:
    project, edited, first, second = builds.project, builds.edited, builds.first, builds.second
    record, notes = builds.first_build
    ran = builds.first_unit_tests
    assert ran and all(status == "pass" for _, status in ran), ran
    passed_at = incremental.unit_tests_passed_at(first, edited)
    assert passed_at is not None
    assert record.dbt["unit_tests"] == f"unit tests: {len(ran)} passed at {passed_at}"
    assert not any(n.startswith("unit tests:") for n in notes), notes

    record, notes = builds.second_build
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
