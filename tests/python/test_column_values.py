"""The column rules of a model (not_null, accepted_values, between) run as one data test per
model (tests/generic/column_values.sql), and a build they stop names the model, the column and
the rule — a real build of a tiny demo in a copy of the project with a planted bad value."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from cxbench.build import GateFailed
from cxbench.demo import generate_demo
from cxbench.relations import DBT_TARGET, INTERMEDIATE
from tests.python.helpers import (
    TINY_DEMO,
    build,
    copy_project,
    deliver_copy_of_one_file,
    project_copy_settings,
    skip_unit_tests,
)

SCORED = "models/intermediate/int_answers_scored.sql"
RIGHT_NORM = "        end as norm,"
# Out of range only for the responses of the delivery deliver_copy_of_one_file adds ('x1-…').
PLANTED_NORM = (
    "        end + case when accepted.response_id like 'x1-%' then 1000 else 0 end as norm,"
)
TEST_NAME = "column_values_int_answers_scored"


def compiled_test(settings_warehouse: Path) -> str:
    results = json.loads((settings_warehouse / DBT_TARGET / "run_results.json").read_text())
    (node,) = [r for r in results["results"] if f".{TEST_NAME}." in r["unique_id"]]
    return str(node["compiled_code"])


def test_a_failed_column_rule_names_model_column_and_rule(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    scored = project / SCORED
    assert scored.read_text().count(RIGHT_NORM) == 1
    scored.write_text(scored.read_text().replace(RIGHT_NORM, PLANTED_NORM))
    landing = tmp_path / "landing"
    generate_demo(landing, project / "seeds", **TINY_DEMO)
    settings = project_copy_settings(tmp_path / "w", project, landing)
    # No unit-test fixture holds an 'x1-' response.
    skip_unit_tests(project)

    # A full refresh: the test reads every row, and none is bad yet.
    record, _ = build(settings)
    assert record.status == "published"
    assert record.dbt["unit_tests"].startswith("unit tests: passed under this fingerprint")
    full_refresh_test = compiled_test(settings.warehouse)
    assert "where true" in full_refresh_test
    # Reading every row, the rules read the model where they use it (not_materialized).
    assert "tested as not materialized (" in full_refresh_test

    # A new delivery whose numeric answers the planted model scores out of range: the
    # incremental build's test reads the new batch only and stops the build.
    deliver_copy_of_one_file(landing)
    with pytest.raises(GateFailed) as failed:
        build(settings)
    compiled = compiled_test(settings.warehouse)
    assert "where load_id > " in compiled and "where true" not in compiled
    assert "not materialized" not in compiled  # the batch's few rows are copied once
    con = duckdb.connect(str(settings.database), read_only=True)
    try:
        bad = con.execute(
            f"select count(*), min(cast(norm as varchar)) from {INTERMEDIATE}.int_answers_scored "  # noqa: S608
            "where norm > 100"
        ).fetchone()
        new = con.execute(
            f"select count(norm) from {INTERMEDIATE}.int_answers_scored "  # noqa: S608
            "where response_id like 'x1-%'"
        ).fetchone()
    finally:
        con.close()
    assert bad is not None and new is not None and bad[0] == new[0] > 0
    rows = f"{bad[0]:,} row" + ("" if bad[0] == 1 else "s")
    said = f"int_answers_scored.norm fails between in {rows} (e.g. '{bad[1]}')"
    message = str(failed.value)
    assert message.startswith("dbt build failed (test.cxbench.column_values_int_answers_scored.")
    assert said in message and "nothing was published" in message
    assert "not_null" not in message  # only the rule that failed

    last = json.loads((settings.warehouse / "last_build.json").read_text())
    assert last["status"] == "failed" and last["failed_gate"] == "dbt_build"
    (node,) = [f for f in last["dbt"]["failed"] if TEST_NAME in f["node"]]
    assert node["status"] == "fail" and said in node["message"]
