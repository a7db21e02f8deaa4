"""Builds the cxbench API (DESIGN §7): benchmarks and scorecards from the published snapshot."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from api.deps import KeyCache
from api.problems import install_problem_handlers
from api.routes import benchmarks, clients, health, meta
from api.snapshot import SnapshotStore
from cxbench.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="cxbench API",
        version="1.0.0",
        description=(
            "Customer-experience benchmarks by industry × touchpoint × period, each client's "
            "scorecard against its industry, and targets. Send `Authorization: Bearer <key>`."
        ),
    )
    app.state.settings = settings
    app.state.snapshots = SnapshotStore(settings.published)
    app.state.keys = KeyCache(settings.keys_file)
    install_problem_handlers(app)

    v1 = APIRouter(prefix="/v1")
    v1.include_router(meta.router)
    v1.include_router(benchmarks.router)
    v1.include_router(clients.router)
    app.include_router(health.router)
    app.include_router(v1)
    return app
