"""How a route's answer becomes bytes: JSON, or CSV for spreadsheets, cached per snapshot.

Every list route answers through ``respond``: it picks the format from the ``Accept`` header
(``text/csv`` when preferred, JSON otherwise), and keeps the rendered bytes in the snapshot's
response cache, so a repeated question is a dictionary lookup and a new snapshot starts afresh.
A route describes its answer as a typed response model with one list field (``items``); the CSV
is one row per item, led by the model's scalar fields (``build_id``, a client id, …), with
nested models flattened into ``parent.child`` columns.

Cached answers carry a strong ``ETag`` (a hash of the body): a client that sends it back in
``If-None-Match`` gets ``304 Not Modified`` and no body. Answers of ``GZIP_MIN_BYTES`` or more
are gzipped once when rendered and sent so to clients that accept it (``Accept-Encoding``); the
gzipped form has its own ETag (``-gz``), and either form's tag revalidates. The replay fast
path (cxbench/api/fastpath.py) answers through the same ``conditional_parts``.

CSV cells are safe to open in a spreadsheet: text starting with ``= + - @``, a tab or a line
break is prefixed with ``'`` so it is never run as a formula (numbers are written as numbers).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import types
import typing
from collections.abc import Callable, Hashable, Iterable, Iterator, MutableMapping
from dataclasses import replace
from typing import Any

from fastapi import Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from cxbench.api.snapshot import LoadedSnapshot, Rendered

GZIP_MIN_BYTES = 1400  # below one packet, compressing saves nothing worth the CPU
GZIP_LEVEL = 6
VARY = "Accept, Accept-Encoding"

JSON = "application/json"
CSV = "text/csv"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8; header=present"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
BOM = "\ufeff"  # Excel reads UTF-8 (accents in client names) only when the file says so
SNAPSHOT_STATE = "cxb_snapshot"  # request.state: the snapshot this request answers from
PRINCIPAL_STATE = "cxb_principal"  # request.state: the authenticated key
ROUTE_STATE = "cxb_route"  # request.state: the route template a replayed answer came from


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0


def prefers_csv(request: Request) -> bool:
    """True when the Accept header ranks text/csv above JSON (ties go to JSON).

    Only an explicit ``text/csv`` asks for CSV; ``*/*`` and ``text/*`` get the default, JSON.
    """
    return prefers_csv_header(request.headers.get("accept"))


def prefers_csv_header(accept: str | None) -> bool:
    if not accept or "csv" not in accept:
        return False
    q_csv = q_json = 0.0
    for media_range in accept.split(","):
        media, *params = media_range.split(";")
        media = media.strip().lower()
        q = _quality(params)
        if media == CSV:
            q_csv = max(q_csv, q)
        elif media in (JSON, "application/*", "*/*"):
            q_json = max(q_json, q)
    return q_csv > q_json


def csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False)
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model class in ``Model`` or ``Model | None``, else None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        models = [m for a in typing.get_args(annotation) if (m := _model_in(a)) is not None]
        return models[0] if len(models) == 1 else None
    return None


def list_field(model: type[BaseModel]) -> tuple[str, type[BaseModel]] | None:
    """The field holding the rows (``items`` if there are several lists of models)."""
    found = []
    for name, info in model.model_fields.items():
        if typing.get_origin(info.annotation) is list:
            (item,) = typing.get_args(info.annotation) or (None,)
            item_model = _model_in(item)
            if item_model is not None:
                found.append((name, item_model))
    for name, item_model in found:
        if name == "items":
            return name, item_model
    return found[0] if found else None


def _columns(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    for name, info in model.model_fields.items():
        nested = _model_in(info.annotation)
        if nested is not None:
            yield from _columns(nested, f"{prefix}{name}.")
        else:
            yield prefix + name


def _flatten(row: dict[str, Any], prefix: str = "", out: dict[str, Any] | None = None) -> dict:
    out = {} if out is None else out
    for key, value in row.items():
        if isinstance(value, dict):
            _flatten(value, f"{prefix}{key}.", out)
        else:
            out[prefix + key] = value
    return out


def _csv_layout(model: type[BaseModel]) -> tuple[str, list[str], list[str]]:
    """The list field, the scalar fields that lead each row, and the item columns."""
    found = list_field(model)
    if found is None:
        raise TypeError(f"{model.__name__} has no list of rows to write as CSV")
    rows_field, item_model = found
    lead = [
        name
        for name, info in model.model_fields.items()
        if name != rows_field
        and typing.get_origin(info.annotation) is not list
        and _model_in(info.annotation) is None
    ]
    return rows_field, lead, list(_columns(item_model))


def csv_header(model: type[BaseModel]) -> str:
    """The header line ``render_csv`` writes for ``model`` (for the OpenAPI example)."""
    _, lead, columns = _csv_layout(model)
    return ",".join([*lead, *columns]) + "\r\n"


def render_csv(model: BaseModel) -> bytes:
    """One CSV row per item of the model's list field, led by its scalar fields."""
    rows_field, lead_fields, columns = _csv_layout(type(model))
    data = model.model_dump(mode="json")
    lead = {name: data[name] for name in lead_fields}
    header = [*lead, *columns]
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for item in data[rows_field]:
        flat = {**lead, **_flatten(item)}
        writer.writerow([csv_cell(flat.get(column)) for column in header])
    return buffer.getvalue().encode("utf-8")


def render_json(model: BaseModel) -> bytes:
    return model.__pydantic_serializer__.to_json(model)


def csv_documentation(example: str) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry that documents the CSV form of a route's 200 answer."""
    return {
        200: {
            "description": "The answer as JSON, or as CSV with `Accept: text/csv`.",
            "content": {CSV: {"schema": {"type": "string"}, "example": example}},
        }
    }


def route_template(scope: MutableMapping[str, Any]) -> str | None:
    """The matched route's full path template (``/v1/clients/{client_id}/scorecard``).

    FastAPI ≥ 0.16x keeps included routers unflattened: ``scope["route"].path`` is relative to
    its router, and the full template is on the effective route context it records.
    """
    context = (scope.get("fastapi") or {}).get("effective_route_context")
    path = getattr(context, "path", None) or getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else None


def replay_key(
    key_id: str, role: str, client_ids: Iterable[str], path: str, query: bytes, as_csv: bool
) -> Hashable:
    """Where ``respond`` files an answer for cxbench/api/fastpath.py to replay to the same key.

    The key's role and clients are part of it: a key whose record were edited by hand to a
    narrower scope would miss, and go through the guards again.
    """
    return ("replay", key_id, role, tuple(sorted(client_ids)), path, query, as_csv)


def _safe_filename(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "export"


def render(model: BaseModel, as_csv: bool, filename: str) -> Rendered:
    """The model as CSV (when asked and it has rows) or JSON, with the headers that say so,
    its ETag and, when large, its gzipped form."""
    if as_csv and list_field(type(model)) is not None:
        disposition = f'attachment; filename="{_safe_filename(filename)}.csv"'
        body = render_csv(model)
        media_type = CSV_MEDIA_TYPE
        headers: tuple[tuple[str, str], ...] = (("content-disposition", disposition),)
    else:
        body, media_type, headers = render_json(model), JSON, ()
    return Rendered(
        body,
        media_type,
        (("vary", VARY), *headers),
        etag=hashlib.blake2b(body, digest_size=12).hexdigest(),
        gzipped=gzip.compress(body, GZIP_LEVEL, mtime=0) if len(body) >= GZIP_MIN_BYTES else None,
    )


def accepts_gzip(accept_encoding: str | None) -> bool:
    """True when ``Accept-Encoding`` lists gzip (or ``*``) with a quality above zero."""
    if not accept_encoding:
        return False
    for coding in accept_encoding.split(","):
        name, *params = coding.split(";")
        if name.strip().lower() in ("gzip", "*") and _quality(params) > 0:
            return True
    return False


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match or not etag:
        return False
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*":
            return True
        tag = tag.removeprefix("W/").strip('"').removesuffix("-gz")
        if tag == etag:
            return True
    return False


def conditional_parts(
    rendered: Rendered, if_none_match: str | None, accept_encoding: str | None
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body for a cached answer: 304 when the client's copy is current,
    the gzipped body when the client takes it, the plain body otherwise."""
    use_gzip = rendered.gzipped is not None and accepts_gzip(accept_encoding)
    headers = list(rendered.headers)
    if rendered.etag:
        headers.append(("etag", f'"{rendered.etag}-gz"' if use_gzip else f'"{rendered.etag}"'))
    if _matches(if_none_match, rendered.etag):
        return 304, headers, b""
    headers.append(("content-type", rendered.media_type))
    if use_gzip and rendered.gzipped is not None:
        headers.append(("content-encoding", "gzip"))
        return 200, headers, rendered.gzipped
    return 200, headers, rendered.body


def respond_live(
    request: Request,
    model: BaseModel,
    *,
    filename: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """An answer that depends on more than the snapshot (the target store): rendered for this
    request only, never cached nor replayed, JSON or CSV like ``respond``."""
    rendered = render(model, prefers_csv(request), filename)
    return Response(
        rendered.body,
        status_code=status_code,
        media_type=rendered.media_type,
        headers={**dict(rendered.headers), "cache-control": "no-store", **(headers or {})},
    )


async def respond(
    request: Request,
    snapshot: LoadedSnapshot,
    key: Hashable,
    build: Callable[[], BaseModel],
    *,
    filename: str,
    csv_ok: bool = True,
) -> Response:
    """The answer for ``key`` on this snapshot, rendered once and then served from cache.

    ``key`` must identify the answer completely (route name and every parameter that shapes
    it), and the answer must not depend on which key asks beyond the scope checks the guards
    already made. ``build`` makes the typed response model on a cache miss, off the event loop.
    A route whose model has no list field answers JSON even to ``Accept: text/csv``.
    An answer that changes while the snapshot stays uses ``respond_live`` instead.
    """
    wants_csv = prefers_csv(request)
    as_csv = csv_ok and wants_csv
    answer_key = ("answer", key, as_csv)
    rendered = snapshot.responses.get(answer_key)
    if rendered is None:
        rendered = await run_in_threadpool(lambda: render(build(), as_csv, filename))
        snapshot.responses.put(answer_key, rendered)
    principal = getattr(request.state, PRINCIPAL_STATE, None)
    if principal is not None:
        scope = request.scope
        replay = replay_key(
            principal.key_id,
            principal.role,
            principal.client_ids,
            scope["path"],
            scope["query_string"],
            wants_csv,
        )
        snapshot.responses.put(replay, replace(rendered, route=route_template(scope)))
    status, headers, body = conditional_parts(
        rendered, request.headers.get("if-none-match"), request.headers.get("accept-encoding")
    )
    response = Response(body, status_code=status)
    response.headers.update(dict(headers))  # content-type comes from here, charset and all
    return response
