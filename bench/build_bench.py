"""`make bench`: how far `cxbench build` is from what DuckDB alone can do (issue #7).

Per size (1M and 10M answers by default), in one run:

1. a full `cxbench build` through the real CLI in a child process (land, audits, dbt, publish),
   on demo deliveries in a scratch folder (never the developer's data or warehouse);
2. an incremental `cxbench build` after one new delivery of 1 % more answers: a Parquet file in
   the landing format with the newest half-year of a demo written with another seed, its
   response ids prefixed so they are new responses;
3. the floor: one hand-written DuckDB query (`bench/floor.py`, a fresh process) that computes
   the same benchmark cells from the same landing files — checked cell by cell against the
   published snapshot of each build, so a fast but wrong build cannot pass unnoticed.

Before the sizes, dbt's unit tests run once, in a small demo build with `--unit-tests always`,
timed on their own: a build runs them on a full refresh only until they have passed under the
project's fingerprint (recorded per checkout), so otherwise the first size's full build would
run them and the next ones would not, depending on what the checkout ran before.

Each child runs in its own process group with a time limit and is killed with its children on
timeout or Ctrl-C. Wall time is measured around the child; peak memory is the sampled sum of
the resident memory of the child's whole process tree (and the largest single process as the
kernel counts it). Demo data is generated once per size and seed and reused. Results go to the
terminal, `<scratch>/results/*.json` and the generated section of `docs/BENCHMARKS.md`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import yaml

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

import floor  # noqa: E402 - the floor module sits next to this script
from report import DOC, SizeResult, _gb, _s, machine, render, write_doc  # noqa: E402  # noqa: E402
from sampler import Measured, kill_running, run_measured  # noqa: E402

BIN = Path(sys.executable).parent
DELIVERY_SHARE = 0.01
# The last demo window (May-October 2026) is about a quarter of the answers; ask for 6 % so
# that the newest half-year alone holds more than the 1 % the delivery takes (about 1.3 %).
DELIVERY_DEMO_SHARE = 0.06
DEFAULT_SIZES = (1_000_000, 10_000_000)
# The demo that runs dbt's unit tests before the sizes (unit_tests_once): they read only their
# own fixture rows, so the data's size changes nothing but the build around them.
UNIT_TEST_ANSWERS = 20_000
PUBLISHED_COLUMNS = (
    "n_clients",
    "n_responses",
    "value",
    "mean",
    "p10",
    "p25",
    "median",
    "p75",
    "p90",
    "moe",
    "max_client_share",
)
CELL_KEY = ("industry_code", "touchpoint_code", "period", "metric_code")


# --------------------------------------------------------------------------------------------
# Data: demo deliveries (cached per size and seed) and the 1 % delivery


def demo_landing(cache: Path, answers: int, seed: int, env: dict[str, str]) -> tuple[Path, int]:
    """Landing folder with `cxbench demo --answers N --seed S`, generated once and reused."""
    folder = cache / f"answers-{answers}-seed-{seed}"
    ready = folder / "ready.json"
    if ready.exists():
        return folder / "landing", int(json.loads(ready.read_text())["rows"])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    print(f"  generating demo deliveries: {answers:,} answers, seed {seed} …", flush=True)
    measured = run_measured(
        f"demo {answers}",
        [str(BIN / "cxbench"), "demo", "--answers", str(answers), "--seed", str(seed)],
        env={**env, "CXB_LANDING_DIR": str(folder / "landing")},
        log_file=folder / "demo.log",
        cwd=PROJECT_DIR,
        timeout=1800,
    )
    if not measured.ok:
        raise SystemExit(f"cxbench demo failed; see {measured.log}")
    rows = _count_rows(folder / "landing")
    ready.write_text(json.dumps({"rows": rows, "seconds": measured.seconds}))
    return folder / "landing", rows


def _count_rows(landing: Path) -> int:
    groups = floor.landing_files(landing)
    sql = f"select count(*) from ({floor.raw_sources(groups)})"  # noqa: S608 - generated SQL
    con = duckdb.connect()
    try:
        row = con.execute(sql, {k: v for k, v in groups.items() if v}).fetchone()
    finally:
        con.close()
    return int(row[0]) if row else 0


def make_delivery(
    cache: Path, base_rows: int, seed: int, env: dict[str, str], number: int = 1
) -> tuple[Path, int]:
    """One new delivery of ~1 % of the base: the newest half-year of another seed's demo.

    Response ids get a `d<number>-` prefix so they are new responses, not re-deliveries. The
    answers are normalised to the Parquet form (decimal point) the landing contract expects
    outside CSV. Cached per base size and seed.
    """
    target = max(1, round(base_rows * DELIVERY_SHARE))
    path = cache / "deliveries" / f"delivery-{target}-of-{base_rows}-seed-{seed}-{number}.parquet"
    if path.exists():
        return path, _parquet_rows(path)
    source, _ = demo_landing(cache, max(1000, round(base_rows * DELIVERY_DEMO_SHARE)), seed, env)
    newest = sorted(p for p in source.rglob("*_2026_2.*") if p.suffix in floor.FORMATS)
    staging = path.parent / f".staging-{base_rows}-{seed}"
    shutil.rmtree(staging, ignore_errors=True)
    for file in newest:
        (staging / file.parent.name).mkdir(parents=True, exist_ok=True)
        os.link(file, staging / file.parent.name / file.name)
    groups = floor.landing_files(staging)
    sql = f"""
        with rows as (
            select
                client_id,
                'd{int(number)}-' || response_id as response_id,
                responded_at, touchpoint, question,
                case when fmt = 'csv' and regexp_full_match(trim(answer), '[+-]?[0-9]+,[0-9]+')
                    then replace(trim(answer), ',', '.') else answer end as answer
            from ({floor.raw_sources(groups)})
        ),
        responses as (
            select client_id, response_id, count(*) as n,
                sum(count(*)) over (order by hash(client_id, response_id), client_id, response_id
                    rows unbounded preceding) as running
            from rows group by client_id, response_id
        )
        select rows.* from rows
        semi join responses
            on rows.client_id = responses.client_id and rows.response_id = responses.response_id
            and responses.running <= $target
        order by client_id, response_id, question
    """  # noqa: S608 - generated SQL, file lists and numbers are parameters
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    con = duckdb.connect()
    try:
        params: dict[str, Any] = {k: v for k, v in groups.items() if v}
        con.execute(
            f"copy ({sql}) to $out (format parquet, compression zstd)",
            {**params, "target": target, "out": str(tmp)},
        )
    finally:
        con.close()
    shutil.rmtree(staging, ignore_errors=True)
    os.replace(tmp, path)
    return path, _parquet_rows(path)


def _parquet_rows(path: Path) -> int:
    con = duckdb.connect()
    try:
        row = con.execute("select count(*) from read_parquet(?)", [str(path)]).fetchone()
    finally:
        con.close()
    return int(row[0]) if row else 0


def link_tree(source: Path, target: Path) -> None:
    """Hard-link (or copy) a landing folder: a fresh landing per run without copying GBs."""
    for path in source.rglob("*"):
        if path.is_dir():
            continue
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, destination)
        except OSError:
            shutil.copy2(path, destination)


# --------------------------------------------------------------------------------------------
# What a build left: step timings, dbt node timings, published cells


def build_profile(warehouse: Path) -> dict[str, Any]:
    record_file = warehouse / "last_build.json"
    record = json.loads(record_file.read_text()) if record_file.exists() else {}
    profile: dict[str, Any] = {
        "status": record.get("status"),
        "message": record.get("message"),
        "steps": record.get("steps", {}),
        "rows_landed": (record.get("landing") or {}).get("rows_landed"),
    }
    results_file = warehouse / "dbt_target" / "run_results.json"
    if results_file.exists():
        results = json.loads(results_file.read_text())
        nodes = [
            {
                "node": r["unique_id"],
                "seconds": round(float(r.get("execution_time") or 0.0), 3),
                "status": r.get("status"),
            }
            for r in results.get("results", [])
        ]
        nodes.sort(key=lambda n: n["seconds"], reverse=True)
        by_type: dict[str, dict[str, float]] = {}
        for node in nodes:
            kind = node["node"].split(".", 1)[0]
            entry = by_type.setdefault(kind, {"count": 0, "seconds": 0.0})
            entry["count"] += 1
            entry["seconds"] = round(entry["seconds"] + node["seconds"], 3)
        elapsed = results.get("elapsed_time")
        dbt_step = profile["steps"].get("dbt_build")
        profile["dbt"] = {
            "run_seconds": round(elapsed, 3) if elapsed is not None else None,
            # dbt start-up, parsing and shut-down: the dbt step minus what dbt timed itself.
            "overhead_seconds": (
                round(dbt_step - elapsed, 3) if dbt_step and elapsed is not None else None
            ),
            "by_type": by_type,
            "top_nodes": nodes[:10],
            # Every model's own time: the per-model profile of a build (report.model_lines).
            "models": {
                n["node"].rsplit(".", 1)[-1]: n["seconds"]
                for n in nodes
                if n["node"].startswith("model.")
            },
        }
    database = warehouse / "cxbench.duckdb"
    profile["database_bytes"] = database.stat().st_size if database.exists() else None
    return profile


def published_cells(warehouse: Path) -> Path | None:
    pointer = warehouse / "published" / "CURRENT"
    if not pointer.exists():
        return None
    path = warehouse / "published" / pointer.read_text().strip() / "fct_benchmark_cells.parquet"
    return path if path.exists() else None


def compare_cells(published: Path | None, floor_cells: Path) -> dict[str, Any]:
    """Cell-by-cell agreement on the DESIGN §7 columns (1e-6 on values, exact on counts)."""
    if published is None or not floor_cells.exists():
        return {"match": False, "detail": "no published snapshot or no floor result"}
    key = ", ".join(CELL_KEY)
    differs = " or ".join(
        f"abs(coalesce(p.{c}, 0) - coalesce(f.{c}, 0)) > 1e-6 or (p.{c} is null) <> (f.{c} is null)"
        for c in PUBLISHED_COLUMNS
    )
    sql = f"""
        select
            count(*) filter (where p.period is null) as only_floor,
            count(*) filter (where f.period is null) as only_build,
            count(*) filter (where p.period is not null and f.period is not null
                and p.suppressed_reason is distinct from 'complementary' and (
                p.suppressed_reason is distinct from f.suppressed_reason or {differs})) as differ,
            -- The floor applies the per-cell rule only (DESIGN §5); complementary suppression
            -- (§5.1) withholds some of its published cells, counted apart, not as differences.
            count(*) filter (where p.suppressed_reason = 'complementary'
                and f.suppressed_reason is null) as complementary,
            count(*) filter (where p.period is not null) as cells,
            count(*) filter (where p.suppressed_reason is null and p.period is not null)
                as published
        from read_parquet($published) as p
        full join read_parquet($floor) as f using ({key})
    """  # noqa: S608 - generated from constants
    con = duckdb.connect()
    try:
        row = con.execute(sql, {"published": str(published), "floor": str(floor_cells)}).fetchone()
    except duckdb.Error as exc:
        return {"match": False, "detail": str(exc).splitlines()[0]}
    finally:
        con.close()
    only_floor, only_build, differ, complementary, cells, shown = (
        (int(v) for v in row) if row else (0,) * 6
    )
    return {
        "match": only_floor == only_build == differ == 0 and cells > 0,
        "cells": cells,
        "published_cells": shown,
        "only_in_floor": only_floor,
        "only_in_build": only_build,
        "differing": differ,
        "withheld_by_complementary_suppression": complementary,
    }


# --------------------------------------------------------------------------------------------
# One size


def _summary(measured: Measured) -> dict[str, Any]:
    data = asdict(measured)
    data.pop("command")
    return data


def bench_size(
    answers: int, seed: int, scratch: Path, env: dict[str, str], deadline: float
) -> SizeResult:
    cache = scratch / "data"
    base, base_rows = demo_landing(cache, answers, seed, env)
    delivery, delivery_rows = make_delivery(cache, base_rows, seed + 1, env)
    run = scratch / "runs" / f"answers-{answers}"
    shutil.rmtree(run, ignore_errors=True)
    landing, warehouse = run / "landing", run / "warehouse"
    link_tree(base, landing)
    build_env = run_environment(env, run)
    result = SizeResult(answers=answers, base_rows=base_rows, delivery_rows=delivery_rows)
    dbt_vars = _dbt_vars()

    def remaining(limit: float) -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise SystemExit("bench: out of time (--max-minutes); results so far are above")
        return min(limit, left)

    def run_floor(label: str, out: Path) -> Measured:
        command = [
            sys.executable,
            str(BENCH_DIR / "floor.py"),
            str(landing),
            str(PROJECT_DIR / "seeds"),
            str(out),
            "--vars",
            json.dumps(dbt_vars),
        ]
        return run_measured(
            label,
            command,
            env=env,
            log_file=run / f"{label}.log",
            timeout=remaining(1800),
            cwd=PROJECT_DIR,
        )

    def build(label: str) -> tuple[dict[str, Any], dict[str, Any]]:
        measured = run_measured(
            label,
            [str(BIN / "cxbench"), "build"],
            env=build_env,
            log_file=run / f"{label}.log",
            timeout=remaining(3600),
            cwd=PROJECT_DIR,
        )
        _keep_record(warehouse, run / f"{label}.json")
        return _summary(measured), build_profile(warehouse)

    print(f"  full build ({base_rows:,} answers) …", flush=True)
    result.full, result.profile_full = build("full_build")

    print("  floor query …", flush=True)
    result.floor = _summary(run_floor("floor", run / "floor_cells.parquet"))
    result.check_full = compare_cells(published_cells(warehouse), run / "floor_cells.parquet")

    (landing / "deliveries").mkdir(parents=True, exist_ok=True)
    os.link(delivery, landing / "deliveries" / "delivery_0001.parquet")
    print(f"  incremental build (+{delivery_rows:,} answers in one delivery) …", flush=True)
    result.incremental, result.profile_incremental = build("incremental_build")

    print("  floor query after the delivery (to check the incremental build) …", flush=True)
    after = run_floor("floor_after_delivery", run / "floor_cells_after.parquet")
    result.floor_after_delivery = _summary(after)
    result.check_incremental = compare_cells(
        published_cells(warehouse), run / "floor_cells_after.parquet"
    )
    return result


def run_environment(env: dict[str, str], run: Path) -> dict[str, str]:
    """``env`` pointing cxbench at the run folder ``run``: its landing and warehouse inside."""
    return {
        **env,
        "CXB_HOME": str(run),
        "CXB_LANDING_DIR": str(run / "landing"),
        "CXB_WAREHOUSE_DIR": str(run / "warehouse"),
    }


def unit_tests_once(scratch: Path, env: dict[str, str], seed: int) -> dict[str, Any]:
    """dbt's unit tests, run by a small demo build with ``--unit-tests always`` (which also
    records them under the project's fingerprint, so no full build below runs them): that
    build's wall and CPU seconds and the unit tests' count and node-seconds. Its demo is
    generated once and reused, as the sizes' are (``demo_landing``)."""
    base, _ = demo_landing(scratch / "data", UNIT_TEST_ANSWERS, seed, env)
    run = scratch / "runs" / "unit-tests"
    shutil.rmtree(run, ignore_errors=True)
    link_tree(base, run / "landing")
    measured = run_measured(
        "unit_tests_build",
        [str(BIN / "cxbench"), "build", "--unit-tests", "always"],
        env=run_environment(env, run),
        log_file=run / "unit_tests_build.log",
        timeout=900,
        cwd=PROJECT_DIR,
    )
    if not measured.ok:
        raise SystemExit(f"bench: the unit-test build failed (see {measured.log})")
    dbt = build_profile(run / "warehouse").get("dbt") or {}
    unit = (dbt.get("by_type") or {}).get("unit_test", {})
    return {
        **_summary(measured),
        "unit_tests": unit.get("count"),
        "unit_test_node_seconds": unit.get("seconds"),
    }


def _keep_record(warehouse: Path, target: Path) -> None:
    with contextlib.suppress(OSError):
        shutil.copy2(warehouse / "last_build.json", target)


def _dbt_vars() -> dict[str, Any]:
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    found = project.get("vars", {}) or {}
    return {k: found[k] for k in floor.DEFAULT_VARS if k in found}


# --------------------------------------------------------------------------------------------


def gx_import_seconds(env: dict[str, str], scratch: Path) -> float | None:
    code = (
        "import time; t = time.perf_counter(); import great_expectations; "
        "print(time.perf_counter() - t)"
    )
    measured = run_measured(
        "gx_import",
        [sys.executable, "-c", code],
        env=env,
        log_file=scratch / "gx_import.log",
        timeout=300,
        cwd=PROJECT_DIR,
    )
    with contextlib.suppress(ValueError, OSError):
        return round(float(Path(measured.log).read_text().strip().splitlines()[-1]), 2)
    return None


def _sizes(text: str) -> list[int]:
    return [int(float(part)) for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=_sizes, default=list(DEFAULT_SIZES), help="e.g. 1e6,1e7")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--scratch",
        type=Path,
        default=Path(
            os.environ.get("CXB_BENCH_DIR", Path.home() / ".cache" / "cxbench-bench")
        ).expanduser(),
        help="generated data and run folders (default ~/.cache/cxbench-bench or $CXB_BENCH_DIR)",
    )
    parser.add_argument("--max-minutes", type=float, default=150, help="bound the whole run")
    parser.add_argument("--no-doc", action="store_true", help="do not update docs/BENCHMARKS.md")
    args = parser.parse_args(argv)

    deadline = time.monotonic() + args.max_minutes * 60
    scratch = args.scratch.resolve()
    scratch.mkdir(parents=True, exist_ok=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CXB_") or k == "CXB_DUCKDB_MEMORY_LIMIT"
    }
    env.update({"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"})
    info = machine()
    print(f"cxbench bench → {scratch}\n  {info['cpu']}, {info['cores']} cores", flush=True)

    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    results: list[SizeResult] = []
    unit_tests: dict[str, Any] | None = None
    try:
        gx_import = gx_import_seconds(env, scratch)
        print("\n== dbt's unit tests, once (a small demo build)", flush=True)
        unit_tests = unit_tests_once(scratch, env, args.seed)
        for answers in args.sizes:
            print(f"\n== {answers:,} answers", flush=True)
            result = bench_size(answers, args.seed, scratch, env, deadline)
            results.append(result)
            print(
                f"  full {_s(result.full.get('seconds'))} s, "
                f"incremental {_s(result.incremental.get('seconds'))} s, "
                f"floor {_s(result.floor.get('seconds'))} s, "
                f"peak {_gb(result.full.get('peak_tree_rss'))} GB",
                flush=True,
            )
    finally:
        kill_running(grace=2)
    info["finished_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = render(results, info, gx_import, unit_tests)
    print("\n" + section)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = scratch / "results" / f"{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "machine": info,
                "gx_import_seconds": gx_import,
                "unit_tests": unit_tests,
                "sizes": [asdict(r) for r in results],
            },
            indent=2,
        )
    )
    print(f"\nresults: {out}")
    if not args.no_doc:
        write_doc(section)
        print(f"updated {DOC.relative_to(PROJECT_DIR)}")
    failed = [
        r.answers
        for r in results
        if not (r.full.get("return_code") == 0 and r.incremental.get("return_code") == 0)
    ]
    wrong = [
        r.answers
        for r in results
        if not (r.check_full.get("match") and r.check_incremental.get("match"))
    ]
    if failed or wrong:
        print(f"builds failed at {failed or '–'}; cells differ from the floor at {wrong or '–'}")
        return 1
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
    sys.exit(130)
