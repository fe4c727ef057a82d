"""The app factory: settings, lifespan-owned pool, middleware, routers, API docs, static SPA."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount, Route
from starlette.types import Scope

from api.body_limit import BodyLimitMiddleware
from api.config import Settings, get_settings
from api.database import Database
from api.docs import add_docs
from api.errors import (
    MethodNotAllowed,
    install_error_handlers,
    internal_error_response,
    problem_response,
)
from api.integrity import IntegrityMonitor
from api.ledger import Ledger
from api.notify import notifier_for
from api.observability import Metrics, RequestContextMiddleware, configure_logging
from api.openapi_problems import document_problems
from api.pending import PendingSweeper
from api.ratelimit import RateLimits
from api.routes import (
    accounts,
    admin,
    analytics,
    audit,
    auth,
    fraud,
    fx,
    notifications,
    operations,
    risk,
    transactions,
    users,
)
from api.security.pii import PiiCipher
from api.security.proxies import trust_forwarding_proxies
from api.security_headers import SecurityHeadersMiddleware

log = logging.getLogger("api")

DESCRIPTION = """
A thin async layer over a double-entry ledger kept in MariaDB/MySQL stored procedures.

* Authenticate with `POST /auth/login`, then send `Authorization: Bearer <access_token>`.
* Amounts are decimal strings with the currency's decimals (JOD 3, USD and EUR 2).
* Every money-moving POST needs an `Idempotency-Key` header.
* Errors are `application/problem+json` with a stable `code`.
"""


# The API's routers, in the order the OpenAPI document lists them.
ROUTERS = [module.router for module in (auth, users, accounts, transactions, fx, notifications,
                                          admin, audit, fraud, analytics, risk, operations)]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; nothing connects until the lifespan starts."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    metrics = Metrics()
    app = FastAPI(title="Bank API", version="0.1.0", description=DESCRIPTION,
                  lifespan=_lifespan(settings, metrics), docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.rate_limits = RateLimits(settings)
    app.state.pii = PiiCipher.from_settings(settings)

    install_error_handlers(app)
    app.add_exception_handler(405, _method_not_allowed)
    _add_middleware(app, settings, metrics)
    for router in ROUTERS:
        app.include_router(router)
    app.state.api_routers = ROUTERS  # read by _routes()
    add_docs(app)
    document_problems(app, routes=lambda: _routes(app))
    if settings.frontend_dir.is_dir():
        app.routes.append(_Fallback("/", StaticFiles(directory=settings.frontend_dir, html=True),
                                    name="frontend"))
    return app


def _lifespan(
    settings: Settings, metrics: Metrics
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The pool, the ledger, the integrity monitor and the pending sweep live with the server."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Starts even when the database is down: it connects in the background.
        database = Database(settings, metrics)
        await database.start()
        app.state.ledger = Ledger(database, metrics=metrics,
                                  retry_attempts=settings.db_retry_attempts)
        app.state.notifier = notifier_for(settings, app.state.ledger)
        app.state.integrity = IntegrityMonitor(app.state.ledger, settings, metrics)
        app.state.integrity.start()
        app.state.pending_sweeper = PendingSweeper(app.state.ledger, settings)
        app.state.pending_sweeper.start()
        try:
            yield
        finally:
            await app.state.pending_sweeper.stop()
            await app.state.integrity.stop()
            await app.state.rate_limits.close()
            await database.close()

    return lifespan


def _add_middleware(app: FastAPI, settings: Settings, metrics: Metrics) -> None:
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


def app_factory() -> FastAPI:
    """Entry point for `uvicorn --factory api.main:app_factory`."""
    return create_app()
