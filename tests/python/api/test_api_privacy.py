"""Everything the API serves agrees with the warehouse's final publication decision (DESIGN
§5.1): every benchmark cell, every client's scorecard and unit scorecard, and its targets, as
JSON and as CSV, on the shared demo snapshot. No statistic of a withheld cell leaves the service,
no p10 or p90 of a cell with fewer than 10 contributors, and a missing target says why."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from cxbench.build import BuildRecord
from cxbench.keys import create_key
from cxbench.settings import Settings
from tests.python.api.fixtures import Answer, auth, get_many

P10_P90_MIN = 10
STATISTICS = ("n_responses", "value", "mean", "p10", "p25", "median", "p75", "p90", "moe")
QUANTILES = ("p10", "p25", "median", "p75", "p90")
CellKey = tuple[str, str, str, str]


@pytest.fixture(scope="module")
def admin(served: TestClient, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    served.app.state.keys.path = tmp_path_factory.mktemp("privacy-keys") / "keys.json"
    return auth(create_key(served.app.state.keys.path, "admin"))


def table(built: tuple[Settings, BuildRecord], name: str) -> list[dict[str, Any]]:
    settings, record = built
    rows: list[dict[str, Any]] = pq.read_table(
        settings.published / record.build_id / f"{name}.parquet"
    ).to_pylist()
    return rows


@pytest.fixture(scope="module")
def decision(built: tuple[Settings, BuildRecord]) -> dict[CellKey, dict[str, Any]]:
    """The warehouse's decision per cell: the published mart, read straight from Parquet."""
    return {
        (r["industry_code"], r["touchpoint_code"], r["period"], r["metric_code"]): r
        for r in table(built, "fct_benchmark_cells")
    }


def same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)


def check_benchmark(shown: dict[str, Any], cell: dict[str, Any], where: object) -> None:
    """What the API shows of ``cell`` (JSON values or CSV strings turned to None/float)."""
    if cell["suppressed_reason"] is not None:
        assert all(shown.get(s) is None for s in STATISTICS if s in shown), where
        assert shown["suppressed_reason"] == cell["suppressed_reason"], where
        return
    assert shown["suppressed_reason"] is None, where
    for name in STATISTICS:
        if name in shown:
            assert same(shown[name], cell[name]), (where, name, shown[name], cell[name])
    if cell["n_clients"] < P10_P90_MIN:
        assert shown["p10"] is None and shown["p90"] is None, where


def parse_csv(body: bytes) -> list[dict[str, Any]]:
    text = body.decode("utf-8").lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    return [{k: (v if v != "" else None) for k, v in row.items()} for row in rows]


def ok(answers: list[Answer]) -> list[Answer]:
    bad = [a for a in answers if a.status != 200]
    assert not bad, (bad[0].status, bad[0].body[:300])
    return answers


def test_benchmarks_json_and_csv_follow_the_decision(
    served: TestClient, admin: dict[str, str], decision: dict[CellKey, dict[str, Any]]
) -> None:
    as_json, as_csv = ok(
        get_many(
            served.app,
            [
                ("/v1/benchmarks", {}, admin),
                ("/v1/benchmarks", {}, {**admin, "Accept": "text/csv"}),
            ],
        )
    )
    items = as_json.json()["items"]
    assert len(items) == len(decision)
    for item in items:
        key = (item["industry"], item["touchpoint"], item["period"], item["metric"])
        check_benchmark(item, decision[key], key)
    rows = parse_csv(as_csv.body)
    assert len(rows) == len(decision)
    for row in rows:
        key = (row["industry"], row["touchpoint"], row["period"], row["metric"])
        check_benchmark(row, decision[key], ("csv", key))
    withheld = {c["suppressed_reason"] for c in decision.values()} - {None}
    assert "complementary" in withheld, "the demo must exercise complementary suppression"


def test_scorecards_show_only_published_cells_and_ranks(
    served: TestClient,
    admin: dict[str, str],
    built: tuple[Settings, BuildRecord],
    decision: dict[CellKey, dict[str, Any]],
) -> None:
    clients = {c["client_id"]: c["industry_code"] for c in table(built, "dim_clients")}
    requests = []
    for cid in sorted(clients):
        path = f"/v1/clients/{cid}/scorecard"
        requests += [(path, {}, admin), (path, {}, {**admin, "Accept": "text/csv"})]
    answers = ok(get_many(served.app, requests))
    seen = {"complementary": 0, "p90_withheld": 0, "published": 0}
    for (path, _, headers), answer in zip(requests, answers, strict=True):
        cid = path.split("/")[3]
        if headers.get("Accept") == "text/csv":
            rows = parse_csv(answer.body)
            benchmarks = [
                {
                    k.removeprefix("benchmark."): v
                    for k, v in r.items()
                    if k.startswith("benchmark.")
                }
                for r in rows
            ]
        else:
            rows = answer.json()["items"]
            benchmarks = [r["benchmark"] for r in rows]
        items = [
            {**bench, **{k: r[k] for k in ("touchpoint", "metric", "period", "percentile_rank")}}
            for r, bench in zip(rows, benchmarks, strict=True)
        ]
        for item in items:
            key = (clients[cid], item["touchpoint"], item["period"], item["metric"])
            cell = decision[key]
            check_benchmark(item, cell, (cid, key))
            if cell["suppressed_reason"] is not None:
                assert item["percentile_rank"] is None, (cid, key)
                seen["complementary"] += cell["suppressed_reason"] == "complementary"
            else:
                seen["published"] += 1
                seen["p90_withheld"] += cell["n_clients"] < P10_P90_MIN
    assert all(seen.values()), seen


def test_unit_scorecards_hold_no_other_clients_figures(
    served: TestClient, admin: dict[str, str], built: tuple[Settings, BuildRecord]
) -> None:
    """A unit is compared inside its client only: no benchmark, no rank, and its client figures
    are that client's own (the same n and value as the client's scorecard)."""
    own = {
        (r["client_id"], r["touchpoint_code"], r["period"], r["metric_code"]): r
        for r in table(built, "fct_client_scorecards")
    }
    clients = sorted({r["client_id"] for r in table(built, "fct_unit_scorecards")})
    requests = [(f"/v1/clients/{cid}/scorecard", {"unit": "*"}, admin) for cid in clients]
    checked = 0
    for (path, _, _), answer in zip(requests, ok(get_many(served.app, requests)), strict=True):
        cid = path.split("/")[3]
        for item in answer.json()["items"]:
            assert item["benchmark"] is None and item["percentile_rank"] is None
            mine = own[(cid, item["touchpoint"], item["period"], item["metric"])]
            unit = item["unit_comparison"]
            assert unit["client_n"] == mine["n"] and same(unit["client_value"], mine["value"])
            assert unit["rest_n"] == mine["n"] - item["n"]
            checked += 1
    assert checked > 0


def test_targets_follow_the_decision_and_say_why_there_is_none(
    served: TestClient,
    admin: dict[str, str],
    built: tuple[Settings, BuildRecord],
    decision: dict[CellKey, dict[str, Any]],
) -> None:
    clients = {c["client_id"]: c["industry_code"] for c in table(built, "dim_clients")}
    years = sorted({k[2] for k in decision if len(k[2]) == 4})
    metrics = sorted({k[3] for k in decision})
    percentile = {"p50": "median", "p75": "p75", "p90": "p90"}
    requests = [
        (f"/v1/clients/{cid}/targets", {"metric": m, "period": y, "ambition": a}, admin)
        for cid in sorted(clients)
        for m in metrics
        for y in years
        for a in ("p75", "p90")
    ]
    csv_requests = [(p, q, {**h, "Accept": "text/csv"}) for p, q, h in requests[:: len(years) * 2]]
    reasons: set[str] = set()
    answers = ok(get_many(served.app, requests + csv_requests))
    for (path, query, headers), answer in zip(requests + csv_requests, answers, strict=True):
        cid = path.split("/")[3]
        if headers.get("Accept") == "text/csv":
            items = parse_csv(answer.body)
        else:
            items = answer.json()["items"]
        for item in items:
            key = (clients[cid], item["touchpoint"], query["period"], query["metric"])
            cell = decision[key]
            expected = cell[percentile[query["ambition"]]]
            where = (cid, key, query["ambition"])
            if expected is None:
                assert item["target"] is None, where
                reason = cell["suppressed_reason"] or (
                    "too_few_clients_for_p90"
                    if query["ambition"] == "p90" and cell["n_clients"] < P10_P90_MIN
                    else "tied_quantiles"
                )
                assert item["target_withheld_reason"] == reason, where
                reasons.add(reason)
            else:
                assert same(item["target"], expected), where
                assert item["target_withheld_reason"] is None, where
    assert "too_few_clients_for_p90" in reasons, reasons
