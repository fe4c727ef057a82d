"""The audit trail of staff acts in SQL: event and reason in the hash, old rows unchanged."""

from __future__ import annotations

from typing import Any

import pymysql
import pytest

from tests.support.ledger import error_code, new_user, open_account, proc, query

# The row hash as schema/04 defined it, before event and reason existed (% doubled: the
# statements go through the driver with arguments).
OLD_HASH = (
    "SHA2(CONCAT_WS('|', prev_hash, id, table_name, row_id, action, IFNULL(actor_user_id, ''),"
    " db_user, IFNULL(before_data, ''), IFNULL(after_data, ''),"
    " DATE_FORMAT(created_at, '%%Y-%%m-%%d %%H:%%i:%%s.%%f')), 256) COLLATE utf8mb4_bin"
)
NEW_HASH = ("fn_audit_row_hash(prev_hash, id, table_name, row_id, action, actor_user_id, db_user,"
            " before_data, after_data, created_at, event, reason)")


def block(conn: Any, user_id: int, reason: str = "test block") -> dict[str, Any]:
    """A staff act from the system actor (a system login needs no session)."""
    return proc(conn, "sp_admin_set_user_status", user_id=user_id, status="blocked",
                reason=reason, actor_id=1, session_id=None)[0]


def test_a_chain_of_old_and_new_rows_verifies(app_conn, admin_conn):
    user = new_user(admin_conn)
    open_account(app_conn, user, "JOD")  # a row without event or reason, as before
    block(app_conn, user)  # a row with both
    old = query(admin_conn, "SELECT COUNT(*) AS n,"
                            f" SUM(CONVERT(row_hash USING utf8mb4) = {OLD_HASH}) AS same"
                            " FROM audit_log WHERE event IS NULL AND reason IS NULL")[0]
    assert old["n"] > 0
    assert old["same"] == old["n"]
    new = query(admin_conn, f"SELECT CONVERT(row_hash USING utf8mb4) = {OLD_HASH} AS old,"
                            f" row_hash = {NEW_HASH} AS new"
                            " FROM audit_log WHERE event = 'user.block' AND row_id = %s", user)
    assert new == [{"old": 0, "new": 1}]  # the reason is part of the hash
    audit = [r for r in query(admin_conn, "SELECT * FROM vw_ledger_integrity_check")
             if r["check_name"].startswith("audit_")]
    assert audit == []


def test_event_and_reason_do_not_leak_into_later_rows(app_conn, admin_conn):
    first, second = new_user(admin_conn), new_user(admin_conn)
    block(app_conn, first)
    with pytest.raises(pymysql.err.OperationalError) as refused:
        block(app_conn, first)  # NO_CHANGE: the handler clears what the act had set
    assert error_code(refused.value) == "NO_CHANGE"
    open_account(app_conn, second, "USD")  # same connection, an ordinary change
    [row] = query(admin_conn, "SELECT event, reason FROM audit_log WHERE table_name = 'accounts'"
                              " AND row_id = (SELECT MAX(id) FROM accounts WHERE user_id = %s)",
                  second)
    assert row == {"event": None, "reason": None}


@pytest.mark.parametrize(("procedure", "arguments"), [
    ("sp_admin_set_user_status", {"status": "blocked"}),
    ("sp_admin_end_sessions", {}),
    ("sp_admin_set_user_role", {"role": "teller"}),
    ("sp_admin_set_user_kyc", {"kyc_status": "rejected"}),
])
def test_the_actor_role_is_rechecked_in_sql(app_conn, admin_conn, procedure, arguments):
    """A token's role is not trusted: the procedure reads the actor's role now."""
    actor, target = new_user(admin_conn, "customer"), new_user(admin_conn)
    with pytest.raises(pymysql.err.OperationalError) as refused:
        proc(app_conn, procedure, user_id=target, reason="r", actor_id=actor, session_id=None,
             **arguments)
    assert error_code(refused.value) == "FORBIDDEN"


def test_account_status_rechecks_the_role_and_needs_a_reason(app_conn, admin_conn):
    teller, owner = new_user(admin_conn, "teller"), new_user(admin_conn)
    account = open_account(app_conn, owner, "JOD")
    for actor, reason, code in ((teller, "r", "FORBIDDEN"), (1, " ", "INVALID_ARGUMENT")):
        with pytest.raises(pymysql.err.OperationalError) as refused:
            proc(app_conn, "sp_admin_set_account_status", account_id=account["id"],
                 status="frozen", reason=reason, actor_id=actor, session_id=None)
        assert error_code(refused.value) == code
    frozen = proc(app_conn, "sp_admin_set_account_status", account_id=account["id"],
                  status="frozen", reason="r", actor_id=1, session_id=None)[0]
    assert frozen["status"] == "frozen"
