"""What drives a client's NPS: its drivers ranked for an importance–performance reading, and
what each touchpoint reaching its industry's median would be worth.

Every figure comes from the published marts (`fct_client_drivers`,
`fct_client_touchpoint_impacts`), where dbt computes it; this module selects and shapes rows.
The ``{client_id}`` scope is checked by the ``/v1`` guards before anything here runs.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from cxbench.api.deps import ClientId, Snapshot, check_choice
from cxbench.api.problems import Problem
from cxbench.api.representation import csv_documentation, csv_header, respond
from cxbench.api.schemas import DriverItem, Drivers, TouchpointImpact
from cxbench.api.snapshot import ALL, GRAINS, LoadedSnapshot

router = APIRouter(prefix="/clients", tags=["drivers"])

CLIENT_DRIVERS = "fct_client_drivers"
TOUCHPOINT_IMPACTS = "fct_client_touchpoint_impacts"
DRIVER_GRAINS = ("quarter", "year")
Row = dict[str, Any]


def _by_client(name: str, order: Any) -> Any:
    def build(snapshot: LoadedSnapshot) -> dict[str, list[Row]]:
        rows = snapshot.tables.get(name)
        if rows is None:
            raise Problem(503, "The live snapshot has no drivers yet; run `cxbench build`.")
        grouped: dict[str, list[Row]] = defaultdict(list)
        for row in sorted(rows, key=order):
            grouped[row["client_id"]].append(row)
        return dict(grouped)

    return build


def _period_order(row: Row) -> tuple[int, str]:
    return (GRAINS.index(row["period_grain"]), row["period"])


def _driver_order(row: Row) -> tuple[int, str, bool, str, int]:
    return (
        *_period_order(row),
        row["touchpoint_code"] != ALL,
        row["touchpoint_code"],
        row["driver_rank"],
    )


def _impact_order(row: Row) -> tuple[int, str, bool, float, str]:
    impact = row["impact_on_client_nps"]
    return (
        *_period_order(row),
        impact is None,
        -(impact or 0.0),
        row["touchpoint_code"],
    )


def _driver_item(row: Row) -> DriverItem:
    published = row["industry_suppressed_reason"] is None and row["industry_n_clients"]
    return DriverItem(
        touchpoint=row["touchpoint_code"],
        period=row["period"],
        period_grain=row["period_grain"],
        rank=row["driver_rank"],
        driver=row["driver_code"],
        driver_name=row["driver_name"],
        index=row["index_code"],
        quadrant=row["quadrant"],
        priority=row["priority"],
        n_answers=row["n_answers"],
        performance=row["performance"],
        n_pairs=row["n_pairs"],
        importance=row["importance"],
        importance_ci_low=row["importance_ci_low"],
        importance_ci_high=row["importance_ci_high"],
        missing_reason=row["missing_reason"],
        industry_median_importance=row["industry_median_importance"] if published else None,
        industry_p25_importance=row["industry_p25_importance"] if published else None,
        industry_p75_importance=row["industry_p75_importance"] if published else None,
        industry_suppressed_reason=row["industry_suppressed_reason"],
        all_industries_median_importance=row["all_industries_median_importance"],
    )


def _impact_item(row: Row) -> TouchpointImpact:
    return TouchpointImpact(
        touchpoint=row["touchpoint_code"],
        period=row["period"],
        period_grain=row["period_grain"],
        metric=row["metric_code"],
        n=row["n"],
        nps=row["value"],
        answer_share=row["answer_share"],
        industry_median=row["industry_median"],
        gap=row["gap"],
        impact_on_client_nps=row["impact_on_client_nps"],
        missing_reason=row["missing_reason"],
    )


@router.get(
    "/{client_id}/drivers",
    operation_id="get_client_drivers",
    summary="What drives the client's NPS, ranked, and what each touchpoint is worth",
    response_model=Drivers,
    responses=csv_documentation(csv_header(Drivers)),
)
async def get_drivers(
    request: Request,
    client_id: ClientId,
    snapshot: Snapshot,
    period: Annotated[
        str | None, Query(description="a quarter (2025-Q3) or year (2025); omit for all")
    ] = None,
    touchpoint: Annotated[
        str | None, Query(description="touchpoint code, or * for all; omit for every level")
    ] = None,
) -> Response:
    """Drivers ranked per touchpoint and period (`fix_first` first), with the industry's median
    importance where published; touchpoint impacts ranked by what reaching the industry
    median would add to the overall NPS. `Accept: text/csv` exports the drivers."""
    client = snapshot.clients[client_id]  # the /v1 guard has answered 404 for unknown ones
    check_choice("period", period, {p for g in DRIVER_GRAINS for p in snapshot.periods.get(g, ())})
    check_choice("touchpoint", touchpoint, snapshot.touchpoint_codes)

    def build() -> Drivers:
        drivers = snapshot.memo(CLIENT_DRIVERS, _by_client(CLIENT_DRIVERS, _driver_order))
        impacts = snapshot.memo(TOUCHPOINT_IMPACTS, _by_client(TOUCHPOINT_IMPACTS, _impact_order))
        return Drivers(
            build_id=snapshot.build_id,
            client_id=client_id,
            client_name=client["client_name"],
            industry=client["industry_code"],
            items=[
                _driver_item(r)
                for r in drivers.get(client_id, [])
                if (period is None or r["period"] == period)
                and (touchpoint is None or r["touchpoint_code"] == touchpoint)
            ],
            touchpoint_impacts=[
                _impact_item(r)
                for r in impacts.get(client_id, [])
                if (period is None or r["period"] == period)
                and (touchpoint in (None, ALL) or r["touchpoint_code"] == touchpoint)
            ],
        )

    return await respond(
        request,
        snapshot,
        ("drivers", client_id, period, touchpoint),
        build,
        filename=f"drivers-{client_id}-{snapshot.build_id}",
    )
