"""The cxbench command: keys are shown once and stored hashed; errors are one sentence."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.python.helpers import make_settings, run_cxbench


def run_cli(*args: str, env_root: Path) -> subprocess.CompletedProcess[str]:
    settings = make_settings(env_root)
    env = {
        "PATH": "/usr/bin:/bin",
        "CXB_HOME": str(settings.home),
        "CXB_LANDING_DIR": str(settings.landing),
        "CXB_WAREHOUSE_DIR": str(settings.warehouse),
    }
    return run_cxbench(env, *args)


def test_keys_are_printed_once_and_stored_as_hashes(tmp_path: Path) -> None:
    created = run_cli(
        "keys", "create", "--role", "client", "--client-id", "c001", env_root=tmp_path
    )
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("cxb_")
    store = (tmp_path / "warehouse" / "api_keys.json").read_text()
    assert key not in store and key.split("_", 2)[2] not in store
    listed = run_cli("keys", "list", env_root=tmp_path)
    assert "client" in listed.stdout and "c001" in listed.stdout and key not in listed.stdout


def test_bad_input_is_one_sentence_not_a_traceback(tmp_path: Path) -> None:
    for args in (
        ("keys", "create", "--role", "client", "--client-id", "nobody"),
        ("keys", "create", "--role", "client"),
        ("demo", "--clients", "0"),
        ("serve",),
        ("build",),
    ):
        result = run_cli(*args, env_root=tmp_path)
        assert result.returncode != 0, args
        assert "Traceback" not in result.stderr, args
        assert result.stderr.strip().splitlines()[-1].startswith("cxbench: "), (args, result.stderr)
