"""The unit tests' fixture injection without sqlparse's parse (cxbench/dbt_cte_injection.py):
the same SQL as dbt's own function, to the byte, on every model of the project and on the
shapes it leaves to dbt. (Every build that runs the unit tests runs them through it.)"""

from __future__ import annotations

import pytest
import sqlparse.engine.grouping
from dbt.artifacts.resources.v1.components import InjectedCTE

from cxbench import dbt_cte_injection
from cxbench.build import BuildRecord
from cxbench.dbt_cte_injection import dbt_inject_ctes_into_sql, inject_ctes_into_sql, splice_point
from cxbench.relations import DBT_TARGET
from cxbench.settings import Settings

FIXTURES = [
    InjectedCTE(id="model.cxbench.a", sql=" __dbt__cte__a as (\nselect 1 as x\n)"),
    InjectedCTE(id="model.cxbench.b", sql=" __dbt__cte__b as (\nselect 'with' as y\n)"),
]


@pytest.fixture(autouse=True)
def sqlparse_without_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """sqlparse's limits as dbt's command sets them (none): its default stops at 10,000 tokens,
    fewer than a benchmark mart has."""
    monkeypatch.setattr(sqlparse.engine.grouping, "MAX_GROUPING_TOKENS", None)
    monkeypatch.setattr(sqlparse.engine.grouping, "MAX_GROUPING_DEPTH", None)


def test_every_model_gets_the_fixtures_exactly_where_dbt_puts_them(
    built: tuple[Settings, BuildRecord],
) -> None:
    settings, _ = built
    compiled = settings.warehouse / DBT_TARGET / "compiled" / "cxbench" / "models"
    # A unit test's compiled SQL sits under its YAML file's name; the models' own are the rest.
    models = [p for p in compiled.rglob("*.sql") if not any(".yml" in d for d in p.parts)]
    assert len(models) >= 30, models
    slow = []
    for path in models:
        sql = path.read_text()
        assert inject_ctes_into_sql(sql, FIXTURES) == dbt_inject_ctes_into_sql(sql, FIXTURES), path
        if splice_point(sql) is None:
            slow.append(path.name)
    # Not wrong (dbt's own function handles them), only slower: each unit test parses them.
    assert slow == [], f"models left to dbt's parse: {slow}"


@pytest.mark.parametrize(
    "sql",
    [
        "with a as (select 1) select * from a",
        "WITH a AS (SELECT 1) SELECT * FROM a",
        "\n\n-- a comment\n/* a block\n with */\n  with\n  a as (select 1)\nselect * from a\n",
        "-- with\nselect 1",  # a `with` inside a comment only
        "/* with */ select 1",
        "select * from (with a as (select 1) select * from a)",  # no WITH at the top level
        "with recursive r as (select 1 union all select 1 from r) select * from r",
        "with a as (select 1) select * from a; select 2",
        "-- a; b\nwith a as (select ';' as x /* ; */) select * from a",
        "with(a) as (select 1) select * from a",
        "with -- a comment\n  a as (select 1) select * from a",
        "with /* c */ recursive r as (select 1) select * from r",
        "with",
    ],
)
def test_other_shapes_give_what_dbt_gives(sql: str) -> None:
    assert inject_ctes_into_sql(sql, FIXTURES) == dbt_inject_ctes_into_sql(sql, FIXTURES)


def test_no_fixtures_leave_the_sql_as_it_is() -> None:
    assert inject_ctes_into_sql("with a as (select 1) select 2", []) == (
        "with a as (select 1) select 2"
    )


def test_installing_twice_patches_dbt_once() -> None:
    from dbt import compilation

    dbt_cte_injection.install_fast_cte_injection()
    patched = compilation.inject_ctes_into_sql
    dbt_cte_injection.install_fast_cte_injection()
    assert compilation.inject_ctes_into_sql is patched
    assert getattr(patched, dbt_cte_injection.FIX_MARKER)
    sql = "-- x\nwith a as (select 1) select * from a"
    assert patched(sql, FIXTURES) == dbt_inject_ctes_into_sql(sql, FIXTURES)
    assert patched(sql, FIXTURES).startswith("-- x\nwith  __dbt__cte__a as (")
