"""A client's own comments, newest first, with personal data masked.

The text comes from the published `fct_comment_verbatims`, whose personal data dbt masked
before publish (macro mask_personal_data); the raw text never reaches the snapshot. The
`/v1` guards have checked the key's scope for the client before this runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from cxbench.api.deps import ClientId, PeriodChoice, Snapshot, check_choice
from cxbench.api.representation import csv_documentation, csv_header, respond
from cxbench.api.snapshot import LoadedSnapshot
from cxbench.api.theme_schemas import Comment, CommentPage
from cxbench.api.theme_tables import ThemeChoice, cut_client_rows

router = APIRouter(prefix="/clients", tags=["comments"])

VERBATIMS = "fct_comment_verbatims"
COMMENT_GROUPS = frozenset({"detractor", "passive", "promoter", "none"})
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
Row = dict[str, Any]


def _newest_first(snapshot: LoadedSnapshot, client_id: str) -> list[Row]:
    """The client's comments sorted newest first (ties by comment id), once per snapshot."""

    def build(s: LoadedSnapshot) -> list[Row]:
        rows = [
            {**r, "themes": r["theme_codes"].split(",")}
            for r in cut_client_rows(s, VERBATIMS, client_id)
        ]
        rows.sort(key=lambda r: r["comment_id"])
        rows.sort(key=lambda r: r["responded_at"], reverse=True)
        return rows

    return snapshot.memo(f"comments.sorted:{client_id}", build)


def _timestamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _comment(row: Row) -> Comment:
    return Comment(
        comment_id=row["comment_id"],
        response_id=row["response_id"],
        responded_at=_timestamp(row["responded_at"]),
        touchpoint=row["touchpoint_code"],
        channel=row["channel"],
        unit=row["unit"],
        nps_score=row["nps_score"],
        group=row["nps_group"],
        themes=row["themes"],
        text=row["comment_text_masked"],
    )


@router.get(
    "/{client_id}/comments",
    operation_id="list_client_comments",
    summary="The client's own comments, personal data masked, newest first",
    response_model=CommentPage,
    responses=csv_documentation(csv_header(CommentPage)),
)
async def list_client_comments(
    request: Request,
    client_id: ClientId,
    snapshot: Snapshot,
    theme: ThemeChoice,
    period: PeriodChoice,
    touchpoint: Annotated[str | None, Query(description="a touchpoint code")] = None,
    group: Annotated[
        str | None, Query(description="detractor, passive, promoter, or none (no NPS answer)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="comments per page")] = (
        DEFAULT_LIMIT
    ),
    offset: Annotated[int, Query(ge=0, description="comments to skip")] = 0,
) -> Response:
    """A page of the client's comments matching every filter given, newest first; `total`
    counts them all and `next_offset` asks for the next page. E-mail addresses, phone numbers,
    personal identity codes, IBANs and card numbers are masked. `Accept: text/csv` for CSV."""
    check_choice("touchpoint", touchpoint, snapshot.touchpoint_codes - {"*"})
    check_choice("group", group, COMMENT_GROUPS)

    def build() -> CommentPage:
        rows = [
            r
            for r in _newest_first(snapshot, client_id)
            if (theme is None or theme in r["themes"])
            and (touchpoint is None or r["touchpoint_code"] == touchpoint)
            and (group is None or r["nps_group"] == group)
            and (
                period is None
                or period in (r["period_month"], r["period_quarter"], r["period_year"])
            )
        ]
        page = rows[offset : offset + limit]
        return CommentPage(
            build_id=snapshot.build_id,
            client_id=client_id,
            total=len(rows),
            limit=limit,
            offset=offset,
            next_offset=offset + limit if offset + limit < len(rows) else None,
            items=[_comment(r) for r in page],
        )

    return await respond(
        request,
        snapshot,
        ("comments", client_id, theme, touchpoint, group, period, limit, offset),
        build,
        filename=f"comments-{client_id}-{snapshot.build_id}",
    )
