"""The target store: agreed targets and their append-only history, in one SQLite file.

Snapshots are immutable and rebuilt by every build; an agreed target is a write that must
outlive them, so it lives apart, in ``warehouse/targets.sqlite3`` (``CXB_TARGETS_URL`` to move
it). SQLite because it needs no server and is safe for several uvicorn workers on one machine:

- WAL journal: readers never block the writer nor each other; a commit is durable once
  ``synchronous=FULL`` has synced the WAL, i.e. before the API answers 2xx;
- every write is one ``BEGIN IMMEDIATE`` transaction (the write lock is taken before the
  version is read, so two workers cannot both pass the same ``If-Match``), waiting up to
  ``busy_seconds`` for another worker's write to finish;
- a connection per operation: nothing is shared between threads or processes.

The schema is versioned: ``schema_migrations`` records each numbered step of ``MIGRATIONS``
applied, in its own transaction, so a store from an older cxbench is brought up to date on
first use and one from a newer cxbench is refused. The history table is append-only, enforced
by triggers, not by convention.

``TargetStore`` is the interface the API and the command line use; ``open_target_store`` picks
the implementation from a URL. Another database (PostgreSQL) plugs in as another class with the
same methods: README "Target store" says how.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol, cast

from cxbench.errors import CxbenchError

ACTIVE = "active"
RETIRED = "retired"
Action = Literal["created", "changed", "retired"]


class TargetStoreError(CxbenchError):
    """A write the store refused; the API maps each subclass to its status code."""


class TargetStoreUnavailable(TargetStoreError):
    """The database cannot be opened or stayed locked past the busy timeout (503)."""


class TargetNotFound(TargetStoreError):
    """There is no active target for that client, touchpoint and metric (404)."""


class PreconditionFailed(TargetStoreError):
    """If-Match / If-None-Match does not hold for the target as it is now (412)."""


class PreconditionRequired(TargetStoreError):
    """Changing or retiring an existing target without saying which version (428)."""


@dataclass(frozen=True)
class TargetFields:
    """What a writer sets. ``basis_value`` is the benchmark percentile as it was published
    when the target was set: a number, never a reference to a cell that a later build might
    withhold."""

    target_value: float
    due_period: str
    baseline_period: str
    basis: str
    basis_period: str | None = None
    basis_value: float | None = None
    note: str | None = None


@dataclass(frozen=True)
class AgreedTarget:
    client_id: str
    touchpoint: str
    metric: str
    fields: TargetFields
    version: int
    status: str
    created_at: str
    updated_at: str
    updated_by: str

    @property
    def etag(self) -> str:
        return etag_of(self.version)


@dataclass(frozen=True)
class TargetEvent:
    """One line of the audit trail: what the target became, who did it and what it was."""

    event_id: int
    client_id: str
    touchpoint: str
    metric: str
    version: int
    action: Action
    at: str
    key_id: str
    fields: TargetFields
    previous_version: int | None
    previous_target_value: float | None
    previous_due_period: str | None


@dataclass(frozen=True)
class Precondition:
    """The conditional headers of a write: ``If-Match`` (``"*"`` or the versions it names,
    empty when none of its tags is ours) and ``If-None-Match: *``."""

    if_match: Literal["*"] | frozenset[int] | None = None
    if_none_match_any: bool = False

    @property
    def given(self) -> bool:
        return self.if_match is not None or self.if_none_match_any


def etag_of(version: int) -> str:
    return f'"v{version}"'


_ETAG = re.compile(r'^"v([0-9]{1,12})"$')


def parse_if_match(header: str | None) -> Literal["*"] | frozenset[int] | None:
    """``If-Match`` as the versions it names; strong comparison, so weak tags match nothing."""
    if header is None:
        return None
    if header.strip() == "*":
        return "*"
    versions = set()
    for tag in header.split(","):
        found = _ETAG.match(tag.strip())
        if found:
            versions.add(int(found.group(1)))
    return frozenset(versions)


class TargetStore(Protocol):
    """What the API and the command line need from a target store."""

    def get(self, client_id: str, touchpoint: str, metric: str) -> AgreedTarget | None:
        """The target's current record, active or retired; None if it was never set."""
        ...

    def list_targets(
        self, client_id: str | None, *, metric: str | None = None, include_retired: bool = False
    ) -> list[AgreedTarget]:
        """A client's targets (every client's with ``client_id=None``, for the command line)."""
        ...

    def put(
        self,
        client_id: str,
        touchpoint: str,
        metric: str,
        fields: TargetFields,
        *,
        actor: str,
        precondition: Precondition,
    ) -> tuple[AgreedTarget, bool]:
        """Create or change the target; True when it was created (or set again after being
        retired)."""
        ...

    def retire(
        self,
        client_id: str,
        touchpoint: str,
        metric: str,
        *,
        actor: str,
        precondition: Precondition,
    ) -> AgreedTarget: ...

    def history(
        self, client_id: str | None, *, touchpoint: str | None = None, metric: str | None = None
    ) -> list[TargetEvent]: ...


# Numbered schema steps. Never edit a step that has shipped: add the next one.
MIGRATIONS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (
        1,
        "agreed targets and their append-only history",
        (
            """
            create table agreed_targets (
                client_id text not null,
                touchpoint_code text not null,
                metric_code text not null,
                target_value real not null,
                due_period text not null,
                baseline_period text not null,
                basis text not null,
                basis_period text,
                basis_value real,
                note text,
                version integer not null check (version >= 1),
                status text not null check (status in ('active', 'retired')),
                created_at text not null,
                updated_at text not null,
                updated_by text not null,
                primary key (client_id, touchpoint_code, metric_code)
            )
            """,
            """
            create table target_events (
                event_id integer primary key autoincrement,
                client_id text not null,
                touchpoint_code text not null,
                metric_code text not null,
                version integer not null,
                action text not null check (action in ('created', 'changed', 'retired')),
                at text not null,
                key_id text not null,
                target_value real not null,
                due_period text not null,
                baseline_period text not null,
                basis text not null,
                basis_period text,
                basis_value real,
                note text,
                previous_version integer,
                previous_target_value real,
                previous_due_period text,
                unique (client_id, touchpoint_code, metric_code, version)
            )
            """,
            "create index target_events_by_client on target_events (client_id, event_id)",
            """
            create trigger target_events_are_append_only_update
            before update on target_events
            begin select raise(abort, 'the target history is append-only'); end
            """,
            """
            create trigger target_events_are_append_only_delete
            before delete on target_events
            begin select raise(abort, 'the target history is append-only'); end
            """,
        ),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _fields(row: sqlite3.Row) -> TargetFields:
    return TargetFields(
        target_value=row["target_value"],
        due_period=row["due_period"],
        baseline_period=row["baseline_period"],
        basis=row["basis"],
        basis_period=row["basis_period"],
        basis_value=row["basis_value"],
        note=row["note"],
    )


def _target(row: sqlite3.Row) -> AgreedTarget:
    return AgreedTarget(
        client_id=row["client_id"],
        touchpoint=row["touchpoint_code"],
        metric=row["metric_code"],
        fields=_fields(row),
        version=row["version"],
        status=row["status"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
    )


def _event(row: sqlite3.Row) -> TargetEvent:
    return TargetEvent(
        event_id=row["event_id"],
        client_id=row["client_id"],
        touchpoint=row["touchpoint_code"],
        metric=row["metric_code"],
        version=row["version"],
        action=cast(Action, row["action"]),
        at=row["at"],
        key_id=row["key_id"],
        fields=_fields(row),
        previous_version=row["previous_version"],
        previous_target_value=row["previous_target_value"],
        previous_due_period=row["previous_due_period"],
    )


def _check(precondition: Precondition, current: AgreedTarget | None) -> None:
    """RFC 9110 §13: the target exists for these rules only while it is active."""
    active = current if current is not None and current.status == ACTIVE else None
    if precondition.if_none_match_any and active is not None:
        raise PreconditionFailed(
            f"The target already exists (ETag {active.etag}); If-None-Match: * only creates."
        )
    if precondition.if_match is not None:
        if active is None:
            raise PreconditionFailed("There is no active target for If-Match to match.")
        if precondition.if_match != "*" and active.version not in precondition.if_match:
            raise PreconditionFailed(
                f"The target has changed since: its ETag is now {active.etag}; read it again "
                "and retry with that ETag."
            )
    elif active is not None and not precondition.if_none_match_any:
        raise PreconditionRequired(
            f"The target exists (ETag {active.etag}); changing or retiring it needs that ETag "
            "(If-Match, or --if-match), so no one else's change is overwritten."
        )


class SQLiteTargetStore:
    """``TargetStore`` on one SQLite file. Constructing it touches nothing: the file is created
    and migrated by the first write, and reads of a store never written return nothing."""

    def __init__(self, path: Path, busy_seconds: float = 10.0) -> None:
        self.path = path
        self.busy_seconds = busy_seconds
        self._migrated = False

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=self.busy_seconds, isolation_level=None)
        con.row_factory = sqlite3.Row
        con.execute(f"pragma busy_timeout = {int(self.busy_seconds * 1000)}")
        con.execute("pragma synchronous = full")
        return con

    @contextmanager
    def _connection(self, *, write: bool) -> Iterator[sqlite3.Connection | None]:
        """A migrated connection; None for a read of a store that does not exist yet."""
        if not write and not self._migrated and not self.path.exists():
            yield None
            return
        try:
            con = self._connect()
        except (sqlite3.OperationalError, OSError) as exc:
            raise TargetStoreUnavailable(f"The target store cannot be opened: {exc}.") from exc
        try:
            if not self._migrated:
                self.migrate(con)
            yield con
        except sqlite3.OperationalError as exc:
            raise TargetStoreUnavailable(
                f"The target store is unavailable ({exc}); try again shortly."
            ) from exc
        finally:
            con.close()

    def migrate(self, con: sqlite3.Connection | None = None) -> int:
        """Apply the steps this file lacks; returns the schema version. Safe to race: each
        step runs in a ``BEGIN IMMEDIATE`` transaction that re-reads the version first."""
        own = con is None
        con = con or self._connect()
        try:
            mode = self._use_wal(con)
            if mode.lower() != "wal":
                raise CxbenchError(
                    f"The target store {self.path} cannot use WAL journaling (got {mode!r}); "
                    "put it on a local filesystem."
                )
            con.execute(
                "create table if not exists schema_migrations ("
                "version integer primary key, name text not null, applied_at text not null)"
            )
            for version, name, statements in MIGRATIONS:
                con.execute("begin immediate")
                try:
                    done = con.execute(
                        "select coalesce(max(version), 0) from schema_migrations"
                    ).fetchone()[0]
                    if done > SCHEMA_VERSION:
                        raise CxbenchError(
                            f"The target store {self.path} has schema version {done}, newer "
                            f"than this cxbench knows ({SCHEMA_VERSION}); upgrade cxbench."
                        )
                    if done < version:
                        for statement in statements:
                            con.execute(statement)
                        con.execute(
                            "insert into schema_migrations values (?, ?, ?)",
                            (version, name, _now()),
                        )
                    con.execute("commit")
                except BaseException:
                    con.execute("rollback")
                    raise
            self._migrated = True
            return SCHEMA_VERSION
        finally:
            if own:
                con.close()

    def _use_wal(self, con: sqlite3.Connection) -> str:
        """Switch the file to WAL journaling; the journal mode it is in after.

        SQLite's switch does not wait on the busy timeout: when two workers create the store at
        once (their first writes), one is told "database is locked" at once. The switch is
        retried instead, up to ``busy_seconds``, like any other wait on another worker."""
        deadline = time.monotonic() + self.busy_seconds
        while True:
            try:
                return str(con.execute("pragma journal_mode = wal").fetchone()[0])
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.02)

    def schema_version(self) -> int:
        with self._connection(write=False) as con:
            if con is None:
                return 0
            return int(con.execute("select max(version) from schema_migrations").fetchone()[0])

    def get(self, client_id: str, touchpoint: str, metric: str) -> AgreedTarget | None:
        with self._connection(write=False) as con:
            if con is None:
                return None
            return self._get(con, client_id, touchpoint, metric)

    @staticmethod
    def _get(
        con: sqlite3.Connection, client_id: str, touchpoint: str, metric: str
    ) -> AgreedTarget | None:
        row = con.execute(
            "select * from agreed_targets "
            "where client_id = ? and touchpoint_code = ? and metric_code = ?",
            (client_id, touchpoint, metric),
        ).fetchone()
        return _target(row) if row is not None else None

    def list_targets(
        self, client_id: str | None, *, metric: str | None = None, include_retired: bool = False
    ) -> list[AgreedTarget]:
        with self._connection(write=False) as con:
            if con is None:
                return []
            rows = con.execute(
                "select * from agreed_targets "
                "where (? is null or client_id = ?) and (? is null or metric_code = ?) "
                "and (? or status = 'active') "
                "order by client_id, metric_code, touchpoint_code <> '*', touchpoint_code",
                (client_id, client_id, metric, metric, include_retired),
            ).fetchall()
            return [_target(row) for row in rows]

    def history(
        self, client_id: str | None, *, touchpoint: str | None = None, metric: str | None = None
    ) -> list[TargetEvent]:
        with self._connection(write=False) as con:
            if con is None:
                return []
            rows = con.execute(
                "select * from target_events "
                "where (? is null or client_id = ?) and (? is null or touchpoint_code = ?) "
                "and (? is null or metric_code = ?) order by event_id",
                (client_id, client_id, touchpoint, touchpoint, metric, metric),
            ).fetchall()
            return [_event(row) for row in rows]

    def put(
        self,
        client_id: str,
        touchpoint: str,
        metric: str,
        fields: TargetFields,
        *,
        actor: str,
        precondition: Precondition,
    ) -> tuple[AgreedTarget, bool]:
        with self._connection(write=True) as con:
            assert con is not None
            con.execute("begin immediate")
            try:
                current = self._get(con, client_id, touchpoint, metric)
                _check(precondition, current)
                created = current is None or current.status != ACTIVE
                version = 1 if current is None else current.version + 1
                now = _now()
                values = (
                    fields.target_value,
                    fields.due_period,
                    fields.baseline_period,
                    fields.basis,
                    fields.basis_period,
                    fields.basis_value,
                    fields.note,
                )
                con.execute(
                    "insert into agreed_targets (client_id, touchpoint_code, metric_code, "
                    "target_value, due_period, baseline_period, basis, basis_period, "
                    "basis_value, note, version, status, created_at, updated_at, updated_by) "
                    "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?) "
                    "on conflict (client_id, touchpoint_code, metric_code) do update set "
                    "target_value = excluded.target_value, due_period = excluded.due_period, "
                    "baseline_period = excluded.baseline_period, basis = excluded.basis, "
                    "basis_period = excluded.basis_period, basis_value = excluded.basis_value, "
                    "note = excluded.note, version = excluded.version, status = 'active', "
                    "created_at = case when agreed_targets.status = 'active' "
                    "then agreed_targets.created_at else excluded.created_at end, "
                    "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                    (client_id, touchpoint, metric, *values, version, now, now, actor),
                )
                previous = current if current is not None and not created else None
                self._record(
                    con,
                    client_id,
                    touchpoint,
                    metric,
                    version,
                    "created" if created else "changed",
                    now,
                    actor,
                    values,
                    previous,
                )
                target = self._get(con, client_id, touchpoint, metric)
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
        assert target is not None
        return target, created

    def retire(
        self,
        client_id: str,
        touchpoint: str,
        metric: str,
        *,
        actor: str,
        precondition: Precondition,
    ) -> AgreedTarget:
        with self._connection(write=True) as con:
            assert con is not None
            con.execute("begin immediate")
            try:
                current = self._get(con, client_id, touchpoint, metric)
                if current is None or current.status != ACTIVE:
                    raise TargetNotFound(
                        f"There is no active target for {touchpoint} {metric} to retire."
                    )
                _check(precondition, current)
                version = current.version + 1
                now = _now()
                con.execute(
                    "update agreed_targets set status = 'retired', version = ?, "
                    "updated_at = ?, updated_by = ? "
                    "where client_id = ? and touchpoint_code = ? and metric_code = ?",
                    (version, now, actor, client_id, touchpoint, metric),
                )
                f = current.fields
                values = (
                    f.target_value,
                    f.due_period,
                    f.baseline_period,
                    f.basis,
                    f.basis_period,
                    f.basis_value,
                    f.note,
                )
                self._record(
                    con,
                    client_id,
                    touchpoint,
                    metric,
                    version,
                    "retired",
                    now,
                    actor,
                    values,
                    current,
                )
                target = self._get(con, client_id, touchpoint, metric)
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
        assert target is not None
        return target

    @staticmethod
    def _record(
        con: sqlite3.Connection,
        client_id: str,
        touchpoint: str,
        metric: str,
        version: int,
        action: Action,
        at: str,
        actor: str,
        values: tuple[object, ...],
        previous: AgreedTarget | None,
    ) -> None:
        con.execute(
            "insert into target_events (client_id, touchpoint_code, metric_code, version, "
            "action, at, key_id, target_value, due_period, baseline_period, basis, "
            "basis_period, basis_value, note, previous_version, previous_target_value, "
            "previous_due_period) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                client_id,
                touchpoint,
                metric,
                version,
                action,
                at,
                actor,
                *values,
                previous.version if previous else None,
                previous.fields.target_value if previous else None,
                previous.fields.due_period if previous else None,
            ),
        )


def open_target_store(url: str | None, default_path: Path) -> TargetStore:
    """The store a URL names: ``sqlite:///<absolute path>`` (or no URL: ``default_path``).

    A PostgreSQL URL is recognised but not built in; it is refused with a sentence saying so
    rather than silently falling back to SQLite.
    """
    if url is None or url == "":
        return SQLiteTargetStore(default_path)
    if url.startswith("sqlite:///"):
        return SQLiteTargetStore(Path(url.removeprefix("sqlite:///")).expanduser())
    if url.startswith(("postgresql://", "postgres://")):
        raise CxbenchError(
            "This cxbench has no PostgreSQL target store; leave CXB_TARGETS_URL unset for "
            "SQLite, or add one as README 'Target store' describes."
        )
    raise CxbenchError(
        f"CXB_TARGETS_URL must start with sqlite:/// (got {url.split(':', 1)[0]!r})."
    )
