"""When a build may be incremental: only while the project that built the tables is unchanged.

Incremental models keep rows that earlier builds computed. Those rows stay right only while
the rules that computed them stay the same: the seeds (a client onboarded after its files were
quarantined as ``unknown_client``), the macros (the metric rules behind ``fct_answers.points``),
the models and the vars. So the build fingerprints all of that and runs a full refresh whenever
it differs from the fingerprint of the last successful dbt build; the user never has to
remember ``--full-refresh`` after editing a seed. The dbt and DuckDB versions are part of the
fingerprint too.

The same fingerprint decides when dbt's unit tests run: they read only their own fixture rows,
so their verdict follows from the project and the engines alone, whatever the warehouse. A
passing run is recorded per fingerprint beside the project's shared parse state
(``target/cxbench_unit_tests.json``), so a full refresh of any warehouse built from the same
project (each test module's first build, `make run`'s) leaves them out once they have passed;
an incremental build runs under the very fingerprint a passing full refresh stored, and leaves
them out too. ``cxbench build --unit-tests always`` runs them on every build (`make test-dbt`).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from cxbench.files import write_atomically
from cxbench.relations import DBT_TARGET, dbt_manifest_path
from cxbench.settings import BUNDLED_PROJECT, Settings

FINGERPRINT_FILE = "dbt_project.fingerprint"
# What the fingerprint file says while a full refresh runs.
UNFINISHED = "full refresh unfinished"
# What decides the content of a built row (tests and docs do not).
PROJECT_PARTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds")
PROJECT_SUFFIXES = frozenset({".sql", ".csv", ".yml", ".yaml"})
# The engines that turn the project into rows: a new DuckDB or dbt may compute differently, and
# the build's unit tests (run on full refresh only) must run again under them.
ENGINE_DISTRIBUTIONS = ("dbt-core", "dbt-duckdb", "duckdb")
UNIT_TESTS_FILE = "cxbench_unit_tests.json"
# Fingerprints whose passing unit-test run stays on record (a few branches switched between).
KEPT_UNIT_TEST_RUNS = 16


def project_fingerprint(project_dir: Path) -> str:
    digest = hashlib.sha256()
    for distribution in ENGINE_DISTRIBUTIONS:
        digest.update(f"{distribution}=={metadata.version(distribution)}\0".encode())
    for part in PROJECT_PARTS:
        root = project_dir / part
        files = [root] if root.is_file() else sorted(root.rglob("*")) if root.is_dir() else []
        for path in files:
            if path.is_file() and path.suffix in PROJECT_SUFFIXES:
                digest.update(path.relative_to(project_dir).as_posix().encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def full_refresh_reason(settings: Settings, fingerprint: str) -> str | None:
    """Why this build must rebuild the incremental models from scratch, or None."""
    stored = settings.warehouse / FINGERPRINT_FILE
    if not stored.exists():
        return "first build of this warehouse"
    if not settings.database.exists():
        # An incremental build keeps the seeds' tables (build.INCREMENTAL_SELECTION): a
        # warehouse whose DuckDB file was removed has none.
        return "the warehouse's DuckDB file is missing"
    if not dbt_manifest_path(settings.warehouse).exists():
        # An incremental build writes none (cxbench.build.WITHOUT_MANIFEST): publish reads the
        # API's marts from the one of the full refresh before it.
        return "the dbt manifest of the last full refresh is missing"
    stored_text = stored.read_text().strip()
    if stored_text.startswith(UNFINISHED):
        return "the last full refresh did not finish"
    if stored_text != fingerprint:
        return (
            "the dbt project (models, macros, seeds or vars) or the dbt/DuckDB version changed "
            "since the last build"
        )
    return None


def full_refresh_started(settings: Settings) -> None:
    """Called before a full refresh: until it has passed (``remember_project``), the warehouse
    holds tables of no fingerprint. A full refresh killed half-way (a seed dropped and not yet
    loaded again, an incremental table emptied) or failed must be followed by another, not by
    an incremental build that would keep what it left (and leaves the seeds alone)."""
    if (settings.warehouse / FINGERPRINT_FILE).exists():
        write_atomically(settings.warehouse / FINGERPRINT_FILE, UNFINISHED + "\n")


def remember_project(settings: Settings, fingerprint: str) -> None:
    """Called after a successful dbt build: its tables were made by this project."""
    write_atomically(settings.warehouse / FINGERPRINT_FILE, fingerprint + "\n")


def project_state_dir(settings: Settings) -> Path:
    """Where state shared by every warehouse built from this project lives (the unit tests'
    record, beside the parse state ``dbt_runner.run_dbt`` shares): the checkout's ``target/``.
    An installed wheel's project sits in site-packages, which cxbench never writes to: there,
    the warehouse's dbt target."""
    if settings.project_dir == BUNDLED_PROJECT:
        return settings.warehouse / DBT_TARGET
    return settings.project_dir / "target"


def _unit_test_runs(settings: Settings) -> dict[str, str]:
    try:
        runs = json.loads((project_state_dir(settings) / UNIT_TESTS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in runs.items()} if isinstance(runs, dict) else {}


def unit_tests_passed_at(settings: Settings, fingerprint: str) -> str | None:
    """When dbt's unit tests last passed under ``fingerprint`` (UTC, ISO 8601), or None."""
    return _unit_test_runs(settings).get(fingerprint)


def remember_unit_tests(settings: Settings, fingerprint: str) -> str:
    """Record that every unit test passed under ``fingerprint``; returns the time recorded.

    Best effort, like the shared parse state: a read-only project folder, or two builds
    recording at once, only costs a later full refresh one more unit-test run."""
    passed_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    runs = _unit_test_runs(settings)
    runs.pop(fingerprint, None)
    runs[fingerprint] = passed_at
    kept = dict(list(runs.items())[-KEPT_UNIT_TEST_RUNS:])
    try:
        project_state_dir(settings).mkdir(parents=True, exist_ok=True)
        write_atomically(
            project_state_dir(settings) / UNIT_TESTS_FILE, json.dumps(kept, indent=2) + "\n"
        )
    except OSError:
        pass
    return passed_at
