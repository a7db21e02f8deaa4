"""Pages for admins in a browser: dbt's docs site and the Great Expectations results per build.

A browser cannot add ``Authorization: Bearer`` to a link it follows, so these pages also take
the admin key as the password of HTTP Basic authentication (any user name): the browser asks
once and resends it. The key still travels only in the ``Authorization`` header, never in a
URL or a cookie, and only an ``admin`` key opens them (401 asks for one, 403 for another role).

``/admin/dbt-docs/`` serves what ``cxbench docs`` wrote (cxbench/docs.py); ``/admin/audits``
lists the newest builds' gates, ``/admin/audits/{build_id}`` one build's, from the build records
(``warehouse/builds/*.json``), never the DuckDB file. Both are HTML under a
Content-Security-Policy that lets nothing load from another origin.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from html import escape
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from cxbench import keys as key_store
from cxbench.api.deps import AuthenticatedKey, KeyCache
from cxbench.api.problems import Problem
from cxbench.api.representation import PRINCIPAL_STATE
from cxbench.docs import site_path
from cxbench.settings import Settings

BUILDS_SHOWN = 20
BUILD_ID = re.compile(r"^[0-9TZ]+-[0-9a-f]+$")
CHALLENGE = {"WWW-Authenticate": 'Basic realm="cxbench admin", charset="UTF-8"'}
# dbt's site is one file of inline scripts and styles (AngularJS evaluates templates).
DOCS_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'"
)

router = APIRouter(prefix="/admin", include_in_schema=False)


def _key_from(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None


async def admin_in_browser(request: Request) -> AuthenticatedKey:
    cache: KeyCache = request.app.state.keys
    token = _key_from(request.headers.get("authorization"))
    key = key_store.verify(cache.keys(), token) if token else None
    if key is None:
        raise Problem(401, "An admin key is required (as the password; any user name).", CHALLENGE)
    principal = AuthenticatedKey(key.key_id, key.role, frozenset(key.client_ids))
    setattr(request.state, PRINCIPAL_STATE, principal)
    if principal.role != "admin":
        raise Problem(403, "Only an admin key opens the admin pages.")
    return principal


Admin = Annotated[AuthenticatedKey, Depends(admin_in_browser)]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.get("/dbt-docs")
async def dbt_docs_root(_: Admin) -> RedirectResponse:
    return RedirectResponse("/admin/dbt-docs/", status_code=308)


@router.get("/dbt-docs/")
async def dbt_docs(request: Request, _: Admin) -> Response:
    path = site_path(_settings(request))
    if not path.exists():
        raise Problem(404, "No docs site yet: run `cxbench docs` on the server.")
    return FileResponse(
        path,
        media_type="text/html; charset=utf-8",
        headers={"content-security-policy": DOCS_POLICY, "cache-control": "no-cache"},
    )


def _records(warehouse: Path) -> list[dict[str, Any]]:
    records = []
    for path in sorted((warehouse / "builds").glob("*.json"), reverse=True)[:BUILDS_SHOWN]:
        try:
            records.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue  # a record being replaced right now
    return records


def _build_html(record: dict[str, Any]) -> str:
    build_id = escape(str(record.get("build_id")))
    status = escape(str(record.get("status")))
    gate = record.get("failed_gate")
    head = (
        f'<h2 id="{build_id}"><a href="/admin/audits/{build_id}">{build_id}</a> '
        f'<span class="{status}">{status}</span>'
        + (f" at gate {escape(str(gate))}" if gate else "")
        + "</h2>"
    )
    parts = [head, f"<p>started {escape(str(record.get('started_at')))}</p>"]
    if record.get("message"):
        parts.append(f"<p>{escape(str(record['message']))}</p>")
    audits = record.get("audits") or []
    if not audits:
        parts.append("<p>No Great Expectations audit ran in this build.</p>")
    for audit in audits:
        verdict = "passed" if audit.get("success") else "FAILED"
        params = ", ".join(f"{k}={v}" for k, v in (audit.get("params") or {}).items())
        parts.append(
            f"<h3>gate {escape(str(audit.get('gate')))}: suite "
            f"{escape(str(audit.get('suite')))} on {escape(str(audit.get('table')))} "
            f'<span class="{verdict.lower()}">{verdict}</span></h3>'
            + (f"<p>parameters: {escape(params)}</p>" if params else "")
        )
        rows = "".join(
            f'<tr class="{"passed" if o.get("success") else "failed"}">'
            f"<td>{'✓' if o.get('success') else '✗'}</td>"
            f"<td>{escape(str(o.get('expectation')))}</td>"
            f"<td>{escape(str(o.get('detail') or ''))}</td></tr>"
            for o in audit.get("outcomes") or []
        )
        parts.append(
            "<table><tr><th></th><th>expectation</th><th>detail</th></tr>" + rows + "</table>"
        )
    attack = record.get("attack") or {}
    if attack:
        verdict = "no leak" if attack.get("ok") else "LEAKS FOUND"
        parts.append(f"<p>attack suite (publish gate): {escape(verdict)}</p>")
    return "<section>" + "".join(parts) + "</section>"


def _page(title: str, body: str) -> HTMLResponse:
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>"
        "body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}"
        "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{padding:.2em .6em;"
        "border-bottom:1px solid #ddd;text-align:left;vertical-align:top}"
        ".failed,.FAILED{color:#b00020}.passed,.published{color:#0a7a28}"
        "</style></head><body>"
        f"<h1>{escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(
        html, headers={"content-security-policy": PAGE_POLICY, "cache-control": "no-store"}
    )


@router.get("/audits")
async def audits(request: Request, _: Admin) -> HTMLResponse:
    records = _records(_settings(request).warehouse)
    body = (
        f"<p>The newest {len(records)} builds, newest first; "
        '<a href="/admin/dbt-docs/">dbt docs</a>.</p>' + "".join(_build_html(r) for r in records)
        if records
        else "<p>No build has run yet.</p>"
    )
    return _page("Great Expectations results by build", body)


@router.get("/audits/{build_id}")
async def audit_of_build(request: Request, build_id: str, _: Admin) -> HTMLResponse:
    path = _settings(request).warehouse / "builds" / f"{build_id}.json"
    if not BUILD_ID.fullmatch(build_id) or not path.exists():
        raise Problem(404, "There is no record of that build.")
    record = json.loads(path.read_text())
    return _page(f"Great Expectations results of build {build_id}", _build_html(record))
