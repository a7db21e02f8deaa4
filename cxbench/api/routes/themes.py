"""Comment themes: a client's theme shares by NPS group against its industry, and the theme
benchmarks every key may read.

Every figure comes from the published marts (`fct_client_comment_themes`,
`fct_theme_benchmark_cells`, `dim_comment_themes`), where dbt computes it; this module selects
rows and shapes them. The client's scope is checked by the `/v1` guards before this runs. The
two large marts are Arrow tables in the snapshot (api/snapshot.py): a client's rows are cut out
once per snapshot, benchmark questions are filtered in Arrow.
"""

from __future__ import annotations

from typing import Annotated, Any

import pyarrow.compute as pc
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from cxbench.api.deps import ClientId, PeriodChoice, Snapshot, check_choice
from cxbench.api.representation import csv_documentation, csv_header, respond
from cxbench.api.snapshot import ALL, GRAINS
from cxbench.api.theme_schemas import (
    ClientThemeItem,
    ClientThemes,
    GroupShare,
    Theme,
    ThemeBenchmark,
    ThemeBenchmarkCell,
    ThemeBenchmarkList,
    ThemeList,
)
from cxbench.api.theme_tables import THEMES, ThemeChoice, arrow_table, client_rows, theme_order

router = APIRouter(tags=["themes"])

CLIENT_THEMES = "fct_client_comment_themes"
THEME_CELLS = "fct_theme_benchmark_cells"
BENCHMARK_GROUPS = frozenset({"all", "detractor", "passive", "promoter"})
CELL_STATISTICS = ("n_clients", "n_comments", "mean", "p10", "p25", "median", "p75", "p90", "moe")
Row = dict[str, Any]
TouchpointQuery = Annotated[str | None, Query(description="touchpoint code, or * for all")]
GrainQuery = Annotated[
    str | None,
    Query(
        description="month, quarter or year; by default the period's grain, or year",
        pattern="^(month|quarter|year)$",
    ),
]


def effective_grain(grain: str | None, period: str | None) -> str:
    """The grain asked for, else the period's, else year: an answer over every month of
    every cell would be tens of MB, and a month-by-month view is asked for explicitly."""
    if grain is not None:
        return grain
    if period is None:
        return "year"
    return "quarter" if "-Q" in period else "month" if "-" in period else "year"


def _group(row: Row, suffix: str) -> GroupShare:
    return GroupShare(
        n_comments=row[f"n_comments{suffix}"],
        n_theme_comments=row[f"n_theme_comments{suffix}"],
        share=row[f"theme_share{suffix}"],
    )


def _client_item(row: Row) -> ClientThemeItem:
    return ClientThemeItem(
        touchpoint=row["touchpoint_code"],
        period=row["period"],
        period_grain=row["period_grain"],
        theme=row["theme_code"],
        n_comments=row["n_comments"],
        n_theme_comments=row["n_theme_comments"],
        share=row["theme_share"],
        detractors=_group(row, "_detractors"),
        passives=_group(row, "_passives"),
        promoters=_group(row, "_promoters"),
        detractor_promoter_difference=row["detractor_promoter_difference"],
        detractor_promoter_lift=row["detractor_promoter_lift"],
        detractor_promoter_z=row["detractor_promoter_z"],
        lift_significant=row["is_lift_significant"],
        benchmark=ThemeBenchmark(
            suppressed_reason=row["benchmark_suppressed_reason"],
            share=row["benchmark_share"],
            median_share=row["benchmark_median_share"],
            detractors_suppressed_reason=row["benchmark_detractors_suppressed_reason"],
            share_detractors=row["benchmark_share_detractors"],
            promoters_suppressed_reason=row["benchmark_promoters_suppressed_reason"],
            share_promoters=row["benchmark_share_promoters"],
        ),
    )


@router.get(
    "/clients/{client_id}/themes",
    operation_id="get_client_themes",
    summary="A client's comment themes by NPS group, against its industry",
    response_model=ClientThemes,
    responses=csv_documentation(csv_header(ClientThemes)),
)
async def get_client_themes(
    request: Request,
    client_id: ClientId,
    snapshot: Snapshot,
    period: PeriodChoice,
    theme: ThemeChoice,
    touchpoint: TouchpointQuery = None,
    grain: GrainQuery = None,
) -> Response:
    """Per touchpoint (and `*`), period and theme: the share of the client's comments raising
    the theme, overall and among detractors, passives and promoters (NPS answer of the same
    response), the detractor-vs-promoter lift with its z test, and the industry's published
    shares. `Accept: text/csv` for CSV."""
    check_choice("touchpoint", touchpoint, snapshot.touchpoint_codes)
    order = theme_order(snapshot)
    grain = effective_grain(grain, period)

    def build() -> ClientThemes:
        rows = [
            r
            for r in client_rows(snapshot, CLIENT_THEMES, client_id)
            if (period is None or r["period"] == period)
            and (touchpoint is None or r["touchpoint_code"] == touchpoint)
            and r["period_grain"] == grain
            and (theme is None or r["theme_code"] == theme)
        ]
        rows.sort(
            key=lambda r: (
                GRAINS.index(r["period_grain"]),
                r["period"],
                r["touchpoint_code"] != ALL,
                r["touchpoint_code"],
                order[r["theme_code"]],
            )
        )
        return ClientThemes(
            build_id=snapshot.build_id,
            client_id=client_id,
            industry=snapshot.clients[client_id]["industry_code"],
            items=[_client_item(r) for r in rows],
        )

    return await respond(
        request,
        snapshot,
        ("client_themes", client_id, period, touchpoint, grain, theme),
        build,
        filename=f"themes-{client_id}-{snapshot.build_id}",
    )


def public_theme_cell(row: Row) -> ThemeBenchmarkCell:
    """The cell as the API shows it: statistics only when the cell is published. Built
    without validation (the mart's contract fixes the types): a month-grain answer has 10⁵
    cells."""
    published = bool(row["is_published"]) and row["suppressed_reason"] is None
    statistics = {name: row[name] if published else None for name in CELL_STATISTICS}
    return ThemeBenchmarkCell.model_construct(
        industry=row["industry_code"],
        touchpoint=row["touchpoint_code"],
        period=row["period"],
        period_grain=row["period_grain"],
        theme=row["theme_code"],
        group=row["nps_group"],
        share=row["value"] if published else None,
        suppressed_reason=row["suppressed_reason"] or (None if published else "suppressed"),
        **statistics,
    )


@router.get(
    "/benchmarks/themes",
    operation_id="list_theme_benchmarks",
    summary="Industry benchmarks of comment-theme shares",
    response_model=ThemeBenchmarkList,
    responses=csv_documentation(csv_header(ThemeBenchmarkList)),
)
async def list_theme_benchmarks(
    request: Request,
    snapshot: Snapshot,
    period: PeriodChoice,
    theme: ThemeChoice,
    industry: Annotated[
        str | None, Query(description="An industry code from /v1/meta, or * for all")
    ] = None,
    touchpoint: TouchpointQuery = None,
    grain: GrainQuery = None,
    group: Annotated[str | None, Query(description="all, detractor, passive or promoter")] = None,
) -> Response:
    """The share of comments raising each theme, by industry × touchpoint × period × NPS
    group, over the clients that contribute. A suppressed cell carries its coordinates and
    `suppressed_reason` only; p10 and p90 need 10 contributors. Readable by every key."""
    check_choice("industry", industry, snapshot.industry_codes)
    check_choice("touchpoint", touchpoint, snapshot.touchpoint_codes)
    check_choice("group", group, BENCHMARK_GROUPS)
    order = theme_order(snapshot)
    grain = effective_grain(grain, period)

    def build() -> ThemeBenchmarkList:
        table = arrow_table(snapshot, THEME_CELLS)
        mask = None
        for column, value in (
            ("industry_code", industry),
            ("touchpoint_code", touchpoint),
            ("period", period),
            ("period_grain", grain),
            ("theme_code", theme),
            ("nps_group", group),
        ):
            if value is not None:
                match = pc.equal(table[column], value)
                mask = match if mask is None else pc.and_(mask, match)
        rows = (table if mask is None else table.filter(mask)).to_pylist()
        rows.sort(
            key=lambda r: (
                GRAINS.index(r["period_grain"]),
                r["period"],
                r["industry_code"] != ALL,
                r["industry_code"],
                r["touchpoint_code"] != ALL,
                r["touchpoint_code"],
                order[r["theme_code"]],
                r["nps_group"],
            )
        )
        return ThemeBenchmarkList.model_construct(
            build_id=snapshot.build_id, items=[public_theme_cell(r) for r in rows]
        )

    return await respond(
        request,
        snapshot,
        ("theme_benchmarks", industry, touchpoint, period, grain, theme, group),
        build,
        filename=f"theme-benchmarks-{snapshot.build_id}",
    )


@router.get(
    "/themes",
    operation_id="list_themes",
    summary="The comment themes, with Finnish and English names",
    response_model=ThemeList,
    responses=csv_documentation(csv_header(ThemeList)),
)
async def list_themes(request: Request, snapshot: Snapshot) -> Response:
    """The themes comments are sorted into; `other` is a comment that names none of them."""
    theme_order(snapshot)

    def build() -> ThemeList:
        rows = sorted(snapshot.tables[THEMES], key=lambda r: r["sort_order"])
        items = [
            Theme(
                theme=r["theme_code"],
                name_fi=r["theme_name_fi"],
                name_en=r["theme_name_en"],
                is_catch_all=r["is_catch_all"],
            )
            for r in rows
        ]
        return ThemeList(build_id=snapshot.build_id, items=items)

    return await respond(request, snapshot, ("themes",), build, filename="themes")
