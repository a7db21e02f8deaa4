"""JSON Lines deliveries: one object per line; a line that is not an object, or names a
contract column twice, is a rejected row and the other lines still load."""

from __future__ import annotations

from pathlib import Path

import duckdb

from cxbench.landing.contract import LANDING_COLUMNS, REJECTS_SCHEMA, Scan, require_columns


def read_jsonl(con: duckdb.DuckDBPyConnection, path: Path) -> Scan:
    """Objects into ``jsonl_objects`` (source_row, j); lines that are not objects are rejects.

    The streaming reader handles a clean file; a file with a bad line is split into lines so
    each bad line is quarantined with its line number and the good ones still load.
    """
    try:
        con.execute(
            "create or replace temp table jsonl_objects as "
            "select row_number() over () as source_row, j from read_ndjson_objects(?) as t (j)",
            [str(path)],
        )
        problems, keys, objects = _summarise_objects(con)
    except duckdb.Error:
        problems = True
    if problems:
        _split_jsonl_lines(con, path)
        _, keys, objects = _summarise_objects(con)
    else:
        con.execute(f"create or replace temp table jsonl_rejects ({REJECTS_SCHEMA})")
    spellings: dict[str, list[str]] = {}
    for key in keys:
        column = key.strip().lower()
        if column in LANDING_COLUMNS:
            spellings.setdefault(column, []).append(key)
    if objects:  # with no object at all the file is judged by its rejects
        require_columns(spellings)
    params: list[object] = []
    parts = []
    for column in LANDING_COLUMNS:
        # Different objects may spell a key differently; one object never holds two spellings
        # (that line is rejected as a duplicate key), so coalesce picks the one it has.
        paths = ["json_extract_string(j, ?)" for _ in spellings.get(column, [])]
        params.extend('$."' + key + '"' for key in spellings.get(column, []))
        value = f"coalesce({', '.join(paths)})" if paths else "cast(null as varchar)"
        parts.append(f"{value} as {column}")
    rows_sql = f"select source_row, {', '.join(parts)} from jsonl_objects"  # noqa: S608 - generated identifiers only
    return Scan(rows_sql, params, "select * from jsonl_rejects")


def _contract_keys_sql(table: str, row_column: str, json_column: str) -> str:
    """Contract columns each JSON object holds (lower case), one row per key occurrence."""
    contract = ", ".join(f"'{c}'" for c in LANDING_COLUMNS)
    return (
        f"select {row_column} as object_row, lower(trim(k)) as column_name "  # noqa: S608 - generated identifiers only
        f"from (select {row_column}, unnest(json_keys({json_column})) as k from {table}) "
        f"where lower(trim(k)) in ({contract})"
    )


def _summarise_objects(con: duckdb.DuckDBPyConnection) -> tuple[bool, list[str], int]:
    """In one pass over ``jsonl_objects``: whether a value is not an object or an object names a
    contract column twice (ignoring case), every key any object has (sorted), and how many
    objects there are."""
    contract = ", ".join(f"'{c}'" for c in LANDING_COLUMNS)
    row = con.execute(
        "select coalesce(bool_or(json_type(j) != 'OBJECT' "  # noqa: S608 - generated identifiers only
        "    or len(named) != len(list_distinct(named))), false), "
        "list_sort(list_distinct(flatten(list(keys)))), count(*) "
        "from (select j, json_keys(j) as keys, list_filter("
        "    list_transform(json_keys(j), lambda k: lower(trim(k))), "
        f"    lambda k: list_contains([{contract}], k)"
        ") as named from jsonl_objects)"
    ).fetchone()
    if row is None:
        return False, [], 0
    return bool(row[0]), list(row[1] or []), int(row[2])


def _split_jsonl_lines(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Line by line: objects to ``jsonl_objects``, every other non-blank line to rejects."""
    con.execute(
        "create or replace temp table jsonl_lines as "
        "with file as (select string_split(content, chr(10)) as lines from read_text(?)), "
        "numbered as ("
        "    select unnest(lines) as line, unnest(range(1, len(lines) + 1)) as source_line"
        "    from file"
        ") "
        "select source_line, rtrim(if(source_line = 1, ltrim(line, chr(65279)), line), chr(13)) "
        "as line from numbered where trim(line, ' ' || chr(9) || chr(13)) != ''",
        [str(path)],
    )
    duplicated = _contract_keys_sql(
        "(select * from jsonl_lines where json_valid(line))", "source_line", "line"
    )
    con.execute(
        "create or replace temp table jsonl_checked as "  # noqa: S608 - generated identifiers only
        "select source_line, line, case "
        "    when not json_valid(line) then 'MALFORMED JSON' "
        "    when json_type(try_cast(line as json)) != 'OBJECT' then 'NOT A JSON OBJECT' "
        f"    when source_line in (select object_row from ({duplicated}) "
        "        group by object_row, column_name having count(*) > 1) then 'DUPLICATE KEY' "
        "end as error_type from jsonl_lines"
    )
    con.execute(
        "create or replace temp table jsonl_objects as "
        "select row_number() over (order by source_line) as source_row, line::json as j "
        "from jsonl_checked where error_type is null order by source_line"
    )
    con.execute(
        "create or replace temp table jsonl_rejects as "
        "select source_line, line as raw_line, error_type, case error_type "
        "    when 'MALFORMED JSON' then 'The line is not valid JSON.' "
        "    when 'NOT A JSON OBJECT' then 'The line is JSON but not an object.' "
        "    else 'The object names a contract column twice (ignoring case).' "
        "end as error_message from jsonl_checked where error_type is not null"
    )
