"""What can be asked for: industries, touchpoints, metrics and periods in the live snapshot."""

from fastapi import APIRouter

from api.deps import Principal, Snapshot
from api.schemas import Industry, Meta, Metric, Periods, Touchpoint

router = APIRouter(prefix="/meta", tags=["meta"])


@router.get("", operation_id="get_meta", summary="Industries, touchpoints, metrics, periods")
def get_meta(snapshot: Snapshot, principal: Principal) -> Meta:
    return Meta(
        build_id=snapshot.build_id,
        industries=[
            Industry(**{k: i[k] for k in Industry.model_fields}) for i in snapshot.industries
        ],
        touchpoints=[Touchpoint(**t) for t in snapshot.touchpoints],
        metrics=[Metric(**{k: m[k] for k in Metric.model_fields}) for m in snapshot.metrics],
        periods=Periods(**snapshot.periods),
    )
