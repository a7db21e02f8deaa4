"""The build's dbt child (cxbench/dbt_child.py): what it hands on of dbt's events, and which of
the command's options its separate parse must share. (A whole build through it runs in
test_pipeline, test_ingestion and test_wap.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from dbt_common.events.base_types import EventLevel, msg_from_base_event
from dbt_common.events.functions import msg_to_dict
from dbt_common.events.types import Note

from cxbench.dbt_child import forwarder, parse_options
from cxbench.dbt_runner import _shared_parse_state, build_environment
from tests.python.helpers import make_settings


def forwarded(events: list[tuple[str, EventLevel]]) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = []
    forward = forwarder(shown.append)
    for text, level in events:
        forward(msg_from_base_event(Note(msg=text), level=level))
    return shown


def test_only_events_a_terminal_would_show_are_handed_on_as_json_log_lines() -> None:
    shown = forwarded(
        [
            ("on run start", EventLevel.DEBUG),
            ("1 of 2 START sql table model marts.x", EventLevel.INFO),
            ("a warning", EventLevel.WARN),
            ("SQL status: OK in 0.01 seconds", EventLevel.DEBUG),
            ("Database Error", EventLevel.ERROR),
        ]
    )
    assert [(line["info"]["level"], line["info"]["msg"]) for line in shown] == [
        ("info", "1 of 2 START sql table model marts.x"),
        ("warn", "a warning"),
        ("error", "Database Error"),
    ]
    # The same dict as a line of `dbt --log-format json`.
    expected = msg_to_dict(msg_from_base_event(Note(msg="a warning"), level=EventLevel.WARN))
    assert shown[1]["data"] == expected["data"]
    assert shown[1]["info"].keys() == expected["info"].keys()
    json.dumps(shown)  # every line is plain JSON


def test_secrets_are_scrubbed_as_dbt_scrubs_its_log_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBT_ENV_SECRET_TOKEN", "hunter2-token")
    [line] = forwarded([("connecting with hunter2-token", EventLevel.INFO)])
    assert "hunter2-token" not in json.dumps(line)
    assert line["info"]["msg"] == "connecting with *****"


@pytest.mark.parametrize(
    ("dbt_args", "expected"),
    [
        (["build", "--select", "source:*+", "--exclude-resource-type", "unit_test"], []),
        (["build", "--full-refresh"], []),
        (
            ["build", "--target", "spark", "--vars", '{"spark_export": {"dir": "/x"}}'],
            ["--target", "spark", "--vars", '{"spark_export": {"dir": "/x"}}'],
        ),
        (
            ["build", "--target=spark", "-t", "dev", "--profile", "p"],
            ["--target=spark", "-t", "dev", "--profile", "p"],
        ),
        (["docs", "generate", "--static"], []),
    ],
)
def test_the_parse_shares_the_options_that_change_a_parse(
    dbt_args: list[str], expected: list[str]
) -> None:
    assert parse_options(dbt_args) == expected


def test_one_shared_parse_state_fits_every_warehouse_of_a_profile_and_target(
    tmp_path: Path,
) -> None:
    """The checkout's shared parse state is chosen by what dbt checks before it reuses one
    (cxbench/dbt_runner.py): another memory limit or target gets its own, another warehouse
    does not."""
    one, other = make_settings(tmp_path / "one"), make_settings(tmp_path / "other")
    build = ["build", "--full-refresh"]
    shared = _shared_parse_state(build, build_environment(one))
    assert _shared_parse_state(build, build_environment(other)) == shared
    assert _shared_parse_state(["build"], build_environment(other)) == shared
    smaller = {**build_environment(one), "CXB_DUCKDB_MEMORY_LIMIT": "700MB"}
    assert _shared_parse_state(build, smaller) != shared
    assert _shared_parse_state([*build, "--target", "spark"], build_environment(one)) != shared


def test_lines_written_by_dbts_threads_at_once_stay_whole_lines() -> None:
    """dbt calls the callback from each of its threads; the build reads the child's stdout line
    by line, so two nodes' events must never share a line (a broken line was a lost node)."""
    script = (
        "import threading\n"
        "from cxbench.dbt_child import _print_line\n"
        "def emit(t):\n"
        "    for i in range(3000):\n"
        "        _print_line({'thread': t, 'i': i, 'pad': 'x' * 200})\n"
        "threads = [threading.Thread(target=emit, args=(t,)) for t in range(4)]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    lines = out.split("\n")
    assert lines[-1] == ""
    parsed = [json.loads(line) for line in lines[:-1]]
    assert sorted((p["thread"], p["i"]) for p in parsed) == [
        (t, i) for t in range(4) for i in range(3000)
    ]
