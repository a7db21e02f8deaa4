"""The API tests' one fixture module: the app on the shared build (`served`, and `client` with
a key store of the test's own; registered for tests/python/api/ by its conftest), apps on the
real published snapshot, keys, and many requests fast."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode

import httpx
import pyarrow.parquet as pq
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi.testclient import TestClient

from cxbench.api.deps import enforce_client_scope
from cxbench.api.main import create_app, v1_router
from cxbench.build import BuildRecord
from cxbench.keys import create_key
from cxbench.settings import Settings
from cxbench.targets.store import SQLiteTargetStore

# Values for the query parameters a client route may require (bench/api_bench.py uses the same).
# `period` is added per snapshot: its latest year. A client route whose required parameter is
# not here makes the scoping tests fail with a message naming it: add a value.
QUERY_DEFAULTS = {"metric": "nps", "touchpoint": "*", "ambition": "p75", "grain": "year"}
# Values for path parameters other than {client_id} (the agreed-target routes).
PATH_DEFAULTS = {"touchpoint": "*", "metric": "nps"}


@pytest.fixture(scope="module")
def served(built: tuple[Settings, BuildRecord]) -> Iterator[TestClient]:
    """One app on the shared build per test module: loading the snapshot is what a new app
    costs (~2 s)."""
    with TestClient(create_app(built[0])) as test_client:
        yield test_client


@pytest.fixture
def client(served: TestClient, tmp_path: Path) -> TestClient:
    """The module's app with a key store of this test's own, so keys never leak between tests."""
    served.app.state.keys.path = tmp_path / "keys.json"
    return served


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def key(client: TestClient, role: str, *client_ids: str) -> dict[str, str]:
    """Headers with a new key of ``role`` in the served app's key store."""
    return auth(create_key(client.app.state.keys.path, role, list(client_ids)))


def mart(built: tuple[Settings, BuildRecord], name: str) -> list[dict[str, Any]]:
    """A published mart of the shared test build, as the API's snapshot holds it."""
    settings, record = built
    rows: list[dict[str, Any]] = pq.read_table(
        settings.published / record.build_id / f"{name}.parquet"
    ).to_pylist()
    return rows


def make_app(settings: Settings, keys_file: Any, *extra_v1: APIRouter) -> FastAPI:
    """The production app on ``settings``, with its own key store and target store (next to
    the key file, never in the shared build's warehouse) and optional test-only routers
    mounted under /v1 through the same guards as the production routes."""
    app = create_app(settings)
    app.state.keys.path = keys_file
    app.state.targets = SQLiteTargetStore(Path(keys_file).parent / "targets.sqlite3")
    if extra_v1:
        v1 = v1_router()
        for router in extra_v1:
            v1.include_router(router)
        app.include_router(v1)
        app.openapi_schema = None
    return app


def api_routes(app: FastAPI) -> list[RouteContext]:
    """Every FastAPI route of the app as served: full path, and the dependencies of the routers
    it was included through (FastAPI ≥ 0.16x no longer flattens them into ``app.routes``)."""
    return [rc for rc in iter_route_contexts(app.routes) if isinstance(rc.original_route, APIRoute)]


def client_routes(app: FastAPI) -> list[RouteContext]:
    """Every GET route with a ``{client_id}`` path parameter."""
    return [
        rc
        for rc in api_routes(app)
        if rc.path and "{client_id}" in rc.path and "GET" in (rc.methods or ())
    ]


def is_guarded(route: RouteContext) -> bool:
    return any(dep.call is enforce_client_scope for dep in route.dependant.dependencies)


def required_query(route: RouteContext, latest_year: str) -> dict[str, str]:
    values = {**QUERY_DEFAULTS, "period": latest_year}
    params: dict[str, str] = {}
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        for field in dependant.query_params:
            if field.field_info.is_required():
                assert field.alias in values, (
                    f"{route.path} requires query parameter {field.alias!r}: add a value for it "
                    "to QUERY_DEFAULTS in tests/python/api/fixtures.py"
                )
                params[field.alias] = values[field.alias]
        pending.extend(dependant.dependencies)
    return params


@dataclass(frozen=True)
class Answer:
    status: int
    headers: httpx.Headers
    body: bytes

    def json(self) -> Any:
        return httpx.Response(self.status, headers=self.headers, content=self.body).json()


def get_many(
    app: FastAPI, requests: Sequence[tuple[str, dict[str, str], dict[str, str]]]
) -> list[Answer]:
    """GET each (path, params, headers) by calling the ASGI app directly, in one event loop:
    thousands of requests in seconds, through the whole app (middleware, guards, routes)."""

    async def call(path: str, params: dict[str, str], headers: dict[str, str]) -> Answer:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": unquote(path),
            "raw_path": path.encode(),
            "query_string": urlencode(params).encode(),
            "root_path": "",
            "headers": [(b"host", b"testserver")]
            + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app(scope, receive, send)
        start = sent[0]
        body = b"".join(m.get("body", b"") for m in sent[1:])
        headers_out = httpx.Headers([(k.decode(), v.decode()) for k, v in start["headers"]])
        return Answer(start["status"], headers_out, body)

    async def run() -> list[Answer]:
        return [await call(path, params, headers) for path, params, headers in requests]

    return asyncio.run(run())


def contains_any(body: bytes, needles: Iterable[str]) -> list[str]:
    text = body.decode("utf-8", "replace")
    return [needle for needle in needles if needle in text]
