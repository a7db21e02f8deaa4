"""cxbench/spark.py without Spark: how Spark's exported Parquet becomes the gates' DuckDB file,
and the one-sentence errors of `cxbench build --engine spark` (the Spark build itself is
`make test-spark`, tests/spark/)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from cxbench import spark
from cxbench.errors import CxbenchError
from cxbench.settings import PROJECT_DIR, Settings
from tests.python.helpers import make_settings


def _write_export(settings: Settings, relation: str, select: str) -> None:
    """Parquet as Spark writes it: a folder of part files per relation, instants in UTC."""
    schema, table = relation.split(".")
    folder = spark.export_dir(settings) / schema / table
    folder.mkdir(parents=True)
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'Europe/Helsinki'")  # the writer's zone must not matter
        con.execute(f"copy ({select}) to ? (format parquet)", [str(folder / "part-0.parquet")])
    finally:
        con.close()


def test_exported_instants_become_naive_utc_timestamps(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    relation = "marts.fct_answers"
    _write_export(
        settings,
        relation,
        "select 'a1' as answer_id, timestamptz '2025-03-01 12:00:00+02:00' as responded_at",
    )
    database = spark.load_export(settings, (relation,))
    con = duckdb.connect(str(database), read_only=True)
    try:
        kind = con.execute(
            "select data_type from information_schema.columns where column_name = 'responded_at'"
        ).fetchone()
        value = con.execute(f"select responded_at from {relation}").fetchone()  # noqa: S608
    finally:
        con.close()
    assert kind == ("TIMESTAMP",)
    assert value is not None and str(value[0]) == "2025-03-01 10:00:00"


def test_a_relation_spark_did_not_export_stops_the_build(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    spark.prepare(settings)
    with pytest.raises(CxbenchError, match=r"Spark did not export marts\.dim_metrics"):
        spark.load_export(settings, ("marts.dim_metrics",))


def test_every_relation_the_gates_read_is_exported() -> None:
    relations = spark.exported_relations()
    assert len(relations) == len(set(relations))
    for needed in (
        "marts.fct_file_reconciliation",  # reconciliation
        "intermediate.int_client_metric_periods",  # attack suite
    ):
        assert needed in relations


def _pins(lock: Path) -> dict[str, str]:
    lines = (line.split("==") for line in lock.read_text().splitlines() if "==" in line)
    return {name.strip().lower(): version.strip() for name, version in lines}


@pytest.mark.parametrize(
    ("lock", "wider"),
    [
        ("requirements.lock", "requirements-dev.lock"),
        ("requirements-dev.lock", "requirements-spark.lock"),
    ],
)
def test_each_lock_keeps_every_pin_of_the_one_it_extends(lock: str, wider: str) -> None:
    """`make install-dev` syncs the venv to requirements-dev.lock and `make spark-install` to
    requirements-spark.lock: a package the narrower lock gained since (typer once) would vanish
    from the venv and `cxbench` stop importing, and a pin that differs would make `make test`
    run on other versions than `make run`."""
    narrow = _pins(PROJECT_DIR / lock)
    wide = _pins(PROJECT_DIR / wider)
    assert {n: v for n, v in narrow.items() if wide.get(n) != v} == {}
