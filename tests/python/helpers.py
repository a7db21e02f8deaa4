"""Helpers shared by the test modules."""

from __future__ import annotations

import http.server
import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import yaml

from cxbench import incremental
from cxbench.build import BuildRecord, run_build
from cxbench.dbt_runner import SHARED_PARSE, WarmDbt
from cxbench.progress import Note, Reporter, ignore
from cxbench.relations import MARTS
from cxbench.settings import PROJECT_DIR, Settings

# The `dbt` command itself, as a data engineer runs it on the project (builds use
# cxbench.dbt_child): installed next to this Python by `make install`.
DBT = str(Path(sys.executable).with_name("dbt"))


def make_settings(root: Path) -> Settings:
    """Settings whose landing folder and warehouse live under ``root``."""
    return Settings(
        home=root,
        landing_dir=root / "landing",
        warehouse_dir=root / "warehouse",
        duckdb_memory_limit="2GB",
    )


def copy_of_built(source: Settings, root: Path) -> Settings:
    """A private copy of a built demo (the shared ``built`` fixture's, which tests must not
    change) under ``root``: its landing folder and warehouse, without lock files."""
    settings = make_settings(root)
    shutil.copytree(source.landing, settings.landing)
    shutil.copytree(source.warehouse, settings.warehouse, ignore=shutil.ignore_patterns("*.lock"))
    return settings


def share_parse_state(project_copy: Path) -> None:
    """Give a copy of the project the checkout's shared dbt parse state (``target/``, where
    every build of the checkout leaves it), as a data engineer's working copy has its own: a
    new warehouse's first build then re-parses only the files that differ instead of the whole
    project (full parse ~5.5 CPU s beyond dbt's start; with one macro changed ~3.6). Only the
    parse state: the unit tests' record (``target/cxbench_unit_tests.json``) is not copied.
    Before the checkout's first build with the same profile and vars there is nothing that
    fits (cxbench.dbt_runner.PROFILE_ENV): the copy then parses in full, as before."""
    for state in (PROJECT_DIR / "target").glob(SHARED_PARSE.format(key="*")):
        (project_copy / "target").mkdir(exist_ok=True)
        shutil.copyfile(state, project_copy / "target" / state.name)


def run_cxbench(
    env: dict[str, str], *args: str, cwd: Path = PROJECT_DIR, timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    """The ``cxbench`` command line in a child process, with exactly ``env``."""
    return subprocess.run(
        [sys.executable, "-m", "cxbench.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


def wait_for_pause(process: subprocess.Popen[str], point: str) -> None:
    """Read ``process``'s stderr until it says it is parked at ``point`` (cxbench.testhook)."""
    assert process.stderr is not None
    for line in process.stderr:  # ends when the process does, so never blocks forever
        if line.startswith(f"[pause] {point}"):
            return
    raise AssertionError(f"the process never reached its pause point {point}")


class WebhookReceiver:
    """An alert webhook receiver on 127.0.0.1: refuses the first ``refuse`` POSTs with 503 (or,
    with ``hang``, holds each POST that long first), then takes them with 204."""

    def __init__(self, refuse: int = 1, hang: float = 0.0) -> None:
        receiver = self
        self.refuse = refuse
        self.refused = 0
        self.accepted: list[dict[str, Any]] = []
        self.keys: list[str | None] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if hang:
                    time.sleep(hang)
                if receiver.refused < receiver.refuse:
                    receiver.refused += 1
                    self.send_response(503)
                else:
                    receiver.accepted.append(json.loads(body))
                    receiver.keys.append(self.headers.get("Idempotency-Key"))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# A copy of the dbt project, for builds of a changed project (test_unit_test_record,
# test_column_values, test_metric_catalogue, test_seed_checks, test_privacy, test_wap).
TINY_DEMO = {"clients": 24, "answers": 3_000, "seed": 5}  # ~100 files: landing is per file
PROJECT_FILES = ("dbt_project.yml", "profiles.yml")
PROJECT_FOLDERS = ("models", "macros", "seeds", "expectations", "tests/generic", "tests/singular")


class ProjectCopy(Settings):
    """Settings whose dbt project is a copy under the test's folder."""

    copied_project: Path

    @property
    def project_dir(self) -> Path:
        return self.copied_project


def copy_project(target: Path, *, code: bool = False, **variables: Any) -> Path:
    """A copy of the dbt project at ``target``, with the checkout's parse state and with the
    dbt ``variables`` given changed. ``code``: with the cxbench package too, as a data
    engineer's working copy: the cxbench command run there with ``PYTHONPATH`` set to it builds
    that project (cxbench.settings.PROJECT_DIR)."""
    target.mkdir()
    for name in PROJECT_FILES:
        shutil.copy(PROJECT_DIR / name, target / name)
    folders = (*PROJECT_FOLDERS, "cxbench") if code else PROJECT_FOLDERS
    for folder in folders:
        shutil.copytree(
            PROJECT_DIR / folder, target / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    if variables:
        project = yaml.safe_load((target / "dbt_project.yml").read_text())
        project["vars"].update(variables)
        (target / "dbt_project.yml").write_text(yaml.safe_dump(project, sort_keys=False))
    share_parse_state(target)
    return target


def skip_unit_tests(project: Path) -> None:
    """Record dbt's unit tests of the copy ``project`` as passed under its fingerprint, so its
    builds leave them out, for a test of something else that changes the project (a var, a
    seed row, a planted bug no unit-test fixture reaches): the change is a new fingerprint,
    whose first build would run every unit test again (~10 s). test_unit_test_record covers
    their record; the unit tests themselves run in the checkout's builds and `make test-dbt`."""
    incremental.remember_unit_tests(
        ProjectCopy(copied_project=project), incremental.project_fingerprint(project)
    )


def project_copy_settings(root: Path, project: Path, landing: Path) -> ProjectCopy:
    """make_settings(root) with the dbt project ``project`` (a copy) and the landing folder
    ``landing``: the same profile, so the shared parse state fits."""
    base = make_settings(root)
    return ProjectCopy(
        home=base.home,
        landing_dir=landing,
        warehouse_dir=base.warehouse_dir,
        duckdb_memory_limit=base.duckdb_memory_limit,
        copied_project=project,
    )


def deliver_copy_of_one_file(landing: Path) -> None:
    """A new delivery: one demo Parquet file again, its responses renamed (new responses)."""
    source = min(landing.rglob("*.parquet"))
    con = duckdb.connect()
    try:
        con.execute(
            "copy (select * replace ('x1-' || response_id as response_id) from read_parquet(?)) "
            "to ? (format parquet)",
            [str(source), str(source.with_name("redelivered.parquet"))],
        )
    finally:
        con.close()


# The builds a test runs in its own process run dbt in it, warm, as the build worker of
# `cxbench serve --build-every` does (cxbench.dbt_runner.WarmDbt): dbt is imported once per
# pytest process instead of in a child per build (~2.3 CPU s a build). The child, started while
# the batch lands, is what every build run as the `cxbench build` command takes (test_wap,
# test_privacy, test_webhook, test_wheel, make test-dbt).
WARM_DBT = WarmDbt()


def build_here(
    settings: Settings, *, full_refresh: bool = False, report: Reporter = ignore
) -> BuildRecord:
    """run_build in this process, dbt warm (WARM_DBT)."""
    return run_build(settings, full_refresh=full_refresh, report=report, warm=WARM_DBT)


def build(settings: Settings) -> tuple[BuildRecord, list[str]]:
    """build_here, with the text of the notes it reported."""
    notes: list[str] = []
    record = build_here(
        settings, report=lambda e: notes.append(e.text) if isinstance(e, Note) else None
    )
    return record, notes


def marts_differences(
    database: Path,
    other: Path,
    ignore: dict[str, set[str]] | None = None,
    also: tuple[tuple[str, str], ...] = (),
) -> dict[str, int]:
    """Per table of the marts schema of ``database`` (and each (schema, table) in ``also``):
    how many rows differ from ``other``'s (a row of one without its equal in the other counts
    once). Rows pair up in the order of their columns; doubles are equal within a relative
    1e-9, since DuckDB sums in parallel and the last bits of a sum depend on the order rows
    arrive in, not on what was built. Columns in ``ignore`` (table → names) are left out.
    Compared inside DuckDB: a mart of the demo has tens of thousands of rows."""
    con = duckdb.connect()
    try:
        con.execute("attach ? as a (read_only)", [str(database)])
        con.execute("attach ? as b (read_only)", [str(other)])
        marts = con.execute(
            "select table_name from duckdb_tables() where database_name = 'a' and schema_name = ?",
            [MARTS],
        ).fetchall()
        differences = {}
        for schema, table in [*((MARTS, t) for (t,) in marts), *also]:
            described = [
                (column, data_type in ("DOUBLE", "FLOAT"))
                for column, data_type in con.execute(
                    "select column_name, data_type from duckdb_columns() where database_name = 'a'"
                    " and schema_name = ? and table_name = ? order by column_index",
                    [schema, table],
                ).fetchall()
                if column not in (ignore or {}).get(table, set())
            ]
            assert described, f"no table {schema}.{table}"
            # Names from DuckDB's own catalogue, never user input.
            exact = [f'"{c}"' for c, double in described if not double]
            doubles = [f'"{c}"' for c, double in described if double]
            order = ", ".join(exact + doubles)
            same = [f"a_rows.{c} is not distinct from b_rows.{c}" for c in exact] + [
                f"(a_rows.{c} is not distinct from b_rows.{c} or abs(a_rows.{c} - b_rows.{c})"
                f" <= 1e-9 * greatest(1, abs(a_rows.{c}), abs(b_rows.{c})))"
                for c in doubles
            ]
            sql = f"""
                with
                a_rows as (select *, row_number() over (order by {order}) as row_number
                           from a.{schema}.{table}),
                b_rows as (select *, row_number() over (order by {order}) as row_number
                           from b.{schema}.{table})
                select count(*)
                from a_rows full join b_rows on a_rows.row_number = b_rows.row_number
                where not ({" and ".join(same)})
            """  # noqa: S608
            counted = con.execute(sql).fetchone()
            differences[table] = int(counted[0]) if counted else 0
        return differences
    finally:
        con.close()
