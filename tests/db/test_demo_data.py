"""The demo data `make run` loads: posted through the procedures, consistent, re-runnable."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from api.config import DatabaseAddress, get_settings
from api.security.pii import PiiCipher
from scripts.db_connection import connect
from scripts.demo_profiles import DEMO_PEOPLE, fill_profiles
from scripts.migrate import migrate
from tests.support.ledger import integrity_problems, query, scratch_database


@pytest.fixture(scope="module")
def demo(admin_url: str) -> Iterator[DatabaseAddress]:
    with scratch_database(admin_url, "demo", seed=True) as address:
        yield address


def test_seed_is_a_consistent_ledger_with_history(demo):
    conn = connect(demo, dict_rows=True)
    try:
        assert integrity_problems(conn) == []
        kinds = {r["type"]: r["n"] for r in query(
            conn, "SELECT type, COUNT(*) AS n FROM transactions GROUP BY type")}
        assert kinds["transfer"] > 20
        assert kinds["withdrawal"] > 20
        assert kinds["reversal"] == 1
        span = query(conn, "SELECT DATEDIFF(MAX(created_at), MIN(created_at)) AS days "
                           "FROM transactions")[0]["days"]
        assert span >= 80
        currencies = {r["currency"] for r in query(
            conn, "SELECT DISTINCT a.currency FROM accounts a JOIN users u ON u.id = a.user_id "
                  "WHERE u.username IN ('alice', 'bob')")}
        assert currencies == {"JOD", "USD", "EUR"}
        flagged = query(conn, "SELECT amount FROM vw_flagged_transactions")
        assert [r["amount"] for r in flagged] == [Decimal("12500")]
    finally:
        conn.close()


def test_seeding_again_changes_nothing(admin_url, demo):
    conn = connect(demo, dict_rows=True)
    try:
        before = query(conn, "SELECT COUNT(*) AS n FROM transactions")[0]["n"]
        migrate(admin_url, database=demo.database, seed=True)
        assert query(conn, "SELECT COUNT(*) AS n FROM transactions")[0]["n"] == before
    finally:
        conn.close()


def test_demo_profiles_are_encrypted_and_set_once(demo):
    cipher = PiiCipher.from_settings(get_settings())
    assert sorted(fill_profiles(demo, cipher)) == sorted(DEMO_PEOPLE)
    assert fill_profiles(demo, cipher) == []
    conn = connect(demo, dict_rows=True)
    try:
        row = query(conn, "SELECT id, full_name_enc, email_hash FROM users "
                          "WHERE username = 'alice'")[0]
        assert b"Alice" not in row["full_name_enc"]
        assert cipher.decrypt("full_name", row["full_name_enc"],
                              user_id=row["id"]) == "Alice Haddad"
        assert row["email_hash"] == cipher.email_hash("alice@example.com")
        assert integrity_problems(conn) == []
    finally:
        conn.close()
