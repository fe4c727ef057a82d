"""Accounts, balances and statements."""

from __future__ import annotations

from typing import Self

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationInfo,
    model_validator,
)

from api.fields import (
    AccountType,
    CurrencyCode,
)
from api.money import Currencies, Money
from api.schemas.base import FromRow, RequestModel, UtcDateTime

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


