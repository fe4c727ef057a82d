"""The ledger's invariants: double entry under a random workload, immutability, least
privilege for the application's database user, and the audit log's hash chain (and its
anchor outside the database)."""

from __future__ import annotations

import asyncio
import random
import secrets
from collections.abc import Iterator
from decimal import Decimal

import pymysql
import pytest

from api.config import DatabaseAddress
from scripts import audit_anchor
from scripts.db_connection import connect
from tests.support.ledger import (
    aconnect,
    aproc,
    call,
    deposit,
    error_code,
    integrity_problems,
    new_user,
    open_account,
    proc,
    query,
    scratch_database,
)

CURRENCY_STEP = {"JOD": Decimal("0.001"), "USD": Decimal("0.01"), "EUR": Decimal("0.01")}


@pytest.fixture
def own_database(admin_url: str) -> Iterator[DatabaseAddress]:
    """A second, private migrated database for tests that deliberately corrupt it."""
    with scratch_database(admin_url, "tamper") as address:
        yield address


class TestDoubleEntry:
    async def test_random_workload_keeps_every_invariant(self, addresses, admin_conn, app_conn):
        rng = random.Random(20261123)
        accounts = []
        for _ in range(12):
            user = new_user(admin_conn)
            for currency in ("JOD", "USD", "EUR"):
                account = open_account(app_conn, user, currency)
                deposit(app_conn, account["id"], "2000")
                accounts.append(account)
        posted: list[int] = []
        outcomes: dict[str, int] = {}

        def amount(currency: str) -> str:
            # From 1 up (the smallest conversion), with every decimal place in use.
            return str(1 + CURRENCY_STEP[currency] * rng.randint(1, 30000))

        async def worker(conn, ops):
            for _ in range(ops):
                src = rng.choice(accounts)
                choice = rng.random()
                try:
                    if choice < 0.15:
                        rows = await aproc(conn, "sp_deposit_cash", account_id=src["id"],
                                           amount=amount(src["currency"]), description=None,
                                           idempotency_key=secrets.token_hex(8), actor_id=1,
                                           session_id=None, owner_id=None)
                    elif choice < 0.3:
                        rows = await aproc(conn, "sp_withdraw_cash", account_id=src["id"],
                                           amount=amount(src["currency"]), description=None,
                                           idempotency_key=secrets.token_hex(8), actor_id=1,
                                           session_id=None, owner_id=None,
                                           client_ip=None, country=None)
                    elif choice < 0.92:
                        dst = rng.choice([a for a in accounts if a["id"] != src["id"]])
                        fee = str(CURRENCY_STEP[src["currency"]] * rng.choice([0, 0, 0, 250]))
                        rows = await aproc(conn, "sp_perform_transfer", from_account_id=src["id"],
                                           to_account_number=dst["account_number"],
                                           amount=amount(src["currency"]), fee=fee,
                                           description=None, idempotency_key=secrets.token_hex(8),
                                           actor_id=1, session_id=None, owner_id=None,
                                           otp_hash=None, client_ip=None, country=None)
                    elif posted:
                        target = rng.choice(posted)
                        rows = await aproc(conn, "sp_reverse_transaction", transaction_id=target,
                                           reason="random correction",
                                           idempotency_key=secrets.token_hex(8), actor_id=1)
                    else:
                        continue
                    posted.append(rows[0]["id"])
                    outcomes["ok"] = outcomes.get("ok", 0) + 1
                except pymysql.err.MySQLError as exc:
                    code = error_code(exc)
                    outcomes[code] = outcomes.get(code, 0) + 1

        conns = await asyncio.gather(*(aconnect(addresses.admin) for _ in range(6)))
        try:
            await asyncio.gather(*(worker(c, 400) for c in conns))
        finally:
            for c in conns:
                c.close()

        # Only the refusals a random workload must meet, nothing else.
        assert set(outcomes) <= {"ok", "INSUFFICIENT_FUNDS", "ALREADY_REVERSED",
                                 "NOT_REVERSIBLE", "DAILY_LIMIT_EXCEEDED",
                                 "REVERSAL_WOULD_OVERDRAW"}, outcomes
        assert outcomes["ok"] > 1500, outcomes
        assert outcomes.get("INSUFFICIENT_FUNDS", 0) > 0, outcomes
        assert integrity_problems(admin_conn) == []
        sheet = query(
            admin_conn,
            "SELECT currency, SUM(balance) AS net FROM vw_balance_sheet GROUP BY currency",
        )
        assert {row["currency"]: row["net"] for row in sheet} == {
            c: 0 for c in ("EUR", "JOD", "USD")
        }
        negative = query(
            admin_conn,
            "SELECT COUNT(*) AS n FROM accounts WHERE kind='customer' "
            "AND balance < -overdraft_limit",
        )
        assert negative[0]["n"] == 0


class TestImmutability:
    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE ledger_entries SET amount = amount + 1 ORDER BY id LIMIT 1",
            "DELETE FROM ledger_entries ORDER BY id LIMIT 1",
            "UPDATE audit_log SET after_data = '{}' ORDER BY id LIMIT 1",
            "DELETE FROM audit_log ORDER BY id LIMIT 1",
        ],
    )
    def test_admin_cannot_edit_history(self, admin_conn, app_conn, statement):
        account = open_account(app_conn, new_user(admin_conn), "JOD")
        deposit(app_conn, account["id"], "1")
        with pytest.raises(pymysql.err.MySQLError) as err:
            query(admin_conn, statement)
        assert error_code(err.value) == "IMMUTABLE_RECORD"

    def test_tampering_by_root_is_reported(self, own_database):
        conn = connect(own_database, dict_rows=True)
        try:
            user = new_user(conn)
            account = open_account(conn, user, "JOD")
            deposit(conn, account["id"], "10")
            assert integrity_problems(conn) == []
            # An attacker with full rights removes the guard, edits history, and puts it back.
            query(conn, "DROP TRIGGER trg_ledger_entries_no_update")
            query(conn, "DROP TRIGGER trg_audit_log_no_update")
            query(
                conn, "UPDATE ledger_entries SET amount = 1000 WHERE account_id = %s", account["id"]
            )
            query(
                conn,
                "UPDATE audit_log SET after_data = JSON_SET(after_data, '$.status', 'frozen') "
                "WHERE table_name = 'accounts' AND row_id = %s",
                account["id"],
            )
            found = {(row["check_name"], row["subject_type"]) for row in integrity_problems(conn)}
            assert ("unbalanced_transaction", "transaction") in found
            assert ("balance_mismatch", "account") in found
            assert ("audit_hash_mismatch", "audit_log") in found
        finally:
            conn.close()

    def test_rewriting_a_hash_breaks_the_chain(self, own_database):
        conn = connect(own_database, dict_rows=True)
        try:
            open_account(conn, new_user(conn), "JOD")
            open_account(conn, new_user(conn), "USD")
            query(conn, "DROP TRIGGER trg_audit_log_no_update")
            # Recompute the row's own hash after editing it: the next row's link still breaks.
            first = query(conn, "SELECT MIN(id) AS id FROM audit_log")[0]["id"]
            query(
                conn, "UPDATE audit_log SET after_data = '{\"forged\": true}' WHERE id = %s", first
            )
            query(
                conn,
                "UPDATE audit_log SET row_hash = fn_audit_row_hash(prev_hash, id, table_name, "
                "row_id, action, actor_user_id, db_user, before_data, after_data, created_at, "
                "event, reason) "
                "WHERE id = %s",
                first,
            )
            found = {row["check_name"] for row in integrity_problems(conn)}
            assert "audit_chain_broken" in found
            assert "audit_hash_mismatch" not in found
        finally:
            conn.close()


class TestLeastPrivilege:
    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE accounts SET balance = 1000000 WHERE id = 1",
            "INSERT INTO ledger_entries (transaction_id, account_id, amount, currency, "
            "balance_after) VALUES (1, 1, 1, 'JOD', 1)",
            "DELETE FROM transactions WHERE id = 1",
            "SELECT password_hash FROM users LIMIT 1",
            "SELECT * FROM accounts LIMIT 1",
            "CREATE TABLE evil (id INT)",
        ],
    )
    def test_app_user_cannot_touch_tables(self, bank_app_conn, statement):
        with pytest.raises(pymysql.err.MySQLError) as err:
            query(bank_app_conn, statement)
        assert err.value.args[0] in {1142, 1143, 1044}  # command / column / database access denied

    def test_app_user_can_call_procedures(self, admin_conn, bank_app_conn):
        account = open_account(bank_app_conn, new_user(admin_conn), "JOD")
        assert call(bank_app_conn, "sp_get_account", account["id"])[0]["id"] == account["id"]

    def test_readonly_user_sees_views_only(self, addresses):
        conn = connect(addresses.readonly, dict_rows=True)
        try:
            assert query(conn, "SELECT COUNT(*) AS n FROM vw_balance_sheet")[0]["n"] > 0
            for table in ("users", "accounts", "refresh_tokens", "audit_log"):
                with pytest.raises(pymysql.err.MySQLError) as err:
                    query(conn, f"SELECT * FROM {table} LIMIT 1")
                assert err.value.args[0] == 1142
            with pytest.raises(pymysql.err.MySQLError):
                # Refused before its arguments matter: bank_readonly cannot see its signature.
                call(conn, "sp_deposit_cash", 1, "1", None, "k", 1, None, None)
        finally:
            conn.close()


class TestAudit:
    def test_status_change_is_audited_with_actor_and_balance_moves_are_not(
        self, admin_conn, app_conn
    ):
        staff = new_user(admin_conn, "manager")
        account = open_account(app_conn, new_user(admin_conn), "JOD")
        deposit(app_conn, account["id"], "5")
        proc(app_conn, "sp_set_account_status", account_id=account["id"], status="frozen",
             reason="investigation", actor_id=staff)
        rows = query(
            admin_conn,
            "SELECT action, actor_user_id, JSON_VALUE(before_data, '$.status') AS before_s, "
            "JSON_VALUE(after_data, '$.status') AS after_s FROM audit_log "
            "WHERE table_name = 'accounts' AND row_id = %s ORDER BY id",
            account["id"],
        )
        assert [r["action"] for r in rows] == ["INSERT", "UPDATE"]
        assert (rows[1]["actor_user_id"], rows[1]["before_s"], rows[1]["after_s"]) == (
            staff,
            "active",
            "frozen",
        )

    def test_user_audit_never_copies_secrets(self, admin_conn):
        user = new_user(admin_conn)
        row = query(
            admin_conn,
            "SELECT after_data FROM audit_log WHERE table_name='users' AND row_id=%s",
            user,
        )[0]
        assert 'password_hash"' not in row["after_data"]
        assert "pin_hash" not in row["after_data"]
        assert integrity_problems(admin_conn) == []


class TestAuditAnchor:
    """The chain head kept outside the database catches a chain rebuilt from scratch."""

    def _activity(self, conn, accounts: int = 2) -> None:
        for _ in range(accounts):
            open_account(conn, new_user(conn), "JOD")  # a user row and an account row

    def test_a_growing_chain_extends_its_anchor(self, own_database, tmp_path):
        anchor_file = tmp_path / "anchor.json"
        conn = connect(own_database, dict_rows=True)
        try:
            self._activity(conn)
            assert audit_anchor.main(["save", "--file", str(anchor_file),
                                      "--database", own_database.database]) == 0
            saved = audit_anchor.Anchor.from_json(anchor_file.read_text())
            assert saved.last_id == saved.row_count > 0
            self._activity(conn, 3)
            assert audit_anchor.verify(conn, saved) == []
            assert audit_anchor.chain_head(conn, own_database.database).last_id > saved.last_id
        finally:
            conn.close()
        assert audit_anchor.main(["verify", "--file", str(anchor_file),
                                  "--database", own_database.database]) == 0

    def test_an_empty_chain_anchor_accepts_any_honest_chain(self, own_database):
        conn = connect(own_database, dict_rows=True)
        try:
            empty = audit_anchor.Anchor(own_database.database, 0, "0" * 64, 0, "then")
            self._activity(conn)
            assert audit_anchor.verify(conn, empty) == []
        finally:
            conn.close()

    @pytest.mark.parametrize("rebuilt_accounts", [1, 6])
    def test_a_wholesale_rewrite_by_the_server_admin_is_detected(
        self, own_database, tmp_path, rebuilt_accounts
    ):
        anchor_file = tmp_path / "anchor.json"
        conn = connect(own_database, dict_rows=True)
        try:
            self._activity(conn, 3)
            assert audit_anchor.main(["save", "--file", str(anchor_file),
                                      "--database", own_database.database]) == 0
            # The server admin may TRUNCATE (triggers do not fire) and then writes a new,
            # internally consistent chain: shorter, or longer than the anchored one.
            query(conn, "TRUNCATE TABLE audit_log")
            query(conn, "UPDATE audit_chain_head SET last_id = 0, last_hash = REPEAT('0', 64)")
            self._activity(conn, rebuilt_accounts)
            # The chain is consistent in itself: the integrity view cannot tell.
            audit = [p for p in integrity_problems(conn) if p["check_name"].startswith("audit")]
            assert audit == []
            problems = audit_anchor.verify(conn, audit_anchor.Anchor.from_json(
                anchor_file.read_text()))
            assert any("rewritten" in problem for problem in problems), problems
        finally:
            conn.close()
        assert audit_anchor.main(["verify", "--file", str(anchor_file),
                                  "--database", own_database.database]) == 1

    def test_an_edited_row_after_the_anchor_is_detected(self, own_database):
        conn = connect(own_database, dict_rows=True)
        try:
            self._activity(conn)
            anchor = audit_anchor.chain_head(conn, own_database.database)
            self._activity(conn)
            query(conn, "DROP TRIGGER trg_audit_log_no_update")
            query(conn, "UPDATE audit_log SET after_data = '{}' WHERE id = %s", anchor.last_id + 1)
            problems = audit_anchor.verify(conn, anchor)
            assert problems == [f"audit row {anchor.last_id + 1} no longer matches its hash"]
        finally:
            conn.close()

    def test_verify_without_an_anchor_file_is_a_usage_error(self, own_database, tmp_path):
        assert audit_anchor.main(["verify", "--file", str(tmp_path / "none.json"),
                                  "--database", own_database.database]) == 2


class TestFxLeaks:
    """A conversion that pays out more than its quote, or quotes with a gainful cycle, are
    reported: the FX position accounts would otherwise absorb the loss unseen."""

    def test_an_overpaid_conversion_shows_in_the_fx_book(self, own_database):
        conn = connect(own_database, dict_rows=True)
        try:
            user = new_user(conn)
            jod, eur = open_account(conn, user, "JOD"), open_account(conn, user, "EUR")
            deposit(conn, jod["id"], "10")
            assert integrity_problems(conn) == []
            # What the old half-up rounding did, at scale: 1.000 JOD at 1.3 credited 1.40 EUR.
            fx = {r["currency"]: r["id"] for r in query(
                conn, "SELECT id, currency FROM accounts WHERE gl_type = 'fx_position'")}
            query(conn, "INSERT INTO transactions (reference, type, status, amount, currency, "
                        "from_account_id, to_account_id, target_amount, target_currency, fx_rate, "
                        "initiator_id) VALUES ('TXLEAK', 'transfer', 'completed', 1, 'JOD', %s, "
                        "%s, 1.40, 'EUR', 1.3, 1)", jod["id"], eur["id"])
            txn = query(conn, "SELECT id FROM transactions WHERE reference = 'TXLEAK'")[0]["id"]
            for account, amount, currency in ((jod["id"], "-1", "JOD"), (fx["JOD"], "1", "JOD"),
                                              (fx["EUR"], "-1.40", "EUR"),
                                              (eur["id"], "1.40", "EUR")):
                query(conn, "UPDATE accounts SET balance = balance + %s, "
                            "available_balance = available_balance + %s WHERE id = %s",
                      Decimal(amount), Decimal(amount), account)
                query(conn, "INSERT INTO ledger_entries (transaction_id, account_id, amount, "
                            "currency, balance_after, entry_type) VALUES (%s, %s, %s, %s, 0, "
                            "'principal')", txn, account, Decimal(amount), currency)
            found = {(row["check_name"], row["currency"]) for row in integrity_problems(conn)}
            assert ("fx_conversion_overpaid", "EUR") in found
            assert {("fx_position_negative", c) for c in ("JOD", "USD", "EUR")} <= found
            assert not any(name.startswith(("unbalanced", "balance_")) for name, _ in found)
        finally:
            conn.close()

    def test_a_quote_with_a_gainful_round_trip_is_reported(self, own_database):
        conn = connect(own_database, dict_rows=True)
        try:
            assert integrity_problems(conn) == []
            # The quote schema/06 replaced: USD->EUR->USD paid 1.00004.
            query(conn, "INSERT INTO fx_rates (base_currency, quote_currency, rate, valid_from) "
                        "VALUES ('EUR', 'USD', 1.087, NOW(6))")
            gains = [row for row in integrity_problems(conn)
                     if row["check_name"] == "fx_round_trip_gain"]
            assert {row["currency"] for row in gains} >= {"EUR", "USD"}
            assert all(row["actual"] > 1 for row in gains)
        finally:
            conn.close()
