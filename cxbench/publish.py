"""Publish: an immutable Parquet snapshot of the served marts, then an atomic pointer switch.

The API reads only ``published/<build_id>/`` through the ``CURRENT`` pointer, never the DuckDB
file dbt writes. A snapshot is written under a temporary name and renamed into place only when
complete, and ``CURRENT`` is replaced with ``os.replace``: a build that dies at any step leaves
the previous snapshot live.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from cxbench.files import TMP_PREFIX, fsync_dir, write_atomically

# The marts the API serves, read from the dbt build's `marts` schema.
PUBLISHED_MARTS = (
    "fct_benchmark_cells",
    "dim_clients",
    "dim_industries",
    "dim_touchpoints",
    "dim_metrics",
    "fct_client_scorecards",
    "fct_unit_scorecards",
    "fct_client_targets",
)
MARTS_SCHEMA = "main_marts"
POINTER = "CURRENT"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Snapshot:
    build_id: str
    path: Path
    manifest: dict[str, Any]


def current_build_id(published: Path) -> str | None:
    pointer = published / POINTER
    try:
        build_id = pointer.read_text().strip()
    except FileNotFoundError:
        return None
    return build_id or None


def current_snapshot(published: Path) -> Snapshot | None:
    build_id = current_build_id(published)
    if build_id is None:
        return None
    path = published / build_id
    manifest = json.loads((path / MANIFEST).read_text())
    return Snapshot(build_id=build_id, path=path, manifest=manifest)


def write_snapshot(
    database: Path, published: Path, build_id: str, manifest: Mapping[str, Any]
) -> Snapshot:
    """Export the served marts to ``published/<build_id>/`` with a manifest; not yet current."""
    published.mkdir(parents=True, exist_ok=True)
    staging = published / f"{TMP_PREFIX}{build_id}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    row_counts: dict[str, int] = {}
    con = duckdb.connect(str(database), read_only=True)
    try:
        for mart in PUBLISHED_MARTS:
            # Mart names are this module's constants, never user input.
            relation = f"{MARTS_SCHEMA}.{mart}"
            target = staging / f"{mart}.parquet"
            copy_sql = f"copy (select * from {relation}) to ? (format parquet)"  # noqa: S608
            con.execute(copy_sql, [str(target)])
            counted = con.execute(f"select count(*) from {relation}").fetchone()  # noqa: S608
            row_counts[mart] = int(counted[0]) if counted else 0
    finally:
        con.close()
    full_manifest = {**manifest, "build_id": build_id, "row_counts": row_counts}
    (staging / MANIFEST).write_text(json.dumps(full_manifest, indent=2, default=str))
    final = published / build_id
    os.replace(staging, final)
    fsync_dir(published)
    return Snapshot(build_id=build_id, path=final, manifest=full_manifest)


def switch_current(published: Path, build_id: str) -> None:
    if not (published / build_id / MANIFEST).exists():
        raise FileNotFoundError(f"snapshot {build_id} is not complete")
    write_atomically(published / POINTER, build_id + "\n")


def list_snapshots(published: Path) -> list[str]:
    """Complete snapshots, oldest first (build ids sort by time)."""
    if not published.is_dir():
        return []
    return sorted(
        p.name
        for p in published.iterdir()
        if p.is_dir() and not p.name.startswith(TMP_PREFIX) and (p / MANIFEST).exists()
    )


def remove_partial_snapshots(published: Path) -> list[str]:
    """Delete what a killed publish left behind (temporary folders and files)."""
    removed = []
    if published.is_dir():
        for path in published.iterdir():
            if path.name.startswith(TMP_PREFIX):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
                removed.append(path.name)
    return removed


def prune_snapshots(published: Path, keep: int) -> list[str]:
    """Keep the newest ``keep`` snapshots and always the current one."""
    current = current_build_id(published)
    snapshots = list_snapshots(published)
    doomed = [b for b in snapshots[: max(len(snapshots) - keep, 0)] if b != current]
    for build_id in doomed:
        shutil.rmtree(published / build_id, ignore_errors=True)
    return doomed
