"""Micro-batch builds for ``cxbench serve --build-every SECONDS``.

A thread in the serving process looks at the landing folder every few seconds and, when a
delivery has arrived or changed since the last attempt, runs ``cxbench build`` in a child
process: the build's Python work (landing, the audits) then never competes with requests for
the interpreter, and the build lock keeps it to one build at a time, whoever starts it. A build
whose gate fails publishes nothing (the live snapshot stays) and is not retried until the next
delivery arrives; its record is ``last_build.json`` as for any build, which ``/health`` and
``cxbench status`` show.

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
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cxbench.build import LAST_BUILD
from cxbench.dbt_runner import dies_with_parent
from cxbench.files import write_atomically
from cxbench.landing import discover, read_load_log
from cxbench.settings import Settings
from cxbench.webhook import AlertNotifier

STATE_FILE = "builder.json"


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


def build_command() -> list[str]:
    return [sys.executable, "-m", "cxbench.cli", "build"]


def settings_environment(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "CXB_HOME": str(settings.home),
            "CXB_LANDING_DIR": str(settings.landing),
            "CXB_WAREHOUSE_DIR": str(settings.warehouse),
        }
    )
    return env


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
        self._thread = threading.Thread(target=self._run, name="cxbench-builder", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception as exc:  # the server keeps serving; say why
                self.report(f"background build check failed: {type(exc).__name__}: {exc}")
            self._stop.wait(self.every)

    def tick(self) -> bool:
        """Build once if the landing folder changed since the last attempt; True if it did."""
        if self.notifier is not None:
            self.notifier.check()  # alerts of a snapshot published by any build
        signature = landing_signature(self.settings.landing)
        state = read_state(self.settings)
        if state is None and already_built(self.settings):
            _write_state(self.settings, {"signature": signature, "already_built": True})
            return False
        if (state or {}).get("signature") == signature:
            return False
        started = datetime.now(UTC).isoformat()
        self.report("new deliveries: building")
        # The build dies with the server (it is crash-safe; the next attempt redoes it).
        completed = subprocess.run(
            dies_with_parent(build_command()),
            env=settings_environment(self.settings),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        # The signature seen before the build: files that arrived during it trigger the next.
        _write_state(
            self.settings,
            {
                "signature": signature,
                "started_at": started,
                "finished_at": datetime.now(UTC).isoformat(),
                "return_code": completed.returncode,
            },
        )
        self.report(f"background build finished (exit {completed.returncode})")
        if self.notifier is not None:
            self.notifier.check(built=True)  # also retries deliveries that failed before
        return True
