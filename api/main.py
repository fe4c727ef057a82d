"""The app factory: settings, lifespan-owned pool, middleware, routers, static SPA."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount, Route
from starlette.types import Scope

from api import deps
from api.body_limit import BodyLimitMiddleware
from api.config import Settings, get_settings
from api.database import Database
from api.docs import add_docs
from api.errors import (
    MethodNotAllowed,
    ServiceUnavailable,
    install_error_handlers,
    internal_error_response,
    problem_response,
)
from api.integrity import IntegrityMonitor
from api.ledger import Ledger
from api.metrics_access import require_scraper
from api.observability import Metrics, RequestContextMiddleware, configure_logging
from api.ratelimit import RateLimits
from api.routes import accounts, auth, transactions, users
from api.schemas import HealthResponse, ReadyResponse
from api.security.pii import PiiCipher
from api.security.proxies import trust_forwarding_proxies
from api.security_headers import SecurityHeadersMiddleware

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
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.rate_limits = RateLimits(settings)
    app.state.pii = PiiCipher(settings.pii_key)

    install_error_handlers(app)
    app.add_exception_handler(405, _method_not_allowed)
    # Middleware runs outermost last-added first: security headers, request id (and the
    # 500 for anything unhandled), the body cap, CORS, then the routes.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID"],
        expose_headers=["X-Request-ID", "Retry-After", "Idempotency-Replayed"],
        max_age=600,
    )
    app.add_middleware(BodyLimitMiddleware, default=settings.max_body_bytes,
                       per_path={"/transactions/batch": settings.max_batch_body_bytes})
    app.add_middleware(RequestContextMiddleware, metrics=metrics,
                       access_log_enabled=settings.access_log,
                       internal_error=internal_error_response)
    app.add_middleware(SecurityHeadersMiddleware,
                       hsts_max_age=settings.hsts_max_age if settings.hsts_enabled else None)
    trust_forwarding_proxies(app, settings)  # outermost: the client address comes first

    routers = [module.router for module in (auth, users, accounts, transactions)]
    for router in routers:
        app.include_router(router)
    app.state.api_routers = routers  # read by _routes()
    _add_operations(app, settings, metrics)
    add_docs(app)
    _document_problems(app)
    if settings.frontend_dir.is_dir():
        app.routes.append(_Fallback("/", StaticFiles(directory=settings.frontend_dir, html=True),
                                    name="frontend"))
    return app


def _routes(app: FastAPI) -> list[Route]:
    """Every endpoint route, those of the included routers too (full paths, prefix included).

    Read from the routers themselves: newer FastAPI versions keep included routers as
    one entry in `app.routes` instead of copying their routes in.
    """
    found: list[Route] = [r for r in app.routes if isinstance(r, Route)]
    for router in app.state.api_routers:
        found += [r for r in router.routes if isinstance(r, Route)]
    return found


class _Fallback(Mount):
    """The SPA's files, for GET and HEAD only, and only when no API route knows the path.

    Reporting a partial match lets an API route that matched the path with another
    method win (405 with Allow) instead of the static files (404); Starlette's router
    serves the first partial match when no route matches fully.
    """

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope.get("method") not in ("GET", "HEAD"):
            return Match.NONE, {}
        match, child = super().matches(scope)
        return (Match.PARTIAL if match is Match.FULL else match), child


async def _method_not_allowed(request: Request, exc: Exception) -> JSONResponse:
    """405 whose Allow header lists every method any route serves at this path."""
    assert isinstance(exc, StarletteHTTPException)
    allowed: set[str] = set()
    for route in _routes(request.app):
        if route.methods and route.path_regex.match(request.url.path):
            allowed |= route.methods
    headers = {"Allow": ", ".join(sorted(allowed))} if allowed else dict(exc.headers or {})
    return problem_response(MethodNotAllowed(headers=headers))


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
             dependencies=[Depends(require_scraper)],
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
    400: "Malformed request (the body is not JSON)",
    401: "No, invalid or expired token, or the session ended",
    403: "Authenticated but not allowed (role, PIN, blocked user)",
    404: "Not found, or not yours", 405: "Method not allowed (see Allow)",
    409: "Conflict (Idempotency-Key reuse, state)",
    413: "Request body too large", 422: "Validation or business rule",
    423: "Locked (login or PIN lockout); see Retry-After",
    429: "Rate limited; see Retry-After", 503: "Database unavailable or busy; see Retry-After",
}
# What a dependency can answer, wherever a route uses it (directly or through another).
_DEPENDENCY_PROBLEMS: dict[Any, set[int]] = {
    deps.token_claims: {401},
    deps.current_user: {401},
    deps.own_account: {401, 404},
    deps._ledger: {503},
    deps._currencies: {503},
    require_scraper: {401, 403},
}
# What route code raises beyond its dependencies (procedure errors, role checks), by route.
_ROUTE_PROBLEMS: dict[tuple[str, str], set[int]] = {
    ("POST", "/auth/register"): {409, 422},
    ("POST", "/auth/login"): {401, 403, 423},
    ("POST", "/auth/login/verify"): {401, 403, 423},
    ("POST", "/auth/refresh"): {401, 403},
    ("POST", "/auth/logout"): {401},
    ("PUT", "/users/profile"): {409, 422},
    ("PUT", "/users/pin"): {403, 423},
    ("POST", "/users/mfa/setup"): {409},
    ("POST", "/users/mfa/enable"): {409, 422},
    ("POST", "/accounts/"): {403, 404, 422},
    ("GET", "/transactions/history"): {404},
    ("GET", "/transactions/{transaction_id}"): {404},
    ("POST", "/transactions/{transaction_id}/reverse"): {403, 404, 409, 422},
}
# Every money-moving route (it takes an Idempotency-Key) shares these outcomes.
_MONEY_PROBLEMS = {403, 404, 409, 422, 423}


def _dependency_calls(dependant: Dependant) -> list[Any]:
    calls: list[Any] = []
    for sub in dependant.dependencies:
        calls.append(sub.call)
        calls.extend(_dependency_calls(sub))
    return calls


def _route_problems(route: APIRoute, method: str) -> set[int]:
    """The problem statuses one operation can answer, derived from what it depends on."""
    dependant = route.dependant
    calls = _dependency_calls(dependant)
    found: set[int] = set()
    for call in calls:
        found |= _DEPENDENCY_PROBLEMS.get(call, set())
        if getattr(call, "__name__", "").startswith("limit_"):
            found.add(429)
    params = [*dependant.path_params, *dependant.query_params, *dependant.header_params]
    for sub in dependant.dependencies:
        params += [*sub.path_params, *sub.query_params, *sub.header_params]
    if route.body_field is not None:
        found |= {400, 413, 422}
    if params:
        found.add(422)
    if dependant.path_params or any(sub.path_params for sub in dependant.dependencies):
        found.add(404)
    if any(p.alias == "Idempotency-Key" for p in params):
        found |= _MONEY_PROBLEMS
    found |= _ROUTE_PROBLEMS.get((method, route.path_format), set())
    found |= {int(code) for code in route.responses if str(code).isdigit() and int(code) >= 400}
    return found


def _document_problems(app: FastAPI) -> None:
    """Each operation documents the problem+json answers it can really give (and no others)."""

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
        paths = schema.get("paths", {})
        for route in _routes(app):
            if not isinstance(route, APIRoute) or route.path_format not in paths:
                continue
            for method in route.methods or ():
                operation = paths[route.path_format].get(method.lower())
                if operation is None:
                    continue
                responses = operation.setdefault("responses", {})
                responses.pop("422", None)  # FastAPI's own validation model; ours is Problem
                for status_code in sorted(_route_problems(route, method)):
                    described = responses.get(str(status_code), {})
                    responses[str(status_code)] = {
                        "description": described.get("description")
                        or _PROBLEM_STATUSES.get(status_code, "Problem"),
                        "content": problem}
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
