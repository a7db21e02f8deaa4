"""API speed on loopback: wrk against the real server on a real published demo snapshot.

    python bench/api_bench.py [--warehouse DIR] [--duration 10] [--connections 20]

Starts uvicorn with the app factory, as `cxbench serve` does, on 127.0.0.1, and measures with
wrk (Debian package `wrk`) requests/s and p50/p99 latency of:

- a constant JSON route added to the same app by this script only (the baseline: the same
  uvicorn, the same middleware and exception handlers, no key and no data);
- /v1/benchmarks queries, with an API key;
- every /v1 route with a {client_id} parameter (scorecard, targets) that the app has, with a
  client key for its own client.

The goal (issue #5): every benchmark route at least half the constant route's requests/s, and
p99 under 10 ms at 20 connections. Not part of `make test`: timings depend on the machine.

Without --warehouse, the demo (`cxbench demo`, then `cxbench build`) is built once under
warehouse/bench-api/ and reused. Keys for the run live in a temporary file, never in the
warehouse's own key store.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CONSTANT_PATH = "/bench/constant"
RAW_PATH = "/bench/raw"
RAW_BODY = b'{"status":"ok","service":"cxbench"}'
KEYS_ENV = "CXB_BENCH_KEYS_FILE"
# Values for query parameters of client routes (the same defaults the scoping tests use).
QUERY_DEFAULTS = {"metric": "nps", "touchpoint": "*", "ambition": "p75", "grain": "year"}


def bench_app() -> object:
    """The production app plus a constant JSON route, wrapped in a tiny ASGI function that
    answers one constant path before any framework code; the key store from the bench's file.

    uvicorn imports this factory (`bench.api_bench:bench_app`); nothing here is in the
    production app. The constant route is the baseline of the goal; the raw one shows what
    the machine and uvicorn alone allow (the floor under any route's latency).
    """
    from cxbench.api.deps import KeyCache
    from cxbench.api.main import create_served_app

    app = create_served_app()  # as `cxbench serve` runs it
    keys_file = os.environ.get(KEYS_ENV)
    if keys_file:
        app.state.keys = KeyCache(Path(keys_file))

    async def constant() -> dict[str, str]:
        return {"status": "ok", "service": "cxbench"}

    app.add_api_route(CONSTANT_PATH, constant, methods=["GET"], include_in_schema=False)

    async def with_raw(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == RAW_PATH:
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": RAW_BODY})
            return
        await app(scope, receive, send)

    return with_raw


@dataclass
class Result:
    name: str
    path: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: str


def run(cmd: list[str], env: dict[str, str]) -> None:
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, env=env, check=True, cwd=ROOT)


def prepare_warehouse(args: argparse.Namespace, env: dict[str, str]) -> Path:
    if args.warehouse:
        warehouse = Path(args.warehouse).resolve()
        if not (warehouse / "published" / "CURRENT").exists():
            sys.exit(f"No published snapshot in {warehouse}; run `cxbench build` first.")
        return warehouse
    base = ROOT / "warehouse" / "bench-api"
    warehouse = base / "warehouse"
    env.update(CXB_LANDING_DIR=str(base / "landing"), CXB_WAREHOUSE_DIR=str(warehouse))
    if not (warehouse / "published" / "CURRENT").exists():
        shutil.rmtree(base, ignore_errors=True)
        run([str(BIN / "cxbench"), "demo"], env)
        run([str(BIN / "cxbench"), "build"], env)
    return warehouse


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get(url: str, key: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)  # noqa: S310 (loopback URL built here)
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_for(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("The server exited before answering; see its output above.")
        try:
            status, body = get(f"{base}/health")
            if status == 200 and json.loads(body).get("status") == "ok":
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit("The server did not answer /health within 60 s.")


def parse_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(name: str, base: str, path: str, key: str | None, args: argparse.Namespace) -> Result:
    status, body = get(base + path, key)  # warm-up, and a check that the route answers 200
    if status != 200:
        sys.exit(f"{path} answered {status}: {body[:200]!r}")
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s"]
    cmd += ["--latency", "--timeout", "5s"]
    if key:
        cmd += ["-H", f"Authorization: Bearer {key}"]
    out = subprocess.run([*cmd, base + path], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = parse_ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = parse_ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    errors = ", ".join(
        line.strip() for line in out.splitlines() if "Non-2xx" in line or "Socket errors" in line
    )
    return Result(name, path, rps, p50, p99, errors)


def client_route_urls(base: str, admin: str, client_id: str) -> list[tuple[str, str]]:
    """(name, url) of each /v1 GET route with a {client_id} parameter, for ``client_id``,
    its required query parameters filled with ordinary values."""
    spec = json.loads(get(f"{base}/openapi.json")[1])
    meta = json.loads(get(f"{base}/v1/meta", admin)[1])
    defaults = {**QUERY_DEFAULTS, "period": meta["periods"]["year"][-1]}
    urls = []
    for path, operations in sorted(spec["paths"].items()):
        if "{client_id}" not in path or "get" not in operations:
            continue
        if path.replace("{client_id}", "").count("{"):
            continue  # one agreed target's routes: they need a target set first
        params = {
            p["name"]: defaults[p["name"]]
            for p in operations["get"].get("parameters", [])
            if p["in"] == "query" and p.get("required") and p["name"] in defaults
        }
        url = path.replace("{client_id}", client_id)
        urls.append((path.rsplit("/", 1)[-1], url + (f"?{urlencode(params)}" if params else "")))
    return urls


@contextmanager
def server(env: dict[str, str], port: int) -> Iterator[str]:
    """uvicorn on 127.0.0.1 with the bench factory and `cxbench serve`'s settings."""
    cmd = [str(BIN / "python"), "-m", "uvicorn", "bench.api_bench:bench_app", "--factory"]
    cmd += ["--app-dir", str(ROOT), "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--no-access-log", "--log-level", "warning"]
    process = subprocess.Popen(cmd, env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", help="a warehouse folder with a published snapshot")
    parser.add_argument("--duration", type=int, default=10, help="seconds per route (10)")
    parser.add_argument("--connections", type=int, default=20, help="wrk connections (20)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")

    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    warehouse = prepare_warehouse(args, env)
    env["CXB_WAREHOUSE_DIR"] = str(warehouse)
    sys.path.insert(0, str(ROOT))
    from cxbench.keys import create_key

    with tempfile.TemporaryDirectory(prefix="cxbench-bench-") as tmp:
        keys_file = Path(tmp) / "keys.json"
        env[KEYS_ENV] = str(keys_file)
        admin = create_key(keys_file, "admin")
        client_id = sorted(published_clients(warehouse))[0]
        client = create_key(keys_file, "client", [client_id])
        with server(env, free_port()) as base:
            meta = json.loads(get(f"{base}/v1/meta", admin)[1])
            year = meta["periods"]["year"][-1]
            industry = meta["industries"][0]["industry_code"]
            one_cell = {"metric": "nps", "industry": industry, "touchpoint": "*", "period": year}
            targets: list[tuple[str, str, str | None]] = [
                ("constant JSON (baseline)", CONSTANT_PATH, None),
                ("raw ASGI constant (machine floor)", RAW_PATH, None),
                ("benchmarks: one cell", f"/v1/benchmarks?{urlencode(one_cell)}", admin),
                (
                    "benchmarks: an industry, all touchpoints",
                    f"/v1/benchmarks?{urlencode({'metric': 'nps', 'industry': industry})}",
                    admin,
                ),
                (
                    "benchmarks: every cell of a year",
                    f"/v1/benchmarks?{urlencode({'metric': 'nps', 'period': year})}",
                    admin,
                ),
            ]
            routes = client_route_urls(base, admin, client_id)
            if not routes:
                print("(this app has no /v1 route with {client_id}: no scorecard to measure)")
            targets += [(f"{name} (client key)", url, client) for name, url in routes]
            results = [wrk(name, base, path, key, args) for name, path, key in targets]
    report(results, args)


def published_clients(warehouse: Path) -> set[str]:
    import pyarrow.parquet as pq

    build_id = (warehouse / "published" / "CURRENT").read_text().strip()
    table = pq.read_table(warehouse / "published" / build_id / "dim_clients.parquet")
    return set(table.column("client_id").to_pylist())


def report(results: list[Result], args: argparse.Namespace) -> None:
    baseline = results[0].requests_per_s
    print()
    print(f"wrk, {args.connections} connections, {args.threads} threads, {args.duration} s each")
    print(f"{'route':42} {'req/s':>9} {'vs const':>9} {'p50 ms':>8} {'p99 ms':>8}  goal")
    failed = False
    for r in results:
        ratio = r.requests_per_s / baseline if baseline else 0.0
        informational = r.path.startswith("/bench/")
        ok = not r.errors and (informational or (ratio >= 0.5 and r.p99_ms < 10))
        failed |= not ok
        goal = "-" if informational else ("met" if ok else "MISSED")
        print(
            f"{r.name:42} {r.requests_per_s:9.0f} {ratio:9.2f} {r.p50_ms:8.2f} {r.p99_ms:8.2f}"
            f"  {goal} {r.errors}"
        )
        print(f"    {r.path}")
    print()
    verdict = "MISSED" if failed else "met"
    print(f"goal (>= 0.5 x the constant route's req/s, p99 < 10 ms): {verdict}")


if __name__ == "__main__":
    main()
