"""Where the dbt build puts each layer, for the Python code that reads the warehouse.

The macro `generate_schema_name` (macros/dbt/) makes every schema exactly the `+schema` that
dbt_project.yml gives its folder, so these names are the configured ones, not dbt's
"<target schema>_<name>"; tests/python/test_relations.py checks they agree with the project and
with the manifest of a real build. Everything in Python that names a warehouse table builds the
name here; the marts the API reads come from the dbt exposure (cxbench.publish). Every
read-only connection to the warehouse opens here too (``connect_read_only``).
"""

from __future__ import annotations

import functools
from pathlib import Path

import duckdb

STAGING = "staging"
INTERMEDIATE = "intermediate"
MARTS = "marts"
REFERENCE = "reference"  # the seeds

# Where cxbench's dbt runs write their artefacts (DBT_TARGET_PATH), inside the warehouse folder.
DBT_TARGET = "dbt_target"


def dbt_manifest_path(warehouse: Path) -> Path:
    """The manifest of the warehouse's latest dbt run: nodes, their relations, the exposure."""
    return warehouse / DBT_TARGET / "manifest.json"


def read_only_config() -> dict[str, str | int]:
    """The build's DuckDB limits (CXB_DUCKDB_MEMORY_LIMIT, CXB_DUCKDB_THREADS) for every
    read-only connection to the warehouse: the gates', the export's and Great Expectations'.

    Without them DuckDB may take 80% of the machine's memory: the raw audit's uniqueness check
    over a 10M-row batch is a hash aggregate that would be free to grow past the limit the dbt
    build keeps to (with the 3 GB limit the raw audit peaked at 2.3 GB at 10M answers).
    """
    from cxbench.settings import get_settings

    settings = get_settings()
    return {"memory_limit": settings.duckdb_memory_limit, "threads": settings.duckdb_threads}


def connect_read_only(database: Path) -> duckdb.DuckDBPyConnection:
    """The warehouse, read-only, configured exactly as Great Expectations' connections are.

    DuckDB refuses a connection to a file this process already has open with another
    configuration, and the mart audit runs beside the export and the attack gate
    (cxbench/build.py). Great Expectations connects through SQLAlchemy's duckdb_engine, which
    adds its user agent to the configuration it is given; so this connection carries the same.
    """
    return duckdb.connect(
        str(database),
        read_only=True,
        config={**read_only_config(), "custom_user_agent": _sqlalchemy_user_agent()},
    )


@functools.cache
def _sqlalchemy_user_agent() -> str:
    """The user agent duckdb_engine gives DuckDB, as DuckDB reports it (not rebuilt here from
    duckdb_engine's format)."""
    import sqlalchemy as sa

    engine = sa.create_engine("duckdb:///:memory:")
    try:
        with engine.connect() as connection:
            agent = connection.execute(sa.text("select current_setting('custom_user_agent')"))
            return str(agent.scalar_one())
    finally:
        engine.dispose()
