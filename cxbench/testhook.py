"""A fault-injection hook for tests: ``CXB_PAUSE_AT=<point>`` parks a build at that point.

Some moments of a build are too short to hit by watching its output (the snapshot is complete
but ``CURRENT`` not yet switched, or half of the marts are exported). A test sets
``CXB_PAUSE_AT`` to one of ``POINTS``, waits for the ``[pause] <point>`` line on stderr and
kills the process there. Unset, as it always is outside tests, the hook does nothing.
"""

from __future__ import annotations

import os
import sys
import time

ENV = "CXB_PAUSE_AT"
POINTS = (
    "publish.exporting",  # some marts exported to published/.tmp-<build_id>/, not all
    "publish.attack",  # every mart exported (publish.EXPORTED), the attack gate not yet run
    "publish.switch",  # published/<build_id>/ complete, CURRENT not switched yet
)


def pause_point(point: str) -> None:
    """Wait here until killed when ``CXB_PAUSE_AT`` names this point; otherwise return."""
    assert point in POINTS, point
    if os.environ.get(ENV) != point:
        return
    print(f"[pause] {point} ({ENV} is set): waiting to be killed", file=sys.stderr, flush=True)
    while True:
        time.sleep(3600)
