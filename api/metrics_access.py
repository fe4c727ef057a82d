"""Who may scrape /metrics: a bearer token when one is configured, else listed networks only.

The counters name routes, error codes and login failures, so they are not public.
With BANK_METRICS_TOKEN set, a scrape must send `Authorization: Bearer <token>` (401
otherwise), from any address. Without it, only clients in BANK_METRICS_NETWORKS
(loopback by default) may scrape (403 otherwise).
"""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import Request

from api.config import Settings
from api.errors import Forbidden, Unauthorized


async def require_scraper(request: Request) -> None:
    settings: Settings = request.app.state.settings
    if settings.metrics_token:
        sent = request.headers.get("authorization", "")
        scheme, _, token = sent.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
                token.strip().encode(), settings.metrics_token.encode()):
            raise Unauthorized("A metrics scrape token is required.",
                               headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        return
    host = request.client.host if request.client else ""
    if not _in_networks(host, settings.metrics_networks):
        raise Forbidden("Metrics are served to the configured scrapers only.")


def _in_networks(host: str, networks: list[str]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in networks)
