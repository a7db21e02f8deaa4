"""The same demo built on DuckDB and on Spark publishes the same snapshot, cell by cell.

Not part of `make test` (pytest's testpaths is tests/python): `make test-spark` installs the
spark extra and Java, then runs this module. Each engine builds through `cxbench build`'s own
code path (`run_build(engine=...)`), from the same landing folder, and every published mart is
compared: the same columns and column types, the same rows by their key columns (exact), and
every double within REL_TOLERANCE (the engines sum in different orders).
"""

from __future__ import annotations

import math
import shutil
import time
from pathlib import Path

import duckdb
import pytest

from cxbench.build import BuildRecord, run_build
from cxbench.demo import generate_demo
from cxbench.publish import PUBLISHED_MARTS, current_snapshot
from cxbench.settings import PROJECT_DIR, Settings

# Small enough for a few minutes of Spark on two cores; large enough that every benchmark mart
# publishes cells (48 clients in the demo's industries).
DEMO = {"clients": 48, "answers": 30_000, "seed": 11}
REL_TOLERANCE = 1e-9
ABS_TOLERANCE = 1e-12  # for statistics that are 0 on one engine and 1e-17 on the other
FLOAT_TYPES = {"DOUBLE", "FLOAT", "REAL"}


def _settings(root: Path, landing: Path) -> Settings:
    return Settings(
        home=root, landing_dir=landing, warehouse_dir=root / "warehouse", duckdb_memory_limit="2GB"
    )


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Settings, BuildRecord]]:
    base = tmp_path_factory.mktemp("engines")
    landing = base / "landing"
    generate_demo(landing, PROJECT_DIR / "seeds", **DEMO)
    results = {}
    for engine in ("duckdb", "spark"):
        settings = _settings(base / engine, landing)
        started = time.perf_counter()
        record = run_build(settings, engine=engine, report=print)
        print(f"{engine}: build {time.perf_counter() - started:.1f} s, steps {record.steps}")
        results[engine] = (settings, record)
    yield results
    shutil.rmtree(base, ignore_errors=True)


def _read(path: Path) -> tuple[list[tuple[str, str]], list[tuple[object, ...]]]:
    """Columns (name, type) and rows sorted by every non-double column, then the doubles."""
    con = duckdb.connect()
    try:
        columns = [
            (str(name), str(kind))
            for name, kind, *_ in con.execute(
                "describe select * from read_parquet(?)", [str(path)]
            ).fetchall()
        ]
        keys = [f'"{n}"' for n, kind in columns if kind not in FLOAT_TYPES]
        doubles = [f'round("{n}", 6)' for n, kind in columns if kind in FLOAT_TYPES]
        order = ", ".join(keys + doubles) or "1"
        rows = con.execute(
            f"select * from read_parquet(?) order by {order}",  # noqa: S608 - column names of our own files
            [str(path)],
        ).fetchall()
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


def compare_marts(duck: Path, spark: Path) -> list[str]:
    """Every difference between two published snapshots, as sentences (none: identical)."""
    differences: list[str] = []
    for mart in PUBLISHED_MARTS:
        duck_columns, duck_rows = _read(duck / f"{mart}.parquet")
        spark_columns, spark_rows = _read(spark / f"{mart}.parquet")
        if duck_columns != spark_columns:
            differences.append(
                f"{mart}: columns {duck_columns} on DuckDB, {spark_columns} on Spark"
            )
            continue
        if len(duck_rows) != len(spark_rows):
            differences.append(
                f"{mart}: {len(duck_rows)} rows on DuckDB, {len(spark_rows)} on Spark"
            )
            continue
        is_double = [kind in FLOAT_TYPES for _, kind in duck_columns]
        for duck_row, spark_row in zip(duck_rows, spark_rows, strict=True):
            for (name, _), left, right, double in zip(
                duck_columns, duck_row, spark_row, is_double, strict=True
            ):
                if not _same(left, right, double):
                    differences.append(
                        f"{mart}.{name}: {left!r} on DuckDB, {right!r} on Spark in row {duck_row}"
                    )
    return differences


def test_both_engines_publish(builds: dict[str, tuple[Settings, BuildRecord]]) -> None:
    for engine, (_, record) in builds.items():
        assert record.status == "published", (engine, record.message)
        assert record.engine == engine


def test_every_published_mart_is_the_same_on_both_engines(
    builds: dict[str, tuple[Settings, BuildRecord]],
) -> None:
    snapshots = {}
    for engine, (settings, _) in builds.items():
        snapshot = current_snapshot(settings.published)
        assert snapshot is not None
        snapshots[engine] = snapshot
    counts = {e: s.manifest["row_counts"] for e, s in snapshots.items()}
    assert counts["duckdb"] == counts["spark"]
    assert counts["duckdb"]["fct_benchmark_cells"] > 0
    differences = compare_marts(snapshots["duckdb"].path, snapshots["spark"].path)
    assert differences == [], f"{len(differences)} differences:\n" + "\n".join(differences[:40])


def test_the_comparison_sees_a_changed_statistic(
    builds: dict[str, tuple[Settings, BuildRecord]], tmp_path: Path
) -> None:
    """The comparison itself can fail: one statistic moved by 1e-6 relative is a difference."""
    snapshot = current_snapshot(builds["duckdb"][0].published)
    assert snapshot is not None
    altered = tmp_path / "altered"
    shutil.copytree(snapshot.path, altered)
    target = altered / "fct_benchmark_cells.parquet"
    con = duckdb.connect()
    try:
        con.execute(
            "copy (select * replace (case when row_number() over "
            "(order by value is null, cell_id) = 1 then value * (1 + 1e-6) else value end "
            "as value) from read_parquet(?)) to ? (format parquet)",
            [str(snapshot.path / "fct_benchmark_cells.parquet"), str(target)],
        )
    finally:
        con.close()
    differences = compare_marts(snapshot.path, altered)
    assert len(differences) == 1 and differences[0].startswith("fct_benchmark_cells.value")
