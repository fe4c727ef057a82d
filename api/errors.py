"""Errors: a class for what Python raises or catches, one table for what procedures raise.

Python raises and catches these classes; the family bases (and ValidationFailed for 422)
also answer Starlette's own HTTP errors of their status, see `_HTTP_CLASSES`:

    BankError (500 INTERNAL_ERROR)
    ├── BadRequest (400) ── MalformedJson
    ├── Unauthorized (401) ── NotAuthenticated, InvalidToken, InvalidCredentials, MfaInvalid
    ├── Forbidden (403) ── PinRequired, PinInvalid, UserBlocked, WrongPassword
    ├── NotFound (404) ── AccountNotFound, TransactionNotFound
    ├── MethodNotAllowed (405)
    ├── Conflict (409)
    ├── PayloadTooLarge (413)
    ├── Unprocessable (422) ── ValidationFailed, WeakPassword, UnknownCurrency,
    │                          InvalidArgument, MfaCodeInvalid, MfaNotSetUp
    ├── Locked (423) ── LoginLocked, PinLocked
    ├── RateLimited (429) ── LoginThrottled
    ├── ServiceUnavailable (503) ── DatabaseBusy
    └── ProcedureError: any code of PROCEDURE_CODES, status and detail from its row

Stored procedures raise `SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'CODE: text'`;
`error_for_code` turns CODE into its class or, for a code only procedures raise, into a
`ProcedureError` built from its `PROCEDURE_CODES` row. A code lives in exactly one of the
two places, so each code has exactly one HTTP status. A message may end in values for the
problem body, ' [limit=10000.000; remaining=500.000; currency=JOD]' (fn_limit_detail): they
become members of the problem (`limit`, `remaining`, `currency`) and leave the detail.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.observability import current_request_id

log = logging.getLogger("api.errors")

PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class ProcedureCode:
    """A code only procedures raise: its HTTP status and the detail a client sees."""

    status: int
    default_detail: str
    # 404-style errors never echo the procedure's text: it must not reveal other people's data.
    pass_through_detail: bool = True

    def __post_init__(self) -> None:
        if self.status == 404 and self.pass_through_detail:
            raise ValueError("a 404 must not pass the procedure's text through")
        if self.status >= 500:
            raise ValueError("a 5xx is a class: it is logged, and a 503 sets Retry-After")


_ROW = ProcedureCode
PROCEDURE_CODES: dict[str, ProcedureCode] = {
    "SESSION_REVOKED": _ROW(401, "This session has ended; please log in again.", False),
    # A procedure was called for a person without naming their session (a caller bug).
    "SESSION_REQUIRED": _ROW(401, "This operation needs a signed-in session.", False),
    "INVALID_REFRESH_TOKEN": _ROW(401, "The refresh token is invalid or expired."),
    "REFRESH_TOKEN_REUSED": _ROW(
        401, "This refresh token was already used; the session has been revoked."),
    "MFA_CODE_REUSED": _ROW(401, "That code was already used; wait for the next one."),
    "KYC_REQUIRED": _ROW(
        403, "Money leaves an account only once its owner's identity is verified."),
    "USER_NOT_FOUND": _ROW(404, "User not found.", False),
    "HOLD_NOT_FOUND": _ROW(404, "Hold not found.", False),
    "NOTIFICATION_NOT_FOUND": _ROW(404, "Notification not found.", False),
    "FRAUD_ALERT_NOT_FOUND": _ROW(404, "Fraud alert not found.", False),
    "IDEMPOTENCY_CONFLICT": _ROW(
        409, "This Idempotency-Key was already used with a different request."),
    "ALREADY_REVERSED": _ROW(409, "The transaction has already been reversed."),
    "NOT_REVERSIBLE": _ROW(409, "The transaction cannot be reversed."),
    "USERNAME_TAKEN": _ROW(409, "That username is already registered."),
    "EMAIL_TAKEN": _ROW(409, "That email address is already registered."),
    "MFA_ALREADY_ENABLED": _ROW(409, "Two-factor authentication is already enabled."),
    "HOLD_NOT_ACTIVE": _ROW(409, "The hold was already released or captured."),
    "ACCOUNT_NOT_EMPTY": _ROW(
        409, "Move the balance out and release holds before closing the account."),
    "NO_CHANGE": _ROW(409, "It is already in that state; nothing was changed."),
    "ALERT_ALREADY_RESOLVED": _ROW(409, "The alert has already been resolved."),
    "TRANSACTION_NOT_PENDING": _ROW(
        409, "The transaction is not waiting for this step (already decided, or cancelled)."),
    "OTP_INVALID": _ROW(422, "The one-time code is not right."),
    "OTP_EXPIRED": _ROW(422, "The one-time code has expired; the transfer was cancelled."),
    "OTP_ATTEMPTS_EXCEEDED": _ROW(
        422, "The one-time code was wrong too many times; the transfer was cancelled."),
    "IMMUTABLE_RECORD": _ROW(409, "Ledger history and the audit log cannot be changed."),
    "INSUFFICIENT_FUNDS": _ROW(422, "Insufficient funds."),
    "REVERSAL_WOULD_OVERDRAW": _ROW(
        422, "The receiver no longer holds the money: the reversal would overdraw it."),
    "ACCOUNT_FROZEN": _ROW(422, "The account is frozen."),
    "ACCOUNT_CLOSED": _ROW(422, "The account is closed."),
    "LIMIT_EXCEEDED": _ROW(422, "The amount exceeds the per-transaction limit."),
    "DAILY_LIMIT_EXCEEDED": _ROW(422, "The amount exceeds the daily limit."),
    "DAILY_CREDIT_LIMIT_EXCEEDED": _ROW(422, "The receiving account cannot receive more today."),
    "INVALID_AMOUNT": _ROW(422, "The amount is not valid for this currency."),
    "AMOUNT_OUT_OF_RANGE": _ROW(
        422, "The amount is over the most one transaction may move in this currency."),
    "BALANCE_OUT_OF_RANGE": _ROW(
        422, "An account balance would leave its range; nothing was posted."),
    "CURRENCY_MISMATCH": _ROW(422, "The currencies do not match."),
    "SAME_ACCOUNT": _ROW(422, "Source and destination are the same account."),
    "FX_RATE_UNAVAILABLE": _ROW(422, "No exchange rate is available."),
    "FX_AMOUNT_TOO_SMALL": _ROW(
        422, "The amount is below the minimum for a currency conversion."),
    "USER_INACTIVE": _ROW(422, "The user is not active."),
    "INVALID_ACCOUNT_TYPE": _ROW(422, "Invalid account type."),
    "ACCOUNT_LIMIT_REACHED": _ROW(422, "You already hold the maximum number of open accounts."),
    "BATCH_EMPTY": _ROW(422, "A batch needs at least one transfer."),
    "BATCH_TOO_LARGE": _ROW(422, "A batch holds at most 1000 transfers."),
    "PIN_NOT_SET": _ROW(422, "No transaction PIN is set."),
    # The risk rules' HIGH level; the detail carries their reasons, the problem rule_points
    # and risk_decline_id.
    "RISK_DECLINED": _ROW(422, "The risk rules refused this payment."),
}
del _ROW

_BY_CODE: dict[str, type[BankError]] = {}


class BankError(Exception):
    """A failure with a stable code, an HTTP status and a client-safe detail."""

    status: int = 500
    code: str = "INTERNAL_ERROR"
    default_detail: str = "An unexpected error occurred."
    # 404-style errors never echo the procedure's text: it must not reveal other people's data.
    pass_through_detail: ClassVar[bool] = True

    def __init__(
        self,
        detail: str | None = None,
        *,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.detail = detail or self.default_detail
        self.details = details
        self.members: dict[str, str] = {}
        self.headers = headers or {}
        super().__init__(self.detail)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" in cls.__dict__:
            if cls.code in _BY_CODE or cls.code in PROCEDURE_CODES:
                raise TypeError(f"error code {cls.code} is defined twice")
            _BY_CODE[cls.code] = cls

    @property
    def title(self) -> str:
        return HTTPStatus(self.status).phrase


class ProcedureError(BankError):
    """A code only procedures raise: status and default detail come from its table row."""

    def __init__(self, code: str, detail: str | None = None) -> None:
        row = PROCEDURE_CODES[code]
        self.code, self.status, self.default_detail = code, row.status, row.default_detail
        super().__init__(detail if row.pass_through_detail else None)


class BadRequest(BankError):
    status, code, default_detail = 400, "BAD_REQUEST", "The request could not be understood."


class MalformedJson(BadRequest):
    code, default_detail = "MALFORMED_JSON", "The request body is not valid JSON."


class Unauthorized(BankError):
    status, code, default_detail = 401, "UNAUTHORIZED", "Authentication is required."


class NotAuthenticated(Unauthorized):
    code, default_detail = "NOT_AUTHENTICATED", "A bearer access token is required."


class InvalidToken(Unauthorized):
    code, default_detail = "INVALID_TOKEN", "The access token is invalid or expired."


class InvalidCredentials(Unauthorized):
    code, default_detail = "INVALID_CREDENTIALS", "Wrong username or password."


class MfaInvalid(Unauthorized):
    code, default_detail = "MFA_INVALID", "The one-time code or challenge is invalid."


class Forbidden(BankError):
    status, code, default_detail = 403, "FORBIDDEN", "You are not allowed to do this."


class PinRequired(Forbidden):
    code, default_detail = "PIN_REQUIRED", "Your transaction PIN is required for this operation."


class PinInvalid(Forbidden):
    code, default_detail = "PIN_INVALID", "The transaction PIN is wrong."


class UserBlocked(Forbidden):
    code, default_detail = "USER_BLOCKED", "This user is blocked; contact the bank."


class WrongPassword(Forbidden):
    code, default_detail = "WRONG_PASSWORD", "The current password is wrong."


class NotFound(BankError):
    status, code, default_detail = 404, "NOT_FOUND", "Not found."
    pass_through_detail = False


class AccountNotFound(NotFound):
    code, default_detail = "ACCOUNT_NOT_FOUND", "Account not found."


class TransactionNotFound(NotFound):
    code, default_detail = "TRANSACTION_NOT_FOUND", "Transaction not found."


class MethodNotAllowed(BankError):
    status, code, default_detail = 405, "METHOD_NOT_ALLOWED", "Method not allowed."


class Conflict(BankError):
    status, code, default_detail = 409, "CONFLICT", "The request conflicts with the current state."


class Locked(BankError):
    status, code, default_detail = 423, "LOCKED", "Temporarily locked."


class LoginLocked(Locked):
    code = "LOGIN_LOCKED"
    default_detail = "Too many failed logins from this address: try again later."


class PinLocked(Locked):
    code = "PIN_LOCKED"
    default_detail = "Too many wrong PINs: money movement is locked for 15 minutes."


class Unprocessable(BankError):
    status, code, default_detail = 422, "UNPROCESSABLE", "The request breaks a business rule."


class ValidationFailed(Unprocessable):
    """Not `ValidationError`: that is pydantic's exception and FastAPI's OpenAPI schema name."""

    code, default_detail = "VALIDATION_ERROR", "The request is not valid."


class WeakPassword(Unprocessable):
    code = "WEAK_PASSWORD"


class UnknownCurrency(Unprocessable):
    code, default_detail = "UNKNOWN_CURRENCY", "Unknown currency."


class InvalidArgument(Unprocessable):
    code, default_detail = "INVALID_ARGUMENT", "An argument is not valid."


class MfaCodeInvalid(Unprocessable):
    code, default_detail = "MFA_CODE_INVALID", "The code does not match the secret."


class MfaNotSetUp(Unprocessable):
    code, default_detail = "MFA_NOT_SET_UP", "Call /users/mfa/setup first."


class PayloadTooLarge(BankError):
    status, code, default_detail = 413, "PAYLOAD_TOO_LARGE", "The request body is too large."


class RateLimited(BankError):
    status, code, default_detail = 429, "RATE_LIMITED", "Too many requests; slow down."


class LoginThrottled(RateLimited):
    code = "LOGIN_THROTTLED"
    default_detail = ("This username is under attack: from a new address, wait before the "
                      "next attempt (your usual devices are not slowed).")


class ServiceUnavailable(BankError):
    """Every 503 tells the client when to retry (Retry-After), unless a caller says otherwise."""

    status, code, default_detail = 503, "SERVICE_UNAVAILABLE", "The service is unavailable."
    retry_after_seconds: ClassVar[int] = 2

    def __init__(self, detail: str | None = None, *, details: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        headers = {"Retry-After": str(self.retry_after_seconds), **(headers or {})}
        super().__init__(detail, details=details, headers=headers)


class DatabaseBusy(ServiceUnavailable):
    code, default_detail = "DATABASE_BUSY", "The ledger is busy; retry shortly."
    retry_after_seconds = 1


# The trailing values of a procedure's message: ' [name=value; name=value]'.
_MEMBERS = re.compile(r"\s*\[([a-z_]+=[^;\]]*(?:; [a-z_]+=[^;\]]*)*)\]\s*$")
# The members a procedure may add to a problem body (nothing else gets through).
PROBLEM_MEMBERS = frozenset({"limit", "remaining", "currency", "rule_points", "risk_decline_id"})


def error_for_code(code: str, text: str) -> BankError:
    """The exception for a procedure's `CODE: text` message (unknown codes are bugs: 500)."""
    members: dict[str, str] = {}
    found = _MEMBERS.search(text)
    if found:
        pairs = (item.split("=", 1) for item in found.group(1).split("; "))
        members = {name: value for name, value in pairs if name in PROBLEM_MEMBERS}
        text = text[:found.start()]
    detail = text.strip() or None
    cls = _BY_CODE.get(code)
    error: BankError
    if cls is not None:
        error = cls(detail) if cls.pass_through_detail else cls()
    elif code in PROCEDURE_CODES:
        error = ProcedureError(code, detail)
    else:
        log.error("unmapped procedure error code %s", code)
        return BankError()
    if detail is not None and error.detail == detail:
        error.members = members
    return error


def known_codes() -> dict[str, int]:
    """Every code and its HTTP status, classes and table alike (for docs and tests)."""
    codes = {code: cls.status for code, cls in _BY_CODE.items()}
    codes |= {code: row.status for code, row in PROCEDURE_CODES.items()}
    return dict(sorted(codes.items()))


def error_table_markdown() -> str:
    """Every code grouped by HTTP status (the README copy is checked by a test)."""
    by_status: dict[int, list[str]] = {}
    for code, status in known_codes().items():
        by_status.setdefault(status, []).append(f"`{code}`")
    lines = ["| status | codes |", "|---|---|"]
    lines += [f"| {status} | {', '.join(codes)} |" for status, codes in sorted(by_status.items())]
    return "\n".join(lines)


def problem_response(error: BankError) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:bank:problem:{error.code.lower().replace('_', '-')}",
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "code": error.code,
        "request_id": current_request_id(),
    }
    if error.details is not None:
        body["details"] = error.details
    body.update(error.members)
    return JSONResponse(body, status_code=error.status, headers=error.headers,
                        media_type=PROBLEM_JSON)


async def _bank_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BankError)
    # A 503 is logged where its cause is seen, once per state change (api.database).
    if exc.status >= 500 and not isinstance(exc, ServiceUnavailable):
        log.error("request failed: %s %s", exc.code, exc.detail)
    return problem_response(exc)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem_response(MalformedJson())
    # Never echo the input back: it may hold a password or a PIN.
    details = [
        {"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", "")),
         "type": str(e.get("type", ""))}
        for e in errors
    ]
    first = details[0] if details else {"loc": [], "msg": "invalid"}
    where = ".".join(p for p in first["loc"] if p not in {"body", "query", "path", "header"})
    return problem_response(ValidationFailed(f"{where or 'request'}: {first['msg']}",
                                             details=details))


_HTTP_CLASSES: dict[int, type[BankError]] = {
    400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound, 405: MethodNotAllowed,
    409: Conflict, 413: PayloadTooLarge, 422: ValidationFailed, 423: Locked, 429: RateLimited,
    503: ServiceUnavailable,
}


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    cls = _HTTP_CLASSES.get(exc.status_code)
    if cls is None:
        error: BankError = BankError()
        body = problem_response(error)
        body.status_code = exc.status_code
        return body
    error = cls(headers=dict(exc.headers or {}))
    return problem_response(error)


def internal_error_response() -> JSONResponse:
    """The 500 for an exception nothing handled (a bug): no detail beyond the request id."""
    return problem_response(BankError())


async def _unexpected_error(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return problem_response(BankError())


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(BankError, _bank_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
