"""What each database login may do: the API's allow-list, sessions, hosts, and the owner.

bank_app may execute exactly the procedures api/ledger.py calls, and every person-facing
one needs a live session; internal helpers are out of every service user's reach; the
users exist only at the configured hosts; and nobody but the server admin can TRUNCATE
or DROP the ledger's tables, while the transaction headers change only along their life
cycle, whoever asks.
"""

from __future__ import annotations

import ast
import re
import secrets
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pymysql
import pytest
from pydantic import ValidationError

from api.config import DEFAULT_DB_PASSWORDS, REPO_ROOT, DatabaseAddress, Settings, get_settings
from api.errors import known_codes
from scripts.db_connection import connect
from scripts.db_roles import API_PROCEDURES, OWNER, ROLES, all_accounts, owner_address
from scripts.migrate import drop_database, migrate
from tests.support.ledger import (
    balance,
    call,
    counts,
    deposit,
    error_code,
    integrity_problems,
    new_user,
    open_account,
    proc,
    query,
)

ACCESS_DENIED = {1142, 1143, 1370, 1044}  # table, column, routine, database
LEDGER_PY = REPO_ROOT / "api" / "ledger.py"
_LEDGER_METHODS = {"call", "rows", "row", "one", "posted"}


def procedures_the_api_calls() -> set[str]:
    """Every `self.<helper>("sp_...")` in api/ledger.py (the only file that CALLs)."""
    tree = ast.parse(LEDGER_PY.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in _LEDGER_METHODS and node.args
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            names.add(node.args[0].value)
    return names


def procedure_names_in_api() -> set[str]:
    """Every quoted `sp_...` name anywhere in api/: a call built another way is still seen."""
    pattern = re.compile(r"[\"'](sp_[a-z0-9_]+)[\"']")
    return {name for path in (REPO_ROOT / "api").rglob("*.py")
            for name in pattern.findall(path.read_text())}


def routine_grantees(conn: Any, database: str) -> dict[tuple[str, str], set[str]]:
    """(type, routine) -> every 'user'@'host' that may execute it, however it was granted."""
    routines = query(conn, "SELECT ROUTINE_TYPE AS kind, ROUTINE_NAME AS name"
                           " FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s", database)
    wide = {
        row["GRANTEE"] for row in query(
            conn, "SELECT GRANTEE FROM information_schema.SCHEMA_PRIVILEGES"
                  " WHERE TABLE_SCHEMA = %s AND PRIVILEGE_TYPE = 'EXECUTE'", database)
    } | {
        row["GRANTEE"] for row in query(
            conn, "SELECT GRANTEE FROM information_schema.USER_PRIVILEGES"
                  " WHERE PRIVILEGE_TYPE = 'EXECUTE'")
    }
    grantees = {(r["kind"], r["name"]): set(wide) for r in routines}
    for row in query(conn, "SELECT User, Host, Routine_name, Routine_type, Proc_priv"
                           " FROM mysql.procs_priv WHERE Db = %s", database):
        privileges = row["Proc_priv"]
        if "Execute" in (privileges if isinstance(privileges, set) else str(privileges)):
            key = (row["Routine_type"], row["Routine_name"])
            grantees.setdefault(key, set()).add(f"'{row['User']}'@'{row['Host']}'")
    return grantees


def service_users() -> set[str]:
    return set(ROLES)


def user_of(grantee: str) -> str:
    return grantee.split("@", 1)[0].strip("'")


@pytest.fixture
def session_for(admin_conn: Any) -> Callable[[int], str]:
    """Make a live auth session for a user (as the login procedure would)."""

    def make(user_id: int) -> str:
        session = secrets.token_hex(16)
        query(admin_conn, "INSERT INTO auth_sessions (id, user_id, expires_at)"
                          " VALUES (%s, %s, NOW(6) + INTERVAL 1 HOUR)", session, user_id)
        return session

    return make


# -- item: bank_app executes only the API's entry points ----------------------------------


class TestAllowList:
    def test_every_procedure_the_api_calls_is_allowed_and_granted(
        self, admin_conn: Any, database: str
    ) -> None:
        called = procedures_the_api_calls() | procedure_names_in_api()
        assert len(called) >= 20, called  # the parser still finds the calls
        missing = sorted(called - set(API_PROCEDURES))
        assert not missing, (
            f"api/ledger.py calls {missing}: add them to API_PROCEDURES in scripts/db_roles.py")
        grantees = routine_grantees(admin_conn, database)
        hosts = get_settings().db_user_hosts
        for name in sorted(called):
            assert ("PROCEDURE", name) in grantees, f"{name} does not exist in the database"
            for host in hosts:
                assert f"'bank_app'@'{host}'" in grantees[("PROCEDURE", name)], (
                    f"bank_app@{host} cannot execute {name}, which api/ledger.py calls")

    def test_allow_list_names_only_what_the_api_calls(self) -> None:
        assert sorted(set(API_PROCEDURES) - procedures_the_api_calls()) == []
        assert len(API_PROCEDURES) == len(set(API_PROCEDURES))

    def test_every_routine_is_allowed_or_out_of_service_reach(
        self, admin_conn: Any, database: str
    ) -> None:
        grantees = routine_grantees(admin_conn, database)
        assert len(grantees) >= 40, grantees
        listing = "\n".join(
            f"  {kind:9} {name:32} {', '.join(sorted(who)) or '-'}"
            for (kind, name), who in sorted(grantees.items()))
        for (kind, name), who in grantees.items():
            for grantee in who:
                user = user_of(grantee)
                if user not in service_users():
                    continue
                allowed = kind == "PROCEDURE" and name in ROLES[user].procedures
                assert allowed, f"{grantee} may execute {kind} {name}:\n{listing}"
        helpers = {"sp_post_journal", "sp_journal_lock", "sp_journal_reset",
                   "sp_audit_append", "sp_replay_idempotent",
                   "sp_assert_session", "sp_assert_staff", "sp_assert_role", "sp_assert_staff_act",
                   "fn_is_system_login", "sp_emit_transaction",
                   "sp_emit_batch", "sp_check_amount", "sp_move_cash", "fn_audit_row_hash",
                   "fn_amount_error", "fn_debit_error", "fn_new_reference"}
        for (_, name), who in grantees.items():
            if name in helpers:
                assert not {user_of(g) for g in who} & service_users(), f"{name}:\n{listing}"

    @pytest.mark.parametrize(
        "statement",
        [
            "CALL sp_post_journal('deposit', 777, 'JOD', 0, NULL, 1, 777, 'JOD', 1, 'x', NULL, 1,"
            " 'k', NULL, NULL, 'transaction.deposit', 1, NULL, '{}', '$.transaction_id', @id)",
            "CALL sp_audit_append('accounts', 1, 'UPDATE', NULL, '{\"forged\":1}')",
            "CALL sp_move_cash('deposit', 1, 5.000, 'x', 'k', 1, NULL, NULL)",
            "CALL sp_replay_idempotent(1, 'k', NULL, @found)",
            "CALL sp_assert_staff(1)",
            "CALL sp_set_account_status(1, 'frozen', 'x', 1)",
            "CALL sp_place_hold(1, 1, 'x', NULL, 1)",
            "SELECT fn_audit_row_hash(REPEAT('0',64), 1, 't', 1, 'INSERT', NULL, 'x', NULL, '{}',"
            " NOW(6), NULL, NULL)",
        ],
    )
    def test_internal_helpers_are_refused_to_bank_app(
        self, admin_conn: Any, bank_app_conn: Any, statement: str
    ) -> None:
        before = counts(admin_conn)
        with pytest.raises(pymysql.err.MySQLError) as caught:
            query(bank_app_conn, statement)
        assert caught.value.args[0] in ACCESS_DENIED, caught.value
        assert counts(admin_conn) == before
        assert integrity_problems(admin_conn) == []


# -- item: a NULL session is a system actor's, never the API's ----------------------------


class TestSessions:
    def test_bank_app_may_not_deposit_without_a_session(
        self, admin_conn: Any, bank_app_conn: Any
    ) -> None:
        teller = new_user(admin_conn, "teller")
        account = open_account(admin_conn, new_user(admin_conn), "JOD")
        before = counts(admin_conn)
        for procedure, args in (
            ("sp_deposit_cash", (account["id"], "5.000", "x", "k1", teller, None, None)),
            ("sp_withdraw_cash", (account["id"], "5.000", "x", "k2", teller, None, None, None,
                                  None)),
            ("sp_perform_transfer", (account["id"], account["account_number"], "1.000", "0",
                                     None, "k3", teller, None, None, None, None, None)),
            ("sp_perform_batch_transfer", (account["id"], "[]", None, "k4", teller, None, None,
                                           None, None, None)),
        ):
            with pytest.raises(pymysql.err.MySQLError) as caught:
                call(bank_app_conn, procedure, *args)
            assert error_code(caught.value) == "SESSION_REQUIRED", procedure
        assert counts(admin_conn) == before
        assert balance(admin_conn, account["id"]) == 0

    def test_bank_app_deposits_with_a_tellers_live_session(
        self, admin_conn: Any, bank_app_conn: Any, session_for: Any
    ) -> None:
        teller = new_user(admin_conn, "teller")
        account = open_account(admin_conn, new_user(admin_conn), "JOD")
        proc(bank_app_conn, "sp_deposit_cash", account_id=account["id"], amount="5.000",
             description="x", idempotency_key=secrets.token_hex(8), actor_id=teller,
             session_id=session_for(teller), owner_id=None)
        assert balance(admin_conn, account["id"]) == Decimal("5.000")

    def test_a_customers_session_is_not_a_tellers(
        self, admin_conn: Any, bank_app_conn: Any, session_for: Any
    ) -> None:
        customer = new_user(admin_conn)
        account = open_account(admin_conn, customer, "JOD")
        with pytest.raises(pymysql.err.MySQLError) as caught:
            proc(bank_app_conn, "sp_deposit_cash", account_id=account["id"], amount="5.000",
                 description="x", idempotency_key=secrets.token_hex(8), actor_id=customer,
                 session_id=session_for(customer), owner_id=None)
        assert error_code(caught.value) == "FORBIDDEN"

    def test_a_system_actor_may_pass_no_session(self, admin_conn: Any) -> None:
        account = open_account(admin_conn, new_user(admin_conn), "JOD")
        deposit(admin_conn, account["id"], "2.000")
        assert balance(admin_conn, account["id"]) == Decimal("2.000")

    def test_session_required_is_a_401(self) -> None:
        assert known_codes()["SESSION_REQUIRED"] == 401

    def test_every_entry_point_with_a_session_checks_it(self) -> None:
        """Each allowed procedure with p_session_id calls sp_assert_session, itself or
        through a helper it calls."""
        sources = {path.stem: path.read_text() for path in (REPO_ROOT / "procedures").glob("*.sql")}
        calls = {name: set(re.findall(r"\bCALL\s+(\w+)", text, re.IGNORECASE))
                 for name, text in sources.items()}

        def checks(name: str, seen: frozenset[str] = frozenset()) -> bool:
            found = calls.get(name, set())
            return "sp_assert_session" in found or any(
                checks(inner, seen | {name}) for inner in found - seen - {name})

        # Their p_session_id is the session they create or end, not the caller's proof.
        session_lifecycle = {"sp_auth_login_succeeded", "sp_auth_logout"}
        for name in sorted(set(API_PROCEDURES) - session_lifecycle):
            header = sources[name].split("BEGIN", 1)[0]
            if re.search(r"\bIN\s+p_session_id\b", header):
                assert checks(name), f"{name} takes p_session_id but never checks it"


# -- item: users at the configured hosts; no default passwords in production --------------


class TestHosts:
    def test_users_exist_only_at_the_configured_hosts(
        self, admin_conn: Any, database: str
    ) -> None:
        hosts = set(get_settings().db_user_hosts)
        assert hosts == {"localhost", "127.0.0.1"}
        for user in all_accounts():
            found = {r["Host"] for r in query(admin_conn,
                                              "SELECT Host FROM mysql.user WHERE User = %s", user)}
            assert found == hosts, user

    def test_hosts_follow_the_setting(
        self, admin_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        name = f"bank_hosts_{secrets.token_hex(4)}"
        admin = connect(DatabaseAddress.from_url(admin_url), use_database=False, dict_rows=True)
        try:
            # What an older migrator left: a wildcard-host account with the default password.
            query(admin, "CREATE USER IF NOT EXISTS 'bank_app'@'%%' IDENTIFIED BY 'pw'")
            monkeypatch.setenv("BANK_DB_USER_HOSTS", '["localhost", "127.0.0.1", "10.9.8.7"]')
            get_settings.cache_clear()
            migrate(admin_url, database=name)
            rows = query(admin, "SELECT User, Host FROM mysql.user"
                                " WHERE Host IN ('%%', '10.9.8.7')")
            assert {(r["User"], r["Host"]) for r in rows} == {
                (user, "10.9.8.7") for user in all_accounts()}
            monkeypatch.delenv("BANK_DB_USER_HOSTS")
            get_settings.cache_clear()
            migrate(admin_url, database=name)
            assert query(admin, "SELECT User FROM mysql.user WHERE Host = '10.9.8.7'") == []
        finally:
            monkeypatch.delenv("BANK_DB_USER_HOSTS", raising=False)
            get_settings.cache_clear()
            drop_database(admin_url, name)
            admin.close()

    @pytest.mark.parametrize("host", ["%", "10.0.0.%", "", "a b", "x'y"])
    def test_wildcard_hosts_are_refused(self, host: str) -> None:
        with pytest.raises(ValidationError):
            Settings(db_user_hosts=[host])

    def test_production_refuses_default_database_passwords(self) -> None:
        private = {"jwt_secret": secrets.token_urlsafe(32),
                   "pii_key": "cHJvZHVjdGlvbi1waWkta2V5LTMyLWJ5dGVzLWxvbmchIQ==",
                   "otp_key": secrets.token_urlsafe(32)}
        for field in DEFAULT_DB_PASSWORDS:
            others = {name: secrets.token_urlsafe(16) for name in DEFAULT_DB_PASSWORDS
                      if name != field}
            with pytest.raises(ValidationError, match=f"BANK_{field.upper()}"):
                Settings(env="production", **private, **others)  # type: ignore[arg-type]
        chosen = {name: secrets.token_urlsafe(16) for name in DEFAULT_DB_PASSWORDS}
        assert Settings(env="production", **private, **chosen).env == "production"  # type: ignore[arg-type]
        assert Settings(env="development").app_db_password == DEFAULT_DB_PASSWORDS[
            "app_db_password"]


# -- item: nobody but the server admin rewrites history ------------------------------------


@pytest.fixture
def owner_conn(addresses: Any) -> Iterator[Any]:
    conn = connect(owner_address(addresses.admin), dict_rows=True)
    try:
        yield conn
    finally:
        conn.close()


def posted(admin_conn: Any) -> dict[str, Any]:
    """A deposit, so every ledger table has a row to attack."""
    account = open_account(admin_conn, new_user(admin_conn), "JOD")
    return deposit(admin_conn, account["id"], "3.000")


class TestHistory:
    @pytest.mark.parametrize("table", ["ledger_entries", "audit_log", "transactions", "accounts"])
    @pytest.mark.parametrize("verb", ["TRUNCATE TABLE", "DROP TABLE"])
    def test_no_service_user_nor_the_owner_may_truncate_or_drop(
        self, admin_conn: Any, addresses: Any, table: str, verb: str
    ) -> None:
        posted(admin_conn)
        before = counts(admin_conn)
        logins = {OWNER: owner_address(addresses.admin), "bank_app": addresses.app,
                  "bank_worker": addresses.worker, "bank_readonly": addresses.readonly}
        for login, address in logins.items():
            conn = connect(address, dict_rows=True)
            try:
                with pytest.raises(pymysql.err.MySQLError) as caught:
                    query(conn, f"{verb} {table}")
                assert caught.value.args[0] in ACCESS_DENIED, (login, caught.value)
            finally:
                conn.close()
        assert counts(admin_conn) == before

    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE transactions SET amount = 1",
            "UPDATE transactions SET currency = 'USD' WHERE id = %(id)s",
            "UPDATE transactions SET to_account_id = 1 WHERE id = %(id)s",
            "UPDATE transactions SET idempotency_key = 'other' WHERE id = %(id)s",
            "UPDATE transactions SET created_at = NOW(6) - INTERVAL 1 DAY WHERE id = %(id)s",
            "UPDATE transactions SET status = 'failed' WHERE id = %(id)s",
            "UPDATE transactions SET status = 'reversed' WHERE id = %(id)s",
            "UPDATE transactions SET reversed_by_id = %(id)s WHERE id = %(id)s",
            "DELETE FROM transactions WHERE id = %(id)s",
            "DELETE FROM ledger_entries WHERE transaction_id = %(id)s",
            "UPDATE audit_log SET after_data = '{}' ORDER BY id DESC LIMIT 1",
            "DELETE FROM audit_log ORDER BY id DESC LIMIT 1",
        ],
    )
    def test_owner_and_admin_cannot_edit_posted_history(
        self, admin_conn: Any, owner_conn: Any, statement: str
    ) -> None:
        txn = posted(admin_conn)
        before = query(admin_conn, "SELECT * FROM transactions WHERE id = %s", txn["id"])
        for conn in (owner_conn, admin_conn):
            with pytest.raises(pymysql.err.MySQLError) as caught, conn.cursor() as cur:
                cur.execute(statement, {"id": txn["id"]})
            assert error_code(caught.value) == "IMMUTABLE_RECORD", caught.value
        assert query(admin_conn, "SELECT * FROM transactions WHERE id = %s", txn["id"]) == before

    def _pending(self, admin_conn: Any, status: str) -> int:
        user = new_user(admin_conn)
        account = open_account(admin_conn, user, "JOD")
        with admin_conn.cursor() as cur:
            cur.execute(
                "INSERT INTO transactions (reference, type, status, amount, currency,"
                " from_account_id, initiator_id, created_at)"
                " VALUES (%s, 'transfer', %s, 1, 'JOD', %s, %s, NOW(6))",
                (f"TXT{secrets.token_hex(8)}", status, account["id"], user))
            return int(cur.lastrowid)

    @pytest.mark.parametrize(
        ("path", "allowed"),
        [
            (["pending_otp", "pending_review", "completed", "reversed"], [True, True, False]),
            (["pending_otp", "completed"], [True]),
            (["pending_otp", "rejected"], [True]),
            (["pending_review", "failed"], [True]),
            (["pending_review", "pending_otp"], [False]),
            (["pending_otp", "rejected", "completed"], [True, False]),
            (["pending_review", "failed", "completed"], [True, False]),
        ],
    )
    def test_status_moves_only_along_its_life_cycle(
        self, admin_conn: Any, path: list[str], allowed: list[bool]
    ) -> None:
        txn = self._pending(admin_conn, path[0])
        expected = path[0]
        for status, ok in zip(path[1:], allowed, strict=True):
            statement = "UPDATE transactions SET status = %s WHERE id = %s"
            if ok:
                query(admin_conn, statement, status, txn)
                expected = status
            else:
                with pytest.raises(pymysql.err.MySQLError) as caught:
                    query(admin_conn, statement, status, txn)
                assert error_code(caught.value) == "IMMUTABLE_RECORD", status
        row = query(admin_conn, "SELECT status FROM transactions WHERE id = %s", txn)[0]
        assert row["status"] == expected

    def test_reversal_sets_status_and_link_once(self, admin_conn: Any) -> None:
        txn = posted(admin_conn)
        reversal = proc(admin_conn, "sp_reverse_transaction", transaction_id=txn["id"],
                        reason="test", idempotency_key="rev-" + secrets.token_hex(6),
                        actor_id=1)[0]
        row = query(admin_conn, "SELECT status, reversed_by_id FROM transactions WHERE id = %s",
                    txn["id"])[0]
        assert row == {"status": "reversed", "reversed_by_id": reversal["id"]}
        for statement in ("UPDATE transactions SET reversed_by_id = NULL WHERE id = %s",
                          "UPDATE transactions SET status = 'completed' WHERE id = %s"):
            with pytest.raises(pymysql.err.MySQLError) as caught:
                query(admin_conn, statement, txn["id"])
            assert error_code(caught.value) == "IMMUTABLE_RECORD"
        assert integrity_problems(admin_conn) == []

    def test_owner_holds_drop_only_on_view_names(self, admin_conn: Any, database: str) -> None:
        views = {path.stem for path in (REPO_ROOT / "views").glob("*.sql")}
        rows = query(admin_conn,
                     "SELECT TABLE_NAME AS name, PRIVILEGE_TYPE AS privilege"
                     " FROM information_schema.TABLE_PRIVILEGES"
                     " WHERE TABLE_SCHEMA = %s AND GRANTEE LIKE %s", database, f"'{OWNER}'@%%")
        assert {r["name"] for r in rows if r["privilege"] == "DROP"} == views
        wide = query(admin_conn,
                     "SELECT PRIVILEGE_TYPE AS privilege FROM information_schema.SCHEMA_PRIVILEGES"
                     " WHERE TABLE_SCHEMA = %s AND GRANTEE LIKE %s", database, f"'{OWNER}'@%%")
        assert "DROP" not in {r["privilege"] for r in wide}
        assert "EXECUTE" in {r["privilege"] for r in wide}


class TestStaffEntryPoints:
    """Entry points without a session parameter re-check the actor's role in SQL."""

    @pytest.mark.parametrize(("role", "allowed"), [("customer", False), ("teller", False),
                                                   ("auditor", False), ("manager", True)])
    def test_only_a_manager_may_reverse(
        self, admin_conn: Any, bank_app_conn: Any, role: str, allowed: bool
    ) -> None:
        txn = posted(admin_conn)
        actor = new_user(admin_conn, role)
        args = (txn["id"], "check", secrets.token_hex(6), actor)
        if allowed:
            assert call(bank_app_conn, "sp_reverse_transaction", *args)[0]["type"] == "reversal"
        else:
            with pytest.raises(pymysql.err.MySQLError) as caught:
                call(bank_app_conn, "sp_reverse_transaction", *args)
            assert error_code(caught.value) == "FORBIDDEN"

    def test_the_api_cannot_borrow_the_system_user(
        self, admin_conn: Any, bank_app_conn: Any
    ) -> None:
        txn = posted(admin_conn)
        with pytest.raises(pymysql.err.MySQLError) as caught:
            proc(bank_app_conn, "sp_reverse_transaction", transaction_id=txn["id"], reason="x",
                 idempotency_key=secrets.token_hex(6), actor_id=1)
        assert error_code(caught.value) == "FORBIDDEN"
        reversal = proc(admin_conn, "sp_reverse_transaction", transaction_id=txn["id"], reason="x",
                        idempotency_key=secrets.token_hex(6), actor_id=1)[0]
        assert reversal["type"] == "reversal"
