"""The dashboard pages in a real browser: Debian's Chromium, driven by Playwright, against a
real `cxbench serve` on 127.0.0.1 over the shared test snapshot.

One server and one browser for the module (a few seconds each); every test opens its own tab,
so each starts signed out (the key lives in the tab's sessionStorage). Screenshots of every page
go to ``test-artifacts/pages/``. Chromium is Debian's (``make install`` brings it); Playwright
only drives it, and never downloads a browser of its own.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

import pyarrow.parquet as pq
import pytest

from cxbench.build import BuildRecord
from cxbench.keys import create_key
from cxbench.settings import PROJECT_DIR, Settings

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path(os.environ.get("CXB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = PROJECT_DIR / "test-artifacts" / "pages"
SERVER_START_SECONDS = 90
PAGE_SECONDS = 15


FAILED_BUILD = {
    "build_id": "29991231T235959Z-failed",
    "started_at": "2999-12-31T23:59:59+00:00",
    "finished_at": "2999-12-31T23:59:59+00:00",
    "status": "failed",
    "failed_gate": "marts",
    "steps": {"land": 1.0, "dbt_build": 20.0},
    "audits": [
        {"gate": "raw", "suite": "raw_landing", "table": "raw", "success": True, "outcomes": []},
        {
            "gate": "marts",
            "suite": "benchmark_cells",
            "table": "fct_benchmark_cells",
            "success": False,
            "outcomes": [{"success": False}],
        },
    ],
    "reconciliation": {
        "rows_landed": 1000,
        "rows_accepted": 970,
        "rows_quarantined": 25,
        "rows_superseded": 5,
        "quarantine_reasons": {"outside_scale": 20, "unknown_client": 5},
        "files": [{"source_file": "a.csv", "file_reason_code": None}],
    },
}


@dataclass
class Served:
    base: str
    keys: Path
    settings: Settings
    build_id: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def served(
    built: tuple[Settings, BuildRecord], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """`cxbench serve` on the shared snapshot, with a key store of its own: its warehouse is a
    fresh folder whose published snapshots and build records link to the shared build's."""
    settings, record = built
    warehouse = tmp_path_factory.mktemp("pages-warehouse")
    (warehouse / "published").symlink_to(settings.published, target_is_directory=True)
    (warehouse / "builds").mkdir()
    for path in (settings.warehouse / "builds").glob("*.json"):
        (warehouse / "builds" / path.name).write_text(path.read_text())
    # A later build that failed its mart gate after quarantining rows: the data-quality page
    # must show it (and its quarantine) while the shared build stays live.
    (warehouse / "builds" / f"{FAILED_BUILD['build_id']}.json").write_text(json.dumps(FAILED_BUILD))
    port = _free_port()
    env = {
        **os.environ,
        "CXB_HOME": str(settings.home),
        "CXB_WAREHOUSE_DIR": str(warehouse),
        "CXB_LANDING_DIR": str(settings.landing),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "cxbench.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_SECONDS
    try:
        while True:
            try:
                with urlopen(f"{base}/health", timeout=2) as answer:  # noqa: S310 (loopback)
                    if json.load(answer)["status"] == "ok":
                        break
            except OSError:
                pass
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            assert time.monotonic() < deadline, "cxbench serve did not start in time"
            time.sleep(0.3)
        yield Served(base, warehouse / "api_keys.json", settings, record.build_id)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Debian's Chromium with a fresh profile; every request and console error is recorded."""
    assert CHROMIUM.exists(), (
        f"The page tests need Debian's Chromium at {CHROMIUM}: run `make install` as root, "
        "or `sudo apt-get install -y chromium`."
    )
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    with playwright_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_FLAGS,
            headless=True,
            locale="en-GB",
            viewport={"width": 1400, "height": 900},
        )
        context.set_default_timeout(PAGE_SECONDS * 1000)
        context.on("request", lambda request: served.requests.append(request.url))
        try:
            yield context
        finally:
            context.close()


@dataclass
class Tab:
    page: Any
    answers: dict[str, Any]  # /v1 path?query → JSON body the page fetched


def open_tab(browser: Any, served: Served, key: str, language: str = "en") -> Tab:
    """A new tab, signed in with ``key`` through the sign-in form."""
    page = browser.new_page()
    answers: dict[str, Any] = {}

    def keep(response: Any) -> None:
        url = urlsplit(response.url)
        if url.path.startswith("/v1/"):
            try:
                answers[f"{url.path}?{url.query}"] = response.json()
            except Exception:  # a body that is not JSON
                answers[f"{url.path}?{url.query}"] = None

    page.on("response", keep)
    page.on(
        "console",
        lambda message: (
            served.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: served.console_errors.append(str(error)))
    page.goto(f"{served.base}/app/")
    page.evaluate("lang => localStorage.setItem('cxb.lang', lang)", language)
    page.reload()
    page.fill("#key", key)
    page.click("#signin button[type=submit]")
    page.wait_for_selector("main[data-page]")
    return Tab(page, answers)


def show(tab: Tab, route: str) -> str:
    """Navigate to ``#/route`` and wait for the page to finish; its render time in ms."""
    page_name = route.split("?")[0]
    tab.page.evaluate("document.getElementById('main').removeAttribute('data-page')")
    tab.page.evaluate("hash => { location.hash = hash; }", f"#/{route}")
    tab.page.wait_for_selector(f"main[data-page='{page_name}']")
    return str(tab.page.get_attribute("main", "data-render-ms"))


def screenshot(tab: Tab, name: str) -> None:
    tab.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def fetched(tab: Tab, path: str) -> Any:
    found = [body for url, body in tab.answers.items() if url.startswith(path + "?")]
    assert found, f"the page did not fetch {path}"
    return found[-1]


def mart(served: Served, name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = pq.read_table(
        served.settings.published / served.build_id / f"{name}.parquet"
    ).to_pylist()
    return rows


@pytest.fixture(scope="module")
def choice(served: Served) -> dict[str, str]:
    """A client with a ranked NPS at '*' (a published industry cell), and the yearly period
    with the most published NPS cells."""
    rows = [
        r
        for r in mart(served, "fct_client_scorecards")
        if r["metric_code"] == "nps"
        and r["touchpoint_code"] == "*"
        and r["period_grain"] == "year"
        and r["percentile_rank"] is not None
    ]
    assert rows, "the small demo must give some client a ranked yearly NPS"
    row = max(rows, key=lambda r: r["n"])
    published: dict[str, int] = {}
    for cell in mart(served, "fct_benchmark_cells"):
        if cell["metric_code"] == "nps" and cell["period_grain"] == "year":
            published[cell["period"]] = published.get(cell["period"], 0) + bool(
                cell["is_published"]
            )
    period = max(published, key=lambda p: published[p])
    other = next(
        c["client_id"] for c in mart(served, "dim_clients") if c["client_id"] != row["client_id"]
    )
    return {
        "client": row["client_id"],
        "period": row["period"],
        "bench_period": period,
        "other": other,
    }


def test_sign_in_and_every_page_renders_with_its_charts(
    browser: Any, served: Served, choice: dict[str, str]
) -> None:
    tab = open_tab(browser, served, create_key(served.keys, "admin", []))
    page = tab.page
    assert page.locator("nav a[data-page]").count() == 8  # an admin sees Data quality too
    times = {}

    times["benchmarks"] = show(
        tab, f"benchmarks?metric=nps&grain=year&period={choice['bench_period']}"
    )
    cells = fetched(tab, "/v1/benchmarks")["items"]
    published = [c for c in cells if c["suppressed_reason"] is None]
    assert published, "the chosen period must have published cells"
    marks = page.evaluate(
        """() => [...document.querySelectorAll('#bench-grid td[data-cell]')].map(td => ({
            cell: td.dataset.cell, withheld: td.classList.contains('withheld'),
            boxes: td.querySelectorAll('rect.box').length,
            medians: td.querySelectorAll('line.median').length,
            whiskers: td.querySelectorAll('line.whisker').length}))"""
    )
    by_cell = {m["cell"]: m for m in marks}
    assert len(by_cell) == len(cells)
    assert page.locator("#bench-grid rect.box").count() == len(published)
    for cell in published:
        mark = by_cell[f"{cell['industry']}|{cell['touchpoint']}"]
        has_whiskers = cell["p10"] is not None and cell["p90"] is not None
        assert (mark["boxes"], mark["medians"], mark["whiskers"]) == (
            1,
            1,
            2 if has_whiskers else 0,
        )
    screenshot(tab, "benchmarks")
    with page.expect_download() as download:  # the same answer as CSV, through the header
        page.click("button.csv")
    csv_path = download.value.path()
    assert download.value.suggested_filename.endswith(".csv")
    assert Path(csv_path).read_text(encoding="utf-8-sig").startswith("build_id,industry,")

    client, period = choice["client"], choice["period"]
    times["scorecard"] = show(
        tab, f"scorecard?client={client}&metric=nps&grain=year&period={period}"
    )
    items = fetched(tab, f"/v1/clients/{client}/scorecard")["items"]
    with_cell = [i for i in items if i["benchmark"]["suppressed_reason"] is None]
    assert with_cell, "the chosen client has a published industry cell"
    assert page.locator("#scorecard-table rect.box").count() == len(with_cell)
    assert page.locator("#scorecard-table path.point").count() == len(items)
    screenshot(tab, "scorecard")

    times["trends"] = show(tab, f"trends?client={client}&metric=nps&touchpoint=*&grain=quarter")
    series = fetched(tab, f"/v1/clients/{client}/scorecard")["items"]
    assert page.locator("#trend-chart path.client-point").count() == len(series) > 1
    bench_periods = [i for i in series if i["benchmark"]["median"] is not None]
    assert page.locator("#trend-chart circle.industry-point").count() == len(bench_periods)
    assert page.locator("#trend-table tbody tr").count() == len(series)
    screenshot(tab, "trends")

    times["targets"] = show(
        tab, f"targets?client={client}&metric=nps&grain=year&period={period}&ambition=p75"
    )
    targets = fetched(tab, f"/v1/clients/{client}/targets")["items"]
    assert page.locator("#targets-table tbody tr").count() == len(targets)
    assert page.locator("#targets-table circle.target-mark").count() == sum(
        t["target"] is not None for t in targets
    )
    screenshot(tab, "targets")

    times["units"] = show(tab, f"units?client={client}&metric=nps&grain=year&period={period}")
    unit_items = fetched(tab, f"/v1/clients/{client}/scorecard")["items"]
    assert page.locator("#units-table path.point").count() == len(unit_items)
    screenshot(tab, "units")

    times["quality"] = show(tab, "quality")
    quality = fetched(tab, "/v1/quality")
    assert page.locator("#builds-table tbody tr").count() == len(quality["items"]) >= 1
    assert page.locator("#recon-chart rect.recon").count() == 3  # accepted, quarantined, superseded
    assert page.locator("#quarantine-chart rect.bar").count() == len(quality["quarantine"]) == 2
    assert page.locator("#builds-table tbody tr").first.locator(".gate.fail").count() == 1
    screenshot(tab, "quality")
    print("render ms:", times)  # shown with -s

    # Finnish: the switch relabels the page and formats numbers with a decimal comma.
    show(tab, f"benchmarks?metric=nps&grain=year&period={choice['bench_period']}")
    page.click("#lang")
    page.wait_for_selector("h1:has-text('Vertailuarvot')")
    first = page.locator("#bench-grid td.published .value").first.inner_text()
    assert re.fullmatch(r"−?\d+,\d", first), first
    screenshot(tab, "benchmarks-fi")
    page.click("#lang")
    page.close()


@pytest.fixture(scope="module")
def driven(served: Served) -> tuple[str, str]:
    """The client and year with the most drivers that have an importance, over all touchpoints
    (consumer clients are asked few driver questions; business clients the CX-index ones)."""
    counts: dict[tuple[str, str], int] = {}
    for row in mart(served, "fct_client_drivers"):
        if row["touchpoint_code"] == "*" and row["period_grain"] == "year":
            key = (row["client_id"], row["period"])
            counts[key] = counts.get(key, 0) + (row["importance"] is not None)
    return max(counts, key=lambda k: (counts[k], k))


def _agree(served: Served, key: str, client: str, touchpoint: str, body: dict[str, Any]) -> None:
    """An agreed target, written the way a consultant would: PUT through the served API."""
    request = Request(  # noqa: S310 (loopback)
        f"{served.base}/v1/clients/{client}/targets/{touchpoint}/nps",
        data=json.dumps(body).encode(),
        method="PUT",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    try:
        with urlopen(request, timeout=10) as answer:  # noqa: S310 (loopback)
            assert answer.status in (200, 201)
    except HTTPError as error:
        raise AssertionError(error.read().decode()) from error


def test_drivers_themes_and_agreed_targets_draw_what_the_api_answered(
    browser: Any, served: Served, choice: dict[str, str], driven: tuple[str, str]
) -> None:
    client, period = choice["client"], choice["period"]
    b2b, b2b_year = driven
    key = create_key(served.keys, "admin", [])
    dates = {"baseline_period": f"{period}-Q1", "due_period": f"{int(period) + 1}-Q4"}
    _agree(served, key, client, "*", {"target_value": 60, **dates, "note": "stretch"})
    _agree(served, key, client, "billing", {"target_value": -100, **dates})
    tab = open_tab(browser, served, key)
    page = tab.page
    count = lambda selector: page.locator(selector).count()  # noqa: E731
    times = {}

    # Drivers: one point per driver with an importance, one industry mark per published
    # median, one table row per driver, one bar per touchpoint impact with a number.
    times["drivers"] = show(tab, f"drivers?client={b2b}&grain=year&period={b2b_year}&touchpoint=*")
    drivers = fetched(tab, f"/v1/clients/{b2b}/drivers")
    rated = [d for d in drivers["items"] if d["importance"] is not None]
    assert len(rated) >= 3, "the demo must give the client some drivers"
    assert count("#drivers-chart circle.driver-point") == len(rated)
    assert count("#drivers-chart line.ci") == sum(d["importance_ci_low"] is not None for d in rated)
    assert count("#drivers-chart path.industry-point") == sum(
        d["industry_median_importance"] is not None for d in rated
    )
    assert count("#drivers-chart text.driver-label") == len(rated)
    assert count("#drivers-table tbody tr") == len(drivers["items"])
    ranks = page.locator("#drivers-table tbody tr td:first-child").all_inner_texts()
    assert ranks == [str(d["rank"]) for d in drivers["items"]]
    impacts = drivers["touchpoint_impacts"]
    assert impacts
    assert count("#impacts-chart rect.impact") == sum(
        i["impact_on_client_nps"] is not None for i in impacts
    )
    shown = page.locator("#impacts-table tbody th").all_inner_texts()
    assert len(shown) == len(impacts)
    screenshot(tab, "drivers")

    # Themes: one bar pair per theme, a star per significant lift, an industry tick per
    # published share; a withheld share shows the word and no number.
    times["themes"] = show(tab, f"themes?client={client}&grain=year&period={period}&touchpoint=*")
    themes = fetched(tab, f"/v1/clients/{client}/themes")["items"]
    assert themes and all(i["touchpoint"] == "*" and i["period"] == period for i in themes)
    assert count("#themes-table tbody tr") == len(themes)
    assert count("#themes-table rect.bar.detractors") == sum(
        i["detractors"]["share"] is not None for i in themes
    )
    assert count("#themes-table rect.bar.promoters") == sum(
        i["promoters"]["share"] is not None for i in themes
    )
    assert count("#themes-table text.lift-mark") == sum(bool(i["lift_significant"]) for i in themes)
    published_ticks = sum(
        i["benchmark"][f"share_{g}"] is not None
        for i in themes
        for g in ("detractors", "promoters")
    )
    assert count("#themes-table line.industry-tick") == published_ticks
    withheld = page.locator("#themes-table td.withheld.industry")
    assert withheld.count() == 2 * len(themes) - published_ticks
    assert all(not re.search(r"\d", text) for text in withheld.all_inner_texts())
    # The verbatims: the client's own, as served, newest first; paging and the group filter.
    comments = fetched(tab, f"/v1/clients/{client}/comments")
    assert comments["total"] > 10 and len(comments["items"]) == 10
    texts = page.locator("#comments li.comment blockquote").all_inner_texts()
    assert texts == [c["text"] for c in comments["items"]]
    stamps = [c["responded_at"] for c in comments["items"]]
    assert stamps == sorted(stamps, reverse=True)
    screenshot(tab, "themes")
    page.evaluate("document.getElementById('main').removeAttribute('data-page')")
    page.click("#comments-next")
    page.wait_for_selector("main[data-page='themes']")
    assert "offset=10" in page.evaluate("location.hash")
    second = page.locator("#comments li.comment").first.get_attribute("data-comment")
    assert second == fetched(tab, f"/v1/clients/{client}/comments")["items"][0]["comment_id"]
    assert second not in {c["comment_id"] for c in comments["items"]}
    page.evaluate("document.getElementById('main').removeAttribute('data-page')")
    page.select_option("#sel-group", "detractor")
    page.wait_for_selector("main[data-page='themes']")
    groups = page.locator("#comments .group").all_inner_texts()
    assert groups and all(g.startswith("Detractor") for g in groups)
    assert "offset" not in page.evaluate("location.hash")  # a new filter starts at the newest

    # Agreed targets: one row per agreed target, with the status the progress route gives.
    times["targets"] = show(
        tab, f"targets?client={client}&metric=nps&grain=year&period={period}&ambition=p75"
    )
    agreed = fetched(tab, f"/v1/clients/{client}/targets")["agreed"]
    assert {a["touchpoint"] for a in agreed} == {"*", "billing"}
    rows = page.locator("#agreed-table tbody tr")
    assert rows.count() == len(agreed)
    labels = {
        "on_track": "On track",
        "at_risk": "At risk",
        "off_track": "Off track",
        "insufficient_data": "Insufficient data",
    }
    for target in agreed:
        progress = fetched(tab, f"/v1/clients/{client}/targets/{target['touchpoint']}/nps/progress")
        row = page.locator(f"#agreed-table tr[data-touchpoint='{target['touchpoint']}']")
        assert row.get_attribute("data-status") == progress["status"]
        assert labels[progress["status"]] in row.locator(".status-badge").inner_text()
        if progress["latest"] is not None:
            value = f"{progress['latest']['value']:.1f}"
            assert value in row.inner_text()
    screenshot(tab, "targets-agreed")
    print("render ms:", times)  # shown with -s

    # Finnish labels on the new pages.
    show(tab, f"drivers?client={b2b}&grain=year&period={b2b_year}&touchpoint=*")
    page.click("#lang")
    page.wait_for_selector("h1:has-text('NPS:n keskeiset ajurit')")
    screenshot(tab, "drivers-fi")
    page.click("#lang")
    page.close()


def test_a_withheld_industry_importance_draws_nothing_and_shows_no_number(
    browser: Any, served: Served, driven: tuple[str, str]
) -> None:
    """The real drivers answer with one published industry median withheld on its way to the
    page: that driver keeps its point and whisker but loses its industry mark and number."""
    altered: dict[str, Any] = {}

    def alter(route: Any) -> None:
        answer = route.fetch()
        body = answer.json()
        item = next(i for i in body["items"] if i["industry_median_importance"] is not None)
        for name in (
            "industry_median_importance",
            "industry_p25_importance",
            "industry_p75_importance",
        ):
            item[name] = None
        item["industry_suppressed_reason"] = "too_few_clients"
        altered["item"] = item
        altered["published"] = sum(
            i["industry_median_importance"] is not None and i["importance"] is not None
            for i in body["items"]
        )
        route.fulfill(response=answer, json=body)

    tab = open_tab(browser, served, create_key(served.keys, "admin", []))
    tab.page.route("**/drivers?*", alter)
    show(tab, f"drivers?client={driven[0]}&grain=year&period={driven[1]}&touchpoint=*")
    page = tab.page
    item = altered["item"]
    assert page.locator("#drivers-chart path.industry-point").count() == altered["published"]
    mark = page.locator(f"#drivers-chart g[data-driver='{item['driver']}']")
    assert mark.locator("circle.driver-point").count() == 1
    assert mark.locator("path.industry-point").count() == 0
    cell = page.locator(f"#drivers-table tr[data-driver='{item['driver']}'] td.industry")
    assert "Withheld" in cell.inner_text() and "too few clients" in cell.inner_text()
    assert not re.search(r"\d", cell.inner_text())
    page.close()


def test_a_client_key_cannot_reach_another_clients_pages(
    browser: Any, served: Served, choice: dict[str, str]
) -> None:
    own, other = choice["client"], choice["other"]
    tab = open_tab(browser, served, create_key(served.keys, "client", [own]))
    page = tab.page
    assert page.locator("nav a[data-page='quality']").count() == 0
    show(tab, f"scorecard?metric=nps&grain=year&period={choice['period']}")
    assert page.locator("#sel-client").count() == 0  # one client: no picker
    assert fetched(tab, f"/v1/clients/{own}/scorecard")["client_id"] == own
    for route in ("scorecard", "trends", "targets", "units", "drivers", "themes"):
        show(tab, f"{route}?client={other}&period={choice['period']}")
        problem = page.locator("#problem")
        assert problem.is_visible()
        assert f"does not give access to client {other}" in problem.inner_text()
        assert not [url for url in tab.answers if url.startswith(f"/v1/clients/{other}/")] or all(
            body.get("status") == 403
            for url, body in tab.answers.items()
            if url.startswith(f"/v1/clients/{other}/")
        )
    screenshot(tab, "forbidden-client")
    show(tab, "quality")
    assert "needs an admin key" in page.locator("#problem").inner_text()
    page.close()


def _withheld_numbers(body: Any, path: str = "") -> list[str]:
    """Paths of numbers inside any object whose suppressed_reason is set."""
    found: list[str] = []
    if isinstance(body, dict):
        if body.get("suppressed_reason") is not None:
            found += [
                f"{path}.{k}"
                for k, v in body.items()
                if isinstance(v, int | float) and not isinstance(v, bool)
            ]
        for k, v in body.items():
            found += _withheld_numbers(v, f"{path}.{k}")
    elif isinstance(body, list):
        for i, v in enumerate(body):
            found += _withheld_numbers(v, f"{path}[{i}]")
    return found


def test_withheld_cells_show_no_number_in_the_page_or_what_it_fetched(
    browser: Any, served: Served, choice: dict[str, str]
) -> None:
    tab = open_tab(browser, served, create_key(served.keys, "consultant", [choice["client"]]))
    page = tab.page
    show(tab, f"benchmarks?metric=nps&grain=year&period={choice['bench_period']}")
    withheld = page.locator("#bench-grid td.withheld")
    assert withheld.count() > 0
    texts = withheld.all_inner_texts()
    assert all(not re.search(r"\d", text) for text in texts), texts
    assert page.locator("#bench-grid td.withheld svg").count() == 0
    show(tab, f"scorecard?metric=nps&grain=quarter&period={choice['period']}-Q2")
    show(tab, f"targets?metric=nps&grain=year&period={choice['period']}")
    show(tab, "trends?metric=nps&grain=quarter")
    for url, body in tab.answers.items():
        assert _withheld_numbers(body) == [], url
        if url.startswith("/v1/clients/") and url.split("?")[0].endswith("/targets"):
            for item in body["items"]:
                if item["benchmark_suppressed_reason"] is not None:
                    assert item["target"] is None and item["gap"] is None
    page.close()


def test_the_pages_handle_what_disclosure_control_will_withhold(
    browser: Any, served: Served, choice: dict[str, str]
) -> None:
    """Issue #11 nulls p10/p90 below 10 contributors and withholds more cells with reason
    'complementary': the real answer, altered that way on its way to the page, draws a box
    without whiskers and a withheld cell with that reason and no number."""
    altered: dict[str, Any] = {}

    def alter(route: Any) -> None:
        answer = route.fetch()
        body = answer.json()
        published = [c for c in body["items"] if c["suppressed_reason"] is None]
        no_tails, hidden = published[0], published[1]
        no_tails["p10"] = no_tails["p90"] = None
        for name in ("n_clients", "n_responses", "value", "mean", "p25", "median", "p75", "moe"):
            hidden[name] = None
        hidden["p10"] = hidden["p90"] = None
        hidden["suppressed_reason"] = "complementary"
        altered.update(no_tails=no_tails, hidden=hidden)
        route.fulfill(response=answer, json=body)

    tab = open_tab(browser, served, create_key(served.keys, "admin", []))
    tab.page.route("**/v1/benchmarks?*", alter)
    # Signing in drew the grid unaltered and the tab keeps answers: start it afresh.
    tab.page.reload()
    tab.page.wait_for_selector("main[data-page]")
    show(tab, f"benchmarks?metric=nps&grain=year&period={choice['bench_period']}")
    page = tab.page
    no_tails = altered["no_tails"]
    cell = page.locator(f"td[data-cell='{no_tails['industry']}|{no_tails['touchpoint']}']")
    assert cell.locator("rect.box").count() == 1 and cell.locator("line.whisker").count() == 0
    assert "p10" not in (cell.locator("svg").get_attribute("aria-label") or "")
    hidden = altered["hidden"]
    cell = page.locator(f"td[data-cell='{hidden['industry']}|{hidden['touchpoint']}']")
    assert cell.get_attribute("class") == "withheld"
    assert "would reveal another cell" in cell.inner_text()
    assert not re.search(r"\d", cell.inner_text())
    page.close()


def test_keyboard_alone_moves_between_pages_and_choices(
    browser: Any, served: Served, choice: dict[str, str]
) -> None:
    tab = open_tab(browser, served, create_key(served.keys, "client", [choice["client"]]))
    page = tab.page
    page.focus("nav a[data-page='targets']")
    page.keyboard.press("Enter")
    page.wait_for_selector("main[data-page='targets'] #targets-table")
    page.focus("#sel-ambition")
    page.evaluate("document.getElementById('main').removeAttribute('data-page')")
    page.keyboard.press("ArrowDown")  # p75 → p90
    page.wait_for_selector("main[data-page='targets']")
    assert "ambition=p90" in page.evaluate("location.hash")
    # The control changed keeps the focus after the page is drawn again.
    assert page.evaluate("document.activeElement.id") == "sel-ambition"
    page.close()


def test_the_key_stays_in_the_tab_and_sign_out_forgets_it(browser: Any, served: Served) -> None:
    key = create_key(served.keys, "admin", [])
    tab = open_tab(browser, served, key)
    page = tab.page
    assert page.evaluate("sessionStorage.getItem('cxb.key')") == key
    assert page.evaluate("document.cookie") == ""
    assert key not in json.dumps(page.evaluate("({...localStorage})"))
    assert browser.cookies() == []
    page.click("#signout")
    page.wait_for_selector("#signin")
    assert page.evaluate("sessionStorage.getItem('cxb.key')") is None
    page.close()


def test_no_request_left_loopback_and_the_pages_broke_no_policy(served: Served) -> None:
    """Runs last: every request the browser made in this module, and every console error (a
    Content-Security-Policy violation is one)."""
    assert served.requests, "the browser tests made no requests"
    outside = [url for url in served.requests if urlsplit(url).hostname != "127.0.0.1"]
    assert outside == []
    assert not [url for url in served.requests if "cxb_" in url]  # never a key in a URL
    # The 403s the forbidden pages asked for are expected; nothing else may be an error.
    unexpected = [e for e in served.console_errors if "403" not in e]
    assert unexpected == []
    with urlopen(f"{served.base}/app/", timeout=5) as answer:  # noqa: S310 (loopback)
        policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
