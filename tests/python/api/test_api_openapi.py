"""The OpenAPI document is complete and true: schemathesis fuzzes the real app on the real
snapshot and finds no server error and no answer that breaks the schema; /docs works offline."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cxbench.api.deps import KeyCache
from cxbench.api.main import create_app
from cxbench.api.snapshot import SnapshotStore
from cxbench.build import BuildRecord
from cxbench.keys import create_key
from cxbench.settings import Settings
from cxbench.targets.store import SQLiteTargetStore
from tests.python.api.fixtures import auth

# Bounded: ~max_examples cases per operation and phase, with a fixed seed (about 20 s here).
MAX_EXAMPLES = 60
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
    ignored_auth,
]


# The app is built at import, so schemathesis can read its OpenAPI document when pytest
# collects (its fixture-based loader breaks on pytest 9.2); the `fuzzed` fixture then points it
# at the snapshot the real pipeline published. The document does not depend on the snapshot.
APP = create_app(Settings(warehouse_dir=Path(tempfile.gettempdir()) / "cxbench-unbuilt"))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module")
def fuzzed(
    built: tuple[Settings, BuildRecord], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, str]]:
    keys_file = tmp_path_factory.mktemp("openapi") / "keys.json"
    APP.state.snapshots = SnapshotStore(built[0].published)
    APP.state.keys = KeyCache(keys_file)
    # The fuzzer writes targets too: into a store of this run, not the app's default.
    APP.state.targets = SQLiteTargetStore(keys_file.parent / "targets.sqlite3")
    yield APP, create_key(keys_file, "admin")


@schema.parametrize()
@seed(20261123)
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_app_keeps_its_openapi_promises(case: Any, fuzzed: tuple[Any, str]) -> None:
    """No 5xx, every status, content type, header and body as documented."""
    case.call_and_validate(headers=auth(fuzzed[1]), checks=CHECKS)


@pytest.fixture(scope="module")
def openapi(fuzzed: tuple[Any, str]) -> dict[str, Any]:
    with TestClient(fuzzed[0]) as client:
        document: dict[str, Any] = client.get("/openapi.json").json()
        return document


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_operation_ids_are_readable_and_unique(openapi: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(openapi)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)+", op_id) for op_id in ids), ids
    assert {"get_health", "get_meta", "list_benchmarks"} <= set(ids)


def test_v1_is_documented_as_bearer_only_and_errors_as_problems(openapi: dict[str, Any]) -> None:
    scheme = openapi["components"]["securitySchemes"]["bearer"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    problem = openapi["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert problem["examples"]
    for path, method, operation in operations(openapi):
        responses = operation["responses"]
        if path.startswith("/v1/"):
            assert operation["security"] == [{"bearer": []}], path
            assert {"400", "401", "422", "503"} <= set(responses), path
        if "{client_id}" in path:
            assert {"403", "404"} <= set(responses), path
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                content = response["content"]
                assert list(content) == ["application/problem+json"], (path, method, status)
                assert content["application/problem+json"]["schema"] == {
                    "$ref": "#/components/schemas/Problem"
                }
        assert "HTTPValidationError" not in str(responses)


def test_models_carry_examples_and_list_routes_document_csv(openapi: dict[str, Any]) -> None:
    schemas = openapi["components"]["schemas"]
    assert schemas["BenchmarkCell"]["examples"]
    assert schemas["Industry"]["properties"]["industry_code"]["examples"]
    ok = openapi["paths"]["/v1/benchmarks"]["get"]["responses"]["200"]["content"]
    assert ok["application/json"]["schema"] == {"$ref": "#/components/schemas/BenchmarkList"}
    assert ok["text/csv"]["example"].startswith("build_id,industry,touchpoint,metric")
    cell = schemas["BenchmarkCell"]["properties"]
    assert {"type": "null"} in cell["n_clients"]["anyOf"]  # null when suppressed


def test_docs_work_offline(fuzzed: tuple[Any, str]) -> None:
    with TestClient(fuzzed[0]) as client:
        for page in ("/docs", "/redoc"):
            html = client.get(page)
            assert html.status_code == 200
            external = re.findall(r"""(?:src|href)=["']?(https?://[^"' >]+)""", html.text)
            assert external == [], external
            assets = re.findall(r"""(?:src|href)=["']?(/docs/assets/[^"' >]+)""", html.text)
            assert assets
            for asset in assets:
                response = client.get(asset)
                assert response.status_code == 200 and len(response.content) > 100, asset
        assert "fonts.googleapis" not in client.get("/redoc").text
        assert '"validatorUrl": null' in client.get("/docs").text


def test_the_bundled_swagger_ui_renders_openapi_3_1(fuzzed: tuple[Any, str]) -> None:
    """FastAPI writes OpenAPI 3.1, which Swagger UI renders from version 5 on."""
    with TestClient(fuzzed[0]) as client:
        assert client.get("/openapi.json").json()["openapi"].startswith("3.1")
    bundle = (files("fastapi_offline") / "static" / "swagger-ui-bundle.js").read_text()
    found = re.search(r'PACKAGE_VERSION:"(\d+)\.', bundle)
    assert found and int(found.group(1)) >= 5
