"""Helpers for the tests of held transactions: the code the inbox delivered, confirming, holds."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import httpx

from tests.support.app import Bank, Person


async def otp_message(client: httpx.AsyncClient, person: Person, transaction_id: int
                      ) -> dict[str, Any]:
    """The one notification that carried this transaction's one-time code."""
    items = (await client.get("/notifications", headers=person.auth)).json()["items"]
    [message] = [n for n in items if n["kind"] == "otp" and n["transaction_id"] == transaction_id]
    return dict(message)


async def code_for(client: httpx.AsyncClient, person: Person, transaction_id: int) -> str:
    """The one-time code the in-app notifier delivered for this transaction."""
    message = await otp_message(client, person, transaction_id)
    found = re.search(r"\b([0-9]{6})\b", message["body"])
    assert found is not None, message
    return found.group(1)


async def account_view(client: httpx.AsyncClient, person: Person, account_id: int
                       ) -> tuple[Decimal, Decimal]:
    body = (await client.get(f"/accounts/{account_id}/balance", headers=person.auth)).json()
    return Decimal(body["balance"]), Decimal(body["available_balance"])


async def confirm(client: httpx.AsyncClient, person: Person, transaction_id: int, otp: str,
                  key: str | None = None) -> httpx.Response:
    return await client.post(f"/transactions/{transaction_id}/confirm",
                             headers=person.money_headers(key), json={"otp": otp})


def hold_status(bank: Bank, transaction_id: int) -> str:
    return str(bank.sql("SELECT status FROM holds WHERE transaction_id = %s",
                        transaction_id)[0]["status"])
