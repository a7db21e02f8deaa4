"""One build at a time: an exclusive lock file that a dead build cannot hold forever.

The lock is ``fcntl.flock`` on ``warehouse/build.lock``: the kernel releases it when the
holding process dies, even by SIGKILL, so a stale lock never blocks the next build. The file
records who holds it, for the refusal message.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from cxbench.errors import CxbenchError


class BuildLocked(CxbenchError):
    """Another build holds the lock."""


@contextmanager
def build_lock(path: Path, build_id: str) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _describe_holder(path)
            raise BuildLocked(
                f"Another build is running{holder}; try again when it has finished."
            ) from None
        os.ftruncate(fd, 0)
        os.write(
            fd,
            json.dumps(
                {
                    "pid": os.getpid(),
                    "build_id": build_id,
                    "started_at": datetime.now(UTC).isoformat(),
                }
            ).encode(),
        )
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _describe_holder(path: Path) -> str:
    try:
        holder = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return ""
    if not holder:
        return ""
    return (
        f" (build {holder.get('build_id')}, pid {holder.get('pid')}, "
        f"since {holder.get('started_at')})"
    )
