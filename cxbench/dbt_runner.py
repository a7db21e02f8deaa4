"""Run dbt once per build, in a child process, against this build's DuckDB file.

A child process keeps dbt's DuckDB connection out of the build process (so the audits can
open the file afterwards). The child must not outlive its build: a build killed with SIGKILL
would otherwise leave dbt running on as an orphan, still writing the DuckDB file while the next
build lands and audits. So on Linux the child asks the kernel to SIGKILL it when the build
dies (``PR_SET_PDEATHSIG``, set by a tiny launcher before it execs dbt), and everywhere it
inherits the build lock's descriptor, so no other build can start while it still runs.
DuckDB's write-ahead log then recovers the file at the next open. Paths reach the dbt project
only through environment variables. The child is dbt's programmatic runner
(cxbench/dbt_child.py), not the ``dbt`` command, which spends CPU on logs and a manifest
nobody reads.

Parsing the project costs dbt ~6 s of CPU that partial parsing skips when nothing changed. dbt
keeps its parse state per target folder (one per warehouse) and throws it away when the
connection details differ. So dbt runs in the warehouse folder with the DuckDB file given
*relative* to it (the same string for every warehouse), and the project keeps a shared copy
of the latest parse state (``target/cxbench_partial_parse.<key>.msgpack``) that seeds a
warehouse's first run: one per profile and vars (``_shared_parse_state``), since dbt parses
the whole project again when either differs, so builds with another DuckDB memory limit (the
tests', ``make test-dbt``'s) or target (Spark) do not throw away each other's. dbt checks the
copy itself (its version, vars, profile, env vars and every file's checksum) and parses afresh
what differs, so a stale copy costs time, never correctness. Nothing dbt parses names the
warehouse: the landed folder reaches dbt only when it runs (the on-run-start hook
create_landing_tables), so a new warehouse's first build parses nothing again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxbench import dbt_child
from cxbench.dbt_child import SHOWN_LEVELS
from cxbench.files import TMP_PREFIX
from cxbench.incremental import project_fingerprint, project_state_dir
from cxbench.progress import Reporter, dbt_event
from cxbench.relations import DBT_TARGET
from cxbench.settings import BUNDLED_PROJECT, Settings

PARTIAL_PARSE = "partial_parse.msgpack"
SHARED_PARSE = "cxbench_partial_parse.{key}.msgpack"
# What dbt's parse state depends on beyond the project files that differs between the builds of
# one checkout: the profile's environment variables (besides CXB_DUCKDB_PATH, the same relative
# path for every warehouse) and the options dbt_child.parse_options keeps (target, vars).
PROFILE_ENV = ("CXB_DUCKDB_MEMORY_LIMIT",)


@dataclass(frozen=True)
class DbtNodeResult:
    unique_id: str
    status: str
    message: str | None
    failures: int | None
    # The SQL dbt ran (a data test's: the query whose rows are its failures), for the build's
    # failure message (cxbench.build.explain_failed_checks).
    compiled_code: str | None = None


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


# Runs in the child before dbt: die with the parent (argv[1] is its pid), then become dbt.
_DIE_WITH_PARENT = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    sys.exit(137)  # the build died before the request took effect\n"
    "signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT, signal.SIGTERM])\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)
# Stops (Ctrl-C; `kill`, which the CLI turns into KeyboardInterrupt) held while Popen starts the
# child: one landing inside Popen would escape before the build has the child's handle to stop
# it, leaving dbt to the kernel's parent-death kill, which lands after the build has exited.
# The child unblocks them before it becomes dbt (above).
_STOPS = {signal.SIGINT, signal.SIGTERM}


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
    warm: WarmDbt | None = None,
) -> DbtResult:
    """Run ``dbt <args>`` in the project and read its results.

    dbt's events at info level or above come as the dicts of dbt's JSON log lines; each goes
    to ``report`` as a progress event (cxbench/progress.py), or, without one, its message is
    printed as dbt would, and nothing is shown when quiet. ``keep_fds`` stay open in the dbt
    child (the build lock), so they are held while dbt lives. With ``warm``, dbt runs in this
    process instead (the build worker's ``WarmDbt``), on the same arguments, environment and
    folder.
    """
    if warm is None:
        started = start_dbt(settings, args, keep_fds=keep_fds, extra_env=extra_env)
        return started.run(quiet=quiet, report=report)
    env = {**build_environment(settings), **(extra_env or {})}
    target, shared = _prepare_target(settings, args, env)
    project = dbt_child.project_options(str(settings.project_dir))
    return_code = warm.invoke(
        [*args, *project], project, settings, env, _line_handler(quiet=quiet, report=report)
    )
    _share_parse_state(target / PARTIAL_PARSE, shared)
    return _read_results(target / dbt_child.RUN_RESULTS, return_code)


def start_dbt(
    settings: Settings,
    args: list[str],
    *,
    keep_fds: tuple[int, ...] = (),
    extra_env: dict[str, str] | None = None,
) -> StartedDbt:
    """A dbt child for ``dbt <args>`` that imports dbt and parses the project at once, then
    waits: ``run`` lets it run, ``stop`` ends it. A build starts it before it lands, so dbt's
    start-up and parse (~4 s) overlap the landing and the raw audit instead of following them.
    Nothing dbt parses is landed data; what it runs reads the batch only once it may."""
    env = {**build_environment(settings), **(extra_env or {})}
    target, shared = _prepare_target(settings, args, env)
    command = [
        sys.executable,
        "-m",
        "cxbench.dbt_child",
        dbt_child.WAIT,
        str(settings.project_dir),
        *args,
    ]
    return StartedDbt(_spawn(command, settings, env, keep_fds), target, shared)


class StartedDbt:
    """A dbt child waiting for its go (``start_dbt``)."""

    def __init__(self, process: subprocess.Popen[str], target: Path, shared: Path) -> None:
        self.process, self._target, self._shared = process, target, shared

    def run(self, *, quiet: bool = False, report: Reporter | None = None) -> DbtResult:
        """Let dbt run; its events as ``run_dbt`` says; its results."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(dbt_child.GO + "\n")
            self.process.stdin.close()
        except OSError:  # it already ended (dbt could not parse): its output says why
            pass
        return_code = _follow(self.process, _line_handler(quiet=quiet, report=report))
        _share_parse_state(self._target / PARTIAL_PARSE, self._shared)
        return _read_results(self._target / dbt_child.RUN_RESULTS, return_code)

    def stop(self) -> None:
        """End the child if it has not run (the build stopped before dbt); else nothing."""
        if self.process.returncode is None:
            self.process.kill()
            self.process.wait()
            for pipe in (self.process.stdin, self.process.stdout):
                if pipe is not None:
                    pipe.close()


def _prepare_target(settings: Settings, args: list[str], env: dict[str, str]) -> tuple[Path, Path]:
    """The warehouse's dbt target folder, readied for a run of ``dbt <args>`` in ``env``, and
    the project's shared parse state for such runs (its copy seeds the target's when it has
    none)."""
    target = settings.warehouse / DBT_TARGET
    # A killed run leaves no run_results.json (dbt writes it at the end); a stale one from an
    # earlier run must never be read as this run's results.
    (target / dbt_child.RUN_RESULTS).unlink(missing_ok=True)
    # A checkout shares its parse state between warehouses; an installed wheel's project sits
    # in site-packages, which cxbench never writes to: there the warehouse keeps its own.
    shared = project_state_dir(settings) / _shared_parse_state(args, env)
    if settings.project_dir == BUNDLED_PROJECT:
        shared = target / PARTIAL_PARSE
    _copy_if_missing(shared, target / PARTIAL_PARSE)
    return target, shared


def _shared_parse_state(args: list[str], env: dict[str, str]) -> str:
    """The name of the shared parse state that fits a run of ``dbt <args>`` in ``env``."""
    fits = json.dumps([dbt_child.parse_options(args), [env.get(name) for name in PROFILE_ENV]])
    return SHARED_PARSE.format(key=hashlib.sha256(fits.encode()).hexdigest()[:12])


def _line_handler(*, quiet: bool, report: Reporter | None) -> Callable[[dict[str, Any]], None]:
    """What happens to one dbt JSON log line: an event for ``report``, dbt's own message on
    stdout without one, nothing when quiet. Only lines at dbt's default level (info) or above
    count: the warm runner's callbacks also see dbt's debug events."""

    def show(line: dict[str, Any]) -> None:
        info = line.get("info") or {}
        if quiet or info.get("level") not in SHOWN_LEVELS:
            return
        if report is None:
            print(info.get("msg", ""), flush=True)
            return
        event = dbt_event(line)
        if event is not None:
            report(event)

    return show


def _spawn(
    command: list[str], settings: Settings, env: dict[str, str], keep_fds: tuple[int, ...]
) -> subprocess.Popen[str]:
    """dbt in a child process (dying with this one), JSON log lines on a pipe, its go on
    stdin."""
    wrapped = dies_with_parent(command)
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS) if wrapped != command else None
    try:
        process = subprocess.Popen(
            wrapped,
            cwd=settings.warehouse,
            env={**env, "PYTHONUNBUFFERED": "1"},  # each line as it comes
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            pass_fds=keep_fds,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
    except BaseException:
        if held is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        raise
    try:
        if held is not None:  # a stop that came meanwhile is raised here, with dbt in hand
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
    except BaseException:
        process.kill()
        process.wait()
        raise
    return process


def _follow(process: subprocess.Popen[str], show: Callable[[dict[str, Any]], None]) -> int:
    """Each JSON log line of the child handled as it comes; its exit code."""
    try:
        assert process.stdout is not None
        for raw in process.stdout:
            try:
                line = json.loads(raw)
            except ValueError:  # not dbt's log (a library printing): pass it on as it is
                if raw.strip():
                    show({"info": {"level": "info", "msg": raw.rstrip()}})
                continue
            if isinstance(line, dict):
                show(line)
        return process.wait()
    except BaseException:  # interrupted: dbt must not run on
        process.kill()
        process.wait()
        raise


class WarmDbt:
    """dbt run in this process through dbt's programmatic ``dbtRunner``, for a long-lived
    process that builds one warehouse over and over (cxbench/build_worker.py).

    A dbt child costs a Python start, dbt's imports and a (partial) parse each time: ~8 CPU s
    before the first model runs. Here the imports happen once and the parsed manifest is kept
    and handed to the next run while the project (its fingerprint, which covers the dbt and
    DuckDB versions) and the environment dbt reads are unchanged; anything else parses afresh.
    dbt keeps global state, so one invocation at a time (the build lock sees to that), and the
    process changes its working folder and environment for the run, as the child would have.
    """

    def __init__(self) -> None:
        self._manifest: Any = None
        self._key: tuple[str, ...] | None = None
        self.parses = 0  # how often it parsed: once while nothing dbt reads changed

    def invoke(
        self,
        dbt_args: list[str],
        project: list[str],
        settings: Settings,
        env: dict[str, str],
        show: Callable[[dict[str, Any]], None],
    ) -> int:
        """dbt's exit code for ``dbt_args``: 0 success, 1 failed nodes, 2 dbt could not run.
        ``project``: the project and profile options, which a parse takes too."""
        saved_env, saved_cwd = dict(os.environ), os.getcwd()
        os.environ.clear()
        os.environ.update(env)
        os.chdir(settings.warehouse)
        try:
            parsing = [*project, *dbt_child.parse_options(dbt_args)]
            key = (
                project_fingerprint(settings.project_dir),
                *parsing,
                *sorted(f"{k}={v}" for k, v in env.items() if k.startswith(("CXB_", "DBT_"))),
            )
            if self._manifest is None or key != self._key:
                self._manifest = self._key = None
                self.parses += 1
                manifest = dbt_child.parse(parsing, show)
                if manifest is None:
                    return 2
                self._manifest, self._key = manifest, key
            return_code = dbt_child.invoke(self._manifest, dbt_args, show)
            if return_code == 2:
                self._manifest = None  # dbt stopped half-way: parse afresh next time
            return return_code
        finally:
            _close_dbt_duckdb()
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)


def _close_dbt_duckdb() -> None:
    """Close dbt-duckdb's process-wide DuckDB instance, so the gates (in this same process) open
    the file afresh, read-only, and nothing of dbt holds it between builds."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    environment = DuckDBConnectionManager._ENV  # dbt-duckdb keeps it here
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()


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
            compiled_code=r.get("compiled_code"),
        )
        for r in data.get("results", [])
    )
    return DbtResult(
        success=return_code == 0,
        return_code=return_code,
        nodes=nodes,
        elapsed_seconds=data.get("elapsed_time"),
    )
