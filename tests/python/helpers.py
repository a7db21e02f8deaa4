"""Helpers shared by the test modules."""

from __future__ import annotations

from pathlib import Path

from cxbench.settings import Settings


def make_settings(root: Path) -> Settings:
    """Settings whose landing folder and warehouse live under ``root``."""
    return Settings(
        home=root,
        landing_dir=root / "landing",
        warehouse_dir=root / "warehouse",
        duckdb_memory_limit="2GB",
    )
