"""The dashboard pages under ``/app/``: static files (plain ES modules, hand-drawn SVG) that
read the same ``/v1`` JSON as any other client, with the key in the ``Authorization`` header.

The pages hold no data and no key of their own, so serving them needs no guard: every figure
they show comes through the ``/v1`` guards. What this module adds is the browser's side of the
contract: a strict Content-Security-Policy (scripts, styles, images and requests from this
origin only; no inline script or style, no frames, no forms posting elsewhere), no referrer, and
no caching of ``index.html`` so a new release is picked up at once.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

APP_PATH = "/app"
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


class PageFiles(StaticFiles):
    """Static files with the security headers on every answer (404s included)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        # The shell is small; always revalidate it. Modules revalidate too (ETag → 304).
        response.headers["cache-control"] = "no-cache"
        return response


def install_pages(app: FastAPI) -> None:
    """Mount the pages at ``/app/`` (``/app`` redirects there)."""
    folder = files("cxbench.api") / "static" / "app"

    @app.get(APP_PATH, include_in_schema=False)
    async def app_root() -> RedirectResponse:
        return RedirectResponse(f"{APP_PATH}/", status_code=308)

    app.mount(APP_PATH, PageFiles(directory=str(folder), html=True), name="app")
