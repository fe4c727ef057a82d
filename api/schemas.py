"""Request and response bodies.

Requests refuse unknown fields and use the input grammar of api/fields.py. Responses are
validated from the procedures' rows (`Model.of(row, currencies)`): a row's columns are the
fields, and money fields are quantised to their currency (api/money.py) and written as
decimal strings, never floats.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from api.fields import (
    AccountNumber,
    AccountType,
    Amount,
    CurrencyCode,
    DateOfBirth,
    Description,
    Email,
    FullName,
    Id,
    Instant,
    NewPassword,
    Password,
    Phone,
    Pin,
    SafeText,
    Username,
)
from api.money import Currencies, Money, quantised
from api.security.usernames import normalise_username


class RequestModel(BaseModel):
    """Request bodies refuse unknown fields: a typo must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")


def _as_utc(value: datetime | None) -> datetime | None:
    """The database keeps naive UTC (every session runs with time_zone '+00:00')."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]


class FromRow(BaseModel):
    """A response validated from a procedure's row, its money in its currency's exponent.

    `money` names each money field and the field that holds its currency code; the
    currencies come in the validation context (`of`).
    """

    money: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def of(cls, row: Mapping[str, Any], currencies: Currencies) -> Self:
        return cls.model_validate(row, context={"currencies": currencies})

    @model_validator(mode="after")
    def _quantise(self, info: ValidationInfo) -> Self:
        currencies: Currencies = (info.context or {}).get("currencies", {})
        for field, currency_field in self.money.items():
            code = getattr(self, currency_field)
            setattr(self, field, quantised(getattr(self, field), currencies.get(code or "")))
        return self


# -- auth and users ---------------------------------------------------------------------


class RegisterRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
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


class LoginRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"username": "sample.customer", "password": "correct horse battery"}]})

    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Password


class LoginVerifyRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"challenge_id": "eyJhbGciOiJIUzI1NiIs...", "code": "123456"}]})

    challenge_id: Annotated[str, Field(min_length=1, max_length=2048)]
    code: Annotated[str, Field(pattern=r"^[0-9]{6}$")]


class RefreshRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"refresh_token": "4d1c0Ffq2b7yN0m5oVh3xJm8c5y6M5n1kZrJ0p9Q2s8"}]})

    refresh_token: Annotated[str, Field(min_length=1, max_length=256)]


class LogoutRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"refresh_token": "4d1c0Ffq2b7yN0m5oVh3xJm8c5y6M5n1kZrJ0p9Q2s8"}]})

    refresh_token: Annotated[str, Field(min_length=1, max_length=256)] | None = None


class TokenResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    mfa_required: Literal[False] = False


class MfaChallengeResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    mfa_required: Literal[True] = True
    challenge_id: str
    expires_in: int


class UserResponse(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

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
    pin_set: bool = Field(validation_alias="has_pin")
    created_at: UtcDateTime | None = None


class ProfileUpdateRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"full_name": "Sample B. Customer", "email": "sample.b@example.com",
         "phone": "+962790000001"}]})

    full_name: FullName | None = None
    email: Email | None = None
    phone: Phone | None = None
    date_of_birth: DateOfBirth | None = None


class PinRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"pin": "4821", "current_password": "correct horse battery"}]})

    pin: Pin
    current_password: Password


class MfaSetupResponse(BaseModel):
    secret: str
    otpauth_uri: str


class MfaEnableRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "123456"}]})

    code: Annotated[str, Field(pattern=r"^[0-9]{6}$")]


class MfaEnableResponse(BaseModel):
    mfa_enabled: bool


# -- accounts ---------------------------------------------------------------------------


class AccountCreateRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"account_type": "savings", "currency": "JOD"}]})

    account_type: AccountType
    currency: CurrencyCode


class AccountResponse(FromRow):
    money = {field: "currency" for field in (
        "balance", "available_balance", "held_amount", "overdraft_limit",
        "per_transaction_limit", "daily_limit")}

    id: int
    account_number: str
    user_id: int
    account_type: str
    currency: str
    status: str
    balance: Money
    available_balance: Money
    held_amount: Money
    overdraft_limit: Money
    per_transaction_limit: Money
    daily_limit: Money
    created_at: UtcDateTime | None
    updated_at: UtcDateTime | None


class BalanceResponse(FromRow):
    money = {"balance": "currency", "available_balance": "currency"}

    account_id: int
    currency: str
    balance: Money
    available_balance: Money
    as_of: UtcDateTime | None


class StatementEntry(BaseModel):
    entry_id: int
    transaction_id: int
    reference: str | None
    type: str | None
    description: str | None
    amount: Money
    balance_after: Money
    created_at: UtcDateTime | None


class StatementResponse(FromRow):
    money = {"opening_balance": "currency", "closing_balance": "currency"}

    account_id: int
    account_number: str
    currency: str
    period_from: UtcDateTime | None
    period_to: UtcDateTime | None
    opening_balance: Money
    closing_balance: Money
    entries: list[StatementEntry]
    next_cursor: str | None

    @model_validator(mode="after")
    def _quantise_entries(self, info: ValidationInfo) -> Self:
        currencies: Currencies = (info.context or {}).get("currencies", {})
        currency = currencies.get(self.currency)
        if currency is not None:
            for entry in self.entries:
                entry.amount = currency.quantize(entry.amount)
                entry.balance_after = currency.quantize(entry.balance_after)
        return self


# -- money ------------------------------------------------------------------------------


class DepositRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"account_id": 7, "amount": "1000.000", "description": "salary"}]})

    account_id: Id
    amount: Amount
    description: Description | None = None


class WithdrawRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"account_id": 7, "amount": "50.000", "pin": "4821", "description": "ATM"}]})

    account_id: Id
    amount: Amount
    pin: Pin | None = None
    description: Description | None = None


class TransferRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"from_account_id": 7, "to_account_number": "100000000018", "amount": "100.000",
         "pin": "4821", "description": "rent"}]})

    from_account_id: Id
    to_account_number: AccountNumber
    amount: Amount
    pin: Pin | None = None
    description: Description | None = None


class BatchItem(RequestModel):
    to_account_number: AccountNumber
    amount: Amount
    description: Description | None = None


class BatchTransferRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"from_account_id": 7, "description": "payroll", "transfers": [
            {"to_account_number": "100000000018", "amount": "250.000", "description": "May"},
            {"to_account_number": "100000000026", "amount": "310.500"}]}]})

    from_account_id: Id
    transfers: Annotated[list[BatchItem], Field(min_length=1, max_length=1000)]
    description: Description | None = None
    pin: Pin | None = None


class ReverseRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"reason": "duplicate posting"}]})

    reason: Annotated[SafeText, Field(min_length=1, max_length=255)]


class ConfirmRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"otp": "042917"}]})

    otp: Annotated[str, Field(pattern=r"^[0-9]{6}$", description="the six-digit one-time code")]


class ReviewDecisionRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"reason": "payee confirmed by phone"}]})

    reason: Annotated[SafeText | None, Field(min_length=1, max_length=255)] = None


class Risk(BaseModel):
    score: str | None = None
    verdict: str | None = None


class LedgerEntry(FromRow):
    money = {"amount": "currency", "balance_after": "currency"}

    id: int
    account_id: int
    account_number: str | None
    amount: Money
    currency: str
    balance_after: Money | None
    entry_type: str
    created_at: UtcDateTime | None


class TransactionResponse(FromRow):
    money = {"amount": "currency", "fee": "currency", "target_amount": "target_currency"}
    # The row names the accounts' numbers as from_account_number and to_account_number.
    model_config = ConfigDict(populate_by_name=True)

    id: int
    reference: str
    type: str
    status: str
    amount: Money
    currency: str
    fee: Money
    from_account: str | None = Field(validation_alias="from_account_number")
    from_account_id: int | None
    to_account: str | None = Field(validation_alias="to_account_number")
    to_account_id: int | None
    target_amount: Money | None = None
    target_currency: str | None = None
    fx_rate: str | None = None
    description: str | None = None
    parent_id: int | None = None
    reversal_of_id: int | None = None
    reversed_by_id: int | None = None
    is_high_value: bool = False
    created_at: UtcDateTime | None
    replayed: bool = False
    risk: Risk | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_columns(cls, row: Any) -> Any:
        """fx_rate as text; risk_score and risk_verdict folded into `risk`."""
        if not isinstance(row, Mapping) or "risk" in row:
            return row
        shaped = dict(row)
        if shaped.get("fx_rate") is not None:
            shaped["fx_rate"] = applied_rate_text(shaped["fx_rate"])
        if shaped.get("risk_score") is not None:
            shaped["risk"] = Risk(score=str(shaped["risk_score"]),
                                  verdict=shaped.get("risk_verdict"))
        return shaped


class TransactionDetailResponse(TransactionResponse):
    entries: list[LedgerEntry]

    @classmethod
    def with_entries(cls, row: Mapping[str, Any], entries: Sequence[Mapping[str, Any]],
                     currencies: Currencies) -> TransactionDetailResponse:
        return cls.of({**row, "entries": entries}, currencies)


class BatchTransferResponse(BaseModel):
    batch: TransactionResponse
    transfers: list[TransactionResponse]
    count: int
    total: str

    @property
    def replayed(self) -> bool:
        return self.batch.replayed


class TransactionPage(BaseModel):
    items: list[TransactionResponse]
    next_cursor: str | None


class ReviewItem(TransactionResponse):
    """A transaction waiting for staff, with the review rules it hit."""

    money = {**TransactionResponse.money, "held_amount": "currency"}

    review_hits: list[str]
    amount_jod: str
    held_amount: Money
    owner_id: int
    confirmed_at: UtcDateTime | None = None

    @model_validator(mode="before")
    @classmethod
    def _hits(cls, row: Any) -> Any:
        """review_hits arrives as JSON text; amount_jod as a string."""
        if not isinstance(row, Mapping):
            return row
        shaped = dict(row)
        hits = shaped.get("review_hits")
        shaped["review_hits"] = json.loads(hits) if isinstance(hits, str | bytes) else (hits or [])
        if shaped.get("amount_jod") is not None:
            shaped["amount_jod"] = str(shaped["amount_jod"])
        return shaped


class ReviewPage(BaseModel):
    items: list[ReviewItem]
    next_cursor: str | None


# -- exchange rates ---------------------------------------------------------------------

# Units of the quote currency per unit of the base: above zero, at most 10 decimals.
FxRateValue = Annotated[Decimal, Field(gt=0, lt=1000000, max_digits=16, decimal_places=10,
                                       examples=["1.4100"])]


class FxRateResponse(BaseModel):
    """One currency pair: the rate in force, how it was derived, and the next one scheduled."""

    base_currency: str
    quote_currency: str
    rate: Decimal
    mid_rate: Decimal | None = None
    spread: Decimal
    valid_from: UtcDateTime
    next_rate: Decimal | None = None
    next_valid_from: UtcDateTime | None = None


class FxPublishRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"base_currency": "JOD", "quote_currency": "USD", "rate": "1.4150",
         "valid_from": "2026-01-31T08:00:00Z", "reason": "central bank fixing"}]})

    base_currency: CurrencyCode
    quote_currency: CurrencyCode
    rate: FxRateValue
    valid_from: Instant | None = None
    reason: Annotated[SafeText, Field(min_length=1, max_length=255)] | None = None


class FxPublishedRate(BaseModel):
    id: int
    base_currency: str
    quote_currency: str
    rate: Decimal
    mid_rate: Decimal | None
    spread: Decimal
    valid_from: UtcDateTime
    published_by: int | None
    reason: str | None
    created_at: UtcDateTime


class FxPublishResponse(BaseModel):
    """The rate published and the pairs derived from it through JOD, all at one valid_from."""

    published: FxPublishedRate
    derived: list[FxPublishedRate]


def applied_rate_text(rate: Any) -> str:
    """A recorded rate (20 decimals) as text: 10 decimals when it has no more, as published."""
    value = Decimal(rate)
    ten = value.quantize(Decimal("1e-10"))
    return str(ten if ten == value else value.normalize())


class FxQuoteResponse(FromRow):
    """What a transfer to another customer would post now; the quote reserves nothing."""

    money = {"amount": "from_currency", "fee": "from_currency",
             "total_debited": "from_currency", "converted_amount": "to_currency"}

    from_currency: str
    to_currency: str
    amount: Money
    rate: str
    converted_amount: Money
    fee: Money
    total_debited: Money
    rate_valid_from: UtcDateTime | None
    quoted_at: UtcDateTime
    expires_at: UtcDateTime
    valid_seconds: int
    guarantee: str = ("A transfer posts at the rate in force when it posts; this quote holds "
                      "until expires_at unless a new rate is published before then.")

    @field_validator("rate", mode="before")
    @classmethod
    def _rate_text(cls, value: Any) -> str:
        """The rate the transfer records, written as the transaction writes it."""
        return applied_rate_text(value)


class NotificationResponse(BaseModel):
    id: int
    kind: str
    title: str
    body: str
    transaction_id: int | None
    created_at: UtcDateTime
    read_at: UtcDateTime | None
    read: bool

    @model_validator(mode="before")
    @classmethod
    def _read_flag(cls, row: Any) -> Any:
        if isinstance(row, Mapping) and "read" not in row:
            return {**row, "read": row.get("read_at") is not None}
        return row


class NotificationPage(BaseModel):
    items: list[NotificationResponse]
    next_cursor: str | None


class HealthResponse(BaseModel):
    status: str


class ReadyResponse(BaseModel):
    status: str
    database: str
    migrations: dict[str, Any]
    # The last background integrity check (vw_ledger_integrity_check), if one has run.
    integrity: dict[str, Any] | None = None


# -- staff controls and the audit trail -------------------------------------------------

Reason = Annotated[SafeText, Field(min_length=1, max_length=255)]


class StaffActionRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"reason": "account takeover reported by phone"}]})

    reason: Reason


class RoleChangeRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"role": "customer", "reason": "left the staff of the Amman branch"}]})

    role: Literal["customer", "teller", "manager", "auditor", "admin"]
    reason: Reason


class KycDecisionRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"status": "verified", "reason": "passport checked at the counter"}]})

    status: Literal["verified", "rejected"]
    reason: Reason


class StaffUserResponse(BaseModel):
    """A user as staff see them: no hashes, and no personal data (it stays encrypted)."""

    model_config = ConfigDict(populate_by_name=True)

    id: int
    username: str
    role: str
    status: str
    kyc_status: str
    mfa_enabled: bool
    pin_set: bool = Field(validation_alias="has_pin")
    failed_login_count: int
    locked_until: UtcDateTime | None
    last_login_at: UtcDateTime | None
    active_sessions: int
    created_at: UtcDateTime | None
    updated_at: UtcDateTime | None
    # How many sessions the act just ended (block, role change, terminate-sessions).
    sessions_ended: int | None = None


class StaffUserPage(BaseModel):
    items: list[StaffUserResponse]
    next_cursor: str | None


class AccountPage(BaseModel):
    items: list[AccountResponse]
    next_cursor: str | None


def _json_text(value: Any) -> Any:
    """before_data / after_data are JSON stored as text (so the hash is reproducible)."""
    return json.loads(value) if isinstance(value, str | bytes) else value


class AuditLogEntry(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: int
    table_name: str
    row_id: int
    action: str
    event: str | None
    reason: str | None
    actor_user_id: int | None
    actor_username: str | None
    db_user: str
    before: Annotated[Any, BeforeValidator(_json_text)] = Field(validation_alias="before_data")
    after: Annotated[Any, BeforeValidator(_json_text)] = Field(validation_alias="after_data")
    created_at: UtcDateTime
    prev_hash: str
    row_hash: str


class AuditChainStatus(BaseModel):
    """The hash chain verified from genesis to head on this request."""

    verified: bool
    rows_checked: int
    head_id: int
    head_hash: str | None
    first_broken_id: int | None
    broken_reason: str | None


class AuditAnchorStatus(BaseModel):
    """The chain against the head saved outside the database (scripts/audit_anchor.py)."""

    configured: bool
    matches: bool | None = None
    problem: str | None = None
    last_id: int | None = None
    last_hash: str | None = None
    row_count: int | None = None
    taken_at: str | None = None


class AuditLogPage(BaseModel):
    items: list[AuditLogEntry]
    next_cursor: str | None
    chain: AuditChainStatus
    anchor: AuditAnchorStatus
