"""Answers pushed in by a client's systems (DESIGN §7 v2): stored as a landing delivery.

202 means the delivery is durable (fsync'd into the landing folder); the next build — or the
background builder of ``cxbench serve --build-every`` — lands it like any other file. Each row's
verdict comes from the build's own compiled checks (``cxbench.ingest.classify``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from cxbench import ingest
from cxbench.api.deps import AnswerWriter, accepts_ingest_keys, get_settings
from cxbench.api.problems import Problem, problem_responses
from cxbench.api.schemas import IngestReceipt, IngestRow

router = APIRouter(prefix="/clients/{client_id}/answers", tags=["answers"])

MAX_KEY_LENGTH = 200


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 past ``limit`` bytes without reading it all into memory."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Problem(413, f"The body is larger than the limit of {limit:,} bytes.")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, f"The body is larger than the limit of {limit:,} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "",
    operation_id="post_client_answers",
    summary="Deliver answers (JSON array, NDJSON or CSV of the landing contract)",
    status_code=202,
    response_model=IngestReceipt,
    responses=problem_responses(403, 409, 413, 415, 422),
)
@accepts_ingest_keys
async def post_answers(
    request: Request,
    principal: AnswerWriter,
    client_id: Annotated[str, Path(description="The client the answers belong to.")],
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Any unique string; a retry with the same key is stored once.",
        ),
    ] = None,
) -> JSONResponse:
    """Store the rows as a new delivery and say, per row, what the build will do with it.

    Rows whose `client_id` names another client are refused (422); a row without one is kept
    and quarantined as `missing_client_id`, as in a file. The verdict comes from the last
    build's compiled checks; `timestamp_in_future` is judged against now, and which of two
    deliveries of the same answer wins is decided by the build (the later one)."""
    settings = get_settings(request)
    if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_KEY_LENGTH:
        raise Problem(422, f"An Idempotency-Key has 1 to {MAX_KEY_LENGTH} characters.")
    body = await _read_body(request, settings.ingest_max_bytes)
    content_type = request.headers.get("content-type", "")
    try:
        rows = ingest.parse_payload(body, content_type)
        ingest.check_client(rows, client_id)
    except ingest.PayloadError as exc:
        status = 415 if "Send application/json" in str(exc) else 422
        raise Problem(status, str(exc)) from exc
    try:
        stored = await run_in_threadpool(
            ingest.store_delivery, settings, client_id, rows, idempotency_key
        )
    except ingest.IdempotencyConflict as exc:
        raise Problem(409, str(exc)) from exc
    if stored.replayed and stored.response is not None:
        return JSONResponse(
            stored.response, status_code=202, headers={"Idempotent-Replayed": "true"}
        )
    reasons = await run_in_threadpool(ingest.classify, settings, stored.delivery_file, len(rows))
    receipt = _receipt(client_id, stored.delivery_file.name, rows, reasons, stored.replayed)
    content = receipt.model_dump(mode="json")
    if idempotency_key is not None:
        await run_in_threadpool(
            ingest.remember_response, settings, client_id, idempotency_key, content
        )
    headers = {"Idempotent-Replayed": "true"} if stored.replayed else {}
    return JSONResponse(content, status_code=202, headers=headers)


def _receipt(
    client_id: str,
    delivery: str,
    rows: list[dict[str, str | None]],
    reasons: list[str | None] | None,
    replayed: bool,
) -> IngestReceipt:
    if reasons is None or len(reasons) != len(rows):
        items = [
            IngestRow(row=i, status="stored", reason_code=None) for i in range(1, len(rows) + 1)
        ]
        checked = False
    else:
        items = [
            IngestRow(
                row=i,
                status="accepted" if reason is None else "quarantined",
                reason_code=reason,
            )
            for i, reason in enumerate(reasons, start=1)
        ]
        checked = True
    return IngestReceipt(
        client_id=client_id,
        delivery=delivery,
        rows_received=len(rows),
        rows_accepted=sum(1 for r in items if r.status == "accepted"),
        rows_quarantined=sum(1 for r in items if r.status == "quarantined"),
        checked=checked,
        replayed=replayed,
        rows=items,
    )
