"""A client's scorecard, for keys that may see that client only (targets: routes/targets.py).

Every figure comes from the published marts (`fct_client_scorecards`, `fct_unit_scorecards`),
where dbt macros compute it; this module only selects rows and shapes
them. The key's scope is checked in a dependency that runs before any query parameter is read,
so a key outside its scope gets the same 403 whether or not the client exists.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from cxbench.api.deps import Principal, Snapshot, check_choice, require_client_access
from cxbench.api.problems import Problem
from cxbench.api.representation import csv_documentation, csv_header, respond
from cxbench.api.schemas import Scorecard, ScorecardBenchmark, ScorecardItem, UnitComparison
from cxbench.api.snapshot import ALL, GRAINS, LoadedSnapshot, rows_of_client

router = APIRouter(prefix="/clients", tags=["clients"])

CLIENT_SCORECARDS = "fct_client_scorecards"
UNIT_SCORECARDS = "fct_unit_scorecards"
Row = dict[str, Any]


def scoped_client_id(
    principal: Principal,
    client_id: Annotated[str, Path(description="A client id, e.g. c011")],
) -> str:
    """The path's client id, once the key is known to be allowed to see it."""
    require_client_access(principal, client_id)
    return client_id


ScopedClientId = Annotated[str, Depends(scoped_client_id)]


NO_SCORECARDS = "The live snapshot has no scorecards yet; run `cxbench build`."


def _by_client(snapshot: LoadedSnapshot) -> dict[str, list[Row]]:
    rows = snapshot.tables.get(CLIENT_SCORECARDS)
    if rows is None:
        raise Problem(503, NO_SCORECARDS)
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in sorted(rows, key=_row_order):
        grouped[row["client_id"]].append(row)
    return dict(grouped)


def _client_rows(snapshot: LoadedSnapshot, client_id: str) -> list[Row]:
    """The client's scorecard rows, in display order (grouped once per snapshot)."""
    return snapshot.memo(CLIENT_SCORECARDS, _by_client).get(client_id, [])


def _unit_rows(snapshot: LoadedSnapshot, client_id: str) -> list[Row]:
    """The client's unit scorecard rows, in display order: cut out of the Arrow mart on the
    client's first units question and kept with the snapshot."""

    def cut(s: LoadedSnapshot) -> list[Row]:
        table = s.arrow.get(UNIT_SCORECARDS)
        if table is None:
            raise Problem(503, NO_SCORECARDS)
        return sorted(rows_of_client(table, client_id), key=_row_order)

    return snapshot.memo(f"{UNIT_SCORECARDS}:{client_id}", cut)


def warm(snapshot: LoadedSnapshot) -> None:
    """Group the client scorecards by client before the snapshot goes live (see
    SnapshotStore): on the first scorecard request it cost 0.3 s. A client's unit rows are
    cut out on its first units question (a few ms)."""
    if CLIENT_SCORECARDS in snapshot.tables:
        snapshot.memo(CLIENT_SCORECARDS, _by_client)


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
    # n_clients of a withheld cell is withheld too, as /v1/benchmarks does (DESIGN §5).
    published = row["benchmark_suppressed_reason"] is None
    return ScorecardBenchmark(
        industry=row["industry_code"],
        n_clients=(row["benchmark_n_clients"] or 0) if published else None,
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
        str | None, Query(description="a benchmarked metric code from /v1/meta")
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
        rows = (_unit_rows if is_unit else _client_rows)(snapshot, client_id)
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
