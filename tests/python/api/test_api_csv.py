"""CSV for spreadsheets: the same rows as the JSON, and never a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel
from starlette.requests import Request

from cxbench.api.representation import csv_cell, prefers_csv, render_csv
from cxbench.build import BuildRecord
from cxbench.keys import create_key
from cxbench.settings import Settings
from tests.python.api.fixtures import auth, make_app


@pytest.fixture(scope="module")
def served(
    built: tuple[Settings, BuildRecord], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """One app for the module: loading the snapshot is what a new app costs (~2 s)."""
    keys_file = tmp_path_factory.mktemp("csv") / "keys.json"
    with TestClient(make_app(built[0], keys_file)) as test_client:
        yield test_client


@pytest.fixture
def client(served: TestClient) -> TestClient:
    key = create_key(served.app.state.keys.path, "consultant", ["c001"])
    served.headers.update(auth(key))
    return served


def read_csv(body: bytes) -> list[dict[str, str]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel's cue for UTF-8
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_benchmarks_as_csv_hold_the_same_cells_as_the_json(client: TestClient) -> None:
    params = {"metric": "nps", "grain": "year"}
    as_json = client.get("/v1/benchmarks", params=params).json()
    response = client.get("/v1/benchmarks", params=params, headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8; header=present"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    assert "Accept" in response.headers["vary"]
    rows = read_csv(response.content)
    assert len(rows) == len(as_json["items"]) > 0
    for row, cell in zip(rows, as_json["items"], strict=True):
        assert row["build_id"] == as_json["build_id"]
        for name, value in cell.items():
            if value is None:
                assert row[name] == ""
            elif isinstance(value, float):
                assert float(row[name]) == pytest.approx(value)
            else:
                assert row[name] == str(value), name


@pytest.mark.parametrize(
    "path",
    [
        "/v1/clients/c001/scorecard?grain=year",
        "/v1/clients/c001/scorecard?unit=*&metric=nps",
        "/v1/clients/c001/targets?metric=nps&period={year}",
    ],
)
def test_client_routes_as_csv_hold_the_same_rows_as_the_json(client: TestClient, path: str) -> None:
    """Nested objects (the benchmark, a unit's comparison, NPS levers) become dotted columns;
    the header is the one the OpenAPI document shows."""
    path = path.format(year=client.get("/v1/meta").json()["periods"]["year"][-1])
    as_json = client.get(path).json()
    response = client.get(path, headers={"Accept": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    route = path.split("?")[0].rsplit("/", 1)[1]
    operation = client.get("/openapi.json").json()["paths"][f"/v1/clients/{{client_id}}/{route}"]
    documented = operation["get"]["responses"]["200"]["content"]["text/csv"]["example"]
    assert response.text.lstrip("\ufeff").startswith(documented)
    rows = read_csv(response.content)
    assert len(rows) == len(as_json["items"]) > 0
    for row, item in zip(rows, as_json["items"], strict=True):
        assert row["client_id"] == "c001" and row["build_id"] == as_json["build_id"]
        flat = {
            f"{name}.{inner}" if isinstance(value, dict) else name: inner_value
            for name, value in item.items()
            for inner, inner_value in (
                value.items() if isinstance(value, dict) else [(name, value)]
            )
        }
        for name, value in flat.items():
            if value is None:  # a null nested object leaves all its dotted columns empty
                columns = [c for c in row if c == name or c.startswith(f"{name}.")]
                assert columns and all(row[c] == "" for c in columns), name
            elif isinstance(value, bool):
                assert row[name] == str(value).lower(), name
            elif isinstance(value, float):
                assert float(row[name]) == pytest.approx(value), name
            else:
                assert row[name] == str(value), name


def test_a_csv_error_is_still_a_problem_document(client: TestClient) -> None:
    response = client.get(
        "/v1/benchmarks", params={"metric": "bogus"}, headers={"Accept": "text/csv"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_routes_without_rows_answer_json_to_a_csv_request(client: TestClient) -> None:
    response = client.get("/v1/meta", headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"


def test_json_and_csv_answers_are_cached_apart(client: TestClient) -> None:
    params = {"metric": "csat", "period": client.get("/v1/meta").json()["periods"]["year"][-1]}
    kinds = [
        client.get("/v1/benchmarks", params=params, headers={"Accept": accept}).headers[
            "content-type"
        ]
        for accept in ("text/csv", "application/json", "text/csv", "*/*")
    ]
    assert [k.split(";")[0] for k in kinds] == ["text/csv", "application/json"] * 2


@pytest.mark.parametrize(
    ("accept", "csv_wanted"),
    [
        (None, False),
        ("text/csv", True),
        ("text/csv;q=0.9, application/json", False),
        ("application/json;q=0.5, text/csv", True),
        ("text/csv, application/json", False),  # a tie goes to JSON
        ("text/*", False),
        ("*/*", False),
        ("text/html,application/xhtml+xml,*/*;q=0.8", False),
        ("text/csv;q=0", False),
        ("text/csv;q=abc", False),
    ],
)
def test_the_accept_header_chooses_csv_only_when_csv_ranks_first(
    accept: str | None, csv_wanted: bool
) -> None:
    headers = [] if accept is None else [(b"accept", accept.encode())]
    request = Request({"type": "http", "headers": headers, "method": "GET", "path": "/"})
    assert prefers_csv(request) is csv_wanted


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("banking", "banking"),
        ("*", "*"),
        (-12.5, -12.5),
        (3, 3),
        (None, ""),
        (True, "true"),
    ],
)
def test_csv_cells_never_start_a_formula(value: object, written: object) -> None:
    assert csv_cell(value) == written


class Nested(BaseModel):
    p25: float | None
    note: str


class Row(BaseModel):
    name: str
    score: float
    benchmark: Nested | None


class Table(BaseModel):
    client_id: str
    items: list[Row]


def test_render_csv_flattens_nested_models_and_leads_with_scalars() -> None:
    table = Table(
        client_id="c001",
        items=[
            Row(name="=evil()", score=-3.5, benchmark=Nested(p25=1.5, note="@x")),
            Row(name="plain, with comma", score=2, benchmark=None),
        ],
    )
    rows = read_csv(render_csv(table))
    assert list(rows[0]) == ["client_id", "name", "score", "benchmark.p25", "benchmark.note"]
    assert rows[0] == {
        "client_id": "c001",
        "name": "'=evil()",
        "score": "-3.5",
        "benchmark.p25": "1.5",
        "benchmark.note": "'@x",
    }
    assert rows[1]["name"] == "plain, with comma" and rows[1]["benchmark.p25"] == ""
