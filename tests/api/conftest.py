"""Fixtures of the API under test: the real app on the session's database, a client, a Bank."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.config import Settings
from api.main import create_app
from scripts.db_connection import connect
from tests.support.app import Bank, client_for, make_settings, running


@pytest.fixture(scope="session")
def api_settings(admin_url: str, database: str) -> Settings:
    return make_settings(admin_url, database)


@pytest.fixture(scope="session")
async def app(api_settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(api_settings)
    async with running(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app, ip=f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.1") as c:
        yield c


@pytest.fixture(scope="session")
def admin_session_conn(addresses: Any) -> Iterator[Any]:
    conn = connect(addresses.admin, dict_rows=True)
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture
def bank(app: FastAPI, client: httpx.AsyncClient, admin_session_conn: Any) -> Bank:
    return Bank(app, client, admin_session_conn)
