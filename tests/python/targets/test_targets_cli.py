"""``cxbench targets list|set|retire|history`` for scripts: the same rules as the API, and
errors as one sentence. The commands run in-process (``cxbench.cli.main``) to stay fast; the
last test runs the real ``cxbench`` command."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from cxbench.build import BuildRecord
from cxbench.cli import main
from cxbench.settings import Settings
from tests.python.helpers import run_cxbench


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


Cxbench = Callable[..., Ran]


@pytest.fixture
def warehouse(built: tuple[Settings, BuildRecord], tmp_path: Path) -> Path:
    """A warehouse of the test's own that shares the built snapshot."""
    folder = tmp_path / "warehouse"
    folder.mkdir()
    (folder / "published").symlink_to(built[0].published)
    return folder


@pytest.fixture
def cxbench(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Cxbench:
    monkeypatch.setenv("CXB_HOME", str(warehouse.parent))
    monkeypatch.setenv("CXB_WAREHOUSE_DIR", str(warehouse))
    monkeypatch.setenv("CXB_LANDING_DIR", str(warehouse.parent / "landing"))
    monkeypatch.delenv("CXB_TARGETS_URL", raising=False)
    for name in ("LOGNAME", "USER"):
        monkeypatch.setenv(name, "ops")

    def run(*args: str) -> Ran:
        code = main(list(args))
        out = capsys.readouterr()
        return Ran(code, out.out, out.err)

    return run


def one_error(result: Ran) -> str:
    stderr = result.stderr.strip()
    assert result.returncode == 1 and "\n" not in stderr and "Traceback" not in stderr
    return stderr


def test_set_change_retire_list_and_history(cxbench: Cxbench) -> None:
    target = ("targets", "set", "c001", "*", "nps")
    created = cxbench(*target, "--value", "35", "--due", "2030-Q4", "--note", "QBR")
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith("Created the nps target of c001 at *: 35 by 2030-Q4")
    assert 'ETag "v1"' in created.stdout

    again = cxbench(*target, "--value", "40", "--due", "2030-Q4")
    assert "needs that ETag" in one_error(again)
    stale = cxbench(*target, "--value", "40", "--due", "2030-Q4", "--if-match", "v7")
    assert 'its ETag is now "v1"' in one_error(stale)
    out_of_range = cxbench(*target, "--value", "140", "--due", "2030-Q4", "--if-match", "v1")
    assert one_error(out_of_range) == "cxbench: target_value must be between -100 and 100 for nps."
    unknown = cxbench("targets", "set", "c999", "*", "nps", "--value", "40", "--due", "2030-Q4")
    assert "no client 'c999'" in one_error(unknown)
    changed = cxbench(*target, "--value", "40", "--due", "2030-Q4", "--if-match", "v1")
    assert changed.returncode == 0 and changed.stdout.startswith("Changed")

    listed = cxbench("targets", "list", "--client-id", "c001")
    header, row = listed.stdout.rstrip("\n").split("\n")
    record = dict(zip(header.split("\t"), row.split("\t"), strict=True))
    assert record["target_value"] == "40.0" and record["version"] == "2"
    assert record["updated_by"] == "cli:ops" and record["note"] == ""

    assert cxbench("targets", "retire", "c001", "*", "nps", "--if-match", "v2").returncode == 0
    assert cxbench("targets", "list").stdout.strip().count("\n") == 0  # the header only
    history = json.loads(cxbench("targets", "history", "--json").stdout)
    assert [(e["action"], e["version"], e["key_id"]) for e in history] == [
        ("created", 1, "cli:ops"),
        ("changed", 2, "cli:ops"),
        ("retired", 3, "cli:ops"),
    ]
    assert history[1]["previous_target_value"] == 35.0 and history[0]["note"] == "QBR"


def test_the_real_command_refuses_a_postgres_url_in_one_sentence(warehouse: Path) -> None:
    env = {
        **os.environ,
        "CXB_HOME": str(warehouse.parent),
        "CXB_WAREHOUSE_DIR": str(warehouse),
        "CXB_TARGETS_URL": "postgresql://db/cx",
    }
    result = run_cxbench(env, "targets", "list")
    stderr = result.stderr.strip()
    assert result.returncode == 1 and "\n" not in stderr
    assert "no PostgreSQL target store" in stderr
