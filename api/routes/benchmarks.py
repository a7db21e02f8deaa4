"""Benchmark cells by metric, industry, touchpoint and period; readable by every role."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import Principal, Snapshot
from api.problems import Problem
from api.schemas import BenchmarkCell, BenchmarkList
from api.snapshot import GRAINS, LoadedSnapshot

router = APIRouter(prefix="/benchmarks", tags=["benchmarks"])


def check_choice(name: str, value: str | None, allowed: set[str]) -> None:
    """A query value must be one that /v1/meta lists."""
    if value is not None and value not in allowed:
        raise Problem(422, f"Unknown {name} {value!r}; /v1/meta lists the values available.")


def to_cell(row: dict[str, Any]) -> BenchmarkCell:
    return BenchmarkCell(
        industry=row["industry_code"],
        touchpoint=row["touchpoint_code"],
        metric=row["metric_code"],
        period=row["period"],
        period_grain=row["period_grain"],
        n_clients=row["n_clients"],
        n_responses=row["n_responses"],
        value=row["value"],
        mean=row["mean"],
        p10=row["p10"],
        p25=row["p25"],
        median=row["median"],
        p75=row["p75"],
        p90=row["p90"],
        moe=row["moe"],
        suppressed_reason=row["suppressed_reason"],
    )


def find_cells(
    snapshot: LoadedSnapshot,
    metric: str | None,
    industry: str | None,
    touchpoint: str | None,
    period: str | None,
    grain: str | None,
) -> list[dict[str, Any]]:
    check_choice("metric", metric, snapshot.metric_codes)
    check_choice("industry", industry, snapshot.industry_codes)
    check_choice("touchpoint", touchpoint, snapshot.touchpoint_codes)
    check_choice("period", period, snapshot.all_periods)
    check_choice("grain", grain, set(GRAINS))
    pool = snapshot.cells_by_metric.get(metric, []) if metric else snapshot.cells
    return [
        c
        for c in pool
        if (industry is None or c["industry_code"] == industry)
        and (touchpoint is None or c["touchpoint_code"] == touchpoint)
        and (period is None or c["period"] == period)
        and (grain is None or c["period_grain"] == grain)
    ]


@router.get("", operation_id="list_benchmarks", summary="Benchmark cells")
def list_benchmarks(
    snapshot: Snapshot,
    principal: Principal,
    metric: Annotated[
        str | None, Query(description="nps, csat, ces, osat, cx_index, comment")
    ] = None,
    industry: Annotated[str | None, Query(description="industry code, or * for all")] = None,
    touchpoint: Annotated[str | None, Query(description="touchpoint code, or * for all")] = None,
    period: Annotated[str | None, Query(description="2025-07, 2025-Q3 or 2025")] = None,
    grain: Annotated[str | None, Query(description="month, quarter or year")] = None,
) -> BenchmarkList:
    cells = find_cells(snapshot, metric, industry, touchpoint, period, grain)
    return BenchmarkList(build_id=snapshot.build_id, items=[to_cell(c) for c in cells])
