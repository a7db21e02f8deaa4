"""API v1 basics against the snapshot the real pipeline published."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from cxbench.build import BuildRecord
from cxbench.keys import create_key, revoke_key
from cxbench.settings import Settings


@pytest.fixture
def admin_key(client: TestClient) -> str:
    return create_key(client.app.state.keys.path, "admin")


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_health_needs_no_key(client: TestClient, built: tuple[Settings, BuildRecord]) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["build_id"] == built[1].build_id


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer cxb_00000000_forged"},
    ],
)
def test_v1_requires_a_valid_key(client: TestClient, headers: dict[str, str]) -> None:
    response = client.get("/v1/meta", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 401


def test_a_revoked_key_stops_working(client: TestClient, admin_key: str) -> None:
    assert client.get("/v1/meta", headers=auth(admin_key)).status_code == 200
    revoke_key(client.app.state.keys.path, admin_key.split("_")[1])
    assert client.get("/v1/meta", headers=auth(admin_key)).status_code == 401


def test_meta_lists_what_can_be_asked(client: TestClient, admin_key: str) -> None:
    meta = client.get("/v1/meta", headers=auth(admin_key)).json()
    assert {m["metric_code"] for m in meta["metrics"]} >= {"nps", "csat", "ces"}
    assert len(meta["industries"]) >= 8 and len(meta["touchpoints"]) >= 8
    assert meta["periods"]["year"] and meta["periods"]["quarter"] and meta["periods"]["month"]


def test_benchmarks_filter_and_publish_only_safe_cells(client: TestClient, admin_key: str) -> None:
    response = client.get(
        "/v1/benchmarks",
        params={"metric": "nps", "industry": "*", "touchpoint": "*", "grain": "year"},
        headers=auth(admin_key),
    )
    assert response.status_code == 200
    items = response.json()["items"]
    assert items and all(c["metric"] == "nps" and c["period_grain"] == "year" for c in items)
    published = [c for c in items if c["suppressed_reason"] is None]
    assert published and all(-100 <= c["value"] <= 100 for c in published)
    all_cells = client.get("/v1/benchmarks", params={"metric": "csat"}, headers=auth(admin_key))
    for cell in all_cells.json()["items"]:
        if cell["suppressed_reason"] is not None:
            assert cell["value"] is None and cell["n_responses"] is None and cell["p25"] is None


@pytest.mark.parametrize(
    "params", [{"metric": "bogus"}, {"industry": "nowhere"}, {"period": "1999"}, {"grain": "week"}]
)
def test_unknown_query_values_are_422_problems(
    client: TestClient, admin_key: str, params: dict[str, str]
) -> None:
    response = client.get("/v1/benchmarks", params=params, headers=auth(admin_key))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "/v1/meta" in response.json()["detail"]
