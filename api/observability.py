"""Request ids, JSON logs and Prometheus metrics: one pure-ASGI middleware, no per-request I/O."""

from __future__ import annotations

import atexit
import json
import logging
import logging.handlers
import queue
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

access_log = logging.getLogger("api.access")
error_log = logging.getLogger("api.errors")


def current_request_id() -> str | None:
    return _request_id.get()


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request id of the request that logged it."""

    converter = time.gmtime  # type: ignore[assignment]

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            entry["request_id"] = request_id
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            entry.update(extra)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class _ContextQueueHandler(logging.handlers.QueueHandler):
    """Captures the request id before the record crosses to the writer thread."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        prepared: logging.LogRecord = super().prepare(record)
        return prepared


_listener: logging.handlers.QueueListener | None = None


def configure_logging(level: str) -> None:
    """JSON lines on stderr, written by a background thread so logging never blocks the loop."""
    global _listener
    if _listener is not None:
        return
    log_queue: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    stream = logging.StreamHandler()
    stream.setFormatter(JsonFormatter())
    _listener = logging.handlers.QueueListener(log_queue, stream, respect_handler_level=False)
    _listener.start()
    atexit.register(_listener.stop)
    handler = _ContextQueueHandler(log_queue)
    for name in ("api",):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False


class Metrics:
    """The service's Prometheus metrics, in their own registry (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total", "HTTP requests by route template and status",
            ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram(
            "http_request_duration_seconds", "HTTP request latency by route template",
            ["method", "route"], registry=self.registry,
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0))
        self.transactions = Counter(
            "bank_transactions_total", "Money-movement requests by type and outcome",
            ["type", "status"], registry=self.registry)
        self.db_retries = Counter(
            "bank_db_retries_total", "Procedure calls retried after a deadlock or lock wait",
            ["procedure"], registry=self.registry)
        self.pool_size = Gauge("bank_db_pool_connections", "Open database connections",
                               registry=self.registry)
        self.pool_free = Gauge("bank_db_pool_free_connections", "Idle database connections",
                               registry=self.registry)
        self.pool_max = Gauge("bank_db_pool_max_connections", "Pool capacity",
                              registry=self.registry)
        self.db_up = Gauge("bank_db_up", "1 while the database answers, else 0",
                           registry=self.registry)
        self.db_state_changes = Counter(
            "bank_db_state_changes_total", "Database state changes (up, down)", ["state"],
            registry=self.registry)
        self.db_unavailable = Counter(
            "bank_db_unavailable_total",
            "Calls answered 503 by the database layer, by reason", ["reason"],
            registry=self.registry)
        self.integrity_violations = Gauge(
            "bank_integrity_violations", "Rows found by the last integrity check",
            registry=self.registry)
        self.integrity_violations_found = Counter(
            "bank_integrity_violations_found_total", "Integrity rows found by all checks",
            registry=self.registry)
        self.integrity_last_check = Gauge(
            "bank_integrity_last_check_timestamp_seconds",
            "Unix time the last integrity check finished", ["kind"], registry=self.registry)


class RequestContextMiddleware:
    """Assigns the request id, echoes it, times the request and writes the access log.

    It also answers for an exception nothing else handled: with `internal_error()` (a
    problem+json 500 carrying the request id) instead of letting it reach the server,
    which would drop the client's keep-alive connection.
    """

    def __init__(self, app: ASGIApp, *, metrics: Metrics, access_log_enabled: bool,
                 internal_error: Callable[[], ASGIApp]) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log_enabled = access_log_enabled
        self.internal_error = internal_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                candidate = value.decode("latin-1")
                if _SAFE_REQUEST_ID.match(candidate):
                    request_id = candidate
                break
        request_id = request_id or uuid.uuid4().hex
        token = _request_id.set(request_id)
        raw_id = request_id.encode()
        status = 500
        responded = False
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status = message["status"]
                responded = True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", raw_id)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if responded:
                raise  # too late for a problem response; the server closes the connection
            error_log.exception("unhandled error")
            await self.internal_error()(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(elapsed)
            if self.access_log_enabled:
                access_log.info(
                    "request",
                    extra={"fields": {"method": method, "path": scope["path"], "route": template,
                                      "status": status, "ms": round(elapsed * 1000, 2)}})
            _request_id.reset(token)
