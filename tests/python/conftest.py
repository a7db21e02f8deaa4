"""Shared fixtures: one real pipeline run (demo → land → audit → dbt → audit → publish) on a
small demo, reused read-only by the tests that only look at its output."""

from __future__ import annotations

import atexit
import os
from collections.abc import Iterator

import pytest

from cxbench.build import BuildRecord, run_build
from cxbench.cli import skip_noisy_teardown
from cxbench.demo import generate_demo
from cxbench.settings import PROJECT_DIR, Settings
from tests.python.helpers import make_settings

SMALL_DEMO = {"clients": 96, "answers": 150_000, "seed": 11}


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, BuildRecord]]:
    """A published build of the small demo; tests must not modify it."""
    root = tmp_path_factory.mktemp("pipeline")
    settings = make_settings(root)
    generate_demo(settings.landing, PROJECT_DIR / "seeds", **SMALL_DEMO)
    record = run_build(settings)
    yield settings, record


@pytest.fixture
def env_for(monkeypatch: pytest.MonkeyPatch) -> object:
    """Point the cxbench command (get_settings) at a settings object's folders."""

    def apply(settings: Settings) -> None:
        monkeypatch.setenv("CXB_HOME", str(settings.home))
        monkeypatch.setenv("CXB_LANDING_DIR", str(settings.landing))
        monkeypatch.setenv("CXB_WAREHOUSE_DIR", str(settings.warehouse))

    return apply


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Skip interpreter teardown after the run (see cxbench.cli.skip_noisy_teardown)."""
    status = getattr(config, "_cxbench_exitstatus", None)
    if status is not None:
        atexit.register(skip_noisy_teardown, int(status))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config._cxbench_exitstatus = exitstatus  # type: ignore[attr-defined]
