"""Request and response bodies of the agreed-target routes (cxbench/api/routes/targets.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cxbench.targets.progress import Status
from cxbench.targets.rules import MAX_NOTE, PERIOD_PATTERN
from cxbench.targets.store import Action

Basis = Literal["custom", "p10", "p25", "p50", "p75", "p90"]


class TargetBody(BaseModel):
    """A target to agree. With a benchmark basis (`p10` … `p90`) the percentile of the
    client's industry cell in `basis_period` is looked up and copied as a number; it must be
    published (422 otherwise, saying why)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "target_value": 45,
                    "due_period": "2027-Q4",
                    "baseline_period": "2026-Q2",
                    "basis": "custom",
                    "note": "Agreed with the CX lead on 2026-11-20.",
                },
                {"due_period": "2027-Q4", "basis": "p75"},
            ]
        },
    )

    target_value: float | None = Field(
        default=None,
        allow_inf_nan=False,
        description="Within the metric's range (/v1/meta). Optional with a benchmark basis: "
        "the percentile itself.",
        examples=[45],
    )
    due_period: str = Field(
        pattern=PERIOD_PATTERN,
        description="When the target is due: a month, quarter or year, after the baseline; it "
        "may lie beyond the periods published so far.",
        examples=["2027-Q4"],
    )
    baseline_period: str | None = Field(
        default=None,
        pattern=PERIOD_PATTERN,
        description="A period of the due period's grain that /v1/meta lists; default: the "
        "latest such period in which the client has at least min_client_responses (30) "
        "answers for this touchpoint and metric.",
        examples=["2026-Q2"],
    )
    basis: Basis = Field(
        default="custom",
        description="Where the number comes from: `custom`, or a percentile (`p50` = median) of "
        "the client's industry cell.",
    )
    basis_period: str | None = Field(
        default=None,
        pattern=PERIOD_PATTERN,
        description="The benchmark period of a percentile basis; default: the baseline period.",
    )
    note: str | None = Field(default=None, max_length=MAX_NOTE)


class AgreedTarget(BaseModel):
    """An agreed target as it is now. `basis_value` is the percentile as published when the
    target was set — a number, not a link to a benchmark cell."""

    touchpoint: str = Field(examples=["delivery"])
    metric: str = Field(examples=["nps"])
    target_value: float = Field(examples=[45.0])
    due_period: str = Field(examples=["2027-Q4"])
    baseline_period: str = Field(examples=["2026-Q2"])
    basis: str = Field(examples=["custom"])
    basis_period: str | None = Field(examples=[None])
    basis_value: float | None = Field(examples=[None])
    note: str | None
    status: Literal["active", "retired"]
    version: int = Field(description='Rises with every change; the ETag is `"v<version>"`.')
    etag: str = Field(examples=['"v3"'])
    created_at: str
    updated_at: str
    updated_by: str = Field(description="The key id that made the last change.")


class AgreedTargetList(BaseModel):
    client_id: str
    items: list[AgreedTarget]


class TargetEvent(BaseModel):
    """One change, in the order made: what the target became, who (key id) and when, and
    what it was before."""

    event_id: int
    at: str
    key_id: str = Field(description="The API key id (or `cli:<user>`) that made the change.")
    action: Action
    touchpoint: str
    metric: str
    version: int
    target_value: float
    due_period: str
    baseline_period: str
    basis: str
    basis_period: str | None
    basis_value: float | None
    note: str | None
    previous_version: int | None
    previous_target_value: float | None
    previous_due_period: str | None


class TargetHistory(BaseModel):
    client_id: str
    items: list[TargetEvent]


class PeriodValue(BaseModel):
    """The client's own value in one period, from fct_client_scorecards."""

    period: str = Field(examples=["2026-Q3"])
    n: int = Field(examples=[73])
    value: float = Field(examples=[12.33])
    standard_error: float | None
    moe: float | None
    ci_low: float | None
    ci_high: float | None


class Projection(BaseModel):
    due_period: str
    value: float = Field(description="The weighted trend's value at the due period.")
    standard_error: float
    low: float = Field(description="value − 1.96·se, cut to the metric's range.")
    high: float = Field(description="value + 1.96·se, cut to the metric's range.")
    slope_per_period: float
    periods_fitted: int


class TargetProgress(BaseModel):
    """Progress towards one agreed target: README "Agreed targets" gives every formula and
    the status rule."""

    build_id: str
    client_id: str
    touchpoint: str
    metric: str
    target: AgreedTarget
    baseline: PeriodValue | None
    latest: PeriodValue | None = Field(
        description="The latest period of the due grain, up to the due period, with at least "
        "min_client_responses answers."
    )
    gap_left: float | None = Field(description="target − latest.")
    share_covered: float | None = Field(
        description="(latest − baseline) / (target − baseline): 1 = the whole way."
    )
    is_met: bool | None
    change: float | None = Field(description="latest − baseline.")
    change_z: float | None = Field(description="change / √(se_latest² + se_baseline²).")
    change_significant: bool | None = Field(description="|change_z| > 1.96.")
    projection: Projection | None
    status: Status
    status_reason: str
