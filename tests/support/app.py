"""The API under test: the real app (real procedures, real database) behind httpx.

Each test makes its own users and accounts with unique names. Rate limits are raised
here (except in the tests that prove them) so that many requests from one test user
are not throttled. The fixtures that build these are in tests/api/conftest.py.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI

from api.config import Settings

PASSWORD = "Tr1cky-Harbour-Lantern"
HIGH_LIMIT = "100000/minute"


def make_settings(admin_url: str, database: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": admin_url,
        "db_name": database,
        "bcrypt_rounds": 4,  # the cost factor is a setting; tests need speed, not strength
        "rate_limit_login": HIGH_LIMIT,
        "rate_limit_register": HIGH_LIMIT,
        "rate_limit_money": HIGH_LIMIT,
        "rate_limit_read": HIGH_LIMIT,
        "rate_limit_secret": HIGH_LIMIT,
        "rate_limit_profile": HIGH_LIMIT,
        "access_log": False,
        "db_pool_min": 1,
        "db_pool_max": 50,
    }
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[FastAPI]:
    """Run the app's lifespan (opens and closes the pool) around a block."""
    async with app.router.lifespan_context(app):
        yield app


def client_for(app: FastAPI, ip: str = "10.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://bank.test", timeout=30)


def unique(prefix: str = "u") -> str:
    return f"{prefix}{secrets.token_hex(5)}"


def idem() -> dict[str, str]:
    return {"Idempotency-Key": secrets.token_hex(12)}


@dataclass
class Person:
    """A registered, logged-in user of the API under test."""

    id: int
    username: str
    password: str
    access_token: str
    refresh_token: str
    role: str = "customer"
    accounts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    def money_headers(self, key: str | None = None) -> dict[str, str]:
        return {**self.auth, "Idempotency-Key": key or secrets.token_hex(12)}


class Bank:
    """Test helper: creates people and accounts through the API (and staff roles via SQL)."""

    def __init__(self, app: FastAPI, client: httpx.AsyncClient, admin: Any) -> None:
        self.app = app
        self.client = client
        self.admin = admin

    def sql(self, statement: str, *args: Any) -> list[dict[str, Any]]:
        with self.admin.cursor() as cur:
            cur.execute(statement, args)
            return list(cur.fetchall() or [])

    async def person(self, role: str = "customer", *, password: str = PASSWORD,
                     kyc: str = "verified") -> Person:
        username = unique()
        response = await self.client.post("/auth/register", json={
            "username": username, "password": password, "email": f"{username}@example.com",
            "full_name": f"Test {username}", "date_of_birth": "1990-01-01"})
        assert response.status_code == 201, response.text
        user_id = response.json()["id"]
        # KYC is a staff decision; tests state the outcome they need (money out needs verified).
        self.sql("UPDATE users SET kyc_status = %s WHERE id = %s", kyc, user_id)
        if role != "customer":
            # Staff are appointed by an administrator, not self-registered.
            self.sql("UPDATE users SET role = %s WHERE id = %s", role, user_id)
        tokens = await self.login(username, password)
        return Person(id=user_id, username=username, password=password, role=role,
                      access_token=tokens["access_token"], refresh_token=tokens["refresh_token"])

    async def login(self, username: str, password: str = PASSWORD) -> dict[str, Any]:
        response = await self.client.post("/auth/login",
                                           json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def relogin(self, person: Person) -> Person:
        tokens = await self.login(person.username, person.password)
        person.access_token = tokens["access_token"]
        person.refresh_token = tokens["refresh_token"]
        return person

    async def account(self, person: Person, currency: str = "JOD",
                      account_type: str = "savings", deposit: str | None = None) -> dict[str, Any]:
        response = await self.client.post("/accounts/", headers=person.auth,
                                          json={"account_type": account_type,
                                                "currency": currency})
        assert response.status_code == 201, response.text
        account: dict[str, Any] = response.json()
        if deposit is not None:
            await self.deposit(person, account["id"], deposit)
        person.accounts.append(account)
        return account

    async def deposit(self, person: Person, account_id: int, amount: str) -> dict[str, Any]:
        response = await self.client.post("/transactions/deposit",
                                          headers=person.money_headers(),
                                          json={"account_id": account_id, "amount": amount})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def balance(self, person: Person, account_id: int) -> str:
        response = await self.client.get(f"/accounts/{account_id}/balance", headers=person.auth)
        assert response.status_code == 200, response.text
        return str(response.json()["balance"])
