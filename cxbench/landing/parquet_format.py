"""Parquet deliveries: columns matched by name, read by position; no footer is ``truncated``."""

from __future__ import annotations

from pathlib import Path

import duckdb

from cxbench.landing.contract import FileQuarantined, Scan, match_columns, projection

PARQUET_MAGIC = b"PAR1"


def read_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> Scan:
    with path.open("rb") as handle:
        head = handle.read(4)
        handle.seek(max(path.stat().st_size - 4, 0))
        if head == PARQUET_MAGIC and handle.read(4) != PARQUET_MAGIC:
            raise FileQuarantined("truncated", "the Parquet file has no footer: it is truncated")
    names = [
        row[0]
        for row in con.execute("describe select * from read_parquet(?)", [str(path)]).fetchall()
    ]
    positions = match_columns(names)
    # Positional access (#n) keeps client header names out of the SQL text; the row number the
    # reader adds comes after the file's own columns.
    scan = "(select * from read_parquet(?, file_row_number = true))"
    rows_sql = (
        f"select #{len(names) + 1} + 1 as source_row, "  # noqa: S608 - generated identifiers only
        f"{projection(positions, lambda i: f'#{i + 1}')} from {scan}"
    )
    return Scan(rows_sql, [str(path)])
