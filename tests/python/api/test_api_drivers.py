"""Key drivers through the API against the real pipeline's snapshot: the client's drivers as
the mart ranks them, the industry's median importance only where its cell is published, the
touchpoint impacts, CSV, validation and scope (the scoping module walks this route too)."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from cxbench.build import BuildRecord
from cxbench.settings import Settings
from tests.python.api.fixtures import key, mart


@pytest.fixture(scope="module")
def driver_client(built: tuple[Settings, BuildRecord]) -> tuple[str, str]:
    """A client and year with index components among its drivers, at touchpoint '*'."""
    rows = [
        r
        for r in mart(built, "fct_client_drivers")
        if r["touchpoint_code"] == "*"
        and r["period_grain"] == "year"
        and r["index_code"] is not None
        and r["importance"] is not None
    ]
    assert rows, "the small demo must give some client component drivers"
    best = max(rows, key=lambda r: (r["n_pairs"], r["client_id"]))
    return best["client_id"], best["period"]


def test_drivers_are_the_mart_rows_ranked(
    client: TestClient, built: tuple[Settings, BuildRecord], driver_client: tuple[str, str]
) -> None:
    cid, period = driver_client
    response = client.get(
        f"/v1/clients/{cid}/drivers",
        params={"period": period, "touchpoint": "*"},
        headers=key(client, "client", cid),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    expected = sorted(
        (
            r
            for r in mart(built, "fct_client_drivers")
            if r["client_id"] == cid and r["period"] == period and r["touchpoint_code"] == "*"
        ),
        key=lambda r: r["driver_rank"],
    )
    assert [i["driver"] for i in body["items"]] == [r["driver_code"] for r in expected]
    assert [i["rank"] for i in body["items"]] == list(range(1, len(expected) + 1))
    for item, row in zip(body["items"], expected, strict=True):
        assert item["importance"] == row["importance"]
        assert item["performance"] == row["performance"]
        assert item["n_pairs"] == row["n_pairs"]
        if row["importance"] is not None:
            assert item["importance_ci_low"] < item["importance"] < item["importance_ci_high"]
        published = row["industry_suppressed_reason"] is None and row["industry_n_clients"]
        expected_median = row["industry_median_importance"] if published else None
        assert item["industry_median_importance"] == expected_median
    # The first driver is the one to fix: a fix_first one when the client has any.
    quadrants = [i["quadrant"] for i in body["items"]]
    if "fix_first" in quadrants:
        assert quadrants[0] == "fix_first"
    components = {i["driver"] for i in body["items"] if i["index"] is not None}
    assert len(components) == 4, "the four components of the B2B CX index"


def test_touchpoint_impacts_use_published_medians_only(
    client: TestClient, built: tuple[Settings, BuildRecord], driver_client: tuple[str, str]
) -> None:
    cid, period = driver_client
    body = client.get(
        f"/v1/clients/{cid}/drivers",
        params={"period": period},
        headers=key(client, "consultant", cid),
    ).json()
    impacts = body["touchpoint_impacts"]
    rows = {
        r["touchpoint_code"]: r
        for r in mart(built, "fct_client_touchpoint_impacts")
        if r["client_id"] == cid and r["period"] == period
    }
    assert {i["touchpoint"] for i in impacts} == set(rows)
    cells = {
        (c["touchpoint_code"], c["metric_code"]): c
        for c in mart(built, "fct_benchmark_cells")
        if c["industry_code"] == body["industry"] and c["period"] == period
    }
    for item in impacts:
        cell = cells.get((item["touchpoint"], item["metric"]))
        if item["impact_on_client_nps"] is None:
            assert item["industry_median"] is None and item["missing_reason"]
            continue
        assert cell is not None and cell["is_published"]
        assert item["industry_median"] == cell["median"]
        assert abs(item["impact_on_client_nps"] - item["answer_share"] * item["gap"]) < 1e-9
    ranked = [i["impact_on_client_nps"] for i in impacts if i["impact_on_client_nps"] is not None]
    assert ranked == sorted(ranked, reverse=True)
    # Shares of the client's NPS answers add up to the whole.
    assert abs(sum(i["answer_share"] for i in impacts) - 1) < 1e-9


def test_drivers_export_csv_one_row_per_driver(
    client: TestClient, driver_client: tuple[str, str]
) -> None:
    cid, period = driver_client
    headers = {**key(client, "admin"), "Accept": "text/csv"}
    response = client.get(
        f"/v1/clients/{cid}/drivers", params={"period": period, "touchpoint": "*"}, headers=headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows and all(r["client_id"] == cid for r in rows)
    assert {"driver", "importance", "importance_ci_low", "industry_median_importance"} <= set(
        rows[0]
    )


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"period": "2025-07"}, 422),  # drivers are quarterly and yearly
        ({"period": "1999"}, 422),
        ({"touchpoint": "nowhere"}, 422),
        ({"metric": "nps"}, 400),  # not a parameter of this route
    ],
)
def test_drivers_reject_bad_parameters(
    client: TestClient, driver_client: tuple[str, str], params: dict[str, str], status: int
) -> None:
    cid, _ = driver_client
    response = client.get(f"/v1/clients/{cid}/drivers", params=params, headers=key(client, "admin"))
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")


def test_drivers_of_another_client_are_forbidden(
    client: TestClient, built: tuple[Settings, BuildRecord], driver_client: tuple[str, str]
) -> None:
    cid, _ = driver_client
    other = next(c["client_id"] for c in mart(built, "dim_clients") if c["client_id"] != cid)
    for headers in (key(client, "client", other), key(client, "consultant", other)):
        response = client.get(f"/v1/clients/{cid}/drivers", headers=headers)
        assert response.status_code == 403
        assert cid not in response.text
    assert client.get("/v1/clients/c999/drivers", headers=key(client, "admin")).status_code == 404
