"""What LedgerGPT's logins may do, the time limit, the read-only transaction and the log."""

from __future__ import annotations

import json

import pymysql
import pytest

from api.config import get_settings
from ledger_gpt.catalog import ALLOWED_VIEWS, view_docs
from ledger_gpt.database import (
    RECORD_PARAMETERS,
    QueryFailed,
    QueryTimedOut,
    Reader,
    audit_address,
    readonly_address,
)
from scripts.db_connection import connect
from tests.support.ledger import integrity_problems, query

ACCESS_DENIED = {1142, 1143, 1044, 1370}


class TestLogins:
    def test_bank_readonly_reads_views_only(self, demo_db) -> None:
        conn = connect(readonly_address(demo_db, get_settings()))
        try:
            for statement in ["SELECT password_hash FROM users", "SELECT * FROM audit_log",
                              "CALL sp_record_gpt_question('x', 'y', 'offline', 'answered',"
                              " NULL, NULL, NULL)",
                              "INSERT INTO ledger_gpt_questions (asked_by, question, engine,"
                              " outcome) VALUES ('x', 'y', 'offline', 'answered')"]:
                with pytest.raises(pymysql.err.MySQLError) as caught:
                    query(conn, statement)
                assert caught.value.args[0] in ACCESS_DENIED, (statement, caught.value)
        finally:
            conn.close()

    def test_the_audit_login_may_only_record_a_question(self, demo_db) -> None:
        conn = connect(audit_address(demo_db, get_settings()))
        try:
            for statement in ["SELECT * FROM vw_accounts", "SELECT * FROM ledger_gpt_questions",
                              "DELETE FROM ledger_gpt_questions",
                              "CALL sp_audit_append('accounts', 1, 'UPDATE', NULL, '{}')"]:
                with pytest.raises(pymysql.err.MySQLError) as caught:
                    query(conn, statement)
                assert caught.value.args[0] in ACCESS_DENIED, (statement, caught.value)
        finally:
            conn.close()

    def test_the_log_calls_the_procedure_by_its_parameters(self, demo_admin) -> None:
        rows = query(demo_admin, "SELECT PARAMETER_NAME FROM information_schema.PARAMETERS"
                                 " WHERE SPECIFIC_SCHEMA = DATABASE()"
                                 " AND SPECIFIC_NAME = 'sp_record_gpt_question'"
                                 " ORDER BY ORDINAL_POSITION")
        assert tuple(r["PARAMETER_NAME"] for r in rows) == RECORD_PARAMETERS


class TestStatementLimits:
    def test_a_slow_query_is_cut_off_by_the_time_limit(self, demo_db) -> None:
        with Reader(readonly_address(demo_db, get_settings()), statement_seconds=0.3) as slow:
            with pytest.raises(QueryTimedOut, match="limit"):
                slow.run("SELECT COUNT(*) FROM vw_customer_statement a, vw_customer_statement b,"
                         " vw_customer_statement c, vw_customer_statement d")
            # The connection is usable afterwards.
            assert slow.run("SELECT 1 FROM vw_accounts LIMIT 1").rows == [(1,)]

    def test_the_transaction_is_read_only_even_for_a_login_that_may_write(
        self, demo_db, demo_admin
    ) -> None:
        before = query(demo_admin, "SELECT COUNT(*) AS n FROM ledger_gpt_questions")[0]["n"]
        with (Reader(demo_db, statement_seconds=5) as admin_reader,
              pytest.raises(QueryFailed, match=r"\(1792\)")):
            admin_reader.run("INSERT INTO ledger_gpt_questions (asked_by, question, engine,"
                             " outcome) VALUES ('x', 'y', 'offline', 'answered')")
        after = query(demo_admin, "SELECT COUNT(*) AS n FROM ledger_gpt_questions")[0]["n"]
        assert after == before


class TestQuestionLog:
    def test_each_question_is_logged_with_its_sql_rows_and_asker(self, gpt, demo_admin) -> None:
        answer = gpt.ask("balances of bob")
        assert answer.outcome == "answered"
        assert len(answer.rows) == 2
        row = query(demo_admin, "SELECT * FROM ledger_gpt_questions ORDER BY id DESC LIMIT 1")[0]
        assert (row["asked_by"], row["question"], row["engine"], row["outcome"]) == (
            "omar", "balances of bob", "offline", "answered")
        assert row["sql_text"] == answer.sql
        assert row["row_count"] == 2
        audit = query(demo_admin, "SELECT * FROM audit_log WHERE table_name ="
                                  " 'ledger_gpt_questions' AND row_id = %s", (row["id"],))[0]
        assert audit["event"] == "ledger_gpt.question"
        assert audit["db_user"].startswith("bank_gpt_audit@")
        assert json.loads(audit["after_data"])["sql"] == answer.sql
        assert integrity_problems(demo_admin) == []

    def test_a_refused_question_is_logged_too(self, gpt, demo_admin) -> None:
        answer = gpt.ask("delete bob")
        assert answer.outcome == "refused"
        row = query(demo_admin, "SELECT * FROM ledger_gpt_questions ORDER BY id DESC LIMIT 1")[0]
        assert (row["question"], row["outcome"], row["sql_text"], row["row_count"]) == (
            "delete bob", "refused", None, None)
        assert "only reads" in row["detail"]


class TestViewDocumentation:
    def test_every_column_of_every_allowed_view_is_described(self, demo_admin) -> None:
        docs = view_docs()
        for view in ALLOWED_VIEWS:
            live = [r["COLUMN_NAME"] for r in query(
                demo_admin, "SELECT COLUMN_NAME FROM information_schema.COLUMNS"
                            " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s"
                            " ORDER BY ORDINAL_POSITION", (view,))]
            assert live, f"{view} does not exist"
            described = docs[view].columns
            assert sorted(live) == sorted(described), (
                f"{view}: undescribed {sorted(set(live) - set(described))},"
                f" stale {sorted(set(described) - set(live))}")
            assert all(len(text) > 5 for text in described.values()), view
            assert docs[view].summary, view

    def test_bank_readonly_may_read_every_allowed_view(self, reader) -> None:
        assert sorted(reader.view_columns(ALLOWED_VIEWS)) == sorted(ALLOWED_VIEWS)
