"""Land client deliveries: turn each new landing file into one normalised Parquet file.

Client files differ in format, delimiter, header case and quality. dbt should see one clean,
typed-as-text shape, so every file is read here on its own (a broken file must not stop the
others), its columns are matched case-insensitively to the landing contract, and its rows are
written to ``<landed>/answers/<load_id>.parquet`` with their file and row number. Rows a CSV
parser cannot split go to ``<landed>/rejects/<load_id>.parquet`` with the raw line, and files
that cannot be read at all are logged as quarantined with a reason. ``load_log.parquet``
records every delivery (path, size, content hash, rows, status) so an identical re-delivery is
skipped and the latest delivery of an answer can win downstream.

Client strings (paths, header names, values) never become SQL text: paths and values are bound
parameters and the only identifiers used are ones this module generates.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb

REQUIRED_COLUMNS = ("client_id", "response_id", "responded_at", "touchpoint", "question", "answer")
OPTIONAL_COLUMNS = ("channel", "unit")
LANDING_COLUMNS = (*REQUIRED_COLUMNS[:4], "channel", "unit", "question", "answer")
FORMATS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl"}
ANSWERS_DIR = "answers"
REJECTS_DIR = "rejects"
LOAD_LOG = "load_log.parquet"
SCHEMA_FILE = "_schema.parquet"

LOG_SCHEMA = (
    "load_id bigint, source_file varchar, file_size bigint, content_hash varchar, "
    "source_format varchar, rows_landed bigint, rows_rejected bigint, status varchar, "
    "reason_code varchar, reason_detail varchar, loaded_at timestamp"
)


class FileQuarantined(Exception):
    """A delivery that cannot be read as a whole; ``reason_code`` goes to the load log."""

    def __init__(self, reason_code: str, detail: str) -> None:
        super().__init__(detail)
        self.reason_code = reason_code
        self.detail = detail


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
            con.executemany("insert into load_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
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
    """Land every new or changed file; identical re-deliveries are skipped.

    With ``commit=False`` the new files are landed but not yet in the load log: the caller
    audits the batch first and calls ``commit_landing``; a batch never committed is removed as
    orphans by the next run, so its files are landed again.
    """
    log = read_load_log(landed_dir)
    remove_orphans(landed_dir, {r.load_id for r in log})
    seen = {(r.source_file, r.content_hash) for r in log}
    next_id = max((r.load_id for r in log), default=0) + 1
    _ensure_schema_files(landed_dir)

    files = discover(landing_dir)
    new_records: list[LoadRecord] = []
    unchanged = 0
    con = duckdb.connect()
    try:
        for done, path in enumerate(files, start=1):
            relative = path.relative_to(landing_dir).as_posix()
            digest = content_hash(path)
            if (relative, digest) in seen:
                unchanged += 1
            else:
                seen.add((relative, digest))
                record = LoadRecord(
                    load_id=next_id,
                    source_file=relative,
                    file_size=path.stat().st_size,
                    content_hash=digest,
                    source_format=FORMATS[path.suffix.lower()],
                    rows_landed=0,
                    rows_rejected=0,
                    status="loaded",
                    reason_code=None,
                    reason_detail=None,
                    loaded_at=now(),
                )
                new_records.append(_land_one(con, path, record, landed_dir))
                next_id += 1
            if progress:
                progress(done, len(files))
    finally:
        con.close()
    report = LandingReport(
        previous=tuple(log),
        new_files=tuple(new_records),
        unchanged_files=unchanged,
    )
    if commit:
        commit_landing(landed_dir, report)
    return report


def commit_landing(landed_dir: Path, report: LandingReport) -> None:
    if report.new_files:
        write_load_log(landed_dir, report.previous + report.new_files)


def _land_one(
    con: duckdb.DuckDBPyConnection, path: Path, record: LoadRecord, landed_dir: Path
) -> LoadRecord:
    try:
        if record.file_size == 0:
            raise FileQuarantined("empty_file", "the file is empty")
        reader = {"csv": _read_csv, "parquet": _read_parquet, "jsonl": _read_jsonl}
        select_sql, params, rejects_sql = reader[record.source_format](con, path)
        landed, rejected = _write_landed(con, record, select_sql, params, rejects_sql, landed_dir)
    except FileQuarantined as exc:
        return replace(
            record, status="quarantined", reason_code=exc.reason_code, reason_detail=exc.detail
        )
    except duckdb.Error as exc:
        code = (
            "not_utf8"
            if "unicode" in str(exc).lower() or "utf-8" in str(exc).lower()
            else ("unreadable")
        )
        return replace(
            record, status="quarantined", reason_code=code, reason_detail=_first_line(str(exc))
        )
    if landed == 0 and rejected == 0:
        _discard_landed(landed_dir, record.load_id)
        return replace(
            record,
            status="quarantined",
            reason_code="header_only",
            reason_detail="the file has a header but no rows",
        )
    return replace(record, rows_landed=landed, rows_rejected=rejected)


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0][:500] if message.strip() else "unreadable"


def _match_columns(names: list[str]) -> dict[str, int]:
    """Map landing-contract columns to positions in the file's header, case-insensitively."""
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        key = name.strip().lower()
        if key in LANDING_COLUMNS:
            if key in positions:
                raise FileQuarantined("duplicate_columns", f"the column {key} appears twice")
            positions[key] = index
    missing = [c for c in REQUIRED_COLUMNS if c not in positions]
    if missing:
        raise FileQuarantined("missing_columns", "missing required columns: " + ", ".join(missing))
    return positions


def _projection(positions: dict[str, int], source_name: Callable[[int], str]) -> str:
    """Select list in contract order; a column the file lacks is NULL."""
    parts = []
    for column in LANDING_COLUMNS:
        if column in positions:
            parts.append(f"cast({source_name(positions[column])} as varchar) as {column}")
        else:
            parts.append(f"cast(null as varchar) as {column}")
    return ", ".join(parts)


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[str, list[object], str | None]:
    header_line = _csv_header_line(path)
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    header = next(csv.reader(io.StringIO(header_line), delimiter=delimiter), [])
    positions = _match_columns(header)
    generated = {f"c{i}": "VARCHAR" for i in range(len(header))}
    columns_sql = "{" + ", ".join(f"'{name}': 'VARCHAR'" for name in generated) + "}"
    scan = (
        "read_csv(?, delim = ?, quote = '\"', escape = '\"', header = true, "
        f"auto_detect = false, columns = {columns_sql}, store_rejects = true, "
        "strict_mode = true, max_line_size = 4000000)"
    )
    select_sql = f"select {_projection(positions, lambda i: f'c{i}')} from {scan}"  # noqa: S608 - generated identifiers only
    # One row per rejected line, however many errors the parser reported on it.
    rejects_sql = (
        "select line as source_line, any_value(csv_line) as raw_line, "
        "string_agg(distinct error_type, ', ') as error_type, "
        "min(error_message) as error_message "
        "from reject_errors group by line order by line"
    )
    return select_sql, [str(path), delimiter], rejects_sql


def _csv_header_line(path: Path) -> str:
    with path.open("rb") as handle:
        raw = handle.readline(1 << 20)
    try:
        return raw.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise FileQuarantined("not_utf8", "the file is not UTF-8 text") from exc


def _read_parquet(
    con: duckdb.DuckDBPyConnection, path: Path
) -> tuple[str, list[object], str | None]:
    names = [
        row[0]
        for row in con.execute("describe select * from read_parquet(?)", [str(path)]).fetchall()
    ]
    positions = _match_columns(names)
    # Positional access (#n) keeps client header names out of the SQL text.
    scan = "(select * from read_parquet(?))"
    select_sql = f"select {_projection(positions, lambda i: f'#{i + 1}')} from {scan}"  # noqa: S608 - generated identifiers only
    return select_sql, [str(path)], None


def _read_jsonl(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[str, list[object], str | None]:
    keys = [
        row[0]
        for row in con.execute(
            "select distinct unnest(json_keys(j)) from read_ndjson_objects(?) as t(j)", [str(path)]
        ).fetchall()
    ]
    positions = _match_columns(keys)
    params: list[object] = []
    parts = []
    for column in LANDING_COLUMNS:
        if column in positions:
            parts.append(f"json_extract_string(j, ?) as {column}")
            params.append('$."' + keys[positions[column]].replace('"', '\\"') + '"')
        else:
            parts.append(f"cast(null as varchar) as {column}")
    params.append(str(path))
    select_sql = f"select {', '.join(parts)} from read_ndjson_objects(?) as t(j)"  # noqa: S608 - generated identifiers only
    return select_sql, params, None


def _write_landed(
    con: duckdb.DuckDBPyConnection,
    record: LoadRecord,
    select_sql: str,
    params: list[object],
    rejects_sql: str | None,
    landed_dir: Path,
) -> tuple[int, int]:
    answers = landed_dir / ANSWERS_DIR / f"{record.load_id:08d}.parquet"
    tmp = answers.with_name(answers.name + ".tmp")
    # The CSV reader appends to these; start each file with none from the previous one.
    con.execute("drop table if exists reject_errors")
    con.execute("drop table if exists reject_scans")
    con.execute(
        "create or replace temp table landed_batch as "  # noqa: S608 - generated identifiers only
        f"select row_number() over () as source_row, * from ({select_sql})",
        params,
    )
    landed = con.execute("select count(*) from landed_batch").fetchone()
    rows = int(landed[0]) if landed else 0
    if rows:
        con.execute(
            "copy (select ?::bigint as load_id, ?::varchar as source_file, source_row, "
            "?::varchar as source_format, * exclude (source_row) from landed_batch "
            "order by source_row) to ? (format parquet, compression zstd)",
            [record.load_id, record.source_file, record.source_format, str(tmp)],
        )
        os.replace(tmp, answers)
    rejected = 0
    if rejects_sql:
        rejected_row = con.execute(
            "select count(distinct line), count(*) filter (error_type = 'INVALID ENCODING') "
            "from reject_errors"
        ).fetchone()
        rejected, invalid_encoding = (int(v) for v in rejected_row) if rejected_row else (0, 0)
        if invalid_encoding:
            _discard_landed(landed_dir, record.load_id)
            raise FileQuarantined("not_utf8", "the file is not UTF-8 text")
        if rejected:
            rejects = landed_dir / REJECTS_DIR / f"{record.load_id:08d}.parquet"
            tmp = rejects.with_name(rejects.name + ".tmp")
            con.execute(
                "copy (select ?::bigint as load_id, ?::varchar as source_file, * "  # noqa: S608 - generated identifiers only
                f"from ({rejects_sql})) to ? (format parquet)",
                [record.load_id, record.source_file, str(tmp)],
            )
            os.replace(tmp, rejects)
    return rows, rejected


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
                "load_id bigint, source_file varchar, source_line bigint, "
                "raw_line varchar, error_type varchar, error_message varchar",
            ),
        ):
            target = landed_dir / sub / SCHEMA_FILE
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                con.execute(f"create or replace temp table empty_schema ({columns})")
                con.execute("copy empty_schema to ? (format parquet)", [str(target)])
    finally:
        con.close()
    if not (landed_dir / LOAD_LOG).exists():
        write_load_log(landed_dir, [])


def _discard_landed(landed_dir: Path, load_id: int) -> None:
    for sub in (ANSWERS_DIR, REJECTS_DIR):
        (landed_dir / sub / f"{load_id:08d}.parquet").unlink(missing_ok=True)
