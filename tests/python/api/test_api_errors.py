"""Errors are problem documents (RFC 9457) that say what went wrong and never leak a key."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from cxbench.build import BuildRecord
from cxbench.keys import create_key
from cxbench.settings import Settings
from tests.python.api.fixtures import auth, make_app
from tests.python.helpers import make_settings

PROBLEM_FIELDS = {"type", "title", "status", "detail"}

boom = APIRouter(prefix="/test-only")


@boom.get("/boom", operation_id="test_only_boom")
async def explode() -> dict[str, str]:
    raise RuntimeError("internal detail cxb_deadbeef_secretsecret that must not leak")


@pytest.fixture(scope="module")
def app_and_key(built: tuple[Settings, BuildRecord], tmp_path_factory: pytest.TempPathFactory):
    """One app for the module: loading the snapshot is what a new app costs (~2 s)."""
    keys_file = tmp_path_factory.mktemp("errors") / "keys.json"
    return make_app(built[0], keys_file, boom), create_key(keys_file, "admin")


@pytest.fixture(scope="module")
def served(app_and_key) -> Iterator[TestClient]:
    with TestClient(app_and_key[0], raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def client(served: TestClient) -> Iterator[TestClient]:
    yield served
    served.cookies.clear()  # a test may set cookies; the next starts without them


@pytest.fixture
def key(app_and_key) -> str:
    return app_and_key[1]


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_FIELDS and body["status"] == status
    assert body["type"] == "about:blank" and body["title"] and body["detail"].endswith(".")
    return body


@pytest.mark.parametrize(
    "params",
    [{"metrc": "nps"}, {"metric": "nps", "format": "csv"}, {"api_key": "x"}],
)
def test_unknown_query_parameters_are_400_naming_what_the_endpoint_takes(
    client: TestClient, key: str, params: dict[str, str]
) -> None:
    body = assert_problem(client.get("/v1/benchmarks", params=params, headers=auth(key)), 400)
    assert "metric, period, touchpoint" in body["detail"]
    assert repr(next(p for p in params if p != "metric")) in body["detail"]


def test_a_parameter_given_twice_is_400(client: TestClient, key: str) -> None:
    response = client.get("/v1/benchmarks?metric=nps&metric=csat", headers=auth(key))
    assert "more than once" in assert_problem(response, 400)["detail"]


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"metric": "bogus"}, "Unknown metric 'bogus'"),
        ({"industry": "nowhere"}, "Unknown industry 'nowhere'"),
        ({"touchpoint": "moon"}, "Unknown touchpoint 'moon'"),
        ({"period": "1999"}, "Unknown period '1999'"),
        ({"period": "2025-13"}, "Invalid period: String should match pattern"),
        ({"grain": "week"}, "Invalid grain: String should match pattern"),
    ],
)
def test_values_meta_does_not_list_are_422(
    client: TestClient, key: str, params: dict[str, str], says: str
) -> None:
    body = assert_problem(client.get("/v1/benchmarks", params=params, headers=auth(key)), 422)
    assert says in body["detail"]


def test_pattern_errors_list_each_parameter_without_echoing_input(
    client: TestClient, key: str
) -> None:
    response = client.get("/v1/benchmarks", params={"period": "x" * 50}, headers=auth(key))
    body = assert_problem(response, 422)
    assert body["errors"] == [{"location": "query.period", "message": body["errors"][0]["message"]}]
    assert "x" * 50 not in response.text


@pytest.mark.parametrize(
    ("request_kwargs", "says"),
    [
        ({}, "required"),
        ({"headers": {"Authorization": "Bearer"}}, "required"),
        ({"headers": {"Authorization": "Basic YWRtaW46YWRtaW4="}}, "required"),
        ({"headers": {"Authorization": "Bearer cxb_00000000_forged"}}, "not valid"),
        ({"headers": {"Authorization": "Bearer not-a-key"}}, "not valid"),
    ],
)
def test_no_or_bad_key_is_401_with_a_bearer_challenge(
    client: TestClient, request_kwargs: dict, says: str
) -> None:
    response = client.get("/v1/meta", **request_kwargs)
    assert says in assert_problem(response, 401)["detail"]
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("param", ["api_key", "key", "access_token", "token", "authorization"])
def test_a_key_in_the_query_string_is_not_accepted_nor_echoed(
    client: TestClient, key: str, param: str
) -> None:
    response = client.get("/v1/meta", params={param: key})
    assert_problem(response, 401)
    assert key not in response.text and key.split("_", 2)[2] not in response.text


def test_a_key_in_a_cookie_is_not_accepted(client: TestClient, key: str) -> None:
    client.cookies.set("Authorization", f"Bearer {key}")
    client.cookies.set("api_key", key)
    assert_problem(client.get("/v1/meta"), 401)


def test_no_error_echoes_a_key_wherever_it_is_put(client: TestClient, key: str) -> None:
    forged = "cxb_0badc0de_" + "s" * 43
    responses = [
        client.get("/v1/meta", headers=auth(forged)),
        client.get("/v1/benchmarks", params={forged: "1"}, headers=auth(key)),
        client.get("/v1/benchmarks", params={"metric": forged}, headers=auth(key)),
        client.get("/v1/benchmarks", params={"period": forged}, headers=auth(key)),
        client.get(f"/v1/clients/{forged}/probe", headers=auth(key)),
        client.get("/v1/test-only/boom", headers=auth(key)),
    ]
    for response in responses:
        assert response.status_code >= 400
        assert response.headers["content-type"] == "application/problem+json"
        assert forged not in response.text and key not in response.text
        assert "secret" not in response.text


def test_unknown_paths_are_404_and_wrong_methods_405(client: TestClient, key: str) -> None:
    assert_problem(client.get("/v1/nothing-here", headers=auth(key)), 404)
    response = client.post("/v1/benchmarks", headers=auth(key))
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET"


def test_an_unexpected_error_is_a_500_problem_without_details(client: TestClient, key: str) -> None:
    body = assert_problem(client.get("/v1/test-only/boom", headers=auth(key)), 500)
    assert body["detail"] == "The server could not answer this request."


def test_nothing_published_is_503_for_a_valid_key_and_health_says_so(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    app = make_app(settings, tmp_path / "keys.json")
    key = create_key(tmp_path / "keys.json", "admin")
    with TestClient(app) as empty:
        assert_problem(empty.get("/v1/meta"), 401)  # the key is checked first
        body = assert_problem(empty.get("/v1/benchmarks", headers=auth(key)), 503)
        assert "cxbench build" in body["detail"]
        assert empty.get("/health").json()["status"] == "no_snapshot"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_cxbench_serve_never_logs_a_key(
    built: tuple[Settings, BuildRecord], tmp_path: Path
) -> None:
    """The real server, its whole output read: no access log, no key in any line."""
    settings = built[0]
    home = tmp_path / "home"
    home.mkdir()
    # A warehouse of our own that shares the built snapshot, so keys stay in this test.
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    (warehouse / "published").symlink_to(settings.published)
    env = {
        **os.environ,
        "CXB_HOME": str(home),
        "CXB_WAREHOUSE_DIR": str(warehouse),
        "CXB_LANDING_DIR": str(tmp_path / "landing"),
    }
    valid = create_key(warehouse / "api_keys.json", "admin")
    forged = "cxb_0badc0de_" + "t" * 43
    port = _free_port()
    cli = Path(sys.executable).parent / "cxbench"
    server = subprocess.Popen(
        [str(cli), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        http = httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False)
        # A cap against hangs, not a speed check: under load a cold start can take 30 s.
        deadline = time.monotonic() + 120
        while True:
            try:
                if http.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, "cxbench serve exited"
            assert time.monotonic() < deadline, "cxbench serve did not start"
            time.sleep(0.2)
        statuses = [
            http.get("/v1/meta", headers=auth(valid)).status_code,
            http.get("/v1/meta", headers=auth(forged)).status_code,
            http.get("/v1/benchmarks", params={"key": valid}).status_code,
            http.get(f"/v1/benchmarks?{forged}=1", headers=auth(valid)).status_code,
        ]
        assert statuses == [200, 401, 401, 400]
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0].decode()
    assert "Uvicorn running" in output or "Application startup complete" in output
    assert valid not in output and forged not in output
    assert "GET /v1" not in output  # no access log
