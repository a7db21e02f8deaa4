"""Shared fixtures: one real pipeline run (demo → land → audit → dbt → audit → publish) on a
small demo, reused read-only by the tests that only look at its output.

`make test` runs pytest on two processes (pytest-xdist, one module per process at a time): the
first process that needs the small demo builds it, under a file lock, in the folder both share;
the other waits and reuses it, so it is built once per run either way."""

from __future__ import annotations

import atexit
import fcntl
import json
import os
from collections.abc import Iterator

import pytest

from cxbench.build import BuildRecord
from cxbench.cli import skip_noisy_teardown
from cxbench.demo import generate_demo
from cxbench.settings import PROJECT_DIR, Settings
from tests.python.helpers import build_here, make_settings

SMALL_DEMO = {"clients": 96, "answers": 150_000, "seed": 11}


@pytest.fixture(scope="session")
def built(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[tuple[Settings, BuildRecord]]:
    """A published build of the small demo, shared by every pytest process; tests must not
    modify it."""
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent
    root = shared / "pipeline"
    settings = make_settings(root)
    record_file = shared / "pipeline.record.json"
    with (shared / "pipeline.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if record_file.exists():
            record = BuildRecord(**json.loads(record_file.read_text()))
        else:
            generate_demo(settings.landing, PROJECT_DIR / "seeds", **SMALL_DEMO)
            record = build_here(settings)
            record_file.write_text(json.dumps(record.__dict__))
    yield settings, record


@pytest.fixture
def env_for(monkeypatch: pytest.MonkeyPatch) -> object:
    """Point the cxbench command (get_settings) at a settings object's folders."""

    def apply(settings: Settings) -> None:
        monkeypatch.setenv("CXB_HOME", str(settings.home))
        monkeypatch.setenv("CXB_LANDING_DIR", str(settings.landing))
        monkeypatch.setenv("CXB_WAREHOUSE_DIR", str(settings.warehouse))

    return apply


# The longest modules start first, longest first, so the two pytest processes finish together
# instead of one waiting for the other's last long module. (xdist keeps this order only with
# --no-loadscope-reorder, as `make test-python` runs it: by default it starts the files with the
# most tests first.) Measured per module with -n 0 on the shared machine (load 5-7, issue #17
# round 4): test_wap ~270 s, test_privacy ~250 (its first test builds the shared `built` demo,
# which the later modules in this list read, while test_wap needs none), test_build_worker
# ~140, test_ingestion ~130, test_unit_test_record ~100 (two tiny builds), test_wheel ~100,
# test_api_answers ~90, test_metric_catalogue ~75, test_api_scoping ~65 (its request matrix
# bounded in round 4), test_webhook ~50.
LONG_MODULES = (
    "test_wap.py",
    "test_privacy.py",
    "test_build_worker.py",
    "test_ingestion.py",
    "test_unit_test_record.py",
    "test_wheel.py",
    "test_api_answers.py",
    "test_metric_catalogue.py",
    "test_api_scoping.py",
    "test_webhook.py",
    "test_api_privacy.py",
    "test_api_snapshot.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def long_first(item: pytest.Item) -> int:
        name = item.path.name
        return LONG_MODULES.index(name) if name in LONG_MODULES else len(LONG_MODULES)

    items.sort(key=long_first)  # stable: file order is kept within each group


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Skip interpreter teardown after the run (see cxbench.cli.skip_noisy_teardown)."""
    status = getattr(config, "_cxbench_exitstatus", None)
    if status is not None:
        atexit.register(skip_noisy_teardown, int(status))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config._cxbench_exitstatus = exitstatus  # type: ignore[attr-defined]
