"""Versioned files that change data, not only shape, do what they say to existing rows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from api.config import REPO_ROOT
from scripts.db_connection import connect
from scripts.sql_splitter import split_sql
from tests.support.ledger import new_user, open_account, query, scratch_database

TYPE_LIMITS = REPO_ROOT / "schema" / "24_type_limits_for_existing_accounts.sql"


def limits(conn: Any, account_id: int) -> tuple[Decimal, Decimal]:
    row = query(conn, "SELECT per_transaction_limit, daily_limit FROM accounts WHERE id = %s",
                account_id)[0]
    return row["per_transaction_limit"], row["daily_limit"]


def test_accounts_from_before_limits_were_data_take_their_types_limits(admin_url: str) -> None:
    with scratch_database(admin_url, "limits") as address:
        conn = connect(address, dict_rows=True)
        try:
            user = new_user(conn)
            legacy, chosen = (open_account(conn, user)["id"] for _ in range(2))
            # As such accounts were: the old column defaults, and one staff had changed.
            query(conn, "UPDATE accounts SET per_transaction_limit = 50000, daily_limit = 100000"
                        " WHERE id = %s", legacy)
            query(conn, "UPDATE accounts SET per_transaction_limit = 50000, daily_limit = 75000"
                        " WHERE id = %s", chosen)
            for statement in split_sql(TYPE_LIMITS.read_text()):
                query(conn, statement)
            assert limits(conn, legacy) == (Decimal("10000"), Decimal("20000"))
            assert limits(conn, chosen) == (Decimal("50000"), Decimal("75000"))
            audited = query(conn, "SELECT COUNT(*) AS n FROM audit_log"
                                  " WHERE table_name = 'accounts' AND row_id = %s"
                                  " AND action = 'UPDATE'", legacy)[0]["n"]
            assert audited == 2  # the simulated old state, then the fix
        finally:
            conn.close()
