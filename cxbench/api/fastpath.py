"""Replay of answers already given: the same key asking the same question on the same snapshot.

FastAPI's per-request work (routing, resolving the guard dependencies, validating parameters)
costs several times more than looking up an answer that is already rendered. This ASGI
middleware sits in front of it and answers a GET directly when, on the snapshot that is
current, *the same API key* already received a 200 for *the same path, query string and
format*. It re-checks the key on every request (a revoked key gets the full stack, hence its
401), and it decides nothing else: scope, parameters and existence were all decided by the full
stack for exactly this key and request, and none of them can change while the snapshot and the
key stay the same. Everything else (a new key, a new question, any error) goes through FastAPI.

``respond`` (cxbench/api/representation.py) records what may be replayed; the records hang off the
snapshot, so a new snapshot starts with none. A replay honours ``If-None-Match`` (304) and
``Accept-Encoding`` exactly as ``respond`` does, and leaves the key and route it answered for
the access log (cxbench/api/access_log.py).
"""

from __future__ import annotations

from typing import Any

from fastapi.security.utils import get_authorization_scheme_param
from starlette.types import ASGIApp, Receive, Scope, Send

from cxbench import keys as key_store
from cxbench.api.deps import AuthenticatedKey, KeyCache
from cxbench.api.representation import (
    PRINCIPAL_STATE,
    ROUTE_STATE,
    SNAPSHOT_STATE,
    conditional_parts,
    prefers_csv_header,
    replay_key,
)
from cxbench.api.snapshot import LoadedSnapshot, SnapshotStore


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return None


class ReplayMiddleware:
    def __init__(self, app: ASGIApp, prefix: str = "/v1/") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        app: Any = scope["app"]
        store: SnapshotStore = app.state.snapshots
        snapshot = store.get()
        if snapshot is not None:
            # The request answers from this snapshot from start to finish, replayed or not.
            scope.setdefault("state", {})[SNAPSHOT_STATE] = snapshot
            if scope["method"] == "GET" and await self._replay(app, snapshot, scope, send):
                return
        await self.app(scope, receive, send)

    async def _replay(self, app: Any, snapshot: LoadedSnapshot, scope: Scope, send: Send) -> bool:
        scheme, token = get_authorization_scheme_param(_header(scope, b"authorization"))
        if scheme.lower() != "bearer" or not token:
            return False
        key_cache: KeyCache = app.state.keys
        key = key_store.verify(key_cache.keys(), token)
        if key is None:
            return False
        as_csv = prefers_csv_header(_header(scope, b"accept"))
        found = snapshot.responses.get(
            replay_key(
                key.key_id, key.role, key.client_ids, scope["path"], scope["query_string"], as_csv
            )
        )
        if found is None:
            return False
        state = scope["state"]
        state[PRINCIPAL_STATE] = AuthenticatedKey(key.key_id, key.role, frozenset(key.client_ids))
        state[ROUTE_STATE] = found.route
        status, parts, body = conditional_parts(
            found, _header(scope, b"if-none-match"), _header(scope, b"accept-encoding")
        )
        headers = [(name.encode(), value.encode("latin-1")) for name, value in parts]
        if status != 304:
            headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return True
