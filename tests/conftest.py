"""Shared fixtures: one real, freshly migrated, throwaway database per test session."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from api.config import DatabaseAddress, get_settings
from scripts.dbserver import resolve_admin_url
from scripts.migrate import drop_database, migrate
from tests.support.contract_coverage import ContractCoverage
from tests.support.ledger import connected


def pytest_configure(config: pytest.Config) -> None:
    """The whole suite must call every public procedure and provoke every signalled code."""
    config.pluginmanager.register(ContractCoverage(config), "contract-coverage")


@dataclass(frozen=True)
class RoleAddresses:
    """The test database as seen by each database user."""

    admin: DatabaseAddress
    app: DatabaseAddress
    worker: DatabaseAddress
    readonly: DatabaseAddress


@pytest.fixture(scope="session")
def admin_url() -> str:
    """Admin URL of the server under test: BANK_DATABASE_URL or the private server."""
    return resolve_admin_url()


@pytest.fixture(scope="session")
def database(admin_url: str) -> Iterator[str]:
    """A migrated `bank_test_<hex>` database that the settings (and so the API) point at."""
    name = f"bank_test_{secrets.token_hex(4)}"
    previous = os.environ.get("BANK_DB_NAME")
    try:
        migrate(admin_url, database=name)
        os.environ["BANK_DB_NAME"] = name
        get_settings.cache_clear()
        yield name
    finally:
        if previous is None:
            os.environ.pop("BANK_DB_NAME", None)
        else:
            os.environ["BANK_DB_NAME"] = previous
        get_settings.cache_clear()
        drop_database(admin_url, name)


@pytest.fixture(scope="session")
def addresses(admin_url: str, database: str) -> RoleAddresses:
    """Addresses of the test database as admin, bank_app, bank_worker and bank_readonly."""
    settings = get_settings()
    admin = DatabaseAddress.from_url(admin_url).with_database(database)
    return RoleAddresses(
        admin=admin,
        app=admin.as_role("bank_app", settings.app_db_password),
        worker=admin.as_role("bank_worker", settings.worker_db_password),
        readonly=admin.as_role("bank_readonly", settings.readonly_db_password),
    )


@pytest.fixture
def admin_conn(addresses: RoleAddresses) -> Iterator[Any]:
    """PyMySQL connection to the test database as admin (autocommit, dict rows)."""
    yield from connected(addresses.admin)


@pytest.fixture
def app_conn(addresses: RoleAddresses) -> Iterator[Any]:
    """The ledger tests' caller of procedures: a system actor (the admin login).

    Those tests pass a NULL session (a trusted caller), which bank_app is refused
    (SESSION_REQUIRED); what bank_app itself may do is tested through `bank_app_conn`.
    """
    yield from connected(addresses.admin)


@pytest.fixture
def bank_app_conn(addresses: RoleAddresses) -> Iterator[Any]:
    """PyMySQL connection to the test database as bank_app, the API's login."""
    yield from connected(addresses.app)
