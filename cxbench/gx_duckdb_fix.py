"""The Great Expectations 1.x / duckdb_engine result fix, alone: a patch of a third-party
library, kept apart from the audits that need it so that it is easy to find, test and drop.

`tests/python/test_audit.py` holds its canary (fails once upstream no longer needs the patch)
and a test that GX cannot audit DuckDB without it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine

__all__ = ["close_execution_engine", "install_duckdb_result_fix"]

FIX_MARKER = "_cxbench_duckdb_result_fix"
_PINNED_CONNECTION = "_cxbench_duckdb_connection"


def install_duckdb_result_fix() -> None:
    """Keep one open connection per GX execution engine on DuckDB; idempotent.

    The bug (GX #10738, #11579): `SqlAlchemyExecutionEngine.execute_query` runs a statement in
    `with self.get_connection() as connection:` and returns the result, which callers fetch
    only after that block has closed the connection. Closing rolls back the transaction
    SQLAlchemy began, and `duckdb_engine` shares one DuckDB result slot per connection, so the
    ROLLBACK replaces the pending result: `fetchall()` returns `[]` and `fetchone()` None.
    GX then fails with "list index out of range" on bundled metrics and "'NoneType' object is
    not subscriptable" on UnexpectedRowsExpectation (seen on every expectation of both suites),
    and a metric that reads `.scalar() or 0` would get a silent zero.

    The fix reuses GX's own remedy for SQLite (`_PERSISTED_CONNECTION_DIALECTS`, which cannot
    simply be extended because it holds enum members): for the `duckdb` dialect only,
    `get_connection` yields one connection kept open on the engine, so results stay readable
    until the next statement. Results are still streamed, never buffered whole, so a huge
    unexpected-rows query costs only the rows GX fetches. A statement that fails rolls the
    connection back so one broken expectation cannot poison the ones after it. The caller
    must close the kept connection (`close_execution_engine`).

    Checked against great-expectations 1.24.1, SQLAlchemy 2.1.9, duckdb-engine 0.17.0 and
    duckdb 2.0.0 (also with SQLAlchemy 2.0.58). `tests/python/test_audit.py` fails if the fix
    stops working, and its canary test fails once upstream no longer needs it.
    """
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine

    if getattr(SqlAlchemyExecutionEngine, FIX_MARKER, False):
        return
    upstream_get_connection = SqlAlchemyExecutionEngine.get_connection

    @contextlib.contextmanager
    def get_connection(self: SqlAlchemyExecutionEngine) -> Iterator[Any]:
        if self.dialect_name != "duckdb":
            with upstream_get_connection(self) as connection:
                yield connection
            return
        pinned = getattr(self, _PINNED_CONNECTION, None)
        if pinned is None or pinned.closed:
            pinned = self.engine.connect()
            setattr(self, _PINNED_CONNECTION, pinned)
        try:
            yield pinned
        except BaseException:
            pinned.rollback()
            raise

    SqlAlchemyExecutionEngine.get_connection = get_connection
    # The marker keeps the method it replaced, so a test can show the bug without the fix.
    setattr(SqlAlchemyExecutionEngine, FIX_MARKER, upstream_get_connection)


def close_execution_engine(execution_engine: SqlAlchemyExecutionEngine) -> None:
    """Close the kept connection and the pool, so no DuckDB handle outlives the audit."""
    connection = getattr(execution_engine, _PINNED_CONNECTION, None)
    if connection is not None:
        setattr(execution_engine, _PINNED_CONNECTION, None)
        with contextlib.suppress(Exception):
            connection.close()
    execution_engine.engine.dispose()
