"""What `cxbench build` shows while it runs: dbt's JSON log lines become node events, plain lines
off a terminal, a live display on one (a real pseudo-terminal), within seconds of the start;
``--json`` for build and status, ``--version``, the CXB_* settings in the help."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

from cxbench.progress import (
    NodeFinished,
    NodeStarted,
    Note,
    PlainRenderer,
    StepFinished,
    StepProgress,
    StepStarted,
    dbt_event,
)
from cxbench.setting_docs import SETTING_DOCS
from cxbench.settings import PROJECT_DIR, Settings
from tests.python.helpers import make_settings, run_cxbench

# What dbt 1.11 printed with --log-format json for `dbt build --select industries` (a seed and
# its four tests), as it printed it.
DBT_LOG = Path(__file__).parents[1] / "data" / "dbt_json_log.jsonl"
# A newcomer must see progress within 2 s of starting `cxbench build`. The test allows 2 s
# beyond twice what the interpreter needs to import the command-line libraries alone (measured
# just before), so a machine busy with the rest of the suite does not fail it.
FIRST_OUTPUT_SECONDS = 2.0


def env_for(root: Path) -> dict[str, str]:
    settings = make_settings(root)
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "CXB_HOME": str(settings.home),
        "CXB_LANDING_DIR": str(settings.landing),
        "CXB_WAREHOUSE_DIR": str(settings.warehouse),
    }


def test_dbt_json_log_lines_become_node_events() -> None:
    events = [dbt_event(json.loads(line)) for line in DBT_LOG.read_text().splitlines()]
    nodes = [e for e in events if isinstance(e, NodeStarted | NodeFinished)]
    assert nodes, "no node event in a real dbt log"
    starts = [e for e in nodes if isinstance(e, NodeStarted)]
    finishes = [e for e in nodes if isinstance(e, NodeFinished)]
    assert [e.name for e in starts] == [e.name for e in finishes]
    assert starts[0] == NodeStarted("main_reference.industries", "seed", 1, starts[0].total)
    assert starts[0].total == len(starts)
    assert {e.resource_type for e in finishes} == {"seed", "test"}
    assert {e.status for e in finishes} <= {"success", "pass"}
    assert all(e.seconds is not None and e.seconds >= 0 for e in finishes)
    assert [e.index for e in finishes] == sorted(e.index for e in finishes)
    assert dbt_event({"info": {"name": "MainReportVersion", "level": "info", "msg": "x"}}) is None
    warn = dbt_event({"info": {"name": "Deprecation", "level": "warn", "msg": " old \n"}})
    assert warn == Note("old", "warn")
    skip = {"info": {"name": "LogSkipMessage", "level": "info"}}
    skip["data"] = {
        "index": 3,
        "total": 9,
        "node_info": {"node_name": "m", "resource_type": "model"},
    }
    assert dbt_event(skip) == NodeFinished("m", "model", "skipped", None, 3, 9)


def test_plain_renderer_says_every_step_and_throttles_counts() -> None:
    out = io.StringIO()
    render = PlainRenderer(out)
    render(StepStarted("land"))
    for done in range(1, 101):
        render(StepProgress("land", done, 100, "files"))
    render(StepFinished("land", 1.23))
    render(NodeStarted("stg_x", "model", 1, 2))
    render(NodeFinished("stg_x", "model", "success", 0.4, 1, 2))
    render(NodeFinished("not_null_x", "test", "fail", 0.1, 2, 2))
    render(Note("the attack suite found nothing", "info"))
    render(StepFinished("dbt_build", 2.0, ok=False))
    lines = out.getvalue().splitlines()
    assert lines == [
        "[land] landing new deliveries …",
        "  1/100 files",  # the first count at once, then at most one per PLAIN_EVERY seconds
        "  100/100 files",
        "[land] done in 1.2 s",
        "  dbt 1/2 start model stg_x",
        "  dbt 1/2 success model stg_x in 0.4 s",
        "  dbt 2/2 FAILED fail test not_null_x in 0.1 s",
        "the attack suite found nothing",
        "[dbt_build] FAILED in 2.0 s",
    ]


def run_on_pty(
    args: list[str], env: dict[str, str], timeout: float = 120
) -> tuple[float, str, int]:
    """Run on a pseudo-terminal: seconds to the first output, the screen text, the exit code."""
    master, slave = pty.openpty()
    started = time.monotonic()
    process = subprocess.Popen(
        args,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**env, "TERM": "xterm-256color", "COLUMNS": "120"},
        cwd=PROJECT_DIR,
    )
    os.close(slave)
    first: float | None = None
    chunks: list[bytes] = []
    deadline = started + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            first = first if first is not None else time.monotonic() - started
            chunks.append(chunk)
        elif process.poll() is not None:
            break
    else:
        process.kill()
    code = process.wait(timeout=10)
    os.close(master)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode(errors="replace"))
    assert first is not None, "nothing was shown"
    return first, text, code


def test_build_on_a_terminal_shows_a_live_display_at_once(tmp_path: Path) -> None:
    (tmp_path / "landing").mkdir()
    cxbench = str(Path(sys.executable).with_name("cxbench"))
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", "import typer, rich.progress"], check=True)
    baseline = time.monotonic() - started
    first, text, code = run_on_pty([cxbench, "build"], env_for(tmp_path))
    bound = FIRST_OUTPUT_SECONDS + 2 * baseline
    assert first < bound, f"first output after {first:.1f} s (libraries alone: {baseline:.1f} s)"
    assert "⠋" in text or "✓" in text  # Rich's spinner or tick, not plain lines
    assert "✓ loading cxbench" in text and "landing new deliveries" in text
    assert "[prepare]" not in text
    assert code == 1 and "cxbench: No readable landing files" in text


def test_build_off_a_terminal_prints_plain_lines_and_json(tmp_path: Path) -> None:
    (tmp_path / "landing").mkdir()
    env = env_for(tmp_path)
    result = run_cxbench(env, "build", "--json")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "[prepare] loading cxbench (DuckDB, dbt, Great Expectations) …"
    assert re.fullmatch(r"\[prepare\] done in \d+\.\d s", lines[1])
    assert lines[2] == "[land] landing new deliveries …" and "[land] done in" in lines[3]
    assert result.stderr.splitlines()[-1].startswith("cxbench: No readable landing files")
    record = json.loads(result.stdout)
    assert record["status"] == "failed" and "No readable landing files" in record["message"]

    status = run_cxbench(env, "status", "--json")
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    assert data["live"] is None and data["retained"] == []
    assert data["last_build"]["build_id"] == record["build_id"]
    assert data["last_build"]["state"] == "failed"


def test_version_help_and_settings(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    version = run_cxbench(env, "--version")
    assert version.returncode == 0 and re.fullmatch(r"cxbench \S+\n", version.stdout)
    shown = run_cxbench({**env, "COLUMNS": "200"}, "--help")
    assert shown.returncode == 0
    for name in Settings.model_fields:
        assert f"CXB_{name.upper()}" in shown.stdout
        assert SETTING_DOCS[name] == Settings.model_fields[name].description
    assert set(SETTING_DOCS) == set(Settings.model_fields)
    build_help = run_cxbench({**env, "COLUMNS": "200"}, "build", "--help")
    assert "--json" in build_help.stdout and "cxbench build --full-refresh" in build_help.stdout
    completion = {**env, "_CXBENCH_COMPLETE": "complete_bash", "COMP_WORDS": "cxbench bu"}
    completed = run_cxbench({**completion, "COMP_CWORD": "1"})
    assert completed.returncode == 0 and completed.stdout.split() == ["build"]
    unknown = run_cxbench(env, "build", "--nope")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == (
        "cxbench: No such option: --nope (`cxbench build --help` says more)."
    )
