"""Admin pages in a browser: each build's Great Expectations results and dbt's docs site, behind
an admin key sent as a Bearer token or as the Basic-auth password; the docs site is refused when
it would load anything from the internet. (tests/python/test_wheel.py generates and serves a
real docs site from the installed wheel.)"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from html import escape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cxbench.build import BuildRecord
from cxbench.docs import offline_problems, site_path
from cxbench.keys import create_key
from cxbench.settings import Settings
from tests.python.api.fixtures import auth, make_app


@pytest.fixture(scope="module")
def admin_app(
    built: tuple[Settings, BuildRecord], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("admin")
    with TestClient(make_app(built[0], folder / "keys.json")) as client:
        yield client


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"admin:{key}".encode()).decode()}


def test_audit_pages_show_each_gate_to_admins_only(
    admin_app: TestClient, built: tuple[Settings, BuildRecord]
) -> None:
    keys_file = admin_app.app.state.keys.path
    admin = create_key(keys_file, "admin", [])
    consultant = create_key(keys_file, "consultant", ["c001"])
    build_id = built[1].build_id

    asked = admin_app.get("/admin/audits")
    assert asked.status_code == 401
    assert asked.headers["www-authenticate"].startswith('Basic realm="cxbench admin"')
    assert admin_app.get("/admin/audits", headers=basic(consultant)).status_code == 403
    assert admin_app.get("/admin/audits", headers=basic("cxb_nope_nope")).status_code == 401

    for headers in (basic(admin), auth(admin)):
        page = admin_app.get("/admin/audits", headers=headers)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert build_id in page.text
    one = admin_app.get(f"/admin/audits/{build_id}", headers=basic(admin)).text
    for audit in built[1].audits:
        assert f"suite {audit['suite']} on {audit['table']}" in one
        for outcome in audit["outcomes"]:
            assert escape(outcome["expectation"]) in one
    assert one.count("✓") == sum(len(a["outcomes"]) for a in built[1].audits)
    missing = admin_app.get("/admin/audits/20990101T000000Z-abcdef", headers=basic(admin))
    assert missing.status_code == 404
    odd = admin_app.get("/admin/audits/..%2Fapi_keys", headers=basic(admin))
    assert odd.status_code == 404


def test_dbt_docs_page_needs_cxbench_docs_first(
    admin_app: TestClient, built: tuple[Settings, BuildRecord]
) -> None:
    admin = create_key(admin_app.app.state.keys.path, "admin", [])
    assert not site_path(built[0]).exists()  # the shared build never ran `cxbench docs`
    page = admin_app.get("/admin/dbt-docs/", headers=basic(admin))
    assert page.status_code == 404 and "cxbench docs" in page.json()["detail"]
    assert admin_app.get("/admin/dbt-docs/").status_code == 401


def test_a_docs_site_that_would_reach_the_internet_is_refused() -> None:
    import dbt.task.docs

    template = (Path(dbt.task.docs.__file__).parent / "index.html").read_text(encoding="utf-8")
    assert offline_problems(template) == []  # dbt's own page loads nothing by itself
    tracked = template + '<script>var m={"metadata":{"send_anonymous_usage_stats": true}}</script>'
    assert offline_problems(tracked) == [
        "dbt's page-view tracker is on (send_anonymous_usage_stats: true)"
    ]
    fonts = '<link rel="stylesheet" href="https://fonts.example/css">'
    assert len(offline_problems(template + fonts)) == 1
