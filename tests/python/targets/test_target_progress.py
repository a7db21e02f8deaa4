"""Progress towards a target, with numbers worked out by hand (cxbench/targets/progress.py
gives the formulas and the status rule). Quarters of 2026; the due period is 2026-Q4, so the
trend's x is −3, −2, −1 for Q1, Q2, Q3."""

from __future__ import annotations

import math

import pytest

from cxbench.targets.progress import Point, compute_progress


def point(period: str, value: float, se: float | None, n: int = 100) -> Point:
    moe = None if se is None else 1.96 * se
    return Point(period, n, value, se, moe, None, None)


def progress(target: float, points: list[Point], baseline: str = "2026-Q1") -> object:
    return compute_progress(
        target_value=target,
        baseline_period=baseline,
        due_period="2026-Q4",
        points=points,
        min_answers=30,
        value_min=-100,
        value_max=100,
    )


def test_a_target_met_and_on_track() -> None:
    # 20 → 45 against 40: met, 125% of the way; two points give the line 20, 45, 70, 95.
    p = progress(40, [point("2026-Q2", 45, 2), point("2026-Q1", 20, 2)])
    assert p.baseline.period == "2026-Q1" and p.latest.period == "2026-Q2"
    assert p.gap_left == -5 and p.share_covered == 1.25 and p.is_met is True
    assert p.change == 25 and p.change_z == pytest.approx(25 / math.sqrt(8))  # 8.84
    assert p.change_significant is True
    # a = 3·y2 − 2·y1 = 95; var = 9·se2² + 4·se1² = 52.
    assert p.projection.value == pytest.approx(95)
    assert p.projection.standard_error == pytest.approx(math.sqrt(52))
    assert p.projection.slope_per_period == pytest.approx(25)
    assert p.projection.low == pytest.approx(95 - 1.96 * math.sqrt(52))  # 80.87
    assert p.projection.high == 100  # 109.1, cut to NPS's range
    assert p.status == "on_track"


def test_a_target_off_track_with_scatter_widening_the_projection() -> None:
    # 20, 23, 22 (se 1): slope 1, projection 23.667 at Q4; residuals −⅔, 4⁄3, −⅔ give χ² = 8/3
    # on 1 degree of freedom, so var(a) = (14/6)·(8/3) = 56/9 and se = 2.494.
    p = progress(40, [point("2026-Q1", 20, 1), point("2026-Q2", 23, 1), point("2026-Q3", 22, 1)])
    assert p.latest.period == "2026-Q3" and p.gap_left == 18
    assert p.share_covered == pytest.approx(0.1) and p.is_met is False
    assert p.change == 2 and p.change_z == pytest.approx(math.sqrt(2))
    assert p.change_significant is False
    assert p.projection.value == pytest.approx(71 / 3)
    assert p.projection.standard_error == pytest.approx(math.sqrt(56 / 9))
    assert p.projection.high == pytest.approx(71 / 3 + 1.96 * math.sqrt(56 / 9))  # 28.56 < 40
    assert p.projection.periods_fitted == 3
    assert p.status == "off_track"


@pytest.mark.parametrize(
    ("target", "status"), [(45, "on_track"), (60, "at_risk"), (90, "off_track")]
)
def test_the_status_rule_around_one_projection(target: float, status: str) -> None:
    # 20 → 30 (se 5): projection 50 at Q4 with se √(9·25 + 4·25) = 18.03, 95% up to 85.3.
    p = progress(target, [point("2026-Q1", 20, 5), point("2026-Q2", 30, 5)])
    assert p.projection.value == pytest.approx(50)
    assert p.projection.high == pytest.approx(50 + 1.96 * math.sqrt(325))
    assert p.status == status and p.is_met is False


def test_too_few_answers_to_say() -> None:
    # The only period after the baseline has 12 answers (< 30): no latest value, no trend.
    p = progress(40, [point("2026-Q1", 20, 5), point("2026-Q2", 60, 14, n=12)])
    assert p.status == "insufficient_data"
    assert p.status_reason == (
        "Too few answers to say: no period since the baseline has 30 (the latest, 2026-Q2, has 12)."
    )
    # The latest value that counts is still the baseline's.
    assert p.latest.period == "2026-Q1" and p.change is None and p.projection is None
    thin_baseline = progress(40, [point("2026-Q1", 20, 5, n=20), point("2026-Q2", 30, 5)])
    assert thin_baseline.status == "insufficient_data"
    assert "baseline 2026-Q1 has 20" in thin_baseline.status_reason


def test_one_period_is_no_trend_and_no_baseline_is_nothing() -> None:
    only = progress(40, [point("2026-Q1", 20, 5)])
    assert only.status == "insufficient_data" and "no value since" in only.status_reason
    assert only.latest.period == "2026-Q1" and only.change is None and only.gap_left == 20
    none = progress(40, [point("2026-Q2", 30, 5)])
    assert none.status == "insufficient_data" and none.baseline is None


def test_periods_after_the_due_period_and_before_the_baseline_are_left_out() -> None:
    before, after = point("2025-Q4", -50, 1), point("2027-Q1", -90, 1)
    p = progress(40, [before, point("2026-Q1", 20, 2), point("2026-Q2", 45, 2), after])
    assert p.latest.period == "2026-Q2" and p.projection.value == pytest.approx(95)


def test_a_target_below_the_baseline_is_a_floor_to_stay_above() -> None:
    # 50 → 40 with a floor of 30: met, no share of a way to cover; the line 50, 40 falls to
    # 20 by Q4 (se √(9·4 + 4·4) = 7.21, up to 34.1): at risk.
    p = progress(30, [point("2026-Q1", 50, 2), point("2026-Q2", 40, 2)])
    assert p.share_covered is None and p.is_met is True and p.gap_left == -10
    assert p.projection.value == pytest.approx(20) and p.status == "at_risk"
