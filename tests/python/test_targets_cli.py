"""``cxbench targets list|set|retire|history`` for scripts: the same rules as the API, and
errors as one sentence."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cxbench.build import BuildRecord
from cxbench.settings import Settings
from tests.python.helpers import run_cxbench


@pytest.fixture
def env(built: tuple[Settings, BuildRecord], tmp_path: Path) -> dict[str, str]:
    """The command pointed at a warehouse of its own that shares the built snapshot."""
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    (warehouse / "published").symlink_to(built[0].published)
    environment = {
        **os.environ,
        "CXB_HOME": str(tmp_path),
        "CXB_WAREHOUSE_DIR": str(warehouse),
        "CXB_LANDING_DIR": str(tmp_path / "landing"),
        "USER": "ops",
    }
    environment.pop("CXB_TARGETS_URL", None)
    return environment


def one_error(result: object) -> str:
    stderr = result.stderr.strip()  # type: ignore[attr-defined]
    assert result.returncode == 1 and "\n" not in stderr and "Traceback" not in stderr  # type: ignore[attr-defined]
    return stderr


def test_set_change_retire_list_and_history(env: dict[str, str]) -> None:
    created = run_cxbench(
        env,
        "targets",
        "set",
        "c001",
        "*",
        "nps",
        "--value",
        "35",
        "--due",
        "2030-Q4",
        "--note",
        "QBR",
    )
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith("Created the nps target of c001 at *: 35 by 2030-Q4")
    assert 'ETag "v1"' in created.stdout

    again = run_cxbench(
        env, "targets", "set", "c001", "*", "nps", "--value", "40", "--due", "2030-Q4"
    )
    assert "needs that ETag" in one_error(again)
    stale = run_cxbench(
        env,
        "targets",
        "set",
        "c001",
        "*",
        "nps",
        "--value",
        "40",
        "--due",
        "2030-Q4",
        "--if-match",
        "v7",
    )
    assert 'its ETag is now "v1"' in one_error(stale)
    out_of_range = run_cxbench(
        env,
        "targets",
        "set",
        "c001",
        "*",
        "nps",
        "--value",
        "140",
        "--due",
        "2030-Q4",
        "--if-match",
        "v1",
    )
    assert one_error(out_of_range) == "cxbench: target_value must be between -100 and 100 for nps."
    unknown = run_cxbench(
        env, "targets", "set", "c999", "*", "nps", "--value", "40", "--due", "2030-Q4"
    )
    assert "no client 'c999'" in one_error(unknown)
    changed = run_cxbench(
        env,
        "targets",
        "set",
        "c001",
        "*",
        "nps",
        "--value",
        "40",
        "--due",
        "2030-Q4",
        "--if-match",
        "v1",
    )
    assert changed.returncode == 0 and changed.stdout.startswith("Changed")

    listed = run_cxbench(env, "targets", "list", "--client-id", "c001")
    header, row = listed.stdout.rstrip("\n").split("\n")
    record = dict(zip(header.split("\t"), row.split("\t"), strict=True))
    assert record["target_value"] == "40.0" and record["version"] == "2"
    assert record["updated_by"] == "cli:ops" and record["note"] == ""

    assert (
        run_cxbench(env, "targets", "retire", "c001", "*", "nps", "--if-match", "v2").returncode
        == 0
    )
    assert run_cxbench(env, "targets", "list").stdout.strip().count("\n") == 0  # header only
    history = json.loads(run_cxbench(env, "targets", "history", "--json").stdout)
    assert [(e["action"], e["version"], e["key_id"]) for e in history] == [
        ("created", 1, "cli:ops"),
        ("changed", 2, "cli:ops"),
        ("retired", 3, "cli:ops"),
    ]
    assert history[1]["previous_target_value"] == 35.0 and history[0]["note"] == "QBR"


def test_a_postgres_url_is_refused_in_one_sentence(env: dict[str, str]) -> None:
    result = run_cxbench({**env, "CXB_TARGETS_URL": "postgresql://db/cx"}, "targets", "list")
    assert "no PostgreSQL target store" in one_error(result)
