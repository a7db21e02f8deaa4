"""Typed response bodies of API v1."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from cxbench.api.target_schemas import AgreedTarget


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


class LastBuild(BaseModel):
    build_id: str = Field(examples=["20261123T180000Z-1a2b3c"])
    status: str = Field(
        examples=["published"], description="running, published, failed, interrupted"
    )
    failed_gate: str | None = Field(default=None, examples=[None])
    finished_at: str | None = Field(default=None, examples=["2026-11-23T18:00:41+00:00"])


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    build_id: str | None = Field(examples=["20261123T180000Z-1a2b3c"])
    published_at: str | None = Field(examples=["2026-11-23T18:00:41+00:00"])
    newest_answer_at: str | None = Field(
        default=None,
        description="The newest accepted answer's responded_at in the live snapshot (UTC).",
        examples=["2026-11-23T17:58:02+00:00"],
    )
    snapshot_age_seconds: float | None = Field(
        default=None,
        description="Seconds since the live snapshot was published.",
        examples=[42.0],
    )
    last_build: LastBuild | None = Field(
        default=None,
        description="The last build attempted, published or not (a failed gate shows here).",
    )


class Industry(BaseModel):
    industry_code: str = Field(examples=["banking"])
    industry_name: str = Field(examples=["Banking"])


class Touchpoint(BaseModel):
    touchpoint_code: str = Field(examples=["customer_service"])
    touchpoint_name: str = Field(examples=["Customer service"])


class Metric(BaseModel):
    """A metric of the catalogue (seeds/metrics.csv), as the live build has it."""

    metric_code: str = Field(examples=["nps"])
    metric_name: str = Field(examples=["Net Promoter Score"])
    metric_kind: str = Field(
        description="nps, top2box, mean_norm, mean_rescaled, weighted_index or comment_share.",
        examples=["nps"],
    )
    statistic_kind: str = Field(description="proportion or mean.", examples=["proportion"])
    value_min: float = Field(examples=[-100])
    value_max: float = Field(examples=[100])
    higher_is_better: bool
    is_benchmarked: bool = Field(
        description="Has benchmark cells and scorecards; false for index components (drivers)."
    )
    touchpoint_code: str | None = Field(
        description="The touchpoint a function-specific metric is asked after, if any."
    )
    index_code: str | None = Field(description="For an index component: its index.")
    index_weight: float | None = Field(description="For an index component: its weight.")
    description: str


class Periods(BaseModel):
    month: list[str] = Field(examples=[["2025-07", "2025-08"]])
    quarter: list[str] = Field(examples=[["2025-Q3"]])
    year: list[str] = Field(examples=[["2025"]])


class Meta(BaseModel):
    build_id: str = Field(examples=["20261123T180000Z-1a2b3c"])
    published_at: str | None = Field(default=None, examples=["2026-11-23T18:00:41+00:00"])
    newest_answer_at: str | None = Field(
        default=None,
        description="The newest accepted answer's responded_at in this build (UTC).",
        examples=["2026-11-23T17:58:02+00:00"],
    )
    industries: list[Industry]
    touchpoints: list[Touchpoint]
    metrics: list[Metric]
    periods: Periods


class BenchmarkCell(BaseModel):
    """One benchmark cell. Every statistic, n_clients included, is null when the cell is
    suppressed; ``suppressed_reason`` then says why: too_few_clients or dominant_client (the
    per-cell rule, DESIGN §5) or complementary (withheld so that no difference of published
    cells singles out a client, §5.1). p10 and p90 are null below 10 contributors."""

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
    p10: float | None = Field(description="Null below 10 contributors (DESIGN §5.1).")
    p25: float | None
    median: float | None
    p75: float | None
    p90: float | None = Field(description="Null below 10 contributors (DESIGN §5.1).")
    moe: float | None
    suppressed_reason: str | None = Field(
        description="too_few_clients, dominant_client or complementary; null when published."
    )


class BenchmarkList(BaseModel):
    build_id: str = Field(examples=["20261123T180000Z-1a2b3c"])
    items: list[BenchmarkCell]


class ScorecardBenchmark(BaseModel):
    """The client's industry cell (same touchpoint, period, metric); figures only if published."""

    industry: str = Field(examples=["banking"])
    n_clients: int | None = Field(description="Null when the cell is withheld.", examples=[9])
    suppressed_reason: str | None = Field(
        description="too_few_clients, dominant_client or complementary (DESIGN §5.1) when the "
        "cell is withheld: then every figure below and the percentile rank are null.",
        examples=[None],
    )
    value: float | None = Field(description="Pooled value of the cell.", examples=[31.4])
    mean: float | None = Field(description="Mean of the client values.", examples=[29.8])
    p10: float | None = Field(description="Null below 10 contributors.")
    p25: float | None
    median: float | None
    p75: float | None
    p90: float | None = Field(description="Null below 10 contributors.")


class UnitComparison(BaseModel):
    """A unit against its own client only; units are never benchmarked across clients."""

    client_n: int
    client_value: float = Field(description="The whole client's value.")
    rest_n: int = Field(description="The client's observations outside this unit.")
    rest_value: float | None = Field(description="The client's value outside this unit.")
    diff_vs_rest: float | None
    diff_vs_rest_z: float | None
    diff_vs_rest_significant: bool | None = Field(description="|z| > 1.96.")
    is_ranked: bool = Field(description="At least min_client_responses observations.")
    unit_rank: int | None = Field(description="1 = the highest value among the ranked units.")
    n_units_ranked: int


class ScorecardItem(BaseModel):
    """The client's (or one unit's) value in one touchpoint × period × metric, with its
    uncertainty, its benchmark position and its change vs the previous period (DESIGN §5)."""

    touchpoint: str = Field(examples=["*"])
    metric: str = Field(examples=["nps"])
    period: str = Field(examples=["2026-Q2"])
    period_grain: str = Field(examples=["quarter"])
    unit: str | None = Field(description="The unit, or null for the whole client.")
    n: int = Field(description="Answers (responses for cx_index and comment).", examples=[169])
    value: float = Field(examples=[21.3])
    standard_error: float | None
    moe: float | None = Field(description="95% margin of error.", examples=[12.07])
    ci_low: float | None = Field(examples=[9.23])
    ci_high: float | None = Field(examples=[33.37])
    benchmark: ScorecardBenchmark | None = Field(description="Null for a unit.")
    percentile_rank: float | None = Field(
        description="100·(#below + ½·#equal)/n_clients among the cell's contributors; null "
        "unless the client contributes and the cell is published.",
        examples=[18.75],
    )
    previous_period: str | None = Field(examples=["2026-Q1"])
    previous_value: float | None
    change: float | None = Field(examples=[10.19])
    change_z: float | None = Field(examples=[1.21])
    change_significant: bool | None = Field(description="|z| > 1.96.", examples=[False])
    unit_comparison: UnitComparison | None = Field(description="Only for a unit.")


class Scorecard(BaseModel):
    build_id: str
    client_id: str
    client_name: str
    industry: str
    items: list[ScorecardItem]


class NpsLevers(BaseModel):
    """What closing an NPS gap takes, per 100 answers."""

    promoters_per_100: float
    passives_per_100: float
    detractors_per_100: float
    detractors_to_promoters_per_100: float = Field(
        description="gap/2: each conversion moves NPS by 200/n. Above detractors_per_100 the "
        "detractors alone cannot close the gap."
    )
    passives_to_promoters_per_100: float = Field(
        description="gap: each conversion moves NPS by 100/n."
    )


class TargetItem(BaseModel):
    touchpoint: str = Field(examples=["*"])
    n: int = Field(description="The client's answers this period.", examples=[169])
    current: float = Field(examples=[21.3])
    moe: float | None = Field(examples=[12.07])
    benchmark_suppressed_reason: str | None = Field(
        description="Why the industry cell is withheld (too_few_clients, dominant_client, "
        "complementary); null when it is published."
    )
    target_withheld_reason: str | None = Field(
        description="Why there is no target: the cell's suppressed_reason, or "
        "too_few_clients_for_p90 (fewer than 10 contributors) or tied_quantiles (only the "
        "median is published) when the cell is published but withholds that percentile "
        "(DESIGN §5.1); null when there is a target.",
        examples=[None],
    )
    target: float | None = Field(examples=[51.13])
    gap: float | None = Field(description="target − current.", examples=[29.83])
    is_met: bool | None
    nps: NpsLevers | None = Field(description="Only for NPS with a target.")
    answers_needed_per_period: int | None = Field(
        description="Answers in each of two periods to detect a change of the gap's size "
        "(two-sided 5% test, 80% power); null when met.",
        examples=[95],
    )
    has_enough_answers: bool | None = Field(examples=[True])


class Targets(BaseModel):
    build_id: str
    client_id: str
    industry: str
    metric: str
    period: str
    period_grain: str
    ambition: str = Field(examples=["p75"])
    items: list[TargetItem] = Field(description="Suggested targets, one per touchpoint.")
    agreed: list[AgreedTarget] = Field(
        default_factory=list,
        description="The client's active agreed targets for the metric (any period).",
    )


class ClientRef(BaseModel):
    """A client a key may see: what the pages offer in their client picker."""

    client_id: str = Field(examples=["c011"])
    client_name: str = Field(examples=["Pohjolan Pankki"])
    industry: str = Field(examples=["banking"])


class ClientList(BaseModel):
    build_id: str
    role: str = Field(description="The key's role: admin, consultant or client.")
    items: list[ClientRef]


class GateResult(BaseModel):
    gate: str = Field(examples=["marts"])
    suite: str = Field(examples=["benchmark_cells"])
    table: str | None = Field(examples=["fct_benchmark_cells"])
    success: bool
    failed_checks: int = Field(description="Expectations of the suite that failed.")


class BuildSummary(BaseModel):
    """One build's record (warehouse/builds/<build_id>.json), without its per-file detail."""

    build_id: str
    status: str = Field(examples=["published"], description="running, published, failed, …")
    started_at: str
    finished_at: str | None
    duration_seconds: float | None = Field(description="The timed steps added up.")
    failed_gate: str | None
    message: str | None
    is_live: bool = Field(description="Its snapshot is the one being served.")
    dbt_failed: int = Field(description="dbt nodes that errored or failed a test.")
    gates: list[GateResult]


class QuarantineReason(BaseModel):
    reason: str = Field(examples=["outside_scale"])
    rows: int


class Reconciliation(BaseModel):
    """landed = accepted + quarantined + superseded, over the landed files (DESIGN §2)."""

    build_id: str
    rows_landed: int
    rows_accepted: int
    rows_quarantined: int
    rows_superseded: int
    files: int
    files_quarantined: int = Field(description="Files that could not be read as a whole.")
    balanced: bool = Field(description="The four row counts add up.")


class ClientFreshness(BaseModel):
    client_id: str
    client_name: str
    latest_month: str | None = Field(description="The client's newest month with answers.")
    months_behind: int | None = Field(description="Months between it and the newest month.")


class Freshness(BaseModel):
    published_at: str | None
    age_hours: float | None = Field(description="Hours since the live snapshot was published.")
    latest_month: str | None = Field(description="The newest month in the live snapshot.")
    clients_total: int
    clients_behind: list[ClientFreshness] = Field(
        description="Clients whose newest answers are older than the newest month."
    )


class DataQuality(BaseModel):
    """For admins: recent builds and their gates, quarantine, reconciliation, freshness."""

    live_build_id: str
    checked_at: str
    items: list[BuildSummary] = Field(description="Recent builds, newest first.")
    quarantine: list[QuarantineReason] = Field(description="Rows by reason, most first.")
    reconciliation: Reconciliation | None
    freshness: Freshness


class DriverItem(BaseModel):
    """One key driver of the client's NPS in one touchpoint and period."""

    touchpoint: str = Field(examples=["*"])
    period: str = Field(examples=["2026"])
    period_grain: str = Field(examples=["year"])
    rank: int = Field(description="1 = fix first: high importance, low performance.")
    driver: str = Field(description="A metric code of /v1/meta.", examples=["cxi_value"])
    driver_name: str = Field(examples=["Business value received"])
    index: str | None = Field(description="The index it is a component of, if any.")
    quadrant: str | None = Field(
        description="fix_first, keep_up, watch or maintain against the client's other drivers."
    )
    priority: float | None = Field(description="importance × (100 − performance) / 100.")
    n_answers: int
    performance: float = Field(description="Mean normalised answer, 0–100.", examples=[71.2])
    n_pairs: int = Field(description="Responses with the driver and the NPS answered.")
    importance: float | None = Field(
        description="Pearson correlation with the NPS answer.", examples=[0.52]
    )
    importance_ci_low: float | None = Field(description="95 % interval (Fisher z), low end.")
    importance_ci_high: float | None = Field(description="95 % interval (Fisher z), high end.")
    missing_reason: str | None = Field(description="too_few_pairs or no_variance.")
    industry_median_importance: float | None = Field(
        description="The industry's median importance, only where its cell is published."
    )
    industry_p25_importance: float | None
    industry_p75_importance: float | None
    industry_suppressed_reason: str | None
    all_industries_median_importance: float | None = Field(
        description="The median importance over all industries, where that cell is published."
    )


class TouchpointImpact(BaseModel):
    """What the touchpoint reaching its industry's median NPS would do to the overall NPS."""

    touchpoint: str = Field(examples=["billing"])
    period: str = Field(examples=["2026"])
    period_grain: str = Field(examples=["year"])
    metric: str = Field(examples=["nps"])
    n: int = Field(description="The client's NPS answers at the touchpoint.")
    nps: float = Field(description="The client's NPS at the touchpoint.")
    answer_share: float = Field(description="Its share of the client's NPS answers.")
    industry_median: float | None = Field(description="Only where the cell is published.")
    gap: float | None = Field(description="industry_median − nps.")
    impact_on_client_nps: float | None = Field(description="answer_share × gap.")
    missing_reason: str | None


class Drivers(BaseModel):
    build_id: str
    client_id: str
    client_name: str
    industry: str
    items: list[DriverItem]
    touchpoint_impacts: list[TouchpointImpact]


class IngestRow(BaseModel):
    row: int = Field(description="1-based position of the row in the body.", examples=[1])
    status: str = Field(
        description="accepted, quarantined, or stored (no build has saved its checks yet).",
        examples=["accepted"],
    )
    reason_code: str | None = Field(
        description="Why the build will quarantine the row (its int_answers_checked code).",
        examples=[None],
    )


class IngestReceipt(BaseModel):
    client_id: str = Field(examples=["acme"])
    delivery: str = Field(
        description="The delivery file under landing/api/<client_id>/.",
        examples=["20261201T223000123456Z-1a2b3c4d.jsonl"],
    )
    rows_received: int = Field(examples=[100])
    rows_accepted: int = Field(examples=[98])
    rows_quarantined: int = Field(examples=[2])
    checked: bool = Field(
        description="True when each row was checked with the last build's compiled dbt checks.",
        examples=[True],
    )
    replayed: bool = Field(
        description="True when this Idempotency-Key was seen before: nothing new was stored.",
        examples=[False],
    )
    rows: list[IngestRow]


class AlertItem(BaseModel):
    """A significant drop in the client's latest month or latest 7 days (fct_client_alerts)."""

    alert_id: str = Field(
        description="Stable for as long as the episode lasts: the same drop keeps its id as "
        "new days and months arrive (client × touchpoint × metric × window × episode start × "
        "comparison)."
    )
    episode_id: str = Field(
        description="The drop this alert belongs to, shared by its comparisons; the webhook "
        "announces each episode once."
    )
    episode_start: date = Field(
        description="First UTC day of the episode: the start of the earliest window in the "
        "series' unbroken run of alerted windows that ends with this one.",
        examples=["2026-10-01"],
    )
    touchpoint: str = Field(examples=["customer_service"])
    metric: str = Field(examples=["nps"])
    window: str = Field(
        description="month (the latest month) or 7_days (the latest 7 days)", examples=["month"]
    )
    period: str = Field(
        description="The window: a month, or first…last day of 7 days", examples=["2026-11"]
    )
    window_start: date = Field(description="First UTC day of the window", examples=["2026-11-01"])
    window_end: date = Field(
        description="Last UTC day of the window (included)", examples=["2026-11-30"]
    )
    comparison: str = Field(
        description="previous_month, rolling_baseline or cusum (month); previous_7_days or "
        "rolling_baseline (7_days)",
        examples=["previous_month"],
    )
    n: int = Field(examples=[212])
    value: float = Field(examples=[11.3])
    reference_period: str | None = Field(examples=["2026-10"])
    reference_n: int | None = Field(examples=[198])
    reference_value: float | None = Field(examples=[32.8])
    change: float | None = Field(examples=[-21.5])
    change_z: float | None = Field(
        description="z of the drop (previous_month, rolling_baseline); null for cusum.",
        examples=[-3.9],
    )
    cusum_statistic: float | None = Field(
        description="The lower CUSUM in standard errors (cusum only).", examples=[None]
    )


class Alerts(BaseModel):
    build_id: str
    client_id: str
    items: list[AlertItem]
