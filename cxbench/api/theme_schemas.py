"""Response models of the comment-theme and verbatim routes (routes/themes.py, comments.py).

Kept apart from ``api/schemas.py`` so the theme resource carries its own vocabulary: shares are
percentages of comments (0–100); a benchmark figure is null unless its cell is published.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class Theme(BaseModel):
    theme: str = Field(examples=["waiting"])
    name_fi: str = Field(examples=["Odotus ja jonot"])
    name_en: str = Field(examples=["Waiting and queues"])
    is_catch_all: bool


class GroupShare(BaseModel):
    """The comments of one NPS group in the cell and the share raising the theme."""

    n_comments: int
    n_theme_comments: int
    share: float | None = Field(description="% of the group's comments; null without any")


class ThemeBenchmark(BaseModel):
    """The client's industry cells (same touchpoint, period, theme); figures only if published."""

    suppressed_reason: str | None
    share: float | None
    median_share: float | None
    detractors_suppressed_reason: str | None
    share_detractors: float | None
    promoters_suppressed_reason: str | None
    share_promoters: float | None


class ClientThemeItem(BaseModel):
    touchpoint: str
    period: str
    period_grain: str
    theme: str
    n_comments: int
    n_theme_comments: int
    share: float = Field(description="% of all the client's comments in the cell")
    detractors: GroupShare
    passives: GroupShare
    promoters: GroupShare
    detractor_promoter_difference: float | None = Field(description="percentage points")
    detractor_promoter_lift: float | None = Field(description="ratio of the two shares")
    detractor_promoter_z: float | None = Field(description="two-proportion z")
    lift_significant: bool | None
    benchmark: ThemeBenchmark


class ClientThemes(BaseModel):
    build_id: str
    client_id: str
    industry: str
    items: list[ClientThemeItem]


class ThemeBenchmarkCell(BaseModel):
    """One theme benchmark cell; every statistic, n_clients included, is null when suppressed."""

    industry: str
    touchpoint: str
    period: str
    period_grain: str
    theme: str
    group: str = Field(description="all, detractor, passive or promoter")
    n_clients: int | None
    n_comments: int | None
    share: float | None
    mean: float | None
    p10: float | None
    p25: float | None
    median: float | None
    p75: float | None
    p90: float | None
    moe: float | None
    suppressed_reason: str | None


class ThemeBenchmarkList(BaseModel):
    build_id: str
    items: list[ThemeBenchmarkCell]


class Comment(BaseModel):
    """One of the client's own comments, personal data masked at publish."""

    comment_id: str
    response_id: str | None
    responded_at: str = Field(description="ISO 8601, UTC")
    touchpoint: str
    channel: str | None
    unit: str | None
    nps_score: float | None
    group: str = Field(description="detractor, passive, promoter, or none without an NPS answer")
    themes: list[str]
    text: str


class CommentPage(BaseModel):
    build_id: str
    client_id: str
    total: int = Field(description="comments matching the filters")
    limit: int
    offset: int
    next_offset: int | None = Field(description="offset of the next page; null on the last")
    items: list[Comment]


class ThemeList(BaseModel):
    build_id: str
    items: list[Theme]
