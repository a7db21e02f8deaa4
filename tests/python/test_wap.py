"""Write-audit-publish under faults, concurrent builds and load — real processes, no mocks.

Every build here is a real `cxbench build` child process and the API a real uvicorn with two
workers on 127.0.0.1. One small warehouse is shared by the module and its tests run in file
order, each starting from the state the previous one left (its docstring says which). A dbt
build costs 20–40 s, so the fault points are chained: each killed build begins by cleaning up
after the one killed before it and has to get past the point where that one died.

    B1 published (setup) → B2 published under load → rollback to B1
    → killed in the raw audit → killed in dbt → killed in the mart audit (a second build and a
      rollback are refused meanwhile) → killed in publish → B3 published under load, all
      leftovers cleaned up → a failing mart audit, then a failing dbt test, in a copy of the
      project: nothing published, B3 stays live

The numbers the issue asks for (requests made, switch time) are printed: run with `-s`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from cxbench.demo import generate_demo
from cxbench.keys import create_key
from cxbench.landing import read_load_log
from cxbench.publish import (
    EXPORTED,
    MANIFEST,
    current_build_id,
    is_complete,
    list_exports,
    list_snapshots,
)
from cxbench.relations import MARTS
from cxbench.settings import PROJECT_DIR, Settings
from tests.python.helpers import (
    build_here,
    copy_project,
    make_settings,
    run_cxbench,
    skip_unit_tests,
    wait_for_pause,
)

WAP_DEMO = {"clients": 96, "answers": 20_000, "seed": 11}

TIMEOUT = 300.0  # a cap against hangs, never an assertion on speed
# Seconds between one request loop thread's requests (RequestLoop.pause).
CALM = 0.25
BUSY = 0.02
SWITCH_NEAR = r"^\[audit_marts\] "  # the build's line from which the loop asks at BUSY


def get_json(port: int, path: str, key: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    response = httpx.get(f"http://127.0.0.1:{port}{path}", headers=headers, timeout=30)
    response.raise_for_status()
    data: dict[str, Any] = response.json()
    return data


def run_cli(
    env: dict[str, str], *args: str, cwd: Path = PROJECT_DIR
) -> subprocess.CompletedProcess[str]:
    return run_cxbench(env, *args, cwd=cwd, timeout=TIMEOUT)


def final_message(stderr: str) -> str:
    """The error a command ended with (DuckDB may add nanobind leak notices after it)."""
    errors = [line for line in stderr.splitlines() if line.startswith("cxbench: ")]
    assert len(errors) == 1, stderr
    return errors[0]


class BuildProcess:
    """`cxbench build` as a child process whose merged output is read line by line."""

    def __init__(self, env: dict[str, str], warehouse: Path, cwd: Path = PROJECT_DIR) -> None:
        self.warehouse = warehouse
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cxbench.cli", "build"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=cwd,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, pattern: str) -> str:
        """Block until a line matches ``pattern``; fail if the build ends (or hangs) first."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + TIMEOUT
        seen = 0
        while time.monotonic() < deadline:
            while seen < len(self.lines):
                if regex.search(self.lines[seen]):
                    return self.lines[seen]
                seen += 1
            if self.proc.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.02)
        code = self.proc.poll()
        self.kill()
        ended = "was still running" if code is None else f"exited with {code}"
        raise AssertionError(
            f"no line matching {pattern!r}; the build {ended} and said:\n{self.output}"
        )

    @property
    def build_id(self) -> str:
        """The id of this build, from the lock it holds (taken before its first step)."""
        holder = json.loads((self.warehouse / "build.lock").read_text())
        assert holder["pid"] == self.proc.pid, holder
        return str(holder["build_id"])

    def kill(self) -> None:
        """SIGKILL: no handler, no cleanup — what a crash or the OOM killer does."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._reader.join(timeout=10)

    def finish(self) -> int:
        code = self.proc.wait(timeout=TIMEOUT)
        self._reader.join(timeout=10)
        return code


def children_of(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def dbt_children_of(pid: int) -> list[int]:
    """The build's running dbt processes (``python -m cxbench.dbt_child``). Not every child:
    importing Great Expectations in the background (cxbench/build.py) starts multiprocessing's
    resource tracker, which ends on its own once the build has exited."""
    running = []
    for child in children_of(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"cxbench.dbt_child" in command and is_running(child):
            running.append(child)
    return running


def is_running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in {"Z", "X"}


@dataclass
class RequestLoop:
    """A bounded request loop against the API: a few threads, capped in count and time.

    Each request opens its own connection, so the kernel spreads them over the uvicorn
    workers; a pause between requests leaves the CPU to the build under test. Every
    response is recorded with its start and end (monotonic clock), the build id
    it carried and its end on the wall clock (to compare with when CURRENT was replaced).

    ``pause`` may be changed while the loop runs: the tests ask at CALM while dbt runs (the
    API keeps answering while the build writes) and at BUSY from the mart audit on, through
    the switch. At BUSY all the time, the loop's requests and the two workers answering them
    took about a core from the build they wait for and doubled its time.
    """

    port: int
    key: str
    threads: int = 3
    max_requests: int = 40_000
    max_seconds: float = TIMEOUT
    pause: float = BUSY
    results: list[tuple[int, float, float, float, int, str | None]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)
    query: str = "/v1/benchmarks?metric=nps&industry=*&touchpoint=*&grain=year"

    def _run(self, thread: int) -> None:
        started = time.monotonic()
        auth = {"Authorization": f"Bearer {self.key}"}
        paths = [("/health", {}), (self.query, auth)]
        turn = 0
        # No keep-alive: every request is a new connection, spread over the workers.
        with httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}",
            limits=httpx.Limits(max_keepalive_connections=0),
            timeout=30,
        ) as client:
            while not self._stop.is_set() and len(self.results) < self.max_requests:
                if time.monotonic() - started > self.max_seconds:
                    break
                path, headers = paths[turn % 2]
                turn += 1
                t0 = time.monotonic()
                try:
                    response = client.get(path, headers=headers)
                    status = response.status_code
                    build_id = response.json().get("build_id") if status == 200 else None
                except httpx.HTTPError as exc:  # refused, reset, timed out: a failed request
                    status, build_id = -1, repr(exc)
                self.results.append((thread, t0, time.monotonic(), time.time(), status, build_id))
                self._stop.wait(self.pause)

    def __enter__(self) -> RequestLoop:
        self._workers = [
            threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(self.threads)
        ]
        for worker in self._workers:
            worker.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=60)

    def check_one_switch(self, old: str, new: str, current_file: Path) -> dict[str, float]:
        """Zero failed requests, and the build id moves from old to new exactly once."""
        failed = [r for r in self.results if r[4] != 200]
        assert not failed, f"{len(failed)} of {len(self.results)} requests failed: {failed[:3]}"
        seen = {r[5] for r in self.results}
        assert seen == {old, new}, seen
        for thread in range(self.threads):
            ids = [r[5] for r in sorted(self.results, key=lambda r: r[1]) if r[0] == thread]
            # Per thread, requests are sequential: old…old new…new, never back.
            assert ids == sorted(ids, key=lambda b: b == new), f"thread {thread} went back"
        first_new = min((r for r in self.results if r[5] == new), key=lambda r: r[2])
        stale = [r for r in self.results if r[5] == old and r[1] > first_new[2]]
        assert not stale, f"{len(stale)} requests started after one saw {new} got {old}"
        # The rename that replaced CURRENT set its inode's ctime (mtime is the earlier write).
        switched_at = current_file.stat().st_ctime_ns / 1e9
        return {
            "requests": len(self.results),
            "switch_seconds": round(first_new[3] - switched_at, 3),
            "requests_after_switch": sum(1 for r in self.results if r[5] == new),
        }


@dataclass
class Wap:
    """The module's warehouse, its API server and the build ids established so far."""

    settings: Settings
    env: dict[str, str]
    port: int
    key: str
    ids: dict[str, str] = field(default_factory=dict)
    killed: list[str] = field(default_factory=list)

    def health(self) -> str:
        return str(get_json(self.port, "/health")["build_id"])

    def wait_until_served(self, build_id: str) -> None:
        deadline = time.monotonic() + 30
        while self.health() != build_id:
            assert time.monotonic() < deadline, f"the API never switched to {build_id}"
            time.sleep(0.05)

    def build(self, **extra_env: str) -> BuildProcess:
        return BuildProcess({**self.env, **extra_env}, self.settings.warehouse)

    def assert_old_snapshot_live(self, old: str) -> None:
        """What a killed build must leave: CURRENT and the API both still on ``old``."""
        assert current_build_id(self.settings.published) == old
        assert self.health() == old
        body = get_json(self.port, "/v1/meta", self.key)
        assert body["build_id"] == old

    @property
    def published(self) -> Path:
        return self.settings.published


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def wap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wap]:
    """B1 built in-process on a small demo, served by `cxbench serve --workers 2`."""
    root = tmp_path_factory.mktemp("wap")
    settings = make_settings(root)
    generate_demo(settings.landing, PROJECT_DIR / "seeds", **WAP_DEMO)
    first = build_here(settings)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "CXB_HOME": str(settings.home),
        "CXB_LANDING_DIR": str(settings.landing),
        "CXB_WAREHOUSE_DIR": str(settings.warehouse),
        "CXB_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit,
        # Keep one snapshot beyond the protected ones, so retention has work to do here.
        "CXB_KEEP_SNAPSHOTS": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "cxbench.cli", "serve", "--port", str(port), "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=PROJECT_DIR,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                get_json(port, "/health")
                break
            except httpx.HTTPError:
                assert server.poll() is None, "cxbench serve exited"
                assert time.monotonic() < deadline, "cxbench serve did not start"
                time.sleep(0.2)
        key = create_key(settings.keys_file, "admin", label="test_wap")
        yield Wap(settings=settings, env=env, port=port, key=key, ids={"B1": first.build_id})
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def test_api_switches_once_under_load_while_a_build_publishes(wap: Wap) -> None:
    """B1 live → a rebuild publishes B2 while three threads query the API: no request fails,
    and the build id changes exactly once, from B1 to B2, never back (across both workers)."""
    old = wap.ids["B1"]
    assert wap.health() == old
    with RequestLoop(wap.port, wap.key, pause=CALM) as loop:
        build = wap.build()
        build.wait_for(SWITCH_NEAR)
        loop.pause = BUSY
        assert build.finish() == 0, build.output
        new = current_build_id(wap.published)
        assert new is not None and new != old
        deadline = time.monotonic() + 30
        while not any(r[5] == new for r in loop.results[-50:]):
            assert time.monotonic() < deadline, "the request loop never saw the new build"
            time.sleep(0.05)
        time.sleep(1.0)  # keep asking a little after the switch: nothing may go back
    numbers = loop.check_one_switch(old, new, wap.published / "CURRENT")
    print(f"\n[wap] request loop during publish of {new}: {numbers}")
    wap.ids["B2"] = new


def test_rollback_switches_back_and_refuses_when_there_is_nothing_older(wap: Wap) -> None:
    """B2 live → `cxbench rollback` makes B1 live again (the API follows without a restart);
    status says so and lists both snapshots; a second rollback and unknown targets refuse."""
    b1, b2 = wap.ids["B1"], wap.ids["B2"]
    done = run_cli(wap.env, "rollback")
    assert done.returncode == 0, done.stderr
    assert f"{b1} is live again" in done.stdout
    assert current_build_id(wap.published) == b1
    wap.wait_until_served(b1)

    status = run_cli(wap.env, "status").stdout
    assert f"Live snapshot: {b1}" in status
    assert f"rolled back from {b2}" in status
    retained = status.split("Retained snapshots", 1)[1]
    assert retained.index(b2) < retained.index(b1), "newest first"
    assert f"{b1}  built" in retained and "<- live" in retained.split(b1, 1)[1].splitlines()[0]

    for args, says in (
        (("rollback",), "No snapshot older than the live one"),
        (("rollback", "--to", "20990101T000000Z-000000"), "There is no complete snapshot"),
        (("rollback", "--to", b1), "already live"),
    ):
        refused = run_cli(wap.env, *args)
        assert refused.returncode == 1, args
        assert "Traceback" not in refused.stderr
        assert says in final_message(refused.stderr), refused.stderr
    assert current_build_id(wap.published) == b1


def test_build_killed_in_raw_audit_leaves_b1_live(wap: Wap) -> None:
    """B1 live (rolled back) → a new delivery arrives; the build is killed while it audits
    the landed batch, before the batch is committed: its landed file is an orphan. dbt's child,
    started early to parse meanwhile (it runs only after the raw audit), dies with it."""
    demo_file = next(p for p in sorted(wap.settings.landing.rglob("*.csv")))
    late = wap.settings.landing / "late" / "redelivery.csv"
    late.parent.mkdir(parents=True)
    shutil.copyfile(demo_file, late)
    committed = {r.load_id for r in read_load_log(wap.settings.landed)}

    build = wap.build()
    build.wait_for(r"^\[audit_raw\] ")
    waiting = dbt_children_of(build.proc.pid)
    assert waiting, "dbt's child should be parsing or waiting while the batch is audited"
    wap.killed.append(build.build_id)
    build.kill()
    deadline = time.monotonic() + 15
    while any(is_running(pid) for pid in waiting):
        assert time.monotonic() < deadline, "dbt's waiting child outlived its killed build"
        time.sleep(0.05)

    landed = {int(p.stem) for p in (wap.settings.landed / "answers").glob("0*.parquet")}
    assert landed - committed, "the killed build should have left its uncommitted batch"
    wap.assert_old_snapshot_live(wap.ids["B1"])


def test_build_killed_in_dbt_takes_dbt_down_with_it(wap: Wap) -> None:
    """Killed in raw audit before → this build re-lands the late file (orphan removed), passes
    the raw audit and is killed while dbt writes a mart table. dbt must die with it."""
    build = wap.build()
    build.wait_for(rf"^  dbt \d+/\d+ start model {MARTS}\.")
    dbt = dbt_children_of(build.proc.pid)
    assert dbt, "dbt should be running as a child of the build"
    wap.killed.append(build.build_id)
    build.kill()

    deadline = time.monotonic() + 15
    while any(is_running(pid) for pid in dbt):
        assert time.monotonic() < deadline, "dbt outlived its killed build"
        time.sleep(0.05)
    log = read_load_log(wap.settings.landed)
    assert [r.source_file for r in log].count("late/redelivery.csv") == 1
    owned = {r.load_id for r in log if r.status == "loaded"}
    landed = {int(p.stem) for p in (wap.settings.landed / "answers").glob("0*.parquet")}
    assert landed == owned, "no orphan landed files"
    # dbt writes run_results.json at the end; the stale one was removed before dbt started.
    assert not (wap.settings.warehouse / "dbt_target" / "run_results.json").exists()
    wal = wap.settings.database.with_name(wap.settings.database.name + ".wal")
    print(f"\n[wap] killed during dbt; DuckDB write-ahead log left: {wal.exists()}")
    wap.assert_old_snapshot_live(wap.ids["B1"])

    status = run_cli(wap.env, "status").stdout
    assert f"Last build: {wap.killed[-1]} — interrupted" in status
    assert f"the previous snapshot {wap.ids['B1']} is still live" in status


def test_second_build_is_refused_and_a_build_killed_in_mart_audit_leaves_b1_live(
    wap: Wap,
) -> None:
    """Killed in dbt before → this build recovers the DuckDB file, runs dbt (meanwhile a
    second build and a rollback are refused in one sentence), and is killed in the mart
    audit."""
    build = wap.build()
    build.wait_for(r"^\[dbt_build\] ")
    assert f"record of build {wap.killed[-1]} (interrupted)" in build.output
    running = build.build_id
    for args, says in (
        (("build",), f"Another build is running (build {running}, pid {build.proc.pid}"),
        (("rollback",), f"A build is running (build {running}"),
    ):
        refused = run_cli(wap.env, *args)
        assert refused.returncode == 1, refused.stderr
        message = final_message(refused.stderr)
        assert says in message and message.startswith("cxbench: "), refused.stderr
        assert message.count(". ") == 0 and "Traceback" not in refused.stderr
    status = run_cli(wap.env, "status").stdout
    assert f"Last build: {running} — running (pid {build.proc.pid})" in status

    build.wait_for(r"^\[audit_marts\] ")
    wap.killed.append(running)
    build.kill()
    assert re.search(r"^\[dbt_build\] done in ", build.output, re.MULTILINE), build.output
    wap.assert_old_snapshot_live(wap.ids["B1"])


def test_build_killed_in_publish_leaves_b1_live(wap: Wap) -> None:
    """Killed in the mart audit before → this build passes every gate, writes its complete
    snapshot and is killed just before switching CURRENT. Then a publish is killed halfway
    through exporting its marts (the publish step run on its own, without a build)."""
    build = wap.build(CXB_PAUSE_AT="publish.switch")
    build.wait_for(r"^\[pause\] publish\.switch")
    unpublished = build.build_id
    assert is_complete(wap.published / unpublished)
    wap.killed.append(unpublished)
    build.kill()
    wap.assert_old_snapshot_live(wap.ids["B1"])

    export = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from cxbench.publish import export_snapshot; "
            "export_snapshot(Path(sys.argv[1]), Path(sys.argv[2]), 'halfway')",
            str(wap.settings.database),
            str(wap.published),
        ],
        stderr=subprocess.PIPE,
        text=True,
        env={**wap.env, "CXB_PAUSE_AT": "publish.exporting"},
        cwd=PROJECT_DIR,
    )
    wait_for_pause(export, "publish.exporting")
    export.kill()
    export.wait(timeout=30)
    # The marts export a few at a time, and each pauses once its own file is written: which
    # ones are done by then varies, but at least one is, and the manifest is not.
    halfway = wap.published / ".tmp-halfway"
    assert list(halfway.glob("*.parquet")), "no mart was exported before the pause"
    assert not (halfway / MANIFEST).exists() and not (halfway / EXPORTED).exists()
    assert "halfway" not in list_snapshots(wap.published)
    assert "halfway" not in list_exports(wap.published)  # no server loads half an export
    wap.assert_old_snapshot_live(wap.ids["B1"])


def test_next_build_cleans_up_publishes_and_prunes_under_load(wap: Wap) -> None:
    """Four builds killed before → the next one removes everything they left, publishes B3
    (the API switches once under load, no failed request) and retention keeps B3 and B1 (the
    snapshot it replaced) but removes B2 (CXB_KEEP_SNAPSHOTS=1)."""
    b1, b2 = wap.ids["B1"], wap.ids["B2"]
    unpublished = wap.killed[-1]
    with RequestLoop(wap.port, wap.key, pause=CALM) as loop:
        build = wap.build()
        build.wait_for(SWITCH_NEAR)
        loop.pause = BUSY
        assert build.finish() == 0, build.output
        new = current_build_id(wap.published)
        assert new is not None and new not in {b1, b2}
        wap.wait_until_served(new)
        time.sleep(1.0)
    numbers = loop.check_one_switch(b1, new, wap.published / "CURRENT")
    print(f"\n[wap] request loop during publish of {new} (after four kills): {numbers}")
    wap.ids["B3"] = new

    cleanup = next(line for line in build.lines if line.startswith("cleaned up"))
    assert ".tmp-halfway" in cleanup and f"unpublished snapshot {unpublished}" in cleanup
    assert f"removed old snapshots (keeping 1): {b2}" in build.output
    assert list_snapshots(wap.published) == sorted([b1, new])
    assert not [p.name for p in wap.published.iterdir() if p.name.startswith(".tmp-")]
    builds = wap.settings.warehouse / "builds"
    assert not list(builds.glob(".tmp-*"))
    for killed in wap.killed:
        record = json.loads((builds / f"{killed}.json").read_text())
        assert record["status"] == "interrupted", (killed, record["status"])
    history = [
        json.loads(line) for line in (wap.published / "history.jsonl").read_text().splitlines()
    ]
    assert [(e["action"], e["build_id"]) for e in history] == [
        ("publish", b1),
        ("publish", b2),
        ("rollback", b1),
        ("publish", new),
    ]
    status = run_cli(wap.env, "status").stdout
    assert f"Live snapshot: {new}" in status and f"Last build: {new} — published" in status
    assert "rolled back" not in status
    assert b2 not in status.split("Retained snapshots", 1)[1].split("Last build", 1)[0]


def test_sigterm_stops_a_build_and_its_dbt_cleanly(wap: Wap) -> None:
    """B3 live → `kill` (SIGTERM) during dbt: dbt is stopped, the build exits 130 and its
    record says interrupted; B3 stays live."""
    build = wap.build()
    build.wait_for(r"^\[dbt_build\] ")
    deadline = time.monotonic() + 60
    while not (dbt := dbt_children_of(build.proc.pid)):
        assert time.monotonic() < deadline and build.proc.poll() is None, build.output
        time.sleep(0.05)
    stopped = build.build_id
    build.proc.send_signal(signal.SIGTERM)
    assert build.finish() == 130, build.output
    assert "cxbench: interrupted." in build.output
    assert not any(is_running(pid) for pid in dbt), "dbt outlived its stopped build"
    record = json.loads((wap.settings.warehouse / "builds" / f"{stopped}.json").read_text())
    assert record["status"] == "interrupted" and record["finished_at"]
    wap.assert_old_snapshot_live(wap.ids["B3"])


def test_failed_gates_publish_nothing_and_status_says_why(
    wap: Wap, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """B3 live → in a copy of the project, a model change that makes quarterly margins of error
    negative passes dbt (its unit tests use yearly cells) but fails the mart audit; then a
    client onboarded with an NPS question on 1–10 fails a dbt test. Both builds exit 1 and
    publish nothing; status names the failed check and says B3 is still live."""
    live = wap.ids["B3"]
    copy = copy_project(tmp_path_factory.mktemp("gates") / "project", code=True)
    env = {**wap.env, "PYTHONPATH": str(copy)}

    mart = copy / "models" / "marts" / "benchmarks" / "fct_benchmark_cells.sql"
    text = mart.read_text()
    # The unit tests' fixture cells are yearly, so a bug only at quarter grain passes dbt.
    correct = "('moe', margin_of_error('judged.pooled_standard_error'))"
    assert correct in text
    wrong = (
        "('moe', margin_of_error('judged.pooled_standard_error')"
        """ ~ " * (case judged.period_grain when 'quarter' then -1 else 1 end)")"""
    )
    mart.write_text(text.replace(correct, wrong))
    failed = run_cli(env, "build", cwd=copy)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    message = final_message(failed.stderr)
    assert message.startswith("cxbench: The fct_benchmark_cells audit failed"), failed.stderr
    assert "counts_and_shares_plausible" in message and "nothing was published" in message
    assert current_build_id(wap.published) == live and wap.health() == live
    # The marts were exported beside the audit: the export is removed, not left for later.
    assert not [p.name for p in wap.published.iterdir() if p.name.startswith(".tmp-")]
    status = run_cli(wap.env, "status").stdout
    assert "failed at gate audit_marts" in status
    assert "✗ unexpected_rows_expectation(counts_and_shares_plausible)" in status
    assert f"the previous snapshot {live} is still live" in status

    mart.write_text(text)
    question_map = copy / "seeds" / "question_map.csv"
    with question_map.open("a", encoding="utf-8") as handle:
        handle.write("c001,K9_NPS,nps,1,10,true\n")
    skip_unit_tests(copy)  # they ran in the build before; no fixture reads the seed
    failed = run_cli(env, "build", cwd=copy)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    message = final_message(failed.stderr)
    assert message.startswith("cxbench: dbt build failed"), failed.stderr
    assert "assert_question_scales_are_valid" in message
    assert current_build_id(wap.published) == live and wap.health() == live
    status = run_cli(wap.env, "status").stdout
    assert "failed at gate dbt_build" in status
    assert "dbt fail: test.cxbench.assert_question_scales_are_valid" in status
    assert f"the previous snapshot {live} is still live" in status
    assert list_snapshots(wap.published) == sorted([wap.ids["B1"], live])
