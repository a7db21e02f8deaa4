"""How far a client has come towards an agreed target, from its published scorecard rows.

Every value, standard error and interval here is read from ``fct_client_scorecards``, where the
dbt macros compute them; this module only compares them. The arithmetic, all of it checked by
hand in tests/python/targets/test_target_progress.py:

- **baseline** and **latest**: the client's rows for the target's touchpoint × metric in the
  baseline period and in the latest period of the due period's grain up to the due period
  that has at least ``min_client_responses`` answers (a period still filling up, or a thin
  one, is left out of the latest value and of the trend alike);
- **gap_left** = target − latest; **is_met** = latest ≥ target (every metric is higher-is-
  better: DESIGN §4 reverses reversed scales); **share_covered** = (latest − baseline) /
  (target − baseline) (1 = the whole way, > 1 beyond it, < 0 backwards; null when the target
  is not above the baseline: such a target is a floor to stay above, with no way to cover);
- **change since the baseline**: z = (latest − baseline) / √(se_latest² + se_baseline²), the
  two periods' answers being independent, significant when |z| > 1.96 (as the marts' change);
- **projection**: a straight line through the values from the baseline to the latest period,
  each weighted by 1/se² (weighted least squares), extended to the due period; its standard
  error from the fit's covariance, scaled up by the reduced χ² when the points scatter more
  than their standard errors say (never down). Clipped to the metric's range.

**Status**:

- ``insufficient_data`` ("too few answers to say"): no baseline value, a baseline on fewer
  than ``min_client_responses`` answers, no later period with that many, or fewer than two
  periods with a standard error from the baseline on (nothing to draw a trend through);
- ``on_track``: the projection reaches the target;
- ``at_risk``: it does not, but the target lies within the projection's 95% interval;
- ``off_track``: even the projection's optimistic 95% bound misses the target.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from cxbench.targets.rules import ordinal

CRITICAL_Z = 1.96  # two-sided 5%, as the marts' critical_z() macro
Row = Mapping[str, Any]
Status = Literal["on_track", "at_risk", "off_track", "insufficient_data"]


@dataclass(frozen=True)
class Point:
    """The client's value in one period, as the scorecard mart publishes it."""

    period: str
    n: int
    value: float
    standard_error: float | None
    moe: float | None
    ci_low: float | None
    ci_high: float | None

    @classmethod
    def from_row(cls, row: Row) -> Point:
        return cls(
            period=row["period"],
            n=row["n"],
            value=row["value"],
            standard_error=row["standard_error"],
            moe=row["moe"],
            ci_low=row["ci_low"],
            ci_high=row["ci_high"],
        )


@dataclass(frozen=True)
class Projection:
    value: float
    standard_error: float
    low: float
    high: float
    slope_per_period: float
    periods_fitted: int


@dataclass(frozen=True)
class Progress:
    baseline: Point | None
    latest: Point | None
    gap_left: float | None
    share_covered: float | None
    is_met: bool | None
    change: float | None
    change_z: float | None
    change_significant: bool | None
    projection: Projection | None
    status: Status
    status_reason: str


def _fit(points: Sequence[Point], due: str) -> tuple[float, float, float, float] | None:
    """Weighted least squares of value on period, x centred on the due period so that the
    intercept is the projection: (projection, its variance, slope, reduced chi²)."""
    usable = [p for p in points if p.standard_error is not None and p.standard_error > 0]
    if len({p.period for p in usable}) < 2:
        return None
    x0 = ordinal(due)
    xs = [ordinal(p.period) - x0 for p in usable]
    ws = [1.0 / p.standard_error**2 for p in usable if p.standard_error is not None]
    ys = [p.value for p in usable]
    s0 = sum(ws)
    s1 = sum(w * x for w, x in zip(ws, xs, strict=True))
    s2 = sum(w * x * x for w, x in zip(ws, xs, strict=True))
    sy = sum(w * y for w, y in zip(ws, ys, strict=True))
    sxy = sum(w * x * y for w, x, y in zip(ws, xs, ys, strict=True))
    det = s0 * s2 - s1 * s1
    intercept = (s2 * sy - s1 * sxy) / det
    slope = (s0 * sxy - s1 * sy) / det
    variance = s2 / det
    dof = len(usable) - 2
    chi2 = sum(w * (y - intercept - slope * x) ** 2 for w, x, y in zip(ws, xs, ys, strict=True))
    reduced = chi2 / dof if dof > 0 else 1.0
    return intercept, variance * max(1.0, reduced), slope, reduced


def compute_progress(
    *,
    target_value: float,
    baseline_period: str,
    due_period: str,
    points: Sequence[Point],
    min_answers: int,
    value_min: float,
    value_max: float,
) -> Progress:
    """``points``: the client's scorecard rows of the due period's grain, any order."""
    by_period = {p.period: p for p in points}
    baseline = by_period.get(baseline_period)
    due = ordinal(due_period)
    start = ordinal(baseline_period)
    since = sorted(
        (p for p in points if start <= ordinal(p.period) <= due), key=lambda p: ordinal(p.period)
    )
    window = [p for p in since if p.n >= min_answers]
    latest = window[-1] if window else None

    gap = share = change = z = None
    is_met = significant = None
    if latest is not None:
        gap = target_value - latest.value
        is_met = latest.value >= target_value
    if baseline is not None and latest is not None:
        if target_value > baseline.value:
            share = (latest.value - baseline.value) / (target_value - baseline.value)
        if latest.period != baseline.period:
            change = latest.value - baseline.value
            ses = (latest.standard_error, baseline.standard_error)
            if all(se is not None for se in ses):
                spread = math.sqrt(sum(se * se for se in ses if se is not None))
                if spread > 0:
                    z = change / spread
                    significant = abs(z) > CRITICAL_Z

    fit = _fit(window, due_period)
    projection = None
    if fit is not None:
        value, variance, slope, _ = fit
        se = math.sqrt(variance)
        projection = Projection(
            value=min(max(value, value_min), value_max),
            standard_error=se,
            low=min(max(value - CRITICAL_Z * se, value_min), value_max),
            high=min(max(value + CRITICAL_Z * se, value_min), value_max),
            slope_per_period=slope,
            periods_fitted=len([p for p in window if p.standard_error]),
        )

    status, reason = _status(
        baseline, latest, since, projection, target_value, min_answers, baseline_period
    )
    return Progress(
        baseline=baseline,
        latest=latest,
        gap_left=gap,
        share_covered=share,
        is_met=is_met,
        change=change,
        change_z=z,
        change_significant=significant,
        projection=projection,
        status=status,
        status_reason=reason,
    )


def _status(
    baseline: Point | None,
    latest: Point | None,
    since: Sequence[Point],
    projection: Projection | None,
    target: float,
    min_answers: int,
    baseline_period: str,
) -> tuple[Status, str]:
    if baseline is None:
        return "insufficient_data", f"The client has no value in the baseline {baseline_period}."
    if baseline.n < min_answers:
        return (
            "insufficient_data",
            f"Too few answers to say: the baseline {baseline.period} has {baseline.n}, fewer "
            f"than {min_answers}.",
        )
    if latest is None or latest.period == baseline.period:
        later = [p for p in since if p.period != baseline.period]
        if not later:
            return "insufficient_data", "The client has no value since the baseline yet."
        return (
            "insufficient_data",
            f"Too few answers to say: no period since the baseline has {min_answers} (the "
            f"latest, {later[-1].period}, has {later[-1].n}).",
        )
    if projection is None:
        return (
            "insufficient_data",
            "Too few periods to say: a trend needs a value in at least two periods from the "
            "baseline on.",
        )
    if projection.value >= target:
        return "on_track", "The projection to the due period reaches the target."
    if projection.high >= target:
        return (
            "at_risk",
            "The projection falls short, but the target is within its 95% interval.",
        )
    return "off_track", "Even the projection's optimistic 95% bound misses the target."
