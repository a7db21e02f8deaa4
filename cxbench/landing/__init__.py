"""Land client deliveries: turn each new landing file into one normalised Parquet file.

Client files differ in format, delimiter, header case and quality. dbt should see one clean,
typed-as-text shape, so every file is read here on its own (a broken file must not stop the
others), its columns are matched case-insensitively to the landing contract, and its rows are
written to ``<landed>/answers/<load_id>.parquet`` with their file and row number. Rows a parser
cannot read (a CSV line that does not split into the header's columns, a JSONL line that is not
a JSON object) go to ``<landed>/rejects/<load_id>.parquet`` verbatim and are quarantined as
``malformed_row``; the rest of the file still loads. A file that cannot be read as a whole is
logged as quarantined with a reason (a file code of ``seeds/quarantine_reasons.csv``).
``load_log.parquet`` records every delivery (path, size, content hash, rows, status) so an
identical re-delivery is skipped and the latest delivery of an answer can win downstream.

A file whose last record is cut off (no line break at the end and the last line unreadable, a
quoted CSV field still open at the end, a Parquet file without its footer) is quarantined as a
whole with ``truncated``: an interrupted transfer says nothing about what is missing, and
loading the front part would publish an incomplete delivery as if it were complete. Delivering
the whole file again under the same path lands it, because its content hash differs.

Client strings (paths, header names, values) never become SQL text: paths and values are bound
parameters and the only identifiers used are ones this module generates.

This module runs landing and keeps the load log; each input format has its own reader module
(``csv_format``, ``parquet_format``, ``jsonl_format``) over the shared ``contract``.

Files land side by side on a few threads (``LANDING_WORKERS``), each with its own cursor on one
in-memory DuckDB (so they share one memory budget, and DuckDB works outside the GIL), but
everything a run decides comes out as if they landed one after the other: the files are hashed
first and the new ones get their load ids in discovery order before any is read, and the report
lists them in that order. Each file is read once, straight into its landed Parquet (written
under a temporary name and renamed only once the file passed its whole-file checks).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from cxbench.landing.contract import (
    LANDING_COLUMNS,
    OPTIONAL_COLUMNS,
    REJECTS_SCHEMA,
    REQUIRED_COLUMNS,
    FileQuarantined,
    Scan,
)
from cxbench.landing.csv_format import read_csv
from cxbench.landing.jsonl_format import read_jsonl
from cxbench.landing.parquet_format import read_parquet
from cxbench.vocabulary import file_reasons

__all__ = [
    "LANDING_COLUMNS",
    "LOG_SCHEMA",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "FileQuarantined",
    "LandingReport",
    "LoadRecord",
    "commit_landing",
    "count_rows_in_file",
    "discover",
    "land",
    "read_load_log",
    "write_load_log",
]
# One reader per input format (the modules next to this one), by the load log's source_format.
READERS = {"csv": read_csv, "parquet": read_parquet, "jsonl": read_jsonl}

FORMATS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl"}
ANSWERS_DIR = "answers"
REJECTS_DIR = "rejects"
LOAD_LOG = "load_log.parquet"
SCHEMA_FILE = "_schema.parquet"

LOG_SCHEMA = (
    "load_id bigint, source_file varchar, file_size bigint, content_hash varchar, "
    "source_format varchar, rows_landed bigint, rows_rejected bigint, status varchar, "
    "reason_code varchar, reason_detail varchar, loaded_at timestamp, rows_in_file bigint"
)
# DuckDB reads a path holding one of these as a glob pattern, which could match other files.
GLOB_CHARACTERS = frozenset("*?[]{}")
# Files up to this size are checked for holding nothing but whitespace (and a BOM).
BLANK_CHECK_BYTES = 4096
# Threads landing files at once: one per core, a few at most (each file is small; more threads
# only add contention for the DuckDB instance they share).
LANDING_WORKERS = max(1, min(os.cpu_count() or 1, 4))


@dataclass(frozen=True)
class LoadRecord:
    """One delivery as the load log keeps it."""

    load_id: int
    source_file: str
    file_size: int
    content_hash: str
    source_format: str
    rows_landed: int
    rows_rejected: int
    status: str  # loaded | quarantined
    reason_code: str | None
    reason_detail: str | None
    loaded_at: datetime
    # A file quarantined whole: the rows it held, where they can be counted (non-blank lines
    # less a CSV header; a Parquet footer's row count), so what a client sent reconciles.
    rows_in_file: int | None = None


@dataclass(frozen=True)
class LandingReport:
    previous: tuple[LoadRecord, ...]
    new_files: tuple[LoadRecord, ...]
    unchanged_files: int

    @property
    def total_loaded_files(self) -> int:
        return sum(1 for r in self.previous + self.new_files if r.status == "loaded")

    def batch_files(self, landed_dir: Path) -> list[Path]:
        """The landed answer files of this run's new deliveries."""
        paths = (landed_dir / ANSWERS_DIR / f"{r.load_id:08d}.parquet" for r in self.new_files)
        return [p for p in paths if p.exists()]

    @property
    def rows_landed(self) -> int:
        return sum(r.rows_landed for r in self.new_files)

    @property
    def quarantined_files(self) -> tuple[LoadRecord, ...]:
        return tuple(r for r in self.new_files if r.status == "quarantined")


def discover(landing_dir: Path) -> list[Path]:
    """Every landing file under ``landing_dir`` at any depth, in a stable order."""
    if not landing_dir.is_dir():
        return []
    return sorted(
        p
        for p in landing_dir.rglob("*")
        if p.is_file() and p.suffix.lower() in FORMATS and not p.name.startswith(".")
    )


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_load_log(landed_dir: Path) -> list[LoadRecord]:
    log_file = landed_dir / LOAD_LOG
    if not log_file.exists():
        return []
    con = duckdb.connect()
    try:
        rows = con.execute("select * from read_parquet(?) order by load_id", [str(log_file)])
        columns = [d[0] for d in rows.description]
        return [LoadRecord(**dict(zip(columns, row, strict=True))) for row in rows.fetchall()]
    finally:
        con.close()


def write_load_log(landed_dir: Path, records: Iterable[LoadRecord]) -> None:
    """Rewrite the load log atomically: a crash leaves the old log or the new one, never half."""
    landed_dir.mkdir(parents=True, exist_ok=True)
    target = landed_dir / LOAD_LOG
    tmp = landed_dir / f"{LOAD_LOG}.tmp"
    con = duckdb.connect()
    try:
        con.execute(f"create table load_log ({LOG_SCHEMA})")
        rows = [tuple(asdict(r).values()) for r in records]
        if rows:
            # One statement, a list per column (executemany runs one insert per row: ~1 s for
            # the 384 files of the demo).
            columns = [list(column) for column in zip(*rows, strict=True)]
            unnested = ", ".join("unnest(?)" for _ in columns)
            con.execute(f"insert into load_log select {unnested}", columns)
        con.execute(
            "copy (select * from load_log order by load_id) to ? (format parquet)", [str(tmp)]
        )
    finally:
        con.close()
    os.replace(tmp, target)


def remove_orphans(landed_dir: Path, known_ids: set[int]) -> int:
    """Delete landed files no load-log entry owns: what a build killed mid-landing left."""
    removed = 0
    for sub in (ANSWERS_DIR, REJECTS_DIR):
        folder = landed_dir / sub
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            stem = path.name.split(".", 1)[0]
            if path.name.endswith(".tmp") or (stem.isdigit() and int(stem) not in known_ids):
                path.unlink()
                removed += 1
    (landed_dir / f"{LOAD_LOG}.tmp").unlink(missing_ok=True)
    return removed


def land(
    landing_dir: Path,
    landed_dir: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC).replace(tzinfo=None),
    commit: bool = True,
) -> LandingReport:
    """Land every new or changed file; a file identical to its path's last delivery is skipped.

    "Changed" compares with the latest delivery of the same path, so a file put back to an
    earlier version is a new delivery again (and wins downstream, being the latest).

    With ``commit=False`` the new files are landed but not yet in the load log: the caller
    audits the batch first and calls ``commit_landing``; a batch never committed is removed as
    orphans by the next run, so its files are landed again.
    """
    log = read_load_log(landed_dir)
    if log and not _log_is_current(landed_dir):
        write_load_log(landed_dir, log)  # a log from before rows_in_file: same rows, new column
    remove_orphans(landed_dir, {r.load_id for r in log})
    latest = {r.source_file: r.content_hash for r in log}  # the log is in load_id order
    next_id = max((r.load_id for r in log), default=0) + 1
    _ensure_schema_files(landed_dir)

    files = discover(landing_dir)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, len(files))

    with ThreadPoolExecutor(LANDING_WORKERS, thread_name_prefix="hashing") as hashing:
        described = list(hashing.map(_describe, files))
    new_records, unchanged = _number_deliveries(
        files, described, landing_dir, latest, next_id, now, tick
    )
    to_land = [i for i, record in enumerate(new_records) if record.status == "loaded"]
    with (
        _cursors(_one_thread_per_file(len(to_land))) as cursor,
        tempfile.TemporaryDirectory(prefix="cxbench-landing-") as scratch,
        ThreadPoolExecutor(LANDING_WORKERS, thread_name_prefix="landing") as pool,
    ):

        def land_file(record: LoadRecord) -> LoadRecord:
            return _land_one(
                cursor(), landing_dir / record.source_file, record, landed_dir, Path(scratch)
            )

        try:
            landing = {pool.submit(land_file, new_records[i]): i for i in to_land}
            for future in as_completed(landing):
                new_records[landing[future]] = future.result()
                tick()
        except BaseException:
            # Interrupted or failed: the files not started are not landed at all; those landing
            # now finish (as orphans: not in the load log, which the next run removes) before
            # their cursors close.
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    report = LandingReport(
        previous=tuple(log),
        new_files=tuple(new_records),
        unchanged_files=unchanged,
    )
    if commit:
        commit_landing(landed_dir, report)
    return report


def _number_deliveries(
    files: list[Path],
    described: list[tuple[int, str, FileQuarantined | None]],
    landing_dir: Path,
    latest: dict[str, str],
    next_id: int,
    now: Callable[[], datetime],
    tick: Callable[[], None],
) -> tuple[list[LoadRecord], int]:
    """The new and changed files' records, load ids in discovery order (before any of them
    lands: threads finish in any order), and how many files were unchanged. A file that cannot
    be opened is quarantined here; ``tick`` counts each file settled (unchanged or not
    readable)."""
    records: list[LoadRecord] = []
    unchanged = 0
    for path, (size, digest, problem) in zip(files, described, strict=True):
        relative = path.relative_to(landing_dir).as_posix()
        if latest.get(relative) == digest:
            unchanged += 1
            tick()
            continue
        latest[relative] = digest
        record = LoadRecord(
            load_id=next_id,
            source_file=relative,
            file_size=size,
            content_hash=digest,
            source_format=FORMATS[path.suffix.lower()],
            rows_landed=0,
            rows_rejected=0,
            status="loaded",
            reason_code=None,
            reason_detail=None,
            loaded_at=now(),
        )
        next_id += 1
        if problem is not None:
            record = _quarantined(record, problem, None)
            tick()
        records.append(record)
    return records, unchanged


def commit_landing(landed_dir: Path, report: LandingReport) -> None:
    if report.new_files:
        write_load_log(landed_dir, report.previous + report.new_files)


def _describe(path: Path) -> tuple[int, str, FileQuarantined | None]:
    """Size and content hash; a file the OS will not let us read is quarantined, not fatal."""
    try:
        return path.stat().st_size, content_hash(path), None
    except OSError as exc:
        return 0, "", FileQuarantined("unreadable", f"the file cannot be opened: {exc.strerror}")


def _quarantined(record: LoadRecord, problem: FileQuarantined, path: Path | None) -> LoadRecord:
    return replace(
        record,
        status="quarantined",
        reason_code=problem.reason_code,
        reason_detail=problem.detail,
        rows_landed=0,
        rows_rejected=0,
        rows_in_file=None if path is None else count_rows_in_file(path, record.source_format),
    )


def count_rows_in_file(path: Path, source_format: str) -> int | None:
    """The rows a file quarantined whole held, where countable, else None.

    CSV and JSONL: non-blank physical lines, less the header for CSV — bytes, so it works for
    a file that is not UTF-8 or is cut short (a quoted comment spanning lines counts each
    line: an upper bound then). Parquet: the footer's row count, None without a footer.
    """
    try:
        if source_format == "parquet":
            con = duckdb.connect()
            try:
                row = con.execute(
                    "select sum(num_rows) from parquet_file_metadata(?)", [str(path)]
                ).fetchone()
            finally:
                con.close()
            return int(row[0]) if row and row[0] is not None else None
        lines = 0
        with path.open("rb") as handle:
            for line in handle:
                if line.strip().removeprefix(b"\xef\xbb\xbf").strip():
                    lines += 1
    except (OSError, duckdb.Error):
        return None
    return max(lines - 1, 0) if source_format == "csv" else lines


def _log_is_current(landed_dir: Path) -> bool:
    con = duckdb.connect()
    try:
        columns = con.execute(
            "select name from parquet_schema(?)", [str(landed_dir / LOAD_LOG)]
        ).fetchall()
    finally:
        con.close()
    return ("rows_in_file",) in columns


def _one_thread_per_file(files: int) -> bool:
    """Whether DuckDB reads each of ``files`` on one thread: when there are enough files to keep
    every landing thread busy — a delivery of a few thousand rows is read and written in ~4 ms
    of CPU on one thread and in about twice that spread over two (on the demo, landing took
    ~15 % less CPU) — else on DuckDB's default (every core), for a large file on its own."""
    return files >= LANDING_WORKERS


@contextmanager
def _cursors(one_thread: bool) -> Iterator[Callable[[], duckdb.DuckDBPyConnection]]:
    """One in-memory DuckDB; each landing thread gets its own cursor on it (a connection of its
    own: the temp tables a file is staged in are the cursor's), all closed at the end."""
    config: dict[str, str | bool | int | float | list[str]] = {
        "preserve_insertion_order": True  # the landed files' row order (_read_into_landed)
    }
    if one_thread:
        config["threads"] = 1
    con = duckdb.connect(config=config)
    local = threading.local()
    opened: list[duckdb.DuckDBPyConnection] = []
    lock = threading.Lock()

    def cursor() -> duckdb.DuckDBPyConnection:
        mine: duckdb.DuckDBPyConnection | None = getattr(local, "cursor", None)
        if mine is None:
            with lock:
                mine = con.cursor()
                opened.append(mine)
            local.cursor = mine
        return mine

    try:
        yield cursor
    finally:
        for mine in opened:
            mine.close()
        con.close()


def _land_one(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    record: LoadRecord,
    landed_dir: Path,
    scratch: Path,
) -> LoadRecord:
    try:
        if _is_blank(path, record.file_size):
            raise FileQuarantined("empty_file", "the file is empty")
        source = _readable_path(path, scratch, record.load_id)
        landed, rejected = _read_into_landed(
            con, READERS[record.source_format](con, source), record, landed_dir
        )
        _check_whole_file(con, path, landed, rejected)
        _publish_landed(con, record, landed_dir, landed, rejected)
    except FileQuarantined as exc:
        _discard_landed(landed_dir, record.load_id)
        return _quarantined(record, exc, path)
    except (duckdb.Error, OSError) as exc:
        _discard_landed(landed_dir, record.load_id)
        reason = _error_reason(exc)
        detail = file_reasons()[reason] if reason == "not_utf8" else _first_line(str(exc))
        return _quarantined(record, FileQuarantined(reason, detail), path)
    return replace(record, rows_landed=landed, rows_rejected=rejected)


def _error_reason(exc: Exception) -> str:
    message = str(exc).lower()
    if any(word in message for word in ("utf-8", "utf8", "unicode", "encoding")):
        return "not_utf8"
    return "unreadable"


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0][:500] if message.strip() else "unreadable"


def _is_blank(path: Path, size: int) -> bool:
    """Nothing but whitespace (and perhaps a byte-order mark): empty, not a broken header."""
    if size == 0:
        return True
    if size > BLANK_CHECK_BYTES:
        return False
    return not path.read_bytes().removeprefix(b"\xef\xbb\xbf").strip()


def _readable_path(path: Path, scratch: Path, load_id: int) -> Path:
    """A path DuckDB reads literally: one with glob characters is read through a symlink."""
    if GLOB_CHARACTERS.isdisjoint(str(path)):
        return path
    link = scratch / f"{load_id:08d}{path.suffix.lower()}"
    link.symlink_to(path.resolve())
    return link


def _read_into_landed(
    con: duckdb.DuckDBPyConnection, scan: Scan, record: LoadRecord, landed_dir: Path
) -> tuple[int, int]:
    """Read the file once, straight into its landed Parquet under a temporary name (renamed by
    ``_publish_landed`` once the whole-file checks passed); rejected lines go to the temp table
    landed_rejects. Returns the rows written and the lines rejected."""
    # The CSV reader appends to these; start each file with none from the previous one.
    con.execute("drop table if exists reject_errors")
    con.execute("drop table if exists reject_scans")
    # In file order without a sort: each reader numbers the rows in the order it reads them and
    # COPY keeps that order (preserve_insertion_order, set in _cursors). zstd at level 1: on the
    # 10M demo's CSV files 18 % less CPU than sorting at the default level 3, and files no
    # larger (docs/BENCHMARKS.md, fourteenth round).
    written = con.execute(
        "copy (select ?::bigint as load_id, ?::varchar as source_file, source_row, "  # noqa: S608 - generated identifiers only
        f"?::varchar as source_format, * exclude (source_row) from ({scan.rows_sql})) "
        "to ? (format parquet, compression zstd, compression_level 1)",
        [
            record.load_id,
            record.source_file,
            record.source_format,
            *scan.params,
            str(_landed_path(landed_dir, ANSWERS_DIR, record.load_id, scratch=True)),
        ],
    ).fetchone()
    rejected = 0
    if scan.rejects_sql:
        counted = con.execute(f"select count(*) from ({scan.rejects_sql})").fetchone()  # noqa: S608 - generated identifiers only
        rejected = int(counted[0]) if counted else 0
    if rejected:
        con.execute(f"create or replace temp table landed_rejects as {scan.rejects_sql}")
    return (int(written[0]) if written else 0), rejected


def _check_whole_file(
    con: duckdb.DuckDBPyConnection, path: Path, landed: int, rejected: int
) -> None:
    """Problems that make the file as a whole unusable, found once it has been parsed."""
    if landed == 0 and rejected == 0:
        raise FileQuarantined("header_only", "the file has a header or schema but no rows")
    if not rejected:
        return
    encoding = con.execute(
        "select min(source_line) from landed_rejects where error_type like '%INVALID ENCODING%'"
    ).fetchone()
    if encoding and encoding[0] is not None:
        raise FileQuarantined("not_utf8", f"the file is not UTF-8 text (line {encoding[0]})")
    last = con.execute(
        "select source_line, raw_line, error_type from landed_rejects "
        "order by source_line desc limit 1"
    ).fetchone()
    if last and _runs_to_end_of_file(path, last[1] or "", last[2] or ""):
        raise FileQuarantined(
            "truncated",
            f"the file ends in the middle of a record (line {last[0]}); deliver it again",
        )
    if landed == 0:
        first = con.execute(
            "select source_line, error_message from landed_rejects order by source_line limit 1"
        ).fetchone()
        where = f" (line {first[0]}: {first[1]})" if first else ""
        raise FileQuarantined(
            "unreadable", f"none of the file's {rejected} rows can be read{where}"
        )


def _runs_to_end_of_file(path: Path, raw_line: str, error_type: str) -> bool:
    """The rejected record is the file's cut-off end: it is its last bytes, and either no line
    break follows it or a quoted field in it was never closed."""
    tail = raw_line.encode("utf-8")
    size = path.stat().st_size
    if not tail or len(tail) > size:
        return False
    with path.open("rb") as handle:
        handle.seek(size - len(tail))
        if handle.read() != tail:
            return False
    return not tail.endswith(b"\n") or "UNQUOTED VALUE" in error_type


def _landed_path(landed_dir: Path, sub: str, load_id: int, *, scratch: bool = False) -> Path:
    """A landed file; ``scratch``: its temporary name while written (dbt's globs never see
    half a file, and ``remove_orphans`` removes what a killed run left)."""
    return landed_dir / sub / (f"{load_id:08d}.parquet" + (".tmp" if scratch else ""))


def _publish_landed(
    con: duckdb.DuckDBPyConnection,
    record: LoadRecord,
    landed_dir: Path,
    landed: int,
    rejected: int,
) -> None:
    """Rename the answers written by ``_read_into_landed`` into place; write the rejects."""
    answers = _landed_path(landed_dir, ANSWERS_DIR, record.load_id, scratch=True)
    if landed:
        os.replace(answers, _landed_path(landed_dir, ANSWERS_DIR, record.load_id))
    else:
        answers.unlink(missing_ok=True)
    if rejected:
        target = _landed_path(landed_dir, REJECTS_DIR, record.load_id)
        tmp = _landed_path(landed_dir, REJECTS_DIR, record.load_id, scratch=True)
        con.execute(
            # source_line as bigint (REJECTS_SCHEMA): DuckDB's reject line numbers are UBIGINT,
            # which a union with the other rejects files would widen to HUGEINT.
            "copy (select ?::bigint as load_id, ?::varchar as source_file, "
            "source_line::bigint as source_line, raw_line, "
            "error_type, error_message from landed_rejects order by source_line) "
            "to ? (format parquet, compression zstd)",
            [record.load_id, record.source_file, str(tmp)],
        )
        os.replace(tmp, target)


def _ensure_schema_files(landed_dir: Path) -> None:
    """Zero-row files that give dbt's globs a schema even before any delivery has rows."""
    con = duckdb.connect()
    try:
        for sub, columns in (
            (
                ANSWERS_DIR,
                "load_id bigint, source_file varchar, source_row bigint, "
                "source_format varchar, " + ", ".join(f"{c} varchar" for c in LANDING_COLUMNS),
            ),
            (
                REJECTS_DIR,
                "load_id bigint, source_file varchar, " + REJECTS_SCHEMA,
            ),
        ):
            target = landed_dir / sub / SCHEMA_FILE
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                con.execute(f"create or replace temp table empty_schema ({columns})")
                # Written aside and renamed: a build killed mid-write leaves no broken schema.
                tmp = target.with_name(target.name + ".tmp")
                con.execute("copy empty_schema to ? (format parquet)", [str(tmp)])
                os.replace(tmp, target)
    finally:
        con.close()
    if not (landed_dir / LOAD_LOG).exists():
        write_load_log(landed_dir, [])


def _discard_landed(landed_dir: Path, load_id: int) -> None:
    for sub in (ANSWERS_DIR, REJECTS_DIR):
        for scratch in (False, True):
            _landed_path(landed_dir, sub, load_id, scratch=scratch).unlink(missing_ok=True)
