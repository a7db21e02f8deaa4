"""CSV deliveries: `,` or `;`, UTF-8 with or without BOM, RFC 4180 quoting; a line that does
not split into the header's columns is a rejected row, the rest of the file loads."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb

from cxbench.landing.contract import FileQuarantined, Scan, match_columns, projection


def read_csv(con: duckdb.DuckDBPyConnection, path: Path) -> Scan:
    header_line = _csv_header_line(path)
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    header = next(csv.reader(io.StringIO(header_line), delimiter=delimiter), [])
    positions = match_columns(header)
    generated = {f"c{i}": "VARCHAR" for i in range(len(header))}
    columns_sql = "{" + ", ".join(f"'{name}': 'VARCHAR'" for name in generated) + "}"
    scan = (
        "read_csv(?, delim = ?, quote = '\"', escape = '\"', header = true, "
        f"auto_detect = false, columns = {columns_sql}, store_rejects = true, "
        "strict_mode = true, max_line_size = 4000000)"
    )
    # The reader keeps the file's order, so row_number() is the record's position in the file.
    rows_sql = (
        "select row_number() over () as source_row, "  # noqa: S608 - generated identifiers only
        f"{projection(positions, lambda i: f'c{i}')} from {scan}"
    )
    # One row per rejected line, however many errors the parser reported on it.
    rejects_sql = (
        "select line as source_line, any_value(csv_line) as raw_line, "
        "string_agg(distinct error_type, ', ') as error_type, "
        "min(error_message) as error_message "
        "from reject_errors group by line"
    )
    return Scan(rows_sql, [str(path), delimiter], rejects_sql)


def _csv_header_line(path: Path) -> str:
    with path.open("rb") as handle:
        raw = handle.readline(1 << 20)
    try:
        return raw.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise FileQuarantined("not_utf8", "the file is not UTF-8 text") from exc
