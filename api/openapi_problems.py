"""The problem+json answers of each operation in the OpenAPI document, and no others.

FastAPI documents a 422 validation model on every operation and nothing else. Here each
operation gets the statuses it can really answer, derived from what it depends on (a
token, an owned account, a rate limit, the database), its parameters and body, and what
its own code raises (`_ROUTE_PROBLEMS`); every one of them is an RFC 9457 `Problem`,
rendered by `api.errors.problem_response`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.routing import Route

from api import deps
from api.metrics_access import require_scraper

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
    ("POST", "/transactions/{transaction_id}/confirm"): {404, 409, 422},
    ("POST", "/transactions/{transaction_id}/approve"): {403, 404, 409, 422},
    ("POST", "/transactions/{transaction_id}/reject"): {403, 404, 409, 422},
    ("GET", "/admin/reviews"): {403},
    ("GET", "/admin/users"): {403, 422},
    ("GET", "/admin/accounts"): {403, 422},
    ("POST", "/admin/users/{user_id}/block"): {403, 404, 409, 422},
    ("POST", "/admin/users/{user_id}/unblock"): {403, 404, 409, 422},
    ("POST", "/admin/users/{user_id}/terminate-sessions"): {403, 404, 422},
    ("POST", "/admin/users/{user_id}/role"): {403, 404, 409, 422},
    ("POST", "/admin/users/{user_id}/kyc"): {403, 404, 409, 422},
    ("POST", "/admin/accounts/{account_id}/freeze"): {403, 404, 409, 422},
    ("POST", "/admin/accounts/{account_id}/unfreeze"): {403, 404, 409, 422},
    ("GET", "/audit/logs"): {403, 422},
    ("GET", "/fraud/alerts"): {403, 404, 422},
    ("POST", "/fraud/alerts/{alert_id}/resolve"): {403, 404, 409, 422},
    ("GET", "/fraud/stats"): {403},
    ("GET", "/analytics/risk-scores"): {403, 404, 422},
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
        name = getattr(call, "__name__", "")
        if name.startswith("limit_"):
            found.add(429)
        if name.startswith("require_"):  # deps.Require(permission)
            found |= {401, 403}
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


def document_problems(app: FastAPI, routes: Callable[[], Iterable[Route]]) -> None:
    """Replace `app.openapi` with one that documents each operation's problem answers.

    `routes` lists every endpoint route with its full path (those of included routers too).
    """

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
        for route in routes():
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
