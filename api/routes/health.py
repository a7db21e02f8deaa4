"""Liveness and which build is being served; no key needed."""

from fastapi import APIRouter, Request

from api.schemas import Health
from api.snapshot import SnapshotStore

router = APIRouter(tags=["health"])


@router.get("/health", operation_id="get_health", summary="Service status and live build")
async def get_health(request: Request) -> Health:
    """`ok` and the live build, or `no_snapshot` while nothing is published (still a 200)."""
    store: SnapshotStore = request.app.state.snapshots
    snapshot = store.get()
    if snapshot is None:
        return Health(status="no_snapshot", build_id=None, published_at=None)
    return Health(status="ok", build_id=snapshot.build_id, published_at=snapshot.published_at)
