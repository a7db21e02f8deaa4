"""The build: land → audit raw → dbt build → audit marts → publish (DESIGN §1).

Every gate that fails stops the build before publishing, so the last good snapshot stays live.
Each build leaves a record (``warehouse/builds/<build_id>.json`` and ``last_build.json``) that
``cxbench status`` reads without opening the DuckDB file a build may be writing.

A build may die at any instant (SIGKILL, power loss). Nothing it leaves can be served: the API
follows ``CURRENT`` only. The next build, holding the lock, cleans up before it starts: partial
snapshot folders and temporary files, a complete snapshot the dead build never made live, and a
record still saying "running" (settled as "interrupted"), and the files a dead DuckDB process
spilled to disk. Landing removes its own orphans, and DuckDB replays its write-ahead log when
dbt next opens the file.
"""

from __future__ import annotations

import importlib
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import yaml

from cxbench import audit, dbt_child, incremental, ingest, landing, publish, spark
from cxbench.dbt_runner import DbtNodeResult, DbtResult, StartedDbt, WarmDbt, run_dbt, start_dbt
from cxbench.errors import CxbenchError
from cxbench.files import TMP_PREFIX, write_atomically
from cxbench.lock import BuildLock, build_lock, process_alive
from cxbench.progress import Note, Reporter, StepFinished, StepProgress, StepStarted, ignore
from cxbench.relations import INTERMEDIATE, MARTS, REFERENCE, STAGING, connect_read_only
from cxbench.setting_docs import UNIT_TEST_MODES
from cxbench.settings import Settings
from cxbench.testhook import pause_point

if TYPE_CHECKING:
    from cxbench.attacks import AttackReport

EXPECTATIONS_DIR = "expectations"
RAW_SUITE = "raw_landing.json"
MARTS_SUITES = (
    ("fct_benchmark_cells", "benchmark_cells.json"),
    ("fct_client_scorecards", "client_scorecards.json"),
)
RAW_VIEW = ("raw", "landed_answers")
LAST_BUILD = "last_build.json"
# DuckDB spills to ``<database>.tmp/duckdb_temp_<pid>_…`` (its default temp_directory).
SPILL_FILE = re.compile(r"duckdb_temp_(\d+)_")
# A build record's status as BuildRecord.save writes it (json.dumps, indent 2).
RECORD_STATUS = re.compile(r'^  "status": "([a-z]+)",$', re.MULTILINE)
# Imported in a background thread while the build lands and dbt runs (~15 s of CPU together):
# the audits' Great Expectations and the attack gate (pandas, scipy). The gates join it first.
PRELOAD_MODULES = ("sqlalchemy", "great_expectations", "cxbench.attacks")


class GateFailed(CxbenchError):
    """A gate (raw audit, dbt tests, mart audit) failed; nothing was published."""


@dataclass
class BuildRecord:
    build_id: str
    started_at: str
    status: str = "running"  # running | published | failed | interrupted
    engine: str = "duckdb"
    failed_gate: str | None = None
    message: str | None = None
    finished_at: str | None = None
    steps: dict[str, float] = field(default_factory=dict)
    landing: dict[str, Any] = field(default_factory=dict)
    dbt: dict[str, Any] = field(default_factory=dict)
    audits: list[dict[str, Any]] = field(default_factory=list)
    reconciliation: dict[str, Any] = field(default_factory=dict)
    attack: dict[str, Any] = field(default_factory=dict)
    published_build_id: str | None = None
    cleaned_up: list[str] = field(default_factory=list)

    def save(self, warehouse: Path) -> None:
        builds = warehouse / "builds"
        builds.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.__dict__, indent=2, default=str)
        write_atomically(builds / f"{self.build_id}.json", text)
        write_atomically(warehouse / LAST_BUILD, text)


def new_build_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def run_build(
    settings: Settings,
    *,
    full_refresh: bool = False,
    engine: str = "duckdb",
    report: Reporter = ignore,
    warm: WarmDbt | None = None,
    unit_tests: str = UNIT_TEST_MODES[0],
) -> BuildRecord:
    """One gated build; ``engine`` runs dbt on DuckDB (default) or Spark (cxbench/spark.py).

    ``warm``: run dbt on DuckDB in this process (the build worker of ``serve --build-every``,
    cxbench/build_worker.py) instead of in a child; the gates are the same either way.
    ``unit_tests``: "auto" runs dbt's unit tests on a full refresh unless they passed under
    this project fingerprint already; "always" on every build (``setting_docs.UNIT_TEST_MODES``).
    """
    if engine not in spark.ENGINES:
        raise CxbenchError(f"Unknown engine {engine!r}: choose one of {', '.join(spark.ENGINES)}.")
    if unit_tests not in UNIT_TEST_MODES:
        modes = ", ".join(UNIT_TEST_MODES)
        raise CxbenchError(f"Unknown unit-test mode {unit_tests!r}: choose one of {modes}.")
    if engine == "spark":
        spark.check_installed()
    build_id = new_build_id()
    settings.warehouse.mkdir(parents=True, exist_ok=True)
    with build_lock(settings.warehouse / "build.lock", build_id) as lock:
        record = BuildRecord(
            build_id=build_id, started_at=datetime.now(UTC).isoformat(), engine=engine
        )
        record.save(settings.warehouse)
        try:
            _clean_up_interrupted(settings, record, report)
            _run_steps(
                settings,
                record,
                lock,
                full_refresh=full_refresh,
                report=report,
                warm=warm,
                unit_tests=unit_tests,
            )
        except BaseException as exc:
            if record.status != "published":
                if isinstance(exc, KeyboardInterrupt):
                    record.status = "interrupted"
                    record.message = "The build was interrupted; nothing was published."
                else:
                    record.status = "failed"
                    record.message = (
                        str(exc)
                        if isinstance(exc, CxbenchError)
                        else f"unexpected {type(exc).__name__}: {exc}"
                    )
            raise
        finally:
            record.finished_at = datetime.now(UTC).isoformat()
            record.save(settings.warehouse)
    return record


class _timed:
    """Times one build step into the record and reports its start and end (cxbench/progress.py)."""

    def __init__(self, record: BuildRecord, step: str, report: Reporter) -> None:
        self.record, self.step, self.report = record, step, report

    def __enter__(self) -> None:
        self.started = time.perf_counter()
        self.report(StepStarted(self.step))

    def __exit__(self, exc_type: object, *exc: object) -> None:
        elapsed = time.perf_counter() - self.started
        self.record.steps[self.step] = round(elapsed, 3)
        self.report(StepFinished(self.step, elapsed, ok=exc_type is None))


def _clean_up_interrupted(settings: Settings, record: BuildRecord, report: Reporter) -> None:
    """Remove what a build that died left behind; called with the lock held, so it is dead."""
    removed = publish.remove_partial_snapshots(settings.published)
    builds = settings.warehouse / "builds"
    leftovers = [
        *builds.glob(f"{TMP_PREFIX}*"),
        *settings.warehouse.glob(f"{TMP_PREFIX}{LAST_BUILD}.*"),
    ]
    for path in leftovers:
        path.unlink(missing_ok=True)
        removed.append(path.name)
    removed.extend(remove_dead_spill_files(settings.database))
    live = publish.current_build_id(settings.published)
    made_live = {e.get("build_id") for e in publish.read_history(settings.published)}
    for path in sorted(builds.glob("*.json")):
        if _settled(path):
            continue
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if data.get("status") != "running" or data.get("build_id") == record.build_id:
            continue
        build_id = str(data["build_id"])
        if build_id == live or build_id in made_live:
            data["status"] = "published"
            data["published_build_id"] = build_id
            data["message"] = "Published; the build died before it could record so."
        else:
            data["status"] = "interrupted"
            data["message"] = "The build died (killed or crashed); nothing of it was published."
            if (settings.published / build_id).is_dir():
                # Complete but never made live: the build died between writing and switching.
                publish.remove_snapshot(settings.published, build_id)
                removed.append(f"unpublished snapshot {build_id}")
        write_atomically(path, json.dumps(data, indent=2, default=str))
        removed.append(f"record of build {build_id} ({data['status']})")
    if removed:
        record.cleaned_up = removed
        report(Note(f"cleaned up after an interrupted build: {', '.join(removed)}"))


def _settled(record: Path) -> bool:
    """Whether a build record says it is settled (not "running"), from its first lines only.

    Every build reads every record to find those a dead build left "running"; a record is
    ~140 KB at 1M answers (the reconciliation of every file), so a server that builds each post
    would otherwise parse more at each build, all day. ``status`` is the third field of a
    record; a record without it in its head is read whole."""
    try:
        with record.open("rb") as handle:
            head = handle.read(512).decode("utf-8", "replace")
    except OSError:
        return False
    found = RECORD_STATUS.search(head)
    return found is not None and found[1] != "running"


def remove_dead_spill_files(database: Path) -> list[str]:
    """Delete what DuckDB processes that are gone spilled next to ``database``; say what.

    DuckDB deletes its spill files when it closes, and never those of another process, so a
    build or dbt killed in a large query leaves them for good (153 MB from a 40 MB-limit query
    in a test; up to the data's size at scale). A file whose owner pid still runs is kept:
    another process (a DuckDB shell, a script) may be using the file now.
    """
    dead: dict[int, int] = {}
    for path in database.with_name(database.name + ".tmp").glob("duckdb_temp_*"):
        match = SPILL_FILE.match(path.name)
        if match is None or process_alive(pid := int(match[1])):
            continue
        try:
            size = path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            continue
        dead[pid] = dead.get(pid, 0) + size
    return [
        f"DuckDB spill files of dead process {pid} ({size / 1e6:.1f} MB)"
        for pid, size in sorted(dead.items())
    ]


def _run_steps(
    settings: Settings,
    record: BuildRecord,
    lock: BuildLock,
    *,
    full_refresh: bool,
    report: Reporter,
    warm: WarmDbt | None,
    unit_tests: str,
) -> None:
    """The gates in order; each raises ``GateFailed`` (or ``CxbenchError``) to stop the build."""
    # Importing Great Expectations and the attack gate's pandas and scipy costs ~15 s of CPU;
    # it runs while landing reads the files (and, when there is no new batch, while dbt runs),
    # so the gates rarely wait for it. A gate joins the thread first: GX imported from two
    # threads at once fails on its own circular imports. (Joining is interruptible: a stop
    # does not wait for the import.)
    preload = _import_in_background(PRELOAD_MODULES)
    plan = _plan_dbt(settings, full_refresh=full_refresh, unit_tests=unit_tests)
    # dbt's child imports dbt and parses the project (~4 s) while the batch lands and is
    # audited; it runs only when the dbt gate lets it.
    started = None
    if record.engine == "duckdb" and warm is None:
        started = start_dbt(settings, plan.args, keep_fds=(lock.fd,))
    try:
        landed = _land(settings, record, report)
        _audit_raw_gate(settings, record, landed, preload, report)
        _dbt_gate(settings, record, lock, plan, started=started, report=report, warm=warm)
    finally:
        if started is not None:
            started.stop()
    record.reconciliation = _reconciliation(_gates_database(settings, record))
    _publish(settings, record, preload, report)


def _land(settings: Settings, record: BuildRecord, report: Reporter) -> landing.LandingReport:
    """New and changed landing files → landed Parquet (not committed until the raw audit)."""
    with _timed(record, "land", report):
        landed = landing.land(
            settings.landing,
            settings.landed,
            commit=False,
            progress=_progress(report, "land", "files"),
        )
    record.landing = {
        "new_files": len(landed.new_files),
        "unchanged_files": landed.unchanged_files,
        "quarantined_files": [
            {"source_file": r.source_file, "reason_code": r.reason_code, "detail": r.reason_detail}
            for r in landed.quarantined_files
        ],
        "rows_landed": landed.rows_landed,
    }
    if landed.total_loaded_files == 0:
        raise CxbenchError(
            f"No readable landing files in {settings.landing}; run `cxbench demo` or deliver files."
        )
    return landed


def _audit_raw_gate(
    settings: Settings,
    record: BuildRecord,
    landed: landing.LandingReport,
    preload: threading.Thread,
    report: Reporter,
) -> None:
    """The raw suite on this build's batch; only a passing batch is committed to the load log."""
    with _timed(record, "audit_raw", report):
        batch = landed.batch_files(settings.landed)
        if batch:
            _gates_database(settings, record).parent.mkdir(parents=True, exist_ok=True)
            _create_raw_view(_gates_database(settings, record), batch)
            preload.join()  # after the DuckDB work above, which overlaps the import
            result = audit.run_audit(
                _gates_database(settings, record),
                RAW_VIEW[0],
                RAW_VIEW[1],
                settings.project_dir / EXPECTATIONS_DIR / RAW_SUITE,
            )
            record.audits.append({"gate": "raw", **result.to_dict()})
            report(_audit_note(result))
            if not result.success:
                record.failed_gate = "audit_raw"
                raise GateFailed(_audit_failure_message("raw landing", result))
        landing.commit_landing(settings.landed, landed)


def _dbt_gate(
    settings: Settings,
    record: BuildRecord,
    lock: BuildLock,
    plan: DbtPlan,
    *,
    started: StartedDbt | None,
    report: Reporter,
    warm: WarmDbt | None,
) -> None:
    """``dbt build`` as ``plan`` says (``_plan_dbt``): models, data tests and, unless they
    passed under this fingerprint, unit tests; in ``started`` when the child was started early.

    Unit tests read only their own fixture rows, so their verdict depends on the project (and
    the dbt and DuckDB versions, which the fingerprint includes) and on nothing a delivery
    brings or a warehouse holds; so do the seeds, the models built from seeds alone and their
    data tests. A passing unit-test run is recorded per fingerprint for every warehouse of the
    project (``incremental.remember_unit_tests``); a full refresh under a recorded fingerprint
    leaves them out and says when they passed. A build that is not a full refresh runs with
    the very project whose full-refresh build passed (the fingerprint is stored only after a
    passing build), so it leaves out those and the seeds (``INCREMENTAL_SELECTION``); any
    change to the project forces a full refresh, which runs the unit tests again.
    ``unit_tests="always"`` runs them on every build.
    """
    if record.engine == "spark":
        with _timed(record, "dbt_build", report):
            _run_dbt_on_spark(settings, record, lock, report)
        return
    with _timed(record, "dbt_build", report):
        refresh = plan.refresh
        if refresh:
            report(Note(f"full refresh: {refresh}"))
            incremental.full_refresh_started(settings)
        unit_verdict = (
            None if plan.run_unit_tests else _unit_tests_skipped(plan.unit_tests_passed_at)
        )
        if unit_verdict is not None:
            report(Note(unit_verdict))
        if started is not None:
            dbt = started.run(report=report)
        else:
            dbt = run_dbt(settings, plan.args, keep_fds=(lock.fd,), report=report, warm=warm)
        ran = [n for n in dbt.nodes if n.unique_id.startswith(UNIT_TEST_PREFIX)]
        if ran and dbt.success and all(n.status == "pass" for n in ran):
            when = incremental.remember_unit_tests(settings, plan.fingerprint)
            unit_verdict = f"unit tests: {len(ran)} passed at {when}"
        elif plan.run_unit_tests:
            failed = sum(1 for n in ran if n.status != "pass")
            unit_verdict = f"unit tests: {len(ran)} run, {failed} did not pass"
        if not dbt.success:
            dbt = explain_failed_checks(settings.database, dbt)
        record.dbt = {**_dbt_summary(dbt), "full_refresh": refresh, "unit_tests": unit_verdict}
        if not dbt.success:
            record.failed_gate = "dbt_build"
            raise GateFailed(f"dbt build failed ({_failed_nodes(dbt)}); nothing was published.")
        incremental.remember_project(settings, plan.fingerprint)
        if refresh:  # an incremental build wrote no manifest (WITHOUT_MANIFEST)
            ingest.save_classifier(settings)  # the row checks the ingest API runs over posts


@dataclass(frozen=True)
class DbtPlan:
    """What the build's ``dbt build`` runs, decided before anything is landed (``_plan_dbt``)."""

    fingerprint: str
    refresh: str | None  # why it refreshes in full, or None: incremental
    run_unit_tests: bool
    unit_tests_passed_at: str | None
    args: list[str]


def _plan_dbt(settings: Settings, *, full_refresh: bool, unit_tests: str) -> DbtPlan:
    """Decided before landing: the raw audit creates the DuckDB file, so a warehouse whose file
    was removed would look whole to a later check and build incrementally, on tables that are
    gone; and the dbt child started early needs its arguments."""
    fingerprint = incremental.project_fingerprint(settings.project_dir)
    refresh = (
        "requested" if full_refresh else incremental.full_refresh_reason(settings, fingerprint)
    )
    passed_at = incremental.unit_tests_passed_at(settings, fingerprint)
    run_unit_tests = unit_tests == "always" or (bool(refresh) and passed_at is None)
    options = dbt_build_options(settings, full_refresh=bool(refresh), run_unit_tests=run_unit_tests)
    return DbtPlan(fingerprint, refresh, run_unit_tests, passed_at, ["build", *options])


def _unit_tests_skipped(passed_at: str | None) -> str:
    """What the progress output and the build record say about unit tests left out."""
    if passed_at is None:  # an incremental build under a fingerprint recorded before them
        return "unit tests: left out (an incremental build; the full refresh before it ran them)"
    return f"unit tests: passed under this fingerprint at {passed_at}"


def _run_dbt_on_spark(
    settings: Settings, record: BuildRecord, lock: BuildLock, report: Reporter
) -> None:
    """dbt on Spark, where every model is rebuilt (no merge without Delta: README "Spark"),
    then Spark's exported relations copied into the gates' DuckDB file.

    The ingest API's classifier stays the DuckDB build's (its compiled SQL is DuckDB SQL).
    """
    spark.prepare(settings)
    dbt = run_dbt(
        settings,
        ["build", *spark.dbt_arguments(settings)],
        keep_fds=(lock.fd,),
        extra_env=spark.dbt_environment(settings),
        report=report,
    )
    record.dbt = {**_dbt_summary(dbt), "full_refresh": "every model is a full build on Spark"}
    if not dbt.success:
        record.failed_gate = "dbt_build"
        raise GateFailed(
            f"dbt build on Spark failed ({_failed_nodes(dbt)}); nothing was published."
        )
    spark.load_export(settings)


def _gates_database(settings: Settings, record: BuildRecord) -> Path:
    """The DuckDB file the gates read: the engine's own, or the copy of Spark's tables."""
    return spark.gates_database(settings) if record.engine == "spark" else settings.database


# What an incremental build runs: what lies downstream of the landing sources. The seeds, the
# dimensions built from them alone and their data tests (94 of 335 nodes, 7.5 node-s at 1M)
# are left out, like the unit tests: they read nothing a delivery brings, so their tables and
# verdicts are those of the full refresh that ran under the same fingerprint.
INCREMENTAL_SELECTION = ("--select", "source:*+")
# ... less the views past staging: their SQL is the project's alone (no watermark, no path, no
# environment), so under the fingerprint of the full refresh that created them they are already
# what dbt would create again (~0.9 node-s of a one-file delivery into the demo). Their data and
# unit tests still run: they are in the selection themselves ("source:*+" holds them), and no
# indirect selection drops them with their view (dbt's default, eager, would). dbt orders
# them after what the view reads.
INCREMENTAL_EXCLUSION = (
    "--exclude",
    "config.materialized:view,path:models/intermediate",
    "config.materialized:view,path:models/marts",
    "--indirect-selection",
    "empty",
)
# ... and without writing dbt's manifest: it runs under the fingerprint of the full refresh
# before it, whose manifest (the API's marts for publish, the ingest classifier's SQL) would only
# be written again (~0.9 s at the end of dbt's run, holding the GIL). dbt's switch also leaves
# out run_results.json, which cxbench.dbt_child writes itself.
WITHOUT_MANIFEST = (dbt_child.NO_WRITE_JSON,)
# dbt's own switches for its unit tests: leave them all out, or add every one to a selection.
WITHOUT_UNIT_TESTS = ("--exclude-resource-type", "unit_test")
ALL_UNIT_TESTS = "test_type:unit"
UNIT_TEST_PREFIX = "unit_test."


def dbt_build_options(settings: Settings, *, full_refresh: bool, run_unit_tests: bool) -> list[str]:
    """What ``dbt build`` runs: everything on a full refresh, else what a delivery can change;
    with or without every unit test."""
    if full_refresh:
        options = ["--full-refresh"]
    else:
        unit_tests = [ALL_UNIT_TESTS] if run_unit_tests else []
        options = [*INCREMENTAL_SELECTION, *unit_tests, *INCREMENTAL_EXCLUSION, *WITHOUT_MANIFEST]
    return options if run_unit_tests else [*options, *WITHOUT_UNIT_TESTS]


def _audit_marts_gate(
    settings: Settings, record: BuildRecord, preload: threading.Thread, report: Reporter
) -> None:
    """The mart suites on what dbt built; ``_publish`` runs them beside its export, and nothing
    becomes a snapshot unless they pass."""
    with _timed(record, "audit_marts", report):
        preload.join()
        for done, (table, suite) in enumerate(MARTS_SUITES):
            report(StepProgress("audit_marts", done, len(MARTS_SUITES), "suites", table))
            result = audit.run_audit(
                _gates_database(settings, record),
                MARTS,
                table,
                settings.project_dir / EXPECTATIONS_DIR / suite,
                params=_publication_thresholds(settings),
            )
            record.audits.append({"gate": "marts", **result.to_dict()})
            report(StepProgress("audit_marts", done + 1, len(MARTS_SUITES), "suites", table))
            report(_audit_note(result))
            if not result.success:
                record.failed_gate = "audit_marts"
                raise GateFailed(_audit_failure_message(table, result))


def _publish(
    settings: Settings, record: BuildRecord, preload: threading.Thread, report: Reporter
) -> None:
    """A snapshot through the last gates (``_snapshot_through_gates``), then ``CURRENT``
    switched to it and old snapshots pruned."""
    with _timed(record, "publish", report):
        snapshot = _snapshot_through_gates(settings, record, preload, report)
        pause_point("publish.switch")
        previous = publish.switch_current(settings.published, snapshot.build_id)
        record.status = "published"
        record.published_build_id = snapshot.build_id
        try:
            pruned = publish.prune_snapshots(
                settings.published, settings.keep_snapshots, protect=[previous]
            )
        except OSError as exc:  # published all the same; the next build prunes again
            report(
                Note(f"could not remove old snapshots ({exc}); the next build will retry", "warn")
            )
        else:
            if pruned:
                kept = settings.keep_snapshots
                report(Note(f"removed old snapshots (keeping {kept}): {', '.join(pruned)}"))


def _snapshot_through_gates(
    settings: Settings, record: BuildRecord, preload: threading.Thread, report: Reporter
) -> publish.Snapshot:
    """The served marts exported, with the mart audit running beside the export and the attack
    gate on the exported files; a complete snapshot (not yet current) when both pass.

    The export is a temporary folder that only a passing audit and attack turn into a
    snapshot, so the audit (mostly Python) beside the export and the attack (mostly DuckDB)
    publishes nothing earlier and saves most of the audit's time (docs/BENCHMARKS.md, ninth
    round). A failed audit is the build's failure even when the attack fails too: it is the
    earlier gate; one that has failed by the end of the export stops the build before the
    attack.
    """
    database = _gates_database(settings, record)
    with ThreadPoolExecutor(1, thread_name_prefix="audit_marts") as pool:
        audited = pool.submit(_audit_marts_gate, settings, record, preload, report)
        export = publish.export_snapshot(database, settings.published, record.build_id)
        try:
            if audited.done():
                audited.result()
            attacked = _attack_gate(settings, record, export, preload, report)
            audited.result()
            if not attacked.ok:
                record.failed_gate = "attack"
                raise GateFailed(f"{attacked.sentence()}; nothing was published.")
            return publish.complete_snapshot(
                settings.published,
                export,
                {
                    "published_at": datetime.now(UTC).isoformat(),
                    "started_at": record.started_at,
                    "audits": record.audits,
                    "dbt": record.dbt,
                    "vars": _dbt_vars(settings),
                    "newest_answer_at": record.reconciliation.get("newest_answer_at"),
                },
            )
        except BaseException:
            publish.discard_export(export)
            raise


def _attack_gate(
    settings: Settings,
    record: BuildRecord,
    export: publish.Export,
    preload: threading.Thread,
    report: Reporter,
) -> AttackReport:
    """DESIGN §5.1's publish gate: replay the attacks on the export as written, not yet a
    snapshot; what it found goes into the record, and ``_snapshot_through_gates`` stops the
    build on a leak.

    The attack suite reads the exported Parquet (what the API would serve) and the clients'
    answer counts from the warehouse, independently of the dbt suppression.
    """
    with _timed(record, "attack", report):
        pause_point("publish.attack")
        preload.join()
        from cxbench import attacks  # imported by the preload thread meanwhile

        rules = attacks.Rules.from_vars(_dbt_vars(settings))
        result = attacks.attack_snapshot(export.folder, _gates_database(settings, record), rules)
    record.attack = result.to_dict(max_leaks=500)
    report(Note(result.sentence(), "info" if result.ok else "error"))
    return result


def _import_in_background(modules: tuple[str, ...]) -> threading.Thread:
    """Import ``modules`` in a thread while landing runs (DuckDB reads the files outside the
    GIL), so the raw audit does not pay Great Expectations' ~10 s import on its own."""

    def load() -> None:
        for module in modules:
            try:
                importlib.import_module(module)
            except Exception:  # noqa: S112 - the audit imports it again and reports the error
                continue

    thread = threading.Thread(target=load, name="preload-audit", daemon=True)
    thread.start()
    return thread


def _progress(report: Reporter, step: str, unit: str) -> Callable[[int, int], None]:
    """A ``(done, total)`` callback that reports ``step``'s progress (the renderer throttles)."""

    def show(done: int, total: int) -> None:
        report(StepProgress(step, done, total, unit))

    return show


def _audit_note(result: audit.AuditResult) -> Note:
    passed = sum(1 for outcome in result.outcomes if outcome.success)
    verdict = "passed" if result.success else "FAILED"
    return Note(
        f"audit {result.suite} on {result.table}: {verdict} "
        f"({passed}/{len(result.outcomes)} expectations)",
        "info" if result.success else "error",
    )


def _create_raw_view(database: Path, batch: list[Path]) -> None:
    """Expose this run's landed batch to the raw audit as raw.landed_answers."""
    # Paths are generated by cxbench (<landed>/answers/<load_id>.parquet), not client input.
    files = ", ".join("'" + str(p).replace("'", "''") + "'" for p in batch)
    con = duckdb.connect(str(database))
    try:
        con.execute("create schema if not exists raw")
        con.execute(
            f"create or replace view raw.landed_answers as select * from read_parquet([{files}])"  # noqa: S608 - generated identifiers only
        )
    finally:
        con.close()


def _publication_thresholds(settings: Settings) -> dict[str, Any]:
    """The publication thresholds as dbt_project.yml sets them, for the mart suites."""
    project_vars = _dbt_vars(settings)
    return {k: project_vars[k] for k in ("min_clients", "max_client_share", "min_clients_p10_p90")}


def _dbt_vars(settings: Settings) -> dict[str, Any]:
    project = yaml.safe_load((settings.project_dir / "dbt_project.yml").read_text())
    return dict(project.get("vars", {}))


def _dbt_summary(dbt: DbtResult) -> dict[str, Any]:
    return {
        "success": dbt.success,
        "return_code": dbt.return_code,
        "elapsed_seconds": dbt.elapsed_seconds,
        "counts": dbt.summary(),
        "failed": [
            {"node": n.unique_id, "status": n.status, "message": n.message} for n in dbt.failed
        ],
    }


# The model-level data test of the column rules (tests/generic/column_values.sql); the models'
# YAML names each column_values_<model>.
COLUMN_VALUES_TEST = "column_values_"


def explain_failed_checks(database: Path, dbt: DbtResult) -> DbtResult:
    """``dbt`` with the message of each failed column_values test naming what failed: its
    failing rows (rule, column, how many rows, an example value) read again from the DuckDB
    file with the SQL dbt ran. That SQL holds this build's batch scope as literals and the
    touched months as a table the build keeps, so it reads the rows the test read. Only on a
    failed build; the message stays dbt's when the rows cannot be read."""
    failed = {n.unique_id for n in dbt.failed}
    nodes = list(dbt.nodes)
    for i, node in enumerate(nodes):
        if node.unique_id not in failed or not _is_column_values(node):
            continue
        checks = _failing_checks(database, node)
        if checks:
            model = node.unique_id.split(".")[2].removeprefix(COLUMN_VALUES_TEST)
            listed = "; ".join(
                f"{model}.{column} fails {rule} in {count:,} row{'' if count == 1 else 's'}"
                + (f" (e.g. {example!r})" if example is not None else "")
                for rule, column, count, example in checks
            )
            nodes[i] = replace(node, message=listed)
    return replace(dbt, nodes=tuple(nodes))


def _is_column_values(node: DbtNodeResult) -> bool:
    parts = node.unique_id.split(".")  # test.<project>.<name>.<hash>
    return parts[0] == "test" and len(parts) > 2 and parts[2].startswith(COLUMN_VALUES_TEST)


def _failing_checks(database: Path, node: DbtNodeResult) -> list[tuple[str, str, int, str | None]]:
    if not node.compiled_code or not database.exists():
        return []
    try:
        con = connect_read_only(database)
    except duckdb.Error:
        return []
    try:
        # S608: dbt's own compiled SQL of a project test.
        rows = con.execute(
            "select rule, column_name, failing_rows, example_value "  # noqa: S608
            f"from ({node.compiled_code}) as failed order by failing_rows desc, column_name"
        ).fetchall()
    except duckdb.Error:
        return []
    finally:
        con.close()
    return [(str(r[0]), str(r[1]), int(r[2]), r[3]) for r in rows]


def _failed_nodes(dbt: DbtResult) -> str:
    """The failed nodes for a build's failure message (at most 5): each one's id and, when it
    says what failed (explain_failed_checks), that too."""
    labels = [
        f"{n.unique_id}: {n.message}" if _is_column_values(n) and n.message else n.unique_id
        for n in dbt.failed[:5]
    ]
    more = len(dbt.failed) - len(labels)
    return "; ".join(labels) + (f" and {more} more" if more > 0 else "") or "see the dbt log above"


def _audit_failure_message(what: str, result: audit.AuditResult) -> str:
    failed = [o.expectation for o in result.outcomes if not o.success]
    listed = "; ".join(failed[:3]) + (f" and {len(failed) - 3} more" if len(failed) > 3 else "")
    return f"The {what} audit failed ({listed}); nothing was published."


def _reconciliation(database: Path) -> dict[str, Any]:
    con = connect_read_only(database)
    # S608: the SQL names only schemas from cxbench.relations and fixed table names.
    try:
        rows = con.execute(
            "select source_file, file_status, file_reason_code, rows_landed, rows_accepted, "  # noqa: S608
            "rows_quarantined, rows_superseded, rows_in_quarantined_file "
            f"from {MARTS}.fct_file_reconciliation "
            "order by load_id"
        ).fetchall()
        reasons = con.execute(
            f"select reason_code, count(*) from {MARTS}.fct_quarantined_rows "  # noqa: S608
            "group by reason_code order by 2 desc"
        ).fetchall()
        newest = con.execute(f"select max(responded_at) from {MARTS}.fct_answers").fetchone()  # noqa: S608
        # Each registered client's last delivery (a client that silently stopped sending).
        deliveries = con.execute(
            "select clients.client_id, max(load_log.loaded_at), count(classified.load_id) "  # noqa: S608
            f"from {REFERENCE}.clients as clients "
            f"left join {INTERMEDIATE}.int_answers_classified as classified "
            "on classified.client_id = clients.client_id "
            f"left join {STAGING}.stg_landing__load_log as load_log "
            "on load_log.load_id = classified.load_id "
            "group by clients.client_id order by clients.client_id"
        ).fetchall()
    finally:
        con.close()
    files = [
        dict(
            zip(
                (
                    "source_file",
                    "file_status",
                    "file_reason_code",
                    "rows_landed",
                    "rows_accepted",
                    "rows_quarantined",
                    "rows_superseded",
                    "rows_in_quarantined_file",
                ),
                row,
                strict=True,
            )
        )
        for row in rows
    ]
    return {
        "files": files,
        "rows_landed": sum(f["rows_landed"] for f in files),
        "rows_accepted": sum(f["rows_accepted"] for f in files),
        "rows_quarantined": sum(f["rows_quarantined"] for f in files),
        "rows_superseded": sum(f["rows_superseded"] for f in files),
        "rows_in_quarantined_files": sum(f["rows_in_quarantined_file"] or 0 for f in files),
        "quarantine_reasons": {code: count for code, count in reasons},
        "newest_answer_at": newest[0].isoformat() if newest and newest[0] else None,
        "client_deliveries": [
            {"client_id": c, "last_delivery_at": at.isoformat() if at else None, "rows": n}
            for c, at, n in deliveries
        ],
    }
