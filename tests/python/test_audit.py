"""The GX quality gates on real DuckDB files: good tables pass, each broken invariant fails
under its own name, and the GX 1.x / duckdb_engine result bug stays fixed (or is reported
fixed upstream, so the patch can go)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from cxbench.audit import AuditError, AuditResult, run_audit
from cxbench.gx_duckdb_fix import install_duckdb_result_fix
from cxbench.relations import MARTS, connect_read_only

EXPECTATIONS = Path(__file__).resolve().parents[2] / "expectations"
BENCHMARK_SUITE = EXPECTATIONS / "benchmark_cells.json"
RAW_SUITE = EXPECTATIONS / "raw_landing.json"
CELLS = (MARTS, "fct_benchmark_cells")
LANDED = ("raw", "landed_answers")

# Published nps/ces/csat cells and one suppressed cell per reason; values hand-picked in range.
# p10 and p90 only where 10 or more clients contribute (DESIGN §5.1).
GOOD_CELLS = f"""
create schema {MARTS};
create table {MARTS}.fct_benchmark_cells (
    cell_id varchar, industry_code varchar, touchpoint_code varchar, period_grain varchar,
    period varchar, metric_code varchar, n_clients integer, n_responses bigint,
    value double, mean double, p10 double, p25 double, median double, p75 double, p90 double,
    moe double, max_client_share double, is_published boolean, suppressed_reason varchar,
    suppression_round integer, suppression_family varchar
);
insert into {MARTS}.fct_benchmark_cells values
    ('retail|web|2025-07|nps', 'retail', 'web', 'month', '2025-07', 'nps',
     6, 600, 32.5, 30.1, null, 12, 31, 45, null, 4.2, 0.21, true, null, null, null),
    ('retail|web|2025-Q3|ces', 'retail', 'web', 'quarter', '2025-Q3', 'ces',
     5, 900, 5.4, 5.3, null, 4.8, 5.4, 5.9, null, 0.1, 0.25, true, null, null, null),
    ('*|*|2025|csat', '*', '*', 'year', '2025', 'csat',
     12, 4000, 81.0, 80.2, 61, 72, 81, 88, 93, 1.1, 0.19, true, null, null, null),
    ('bank|app|2025-07|nps', 'bank', 'app', 'month', '2025-07', 'nps',
     3, 250, null, null, null, null, null, null, null, null, 0.4, false, 'too_few_clients',
     null, null),
    ('bank|web|2025-07|osat', 'bank', 'web', 'month', '2025-07', 'osat',
     5, 700, null, null, null, null, null, null, null, null, 0.6, false, 'dominant_client',
     null, null),
    ('grocery|web|2025|nps', 'grocery', 'web', 'year', '2025', 'nps',
     7, 900, null, null, null, null, null, null, null, null, 0.2, false, 'complementary',
     1, 'industry');
-- The catalogue the range and metric checks read (a part of dim_metrics).
create table {MARTS}.dim_metrics (
    metric_code varchar, value_min double, value_max double, is_benchmarked boolean
);
insert into {MARTS}.dim_metrics values
    ('nps', -100, 100, true), ('csat', 0, 100, true), ('ces', 1, 7, true),
    ('osat', 0, 100, true), ('cxi_value', 0, 100, false);
"""  # noqa: S608

GOOD_LANDED = """
create schema raw;
create table raw.landed_answers as
select
    case when i = 7 then null else 'c' || (i % 5) end as client_id,
    'r' || (i // 4) as response_id,
    '2025-07-01T10:00:00+02:00' as responded_at,
    'Web shop' as touchpoint,
    'email' as channel,
    null::varchar as unit,
    'q' || (i % 4) as question,
    (i % 11)::varchar as answer,
    'deliveries/batch_' || (i // 100) || '.csv' as source_file,
    (i % 100)::bigint as source_row,
    'csv' as source_format
from range(200) as r(i);
"""


def make_db(path: Path, *statements: str) -> Path:
    with duckdb.connect(str(path)) as con:
        for statement in statements:
            con.execute(statement)
    return path


@pytest.fixture
def cells_db(tmp_path: Path) -> Path:
    # Not "marts.duckdb": a catalog named like the schema makes "marts.x" ambiguous in DuckDB.
    return make_db(tmp_path / "cells.duckdb", GOOD_CELLS)


@pytest.fixture
def landed_db(tmp_path: Path) -> Path:
    return make_db(tmp_path / "landing.duckdb", GOOD_LANDED)


def audit_cells(database: Path, **params: object) -> AuditResult:
    return run_audit(database, *CELLS, BENCHMARK_SUITE, params)


def failed(result: AuditResult) -> list[str]:
    return [outcome.expectation for outcome in result.outcomes if not outcome.success]


# --- benchmark cells -------------------------------------------------------------------------


def test_good_benchmark_cells_pass_with_every_expectation_evaluated(cells_db: Path) -> None:
    result = audit_cells(cells_db)

    assert result.success, failed(result)
    assert result.table == f"{MARTS}.fct_benchmark_cells"
    assert len(result.outcomes) == len(json.loads(BENCHMARK_SUITE.read_text())["expectations"])
    details = {outcome.expectation: outcome.detail for outcome in result.outcomes}
    # Real numbers came back from DuckDB: the bug made these empty or errors.
    assert details["expect_table_row_count_to_be_between"] == "observed 6"
    assert details["expect_column_values_to_not_be_null(cell_id)"] == "0 unexpected of 6 rows"
    assert details["unexpected_rows_expectation(published_min_clients)"] == "0 unexpected rows"
    manifest = json.loads(json.dumps(result.to_dict()))
    assert manifest["params"] == {
        "min_clients": 5,
        "max_client_share": 0.25,
        "min_clients_p10_p90": 10,
    }
    assert manifest["success"] is True


@pytest.mark.parametrize(
    ("violation", "expected_failure"),
    [
        (
            "update {t} set n_clients = 4 where cell_id = 'retail|web|2025-07|nps'",
            "unexpected_rows_expectation(published_min_clients)",
        ),
        (
            "update {t} set max_client_share = 0.26 where cell_id = 'retail|web|2025-07|nps'",
            "unexpected_rows_expectation(published_no_dominant_client)",
        ),
        (
            "update {t} set p25 = 7.1 where cell_id = 'bank|app|2025-07|nps'",
            "unexpected_rows_expectation(suppressed_cells_withhold_statistics)",
        ),
        (
            "update {t} set moe = 2.0 where cell_id = 'bank|web|2025-07|osat'",
            "unexpected_rows_expectation(suppressed_cells_withhold_statistics)",
        ),
        (
            "update {t} set median = null where cell_id = '*|*|2025|csat'",
            "unexpected_rows_expectation(published_cells_have_statistics)",
        ),
        (
            "update {t} set value = 101 where cell_id = 'retail|web|2025-07|nps'",
            "unexpected_rows_expectation(values_within_metric_scale)",
        ),
        (
            "update {t} set p25 = 0.5 where cell_id = 'retail|web|2025-Q3|ces'",
            "unexpected_rows_expectation(values_within_metric_scale)",
        ),
        (
            "update {t} set p90 = 70 where cell_id = 'retail|web|2025-07|nps'",
            "unexpected_rows_expectation(no_p10_p90_below_min_clients_p10_p90)",
        ),
        (
            "update {t} set suppression_family = null where cell_id = 'grocery|web|2025|nps'",
            "unexpected_rows_expectation(complementary_cells_say_round_and_family)",
        ),
        (
            "update {t} set suppressed_reason = 'secret', suppression_round = null, "
            "suppression_family = null where cell_id = 'grocery|web|2025|nps'",
            "expect_column_values_to_be_in_set(suppressed_reason)",
        ),
        (
            "update {t} set p25 = 35 where cell_id = 'retail|web|2025-07|nps'",
            "unexpected_rows_expectation(percentiles_ordered)",
        ),
        (
            "update {t} set metric_code = 'ces2' where cell_id = 'bank|app|2025-07|nps'",
            "unexpected_rows_expectation(metrics_from_the_catalogue)",
        ),
        (
            "update {t} set metric_code = 'cxi_value' where cell_id = 'bank|app|2025-07|nps'",
            "unexpected_rows_expectation(metrics_from_the_catalogue)",
        ),
        (
            "update {t} set cell_id = 'bank|app|2025-07|nps' where cell_id = '*|*|2025|csat'",
            "expect_column_values_to_be_unique(cell_id)",
        ),
    ],
)
def test_each_broken_invariant_fails_under_its_own_name(
    cells_db: Path, violation: str, expected_failure: str
) -> None:
    make_db(cells_db, violation.format(t=".".join(CELLS)))

    result = audit_cells(cells_db)

    assert not result.success
    assert failed(result) == [expected_failure]


def test_published_cell_with_a_suppressed_reason_breaks_the_publish_rule(cells_db: Path) -> None:
    make_db(
        cells_db,
        f"update {MARTS}.fct_benchmark_cells set suppressed_reason = 'dominant_client'"  # noqa: S608
        " where cell_id = '*|*|2025|csat'",
    )

    assert failed(audit_cells(cells_db)) == [
        "unexpected_rows_expectation(published_iff_not_suppressed)"
    ]


def test_privacy_thresholds_come_from_params(cells_db: Path) -> None:
    # The ces cell has exactly 5 clients and a 0.25 share: it passes the defaults only.
    stricter = audit_cells(cells_db, min_clients=6, max_client_share=0.24)

    assert failed(stricter) == [
        "unexpected_rows_expectation(published_min_clients)",
        "unexpected_rows_expectation(published_no_dominant_client)",
    ]
    assert stricter.to_dict()["params"] == {
        "min_clients": 6,
        "max_client_share": 0.24,
        "min_clients_p10_p90": 10,
    }


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"min_clients": "5; drop table x"}, "must be a number"),
        ({"min_clients": True}, "must be a number"),
        ({"min_clients": float("nan")}, "finite"),
        ({"min_client": 5}, "no parameter named min_client"),
    ],
)
def test_bad_params_are_refused_before_any_sql_runs(
    cells_db: Path, params: dict[str, object], message: str
) -> None:
    with pytest.raises(AuditError, match=message):
        run_audit(cells_db, *CELLS, BENCHMARK_SUITE, params)


# --- raw landing -----------------------------------------------------------------------------


def test_good_landing_passes_with_a_few_rows_for_quarantine(landed_db: Path) -> None:
    result = run_audit(landed_db, *LANDED, RAW_SUITE)

    assert result.success, failed(result)
    client_ids = next(o for o in result.outcomes if o.expectation.endswith("(client_id)"))
    assert client_ids.detail.startswith("1 unexpected of 200 rows")


def test_sample_values_are_fetched_only_where_something_is_unexpected(landed_db: Path) -> None:
    # Samples come from a second pass (the first asks for none, so a clean column costs no scan).
    make_db(landed_db, "update raw.landed_answers set source_format = 'xlsx' where source_row = 3")

    details = {o.expectation: o.detail for o in run_audit(landed_db, *LANDED, RAW_SUITE).outcomes}

    assert details["expect_column_values_to_be_in_set(source_format)"] == (
        "2 unexpected of 200 rows (1%); e.g. 'xlsx', 'xlsx'"
    )
    assert details["expect_column_values_to_not_be_null(source_file)"] == "0 unexpected of 200 rows"


@pytest.mark.parametrize(
    ("breakage", "expected_failure"),
    [
        (
            "update {t} set client_id = null where source_row < 20",
            "expect_column_values_to_not_be_null(client_id)",
        ),
        (
            "update {t} set source_row = 0 where source_row = 1",
            "expect_compound_columns_to_be_unique(source_file, source_row)",
        ),
        (
            "update {t} set source_format = 'xlsx' where source_row = 3",
            "expect_column_values_to_be_in_set(source_format)",
        ),
        ("delete from {t}", "expect_table_row_count_to_be_between"),
        ("alter table {t} drop column question", "expect_table_columns_to_match_set"),
    ],
)
def test_broken_landing_fails_under_its_own_name(
    landed_db: Path, breakage: str, expected_failure: str
) -> None:
    make_db(landed_db, breakage.format(t=".".join(LANDED)))

    assert expected_failure in failed(run_audit(landed_db, *LANDED, RAW_SUITE))


# --- errors are failures or one-sentence AuditErrors, never silent passes --------------------


def write_suite(path: Path, expectations: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps({"expectations": expectations}), encoding="utf-8")
    return path


def test_an_expectation_that_errors_fails_without_poisoning_the_others(
    cells_db: Path, tmp_path: Path
) -> None:
    suite = write_suite(
        tmp_path / "suite.json",
        [
            {
                "type": "unexpected_rows_expectation",
                "kwargs": {"unexpected_rows_query": "select no_such_column from {batch}"},
                "meta": {"name": "broken_sql"},
            },
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "missing"}},
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "cell_id"}},
            {
                "type": "unexpected_rows_expectation",
                "kwargs": {"unexpected_rows_query": "select * from {batch} where n_clients < 5"},
                "meta": {"name": "after_the_error"},
            },
        ],
    )

    outcomes = run_audit(cells_db, *CELLS, suite).outcomes

    assert [o.success for o in outcomes] == [False, False, True, False]
    assert outcomes[0].detail.startswith("error: ") and "no_such_column" in outcomes[0].detail
    assert outcomes[1].detail.startswith("error: ")
    assert "Traceback" not in outcomes[0].detail + outcomes[1].detail
    assert outcomes[3].detail == "1 unexpected rows"


def test_missing_suite_file_is_one_clear_sentence(cells_db: Path, tmp_path: Path) -> None:
    with pytest.raises(AuditError) as raised:
        run_audit(cells_db, *CELLS, tmp_path / "nope.json")

    assert str(raised.value) == f"Suite file {tmp_path / 'nope.json'} does not exist."


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ('{"expectations": []}', "non-empty 'expectations' list"),
        ('{"expectations": [{"type": "expect_nothing_at_all"}]}', "not a known"),
        (
            '{"expectations": [{"type": "expect_column_values_to_not_be_null",'
            ' "kwargs": {"colum": "cell_id"}}]}',
            "invalid kwargs",
        ),
        (
            '{"expectations": [{"type": "unexpected_rows_expectation",'
            ' "kwargs": {"unexpected_rows_query": "select 1 from marts.t"},'
            ' "meta": {"name": "x"}}]}',
            "from \\{batch\\}",
        ),
        (
            '{"expectations": [{"type": "unexpected_rows_expectation",'
            ' "kwargs": {"unexpected_rows_query": "select * from {batch} where n < {nope}"},'
            ' "meta": {"name": "x"}}]}',
            "undeclared parameter \\{nope\\}",
        ),
    ],
)
def test_malformed_suite_is_one_clear_sentence(
    cells_db: Path, tmp_path: Path, content: str, message: str
) -> None:
    suite = tmp_path / "bad.json"
    suite.write_text(content, encoding="utf-8")

    with pytest.raises(AuditError, match=message) as raised:
        run_audit(cells_db, *CELLS, suite)

    assert "\n" not in str(raised.value)


def test_missing_database_or_table_is_an_audit_error(cells_db: Path, tmp_path: Path) -> None:
    with pytest.raises(AuditError, match="does not exist"):
        run_audit(tmp_path / "absent.duckdb", *CELLS, BENCHMARK_SUITE)
    with pytest.raises(AuditError, match=rf"{MARTS}\.fct_nothing does not exist"):
        run_audit(cells_db, MARTS, "fct_nothing", BENCHMARK_SUITE)
    with pytest.raises(AuditError, match="not a plain SQL identifier"):
        run_audit(cells_db, MARTS, "cells; drop table x", BENCHMARK_SUITE)


def test_audit_releases_the_database_for_the_next_writer(cells_db: Path) -> None:
    audit_cells(cells_db)

    # The same process may open the file read-write only once every audit handle is closed.
    with duckdb.connect(str(cells_db)) as con:
        con.execute(f"update {MARTS}.fct_benchmark_cells set moe = moe")  # noqa: S608


def test_an_audit_opens_the_warehouse_beside_the_builds_own_connection(cells_db: Path) -> None:
    """The mart audit runs while the export and the attack gate read the warehouse (cxbench/
    build.py); DuckDB lets one process open a file twice only with one configuration."""
    with connect_read_only(cells_db) as con:
        result = audit_cells(cells_db)
        counted = con.execute(f"select count(*) from {MARTS}.fct_benchmark_cells").fetchone()  # noqa: S608
    assert result.success and counted is not None and counted[0] > 0


# --- the GX 1.x SQL-on-DuckDB fix ------------------------------------------------------------


def test_upstream_still_reads_duckdb_results_after_closing_the_connection(
    cells_db: Path,
) -> None:
    """Canary for GX #10738/#11579: when this fails, upstream is fixed; drop the patch."""
    import sqlalchemy as sa

    engine = sa.create_engine(f"duckdb:///{cells_db}", connect_args={"read_only": True})
    try:
        with engine.connect() as connection:
            result = connection.execute(sa.text("select 42"))
        assert result.fetchall() == [], "duckdb_engine now keeps results: remove the GX patch"
    finally:
        engine.dispose()


def test_without_the_fix_gx_cannot_audit_duckdb(
    cells_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine

    install_duckdb_result_fix()
    upstream: Callable[..., object] = SqlAlchemyExecutionEngine._cxbench_duckdb_result_fix  # type: ignore[attr-defined]
    monkeypatch.setattr(SqlAlchemyExecutionEngine, "get_connection", upstream)

    broken = audit_cells(cells_db)

    assert not broken.success
    errors = [o.detail for o in broken.outcomes if o.detail.startswith("error: ")]
    assert "error: list index out of range" in errors
    assert "error: 'NoneType' object is not subscriptable" in errors
