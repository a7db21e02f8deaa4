"""Dashboard speed: server time of every request the pages make, and the browser's time to draw
each page with its charts, on a published demo (not part of `make test`).

    python bench/app_bench.py --home DIR [--repeat 20]

(Playwright is one of the test tools: ``make install-dev`` first.)

DIR is a CXB_HOME with a published snapshot (`cxbench demo` then `cxbench build` there). The
script serves it with `cxbench serve` on 127.0.0.1 (through a scratch warehouse that links to
DIR's snapshots and build records, with its own key store), signs in to /app/ with an admin key
in Debian's Chromium (Playwright), opens every page once on the freshly started server (cold:
each answer rendered for the first time) and records:

- signing in (the shell, its modules, the key's clients, /v1/meta and the benchmarks page);
- per page, the browser's render time: from navigation to the page drawn with its charts
  (``main[data-render-ms]``, which includes fetching its /v1 answers);
- per request the page made (/app assets and /v1 calls), its server time in the browser
  (Resource Timing: request sent → first byte), then the median and worst of ``--repeat`` more
  GETs of the same URL with the same key from Python.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

from cxbench.keys import create_key

CHROMIUM = os.environ.get("CXB_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGES = (
    *("benchmarks", "benchmarks?grain=quarter", "scorecard", "trends"),
    *("targets", "units", "quality"),
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def ttfb_ms(url: str, key: str) -> float:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})  # noqa: S310
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (loopback)
        answer.read(1)
        elapsed = (time.perf_counter() - started) * 1000
        answer.read()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    home = args.home.resolve()
    scratch = Path(tempfile.mkdtemp(prefix="cxb-app-bench-"))
    (scratch / "published").symlink_to(home / "warehouse" / "published")
    (scratch / "builds").symlink_to(home / "warehouse" / "builds")
    key = create_key(scratch / "api_keys.json", "admin", [])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CXB_HOME": str(home), "CXB_WAREHOUSE_DIR": str(scratch)}
    server = subprocess.Popen(
        [sys.executable, "-m", "cxbench.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                urllib.request.urlopen(f"{base}/health", timeout=2).read()  # noqa: S310
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("cxbench serve did not start") from None
                time.sleep(0.5)
        measure(base, key, args.repeat)
    finally:
        server.terminate()
        server.wait(timeout=20)


def measure(base: str, key: str, repeat: int) -> None:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{base}/app/")
        page.fill("#key", key)
        page.click("#signin button[type=submit]")
        page.wait_for_selector("main[data-page]")
        first = True
        print(
            f"{'page':<11} {'render ms':>9}  request: browser ms (cold) / median / max of {repeat}"
        )
        for name in PAGES:
            if first:
                # Signing in lands on the benchmarks: the shell, its modules and its /v1 calls.
                first = False
                name = "sign-in"
            else:
                page.evaluate("performance.clearResourceTimings()")
                page.evaluate("document.getElementById('main').removeAttribute('data-page')")
                page.evaluate("h => { location.hash = h; }", f"#/{name}")
                selector = f"main[data-page='{name.split('?')[0]}']"
                page.wait_for_selector(selector, timeout=30000)
            render = page.get_attribute("main", "data-render-ms")

            entries = page.evaluate(
                """() => performance.getEntriesByType('resource').map(e => ({
                    url: e.name, ms: e.responseStart - e.requestStart}))"""
            )
            print(f"{name:<26} {render:>9}")
            for entry in entries:
                times = [ttfb_ms(entry["url"], key) for _ in range(repeat)]
                path = urlsplit(entry["url"])
                shown = path.path + (f"?{path.query}" if path.query else "")
                print(
                    f"{'':<22}{shown[:70]:<72} {entry['ms']:7.1f} / "
                    f"{statistics.median(times):6.1f} / {max(times):6.1f}"
                )
        # Opening the page again in the signed-in tab: navigation → every module → charts.
        page.evaluate("document.getElementById('main').removeAttribute('data-page')")
        page.evaluate("location.hash = '#/benchmarks'")
        page.reload()
        page.wait_for_selector("main[data-page='benchmarks']", timeout=30000)
        drawn = page.get_attribute("main", "data-drawn-at")
        print(f"{'reload (benchmarks)':<26} {drawn:>9}  ms from navigation to the grid drawn")
        # The shell and its modules, as a first visit loads them.
        print("assets (first load in a fresh tab: median / max of repeat)")
        for asset in ("/app/", "/app/app.css", "/app/js/main.js", "/app/js/pages/benchmarks.js"):
            times = [ttfb_ms(base + asset, key) for _ in range(repeat)]
            print(f"{'':<22}{asset:<72} {statistics.median(times):6.1f} / {max(times):6.1f}")
        browser.close()


if __name__ == "__main__":
    main()
