"""Scorecards and targets through the API, with real keys, against the real pipeline's snapshot:
scoping (403 before anything else, 404 only for keys that could see the client), validation
(422 problems), figures equal to the published marts, and no other client's figures."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from cxbench.build import BuildRecord
from cxbench.settings import Settings
from tests.python.api.fixtures import key, mart


@pytest.fixture(scope="module")
def ranked_row(built: tuple[Settings, BuildRecord]) -> dict[str, Any]:
    """A client NPS row at touchpoint '*' with a published cell (with a p90: 10 contributors
    or more), a rank and a previous period."""
    rows = [
        r
        for r in mart(built, "fct_client_scorecards")
        if r["metric_code"] == "nps"
        and r["touchpoint_code"] == "*"
        and r["percentile_rank"] is not None
        and r["change_z"] is not None
        and r["benchmark_p90"] is not None
    ]
    assert rows, "the small demo must give some client a ranked NPS"
    return max(rows, key=lambda r: (r["period_grain"] == "quarter", r["n"]))


def other_client(built: tuple[Settings, BuildRecord], client_id: str) -> str:
    clients = mart(built, "dim_clients")
    return next(c["client_id"] for c in clients if c["client_id"] != client_id)


def test_scorecard_shows_the_mart_row_and_its_published_cell(
    client: TestClient, built: tuple[Settings, BuildRecord], ranked_row: dict[str, Any]
) -> None:
    cid = ranked_row["client_id"]
    response = client.get(
        f"/v1/clients/{cid}/scorecard",
        params={"metric": "nps", "period": ranked_row["period"], "touchpoint": "*"},
        headers=key(client, "client", cid),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["client_id"] == cid and body["industry"] == ranked_row["industry_code"]
    [item] = body["items"]
    assert item["n"] == ranked_row["n"] and item["value"] == ranked_row["value"]
    assert item["ci_low"] < item["value"] < item["ci_high"]
    assert item["moe"] == pytest.approx(1.96 * ranked_row["standard_error"], rel=1e-12)
    assert item["percentile_rank"] == ranked_row["percentile_rank"]
    assert item["change"] == pytest.approx(item["value"] - item["previous_value"], abs=1e-9)
    assert item["change_significant"] == (abs(item["change_z"]) > 1.96)
    assert item["unit"] is None and item["unit_comparison"] is None

    cells = client.get(
        "/v1/benchmarks",
        params={
            "metric": "nps",
            "industry": ranked_row["industry_code"],
            "touchpoint": "*",
            "period": ranked_row["period"],
        },
        headers=key(client, "client", cid),
    ).json()["items"]
    [cell] = cells
    bench = item["benchmark"]
    assert bench["suppressed_reason"] is None
    for stat in ("p10", "p25", "median", "p75", "p90", "mean", "value", "n_clients"):
        assert bench[stat] == cell[stat]
    assert 0 < item["percentile_rank"] <= 100


def test_suppressed_cells_show_no_statistics_and_no_rank(
    client: TestClient, built: tuple[Settings, BuildRecord]
) -> None:
    suppressed = [
        r for r in mart(built, "fct_client_scorecards") if r["benchmark_suppressed_reason"]
    ]
    # A dominated cell is the tempting one: enough clients, but one of them would show through.
    row = min(suppressed, key=lambda r: r["benchmark_suppressed_reason"] != "dominant_client")
    response = client.get(
        f"/v1/clients/{row['client_id']}/scorecard",
        params={"metric": row["metric_code"], "period": row["period"]},
        headers=key(client, "admin"),
    )
    items = [i for i in response.json()["items"] if i["touchpoint"] == row["touchpoint_code"]]
    [item] = items
    bench = item["benchmark"]
    assert bench["suppressed_reason"] == row["benchmark_suppressed_reason"]
    withheld = ("n_clients", "value", "mean", "p10", "p25", "median", "p75", "p90")
    assert all(bench[s] is None for s in withheld)
    assert item["percentile_rank"] is None


def test_a_scorecard_never_names_another_client(
    client: TestClient, built: tuple[Settings, BuildRecord], ranked_row: dict[str, Any]
) -> None:
    cid = ranked_row["client_id"]
    text = (
        client.get(f"/v1/clients/{cid}/scorecard", headers=key(client, "client", cid)).text
        + client.get(
            f"/v1/clients/{cid}/targets",
            params={"metric": "nps", "period": ranked_row["period"]},
            headers=key(client, "client", cid),
        ).text
    )
    for other in mart(built, "dim_clients"):
        if other["client_id"] != cid:
            assert f'"{other["client_id"]}"' not in text
            assert other["client_name"] not in text


def test_units_are_compared_within_their_client_only(
    client: TestClient, built: tuple[Settings, BuildRecord]
) -> None:
    rows = [
        r
        for r in mart(built, "fct_unit_scorecards")
        if r["metric_code"] == "nps" and r["touchpoint_code"] == "*" and r["period_grain"] == "year"
    ]
    target = max(rows, key=lambda r: r["n_units_ranked"])
    cid, period = target["client_id"], target["period"]
    headers = key(client, "consultant", cid)
    every = client.get(
        f"/v1/clients/{cid}/scorecard",
        params={"metric": "nps", "period": period, "touchpoint": "*", "unit": "*"},
        headers=headers,
    ).json()["items"]
    expected = {r["unit"] for r in rows if r["client_id"] == cid and r["period"] == period}
    assert {i["unit"] for i in every} == expected and len(expected) >= 2
    for item in every:
        assert item["benchmark"] is None and item["percentile_rank"] is None
        comparison = item["unit_comparison"]
        assert comparison["rest_n"] == comparison["client_n"] - item["n"]
    ranks = sorted(
        i["unit_comparison"]["unit_rank"] for i in every if i["unit_comparison"]["is_ranked"]
    )
    assert ranks[0] == 1 and len(ranks) == target["n_units_ranked"]

    one = client.get(
        f"/v1/clients/{cid}/scorecard",
        params={"metric": "nps", "period": period, "unit": target["unit"]},
        headers=headers,
    ).json()["items"]
    assert one and {i["unit"] for i in one} == {target["unit"]}


def test_targets_per_touchpoint_with_nps_levers(
    client: TestClient, built: tuple[Settings, BuildRecord], ranked_row: dict[str, Any]
) -> None:
    cid, period = ranked_row["client_id"], ranked_row["period"]
    response = client.get(
        f"/v1/clients/{cid}/targets",
        params={"metric": "nps", "period": period, "ambition": "p90"},
        headers=key(client, "consultant", cid),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["ambition"] == "p90" and body["period_grain"] == ranked_row["period_grain"]
    touchpoints = {
        r["touchpoint_code"]
        for r in mart(built, "fct_client_scorecards")
        if r["client_id"] == cid and r["metric_code"] == "nps" and r["period"] == period
    }
    assert {i["touchpoint"] for i in body["items"]} == touchpoints
    [overall] = [i for i in body["items"] if i["touchpoint"] == "*"]
    assert overall["current"] == ranked_row["value"]
    assert overall["target"] == ranked_row["benchmark_p90"]
    assert overall["gap"] == pytest.approx(overall["target"] - overall["current"], abs=1e-9)
    levers = overall["nps"]
    if overall["is_met"]:
        assert levers["detractors_to_promoters_per_100"] == 0
        assert overall["answers_needed_per_period"] is None
    else:
        assert levers["detractors_to_promoters_per_100"] == pytest.approx(overall["gap"] / 2)
        assert levers["passives_to_promoters_per_100"] == pytest.approx(overall["gap"])
        assert overall["answers_needed_per_period"] >= 1
        assert overall["has_enough_answers"] == (
            overall["n"] >= overall["answers_needed_per_period"]
        )
    assert sum(
        levers[g] for g in ("promoters_per_100", "passives_per_100", "detractors_per_100")
    ) == (pytest.approx(100))
    for item in body["items"]:
        if item["target"] is None:
            assert item["target_withheld_reason"] in {
                "too_few_clients",
                "dominant_client",
                "complementary",
                "too_few_clients_for_p90",
                "tied_quantiles",
            }
            if item["target_withheld_reason"] in {"too_few_clients_for_p90", "tied_quantiles"}:
                assert item["benchmark_suppressed_reason"] is None
            else:
                assert item["benchmark_suppressed_reason"] == item["target_withheld_reason"]
        else:
            assert item["target_withheld_reason"] is None


@pytest.mark.parametrize("path", ["scorecard", "targets?metric=bogus&period=1999&ambition=p99"])
def test_out_of_scope_is_403_whether_or_not_the_client_exists(
    client: TestClient, built: tuple[Settings, BuildRecord], ranked_row: dict[str, Any], path: str
) -> None:
    own = ranked_row["client_id"]
    other = other_client(built, own)
    for role in ("client", "consultant"):
        headers = key(client, role, own)
        for target in (other, "no-such-client"):
            response = client.get(f"/v1/clients/{target}/{path}", headers=headers)
            assert response.status_code == 403, (role, target, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert target not in response.json()["detail"]


def test_unknown_client_is_404_for_keys_that_could_see_it(client: TestClient) -> None:
    for headers in (key(client, "admin"), key(client, "consultant", "c999")):
        response = client.get("/v1/clients/c999/scorecard", headers=headers)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


def test_no_key_is_401(client: TestClient) -> None:
    assert client.get("/v1/clients/c001/scorecard").status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "scorecard?metric=bogus",
        "scorecard?period=1999",
        "scorecard?touchpoint=nowhere",
        "scorecard?grain=week",
        "scorecard?unit=Atlantis",
        "targets?metric=nps&period=2025&ambition=p99",
        "targets?metric=bogus&period=2025",
        "targets?metric=nps&period=1999",
        "targets?metric=nps",
    ],
)
def test_bad_parameters_are_422_problems(
    client: TestClient, ranked_row: dict[str, Any], path: str
) -> None:
    cid = ranked_row["client_id"]
    response = client.get(f"/v1/clients/{cid}/{path}", headers=key(client, "client", cid))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
