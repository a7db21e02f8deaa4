"""Data quality for admins: recent builds and their gates, quarantine by reason, row
reconciliation and freshness — what `cxbench status` prints, as JSON for the pages.

Build records change while the snapshot stays (a failed build publishes nothing), and the
freshness figures depend on the clock, so this answer is rendered on every request and never
cached or replayed. It reads the small build records (``warehouse/builds/*.json``), never the
DuckDB file a build may be writing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from cxbench.api.deps import AdminKey, Snapshot, get_settings
from cxbench.api.representation import csv_documentation, csv_header, respond_live
from cxbench.api.schemas import (
    BuildSummary,
    ClientFreshness,
    DataQuality,
    Freshness,
    GateResult,
    QuarantineReason,
    Reconciliation,
)
from cxbench.api.snapshot import ALL, LoadedSnapshot
from cxbench.build import LAST_BUILD

router = APIRouter(prefix="/quality", tags=["quality"])

BUILDS_DIR = "builds"
Row = dict[str, Any]


def _records(warehouse: Path, limit: int) -> list[Row]:
    """The newest ``limit`` build records (build ids start with their UTC start time)."""
    paths = sorted((warehouse / BUILDS_DIR).glob("*.json"), reverse=True)[:limit]
    records = []
    for path in paths:
        try:
            records.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue  # a record being replaced right now; the next request sees it
    if not records and (warehouse / LAST_BUILD).exists():
        records.append(json.loads((warehouse / LAST_BUILD).read_text()))
    return records


def _summary(record: Row, live_build_id: str) -> BuildSummary:
    gates = [
        GateResult(
            gate=str(audit.get("gate")),
            suite=str(audit.get("suite")),
            table=audit.get("table"),
            success=bool(audit.get("success")),
            failed_checks=sum(1 for o in audit.get("outcomes", []) if not o.get("success")),
        )
        for audit in record.get("audits", [])
    ]
    steps = record.get("steps") or {}
    return BuildSummary(
        build_id=record["build_id"],
        status=record.get("status", "unknown"),
        started_at=record.get("started_at", ""),
        finished_at=record.get("finished_at"),
        duration_seconds=round(sum(steps.values()), 1) if steps else None,
        failed_gate=record.get("failed_gate"),
        message=record.get("message"),
        is_live=record.get("published_build_id") == live_build_id,
        dbt_failed=len((record.get("dbt") or {}).get("failed", [])),
        gates=gates,
    )


def _reconciliation(records: list[Row]) -> tuple[Reconciliation | None, list[QuarantineReason]]:
    """From the newest build that reconciled its rows (a build failing before that has none)."""
    for record in records:
        rec = record.get("reconciliation") or {}
        if "rows_landed" not in rec:
            continue
        files = rec.get("files", [])
        counts = [rec[f"rows_{k}"] for k in ("landed", "accepted", "quarantined", "superseded")]
        reasons = sorted(rec.get("quarantine_reasons", {}).items(), key=lambda kv: (-kv[1], kv[0]))
        return (
            Reconciliation(
                build_id=record["build_id"],
                rows_landed=counts[0],
                rows_accepted=counts[1],
                rows_quarantined=counts[2],
                rows_superseded=counts[3],
                files=len(files),
                files_quarantined=sum(1 for f in files if f.get("file_reason_code")),
                balanced=counts[0] == sum(counts[1:]),
            ),
            [QuarantineReason(reason=k, rows=v) for k, v in reasons],
        )
    return None, []


def _month_index(month: str) -> int:
    year, number = month.split("-")
    return int(year) * 12 + int(number)


def _latest_months(snapshot: LoadedSnapshot) -> dict[str, str]:
    """Each client's newest month with answers, from its published scorecard rows."""
    latest: dict[str, str] = {}
    for row in snapshot.tables.get("fct_client_scorecards", []):
        if row["period_grain"] == "month" and row["touchpoint_code"] == ALL:
            cid = row["client_id"]
            if row["period"] > latest.get(cid, ""):
                latest[cid] = row["period"]
    return latest


def _freshness(snapshot: LoadedSnapshot, now: datetime) -> Freshness:
    months = snapshot.periods.get("month", [])
    newest = months[-1] if months else None
    latest = snapshot.memo("quality.latest_months", _latest_months)
    behind = []
    for cid, client in sorted(snapshot.clients.items()):
        month = latest.get(cid)
        lag = _month_index(newest) - _month_index(month) if newest and month else None
        if month is None or (lag or 0) > 0:
            behind.append(
                ClientFreshness(
                    client_id=cid,
                    client_name=client["client_name"],
                    latest_month=month,
                    months_behind=lag,
                )
            )
    published = snapshot.published_at
    age = None
    if published:
        age = round((now - datetime.fromisoformat(published)).total_seconds() / 3600, 2)
    return Freshness(
        published_at=published,
        age_hours=age,
        latest_month=newest,
        clients_total=len(snapshot.clients),
        clients_behind=sorted(behind, key=lambda c: (-(c.months_behind or 10**6), c.client_id)),
    )


@router.get(
    "",
    operation_id="get_data_quality",
    summary="Recent builds and gates, quarantine by reason, reconciliation, freshness (admin)",
    response_model=DataQuality,
    responses=csv_documentation(csv_header(DataQuality)),
)
async def get_data_quality(
    request: Request,
    admin: AdminKey,
    snapshot: Snapshot,
    builds: Annotated[int, Query(ge=1, le=50, description="How many recent builds")] = 10,
) -> Response:
    """Admin keys only (403 for others). `Accept: text/csv` gives the builds, one per row."""
    settings = get_settings(request)

    def build() -> DataQuality:
        now = datetime.now(UTC)
        records = _records(settings.warehouse, builds)
        reconciliation, quarantine = _reconciliation(records)
        return DataQuality(
            live_build_id=snapshot.build_id,
            checked_at=now.isoformat(timespec="seconds"),
            items=[_summary(r, snapshot.build_id) for r in records],
            quarantine=quarantine,
            reconciliation=reconciliation,
            freshness=_freshness(snapshot, now),
        )

    # Build records change while the snapshot stays: rendered per request, never cached.
    model = await run_in_threadpool(build)
    return respond_live(request, model, filename="quality")
