"""`cxbench build --engine spark`: the same dbt project on Spark, and its tables for the gates.

dbt runs the models on Spark (profiles.yml target ``spark``: a session in this process's
machine; ``spark_cluster``: a Thrift or HTTP server, the production path). The gates and the
publish step are written against DuckDB, and stay so: dbt's ``on-run-end`` hook
(macros/cross_db/export_relations.sql) writes the relations they read as Parquet to the export
folder, and :func:`load_export` copies those into a DuckDB file of their own
(``warehouse/spark/gates.duckdb``), never the DuckDB engine's file. The audits, reconciliation,
attack suite and publish then read Spark's rows exactly as they read DuckDB's, and the API
serves the same snapshot format whatever the engine.

pyspark and dbt-spark are the optional ``spark`` extra (requirements-spark.lock); a build
without them stops with one sentence saying how to install them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from pathlib import Path

import duckdb

from cxbench.errors import CxbenchError
from cxbench.relations import INTERMEDIATE, MARTS, REFERENCE, STAGING
from cxbench.setting_docs import ENGINES
from cxbench.settings import Settings

__all__ = ["ENGINES", "check_installed", "dbt_arguments", "load_export", "prepare"]
# What the build reads after dbt, besides the published marts: the reconciliation
# (build._reconciliation) and the attack suite's per-client contributions (attacks.py).
GATE_RELATIONS = (
    f"{MARTS}.fct_file_reconciliation",
    f"{MARTS}.fct_quarantined_rows",
    f"{MARTS}.fct_answers",
    f"{REFERENCE}.clients",
    f"{STAGING}.stg_landing__load_log",
    f"{INTERMEDIATE}.int_answers_classified",
    f"{INTERMEDIATE}.int_client_metric_periods",
    f"{INTERMEDIATE}.int_driver_contributions",
    f"{INTERMEDIATE}.int_theme_benchmark_contributions",
)


def exported_relations() -> tuple[str, ...]:
    """The relations the reconciliation and attack suite read, as ``schema.table``; the marts
    the API serves (the dbt exposure ``cxbench_api``) are added by the export hook itself."""
    return GATE_RELATIONS


def spark_home(settings: Settings) -> Path:
    """Spark's local files: session tables and metastore, the export, the gates' DuckDB."""
    return settings.spark_warehouse_dir or settings.warehouse / "spark"


def export_dir(settings: Settings) -> Path:
    return settings.spark_export_dir or spark_home(settings) / "export"


def gates_database(settings: Settings) -> Path:
    return spark_home(settings) / "gates.duckdb"


def check_installed() -> None:
    """Stop with a clear sentence when the optional spark extra is missing."""
    missing = [m for m in ("pyspark", "dbt.adapters.spark") if not _importable(m)]
    if missing:
        raise CxbenchError(
            f"--engine spark needs the spark extra ({', '.join(missing)} not installed): "
            "run `make spark-install` (or `uv pip sync requirements-spark.lock`) and install "
            "Java 17 (`apt-get install openjdk-17-jre-headless`)."
        )
    if java_executable() is None:
        raise CxbenchError(
            "--engine spark needs Java 17 on PATH or JAVA_HOME: "
            "`apt-get install openjdk-17-jre-headless`."
        )


def java_executable() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def dbt_arguments(settings: Settings, relations: tuple[str, ...] | None = None) -> list[str]:
    """The target and the export the on-run-end hook writes (folder and relations)."""
    relations = exported_relations() if relations is None else relations
    export = {"dir": str(export_dir(settings)), "relations": list(relations)}
    return ["--target", settings.spark_target, "--vars", json.dumps({"spark_export": export})]


def dbt_environment(settings: Settings) -> dict[str, str]:
    """Spark's paths, and a local session bound to loopback unless told otherwise."""
    return {
        "CXB_SPARK_WAREHOUSE": str(spark_home(settings)),
        "SPARK_LOCAL_IP": os.environ.get("SPARK_LOCAL_IP", "127.0.0.1"),
    }


def prepare(settings: Settings) -> None:
    """Before dbt: an empty export folder, so a relation dbt did not write cannot be read stale."""
    folder = export_dir(settings)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    spark_home(settings).mkdir(parents=True, exist_ok=True)


def load_export(settings: Settings, relations: tuple[str, ...] | None = None) -> Path:
    """Copy the exported relations into a fresh gates DuckDB file; returns its path.

    Spark writes timestamps as UTC instants (TIMESTAMP_MICROS, adjusted to UTC), which DuckDB
    reads as ``timestamptz``; they become naive UTC timestamps again, as DuckDB's own build
    has them.
    """
    database = gates_database(settings)
    building = database.with_name(database.name + ".building")
    building.unlink(missing_ok=True)
    con = duckdb.connect(str(building))
    try:
        con.execute("set TimeZone = 'UTC'")
        wanted = exported_relations() if relations is None else relations
        written = {f"{p.parent.name}.{p.name}" for p in export_dir(settings).glob("*/*")}
        for relation in dict.fromkeys((*wanted, *sorted(written))):
            schema, table = relation.split(".")
            files = export_dir(settings) / schema / table
            if not any(files.glob("*.parquet")):
                raise CxbenchError(
                    f"Spark did not export {relation} to {files}; nothing was published."
                )
            con.execute(f'create schema if not exists "{schema}"')
            # Identifiers come from exported_relations() and Spark's own column names.
            con.execute(
                f'create table "{schema}"."{table}" as select * from read_parquet(?)',  # noqa: S608
                [str(files / "*.parquet")],
            )
            instants = con.execute(
                "select column_name from information_schema.columns where table_schema = ? "
                "and table_name = ? and data_type = 'TIMESTAMP WITH TIME ZONE'",
                [schema, table],
            ).fetchall()
            for (column,) in instants:
                con.execute(
                    f'alter table "{schema}"."{table}" alter "{column}" type timestamp '
                    f"using timezone('UTC', \"{column}\")"
                )
    finally:
        con.close()
    building.replace(database)
    return database
