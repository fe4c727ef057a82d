"""Forwarding headers (X-Forwarded-For, X-Forwarded-Proto) from trusted proxies only.

Per-address rate limits and lockouts key on the client address, so a header any
client can send must not choose it. uvicorn believes these headers from 127.0.0.1 by
default: serve with `--no-proxy-headers` and let BANK_TRUSTED_PROXIES name the proxies.
"""

from __future__ import annotations

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.config import Settings


def trust_forwarding_proxies(app: FastAPI, settings: Settings) -> None:
    """Apply forwarding headers from BANK_TRUSTED_PROXIES (addresses or networks); else none."""
    if settings.trusted_proxy_list:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list)
