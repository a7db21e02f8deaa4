"""The target store on a real SQLite file: migrations, WAL, the write rules (If-Match,
If-None-Match, 428 without a version), and a history that is complete and append-only."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from cxbench.errors import CxbenchError
from cxbench.targets.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Precondition,
    PreconditionFailed,
    PreconditionRequired,
    SQLiteTargetStore,
    TargetFields,
    TargetNotFound,
    TargetStoreUnavailable,
    open_target_store,
    parse_if_match,
)

FIELDS = TargetFields(
    target_value=40.0, due_period="2027-Q4", baseline_period="2026-Q2", basis="custom"
)
NONE = Precondition()


def match(*versions: int) -> Precondition:
    return Precondition(if_match=frozenset(versions))


@pytest.fixture
def store(tmp_path: Path) -> SQLiteTargetStore:
    return SQLiteTargetStore(tmp_path / "w" / "targets.sqlite3")


def test_reading_a_store_never_written_creates_nothing(store: SQLiteTargetStore) -> None:
    assert store.get("c001", "*", "nps") is None
    assert store.list_targets("c001") == [] and store.history(None) == []
    assert not store.path.exists() and not store.path.parent.exists()


def test_the_first_write_migrates_to_wal_and_records_each_step(store: SQLiteTargetStore) -> None:
    store.put("c001", "*", "nps", FIELDS, actor="k1", precondition=NONE)
    con = sqlite3.connect(store.path)
    assert con.execute("pragma journal_mode").fetchone()[0] == "wal"
    steps = con.execute("select version, name from schema_migrations order by version").fetchall()
    assert steps == [(v, name) for v, name, _ in MIGRATIONS]
    assert store.schema_version() == SCHEMA_VERSION
    # A second store on the same file (another worker) finds it migrated and changes nothing.
    assert SQLiteTargetStore(store.path).migrate() == SCHEMA_VERSION
    assert con.execute("select count(*) from schema_migrations").fetchone()[0] == len(MIGRATIONS)


def test_a_store_from_a_newer_cxbench_is_refused(store: SQLiteTargetStore) -> None:
    store.migrate()
    with sqlite3.connect(store.path) as con:
        con.execute(
            "insert into schema_migrations values (?, 'future', 'now')", (SCHEMA_VERSION + 1,)
        )
    with pytest.raises(CxbenchError, match="newer than this cxbench"):
        SQLiteTargetStore(store.path).migrate()


def test_set_change_retire_and_set_again_keep_every_step(store: SQLiteTargetStore) -> None:
    created, is_new = store.put("c001", "*", "nps", FIELDS, actor="k1", precondition=NONE)
    assert is_new and created.version == 1 and created.etag == '"v1"'
    changed = TargetFields(**{**FIELDS.__dict__, "target_value": 45.0, "due_period": "2028"})
    after, is_new = store.put("c001", "*", "nps", changed, actor="k2", precondition=match(1))
    assert not is_new and after.version == 2 and after.created_at == created.created_at
    retired = store.retire("c001", "*", "nps", actor="k3", precondition=match(2))
    assert retired.status == "retired" and retired.version == 3
    assert store.list_targets("c001") == []
    assert [t.status for t in store.list_targets("c001", include_retired=True)] == ["retired"]
    again, is_new = store.put("c001", "*", "nps", FIELDS, actor="k4", precondition=NONE)
    assert is_new and again.version == 4 and again.status == "active"

    events = store.history("c001")
    assert [(e.action, e.version, e.key_id) for e in events] == [
        ("created", 1, "k1"),
        ("changed", 2, "k2"),
        ("retired", 3, "k3"),
        ("created", 4, "k4"),
    ]
    assert events[0].previous_version is None and events[0].fields.target_value == 40.0
    assert (events[1].previous_version, events[1].previous_target_value) == (1, 40.0)
    assert events[1].previous_due_period == "2027-Q4" and events[1].fields.due_period == "2028"
    assert (events[2].previous_version, events[2].previous_target_value) == (2, 45.0)
    assert events[3].previous_version is None  # a new life after retirement
    assert [e.at for e in events] == sorted(e.at for e in events)


def test_the_write_rules(store: SQLiteTargetStore) -> None:
    store.put("c001", "*", "nps", FIELDS, actor="k", precondition=NONE)
    with pytest.raises(PreconditionRequired, match='ETag "v1"'):
        store.put("c001", "*", "nps", FIELDS, actor="k", precondition=NONE)
    with pytest.raises(PreconditionFailed, match='now "v1"'):
        store.put("c001", "*", "nps", FIELDS, actor="k", precondition=match(7))
    with pytest.raises(PreconditionFailed):
        store.put(
            "c001", "*", "nps", FIELDS, actor="k", precondition=Precondition(if_none_match_any=True)
        )
    with pytest.raises(PreconditionFailed):  # If-Match on a target that does not exist
        store.put("c001", "*", "csat", FIELDS, actor="k", precondition=match(1))
    with pytest.raises(PreconditionRequired):
        store.retire("c001", "*", "nps", actor="k", precondition=NONE)
    with pytest.raises(TargetNotFound):
        store.retire("c001", "*", "csat", actor="k", precondition=match(1))
    star = Precondition(if_match="*")
    assert store.put("c001", "*", "nps", FIELDS, actor="k", precondition=star)[0].version == 2
    assert store.put(
        "c002", "*", "nps", FIELDS, actor="k", precondition=Precondition(if_none_match_any=True)
    )[1]
    # Refused writes left no trace.
    assert [e.version for e in store.history("c001")] == [1, 2]


def test_the_history_cannot_be_edited_even_by_sql(store: SQLiteTargetStore) -> None:
    store.put("c001", "*", "nps", FIELDS, actor="k", precondition=NONE)
    with sqlite3.connect(store.path) as con:
        for statement in ("update target_events set key_id = 'x'", "delete from target_events"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                con.execute(statement)


def test_if_match_parsing() -> None:
    assert parse_if_match(None) is None and parse_if_match(" * ") == "*"
    assert parse_if_match('"v3", "v12"') == frozenset({3, 12})
    assert parse_if_match('W/"v3"') == frozenset() and parse_if_match("v3") == frozenset()


def test_store_urls(tmp_path: Path) -> None:
    default = open_target_store(None, tmp_path / "a.sqlite3")
    assert isinstance(default, SQLiteTargetStore) and default.path == tmp_path / "a.sqlite3"
    named = open_target_store(f"sqlite:///{tmp_path}/b.sqlite3", tmp_path / "a.sqlite3")
    assert isinstance(named, SQLiteTargetStore) and named.path == tmp_path / "b.sqlite3"
    with pytest.raises(CxbenchError, match="no PostgreSQL target store"):
        open_target_store("postgresql://db/cx", tmp_path / "a.sqlite3")
    with pytest.raises(CxbenchError, match="sqlite:///"):
        open_target_store("mysql://db", tmp_path / "a.sqlite3")


def test_a_store_locked_past_the_busy_timeout_is_unavailable_not_a_crash(tmp_path: Path) -> None:
    store = SQLiteTargetStore(tmp_path / "targets.sqlite3", busy_seconds=0.2)
    store.migrate()
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("begin immediate")  # another worker in the middle of a write
    try:
        with pytest.raises(TargetStoreUnavailable, match="try again"):
            store.put("c001", "*", "nps", FIELDS, actor="k", precondition=NONE)
        assert store.get("c001", "*", "nps") is None  # WAL: reading does not wait
    finally:
        other.execute("rollback")
        other.close()
    assert store.put("c001", "*", "nps", FIELDS, actor="k", precondition=NONE)[1]
    blocked = SQLiteTargetStore(tmp_path / "targets.sqlite3" / "nested.sqlite3")
    with pytest.raises(TargetStoreUnavailable):
        blocked.put("c001", "*", "nps", FIELDS, actor="k", precondition=NONE)


def test_two_workers_creating_the_store_at_once_both_write(tmp_path: Path) -> None:
    """SQLite's switch to WAL does not wait on the busy timeout: without a retry, one of two
    first writes racing on a new file failed at once with "database is locked" (a 503 from
    ``serve --workers 2``; in 26 of 60 races of two processes)."""

    def first_write(path: Path, metric: str, start: threading.Barrier, failures: list[str]) -> None:
        store = SQLiteTargetStore(path)
        start.wait(timeout=10)
        try:
            store.migrate()  # what a first write does first
            store.put("c001", "*", metric, FIELDS, actor="k", precondition=NONE)
        except (sqlite3.OperationalError, TargetStoreUnavailable) as exc:
            failures.append(f"{metric}: {exc}")

    for race in range(30):
        path = tmp_path / f"race{race}" / "targets.sqlite3"
        start = threading.Barrier(2)
        failures: list[str] = []
        writers = [
            threading.Thread(target=first_write, args=(path, metric, start, failures))
            for metric in ("nps", "csat")
        ]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join(timeout=30)
        assert failures == [], f"race {race}"
        written = SQLiteTargetStore(path).list_targets("c001")
        assert {target.metric for target in written} == {"nps", "csat"}
