"""API keys: shown once at creation, stored only as a SHA-256 hash outside git.

A key reads ``cxb_<key_id>_<secret>``. The key id finds the record; the hash of the whole key
is compared in constant time. The store is a small JSON file written atomically, readable by its
owner only (0600) from the moment it exists: the temporary file is created with that mode.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from cxbench.errors import CxbenchError
from cxbench.files import TMP_PREFIX, fsync_dir

# ``ingest``: a client's back-end system; it may only post answers for its one client.
ROLES = ("admin", "consultant", "client", "ingest")
PREFIX = "cxb"
FILE_MODE = 0o600
# Compared against when the key id is unknown, so that case takes as long as a wrong secret.
_NO_KEY_HASH = "0" * 64


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    key_hash: str
    role: str
    client_ids: tuple[str, ...]
    created_at: str
    label: str | None = None
    revoked_at: str | None = None

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def load_keys(path: Path) -> dict[str, ApiKey]:
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text())
    except ValueError as exc:
        raise CxbenchError(f"The key store {path} is not valid JSON.") from exc
    return {
        k["key_id"]: ApiKey(**{**k, "client_ids": tuple(k.get("client_ids", ()))})
        for k in raw.get("keys", [])
    }


def _save_keys(path: Path, keys: dict[str, ApiKey]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"keys": [asdict(k) for k in keys.values()]}, indent=2)
    tmp = path.with_name(f"{TMP_PREFIX}{path.name}.{os.getpid()}")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(tmp, FILE_MODE)  # in case a umask narrowed or a filesystem ignored the mode
    os.replace(tmp, path)
    fsync_dir(path.parent)


def create_key(
    path: Path,
    role: str,
    client_ids: list[str] | tuple[str, ...] = (),
    *,
    known_clients: set[str] | None = None,
    label: str | None = None,
) -> str:
    """Store a new key's hash and return the key itself (the only time it is shown)."""
    if role not in ROLES:
        raise CxbenchError(f"Unknown role {role!r}; use one of {', '.join(ROLES)}.")
    client_ids = tuple(dict.fromkeys(client_ids))
    if role == "admin" and client_ids:
        raise CxbenchError("An admin key sees every client; do not name clients with --client-id.")
    if role in ("client", "ingest") and len(client_ids) != 1:
        raise CxbenchError(f"A {role} key needs exactly one --client-id.")
    if role == "consultant" and not client_ids:
        raise CxbenchError("A consultant key needs at least one --client-id.")
    if known_clients is not None:
        unknown = [c for c in client_ids if c not in known_clients]
        if unknown:
            raise CxbenchError(f"Unknown client id(s): {', '.join(unknown)}.")
    keys = load_keys(path)
    key_id = secrets.token_hex(4)
    while key_id in keys:
        key_id = secrets.token_hex(4)
    token = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    keys[key_id] = ApiKey(
        key_id=key_id,
        key_hash=_hash(token),
        role=role,
        client_ids=client_ids,
        created_at=datetime.now(UTC).isoformat(),
        label=label,
    )
    _save_keys(path, keys)
    return token


def revoke_key(path: Path, key_id: str) -> ApiKey:
    keys = load_keys(path)
    key = keys.get(key_id)
    if key is None:
        raise CxbenchError(f"No key with id {key_id!r}.")
    if key.is_active:
        key = ApiKey(**{**asdict(key), "revoked_at": datetime.now(UTC).isoformat()})
        keys[key_id] = key
        _save_keys(path, keys)
    return key


def verify(keys: dict[str, ApiKey], token: str) -> ApiKey | None:
    """The active key matching ``token``, or None; the hash comparison is constant-time."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    key = keys.get(parts[1])
    matches = hmac.compare_digest(key.key_hash if key else _NO_KEY_HASH, _hash(token))
    if key is None or not key.is_active or not matches:
        return None
    return key
