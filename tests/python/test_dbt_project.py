"""The dbt project as dbt reads it: a parse from scratch says nothing to warn about. (A warning
of a full parse, such as a YAML patch for a macro that does not exist, is printed again every
time a checkout or a changed project parses in full; the builds themselves run in
test_pipeline.)"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from cxbench.dbt_runner import dbt_environment
from cxbench.settings import PROJECT_DIR
from tests.python.helpers import DBT, make_settings


def test_a_full_parse_of_the_project_warns_about_nothing(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    command = [DBT, "--log-format", "json", "--no-use-colors", "parse", "--no-partial-parse"]
    command += ["--profiles-dir", str(PROJECT_DIR), "--project-dir", str(PROJECT_DIR)]
    parsed = subprocess.run(
        command,
        env=dbt_environment(settings),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    events = [json.loads(line) for line in parsed.stdout.splitlines() if line.startswith("{")]
    assert parsed.returncode == 0, parsed.stdout[-2000:] + parsed.stderr[-2000:]
    assert events, "dbt printed no JSON log line"
    warnings = [e["info"]["msg"] for e in events if e["info"]["level"] in ("warn", "error")]
    assert warnings == []
