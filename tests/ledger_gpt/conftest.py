"""LedgerGPT over a database of its own, seeded with the demo data as `make seed` loads it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from api.config import DatabaseAddress, get_settings
from api.security.pii import PiiCipher
from ledger_gpt.database import QuestionLog, Reader, audit_address, readonly_address
from ledger_gpt.engine import LedgerGPT
from scripts.demo_profiles import fill_profiles
from tests.support.ledger import connected, scratch_database


@pytest.fixture(scope="session")
def demo_db(admin_url: str) -> Iterator[DatabaseAddress]:
    """The demo database, as the admin (the CLI replaces the login with its own)."""
    with scratch_database(admin_url, "gpt", seed=True) as address:
        fill_profiles(address, PiiCipher.from_settings(get_settings()))  # as `make seed` does
        yield address


@pytest.fixture
def demo_admin(demo_db: DatabaseAddress) -> Iterator[Any]:
    yield from connected(demo_db)


@pytest.fixture
def reader(demo_db: DatabaseAddress) -> Iterator[Reader]:
    with Reader(readonly_address(demo_db, get_settings()), statement_seconds=5) as r:
        yield r


@pytest.fixture
def question_log(demo_db: DatabaseAddress) -> Iterator[QuestionLog]:
    log = QuestionLog(audit_address(demo_db, get_settings()))
    try:
        yield log
    finally:
        log.close()


@pytest.fixture
def gpt(reader: Reader, question_log: QuestionLog) -> LedgerGPT:
    return LedgerGPT(reader=reader, asked_by="omar", log=question_log,
                     cipher=PiiCipher.from_settings(get_settings()))
