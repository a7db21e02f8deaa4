"""Run dbt once per build, in a child process, against this build's DuckDB file.

A child process keeps dbt's DuckDB connection out of the build process (so the audits can
open the file afterwards). The child must not outlive its build: a build killed with SIGKILL
would otherwise leave dbt running on as an orphan, still writing the DuckDB file while the next
build lands and audits. So on Linux the child asks the kernel to SIGKILL it when the build
dies (``PR_SET_PDEATHSIG``, set by a tiny launcher before it execs dbt), and everywhere it
inherits the build lock's descriptor, so no other build can start while it still runs.
DuckDB's write-ahead log then recovers the file at the next open. Paths reach the dbt project
only through environment variables.

Parsing the project costs dbt ~6 s of CPU that partial parsing skips when nothing changed. dbt
keeps its parse state per target folder (one per warehouse) and throws it away when the
connection details differ. So dbt runs in the warehouse folder with the DuckDB file given
*relative* to it (the same string for every warehouse), and the project keeps one shared copy
of the latest parse state (``target/cxbench_partial_parse.msgpack``) that seeds a warehouse's
first run. dbt checks the copy itself (its version, vars, profile, env vars and every file's
checksum) and parses afresh what differs, so a stale copy costs time, never correctness. (The
landed folder stays absolute: the staging views and the ingest classifier keep that path for
readers outside dbt, so a new warehouse still re-parses the sources that name it.)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from cxbench.errors import CxbenchError
from cxbench.files import TMP_PREFIX
from cxbench.progress import Note, Reporter, dbt_event
from cxbench.relations import DBT_TARGET
from cxbench.settings import BUNDLED_PROJECT, Settings

PARTIAL_PARSE = "partial_parse.msgpack"
SHARED_PARSE = "cxbench_partial_parse.msgpack"


@dataclass(frozen=True)
class DbtNodeResult:
    unique_id: str
    status: str
    message: str | None
    failures: int | None


@dataclass(frozen=True)
class DbtResult:
    success: bool
    return_code: int
    nodes: tuple[DbtNodeResult, ...]
    elapsed_seconds: float | None

    @property
    def failed(self) -> tuple[DbtNodeResult, ...]:
        return tuple(n for n in self.nodes if n.status in {"error", "fail", "runtime error"})

    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for node in self.nodes:
            counts[node.status] = counts.get(node.status, 0) + 1
        return counts


def dbt_environment(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "CXB_DUCKDB_PATH": str(settings.database),
            "CXB_LANDED_DIR": str(settings.landed),
            "CXB_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_TARGET_PATH": str(settings.warehouse / DBT_TARGET),
            "DBT_LOG_PATH": str(settings.warehouse / "dbt_logs"),
        }
    )
    return env


def build_environment(settings: Settings) -> dict[str, str]:
    """``dbt_environment`` for a run in the warehouse folder, the DuckDB file relative to it."""
    env = dbt_environment(settings)
    env["CXB_DUCKDB_PATH"] = os.path.relpath(settings.database, settings.warehouse)
    return env


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    if candidate.exists():
        return str(candidate)
    raise CxbenchError(f"dbt is not installed next to {sys.executable}; run `make install`.")


# Runs in the child before dbt: die with the parent (argv[1] is its pid), then become dbt.
_DIE_WITH_PARENT = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    sys.exit(137)  # the build died before the request took effect\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


def dies_with_parent(command: list[str]) -> list[str]:
    """``command`` wrapped so that the kernel kills it when this process dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return command
    return [sys.executable, "-c", _DIE_WITH_PARENT, str(os.getpid()), *command]


def run_dbt(
    settings: Settings,
    args: list[str],
    *,
    quiet: bool = False,
    keep_fds: tuple[int, ...] = (),
    extra_env: dict[str, str] | None = None,
    report: Reporter | None = None,
) -> DbtResult:
    """Run ``dbt <args>`` in the project; dbt's own progress lines are shown unless quiet.

    With ``report``, dbt logs JSON instead (``--log-format json``) and its node starts and
    finishes, warnings and errors reach ``report`` as events (cxbench/progress.py).
    ``keep_fds`` stay open in dbt (the build lock), so they are held while dbt lives.
    """
    command = [
        dbt_executable(),
        *args,
        "--project-dir",
        str(settings.project_dir),
        "--profiles-dir",
        str(settings.project_dir),
    ]
    target = settings.warehouse / DBT_TARGET
    # A killed run leaves no run_results.json (dbt writes it at the end); a stale one from an
    # earlier run must never be read as this run's results.
    (target / "run_results.json").unlink(missing_ok=True)
    # A checkout shares its parse state between warehouses; an installed wheel's project sits
    # in site-packages, which cxbench never writes to.
    shared = settings.project_dir / "target" / SHARED_PARSE
    if settings.project_dir == BUNDLED_PROJECT:
        shared = target / PARTIAL_PARSE
    _copy_if_missing(shared, target / PARTIAL_PARSE)
    env = {**build_environment(settings), **(extra_env or {})}
    if report is not None and not quiet:
        return_code = _run_reporting(command, settings, env, keep_fds, report)
        _share_parse_state(target / PARTIAL_PARSE, shared)
        return _read_results(target / "run_results.json", return_code)
    completed = subprocess.run(
        dies_with_parent(command),
        cwd=settings.warehouse,
        env=env,
        stdout=subprocess.DEVNULL if quiet else None,
        stderr=subprocess.DEVNULL if quiet else None,
        pass_fds=keep_fds,
        check=False,
    )
    _share_parse_state(target / PARTIAL_PARSE, shared)
    return _read_results(target / "run_results.json", completed.returncode)


def _copy_if_missing(source: Path, destination: Path) -> None:
    if destination.exists() or not source.exists():
        return
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copyfile(source, destination)
    except OSError:
        destination.unlink(missing_ok=True)  # dbt then parses afresh


def _share_parse_state(parsed: Path, shared: Path) -> None:
    """Offer this run's parse state to the next new warehouse (best effort: a read-only
    project folder, or a race with another build, only costs that warehouse a full parse)."""
    try:
        if not parsed.exists() or (
            shared.exists()
            and shared.stat().st_size == parsed.stat().st_size
            and shared.read_bytes() == parsed.read_bytes()
        ):
            return
        shared.parent.mkdir(parents=True, exist_ok=True)
        scratch = shared.with_name(f"{TMP_PREFIX}{shared.name}.{os.getpid()}")
        shutil.copyfile(parsed, scratch)
        os.replace(scratch, shared)
    except OSError:
        return


def _run_reporting(
    command: list[str],
    settings: Settings,
    env: dict[str, str],
    keep_fds: tuple[int, ...],
    report: Reporter,
) -> int:
    """dbt with JSON logs on a pipe, each line turned into a progress event as it comes."""
    process = subprocess.Popen(
        dies_with_parent([*command, "--log-format", "json"]),
        cwd=settings.warehouse,
        env={**env, "PYTHONUNBUFFERED": "1"},  # each line as it comes
        stdout=subprocess.PIPE,
        pass_fds=keep_fds,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    try:
        assert process.stdout is not None
        for raw in process.stdout:
            try:
                line = json.loads(raw)
            except ValueError:  # not dbt's log (a library printing): pass it on as it is
                if raw.strip():
                    report(Note(raw.rstrip()))
                continue
            if not isinstance(line, dict):
                continue
            event = dbt_event(line)
            if event is not None:
                report(event)
        return process.wait()
    except BaseException:  # interrupted: dbt must not run on (as subprocess.run does)
        process.kill()
        process.wait()
        raise


def _read_results(path: Path, return_code: int) -> DbtResult:
    if not path.exists():
        return DbtResult(success=False, return_code=return_code, nodes=(), elapsed_seconds=None)
    data = json.loads(path.read_text())
    nodes = tuple(
        DbtNodeResult(
            unique_id=r["unique_id"],
            status=r["status"],
            message=r.get("message"),
            failures=r.get("failures"),
        )
        for r in data.get("results", [])
    )
    return DbtResult(
        success=return_code == 0,
        return_code=return_code,
        nodes=nodes,
        elapsed_seconds=data.get("elapsed_time"),
    )
