"""What each ``CXB_*`` setting is for, in one place: the Settings fields take their
descriptions from here, and ``cxbench --help`` lists them without importing pydantic (the
command's first line must appear at once).
"""

SETTING_DOCS: dict[str, str] = {
    "home": "base folder of data/landing and warehouse (default: the checkout, else the cwd)",
    "landing_dir": "where client deliveries land (default: $CXB_HOME/data/landing)",
    "warehouse_dir": "DuckDB file, snapshots, build records, keys (default: $CXB_HOME/warehouse)",
    "duckdb_memory_limit": "DuckDB memory limit for build and audits",
    "duckdb_threads": "DuckDB threads for build and audits",
    "keep_snapshots": "published snapshots kept for rollback",
    "targets_url": "agreed-target store URL (default: warehouse/targets.sqlite3)",
    "ingest_max_bytes": "largest body POST /v1/clients/{id}/answers takes (413 beyond)",
    "stale_client_days": "`status` names a client whose last delivery is older than this",
    "alert_webhook_url": "`serve --build-every` POSTs new alerts here as JSON",
    "alert_webhook_retry_seconds": "a webhook delivery whose retries all failed is tried again "
    "after the next build or after this many seconds (warehouse/ingest/webhook_outbox/)",
    "access_log": "API access log, one JSON line a request: a file to append to, - stderr",
    "spark_target": "`build --engine spark`: profiles.yml target (spark, or spark_cluster)",
    "spark_warehouse_dir": "`build --engine spark`: Spark's local files (default warehouse/spark)",
    "spark_export_dir": "`build --engine spark`: where the run exports what the gates read",
}

# What `cxbench build --engine` runs the dbt models on (cxbench/spark.py for Spark).
ENGINES = ("duckdb", "spark")
# `cxbench build --unit-tests` (cxbench/incremental.py): "auto" runs dbt's unit tests on a full
# refresh unless they passed under this project fingerprint already; "always" on every build.
UNIT_TEST_MODES = ("auto", "always")
