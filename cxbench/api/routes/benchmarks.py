"""Benchmark cells by metric, industry, touchpoint and period; readable by every role.

Only published statistics leave the service: a suppressed cell keeps its coordinates and
``suppressed_reason`` and nothing else, whatever the mart holds (DESIGN §5). Which cells are
published, and which percentiles, is decided once in the warehouse (§5.1: complementary
suppression, p10/p90 from 10 contributors) and replayed by the attack suite before a snapshot
goes live; this module shows that decision as it is.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.openapi.models import Example
from starlette.responses import Response

from cxbench.api.deps import Snapshot, check_choice
from cxbench.api.representation import csv_documentation, respond
from cxbench.api.schemas import BenchmarkCell, BenchmarkList
from cxbench.api.snapshot import GRAINS, Index, LoadedSnapshot
from cxbench.targets.rules import PERIOD_PATTERN

router = APIRouter(prefix="/benchmarks", tags=["benchmarks"])

# Withheld, all of them, from a suppressed cell (n_clients too: DESIGN §5 counts it a statistic).
STATISTICS = (
    *("n_clients", "n_responses", "value", "mean"),
    *("p10", "p25", "median", "p75", "p90", "moe"),
)
CSV_EXAMPLE = (
    "build_id,industry,touchpoint,metric,period,period_grain,n_clients,n_responses,value,mean,"
    "p10,p25,median,p75,p90,moe,suppressed_reason\r\n"
    "20261123T180000Z-1a2b3c,banking,*,nps,2025,year,9,4120,31.4,29.8,12.0,21.5,30.2,38.9,44.0,"
    "2.6,\r\n"
)


def examples(*values: str) -> dict[str, Example]:
    return {value: Example(value=value) for value in values}


def public_cell(row: dict[str, Any]) -> dict[str, Any]:
    """The cell as the API shows it: statistics only when the cell is published."""
    published = bool(row["is_published"]) and row["suppressed_reason"] is None
    cell = BenchmarkCell(
        industry=row["industry_code"],
        touchpoint=row["touchpoint_code"],
        metric=row["metric_code"],
        period=row["period"],
        period_grain=row["period_grain"],
        suppressed_reason=row["suppressed_reason"] or (None if published else "suppressed"),
        **{name: row[name] if published else None for name in STATISTICS},
    )
    return cell.model_dump()


def cell_index(snapshot: LoadedSnapshot) -> Index:
    return Index(
        [public_cell(row) for row in snapshot.cells],
        ("metric", "industry", "touchpoint", "period", "period_grain"),
    )


def warm(snapshot: LoadedSnapshot) -> Index:
    """Build the cell index of a snapshot before it goes live (see SnapshotStore)."""
    return snapshot.memo("benchmarks.cells", cell_index)


def check_filters(
    snapshot: LoadedSnapshot,
    metric: str | None,
    industry: str | None,
    touchpoint: str | None,
    period: str | None,
    grain: str | None,
) -> None:
    check_choice("metric", metric, snapshot.metric_codes)
    check_choice("industry", industry, snapshot.industry_codes)
    check_choice("touchpoint", touchpoint, snapshot.touchpoint_codes)
    check_choice("period", period, snapshot.all_periods)
    check_choice("grain", grain, set(GRAINS))


@router.get(
    "",
    operation_id="list_benchmarks",
    summary="Benchmark cells",
    response_model=BenchmarkList,
    responses=csv_documentation(CSV_EXAMPLE),
)
async def list_benchmarks(
    request: Request,
    snapshot: Snapshot,
    metric: Annotated[
        str | None,
        Query(
            description="A benchmarked metric code from /v1/meta (its metrics catalogue)",
            openapi_examples=examples("nps"),
        ),
    ] = None,
    industry: Annotated[
        str | None,
        Query(
            description="An industry code from /v1/meta, or * for all industries",
            openapi_examples=examples("*", "banking", "retail"),
        ),
    ] = None,
    touchpoint: Annotated[
        str | None,
        Query(
            description="A touchpoint code from /v1/meta, or * for all touchpoints",
            openapi_examples=examples("*", "customer_service"),
        ),
    ] = None,
    period: Annotated[
        str | None,
        Query(
            description="A month (2025-07), quarter (2025-Q3) or year (2025) from /v1/meta",
            pattern=PERIOD_PATTERN,
            openapi_examples=examples("2025", "2025-Q3", "2025-07"),
        ),
    ] = None,
    grain: Annotated[
        str | None,
        Query(
            description="month, quarter or year",
            pattern="^(month|quarter|year)$",
            openapi_examples=examples("year", "quarter", "month"),
        ),
    ] = None,
) -> Response:
    """The cells matching every filter given, all of them for no filter.

    Every role may read benchmarks. A suppressed cell (too few clients, one client dominant, or
    complementary: withheld so that no difference of published cells singles out a client)
    carries its coordinates and `suppressed_reason` only; p10 and p90 need 10 contributors.
    Send `Accept: text/csv` for CSV.
    """
    check_filters(snapshot, metric, industry, touchpoint, period, grain)

    def build() -> BenchmarkList:
        cells = warm(snapshot).find(
            metric=metric,
            industry=industry,
            touchpoint=touchpoint,
            period=period,
            period_grain=grain,
        )
        items = [BenchmarkCell.model_construct(**cell) for cell in cells]
        return BenchmarkList.model_construct(build_id=snapshot.build_id, items=items)

    return await respond(
        request,
        snapshot,
        ("benchmarks", metric, industry, touchpoint, period, grain),
        build,
        filename=f"benchmarks-{snapshot.build_id}",
    )
