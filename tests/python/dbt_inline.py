"""Compile dbt macros into SQL that tests run on DuckDB themselves.

Run as a script in a child process (dbt keeps global state): loads the seeds named in argv into
the DuckDB file of ``CXB_DUCKDB_PATH``, compiles each inline SQL read as a JSON list from stdin,
and prints the compiled SQL as a JSON list. The caller then opens the DuckDB file (dbt has
exited) and runs the compiled SQL over its own test tables, so the real macros are tested
without a full build.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cxbench.dbt_runner import dbt_environment
from cxbench.settings import PROJECT_DIR
from tests.python.helpers import make_settings


def compile_inline(root: Path, seeds: list[str], sqls: list[str]) -> tuple[Path, list[str]]:
    """The DuckDB file (with ``seeds`` loaded) and each of ``sqls`` compiled by dbt."""
    settings = make_settings(root)
    settings.warehouse.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "tests.python.dbt_inline", *seeds],
        input=json.dumps(sqls),
        capture_output=True,
        text=True,
        env=dbt_environment(settings),
        cwd=PROJECT_DIR,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    compiled: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return settings.database, compiled


def main() -> None:
    from dbt.cli.main import dbtRunner

    runner = dbtRunner()
    seeded = runner.invoke(["seed", "--select", *sys.argv[1:], "--quiet"])
    if not seeded.success:
        raise SystemExit(f"dbt seed failed: {seeded.exception}")
    compiled = []
    for sql in json.loads(sys.stdin.read()):
        result = runner.invoke(["compile", "--inline", sql, "--quiet"])
        if not result.success or result.result is None:
            raise SystemExit(f"dbt compile failed: {result.exception}")
        compiled.append(result.result.results[0].node.compiled_code)
    print(json.dumps(compiled))


if __name__ == "__main__":
    main()
