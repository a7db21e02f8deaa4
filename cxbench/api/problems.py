"""Errors as ``application/problem+json`` (RFC 9457), never a stack trace or a leaked figure.

Every error the API gives goes through here, so three rules hold in one place: the body is a
problem document; it never echoes an API key (user input is quoted only when it is short and
does not look like a key); and it never says more than the caller may know. A problem carries
no ``instance``: two 403s for two different clients are byte-for-byte the same, so a 403 cannot
tell whether a client exists.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from cxbench.keys import PREFIX as KEY_PREFIX

PROBLEM_JSON = "application/problem+json"
MAX_ECHO = 40

# What each status means in this API; the detail of a raised Problem says the specifics.
DEFAULT_DETAILS = {
    400: "The request has query parameters this endpoint does not take.",
    401: "An API key is required: Authorization: Bearer <key>.",
    403: "This API key does not give access to that client.",
    404: "No such resource; /docs lists the endpoints.",
    405: "This method is not allowed here; the Allow header lists the ones that are.",
    422: "A query parameter has a value this endpoint does not accept.",
    500: "The server could not answer this request.",
    503: "No benchmark snapshot is published yet.",
}


class Problem(Exception):
    """Raise from a route or dependency to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        detail = detail or DEFAULT_DETAILS.get(status) or HTTPStatus(status).phrase
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers
        self.extra = extra


def echo(value: object) -> str:
    """Quote user input for an error message, unless it is long or looks like an API key."""
    text = str(value)
    if len(text) > MAX_ECHO or KEY_PREFIX + "_" in text or not text.isprintable():
        return "the value given"
    return repr(text)


def problem_body(status: int, detail: str, extra: dict[str, Any] | None = None) -> bytes:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if extra:
        body.update(extra)
    return json.dumps(body, ensure_ascii=False).encode()


def problem_response(
    status: int,
    detail: str,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    return Response(
        problem_body(status, detail, extra),
        status_code=status,
        headers=headers,
        media_type=PROBLEM_JSON,
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route: each status documented as a problem document."""
    return {
        status: {
            "description": DEFAULT_DETAILS.get(status) or HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def _validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    # Only where and what, never pydantic's `input`: it would echo whatever was sent.
    return [
        {
            "location": ".".join(str(p) for p in e.get("loc", ())),
            "message": str(e.get("msg", "")),
        }
        for e in exc.errors()
    ]


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def handle_problem(request: Request, exc: Problem) -> Response:
        return problem_response(exc.status, exc.detail, exc.headers, exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def handle_http(request: Request, exc: StarletteHTTPException) -> Response:
        # Routing errors (404 no such path, 405 wrong method) get our wording; an
        # HTTPException a route raises keeps its own detail.
        status = exc.status_code
        phrase = HTTPStatus(status).phrase
        if isinstance(exc.detail, str) and exc.detail != phrase:
            detail = exc.detail
        else:
            detail = DEFAULT_DETAILS.get(status, phrase)
        return problem_response(status, detail, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def handle_validation(request: Request, exc: RequestValidationError) -> Response:
        errors = _validation_errors(exc)
        listed = "; ".join(
            f"{e['location'].removeprefix('query.')}: {e['message']}" for e in errors
        )
        detail = f"Invalid {listed}." if listed else DEFAULT_DETAILS[422]
        if any(e["location"].startswith("query.") for e in errors):
            detail += " /v1/meta lists the values available."
        return problem_response(422, detail, extra={"errors": errors})

    @app.exception_handler(Exception)
    async def handle_unexpected(request: Request, exc: Exception) -> Response:
        return problem_response(500, DEFAULT_DETAILS[500])
