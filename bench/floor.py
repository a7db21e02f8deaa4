"""The floor of the benchmark: one hand-written DuckDB query from landing files to cells.

`make bench` compares `cxbench build` with what DuckDB alone needs to compute the same published
benchmark cells (DESIGN §4-§5) straight from the client deliveries: read every CSV, Parquet and
JSONL file, map labels and questions with the seeds, drop what the build would quarantine, keep
the latest delivery of an answer, score, roll months up to quarters, years and the '*'
touchpoint and industry, and apply the contributor and suppression rules. No staging tables,
no tests, no audits, no lineage: just the cells, written to one Parquet file. It applies the
per-cell rule of §5 and the p10/p90 rule of §5.1, not complementary suppression: the harness
counts the cells the build withholds as `complementary` apart instead of as differences.

Run it in a fresh process so its memory and time are its own:

    python bench/floor.py LANDING_DIR SEEDS_DIR OUT.parquet [--threads N] [--memory-limit 3GB]

Known simplification: when one file holds the same answer twice (same client, response and
question), the floor keeps an arbitrary one of them, where the build keeps the later row; the
demo never does that. Across files it keeps the latest file, as the build does.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import duckdb

FORMATS = (".csv", ".parquet", ".jsonl")
SQL_FILE = Path(__file__).with_name("floor.sql")
# What the publication rules of dbt_project.yml say; the harness passes the project's values.
DEFAULT_VARS = {
    "min_client_responses": 30,
    "min_clients": 5,
    "max_client_share": 0.25,
    "min_clients_p10_p90": 10,
    "future_tolerance_hours": 1,
}
KINDS = ("csv_comma", "csv_semicolon", "parquet", "jsonl")
LANDING = ("client_id", "response_id", "responded_at", "touchpoint", "question", "answer")


def landing_files(landing_dir: Path) -> dict[str, list[str]]:
    """Landing files by how DuckDB must read them; CSV split by the header's delimiter."""
    groups: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for path in sorted(landing_dir.rglob("*")):
        suffix = path.suffix.lower()
        if not path.is_file() or suffix not in FORMATS or path.name.startswith("."):
            continue
        if suffix == ".csv":
            with path.open("rb") as handle:
                header = handle.readline(1 << 20).decode("utf-8-sig", errors="replace")
            kind = "csv_semicolon" if header.count(";") > header.count(",") else "csv_comma"
        else:
            kind = suffix[1:]
        groups[kind].append(str(path))
    return groups


def raw_sources(groups: dict[str, list[str]]) -> str:
    """`union all by name` of one scan per kind; the file lists are bound parameters."""
    csv = (
        "header = true, all_varchar = true, normalize_names = true, union_by_name = true, "
        "quote = '\"', escape = '\"', filename = true, max_line_size = 4000000"
    )
    json_columns = ", ".join(f"{c}: 'VARCHAR'" for c in LANDING)
    scans = {
        "csv_comma": ("'csv'", f"read_csv($csv_comma, delim = ',', {csv})"),
        "csv_semicolon": ("'csv'", f"read_csv($csv_semicolon, delim = ';', {csv})"),
        "parquet": ("'parquet'", "read_parquet($parquet, union_by_name = true, filename = true)"),
        "jsonl": ("'jsonl'", f"read_ndjson($jsonl, columns = {{{json_columns}}}, filename = true)"),
    }
    columns = ", ".join(LANDING)
    used = [
        f"select {columns}, filename, {fmt} as fmt from {scan}"  # noqa: S608 - constants only
        for kind, (fmt, scan) in scans.items()
        if groups.get(kind)
    ]
    if not used:
        raise SystemExit("floor: no landing files")
    return "\n    union all by name\n    ".join(used)


def floor_sql(groups: dict[str, list[str]]) -> str:
    """The query of floor.sql with this landing folder's scans in place of `@raw_sources`."""
    return SQL_FILE.read_text(encoding="utf-8").replace("-- @raw_sources", raw_sources(groups))


def run_floor(
    landing_dir: Path,
    seeds_dir: Path,
    out: Path,
    variables: dict[str, float] | None = None,
    *,
    threads: int | None = None,
    memory_limit: str | None = None,
) -> dict[str, object]:
    groups = landing_files(landing_dir)
    sql = floor_sql(groups)
    params: dict[str, object] = {kind: files for kind, files in groups.items() if files}
    params["seeds_dir"] = str(seeds_dir)
    for name, default in DEFAULT_VARS.items():
        params[name] = float((variables or {}).get(name, default))
    started = time.perf_counter()
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        if threads:
            con.execute(f"set threads = {int(threads)}")
        if memory_limit:
            con.execute(f"set memory_limit = '{_checked_size(memory_limit)}'")
        con.execute(f"copy ({sql}) to $out (format parquet)", {**params, "out": str(out)})
        counted = con.execute("select count(*) from read_parquet(?)", [str(out)]).fetchone()
    finally:
        con.close()
    return {
        "seconds": round(time.perf_counter() - started, 3),
        "cells": int(counted[0]) if counted else 0,
        "files": {kind: len(files) for kind, files in groups.items()},
    }


def _checked_size(value: str) -> str:
    allowed = set("0123456789. KMGTBkmgtib")
    if not value or not set(value) <= allowed:
        raise SystemExit(f"floor: bad memory limit {value!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("landing_dir", type=Path)
    parser.add_argument("seeds_dir", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--vars", default="{}", help="JSON of the dbt vars (publication rules)")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--memory-limit")
    args = parser.parse_args(argv)
    result = run_floor(
        args.landing_dir.resolve(),
        args.seeds_dir.resolve(),
        args.out.resolve(),
        json.loads(args.vars),
        threads=args.threads,
        memory_limit=args.memory_limit,
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
