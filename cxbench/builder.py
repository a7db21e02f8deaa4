"""Micro-batch builds for ``cxbench serve --build-every SECONDS``.

A thread in the serving process looks at the landing folder every few seconds, and at once
when the API of this process has stored a post (``ingest.on_delivery``; with ``--workers``
above 1 the posts are stored by other processes and wait for the next check), and, when a
delivery has arrived or changed since the last attempt, has the warm build worker
(cxbench/build_worker.py, a long-lived child process with the imports done and dbt's manifest
kept) run the build: the build's Python work (landing, the audits) then never competes with
requests for the interpreter, and the build lock keeps it to one build at a time, whoever
starts it. A build whose gate fails publishes nothing (the live snapshot stays) and is not
retried until the next delivery arrives; its record is ``last_build.json`` as for any build,
which ``/health`` and ``cxbench status`` show. A build the worker did not finish (it was
killed) or could not start (a build started by hand held the lock) is tried again at the next
check.

Several servers may watch one warehouse: the check-build-record step runs under an
exclusive lock (``<warehouse>/ingest/builder.lock``), so one server builds a delivery and the
others find it recorded.

The signature of the landing folder at the last attempt is kept in
``<warehouse>/ingest/builder.json``, so a server restarted (or killed and restarted) builds the
deliveries that arrived while it was down. Without that record (a first start) it builds only
when the load log does not already hold every landing file or the last build did not publish.

With ``CXB_ALERT_WEBHOOK_URL`` set, each check also queues the live snapshot's new alerts for
the webhook and sends what is due (``cxbench.webhook``): after a build, a delivery that failed
before is tried again at once.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cxbench.build import LAST_BUILD
from cxbench.build_worker import BuildWorker
from cxbench.files import write_atomically
from cxbench.ingest import on_delivery
from cxbench.landing import discover, read_load_log
from cxbench.lock import exclusive
from cxbench.settings import Settings
from cxbench.webhook import AlertNotifier

STATE_FILE = "builder.json"
BUILDER_LOCK = "builder.lock"
# A delivery whose build killed the worker this many times in a row is recorded as attempted
# (and waits for the next delivery), so a build that always dies cannot loop.
WORKER_DEATHS = 3


def landing_signature(landing: Path) -> str:
    """Changes whenever a delivery file is added, removed, replaced or rewritten."""
    digest = hashlib.sha256()
    for path in discover(landing):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def read_state(settings: Settings) -> dict[str, Any] | None:
    try:
        data = json.loads((settings.warehouse / "ingest" / STATE_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_state(settings: Settings, state: dict[str, Any]) -> None:
    folder = settings.warehouse / "ingest"
    folder.mkdir(parents=True, exist_ok=True)
    write_atomically(folder / STATE_FILE, json.dumps(state, indent=1))


def already_built(settings: Settings) -> bool:
    """True when the last build published and every file in the landing folder is the delivery
    the load log holds for its path (same size, not modified since it was landed): with no
    record of an earlier attempt (a first start with --build-every), nothing new has arrived,
    and starting the server must not rebuild the same data."""
    try:
        last = json.loads((settings.warehouse / LAST_BUILD).read_text())
    except (FileNotFoundError, ValueError):
        return False
    if not isinstance(last, dict) or last.get("status") != "published":
        return False
    landed = {r.source_file: r for r in read_load_log(settings.landed)}  # latest per path wins
    for path in discover(settings.landing):
        record = landed.get(path.relative_to(settings.landing).as_posix())
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        if record is None or record.file_size != stat.st_size:
            return False
        modified = datetime.fromtimestamp(stat.st_mtime, UTC).replace(tzinfo=None)
        if modified > record.loaded_at:
            return False
    return True


class BackgroundBuilder:
    """Builds when new deliveries have landed; one build at a time, never in a request."""

    def __init__(
        self,
        settings: Settings,
        every_seconds: float,
        report: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.settings = settings
        self.every = every_seconds
        self.report = report
        self._stop = threading.Event()
        self.notifier = (
            AlertNotifier(
                settings,
                settings.alert_webhook_url,
                requeue_after=settings.alert_webhook_retry_seconds,
                report=report,
            )
            if settings.alert_webhook_url
            else None
        )
        self.worker = BuildWorker(settings, report)
        self._worker_deaths = 0
        self._thread = threading.Thread(target=self._run, name="cxbench-builder", daemon=True)
        # Set by a post stored in this process (ingest.on_delivery) and by stop(): the next
        # check starts then, not `every` seconds later.
        self._wake = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _run(self) -> None:
        stop_listening = on_delivery(self._wake.set)
        # Started here, the worker lives as long as this thread (cxbench/build_worker.py).
        if not self.worker.start():
            self.report("the build worker did not start; it is tried again at each build")
        try:
            while not self._stop.is_set():
                try:
                    self.tick()
                except Exception as exc:  # the server keeps serving; say why
                    self.report(f"background build check failed: {type(exc).__name__}: {exc}")
                # A post during that build set it already: the next check follows at once.
                self._wake.wait(self.every)
                self._wake.clear()
        finally:
            stop_listening()
            self.worker.close()

    def tick(self) -> bool:
        """Build once if the landing folder changed since the last attempt; True if it did.

        Another server's builder holding the warehouse's builder lock is building or checking
        it now: this check is skipped (the next one finds what it recorded)."""
        if self.notifier is not None:
            self.notifier.check()  # alerts of a snapshot published by any build
        with ExitStack() as held:
            try:
                held.enter_context(
                    exclusive(self.settings.warehouse / "ingest" / BUILDER_LOCK, wait=False)
                )
            except BlockingIOError:
                return False
            built = self._build_if_new()
        if built and self.notifier is not None:
            self.notifier.check(built=True)  # also retries deliveries that failed before
        return built

    def _build_if_new(self) -> bool:
        signature = landing_signature(self.settings.landing)
        state = read_state(self.settings)
        if state is None and already_built(self.settings):
            _write_state(self.settings, {"signature": signature, "already_built": True})
            return False
        if (state or {}).get("signature") == signature:
            return False
        started = datetime.now(UTC).isoformat()
        self.report("new deliveries: building")
        done = self.worker.build()
        if done is None:
            self._worker_deaths += 1
            if self._worker_deaths < WORKER_DEATHS:
                self.report("the build worker died during the build; building again next check")
                return True
            done = {"status": "worker died", "message": f"{WORKER_DEATHS} times in a row"}
        self._worker_deaths = 0
        if done.get("status") == "locked":
            self.report(f"not built now: {done.get('message')}; tried again next check")
            return True
        # The signature seen before the build: files that arrived during it trigger the next.
        _write_state(
            self.settings,
            {
                "signature": signature,
                "started_at": started,
                "finished_at": datetime.now(UTC).isoformat(),
                "status": done.get("status"),
                "build_id": done.get("build_id"),
            },
        )
        self.report(f"background build finished: {done.get('status')}")
        return True
