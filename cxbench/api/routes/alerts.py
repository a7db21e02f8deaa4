"""A client's drop alerts (DESIGN §7 v2), from the published ``fct_client_alerts``.

The detector lives in dbt (z tests with the standard-error macros, over the latest month and,
where a series has enough answers, the latest 7 days); this module only selects the client's
rows. The ``/v1`` guards have checked the key's client scope before it runs.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from cxbench.api.deps import ClientId, MetricChoice, Snapshot
from cxbench.api.representation import csv_documentation, csv_header, respond
from cxbench.api.schemas import AlertItem, Alerts
from cxbench.api.snapshot import LoadedSnapshot

router = APIRouter(prefix="/clients", tags=["alerts"])

CLIENT_ALERTS = "fct_client_alerts"


def _alert_order(row: dict[str, Any]) -> tuple[str, str, str, str]:
    return (row["alert_window"], row["touchpoint_code"], row["metric_code"], row["comparison"])


def _by_client(snapshot: LoadedSnapshot) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    rows = snapshot.tables.get(CLIENT_ALERTS, [])
    for row in sorted(rows, key=_alert_order):
        grouped[row["client_id"]].append(row)
    return dict(grouped)


@router.get(
    "/{client_id}/alerts",
    operation_id="get_client_alerts",
    summary="Significant drops in the client's latest month and 7 days, per touchpoint and metric",
    response_model=Alerts,
    responses=csv_documentation(csv_header(Alerts)),
)
async def get_alerts(
    request: Request,
    client_id: ClientId,
    snapshot: Snapshot,
    metric: MetricChoice,
    window: Annotated[
        Literal["month", "7_days"] | None,
        Query(description="only the latest month's alerts, or only the latest 7 days'"),
    ] = None,
) -> Response:
    """By window, touchpoint and metric; empty when nothing fell significantly. The 7-day
    window is tested only for series with enough answers in it. CSV with `Accept`."""

    def build() -> Alerts:
        rows = snapshot.memo(CLIENT_ALERTS, _by_client).get(client_id, [])
        items = [
            AlertItem(
                alert_id=r["alert_id"],
                episode_id=r["episode_id"],
                episode_start=r["episode_start"],
                touchpoint=r["touchpoint_code"],
                metric=r["metric_code"],
                window=r["alert_window"],
                period=r["period"],
                window_start=r["window_start"],
                window_end=r["window_end"],
                comparison=r["comparison"],
                n=r["n"],
                value=r["value"],
                reference_period=r["reference_period"],
                reference_n=r["reference_n"],
                reference_value=r["reference_value"],
                change=r["change"],
                change_z=r["change_z"],
                cusum_statistic=r["cusum_statistic"],
            )
            for r in rows
            if (metric is None or r["metric_code"] == metric)
            and (window is None or r["alert_window"] == window)
        ]
        return Alerts(build_id=snapshot.build_id, client_id=client_id, items=items)

    return await respond(
        request,
        snapshot,
        ("alerts", client_id, metric, window),
        build,
        filename=f"alerts-{client_id}-{snapshot.build_id}",
    )
