"""Hot switch: a newly published snapshot is served without a restart, never mixed with the
old one, and a snapshot that cannot be read leaves the last good one serving."""

from __future__ import annotations

import gc
import json
import os
import shutil
import subprocess
import sys
import time
import weakref
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from cxbench.api import snapshot as snapshot_module
from cxbench.api.snapshot import (
    Index,
    Rendered,
    ResponseCache,
    SnapshotPreloader,
    SnapshotStore,
)
from cxbench.build import BuildRecord
from cxbench.build_worker import settings_environment
from cxbench.keys import create_key
from cxbench.publish import (
    EXPORTED,
    MANIFEST,
    POINTER,
    Export,
    complete_snapshot,
    list_exports,
    remove_snapshot,
    switch_current,
)
from cxbench.settings import PROJECT_DIR, Settings
from tests.python.api.fixtures import auth, make_app
from tests.python.helpers import (
    copy_of_built,
    deliver_copy_of_one_file,
    make_settings,
    wait_for_pause,
)


def republish(published: Path, source: str, build_id: str, shift: float) -> None:
    """A copy of ``source`` as ``build_id`` whose published values are moved by ``shift``."""
    target = published / build_id
    shutil.copytree(published / source, target)
    manifest = json.loads((target / MANIFEST).read_text())
    (target / MANIFEST).write_text(json.dumps({**manifest, "build_id": build_id}))
    cells_file = target / "fct_benchmark_cells.parquet"
    cells = pq.read_table(cells_file)
    moved = pc.add(cells.column("value"), pa.scalar(shift, cells.schema.field("value").type))
    cells = cells.set_column(cells.schema.get_field_index("value"), "value", moved)
    pq.write_table(cells, cells_file)
    os.utime(target)  # written now, as a build writes its snapshot (copytree kept the old time)


def wait_until(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_new_snapshot_is_served_without_restart_and_without_stale_answers(
    built: tuple[Settings, BuildRecord], tmp_path: Path
) -> None:
    settings = make_settings(tmp_path)
    shutil.copytree(built[0].published, settings.published)
    old = built[1].build_id
    app = make_app(settings, tmp_path / "keys.json")
    app.state.snapshots.check_seconds = 0.0
    headers = auth(create_key(tmp_path / "keys.json", "admin"))
    params = {"metric": "nps", "grain": "year"}
    with TestClient(app) as client:
        before = client.get("/v1/benchmarks", params=params, headers=headers).json()
        assert before["build_id"] == old
        assert client.get("/v1/benchmarks", params=params, headers=headers).json() == before

        republish(settings.published, old, "99990101T000000Z-next", shift=1.0)
        switch_current(settings.published, "99990101T000000Z-next")
        wait_until(lambda: client.get("/health").json()["build_id"] == "99990101T000000Z-next")
        after = client.get("/v1/benchmarks", params=params, headers=headers).json()
        assert after["build_id"] == "99990101T000000Z-next"
        pairs = list(zip(before["items"], after["items"], strict=True))
        assert pairs and any(b["value"] is not None for b, _ in pairs)
        for b, a in pairs:
            assert (a["value"] is None) == (b["value"] is None)
            if b["value"] is not None:
                assert abs(a["value"] - b["value"] - 1.0) < 1e-9

        # A pointer to a snapshot that cannot be read: the last good one keeps answering.
        (settings.published / "99990202T000000Z-broken").mkdir()
        (settings.published / POINTER).write_text("99990202T000000Z-broken\n")
        for _ in range(5):
            time.sleep(0.05)
            response = client.get("/v1/benchmarks", params=params, headers=headers)
            assert response.status_code == 200
            assert response.json()["build_id"] == "99990101T000000Z-next"


def test_the_index_finds_what_a_scan_finds() -> None:
    rows = [
        {"m": m, "i": i, "p": p}
        for m in ("nps", "csat")
        for i in ("a", "b", "*")
        for p in ("2025", "2025-Q1")
    ]
    index = Index(rows, ("m", "i", "p"))
    for filters in ({}, {"m": "nps"}, {"m": "csat", "i": "*"}, {"i": "b", "p": "2025"}, {"m": "x"}):
        expected = [r for r in rows if all(r[k] == v for k, v in filters.items())]
        assert index.find(**filters) == expected
    assert index.find(m="nps", i=None) == [r for r in rows if r["m"] == "nps"]


def test_the_response_cache_is_bounded_by_bytes() -> None:
    cache = ResponseCache(max_bytes=1000)
    for n in range(20):
        cache.put(n, Rendered(b"x" * 100, "application/json"))
    assert len(cache) == 10 and cache.get(0) is None and cache.get(19) is not None
    cache.put("huge", Rendered(b"x" * 600, "application/json"))
    assert cache.get("huge") is None  # more than a quarter of the budget: not kept


def test_snapshots_are_freed_after_a_switch_at_shutdown_and_with_their_app(
    built: tuple[Settings, BuildRecord], tmp_path: Path
) -> None:
    """A served snapshot holds the marts in memory (hundreds of MB for the default demo): the
    one a switch replaced is freed at once (no reference cycle waits for the collector), the
    live one at shutdown, and nothing keeps a dropped app alive."""
    settings = make_settings(tmp_path)
    shutil.copytree(built[0].published, settings.published)
    app = make_app(settings, tmp_path / "keys.json")
    app.state.snapshots.check_seconds = 0.0
    headers = auth(create_key(tmp_path / "keys.json", "admin"))
    with TestClient(app) as client:
        for path in ("/docs", "/redoc", "/openapi.json", "/v1/benchmarks?metric=nps"):
            assert client.get(path, headers=headers).status_code == 200, path
        replaced = weakref.ref(app.state.snapshots.get())
        republish(settings.published, built[1].build_id, "99990101T000000Z-next", shift=1.0)
        switch_current(settings.published, "99990101T000000Z-next")
        assert client.get("/health").json()["build_id"] == "99990101T000000Z-next"
        assert replaced() is None, "the snapshot a switch replaced is still in memory"
        live = weakref.ref(app.state.snapshots.get())
    assert live() is None, "the live snapshot outlived the app's shutdown"
    dropped = weakref.ref(app)
    del app, client
    gc.collect()
    assert dropped() is None, "something still holds a dropped app"


def test_a_served_app_freezes_its_snapshot_and_still_frees_the_replaced_one(
    built: tuple[Settings, BuildRecord], tmp_path: Path
) -> None:
    """`cxbench serve`'s app (create_served_app) moves each snapshot out of the collector's
    full passes; reference counting alone must then free the snapshot a switch replaced."""
    settings = make_settings(tmp_path)
    shutil.copytree(built[0].published, settings.published)
    store = SnapshotStore(settings.published, check_seconds=0.0, freeze_gc=True)
    try:
        replaced = weakref.ref(store.get())
        assert gc.get_freeze_count() > 0
        republish(settings.published, built[1].build_id, "99990101T000000Z-next", shift=1.0)
        switch_current(settings.published, "99990101T000000Z-next")
        assert store.get().build_id == "99990101T000000Z-next"
        assert replaced() is None, "a frozen snapshot outlived its switch"
    finally:
        store.release()
        gc.unfreeze()  # this process creates many apps: give their objects back to the collector


def test_a_written_snapshot_is_loaded_before_its_switch_and_let_go_if_its_gate_fails(
    built: tuple[Settings, BuildRecord], tmp_path: Path
) -> None:
    """`cxbench serve` loads a build's snapshot while its attack gate runs (SnapshotPreloader):
    the switch then serves that object without reading the folder again; a snapshot removed
    before its switch (a failed gate) is dropped, and the live one keeps serving."""
    settings = make_settings(tmp_path)
    shutil.copytree(built[0].published, settings.published)
    loads: list[str] = []
    store = SnapshotStore(
        settings.published, check_seconds=0.0, warm=[lambda s: loads.append(s.build_id)]
    )
    preloader = SnapshotPreloader(store, every=0.05)
    try:
        live = store.get()
        assert store.stage_next() is None and loads == [live.build_id]
        republish(settings.published, live.build_id, "99990101T000000Z-next", shift=1.0)
        preloader.start()
        wait_until(lambda: loads[-1] == "99990101T000000Z-next")
        assert store.get() is live  # written, not yet switched to
        switch_current(settings.published, "99990101T000000Z-next")
        assert store.get().build_id == "99990101T000000Z-next"
        assert loads == [live.build_id, "99990101T000000Z-next"]  # loaded once, ahead
        republish(settings.published, live.build_id, "99990102T000000Z-failed", shift=2.0)
        wait_until(lambda: loads[-1] == "99990102T000000Z-failed")
        remove_snapshot(settings.published, "99990102T000000Z-failed")
        preloader.stop()
        assert store.stage_next() is None
        assert store.get().build_id == "99990101T000000Z-next"
        # Rolled back: the newer snapshot it left was written before CURRENT moved.
        switch_current(settings.published, live.build_id, action="rollback")
        assert store.stage_next() is None and loads[-1] == "99990102T000000Z-failed"
    finally:
        preloader.stop()
        store.release()


def test_a_switch_during_the_preloaders_listing_does_not_load_the_snapshot_twice(
    built: tuple[Settings, BuildRecord], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interleaving CI once hit: the preloader lists the folder, then CURRENT moves and a
    request takes the staged snapshot before the preloader's next step; that step must not
    load the same build again (a second copy of every table in memory)."""
    settings = make_settings(tmp_path)
    shutil.copytree(built[0].published, settings.published)
    loads: list[str] = []
    store = SnapshotStore(
        settings.published, check_seconds=0.0, warm=[lambda s: loads.append(s.build_id)]
    )
    try:
        live = store.get()
        republish(settings.published, live.build_id, "99990101T000000Z-next", shift=1.0)
        assert store.stage_next() == "99990101T000000Z-next"
        listed = snapshot_module.list_snapshots

        def list_then_switch(published: Path) -> list[str]:
            snapshots = listed(published)
            switch_current(settings.published, "99990101T000000Z-next")
            assert store.get().build_id == "99990101T000000Z-next"  # takes the staged one
            return snapshots

        monkeypatch.setattr(snapshot_module, "list_snapshots", list_then_switch)
        store.stage_next()
        monkeypatch.setattr(snapshot_module, "list_snapshots", listed)
        assert store.stage_next() is None
        assert loads == [live.build_id, "99990101T000000Z-next"]
    finally:
        store.release()


def test_a_builds_export_is_loaded_while_its_attack_gate_runs_and_served_after_its_switch(
    built: tuple[Settings, BuildRecord], tmp_path: Path
) -> None:
    """A real build parked where its export is whole and its attack gate about to run: the
    store loads the export then (what `cxbench serve`'s preloader does every 0.5 s), serves
    nothing of it before the switch, and after the switch serves that object, with the
    snapshot's manifest, without reading the folder again."""
    settings = copy_of_built(built[0], tmp_path)
    deliver_copy_of_one_file(settings.landing)
    loads: list[str] = []
    store = SnapshotStore(
        settings.published, check_seconds=0.0, warm=[lambda s: loads.append(s.build_id)]
    )
    build = subprocess.Popen(
        [sys.executable, "-m", "cxbench.cli", "build"],
        env={**settings_environment(settings), "CXB_PAUSE_AT": "publish.attack"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=PROJECT_DIR,
    )
    try:
        live = store.get()
        wait_for_pause(build, "publish.attack")
        [(build_id, export)] = list_exports(settings.published).items()
        assert store.stage_next() == build_id
        assert loads == [live.build_id, build_id]
        assert store.get() is live  # an export is never served
        # What the build does once its gates pass (parked here, it never will): the export
        # becomes the snapshot, then CURRENT moves to it.
        counts = json.loads((export / EXPORTED).read_text())["row_counts"]
        manifest = {"published_at": "2026-12-04T12:00:00+00:00"}
        complete_snapshot(settings.published, Export(build_id, export, counts), manifest)
        switch_current(settings.published, build_id)
        served = store.get()
        assert served.build_id == build_id and served.published_at == manifest["published_at"]
        assert loads == [live.build_id, build_id]  # loaded once, ahead of the switch
    finally:
        build.kill()
        build.wait(timeout=60)
        store.release()
