"""/health, /ready and /metrics: what load balancers, orchestrators and scrapers ask."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.config import SCHEMA_FILE_PATTERN, Settings
from api.errors import ServiceUnavailable
from api.ledger import Ledger
from api.metrics_access import require_scraper
from api.observability import Metrics
from api.schemas.operations import HealthResponse, ReadyResponse

router = APIRouter(tags=["operations"])

# The versioned schema files /ready expects to find applied.


@router.get("/health", response_model=HealthResponse)
async def health() -> HealthResponse:
    """Liveness: the process is up (no database call)."""
    return HealthResponse(status="ok")


@router.get("/ready", response_model=ReadyResponse,
            responses={503: {"description": "Database unreachable or migrations pending"}})
async def ready(request: Request) -> ReadyResponse:
    """Readiness: the database answers and every schema/NN_*.sql file is applied."""
    ledger: Ledger = request.app.state.ledger
    settings: Settings = request.app.state.settings
    rows = await ledger.database.probe()  # its own connection and deadline: never the pool
    if not ledger.database.is_up:
        raise ledger.database.unavailable()
    expected = sorted(p.name for p in settings.schema_dir.glob("*.sql")
                      if SCHEMA_FILE_PATTERN.match(p.name))
    applied = {str(row["version"]) for row in rows}
    pending = [name for name in expected if name not in applied]
    migrations: dict[str, Any] = {"applied": len(applied), "expected": len(expected),
                                  "pending": pending}
    if pending:
        raise ServiceUnavailable(f"{len(pending)} migration(s) pending: {', '.join(pending)}",
                                 details=migrations)
    return ReadyResponse(status="ready", database="ok", migrations=migrations,
                         integrity=request.app.state.integrity.summary())


@router.get("/metrics", response_class=Response, dependencies=[Depends(require_scraper)],
            responses={200: {"content": {"text/plain": {}}}})
async def prometheus_metrics(request: Request) -> Response:
    """Prometheus text format: requests and latency per route, transfers, pool usage."""
    metrics: Metrics = request.app.state.metrics
    ledger: Ledger | None = getattr(request.app.state, "ledger", None)
    if ledger is not None and ledger.pool is not None:
        metrics.pool_size.set(ledger.pool.size)
        metrics.pool_free.set(ledger.pool.freesize)
        metrics.pool_max.set(ledger.pool.maxsize)
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
