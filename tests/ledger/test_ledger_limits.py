"""Limits as data: per transaction and per day (the bank's calendar day) from the account's
type, the type's minimum balance, the account's overdraft; a breach carries the limit and
what remains today; reversals give the fee back and never overdraw the receiver."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pymysql
import pytest

from scripts.db_connection import connect
from tests.support.ledger import (
    aconnect,
    aproc,
    balance,
    deposit,
    error_code,
    fee_income,
    integrity_problems,
    new_user,
    open_account,
    proc,
    query,
    transfer,
)


def pay(conn: Any, sender: dict[str, Any], to_number: str, amount: str) -> dict[str, Any]:
    """A customer's own transfer (the fee is the schedule's)."""
    return proc(conn, "sp_perform_transfer", from_account_id=sender["id"],
                to_account_number=to_number, amount=amount, fee=None, description=None,
                idempotency_key=secrets.token_hex(8), actor_id=sender["user_id"],
                session_id=None, owner_id=sender["user_id"], otp_hash=None,
                client_ip=None, country=None)[0]


def message(exc: BaseException) -> str:
    return str(exc.args[1])


@contextmanager
def type_limit(admin_conn: Any, account_type: str, **values: str) -> Iterator[None]:
    """Change a row of account_type_limits for one test, then put it back."""
    columns = ", ".join(values)
    saved = query(admin_conn, f"SELECT {columns} FROM account_type_limits WHERE account_type = %s",
                  account_type)[0]
    sets = ", ".join(f"{name} = %s" for name in values)
    query(admin_conn, f"UPDATE account_type_limits SET {sets} WHERE account_type = %s",
          *values.values(), account_type)
    try:
        yield
    finally:
        query(admin_conn, f"UPDATE account_type_limits SET {sets} WHERE account_type = %s",
              *saved.values(), account_type)


@pytest.fixture
def rich(admin_conn, app_conn) -> dict[str, Any]:
    """A customer with 50,000 JOD in one account and a second own account; a payee elsewhere."""
    user = new_user(admin_conn)
    main, spare = open_account(app_conn, user, "JOD"), open_account(app_conn, user, "JOD")
    deposit(app_conn, main["id"], "50000")
    payee = open_account(app_conn, new_user(admin_conn), "JOD")
    return {"main": main, "spare": spare, "payee": payee}


class TestLimitsFromTheType:
    def test_a_new_account_starts_with_its_types_limits(self, admin_conn, app_conn):
        account = open_account(app_conn, new_user(admin_conn), "EUR", "checking")
        row = query(admin_conn, "SELECT per_transaction_limit, daily_limit, overdraft_limit "
                    "FROM accounts WHERE id = %s", account["id"])[0]
        assert row == {"per_transaction_limit": Decimal("10000"), "daily_limit": Decimal("20000"),
                       "overdraft_limit": Decimal("0")}
        with type_limit(admin_conn, "checking", per_transaction_limit="500"):
            later = open_account(app_conn, new_user(admin_conn), "EUR", "checking")
        assert query(admin_conn, "SELECT per_transaction_limit AS l FROM accounts WHERE id = %s",
                     later["id"])[0]["l"] == Decimal("500")

    def test_per_transaction_limit_says_the_limit_and_what_remains(self, app_conn, rich):
        with pytest.raises(pymysql.err.MySQLError) as err:
            pay(app_conn, rich["main"], rich["payee"]["account_number"], "10000.001")
        assert message(err.value) == ("LIMIT_EXCEEDED: amount is over the per-transaction limit "
                                      "[limit=10000.000; remaining=20000.000; currency=JOD]")
        assert pay(app_conn, rich["main"], rich["payee"]["account_number"], "10000")["fee"] == 10

    def test_daily_limit_counts_amounts_not_fees(self, admin_conn, app_conn, rich):
        pay(app_conn, rich["main"], rich["payee"]["account_number"], "10000")
        pay(app_conn, rich["main"], rich["spare"]["account_number"], "9999.999")
        with pytest.raises(pymysql.err.MySQLError) as err:
            pay(app_conn, rich["main"], rich["payee"]["account_number"], "0.002")
        assert message(err.value) == ("DAILY_LIMIT_EXCEEDED: amount is over the daily limit "
                                      "[limit=20000.000; remaining=0.001; currency=JOD]")
        pay(app_conn, rich["main"], rich["payee"]["account_number"], "0.001")
        spent = Decimal(20000) + Decimal("10.250")  # the fees: 10.000 (the maximum) and 0.250
        assert balance(admin_conn, rich["main"]["id"]) == Decimal("50000") - spent

    def test_the_day_is_the_banks_calendar_day(self, addresses, admin_conn, app_conn, rich):
        """Asia/Amman is UTC+3: 20:59:59 UTC is still today there, 21:00:00 is tomorrow."""
        conn = connect(addresses.admin, dict_rows=True)
        try:
            query(conn, "SET TIMESTAMP = UNIX_TIMESTAMP('2031-03-04 20:59:59')")  # session: UTC
            assert query(conn, "SELECT fn_bank_date() AS d")[0]["d"].isoformat() == "2031-03-04"
            pay(conn, rich["main"], rich["payee"]["account_number"], "10000")
            pay(conn, rich["main"], rich["payee"]["account_number"], "10000")
            with pytest.raises(pymysql.err.MySQLError) as err:
                pay(conn, rich["main"], rich["payee"]["account_number"], "1")
            assert error_code(err.value) == "DAILY_LIMIT_EXCEEDED"
            query(conn, "SET TIMESTAMP = UNIX_TIMESTAMP('2031-03-04 21:00:00')")
            assert query(conn, "SELECT fn_bank_date() AS d")[0]["d"].isoformat() == "2031-03-05"
            pay(conn, rich["main"], rich["payee"]["account_number"], "10000")
            query(admin_conn, "UPDATE bank_settings SET time_zone = 'UTC', utc_offset = '+00:00'")
            try:  # in UTC it is the 4th again: a new day's counter, nothing spent on it yet
                assert query(conn, "SELECT fn_bank_date() AS d")[0]["d"].isoformat() == "2031-03-04"
                pay(conn, rich["main"], rich["payee"]["account_number"], "1")
            finally:
                query(admin_conn, "UPDATE bank_settings SET time_zone = 'Asia/Amman', "
                      "utc_offset = '+03:00'")
        finally:
            conn.close()

    def test_a_held_transfer_counts_on_the_banks_day(self, addresses, rich):
        """A transfer held for its code and review counts its amount on the bank's day
        (21:30 UTC is already tomorrow in Amman), like one that posts."""
        conn = connect(addresses.admin, dict_rows=True)
        sender = rich["main"]
        try:
            query(conn, "SET TIMESTAMP = UNIX_TIMESTAMP('2031-03-04 21:30:00')")
            session = secrets.token_hex(16)
            query(conn, "INSERT INTO auth_sessions (id, user_id, expires_at) "
                  "VALUES (%s, %s, NOW(6) + INTERVAL 1 DAY)", session, sender["user_id"])
            held = proc(conn, "sp_perform_transfer", from_account_id=sender["id"],
                        to_account_number=rich["payee"]["account_number"], amount="3000",
                        fee=None, description=None, idempotency_key=secrets.token_hex(8),
                        actor_id=sender["user_id"], session_id=session,
                        owner_id=sender["user_id"], otp_hash=secrets.token_bytes(32),
                        client_ip=None, country=None)[0]
            assert held["status"] == "pending_otp"
            row = query(conn, "SELECT daily_spent, daily_spent_date FROM accounts WHERE id = %s",
                        sender["id"])[0]
            assert row["daily_spent_date"].isoformat() == "2031-03-05"
            assert row["daily_spent"] == Decimal("3000")
        finally:
            conn.close()

    async def test_twenty_concurrent_transfers_pass_the_daily_limit_exactly(
            self, addresses, admin_conn, app_conn, rich):
        conns = await asyncio.gather(*(aconnect(addresses.admin) for _ in range(20)))
        sender = rich["main"]
        try:
            results = await asyncio.gather(*(
                aproc(c, "sp_perform_transfer", from_account_id=sender["id"],
                      to_account_number=rich["payee"]["account_number"], amount="1500", fee=None,
                      description=None, idempotency_key=secrets.token_hex(8),
                      actor_id=sender["user_id"], session_id=None, owner_id=sender["user_id"],
                      otp_hash=None, client_ip=None, country=None)
                for c in conns), return_exceptions=True)
        finally:
            for c in conns:
                c.close()
        refused = [error_code(r) for r in results if isinstance(r, BaseException)]
        assert len(results) - len(refused) == 13  # 13 * 1,500 = 19,500 <= 20,000 < 21,000
        assert refused == ["DAILY_LIMIT_EXCEEDED"] * 7
        # each pays 1 % capped at the JOD maximum, 10.000
        assert balance(admin_conn, sender["id"]) == Decimal("50000") - 13 * Decimal("1510")
        assert query(admin_conn, "SELECT daily_spent FROM accounts WHERE id = %s",
                     sender["id"])[0]["daily_spent"] == Decimal("19500")


class TestBalanceFloor:
    def test_minimum_balance_per_type(self, admin_conn, app_conn):
        user = new_user(admin_conn)
        with type_limit(admin_conn, "wallet", min_balance="50"):
            wallet = open_account(app_conn, user, "JOD", "wallet")
            spare = open_account(app_conn, user, "JOD")
            deposit(app_conn, wallet["id"], "100")
            with pytest.raises(pymysql.err.MySQLError) as err:
                pay(app_conn, wallet, spare["account_number"], "50.001")
            assert error_code(err.value) == "INSUFFICIENT_FUNDS"
            with pytest.raises(pymysql.err.MySQLError) as err:
                proc(app_conn, "sp_withdraw_cash", account_id=wallet["id"], amount="50.001",
                     description=None, idempotency_key=secrets.token_hex(6), actor_id=1,
                     session_id=None, owner_id=None, client_ip=None, country=None)
            assert error_code(err.value) == "INSUFFICIENT_FUNDS"
            pay(app_conn, wallet, spare["account_number"], "50")
        assert balance(admin_conn, wallet["id"]) == Decimal("50")

    def test_overdraft_per_account(self, admin_conn, app_conn):
        user = new_user(admin_conn)
        main, spare = open_account(app_conn, user, "JOD"), open_account(app_conn, user, "JOD")
        with pytest.raises(pymysql.err.MySQLError) as err:
            pay(app_conn, main, spare["account_number"], "1")
        assert error_code(err.value) == "INSUFFICIENT_FUNDS"
        proc(app_conn, "sp_set_account_limits", account_id=main["id"], overdraft_limit="100",
             per_transaction_limit=None, daily_limit=None, actor_id=1)
        pay(app_conn, main, spare["account_number"], "100")
        assert balance(admin_conn, main["id"]) == Decimal("-100")


class TestReversals:
    def test_a_reversal_gives_the_fee_back(self, admin_conn, app_conn, rich):
        income = fee_income(admin_conn, "JOD")
        txn = pay(app_conn, rich["main"], rich["payee"]["account_number"], "100")
        assert fee_income(admin_conn, "JOD") == income + 1
        proc(app_conn, "sp_reverse_transaction", transaction_id=txn["id"], reason="error",
             idempotency_key=secrets.token_hex(6), actor_id=1)
        assert balance(admin_conn, rich["main"]["id"]) == Decimal("50000")
        assert balance(admin_conn, rich["payee"]["id"]) == 0
        assert fee_income(admin_conn, "JOD") == income
        assert integrity_problems(admin_conn) == []

    def test_a_reversal_may_use_the_receivers_overdraft_but_not_more(self, admin_conn, app_conn,
                                                                      rich):
        txn = transfer(app_conn, rich["main"]["id"], rich["payee"]["account_number"], "100")
        other = open_account(app_conn, new_user(admin_conn), "JOD")
        transfer(app_conn, rich["payee"]["id"], other["account_number"], "60")
        with pytest.raises(pymysql.err.MySQLError) as err:
            proc(app_conn, "sp_reverse_transaction", transaction_id=txn["id"], reason="error",
                 idempotency_key=secrets.token_hex(6), actor_id=1)
        assert error_code(err.value) == "REVERSAL_WOULD_OVERDRAW"
        proc(app_conn, "sp_set_account_limits", account_id=rich["payee"]["id"],
             overdraft_limit="60", per_transaction_limit=None, daily_limit=None, actor_id=1)
        proc(app_conn, "sp_reverse_transaction", transaction_id=txn["id"], reason="error",
             idempotency_key=secrets.token_hex(6), actor_id=1)
        assert balance(admin_conn, rich["payee"]["id"]) == Decimal("-60")
