"""When a build may be incremental: only while the project that built the tables is unchanged.

Incremental models keep rows that earlier builds computed. Those rows stay right only while
the rules that computed them stay the same: the seeds (a client onboarded after its files were
quarantined as ``unknown_client``), the macros (the metric rules behind ``fct_answers.points``),
the models and the vars. So the build fingerprints all of that and runs a full refresh whenever
it differs from the fingerprint of the last successful dbt build; the user never has to
remember ``--full-refresh`` after editing a seed. The dbt and DuckDB versions are part of the
fingerprint too.

The same fingerprint decides when dbt's unit tests run: they read only their own fixture rows,
so their verdict follows from the project and the engines alone. A full refresh runs them; an
incremental build runs under the very fingerprint a passing full refresh stored, and skips them.
"""

from __future__ import annotations

import hashlib
from importlib import metadata
from pathlib import Path

from cxbench.files import write_atomically
from cxbench.settings import Settings

FINGERPRINT_FILE = "dbt_project.fingerprint"
# What the fingerprint file says while a full refresh runs.
UNFINISHED = "full refresh unfinished"
# What decides the content of a built row (tests and docs do not).
PROJECT_PARTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds")
PROJECT_SUFFIXES = frozenset({".sql", ".csv", ".yml", ".yaml"})
# The engines that turn the project into rows: a new DuckDB or dbt may compute differently, and
# the build's unit tests (run on full refresh only) must run again under them.
ENGINE_DISTRIBUTIONS = ("dbt-core", "dbt-duckdb", "duckdb")


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
