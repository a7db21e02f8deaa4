"""The warm build worker of ``cxbench serve --build-every``.

A micro-batch build of a small delivery spends most of its time on costs that do not depend on
the delivery: a Python start; cxbench's, dbt's and Great Expectations' imports (pandas, scipy);
and dbt's start-up and parse of the project. The worker is one long-lived child process of the
server that pays them once. It imports everything when it starts, then runs each build with
``run_build`` itself (the same gates, build lock, records and crash clean-up as
``cxbench build``), with dbt run in-process by ``WarmDbt``, which keeps the parsed manifest
while the project is unchanged.

One build at a time, in a process of its own: dbt is not safe for concurrent invocations in
one process, and a build must not compete with requests for the server's interpreter. The
worker dies with the server (``PR_SET_PDEATHSIG``). If the worker itself is killed (SIGKILL,
out of memory), the kernel releases the build lock and the live snapshot is untouched (nothing
is live before the switch). ``BuildWorker.build`` then answers None, and the builder starts a
new worker and builds the delivery at its next check.

Protocol, JSON lines: the server writes ``{"build": true}`` to the worker's stdin. The worker
answers on its stdout with ``{"ready": …}`` once it has started, ``{"say": "…"}`` for progress
(each step's time, warnings, errors, failed dbt nodes), and ``{"done": {…}}`` after each build.
Everything else the process writes (dbt, libraries) goes to its stderr.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import IO, Any

from cxbench.build import run_build
from cxbench.dbt_runner import WarmDbt, dies_with_parent
from cxbench.errors import CxbenchError
from cxbench.lock import BuildLocked
from cxbench.progress import (
    FAILED_STATUSES,
    Event,
    NodeFinished,
    Note,
    PlainRenderer,
    StepFinished,
)
from cxbench.settings import Settings

# What a build imports on its way (the gates' Great Expectations, pandas and scipy; dbt and its
# DuckDB adapter), imported once when the worker starts.
WARM_MODULES = (
    "sqlalchemy",
    "great_expectations",
    "cxbench.attacks",
    "dbt.cli.main",
    "dbt.adapters.duckdb",
    "dbt_common.events.functions",
)
START_TIMEOUT = 300.0  # seconds for the imports on a loaded machine


def settings_environment(settings: Settings) -> dict[str, str]:
    """The environment that makes a child's ``Settings()`` the same folders as ``settings``."""
    env = dict(os.environ)
    env.update(
        {
            "CXB_HOME": str(settings.home),
            "CXB_LANDING_DIR": str(settings.landing),
            "CXB_WAREHOUSE_DIR": str(settings.warehouse),
        }
    )
    return env


class BuildWorker:
    """The server's handle on its worker: started on first use, started again after it died."""

    def __init__(self, settings: Settings, report: Callable[[str], None]) -> None:
        self.settings = settings
        self.report = report
        self._process: subprocess.Popen[str] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> bool:
        """Start the worker (if it is not running) and wait until it is warm; False if it died.

        Call it from the thread that will use it: the kill-with-parent signal follows the
        thread that started the process (a thread that ends would take the worker with it)."""
        if self.alive():
            return True
        self._process = subprocess.Popen(
            dies_with_parent([sys.executable, "-m", "cxbench.build_worker"]),
            env=settings_environment(self.settings),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
        )
        return self._read_until("ready") is not None

    def build(self) -> dict[str, Any] | None:
        """One build in the worker: its ``done`` answer, or None when the worker died."""
        if not self.start():
            return None
        assert self._process is not None and self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps({"build": True}) + "\n")
            self._process.stdin.flush()
        except (BrokenPipeError, OSError):
            return None
        return self._read_until("done")

    def _read_until(self, key: str) -> dict[str, Any] | None:
        assert self._process is not None and self._process.stdout is not None
        for raw in self._process.stdout:
            try:
                message = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(message, dict):
                continue
            if "say" in message:
                self.report(f"build worker: {message['say']}")
            if key in message:
                answer = message[key]
                return answer if isinstance(answer, dict) else {}
        self._process.wait()
        return None

    def close(self, timeout: float = 10.0) -> None:
        """Ask the worker to stop (it finishes nothing half-way: stdin closes between builds)."""
        if self._process is None:
            return
        if self._process.stdin is not None:
            with contextlib.suppress(OSError):
                self._process.stdin.close()
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def _forwarded(send: Callable[[dict[str, Any]], None]) -> Callable[[Event], None]:
    """A build reporter that sends what a server log needs (each step's time, warnings and
    errors, failed dbt nodes) as ``say`` lines, rendered as ``cxbench build`` renders them."""

    class Lines(io.StringIO):
        def write(self, text: str) -> int:
            if text.strip():
                send({"say": text.rstrip()})
            return len(text)

    render = PlainRenderer(Lines())

    def report(event: Event) -> None:
        if (
            isinstance(event, StepFinished)
            or (isinstance(event, Note) and event.level in ("warn", "error"))
            or (isinstance(event, NodeFinished) and event.status in FAILED_STATUSES)
        ):
            render(event)

    return report


def build_once(warm: WarmDbt, send: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """One ``run_build`` with the warm dbt; what the server needs to know of it."""
    try:
        record = run_build(Settings(), report=_forwarded(send), warm=warm)
    except BuildLocked as exc:  # a build started by hand (or a rollback) holds the warehouse
        return {"status": "locked", "message": str(exc)}
    except CxbenchError as exc:
        return {"status": "failed", "message": str(exc)}
    except Exception as exc:  # the record says "failed"; the worker keeps serving builds
        return {"status": "failed", "message": f"unexpected {type(exc).__name__}: {exc}"}
    return {"status": record.status, "build_id": record.build_id, "steps": record.steps}


def serve(requests: IO[str], answers: IO[str]) -> None:
    """Build once per request line until ``requests`` closes."""

    lock = threading.Lock()  # dbt reports from each of its threads: one whole line at a time

    def send(message: dict[str, Any]) -> None:
        line = json.dumps(message, default=str) + "\n"
        with lock:
            answers.write(line)
            answers.flush()

    for module in WARM_MODULES:
        importlib.import_module(module)
    warm = WarmDbt()
    send({"ready": {"pid": os.getpid()}})
    for line in requests:
        try:
            request = json.loads(line)
        except ValueError:
            continue
        if isinstance(request, dict) and request.get("build"):
            send({"done": build_once(warm, send)})


def main() -> None:
    # The protocol keeps the real stdout; anything else printing to fd 1 (dbt's console log)
    # lands on stderr instead.
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    serve(sys.stdin, answers)


if __name__ == "__main__":
    main()
