"""Request and response bodies. Money is Decimal in, decimal strings out (never a float)."""

from __future__ import annotations

import re
import sys
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
)

from api.ledger import Currency, Row
from api.security.usernames import RULE as USERNAME_RULE
from api.security.usernames import normalise_username

# -- amounts ----------------------------------------------------------------------------
# One grammar for every amount, in bodies and in queries: ASCII digits, at most
# AMOUNT_INTEGER_DIGITS before the point and 4 after it; no sign, no spaces, no underscores,
# no exponent, no other script's digits. The bound is the ledger's (fn_amount_error: below
# 10^13; the batch procedure's pattern says the same, and a test keeps the three agreeing).
# The procedure then refuses more decimals than the currency has (INVALID_AMOUNT) and more
# than the currency's max_amount (AMOUNT_OUT_OF_RANGE).
AMOUNT_INTEGER_DIGITS = 13
AMOUNT_PATTERN = rf"^[0-9]{{1,{AMOUNT_INTEGER_DIGITS}}}(\.[0-9]{{1,4}})?$"
_AMOUNT = re.compile(AMOUNT_PATTERN, re.ASCII)
# A JSON number arrives as a float; beyond 15 significant digits its shortest decimal form
# may no longer be the digits the client wrote, so such amounts must be sent as strings.
_EXACT_FLOAT_DIGITS = sys.float_info.dig


def _parse_amount(value: Any) -> Decimal:
    """The amount a client sent (a decimal string, a JSON integer or an exact JSON decimal)."""
    if isinstance(value, bool):
        raise ValueError("an amount is a decimal string such as \"100.50\"")
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = repr(value)
        if text.endswith(".0"):
            text = text[:-2]
        digits = len(text.replace(".", "").lstrip("0"))
        if digits > _EXACT_FLOAT_DIGITS:
            raise ValueError("send amounts with more than 15 significant digits as strings")
    elif isinstance(value, Decimal):
        text = format(value, "f")
    elif isinstance(value, str):
        text = value
    else:
        raise ValueError("an amount is a decimal string such as \"100.50\"")
    if not _AMOUNT.fullmatch(text):
        raise ValueError("an amount is ASCII digits with an optional point and up to 4 decimals, "
                         f"at most {AMOUNT_INTEGER_DIGITS} digits before the point, no sign, "
                         "spaces or exponent")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:  # unreachable after the pattern; kept as a guard
        raise ValueError("not a decimal amount") from exc
    if amount <= 0:
        raise ValueError("an amount must be greater than zero")
    return amount


Amount = Annotated[
    Decimal,
    BeforeValidator(_parse_amount),
    WithJsonSchema({
        "anyOf": [
            {"type": "string", "pattern": AMOUNT_PATTERN,
             "maxLength": AMOUNT_INTEGER_DIGITS + 5},
            {"type": "number", "exclusiveMinimum": 0,
             "maximum": 10**AMOUNT_INTEGER_DIGITS - 1},
        ],
        "description": f"A positive decimal: up to {AMOUNT_INTEGER_DIGITS} digits, a point "
                       "and up to 4 decimals "
                       "(no more than the currency has). Send it as a string; JSON numbers "
                       "are accepted when they have at most 15 significant digits.",
        "examples": ["100.000"],
    }),
]

# -- text -------------------------------------------------------------------------------
# Free text is shown to other people (a transfer's description reaches the payee), so it
# may not hold what changes how the text around it is displayed: control characters (Cc),
# format characters (Cf: bidi overrides and isolates U+202A-202E/U+2066-2069, zero-width
# spaces, BOM, ...), surrogates, and line/paragraph separators. Emoji keep working: ZWJ
# (U+200D, a family, the rainbow flag) and the tag characters U+E0020-E007F (the flags
# of England, Scotland and Wales) stay allowed.
_ALLOWED_FORMAT = {"\u200d", *map(chr, range(0xE0020, 0xE0080))}
_FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


# Planes 0, 1 and 14 hold every such character; the rest are letters, private use or unassigned.
_PLANES_WITH_FORMAT_CHARACTERS = (*range(0x0, 0x20000), *range(0xE0000, 0xE1000))


def _forbidden_ranges() -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for code in _PLANES_WITH_FORMAT_CHARACTERS:
        char = chr(code)
        if unicodedata.category(char) in _FORBIDDEN_CATEGORIES and char not in _ALLOWED_FORMAT:
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return ranges


def _escape(code: int) -> str:
    # Characters beyond the BMP are written as themselves: JSON Schema tools disagree on
    # how to escape them (ECMA-262 has no \U).
    return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)


def _char_class(ranges: list[tuple[int, int]]) -> str:
    return "".join(_escape(lo) if lo == hi else f"{_escape(lo)}-{_escape(hi)}"
                   for lo, hi in ranges)


_FORBIDDEN = _forbidden_ranges()
_UNSAFE_CHAR = re.compile(f"[{_char_class(_FORBIDDEN)}]")
# Surrogates cannot be written in a schema pattern (UTF-8 regex engines refuse them) and
# cannot arrive as UTF-8 either; only a JSON `\ud800` escape makes one, and the
# validator refuses it.
SAFE_TEXT_PATTERN = "^[^" + _char_class(
    [(lo, hi) for lo, hi in _FORBIDDEN if not 0xD800 <= lo <= 0xDFFF]) + "]*$"


def _refuse_unsafe_characters(value: str) -> str:
    found = _UNSAFE_CHAR.search(value)
    if found is not None:
        raise ValueError(f"contains U+{ord(found.group()):04X} "
                         f"({unicodedata.name(found.group(), 'a control character')}), "
                         "a control or text-direction character that is not allowed")
    return value


# Use SafeText for every free-text field a person types and another person may see.
# The pattern is stated in the schema (for clients and fuzzers); the validator enforces it
# and names the offending character.
SafeText = Annotated[str, AfterValidator(_refuse_unsafe_characters),
                     Field(json_schema_extra={"pattern": SAFE_TEXT_PATTERN})]

# -- instants ---------------------------------------------------------------------------
# Query instants are ISO 8601 with a zone (never a Unix number), between 1970 and 9999 UTC.
# RFC 3339 date-time, the `format` the schema states.
_ISO_INSTANT = re.compile(
    r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$",
    re.ASCII | re.IGNORECASE)


def _parse_instant(value: Any) -> datetime:
    """A client's instant as the naive UTC datetime the database compares with."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and (match := _ISO_INSTANT.fullmatch(value)):
        day, time_of_day, fraction, zone = match.groups()
        fraction = (fraction or "")[:7]  # microseconds: the database keeps DATETIME(6)
        zone = "+00:00" if zone.upper() == "Z" else zone
        try:
            parsed = datetime.fromisoformat(f"{day}T{time_of_day}{fraction}{zone}")
        except ValueError as exc:
            raise ValueError("not a valid date and time") from exc
    else:
        raise ValueError("an instant is ISO 8601 with a zone, e.g. 2026-01-31T23:59:59Z")
    if parsed.tzinfo is None:
        raise ValueError("an instant needs a zone (Z or +hh:mm)")
    try:
        as_utc = parsed.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("the instant is out of range (1970..9999 UTC)") from exc
    if as_utc.year < 1970:
        raise ValueError("the instant is out of range (1970..9999 UTC)")
    return as_utc.replace(tzinfo=None)


Instant = Annotated[
    datetime,
    BeforeValidator(_parse_instant),
    WithJsonSchema({"type": "string", "format": "date-time",
                    "description": "RFC 3339 (ISO 8601 with a zone), 1970..9999 UTC",
                    "examples": ["2026-01-31T23:59:59Z"]}),
]

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
AccountNumber = Annotated[str, Field(min_length=1, max_length=34, pattern=r"^[A-Za-z0-9-]+$")]
Description = Annotated[SafeText, Field(max_length=255)]
Pin = Annotated[str, Field(pattern=r"^[0-9]{4,6}$")]
# Checked and normalised by api.security.usernames (one rule); the pattern documents it.
Username = Annotated[str, Field(
    min_length=3, max_length=64, description=USERNAME_RULE,
    json_schema_extra={"pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]{2,31}$"})]
Password = Annotated[str, Field(min_length=1, max_length=128)]
# A password being chosen: the schema states the policy's real bounds (10 characters, 72
# bytes of UTF-8, bcrypt's limit); api/security/passwords.py enforces them with a clear
# WEAK_PASSWORD reason, so they are only documented here.
NewPassword = Annotated[str, Field(min_length=1, max_length=128, json_schema_extra={
    "minLength": 10, "maxLength": 72,
    "description": "At least 10 characters and at most 72 bytes in UTF-8; not a common password"})]
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
FullName = Annotated[SafeText, Field(min_length=1, max_length=200)]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9][0-9 ()-]{5,19}$")]


def _calendar_date_text(value: Any) -> Any:
    # pydantic would read a number as a Unix time (0 -> 1970-01-01): dates are text only.
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return value
    raise ValueError("must be a calendar date written YYYY-MM-DD")


def _past_date(value: date) -> date:
    if value >= date.today() or value.year < 1900:
        raise ValueError("date_of_birth must be a past date after 1900")
    return value


DateOfBirth = Annotated[date, BeforeValidator(_calendar_date_text), AfterValidator(_past_date)]
AccountType = Literal["savings", "checking", "wallet", "fixed_deposit"]
CurrencyCode = Annotated[str, Field(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$",
                                    examples=["JOD"])]
TransactionType = Literal["deposit", "withdrawal", "transfer", "batch", "reversal",
                          "bill_payment", "interest", "fee"]
TransactionStatus = Literal["completed", "pending_otp", "pending_review", "rejected",
                            "reversed", "failed"]


class Body(BaseModel):
    """Request bodies refuse unknown fields: a typo must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")


def utc(value: datetime | None) -> datetime | None:
    """The database keeps naive UTC (every session runs with time_zone '+00:00')."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def money(value: Decimal | None, currency: Currency | None) -> str | None:
    if value is None:
        return None
    if currency is None:
        return str(value)
    return str(currency.quantize(Decimal(value)))


# -- auth and users ---------------------------------------------------------------------


class RegisterRequest(Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "username": "sample.customer", "password": "correct horse battery",
        "email": "sample.customer@example.com", "full_name": "Sample Customer",
        "date_of_birth": "1990-04-01", "phone": "+962790000000"}]})

    username: Username
    password: NewPassword
    email: Email
    full_name: FullName
    date_of_birth: DateOfBirth
    phone: Phone | None = None

    @field_validator("username")
    @classmethod
    def _normalised(cls, value: str) -> str:
        return normalise_username(value)


class LoginRequest(Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"username": "sample.customer", "password": "correct horse battery"}]})

    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Password


class LoginVerifyRequest(Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"challenge_id": "eyJhbGciOiJIUzI1NiIs...", "code": "123456"}]})

    challenge_id: Annotated[str, Field(min_length=1, max_length=2048)]
    code: Annotated[str, Field(pattern=r"^[0-9]{6}$")]


class RefreshRequest(Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"refresh_token": "4d1c0Ffq2b7yN0m5oVh3xJm8c5y6M5n1kZrJ0p9Q2s8"}]})

    refresh_token: Annotated[str, Field(min_length=1, max_length=256)]


class LogoutRequest(Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"refresh_token": "4d1c0Ffq2b7yN0m5oVh3xJm8c5y6M5n1kZrJ0p9Q2s8"}]})

    refresh_token: Annotated[str, Field(min_length=1, max_length=256)] | None = None


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    mfa_required: Literal[False] = False


class MfaChallengeResponse(BaseModel):
    mfa_required: Literal[True] = True
    challenge_id: str
    expires_in: int


class UserResponse(BaseModel):
    id: int
    username: str
    email: str | None = None
    full_name: str | None = None
    phone: str | None = None
    date_of_birth: date | None = None
    role: str
    status: str
    kyc_status: str
    mfa_enabled: bool
    pin_set: bool
    created_at: datetime | None = None


class ProfileUpdateRequest(Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"full_name": "Sample B. Customer", "email": "sample.b@example.com",
         "phone": "+962790000001"}]})

    full_name: FullName | None = None
    email: Email | None = None
    phone: Phone | None = None
    date_of_birth: DateOfBirth | None = None


class PinRequest(Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"pin": "4821", "current_password": "correct horse battery"}]})

    pin: Pin
    current_password: Password


class MfaSetupResponse(BaseModel):
    secret: str
    otpauth_uri: str


class MfaEnableRequest(Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"code": "123456"}]})

    code: Annotated[str, Field(pattern=r"^[0-9]{6}$")]


class MfaEnableResponse(BaseModel):
    mfa_enabled: bool


# -- accounts ---------------------------------------------------------------------------


class AccountCreateRequest(Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"account_type": "savings", "currency": "JOD"}]})

    account_type: AccountType
    currency: CurrencyCode


class AccountResponse(BaseModel):
    id: int
    account_number: str
    user_id: int
    account_type: str
    currency: str
    status: str
    balance: str
    available_balance: str
    held_amount: str
    overdraft_limit: str
    per_transaction_limit: str
    daily_limit: str
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def of(cls, row: Row, currencies: dict[str, Currency]) -> AccountResponse:
        cur = currencies.get(row["currency"])
        return cls(
            id=row["id"], account_number=row["account_number"], user_id=row["user_id"],
            account_type=row["account_type"], currency=row["currency"], status=row["status"],
            balance=money(row["balance"], cur) or "0",
            available_balance=money(row["available_balance"], cur) or "0",
            held_amount=money(row.get("held_amount") or Decimal(0), cur) or "0",
            overdraft_limit=money(row.get("overdraft_limit") or Decimal(0), cur) or "0",
            per_transaction_limit=money(row.get("per_transaction_limit") or Decimal(0), cur) or "0",
            daily_limit=money(row.get("daily_limit") or Decimal(0), cur) or "0",
            created_at=utc(row.get("created_at")), updated_at=utc(row.get("updated_at")),
        )


class BalanceResponse(BaseModel):
    account_id: int
    currency: str
    balance: str
    available_balance: str
    as_of: datetime | None

    @classmethod
    def of(cls, row: Row, currencies: dict[str, Currency]) -> BalanceResponse:
        cur = currencies.get(row["currency"])
        return cls(account_id=row["account_id"], currency=row["currency"],
                   balance=money(row["balance"], cur) or "0",
                   available_balance=money(row["available_balance"], cur) or "0",
                   as_of=utc(row.get("as_of")))


class StatementEntry(BaseModel):
    entry_id: int
    transaction_id: int
    reference: str | None
    type: str | None
    description: str | None
    amount: str
    balance_after: str
    created_at: datetime | None


class StatementResponse(BaseModel):
    account_id: int
    account_number: str
    currency: str
    period_from: datetime | None
    period_to: datetime | None
    opening_balance: str
    closing_balance: str
    entries: list[StatementEntry]
    next_cursor: str | None

    @classmethod
    def of(cls, header: Row, entries: list[Row], next_cursor: str | None,
           currencies: dict[str, Currency]) -> StatementResponse:
        cur = currencies.get(header["currency"])
        return cls(
            account_id=header["account_id"], account_number=header["account_number"],
            currency=header["currency"], period_from=utc(header.get("period_from")),
            period_to=utc(header.get("period_to")),
            opening_balance=money(header["opening_balance"], cur) or "0",
            closing_balance=money(header["closing_balance"], cur) or "0",
            entries=[StatementEntry(
                entry_id=e["entry_id"], transaction_id=e["transaction_id"],
                reference=e.get("reference"), type=e.get("type"),
                description=e.get("description"), amount=money(e["amount"], cur) or "0",
                balance_after=money(e["balance_after"], cur) or "0",
                created_at=utc(e.get("created_at"))) for e in entries],
            next_cursor=next_cursor,
        )


# -- money ------------------------------------------------------------------------------


class DepositRequest(Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"account_id": 7, "amount": "1000.000", "description": "salary"}]})

    account_id: Id
    amount: Amount
    description: Description | None = None


class WithdrawRequest(Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"account_id": 7, "amount": "50.000", "pin": "4821", "description": "ATM"}]})

    account_id: Id
    amount: Amount
    pin: Pin | None = None
    description: Description | None = None


class TransferRequest(Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"from_account_id": 7, "to_account_number": "100000000018", "amount": "100.000",
         "pin": "4821", "description": "rent"}]})

    from_account_id: Id
    to_account_number: AccountNumber
    amount: Amount
    pin: Pin | None = None
    description: Description | None = None


class BatchItem(Body):
    to_account_number: AccountNumber
    amount: Amount
    description: Description | None = None


class BatchTransferRequest(Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"from_account_id": 7, "description": "payroll", "transfers": [
            {"to_account_number": "100000000018", "amount": "250.000", "description": "May"},
            {"to_account_number": "100000000026", "amount": "310.500"}]}]})

    from_account_id: Id
    transfers: Annotated[list[BatchItem], Field(min_length=1, max_length=1000)]
    description: Description | None = None
    pin: Pin | None = None


class ReverseRequest(Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"reason": "duplicate posting"}]})

    reason: Annotated[SafeText, Field(min_length=1, max_length=255)]


class Risk(BaseModel):
    score: str | None = None
    verdict: str | None = None


class LedgerEntry(BaseModel):
    id: int
    account_id: int
    account_number: str | None
    amount: str
    currency: str
    balance_after: str | None
    entry_type: str
    created_at: datetime | None


class TransactionResponse(BaseModel):
    id: int
    reference: str
    type: str
    status: str
    amount: str
    currency: str
    fee: str
    from_account: str | None
    from_account_id: int | None
    to_account: str | None
    to_account_id: int | None
    target_amount: str | None = None
    target_currency: str | None = None
    fx_rate: str | None = None
    description: str | None = None
    parent_id: int | None = None
    reversal_of_id: int | None = None
    reversed_by_id: int | None = None
    is_high_value: bool = False
    created_at: datetime | None
    replayed: bool = False
    risk: Risk | None = None

    @classmethod
    def of(cls, row: Row, currencies: dict[str, Currency]) -> TransactionResponse:
        cur = currencies.get(row["currency"])
        target = currencies.get(row.get("target_currency") or "")
        fx_rate = row.get("fx_rate")
        risk = None
        if row.get("risk_score") is not None:
            risk = Risk(score=str(row["risk_score"]), verdict=row.get("risk_verdict"))
        return cls(
            id=row["id"], reference=row["reference"], type=row["type"], status=row["status"],
            amount=money(row["amount"], cur) or "0", currency=row["currency"],
            fee=money(row.get("fee") or Decimal(0), cur) or "0",
            from_account=row.get("from_account_number"), from_account_id=row.get("from_account_id"),
            to_account=row.get("to_account_number"), to_account_id=row.get("to_account_id"),
            target_amount=money(row.get("target_amount"), target),
            target_currency=row.get("target_currency"),
            fx_rate=None if fx_rate is None else str(fx_rate),
            description=row.get("description"), parent_id=row.get("parent_id"),
            reversal_of_id=row.get("reversal_of_id"), reversed_by_id=row.get("reversed_by_id"),
            is_high_value=bool(row.get("is_high_value")), created_at=utc(row.get("created_at")),
            replayed=bool(row.get("replayed")), risk=risk,
        )


class TransactionDetailResponse(TransactionResponse):
    entries: list[LedgerEntry]

    @classmethod
    def with_entries(cls, row: Row, entries: list[Row],
                     currencies: dict[str, Currency]) -> TransactionDetailResponse:
        base = TransactionResponse.of(row, currencies).model_dump()
        return cls(**base, entries=[LedgerEntry(
            id=e["id"], account_id=e["account_id"], account_number=e.get("account_number"),
            amount=money(e["amount"], currencies.get(e["currency"])) or "0",
            currency=e["currency"],
            balance_after=money(e.get("balance_after"), currencies.get(e["currency"])),
            entry_type=e.get("entry_type") or "principal", created_at=utc(e.get("created_at")),
        ) for e in entries])


class BatchTransferResponse(BaseModel):
    batch: TransactionResponse
    transfers: list[TransactionResponse]
    count: int
    total: str


class TransactionPage(BaseModel):
    items: list[TransactionResponse]
    next_cursor: str | None


class HealthResponse(BaseModel):
    status: str


class ReadyResponse(BaseModel):
    status: str
    database: str
    migrations: dict[str, Any]
    # The last background integrity check (vw_ledger_integrity_check), if one has run.
    integrity: dict[str, Any] | None = None
