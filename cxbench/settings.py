"""Where cxbench keeps its files, from ``CXB_*`` environment variables.

Built on demand (``get_settings()``), never at import, so tests and tools can point one process
at their own folders by setting the environment first.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parents[1]
# What `cxbench build --engine` runs the dbt models on (cxbench/spark.py for Spark).
ENGINES = ("duckdb", "spark")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CXB_", extra="ignore")

    home: Path = PROJECT_DIR
    landing_dir: Path | None = None
    warehouse_dir: Path | None = None
    # 2 GB keeps the whole 10M-answer build under 3 GB at the same CPU time (docs/BENCHMARKS.md).
    duckdb_memory_limit: str = "2GB"
    duckdb_threads: int = 2
    keep_snapshots: int = 5
    # Agreed targets (cxbench/targets/store.py): unset = warehouse/targets.sqlite3.
    targets_url: str | None = None
    # POST /v1/clients/{client_id}/answers: the largest body taken (413 beyond).
    ingest_max_bytes: int = 20_000_000
    # `cxbench status` warns about a client whose last delivery is older than this.
    stale_client_days: int = 35
    # `serve --build-every` POSTs new alerts here as JSON (retried with back-off); unset: none.
    alert_webhook_url: str | None = None
    # A webhook delivery whose retries all failed is tried again after the next build or after
    # this many seconds, whichever comes first (it waits in warehouse/ingest/webhook_outbox/).
    alert_webhook_retry_seconds: float = 300.0
    # `build --engine spark` (cxbench/spark.py): the profiles.yml target (`spark`: a local
    # session; `spark_cluster`: Thrift/HTTP), Spark's local files (default warehouse/spark) and
    # the folder the dbt run exports the gates' relations to (shared storage on a cluster).
    spark_target: str = "spark"
    spark_warehouse_dir: Path | None = None
    spark_export_dir: Path | None = None

    @property
    def project_dir(self) -> Path:
        """The dbt project (dbt_project.yml, models, seeds); ships with the package."""
        return PROJECT_DIR

    @property
    def landing(self) -> Path:
        return (self.landing_dir or self.home / "data" / "landing").resolve()

    @property
    def warehouse(self) -> Path:
        return (self.warehouse_dir or self.home / "warehouse").resolve()

    @property
    def database(self) -> Path:
        return self.warehouse / "cxbench.duckdb"

    @property
    def landed(self) -> Path:
        return self.warehouse / "landed"

    @property
    def published(self) -> Path:
        return self.warehouse / "published"

    @property
    def keys_file(self) -> Path:
        return self.warehouse / "api_keys.json"

    @property
    def targets_database(self) -> Path:
        return self.warehouse / "targets.sqlite3"

    @property
    def seeds_dir(self) -> Path:
        return self.project_dir / "seeds"


def get_settings() -> Settings:
    return Settings()
