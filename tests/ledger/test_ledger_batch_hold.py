"""A batch in a session under the confirmation rules, through the procedures themselves.

sp_perform_batch_transfer holds the whole batch (its parent alone, the total with fees held);
sp_confirm_transaction posts the parent and every child from the items stored at creation.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from decimal import Decimal
from typing import Any

import pymysql
import pytest

from tests.support.ledger import (
    deposit,
    error_code,
    integrity_problems,
    new_user,
    open_account,
    proc,
    query,
)

CODE_HASH = hashlib.sha256(b"the code").digest()


def session_for(admin_conn: Any, user_id: int) -> str:
    session = secrets.token_hex(16)
    with admin_conn.cursor() as cur:
        cur.execute("INSERT INTO auth_sessions (id, user_id, expires_at)"
                    " VALUES (%s, %s, NOW(6) + INTERVAL 1 HOUR)", (session, user_id))
    return session


def held_batch(app_conn: Any, user: int, session: str, source: int,
               items: list[tuple[str, str]], otp_hash: bytes | None = CODE_HASH
               ) -> list[dict[str, Any]]:
    return proc(app_conn, "sp_perform_batch_transfer", from_account_id=source,
                items=json.dumps([{"to_account_number": n, "amount": a} for n, a in items]),
                description="payroll", idempotency_key=secrets.token_hex(8), actor_id=user,
                session_id=session, owner_id=user, otp_hash=otp_hash, client_ip=None, country=None)


def confirm(app_conn: Any, user: int, session: str, txn: int, otp_hash: bytes
            ) -> dict[str, Any]:
    return proc(app_conn, "sp_confirm_transaction", transaction_id=txn, otp_hash=otp_hash,
                idempotency_key=secrets.token_hex(8), actor_id=user, session_id=session)[0]


def test_a_held_batch_posts_its_stored_children_once_on_the_right_code(admin_conn, app_conn):
    user = new_user(admin_conn)
    session = session_for(admin_conn, user)
    source = open_account(app_conn, user)["id"]
    deposit(app_conn, source, "2000.000")
    payee = new_user(admin_conn)
    one, two = open_account(app_conn, payee), open_account(app_conn, payee, "USD")
    rows = held_batch(app_conn, user, session, source,
                      [(one["account_number"], "300.000"), (two["account_number"], "300.000")])
    [parent] = rows  # the header alone: no child exists yet
    assert (parent["type"], parent["status"]) == ("batch", "pending_otp")
    [account] = query(admin_conn, "SELECT balance, available_balance, held_amount FROM accounts"
                      " WHERE id = %s", source)
    assert account == {"balance": Decimal("2000.0000"), "available_balance": Decimal("1394.0000"),
                       "held_amount": Decimal("606.0000")}
    stored = query(admin_conn, "SELECT seq, to_account_id, amount, fee, target_amount, fx_rate"
                   " FROM pending_batch_items WHERE batch_id = %s ORDER BY seq", parent["id"])
    assert [(s["to_account_id"], s["fee"]) for s in stored] == [
        (one["id"], Decimal("3.0000")), (two["id"], Decimal("3.0000"))]

    with pytest.raises(pymysql.err.MySQLError) as caught:
        confirm(app_conn, user, session, parent["id"], hashlib.sha256(b"wrong").digest())
    assert error_code(caught.value) == "OTP_INVALID"
    done = confirm(app_conn, user, session, parent["id"], CODE_HASH)
    assert (done["id"], done["status"]) == (parent["id"], "completed")
    posted = query(admin_conn, "SELECT to_account_id, amount, fee, target_amount, fx_rate"
                   " FROM transactions WHERE parent_id = %s ORDER BY id", parent["id"])
    assert posted == [{k: s[k] for k in ("to_account_id", "amount", "fee", "target_amount",
                                         "fx_rate")} for s in stored]
    [account] = query(admin_conn, "SELECT balance, available_balance, held_amount FROM accounts"
                      " WHERE id = %s", source)
    assert account == {"balance": Decimal("1394.0000"), "available_balance": Decimal("1394.0000"),
                       "held_amount": Decimal("0.0000")}
    with pytest.raises(pymysql.err.MySQLError) as caught:
        confirm(app_conn, user, session, parent["id"], CODE_HASH)
    assert error_code(caught.value) == "TRANSACTION_NOT_PENDING"
    assert integrity_problems(admin_conn) == []


def test_a_batch_that_needs_a_code_without_one_is_refused(admin_conn, app_conn):
    user = new_user(admin_conn)
    session = session_for(admin_conn, user)
    source = open_account(app_conn, user)["id"]
    deposit(app_conn, source, "1000.000")
    payee = open_account(app_conn, new_user(admin_conn))
    with pytest.raises(pymysql.err.MySQLError) as caught:
        held_batch(app_conn, user, session, source, [(payee["account_number"], "600.000")],
                   otp_hash=None)
    assert error_code(caught.value) == "INVALID_ARGUMENT"
    [account] = query(admin_conn, "SELECT available_balance, held_amount FROM accounts"
                      " WHERE id = %s", source)
    assert account == {"available_balance": Decimal("1000.0000"), "held_amount": Decimal("0.0000")}
