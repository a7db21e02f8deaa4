"""Publish: an immutable Parquet snapshot of the served marts, then an atomic pointer switch.

The API reads only ``published/<build_id>/`` through the ``CURRENT`` pointer, never the DuckDB
file dbt writes. A snapshot is written under a temporary name and renamed into place only when
complete, and ``CURRENT`` is replaced with ``os.replace``: a build that dies at any step leaves
the previous snapshot live. Retention deletes a snapshot by first renaming it back to a
temporary name, so a half-deleted folder never looks complete, and never deletes the live
snapshot or the one it replaced (an API process may have read the old pointer an instant before
the switch and still be loading that folder). Every pointer move is appended to
``history.jsonl`` (publish or rollback), for ``cxbench status``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from cxbench.errors import CxbenchError
from cxbench.files import TMP_PREFIX, fsync_dir, write_atomically
from cxbench.relations import connect_read_only, dbt_manifest_path
from cxbench.testhook import pause_point

# The dbt exposure that declares what the API serves (models/marts/_marts__exposures.yml): its
# depends_on is the list of published marts, read from the build's manifest, never kept here.
API_EXPOSURE = "exposure.cxbench.cxbench_api"
POINTER = "CURRENT"
MANIFEST = "manifest.json"
# Written last into an export (published/.tmp-<build_id>/): every mart is there, and their row
# counts; the gates have not passed yet. complete_snapshot replaces it with the manifest.
EXPORTED = "exported.json"
# Marts exported at once by export_snapshot (one DuckDB cursor each).
EXPORT_THREADS = 4
HISTORY = "history.jsonl"


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
    return read_snapshot(published, build_id)


def read_snapshot(published: Path, build_id: str) -> Snapshot:
    path = published / build_id
    manifest = json.loads((path / MANIFEST).read_text())
    return Snapshot(build_id=build_id, path=path, manifest=manifest)


def served_marts(dbt_manifest: Path) -> dict[str, str]:
    """The marts the API serves, name → ``schema.table``, from the API exposure in the manifest
    of the dbt run that built them (so the relation is where that run put each one)."""
    try:
        manifest = json.loads(dbt_manifest.read_text())
        exposure = manifest["exposures"][API_EXPOSURE]
    except (OSError, ValueError, KeyError) as exc:
        raise CxbenchError(
            f"No {API_EXPOSURE} in the dbt manifest {dbt_manifest} ({exc!r}): run the dbt build "
            "before publishing."
        ) from exc
    nodes = manifest["nodes"]
    marts = {}
    for unique_id in exposure["depends_on"]["nodes"]:
        node = nodes[unique_id]
        marts[node["name"]] = f"{node['schema']}.{node.get('alias') or node['name']}"
    return marts


@dataclass(frozen=True)
class Export:
    """The served marts written to ``published/.tmp-<build_id>/``: not a snapshot until
    ``complete_snapshot`` adds the manifest and renames the folder."""

    build_id: str
    folder: Path
    row_counts: dict[str, int]


def export_snapshot(
    database: Path, published: Path, build_id: str, dbt_manifest: Path | None = None
) -> Export:
    """Export the served marts to a temporary folder beside the snapshots. The marts are the API
    exposure's, from ``dbt_manifest`` (default: the manifest the build's dbt run left beside
    ``database``). Once all are written, ``EXPORTED`` says so: a server loads the export while
    the gates run on it (cxbench/api/snapshot.py), and serves it only once it is a snapshot
    and ``CURRENT``."""
    marts = served_marts(dbt_manifest or dbt_manifest_path(database.parent))
    published.mkdir(parents=True, exist_ok=True)
    staging = published / f"{TMP_PREFIX}{build_id}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    con = connect_read_only(database)
    try:

        def export(mart: str, relation: str) -> int:
            return _export_mart(con, relation, staging / f"{mart}.parquet")

        # A few marts at a time: most are small, and one COPY of a small table leaves a core
        # idle (docs/BENCHMARKS.md, eighth round).
        with ThreadPoolExecutor(EXPORT_THREADS, thread_name_prefix="export") as pool:
            counts = list(pool.map(export, marts, marts.values()))
    finally:
        con.close()
    row_counts = dict(zip(marts, counts, strict=True))
    exported = {"build_id": build_id, "row_counts": row_counts}
    write_atomically(staging / EXPORTED, json.dumps(exported, indent=2))
    return Export(build_id, staging, row_counts)


def complete_snapshot(published: Path, export: Export, manifest: Mapping[str, Any]) -> Snapshot:
    """The export with its manifest, renamed to ``published/<build_id>/``: complete, not yet
    current."""
    full_manifest = {**manifest, "build_id": export.build_id, "row_counts": export.row_counts}
    (export.folder / MANIFEST).write_text(json.dumps(full_manifest, indent=2, default=str))
    (export.folder / EXPORTED).unlink(missing_ok=True)
    final = published / export.build_id
    os.replace(export.folder, final)
    fsync_dir(published)
    return Snapshot(build_id=export.build_id, path=final, manifest=full_manifest)


def discard_export(export: Export) -> None:
    """Remove an export that will not become a snapshot (a gate failed)."""
    shutil.rmtree(export.folder, ignore_errors=True)


def _export_mart(con: duckdb.DuckDBPyConnection, relation: str, target: Path) -> int:
    """One mart to Parquet on its own cursor of ``con``; its row count (COPY says it)."""
    cursor = con.cursor()
    try:
        # The relation is from dbt's manifest, never user input.
        copy_sql = f"copy (select * from {relation}) to ? (format parquet)"  # noqa: S608
        counted = cursor.execute(copy_sql, [str(target)]).fetchone()
    finally:
        cursor.close()
    pause_point("publish.exporting")
    return int(counted[0]) if counted else 0


def is_complete(folder: Path) -> bool:
    """A snapshot folder with its manifest and every mart that manifest lists."""
    if folder.name.startswith(TMP_PREFIX):
        return False
    try:
        marts = json.loads((folder / MANIFEST).read_text())["row_counts"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return all((folder / f"{mart}.parquet").is_file() for mart in marts)


def switch_current(published: Path, build_id: str, *, action: str = "publish") -> str | None:
    """Point ``CURRENT`` at a complete snapshot and log the move; returns the previous one."""
    if not is_complete(published / build_id):
        raise FileNotFoundError(f"snapshot {build_id} is not complete")
    previous = current_build_id(published)
    write_atomically(published / POINTER, build_id + "\n")
    # After the switch: the log may miss a move a crash interrupted, never claim one that
    # did not happen. CURRENT is the truth; the log explains it.
    event = {
        "at": datetime.now(UTC).isoformat(),
        "action": action,
        "build_id": build_id,
        "previous": previous,
    }
    with (published / HISTORY).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(event) + "\n")
    return previous


def read_history(published: Path) -> list[dict[str, Any]]:
    """Pointer moves, oldest first; a line a crash cut short is skipped."""
    try:
        lines = (published / HISTORY).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    events = []
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


def list_snapshots(published: Path) -> list[str]:
    """Complete snapshots, oldest first (build ids sort by time)."""
    if not published.is_dir():
        return []
    return sorted(p.name for p in published.iterdir() if p.is_dir() and is_complete(p))


def list_exports(published: Path) -> dict[str, Path]:
    """Whole exports not yet snapshots (their gates run, or they failed and wait for removal):
    build id → folder, oldest first."""
    if not published.is_dir():
        return {}
    folders = sorted(published.glob(f"{TMP_PREFIX}*/{EXPORTED}"))
    return {f.parent.name.removeprefix(TMP_PREFIX): f.parent for f in folders}


def rollback_target(published: Path, to: str | None = None) -> str:
    """The snapshot ``cxbench rollback`` would make live: ``to``, or the newest one older
    than the live snapshot. Refuses with one sentence when there is none."""
    current = current_build_id(published)
    snapshots = list_snapshots(published)
    if to is not None:
        if to not in snapshots:
            raise CxbenchError(
                f"There is no complete snapshot {to!r} to roll back to; "
                "`cxbench status` lists the retained snapshots."
            )
        if to == current:
            raise CxbenchError(f"Snapshot {to} is already live; nothing to roll back.")
        return to
    if current is None:
        raise CxbenchError("Nothing is published yet, so there is nothing to roll back.")
    older = [b for b in snapshots if b < current]
    if not older:
        raise CxbenchError(
            f"No snapshot older than the live one ({current}) is retained, "
            "so there is nothing to roll back to."
        )
    return older[-1]


def remove_partial_snapshots(published: Path) -> list[str]:
    """Delete what a killed publish, prune or switch left behind (temporary folders, files)."""
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


def remove_snapshot(published: Path, build_id: str) -> None:
    """Delete a snapshot; a crash midway leaves a temporary folder, never a broken snapshot."""
    doomed = published / f"{TMP_PREFIX}{build_id}"
    os.replace(published / build_id, doomed)
    shutil.rmtree(doomed, ignore_errors=True)


def prune_snapshots(published: Path, keep: int, protect: Iterable[str | None] = ()) -> list[str]:
    """Keep the newest ``keep`` snapshots, the live one and those in ``protect``."""
    kept = {current_build_id(published), *protect}
    snapshots = list_snapshots(published)
    doomed = [b for b in snapshots[: max(len(snapshots) - max(keep, 1), 0)] if b not in kept]
    for build_id in doomed:
        remove_snapshot(published, build_id)
    return doomed
