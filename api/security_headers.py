"""Security headers on every response, added by one pure-ASGI middleware.

A route that needs its own policy (the API docs pages allow their one inline script by
hash) sets the header itself; headers already present are never replaced.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# HTML pages (the SPA at /, the docs): everything from this origin, nothing inline, never
# framed. (The docs pages set their own, wider policy; see api/docs.py.)
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Everything else (JSON, metrics text) is data, never a document: it may load nothing.
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"


def _static(name: str, value: str) -> tuple[bytes, bytes]:
    return name.lower().encode("latin-1"), value.encode("latin-1")


class SecurityHeadersMiddleware:
    """nosniff, no referrer, no framing, a CSP, no-store for API data, optional HSTS."""

    def __init__(self, app: ASGIApp, *, hsts_max_age: int | None = None) -> None:
        self.app = app
        always = [
            _static("X-Content-Type-Options", "nosniff"),
            _static("Referrer-Policy", "no-referrer"),
            _static("X-Frame-Options", "DENY"),
            _static("Cross-Origin-Opener-Policy", "same-origin"),
        ]
        if hsts_max_age:
            always.append(_static("Strict-Transport-Security",
                                  f"max-age={hsts_max_age}; includeSubDomains"))
        self.always = always
        self.page_csp = _static("Content-Security-Policy", PAGE_POLICY)
        self.data_csp = _static("Content-Security-Policy", DATA_POLICY)
        # Tokens and personal data travel in API responses: no cache may keep them.
        self.no_store = _static("Cache-Control", "no-store")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                content_type = next((value for name, value in headers
                                     if name.lower() == b"content-type"), b"")
                is_html = content_type.startswith(b"text/html")
                extra = [h for h in self.always if h[0] not in present]
                if b"content-security-policy" not in present:
                    extra.append(self.page_csp if is_html else self.data_csp)
                if b"cache-control" not in present and not _is_asset(content_type):
                    extra.append(self.no_store)
                message["headers"] = [*headers, *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_asset(content_type: bytes) -> bool:
    """Scripts, styles and images may be cached; documents and data may not."""
    return content_type.startswith((b"text/css", b"text/javascript", b"application/javascript",
                                    b"image/"))
