"""The seed sanity tests catch a bad mapping before anything is built: a copy of the dbt project
with broken seeds, `dbt build` of the seeds and their tests, and each breakage failing the test
meant for it (and no other)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
from pathlib import Path

import duckdb

from tests.python.helpers import DBT, copy_project

# (seed, row appended to it) → the dbt test that must fail, and how many rows it reports.
BREAKAGES = [
    ("question_map", ["c001", "K8", "nps", "1", "10", "true"], "assert_question_scales_are_valid"),
    ("question_map", ["c001", "K9", "csat", "5", "5", "true"], "assert_question_scales_are_valid"),
    ("question_map", ["c001", "K10", "comment", "1", "5", ""], "assert_question_scales_are_valid"),
    (
        "question_map",
        ["c001", "K12", "cx_index", "1", "5", "true"],
        "assert_question_scales_are_valid",
    ),
    # k1 beside K1; with K8 and K10 above, a second nps and a second comment question for c001.
    ("question_map", ["c001", "k1", "osat", "1", "5", "true"], "column_values_question_map"),
    # A code the catalogue does not have: the relationship to metrics, not a list of codes.
    ("question_map", ["c001", "K11", "nsp", "0", "10", "true"], "column_values_question_map"),
    # An unknown touchpoint, an unknown client, an unknown industry: their relationships rules.
    ("touchpoint_map", ["c001", "Web shop", "webshop"], "column_values_touchpoint_map"),
    ("touchpoint_map", ["c999", "Store", "sales"], "column_values_touchpoint_map"),
    ("clients", ["c097", "Avaruus Oy", "space", "FI"], "column_values_clients"),
    ("industries", ["banking", "Banking again"], "column_values_industries"),  # unique (below)
    # A component that is no catalogue metric: its relationship and the index rule both say so.
    ("cx_index_weights", ["cx_index", "cx_ease", "0.1"], "column_values_cx_index_weights"),
    ("cx_index_weights", ["cx_index", "cx_ease", "0.1"], "assert_index_components_are_valid"),
    # An index that is not a weighted_index metric.
    ("cx_index_weights", ["osat", "cxi_value", "1"], "assert_index_components_are_valid"),
    (
        "metrics",
        ["own_item", "Own item", "mean_norm", "0", "100", "true", "false", "", "asked for nothing"],
        "assert_index_components_are_valid",
    ),
    (
        "metrics",
        ["bad_kind", "Bad", "median", "0", "100", "true", "true", "", "an unknown kind"],
        "column_values_metrics",  # its accepted_values rule on metric_kind (below)
    ),
]
EXPECTED_FAILURES = {
    "assert_question_scales_are_valid": 4,
    # The rows sharing a key of question_map and its row without a metric (its rules, below).
    "column_values_question_map": 7,
    "column_values_touchpoint_map": 2,
    "column_values_clients": 1,
    "column_values_cx_index_weights": 1,
    # cx_ease: not a scale metric; osat: not a weighted_index; own_item: asked for nothing.
    "assert_index_components_are_valid": 3,
    "column_values_metrics": 1,
    "column_values_industries": 2,
}
# The failing rows of the column_values tests above: (rule, column, rows, example).
EXPECTED_CHECKS = {
    "column_values_metrics": [("accepted_values", "metric_kind", 1, "median")],
    # question_map's metric without a catalogue row, and both its keys: client × question (k1
    # beside K1) and client × metric (a second nps and a second comment question for c001), each
    # duplicated key counting its rows.
    "column_values_question_map": [
        ("relationships to metrics.metric_code", "metric_code", 1, "nsp"),
        ("unique_combination", "(client_id, lower(trim(question)))", 2, "c001|k1"),
        ("unique_combination", "(client_id, metric_code)", 4, "c001|comment"),
    ],
    "column_values_industries": [("unique", "industry_code", 2, "banking")],
    # Each child value without a parent row, as dbt's relationships test found them.
    "column_values_touchpoint_map": [
        ("relationships to clients.client_id", "client_id", 1, "c999"),
        ("relationships to touchpoints.touchpoint_code", "touchpoint_code", 1, "webshop"),
    ],
    "column_values_clients": [
        ("relationships to industries.industry_code", "industry_code", 1, "space")
    ],
    "column_values_cx_index_weights": [
        ("relationships to metrics.metric_code", "metric_code", 1, "cx_ease")
    ],
}


def test_seed_tests_catch_each_bad_mapping(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    for seed, row in dict.fromkeys((seed, tuple(row)) for seed, row, _ in BREAKAGES):
        with (project / "seeds" / f"{seed}.csv").open("a", newline="", encoding="utf-8") as f:
            csv.writer(f, lineterminator="\n").writerow(row)
    env = {
        **os.environ,
        "CXB_DUCKDB_PATH": str(tmp_path / "seeds.duckdb"),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    completed = subprocess.run(
        [
            DBT,
            "build",
            "--select",
            "resource_type:seed",
            "--indirect-selection",
            "cautious",
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode != 0
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    failed: dict[str, int] = {}
    for result in results:
        assert result["status"] in {"success", "pass", "fail"}, result
        if result["status"] == "fail":
            name = next(key for key in EXPECTED_FAILURES if key in result["unique_id"])
            failed[name] = failed.get(name, 0) + result["failures"]
    assert failed == EXPECTED_FAILURES
    # column_values holds all of a seed's column rules: the ones that failed are the ones meant.
    con = duckdb.connect(str(tmp_path / "seeds.duckdb"), read_only=True)
    try:
        for test, expected in EXPECTED_CHECKS.items():
            [checks] = [r for r in results if test in r["unique_id"]]
            broken = con.execute(
                "select rule, column_name, failing_rows, example_value"  # noqa: S608
                f" from ({checks['compiled_code']}) order by rule, column_name"
            ).fetchall()
            assert broken == expected, test
    finally:
        con.close()
    seeds_loaded = [r for r in results if r["unique_id"].startswith("seed.")]
    assert len(seeds_loaded) == len(list((project / "seeds").glob("*.csv")))
