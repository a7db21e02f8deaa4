#!/usr/bin/env bash
# `make test-dbt`: the default demo through the real build — dbt build (models, data tests,
# every unit test: `--unit-tests always`, even when they passed under this project fingerprint
# before), both GX suites and publish — in a scratch folder, so a developer's own warehouse is
# left alone. Fails when any gate fails.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/cxbench-test-dbt.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
export CXB_HOME="$scratch" CXB_LANDING_DIR="$scratch/landing" CXB_WAREHOUSE_DIR="$scratch/warehouse"
"$root/.venv/bin/cxbench" demo
"$root/.venv/bin/cxbench" build --unit-tests always
# sed, not head: head exits after 12 lines and, with pipefail, the writer's broken pipe fails
# the script at random.
"$root/.venv/bin/cxbench" status | sed -n 1,12p
