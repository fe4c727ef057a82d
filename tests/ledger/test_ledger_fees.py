"""Fees decided by the procedures: 1 % to another customer within the schedule's bounds,
rounded to the currency's exponent, free between one's own accounts, counted in the funds
check, posted as their own pair; conversions through the JOD mids at full precision."""

from __future__ import annotations

import json
import secrets
from decimal import Decimal
from typing import Any

import pymysql
import pytest

from tests.support.ledger import (
    balance,
    batch,
    deposit,
    error_code,
    fee_income,
    integrity_problems,
    new_user,
    open_account,
    proc,
    query,
)


def customer_transfer(conn: Any, sender: dict[str, Any], to_number: str, amount: str, *,
                      fee: str | None = None) -> dict[str, Any]:
    """A customer's own transfer (p_owner_id set): the fee it passes is ignored."""
    return proc(conn, "sp_perform_transfer", from_account_id=sender["id"],
                to_account_number=to_number, amount=amount, fee=fee, description=None,
                idempotency_key=secrets.token_hex(8), actor_id=sender["user_id"],
                session_id=None, owner_id=sender["user_id"], otp_hash=None,
                client_ip=None, country=None)[0]


def funded(admin_conn: Any, app_conn: Any, currency: str, amount: str) -> dict[str, Any]:
    account = open_account(app_conn, new_user(admin_conn), currency)
    deposit(app_conn, account["id"], amount)
    return account


class TestFeeSchedule:
    @pytest.mark.parametrize(("currency", "amount", "fee"), [
        ("JOD", "123.456", "1.235"),   # 1.23456, half away from zero to 3 decimals
        ("JOD", "10.000", "0.250"),    # the minimum
        ("JOD", "5000.000", "10.000"),  # the maximum
        ("EUR", "123.45", "1.23"),     # 1.2345 to 2 decimals
        ("EUR", "10.00", "0.35"),      # the minimum
        ("EUR", "2000.00", "14.00"),   # the maximum
    ])
    def test_a_transfer_to_another_customer_pays_the_schedule(
            self, admin_conn, app_conn, currency, amount, fee):
        sender = funded(admin_conn, app_conn, currency, "9000")
        payee = open_account(app_conn, new_user(admin_conn), currency)
        income = fee_income(admin_conn, currency)
        txn = customer_transfer(app_conn, sender, payee["account_number"], amount, fee="0")
        assert txn["fee"] == Decimal(fee)
        assert balance(admin_conn, sender["id"]) == Decimal("9000") - Decimal(amount) - Decimal(fee)
        assert balance(admin_conn, payee["id"]) == Decimal(amount)
        assert fee_income(admin_conn, currency) == income + Decimal(fee)
        entries = query(admin_conn, "SELECT a.gl_type, e.amount FROM ledger_entries e"
                        " JOIN accounts a ON a.id = e.account_id WHERE e.transaction_id = %s"
                        " AND e.entry_type = 'fee' ORDER BY e.id", txn["id"])
        assert [(e["gl_type"], e["amount"]) for e in entries] == [
            (None, -Decimal(fee)), ("fee_income", Decimal(fee))]

    def test_between_own_accounts_is_free(self, admin_conn, app_conn):
        user = new_user(admin_conn)
        main, spare = open_account(app_conn, user, "JOD"), open_account(app_conn, user, "JOD")
        deposit(app_conn, main["id"], "100")
        txn = customer_transfer(app_conn, main, spare["account_number"], "50", fee="5")
        assert txn["fee"] == 0
        assert balance(admin_conn, main["id"]) == Decimal("50")

    def test_staff_may_waive_or_set_the_fee(self, admin_conn, app_conn):
        sender = funded(admin_conn, app_conn, "JOD", "100")
        payee = open_account(app_conn, new_user(admin_conn), "JOD")
        staff = dict(from_account_id=sender["id"], to_account_number=payee["account_number"],
                     amount="10", description=None, actor_id=1, session_id=None, owner_id=None,
                     otp_hash=None, client_ip=None, country=None)
        waived = proc(app_conn, "sp_perform_transfer", fee="0",
                      idempotency_key=secrets.token_hex(8), **staff)[0]
        scheduled = proc(app_conn, "sp_perform_transfer", fee=None,
                         idempotency_key=secrets.token_hex(8), **staff)[0]
        assert (waived["fee"], scheduled["fee"]) == (0, Decimal("0.250"))

    def test_insufficient_funds_counts_amount_and_fee(self, admin_conn, app_conn):
        sender = funded(admin_conn, app_conn, "JOD", "100")
        payee = open_account(app_conn, new_user(admin_conn), "JOD")
        with pytest.raises(pymysql.err.MySQLError) as err:
            customer_transfer(app_conn, sender, payee["account_number"], "99.500")  # + 0.995
        assert error_code(err.value) == "INSUFFICIENT_FUNDS"
        customer_transfer(app_conn, sender, payee["account_number"], "99.000")  # + 0.990
        assert balance(admin_conn, sender["id"]) == Decimal("0.010")

    def test_no_schedule_row_refuses(self, admin_conn, app_conn):
        sender = funded(admin_conn, app_conn, "EUR", "100")
        payee = open_account(app_conn, new_user(admin_conn), "EUR")
        saved = query(admin_conn, "SELECT * FROM fee_schedules WHERE currency = 'EUR' "
                      "AND kind = 'transfer_external'")[0]
        query(admin_conn, "DELETE FROM fee_schedules WHERE id = %s", saved["id"])
        try:
            with pytest.raises(pymysql.err.MySQLError) as err:
                customer_transfer(app_conn, sender, payee["account_number"], "10")
            assert error_code(err.value) == "INVALID_ARGUMENT"
            items = [{"to_account_number": payee["account_number"], "amount": "10"}]
            with pytest.raises(pymysql.err.MySQLError) as err:
                batch(app_conn, sender["id"], json.dumps(items))
            assert str(err.value.args[1]).startswith("INVALID_ARGUMENT: transfers[0]:")
        finally:
            query(admin_conn, "INSERT INTO fee_schedules (id, currency, kind, percent, min_fee, "
                  "max_fee) VALUES (%s, %s, %s, %s, %s, %s)", saved["id"], saved["currency"],
                  saved["kind"], saved["percent"], saved["min_fee"], saved["max_fee"])

    def test_batch_items_each_pay_their_fee(self, admin_conn, app_conn):
        user = new_user(admin_conn)
        sender, own = open_account(app_conn, user, "JOD"), open_account(app_conn, user, "JOD")
        deposit(app_conn, sender["id"], "1000")
        other = open_account(app_conn, new_user(admin_conn), "JOD")
        items = [{"to_account_number": other["account_number"], "amount": "200"},
                 {"to_account_number": own["account_number"], "amount": "200"},
                 {"to_account_number": other["account_number"], "amount": "1"}]
        rows = batch(app_conn, sender["id"], json.dumps(items))
        assert [r["fee"] for r in rows[1:]] == [Decimal("2.000"), 0, Decimal("0.250")]
        assert balance(admin_conn, sender["id"]) == Decimal("1000") - 401 - Decimal("2.250")
        # The funds check of a batch counts the fees too.
        rest = [{"to_account_number": other["account_number"], "amount": "596.750"}]
        with pytest.raises(pymysql.err.MySQLError) as err:
            batch(app_conn, sender["id"], json.dumps(rest))
        assert str(err.value.args[1]).startswith("INSUFFICIENT_FUNDS: transfers[0]:")
        assert integrity_problems(admin_conn) == []


class TestFullPrecisionConversion:
    def test_usd_to_eur_goes_through_the_jod_mids(self, admin_conn, app_conn):
        sender = funded(admin_conn, app_conn, "USD", "1000")
        payee = open_account(app_conn, new_user(admin_conn), "EUR")
        txn = customer_transfer(app_conn, sender, payee["account_number"], "141.00")
        assert txn["target_amount"] == Decimal("131.00")  # the truncated cross rate: 130.99
        assert txn["fee"] == Decimal("1.41")
        assert Decimal("141.00") * txn["fx_rate"] >= txn["target_amount"]
        assert txn["fx_rate"] - Decimal("1.31") / Decimal("1.41") < Decimal("1e-19")

    def test_back_to_jod_at_full_precision(self, admin_conn, app_conn):
        sender = funded(admin_conn, app_conn, "USD", "1000")
        payee = open_account(app_conn, new_user(admin_conn), "JOD")
        txn = customer_transfer(app_conn, sender, payee["account_number"], "141.00")
        assert txn["target_amount"] == Decimal("100.000")  # 141 * 0.7092198581 gave 99.999
        assert integrity_problems(admin_conn) == []
