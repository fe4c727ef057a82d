"""Request and response bodies. Money is Decimal in, decimal strings out (never a float)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.ledger import Currency, Row

# Amounts: positive, at most 16 integer digits (the ledger stores DECIMAL(20,4)) and
# 12 decimals; the procedure then refuses more decimals than the currency has.
Amount = Annotated[
    Decimal,
    Field(gt=0, max_digits=28, decimal_places=12, allow_inf_nan=False,
          json_schema_extra={"examples": ["100.000"]}),
]
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
AccountNumber = Annotated[str, Field(min_length=1, max_length=34, pattern=r"^[A-Za-z0-9-]+$")]
Description = Annotated[str, Field(max_length=255)]
Pin = Annotated[str, Field(pattern=r"^[0-9]{4,6}$")]
Username = Annotated[str, Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
Password = Annotated[str, Field(min_length=1, max_length=128)]
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
FullName = Annotated[str, Field(min_length=1, max_length=200)]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9][0-9 ()-]{5,19}$")]
AccountType = Literal["savings", "checking", "wallet", "fixed_deposit"]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["JOD"])]
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


def naive_utc(value: datetime | None) -> datetime | None:
    """A client's instant as the naive UTC the database compares with."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def money(value: Decimal | None, currency: Currency | None) -> str | None:
    if value is None:
        return None
    if currency is None:
        return str(value)
    return str(currency.quantize(Decimal(value)))


# -- auth and users ---------------------------------------------------------------------


class RegisterRequest(Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "username": "alice", "password": "correct horse battery", "email": "alice@example.com",
        "full_name": "Alice Haddad", "date_of_birth": "1990-04-01", "phone": "+962790000000"}]})

    username: Username
    password: Password
    email: Email
    full_name: FullName
    date_of_birth: date
    phone: Phone | None = None

    @field_validator("date_of_birth")
    @classmethod
    def _in_the_past(cls, value: date) -> date:
        if value >= date.today() or value.year < 1900:
            raise ValueError("date_of_birth must be a past date after 1900")
        return value


class LoginRequest(Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"username": "alice", "password": "correct horse battery"}]})

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
        {"full_name": "Alice B. Haddad", "email": "alice.b@example.com",
         "phone": "+962790000001"}]})

    full_name: FullName | None = None
    email: Email | None = None
    phone: Phone | None = None


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

    reason: Annotated[str, Field(min_length=1, max_length=255)]


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
