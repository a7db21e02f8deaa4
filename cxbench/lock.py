"""One build at a time: an exclusive lock file that a dead build cannot hold forever.

The lock is ``fcntl.flock`` on ``warehouse/build.lock``: the kernel releases it when the
holding process dies, even by SIGKILL, so a stale lock never blocks the next build. The build
hands the locked descriptor to its dbt child too (``BuildLock.fd``), so the lock is held for as
long as anything of the build can still write the warehouse. The file records who holds it,
for the refusal message and for ``cxbench status``.

``exclusive`` is the same kernel lock for the other things that must happen once across
processes (two ``serve --build-every`` servers on one warehouse): the background builder's
check-build-record step, queueing new alerts, and posting one webhook delivery.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cxbench.errors import CxbenchError


class BuildLocked(CxbenchError):
    """Another build (or a rollback) holds the lock."""


@dataclass(frozen=True)
class BuildLock:
    """A held lock; ``fd`` may be passed to child processes that must hold it too."""

    path: Path
    fd: int


@contextmanager
def exclusive(path: Path, *, wait: bool = True) -> Iterator[int]:
    """Hold ``flock`` on ``path`` (created if missing); yield its descriptor.

    Without ``wait``, raise ``BlockingIOError`` at once when another process holds it. The
    kernel releases the lock when the holder dies, so a killed holder never blocks anyone.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            yield fd
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def build_lock(path: Path, build_id: str, *, action: str = "build") -> Iterator[BuildLock]:
    """Hold the warehouse lock or refuse at once with one sentence; ``action`` names the caller."""
    with ExitStack() as held:
        try:
            fd = held.enter_context(exclusive(path, wait=False))
        except BlockingIOError:
            holder = read_holder(path)
            what = str(holder.get("action") or "build")
            raise BuildLocked(
                f"{'Another' if what == action else 'A'} {what} is running"
                f"{_describe_holder(holder)}; try the {action} again when it has finished."
            ) from None
        os.ftruncate(fd, 0)
        os.write(
            fd,
            json.dumps(
                {
                    "pid": os.getpid(),
                    "build_id": build_id,
                    "action": action,
                    "started_at": datetime.now(UTC).isoformat(),
                }
            ).encode(),
        )
        try:
            yield BuildLock(path=path, fd=fd)
        finally:
            os.ftruncate(fd, 0)


def read_holder(path: Path) -> dict[str, Any]:
    """Who took the lock last, as recorded in the file; empty when released cleanly."""
    try:
        holder = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return {}
    return holder if isinstance(holder, dict) else {}


def process_alive(pid: object) -> bool:
    """Whether a process with this id exists (a display hint: pids can be reused)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _describe_holder(holder: dict[str, Any]) -> str:
    if not holder:
        return ""
    what = f"build {holder['build_id']}, " if holder.get("action", "build") == "build" else ""
    return f" ({what}pid {holder.get('pid')}, since {holder.get('started_at')})"
