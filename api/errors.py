"""The exception tree and the one handler that renders it as RFC 9457 problem+json.

    BankError (500 INTERNAL_ERROR)
    ├── BadRequest (400) ── MalformedJson
    ├── Unauthorized (401) ── NotAuthenticated, InvalidCredentials, InvalidToken,
    │                         SessionRevoked, SessionRequired, InvalidRefreshToken,
    │                         RefreshTokenReused, MfaInvalid, MfaCodeReused
    ├── Forbidden (403) ── PinRequired, PinInvalid, UserBlocked,
    │                      WrongPassword, KycRequired
    ├── NotFound (404) ── AccountNotFound, TransactionNotFound, UserNotFound,
    │                     HoldNotFound
    ├── MethodNotAllowed (405)
    ├── Conflict (409) ── IdempotencyConflict, AlreadyReversed, NotReversible,
    │                     UsernameTaken, EmailTaken, MfaAlreadyEnabled, HoldNotActive,
    │                     AccountNotEmpty, ImmutableRecord
    ├── Locked (423) ── LoginLocked, PinLocked
    ├── Unprocessable (422) ── ValidationFailed, WeakPassword, InsufficientFunds,
    │       AccountFrozen, AccountClosed, LimitExceeded, DailyLimitExceeded,
    │       InvalidAmount, UnknownCurrency, CurrencyMismatch, SameAccount,
    │       FxRateUnavailable, UserInactive, InvalidAccountType, BatchEmpty,
    │       BatchTooLarge, InvalidArgument, PinNotSet, MfaNotSetUp,
    │       MfaCodeRejected, AccountLimitReached, AmountOutOfRange, BalanceOutOfRange,
    │       DailyCreditLimitExceeded, FxAmountTooSmall
    ├── PayloadTooLarge (413)
    ├── RateLimited (429) ── LoginThrottled
    └── ServiceUnavailable (503) ── DatabaseBusy

Stored procedures raise `SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'CODE: text'`;
`error_for_code` turns CODE into its class, so each code has exactly one HTTP status.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.observability import current_request_id

log = logging.getLogger("api.errors")

PROBLEM_JSON = "application/problem+json"

_BY_CODE: dict[str, type[BankError]] = {}


class BankError(Exception):
    """A failure with a stable code, an HTTP status and a client-safe detail."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "INTERNAL_ERROR"
    default_detail: ClassVar[str] = "An unexpected error occurred."
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
        self.headers = headers or {}
        super().__init__(self.detail)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" in cls.__dict__:
            _BY_CODE[cls.code] = cls

    @property
    def title(self) -> str:
        return HTTPStatus(self.status).phrase


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


class SessionRevoked(Unauthorized):
    code, default_detail = "SESSION_REVOKED", "This session has ended; please log in again."
    pass_through_detail = False


class SessionRequired(Unauthorized):
    """A procedure was called for a person without naming their session (a caller bug)."""

    code, default_detail = "SESSION_REQUIRED", "This operation needs a signed-in session."
    pass_through_detail = False


class InvalidRefreshToken(Unauthorized):
    code, default_detail = "INVALID_REFRESH_TOKEN", "The refresh token is invalid or expired."


class RefreshTokenReused(Unauthorized):
    code = "REFRESH_TOKEN_REUSED"
    default_detail = "This refresh token was already used; the session has been revoked."


class MfaInvalid(Unauthorized):
    code, default_detail = "MFA_INVALID", "The one-time code or challenge is invalid."


class MfaCodeReused(Unauthorized):
    code, default_detail = "MFA_CODE_REUSED", "That code was already used; wait for the next one."


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


class KycRequired(Forbidden):
    code = "KYC_REQUIRED"
    default_detail = "Money leaves an account only once its owner's identity is verified."


class NotFound(BankError):
    status, code, default_detail = 404, "NOT_FOUND", "Not found."
    pass_through_detail = False


class AccountNotFound(NotFound):
    code, default_detail = "ACCOUNT_NOT_FOUND", "Account not found."


class TransactionNotFound(NotFound):
    code, default_detail = "TRANSACTION_NOT_FOUND", "Transaction not found."


class UserNotFound(NotFound):
    code, default_detail = "USER_NOT_FOUND", "User not found."


class HoldNotFound(NotFound):
    code, default_detail = "HOLD_NOT_FOUND", "Hold not found."


class MethodNotAllowed(BankError):
    status, code, default_detail = 405, "METHOD_NOT_ALLOWED", "Method not allowed."


class Conflict(BankError):
    status, code, default_detail = 409, "CONFLICT", "The request conflicts with the current state."


class IdempotencyConflict(Conflict):
    code = "IDEMPOTENCY_CONFLICT"
    default_detail = "This Idempotency-Key was already used with a different request."


class AlreadyReversed(Conflict):
    code, default_detail = "ALREADY_REVERSED", "The transaction has already been reversed."


class NotReversible(Conflict):
    code, default_detail = "NOT_REVERSIBLE", "The transaction cannot be reversed."


class UsernameTaken(Conflict):
    code, default_detail = "USERNAME_TAKEN", "That username is already registered."


class EmailTaken(Conflict):
    code, default_detail = "EMAIL_TAKEN", "That email address is already registered."


class MfaAlreadyEnabled(Conflict):
    code, default_detail = "MFA_ALREADY_ENABLED", "Two-factor authentication is already enabled."


class HoldNotActive(Conflict):
    code, default_detail = "HOLD_NOT_ACTIVE", "The hold was already released or captured."


class AccountNotEmpty(Conflict):
    code = "ACCOUNT_NOT_EMPTY"
    default_detail = "Move the balance out and release holds before closing the account."


class ImmutableRecord(Conflict):
    code, default_detail = "IMMUTABLE_RECORD", "Ledger history and the audit log cannot be changed."


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
    code, default_detail = "VALIDATION_ERROR", "The request is not valid."


class WeakPassword(Unprocessable):
    code = "WEAK_PASSWORD"


class InsufficientFunds(Unprocessable):
    code, default_detail = "INSUFFICIENT_FUNDS", "Insufficient funds."


class AccountFrozen(Unprocessable):
    code, default_detail = "ACCOUNT_FROZEN", "The account is frozen."


class AccountClosed(Unprocessable):
    code, default_detail = "ACCOUNT_CLOSED", "The account is closed."


class LimitExceeded(Unprocessable):
    code, default_detail = "LIMIT_EXCEEDED", "The amount exceeds the per-transaction limit."


class DailyLimitExceeded(Unprocessable):
    code, default_detail = "DAILY_LIMIT_EXCEEDED", "The amount exceeds the daily limit."


class InvalidAmount(Unprocessable):
    code, default_detail = "INVALID_AMOUNT", "The amount is not valid for this currency."


class UnknownCurrency(Unprocessable):
    code, default_detail = "UNKNOWN_CURRENCY", "Unknown currency."


class CurrencyMismatch(Unprocessable):
    code, default_detail = "CURRENCY_MISMATCH", "The currencies do not match."


class SameAccount(Unprocessable):
    code, default_detail = "SAME_ACCOUNT", "Source and destination are the same account."


class FxRateUnavailable(Unprocessable):
    code, default_detail = "FX_RATE_UNAVAILABLE", "No exchange rate is available."


class UserInactive(Unprocessable):
    code, default_detail = "USER_INACTIVE", "The user is not active."


class InvalidAccountType(Unprocessable):
    code, default_detail = "INVALID_ACCOUNT_TYPE", "Invalid account type."


class BatchEmpty(Unprocessable):
    code, default_detail = "BATCH_EMPTY", "A batch needs at least one transfer."


class BatchTooLarge(Unprocessable):
    code, default_detail = "BATCH_TOO_LARGE", "A batch holds at most 1000 transfers."


class InvalidArgument(Unprocessable):
    code, default_detail = "INVALID_ARGUMENT", "An argument is not valid."


class MfaCodeRejected(Unprocessable):
    code, default_detail = "MFA_CODE_INVALID", "The code does not match the secret."


class PinNotSet(Unprocessable):
    code, default_detail = "PIN_NOT_SET", "No transaction PIN is set."


class AccountLimitReached(Unprocessable):
    code = "ACCOUNT_LIMIT_REACHED"
    default_detail = "You already hold the maximum number of open accounts."


class PayloadTooLarge(BankError):
    status, code, default_detail = 413, "PAYLOAD_TOO_LARGE", "The request body is too large."


class MfaNotSetUp(Unprocessable):
    code, default_detail = "MFA_NOT_SET_UP", "Call /users/mfa/setup first."


class AmountOutOfRange(Unprocessable):
    code = "AMOUNT_OUT_OF_RANGE"
    default_detail = "The amount is over the most one transaction may move in this currency."


class BalanceOutOfRange(Unprocessable):
    code = "BALANCE_OUT_OF_RANGE"
    default_detail = "An account balance would leave its range; nothing was posted."


class DailyCreditLimitExceeded(Unprocessable):
    code = "DAILY_CREDIT_LIMIT_EXCEEDED"
    default_detail = "The receiving account cannot receive more today."


class FxAmountTooSmall(Unprocessable):
    code = "FX_AMOUNT_TOO_SMALL"
    default_detail = "The amount is below the minimum for a currency conversion."


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


def error_for_code(code: str, text: str) -> BankError:
    """The exception for a procedure's `CODE: text` message (unknown codes are bugs: 500)."""
    cls = _BY_CODE.get(code)
    if cls is None:
        log.error("unmapped procedure error code %s", code)
        return BankError()
    return cls(text.strip() or None) if cls.pass_through_detail else cls()


def known_codes() -> dict[str, int]:
    """Every code and its HTTP status (for docs and tests)."""
    return {code: cls.status for code, cls in sorted(_BY_CODE.items())}


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
