"""The seed sanity tests catch a bad mapping before anything is built: a copy of the dbt project
with broken seeds, `dbt build` of the seeds and their tests, and each breakage failing the test
meant for it (and no other)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from pathlib import Path

from cxbench.dbt_runner import dbt_executable
from cxbench.settings import PROJECT_DIR

# (seed, row appended to it) → the dbt test that must fail, and how many rows it reports.
BREAKAGES = [
    ("question_map", ["c001", "K8", "nps", "1", "10", "true"], "assert_question_scales_are_valid"),
    ("question_map", ["c001", "K9", "csat", "5", "5", "true"], "assert_question_scales_are_valid"),
    ("question_map", ["c001", "K10", "comment", "1", "5", ""], "assert_question_scales_are_valid"),
    ("question_map", ["c001", "k1", "osat", "1", "5", "true"], "unique_combination_question_map"),
    ("question_map", ["c001", "K11", "nsp", "0", "10", "true"], "accepted_values_question_map"),
    ("touchpoint_map", ["c001", "Web shop", "webshop"], "relationships_touchpoint_map_touchpoint"),
    ("touchpoint_map", ["c999", "Store", "sales"], "relationships_touchpoint_map_client_id"),
    ("clients", ["c097", "Avaruus Oy", "space", "FI"], "relationships_clients_industry_code"),
    ("cx_index_weights", ["cx_ease", "0.1"], "assert_cx_index_components_are_weighted"),
]
EXPECTED_FAILURES = {
    "assert_question_scales_are_valid": 3,
    "unique_combination_question_map": 1,
    "accepted_values_question_map": 1,
    "relationships_touchpoint_map_touchpoint": 1,
    "relationships_touchpoint_map_client_id": 1,
    "relationships_clients_industry_code": 1,
    "assert_cx_index_components_are_weighted": 1,
}


def copy_project(target: Path) -> Path:
    target.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(PROJECT_DIR / name, target / name)
    for folder in ("models", "macros", "seeds", "tests/generic", "tests/singular"):
        shutil.copytree(PROJECT_DIR / folder, target / folder)
    return target


def test_seed_tests_catch_each_bad_mapping(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    for seed, row, _ in BREAKAGES:
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
            dbt_executable(),
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
    seeds_loaded = [r for r in results if r["unique_id"].startswith("seed.")]
    assert len(seeds_loaded) == 7
