"""The wheel is the product: built from this tree, installed into a fresh venv with the pinned
lock, it runs demo → build → docs → serve from a folder outside the repository, with the dbt
project, seeds and suites it carries (setup.py bundles them), writing nothing into its install.

Slow by nature (a wheel build, a venv, a whole small build): it runs early (conftest
LONG_MODULES) on a small demo."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx

from cxbench.docs import offline_problems
from cxbench.settings import PROJECT_DIR

UV = Path(sys.executable).with_name("uv")  # `make install` puts it in the venv
DEMO = ("--clients", "30", "--answers", "12000", "--seed", "5")
BUNDLED = (
    "dbt_project.yml",
    "profiles.yml",
    "models/marts/benchmarks",
    "macros",
    "seeds/clients.csv",
    "tests/generic",
    "tests/singular",
    "expectations/raw_landing.json",
)


def run(
    args: list[str | Path],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )
    assert result.returncode == 0, (args, result.stdout[-2000:], result.stderr[-4000:])
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_the_wheel_runs_demo_build_serve_outside_the_repository(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    run([UV, "build", "-q", "-o", dist, PROJECT_DIR], cwd=tmp_path)  # sdist, then wheel from it
    (wheel,) = dist.glob("cxbench-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for part in BUNDLED:
        assert any(n.startswith(f"cxbench/dbt_project/{part}") for n in names), part
    assert not any("/tests/python/" in n or n.endswith(".duckdb") for n in names)

    venv = tmp_path / "venv"
    run([UV, "venv", "-q", "--python", sys.executable, venv])
    python = venv / "bin" / "python"
    lock = PROJECT_DIR / "requirements.lock"
    run([UV, "pip", "install", "-q", "--python", python, "-c", lock, wheel])
    where = "import cxbench, pathlib; print(pathlib.Path(cxbench.__file__).parent)"
    site = run([python, "-c", where], cwd=tmp_path)  # not the checkout's cxbench/
    installed = Path(site.stdout.strip())
    assert PROJECT_DIR not in installed.parents
    files_before = sorted(p for p in installed.rglob("*") if "__pycache__" not in p.parts)

    work = tmp_path / "somewhere"
    work.mkdir()
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    cxbench = venv / "bin" / "cxbench"
    run([cxbench, "demo", *DEMO], cwd=work, env=env)
    assert any((work / "data" / "landing").rglob("*.csv"))
    built = run([cxbench, "build", "--json"], cwd=work, env=env, timeout=900)
    record = json.loads(built.stdout)
    assert record["status"] == "published", record.get("message")
    assert record["dbt"]["counts"].get("error", 0) == 0
    assert (work / "warehouse" / "published" / record["build_id"]).is_dir()
    files_after = sorted(p for p in installed.rglob("*") if "__pycache__" not in p.parts)
    assert files_after == files_before, "the build wrote into the installed package"
    # Every module the command imports is in the wheel's dependencies (httpx once was not).
    status = run([cxbench, "status"], cwd=work, env=env)
    assert record["build_id"] in status.stdout

    docs = run([cxbench, "docs"], cwd=work, env=env, timeout=600)
    assert record["build_id"] in docs.stdout
    site = work / "warehouse" / "docs" / "dbt" / "index.html"
    html = site.read_text(encoding="utf-8")
    assert offline_problems(html) == []
    assert "exposure.cxbench." in html or "fct_benchmark_cells" in html
    files_after = sorted(p for p in installed.rglob("*") if "__pycache__" not in p.parts)
    assert files_after == files_before, "the docs wrote into the installed package"

    key = run([cxbench, "keys", "create", "--role", "admin"], cwd=work, env=env).stdout.strip()
    port = free_port()
    server = subprocess.Popen(
        [cxbench, "serve", "--port", str(port)],
        cwd=work,
        env={**env, "CXB_ACCESS_LOG": str(work / "access.log")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)
                break
            except httpx.HTTPError:
                assert server.poll() is None, "cxbench serve exited"
                assert time.monotonic() < deadline, "cxbench serve did not start"
                time.sleep(0.3)
        assert health.json()["build_id"] == record["build_id"]
        cells = httpx.get(
            f"http://127.0.0.1:{port}/v1/benchmarks?metric=nps",
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
        assert cells.status_code == 200 and cells.json()["items"]
        as_admin = httpx.BasicAuth("admin", key)
        page = httpx.get(f"http://127.0.0.1:{port}/admin/dbt-docs/", auth=as_admin, timeout=30)
        assert page.status_code == 200 and page.text == html
        audits = httpx.get(f"http://127.0.0.1:{port}/admin/audits", auth=as_admin, timeout=30)
        assert audits.status_code == 200 and "suite raw_landing on" in audits.text
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
    logged = [json.loads(line) for line in (work / "access.log").read_text().splitlines()]
    assert [e["route"] for e in logged][-4:] == [
        *("/health", "/v1/benchmarks", "/admin/dbt-docs/", "/admin/audits"),
    ]
    assert key not in (work / "access.log").read_text()
