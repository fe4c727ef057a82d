"""The API docs (/docs: Swagger UI, /redoc: ReDoc) served with assets from an installed package.

FastAPI's default pages load their scripts, styles and fonts from public CDNs, so they
are blank offline and would need a CSP that trusts those hosts. `fastapi-offline` ships
the same swagger-ui and redoc bundles; they are served from /docs/assets and the pages
get a policy that allows only this origin plus Swagger UI's one inline start-up script,
by its hash.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _policy(html: str) -> str:
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html))
    return (
        f"default-src 'self'; script-src 'self' {hashes}; "
        # Both renderers set styles at run time (ReDoc injects <style> elements).
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
        "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ).replace("  ", " ")


def _page(html: str) -> HTMLResponse:
    return HTMLResponse(html, headers={"Content-Security-Policy": _policy(html)})


def add_docs(app: FastAPI) -> None:
    """Mount the bundled assets and the two docs pages (the app is built with docs_url=None)."""
    assert app.openapi_url is not None
    static = files("fastapi_offline") / "static"
    app.mount(ASSETS, StaticFiles(directory=str(static)), name="docs-assets")
    swagger = get_swagger_ui_html(
        openapi_url=app.openapi_url, title=f"{app.title} - Swagger UI",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon.png",
        oauth2_redirect_url=None,
        # The default validator badge is an image from a public host.
        swagger_ui_parameters={"validatorUrl": None},
    ).body
    redoc = get_redoc_html(
        openapi_url=app.openapi_url, title=f"{app.title} - ReDoc",
        redoc_js_url=f"{ASSETS}/redoc.standalone.js",
        redoc_favicon_url=f"{ASSETS}/favicon.png", with_google_fonts=False,
    ).body
    swagger_page, redoc_page = bytes(swagger).decode(), bytes(redoc).decode()

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return _page(swagger_page)

    @app.get("/redoc", include_in_schema=False)
    async def redoc_ui() -> HTMLResponse:
        return _page(redoc_page)
