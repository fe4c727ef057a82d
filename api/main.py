"""The app factory: settings, lifespan-owned pool, middleware, routers, static SPA."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.config import Settings, get_settings
from api.database import Database
from api.errors import ServiceUnavailable, install_error_handlers
from api.integrity import IntegrityMonitor
from api.ledger import Ledger
from api.observability import Metrics, RequestContextMiddleware, configure_logging
from api.ratelimit import RateLimits
from api.routes import accounts, auth, transactions, users
from api.schemas import HealthResponse, ReadyResponse
from api.security.pii import PiiCipher

log = logging.getLogger("api")

_SCHEMA_FILE = re.compile(r"^\d+_.*\.sql$")

DESCRIPTION = """
A thin async layer over a double-entry ledger kept in MariaDB/MySQL stored procedures.

* Authenticate with `POST /auth/login`, then send `Authorization: Bearer <access_token>`.
* Amounts are decimal strings with the currency's decimals (JOD 3, USD and EUR 2).
* Every money-moving POST needs an `Idempotency-Key` header.
* Errors are `application/problem+json` with a stable `code`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; nothing connects until the lifespan starts."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Starts even when the database is down: it connects in the background.
        database = Database(settings, metrics)
        await database.start()
        app.state.ledger = Ledger(database, metrics=metrics,
                                  retry_attempts=settings.db_retry_attempts)
        app.state.integrity = IntegrityMonitor(app.state.ledger, settings, metrics)
        app.state.integrity.start()
        try:
            yield
        finally:
            await app.state.integrity.stop()
            await database.close()

    app = FastAPI(
        title="Bank API",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        responses={429: {"description": "Rate limited (see Retry-After)"}},
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.rate_limits = RateLimits(settings)
    app.state.pii = PiiCipher(settings.pii_key)

    install_error_handlers(app)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID"],
        expose_headers=["X-Request-ID", "Retry-After", "Idempotency-Replayed"],
        max_age=600,
    )
    app.add_middleware(RequestContextMiddleware, metrics=metrics,
                       access_log_enabled=settings.access_log)

    for module in (auth, users, accounts, transactions):
        app.include_router(module.router)
    _add_operations(app, settings, metrics)
    _document_problems(app)
    if settings.frontend_dir.is_dir():
        app.mount("/", StaticFiles(directory=settings.frontend_dir, html=True), name="frontend")
    return app


def _add_operations(app: FastAPI, settings: Settings, metrics: Metrics) -> None:
    @app.get("/health", response_model=HealthResponse, tags=["operations"])
    async def health() -> HealthResponse:
        """Liveness: the process is up (no database call)."""
        return HealthResponse(status="ok")

    @app.get("/ready", response_model=ReadyResponse, tags=["operations"],
             responses={503: {"description": "Database unreachable or migrations pending"}})
    async def ready(request: Request) -> ReadyResponse:
        """Readiness: the database answers and every schema/NN_*.sql file is applied."""
        ledger: Ledger = request.app.state.ledger
        rows = await ledger.database.probe()  # its own connection and deadline: never the pool
        if not ledger.database.is_up:
            raise ledger.database.unavailable()
        expected = sorted(p.name for p in settings.schema_dir.glob("*.sql")
                          if _SCHEMA_FILE.match(p.name))
        applied = _applied_files(rows)
        pending = [name for name in expected if name not in applied]
        migrations: dict[str, Any] = {"applied": len(applied), "expected": len(expected),
                                      "pending": pending}
        if pending:
            raise ServiceUnavailable(f"{len(pending)} migration(s) pending: {', '.join(pending)}",
                                     details=migrations)
        return ReadyResponse(status="ready", database="ok", migrations=migrations,
                             integrity=request.app.state.integrity.summary())

    @app.get("/metrics", tags=["operations"], response_class=Response,
             responses={200: {"content": {"text/plain": {}}}})
    async def prometheus_metrics(request: Request) -> Response:
        """Prometheus text format: requests and latency per route, transfers, pool usage."""
        ledger: Ledger | None = getattr(request.app.state, "ledger", None)
        if ledger is not None and ledger.pool is not None:
            metrics.pool_size.set(ledger.pool.size)
            metrics.pool_free.set(ledger.pool.freesize)
            metrics.pool_max.set(ledger.pool.maxsize)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


_PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "examples": ["INSUFFICIENT_FUNDS"]},
        "request_id": {"type": ["string", "null"]},
        "details": {},
    },
}
_PROBLEM_STATUSES = {
    "400": "Malformed request", "401": "No, invalid or expired token, or the session ended",
    "403": "Authenticated but not allowed (role, PIN)", "404": "Not found, or not yours",
    "409": "Conflict (Idempotency-Key reuse, state)", "422": "Validation or business rule",
    "423": "Locked (login or PIN lockout)", "429": "Rate limited; see Retry-After",
    "503": "Database unavailable or busy",
}


def _document_problems(app: FastAPI) -> None:
    """Every operation documents its problem+json answers (replacing FastAPI's 422 model)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description,
                             routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = _PROBLEM_SCHEMA
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                responses = operation.setdefault("responses", {})
                for status_code, description in _PROBLEM_STATUSES.items():
                    responses[status_code] = {"description": description, "content": problem}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _applied_files(rows: list[dict[str, Any]]) -> set[str]:
    """The schema file names in schema_migrations, whichever column the migrator keeps them in."""
    names: set[str] = set()
    for row in rows:
        for value in row.values():
            if isinstance(value, str) and value.endswith(".sql"):
                names.add(value.rsplit("/", 1)[-1])
    return names


def app_factory() -> FastAPI:
    """Entry point for `uvicorn --factory api.main:app_factory`."""
    return create_app()
