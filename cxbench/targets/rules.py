"""What a new target must be: checked against the live snapshot before the store sees it.

Both writers (the API and ``cxbench targets set``) go through ``resolve_target``, so a target
always names a touchpoint, metric and baseline period that the published snapshot lists, a
value inside the metric's range, and — for a benchmark basis — a percentile that is published
for the client's own industry cell. That percentile is copied into the target as a number.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from cxbench.errors import CxbenchError
from cxbench.targets.store import TargetFields

Row = Mapping[str, Any]
PERIOD_PATTERN = r"^[0-9]{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$"
_PERIOD = re.compile(PERIOD_PATTERN)
# A benchmark basis and the column of fct_benchmark_cells that holds it.
PERCENTILES = {"p10": "p10", "p25": "p25", "p50": "median", "p75": "p75", "p90": "p90"}
BASES = ("custom", *PERCENTILES)
MAX_NOTE = 1000


class InvalidTarget(CxbenchError):
    """The target cannot be set as asked; the message says why in one sentence (422)."""


def grain_of(period: str) -> str:
    if not _PERIOD.match(period):
        raise InvalidTarget(f"{period!r} is not a period like 2026-07, 2026-Q4 or 2026.")
    if "-Q" in period:
        return "quarter"
    return "month" if "-" in period else "year"


def ordinal(period: str) -> int:
    """Periods of one grain as consecutive integers, so a trend can be fitted over them."""
    grain = grain_of(period)
    year = int(period[:4])
    if grain == "month":
        return year * 12 + int(period[5:7]) - 1
    if grain == "quarter":
        return year * 4 + int(period[6]) - 1
    return year


@dataclass(frozen=True)
class TargetRequest:
    """A target as a writer asks for it; ``resolve_target`` fills in the defaults."""

    target_value: float | None
    due_period: str
    baseline_period: str | None = None
    basis: str = "custom"
    basis_period: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class SnapshotFacts:
    """The parts of the live snapshot a target is checked against (kept free of the API's
    types so the command line uses the same rules)."""

    metrics: Mapping[str, Row]  # metric_code -> dim_metrics row (value_min, value_max)
    touchpoints: frozenset[str]  # touchpoint codes and '*'
    periods: Mapping[str, Sequence[str]]  # grain -> periods listed by /v1/meta
    client_industry: str
    # (industry, touchpoint, period, metric) -> the fct_benchmark_cells row, or None
    cell: Callable[[str, str, str, str], Row | None]
    # the periods (of any grain) in which the client has at least min_client_responses
    # answers for this touchpoint × metric: where a default baseline can be
    client_periods: Callable[[str, str], Sequence[str]]

    def all_periods(self) -> set[str]:
        return {p for listed in self.periods.values() for p in listed}


def withheld_reason(cell: Row | None, basis: str) -> str | None:
    """Why a percentile cannot be used, or None when it is published."""
    if cell is None:
        return "there is no benchmark cell for it"
    if not cell.get("is_published") or cell.get("suppressed_reason"):
        return f"the industry cell is withheld ({cell.get('suppressed_reason') or 'suppressed'})"
    if cell.get(PERCENTILES[basis]) is None:
        return (
            f"the industry's {basis} is withheld for this cell (DESIGN §5.1: p10 and p90 are "
            "published only with at least 10 contributing clients)"
            if basis in ("p10", "p90")
            else f"the industry's {basis} is withheld for this cell"
        )
    return None


def resolve_target(
    request: TargetRequest, touchpoint: str, metric: str, facts: SnapshotFacts
) -> TargetFields:
    """The fields to store, or ``InvalidTarget`` naming the first rule the request breaks."""
    if metric not in facts.metrics:
        raise InvalidTarget(f"Unknown metric {metric!r}; /v1/meta lists the metrics.")
    if touchpoint not in facts.touchpoints:
        raise InvalidTarget(f"Unknown touchpoint {touchpoint!r}; /v1/meta lists the touchpoints.")
    grain = grain_of(request.due_period)
    listed = list(facts.periods.get(grain, ()))
    if not listed:
        raise InvalidTarget(f"The live snapshot has no {grain} periods to measure a target by.")
    baseline = request.baseline_period
    if baseline is None:
        own = [p for p in facts.client_periods(touchpoint, metric) if p in listed]
        baseline = max(own or listed, key=ordinal)
    elif baseline not in listed:
        raise InvalidTarget(
            f"baseline_period {baseline!r} must be a {grain} (like due_period) that /v1/meta lists."
        )
    if ordinal(request.due_period) <= ordinal(baseline):
        raise InvalidTarget(
            f"due_period {request.due_period!r} must come after the baseline period {baseline!r}."
        )
    if request.basis not in BASES:
        raise InvalidTarget(f"basis must be one of {', '.join(BASES)}.")
    if request.note is not None and len(request.note) > MAX_NOTE:
        raise InvalidTarget(f"note is longer than {MAX_NOTE} characters.")

    basis_period = basis_value = None
    if request.basis == "custom":
        if request.basis_period is not None:
            raise InvalidTarget("basis_period applies to a benchmark basis (p10 … p90) only.")
        if request.target_value is None:
            raise InvalidTarget("A custom target needs a target_value.")
    else:
        basis_period = request.basis_period or baseline
        if basis_period not in facts.all_periods():
            raise InvalidTarget(f"basis_period {basis_period!r} is not a period /v1/meta lists.")
        cell = facts.cell(facts.client_industry, touchpoint, basis_period, metric)
        reason = withheld_reason(cell, request.basis)
        if reason is not None:
            raise InvalidTarget(
                f"A {request.basis} target for {touchpoint} {metric} cannot use {basis_period}: "
                f"{reason}; choose another basis or period, or a custom target."
            )
        assert cell is not None
        basis_value = float(cell[PERCENTILES[request.basis]])

    value = request.target_value if request.target_value is not None else basis_value
    assert value is not None
    low, high = (float(facts.metrics[metric][k]) for k in ("value_min", "value_max"))
    if not math.isfinite(value) or not low <= value <= high:
        raise InvalidTarget(f"target_value must be between {low:g} and {high:g} for {metric}.")
    return TargetFields(
        target_value=float(value),
        due_period=request.due_period,
        baseline_period=baseline,
        basis=request.basis,
        basis_period=basis_period,
        basis_value=basis_value,
        note=request.note,
    )


class SnapshotLike(Protocol):
    """What ``facts_from_snapshot`` reads of a loaded snapshot (cxbench/api/snapshot.py)."""

    metrics: list[dict[str, Any]]
    cells: list[dict[str, Any]]
    clients: dict[str, dict[str, Any]]
    tables: dict[str, list[dict[str, Any]]]
    periods: dict[str, list[str]]
    manifest: dict[str, Any]

    @property
    def touchpoint_codes(self) -> frozenset[str]: ...

    def memo(self, key: str, build: Callable[[Any], T]) -> T: ...


T = TypeVar("T")
CLIENT_SCORECARDS = "fct_client_scorecards"


def scorecard_rows(snapshot: SnapshotLike) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    """The client scorecard rows by (client, touchpoint, metric), built once per snapshot."""

    def build(s: SnapshotLike) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
        index: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
        for row in s.tables.get(CLIENT_SCORECARDS, []):
            index[(row["client_id"], row["touchpoint_code"], row["metric_code"])].append(row)
        return dict(index)

    return snapshot.memo("targets:scorecards", build)


def min_answers(snapshot: SnapshotLike) -> int:
    """The build's ``min_client_responses``: fewer answers in a period say too little."""
    return int(snapshot.manifest.get("vars", {}).get("min_client_responses", 30))


def facts_from_snapshot(snapshot: SnapshotLike, client_id: str) -> SnapshotFacts:
    metrics = snapshot.memo("targets:metrics", lambda s: {m["metric_code"]: m for m in s.metrics})
    cells = snapshot.memo(
        "targets:cells",
        lambda s: {
            (c["industry_code"], c["touchpoint_code"], c["period"], c["metric_code"]): c
            for c in s.cells
        },
    )
    rows = scorecard_rows(snapshot)
    least = min_answers(snapshot)

    def cell(industry: str, touchpoint: str, period: str, metric: str) -> Row | None:
        return cells.get((industry, touchpoint, period, metric))

    def client_periods(touchpoint: str, metric: str) -> list[str]:
        own = rows.get((client_id, touchpoint, metric), [])
        return [r["period"] for r in own if r["n"] >= least]

    return SnapshotFacts(
        metrics=metrics,
        touchpoints=snapshot.touchpoint_codes,
        periods=snapshot.periods,
        client_industry=snapshot.clients[client_id]["industry_code"],
        cell=cell,
        client_periods=client_periods,
    )
