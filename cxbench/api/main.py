"""Builds the cxbench API (DESIGN §7): benchmarks and scorecards from the published snapshot,
agreed targets from the target store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from cxbench.api import admin
from cxbench.api.access_log import AccessLog, AccessLogMiddleware
from cxbench.api.deps import V1_GUARDS, KeyCache
from cxbench.api.fastpath import ReplayMiddleware
from cxbench.api.pages import install_pages
from cxbench.api.problems import install_problem_handlers, problem_responses
from cxbench.api.routes import (
    alerts,
    answers,
    benchmarks,
    client_directory,
    clients,
    comments,
    drivers,
    health,
    meta,
    quality,
    targets,
    themes,
)
from cxbench.api.schemas import Problem
from cxbench.api.snapshot import SnapshotPreloader, SnapshotStore
from cxbench.settings import Settings, get_settings
from cxbench.targets.store import open_target_store

DOCS_ASSETS = "/docs/assets"
DESCRIPTION = """\
Customer-experience benchmarks by industry × touchpoint × period, each client's scorecard
against its industry, and targets.

**Keys.** Send `Authorization: Bearer <key>` (from `cxbench keys create`) on every `/v1`
request. An `admin` key sees every client, a `consultant` key the clients named on it, a
`client` key its own client only; benchmarks are readable by every key.

**Errors** are `application/problem+json` (RFC 9457): 400 a query parameter the endpoint does
not take, 401 no or bad key, 403 a client outside the key's scope (the same answer whether or
not that client exists), 404 unknown resource, 412 a target write with a stale `If-Match`, 422 a
value `/v1/meta` does not list or a target that breaks a rule, 428 a target change without
`If-Match`, 503 nothing published yet.

**Targets.** Consultant and admin keys agree targets with `PUT`; client keys read them. Each
answer carries the target's `ETag`; send it back in `If-Match` to change or retire it.

**CSV.** List endpoints answer `Accept: text/csv` with a spreadsheet-safe CSV.
"""


def v1_router() -> APIRouter:
    """The ``/v1`` router: every route in it runs the guards (key, client scope, parameters)."""
    return APIRouter(
        prefix="/v1",
        dependencies=V1_GUARDS,
        responses=problem_responses(400, 401, 422, 503),
    )


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Load the snapshot before the first request, off the event loop; let it go at shutdown.
    await run_in_threadpool(app.state.snapshots.get)
    preloader = SnapshotPreloader(app.state.snapshots) if app.state.preload else None
    if preloader is not None:
        preloader.start()
    yield
    if preloader is not None:
        preloader.stop()
    app.state.snapshots.release()
    app.state.access_log.close()


def create_served_app() -> FastAPI:
    """The app as `cxbench serve` runs it, one per worker process: its snapshots are kept out
    of the garbage collector's full passes (``gc.freeze``), which would otherwise pause the
    worker for 100–500 ms now and then. Not for processes that create many apps (tests).
    Each build's snapshot is loaded ahead of its switch (``SnapshotPreloader``)."""
    return create_app(freeze_gc=True, preload=True)


def create_app(
    settings: Settings | None = None, *, freeze_gc: bool = False, preload: bool = False
) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="cxbench API",
        version="1.0.0",
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.preload = preload
    app.state.snapshots = SnapshotStore(
        settings.published, warm=[benchmarks.warm, clients.warm], freeze_gc=freeze_gc
    )
    app.state.keys = KeyCache(settings.keys_file)
    # Agreed targets: writes kept apart from the snapshots (touches no file until used).
    app.state.targets = open_target_store(settings.targets_url, settings.targets_database)
    install_problem_handlers(app)
    app.add_middleware(ReplayMiddleware)
    app.state.access_log = AccessLog(settings.access_log)
    app.add_middleware(AccessLogMiddleware, log=app.state.access_log)  # outermost: sees all

    v1 = v1_router()
    v1.include_router(meta.router)
    v1.include_router(benchmarks.router)
    v1.include_router(client_directory.router)
    v1.include_router(clients.router)
    v1.include_router(quality.router)
    v1.include_router(drivers.router)
    v1.include_router(targets.router)
    v1.include_router(themes.router)
    v1.include_router(comments.router)
    v1.include_router(answers.router)
    v1.include_router(alerts.router)
    app.include_router(health.router)
    app.include_router(admin.router)  # HTML for admins in a browser: dbt docs, GX results
    app.include_router(v1)
    install_docs(app)
    install_pages(app)
    document_problems(app)
    return app


def install_docs(app: FastAPI) -> None:
    """Swagger UI and ReDoc from assets shipped in a Python package: /docs works offline."""
    assets = files("fastapi_offline") / "static"
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(assets)), name="docs-assets")
    # The endpoints close over these strings, never over `app`: FastAPI keeps every endpoint
    # in module-level caches, which would keep a closed-over app and its snapshot alive.
    openapi_url = app.openapi_url or "/openapi.json"
    title = app.title

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} – docs",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
            # No validator badge: it would ask validator.swagger.io about our document.
            swagger_ui_parameters={"persistAuthorization": True, "validatorUrl": None},
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title} – ReDoc",
            redoc_js_url=f"{DOCS_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{DOCS_ASSETS}/favicon.png",
            with_google_fonts=False,
        )


def document_problems(app: FastAPI) -> None:
    """Complete the OpenAPI document: the ``Problem`` schema that error responses refer to,
    and the 403/404 that the client-scope guard gives on every ``{client_id}`` route."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(problem.pop("$defs", {}))
        components["Problem"] = problem
        scoped = problem_responses(403, 404)
        for path, operations in schema.get("paths", {}).items():
            if "{client_id}" not in path:
                continue
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, response in scoped.items():
                    responses.setdefault(str(status), response)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
