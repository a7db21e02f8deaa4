"""``cxbench rollback``: make an earlier retained snapshot live again.

Only the ``CURRENT`` pointer moves (atomically, as a publish does), so the running API switches
back within a second without a restart, and the move is logged in ``history.jsonl`` for
``cxbench status``. It takes the build lock: a rollback never interleaves with a publish. A
later build publishes as usual and becomes live.
"""

from __future__ import annotations

from dataclasses import dataclass

from cxbench import publish
from cxbench.lock import build_lock
from cxbench.settings import Settings


@dataclass(frozen=True)
class Rollback:
    previous: str | None
    live: str


def roll_back(settings: Settings, to: str | None = None) -> Rollback:
    """Switch to ``to``, or to the newest snapshot older than the live one."""
    with build_lock(settings.warehouse / "build.lock", "rollback", action="rollback"):
        target = publish.rollback_target(settings.published, to)
        previous = publish.switch_current(settings.published, target, action="rollback")
    return Rollback(previous=previous, live=target)
