"""Liveness, which build is being served, how fresh it is, and the last build attempted."""

import json
from datetime import UTC, datetime

from fastapi import APIRouter, Request

from cxbench.api.schemas import Health, LastBuild
from cxbench.api.snapshot import SnapshotStore
from cxbench.settings import Settings

router = APIRouter(tags=["health"])
LAST_BUILD = "last_build.json"


def _last_build(settings: Settings) -> LastBuild | None:
    """The last build's record: a failed gate keeps the live snapshot, and shows here."""
    try:
        data = json.loads((settings.warehouse / LAST_BUILD).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or "build_id" not in data:
        return None
    return LastBuild(
        build_id=str(data["build_id"]),
        status=str(data.get("status")),
        failed_gate=data.get("failed_gate"),
        finished_at=data.get("finished_at"),
    )


def _age_seconds(published_at: str | None) -> float | None:
    if published_at is None:
        return None
    try:
        published = datetime.fromisoformat(published_at)
    except ValueError:
        return None
    return round((datetime.now(UTC) - published).total_seconds(), 1)


@router.get("/health", operation_id="get_health", summary="Service status and live build")
async def get_health(request: Request) -> Health:
    """`ok` and the live build, or `no_snapshot` while nothing is published (still a 200)."""
    store: SnapshotStore = request.app.state.snapshots
    settings: Settings = request.app.state.settings
    snapshot = store.get()
    last_build = _last_build(settings)
    if snapshot is None:
        return Health(status="no_snapshot", build_id=None, published_at=None, last_build=last_build)
    return Health(
        status="ok",
        build_id=snapshot.build_id,
        published_at=snapshot.published_at,
        newest_answer_at=snapshot.manifest.get("newest_answer_at"),
        snapshot_age_seconds=_age_seconds(snapshot.published_at),
        last_build=last_build,
    )
