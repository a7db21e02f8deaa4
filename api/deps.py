"""Request dependencies: settings, the current snapshot, and the authenticated principal."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.problems import Problem
from api.snapshot import LoadedSnapshot, SnapshotStore
from cxbench import keys as key_store
from cxbench.settings import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_snapshot(request: Request) -> LoadedSnapshot:
    store: SnapshotStore = request.app.state.snapshots
    snapshot = store.get()
    if snapshot is None:
        raise Problem(503, "No benchmark snapshot is published yet.")
    return snapshot


Snapshot = Annotated[LoadedSnapshot, Depends(get_snapshot)]


@dataclass(frozen=True)
class AuthenticatedKey:
    key_id: str
    role: str
    client_ids: frozenset[str]

    def may_see_client(self, client_id: str) -> bool:
        return self.role == "admin" or client_id in self.client_ids


class KeyCache:
    """The key store, re-read when its file changes (a revoked key stops working at once)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._keys: dict[str, key_store.ApiKey] = {}

    def keys(self) -> dict[str, key_store.ApiKey]:
        try:
            stat = os.stat(self.path)
            stamp = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            return {}
        if stamp != self._stamp:
            with self._lock:
                self._keys = key_store.load_keys(self.path)
                self._stamp = stamp
        return self._keys


bearer = HTTPBearer(auto_error=False, description="An API key from `cxbench keys create`.")
UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> AuthenticatedKey:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Problem(401, "An API key is required: Authorization: Bearer <key>.", UNAUTHORIZED)
    cache: KeyCache = request.app.state.keys
    key = key_store.verify(cache.keys(), credentials.credentials)
    if key is None:
        raise Problem(401, "The API key is not valid.", UNAUTHORIZED)
    return AuthenticatedKey(key_id=key.key_id, role=key.role, client_ids=frozenset(key.client_ids))


Principal = Annotated[AuthenticatedKey, Depends(authenticate)]


def require_client_access(principal: AuthenticatedKey, client_id: str) -> None:
    """403 unless the key may see ``client_id``.

    The answer is the same whether or not the client exists, so a key cannot probe for other
    clients; a 404 for an unknown client is only given to keys that could see it.
    """
    if not principal.may_see_client(client_id):
        raise Problem(403, "This API key does not give access to that client.")
