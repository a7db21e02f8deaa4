"""API keys at rest: a hash in a file only its owner can read, checked in constant time."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from cxbench.errors import CxbenchError
from cxbench.keys import create_key, load_keys, revoke_key, verify
from tests.python.test_cli import run_cli


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_key_file_is_0600_from_creation_even_with_an_open_umask(tmp_path: Path) -> None:
    path = tmp_path / "api_keys.json"
    previous = os.umask(0)
    try:
        key = create_key(path, "consultant", ["c001", "c002"])
        assert mode(path) == 0o600
        revoke_key(path, key.split("_")[1])
        assert mode(path) == 0o600
    finally:
        os.umask(previous)
    assert [p.name for p in tmp_path.iterdir()] == ["api_keys.json"]  # no temporary left


def test_cxbench_keys_create_writes_a_private_file(tmp_path: Path) -> None:
    created = run_cli("keys", "create", "--role", "admin", env_root=tmp_path)
    assert created.returncode == 0, created.stderr
    assert mode(tmp_path / "warehouse" / "api_keys.json") == 0o600


def test_only_the_hash_is_stored(tmp_path: Path) -> None:
    path = tmp_path / "api_keys.json"
    key = create_key(path, "client", ["c001"], label="test")
    stored = path.read_text()
    assert key not in stored and key.split("_", 2)[2] not in stored
    (record,) = load_keys(path).values()
    assert record.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert record.role == "client" and record.client_ids == ("c001",)


def test_verify_accepts_the_key_and_nothing_near_it(tmp_path: Path) -> None:
    path = tmp_path / "api_keys.json"
    key = create_key(path, "admin")
    other = create_key(path, "admin")
    keys = load_keys(path)
    prefix, key_id, secret = key.split("_", 2)
    assert verify(keys, key) is not None
    for wrong in (
        f"{prefix}_{key_id}_{secret[:-1]}",
        f"{prefix}_{key_id}_{other.split('_', 2)[2]}",  # another key's secret under this id
        f"{prefix}_ffffffff_{secret}",
        f"xyz_{key_id}_{secret}",
        secret,
        "",
    ):
        assert verify(keys, wrong) is None, wrong
    revoke_key(path, key_id)
    assert verify(load_keys(path), key) is None
    assert verify(load_keys(path), other) is not None


@pytest.mark.parametrize(
    ("role", "clients"),
    [("admin", ["c001"]), ("client", []), ("client", ["c001", "c002"]), ("consultant", [])],
)
def test_roles_must_name_the_right_clients(tmp_path: Path, role: str, clients: list[str]) -> None:
    with pytest.raises(CxbenchError):
        create_key(tmp_path / "k.json", role, clients)
