"""Answers posted to the API: parsed, stored durably as a landing delivery, and classified.

A post becomes an ordinary delivery file (JSONL, every value as text) under
``<landing>/api/<client_id>/``, so the build lands it like any file a client drops: nothing
downstream knows the API exists. The file is written under a hidden temporary name (landing
ignores dot files), fsync'd, renamed into place and its folder fsync'd before the API answers,
so a server killed right after a 2xx loses nothing.

``Idempotency-Key``: the delivery's file name is derived from the client and the key, so a
retried post finds its file and writes nothing new, even when the server died between writing
the file and recording the answer. The record (``<warehouse>/ingest/idempotency/``) keeps the
request's hash and the first answer, so a retry gets the same answer and a different body under
the same key is refused.

Classification: the build saves the compiled SQL of ``stg_landing__answers``,
``stg_landing__load_log`` and ``int_answers_checked`` (``classifier.json``); a post runs that
SQL in an in-memory DuckDB over the posted rows and the seeds, so each row's verdict comes from
the build's own rules, not a copy of them in Python.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from cxbench.files import TMP_PREFIX, fsync_dir, write_atomically
from cxbench.landing import LANDING_COLUMNS, LOG_SCHEMA, REQUIRED_COLUMNS
from cxbench.relations import dbt_manifest_path
from cxbench.settings import Settings

API_FOLDER = "api"
CLASSIFIER_FILE = "classifier.json"
CLASSIFIER_NODES = {
    "answers": "model.cxbench.stg_landing__answers",
    "load_log": "model.cxbench.stg_landing__load_log",
    "checked": "model.cxbench.int_answers_checked",
}
SOURCES = {
    "landed_answers": "source.cxbench.landing.landed_answers",
    "load_log": "source.cxbench.landing.load_log",
}
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
JSON_TYPES = ("application/json",)
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")
CSV_TYPES = ("text/csv",)

_store_lock = threading.Lock()
# Called after each delivery a post wrote (durable by then): the background builder of
# ``serve --build-every`` in this process starts its build at once instead of at its next check.
_delivery_listeners: list[Callable[[], None]] = []


def on_delivery(listener: Callable[[], None]) -> Callable[[], None]:
    """Call ``listener`` after each delivery written in this process; returns the remover."""
    _delivery_listeners.append(listener)

    def remove() -> None:
        if listener in _delivery_listeners:
            _delivery_listeners.remove(listener)

    return remove


def _delivered() -> None:
    for listener in list(_delivery_listeners):
        listener()


class PayloadError(ValueError):
    """The body is not a readable set of §2 rows; the message says why, in one sentence."""


class IdempotencyConflict(ValueError):
    """The same Idempotency-Key was used before with a different body."""


def ingest_dir(settings: Settings) -> Path:
    return settings.warehouse / "ingest"


# --------------------------------------------------------------------------- parsing


def parse_payload(body: bytes, content_type: str) -> list[dict[str, str | None]]:
    """Rows of the landing contract from a JSON array, NDJSON or CSV body.

    Header names and keys are matched case-insensitively (DESIGN §2); extra columns are dropped;
    every value becomes text (or None), as landing reads a file.
    """
    media = content_type.split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PayloadError("The body is not UTF-8.") from exc
    if media in JSON_TYPES:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise PayloadError(f"The body is not valid JSON ({exc}).") from exc
        if not isinstance(data, list):
            raise PayloadError("A JSON body must be an array of answer objects.")
        objects = data
    elif media in NDJSON_TYPES:
        objects = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                objects.append(json.loads(line))
            except ValueError as exc:
                raise PayloadError(f"Line {number} is not valid JSON ({exc}).") from exc
    elif media in CSV_TYPES:
        return _parse_csv(text)
    else:
        raise PayloadError(
            "Send application/json (an array), application/x-ndjson or text/csv rows."
        )
    rows = []
    for number, item in enumerate(objects, start=1):
        if not isinstance(item, dict):
            raise PayloadError(f"Row {number} is not a JSON object.")
        rows.append(_contract_row(item, number))
    _require_columns(set().union(*(row.keys() for row in rows)) if rows else set(), rows)
    return rows


def _contract_row(item: dict[str, Any], number: int) -> dict[str, str | None]:
    row: dict[str, str | None] = {}
    for key, value in item.items():
        column = str(key).strip().lower()
        if column not in LANDING_COLUMNS:
            continue
        if column in row:
            raise PayloadError(f"Row {number} names the column {column!r} twice.")
        if isinstance(value, dict | list):
            raise PayloadError(f"Row {number}: {column} must be a text or a number.")
        if isinstance(value, bool):
            value = str(value).lower()
        row[column] = None if value is None else str(value)
    return row


def _parse_csv(text: str) -> list[dict[str, str | None]]:
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return []
    except csv.Error as exc:
        raise PayloadError(f"The CSV header cannot be read ({exc}).") from exc
    names = [name.strip().lower() for name in header]
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in LANDING_COLUMNS:
            if name in positions:
                raise PayloadError(f"The CSV header names the column {name!r} twice.")
            positions[name] = index
    rows: list[dict[str, str | None]] = []
    try:
        for fields in reader:
            if not fields or fields == [""]:
                continue
            if len(fields) != len(header):
                raise PayloadError(
                    f"CSV line {reader.line_num} has {len(fields)} fields; the header has "
                    f"{len(header)}."
                )
            rows.append({column: fields[index] for column, index in positions.items()})
    except csv.Error as exc:
        raise PayloadError(f"CSV line {reader.line_num} cannot be read ({exc}).") from exc
    _require_columns(set(positions), rows)
    return rows


def _require_columns(found: set[str], rows: list[dict[str, str | None]]) -> None:
    if not rows:
        raise PayloadError("The body holds no answers.")
    missing = [c for c in REQUIRED_COLUMNS if c not in found]
    if missing:
        raise PayloadError(f"Required column(s) missing: {', '.join(missing)} (DESIGN §2).")


def check_client(rows: list[dict[str, str | None]], client_id: str) -> None:
    """Every row names the client of the URL, or none: a key posts for its own client only."""
    for number, row in enumerate(rows, start=1):
        named = (row.get("client_id") or "").strip()
        if named and named != client_id:
            raise PayloadError(f"Row {number} is for another client than {client_id!r}.")


# --------------------------------------------------------------------------- storing


@dataclass(frozen=True)
class StoredDelivery:
    delivery_file: Path
    replayed: bool
    response: dict[str, Any] | None


def _request_hash(client_id: str, rows: list[dict[str, str | None]]) -> str:
    text = json.dumps([client_id, rows], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _key_digest(client_id: str, key: str) -> str:
    return hashlib.sha256(f"{client_id}\0{key}".encode()).hexdigest()


def delivery_lines(rows: Iterable[dict[str, str | None]]) -> str:
    return "".join(
        json.dumps({c: row.get(c) for c in LANDING_COLUMNS}, ensure_ascii=False) + "\n"
        for row in rows
    )


def _write_durably(target: Path, text: str) -> None:
    """Temp name, fsync, rename, fsync the folder (and new parents): durable before a 2xx."""
    created = []
    folder = target.parent
    while not folder.exists():
        created.append(folder)
        folder = folder.parent
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{TMP_PREFIX}{target.name}.{os.getpid()}.{threading.get_ident()}")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    fsync_dir(target.parent)
    for made in created:
        fsync_dir(made.parent)


def store_delivery(
    settings: Settings,
    client_id: str,
    rows: list[dict[str, str | None]],
    idempotency_key: str | None,
) -> StoredDelivery:
    """Write the rows as a new delivery file, or find the one an earlier post with the same
    Idempotency-Key wrote (then the first answer is returned and nothing is written)."""
    if not SAFE_ID.fullmatch(client_id):
        raise PayloadError("The client id cannot name a delivery folder.")
    folder = settings.landing / API_FOLDER / client_id
    request_hash = _request_hash(client_id, rows)
    if idempotency_key is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = folder / f"{stamp}-{secrets.token_hex(4)}.jsonl"
        _write_durably(target, delivery_lines(rows))
        _delivered()
        return StoredDelivery(target, replayed=False, response=None)
    digest = _key_digest(client_id, idempotency_key)
    record_path = ingest_dir(settings) / "idempotency" / f"{digest}.json"
    target = folder / f"idem-{digest[:32]}.jsonl"
    with _store_lock:
        record = _read_json(record_path)
        if record is not None and record.get("request_hash") != request_hash:
            raise IdempotencyConflict(
                "This Idempotency-Key was used before with a different body; use a new key."
            )
        if target.exists():
            response = record.get("response") if record else None
            return StoredDelivery(target, replayed=True, response=response)
        _write_durably(target, delivery_lines(rows))
        _write_record(record_path, {"request_hash": request_hash, "delivery": str(target)})
    _delivered()
    return StoredDelivery(target, replayed=False, response=None)


def remember_response(
    settings: Settings, client_id: str, idempotency_key: str, response: dict[str, Any]
) -> None:
    """Keep the first answer so a retry gets the same one."""
    digest = _key_digest(client_id, idempotency_key)
    path = ingest_dir(settings) / "idempotency" / f"{digest}.json"
    with _store_lock:
        record = _read_json(path) or {}
        if "response" not in record:
            record["response"] = response
            _write_record(path, record)


def _write_record(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, json.dumps(record, indent=1))


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) else None


# --------------------------------------------------------------------------- classifying


def save_classifier(settings: Settings) -> None:
    """After a successful dbt build: keep the compiled SQL the ingest API runs over posts.

    Read from the manifest dbt just wrote; a manifest without the nodes' compiled SQL (a
    project without ``int_answers_checked``) leaves the previous classifier in place.
    """
    manifest_path = dbt_manifest_path(settings.warehouse)
    manifest = _read_json(manifest_path)
    if manifest is None:
        return
    nodes = manifest.get("nodes", {})
    sources = manifest.get("sources", {})
    models = {}
    for name, unique_id in CLASSIFIER_NODES.items():
        node = nodes.get(unique_id, {})
        if not node.get("compiled_code"):
            return
        models[name] = {
            "relation": _relation_parts(node),
            "sql": node["compiled_code"],
        }
    # The seeds those models read, from dbt's own lineage (never a list kept by hand here).
    seed_ids = sorted(
        {
            dep
            for unique_id in CLASSIFIER_NODES.values()
            for dep in nodes[unique_id].get("depends_on", {}).get("nodes", [])
            if dep.startswith("seed.")
        }
    )
    seeds = {}
    for seed_id in seed_ids:
        node = nodes[seed_id]
        seeds[node["name"]] = {
            "relation": _relation_parts(node),
            "column_types": node.get("config", {}).get("column_types", {}),
        }
    classifier = {
        "saved_at": datetime.now(UTC).isoformat(),
        "models": models,
        "seeds": seeds,
        "sources": {name: sources[uid]["relation_name"] for name, uid in SOURCES.items()},
    }
    ingest_dir(settings).mkdir(parents=True, exist_ok=True)
    write_atomically(ingest_dir(settings) / CLASSIFIER_FILE, json.dumps(classifier, indent=1))


def _relation_parts(node: dict[str, Any]) -> list[str]:
    return [node["database"], node["schema"], node.get("alias") or node["name"]]


def _quoted(parts: list[str]) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in parts)


def classify(settings: Settings, delivery: Path, rows: int) -> list[str | None] | None:
    """Each row's reason code (None = accepted) by the build's compiled SQL, or None when no
    build has saved a classifier yet or it no longer runs (e.g. the landing schema changed
    since that build): the delivery is already durable then, so the post still succeeds and
    says its rows were stored but not checked, rather than failing and inviting a retry."""
    classifier = _read_json(ingest_dir(settings) / CLASSIFIER_FILE)
    if classifier is None:
        return None
    try:
        return _run_classifier(settings, classifier, delivery, rows)
    except (duckdb.Error, KeyError, ValueError, OSError):
        return None


def _run_classifier(
    settings: Settings, classifier: dict[str, Any], delivery: Path, rows: int
) -> list[str | None]:
    con = duckdb.connect(config={"threads": 1})
    con.execute("set TimeZone = 'UTC'")
    try:
        databases = {
            part["relation"][0]
            for part in [*classifier["models"].values(), *classifier["seeds"].values()]
        }
        for database in sorted(databases):
            con.execute(f"attach ':memory:' as {_quoted([database])}")
        for entry in [*classifier["models"].values(), *classifier["seeds"].values()]:
            con.execute(f"create schema if not exists {_quoted(entry['relation'][:2])}")
        for name, seed in classifier["seeds"].items():
            path = settings.seeds_dir / f"{name}.csv"
            types = seed["column_types"]
            columns = [
                row[0]
                for row in con.execute(
                    "select column_name from (describe select * from "
                    "read_csv(?, header = true, all_varchar = true))",
                    [str(path)],
                ).fetchall()
            ]
            projection = ", ".join(
                f"cast({_quoted([c])} as {_sql_type(types.get(c, 'varchar'))}) as {_quoted([c])}"
                for c in columns
            )
            con.execute(
                f"create table {_quoted(seed['relation'])} as select {projection} "  # noqa: S608 - names from dbt's manifest and seed headers
                "from read_csv(?, header = true, all_varchar = true)",
                [str(path)],
            )
        text_columns = ", ".join(f"'{c}': 'VARCHAR'" for c in LANDING_COLUMNS)
        con.execute(
            "create temp table posted_answers as select 0::bigint as load_id, "  # noqa: S608 - contract column names only
            "?::varchar as source_file, row_number() over () as source_row, "
            "'jsonl' as source_format, * from read_json(?, format = 'newline_delimited', "
            f"columns = {{{text_columns}}})",
            [str(delivery), str(delivery)],
        )
        # The load log as landing writes it (LOG_SCHEMA), holding this one delivery.
        con.execute(f"create temp table posted_load_log ({LOG_SCHEMA})")
        con.execute(
            "insert into posted_load_log by name select 0::bigint as load_id, "
            "?::varchar as source_file, 'jsonl' as source_format, ?::bigint as rows_landed, "
            "0::bigint as rows_rejected, 'loaded' as status, "
            "timezone('UTC', now()) as loaded_at",  # naive UTC, as landing logs it
            [str(delivery), rows],
        )
        replacements = {
            classifier["sources"]["landed_answers"]: "temp.main.posted_answers",
            classifier["sources"]["load_log"]: "temp.main.posted_load_log",
        }
        for name in ("answers", "load_log"):
            model = classifier["models"][name]
            sql = model["sql"]
            for old, new in replacements.items():
                sql = sql.replace(old, new)
            con.execute(f"create view {_quoted(model['relation'])} as {sql}")
        checked = classifier["models"]["checked"]["sql"]
        result = con.execute(
            f"select source_row, reason_code from ({checked}) order by source_row"  # noqa: S608 - dbt's compiled SQL
        ).fetchall()
    finally:
        con.close()
    return [reason for _, reason in result]


def _sql_type(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_ (),]*", name):
        raise ValueError(f"unexpected seed column type {name!r}")
    return name
