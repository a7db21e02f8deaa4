"""What can be asked for: industries, touchpoints, metrics and periods in the live snapshot."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from cxbench.api.deps import Snapshot
from cxbench.api.representation import respond
from cxbench.api.schemas import Industry, Meta, Metric, Periods, Touchpoint

router = APIRouter(prefix="/meta", tags=["meta"])


@router.get(
    "",
    operation_id="get_meta",
    summary="Industries, touchpoints, metrics, periods",
    response_model=Meta,
)
async def get_meta(request: Request, snapshot: Snapshot) -> Response:
    """The values the other endpoints accept for their query parameters, in the live build."""

    def build() -> Meta:
        return Meta(
            build_id=snapshot.build_id,
            published_at=snapshot.published_at,
            newest_answer_at=snapshot.manifest.get("newest_answer_at"),
            industries=[
                Industry(**{k: i[k] for k in Industry.model_fields}) for i in snapshot.industries
            ],
            touchpoints=[Touchpoint(**t) for t in snapshot.touchpoints],
            metrics=[Metric(**{k: m[k] for k in Metric.model_fields}) for m in snapshot.metrics],
            periods=Periods(**snapshot.periods),
        )

    return await respond(request, snapshot, ("meta",), build, filename="meta", csv_ok=False)
