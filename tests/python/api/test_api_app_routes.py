"""The /v1 routes the dashboard pages need (the key's clients; data quality for admins) and how
the pages are served (security headers, nothing fetched from elsewhere), on the real snapshot."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from cxbench.api.main import create_app
from cxbench.api.pages import CONTENT_SECURITY_POLICY
from cxbench.build import BuildRecord
from cxbench.settings import PROJECT_DIR, Settings
from tests.python.api.fixtures import key

STATIC = PROJECT_DIR / "cxbench" / "api" / "static" / "app"


@pytest.fixture(scope="module")
def warehouse(
    built: tuple[Settings, BuildRecord], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A warehouse of the module's own whose snapshots link to the shared build's, and whose
    build records are copies the tests may add to."""
    settings, _ = built
    folder = tmp_path_factory.mktemp("app-routes")
    (folder / "published").symlink_to(settings.published, target_is_directory=True)
    (folder / "builds").mkdir()
    for record in (settings.warehouse / "builds").glob("*.json"):
        (folder / "builds" / record.name).write_text(record.read_text())
    return folder


@pytest.fixture(scope="module")
def served(built: tuple[Settings, BuildRecord], warehouse: Path) -> Iterator[TestClient]:
    settings, _ = built
    own = Settings(home=settings.home, landing_dir=settings.landing, warehouse_dir=warehouse)
    with TestClient(create_app(own)) as test_client:
        yield test_client


def client_ids(built: tuple[Settings, BuildRecord]) -> list[str]:
    settings, record = built
    rows = pq.read_table(settings.published / record.build_id / "dim_clients.parquet").to_pylist()
    return sorted(r["client_id"] for r in rows)


def test_the_client_list_is_what_the_key_may_see(
    served: TestClient, built: tuple[Settings, BuildRecord]
) -> None:
    every = client_ids(built)
    admin = served.get("/v1/clients", headers=key(served, "admin")).json()
    assert admin["role"] == "admin" and [c["client_id"] for c in admin["items"]] == every
    pair = every[3:5]
    consultant = served.get("/v1/clients", headers=key(served, "consultant", *pair)).json()
    assert consultant["role"] == "consultant"
    assert [c["client_id"] for c in consultant["items"]] == pair
    own = served.get("/v1/clients", headers=key(served, "client", every[7])).json()
    assert [c["client_id"] for c in own["items"]] == [every[7]]
    assert set(own["items"][0]) == {"client_id", "client_name", "industry"}
    # A consultant key naming a client that does not exist lists only the real ones.
    ghost = served.get("/v1/clients", headers=key(served, "consultant", every[0], "c999x")).json()
    assert [c["client_id"] for c in ghost["items"]] == [every[0]]
    csv = served.get("/v1/clients", headers={**key(served, "admin"), "Accept": "text/csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.lstrip("\ufeff").splitlines()[0] == (
        "build_id,role,client_id,client_name,industry"
    )
    assert served.get("/v1/clients").status_code == 401


def test_data_quality_is_for_admins_and_reads_the_build_records(
    served: TestClient, built: tuple[Settings, BuildRecord], warehouse: Path
) -> None:
    _, record = built
    for role, ids in (("consultant", ("c001",)), ("client", ("c001",))):
        answer = served.get("/v1/quality", headers=key(served, role, *ids))
        assert answer.status_code == 403
        assert answer.json()["detail"] == "This needs an admin API key."
    admin = key(served, "admin")
    body = served.get("/v1/quality", headers=admin).json()
    assert body["live_build_id"] == record.build_id
    live = [b for b in body["items"] if b["is_live"]]
    assert [b["build_id"] for b in live] == [record.build_id]
    assert all(g["success"] for g in live[0]["gates"]) and live[0]["gates"]
    rec = body["reconciliation"]
    assert rec["rows_landed"] == record.reconciliation["rows_landed"]
    assert rec["balanced"] is True
    assert (
        rec["rows_landed"]
        == rec["rows_accepted"] + rec["rows_quarantined"] + (rec["rows_superseded"])
    )
    assert sum(q["rows"] for q in body["quarantine"]) == rec["rows_quarantined"]
    freshness = body["freshness"]
    assert freshness["clients_total"] == len(client_ids(built))
    assert re.fullmatch(r"\d{4}-\d{2}", freshness["latest_month"])
    assert all(
        c["months_behind"] is None or c["months_behind"] > 0 for c in freshness["clients_behind"]
    )

    # A failed build publishes nothing, so the snapshot stays: the page must still show it at
    # once (this answer is never cached or replayed).
    failed = {
        "build_id": "29991231T235959Z-failed",
        "started_at": "2999-12-31T23:59:59+00:00",
        "status": "failed",
        "failed_gate": "marts",
        "message": "A gate failed; nothing was published.",
        "steps": {"land": 1.0},
        "audits": [
            {
                "gate": "marts",
                "suite": "benchmark_cells",
                "table": "fct_benchmark_cells",
                "success": False,
                "outcomes": [{"success": False}, {"success": True}],
            }
        ],
    }
    (warehouse / "builds" / f"{failed['build_id']}.json").write_text(json.dumps(failed))
    newest = served.get("/v1/quality", headers=admin).json()["items"][0]
    assert newest["build_id"] == failed["build_id"] and newest["status"] == "failed"
    assert newest["is_live"] is False
    assert newest["gates"] == [
        {
            "gate": "marts",
            "suite": "benchmark_cells",
            "table": "fct_benchmark_cells",
            "success": False,
            "failed_checks": 1,
        }
    ]
    csv = served.get("/v1/quality", headers={**admin, "Accept": "text/csv"})
    assert csv.text.lstrip("\ufeff").splitlines()[0].startswith("live_build_id,checked_at,build_id")
    assert served.get("/v1/quality", params={"builds": 1}, headers=admin).json()["items"] == [
        newest
    ]


def test_the_pages_are_served_with_a_strict_policy(served: TestClient) -> None:
    redirect = served.get("/app", follow_redirects=False)
    assert redirect.status_code == 308 and redirect.headers["location"] == "/app/"
    page = served.get("/app/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    module = served.get("/app/js/main.js")
    assert module.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert module.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    # No page needs a key to load: the data comes from /v1, behind its guards.
    assert served.get("/app/js/api.js").status_code == 200


def test_the_pages_load_nothing_from_elsewhere_and_run_no_inline_script() -> None:
    files = [p for p in STATIC.rglob("*") if p.is_file()]
    assert {p.suffix for p in files} <= {".html", ".js", ".css", ".svg"}
    for path in files:
        text = path.read_text()
        urls = set(re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.I))
        assert urls <= {"http://www.w3.org"}, (path.name, urls)  # the SVG namespace only
        assert "innerHTML" not in text and "eval(" not in text, path.name
    html = (STATIC / "index.html").read_text()
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert " style=" not in html and "<style" not in html
