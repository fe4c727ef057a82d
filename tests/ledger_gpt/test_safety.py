"""The gate: one SELECT over allowed views, a LIMIT, and nothing that writes, waits or leaks."""

from __future__ import annotations

import pytest

from ledger_gpt.catalog import ALLOWED_VIEWS
from ledger_gpt.safety import (
    MAX_LIMIT,
    Refused,
    check_sql,
    refuse_change_request,
    refuse_embedded_sql,
)


def refused(sql: str) -> str:
    with pytest.raises(Refused) as caught:
        check_sql(sql, ALLOWED_VIEWS)
    return str(caught.value)


class TestStatements:
    def test_a_select_gets_the_default_limit(self) -> None:
        checked = check_sql("SELECT username FROM vw_customers", ALLOWED_VIEWS)
        assert checked.sql.endswith("LIMIT 200")
        assert checked.views == ("vw_customers",)

    def test_a_limit_is_kept_up_to_the_maximum(self) -> None:
        assert check_sql("SELECT 1 FROM vw_accounts LIMIT 5", ALLOWED_VIEWS).limit == 5
        assert "maximum" in refused(f"SELECT 1 FROM vw_accounts LIMIT {MAX_LIMIT + 1}")

    def test_ctes_and_unions_of_views_are_one_select(self) -> None:
        checked = check_sql("WITH c AS (SELECT id FROM vw_accounts) SELECT id FROM c"
                            " UNION SELECT id FROM vw_customers", ALLOWED_VIEWS)
        assert set(checked.views) == {"vw_accounts", "vw_customers"}

    def test_what_runs_is_regenerated_from_the_parse_tree(self) -> None:
        checked = check_sql("SELECT id FROM vw_accounts -- ; DROP TABLE users", ALLOWED_VIEWS)
        assert "DROP" not in checked.sql
        assert "--" not in checked.sql

    @pytest.mark.parametrize(("sql", "reason"), [
        ("DROP TABLE accounts", "only a SELECT"),
        ("UPDATE accounts SET balance = 1000000 WHERE id = 1", "only a SELECT"),
        ("DELETE FROM vw_accounts", "only a SELECT"),
        ("INSERT INTO audit_log VALUES (1)", "only a SELECT"),
        ("SELECT 1 FROM vw_accounts; DROP TABLE users", "exactly one statement"),
        ("SELECT 1 FROM vw_accounts; SELECT 2 FROM vw_accounts", "exactly one statement"),
        ("SELECT id FROM vw_accounts /*! ; DROP TABLE users */", "executable comments"),
        ("SELECT /*+ MAX_EXECUTION_TIME(1000000) */ id FROM vw_accounts", "executable comments"),
        ("SELECT username FROM vw_customers UNION SELECT password_hash FROM users",
         "users is not one of the reporting views"),
        ("SELECT (SELECT pin_hash FROM users LIMIT 1) FROM vw_accounts",
         "users is not one of the reporting views"),
        ("SELECT * FROM accounts", "accounts is not one of the reporting views"),
        ("SELECT * FROM mysql.user", "system tables"),
        ("SELECT * FROM information_schema.TABLES", "system tables"),
        ("SELECT * FROM bank.vw_accounts", "unqualified"),
        ("SELECT SLEEP(10)", "SLEEP"),
        ("SELECT id FROM vw_accounts WHERE SLEEP(10) = 0", "SLEEP"),
        ("SELECT BENCHMARK(100000000, MD5('x'))", "BENCHMARK"),
        ("SELECT LOAD_FILE('/etc/passwd')", "LOAD_FILE"),
        ("SELECT * FROM vw_accounts INTO OUTFILE '/tmp/accounts.csv'", "OUTFILE"),
        ("SELECT * INTO DUMPFILE '/tmp/x' FROM vw_accounts", "OUTFILE"),
        ("SELECT id INTO @x FROM vw_accounts", "INTO"),
        ("SELECT @@version", "variables"),
        ("SELECT @a := balance FROM vw_accounts", "variables"),
        ("SELECT * FROM vw_accounts FOR UPDATE", "locking"),
        ("SELECT * FROM vw_accounts LOCK IN SHARE MODE", "locking"),
        ("SELECT fn_audit_row_hash('a', 1, 't', 1, 'INSERT', NULL, 'x', NULL, NULL, NOW(),"
         " NULL, NULL) FROM vw_accounts", "routines"),
        ("SELECT CURRENT_USER()", "CURRENT_USER"),
        ("SELECT id FROM vw_accounts LIMIT 1 OFFSET @o", "variables"),
        ("SHOW GRANTS", "only a SELECT"),
        ("CALL sp_record_gpt_question('x', 'y', 'offline', 'answered', NULL, NULL, NULL)",
         "only a SELECT"),
        ("", "no SQL"),
        ("SELEC id FRM vw_accounts", "parse"),
    ])
    def test_refused_with_the_reason(self, sql: str, reason: str) -> None:
        assert reason in refused(sql)


class TestChangeRequests:
    @pytest.mark.parametrize("question", [
        "delete bob", "Delete all transactions of alice", "please set alice's balance to 1000000",
        "approve transaction 12", "can you reverse the last transfer", "freeze bob's account",
        "transfer 500 to bob", "send money to bob", "drop table users",
        "show transactions; DROP TABLE users", "update accounts set balance = 0",
        "I want to close account 123", "reset the password of admin",
        "grant admin to alice", "insert into audit_log values (1)",
    ])
    def test_a_request_to_change_data_is_refused(self, question: str) -> None:
        with pytest.raises(Refused, match="only reads"):
            refuse_change_request(question)

    @pytest.mark.parametrize("question", [
        "who approved the reversals", "transfers over $500", "transfer over 100",
        "open incidents", "deposits yesterday", "closed accounts", "blocked users",
        "pending reviews", "changes to account 123", "fees earned",
    ])
    def test_a_question_is_not_taken_for_a_change(self, question: str) -> None:
        refuse_change_request(question)


class TestInjectionThroughQuestions:
    @pytest.mark.parametrize("question", [
        "drop table users", "balances of bob'; DROP TABLE users; --",
        "transactions of alice UNION SELECT password_hash FROM users",
        "delete from transactions where 1=1", "set balance of alice to 1 million",
        "approve every pending review", "show alice' OR '1'='1",
    ])
    def test_nothing_runs_and_the_answer_says_why(self, gpt, demo_admin, question: str) -> None:
        before = gpt.reader.statements_run
        with demo_admin.cursor() as cur:
            cur.execute("SELECT COUNT(*) AS n FROM users")
            users = cur.fetchone()["n"]
        answer = gpt.ask(question)
        assert answer.outcome in {"refused", "not_understood"}, answer
        assert answer.message
        assert answer.rows == []
        assert gpt.reader.statements_run == before
        with demo_admin.cursor() as cur:
            cur.execute("SELECT COUNT(*) AS n FROM users")
            assert cur.fetchone()["n"] == users


class TestEmbeddedSql:
    @pytest.mark.parametrize("question", [
        "transactions of alice UNION SELECT password_hash FROM users",
        "balances of bob' OR '1'='1", "balances of bob -- and more", "bob; alice",
        "transfers where sleep(5)", "select username from users",
    ])
    def test_sql_typed_into_a_question_is_refused(self, question: str) -> None:
        with pytest.raises(Refused, match="contains SQL"):
            refuse_embedded_sql(question)

    @pytest.mark.parametrize("question", ["is the ledger consistent?", "bob's balance",
                                          "transfers over $500, last week"])
    def test_ordinary_punctuation_passes(self, question: str) -> None:
        refuse_embedded_sql(question)
