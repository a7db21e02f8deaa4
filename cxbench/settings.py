"""Where cxbench keeps its files, from ``CXB_*`` environment variables.

Built on demand (``get_settings()``), never at import, so tests and tools can point one process
at their own folders by setting the environment first.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from cxbench.setting_docs import SETTING_DOCS

PACKAGE_DIR = Path(__file__).resolve().parent
SOURCE_DIR = PACKAGE_DIR.parent
# An installed wheel carries the dbt project here (setup.py copies it in at build time).
BUNDLED_PROJECT = PACKAGE_DIR / "dbt_project"


def _project_dir() -> Path:
    """The dbt project: the checkout's when the package sits in one (development, editable
    installs), else the copy an installed wheel carries."""
    if (SOURCE_DIR / "dbt_project.yml").is_file() and (SOURCE_DIR / "cxbench").is_dir():
        return SOURCE_DIR
    return BUNDLED_PROJECT


PROJECT_DIR = _project_dir()


def default_home() -> Path:
    """Where data/landing and warehouse go unless set: the checkout in development, the
    current folder for an installed package (never inside site-packages)."""
    return SOURCE_DIR if PROJECT_DIR == SOURCE_DIR else Path.cwd()


class Settings(BaseSettings):
    """Every ``CXB_*`` setting; each field's description is what ``cxbench --help`` lists."""

    model_config = SettingsConfigDict(env_prefix="CXB_", extra="ignore")

    home: Path = Field(
        default_factory=default_home,
        description=SETTING_DOCS["home"],
    )
    landing_dir: Path | None = Field(default=None, description=SETTING_DOCS["landing_dir"])
    warehouse_dir: Path | None = Field(
        default=None,
        description=SETTING_DOCS["warehouse_dir"],
    )
    # 1.25 GB keeps the whole 10M-answer build under 2 GB (1.82 GB) at the same CPU time as
    # 2 GB, which peaked at 2.59 GB (docs/BENCHMARKS.md, "The memory limit decides the peak").
    duckdb_memory_limit: str = Field(
        default="1.25GB", description=SETTING_DOCS["duckdb_memory_limit"]
    )
    duckdb_threads: int = Field(default=2, description=SETTING_DOCS["duckdb_threads"])
    keep_snapshots: int = Field(default=5, description=SETTING_DOCS["keep_snapshots"])
    # Agreed targets (cxbench/targets/store.py): unset = warehouse/targets.sqlite3.
    targets_url: str | None = Field(default=None, description=SETTING_DOCS["targets_url"])
    ingest_max_bytes: int = Field(
        default=20_000_000,
        description=SETTING_DOCS["ingest_max_bytes"],
    )
    stale_client_days: int = Field(default=35, description=SETTING_DOCS["stale_client_days"])
    alert_webhook_url: str | None = Field(
        default=None, description=SETTING_DOCS["alert_webhook_url"]
    )
    alert_webhook_retry_seconds: float = Field(
        default=300.0, description=SETTING_DOCS["alert_webhook_retry_seconds"]
    )
    access_log: str = Field(
        default="-",
        description=SETTING_DOCS["access_log"],
    )
    # `build --engine spark` (cxbench/spark.py): the profiles.yml target (`spark`: a local
    # session; `spark_cluster`: Thrift/HTTP), Spark's local files (default warehouse/spark) and
    # the folder the dbt run exports the gates' relations to (shared storage on a cluster).
    spark_target: str = Field(default="spark", description=SETTING_DOCS["spark_target"])
    spark_warehouse_dir: Path | None = Field(
        default=None, description=SETTING_DOCS["spark_warehouse_dir"]
    )
    spark_export_dir: Path | None = Field(
        default=None, description=SETTING_DOCS["spark_export_dir"]
    )

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
