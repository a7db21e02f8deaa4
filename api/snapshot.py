"""The published snapshot, held in memory and swapped when ``CURRENT`` moves.

The published marts are small, so the API serves them from memory: each snapshot is read once
into plain Python rows with lookup indexes. A request takes a reference to the snapshot that is
current when it starts and finishes on it, so a switch never mixes two builds in one answer.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pyarrow.parquet as pq

from cxbench.publish import MANIFEST, POINTER, current_build_id

GRAINS = ("month", "quarter", "year")
T = TypeVar("T")
ALL = "*"


def _read_rows(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()
    return rows


@dataclass
class LoadedSnapshot:
    build_id: str
    manifest: dict[str, Any]
    cells: list[dict[str, Any]]
    clients: dict[str, dict[str, Any]]
    industries: list[dict[str, Any]]
    touchpoints: list[dict[str, Any]]
    metrics: list[dict[str, Any]]
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    cells_by_metric: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    periods: dict[str, list[str]] = field(default_factory=dict)
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)
    _memo_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def load(cls, folder: Path) -> LoadedSnapshot:
        manifest = json.loads((folder / MANIFEST).read_text())
        # Every published mart, by name; routes build their own indexes with memo().
        tables = {path.stem: _read_rows(path) for path in sorted(folder.glob("*.parquet"))}
        cells = tables["fct_benchmark_cells"]
        snapshot = cls(
            build_id=manifest["build_id"],
            manifest=manifest,
            cells=cells,
            clients={c["client_id"]: c for c in tables["dim_clients"]},
            industries=tables["dim_industries"],
            touchpoints=tables["dim_touchpoints"],
            metrics=tables["dim_metrics"],
            tables=tables,
        )
        by_metric: dict[str, list[dict[str, Any]]] = defaultdict(list)
        periods: dict[str, set[str]] = defaultdict(set)
        for cell in sorted(cells, key=_cell_order):
            by_metric[cell["metric_code"]].append(cell)
            periods[cell["period_grain"]].add(cell["period"])
        snapshot.cells_by_metric = dict(by_metric)
        snapshot.periods = {g: sorted(periods.get(g, ())) for g in GRAINS}
        return snapshot

    def memo(self, key: str, build: Callable[[LoadedSnapshot], T]) -> T:
        """An index or other derived value computed once per snapshot (thread-safe)."""
        if key not in self._memo:
            with self._memo_lock:
                if key not in self._memo:
                    self._memo[key] = build(self)
        value: T = self._memo[key]
        return value

    @property
    def published_at(self) -> str | None:
        value = self.manifest.get("published_at")
        return str(value) if value is not None else None

    @property
    def industry_codes(self) -> set[str]:
        return {i["industry_code"] for i in self.industries} | {ALL}

    @property
    def touchpoint_codes(self) -> set[str]:
        return {t["touchpoint_code"] for t in self.touchpoints} | {ALL}

    @property
    def metric_codes(self) -> set[str]:
        return {m["metric_code"] for m in self.metrics}

    @property
    def all_periods(self) -> set[str]:
        return {p for values in self.periods.values() for p in values}


def _cell_order(cell: dict[str, Any]) -> tuple[str, str, str, str, str]:
    return (
        cell["metric_code"],
        cell["period_grain"],
        cell["period"],
        cell["industry_code"],
        cell["touchpoint_code"],
    )


class SnapshotStore:
    """Hands out the current snapshot.

    Every call compares ``CURRENT``'s identity (one ``stat``: a publish replaces the file, so
    its inode and mtime change) with the one last read, and re-reads it at least every
    ``check_seconds`` anyway. Checking on every request is what keeps a switch monotonic
    across uvicorn workers: once any request has seen the new build, ``CURRENT`` already
    points at it, so every request that starts later sees it too (waiting while its worker
    loads it) and none goes back to the old one.
    """

    def __init__(self, published: Path, check_seconds: float = 1.0) -> None:
        self.published = published
        self.check_seconds = check_seconds
        self._lock = threading.Lock()
        self._snapshot: LoadedSnapshot | None = None
        self._checked_at = 0.0
        self._pointer_stamp: tuple[int, int, int] | None = None

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            stat = os.stat(self.published / POINTER)
        except FileNotFoundError:
            return None
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def get(self) -> LoadedSnapshot | None:
        stamp = self._stamp()
        now = time.monotonic()
        if (
            self._snapshot is not None
            and stamp == self._pointer_stamp
            and now - self._checked_at < self.check_seconds
        ):
            return self._snapshot
        with self._lock:
            if (
                self._snapshot is None
                or stamp != self._pointer_stamp
                or now - self._checked_at >= self.check_seconds
            ):
                self._refresh()
                self._pointer_stamp = stamp
                self._checked_at = time.monotonic()
        return self._snapshot

    def _refresh(self) -> None:
        build_id = current_build_id(self.published)
        if build_id is None or (self._snapshot and self._snapshot.build_id == build_id):
            return
        try:
            self._snapshot = LoadedSnapshot.load(self.published / build_id)
        except (OSError, ValueError, KeyError):
            # A pointer to a snapshot that cannot be read: keep serving the one we have.
            if not (self.published / POINTER).exists():
                self._snapshot = None
