"""sp_import_transactions: history posted set-wise, at its own times, once, by an admin."""

from __future__ import annotations

import json
import secrets
from decimal import Decimal
from typing import Any

import pymysql
import pytest

from tests.support.ledger import counts, error_code, integrity_problems, new_user, proc, query


def _source() -> str:
    return "t" + secrets.token_hex(4)


def _row(source_id: int, at: str, customer: str, terminal: str, amount: str, **extra: Any
         ) -> dict[str, Any]:
    return {"line": source_id + 1, "id": str(source_id), "at": at, "customer": customer,
            "terminal": terminal, "amount": amount, **extra}


def _import(conn, source: str, rows: list[dict[str, Any]], *, actor: int = 1,
            currency: str = "JOD") -> list[dict[str, Any]]:
    return proc(conn, "sp_import_transactions", source=source, currency=currency,
                rows=json.dumps(rows), actor_id=actor, session_id=None)


def _party_account(conn, source: str, kind: str, external_id: str) -> int:
    return int(query(conn, "SELECT account_id FROM import_parties WHERE source = %s AND kind = %s"
                     " AND external_id = %s", source, kind, external_id)[0]["account_id"])


ROWS = [
    _row(11, "2018-04-01 00:17:44", "2000", "7997", "66.38", fraud=0, scenario=0),
    _row(18, "2018-04-01 00:20:48", "3700", "471", "87.38", fraud=0, scenario=0),
    _row(128, "2018-04-01 01:32:21", "2000", "471", "5.62", fraud=1, scenario=2),
    _row(165, "2018-04-02 01:50:46", "2000", "7997", "7.94", fraud=0, scenario=0),
]


class TestImportPosts:
    def test_each_row_is_a_balanced_transfer_at_its_own_time(self, admin_conn) -> None:
        source = _source()
        answer = _import(admin_conn, source, ROWS)
        assert [r["source_id"] for r in answer] == ["11", "18", "128", "165"]
        assert all(r["imported"] for r in answer)
        for row, got in zip(ROWS, answer, strict=True):
            txn = query(admin_conn, "SELECT * FROM transactions WHERE id = %s",
                        got["transaction_id"])[0]
            assert (txn["type"], txn["status"]) == ("transfer", "completed")
            assert str(txn["created_at"]) == row["at"]
            assert txn["amount"] == Decimal(row["amount"])
            assert txn["from_account_id"] == _party_account(admin_conn, source, "customer",
                                                            row["customer"])
            assert txn["to_account_id"] == _party_account(admin_conn, source, "merchant",
                                                          row["terminal"])
            legs = query(admin_conn, "SELECT amount, created_at FROM ledger_entries"
                         " WHERE transaction_id = %s ORDER BY id", txn["id"])
            assert sorted(leg["amount"] for leg in legs) == [-txn["amount"], txn["amount"]]
            assert {str(leg["created_at"]) for leg in legs} == {row["at"]}
            events = query(admin_conn, "SELECT event_type FROM outbox_events"
                           " WHERE aggregate_type = 'transaction' AND aggregate_id = %s", txn["id"])
            assert [e["event_type"] for e in events] == ["transaction.transfer"]
        assert integrity_problems(admin_conn) == []

    def test_balance_after_runs_in_time_order_from_a_funding_deposit(self, admin_conn) -> None:
        source = _source()
        shuffled = [ROWS[3], ROWS[0], ROWS[2], ROWS[1]]  # posting follows time, not input
        _import(admin_conn, source, shuffled)
        customer = _party_account(admin_conn, source, "customer", "2000")
        entries = query(admin_conn, "SELECT e.amount, e.balance_after, t.type, t.created_at"
                        " FROM ledger_entries e JOIN transactions t ON t.id = e.transaction_id"
                        " WHERE e.account_id = %s ORDER BY e.id", customer)
        # 66.38 + 5.62 + 7.94 = 79.94 paid, funded by one deposit a second before the first.
        assert [(e["type"], e["amount"]) for e in entries] == [
            ("deposit", Decimal("79.94")), ("transfer", Decimal("-66.38")),
            ("transfer", Decimal("-5.62")), ("transfer", Decimal("-7.94"))]
        assert str(entries[0]["created_at"]) == "2018-04-01 00:17:43"
        running = Decimal(0)
        for entry in entries:
            running += entry["amount"]
            assert entry["balance_after"] == running
        assert running == 0
        assert [e["created_at"] for e in entries] == sorted(e["created_at"] for e in entries)
        merchant = _party_account(admin_conn, source, "merchant", "471")
        assert query(admin_conn, "SELECT balance FROM accounts WHERE id = %s",
                     merchant)[0]["balance"] == Decimal("93.00")
        assert integrity_problems(admin_conn) == []

    def test_a_customer_with_funds_left_is_not_funded_again(self, admin_conn) -> None:
        source = _source()
        _import(admin_conn, source, [_row(1, "2018-04-01 10:00:00", "5", "9", "10.00")])
        customer = _party_account(admin_conn, source, "customer", "5")
        proc(admin_conn, "sp_deposit_cash", account_id=customer, amount="50", description="cash",
             idempotency_key=secrets.token_hex(8), actor_id=1, session_id=None, owner_id=None)
        _import(admin_conn, source, [_row(2, "2018-04-02 10:00:00", "5", "9", "30.00")])
        deposits = query(admin_conn, "SELECT COUNT(*) AS n FROM transactions"
                         " WHERE to_account_id = %s AND type = 'deposit'", customer)[0]["n"]
        assert deposits == 2  # the first import's funding and the cash, none for the second
        assert query(admin_conn, "SELECT balance FROM accounts WHERE id = %s",
                     customer)[0]["balance"] == Decimal("20.00")

    def test_new_parties_are_verified_customers_who_cannot_log_in(self, admin_conn) -> None:
        source = _source()
        _import(admin_conn, source, ROWS[:1])
        users = query(admin_conn, "SELECT u.username, u.role, u.kyc_status, u.password_hash,"
                      " a.account_type, a.currency FROM import_parties p"
                      " JOIN users u ON u.id = p.user_id JOIN accounts a ON a.id = p.account_id"
                      " WHERE p.source = %s ORDER BY p.kind", source)
        assert [u["username"] for u in users] == [f"{source}.c2000", f"{source}.m7997"]
        assert {(u["role"], u["kyc_status"], u["password_hash"], u["account_type"], u["currency"])
                for u in users} == {("customer", "verified", "!", "checking", "JOD")}

    def test_the_label_and_scenario_are_kept_beside_the_transaction(self, admin_conn) -> None:
        source = _source()
        answer = _import(admin_conn, source, ROWS)
        kept = query(admin_conn, "SELECT source_id, transaction_id, source_line, is_fraud, scenario"
                     " FROM import_source_rows WHERE source = %s ORDER BY source_line", source)
        assert [(k["source_id"], k["transaction_id"], k["source_line"], k["is_fraud"],
                 k["scenario"]) for k in kept] == [
            ("11", answer[0]["transaction_id"], 12, 0, 0),
            ("18", answer[1]["transaction_id"], 19, 0, 0),
            ("128", answer[2]["transaction_id"], 129, 1, 2),
            ("165", answer[3]["transaction_id"], 166, 0, 0)]


class TestImportOnce:
    def test_a_rerun_posts_nothing_and_answers_the_same_ids(self, admin_conn) -> None:
        source = _source()
        first = _import(admin_conn, source, ROWS)
        before = counts(admin_conn)
        again = _import(admin_conn, source, ROWS)
        assert counts(admin_conn) == before
        assert [r["transaction_id"] for r in again] == [r["transaction_id"] for r in first]
        assert not any(r["imported"] for r in again)

    def test_a_rerun_with_more_rows_posts_only_the_new_ones(self, admin_conn) -> None:
        source = _source()
        _import(admin_conn, source, ROWS[:2])
        answer = _import(admin_conn, source, ROWS)
        assert [r["imported"] for r in answer] == [0, 0, 1, 1]
        assert query(admin_conn, "SELECT COUNT(*) AS n FROM import_source_rows WHERE source = %s",
                     source)[0]["n"] == 4

    def test_a_known_row_with_other_values_is_a_conflict(self, admin_conn) -> None:
        source = _source()
        _import(admin_conn, source, ROWS)
        changed = [*ROWS[:2], {**ROWS[2], "amount": "5.63"}]
        before = counts(admin_conn)
        with pytest.raises(pymysql.err.MySQLError) as err:
            _import(admin_conn, source, changed)
        assert error_code(err.value) == "IDEMPOTENCY_CONFLICT"
        assert "line 129" in str(err.value)
        assert counts(admin_conn) == before


class TestImportRefused:
    @pytest.mark.parametrize("role", ["customer", "teller", "manager", "auditor"])
    def test_only_an_admin_imports(self, admin_conn, role) -> None:
        actor = new_user(admin_conn, role)
        before = counts(admin_conn)
        with pytest.raises(pymysql.err.MySQLError) as err:
            _import(admin_conn, _source(), ROWS, actor=actor)
        assert error_code(err.value) == "FORBIDDEN"
        assert counts(admin_conn) == before

    def test_an_admin_user_imports_in_their_own_name(self, admin_conn) -> None:
        actor = new_user(admin_conn, "admin")
        answer = _import(admin_conn, _source(), ROWS[:1], actor=actor)
        assert query(admin_conn, "SELECT initiator_id FROM transactions WHERE id = %s",
                     answer[0]["transaction_id"])[0]["initiator_id"] == actor

    def test_the_api_login_cannot_call_it(self, bank_app_conn) -> None:
        with pytest.raises(pymysql.err.MySQLError) as err, bank_app_conn.cursor() as cur:
            cur.execute("CALL sp_import_transactions('x1', 'JOD', '[]', 1, NULL)")
        assert err.value.args[0] == 1370  # execute command denied

    def test_a_session_given_must_be_live(self, admin_conn) -> None:
        with pytest.raises(pymysql.err.MySQLError) as err:
            proc(admin_conn, "sp_import_transactions", source=_source(), currency="JOD",
                 rows="[]", actor_id=new_user(admin_conn, "admin"),
                 session_id="0" * 32)
        assert error_code(err.value) == "SESSION_REVOKED"


class TestImportBadInput:
    @pytest.mark.parametrize(("change", "code", "detail"), [
        ({"amount": "abc"}, "INVALID_ARGUMENT", "the amount is missing"),
        ({"amount": "1.23456"}, "INVALID_AMOUNT", "decimal"),
        ({"amount": "0"}, "INVALID_AMOUNT", "greater than zero"),
        ({"amount": "1000000000.5"}, "AMOUNT_OUT_OF_RANGE", "at most"),
        ({"at": "2018-02-30 10:00:00"}, "INVALID_ARGUMENT", "the time"),
        ({"at": "yesterday"}, "INVALID_ARGUMENT", "the time"),
        ({"customer": "Bad Id"}, "INVALID_ARGUMENT", "the customer id"),
        ({"terminal": None}, "INVALID_ARGUMENT", "the terminal id"),
        ({"id": "x y"}, "INVALID_ARGUMENT", "the transaction id"),
        ({"fraud": 2}, "INVALID_ARGUMENT", "fraud label"),
        ({"scenario": "two"}, "INVALID_ARGUMENT", "scenario"),
    ])
    def test_a_bad_row_names_its_line_and_nothing_is_written(self, admin_conn, change, code,
                                                             detail) -> None:
        rows = [*ROWS[:2], {**ROWS[2], **change}, ROWS[3]]
        before = counts(admin_conn)
        with pytest.raises(pymysql.err.MySQLError) as err:
            _import(admin_conn, _source(), rows)
        assert error_code(err.value) == code, err.value
        assert "line 129" in str(err.value)
        assert detail in str(err.value)
        assert counts(admin_conn) == before

    def test_a_row_twice_in_a_batch(self, admin_conn) -> None:
        with pytest.raises(pymysql.err.MySQLError) as err:
            _import(admin_conn, _source(), [*ROWS, {**ROWS[0], "line": 99}])
        assert error_code(err.value) == "INVALID_ARGUMENT"
        assert "line 99" in str(err.value)

    @pytest.mark.parametrize(("source", "currency", "rows", "code"), [
        ("Bad Source", "JOD", "[]", "INVALID_ARGUMENT"),
        ("ok", "XXX", "[]", "UNKNOWN_CURRENCY"),
        ("ok", "JOD", '{"id": 1}', "INVALID_ARGUMENT"),
        ("ok", "JOD", "not json", "INVALID_ARGUMENT"),
        ("ok", "JOD", json.dumps([{}] * 10001), "INVALID_ARGUMENT"),
    ])
    def test_a_bad_batch(self, admin_conn, source, currency, rows, code) -> None:
        with pytest.raises(pymysql.err.MySQLError) as err:
            proc(admin_conn, "sp_import_transactions", source=source, currency=currency,
                 rows=rows, actor_id=1, session_id=None)
        assert error_code(err.value) == code

    def test_a_source_keeps_its_currency(self, admin_conn) -> None:
        source = _source()
        _import(admin_conn, source, ROWS[:1])
        with pytest.raises(pymysql.err.MySQLError) as err:
            _import(admin_conn, source, ROWS[1:2], currency="USD")
        assert error_code(err.value) == "INVALID_ARGUMENT"
        assert "another currency" in str(err.value)

    def test_a_party_name_taken_by_someone_else(self, admin_conn) -> None:
        source = _source()
        with admin_conn.cursor() as cur:
            cur.execute("INSERT INTO users (username, role, status, kyc_status, password_hash)"
                        " VALUES (%s, 'customer', 'active', 'verified', '!')", (f"{source}.m471",))
        before = counts(admin_conn)
        with pytest.raises(pymysql.err.MySQLError) as err:
            _import(admin_conn, source, ROWS)
        assert error_code(err.value) == "USERNAME_TAKEN"
        assert counts(admin_conn) == before
