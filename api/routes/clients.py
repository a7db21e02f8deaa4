"""A client's scorecard and a consultant's targets, for keys that may see that client only.

Every figure comes from the published marts (`fct_client_scorecards`, `fct_unit_scorecards`,
`fct_client_targets`), where dbt macros compute it; this module only selects rows and shapes
them. The key's scope is checked in a dependency that runs before any query parameter is read,
so a key outside its scope gets the same 403 whether or not the client exists.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from api.deps import Principal, Snapshot, require_client_access
from api.problems import Problem
from api.representation import csv_documentation, csv_header, respond
from api.routes.benchmarks import check_choice
from api.schemas import (
    NpsLevers,
    Scorecard,
    ScorecardBenchmark,
    ScorecardItem,
    TargetItem,
    Targets,
    UnitComparison,
)
from api.snapshot import ALL, GRAINS, LoadedSnapshot

router = APIRouter(prefix="/clients", tags=["clients"])

CLIENT_SCORECARDS = "fct_client_scorecards"
UNIT_SCORECARDS = "fct_unit_scorecards"
CLIENT_TARGETS = "fct_client_targets"
Row = dict[str, Any]


def scoped_client_id(
    principal: Principal,
    client_id: Annotated[str, Path(description="A client id, e.g. c011")],
) -> str:
    """The path's client id, once the key is known to be allowed to see it."""
    require_client_access(principal, client_id)
    return client_id


ScopedClientId = Annotated[str, Depends(scoped_client_id)]


def _table(snapshot: LoadedSnapshot, name: str) -> list[Row]:
    rows = snapshot.tables.get(name)
    if rows is None:
        raise Problem(503, "The live snapshot has no scorecards yet; run `cxbench build`.")
    return rows


def _by_client(name: str) -> Any:
    def build(snapshot: LoadedSnapshot) -> dict[str, list[Row]]:
        grouped: dict[str, list[Row]] = defaultdict(list)
        for row in sorted(_table(snapshot, name), key=_row_order):
            grouped[row["client_id"]].append(row)
        return dict(grouped)

    return build


def _targets_index(snapshot: LoadedSnapshot) -> dict[tuple[str, str, str, str], dict[str, Row]]:
    index: dict[tuple[str, str, str, str], dict[str, Row]] = defaultdict(dict)
    for row in _table(snapshot, CLIENT_TARGETS):
        key = (row["client_id"], row["metric_code"], row["period"], row["ambition"])
        index[key][row["touchpoint_code"]] = row
    return dict(index)


def _row_order(row: Row) -> tuple[str, int, str, bool, str, str]:
    return (
        row["metric_code"],
        GRAINS.index(row["period_grain"]),
        row["period"],
        row["touchpoint_code"] != ALL,
        row["touchpoint_code"],
        row.get("unit") or "",
    )


def _client(snapshot: LoadedSnapshot, client_id: str) -> Row:
    client = snapshot.clients.get(client_id)
    if client is None:
        raise Problem(404, f"Unknown client {client_id!r}.")
    return client


def _benchmark(row: Row) -> ScorecardBenchmark:
    return ScorecardBenchmark(
        industry=row["industry_code"],
        n_clients=row["benchmark_n_clients"] or 0,
        suppressed_reason=row["benchmark_suppressed_reason"],
        value=row["benchmark_value"],
        mean=row["benchmark_mean"],
        p10=row["benchmark_p10"],
        p25=row["benchmark_p25"],
        median=row["benchmark_median"],
        p75=row["benchmark_p75"],
        p90=row["benchmark_p90"],
    )


def _unit_comparison(row: Row) -> UnitComparison:
    return UnitComparison(
        client_n=row["client_n"],
        client_value=row["client_value"],
        rest_n=row["rest_n"],
        rest_value=row["rest_value"],
        diff_vs_rest=row["diff_vs_rest"],
        diff_vs_rest_z=row["diff_vs_rest_z"],
        diff_vs_rest_significant=row["is_diff_vs_rest_significant"],
        is_ranked=row["is_ranked"],
        unit_rank=row["unit_rank"],
        n_units_ranked=row["n_units_ranked"],
    )


def _scorecard_item(row: Row, is_unit: bool) -> ScorecardItem:
    return ScorecardItem(
        touchpoint=row["touchpoint_code"],
        metric=row["metric_code"],
        period=row["period"],
        period_grain=row["period_grain"],
        unit=row["unit"] if is_unit else None,
        n=row["n"],
        value=row["value"],
        standard_error=row["standard_error"],
        moe=row["moe"],
        ci_low=row["ci_low"],
        ci_high=row["ci_high"],
        benchmark=None if is_unit else _benchmark(row),
        percentile_rank=None if is_unit else row["percentile_rank"],
        previous_period=row["previous_period"],
        previous_value=row["previous_value"],
        change=row["change"],
        change_z=row["change_z"],
        change_significant=row["is_change_significant"],
        unit_comparison=_unit_comparison(row) if is_unit else None,
    )


def _target_item(scorecard: Row, target: Row | None) -> TargetItem:
    """One touchpoint's current value and, when its industry cell and the ambition's percentile
    are published, its target; otherwise why not."""
    levers = None
    if target is not None and target["metric_code"] == "nps" and target["gap"] is not None:
        levers = NpsLevers(**{name: target[name] for name in NpsLevers.model_fields})
    return TargetItem(
        touchpoint=scorecard["touchpoint_code"],
        n=scorecard["n"],
        current=scorecard["value"],
        moe=scorecard["moe"],
        benchmark_suppressed_reason=scorecard["benchmark_suppressed_reason"],
        target_withheld_reason=(
            target["target_withheld_reason"] if target else scorecard["benchmark_suppressed_reason"]
        ),
        target=target["target_value"] if target else None,
        gap=target["gap"] if target else None,
        is_met=target["is_met"] if target else None,
        nps=levers,
        answers_needed_per_period=target["answers_needed_per_period"] if target else None,
        has_enough_answers=target["has_enough_answers"] if target else None,
    )


@router.get(
    "/{client_id}/scorecard",
    operation_id="get_client_scorecard",
    summary="A client's values against its industry, or its units against each other",
    response_model=Scorecard,
    responses=csv_documentation(csv_header(Scorecard)),
)
async def get_scorecard(
    request: Request,
    client_id: ScopedClientId,
    snapshot: Snapshot,
    metric: Annotated[
        str | None, Query(description="nps, csat, ces, osat, cx_index, comment")
    ] = None,
    period: Annotated[str | None, Query(description="2025-07, 2025-Q3 or 2025")] = None,
    touchpoint: Annotated[str | None, Query(description="touchpoint code, or * for all")] = None,
    unit: Annotated[
        str | None,
        Query(description="one of the client's units, or * for all of them; omit for the client"),
    ] = None,
    grain: Annotated[str | None, Query(description="month, quarter or year")] = None,
) -> Response:
    """The client's rows (or its units' with `unit`), filtered; `Accept: text/csv` for CSV."""
    client = _client(snapshot, client_id)
    check_choice("metric", metric, snapshot.metric_codes)
    check_choice("period", period, snapshot.all_periods)
    check_choice("touchpoint", touchpoint, snapshot.touchpoint_codes)
    check_choice("grain", grain, set(GRAINS))

    def build() -> Scorecard:
        is_unit = unit is not None
        table = UNIT_SCORECARDS if is_unit else CLIENT_SCORECARDS
        rows = snapshot.memo(table, _by_client(table)).get(client_id, [])
        if unit not in (None, ALL) and unit not in {r["unit"] for r in rows}:
            raise Problem(422, f"Unknown unit {unit!r} for this client; use * to list its units.")
        items = [
            _scorecard_item(r, is_unit)
            for r in rows
            if (metric is None or r["metric_code"] == metric)
            and (period is None or r["period"] == period)
            and (touchpoint is None or r["touchpoint_code"] == touchpoint)
            and (grain is None or r["period_grain"] == grain)
            and (unit in (None, ALL) or r["unit"] == unit)
        ]
        return Scorecard(
            build_id=snapshot.build_id,
            client_id=client_id,
            client_name=client["client_name"],
            industry=client["industry_code"],
            items=items,
        )

    return await respond(
        request,
        snapshot,
        ("scorecard", client_id, metric, period, touchpoint, unit, grain),
        build,
        filename=f"scorecard-{client_id}-{snapshot.build_id}",
    )


@router.get(
    "/{client_id}/targets",
    operation_id="get_client_targets",
    summary="Targets from the industry's p50, p75 or p90, per touchpoint",
    response_model=Targets,
    responses=csv_documentation(csv_header(Targets)),
)
async def get_targets(
    request: Request,
    client_id: ScopedClientId,
    snapshot: Snapshot,
    metric: Annotated[str, Query(description="nps, csat, ces, osat, cx_index, comment")],
    period: Annotated[str, Query(description="2025-07, 2025-Q3 or 2025")],
    ambition: Annotated[
        Literal["p50", "p75", "p90"], Query(description="the industry cell's percentile")
    ] = "p75",
) -> Response:
    """One row per touchpoint the client has in the period; `Accept: text/csv` for CSV."""
    client = _client(snapshot, client_id)
    check_choice("metric", metric, snapshot.metric_codes)
    check_choice("period", period, snapshot.all_periods)

    def build() -> Targets:
        scorecards = snapshot.memo(CLIENT_SCORECARDS, _by_client(CLIENT_SCORECARDS))
        targets = snapshot.memo(CLIENT_TARGETS, _targets_index).get(
            (client_id, metric, period, ambition), {}
        )
        items = [
            _target_item(row, targets.get(row["touchpoint_code"]))
            for row in scorecards.get(client_id, [])
            if row["metric_code"] == metric and row["period"] == period
        ]
        grain = next(g for g in GRAINS if period in snapshot.periods.get(g, ()))
        return Targets(
            build_id=snapshot.build_id,
            client_id=client_id,
            industry=client["industry_code"],
            metric=metric,
            period=period,
            period_grain=grain,
            ambition=ambition,
            items=items,
        )

    return await respond(
        request,
        snapshot,
        ("targets", client_id, metric, period, ambition),
        build,
        filename=f"targets-{client_id}-{snapshot.build_id}",
    )
