"""Ingest bench (issue 18): post → visible latency and ingest throughput. Not part of make test.

On a demo warehouse of ``--answers`` answers (1M for the issue's figure), it serves the API with
``cxbench serve --build-every 1``, then makes ``--posts`` posts of ``--per-post`` NPS answers,
one every ``--interval`` seconds, each for its own client, and measures for each the time
from sending the post to the first moment its answers are in the client's scorecard (polled
every 0.5 s): p50 and p95 (nearest rank). Then one post of ``--big`` answers measures ingest
throughput (time to the 202, which includes the fsync and the per-row check) and, with
``--wait-big``, the time until those answers are in the scorecard. The builds the server ran
meanwhile are listed with their step times, each post's latency is split into waiting for its
build, its build until the switch, and the switch until visible (medians and maxima), and the
load average is printed at start and end:
on a shared machine the latency is mostly the incremental build's wall time, which other
processes stretch.

With ``--drop``, each delivery is a CSV file written into the landing folder (a client's system
delivering a file) instead of a post: drop → visible is issue 17's "one-file delivery into the
default demo" (``--answers 500000 --per-post 1200 --interval 30 --big 0``: one build per file).

    .venv/bin/python bench/ingest_bench.py --answers 1000000 --root /tmp/ingest-bench
    .venv/bin/python bench/ingest_bench.py --answers 500000 --drop --posts 5 --per-post 1200 \
        --interval 30 --big 0 --root /tmp/delivery-bench
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from cxbench.build import run_build  # noqa: E402
from cxbench.demo import generate_demo  # noqa: E402
from cxbench.keys import create_key  # noqa: E402
from cxbench.settings import Settings  # noqa: E402

MONTH = "2026-11"
# Response ids differ between runs: a re-run posting the same ids would supersede, not add.
RUN = secrets.token_hex(3)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def client_questions(seeds: Path, count: int) -> list[tuple[str, str, str]]:
    """(client, NPS question, a touchpoint label) for the first ``count`` clients."""
    nps: dict[str, str] = {}
    for row in csv.DictReader((seeds / "question_map.csv").open()):
        if row["metric_code"] == "nps":
            nps.setdefault(row["client_id"], row["question"])
    labels: dict[str, str] = {}
    for row in csv.DictReader((seeds / "touchpoint_map.csv").open()):
        labels.setdefault(row["client_id"], row["touchpoint_label"])
    clients = sorted(c for c in nps if c in labels)[:count]
    return [(c, nps[c], labels[c]) for c in clients]


def body(client: str, question: str, label: str, tag: str, answers: int) -> str:
    lines = ["client_id,response_id,responded_at,touchpoint,question,answer"]
    lines += [
        f"{client},bench-{RUN}-{tag}-{i},{MONTH}-{1 + i % 28:02d}T12:00:00Z,"
        f"{label},{question},{i % 11}"
        for i in range(answers)
    ]
    return "\n".join(lines) + "\n"


def post_csv(http: httpx.Client, key: str, client: str, text: str) -> int:
    """Post ``text`` to the client's answers route; the rows it accepted."""
    response = http.post(
        f"/v1/clients/{client}/answers",
        content=text,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "text/csv"},
    )
    response.raise_for_status()
    accepted: int = response.json()["rows_accepted"]
    return accepted


def drop_file(landing: Path, client: str, text: str, tag: str) -> None:
    """Deliver ``text`` as one CSV file in the landing folder, complete when it appears (written
    under a name the loader skips, then renamed)."""
    target = landing / "deliveries" / f"{client}-bench-{RUN}-{tag}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, target)


def scorecard_n(http: httpx.Client, admin: str, client: str) -> int:
    response = http.get(
        f"/v1/clients/{client}/scorecard",
        params={"metric": "nps", "period": MONTH, "touchpoint": "*"},
        headers={"Authorization": f"Bearer {admin}"},
    )
    if response.status_code != 200:
        return 0
    return sum(i["n"] for i in response.json()["items"] if i["unit"] is None)


def nearest_rank(sorted_values: list[float], share: float) -> float:
    """The smallest value with at least ``share`` of the values at or below it."""
    return sorted_values[max(0, math.ceil(share * len(sorted_values)) - 1)]


def builds_since(settings: Settings, started_at: str) -> list[dict[str, Any]]:
    """The builds that started after ``started_at`` (ISO, UTC): status and step seconds."""
    builds = []
    for path in sorted((settings.warehouse / "builds").glob("*.json")):
        record = json.loads(path.read_text())
        if record.get("started_at", "") >= started_at:
            builds.append(
                {
                    "build_id": record["build_id"],
                    "status": record["status"],
                    "incremental": record.get("dbt", {}).get("full_refresh") is None,
                    "steps_s": {k: round(v, 1) for k, v in (record.get("steps") or {}).items()},
                }
            )
    return builds


def switch_times(settings: Settings) -> dict[str, float]:
    """When each build's snapshot went live (``history.jsonl``), as epoch seconds."""
    times = {}
    history = settings.published / "history.jsonl"
    for line in history.read_text().splitlines() if history.exists() else []:
        event = json.loads(line)
        if event.get("action") == "publish":
            times[event["build_id"]] = datetime.fromisoformat(event["at"]).timestamp()
    return times


def where_latency_goes(
    settings: Settings, posts: list[tuple[float, float]], started_at: str
) -> dict[str, Any]:
    """Each post's latency (posted, visible: epoch seconds) in three parts: waiting for its
    build to start (the build running when it arrived, then the builder's check), its build
    until the switch, and the switch until its answers were seen (the API loading the snapshot,
    and this bench's 0.5 s polling). A post's build is the first that started after it was sent
    (a build started in the few ms before its file was durable would not hold it: rare)."""
    switched = switch_times(settings)
    builds = []
    for path in sorted((settings.warehouse / "builds").glob("*.json")):
        record = json.loads(path.read_text())
        if record.get("started_at", "") >= started_at and record["build_id"] in switched:
            start = datetime.fromisoformat(record["started_at"]).timestamp()
            builds.append((start, switched[record["build_id"]]))
    parts: dict[str, list[float]] = {"wait": [], "build": [], "after_switch": []}
    for posted, visible in posts:
        own = next(((b, s) for b, s in sorted(builds) if b >= posted), None)
        if own is None:
            continue
        parts["wait"].append(own[0] - posted)
        parts["build"].append(own[1] - own[0])
        parts["after_switch"].append(visible - own[1])
    return {
        f"{name}_s_median": round(statistics.median(values), 1)
        for name, values in parts.items()
        if values
    } | {f"{name}_s_max": round(max(values), 1) for name, values in parts.items() if values}


def wait_visible(http: httpx.Client, admin: str, client: str, wanted: int, end: float) -> bool:
    while time.monotonic() < end:
        if scorecard_n(http, admin, client) >= wanted:
            return True
        time.sleep(0.5)
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=96)
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--per-post", type=int, default=100)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--big", type=int, default=10_000, help="0: no big post")
    parser.add_argument("--timeout", type=float, default=900.0)
    default_root = Path(tempfile.gettempdir()) / "cxbench-ingest-bench"
    parser.add_argument("--root", type=Path, default=default_root)
    parser.add_argument("--reuse", action="store_true", help="keep an existing built root")
    parser.add_argument(
        "--wait-big", action="store_true", help="also time the big post until it is visible"
    )
    parser.add_argument(
        "--drop", action="store_true", help="deliver files into the landing folder, not posts"
    )
    args = parser.parse_args()

    settings = Settings(
        home=args.root, landing_dir=args.root / "landing", warehouse_dir=args.root / "warehouse"
    )
    if not (args.reuse and (settings.published / "CURRENT").exists()):
        shutil.rmtree(args.root, ignore_errors=True)
        generate_demo(
            settings.landing, settings.seeds_dir, clients=args.clients, answers=args.answers, seed=5
        )
        started = time.perf_counter()
        run_build(settings)
        print(f"initial build: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    admin = create_key(settings.keys_file, "admin", label="ingest bench")
    targets = client_questions(settings.seeds_dir, args.posts + 1)
    ingest_keys = {c: create_key(settings.keys_file, "ingest", [c]) for c, _, _ in targets}
    env = {
        **os.environ,
        "CXB_HOME": str(settings.home),
        "CXB_LANDING_DIR": str(settings.landing),
        "CXB_WAREHOUSE_DIR": str(settings.warehouse),
    }
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "cxbench.cli", "serve", "--port", str(port), "--build-every", "1"],
        env=env,
        cwd=PROJECT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results: dict[str, Any] = {
        "answers_in_warehouse": args.answers,
        "load_average_at_start": [round(x, 1) for x in os.getloadavg()],
    }
    run_started = datetime.now(UTC).isoformat()
    try:
        http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
        deadline = time.monotonic() + 300  # a shared machine can take minutes
        while True:
            try:
                http.get("/health")
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.2)
        pending: dict[str, tuple[float, int]] = {}
        latencies: list[float] = []
        posted_at: dict[str, float] = {}
        timeline: list[tuple[float, float]] = []  # (sent, visible), epoch seconds
        next_post = time.monotonic()
        posted = 0
        end = time.monotonic() + args.timeout
        while (posted < args.posts or pending) and time.monotonic() < end:
            if posted < args.posts and time.monotonic() >= next_post:
                client, question, label = targets[posted]
                before = scorecard_n(http, admin, client)
                sent = time.monotonic()
                posted_at[client] = time.time()
                text = body(client, question, label, f"p{posted}", args.per_post)
                if args.drop:
                    drop_file(settings.landing, client, text, f"p{posted}")
                    accepted = args.per_post
                else:
                    accepted = post_csv(http, ingest_keys[client], client, text)
                pending[client] = (sent, before + accepted)
                posted += 1
                next_post += args.interval
            for client, (sent, wanted) in list(pending.items()):
                if scorecard_n(http, admin, client) >= wanted:
                    latencies.append(time.monotonic() - sent)
                    timeline.append((posted_at[client], time.time()))
                    del pending[client]
            time.sleep(0.5)
        latencies.sort()
        results["posts_visible"] = len(latencies)
        results["posts_not_visible_in_time"] = len(pending)
        if latencies:
            results["post_to_visible_p50_s"] = round(statistics.median(latencies), 1)
            results["post_to_visible_p95_s"] = round(nearest_rank(latencies, 0.95), 1)
            results["post_to_visible_min_s"] = round(latencies[0], 1)
            results["post_to_visible_max_s"] = round(latencies[-1], 1)
            results["post_latency_parts"] = where_latency_goes(settings, timeline, run_started)
        print(json.dumps(results), file=sys.stderr, flush=True)
        if args.big:  # 0: no big post (a --drop run times the files alone)
            client, question, label = targets[args.posts]
            big = body(client, question, label, "big", args.big)
            before = scorecard_n(http, admin, client)
            started = time.perf_counter()
            accepted = post_csv(http, ingest_keys[client], client, big)
            elapsed = time.perf_counter() - started
            results["big_post_answers"] = args.big
            results["big_post_seconds"] = round(elapsed, 2)
            results["ingest_answers_per_second"] = round(args.big / elapsed)
            wanted = before + accepted
            end = time.monotonic() + args.timeout
            if args.wait_big and wait_visible(http, admin, client, wanted, end):
                results["big_post_to_visible_s"] = round(time.perf_counter() - started, 1)
        results["builds_during_run"] = builds_since(settings, run_started)
        results["load_average_at_end"] = [round(x, 1) for x in os.getloadavg()]
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
