"""Typed response bodies of API v1."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ProblemError(BaseModel):
    location: str = Field(examples=["query.period"])
    message: str = Field(examples=["String should match pattern '^[0-9]{4}(-[0-9]{2}|-Q[1-4])?$'"])


class Problem(BaseModel):
    """An error, as ``application/problem+json`` (RFC 9457)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "about:blank",
                    "title": "Forbidden",
                    "status": 403,
                    "detail": "This API key does not give access to that client.",
                }
            ]
        }
    )

    type: str = Field(description="Always about:blank: the status code says what happened.")
    title: str = Field(description="The HTTP status phrase.")
    status: int
    detail: str = Field(description="What went wrong, in one sentence.")
    errors: list[ProblemError] | None = Field(
        default=None, description="For 422: each parameter that was rejected, and why."
    )


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    build_id: str | None = Field(examples=["20261123T180000Z-1a2b3c"])
    published_at: str | None = Field(examples=["2026-11-23T18:00:41+00:00"])


class Industry(BaseModel):
    industry_code: str = Field(examples=["banking"])
    industry_name: str = Field(examples=["Banking"])


class Touchpoint(BaseModel):
    touchpoint_code: str = Field(examples=["customer_service"])
    touchpoint_name: str = Field(examples=["Customer service"])


class Metric(BaseModel):
    metric_code: str = Field(examples=["nps"])
    metric_name: str = Field(examples=["Net Promoter Score"])
    value_min: float = Field(examples=[-100])
    value_max: float = Field(examples=[100])
    description: str


class Periods(BaseModel):
    month: list[str] = Field(examples=[["2025-07", "2025-08"]])
    quarter: list[str] = Field(examples=[["2025-Q3"]])
    year: list[str] = Field(examples=[["2025"]])


class Meta(BaseModel):
    build_id: str = Field(examples=["20261123T180000Z-1a2b3c"])
    industries: list[Industry]
    touchpoints: list[Touchpoint]
    metrics: list[Metric]
    periods: Periods


class BenchmarkCell(BaseModel):
    """One benchmark cell. Every statistic, n_clients included, is null when the cell is
    suppressed (DESIGN §5); ``suppressed_reason`` then says why."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "industry": "banking",
                    "touchpoint": "customer_service",
                    "metric": "nps",
                    "period": "2025-Q3",
                    "period_grain": "quarter",
                    "n_clients": 9,
                    "n_responses": 4120,
                    "value": 31.4,
                    "mean": 29.8,
                    "p10": 12.0,
                    "p25": 21.5,
                    "median": 30.2,
                    "p75": 38.9,
                    "p90": 44.0,
                    "moe": 2.6,
                    "suppressed_reason": None,
                }
            ]
        }
    )

    industry: str
    touchpoint: str
    metric: str
    period: str
    period_grain: str
    n_clients: int | None
    n_responses: int | None
    value: float | None
    mean: float | None
    p10: float | None
    p25: float | None
    median: float | None
    p75: float | None
    p90: float | None
    moe: float | None
    suppressed_reason: str | None


class BenchmarkList(BaseModel):
    build_id: str = Field(examples=["20261123T180000Z-1a2b3c"])
    items: list[BenchmarkCell]
