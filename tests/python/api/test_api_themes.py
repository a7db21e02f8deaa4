"""Comment themes and verbatims through the API and in the published snapshot, on the shared
demo build: the client's own themes and comments (newest first, paginated, filtered, masked),
theme benchmarks with only published statistics, CSV, and no planted personal data in any
file of the snapshot while the warehouse keeps the raw text. Scoping of the client routes is
in test_api_scoping.py, which walks every {client_id} route."""

from __future__ import annotations

import csv
import io
import json

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from cxbench.build import BuildRecord
from cxbench.demo_comments import comment_table, personal_data
from cxbench.relations import MARTS
from cxbench.settings import Settings
from tests.python.api.fixtures import key, mart

MASK_TAGS = ("[email]", "[phone]", "[personal id]", "[iban]", "[card]")


def _squeeze(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum()).lower()


def planted() -> list[str]:
    """The personal data the demo's comment texts carry."""
    texts = comment_table().texts
    values = [v for vs in personal_data().values() for v in vs if any(v in t for t in texts)]
    assert {k for k, vs in personal_data().items() if any(v in values for v in vs)} == {
        "email", "phone", "hetu", "iban", "card"
    }  # fmt: skip
    return values


@pytest.fixture(scope="module")
def busiest(built: tuple[Settings, BuildRecord]) -> str:
    """The client with the most comments."""
    counts: dict[str, int] = {}
    for row in mart(built, "fct_comment_verbatims"):
        counts[row["client_id"]] = counts.get(row["client_id"], 0) + 1
    return max(counts, key=lambda c: (counts[c], c))


def test_no_file_of_the_snapshot_holds_planted_personal_data(
    built: tuple[Settings, BuildRecord],
) -> None:
    settings, record = built
    values = planted()
    # The warehouse keeps the raw text: the demo did plant every value.
    con = duckdb.connect(str(settings.database), read_only=True)
    try:
        raw = "\n".join(
            t for (t,) in con.execute(
                f"select distinct comment_text from {MARTS}.fct_answers "  # noqa: S608
                "where comment_text is not null"
            ).fetchall()
        )  # fmt: skip
    finally:
        con.close()
    assert [v for v in values if v not in raw] == []
    folder = settings.published / record.build_id
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    assert any(p.name == "fct_comment_verbatims.parquet" for p in files)
    squeezed_values = sorted({_squeeze(v) for v in values})
    found = []
    for path in files:
        blob = path.read_bytes().decode("utf-8", "replace")
        found += [(path.name, v) for v in values if v in blob]
        if path.suffix != ".parquet":
            continue
        # Parquet is compressed: look at every text value, as written and with its spaces and
        # dashes taken out (the same digits grouped differently are the same personal data).
        table = pq.read_table(path)
        for column in table.columns:
            if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
                continue
            squeezed = pc.utf8_lower(pc.replace_substring_regex(column, "[^[:alnum:]]", ""))
            for value in values:
                if pc.any(pc.match_substring(column, value)).as_py():
                    found.append((path.name, value))
            for value in squeezed_values:
                if pc.any(pc.match_substring(squeezed, value)).as_py():
                    found.append((path.name, value))
    assert found == []


def test_comments_are_the_clients_own_newest_first_and_masked(
    client: TestClient, built: tuple[Settings, BuildRecord], busiest: str
) -> None:
    headers = key(client, "client", busiest)
    first = client.get(f"/v1/clients/{busiest}/comments", headers=headers)
    assert first.status_code == 200, first.text
    body = first.json()
    own = [r for r in mart(built, "fct_comment_verbatims") if r["client_id"] == busiest]
    assert body["total"] == len(own) > 50
    assert body["limit"] == 50 and body["offset"] == 0 and body["next_offset"] == 50
    times = [item["responded_at"] for item in body["items"]]
    assert times == sorted(times, reverse=True)
    assert times[0] == max(r["responded_at"] for r in own).strftime("%Y-%m-%dT%H:%M:%SZ")
    # Walk every page: each comment once, in order, none left out.
    seen, offset = [], 0
    while offset is not None:
        page = client.get(
            f"/v1/clients/{busiest}/comments",
            params={"limit": 200, "offset": offset},
            headers=headers,
        ).json()
        seen += page["items"]
        offset = page["next_offset"]
        assert len(seen) <= len(own)
    assert sorted(i["comment_id"] for i in seen) == sorted(r["comment_id"] for r in own)
    assert [i["responded_at"] for i in seen] == sorted(
        (i["responded_at"] for i in seen), reverse=True
    )
    texts = " ".join(i["text"] for i in seen)
    assert [v for v in planted() if v in texts] == []


def test_comment_filters_combine(
    client: TestClient, built: tuple[Settings, BuildRecord], busiest: str
) -> None:
    own = [r for r in mart(built, "fct_comment_verbatims") if r["client_id"] == busiest]
    sample = next(r for r in own if r["nps_group"] == "detractor" and r["theme_codes"] != "other")
    theme = sample["theme_codes"].split(",")[0]
    params = {
        "theme": theme,
        "touchpoint": sample["touchpoint_code"],
        "group": "detractor",
        "period": sample["period_year"],
        "limit": 500,
    }
    body = client.get(
        f"/v1/clients/{busiest}/comments", params=params, headers=key(client, "admin")
    ).json()
    expected = [
        r
        for r in own
        if theme in r["theme_codes"].split(",")
        and r["touchpoint_code"] == sample["touchpoint_code"]
        and r["nps_group"] == "detractor"
        and r["period_year"] == sample["period_year"]
    ]
    assert body["total"] == len(expected) >= 1
    for item in body["items"]:
        assert theme in item["themes"] and item["group"] == "detractor"
        assert item["nps_score"] is not None and item["nps_score"] <= 6
        assert item["responded_at"].startswith(sample["period_year"])


def test_masked_text_is_served_with_its_tags(
    client: TestClient, built: tuple[Settings, BuildRecord]
) -> None:
    masked = [r for r in mart(built, "fct_comment_verbatims") if "[" in r["comment_text_masked"]]
    assert {
        tag for tag in MASK_TAGS if any(tag in r["comment_text_masked"] for r in masked)
    } == set(MASK_TAGS)
    row = masked[0]
    body = client.get(
        f"/v1/clients/{row['client_id']}/comments",
        params={"limit": 500, "touchpoint": row["touchpoint_code"], "period": row["period_month"]},
        headers=key(client, "client", row["client_id"]),
    ).json()
    assert row["comment_text_masked"] in [i["text"] for i in body["items"]]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"theme": "bogus"}, 422),
        ({"group": "all"}, 422),
        ({"touchpoint": "*"}, 422),
        ({"period": "2025-13"}, 422),
        ({"limit": "0"}, 422),
        ({"limit": "501"}, 422),
        ({"offset": "-1"}, 422),
        ({"thme": "waiting"}, 400),
    ],
)
def test_comment_parameters_are_checked(
    client: TestClient, busiest: str, params: dict[str, str], status: int
) -> None:
    response = client.get(
        f"/v1/clients/{busiest}/comments", params=params, headers=key(client, "admin")
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_client_themes_match_the_mart_and_its_published_industry_cells(
    client: TestClient, built: tuple[Settings, BuildRecord], busiest: str
) -> None:
    rows = [
        r
        for r in mart(built, "fct_client_comment_themes")
        if r["client_id"] == busiest and r["period_grain"] == "year" and r["touchpoint_code"] == "*"
    ]
    period = max(r["period"] for r in rows)
    body = client.get(
        f"/v1/clients/{busiest}/themes",
        params={"period": period, "touchpoint": "*"},
        headers=key(client, "client", busiest),
    ).json()
    expected = {r["theme_code"]: r for r in rows if r["period"] == period}
    assert {i["theme"] for i in body["items"]} == set(expected) and len(expected) == 12
    for item in body["items"]:
        row = expected[item["theme"]]
        assert item["share"] == row["theme_share"]
        assert item["detractors"]["share"] == row["theme_share_detractors"]
        assert item["detractor_promoter_z"] == row["detractor_promoter_z"]
        assert (
            item["detractors"]["n_comments"]
            + item["passives"]["n_comments"]
            + item["promoters"]["n_comments"]
            <= item["n_comments"]
        )
        bench = item["benchmark"]
        if bench["suppressed_reason"] is not None:
            assert bench["share"] is None and bench["median_share"] is None


def test_theme_benchmarks_show_only_published_statistics(
    client: TestClient, built: tuple[Settings, BuildRecord]
) -> None:
    body = client.get(
        "/v1/benchmarks/themes", params={"grain": "year"}, headers=key(client, "client", "c001")
    ).json()
    items = body["items"]
    assert items and all(i["period_grain"] == "year" for i in items)
    published = [i for i in items if i["suppressed_reason"] is None]
    withheld = [i for i in items if i["suppressed_reason"] is not None]
    assert published and withheld
    for item in withheld:
        assert all(item[k] is None for k in ("n_clients", "n_comments", "share", "median", "p10"))
    for item in published:
        assert item["n_clients"] >= 5 and 0 <= item["share"] <= 100
        if item["n_clients"] < 10:
            assert item["p10"] is None and item["p90"] is None
    groups = {i["group"] for i in published}
    assert "all" in groups and "detractor" in groups


def test_theme_benchmark_filters(client: TestClient) -> None:
    headers = key(client, "admin")
    body = client.get(
        "/v1/benchmarks/themes",
        params={"industry": "*", "touchpoint": "*", "theme": "waiting", "group": "detractor"},
        headers=headers,
    ).json()
    assert body["items"]
    assert {(i["industry"], i["touchpoint"], i["theme"], i["group"]) for i in body["items"]} == {
        ("*", "*", "waiting", "detractor")
    }
    bad = client.get("/v1/benchmarks/themes", params={"group": "none"}, headers=headers)
    assert bad.status_code == 422


def test_theme_routes_answer_csv(client: TestClient, busiest: str) -> None:
    headers = {**key(client, "client", busiest), "Accept": "text/csv"}
    for path, params in (
        (f"/v1/clients/{busiest}/comments", {"limit": "5"}),
        (f"/v1/clients/{busiest}/themes", {"grain": "year", "touchpoint": "*"}),
        ("/v1/benchmarks/themes", {"grain": "year", "theme": "waiting"}),
        ("/v1/themes", {}),
    ):
        response = client.get(path, params=params, headers=headers)
        assert response.status_code == 200, (path, response.text)
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows, path
    comments = client.get(
        f"/v1/clients/{busiest}/comments", params={"limit": "5"}, headers=headers
    ).content.decode("utf-8-sig")
    first = next(csv.DictReader(io.StringIO(comments)))
    assert first["client_id"] == busiest and json.loads(first["themes"])


def test_the_theme_list_names_every_theme_in_both_languages(client: TestClient) -> None:
    body = client.get("/v1/themes", headers=key(client, "client", "c001")).json()
    codes = [i["theme"] for i in body["items"]]
    assert len(codes) == 12 and codes[-1] == "other"
    assert all(i["name_fi"] and i["name_en"] for i in body["items"])
