"""Which key read what: one JSON line per request, never the key itself.

Each line has ``time`` (UTC), ``method``, ``route`` (the template, ``/v1/clients/{client_id}/…``,
so a client id in the path is not a new route), ``client_id`` (from the path), ``key_id`` and
``role`` (of a key that authenticated; none for a missing or bad key), ``status``,
``duration_ms`` and ``build_id`` (the snapshot that answered). The key travels only in the
``Authorization`` header, which is never read here; the query string is not logged either.

The middleware sits outside everything else, so it also times and logs the replay fast path
(cxbench/api/fastpath.py), which leaves the key and route it answered for in the request state.
Lines go to ``CXB_ACCESS_LOG``: a file opened for appending (each line one ``write`` on an
``O_APPEND`` descriptor, so several workers can share the file), or ``-`` for stderr.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cxbench.api.representation import (
    PRINCIPAL_STATE,
    ROUTE_STATE,
    SNAPSHOT_STATE,
    route_template,
)

STDERR = "-"


class AccessLog:
    """Where the lines go: a file (appended to) or stderr."""

    def __init__(self, target: str) -> None:
        self.target = target
        if target == STDERR:
            self.fd = sys.stderr.fileno()
            self.owned = False
        else:
            path = Path(target)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            self.owned = True

    def write(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, separators=(",", ":"), ensure_ascii=False) + "\n"
        with contextlib.suppress(OSError):  # a full disk must not fail the request
            os.write(self.fd, line.encode("utf-8"))

    def close(self) -> None:
        if self.owned:
            os.close(self.fd)
            self.owned = False


def entry_for(scope: Scope, status: int, seconds: float) -> dict[str, Any]:
    """The log line of one finished request (see the module docstring)."""
    state: dict[str, Any] = scope.get("state") or {}
    principal = state.get(PRINCIPAL_STATE)
    snapshot = state.get(SNAPSHOT_STATE)
    template = route_template(scope) or state.get(ROUTE_STATE)
    path_params = scope.get("path_params") or {}
    return {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "method": scope.get("method"),
        "route": template,
        "client_id": path_params.get("client_id"),
        "key_id": getattr(principal, "key_id", None),
        "role": getattr(principal, "role", None),
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
        "build_id": getattr(snapshot, "build_id", None),
    }


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp, log: AccessLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless a response starts: the app failed before answering

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        scope.setdefault("state", {})
        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self.log.write(entry_for(scope, status, time.perf_counter() - started))
