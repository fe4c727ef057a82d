"""Forwarding headers (X-Forwarded-For, X-Forwarded-Proto) from trusted proxies only.

Per-address rate limits and lockouts key on the client address, so a header any
client can send must not choose it. uvicorn believes these headers from 127.0.0.1 by
default: serve with `--no-proxy-headers` and let BANK_TRUSTED_PROXIES name the proxies.
"""

from __future__ import annotations

import ipaddress
import re

from fastapi import FastAPI, Request
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.config import Settings

_COUNTRY = re.compile(r"^[A-Z]{2}$")
# Codes proxies send for "no country": unknown (XX) and Tor (T1), which has no country.
_NO_COUNTRY = frozenset({"XX", "T1"})


def trust_forwarding_proxies(app: FastAPI, settings: Settings) -> None:
    """Apply forwarding headers from BANK_TRUSTED_PROXIES (addresses or networks); else none."""
    if settings.trusted_proxy_list:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list)
        app.add_middleware(_RecordPeer)  # outside it: the peer before forwarding applies


class _RecordPeer:
    """Keep the connection's own peer address (request.state.peer) for trust decisions."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            client = scope.get("client")
            scope.setdefault("state", {})["peer"] = client[0] if client else None
        await self.app(scope, receive, send)


def _is_trusted(peer: str | None, settings: Settings) -> bool:
    if peer is None:
        return False
    for item in settings.trusted_proxy_list:
        if item in ("*", peer):
            return True
        try:
            if ipaddress.ip_address(peer) in ipaddress.ip_network(item, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_country(request: Request, settings: Settings) -> str | None:
    """The client's country from BANK_COUNTRY_HEADER, only when a trusted proxy sent it."""
    if not settings.country_header or not settings.trusted_proxy_list:
        return None
    if not _is_trusted(getattr(request.state, "peer", None), settings):
        return None
    value = (request.headers.get(settings.country_header) or "").strip().upper()
    return value if _COUNTRY.match(value) and value not in _NO_COUNTRY else None
