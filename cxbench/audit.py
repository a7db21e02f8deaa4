"""Quality gates: validate one DuckDB table against a declarative Great Expectations suite.

The build calls `run_audit` twice: on the landed raw batch before dbt runs, and on the marts
before anything is published. A failed gate stops publication, so an audit must never pass by
accident: an expectation that errors inside Great Expectations (GX) is a failed outcome, and
an expectation that GX silently drops is a failed outcome too.

Why it looks the way it does:

- Suites are JSON files in `expectations/` (a list of `type` + `kwargs` [+ `meta`]), read into
  an ephemeral GX context on every run, so nothing GX generates (ids, stores) lands in git.
- Tables are validated where they are, in SQL on DuckDB through GX's SQLAlchemy datasource and
  `duckdb_engine`, so a 10M-row landing batch is never pulled into pandas.
- The database is opened read-only: the build has closed its writer, and an audit must not
  be able to change what it audits.
- GX 1.x reads SQL results after it has closed the connection that produced them, which
  `duckdb_engine` silently answers with no rows (the patch in `cxbench.gx_duckdb_fix`).
- Thresholds that are dbt vars (`min_clients`, `max_client_share`) are `{name}` placeholders
  in the suite, filled with validated numbers only, so a caller's value can never inject SQL.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cxbench.gx_duckdb_fix import close_execution_engine, install_duckdb_result_fix
from cxbench.relations import read_only_config

if TYPE_CHECKING:
    from great_expectations.core.expectation_validation_result import (
        ExpectationValidationResult,
    )
    from great_expectations.datasource.fluent.interfaces import Batch
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine
    from great_expectations.expectations.expectation import Expectation

__all__ = [
    "AuditError",
    "AuditResult",
    "ExpectationOutcome",
    "run_audit",
]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# `{name}` but not GX's escaped `{{name}}`; `{batch}` is GX's own placeholder for the table.
_PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})")
_GX_BATCH_PLACEHOLDER = "batch"
_UNEXPECTED_ROWS = "unexpected_rows_expectation"
_DETAIL_MAX_CHARS = 300
_SAMPLE_VALUES = 3
# What GX needs for a verdict (counts); SUMMARY/COMPLETE cost extra queries. Sample values
# cost one more query per column expectation, and one that finds nothing scans the whole table
# (`... where <unexpected> limit n`), so the first pass asks for none (GX then sends `limit 0`,
# which DuckDB answers without reading) and only expectations with unexpected values are run
# again for samples.
_RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 0}
_SAMPLES_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": _SAMPLE_VALUES}
_POSITION = "cxbench_position"


class AuditError(Exception):
    """An audit could not run at all (bad suite, parameters, database or table).

    Distinct from a failed audit: the caller should report the one-sentence message as is.
    """


@dataclass(frozen=True)
class ExpectationOutcome:
    """The verdict on one expectation, short enough for a manifest and a status line."""

    expectation: str
    success: bool
    detail: str

    def to_dict(self) -> dict[str, object]:
        return {"expectation": self.expectation, "success": self.success, "detail": self.detail}


@dataclass(frozen=True)
class AuditResult:
    """The verdict on one table; `success` only when every expectation succeeded.

    `params` records the threshold values the suite was run with, so a manifest shows which
    privacy thresholds a published snapshot was checked against.
    """

    suite: str
    table: str
    success: bool
    outcomes: tuple[ExpectationOutcome, ...]
    params: tuple[tuple[str, int | float], ...] = ()

    @property
    def failures(self) -> tuple[ExpectationOutcome, ...]:
        return tuple(outcome for outcome in self.outcomes if not outcome.success)

    def to_dict(self) -> dict[str, object]:
        return {
            "suite": self.suite,
            "table": self.table,
            "success": self.success,
            "params": dict(self.params),
            "outcomes": [outcome.to_dict() for outcome in self.outcomes],
        }


@dataclass(frozen=True)
class _SuiteEntry:
    label: str
    type: str
    kwargs: dict[str, Any]
    meta: dict[str, Any]


@dataclass(frozen=True)
class _Suite:
    name: str
    entries: tuple[_SuiteEntry, ...]
    params: tuple[tuple[str, int | float], ...]


# --------------------------------------------------------------------------------------------
# Public entry point


def run_audit(
    database: Path,
    schema: str,
    table: str,
    suite_file: Path,
    params: Mapping[str, object] | None = None,
) -> AuditResult:
    """Validate `schema.table` in the DuckDB file `database` against `suite_file`.

    `params` fills the suite's `{name}` placeholders and overrides the defaults the suite
    declares; only numbers are accepted, and a name the suite does not declare is an error
    (a misspelt threshold must not silently fall back to a default).

    Raises AuditError when the audit cannot run; a table that breaks expectations is a normal
    result with `success=False`.
    """
    suite = _load_suite(suite_file, params or {})
    for kind, name in (("schema", schema), ("table", table)):
        if not _IDENTIFIER.fullmatch(name):
            raise AuditError(f"The {kind} name {name!r} is not a plain SQL identifier.")
    database = Path(database)
    if not database.is_file():
        raise AuditError(f"The database file {database} does not exist.")

    expectations = [_build_expectation(suite.name, entry) for entry in suite.entries]
    with _duckdb_batch(database, schema, table) as batch:
        results = _validate(batch, expectations)
    outcomes = tuple(
        _outcome(entry, results.get(index)) for index, entry in enumerate(suite.entries)
    )
    return AuditResult(
        suite=suite.name,
        table=f"{schema}.{table}",
        success=all(outcome.success for outcome in outcomes),
        outcomes=outcomes,
        params=suite.params,
    )


# --------------------------------------------------------------------------------------------
# Suite files and parameters


def _load_suite(suite_file: Path, params: Mapping[str, object]) -> _Suite:
    """Read a suite file and fill its placeholders; every problem is one AuditError sentence.

    Shape: {"name": str?, "params": {name: number}?, "expectations": [{"type", "kwargs",
    "meta"?}]}. `meta.name` labels an expectation (needed for UnexpectedRowsExpectation,
    whose SQL is no label); labels must be unique so each outcome names one expectation.
    """
    suite_file = Path(suite_file)
    where = f"Suite file {suite_file}"
    try:
        text = suite_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AuditError(f"{where} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditError(f"{where} cannot be read ({exc.__class__.__name__}).") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AuditError(
            f"{where} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})."
        ) from None
    if not isinstance(document, dict):
        raise AuditError(f"{where} must hold a JSON object with an 'expectations' list.")
    unknown_keys = sorted(set(document) - {"name", "description", "params", "expectations"})
    if unknown_keys:
        raise AuditError(f"{where} has unknown top-level keys: {', '.join(unknown_keys)}.")

    name = document.get("name", suite_file.stem)
    if not isinstance(name, str) or not name:
        raise AuditError(f"{where} has a 'name' that is not a non-empty string.")
    values = _resolve_params(where, document.get("params", {}), params)

    raw_entries = document.get("expectations")
    if not isinstance(raw_entries, list) or not raw_entries:
        raise AuditError(f"{where} must have a non-empty 'expectations' list.")
    entries: list[_SuiteEntry] = []
    used: set[str] = set()
    for position, raw in enumerate(raw_entries, start=1):
        entry = _parse_entry(f"{where}, expectation {position},", raw, values, used)
        if any(entry.label == other.label for other in entries):
            raise AuditError(
                f"{where} has two expectations labelled {entry.label}; give one a meta.name."
            )
        entries.append(entry)
    unused = sorted(set(values) - used)
    if unused:
        raise AuditError(f"{where} declares parameters it never uses: {', '.join(unused)}.")
    return _Suite(name=name, entries=tuple(entries), params=tuple(sorted(values.items())))


def _resolve_params(
    where: str, declared: object, given: Mapping[str, object]
) -> dict[str, int | float]:
    """Suite defaults overridden by the caller's values, all checked to be finite numbers."""
    if not isinstance(declared, dict):
        raise AuditError(f"{where} has 'params' that is not an object of name: number.")
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise AuditError(
            f"{where} has no parameter named {', '.join(map(str, unknown))}"
            f" (it declares: {', '.join(sorted(declared)) or 'none'})."
        )
    values: dict[str, int | float] = {}
    for key, value in {**declared, **given}.items():
        if not isinstance(key, str) or not _IDENTIFIER.fullmatch(key) or key == "batch":
            raise AuditError(f"{where}: {key!r} is not a valid parameter name.")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise AuditError(f"{where}: parameter {key} must be a number, not {value!r}.")
        if not math.isfinite(value):
            raise AuditError(f"{where}: parameter {key} must be a finite number.")
        values[key] = value
    return values


def _parse_entry(
    where: str, raw: object, values: Mapping[str, int | float], used: set[str]
) -> _SuiteEntry:
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        raise AuditError(f"{where} must be an object with a string 'type'.")
    unknown_keys = sorted(set(raw) - {"type", "kwargs", "meta"})
    if unknown_keys:
        raise AuditError(f"{where} has unknown keys: {', '.join(unknown_keys)}.")
    kwargs = raw.get("kwargs", {})
    meta = raw.get("meta", {})
    if not isinstance(kwargs, dict) or not isinstance(meta, dict):
        raise AuditError(f"{where} must have 'kwargs' and 'meta' as JSON objects.")
    if "result_format" in kwargs or "catch_exceptions" in kwargs:
        raise AuditError(f"{where} sets result_format or catch_exceptions, which the audit owns.")
    kwargs = _substitute(where, kwargs, values, used)
    expectation_type: str = raw["type"]
    if expectation_type == _UNEXPECTED_ROWS:
        query = kwargs.get("unexpected_rows_query")
        if not isinstance(query, str) or "{batch}" not in query:
            raise AuditError(f"{where} needs an unexpected_rows_query that reads from {{batch}}.")
        if not isinstance(meta.get("name"), str):
            raise AuditError(f"{where} is an unexpected_rows_expectation without a meta.name.")
    return _SuiteEntry(
        label=_label(expectation_type, kwargs, meta),
        type=expectation_type,
        kwargs=kwargs,
        meta=meta,
    )


def _substitute(where: str, value: Any, values: Mapping[str, int | float], used: set[str]) -> Any:
    """Replace `{name}` placeholders; a value that is only a placeholder becomes the number."""
    if isinstance(value, dict):
        return {key: _substitute(where, item, values, used) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(where, item, values, used) for item in value]
    if not isinstance(value, str):
        return value

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == _GX_BATCH_PLACEHOLDER:
            return match.group(0)
        if name not in values:
            raise AuditError(f"{where} uses the undeclared parameter {{{name}}}.")
        used.add(name)
        return repr(values[name])

    whole = _PLACEHOLDER.fullmatch(value)
    if whole and whole.group(1) != _GX_BATCH_PLACEHOLDER:
        number(whole)
        return values[whole.group(1)]
    return _PLACEHOLDER.sub(number, value)


def _label(expectation_type: str, kwargs: Mapping[str, Any], meta: Mapping[str, Any]) -> str:
    """`type(argument)`: the meta name if any, else the column(s) the expectation is about."""
    argument: object = meta.get("name")
    if argument is None and "column_A" in kwargs and "column_B" in kwargs:
        argument = [kwargs["column_A"], kwargs["column_B"]]
    elif argument is None:
        argument = kwargs.get("column", kwargs.get("column_list"))
    if isinstance(argument, list | tuple):
        argument = ", ".join(map(str, argument))
    return f"{expectation_type}({argument})" if argument is not None else expectation_type


def _build_expectation(suite_name: str, entry: _SuiteEntry) -> Expectation:
    """Turn one entry into a GX object now, so a typo fails before the database is opened."""
    from great_expectations.exceptions import ExpectationNotFoundError
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    where = f"Suite {suite_name}: {entry.label}"
    try:
        return ExpectationConfiguration(
            type=entry.type, kwargs=entry.kwargs, meta=entry.meta
        ).to_domain_obj()
    except ExpectationNotFoundError:
        raise AuditError(f"{where} is not a known Great Expectations type.") from None
    except (ValueError, TypeError) as exc:  # pydantic's ValidationError is a ValueError
        first = " ".join(str(exc).split())
        raise AuditError(f"{where} has invalid kwargs: {first[:_DETAIL_MAX_CHARS]}.") from None


# --------------------------------------------------------------------------------------------
# Running GX


@contextlib.contextmanager
def _duckdb_batch(database: Path, schema: str, table: str) -> Iterator[Batch]:
    """An ephemeral GX context with one read-only DuckDB table asset; everything closed after.

    Each connection GX opens gets `search_path` set to the audited schema: with SQLAlchemy
    2.1, `duckdb_engine`'s column reflection queries `pg_catalog.pg_collation`, which DuckDB
    lacks, and GX's fallback (`SELECT * FROM <table> LIMIT 1`) drops the schema, so without
    it every column expectation fails on "table does not exist". DuckDB refuses the setting
    in `connect()`'s config, hence the pool listener.
    """
    import great_expectations as gx
    import sqlalchemy as sa
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    install_duckdb_result_fix()
    context = gx.get_context(
        mode="ephemeral",
        project_config=DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
        ),
    )
    engines: list[Any] = []
    execution_engine: SqlAlchemyExecutionEngine | None = None
    try:
        datasource = context.data_sources.add_sql(
            name="cxbench_duckdb",
            connection_string=f"duckdb:///{database.resolve()}",
            create_temp_table=False,
            kwargs={"connect_args": {"read_only": True, "config": read_only_config()}},
        )
        engines.append(datasource.get_engine())
        _require_table(engines[0], database, schema, table)
        execution_engine = datasource.get_execution_engine()
        engines.append(execution_engine.engine)

        def use_schema(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute(f"SET search_path = '{schema}'")

        sa.event.listen(execution_engine.engine, "connect", use_schema)
        with warnings.catch_warnings():
            # GX would rather have the schema in the connection; DuckDB has none to give, and
            # an explicit `schema.table` in every query beats relying on `search_path` alone.
            warnings.filterwarnings("ignore", "`schema_name` is deprecated", DeprecationWarning)
            asset = datasource.add_table_asset(name=table, table_name=table, schema_name=schema)
        batch = asset.add_batch_definition_whole_table("whole_table").get_batch()
        if batch.data.execution_engine is not execution_engine:
            raise AuditError("Great Expectations built a second execution engine unexpectedly.")
        yield batch
    except AuditError:
        raise
    except Exception as exc:
        raise AuditError(
            f"Great Expectations could not open {schema}.{table} in {database}: {_first_line(exc)}."
        ) from None
    finally:
        if execution_engine is not None:
            close_execution_engine(execution_engine)
        for engine in engines:
            engine.dispose()


def _require_table(engine: Any, database: Path, schema: str, table: str) -> None:
    """Fail with one sentence when the file cannot be opened or the table is missing."""
    import sqlalchemy as sa

    try:
        with engine.connect() as connection:
            found = connection.execute(
                sa.text(
                    "select count(*) from information_schema.tables"
                    " where table_schema = :schema and table_name = :table"
                ),
                {"schema": schema, "table": table},
            ).scalar_one()
    except Exception as exc:
        raise AuditError(
            f"The database {database} cannot be opened read-only: {_first_line(exc)}."
        ) from None
    if not found:
        raise AuditError(f"The table {schema}.{table} does not exist in {database}.")


def _validate(
    batch: Batch, expectations: list[Expectation]
) -> dict[int, ExpectationValidationResult | str]:
    """Result (or error message) by suite position: the suite at once, one by one if that fails.

    Validating the suite at once lets GX bundle column metrics into few queries. If GX itself
    crashes, each expectation is retried alone so every one still gets its own verdict.
    Positions ride in `meta` because GX does not promise to return results in suite order; a
    position with no result later reads as a failure, never as a pass.
    """
    import great_expectations as gx

    for index, expectation in enumerate(expectations):
        expectation.meta = {**(expectation.meta or {}), _POSITION: index}
    suite = gx.ExpectationSuite(name="cxbench_audit", expectations=expectations)
    outcomes: dict[int, ExpectationValidationResult | str] = {}
    try:
        results = list(batch.validate(suite, result_format=_RESULT_FORMAT).results)
    except Exception:
        results = []
        for index, expectation in enumerate(expectations):
            try:
                results.append(batch.validate(expectation, result_format=_RESULT_FORMAT))
            except Exception as exc:
                outcomes[index] = _first_line(exc)
    for result in results:
        config = result.expectation_config
        position = (config.meta or {}).get(_POSITION) if config is not None else None
        if isinstance(position, int):
            outcomes[position] = result
    for index, outcome in outcomes.items():
        _add_samples(batch, expectations[index], outcome)
    return outcomes


def _add_samples(
    batch: Batch, expectation: Expectation, result: ExpectationValidationResult | str
) -> None:
    """Fill in sample values for a column expectation that found unexpected ones.

    The verdict and counts stay those of the first pass; a second pass that fails only leaves
    the detail without samples.
    """
    if isinstance(result, str) or _exception_message(result.exception_info) is not None:
        return
    found = result.result or {}
    counted = found.get("unexpected_count")
    if not (isinstance(counted, int) and counted > 0 and "partial_unexpected_list" in found):
        return
    try:
        again = batch.validate(expectation, result_format=_SAMPLES_FORMAT)
    except Exception:  # samples are optional detail
        return
    samples = (again.result or {}).get("partial_unexpected_list")
    if _exception_message(again.exception_info) is None and isinstance(samples, list):
        found["partial_unexpected_list"] = samples


def _outcome(
    entry: _SuiteEntry, result: ExpectationValidationResult | str | None
) -> ExpectationOutcome:
    if result is None:
        return ExpectationOutcome(
            entry.label, False, "error: Great Expectations returned no result"
        )
    if isinstance(result, str):
        return ExpectationOutcome(entry.label, False, _clip(f"error: {result}"))
    error = _exception_message(result.exception_info)
    if error is not None:
        return ExpectationOutcome(entry.label, False, _clip(f"error: {error}"))
    return ExpectationOutcome(entry.label, bool(result.success), _detail(entry, result.result))


def _exception_message(exception_info: object) -> str | None:
    """GX reports exceptions either flat or keyed by metric; either way it is a failure."""
    if not isinstance(exception_info, dict) or not exception_info:
        return None
    if "raised_exception" in exception_info:
        if not exception_info.get("raised_exception"):
            return None
        return _first_line(exception_info.get("exception_message") or "unknown error")
    for info in exception_info.values():
        if isinstance(info, dict) and info.get("raised_exception", True):
            return _first_line(info.get("exception_message") or "unknown error")
    return None


def _detail(entry: _SuiteEntry, result: Mapping[str, Any]) -> str:
    """Counts and observed values only: rows may hold a single client's figures."""
    if entry.type == _UNEXPECTED_ROWS:
        count = result.get("observed_value")
        return f"{count} unexpected rows"
    if "unexpected_count" in result:
        count = result.get("unexpected_count") or 0
        total = result.get("element_count")
        percent = result.get("unexpected_percent")
        text = f"{count} unexpected of {total} rows"
        if percent is not None and count:
            text += f" ({percent:.3g}%)"
        samples = [
            value for value in result.get("partial_unexpected_list") or [] if value is not None
        ]
        if count and samples:
            text += "; e.g. " + ", ".join(repr(value) for value in samples[:_SAMPLE_VALUES])
        return _clip(text)
    mismatched = (result.get("details") or {}).get("mismatched")
    if isinstance(mismatched, dict) and mismatched.get("missing"):
        return _clip("missing columns: " + ", ".join(map(str, mismatched["missing"])))
    if "observed_value" in result:
        return _clip(f"observed {result['observed_value']!r}")
    return ""


def _first_line(error: object) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    message = lines[0] if lines else error.__class__.__name__
    return _clip(message.rstrip("."))


def _clip(text: str) -> str:
    return text if len(text) <= _DETAIL_MAX_CHARS else text[: _DETAIL_MAX_CHARS - 1] + "…"
