"""The published snapshot, held in memory and swapped when ``CURRENT`` moves.

The published marts are small, so the API serves them from memory: each snapshot is read once
into plain Python rows, its largest marts into Arrow tables (``ARROW_MARTS``). Routes derive
their indexes from it once (``memo``) and keep the bytes of answers they have given
(``responses``), so a repeated question costs a dictionary lookup.
Everything derived hangs off the snapshot object itself: when a new build is published, the new
snapshot starts with empty caches and the old one is dropped with its own.

A request takes a reference to the snapshot that is current when it starts and finishes on it,
so a switch never mixes two builds in one answer. The first request after ``CURRENT`` moves
loads the new snapshot (requests in that worker wait for it, well under a second for the demo);
none is ever answered from an older build than one already served. ``cxbench serve`` loads a
build's export ahead, while the build's attack gate runs on it (``SnapshotPreloader``; the
export is served only once it is the snapshot ``CURRENT`` points at): reading one costs ~1 s
at the default demo, which the first request after the switch, and so every delivery until
visible, would otherwise wait for.
"""

from __future__ import annotations

import gc
import json
import os
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cxbench.publish import (
    EXPORTED,
    MANIFEST,
    POINTER,
    current_build_id,
    list_exports,
    list_snapshots,
    read_snapshot,
)

GRAINS = ("month", "quarter", "year")
T = TypeVar("T")
ALL = "*"
Row = dict[str, Any]
# Published marts held as Arrow tables rather than Python rows: each has 10⁵+ rows on the demo,
# which as dicts would double the snapshot's memory and take seconds to load at every switch
# (the unit scorecards: 0.9 s of a 500k-answer demo's 2.1 s); routes filter them per question.
ARROW_MARTS = frozenset(
    {
        "fct_theme_benchmark_cells",
        "fct_client_comment_themes",
        "fct_comment_verbatims",
        "fct_unit_scorecards",
    }
)


def _read_rows(path: Path) -> list[Row]:
    rows: list[Row] = pq.read_table(path).to_pylist()
    return rows


def rows_of_client(table: pa.Table, client_id: str) -> list[Row]:
    """One client's rows of an Arrow mart, as Python rows."""
    rows: list[Row] = table.filter(pc.equal(table["client_id"], client_id)).to_pylist()
    return rows


class Index:
    """Rows looked up by any combination of equality filters on chosen columns.

    Each (column, value) pair maps to the rows that have it, in table order; a query starts from
    the shortest of its lists and checks the other filters on those rows only.
    """

    def __init__(self, rows: Sequence[Row], columns: Iterable[str]) -> None:
        self.rows = rows
        self.columns = tuple(columns)
        postings: dict[tuple[str, Any], list[Row]] = defaultdict(list)
        for row in rows:
            for column in self.columns:
                postings[(column, row[column])].append(row)
        self._postings = dict(postings)

    def find(self, **filters: Any) -> list[Row]:
        wanted = [(c, v) for c, v in filters.items() if v is not None]
        if not wanted:
            return list(self.rows)
        lists = sorted((self._postings.get(pair, []) for pair in wanted), key=len)
        first, rest = lists[0], wanted
        return [row for row in first if all(row[c] == v for c, v in rest)]


@dataclass(frozen=True)
class Rendered:
    """An answer ready to send: its body and the headers that describe it, its ETag (a hash of
    the body), the body gzipped once when it is large, and (for a replay record) the route
    template it came from, for the access log."""

    body: bytes
    media_type: str
    headers: tuple[tuple[str, str], ...] = ()
    etag: str = ""
    gzipped: bytes | None = None
    route: str | None = None

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"")


class ResponseCache:
    """Rendered answers by query, least recently used out first.

    Bounded by the bytes it holds, so a crawler walking every combination of filters cannot
    grow the process without limit.
    """

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, Rendered] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Rendered | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: Hashable, rendered: Rendered) -> None:
        # Sizes are counted per entry, even when two entries share one body: an overestimate.
        size = rendered.size
        if size > self.max_bytes // 4:
            return  # one huge answer must not evict everything else
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._entries[key] = rendered
            self._bytes += size
            while self._bytes > self.max_bytes and self._entries:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.size

    def __len__(self) -> int:
        return len(self._entries)


@dataclass
class LoadedSnapshot:
    build_id: str
    manifest: dict[str, Any]
    cells: list[Row]
    clients: dict[str, Row]
    industries: list[Row]
    touchpoints: list[Row]
    metrics: list[Row]
    tables: dict[str, list[Row]] = field(default_factory=dict)
    arrow: dict[str, pa.Table] = field(default_factory=dict)
    periods: dict[str, list[str]] = field(default_factory=dict)
    responses: ResponseCache = field(default_factory=ResponseCache, repr=False)
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)
    _memo_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def load(cls, folder: Path, manifest_file: str = MANIFEST) -> LoadedSnapshot:
        """A snapshot folder, or a build's export with ``manifest_file=EXPORTED`` (its manifest
        then holds the build id and row counts only: ``SnapshotStore`` reads the snapshot's at
        the switch)."""
        manifest = json.loads((folder / manifest_file).read_text())
        # Every published mart, by name; routes build their own indexes with memo().
        paths = sorted(folder.glob("*.parquet"))
        tables = {p.stem: _read_rows(p) for p in paths if p.stem not in ARROW_MARTS}
        arrow = {p.stem: pq.read_table(p) for p in paths if p.stem in ARROW_MARTS}
        cells = sorted(tables["fct_benchmark_cells"], key=_cell_order)
        periods: dict[str, set[str]] = defaultdict(set)
        for cell in cells:
            periods[cell["period_grain"]].add(cell["period"])
        return cls(
            build_id=manifest["build_id"],
            manifest=manifest,
            cells=cells,
            clients={c["client_id"]: c for c in tables["dim_clients"]},
            industries=tables["dim_industries"],
            touchpoints=tables["dim_touchpoints"],
            metrics=tables["dim_metrics"],
            tables=tables,
            arrow=arrow,
            periods={g: sorted(periods.get(g, ())) for g in GRAINS},
        )

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
    def industry_codes(self) -> frozenset[str]:
        return self.memo(
            "industry_codes",
            lambda s: frozenset(i["industry_code"] for i in s.industries) | {ALL},
        )

    @property
    def touchpoint_codes(self) -> frozenset[str]:
        return self.memo(
            "touchpoint_codes",
            lambda s: frozenset(t["touchpoint_code"] for t in s.touchpoints) | {ALL},
        )

    @property
    def metric_codes(self) -> frozenset[str]:
        """Metrics with cells and scorecards of their own (index components have none)."""
        return self.memo(
            "metric_codes",
            lambda s: frozenset(m["metric_code"] for m in s.metrics if m["is_benchmarked"]),
        )

    @property
    def metric_kinds(self) -> dict[str, str]:
        """Each catalogue metric's kind, which picks its rules (e.g. NPS levers for targets)."""
        return self.memo(
            "metric_kinds", lambda s: {m["metric_code"]: m["metric_kind"] for m in s.metrics}
        )

    @property
    def all_periods(self) -> frozenset[str]:
        return self.memo(
            "all_periods", lambda s: frozenset(p for ps in s.periods.values() for p in ps)
        )


def _cell_order(cell: Row) -> tuple[str, str, str, str, str]:
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
    loads it) and none goes back to the old one. ``warm`` functions (routes' indexes) run on a
    new snapshot before it goes live. ``freeze_gc`` moves each loaded snapshot to the
    collector's permanent generation (``gc.freeze``).
    """

    def __init__(
        self,
        published: Path,
        check_seconds: float = 1.0,
        warm: Sequence[Callable[[LoadedSnapshot], object]] = (),
        freeze_gc: bool = False,
    ) -> None:
        self.published = published
        self.check_seconds = check_seconds
        self.warm = tuple(warm)
        self.freeze_gc = freeze_gc
        self._lock = threading.Lock()
        self._snapshot: LoadedSnapshot | None = None
        self._checked_at = -float("inf")
        self._failed: str | None = None
        self._pointer_stamp: tuple[int, int, int] | None = None
        # A snapshot loaded ahead of its switch (``stage_next``), and the build being loaded so.
        self._staged: LoadedSnapshot | None = None
        self._staging: str | None = None
        self._staging_done = threading.Condition()

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
                self._check()
                self._pointer_stamp = stamp
                self._checked_at = time.monotonic()
        return self._snapshot

    def release(self) -> None:
        """Drop the snapshot held (at shutdown); a later ``get`` loads the current one again."""
        with self._lock:
            self._snapshot = None
            self._pointer_stamp = None
            self._checked_at = -float("inf")
        with self._staging_done:
            self._staged = None

    def stage_next(self) -> str | None:
        """Load the newest build written since ``CURRENT`` last moved, not yet switched to, so
        the switch finds it loaded; returns its build id. That is a build's whole export while
        its last gates run on it (``publish.EXPORTED``), or a complete snapshot. A staged build
        whose folder is gone (its gate failed) is let go. Builds newer than a rolled-back
        ``CURRENT`` were written before it moved: not staged.
        """
        live = current_build_id(self.published) or ""
        moved = self._stamp()
        moved_at = moved[1] if moved else 0
        written = {b: (self.published / b, MANIFEST) for b in list_snapshots(self.published)}
        for build_id, folder in list_exports(self.published).items():
            written.setdefault(build_id, (folder, EXPORTED))
        newer = [
            b
            for b, (folder, _) in sorted(written.items())
            if b > live and b != self._failed and _written_at(folder) > moved_at
        ]
        with self._staging_done:
            if self._stamp() != moved:
                # CURRENT moved while the folder was listed: the switch may already have
                # taken the staged snapshot; the next call decides against the new pointer.
                return None
            if self._staged is not None and self._staged.build_id not in newer:
                self._staged = None
            if not newer or (self._staged and self._staged.build_id == newer[-1]):
                return self._staged.build_id if self._staged else None
            self._staging = newer[-1]
        staged = None
        try:
            staged = self._load(*written[newer[-1]])
        except (OSError, ValueError, KeyError):
            pass  # removed meanwhile (a failed gate), or not readable: the switch will say
        finally:
            with self._staging_done:
                self._staging = None
                if staged is not None:
                    self._staged = staged
                self._staging_done.notify_all()
        return staged.build_id if staged else None

    def _take_staged(self, build_id: str) -> LoadedSnapshot | None:
        """The snapshot ``stage_next`` loaded for ``build_id``, waiting while it is loading,
        with the manifest of the snapshot it has become (one loaded as an export has only the
        export's)."""
        with self._staging_done:
            while self._staging == build_id:
                self._staging_done.wait()
            staged = self._staged
            if staged is None or staged.build_id != build_id:
                return None
            self._staged = None
        staged.manifest = read_snapshot(self.published, build_id).manifest
        return staged

    def _load(self, folder: Path, manifest_file: str = MANIFEST) -> LoadedSnapshot:
        snapshot = LoadedSnapshot.load(folder, manifest_file)
        for warm in self.warm:
            warm(snapshot)
        return snapshot

    def _check(self) -> None:
        build_id = current_build_id(self.published)
        current = self._snapshot.build_id if self._snapshot else None
        if build_id is None or build_id in (current, self._failed):
            return
        try:
            snapshot = self._take_staged(build_id) or self._load(self.published / build_id)
        except (OSError, ValueError, KeyError):
            # A pointer to a snapshot that cannot be read: keep serving the one we have, and
            # do not retry that build on every request.
            self._failed = build_id
        else:
            self._snapshot = snapshot
            if self.freeze_gc:
                # A snapshot is millions of row objects that never form cycles: take them out
                # of the cyclic collector's full passes, which otherwise walk all of them every
                # so often (100–500 ms pauses at p99). Reference counting still frees a
                # replaced snapshot. Only for a process that serves one app (see main.py).
                gc.collect()
                gc.freeze()


def _written_at(folder: Path) -> int:
    """When a snapshot folder was written: its mtime (the manifest is its last entry)."""
    try:
        return folder.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


class SnapshotPreloader:
    """A thread that has a store stage each build's export as soon as it is whole, or a
    snapshot as soon as it is written (``SnapshotStore.stage_next``), checking every ``every``
    seconds (one directory listing); stopped with the app."""

    def __init__(self, store: SnapshotStore, every: float = 0.5) -> None:
        self.store = store
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cxbench-preload", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.store.stage_next()
            except OSError:  # the published folder changing under the listing: next time
                continue
