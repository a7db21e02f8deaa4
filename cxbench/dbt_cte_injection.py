"""dbt's injection of unit-test fixtures into a model's SQL, without parsing the whole model: a
patch of a third-party library, kept apart so that it is easy to find, test and drop.

A dbt unit test runs its model's compiled SQL with each input replaced by a fixture, which dbt
adds as CTEs (``dbt.compilation.inject_ctes_into_sql``). To find where they go, dbt parses the
whole model with sqlparse only to look at its first keywords. The benchmark marts compile to
~45 KB each, and on a fresh warehouse's first build that parse was ~5 s of the unit tests' CPU,
holding the GIL that dbt's threads share (docs/BENCHMARKS.md, eighth round).

Every model of this project starts, after comments and blank lines, with ``with`` and a CTE
name. For SQL of that shape the patch puts the fixtures after that ``with`` and the blank space
that follows it: where and how dbt's function puts them, the same text to the byte. Anything
else (no leading ``with``, ``with recursive``, a ``;`` that ends a statement) goes to dbt's own
function.

Checked against dbt-core 1.11 and sqlparse 0.6. `tests/python/test_dbt_cte_injection.py`
compares the two on every model of the project and on the other shapes; every build that runs
the unit tests runs them through it (``cxbench.dbt_child.invoke`` installs it).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "dbt_inject_ctes_into_sql",
    "inject_ctes_into_sql",
    "install_fast_cte_injection",
    "splice_point",
]

FIX_MARKER = "_cxbench_fast_cte_injection"

# Blank space and comments (``-- …`` to the end of the line, ``/* … */``), then ``with`` and
# the blank space after it: dbt's parse finds that WITH keyword, and puts the fixtures before
# the next token that is not blank space (sqlparse's ``insert_after`` skips it).
_LEADING_WITH = re.compile(
    r"(?:\s+|--[^\r\n]*(?:\r\n|\r|\n|$)|/\*.*?\*/)*with\s+", re.IGNORECASE | re.DOTALL
)
# dbt treats ``with recursive`` apart: left to its function.
_RECURSIVE = re.compile(r"recursive\b", re.IGNORECASE)


def inject_ctes_into_sql(sql: str, ctes: list[Any]) -> str:
    """dbt's ``inject_ctes_into_sql(sql, ctes)``, its parse skipped when ``sql`` starts (after
    blank space and comments) with ``with`` followed by a CTE name."""
    if not ctes:
        return sql
    end = splice_point(sql)
    if end is None:
        return dbt_inject_ctes_into_sql(sql, ctes)
    return sql[:end] + ", ".join(cte.sql for cte in ctes) + ", " + sql[end:]


def splice_point(sql: str) -> int | None:
    """Where dbt puts the CTEs in ``sql`` of the shape this module handles; None otherwise."""
    leading = _LEADING_WITH.match(sql)
    if leading is None or _RECURSIVE.match(sql, leading.end()) or _ends_a_statement(sql):
        return None
    return leading.end()


def _ends_a_statement(sql: str) -> bool:
    """A ';' outside comments and strings, as sqlparse's lexer reads them (a fifth of its whole
    parse): dbt keeps only the statement before it, which such SQL is left to dbt to do."""
    if ";" not in sql:
        return False
    from sqlparse import lexer, tokens

    return any(kind is tokens.Punctuation and text == ";" for kind, text in lexer.tokenize(sql))


def dbt_inject_ctes_into_sql(sql: str, ctes: list[Any]) -> str:
    """dbt's own function, patched or not."""
    from dbt import compilation

    original = getattr(compilation.inject_ctes_into_sql, "__wrapped__", None)
    return (original or compilation.inject_ctes_into_sql)(sql, ctes)


def install_fast_cte_injection() -> None:
    """Make dbt's compiler inject CTEs with ``inject_ctes_into_sql`` above; idempotent."""
    from dbt import compilation

    if getattr(compilation.inject_ctes_into_sql, FIX_MARKER, False):
        return

    def patched(sql: str, ctes: list[Any]) -> str:
        return inject_ctes_into_sql(sql, ctes)

    patched.__wrapped__ = compilation.inject_ctes_into_sql  # type: ignore[attr-defined]
    setattr(patched, FIX_MARKER, True)
    compilation.inject_ctes_into_sql = patched
