"""The same demo built on DuckDB and on Spark gives the same tables, cell by cell.

Not part of `make test` (pytest's testpaths is tests/python): `make test-spark` installs the
spark extra and Java, then runs this module. DuckDB builds and publishes the demo through
`cxbench build`'s own code (`run_build`); Spark runs the same dbt project on the same landed
files (profiles target `spark`, a local session) and exports its tables the way
`cxbench build --engine spark` does (cxbench/spark.py). Every compared relation must have the
same columns and types, the same rows (keys and counts exact) and every double within
REL_TOLERANCE (the engines sum in different orders).

Compared: every published mart (the dbt exposure cxbench_api) and the relations the build's
gates read. On Spark, complementary suppression materialises each round as a table of its own
(macros/privacy/complementary_suppression.sql), so the benchmark-cell marts plan in seconds.
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from cxbench import spark
from cxbench.build import run_build
from cxbench.dbt_runner import run_dbt
from cxbench.demo import generate_demo
from cxbench.settings import PROJECT_DIR, Settings

# Small enough for minutes of Spark on two cores; large enough that every mart has rows, and
# that complementary suppression withholds a cell (1 in fct_benchmark_cells with this seed;
# 48 clients or 30,000–60,000 answers withheld none): the rounds are then compared on a
# decision that changes something (test_the_demo_withholds_by_complementary_suppression).
DEMO = {"clients": 96, "answers": 120_000, "seed": 11}
BENCHMARK_CELLS = (
    "marts.fct_benchmark_cells",
    "marts.fct_driver_benchmark_cells",
    "marts.fct_theme_benchmark_cells",
)
REL_TOLERANCE = 1e-9
ABS_TOLERANCE = 1e-12  # for a statistic that is 0 on one engine and 1e-17 on the other
FLOAT_TYPES = {"DOUBLE", "FLOAT", "REAL"}
# Outside the contracted marts, an integer column's width is the engine's choice (DuckDB sums
# integers into HUGEINT, Spark's row_number() is INT): compared as one kind there.
INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}
CONTRACTED_SCHEMA = "marts."
# Unit tests of the benchmark-cell marts: on Spark their suppression rounds are tables built
# from the model's CTEs before its query, which cannot read a unit test's fixture CTEs. They
# run on DuckDB (make test); the comparison below holds Spark's rows to DuckDB's.
SUPPRESSION_UNIT_TESTS = (
    "test_benchmark_cell_percentiles_and_suppression",
    "test_benchmark_cell_suppression_boundaries",
    "test_complementary_suppression_industry_family",
    "test_quantile_ties_withhold_all_but_the_median",
    "test_complementary_suppression_year_and_quarters",
    "test_complementary_suppression_switched_off",
    "test_driver_benchmark_cells_percentiles_and_suppression",
    "test_theme_benchmark_cells_percentiles_and_suppression",
)
# Unit tests whose expected doubles are DuckDB's to the last digit: Spark's atanh/tanh (Java)
# differ in the 16th digit; the comparison below holds those columns to 1e-9 instead.
LAST_DIGIT_UNIT_TESTS = ("test_driver_importance_interval_and_missing_reasons",)
COMPARED = (
    "reference.clients",
    "reference.metrics",
    "reference.comment_theme_terms",
    "intermediate.int_answers_classified",
    "intermediate.int_responses_summarised",
    "intermediate.int_client_metric_periods",
    "intermediate.int_client_metric_days",
    "intermediate.int_client_metric_windows",
    "intermediate.int_client_drivers",
    "intermediate.int_driver_contributions",
    "intermediate.int_comments_grouped",
    "intermediate.int_comment_themes_matched",
    "intermediate.int_client_comment_theme_periods",
    "intermediate.int_theme_benchmark_contributions",
    "marts.fct_answers",
    "marts.fct_quarantined_rows",
    "marts.fct_file_reconciliation",
    "marts.dim_clients",
    "marts.dim_industries",
    "marts.dim_touchpoints",
    "marts.dim_metrics",
    "marts.dim_comment_themes",
    "marts.fct_comment_verbatims",
    "marts.fct_unit_scorecards",
    "marts.fct_client_alerts",
    "marts.fct_benchmark_cells",
    "marts.fct_driver_benchmark_cells",
    "marts.fct_theme_benchmark_cells",
    "marts.fct_client_scorecards",
    "marts.fct_client_targets",
    "marts.fct_client_drivers",
    "marts.fct_client_touchpoint_impacts",
    "marts.fct_client_comment_themes",
)


def _settings(root: Path, landing: Path) -> Settings:
    return Settings(
        home=root, landing_dir=landing, warehouse_dir=root / "warehouse", duckdb_memory_limit="2GB"
    )


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """The DuckDB build's warehouse file and the DuckDB copy of Spark's tables."""
    base = tmp_path_factory.mktemp("engines")
    landing = base / "landing"
    generate_demo(landing, PROJECT_DIR / "seeds", **DEMO)
    duck = _settings(base / "duckdb", landing)
    started = time.perf_counter()
    record = run_build(duck, report=print)
    assert record.status == "published", record.message
    print(f"DuckDB: cxbench build {time.perf_counter() - started:.1f} s, steps {record.steps}")

    on_spark = _settings(base / "spark", landing)
    shutil.copytree(duck.landed, on_spark.landed)  # the same landed files and load ids
    spark.prepare(on_spark)
    started = time.perf_counter()
    arguments = [
        "build",
        "--exclude",
        *SUPPRESSION_UNIT_TESTS,
        *LAST_DIGIT_UNIT_TESTS,
        *spark.dbt_arguments(on_spark, COMPARED),
    ]
    result = run_dbt(on_spark, arguments, extra_env=spark.dbt_environment(on_spark))
    print(f"Spark: dbt build {time.perf_counter() - started:.1f} s, {result.summary()}")
    assert result.success, [(n.unique_id, n.message) for n in result.failed]
    yield {"duckdb": duck.database, "spark": spark.load_export(on_spark, COMPARED)}
    shutil.rmtree(base, ignore_errors=True)


def _read(database: Path, relation: str) -> tuple[list[tuple[str, str]], list[tuple[object, ...]]]:
    """Columns (name, type) and rows sorted by every non-double column, then the doubles."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        # Relations are this module's constants; column names come from the tables themselves.
        columns = [
            (str(name), str(kind))
            for name, kind, *_ in con.execute(f"describe {relation}").fetchall()
        ]
        keys = [f'"{n}"' for n, kind in columns if kind not in FLOAT_TYPES]
        doubles = [f'round("{n}", 6)' for n, kind in columns if kind in FLOAT_TYPES]
        order = ", ".join(keys + doubles) or "1"
        rows = con.execute(f"select * from {relation} order by {order}").fetchall()  # noqa: S608
    finally:
        con.close()
    return columns, rows


def _same(left: object, right: object, is_double: bool) -> bool:
    if left is None or right is None:
        return left is None and right is None
    if is_double:
        assert isinstance(left, float) and isinstance(right, float)
        if math.isnan(left) or math.isnan(right):
            return math.isnan(left) and math.isnan(right)
        return math.isclose(left, right, rel_tol=REL_TOLERANCE, abs_tol=ABS_TOLERANCE)
    return left == right


def _integers_as_one(columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, "INTEGER" if kind in INTEGER_TYPES else kind) for name, kind in columns]


def compare(duck: Path, other: Path, relations: tuple[str, ...]) -> list[str]:
    """Every difference between the relations of two DuckDB files, as sentences."""
    differences: list[str] = []
    for relation in relations:
        duck_columns, duck_rows = _read(duck, relation)
        other_columns, other_rows = _read(other, relation)
        if not relation.startswith(CONTRACTED_SCHEMA):
            duck_columns, other_columns = (
                _integers_as_one(duck_columns),
                _integers_as_one(other_columns),
            )
        if duck_columns != other_columns:
            differences.append(f"{relation}: columns {duck_columns} vs {other_columns}")
            continue
        if len(duck_rows) != len(other_rows):
            differences.append(f"{relation}: {len(duck_rows)} rows vs {len(other_rows)}")
            continue
        is_double = [kind in FLOAT_TYPES for _, kind in duck_columns]
        for duck_row, other_row in zip(duck_rows, other_rows, strict=True):
            for (name, _), left, right, double in zip(
                duck_columns, duck_row, other_row, is_double, strict=True
            ):
                if not _same(left, right, double):
                    differences.append(f"{relation}.{name}: {left!r} vs {right!r} in {duck_row}")
    return differences


def test_every_compared_table_is_the_same_on_both_engines(databases: dict[str, Path]) -> None:
    differences = compare(databases["duckdb"], databases["spark"], COMPARED)
    assert differences == [], f"{len(differences)} differences:\n" + "\n".join(differences[:40])


def test_the_demo_withholds_by_complementary_suppression(databases: dict[str, Path]) -> None:
    """The suppression rounds are compared on a decision that withholds cells, not only on
    rounds that change nothing: both engines withhold the same (compared above), and it is not
    none."""
    for engine, database in databases.items():
        con = duckdb.connect(str(database), read_only=True)
        try:
            withheld = {
                relation: con.execute(
                    f"select count(*) from {relation} "  # noqa: S608 - this module's constants
                    "where suppressed_reason = 'complementary'"
                ).fetchone()
                for relation in BENCHMARK_CELLS
            }
        finally:
            con.close()
        print(f"{engine}: cells withheld by complementary suppression {withheld}")
        assert withheld["marts.fct_benchmark_cells"] != (0,), engine


def test_the_comparison_sees_a_changed_statistic(
    databases: dict[str, Path], tmp_path: Path
) -> None:
    """The comparison itself can fail: one double moved by 1e-6 relative is a difference."""
    altered = tmp_path / "altered.duckdb"
    shutil.copy(databases["spark"], altered)
    con = duckdb.connect(str(altered))
    try:
        con.execute(
            "update marts.fct_unit_scorecards set value = value * (1 + 1e-6) "
            "where unit_scorecard_id = (select min(unit_scorecard_id) "
            "from marts.fct_unit_scorecards where value <> 0)"
        )
    finally:
        con.close()
    differences = compare(databases["spark"], altered, ("marts.fct_unit_scorecards",))
    assert len(differences) == 1 and differences[0].startswith("marts.fct_unit_scorecards.value")
