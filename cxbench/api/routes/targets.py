"""Targets: the suggested ones (from the industry's percentiles, in the snapshot) and the ones
consultants agree with their clients (in the target store), with progress and history.

Agreed targets are writes that outlive snapshots, so they live in the target store
(cxbench/targets/store.py), and their answers are rendered per request (``respond_live``),
never cached with a snapshot nor replayed. The client scope is the ``/v1`` guards' alone; this
module adds a role rule: consultant and admin keys write, client keys read, other roles (an
ingest key) get nothing here. Progress reads the client's own scorecard rows only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from cxbench.api.deps import (
    ClientId,
    MetricFilter,
    Principal,
    Snapshot,
    TouchpointFilter,
    check_choice,
)
from cxbench.api.problems import Problem, echo, problem_responses
from cxbench.api.representation import csv_documentation, csv_header, respond_live
from cxbench.api.schemas import NpsLevers, TargetItem, Targets
from cxbench.api.snapshot import GRAINS, LoadedSnapshot
from cxbench.api.target_schemas import (
    AgreedTarget,
    AgreedTargetList,
    PeriodValue,
    Projection,
    TargetBody,
    TargetEvent,
    TargetHistory,
    TargetProgress,
)
from cxbench.targets import store as target_store
from cxbench.targets.progress import Point, compute_progress
from cxbench.targets.rules import (
    InvalidTarget,
    TargetRequest,
    facts_from_snapshot,
    grain_of,
    min_answers,
    resolve_target,
    scorecard_rows,
)

READERS = ("admin", "consultant", "client")
WRITERS = ("admin", "consultant")


async def may_read_targets(principal: Principal) -> None:
    """Only the roles of DESIGN §7 see targets; a key of another role (ingest) gets none."""
    if principal.role not in READERS:
        raise Problem(403, "This API key's role cannot see targets.")


router = APIRouter(prefix="/clients", tags=["targets"], dependencies=[Depends(may_read_targets)])

CLIENT_SCORECARDS = "fct_client_scorecards"
CLIENT_TARGETS = "fct_client_targets"
Row = dict[str, Any]
T = TypeVar("T")
ETAG_HEADER = {
    "ETag": {
        "description": 'The target\'s version, `"v<version>"`: send it back in `If-Match`.',
        "schema": {"type": "string"},
    }
}


async def may_write_targets(principal: Principal) -> str:
    """The key id to record as the author; 403 for a key that may only read."""
    if principal.role not in WRITERS:
        raise Problem(
            403, "This API key may read targets but not set them; a consultant or admin key can."
        )
    return principal.key_id


Author = Annotated[str, Depends(may_write_targets)]
TouchpointCode = Annotated[str, Path(description="A touchpoint code, or * for all")]
MetricCode = Annotated[str, Path(description="a benchmarked metric code from /v1/meta")]


async def get_target_store(request: Request) -> target_store.TargetStore:
    store: target_store.TargetStore = request.app.state.targets
    return store


Store = Annotated[target_store.TargetStore, Depends(get_target_store)]


def _client(snapshot: LoadedSnapshot, client_id: str) -> Row:
    client = snapshot.clients.get(client_id)
    if client is None:
        raise Problem(404, f"Unknown client {client_id!r}.")
    return client


def _check_target_path(snapshot: LoadedSnapshot, touchpoint: str, metric: str) -> None:
    if metric not in snapshot.metric_codes:
        raise Problem(404, f"Unknown metric {echo(metric)}; /v1/meta lists the metrics.")
    if touchpoint not in snapshot.touchpoint_codes:
        raise Problem(404, f"Unknown touchpoint {echo(touchpoint)}; /v1/meta lists them.")


def _agreed(target: target_store.AgreedTarget) -> AgreedTarget:
    f = target.fields
    return AgreedTarget(
        touchpoint=target.touchpoint,
        metric=target.metric,
        target_value=f.target_value,
        due_period=f.due_period,
        baseline_period=f.baseline_period,
        basis=f.basis,
        basis_period=f.basis_period,
        basis_value=f.basis_value,
        note=f.note,
        status="active" if target.status == target_store.ACTIVE else "retired",
        version=target.version,
        etag=target.etag,
        created_at=target.created_at,
        updated_at=target.updated_at,
        updated_by=target.updated_by,
    )


def _event(event: target_store.TargetEvent) -> TargetEvent:
    f = event.fields
    return TargetEvent(
        event_id=event.event_id,
        at=event.at,
        key_id=event.key_id,
        action=event.action,
        touchpoint=event.touchpoint,
        metric=event.metric,
        version=event.version,
        target_value=f.target_value,
        due_period=f.due_period,
        baseline_period=f.baseline_period,
        basis=f.basis,
        basis_period=f.basis_period,
        basis_value=f.basis_value,
        note=f.note,
        previous_version=event.previous_version,
        previous_target_value=event.previous_target_value,
        previous_due_period=event.previous_due_period,
    )


async def _active(
    store: target_store.TargetStore, client_id: str, touchpoint: str, metric: str
) -> target_store.AgreedTarget:
    target = await _store_call(lambda: store.get(client_id, touchpoint, metric))
    if target is None or target.status != target_store.ACTIVE:
        raise Problem(
            404,
            f"There is no agreed {metric} target for touchpoint {touchpoint}"
            + (" (it was retired; see the history)." if target is not None else "."),
        )
    return target


async def _store_call(call: Callable[[], T]) -> T:
    """Run a store call off the event loop; its refusals become problem documents."""
    try:
        return await run_in_threadpool(call)
    except target_store.TargetStoreError as exc:
        raise _problem(exc) from exc


def _problem(exc: target_store.TargetStoreError) -> Problem:
    if isinstance(exc, target_store.TargetStoreUnavailable):
        return Problem(503, "The target store is busy or unavailable; try again shortly.")
    if isinstance(exc, target_store.PreconditionFailed):
        return Problem(412, str(exc))
    if isinstance(exc, target_store.PreconditionRequired):
        return Problem(428, str(exc))
    return Problem(404, str(exc))


# --- suggested targets (the fct_client_targets mart) and the agreed ones ----------------------


def _targets_index(snapshot: LoadedSnapshot) -> dict[tuple[str, str, str, str], dict[str, Row]]:
    index: dict[tuple[str, str, str, str], dict[str, Row]] = defaultdict(dict)
    for row in snapshot.tables.get(CLIENT_TARGETS, []):
        key = (row["client_id"], row["metric_code"], row["period"], row["ambition"])
        index[key][row["touchpoint_code"]] = row
    return dict(index)


def _target_item(scorecard: Row, target: Row | None, is_nps: bool) -> TargetItem:
    """One touchpoint's current value and, when its industry cell and the ambition's percentile
    are published, its target; otherwise why not."""
    levers = None
    if target is not None and is_nps and target["gap"] is not None:
        levers = NpsLevers(**{name: target[name] for name in NpsLevers.model_fields})
    return TargetItem(
        touchpoint=scorecard["touchpoint_code"],
        n=scorecard["n"],
        current=scorecard["value"],
        moe=scorecard["moe"],
        benchmark_suppressed_reason=scorecard["benchmark_suppressed_reason"],
        target_withheld_reason=(
            target["target_withheld_reason"] if target else scorecard["benchmark_suppressed_reason"]
        ),
        target=target["target_value"] if target else None,
        gap=target["gap"] if target else None,
        is_met=target["is_met"] if target else None,
        nps=levers,
        answers_needed_per_period=target["answers_needed_per_period"] if target else None,
        has_enough_answers=target["has_enough_answers"] if target else None,
    )


def _scorecards_by_period(snapshot: LoadedSnapshot) -> dict[tuple[str, str, str], list[Row]]:
    """Client scorecard rows by (client, metric, period), '*' first, then by touchpoint."""
    index: dict[tuple[str, str, str], list[Row]] = defaultdict(list)
    for row in snapshot.tables.get(CLIENT_SCORECARDS, []):
        index[(row["client_id"], row["metric_code"], row["period"])].append(row)
    for rows in index.values():
        rows.sort(key=lambda r: (r["touchpoint_code"] != "*", r["touchpoint_code"]))
    return dict(index)


@router.get(
    "/{client_id}/targets",
    operation_id="get_client_targets",
    summary="Suggested targets from the industry's p50, p75 or p90, and the agreed ones",
    response_model=Targets,
    responses=csv_documentation(csv_header(Targets)),
)
async def get_targets(
    request: Request,
    client_id: ClientId,
    snapshot: Snapshot,
    store: Store,
    metric: Annotated[str, Query(description="a benchmarked metric code from /v1/meta")],
    period: Annotated[str, Query(description="2025-07, 2025-Q3 or 2025")],
    ambition: Annotated[
        Literal["p50", "p75", "p90"], Query(description="the industry cell's percentile")
    ] = "p75",
) -> Response:
    """`items`: one suggested target per touchpoint the client has in the period (CSV rows
    with `Accept: text/csv`). `agreed`: the client's active agreed targets for the metric,
    whatever their periods (`/targets/agreed` lists them as CSV)."""
    client = _client(snapshot, client_id)
    check_choice("metric", metric, snapshot.metric_codes)
    check_choice("period", period, snapshot.all_periods)

    def build() -> Targets:
        targets = snapshot.memo(CLIENT_TARGETS, _targets_index).get(
            (client_id, metric, period, ambition), {}
        )
        rows = snapshot.memo("targets:by_period", _scorecards_by_period)
        # NPS levers come with every metric of the nps kind (seeds/metrics.csv).
        is_nps = snapshot.metric_kinds.get(metric) == "nps"
        items = [
            _target_item(row, targets.get(row["touchpoint_code"]), is_nps)
            for row in rows.get((client_id, metric, period), [])
        ]
        grain = next(g for g in GRAINS if period in snapshot.periods.get(g, ()))
        agreed = store.list_targets(client_id, metric=metric)
        return Targets(
            build_id=snapshot.build_id,
            client_id=client_id,
            industry=client["industry_code"],
            metric=metric,
            period=period,
            period_grain=grain,
            ambition=ambition,
            items=items,
            agreed=[_agreed(t) for t in agreed],
        )

    model = await _store_call(build)
    return respond_live(request, model, filename=f"targets-{client_id}-{snapshot.build_id}")


@router.get(
    "/{client_id}/targets/agreed",
    operation_id="list_agreed_targets",
    summary="The client's agreed targets",
    response_model=AgreedTargetList,
    responses=csv_documentation(csv_header(AgreedTargetList)),
)
async def list_agreed(
    request: Request,
    client_id: ClientId,
    snapshot: Snapshot,
    store: Store,
    metric: MetricFilter,
    include_retired: Annotated[bool, Query(description="also the retired ones")] = False,
) -> Response:
    """Every agreed target of the client, active first by metric and touchpoint; `Accept:
    text/csv` for CSV."""
    targets = await _store_call(
        lambda: store.list_targets(client_id, metric=metric, include_retired=include_retired)
    )
    model = AgreedTargetList(client_id=client_id, items=[_agreed(t) for t in targets])
    return respond_live(request, model, filename=f"agreed-targets-{client_id}")


@router.get(
    "/{client_id}/targets/history",
    operation_id="list_target_history",
    summary="Every change to the client's agreed targets: who, when, what it was",
    response_model=TargetHistory,
    responses=csv_documentation(csv_header(TargetHistory)),
)
async def get_history(
    request: Request,
    client_id: ClientId,
    snapshot: Snapshot,
    store: Store,
    touchpoint: TouchpointFilter,
    metric: MetricFilter,
) -> Response:
    """The append-only audit trail, oldest first; `Accept: text/csv` for CSV."""
    events = await _store_call(
        lambda: store.history(client_id, touchpoint=touchpoint, metric=metric)
    )
    model = TargetHistory(client_id=client_id, items=[_event(e) for e in events])
    return respond_live(request, model, filename=f"target-history-{client_id}")


@router.get(
    "/{client_id}/targets/{touchpoint}/{metric}",
    operation_id="get_agreed_target",
    summary="One agreed target, with its ETag",
    response_model=AgreedTarget,
    responses={200: {"headers": ETAG_HEADER}},
)
async def get_agreed(
    request: Request,
    client_id: ClientId,
    touchpoint: TouchpointCode,
    metric: MetricCode,
    snapshot: Snapshot,
    store: Store,
) -> Response:
    """The active target; 404 when there is none (a retired one is in the history)."""
    _check_target_path(snapshot, touchpoint, metric)
    target = await _active(store, client_id, touchpoint, metric)
    return respond_live(request, _agreed(target), filename="target", headers={"etag": target.etag})


@router.put(
    "/{client_id}/targets/{touchpoint}/{metric}",
    operation_id="put_agreed_target",
    summary="Agree a target, or change one (consultant or admin key)",
    response_model=AgreedTarget,
    responses={
        200: {"description": "The target was changed.", "headers": ETAG_HEADER},
        201: {"description": "The target was created.", "headers": ETAG_HEADER},
        **problem_responses(412, 428),
    },
)
async def put_agreed(
    request: Request,
    client_id: ClientId,
    touchpoint: TouchpointCode,
    metric: MetricCode,
    body: TargetBody,
    snapshot: Snapshot,
    store: Store,
    author: Author,
    if_match: Annotated[
        str | None,
        Header(description='Required to change a target: its ETag (`"v3"`) from the last read.'),
    ] = None,
    if_none_match: Annotated[
        str | None, Header(description="`*`: create only, 412 if the target exists.")
    ] = None,
) -> Response:
    """Creates the target (201) or, with `If-Match` naming its current ETag, changes it (200).
    A change without `If-Match` is 428 and one with a stale ETag 412: re-read and retry. The
    value must lie in the metric's range, the baseline be a period `/v1/meta` lists, and a
    benchmark basis a percentile published for the client's industry cell (422 otherwise).
    Every change is kept in the history with the key id, the time and the previous value."""
    _check_target_path(snapshot, touchpoint, metric)
    request_ = TargetRequest(
        target_value=body.target_value,
        due_period=body.due_period,
        baseline_period=body.baseline_period,
        basis=body.basis,
        basis_period=body.basis_period,
        note=body.note,
    )
    try:
        facts = facts_from_snapshot(snapshot, client_id)
        fields = resolve_target(request_, touchpoint, metric, facts)
    except InvalidTarget as exc:
        raise Problem(422, str(exc)) from exc
    precondition = target_store.Precondition(
        if_match=target_store.parse_if_match(if_match),
        if_none_match_any=if_none_match is not None and if_none_match.strip() == "*",
    )
    target, created = await _store_call(
        lambda: store.put(
            client_id, touchpoint, metric, fields, actor=author, precondition=precondition
        )
    )
    headers = {"etag": target.etag}
    if created:
        headers["location"] = str(request.url.path)
    return respond_live(
        request,
        _agreed(target),
        filename="target",
        status_code=201 if created else 200,
        headers=headers,
    )


@router.delete(
    "/{client_id}/targets/{touchpoint}/{metric}",
    operation_id="delete_agreed_target",
    summary="Retire an agreed target (consultant or admin key); it stays in the history",
    status_code=204,
    response_class=Response,
    responses=problem_responses(412, 428),
)
async def delete_agreed(
    client_id: ClientId,
    touchpoint: TouchpointCode,
    metric: MetricCode,
    snapshot: Snapshot,
    store: Store,
    author: Author,
    if_match: Annotated[
        str | None, Header(description="Required: the target's ETag from the last read.")
    ] = None,
) -> Response:
    """Retires the active target (204); 404 when there is none, 428 without `If-Match`, 412
    when it has changed since that ETag."""
    _check_target_path(snapshot, touchpoint, metric)
    precondition = target_store.Precondition(if_match=target_store.parse_if_match(if_match))
    await _store_call(
        lambda: store.retire(client_id, touchpoint, metric, actor=author, precondition=precondition)
    )
    return Response(status_code=204)


def _period_value(point: Point | None) -> PeriodValue | None:
    if point is None:
        return None
    return PeriodValue(
        period=point.period,
        n=point.n,
        value=point.value,
        standard_error=point.standard_error,
        moe=point.moe,
        ci_low=point.ci_low,
        ci_high=point.ci_high,
    )


@router.get(
    "/{client_id}/targets/{touchpoint}/{metric}/progress",
    operation_id="get_target_progress",
    summary="Progress towards an agreed target: gap, change, projection, status",
    response_model=TargetProgress,
)
async def get_progress(
    request: Request,
    client_id: ClientId,
    touchpoint: TouchpointCode,
    metric: MetricCode,
    snapshot: Snapshot,
    store: Store,
) -> Response:
    """Baseline and latest value (with its interval) from the client's scorecard, the gap
    left, the share of the way covered, whether the change since the baseline is significant,
    and the weighted trend projected to the due period with its 95% interval. `status`:
    `on_track` when the projection reaches the target, `at_risk` when only its 95% interval
    does, `off_track` otherwise, `insufficient_data` when too few answers or periods say
    nothing (README "Agreed targets")."""
    _check_target_path(snapshot, touchpoint, metric)
    target = await _active(store, client_id, touchpoint, metric)
    f = target.fields
    grain = grain_of(f.due_period)
    rows = scorecard_rows(snapshot).get((client_id, touchpoint, metric), [])
    points = [Point.from_row(r) for r in rows if r["period_grain"] == grain]
    metric_row = next(m for m in snapshot.metrics if m["metric_code"] == metric)
    progress = compute_progress(
        target_value=f.target_value,
        baseline_period=f.baseline_period,
        due_period=f.due_period,
        points=points,
        min_answers=min_answers(snapshot),
        value_min=float(metric_row["value_min"]),
        value_max=float(metric_row["value_max"]),
    )
    p = progress.projection
    model = TargetProgress(
        build_id=snapshot.build_id,
        client_id=client_id,
        touchpoint=touchpoint,
        metric=metric,
        target=_agreed(target),
        baseline=_period_value(progress.baseline),
        latest=_period_value(progress.latest),
        gap_left=progress.gap_left,
        share_covered=progress.share_covered,
        is_met=progress.is_met,
        change=progress.change,
        change_z=progress.change_z,
        change_significant=progress.change_significant,
        projection=None
        if p is None
        else Projection(
            due_period=f.due_period,
            value=p.value,
            standard_error=p.standard_error,
            low=p.low,
            high=p.high,
            slope_per_period=p.slope_per_period,
            periods_fitted=p.periods_fitted,
        ),
        status=progress.status,
        status_reason=progress.status_reason,
    )
    return respond_live(request, model, filename="progress")
