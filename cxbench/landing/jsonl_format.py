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
    rows_sql, params = _rows_sql(spellings)
    return Scan(rows_sql, params, "select * from jsonl_rejects")


def _rows_sql(spellings: dict[str, list[str]]) -> tuple[str, list[object]]:
    """The contract columns of ``jsonl_objects`` by their keys' spellings, with the parameters.

    Every spelling is extracted in one call with a list of paths, which parses each object once
    (a call per key parsed it once per key: the 10M demo's JSON Lines files, 1.5 CPU s per
    million rows against 3.0; docs/BENCHMARKS.md, fourteenth round). Different objects may
    spell a key differently; one object never holds two spellings (that line is rejected as a
    duplicate key), so coalesce picks the one it has.
    """
    keys = [key for column in LANDING_COLUMNS for key in spellings.get(column, [])]
    position = {key: index for index, key in enumerate(keys, start=1)}
    parts = []
    for column in LANDING_COLUMNS:
        values = [f"extracted[{position[key]}]" for key in spellings.get(column, [])]
        value = f"coalesce({', '.join(values)})" if values else "cast(null as varchar)"
        parts.append(f"{value} as {column}")
    if not keys:  # no object names a contract column: nothing to extract
        return f"select source_row, {', '.join(parts)} from jsonl_objects", []  # noqa: S608 - generated identifiers only
    paths = ", ".join("?" for _ in keys)
    return (
        f"select source_row, {', '.join(parts)} from ("  # noqa: S608 - generated identifiers only
        f"select source_row, json_extract_string(j, [{paths}]) as extracted from jsonl_objects)",
        ['$."' + key + '"' for key in keys],
    )


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
    objects there are.

    Each object is parsed twice (its type and its keys) and its keys grouped as one list: the
    objects of a delivery share a few key lists, so the list work runs per distinct list, not
    per object (the 10M demo's JSON Lines files: docs/BENCHMARKS.md, fourteenth round)."""
    contract = ", ".join(f"'{c}'" for c in LANDING_COLUMNS)
    row = con.execute(
        "with key_lists as ("  # noqa: S608 - generated identifiers only
        "    select json_keys(j) as keys, bool_or(json_type(j) != 'OBJECT') as not_objects, "
        "    count(*) as objects from jsonl_objects group by all"
        "), named as ("
        "    select *, list_filter(list_transform(keys, lambda k: lower(trim(k))), "
        f"    lambda k: list_contains([{contract}], k)) as named from key_lists"
        ") "
        "select coalesce(bool_or(not_objects or len(named) != len(list_distinct(named))), false), "
        "list_sort(list_distinct(flatten(list(keys)))), coalesce(sum(objects), 0) from named"
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
