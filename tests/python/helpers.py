"""Helpers shared by the test modules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cxbench.settings import PROJECT_DIR, Settings


def make_settings(root: Path) -> Settings:
    """Settings whose landing folder and warehouse live under ``root``."""
    return Settings(
        home=root,
        landing_dir=root / "landing",
        warehouse_dir=root / "warehouse",
        duckdb_memory_limit="2GB",
    )


def run_cxbench(
    env: dict[str, str], *args: str, cwd: Path = PROJECT_DIR, timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    """The ``cxbench`` command line in a child process, with exactly ``env``."""
    return subprocess.run(
        [sys.executable, "-m", "cxbench.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )
